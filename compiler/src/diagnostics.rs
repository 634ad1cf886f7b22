//! Diagnostics are data: one catalogue of stable codes, each diagnostic with a primary location,
//! labels and a help line that names the fix. Rendering is done by `codespan-reporting`.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::term;

use crate::source::{FileId, SourceMap, Span};

/// Whether a diagnostic stops the build. Warnings fail only with `--deny warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $severity:ident; )*) => {
        /// The catalogue of diagnostic codes. Codes are stable: documented in docs/diagnostics.md
        /// and never reused for another meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$( Code::$variant ),*];

            /// The stable code, e.g. `SB003`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }
        }
    };
}

codes! {
    /// The file is not valid YAML.
    YamlSyntax = "SB001", Error;
    /// Anchors, aliases or several documents in one file.
    YamlUnsupported = "SB002", Error;
    /// A key that the mapping language does not define at this place.
    UnknownKey = "SB003", Error;
    /// A value of the wrong kind (a list where a mapping is expected, ...).
    WrongKind = "SB004", Error;
    /// A key the mapping language requires is missing.
    MissingKey = "SB005", Error;
    /// A key appears twice in one mapping.
    DuplicateKey = "SB006", Error;

    /// A unified model that does not exist.
    UnknownModel = "SB010", Error;
    /// A unified resource that does not exist.
    UnknownResource = "SB011", Error;
    /// A unified field (or query parameter) that does not exist.
    UnknownField = "SB012", Error;
    /// A method that is not a valid kind or not declared by the unified resource.
    UnknownMethod = "SB013", Error;
    /// A template variable that is not declared where it is used.
    UnknownVariable = "SB014", Error;
    /// A model, resource or provider resource defined twice.
    DuplicateName = "SB015", Error;
    /// A provider whose name differs from its directory.
    ProviderDirMismatch = "SB016", Error;
    /// A name that cannot become an identifier (not lowercase `snake_case`).
    InvalidName = "SB017", Error;
    /// A provider directory without `provider.yaml`.
    MissingProviderFile = "SB018", Error;
    /// Two unified resources that would generate the same function or schema names.
    NameClash = "SB019", Error;

    /// A field path that is not in any of the method's example payloads.
    PathNotInExample = "SB020", Error;
    /// An example file that does not exist.
    ExampleNotFound = "SB021", Error;
    /// An example file that is not JSON.
    ExampleNotJson = "SB022", Error;
    /// An example without records where the method's `response` says they are.
    ExampleShape = "SB023", Error;
    /// A method without examples: its field paths cannot be checked.
    NoExamples = "SB024", Warning;
    /// A path of the resource's mapping that one method's own examples never hold.
    PathNotInMethodExample = "SB025", Warning;

    /// A JMESPath expression that does not parse.
    JmespathSyntax = "SB030", Error;
    /// A JMESPath construct that cannot be compiled to Rust.
    UnsupportedExpression = "SB031", Error;
    /// An expression longer than the limit.
    ExpressionTooLong = "SB032", Error;
    /// An expression nested deeper than the limit.
    ExpressionTooDeep = "SB033", Error;
    /// An expression where a plain field path is needed.
    PlainPathRequired = "SB034", Error;

    /// A template that does not parse.
    TemplateSyntax = "SB040", Error;
    /// A template construct that cannot be compiled (blocks, filters, expressions).
    TemplateUnsupported = "SB041", Error;
    /// A record method whose path does not use `{{ id }}`.
    PathParameterMissing = "SB042", Error;
    /// `{{ id }}` in a method that has no record id.
    PathParameterUnavailable = "SB043", Error;
    /// A request body on a method that does not send one (GET, DELETE).
    BodyNotSent = "SB044", Error;

    /// A field type that does not exist.
    UnknownType = "SB050", Error;
    /// An enum field without `values`.
    EnumWithoutValues = "SB051", Error;
    /// A list field without `items`, or with an element type a list cannot hold.
    ListWithoutItems = "SB052", Error;
    /// An object field without `fields`.
    ObjectWithoutFields = "SB053", Error;
    /// A mapping whose form cannot fill the unified field's type.
    TypeMismatch = "SB054", Error;
    /// An example value of a JSON type the unified field cannot take.
    ExampleTypeMismatch = "SB055", Error;
    /// A projection (many values) mapped to a single-valued field.
    ManyIntoOne = "SB056", Error;
    /// An example timestamp that matches none of the date formats.
    ExampleDateFormat = "SB057", Error;

    /// An enum map target outside the unified enum.
    EnumTargetUnknown = "SB060", Error;
    /// An enum map without a `fallback`.
    EnumNoFallback = "SB061", Error;
    /// An enum field mapped without an enum map.
    EnumMapMissing = "SB062", Error;
    /// An example holds a provider value that the enum map does not list.
    EnumNotExhaustive = "SB063", Warning;

    /// A required unified field has no mapping.
    RequiredFieldUnmapped = "SB070", Error;
    /// A read-only field in a request body.
    WriteToReadOnly = "SB071", Error;
    /// A write-only field in a response mapping.
    ReadOfWriteOnly = "SB072", Error;
    /// A request body that uses a field the unified method does not accept.
    BodyFieldNotAccepted = "SB073", Error;
    /// A required body field of the unified method that the provider's body never sends.
    RequiredBodyFieldUnused = "SB074", Error;
    /// A required parameter of the unified method that the provider's request never sends.
    RequiredQueryUnused = "SB076", Error;
    /// A body entry that is neither `required` nor `optional`.
    InvalidBodyRequirement = "SB075", Error;

    /// A base URL that is not `https://`.
    NonHttpsBaseUrl = "SB080", Error;
    /// A secret credential used somewhere other than in authentication.
    SecretOutsideAuth = "SB081", Error;
    /// An auth kind that does not exist.
    UnknownAuthKind = "SB082", Error;
    /// A pagination kind that does not exist.
    UnknownPaginationKind = "SB083", Error;
    /// A paginator with no way to know when to stop.
    PaginationNeverStops = "SB084", Error;
    /// A rate limit that is not a positive count per second, minute or hour.
    InvalidRateLimit = "SB085", Error;
    /// A date format that is neither `rfc3339` nor a strftime format.
    InvalidDateFormat = "SB086", Error;
    /// A time zone that is not in the IANA database.
    UnknownTimeZone = "SB087", Error;
    /// A header name with characters HTTP does not allow.
    InvalidHeaderName = "SB088", Error;
    /// An HTTP method that does not exist.
    InvalidHttpMethod = "SB089", Error;
    /// A provenance that is not documented, observed or inferred.
    UnknownProvenance = "SB090", Error;
    /// A documented or observed method without a source URL.
    ProvenanceWithoutSource = "SB091", Warning;
    /// A list method on a provider without pagination (and not `pagination: none`).
    ListWithoutPagination = "SB092", Error;
    /// A `static` method that also has a request, or is not a list.
    StaticMethod = "SB094", Error;
    /// A field mapping that reads a path the resource redacts.
    RedactedFieldRead = "SB095", Error;
    /// A credential value written into a mapping: a literal token in `auth`, a literal
    /// credential header, a base URL with `user:pass@`, or a secret credential's `default`.
    CredentialInMapping = "SB096", Error;
    /// A resource whose records embed an object holding what another resource redacts.
    EmbeddedSecret = "SB097", Warning;
    /// An error mapping with an invalid HTTP status or error kind.
    InvalidErrorMapping = "SB093", Error;

    /// An MCP tool name longer than 128 characters or with characters MCP does not allow.
    InvalidToolName = "SB100", Error;
    /// Two methods with the same MCP tool name.
    DuplicateToolName = "SB101", Error;

    /// An override for a provider or resource that does not exist.
    OverrideTargetUnknown = "SB110", Error;
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
    /// The primary location's text is a secret: shown as `*`s wherever it is rendered.
    pub masked: bool,
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
            masked: false,
        }
    }

    /// Shows the primary location's text as `*`s (it holds a secret).
    pub fn masked(mut self) -> Self {
        self.masked = true;
        self
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

    fn to_codespan(&self) -> CsDiagnostic<FileId> {
        let mut labels =
            vec![CsLabel::primary(self.span.file, self.span.range()).with_message(&self.label)];
        labels.extend(
            self.labels
                .iter()
                .map(|l| CsLabel::secondary(l.span.file, l.span.range()).with_message(&l.message)),
        );
        let base = match self.code.severity() {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        };
        base.with_code(self.code.as_str())
            .with_message(&self.message)
            .with_labels(labels)
            .with_notes(self.help.iter().map(|h| format!("help: {h}")).collect())
    }
}

