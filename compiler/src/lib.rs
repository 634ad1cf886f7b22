//! switchboard-compiler: checks Switchboard mapping files and compiles them into Rust adapters
//! and OpenAPI documents.
//!
//! Three stages, one direction: **load** (YAML → raw structs with spans, [`syntax`]) →
//! **check and lower** (→ the resolved [`ir::Ir`], [`check`]) → **emit** ([`emit`]). All
//! diagnostics are collected before failing. The CLI and `build.rs` use are thin wrappers over
//! [`Settings`].
//!
//! From a `build.rs` (the generated code lands in `$OUT_DIR/switchboard.rs`; include it at the
//! crate root with `include!(concat!(env!("OUT_DIR"), "/switchboard.rs"));`):
//!
//! ```no_run
//! // build.rs
//! if let Err(e) = switchboard_compiler::Settings::new("mappings").build_script() {
//!     eprintln!("{e}");
//!     std::process::exit(1);
//! }
//! ```

pub mod check;
pub mod diagnostics;
pub mod emit;
pub mod expr;
pub mod interpret;
pub mod ir;
pub mod names;
pub mod source;
pub mod syntax;
pub mod template;
pub mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};

use check::{Checker, ProviderSources, ReadFile, Unreadable};
pub use diagnostics::Report;
pub use emit::Output;
use source::SourceMap;
use syntax::{Decoder, FileKind};

/// Where the compiler reads mappings and writes its output. Defaults match the repository
/// layout: `mappings/` in, `generated/` out.
#[derive(Debug, Clone)]
pub struct Settings {
    mappings: PathBuf,
    out_dir: PathBuf,
    deny_warnings: bool,
}

/// The result of a successful check: the IR, and the warnings (if any) to show.
#[derive(Debug, Clone)]
pub struct Checked {
    pub ir: ir::Ir,
    pub warnings: Report,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new("mappings")
    }
}

/// Why a compiler run did not produce output.
#[derive(Debug)]
pub enum Error {
    /// The mappings have problems; the report says where and how to fix them.
    Diagnostics(Report),
    /// A file or directory could not be read or written.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The mappings directory holds no provider: nothing to check or generate (and `build`
    /// leaves the output directory as it is).
    NoProviders { path: PathBuf },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Diagnostics(r) => f.write_str(&r.render_plain()),
            Error::Io { path, error } => write!(f, "{}: {error}", path.display()),
            Error::NoProviders { path } => write!(
                f,
                "{}: no provider found: a mappings directory holds providers/<name>/provider.yaml (see docs/mapping-language.md); pass --mappings <dir> with the right directory. Nothing was checked or generated.",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Error {}

/// A generated file that differs from what is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    Missing(String),
    Changed(String),
    /// On disk in an output directory the compiler owns, but no longer generated.
    Extra(String),
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::Missing(p) => write!(f, "missing: {p}"),
            Stale::Changed(p) => write!(f, "out of date: {p}"),
            Stale::Extra(p) => write!(f, "no longer generated: {p}"),
        }
    }
}

impl Settings {
    pub fn new(mappings: impl Into<PathBuf>) -> Self {
        Settings {
            mappings: mappings.into(),
            out_dir: PathBuf::from("generated"),
            deny_warnings: false,
        }
    }

    pub fn with_out_dir(mut self, out_dir: impl Into<PathBuf>) -> Self {
        self.out_dir = out_dir.into();
        self
    }

    /// Treat warnings as errors.
    pub fn with_deny_warnings(mut self, deny: bool) -> Self {
        self.deny_warnings = deny;
        self
    }

    pub fn mappings(&self) -> &Path {
        &self.mappings
    }

    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Loads and checks every mapping file.
    pub fn check(&self) -> Result<Checked, Error> {
        let (ir, report) = load(&self.mappings)?;
        if report.fails(self.deny_warnings) {
            return Err(Error::Diagnostics(report));
        }
        Ok(Checked {
            ir,
            warnings: report,
        })
    }

    /// Checks and emits, in memory.
    pub fn generate(&self) -> Result<Output, Error> {
        Ok(emit::emit(&self.check()?.ir, emit::Layout::Crate))
    }

    /// Checks, emits and writes the output directory (removing files no longer generated).
    pub fn build(&self) -> Result<Output, Error> {
        let out = self.generate()?;
        write_output(&out, &self.out_dir)?;
        Ok(out)
    }

