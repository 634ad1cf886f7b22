//! Helpers shared by the compiler's integration tests.

#![allow(clippy::unwrap_used, dead_code)] // Tests fail loudly; not every test uses every helper.

use std::path::{Path, PathBuf};

/// The valid mappings every test starts from.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme")
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the fixture at `<tmp>/mappings` (so diagnostics show `mappings/…` paths), with
/// each `(file, from, to)` edit applied once; an empty `from` writes `to` as the whole file.
pub fn mappings_with<T: AsRef<str>>(edits: &[(&str, &str, T)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mappings");
    copy_dir(&fixture(), &root);
    for (file, from, to) in edits {
        let path = root.join(file);
        if from.is_empty() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, to.as_ref()).unwrap();
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to.as_ref(), 1)).unwrap();
    }
    (tmp, root)
}
