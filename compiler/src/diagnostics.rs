//! Diagnostics are data: one catalogue of stable codes, each diagnostic with a primary location,
//! labels and a help line that names the fix. Rendering is done by `codespan-reporting`.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::term;

use crate::source::{SourceMap, Span};

/// The catalogue of diagnostic codes. Codes are stable: they are documented in
/// docs/diagnostics.md and never reused for another meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// The file is not valid YAML.
    YamlSyntax,
    /// A key that the mapping language does not define at this place.
    UnknownKey,
    /// A value of the wrong kind (a list where a mapping is expected, ...).
    WrongKind,
    /// A key the mapping language requires is missing.
    MissingKey,
    /// A key appears twice in one mapping.
    DuplicateKey,
    /// A name that refers to nothing (a unified model, resource, field or credential).
    UnknownName,
    /// A field path that is not in any of the method's example payloads.
    PathNotInExample,
    /// A JMESPath expression that does not parse.
    JmespathSyntax,
    /// A JMESPath construct that cannot be compiled to Rust.
    UnsupportedExpression,
    /// A template that does not parse or uses a variable that is not declared.
    Template,
    /// An enum map target outside the unified enum, or an enum map without a fallback.
    EnumMap,
    /// A required unified field has no mapping.
    RequiredFieldUnmapped,
    /// An example payload that cannot be read or is not JSON.
    Example,
    /// A paginator with no way to know when to stop.
    PaginationStop,
    /// A secret credential used somewhere other than in authentication.
    SecretOutsideAuth,
    /// A value outside the allowed set (an HTTP method, a type name, a date format, ...).
    InvalidValue,
    /// A mapping whose result cannot have the unified field's type.
    TypeMismatch,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::YamlSyntax,
        Code::UnknownKey,
        Code::WrongKind,
        Code::MissingKey,
        Code::DuplicateKey,
        Code::UnknownName,
        Code::PathNotInExample,
        Code::JmespathSyntax,
        Code::UnsupportedExpression,
        Code::Template,
        Code::EnumMap,
        Code::RequiredFieldUnmapped,
        Code::Example,
        Code::PaginationStop,
        Code::SecretOutsideAuth,
        Code::InvalidValue,
        Code::TypeMismatch,
    ];

    /// The stable code, e.g. `SB002`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::YamlSyntax => "SB001",
            Code::UnknownKey => "SB002",
            Code::WrongKind => "SB003",
            Code::MissingKey => "SB004",
            Code::DuplicateKey => "SB005",
            Code::UnknownName => "SB006",
            Code::PathNotInExample => "SB007",
            Code::JmespathSyntax => "SB008",
            Code::UnsupportedExpression => "SB009",
            Code::Template => "SB010",
            Code::EnumMap => "SB011",
            Code::RequiredFieldUnmapped => "SB012",
            Code::Example => "SB013",
            Code::PaginationStop => "SB014",
            Code::SecretOutsideAuth => "SB015",
            Code::InvalidValue => "SB016",
            Code::TypeMismatch => "SB017",
        }
    }
}

/// A secondary location with a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding of the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub span: Span,
    /// What the primary location shows, printed under it.
    pub label: String,
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: String::new(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    fn to_codespan(&self) -> CsDiagnostic<crate::source::FileId> {
        let mut labels =
            vec![CsLabel::primary(self.span.file, self.span.range()).with_message(&self.label)];
        labels.extend(
            self.labels
                .iter()
                .map(|l| CsLabel::secondary(l.span.file, l.span.range()).with_message(&l.message)),
        );
        CsDiagnostic::error()
            .with_code(self.code.as_str())
            .with_message(&self.message)
            .with_labels(labels)
            .with_notes(self.help.iter().map(|h| format!("help: {h}")).collect())
    }
}

/// All diagnostics of one run, sorted by location, with the sources they point into.
#[derive(Debug, Clone)]
pub struct Report {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn new(sources: SourceMap, mut diagnostics: Vec<Diagnostic>) -> Self {
        for d in &mut diagnostics {
            d.span = sources.snap(d.span);
            for l in &mut d.labels {
                l.span = sources.snap(l.span);
            }
        }
        diagnostics.sort_by(|a, b| {
            let pa = &sources.get(a.span.file).path;
            let pb = &sources.get(b.span.file).path;
            (pa, a.span.start, a.code, &a.message).cmp(&(pb, b.span.start, b.code, &b.message))
        });
        diagnostics.dedup();
        Report {
            sources,
            diagnostics,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// Human-readable rendering without colours (used for snapshots and non-terminals).
    pub fn render_plain(&self) -> String {
        let config = term::Config::default();
        let mut out = String::new();
        for d in &self.diagnostics {
            // The spans always come from `self.sources`, so rendering cannot fail.
            if term::emit_to_string(&mut out, &config, &self.sources, &d.to_codespan()).is_err() {
                out.push_str(&format!("error[{}]: {}\n", d.code.as_str(), d.message));
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// Renders with colours when `stream` is a terminal.
    pub fn emit_to_stderr(&self, color: bool) {
        use term::termcolor::{ColorChoice, StandardStream};
        let choice = if color {
            ColorChoice::Auto
        } else {
            ColorChoice::Never
        };
        let stream = StandardStream::stderr(choice);
        let mut lock = stream.lock();
        let config = term::Config::default();
        for d in &self.diagnostics {
            if term::emit_to_write_style(&mut lock, &config, &self.sources, &d.to_codespan())
                .is_err()
            {
                eprintln!("error[{}]: {}", d.code.as_str(), d.message);
            }
        }
        eprintln!("{}", self.summary());
    }

    fn summary(&self) -> String {
        match self.diagnostics.len() {
            0 => "no problems found".to_owned(),
            1 => "error: 1 problem found; nothing was generated".to_owned(),
            n => format!("error: {n} problems found; nothing was generated"),
        }
    }

    /// Machine-readable rendering for editors and CI: one JSON document.
    pub fn to_json(&self) -> serde_json::Value {
        let location = |span: Span| {
            let file = self.sources.get(span.file);
            let (line, column) = file.line_col(span.start);
            let (end_line, end_column) = file.line_col(span.end);
            serde_json::json!({
                "file": file.path,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
            })
        };
        let items: Vec<_> = self
            .diagnostics
            .iter()
            .map(|d| {
                serde_json::json!({
                    "code": d.code.as_str(),
                    "severity": "error",
                    "message": d.message,
                    "location": location(d.span),
                    "label": d.label,
                    "labels": d.labels.iter().map(|l| serde_json::json!({
                        "location": location(l.span),
                        "message": l.message,
                    })).collect::<Vec<_>>(),
                    "help": d.help,
                })
            })
            .collect();
        serde_json::json!({ "diagnostics": items, "count": self.diagnostics.len() })
    }
}

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or the list of what is allowed.
pub fn help_for_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
    what: &str,
) -> String {
    match suggest(name, candidates.clone()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            let all: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
            if all.is_empty() {
                format!("no {what} is defined here")
            } else {
                format!("expected one of the {what}s: {}", all.join(", "))
            }
        }
    }
}