    /// For a `build.rs`: writes `$OUT_DIR/switchboard.rs` (every module inline) and tells Cargo
    /// to rerun when the mappings change. Warnings are printed as Cargo warnings.
    pub fn build_script(&self) -> Result<PathBuf, Error> {
        println!("cargo:rerun-if-changed={}", self.mappings.display());
        let out_dir = std::env::var_os("OUT_DIR")
            .map(PathBuf::from)
            .ok_or_else(|| Error::Io {
                path: PathBuf::from("$OUT_DIR"),
                error: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "OUT_DIR is not set: call build_script() from a build.rs",
                ),
            })?;
        let checked = self.check()?;
        for d in &checked.warnings.diagnostics {
            println!("cargo:warning={}: {}", d.code.as_str(), d.message);
        }
        let out = emit::emit(&checked.ir, emit::Layout::SingleFile);
        write_output(&out, &out_dir)?;
        Ok(out_dir.join(emit::SINGLE_FILE))
    }

    /// What differs between a fresh build and the output directory.
    pub fn stale(&self) -> Result<Vec<Stale>, Error> {
        let out = self.generate()?;
        stale_files(&out, &self.out_dir)
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |error| Error::Io {
        path: path.to_owned(),
        error,
    }
}

/// Largest mapping or example file read (bytes).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Files below `dir`, as `/`-separated paths relative to `root`, sorted. Directories are
/// entered only as themselves, never through a symbolic link (a link to `.` would make the walk
/// endless); a linked file is listed, and `RootReader::file` decides whether it may be read.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Error> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let file_type = e.file_type().map_err(io(&path))?;
        if file_type.is_dir() {
            walk(root, &path, out)?;
        } else if file_type.is_symlink() && path.is_dir() {
            continue;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

#[derive(Debug)]
/// Reads the files of the mappings root: by path below it, or by display path (`<root name>/…`).
struct RootReader {
    /// The root with every link resolved.
    root: PathBuf,
    root_name: String,
}

impl ReadFile for RootReader {
    fn read(&self, display_path: &str) -> Result<String, Unreadable> {
        let outside =
            || Unreadable::Refused(format!("{display_path} is outside the mappings directory"));
        let rest = display_path
            .strip_prefix(&format!("{}/", self.root_name))
            .ok_or_else(outside)?;
        if rest.split('/').any(|part| part == "..") {
            return Err(outside());
        }
        self.file(rest)
    }
}

impl RootReader {
    /// Reads `rel` below the root: only a regular file (not a FIFO or a device, which could
    /// block or never end), inside the mappings directory once links are resolved, and of at
    /// most [`MAX_FILE_BYTES`]. The error says which rule the file breaks.
    fn file(&self, rel: &str) -> Result<String, Unreadable> {
        use std::io::Read;
        let refused = Unreadable::Refused;
        let real = match self.root.join(rel).canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unreadable::Missing),
            Err(e) => return Err(refused(format!("{rel}: {e}"))),
        };
        if !real.starts_with(&self.root) {
            return Err(refused(format!(
                "{rel} is a link to {}, outside the mappings directory; copy the file into it",
                real.display()
            )));
        }
        let meta = std::fs::metadata(&real).map_err(|e| refused(format!("{rel}: {e}")))?;
        if !meta.is_file() {
            return Err(refused(format!(
                "{rel} is not a regular file; mapping files and examples are plain files"
            )));
        }
        let too_large = || {
            refused(format!(
                "{rel} is larger than the {} MiB limit for mapping files and examples; use a smaller file",
                MAX_FILE_BYTES >> 20
            ))
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_large());
        }
        let mut text = String::new();
        std::fs::File::open(&real)
            .map_err(|e| refused(format!("{rel}: {e}")))?
            .take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| refused(format!("{rel}: {e}")))?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(too_large());
        }
        Ok(text)
    }
}