/// Longest source line shown whole (bytes); a longer one is shown cut around the span.
const MAX_LINE: usize = 160;
/// How much of a cut line is shown before the span.
const LEAD: usize = 40;

/// When a line `d` points at is longer than [`MAX_LINE`] (a minified example, a generated
/// file) or its primary location is [`Diagnostic::masked`], a view of the files it points into
/// with their long lines cut around its spans (`…` marking the cuts; line and column numbers
/// stay those of the file) and the masked text as `*`s, and `d` pointing into it; `None` when
/// the files can be shown as they are.
fn cut_long_lines<'a>(sources: &'a SourceMap, d: &Diagnostic) -> Option<(CutView<'a>, Diagnostic)> {
    let spans: Vec<Span> = std::iter::once(d.span)
        .chain(d.labels.iter().map(|l| l.span))
        .collect();
    let line_len = |span: &Span| {
        let file = sources.get(span.file);
        let starts = file.line_starts();
        let line = starts
            .partition_point(|&s| s <= span.start)
            .saturating_sub(1);
        let start = starts.get(line).copied().unwrap_or(0);
        let end = starts.get(line + 1).map_or(file.text.len(), |e| e - 1);
        end.saturating_sub(start)
    };
    if !d.masked && spans.iter().all(|s| line_len(s) <= MAX_LINE) {
        return None;
    }
    let mut ids: Vec<FileId> = Vec::new();
    for s in &spans {
        if !ids.contains(&s.file) {
            ids.push(s.file);
        }
    }
    let files: Vec<CutFile<'a>> = ids
        .iter()
        .map(|&id| {
            let original = sources.get(id);
            let anchors: Vec<usize> = spans
                .iter()
                .filter(|s| s.file == id)
                .map(|s| s.start)
                .collect();
            let masked;
            let text = if d.masked && d.span.file == id {
                let mut bytes = original.text.clone().into_bytes();
                for b in bytes.get_mut(d.span.range()).into_iter().flatten() {
                    if *b != b'\n' {
                        *b = b'*';
                    }
                }
                // Every byte of the range became ASCII, so the text is still UTF-8.
                masked = String::from_utf8_lossy(&bytes).into_owned();
                &masked
            } else {
                &original.text
            };
            let (text, lines) = cut_file(text, original.line_starts(), &anchors);
            CutFile {
                original,
                text,
                lines,
            }
        })
        .collect();
    let view = CutView { files };
    let remap = |span: Span| {
        let i = ids.iter().position(|f| *f == span.file).unwrap_or(0);
        let file = &view.files[i];
        let start = file.to_cut(span.start);
        Span::new(FileId(i), start..file.to_cut(span.end).max(start))
    };
    let mut d = d.clone();
    d.span = remap(d.span);
    for l in &mut d.labels {
        l.span = remap(l.span);
    }
    Some((view, d))
}

