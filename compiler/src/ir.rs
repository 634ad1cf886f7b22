//! The resolved model every emitter reads: all names bound, all expressions lowered, each item
//! knowing where it came from. Emitters cannot fail on anything in here.

use crate::expr::Expr;
use crate::template::Template;

/// `path:line` of the YAML an item came from.
pub type Origin = String;

#[derive(Debug, Clone)]
pub struct Ir {
    pub models: Vec<Model>,
    pub providers: Vec<Provider>,
    pub overrides: Vec<Override>,
}

impl Ir {
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The unified resource a provider resource maps to.
    pub fn unified(&self, r: &ProviderResource) -> Option<(&Model, &Resource)> {
        let m = self.model(&r.model)?;
        Some((m, m.resource(&r.unified)?))
    }
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub title: String,
    pub description: String,
    pub origin: Origin,
    pub resources: Vec<Resource>,
}

impl Model {
    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub name: String,
    pub singular: String,
    /// The model's `prefix` of generated names, if it has one.
    pub prefix: Option<String>,
    pub description: String,
    pub origin: Origin,
    pub fields: Vec<Field>,
    pub methods: Vec<UnifiedMethod>,
}

impl Resource {
    /// The stem of generated names for many records (`list_<stem>`, tool names): the name,
    /// after the model's prefix.
    pub fn stem(&self) -> String {
        self.prefixed(&self.name)
    }

    /// The stem of generated names for one record (`get_<stem>`, mappers, schema names).
    pub fn singular_stem(&self) -> String {
        self.prefixed(&self.singular)
    }

