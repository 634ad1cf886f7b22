//! The mapping language as written: YAML nodes decoded into raw structs that keep the span of
//! every value. Decoding reports unknown keys (with suggestions), missing keys and values of the
//! wrong kind; it never stops at the first problem. Meaning is checked later, in `check`.

use crate::diagnostics::{Code, Diagnostic, help_for_name, suggest};
use crate::source::{Span, Spanned};
use crate::yaml::{Node, NodeKind};

pub type Str = Spanned<String>;

// ---------------------------------------------------------------------------------------------
// Unified models: mappings/unified/<model>.yaml

#[derive(Debug, Clone)]
pub struct ModelFile {
    pub model: Str,
    pub prefix: Option<Str>,
    pub title: Option<Str>,
    pub description: Option<Str>,
    pub resources: Vec<(Str, UnifiedResource)>,
}

#[derive(Debug, Clone)]
pub struct UnifiedResource {
    pub singular: Str,
    pub description: Option<Str>,
    pub fields: Vec<(Str, FieldSpec)>,
    pub methods: Vec<(Str, UnifiedMethod)>,
}

/// A typed field: of a unified resource, a query parameter, or an object's member.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub ty: Str,
    pub items: Option<Box<FieldSpec>>,
    pub values: Vec<Str>,
    pub fields: Vec<(Str, FieldSpec)>,
    /// The generated type's name, for objects.
    pub name: Option<Str>,
    pub required: bool,
    pub read_only: bool,
    pub write_only: bool,
    pub on_request: bool,
    pub description: Option<Str>,
    /// A native method's parameter filled from the account when not given (`credentials.<name>`).
    pub default: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct UnifiedMethod {
    pub description: Option<Str>,
    pub query: Vec<(Str, FieldSpec)>,
    /// Writable fields: `name: required | optional`.
    pub body: Vec<(Str, Str)>,
    /// For custom methods: `record`, `records` or `nothing`.
    pub returns: Option<Str>,
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
    pub auth: Option<Section>,
    pub headers: Vec<(Str, Str)>,
    pub pagination: Option<Section>,
    pub rate_limit: Option<RateLimit>,
    pub errors: Option<Errors>,
    pub datetime: Option<Datetime>,
    /// The provider's name in MCP tool names (default: `provider`).
    pub tool_prefix: Option<Str>,
    /// Where a native method's answer is in a response body (default: the whole body).
    pub result: Option<Str>,
    /// Paths redacted wherever they appear in any record of the provider (`channel.password`
    /// in a channel embedded in a ticket, a message, …).
    pub redact: Vec<Str>,
}

#[derive(Debug, Clone)]
pub struct Credential {
    pub secret: bool,
    /// Needed only by some of the `one_of` auth options: an account may leave it out.
    pub optional: bool,
    pub default: Option<Str>,
    pub description: Option<Str>,
    /// The values an account may give, each standing for a text templates see (a region and
    /// its host suffix).
    pub values: Vec<(Str, Str)>,
}

/// A section whose keys depend on its `kind` (auth, pagination). Keys were checked against the
/// kind's set; values stay as nodes for the checker to read.
#[derive(Debug, Clone)]
pub struct Section {
    pub kind: Str,
    pub entries: Vec<(Str, Node)>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone)]
pub struct RateLimit {
    pub requests: Spanned<i64>,
    pub per: Str,
}

#[derive(Debug, Clone)]
pub struct Errors {
    /// Path of the message in error bodies.
    pub message: Option<Str>,
    /// Path of the field errors in error bodies (default `errors`).
    pub fields: Option<Str>,
    /// Errors reported inside a 2xx body.
    pub in_body: Option<InBodyErrors>,
    /// Provider statuses mapped to error kinds: `409: validation`.
    pub status: Vec<(Str, Str)>,
}

