//! The mapping language as written: YAML nodes decoded into raw structs that keep the span of
//! every value. Decoding reports unknown keys (with suggestions), missing keys and values of the
//! wrong kind; it never stops at the first problem. Meaning is checked later, in `check`.

use crate::diagnostics::{Code, Diagnostic, help_for_name};
use crate::source::{Span, Spanned};
use crate::yaml::{Node, NodeKind};

pub type Str = Spanned<String>;

// ---------------------------------------------------------------------------------------------
// Unified models: mappings/unified/<model>.yaml

#[derive(Debug, Clone)]
pub struct ModelFile {
    pub model: Str,
    pub title: Option<Str>,
    pub description: Option<Str>,
    pub resources: Vec<(Str, UnifiedResource)>,
}

#[derive(Debug, Clone)]
pub struct UnifiedResource {
    pub singular: Str,
    pub description: Option<Str>,
    pub fields: Vec<(Str, UnifiedField)>,
    pub methods: Vec<(Str, UnifiedMethod)>,
}

#[derive(Debug, Clone)]
pub struct UnifiedField {
    pub ty: Str,
    pub items: Option<Str>,
    pub values: Vec<Str>,
    pub required: bool,
    pub read_only: bool,
    pub description: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct UnifiedMethod {
    pub description: Option<Str>,
}

// ---------------------------------------------------------------------------------------------
// Providers: mappings/providers/<provider>/provider.yaml

#[derive(Debug, Clone)]
pub struct ProviderFile {
    pub provider: Str,
    pub title: Option<Str>,
    pub docs_url: Option<Str>,
    pub base_url: Str,
    pub credentials: Vec<(Str, Credential)>,
    pub auth: Option<Auth>,
    pub headers: Vec<(Str, Str)>,
    pub pagination: Option<Pagination>,
    pub datetime: Option<Datetime>,
}

#[derive(Debug, Clone)]
pub struct Credential {
    pub secret: bool,
    pub default: Option<Str>,
    pub description: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct Auth {
    pub kind: Str,
    pub token: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct Pagination {
    pub kind: Str,
    pub param: Str,
    pub first_page: Option<Spanned<i64>>,
    pub next_link: Option<Str>,
    pub last_page: Option<Str>,
    pub stop_on_empty_page: Option<Spanned<bool>>,
    pub max_pages: Option<Spanned<i64>>,
}

#[derive(Debug, Clone)]
pub struct Datetime {
    pub formats: Vec<Str>,
    pub timezone: Option<Str>,
}

// ---------------------------------------------------------------------------------------------
// Provider resources: mappings/providers/<provider>/<resource>.yaml

#[derive(Debug, Clone)]
pub struct ResourceFile {
    pub resource: Str,
    pub unified: Str,
    pub methods: Vec<(Str, Method)>,
    pub fields: Vec<(Str, FieldMapping)>,
}

#[derive(Debug, Clone)]
pub struct Method {
    pub http_method: Str,
    pub path: Str,
    pub records: Option<Str>,
    pub record: Option<Str>,
    pub examples: Vec<Str>,
    pub provenance: Option<Provenance>,
    /// The span of the method's key, for diagnostics about the method as a whole.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Provenance {
    pub kind: Str,
    pub source: Option<Str>,
    pub note: Option<Str>,
}

#[derive(Debug, Clone)]
pub enum FieldMapping {
    /// A JMESPath expression, converted to the unified field's type.
    Expr(Str),
    /// `from` with an enum map or date formats.
    From {
        from: Str,
        cases: Vec<(Str, Str)>,
        fallback: Option<Str>,
        formats: Vec<Str>,
        span: Span,
    },
    /// A reference `{id, name}` built from two expressions.
    Reference(ReferenceMapping),
    /// A list of references, one per entry, dropped where the id is null.
    References(Vec<ReferenceMapping>),
}

#[derive(Debug, Clone)]
pub struct ReferenceMapping {
    pub id: Str,
    pub name: Option<Str>,
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Which kind of mapping file a path holds, from its place under the mappings root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Model,
    Provider,
    Resource,
}

#[derive(Debug)]
pub struct Decoder<'d> {
    pub diags: &'d mut Vec<Diagnostic>,
}

/// A mapping node whose keys were checked against the allowed set.
#[derive(Debug)]
pub struct Entries<'n> {
    node: &'n Node,
    entries: &'n [(Node, Node)],
}

impl<'n> Entries<'n> {
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The span of a key, if present.
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, _)| k.span)
    }

    /// Whether an unknown key here looks like a misspelling of `key` (already reported).
    fn has_typo_of(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| {
            let name = k.as_str().unwrap_or_default();
            name != key && crate::diagnostics::suggest(name, [key]).is_some()
        })
    }

    fn anchor(&self) -> Span {
        self.entries.first().map_or(self.node.span, |(k, _)| k.span)
    }
}

