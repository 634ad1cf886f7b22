//! Check + build of the shipped mappings, and how the time grows with the number of providers
//! (synthetic copies of every shipped provider, renamed).
//!
//! `cargo bench -p switchboard-compiler --bench compile`

use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use switchboard_compiler::Settings;

fn mappings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings")
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The shipped mappings with every provider present `copies` times (`trengo`, `trengo_2`, …).
fn synthetic(copies: usize) -> std::io::Result<tempfile::TempDir> {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("mappings");
    copy_dir(&mappings().join("unified"), &root.join("unified"))?;
    for entry in std::fs::read_dir(mappings().join("providers"))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        for i in 1..=copies {
            let copy = if i == 1 {
                name.clone()
            } else {
                format!("{name}_{i}")
            };
            let dir = root.join("providers").join(&copy);
            copy_dir(&entry.path(), &dir)?;
            let provider = dir.join("provider.yaml");
            let text = std::fs::read_to_string(&provider)?;
            // Tool names must stay unique across providers: a copy's tools take its name.
            let text = text
                .replacen(
                    &format!("provider: {name}"),
                    &format!("provider: {copy}"),
                    1,
                )
                .lines()
                .map(|l| match l.strip_prefix("tool_prefix:") {
                    Some(_) => format!("tool_prefix: {copy}"),
                    None => l.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(&provider, text)?;
        }
    }
    Ok(tmp)
}

fn bench(c: &mut Criterion) {
    c.bench_function("check+build shipped mappings", |b| {
        let settings = Settings::new(mappings());
        b.iter(|| settings.generate().map(|out| out.files.len()).unwrap_or(0));
    });

    let mut group = c.benchmark_group("check+build by providers");
    group.sample_size(10);
    for copies in [1, 10, 100] {
        let Ok(dir) = synthetic(copies) else { continue };
        let settings = Settings::new(dir.path().join("mappings"));
        assert!(
            settings.generate().is_ok(),
            "the synthetic mappings compile"
        );
        group.bench_with_input(BenchmarkId::from_parameter(copies), &settings, |b, s| {
            b.iter(|| s.generate().map(|out| out.files.len()).unwrap_or(0));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