#[derive(Debug, Clone)]
pub struct InBodyErrors {
    pub path: Str,
    pub success: Vec<Str>,
    pub message: Option<Str>,
    /// Codes mapped to error kinds (`1004: not_found`); others are `remote`.
    pub codes: Vec<(Str, Str)>,
    pub span: Span,
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
    /// The unified resource it maps; `None` for a native resource (proxy methods only).
    pub unified: Option<Str>,
    /// A native resource's name for one record (default: `resource` without its final `s`).
    pub singular: Option<Str>,
    /// Paths of the provider record whose values never leave Switchboard.
    pub redact: Vec<Str>,
    pub methods: Vec<(Str, Method)>,
    pub fields: Vec<(Str, FieldMapping)>,
}

#[derive(Debug, Clone)]
pub struct Method {
    pub description: Option<Str>,
    pub http_method: Str,
    pub path: Str,
    pub query: Vec<(Str, RequestValue)>,
    pub headers: Vec<(Str, Str)>,
    pub body: Option<(Span, Vec<(Str, RequestValue)>)>,
    pub records: Option<Str>,
    pub record: Option<Str>,
    /// `pagination: none` turns the provider's pagination off for this method.
    pub pagination: Option<Str>,
    pub examples: Vec<Str>,
    pub provenance: Option<Provenance>,
    /// Response field mappings for this method only, replacing the resource's.
    pub fields: Vec<(Str, FieldMapping)>,
    /// An explicit MCP tool name.
    pub tool: Option<Str>,
    /// Declared safe to send twice (a write the runtime may retry after a transient failure).
    pub retry_safe: Option<Spanned<bool>>,
    /// `static: <file>`: a list answered with the file's records, without a request (a
    /// provider's fixed set of statuses, for instance).
    pub fixed: Option<Str>,
    /// `response.distinct: true`: records with the same unified id are listed once.
    pub distinct: Option<Spanned<bool>>,
    /// A native method's parameters (field syntax).
    pub params: Vec<(Str, FieldSpec)>,
    /// `response.binary: true`: a native method whose answer is a file, streamed.
    pub binary: Option<Spanned<bool>>,
    /// The span of the method's key, for diagnostics about the method as a whole.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Provenance {
    pub kind: Str,
    pub source: Option<Str>,
    pub note: Option<Str>,
}

/// A value in a request's query or body.
#[derive(Debug, Clone)]
pub enum RequestValue {
    /// A template such as `"{{ query.status }}"`: a string.
    Template(Str),
    /// A variable (`body.contact.id`), typed with `as` or mapped with `enum`.
    From {
        from: Str,
        as_type: Option<Str>,
        cases: Vec<(Str, Str)>,
    },
    /// A nested JSON object.
    Object(Vec<(Str, RequestValue)>),
    /// A JSON array of values (Talkdesk's `notes: [{…}]`).
    List(Vec<RequestValue>),
    /// `{json_text: <value>}`: the value sent as a string of its JSON (Puzzel's e-task `data`).
    JsonText(Box<RequestValue>),
}

#[derive(Debug, Clone)]
pub enum FieldMapping {
    /// A JMESPath expression, converted to the unified field's type.
    Expr(Str),
    /// A constant.
    Const(Str),
    /// A parameter of the call (`query.ticket_id`): for what the provider's record leaves out.
    Param(Str),
    /// The text of several expressions joined by `separator` (a derived id).
    Join {
        parts: Vec<Str>,
        separator: Option<Str>,
        span: Span,
    },
    /// `from` with an enum map or date formats; `span` is the `enum` or `format` key.
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
    /// An object, member by member.
    Object(Vec<(Str, FieldMapping)>, Span),
    /// A list of objects, one per entry (`- fields: {…}`), each relative to the same record;
    /// an entry whose required members have no value is left out.
    Objects(Vec<(Vec<(Str, FieldMapping)>, Span)>),
    /// A list of objects: `fields` evaluated on each element of `each`.
    Each {
        each: Str,
        fields: Vec<(Str, FieldMapping)>,
    },
}

#[derive(Debug, Clone)]
pub struct ReferenceMapping {
    pub id: Str,
    pub name: Option<Str>,
}

// ---------------------------------------------------------------------------------------------
// Overrides: mappings/overrides/<name>.yaml