    fn prefixed(&self, name: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}_{name}"),
            None => name.to_owned(),
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn method(&self, name: &str) -> Option<&UnifiedMethod> {
        self.methods.iter().find(|m| m.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct UnifiedMethod {
    pub name: String,
    pub kind: MethodKind,
    pub description: String,
    pub query: Vec<Field>,
    pub body: Vec<BodyField>,
    pub returns: Returns,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyField {
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    Record,
    Records,
    Nothing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub required: bool,
    pub read_only: bool,
    pub write_only: bool,
    /// Filled only when the caller asks (`remote_data`): it costs a full parse of each record.
    pub on_request: bool,
    pub description: String,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Datetime,
    Date,
    Enum(Vec<String>),
    Reference,
    List(Box<FieldType>),
    /// An object with its own fields; `name` names its generated type.
    Object {
        name: String,
        fields: Vec<Field>,
    },
    Json,
}

impl FieldType {
    /// "an integer", "a string", …
    pub fn with_article(&self) -> String {
        let d = self.describe();
        let article = if d.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {d}")
    }

    pub fn describe(&self) -> String {
        match self {
            FieldType::String => "string".into(),
            FieldType::Integer => "integer".into(),
            FieldType::Number => "number".into(),
            FieldType::Boolean => "boolean".into(),
            FieldType::Datetime => "datetime".into(),
            FieldType::Date => "date".into(),
            FieldType::Enum(_) => "enum".into(),
            FieldType::Reference => "reference".into(),
            FieldType::List(inner) => format!("list of {}", inner.describe()),
            FieldType::Object { .. } => "object".into(),
            FieldType::Json => "json".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MethodKind {
    List,
    Get,
    Create,
    Update,
    Delete,
    /// Any other name: an action on a record (`close`, `assign`, ...).
    Custom,
}

impl MethodKind {
    pub const STANDARD: &'static [MethodKind] = &[
        MethodKind::List,
        MethodKind::Get,
        MethodKind::Create,
        MethodKind::Update,
        MethodKind::Delete,
    ];

    pub fn of(name: &str) -> MethodKind {
        Self::STANDARD
            .iter()
            .copied()
            .find(|m| m.as_str() == name)
            .unwrap_or(MethodKind::Custom)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::List => "list",
            MethodKind::Get => "get",
            MethodKind::Create => "create",
            MethodKind::Update => "update",
            MethodKind::Delete => "delete",
            MethodKind::Custom => "custom",
        }
    }

    /// Whether the method acts on one record, named by `{{ id }}` in its path.
    pub fn takes_id(self) -> bool {
        matches!(
            self,
            MethodKind::Get | MethodKind::Update | MethodKind::Delete
        )
    }
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    pub title: String,
    pub docs_url: Option<String>,
    pub origin: Origin,
    pub base_url: Template,
    pub credentials: Vec<Credential>,
    pub auth: Auth,
    pub headers: Vec<(String, Template)>,
    pub pagination: Option<Pagination>,
    pub rate_limit: Option<RateLimit>,
    pub errors: ErrorRules,
    pub datetime: DatetimeConfig,
    /// The provider's name in MCP tool names (its `tool_prefix`, or its name).
    pub tool_prefix: String,
    pub resources: Vec<ProviderResource>,
}

impl Provider {
    /// The zone a record is read in when no account is connected: the literal zone, the
    /// credential's default, or UTC.
    pub fn default_timezone(&self) -> String {
        let t = &self.datetime.timezone;
        if t.is_literal() {
            return t.display();
        }
        let credential = match t.pieces.as_slice() {
            [crate::template::Piece::Var(v, _)] => match v.as_slice() {
                [scope, name] if scope == "credentials" => {
                    self.credentials.iter().find(|c| &c.name == name)
                }
                _ => None,
            },
            _ => None,
        };
        credential
            .and_then(|c| c.default.clone())
            .unwrap_or_else(|| "UTC".to_owned())
    }
}

#[derive(Debug, Clone)]
pub struct Credential {
    pub name: String,
    pub secret: bool,
    /// Needed only by some `one_of` auth options: an account may leave it out.
    pub optional: bool,
    pub default: Option<String>,
    pub description: String,
    /// The values an account may give and the text each stands for in templates (empty: any
    /// value, as given).
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer {
        token: Template,
    },
    Basic {
        username: Template,
        password: Template,
    },
    ApiKey {
        name: String,
        in_query: bool,
        value: Template,
    },
    OAuth2ClientCredentials {
        token_url: Template,
        client_id: Template,
        client_secret: Template,
        scopes: Vec<Template>,
    },
    /// A token from a login call, sent as `<scheme> <token>`.
    Login {
        url: Template,
        body: Vec<(String, Template)>,
        token: Vec<String>,
        expires_in: Option<Vec<String>>,
        scheme: String,
    },
    /// The first option whose optional credentials the account gives all of.
    OneOf(Vec<Auth>),
}

#[derive(Debug, Clone)]
pub struct Pagination {
    pub kind: PaginationKind,
    pub max_pages: Option<i64>,
}

#[derive(Debug, Clone)]
pub enum PaginationKind {
    PageNumber {
        param: String,
        first_page: i64,
        size_param: Option<String>,
        page_size: Option<i64>,
        next_link: Option<Vec<String>>,
        last_page: Option<Vec<String>>,
        stop_on_empty_page: bool,
    },
    OffsetLimit {
        offset_param: String,
        limit_param: String,
        limit: i64,
        total: Option<Vec<String>>,
        stop_on_short_page: bool,
    },
    Cursor {
        param: String,
        source: CursorSource,
        has_more: Option<Vec<String>>,
    },
    LinkHeader,
    NextUrl {
        next: Vec<String>,
    },
    Hal {
        next: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub enum CursorSource {
    Body(Vec<String>),
    Header(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per_seconds: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ErrorRules {
    pub message: Option<Vec<String>>,
    /// Where error bodies keep their field errors (`None`: `errors`).
    pub fields: Option<Vec<String>>,
    pub in_body: Option<InBodyErrors>,
    /// Provider statuses mapped to error kinds (`auth`, `validation`, ...).
    pub status: Vec<(u16, String)>,
}

#[derive(Debug, Clone)]
pub struct InBodyErrors {
    pub path: Vec<String>,
    /// JSON values (as JSON text) that mean success.
    pub success: Vec<String>,
    pub message: Option<Vec<String>>,
    /// Codes (as JSON text) mapped to error kinds; others are `remote`.
    pub codes: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct DatetimeConfig {
    /// strftime formats, or `rfc3339`, tried in order.
    pub formats: Vec<String>,
    /// IANA zone for timestamps without an offset (a literal or a credential template).
    pub timezone: Template,
}

#[derive(Debug, Clone)]
pub struct ProviderResource {
    pub name: String,
    /// A native resource (no unified model: proxy methods only); `model` and `unified` are
    /// then empty.
    pub native: Option<NativeResource>,
    pub model: String,
    /// The unified resource's name within `model`.
    pub unified: String,
    pub origin: Origin,
    pub methods: Vec<Method>,
    pub fields: Vec<FieldMapping>,
    /// Paths of the provider record whose values never leave Switchboard (`redact`).
    pub redact: Vec<Vec<String>>,
}

/// What a native resource declares in place of a unified resource.
#[derive(Debug, Clone)]
pub struct NativeResource {
    pub singular: String,
}

/// What a native method declares in place of a unified method.
#[derive(Debug, Clone)]
pub struct NativeMethod {
    /// The parameters, in order (templates read them as `query.<name>`).
    pub params: Vec<Field>,
    /// Parameters filled from a credential when the caller leaves them out: (param, credential).
    pub defaults: Vec<(String, String)>,
    /// The answer is a file, streamed to the caller (not JSON).
    pub binary: bool,
}

#[derive(Debug, Clone)]
pub struct Method {
    pub name: String,
    /// Set on the methods of a native resource.
    pub native: Option<NativeMethod>,
    pub kind: MethodKind,
    pub description: String,
    pub http_method: String,
    pub path: Template,
    pub query: Vec<(String, RequestValue)>,
    pub headers: Vec<(String, Template)>,
    pub body: Option<Vec<(String, RequestValue)>>,
    /// Where the records are in a list response, or the record in a single-record response.
    pub data_path: Vec<String>,
    /// Whether the provider's pagination applies.
    pub paginated: bool,
    /// Declared safe to send twice although its HTTP method is not idempotent.
    pub retry_safe: bool,
    /// Optional unified parameters this provider's request does not send: refused at run time.
    pub unsupported_query: Vec<String>,
    /// Optional unified body fields this provider's request does not send: refused at run time.
    pub unsupported_body: Vec<String>,
    pub provenance: Provenance,
    pub tool_name: String,
    /// The example payloads (paths below the mappings root's parent, such as
    /// `mappings/providers/trengo/examples/ticket.json`).
    pub examples: Vec<String>,
    /// The example payloads' contents, as loaded (the proxy document infers response schemas
    /// from them).
    pub example_bodies: Vec<serde_json::Value>,
    /// Where the tool name comes from (its `tool:` value, or the method's key), for diagnostics.
    pub tool_span: crate::source::Span,
    /// Response mappings for this method only, replacing the resource's.
    pub fields: Option<Vec<FieldMapping>>,
    /// A `static` list's records (JSON array text), answered without a request: `http_method`,
    /// `path` and the request parts are then unused.
    pub fixed: Option<String>,
    /// Records with the same unified id are listed once (a list derived from another
    /// resource's records, such as roles from users).
    pub distinct: bool,
    pub origin: Origin,
}

/// A response path as mappings write it: `@` for the body itself, `messages[].attachments`.
pub fn path_text(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment.as_str() {
            "[]" => out.push_str("[]"),
            s if s.parse::<i64>().is_ok() => out.push_str(&format!("[{s}]")),
            s => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(s);
            }
        }
    }
    if out.is_empty() { "@".to_owned() } else { out }
}

/// The record of a response at `path`, where an integer segment indexes an array (negative:
/// from the end). The runtime reads it the same way (`switchboard_runtime::value::record`).
pub fn record_at<'a>(
    body: &'a serde_json::Value,
    path: &[String],
) -> Option<&'a serde_json::Value> {
    path.iter()
        .try_fold(body, |v, k| match (v.as_array(), k.parse::<i64>()) {
            (Some(items), Ok(i)) => {
                let at = if i < 0 {
                    items.len().checked_sub(i.unsigned_abs() as usize)?
                } else {
                    usize::try_from(i).ok()?
                };
                items.get(at)
            }
            _ => v.get(k),
        })
}

/// A records path split at its first `[]`: the path to the page's items, and the rest (where
/// each item keeps its records) if the path goes through arrays.
pub fn split_records(path: &[String]) -> (&[String], Option<&[String]>) {
    match path.iter().position(|s| s == "[]") {
        Some(i) => (&path[..i], Some(&path[i + 1..])),
        None => (path, None),
    }
}

/// The records of a list response at `path`, where `[]` segments go through arrays
/// (`messages, [], attachments`: each message's attachments, one after another); a missing or
/// null list below a `[]` holds none. `None` when the page has no array where the path says.
/// The runtime reads pages the same way (`switchboard_runtime::take_records`).
pub fn records_in<'a>(
    body: &'a serde_json::Value,
    path: &[String],
) -> Option<Vec<&'a serde_json::Value>> {
    let (outer, inner) = split_records(path);
    let items = outer.iter().try_fold(body, |v, k| v.get(k))?.as_array()?;
    match inner {
        None => Some(items.iter().collect()),
        Some(inner) => {
            let mut out = Vec::new();
            for item in items {
                let (here, _) = split_records(inner);
                match here.iter().try_fold(item, |v, k| v.get(k)) {
                    None | Some(serde_json::Value::Null) => {}
                    Some(_) => out.extend(records_in(item, inner)?),
                }
            }
            Some(out)
        }
    }
}

impl Method {
    /// How the method is answered, for documentation: `GET /tickets/{{ id }}`, or `static` for a
    /// list of records kept in the mapping.
    pub fn request_line(&self) -> String {
        match self.fixed {
            Some(_) => "static (no request)".to_owned(),
            None => format!("{} {}", self.http_method, self.path.display()),
        }
    }
}

/// A value sent in a query or body.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestValue {
    Template(Template),
    /// A variable such as `body.contact.id`: sent as JSON of `as_type`, or mapped by `cases`.
    From {
        var: Vec<String>,
        as_type: Option<FieldType>,
        cases: Vec<(String, String)>,
    },
    Object(Vec<(String, RequestValue)>),
    /// A JSON array of its values; omitted when all of them are.
    List(Vec<RequestValue>),
    /// The value sent as a string of its JSON text; omitted when the value is.
    JsonText(Box<RequestValue>),
}

#[derive(Debug, Clone)]
pub struct Provenance {
    pub kind: ProvenanceKind,
    pub source: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvenanceKind {
    Documented,
    Observed,
    Inferred,
}

impl ProvenanceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProvenanceKind::Documented => "documented",
            ProvenanceKind::Observed => "observed",
            ProvenanceKind::Inferred => "inferred",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FieldMapping {
    pub field: String,
    pub origin: Origin,
    pub value: ValueMapping,
    /// Paths inside this `json` value replaced by `"[redacted]"`: the resource's `redact`
    /// paths below what the field reads (all of them for `@`).
    pub redact: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
pub enum ValueMapping {
    /// An expression converted to the field's scalar, list-of-scalar or json type.
    Expr(Expr),
    /// A constant (as JSON).
    Const(serde_json::Value),
    /// A parameter of the call (`query, ticket_id`), converted to the field's type.
    Param(Vec<String>),
    /// An enum: raw values matched to unified values; unknown values to the fallback.
    Enum {
        from: Expr,
        cases: Vec<(String, String)>,
        fallback: EnumFallback,
    },
    /// A datetime or date parsed with these formats (the provider's defaults when empty).
    Datetime {
        from: Expr,
        formats: Vec<String>,
    },
    Reference {
        id: Expr,
        name: Option<Expr>,
    },
    References(Vec<(Expr, Option<Expr>)>),
    /// The text of `parts` joined by `separator`; absent when a part is.
    Join {
        parts: Vec<Expr>,
        separator: String,
    },
    /// An object, member by member (relative to the same record).
    Object(Vec<FieldMapping>),
    /// A list of objects, one per entry, each relative to the same record; entries whose
    /// required members have no value are left out.
    Objects(Vec<Vec<FieldMapping>>),
    /// A list of objects: the members evaluated on each element of `each`.
    Each {
        each: Expr,
        fields: Vec<FieldMapping>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnumFallback {
    /// Keep the provider's value as it is.
    Raw,
    /// Use this unified value.
    Value(String),
}

/// A typed patch of field mappings for one connected account.
#[derive(Debug, Clone)]
pub struct Override {
    pub name: String,
    pub provider: String,
    pub origin: Origin,
    /// Per provider resource, the field mappings that replace the provider's.
    pub resources: Vec<(String, Vec<FieldMapping>)>,
}