/// Files as a diagnostic shows them, long lines cut (see [`cut_long_lines`]).
struct CutView<'a> {
    files: Vec<CutFile<'a>>,
}

struct CutFile<'a> {
    original: &'a crate::source::SourceFile,
    text: String,
    lines: Vec<CutLine>,
}

/// One line of a cut file.
struct CutLine {
    /// The line in the original text (without its newline).
    old: std::ops::Range<usize>,
    /// What of it is shown, and where that starts in the copy (after a `…` when cut).
    shown: std::ops::Range<usize>,
    new_start: usize,
    lead: usize,
}

impl CutFile<'_> {
    /// An offset of the original text in the copy.
    fn to_cut(&self, old: usize) -> usize {
        let i = self
            .lines
            .partition_point(|l| l.old.start <= old)
            .saturating_sub(1);
        let Some(line) = self.lines.get(i) else {
            return 0;
        };
        if old < line.shown.start {
            return line.new_start;
        }
        line.new_start + line.lead + (old.min(line.shown.end) - line.shown.start)
    }

    /// An offset of the copy in the original text.
    fn to_original(&self, new: usize) -> usize {
        let i = self
            .lines
            .partition_point(|l| l.new_start <= new)
            .saturating_sub(1);
        let Some(line) = self.lines.get(i) else {
            return 0;
        };
        let into = new.saturating_sub(line.new_start + line.lead);
        (line.shown.start + into).min(line.shown.end)
    }

    fn line_range(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let this = self.lines.get(line)?;
        let end = self
            .lines
            .get(line + 1)
            .map_or(self.text.len(), |l| l.new_start);
        Some(this.new_start..end)
    }
}

