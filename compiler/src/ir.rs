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
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub title: String,
    pub description: String,
    pub origin: Origin,
    pub resources: Vec<Resource>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub name: String,
    pub singular: String,
    pub description: String,
    pub origin: Origin,
    pub fields: Vec<Field>,
    pub methods: Vec<UnifiedMethod>,
}

#[derive(Debug, Clone)]
pub struct UnifiedMethod {
    pub kind: MethodKind,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub required: bool,
    pub read_only: bool,
    pub description: String,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
    Json,
}

impl FieldType {
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
            FieldType::Json => "json".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MethodKind {
    List,
    Get,
}

impl MethodKind {
    pub const ALL: &'static [MethodKind] = &[MethodKind::List, MethodKind::Get];

    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::List => "list",
            MethodKind::Get => "get",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.as_str() == s)
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
    pub datetime: DatetimeConfig,
    pub resources: Vec<ProviderResource>,
}

#[derive(Debug, Clone)]
pub struct Credential {
    pub name: String,
    pub secret: bool,
    pub default: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer { token: Template },
}

#[derive(Debug, Clone)]
pub enum Pagination {
    PageNumber {
        param: String,
        first_page: i64,
        next_link: Option<Vec<String>>,
        last_page: Option<Vec<String>>,
        stop_on_empty_page: bool,
        max_pages: Option<i64>,
    },
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
    pub model: String,
    /// The unified resource's name within `model`.
    pub unified: String,
    pub origin: Origin,
    pub methods: Vec<Method>,
    pub fields: Vec<FieldMapping>,
}

#[derive(Debug, Clone)]
pub struct Method {
    pub kind: MethodKind,
    pub http_method: String,
    pub path: Template,
    /// Where the records are in a list response, or the record in a single-record response.
    pub data_path: Vec<String>,
    pub provenance: Provenance,
    pub origin: Origin,
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
}

#[derive(Debug, Clone)]
pub enum ValueMapping {
    /// An expression converted to the field's scalar, list-of-scalar or json type.
    Expr(Expr),
    /// An enum: raw values matched to unified values; unknown values to the fallback.
    Enum {
        from: Expr,
        cases: Vec<(String, String)>,
        fallback: EnumFallback,
    },
    /// A datetime parsed with these formats (the provider's defaults when empty).
    Datetime {
        from: Expr,
        formats: Vec<String>,
    },
    Reference {
        id: Expr,
        name: Option<Expr>,
    },
    References(Vec<(Expr, Option<Expr>)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnumFallback {
    /// Keep the provider's value as it is.
    Raw,
    /// Use this unified value.
    Value(String),
}