fn load(root: &Path) -> Result<(ir::Ir, Report), Error> {
    if !root.is_dir() {
        return Err(Error::Io {
            path: root.to_owned(),
            error: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "mappings directory not found (pass --mappings <dir>, or run from the repository root)",
            ),
        });
    }
    // Display paths are `<root name>/…` whatever the working directory, so that generated
    // provenance comments do not depend on where the compiler ran.
    let canonical = root.canonicalize().map_err(io(root))?;
    let reader = RootReader {
        root_name: canonical.file_name().map_or_else(
            || "mappings".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        ),
        root: canonical,
    };
    let root_name = reader.root_name.clone();
    let mut files = Vec::new();
    walk(root, root, &mut files)?;

    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let mut models = Vec::new();
    let mut providers: Vec<ProviderSources> = Vec::new();
    let mut overrides = Vec::new();
    let mut incomplete = false;
    let mut provider_failed: Vec<String> = Vec::new();
    for rel in files
        .iter()
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
    {
        let kind = match rel.split('/').collect::<Vec<_>>().as_slice() {
            ["unified", _] => FileKind::Model,
            ["providers", _, "provider.yaml"] => FileKind::Provider,
            ["providers", _, _] => FileKind::Resource,
            ["overrides", _] => FileKind::Override,
            _ => continue,
        };
        let text = reader.file(rel).map_err(|why| Error::Io {
            path: root.join(rel),
            error: match why {
                Unreadable::Missing => std::io::ErrorKind::NotFound.into(),
                Unreadable::Refused(why) => {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, why)
                }
            },
        })?;
        let id = sources.add(format!("{root_name}/{rel}"), text);
        let dir = rel.split('/').nth(1).unwrap_or_default().to_owned();
        let node = match yaml::parse(id, &sources.get(id).text) {
            Ok(n) => n,
            Err(d) => {
                diags.push(*d);
                incomplete = true;
                if kind == FileKind::Provider {
                    provider_failed.push(dir);
                }
                continue;
            }
        };
        let mut decoder = Decoder { diags: &mut diags };
        let entry = |providers: &mut Vec<ProviderSources>| -> usize {
            if let Some(i) = providers.iter().position(|p| p.dir == dir) {
                return i;
            }
            providers.push(ProviderSources {
                dir: dir.clone(),
                anchor: match &node.kind {
                    yaml::NodeKind::Map(entries) => {
                        entries.first().map_or(node.span, |(k, _)| k.span)
                    }
                    _ => node.span,
                },
                provider: None,
                provider_failed: false,
                resources: Vec::new(),
            });
            providers.len() - 1
        };
        match kind {
            FileKind::Model => match decoder.model_file(&node) {
                Some(m) => models.push((id, m)),
                None => incomplete = true,
            },
            FileKind::Provider => match decoder.provider_file(&node) {
                Some(p) => {
                    let i = entry(&mut providers);
                    providers[i].provider = Some(p);
                }
                None => {
                    incomplete = true;
                    provider_failed.push(dir.clone());
                }
            },
            FileKind::Resource => match decoder.resource_file(&node) {
                Some(r) => {
                    let i = entry(&mut providers);
                    providers[i].resources.push((id, r));
                }
                None => incomplete = true,
            },
            FileKind::Override => {
                if let Some(o) = decoder.override_file(&node) {
                    overrides.push((id, o));
                }
            }
        }
    }

    if providers.is_empty() && provider_failed.is_empty() {
        return Err(Error::NoProviders {
            path: root.to_owned(),
        });
    }
    for p in &mut providers {
        p.provider_failed = provider_failed.contains(&p.dir);
    }
    let mut checker = Checker {
        sources: &mut sources,
        diags,
        reader: &reader,
        incomplete,
        broken_fields: Vec::new(),
        object_types: Vec::new(),
        redacting: Vec::new(),
        param_scope: Vec::new(),
        in_auth_option: false,
    };
    let ir = checker.lower(models, providers, overrides);
    let diags = std::mem::take(&mut checker.diags);
    Ok((ir, Report::new(sources, diags)))
}

fn owned_files(out_dir: &Path) -> Result<Vec<String>, Error> {
    let mut found = Vec::new();
    for dir in emit::OWNED_DIRS {
        let d = out_dir.join(dir);
        if d.is_dir() {
            walk(out_dir, &d, &mut found)?;
        }
    }
    Ok(found)
}

/// Writes generated files, removing those in owned directories that are no longer generated.
pub fn write_output(out: &Output, out_dir: &Path) -> Result<(), Error> {
    for (rel, contents) in &out.files {
        let path = out_dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
            std::fs::write(&path, contents).map_err(io(&path))?;
        }
    }
    for rel in owned_files(out_dir)? {
        if !out.files.contains_key(&rel) {
            let path = out_dir.join(&rel);
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

/// Compares generated output with an output directory.
pub fn stale_files(out: &Output, out_dir: &Path) -> Result<Vec<Stale>, Error> {
    let mut stale = Vec::new();
    for (rel, contents) in &out.files {
        match std::fs::read_to_string(out_dir.join(rel)) {
            Ok(on_disk) if on_disk == *contents => {}
            Ok(_) => stale.push(Stale::Changed(rel.clone())),
            Err(_) => stale.push(Stale::Missing(rel.clone())),
        }
    }
    for rel in owned_files(out_dir)? {
        if !out.files.contains_key(&rel) {
            stale.push(Stale::Extra(rel));
        }
    }
    Ok(stale)
}