impl Decoder<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A mapping with a fixed set of keys; unknown keys are reported with a suggestion.
    pub fn object<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Option<Entries<'n>> {
        let NodeKind::Map(entries) = &node.kind else {
            self.error(
                Diagnostic::new(
                    Code::WrongKind,
                    node.span,
                    format!("{what} must be a mapping"),
                )
                .with_label(format!("found {}", node.describe()))
                .with_help(format!(
                    "write {what} as `key: value` lines; allowed keys: {}",
                    allowed.join(", ")
                )),
            );
            return None;
        };
        for (key, _) in entries {
            let name = key.as_str().unwrap_or_default();
            if !allowed.contains(&name) {
                self.error(
                    Diagnostic::new(
                        Code::UnknownKey,
                        key.span,
                        format!("unknown key `{name}` in {what}"),
                    )
                    .with_label("not a key of the mapping language here")
                    .with_help(help_for_name(
                        name,
                        allowed.iter().copied(),
                        "key",
                    )),
                );
            }
        }
        Some(Entries { node, entries })
    }

    /// A mapping of user-chosen names to values.
    pub fn named<'n>(&mut self, node: &'n Node, what: &str) -> Vec<(Str, &'n Node)> {
        match &node.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .map(|(k, v)| {
                    (
                        Spanned::new(k.as_str().unwrap_or_default().to_owned(), k.span),
                        v,
                    )
                })
                .collect(),
            NodeKind::Null => Vec::new(),
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::WrongKind,
                        node.span,
                        format!("{what} must be a mapping of names"),
                    )
                    .with_label(format!("found {}", node.describe()))
                    .with_help("write one `name: ...` entry per line"),
                );
                Vec::new()
            }
        }
    }

    pub fn required<'n>(&mut self, e: &Entries<'n>, key: &str, what: &str) -> Option<&'n Node> {
        let found = e.get(key);
        if found.is_none() && !e.has_typo_of(key) {
            self.error(
                Diagnostic::new(
                    Code::MissingKey,
                    e.anchor(),
                    format!("{what} has no `{key}`"),
                )
                .with_label(format!("`{key}` is required in {what}"))
                .with_help(format!("add `{key}: ...` to {what}")),
            );
        }
        found
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<Str> {
        match &node.kind {
            // The span covers the text itself (inside quotes) when it is written verbatim, so
            // that offsets into the text are offsets into the file.
            NodeKind::Scalar { text, .. } => Some(Spanned::new(
                text.clone(),
                node.text_span().unwrap_or(node.span),
            )),
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::WrongKind,
                        node.span,
                        format!("{what} must be a string"),
                    )
                    .with_label(format!("found {}", node.describe()))
                    .with_help(format!("write {what} as a single value")),
                );
                None
            }
        }
    }

    pub fn opt_string(&mut self, e: &Entries<'_>, key: &str, what: &str) -> Option<Str> {
        e.get(key).and_then(|n| self.string(n, what))
    }

    pub fn req_string(&mut self, e: &Entries<'_>, key: &str, what: &str) -> Option<Str> {
        self.required(e, key, what)
            .and_then(|n| self.string(n, &format!("`{key}`")))
    }

    pub fn boolean(&mut self, e: &Entries<'_>, key: &str) -> Option<Spanned<bool>> {
        let node = e.get(key)?;
        match node.as_str() {
            Some("true") => Some(Spanned::new(true, node.span)),
            Some("false") => Some(Spanned::new(false, node.span)),
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::WrongKind,
                        node.span,
                        format!("`{key}` must be `true` or `false`"),
                    )
                    .with_label(format!("found {}", node.describe()))
                    .with_help(format!("write `{key}: true` or `{key}: false`")),
                );
                None
            }
        }
    }

    pub fn integer(&mut self, e: &Entries<'_>, key: &str) -> Option<Spanned<i64>> {
        let node = e.get(key)?;
        match node.as_str().and_then(|s| s.parse::<i64>().ok()) {
            Some(v) => Some(Spanned::new(v, node.span)),
            None => {
                self.error(
                    Diagnostic::new(
                        Code::WrongKind,
                        node.span,
                        format!("`{key}` must be a whole number"),
                    )
                    .with_label(format!("found {}", node.describe()))
                    .with_help(format!("write `{key}: 1`, for example")),
                );
                None
            }
        }
    }

    pub fn string_list(&mut self, node: &Node, what: &str) -> Vec<Str> {
        match &node.kind {
            NodeKind::Seq(items) => items.iter().filter_map(|i| self.string(i, what)).collect(),
            NodeKind::Scalar { .. } => self.string(node, what).into_iter().collect(),
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::WrongKind,
                        node.span,
                        format!("{what} must be a list of strings"),
                    )
                    .with_label(format!("found {}", node.describe()))
                    .with_help("write `[a, b]` or one `- item` per line"),
                );
                Vec::new()
            }
        }
    }

    // -----------------------------------------------------------------------------------------

    pub fn model_file(&mut self, root: &Node) -> Option<ModelFile> {
        let e = self.object(
            root,
            "a unified model file",
            &["model", "title", "description", "resources"],
        )?;
        let model = self.req_string(&e, "model", "a unified model file");
        let title = self.opt_string(&e, "title", "`title`");
        let description = self.opt_string(&e, "description", "`description`");
        let mut resources = Vec::new();
        if let Some(node) = self.required(&e, "resources", "a unified model file") {
            for (name, node) in self.named(node, "`resources`") {
                if let Some(r) = self.unified_resource(node) {
                    resources.push((name, r));
                }
            }
        }
        Some(ModelFile {
            model: model?,
            title,
            description,
            resources,
        })
    }

    fn unified_resource(&mut self, node: &Node) -> Option<UnifiedResource> {
        let what = "a unified resource";
        let e = self.object(
            node,
            what,
            &["singular", "description", "fields", "methods"],
        )?;
        let singular = self.req_string(&e, "singular", what);
        let description = self.opt_string(&e, "description", "`description`");
        let mut fields = Vec::new();
        if let Some(node) = self.required(&e, "fields", what) {
            for (name, node) in self.named(node, "`fields`") {
                if let Some(f) = self.unified_field(node) {
                    fields.push((name, f));
                }
            }
        }
        let mut methods = Vec::new();
        if let Some(node) = e.get("methods") {
            for (name, node) in self.named(node, "`methods`") {
                let description = match &node.kind {
                    NodeKind::Null => None,
                    _ => self
                        .object(node, "a unified method", &["description"])
                        .and_then(|m| self.opt_string(&m, "description", "`description`")),
                };
                methods.push((name, UnifiedMethod { description }));
            }
        }
        Some(UnifiedResource {
            singular: singular?,
            description,
            fields,
            methods,
        })
    }

    fn unified_field(&mut self, node: &Node) -> Option<UnifiedField> {
        let what = "a unified field";
        let e = self.object(
            node,
            what,
            &[
                "type",
                "items",
                "values",
                "required",
                "read_only",
                "description",
            ],
        )?;
        let ty = self.req_string(&e, "type", what);
        let items = self.opt_string(&e, "items", "`items`");
        let values = e
            .get("values")
            .map(|n| self.string_list(n, "`values`"))
            .unwrap_or_default();
        let required = self.boolean(&e, "required").is_some_and(|b| b.value);
        let read_only = self.boolean(&e, "read_only").is_some_and(|b| b.value);
        let description = self.opt_string(&e, "description", "`description`");
        Some(UnifiedField {
            ty: ty?,
            items,
            values,
            required,
            read_only,
            description,
        })
    }

    // -----------------------------------------------------------------------------------------

    pub fn provider_file(&mut self, root: &Node) -> Option<ProviderFile> {
        let what = "a provider file";
        let e = self.object(
            root,
            what,
            &[
                "provider",
                "title",
                "docs_url",
                "base_url",
                "credentials",
                "auth",
                "headers",
                "pagination",
                "datetime",
            ],
        )?;
        let provider = self.req_string(&e, "provider", what);
        let title = self.opt_string(&e, "title", "`title`");
        let docs_url = self.opt_string(&e, "docs_url", "`docs_url`");
        let base_url = self.req_string(&e, "base_url", what);
        let mut credentials = Vec::new();
        if let Some(node) = e.get("credentials") {
            for (name, node) in self.named(node, "`credentials`") {
                if let Some(c) =
                    self.object(node, "a credential", &["secret", "default", "description"])
                {
                    let secret = self.boolean(&c, "secret").is_some_and(|b| b.value);
                    let default = self.opt_string(&c, "default", "`default`");
                    let description = self.opt_string(&c, "description", "`description`");
                    credentials.push((
                        name,
                        Credential {
                            secret,
                            default,
                            description,
                        },
                    ));
                }
            }
        }
        let auth = e.get("auth").and_then(|n| {
            let a = self.object(n, "`auth`", &["kind", "token"])?;
            Some(Auth {
                kind: self.req_string(&a, "kind", "`auth`")?,
                token: self.opt_string(&a, "token", "`token`"),
            })
        });
        let mut headers = Vec::new();
        if let Some(node) = e.get("headers") {
            for (name, node) in self.named(node, "`headers`") {
                if let Some(v) = self.string(node, "a header value") {
                    headers.push((name, v));
                }
            }
        }
        let pagination = e.get("pagination").and_then(|n| self.pagination(n));
        let datetime = e.get("datetime").and_then(|n| {
            let d = self.object(n, "`datetime`", &["formats", "timezone"])?;
            let formats = d
                .get("formats")
                .map(|n| self.string_list(n, "`formats`"))
                .unwrap_or_default();
            Some(Datetime {
                formats,
                timezone: self.opt_string(&d, "timezone", "`timezone`"),
            })
        });
        Some(ProviderFile {
            provider: provider?,
            title,
            docs_url,
            base_url: base_url?,
            credentials,
            auth,
            headers,
            pagination,
            datetime,
        })
    }

    fn pagination(&mut self, node: &Node) -> Option<Pagination> {
        let what = "`pagination`";
        let e = self.object(
            node,
            what,
            &[
                "kind",
                "param",
                "first_page",
                "next_link",
                "last_page",
                "stop_on_empty_page",
                "max_pages",
            ],
        )?;
        let kind = self.req_string(&e, "kind", what);
        let param = self.req_string(&e, "param", what);
        Some(Pagination {
            kind: kind?,
            param: param?,
            first_page: self.integer(&e, "first_page"),
            next_link: self.opt_string(&e, "next_link", "`next_link`"),
            last_page: self.opt_string(&e, "last_page", "`last_page`"),
            stop_on_empty_page: self.boolean(&e, "stop_on_empty_page"),
            max_pages: self.integer(&e, "max_pages"),
        })
    }

    // -----------------------------------------------------------------------------------------

    pub fn resource_file(&mut self, root: &Node) -> Option<ResourceFile> {
        let what = "a provider resource file";
        let e = self.object(root, what, &["resource", "unified", "methods", "fields"])?;
        let resource = self.req_string(&e, "resource", what);
        let unified = self.req_string(&e, "unified", what);
        let mut methods = Vec::new();
        if let Some(node) = self.required(&e, "methods", what) {
            for (name, node) in self.named(node, "`methods`") {
                if let Some(m) = self.method(node, name.span) {
                    methods.push((name, m));
                }
            }
        }
        let mut fields = Vec::new();
        if let Some(node) = self.required(&e, "fields", what) {
            for (name, node) in self.named(node, "`fields`") {
                if let Some(f) = self.field_mapping(node) {
                    fields.push((name, f));
                }
            }
        }
        Some(ResourceFile {
            resource: resource?,
            unified: unified?,
            methods,
            fields,
        })
    }

    fn method(&mut self, node: &Node, span: Span) -> Option<Method> {
        let what = "a method";
        let e = self.object(
            node,
            what,
            &["request", "response", "examples", "provenance"],
        )?;
        let request = self
            .required(&e, "request", what)
            .and_then(|n| self.object(n, "`request`", &["method", "path"]));
        let (http_method, path) = match &request {
            Some(r) => (
                self.req_string(r, "method", "`request`"),
                self.req_string(r, "path", "`request`"),
            ),
            None => (None, None),
        };
        let response = e
            .get("response")
            .and_then(|n| self.object(n, "`response`", &["records", "record"]));
        let (records, record) = match &response {
            Some(r) => (
                self.opt_string(r, "records", "`records`"),
                self.opt_string(r, "record", "`record`"),
            ),
            None => (None, None),
        };
        let examples = e
            .get("examples")
            .map(|n| self.string_list(n, "`examples`"))
            .unwrap_or_default();
        let provenance = e.get("provenance").and_then(|n| {
            let p = self.object(n, "`provenance`", &["kind", "source", "note"])?;
            Some(Provenance {
                kind: self.req_string(&p, "kind", "`provenance`")?,
                source: self.opt_string(&p, "source", "`source`"),
                note: self.opt_string(&p, "note", "`note`"),
            })
        });
        Some(Method {
            http_method: http_method?,
            path: path?,
            records,
            record,
            examples,
            provenance,
            span,
        })
    }

    fn field_mapping(&mut self, node: &Node) -> Option<FieldMapping> {
        match &node.kind {
            NodeKind::Scalar { .. } => self.string(node, "a field mapping").map(FieldMapping::Expr),
            NodeKind::Seq(items) => Some(FieldMapping::References(
                items.iter().filter_map(|i| self.reference(i)).collect(),
            )),
            NodeKind::Map(entries) if entries.iter().any(|(k, _)| k.as_str() == Some("id")) => {
                self.reference(node).map(FieldMapping::Reference)
            }
            NodeKind::Map(_) => {
                let what = "a field mapping";
                let e = self.object(node, what, &["from", "enum", "fallback", "format"])?;
                let from = self.req_string(&e, "from", what);
                let mut cases = Vec::new();
                if let Some(n) = e.get("enum") {
                    for (raw, target) in self.named(n, "`enum`") {
                        if let Some(t) = self.string(target, "an enum target") {
                            cases.push((raw, t));
                        }
                    }
                }
                let formats = e
                    .get("format")
                    .map(|n| self.string_list(n, "`format`"))
                    .unwrap_or_default();
                Some(FieldMapping::From {
                    from: from?,
                    cases,
                    fallback: self.opt_string(&e, "fallback", "`fallback`"),
                    formats,
                    span: e.key_span("enum").unwrap_or(node.span),
                })
            }
            NodeKind::Null => {
                self.error(
                    Diagnostic::new(
                        Code::WrongKind,
                        node.span,
                        "a field mapping cannot be empty",
                    )
                    .with_label("no mapping given")
                    .with_help(
                        "write a JMESPath expression such as `subject`, or remove the field",
                    ),
                );
                None
            }
        }
    }

    fn reference(&mut self, node: &Node) -> Option<ReferenceMapping> {
        let what = "a reference mapping";
        let e = self.object(node, what, &["id", "name"])?;
        Some(ReferenceMapping {
            id: self.req_string(&e, "id", what)?,
            name: self.opt_string(&e, "name", "`name`"),
        })
    }
}