impl<'a> codespan_reporting::files::Files<'a> for CutView<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.file(id).map(|f| f.original.path.as_str())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.file(id).map(|f| f.text.as_str())
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let f = self.file(id)?;
        Ok(f.lines
            .partition_point(|l| l.new_start <= byte_index)
            .saturating_sub(1))
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        let f = self.file(id)?;
        f.line_range(line_index)
            .ok_or(codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max: f.lines.len().saturating_sub(1),
            })
    }

    /// The column in the original line, not in the cut one.
    fn column_number(
        &'a self,
        id: FileId,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let f = self.file(id)?;
        let line_start = f.lines.get(line_index).map_or(0, |l| l.old.start);
        let original = f.to_original(byte_index).max(line_start);
        let text = &f.original.text;
        let upto = text.get(line_start..original).unwrap_or_default();
        Ok(upto.chars().count() + 1)
    }
}

impl CutView<'_> {
    fn file(&self, id: FileId) -> Result<&CutFile<'_>, codespan_reporting::files::Error> {
        self.files
            .get(id.0)
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }
}

/// A copy of `text` in which every line longer than [`MAX_LINE`] keeps only a window of that
/// size, placed [`LEAD`] bytes before the first anchor on the line (or at its start).
fn cut_file(text: &str, line_starts: &[usize], anchors: &[usize]) -> (String, Vec<CutLine>) {
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let mut out = String::new();
    let mut lines = Vec::new();
    for (n, &start) in line_starts.iter().enumerate() {
        let end = line_starts.get(n + 1).map_or(text.len(), |e| e - 1);
        let old = start..end.max(start);
        let new_start = out.len();
        let shown = if old.len() <= MAX_LINE {
            old.clone()
        } else {
            let anchor = anchors
                .iter()
                .copied()
                .filter(|a| old.contains(a))
                .min()
                .unwrap_or(start);
            let from = floor(anchor.saturating_sub(LEAD).max(start));
            from..floor((from + MAX_LINE).min(old.end))
        };
        let lead = if shown.start > old.start {
            '…'.len_utf8()
        } else {
            0
        };
        if lead > 0 {
            out.push('…');
        }
        out.push_str(&text[shown.clone()]);
        if shown.end < old.end {
            out.push('…');
        }
        if n + 1 < line_starts.len() {
            out.push('\n');
        }
        lines.push(CutLine {
            old,
            shown,
            new_start,
            lead,
        });
    }
    (out, lines)
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

    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.code.severity() == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// Whether this report stops a build: any error, or any warning when warnings are denied.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.errors() > 0 || (deny_warnings && self.warnings() > 0)
    }

    /// Human-readable rendering without colours (used for snapshots and non-terminals).
    pub fn render_plain(&self) -> String {
        let config = term::Config::default();
        let mut out = String::new();
        for d in &self.diagnostics {
            // The spans always come from the sources, so rendering cannot fail.
            let rendered = match cut_long_lines(&self.sources, d) {
                Some((view, cut)) => {
                    term::emit_to_string(&mut out, &config, &view, &cut.to_codespan())
                }
                None => term::emit_to_string(&mut out, &config, &self.sources, &d.to_codespan()),
            };
            if rendered.is_err() {
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
            let rendered = match cut_long_lines(&self.sources, d) {
                Some((view, cut)) => {
                    term::emit_to_write_style(&mut lock, &config, &view, &cut.to_codespan())
                }
                None => {
                    term::emit_to_write_style(&mut lock, &config, &self.sources, &d.to_codespan())
                }
            };
            if rendered.is_err() {
                eprintln!("error[{}]: {}", d.code.as_str(), d.message);
            }
        }
        eprintln!("{}", self.summary());
    }

    fn summary(&self) -> String {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        match (self.errors(), self.warnings()) {
            (0, 0) => "no problems found".to_owned(),
            (0, w) => format!("warning: {}", plural(w, "warning")),
            (e, 0) => format!("error: {}; nothing was generated", plural(e, "error")),
            (e, w) => format!(
                "error: {} and {}; nothing was generated",
                plural(e, "error"),
                plural(w, "warning")
            ),
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
                    "severity": match d.code.severity() {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    },
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
        serde_json::json!({
            "diagnostics": items,
            "count": self.diagnostics.len(),
            "errors": self.errors(),
            "warnings": self.warnings(),
        })
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