#[derive(Debug, Clone)]
pub struct OverrideFile {
    pub name: Str,
    pub provider: Str,
    pub resources: Vec<(Str, Vec<(Str, FieldMapping)>)>,
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Which kind of mapping file a path holds, from its place under the mappings root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Model,
    Provider,
    Resource,
    Override,
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
            name != key && suggest(name, [key]).is_some()
        })
    }

    fn anchor(&self) -> Span {
        self.entries.first().map_or(self.node.span, |(k, _)| k.span)
    }
}

pub const AUTH_KINDS: &[(&str, &[&str])] = &[
    ("none", &[]),
    ("bearer", &["token"]),
    ("basic", &["username", "password"]),
    ("api_key", &["name", "in", "value"]),
    (
        "oauth2_client_credentials",
        &["token_url", "client_id", "client_secret", "scopes"],
    ),
    ("login", &["url", "body", "token", "expires_in", "scheme"]),
    ("one_of", &["options"]),
];

pub const PAGINATION_KINDS: &[(&str, &[&str])] = &[
    (
        "page_number",
        &[
            "param",
            "first_page",
            "size_param",
            "page_size",
            "next_link",
            "last_page",
            "stop_on_empty_page",
        ],
    ),
    (
        "offset_limit",
        &[
            "offset_param",
            "limit_param",
            "limit",
            "total",
            "stop_on_short_page",
        ],
    ),
    ("cursor", &["param", "cursor", "cursor_header", "has_more"]),
    ("link_header", &[]),
    ("next_url", &["next"]),
    ("hal", &["next"]),
];

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

    pub fn opt_string(&mut self, e: &Entries<'_>, key: &str) -> Option<Str> {
        e.get(key).and_then(|n| self.string(n, &format!("`{key}`")))
    }

    pub fn req_string(&mut self, e: &Entries<'_>, key: &str, what: &str) -> Option<Str> {
        self.required(e, key, what)
            .and_then(|n| self.string(n, &format!("`{key}`")))
    }

    pub fn node_bool(&mut self, node: &Node, key: &str) -> Option<Spanned<bool>> {
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

    pub fn boolean(&mut self, e: &Entries<'_>, key: &str) -> Option<Spanned<bool>> {
        let node = e.get(key)?;
        self.node_bool(node, key)
    }

    pub fn node_integer(&mut self, node: &Node, key: &str) -> Option<Spanned<i64>> {
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

    /// `name: value` pairs whose values are strings.
    fn string_map(&mut self, node: &Node, what: &str) -> Vec<(Str, Str)> {
        let mut out = Vec::new();
        for (name, value) in self.named(node, what) {
            if let Some(v) = self.string(value, &format!("`{}`", name.value)) {
                out.push((name, v));
            }
        }
        out
    }

    /// A section whose allowed keys depend on its `kind`.
    pub fn section(
        &mut self,
        node: &Node,
        what: &str,
        kinds: &[(&str, &[&str])],
        common: &[&str],
        unknown_kind: Code,
    ) -> Option<Section> {
        let NodeKind::Map(entries) = &node.kind else {
            self.object(node, what, &["kind"]);
            return None;
        };
        let kind_node = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("kind"))
            .map(|(_, v)| v);
        let Some(kind) = kind_node.and_then(|n| self.string(n, "`kind`")) else {
            if kind_node.is_none() {
                let at = entries.first().map_or(node.span, |(k, _)| k.span);
                let names: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
                self.error(
                    Diagnostic::new(Code::MissingKey, at, format!("{what} has no `kind`"))
                        .with_label(format!("`kind` is required in {what}"))
                        .with_help(format!("add `kind:` with one of: {}", names.join(", "))),
                );
            }
            return None;
        };
        let Some((_, keys)) = kinds.iter().find(|(k, _)| *k == kind.value) else {
            self.error(
                Diagnostic::new(
                    unknown_kind,
                    kind.span,
                    format!("unknown {what} kind `{}`", kind.value),
                )
                .with_label("not a kind the runtime knows")
                .with_help(help_for_name(
                    &kind.value,
                    kinds.iter().map(|(k, _)| *k),
                    "kind",
                )),
            );
            return None;
        };
        let mut allowed = vec!["kind"];
        allowed.extend(common.iter().copied());
        allowed.extend(keys.iter().copied());
        let e = self.object(node, &format!("{what} of kind `{}`", kind.value), &allowed)?;
        let entries = e
            .entries
            .iter()
            .filter(|(k, _)| {
                k.as_str() != Some("kind") && allowed.contains(&k.as_str().unwrap_or_default())
            })
            .map(|(k, v)| {
                (
                    Spanned::new(k.as_str().unwrap_or_default().to_owned(), k.span),
                    v.clone(),
                )
            })
            .collect();
        Some(Section { kind, entries })
    }

    // -----------------------------------------------------------------------------------------
    // Unified models

    pub fn model_file(&mut self, root: &Node) -> Option<ModelFile> {
        let what = "a unified model file";
        let e = self.object(
            root,
            what,
            &["model", "prefix", "title", "description", "resources"],
        )?;
        let model = self.req_string(&e, "model", what);
        let prefix = self.opt_string(&e, "prefix");
        let title = self.opt_string(&e, "title");
        let description = self.opt_string(&e, "description");
        let mut resources = Vec::new();
        if let Some(node) = self.required(&e, "resources", what) {
            for (name, node) in self.named(node, "`resources`") {
                if let Some(r) = self.unified_resource(node) {
                    resources.push((name, r));
                }
            }
        }
        Some(ModelFile {
            model: model?,
            prefix,
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
        let description = self.opt_string(&e, "description");
        let fields = match self.required(&e, "fields", what) {
            Some(node) => self.field_specs(node, "`fields`"),
            None => Vec::new(),
        };
        let mut methods = Vec::new();
        if let Some(node) = e.get("methods") {
            for (name, node) in self.named(node, "`methods`") {
                if let Some(m) = self.unified_method(node) {
                    methods.push((name, m));
                }
            }
        }
        Some(UnifiedResource {
            singular: singular?,
            description,
            fields,
            methods,
        })
    }

    fn field_specs(&mut self, node: &Node, what: &str) -> Vec<(Str, FieldSpec)> {
        let mut out = Vec::new();
        for (name, node) in self.named(node, what) {
            if let Some(f) = self.field_spec(node) {
                out.push((name, f));
            }
        }
        out
    }

    fn field_spec(&mut self, node: &Node) -> Option<FieldSpec> {
        let what = "a field";
        // `items: string` is short for `items: { type: string }`.
        if let NodeKind::Scalar { .. } = node.kind {
            let ty = self.string(node, "a type")?;
            return Some(FieldSpec {
                ty,
                items: None,
                values: Vec::new(),
                fields: Vec::new(),
                name: None,
                required: false,
                read_only: false,
                write_only: false,
                on_request: false,
                description: None,
                default: None,
            });
        }
        let e = self.object(
            node,
            what,
            &[
                "type",
                "items",
                "values",
                "fields",
                "name",
                "required",
                "read_only",
                "write_only",
                "on_request",
                "description",
                "default",
            ],
        )?;
        let ty = self.req_string(&e, "type", what);
        let items = e
            .get("items")
            .and_then(|n| self.field_spec(n))
            .map(Box::new);
        let values = e
            .get("values")
            .map(|n| self.string_list(n, "`values`"))
            .unwrap_or_default();
        let fields = e
            .get("fields")
            .map(|n| self.field_specs(n, "`fields`"))
            .unwrap_or_default();
        Some(FieldSpec {
            ty: ty?,
            items,
            values,
            fields,
            name: self.opt_string(&e, "name"),
            required: self.boolean(&e, "required").is_some_and(|b| b.value),
            read_only: self.boolean(&e, "read_only").is_some_and(|b| b.value),
            write_only: self.boolean(&e, "write_only").is_some_and(|b| b.value),
            on_request: self.boolean(&e, "on_request").is_some_and(|b| b.value),
            description: self.opt_string(&e, "description"),
            default: self.opt_string(&e, "default"),
        })
    }

    fn unified_method(&mut self, node: &Node) -> Option<UnifiedMethod> {
        if let NodeKind::Null = node.kind {
            return Some(UnifiedMethod {
                description: None,
                query: Vec::new(),
                body: Vec::new(),
                returns: None,
            });
        }
        let e = self.object(
            node,
            "a unified method",
            &["description", "query", "body", "returns"],
        )?;
        Some(UnifiedMethod {
            description: self.opt_string(&e, "description"),
            query: e
                .get("query")
                .map(|n| self.field_specs(n, "`query`"))
                .unwrap_or_default(),
            body: e
                .get("body")
                .map(|n| self.string_map(n, "`body`"))
                .unwrap_or_default(),
            returns: self.opt_string(&e, "returns"),
        })
    }

    // -----------------------------------------------------------------------------------------
    // Providers

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
                "rate_limit",
                "errors",
                "datetime",
                "tool_prefix",
                "result",
                "redact",
            ],
        )?;
        let provider = self.req_string(&e, "provider", what);
        let base_url = self.req_string(&e, "base_url", what);
        let mut credentials = Vec::new();
        if let Some(node) = e.get("credentials") {
            for (name, node) in self.named(node, "`credentials`") {
                if let Some(c) = self.object(
                    node,
                    "a credential",
                    &["secret", "optional", "default", "description", "values"],
                ) {
                    credentials.push((
                        name,
                        Credential {
                            secret: self.boolean(&c, "secret").is_some_and(|b| b.value),
                            optional: self.boolean(&c, "optional").is_some_and(|b| b.value),
                            default: self.opt_string(&c, "default"),
                            description: self.opt_string(&c, "description"),
                            values: c
                                .get("values")
                                .map(|n| self.string_map(n, "`values`"))
                                .unwrap_or_default(),
                        },
                    ));
                }
            }
        }
        let auth = e
            .get("auth")
            .and_then(|n| self.section(n, "`auth`", AUTH_KINDS, &[], Code::UnknownAuthKind));
        let headers = e
            .get("headers")
            .map(|n| self.string_map(n, "`headers`"))
            .unwrap_or_default();
        let pagination = e.get("pagination").and_then(|n| {
            self.section(
                n,
                "`pagination`",
                PAGINATION_KINDS,
                &["max_pages"],
                Code::UnknownPaginationKind,
            )
        });
        let rate_limit = e.get("rate_limit").and_then(|n| {
            let r = self.object(n, "`rate_limit`", &["requests", "per"])?;
            let requests = self
                .required(&r, "requests", "`rate_limit`")
                .and_then(|n| self.node_integer(n, "requests"));
            let per = self.req_string(&r, "per", "`rate_limit`");
            Some(RateLimit {
                requests: requests?,
                per: per?,
            })
        });
        let errors = e.get("errors").and_then(|n| self.errors(n));
        let datetime = e.get("datetime").and_then(|n| {
            let d = self.object(n, "`datetime`", &["formats", "timezone"])?;
            Some(Datetime {
                formats: d
                    .get("formats")
                    .map(|n| self.string_list(n, "`formats`"))
                    .unwrap_or_default(),
                timezone: self.opt_string(&d, "timezone"),
            })
        });
        Some(ProviderFile {
            provider: provider?,
            title: self.opt_string(&e, "title"),
            docs_url: self.opt_string(&e, "docs_url"),
            base_url: base_url?,
            credentials,
            auth,
            headers,
            pagination,
            rate_limit,
            errors,
            datetime,
            tool_prefix: self.opt_string(&e, "tool_prefix"),
            result: self.opt_string(&e, "result"),
            redact: e
                .get("redact")
                .map(|n| self.string_list(n, "`redact`"))
                .unwrap_or_default(),
        })
    }

    fn errors(&mut self, node: &Node) -> Option<Errors> {
        let e = self.object(
            node,
            "`errors`",
            &["message", "fields", "in_body", "status"],
        )?;
        let in_body = e.get("in_body").and_then(|n| {
            let b = self.object(n, "`in_body`", &["path", "success", "message", "codes"])?;
            let path = self.req_string(&b, "path", "`in_body`");
            let success = match self.required(&b, "success", "`in_body`") {
                Some(n) => self.string_list(n, "`success`"),
                None => Vec::new(),
            };
            Some(InBodyErrors {
                path: path?,
                success,
                message: self.opt_string(&b, "message"),
                codes: b
                    .get("codes")
                    .map(|n| self.string_map(n, "`codes`"))
                    .unwrap_or_default(),
                span: n.span,
            })
        });
        Some(Errors {
            message: self.opt_string(&e, "message"),
            fields: self.opt_string(&e, "fields"),
            in_body,
            status: e
                .get("status")
                .map(|n| self.string_map(n, "`status`"))
                .unwrap_or_default(),
        })
    }

    // -----------------------------------------------------------------------------------------
    // Provider resources

    pub fn resource_file(&mut self, root: &Node) -> Option<ResourceFile> {
        let what = "a provider resource file";
        let e = self.object(
            root,
            what,
            &[
                "resource", "unified", "singular", "redact", "methods", "fields",
            ],
        )?;
        let resource = self.req_string(&e, "resource", what);
        let unified = self.opt_string(&e, "unified");
        let mut methods = Vec::new();
        if let Some(node) = self.required(&e, "methods", what) {
            for (name, node) in self.named(node, "`methods`") {
                if let Some(m) = self.method(node, name.span) {
                    methods.push((name, m));
                }
            }
        }
        let fields = e
            .get("fields")
            .map(|n| self.field_mappings(n))
            .unwrap_or_default();
        let redact = e
            .get("redact")
            .map(|n| self.string_list(n, "`redact`"))
            .unwrap_or_default();
        Some(ResourceFile {
            resource: resource?,
            unified,
            singular: self.opt_string(&e, "singular"),
            redact,
            methods,
            fields,
        })
    }

    fn method(&mut self, node: &Node, span: Span) -> Option<Method> {
        let what = "a method";
        let e = self.object(
            node,
            what,
            &[
                "description",
                "request",
                "response",
                "pagination",
                "examples",
                "provenance",
                "fields",
                "tool",
                "static",
                "query",
            ],
        )?;
        let fixed = self.opt_string(&e, "static");
        let request_node = match (&fixed, e.get("request")) {
            (Some(f), Some(_)) => {
                self.error(
                    Diagnostic::new(
                        Code::StaticMethod,
                        f.span,
                        "a method has either `request` or `static`, not both",
                    )
                    .with_label("records served without a request")
                    .with_help("remove `static` to call the provider, or `request` to serve the file's records"),
                );
                None
            }
            (Some(_), None) => None,
            (None, _) => self.required(&e, "request", what),
        };
        let request = request_node.and_then(|n| {
            self.object(
                n,
                "`request`",
                &["method", "path", "query", "headers", "body", "retry_safe"],
            )
        });
        let retry_safe = request
            .as_ref()
            .and_then(|r| r.get("retry_safe"))
            .and_then(|n| self.node_bool(n, "retry_safe"));
        let (http_method, path, query, headers, body) = match &request {
            Some(r) => (
                self.req_string(r, "method", "`request`"),
                self.req_string(r, "path", "`request`"),
                r.get("query")
                    .map(|n| self.request_values(n, "`query`"))
                    .unwrap_or_default(),
                r.get("headers")
                    .map(|n| self.string_map(n, "`headers`"))
                    .unwrap_or_default(),
                r.get("body").map(|n| {
                    (
                        r.key_span("body").unwrap_or(n.span),
                        self.request_values(n, "`body`"),
                    )
                }),
            ),
            // A static method sends nothing: it is a GET of no path.
            None => match &fixed {
                Some(f) => (
                    Some(Str::new("GET".into(), f.span)),
                    Some(Str::new(String::new(), f.span)),
                    Vec::new(),
                    Vec::new(),
                    None,
                ),
                None => (None, None, Vec::new(), Vec::new(), None),
            },
        };
        let response = e.get("response").and_then(|n| {
            self.object(
                n,
                "`response`",
                &["records", "record", "distinct", "binary"],
            )
        });
        let (records, record) = match &response {
            Some(r) => (self.opt_string(r, "records"), self.opt_string(r, "record")),
            None => (None, None),
        };
        let distinct = response
            .as_ref()
            .and_then(|r| r.get("distinct"))
            .and_then(|n| self.node_bool(n, "distinct"));
        let binary = response
            .as_ref()
            .and_then(|r| r.get("binary"))
            .and_then(|n| self.node_bool(n, "binary"));
        let provenance = e.get("provenance").and_then(|n| {
            let p = self.object(n, "`provenance`", &["kind", "source", "note"])?;
            Some(Provenance {
                kind: self.req_string(&p, "kind", "`provenance`")?,
                source: self.opt_string(&p, "source"),
                note: self.opt_string(&p, "note"),
            })
        });
        Some(Method {
            description: self.opt_string(&e, "description"),
            http_method: http_method?,
            path: path?,
            query,
            headers,
            body,
            records,
            record,
            pagination: self.opt_string(&e, "pagination"),
            examples: e
                .get("examples")
                .map(|n| self.string_list(n, "`examples`"))
                .unwrap_or_default(),
            provenance,
            fields: e
                .get("fields")
                .map(|n| self.field_mappings(n))
                .unwrap_or_default(),
            tool: self.opt_string(&e, "tool"),
            retry_safe,
            fixed,
            distinct,
            params: e
                .get("query")
                .map(|n| self.field_specs(n, "`query`"))
                .unwrap_or_default(),
            binary,
            span,
        })
    }

    fn request_values(&mut self, node: &Node, what: &str) -> Vec<(Str, RequestValue)> {
        let mut out = Vec::new();
        for (name, value) in self.named(node, what) {
            if let Some(v) = self.request_value(value) {
                out.push((name, v));
            }
        }
        out
    }

    fn request_value(&mut self, node: &Node) -> Option<RequestValue> {
        match &node.kind {
            NodeKind::Map(entries) if entries.iter().any(|(k, _)| k.as_str() == Some("from")) => {
                let e = self.object(node, "a request value", &["from", "as", "enum"])?;
                let from = self.req_string(&e, "from", "a request value")?;
                let cases = e
                    .get("enum")
                    .map(|n| self.string_map(n, "`enum`"))
                    .unwrap_or_default();
                Some(RequestValue::From {
                    from,
                    as_type: self.opt_string(&e, "as"),
                    cases,
                })
            }
            NodeKind::Map(entries)
                if entries.len() == 1 && entries[0].0.as_str() == Some("json_text") =>
            {
                Some(RequestValue::JsonText(Box::new(
                    self.request_value(&entries[0].1)?,
                )))
            }
            NodeKind::Map(_) => Some(RequestValue::Object(
                self.request_values(node, "a request object"),
            )),
            NodeKind::Seq(items) => Some(RequestValue::List(
                items.iter().filter_map(|i| self.request_value(i)).collect(),
            )),
            _ => self
                .string(node, "a request value")
                .map(RequestValue::Template),
        }
    }

    pub fn field_mappings(&mut self, node: &Node) -> Vec<(Str, FieldMapping)> {
        let mut out = Vec::new();
        for (name, node) in self.named(node, "`fields`") {
            if let Some(f) = self.field_mapping(node) {
                out.push((name, f));
            }
        }
        out
    }

    fn field_mapping(&mut self, node: &Node) -> Option<FieldMapping> {
        let has = |key: &str| match &node.kind {
            NodeKind::Map(entries) => entries.iter().any(|(k, _)| k.as_str() == Some(key)),
            _ => false,
        };
        match &node.kind {
            NodeKind::Scalar { .. } => self.string(node, "a field mapping").map(FieldMapping::Expr),
            NodeKind::Seq(items)
                if items.iter().any(|i| match &i.kind {
                    NodeKind::Map(entries) => {
                        entries.iter().any(|(k, _)| k.as_str() == Some("fields"))
                    }
                    _ => false,
                }) =>
            {
                Some(FieldMapping::Objects(
                    items
                        .iter()
                        .filter_map(|i| {
                            let e = self.object(i, "an object of a list", &["fields"])?;
                            let fields = self.required(&e, "fields", "an object of a list")?;
                            Some((self.field_mappings(fields), i.span))
                        })
                        .collect(),
                ))
            }
            NodeKind::Seq(items) => Some(FieldMapping::References(
                items.iter().filter_map(|i| self.reference(i)).collect(),
            )),
            NodeKind::Map(_) if has("id") => self.reference(node).map(FieldMapping::Reference),
            NodeKind::Map(_) if has("join") => {
                let e = self.object(node, "a joined value", &["join", "separator"])?;
                let parts = self
                    .required(&e, "join", "a joined value")
                    .map(|n| self.string_list(n, "`join`"))?;
                Some(FieldMapping::Join {
                    parts,
                    separator: self.opt_string(&e, "separator"),
                    span: node.span,
                })
            }
            NodeKind::Map(_) if has("param") => {
                let e = self.object(node, "a call parameter", &["param"])?;
                self.req_string(&e, "param", "a call parameter")
                    .map(FieldMapping::Param)
            }
            NodeKind::Map(_) if has("const") => {
                let e = self.object(node, "a constant", &["const"])?;
                self.req_string(&e, "const", "a constant")
                    .map(FieldMapping::Const)
            }
            NodeKind::Map(_) if has("each") => {
                let e = self.object(node, "a list of objects", &["each", "fields"])?;
                let each = self.req_string(&e, "each", "a list of objects");
                let fields = match self.required(&e, "fields", "a list of objects") {
                    Some(n) => self.field_mappings(n),
                    None => Vec::new(),
                };
                Some(FieldMapping::Each {
                    each: each?,
                    fields,
                })
            }
            NodeKind::Map(_) if has("fields") => {
                let e = self.object(node, "an object mapping", &["fields"])?;
                let span = e.key_span("fields").unwrap_or(node.span);
                let fields = e
                    .get("fields")
                    .map(|n| self.field_mappings(n))
                    .unwrap_or_default();
                Some(FieldMapping::Object(fields, span))
            }
            NodeKind::Map(_) => {
                let what = "a field mapping";
                let e = self.object(node, what, &["from", "enum", "fallback", "format"])?;
                let from = self.req_string(&e, "from", what);
                let cases = e
                    .get("enum")
                    .map(|n| self.string_map(n, "`enum`"))
                    .unwrap_or_default();
                let formats = e
                    .get("format")
                    .map(|n| self.string_list(n, "`format`"))
                    .unwrap_or_default();
                let span = e
                    .key_span("enum")
                    .or_else(|| e.key_span("format"))
                    .unwrap_or(node.span);
                Some(FieldMapping::From {
                    from: from?,
                    cases,
                    fallback: self.opt_string(&e, "fallback"),
                    formats,
                    span,
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
            name: self.opt_string(&e, "name"),
        })
    }

    // -----------------------------------------------------------------------------------------
    // Overrides

    pub fn override_file(&mut self, root: &Node) -> Option<OverrideFile> {
        let what = "an override file";
        let e = self.object(root, what, &["override", "provider", "resources"])?;
        let name = self.req_string(&e, "override", what);
        let provider = self.req_string(&e, "provider", what);
        let mut resources = Vec::new();
        if let Some(node) = self.required(&e, "resources", what) {
            for (resource, node) in self.named(node, "`resources`") {
                let Some(r) = self.object(node, "a resource override", &["fields"]) else {
                    continue;
                };
                let fields = match self.required(&r, "fields", "a resource override") {
                    Some(n) => self.field_mappings(n),
                    None => Vec::new(),
                };
                resources.push((resource, fields));
            }
        }
        Some(OverrideFile {
            name: name?,
            provider: provider?,
            resources,
        })
    }
}
