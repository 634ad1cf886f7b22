//! Check and lower: raw syntax (with spans) → the resolved [`Ir`], collecting every diagnostic.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, help_for_name};
use crate::expr::{self, Expr};
use crate::ir::{self, FieldType, Ir, MethodKind, Returns};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::{self, Str};
use crate::template::{self, Scope, Template};

/// One provider directory as loaded: its provider file and resource files.
#[derive(Debug)]
pub struct ProviderSources {
    pub dir: String,
    /// The directory's first file, for diagnostics about the directory.
    pub anchor: Span,
    pub provider: Option<syntax::ProviderFile>,
    /// Whether provider.yaml exists but could not be read (already reported).
    pub provider_failed: bool,
    pub resources: Vec<(FileId, syntax::ResourceFile)>,
}

/// Reads a file below the mappings root (examples).
pub trait ReadFile: std::fmt::Debug {
    fn read(&self, relative: &str) -> Result<String, Unreadable>;
}

/// Why a file below the mappings root cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    Missing,
    /// It exists but breaks a rule (outside the root, not a regular file, too large); the text
    /// says which.
    Refused(String),
}

/// An object type's members, by name and type.
pub type ObjectShape = Vec<(String, FieldType)>;

/// The expressions of a field mapping that must hold for each method's records (SB025): what
/// it reads from the record itself, without a reference's name (ids alone are common in a
/// list) and without an `each`'s members (they read its elements: the resource-wide check).
fn method_checked_exprs(v: &ir::ValueMapping) -> Vec<&Expr> {
    use ir::ValueMapping as V;
    match v {
        V::Expr(e) | V::Enum { from: e, .. } | V::Datetime { from: e, .. } => vec![e],
        V::Reference { id, .. } => vec![id],
        V::References(refs) => refs.iter().map(|(id, _)| id).collect(),
        V::Join { parts, .. } => parts.iter().collect(),
        V::Object(members) => members
            .iter()
            .flat_map(|m| method_checked_exprs(&m.value))
            .collect(),
        V::Objects(entries) => entries
            .iter()
            .flatten()
            .flat_map(|m| method_checked_exprs(&m.value))
            .collect(),
        V::Each { each, .. } => vec![each],
        V::Const(_) | V::Param(_) => Vec::new(),
    }
}

/// The first segment of a redact path that applies at any depth (a provider's `redact`).
pub const ANYWHERE: &str = "**";

/// Whether reading `path` (from a record's root) reads what redact path `rule` hides.
fn redacted_read(path: &[String], rule: &[String]) -> bool {
    match rule.split_first() {
        Some((first, rule)) if first == ANYWHERE => {
            !rule.is_empty() && path.windows(rule.len()).any(|w| w == rule)
        }
        _ => path.starts_with(rule),
    }
}

/// The path (below the record's root) of an object in `value` that holds a non-null value at
/// every one of `paths`.
fn embedding(
    value: &serde_json::Value,
    paths: &[&Vec<String>],
    at: &mut Vec<String>,
) -> Option<Vec<String>> {
    let holds = |v: &serde_json::Value| {
        paths.iter().all(|p| {
            p.iter()
                .try_fold(v, |v, k| v.get(k))
                .is_some_and(|v| !v.is_null())
        })
    };
    match value {
        serde_json::Value::Object(members) => {
            if !at.is_empty() && holds(value) {
                return Some(at.clone());
            }
            for (k, v) in members {
                at.push(k.clone());
                let found = embedding(v, paths, at);
                at.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        serde_json::Value::Array(items) => items.iter().find_map(|v| embedding(v, paths, at)),
        _ => None,
    }
}

/// `auth` settings that hold a credential value: each must come from the account's credentials.
const SECRET_SETTINGS: &[&str] = &["token", "password", "value", "client_secret"];

/// Whether a template reads any of the account's credentials.
fn reads_credentials(t: &Template) -> bool {
    t.vars()
        .any(|(var, _)| var.first().is_some_and(|s| s == "credentials"))
}

/// Header names that carry credentials.
fn credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "authorization",
        "api-key",
        "api_key",
        "apikey",
        "token",
        "secret",
        "password",
    ]
    .iter()
    .any(|part| name.contains(part))
}

/// Whether a URL (template) has `user@` or `user:password@` before its host.
fn url_has_userinfo(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.contains('@')
}

/// MCP's limit on tool names.
pub const MAX_TOOL_NAME: usize = 128;

const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
const ERROR_KINDS: &[&str] = &[
    "auth",
    "forbidden",
    "not_found",
    "rate_limited",
    "validation",
    "remote",
    "transport",
    "timeout",
    "mapping",
    "unsupported",
    "configuration",
];
const TYPES: &[&str] = &[
    "string",
    "integer",
    "number",
    "boolean",
    "datetime",
    "date",
    "enum",
    "reference",
    "list",
    "object",
    "json",
];

/// What the field mappings of one provider resource can rely on.
struct ResourceCx<'a> {
    unified: &'a ir::Resource,
    formats: &'a [String],
    /// False when a declared date format is invalid (already reported).
    check_dates: bool,
}

#[derive(Debug)]
pub struct Checker<'a> {
    pub sources: &'a mut SourceMap,
    pub diags: Vec<Diagnostic>,
    pub reader: &'a dyn ReadFile,
    /// Some file could not be read: references into it are not reported as dangling.
    pub incomplete: bool,
    /// Origins of unified fields whose type failed (reported): their mappings are not checked.
    pub broken_fields: Vec<String>,
    /// Object types of the model being lowered: one generated type per name.
    pub object_types: Vec<(String, ObjectShape, Span)>,
    /// The `redact` paths of the provider resource being lowered.
    pub redacting: Vec<Vec<String>>,
    /// The methods whose responses the mappings being lowered map: name, the fields it maps
    /// itself, and the call parameters (`id`, `query.x`, `body.y`) a `param` may read.
    pub param_scope: Vec<(String, Vec<String>, Vec<String>)>,
    /// Lowering a `one_of` auth option: the only place optional credentials may be read.
    pub in_auth_option: bool,
}

fn is_snake(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Checker<'_> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn origin(&self, span: Span) -> String {
        self.sources.origin(span)
    }

    /// Reports a name that cannot become an identifier.
    fn name(&mut self, name: &Str, what: &str) -> bool {
        if is_snake(&name.value) {
            return true;
        }
        self.err(
            Diagnostic::new(
                Code::InvalidName,
                name.span,
                format!("`{}` is not a valid {what} name", name.value),
            )
            .with_label("names become Rust identifiers, URLs and tool names")
            .with_help(
                "use lowercase `snake_case`: letters, digits and `_`, starting with a letter",
            ),
        );
        false
    }

    pub fn lower(
        &mut self,
        models: Vec<(FileId, syntax::ModelFile)>,
        providers: Vec<ProviderSources>,
        overrides: Vec<(FileId, syntax::OverrideFile)>,
    ) -> Ir {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut stems = Stems::default();
        let mut lowered_models = Vec::new();
        for (_, m) in models {
            if let Some(first) = seen.get(&m.model.value) {
                self.duplicate(&m.model, *first, "unified model");
                continue;
            }
            seen.insert(m.model.value.clone(), m.model.span);
            lowered_models.push(self.model(m, &mut stems));
        }
        let providers: Vec<ir::Provider> = providers
            .into_iter()
            .filter_map(|p| self.provider(p, &lowered_models))
            .collect();
        self.tool_names(&providers);
        let overrides = overrides
            .into_iter()
            .filter_map(|(_, o)| self.override_file(o, &lowered_models, &providers))
            .collect();
        Ir {
            models: lowered_models,
            providers,
            overrides,
        }
    }

    fn duplicate(&mut self, name: &Str, first: Span, what: &str) {
        self.err(
            Diagnostic::new(
                Code::DuplicateName,
                name.span,
                format!("{what} `{}` is defined twice", name.value),
            )
            .with_label("defined again here")
            .with_secondary(first, "first defined here")
            .with_help(format!("rename or remove one of the two {what}s")),
        );
    }

    // -----------------------------------------------------------------------------------------
    // Unified models

    fn model(&mut self, m: syntax::ModelFile, stems: &mut Stems) -> ir::Model {
        self.name(&m.model, "model");
        let prefix = m.prefix.filter(|p| self.name(p, "prefix")).map(|p| p.value);
        self.object_types.clear();
        let resources = m
            .resources
            .into_iter()
            .filter_map(|(name, r)| {
                let span = name.span;
                let mut resource = self.unified_resource(name, r)?;
                resource.prefix = prefix.clone();
                self.name_clash(&resource, span, stems);
                Some(resource)
            })
            .collect();
        ir::Model {
            name: m.model.value.clone(),
            title: m.title.map_or_else(|| m.model.value.clone(), |t| t.value),
            description: m.description.map(|d| d.value).unwrap_or_default(),
            origin: self.origin(m.model.span),
            resources,
        }
    }

    fn unified_resource(&mut self, name: Str, r: syntax::UnifiedResource) -> Option<ir::Resource> {
        self.name(&name, "resource");
        self.name(&r.singular, "singular");
        let fields: Vec<ir::Field> = r
            .fields
            .iter()
            .filter_map(|(fname, spec)| {
                self.field(
                    fname,
                    spec,
                    &format!("{}_{}", r.singular.value, fname.value),
                )
            })
            .collect();
        let methods = r
            .methods
            .iter()
            .filter_map(|(mname, m)| self.unified_method(mname, m, &fields))
            .collect();
        Some(ir::Resource {
            origin: self.origin(name.span),
            name: name.value,
            singular: r.singular.value,
            prefix: None,
            description: r.description.map(|d| d.value).unwrap_or_default(),
            fields,
            methods,
        })
    }

    /// Two unified resources must not generate the same function, tool or schema names.
    fn name_clash(&mut self, r: &ir::Resource, span: Span, stems: &mut Stems) {
        for (stem, seen, verb) in [
            (r.stem(), &mut stems.plural, "list"),
            (r.singular_stem(), &mut stems.singular, "get"),
        ] {
            if let Some(first) = seen.get(&stem) {
                let d = Diagnostic::new(
                    Code::NameClash,
                    span,
                    format!("resource `{}` would generate the same names as another resource", r.name),
                )
                .with_label(format!("generates `{verb}_{stem}`, as the other resource does"))
                .with_secondary(*first, "the other resource")
                .with_help(
                    "give one of the two models a `prefix:` (its generated functions and schemas then start with it), or rename the resource or its `singular`",
                );
                self.err(d);
                return;
            }
            seen.insert(stem, span);
        }
    }

    fn field(
        &mut self,
        name: &Str,
        spec: &syntax::FieldSpec,
        type_name: &str,
    ) -> Option<ir::Field> {
        self.name(name, "field");
        if let Some(d) = &spec.default {
            self.err(
                Diagnostic::new(Code::WrongKind, d.span, "only a native method's parameter has a `default`")
                    .with_label("a default from the account's credentials")
                    .with_help("remove `default`; a unified field or parameter is given by the caller or mapped"),
            );
        }
        // A type that fails is reported; `json` stands in so that uses of the field do not
        // cascade into more errors.
        let ty = self.field_type(spec, type_name).unwrap_or_else(|| {
            self.broken_fields.push(self.sources.origin(name.span));
            FieldType::Json
        });
        Some(ir::Field {
            name: name.value.clone(),
            ty,
            required: spec.required,
            read_only: spec.read_only,
            write_only: spec.write_only,
            on_request: spec.on_request,
            description: spec
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_default(),
            origin: self.origin(name.span),
        })
    }

    /// `type_name` names the generated type of an object (unless the spec names it).
    fn field_type(&mut self, spec: &syntax::FieldSpec, type_name: &str) -> Option<FieldType> {
        let ty = &spec.ty;
        match ty.value.as_str() {
            "string" => Some(FieldType::String),
            "integer" => Some(FieldType::Integer),
            "number" => Some(FieldType::Number),
            "boolean" => Some(FieldType::Boolean),
            "datetime" => Some(FieldType::Datetime),
            "date" => Some(FieldType::Date),
            "reference" => Some(FieldType::Reference),
            "json" => Some(FieldType::Json),
            "enum" => {
                if spec.values.is_empty() {
                    self.err(
                        Diagnostic::new(
                            Code::EnumWithoutValues,
                            ty.span,
                            "an enum needs its `values`",
                        )
                        .with_label("enum declared here")
                        .with_help("add `values: [open, closed]` with the unified values"),
                    );
                    return None;
                }
                for v in &spec.values {
                    self.name(v, "enum value");
                }
                Some(FieldType::Enum(
                    spec.values.iter().map(|v| v.value.clone()).collect(),
                ))
            }
            "list" => {
                let Some(items) = &spec.items else {
                    self.err(
                        Diagnostic::new(
                            Code::ListWithoutItems,
                            ty.span,
                            "a list needs its `items` type",
                        )
                        .with_label("list declared here")
                        .with_help("add `items: string` (or another element type)"),
                    );
                    return None;
                };
                if items.ty.value == "list" {
                    self.err(
                        Diagnostic::new(
                            Code::ListWithoutItems,
                            items.ty.span,
                            "a list cannot hold lists",
                        )
                        .with_label("nested list")
                        .with_help("use a list of objects, each with a list field"),
                    );
                    return None;
                }
                let inner = self.field_type(items, type_name)?;
                Some(FieldType::List(Box::new(inner)))
            }
            "object" => {
                if spec.fields.is_empty() {
                    self.err(
                        Diagnostic::new(Code::ObjectWithoutFields, ty.span, "an object needs its `fields`")
                            .with_label("object declared here")
                            .with_help("add `fields:` with the object's members, or use `type: json` for free-form data"),
                    );
                    return None;
                }
                let name = spec
                    .name
                    .as_ref()
                    .map_or_else(|| type_name.to_owned(), |n| n.value.clone());
                if let Some(n) = &spec.name {
                    self.name(n, "type");
                }
                let fields: Vec<ir::Field> = spec
                    .fields
                    .iter()
                    .filter_map(|(fname, fspec)| {
                        self.field(fname, fspec, &format!("{name}_{}", fname.value))
                    })
                    .collect();
                let shape: ObjectShape = fields
                    .iter()
                    .map(|f| (f.name.clone(), f.ty.clone()))
                    .collect();
                let at = spec.name.as_ref().map_or(ty.span, |n| n.span);
                match self.object_types.iter().find(|(n, _, _)| *n == name) {
                    Some((_, other, first)) if *other != shape => {
                        let first = *first;
                        self.err(
                            Diagnostic::new(
                                Code::DuplicateName,
                                at,
                                format!("object type `{name}` is defined twice, differently"),
                            )
                            .with_label("different members here")
                            .with_secondary(first, "first defined here")
                            .with_help("give the objects the same members, or different `name`s"),
                        );
                    }
                    Some(_) => {}
                    None => self.object_types.push((name.clone(), shape, at)),
                }
                Some(FieldType::Object { name, fields })
            }
            other => {
                self.err(
                    Diagnostic::new(
                        Code::UnknownType,
                        ty.span,
                        format!("unknown type `{other}`"),
                    )
                    .with_label("not a field type")
                    .with_help(help_for_name(
                        other,
                        TYPES.iter().copied(),
                        "type",
                    )),
                );
                None
            }
        }
    }

    fn unified_method(
        &mut self,
        name: &Str,
        m: &syntax::UnifiedMethod,
        fields: &[ir::Field],
    ) -> Option<ir::UnifiedMethod> {
        let kind = MethodKind::of(&name.value);
        if kind == MethodKind::Custom && !self.name(name, "method") {
            return None;
        }
        let query = m
            .query
            .iter()
            .filter_map(|(qname, spec)| {
                self.field(qname, spec, &format!("{}_{}", name.value, qname.value))
            })
            .collect();
        let mut body = Vec::new();
        for (fname, requirement) in &m.body {
            let required = match requirement.value.as_str() {
                "required" => true,
                "optional" => false,
                other => {
                    self.err(
                        Diagnostic::new(
                            Code::InvalidBodyRequirement,
                            requirement.span,
                            format!("`{other}` is not a body requirement"),
                        )
                        .with_label("expected `required` or `optional`")
                        .with_help(format!(
                            "write `{}: required` or `{}: optional`",
                            fname.value, fname.value
                        )),
                    );
                    false
                }
            };
            let Some(field) = fields.iter().find(|f| f.name == fname.value) else {
                self.unknown_field(fname, fields, "the resource");
                continue;
            };
            if field.read_only {
                self.err(
                    Diagnostic::new(Code::WriteToReadOnly, fname.span, format!("`{}` is read-only and cannot be written", fname.value))
                        .with_label("read-only field in a request body")
                        .with_help("remove it from `body`, or drop `read_only` from the field if clients may set it"),
                );
                continue;
            }
            body.push(ir::BodyField {
                name: fname.value.clone(),
                required,
            });
        }
        if !body.is_empty()
            && matches!(
                kind,
                MethodKind::List | MethodKind::Get | MethodKind::Delete
            )
        {
            let at = m.body.first().map_or(name.span, |(n, _)| n.span);
            self.err(
                Diagnostic::new(Code::BodyNotSent, at, format!("`{}` does not send a body", name.value))
                    .with_label("body declared here")
                    .with_help("declare filters under `query`; bodies belong to create, update and custom methods"),
            );
        }
        let returns = match (kind, m.returns.as_ref().map(|r| r.value.as_str())) {
            (MethodKind::List, _) => Returns::Records,
            (MethodKind::Delete, _) => Returns::Nothing,
            (MethodKind::Custom, Some("records")) => Returns::Records,
            (MethodKind::Custom, Some("nothing")) => Returns::Nothing,
            (MethodKind::Custom, Some("record") | None) => Returns::Record,
            (MethodKind::Custom, Some(other)) => {
                let span = m.returns.as_ref().map_or(name.span, |r| r.span);
                self.err(
                    Diagnostic::new(
                        Code::WrongKind,
                        span,
                        format!("`{other}` is not something a method returns"),
                    )
                    .with_label("unknown return kind")
                    .with_help(help_for_name(
                        other,
                        ["record", "records", "nothing"],
                        "return kind",
                    )),
                );
                Returns::Record
            }
            _ => Returns::Record,
        };
        Some(ir::UnifiedMethod {
            name: name.value.clone(),
            kind,
            description: m
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_default(),
            query,
            body,
            returns,
        })
    }

    fn unknown_field(&mut self, name: &Str, fields: &[ir::Field], owner: &str) {
        self.err(
            Diagnostic::new(
                Code::UnknownField,
                name.span,
                format!("`{}` is not a field of {owner}", name.value),
            )
            .with_label("unknown field")
            .with_help(help_for_name(
                &name.value,
                fields.iter().map(|f| f.name.as_str()),
                "field",
            )),
        );
    }

    // -----------------------------------------------------------------------------------------
    // Providers

    fn provider(&mut self, p: ProviderSources, models: &[ir::Model]) -> Option<ir::Provider> {
        let Some(pf) = p.provider else {
            if p.provider_failed {
                return None;
            }
            self.err(
                Diagnostic::new(
                    Code::MissingProviderFile,
                    p.anchor,
                    format!("provider directory `{}` has no provider.yaml", p.dir),
                )
                .with_label("resource file without a provider")
                .with_help(
                    "add provider.yaml with `provider`, `base_url`, `auth` and `pagination`",
                ),
            );
            return None;
        };
        if pf.provider.value != p.dir {
            self.err(
                Diagnostic::new(
                    Code::ProviderDirMismatch,
                    pf.provider.span,
                    format!(
                        "provider `{}` is in directory `{}`",
                        pf.provider.value, p.dir
                    ),
                )
                .with_label("name differs from the directory")
                .with_help(format!(
                    "name the provider `{}` or move the files to providers/{}/",
                    p.dir, pf.provider.value
                )),
            );
        }
        self.name(&pf.provider, "provider");

        let mut credentials: Vec<ir::Credential> = Vec::new();
        for (name, c) in &pf.credentials {
            self.name(name, "credential");
            if c.secret && !c.values.is_empty() {
                self.err(
                    Diagnostic::new(
                        Code::WrongKind,
                        name.span,
                        format!("secret credential `{}` has `values`", name.value),
                    )
                    .with_label("a secret is never one of a few known values")
                    .with_help("remove `values`, or `secret: true` if the credential is no secret"),
                );
            }
            if let Some(d) = c.default.as_ref().filter(|_| c.secret) {
                // Never printed: it is a secret.
                self.err(
                    Diagnostic::new(
                        Code::CredentialInMapping,
                        d.span,
                        format!("secret credential `{}` has a `default`", name.value),
                    )
                    .with_label("a default is written into generated code and documents")
                    .with_help("remove `default`: each account gives its own secret")
                    .masked(),
                );
            }
            if let Some(d) = &c.default
                && !c.secret
                && !c.values.is_empty()
                && !c.values.iter().any(|(k, _)| k.value == d.value)
            {
                self.err(
                    Diagnostic::new(
                        Code::WrongKind,
                        d.span,
                        format!(
                            "default `{}` is not one of the credential's `values`",
                            d.value
                        ),
                    )
                    .with_label("not a declared value")
                    .with_help(help_for_name(
                        &d.value,
                        c.values.iter().map(|(k, _)| k.value.as_str()),
                        "value",
                    )),
                );
            }
            credentials.push(ir::Credential {
                values: c
                    .values
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect(),
                name: name.value.clone(),
                secret: c.secret,
                optional: c.optional && c.default.is_none(),
                default: c.default.as_ref().map(|d| d.value.clone()),
                description: c
                    .description
                    .as_ref()
                    .map(|d| d.value.clone())
                    .unwrap_or_default(),
            });
        }
        // Optional credentials are named here too, so that reading one outside a `one_of`
        // auth option is reported as what it is (see `template`).
        let all_vars: Vec<String> = credentials
            .iter()
            .map(|c| format!("credentials.{}", c.name))
            .collect();
        let public_vars: Vec<String> = credentials
            .iter()
            .filter(|c| !c.secret)
            .map(|c| format!("credentials.{}", c.name))
            .collect();

        let base_url = self.url(&pf.base_url, &all_vars, &credentials, "`base_url`");
        if url_has_userinfo(&pf.base_url.value) {
            self.err(
                Diagnostic::new(
                    Code::CredentialInMapping,
                    pf.base_url.span,
                    "`base_url` carries credentials (`user:password@`)",
                )
                .with_label("they would be published in the OpenAPI documents")
                .with_help(
                    "remove them from the URL and declare `auth: {kind: basic}` with credentials",
                )
                .masked(),
            );
        }
        let auth = match &pf.auth {
            None => ir::Auth::None,
            Some(section) => self.auth(section, &all_vars, &credentials),
        };
        let headers = self.headers(&pf.headers, &all_vars, &credentials);
        let pagination = pf.pagination.as_ref().and_then(|s| self.pagination(s));
        let rate_limit = pf.rate_limit.as_ref().and_then(|r| self.rate_limit(r));
        let errors = pf
            .errors
            .as_ref()
            .map(|e| self.errors(e))
            .unwrap_or_default();
        let diags_before = self.diags.len();
        let datetime = self.datetime(
            pf.datetime.as_ref(),
            &all_vars,
            &credentials,
            pf.provider.span,
        );
        let formats_ok = self.diags[diags_before..]
            .iter()
            .all(|d| d.code != Code::InvalidDateFormat);

        let tool_prefix = pf
            .tool_prefix
            .as_ref()
            .map_or_else(|| pf.provider.value.clone(), |t| t.value.clone());
        let result = pf
            .result
            .as_ref()
            .and_then(|r| self.plain_path(r))
            .unwrap_or_default();
        // Redacted at any depth of every record (see `convert::redact`).
        let anywhere: Vec<Vec<String>> = pf
            .redact
            .iter()
            .filter_map(|path| self.plain_path(path))
            .filter(|path| !path.is_empty())
            .map(|path| std::iter::once(ANYWHERE.to_owned()).chain(path).collect())
            .collect();
        let mut resources: Vec<ir::ProviderResource> = Vec::new();
        let mut embedded: Vec<(String, Span, Vec<serde_json::Value>)> = Vec::new();
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for (rfile, rf) in p.resources {
            if let Some(first) = seen.get(&rf.resource.value) {
                self.duplicate(&rf.resource, *first, "resource");
                continue;
            }
            seen.insert(rf.resource.value.clone(), rf.resource.span);
            let provider_cx = ProviderCx {
                tool_prefix: &tool_prefix,
                result: &result,
                credentials: &credentials,
                public_vars: &public_vars,
                formats: &datetime.formats,
                formats_ok,
                // A declared but broken pagination is reported once, not at every list.
                has_pagination: pf.pagination.is_some(),
                redact: &anywhere,
            };
            let name_span = rf.resource.span;
            if let Some((r, examples)) = self.provider_resource(rfile, rf, models, &provider_cx) {
                embedded.push((r.name.clone(), name_span, examples));
                resources.push(r);
            }
        }
        self.embedded_secrets(&resources, &embedded, &anywhere);

        Some(ir::Provider {
            // When the names differ (reported), the directory's stands, so references resolve.
            name: p.dir.clone(),
            title: pf
                .title
                .as_ref()
                .map_or_else(|| pf.provider.value.clone(), |t| t.value.clone()),
            docs_url: pf.docs_url.as_ref().map(|d| d.value.clone()),
            origin: self.origin(pf.provider.span),
            base_url: base_url?,
            credentials,
            auth,
            headers,
            pagination,
            rate_limit,
            errors,
            datetime,
            tool_prefix,
            resources,
        })
    }

    /// Lowers a template; secret credentials are allowed only where `secret_ok` (auth).
    fn template(
        &mut self,
        text: &Str,
        allowed: &[String],
        credentials: &[ir::Credential],
        place: &str,
        secret_ok: bool,
    ) -> Option<Template> {
        let open: &[&str] = if place == "a request body" {
            &["body."]
        } else {
            &[]
        };
        let t = template::lower(
            text,
            &Scope {
                allowed,
                open,
                place,
            },
            &mut self.diags,
        )?;
        for (var, span) in t.vars() {
            if let [scope, name] = var
                && scope == "credentials"
                && !self.in_auth_option
                && credentials.iter().any(|c| &c.name == name && c.optional)
            {
                self.err(
                    Diagnostic::new(Code::UnknownVariable, span, format!("optional credential `{name}` used in {place}"))
                        .with_label("an account may leave it out")
                        .with_help("read optional credentials only in the options of an `auth` of kind `one_of`, or remove `optional: true`"),
                );
            }
        }
        if !secret_ok {
            for (var, span) in t.vars() {
                if let [scope, name] = var
                    && scope == "credentials"
                    && credentials.iter().any(|c| &c.name == name && c.secret)
                {
                    self.err(
                        Diagnostic::new(Code::SecretOutsideAuth, span, format!("secret credential `{name}` used in {place}"))
                            .with_label("secrets may only be used in `auth`")
                            .with_help("move the secret into `auth`, or mark the credential `secret: false` if it is not secret"),
                    );
                }
            }
        }
        Some(t)
    }

    /// A URL template that must be `https://`.
    fn url(
        &mut self,
        text: &Str,
        allowed: &[String],
        credentials: &[ir::Credential],
        place: &str,
    ) -> Option<Template> {
        let t = self.template(text, allowed, credentials, place, false)?;
        if !text.value.starts_with("https://") {
            self.err(
                Diagnostic::new(Code::NonHttpsBaseUrl, text.span, format!("{place} must start with `https://`"))
                    .with_label("credentials would travel unencrypted")
                    .with_help("use the provider's https:// URL; tests and the sandbox override the base URL per account"),
            );
        }
        Some(t)
    }

    fn headers(
        &mut self,
        headers: &[(Str, Str)],
        allowed: &[String],
        credentials: &[ir::Credential],
    ) -> Vec<(String, Template)> {
        let mut out = Vec::new();
        for (name, value) in headers {
            let valid = !name.value.is_empty()
                && name
                    .value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
            if !valid {
                self.err(
                    Diagnostic::new(
                        Code::InvalidHeaderName,
                        name.span,
                        format!("`{}` is not a valid header name", name.value),
                    )
                    .with_label("header names are letters, digits, `-` and `_`")
                    .with_help("write a header name such as `X-Api-Version`"),
                );
                continue;
            }
            if let Some(t) = self.template(value, allowed, credentials, "a header", false) {
                if credential_header(&name.value) && !reads_credentials(&t) {
                    self.err(
                        Diagnostic::new(
                            Code::CredentialInMapping,
                            value.span,
                            format!("header `{}` carries a credential written in the mapping", name.value),
                        )
                        .with_label("a credential value in the mapping is shared by every account and published")
                        .with_help("send credentials with `auth` (for a key in a header: `kind: api_key`, `in: header`), from a credential with `secret: true`")
                        .masked(),
                    );
                }
                out.push((name.value.clone(), t));
            }
        }
        out
    }

    fn setting_string(&mut self, section: &syntax::Section, key: &str) -> Option<Str> {
        let node = section.get(key)?;
        let mut d = syntax::Decoder {
            diags: &mut self.diags,
        };
        d.string(node, &format!("`{key}`"))
    }

    fn required_setting(
        &mut self,
        section: &syntax::Section,
        key: &str,
        what: &str,
    ) -> Option<Str> {
        let found = self.setting_string(section, key);
        if found.is_none() && section.get(key).is_none() {
            self.err(
                Diagnostic::new(
                    Code::MissingKey,
                    section.kind.span,
                    format!("{what} `{}` needs `{key}`", section.kind.value),
                )
                .with_label(format!("`{key}` is required for this kind"))
                .with_help(format!("add `{key}: ...` next to `kind`")),
            );
        }
        found
    }

    fn auth(
        &mut self,
        s: &syntax::Section,
        vars: &[String],
        credentials: &[ir::Credential],
    ) -> ir::Auth {
        if s.kind.value == "one_of" {
            return self.auth_options(s, vars, credentials);
        }
        let t = |this: &mut Self, key: &str| -> Option<Template> {
            let text = this.required_setting(s, key, "auth")?;
            let template = this.template(&text, vars, credentials, "`auth`", true)?;
            if SECRET_SETTINGS.contains(&key) && !reads_credentials(&template) {
                // The literal is never printed: it is a secret.
                this.err(
                    Diagnostic::new(
                        Code::CredentialInMapping,
                        text.span,
                        format!("the `{key}` of `auth` is written in the mapping"),
                    )
                    .with_label("a credential value in the mapping is shared by every account and published")
                    .with_help(format!(
                        "declare a credential with `secret: true` and write `{key}: \"{{{{ credentials.<name> }}}}\"`"
                    ))
                    .masked(),
                );
            }
            Some(template)
        };
        let auth = match s.kind.value.as_str() {
            "bearer" => t(self, "token").map(|token| ir::Auth::Bearer { token }),
            "basic" => match (t(self, "username"), t(self, "password")) {
                (Some(username), Some(password)) => Some(ir::Auth::Basic { username, password }),
                _ => None,
            },
            "api_key" => {
                let name = self.required_setting(s, "name", "auth");
                let location = self.required_setting(s, "in", "auth");
                let value = t(self, "value");
                let in_query = match location.as_ref().map(|l| l.value.as_str()) {
                    Some("header") => Some(false),
                    Some("query") => Some(true),
                    Some(other) => {
                        let span = location.as_ref().map_or(s.kind.span, |l| l.span);
                        self.err(
                            Diagnostic::new(
                                Code::WrongKind,
                                span,
                                format!("`in` cannot be `{other}`"),
                            )
                            .with_label("where the key is sent")
                            .with_help("write `in: header` or `in: query`"),
                        );
                        None
                    }
                    None => None,
                };
                match (name, in_query, value) {
                    (Some(name), Some(in_query), Some(value)) => Some(ir::Auth::ApiKey {
                        name: name.value,
                        in_query,
                        value,
                    }),
                    _ => None,
                }
            }
            "oauth2_client_credentials" => {
                let token_url = self
                    .required_setting(s, "token_url", "auth")
                    .and_then(|u| self.url(&u, vars, credentials, "`token_url`"));
                let client_id = t(self, "client_id");
                let client_secret = t(self, "client_secret");
                let scopes: Vec<Template> = s
                    .get("scopes")
                    .map(|n| {
                        syntax::Decoder {
                            diags: &mut self.diags,
                        }
                        .string_list(n, "`scopes`")
                    })
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|scope| self.template(scope, vars, credentials, "`scopes`", false))
                    .collect();
                match (token_url, client_id, client_secret) {
                    (Some(token_url), Some(client_id), Some(client_secret)) => {
                        Some(ir::Auth::OAuth2ClientCredentials {
                            token_url,
                            client_id,
                            client_secret,
                            scopes,
                        })
                    }
                    _ => None,
                }
            }
            "login" => {
                let url = self
                    .required_setting(s, "url", "auth")
                    .and_then(|u| self.url(&u, vars, credentials, "the login `url`"));
                let mut body = Vec::new();
                if let Some(node) = s.get("body") {
                    let pairs = {
                        let mut d = syntax::Decoder {
                            diags: &mut self.diags,
                        };
                        d.named(node, "`body`")
                            .into_iter()
                            .filter_map(|(k, v)| d.string(v, "a login body value").map(|v| (k, v)))
                            .collect::<Vec<_>>()
                    };
                    for (k, v) in pairs {
                        if let Some(tv) = self.template(&v, vars, credentials, "`auth`", true) {
                            body.push((k.value, tv));
                        }
                    }
                }
                let token = self
                    .required_setting(s, "token", "auth")
                    .and_then(|p| self.plain_path(&p));
                let expires_in = self
                    .setting_string(s, "expires_in")
                    .and_then(|p| self.plain_path(&p));
                let scheme = self
                    .setting_string(s, "scheme")
                    .map_or_else(|| "Bearer".to_owned(), |s| s.value);
                match (url, token) {
                    (Some(url), Some(token)) => Some(ir::Auth::Login {
                        url,
                        body,
                        token,
                        expires_in,
                        scheme,
                    }),
                    _ => None,
                }
            }
            _ => Some(ir::Auth::None),
        };
        auth.unwrap_or(ir::Auth::None)
    }

    /// `kind: one_of`: each option an auth of its own, which may read optional credentials;
    /// at connect time the first whose optional credentials are all given is used.
    fn auth_options(
        &mut self,
        s: &syntax::Section,
        vars: &[String],
        credentials: &[ir::Credential],
    ) -> ir::Auth {
        let Some(node) = s.get("options") else {
            self.required_setting(s, "options", "auth");
            return ir::Auth::None;
        };
        let items: Vec<crate::yaml::Node> = match &node.kind {
            crate::yaml::NodeKind::Seq(items) if !items.is_empty() => items.clone(),
            _ => {
                self.err(
                    Diagnostic::new(
                        Code::WrongKind,
                        node.span,
                        "`options` must be a list of auth sections",
                    )
                    .with_label("expected a non-empty list")
                    .with_help(
                        "write `options: [{kind: oauth2_client_credentials, …}, {kind: login, …}]`",
                    ),
                );
                return ir::Auth::None;
            }
        };
        let mut options = Vec::new();
        for item in &items {
            let section = syntax::Decoder {
                diags: &mut self.diags,
            }
            .section(
                item,
                "an auth option",
                syntax::AUTH_KINDS,
                &[],
                Code::UnknownAuthKind,
            );
            let Some(section) = section else { continue };
            if matches!(section.kind.value.as_str(), "one_of" | "none") {
                self.err(
                    Diagnostic::new(
                        Code::WrongKind,
                        section.kind.span,
                        format!("an auth option cannot be `{}`", section.kind.value),
                    )
                    .with_label("options are ways to authenticate")
                    .with_help("list the auth kinds an account may use, such as `oauth2_client_credentials` and `login`"),
                );
                continue;
            }
            self.in_auth_option = true;
            options.push(self.auth(&section, vars, credentials));
            self.in_auth_option = false;
        }
        ir::Auth::OneOf(options)
    }

    fn path_setting(&mut self, s: &syntax::Section, key: &str) -> Option<Vec<String>> {
        let text = self.setting_string(s, key)?;
        self.plain_path(&text)
    }

    fn pagination(&mut self, s: &syntax::Section) -> Option<ir::Pagination> {
        let integer = |this: &mut Self, key: &str| -> Option<i64> {
            let node = s.get(key)?;
            syntax::Decoder {
                diags: &mut this.diags,
            }
            .node_integer(node, key)
            .map(|v| v.value)
        };
        let boolean = |this: &mut Self, key: &str| -> Option<bool> {
            let node = s.get(key)?;
            syntax::Decoder {
                diags: &mut this.diags,
            }
            .node_bool(node, key)
            .map(|v| v.value)
        };
        let never_stops = |this: &mut Self, help: &str| {
            this.err(
                Diagnostic::new(
                    Code::PaginationNeverStops,
                    s.kind.span,
                    "this paginator never stops",
                )
                .with_label("no stop signal declared")
                .with_help(help.to_owned()),
            );
        };
        let kind = match s.kind.value.as_str() {
            "page_number" => {
                let param = self.required_setting(s, "param", "pagination")?;
                let next_link = self.path_setting(s, "next_link");
                let last_page = self.path_setting(s, "last_page");
                let stop_on_empty_page = boolean(self, "stop_on_empty_page").unwrap_or(false);
                if next_link.is_none() && last_page.is_none() && !stop_on_empty_page {
                    never_stops(
                        self,
                        "declare `next_link`, `last_page` or `stop_on_empty_page: true`",
                    );
                    return None;
                }
                ir::PaginationKind::PageNumber {
                    param: param.value,
                    first_page: integer(self, "first_page").unwrap_or(1),
                    size_param: self.setting_string(s, "size_param").map(|s| s.value),
                    page_size: integer(self, "page_size"),
                    next_link,
                    last_page,
                    stop_on_empty_page,
                }
            }
            "offset_limit" => {
                let offset_param = self.required_setting(s, "offset_param", "pagination");
                let limit_param = self.required_setting(s, "limit_param", "pagination");
                let limit = integer(self, "limit");
                let total = self.path_setting(s, "total");
                let stop_on_short_page = boolean(self, "stop_on_short_page").unwrap_or(true);
                if total.is_none() && !stop_on_short_page {
                    never_stops(self, "declare `total`, or leave `stop_on_short_page` on");
                    return None;
                }
                let Some(limit) = limit else {
                    self.required_setting(s, "limit", "pagination");
                    return None;
                };
                ir::PaginationKind::OffsetLimit {
                    offset_param: offset_param?.value,
                    limit_param: limit_param?.value,
                    limit,
                    total,
                    stop_on_short_page,
                }
            }
            "cursor" => {
                let param = self.required_setting(s, "param", "pagination")?;
                let body = self.path_setting(s, "cursor");
                let header = self.setting_string(s, "cursor_header");
                let source = match (body, header) {
                    (Some(path), _) => ir::CursorSource::Body(path),
                    (None, Some(h)) => ir::CursorSource::Header(h.value),
                    (None, None) => {
                        never_stops(
                            self,
                            "declare where the next cursor is: `cursor: <path>` or `cursor_header: <name>`",
                        );
                        return None;
                    }
                };
                ir::PaginationKind::Cursor {
                    param: param.value,
                    source,
                    has_more: self.path_setting(s, "has_more"),
                }
            }
            "link_header" => ir::PaginationKind::LinkHeader,
            "next_url" => {
                let Some(next) = self.path_setting(s, "next") else {
                    never_stops(self, "declare `next: <path of the next page's URL>`");
                    return None;
                };
                ir::PaginationKind::NextUrl { next }
            }
            "hal" => ir::PaginationKind::Hal {
                next: self
                    .path_setting(s, "next")
                    .unwrap_or_else(|| vec!["_links".into(), "next".into(), "href".into()]),
            },
            _ => return None,
        };
        let max_pages = s.get("max_pages").and_then(|n| {
            let v = syntax::Decoder {
                diags: &mut self.diags,
            }
            .node_integer(n, "max_pages")?;
            if v.value < 1 {
                self.err(
                    Diagnostic::new(Code::WrongKind, v.span, "`max_pages` must be at least 1")
                        .with_label("not a page count")
                        .with_help("remove `max_pages` to use the runtime's default cap"),
                );
                return None;
            }
            Some(v.value)
        });
        Some(ir::Pagination { kind, max_pages })
    }

    fn rate_limit(&mut self, r: &syntax::RateLimit) -> Option<ir::RateLimit> {
        let per_seconds = match r.per.value.as_str() {
            "second" => 1,
            "minute" => 60,
            "hour" => 3600,
            other => {
                self.err(
                    Diagnostic::new(
                        Code::InvalidRateLimit,
                        r.per.span,
                        format!("`{other}` is not a rate-limit period"),
                    )
                    .with_label("unknown period")
                    .with_help(help_for_name(
                        other,
                        ["second", "minute", "hour"],
                        "period",
                    )),
                );
                return None;
            }
        };
        let Some(requests) = u32::try_from(r.requests.value).ok().filter(|n| *n > 0) else {
            self.err(
                Diagnostic::new(
                    Code::InvalidRateLimit,
                    r.requests.span,
                    "`requests` must be a positive count",
                )
                .with_label("not a request count")
                .with_help("write the provider's limit, such as `requests: 120`"),
            );
            return None;
        };
        Some(ir::RateLimit {
            requests,
            per_seconds,
        })
    }

    fn errors(&mut self, e: &syntax::Errors) -> ir::ErrorRules {
        let message = e.message.as_ref().and_then(|m| self.plain_path(m));
        let fields = e.fields.as_ref().and_then(|f| self.plain_path(f));
        let in_body = e.in_body.as_ref().and_then(|b| {
            let path = self.plain_path(&b.path)?;
            if b.success.is_empty() {
                self.err(
                    Diagnostic::new(
                        Code::InvalidErrorMapping,
                        b.path.span,
                        "`success` lists no value",
                    )
                    .with_label("every value would be an error")
                    .with_help("list the values that mean success, such as `success: [0]`"),
                );
                return None;
            }
            let success = b.success.iter().map(|v| json_text(&v.value)).collect();
            let codes = b
                .codes
                .iter()
                .filter(|(_, kind)| self.error_kind(kind))
                .map(|(code, kind)| (json_text(&code.value), kind.value.clone()))
                .collect();
            Some(ir::InBodyErrors {
                path,
                success,
                message: b.message.as_ref().and_then(|m| self.plain_path(m)),
                codes,
            })
        });
        let mut status = Vec::new();
        for (code, kind) in &e.status {
            let Some(n) = code
                .value
                .parse::<u16>()
                .ok()
                .filter(|n| (100..600).contains(n))
            else {
                self.err(
                    Diagnostic::new(
                        Code::InvalidErrorMapping,
                        code.span,
                        format!("`{}` is not an HTTP status", code.value),
                    )
                    .with_label("expected 100 to 599")
                    .with_help("map statuses such as `409: validation`"),
                );
                continue;
            };
            if self.error_kind(kind) {
                status.push((n, kind.value.clone()));
            }
        }
        ir::ErrorRules {
            message,
            fields,
            in_body,
            status,
        }
    }

    /// Whether `kind` names an error kind (reported when it does not).
    fn error_kind(&mut self, kind: &Str) -> bool {
        if ERROR_KINDS.contains(&kind.value.as_str()) {
            return true;
        }
        self.err(
            Diagnostic::new(
                Code::InvalidErrorMapping,
                kind.span,
                format!("`{}` is not an error kind", kind.value),
            )
            .with_label("unknown error kind")
            .with_help(help_for_name(
                &kind.value,
                ERROR_KINDS.iter().copied(),
                "error kind",
            )),
        );
        false
    }

    fn datetime(
        &mut self,
        d: Option<&syntax::Datetime>,
        vars: &[String],
        credentials: &[ir::Credential],
        fallback_span: Span,
    ) -> ir::DatetimeConfig {
        let mut formats = Vec::new();
        for f in d.map(|d| d.formats.as_slice()).unwrap_or_default() {
            if self.date_format(f) {
                formats.push(f.value.clone());
            }
        }
        if formats.is_empty() {
            formats.push("rfc3339".to_owned());
        }
        let timezone = d
            .and_then(|d| d.timezone.as_ref())
            .and_then(|t| self.template(t, vars, credentials, "`timezone`", false))
            .unwrap_or(Template {
                pieces: vec![template::Piece::Text("UTC".to_owned())],
                span: fallback_span,
            });
        if timezone.is_literal() {
            let name = timezone.display();
            if jiff::tz::TimeZone::get(&name).is_err() {
                self.err(
                    Diagnostic::new(
                        Code::UnknownTimeZone,
                        timezone.span,
                        format!("unknown time zone `{name}`"),
                    )
                    .with_label("not an IANA time zone")
                    .with_help("use a name such as `Europe/Amsterdam` or `UTC`"),
                );
            }
        }
        ir::DatetimeConfig { formats, timezone }
    }

    fn date_format(&mut self, f: &Str) -> bool {
        if f.value == "rfc3339" || f.value == "unix" {
            return true;
        }
        let probe = jiff::civil::date(2024, 2, 19).at(16, 0, 8, 0);
        let ok = f.value.contains('%') && jiff::fmt::strtime::format(&f.value, probe).is_ok();
        if !ok {
            self.err(
                Diagnostic::new(
                    Code::InvalidDateFormat,
                    f.span,
                    format!("`{}` is not a date format", f.value),
                )
                .with_label("not a strftime format")
                .with_help("use `rfc3339`, `unix` (seconds since 1970) or a strftime format such as `%Y-%m-%d %H:%M:%S`"),
            );
        }
        ok
    }

    /// An expression that must be a plain field path (where the runtime walks it directly).
    fn plain_path(&mut self, s: &Str) -> Option<Vec<String>> {
        let e = expr::lower(s, &mut self.diags)?;
        self.path_of(s, e.as_path(), "write a path such as `links.next`")
    }

    /// Where a list response keeps its records: a plain path, or one through arrays
    /// (`messages[].attachments`).
    fn records_path(&mut self, s: &Str) -> Option<Vec<String>> {
        let e = expr::lower(s, &mut self.diags)?;
        self.path_of(
            s,
            e.as_records_path(),
            "write a path such as `data`, or `messages[].attachments` for records inside each item",
        )
    }

    /// Where a response keeps its one record: a plain path whose segments may index an array
    /// (`notes[-1]`: the last note, as a write that appends one answers).
    fn record_path(&mut self, s: &Str) -> Option<Vec<String>> {
        if !s.value.contains('[') {
            return self.plain_path(s);
        }
        let mut path = Vec::new();
        for part in s.value.split('.') {
            let (name, index) = match part.split_once('[') {
                Some((name, rest)) => (name, Some(rest.strip_suffix(']'))),
                None => (part, None),
            };
            let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let index = match index {
                None => None,
                Some(Some(i)) if i.parse::<i64>().is_ok() => Some(i),
                Some(_) => return self.path_of(s, None, RECORD_PATH_HELP),
            };
            if !plain {
                return self.path_of(s, None, RECORD_PATH_HELP);
            }
            path.push(name.to_owned());
            path.extend(index.map(str::to_owned));
        }
        Some(path)
    }

    fn path_of(&mut self, s: &Str, path: Option<Vec<&str>>, help: &str) -> Option<Vec<String>> {
        match path {
            Some(p) => Some(p.into_iter().map(str::to_owned).collect()),
            None => {
                self.err(
                    Diagnostic::new(
                        Code::PlainPathRequired,
                        s.span,
                        "a plain field path is needed here",
                    )
                    .with_label("not a plain path")
                    .with_help(help),
                );
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Provider resources

    fn provider_resource(
        &mut self,
        file: FileId,
        rf: syntax::ResourceFile,
        models: &[ir::Model],
        p: &ProviderCx<'_>,
    ) -> Option<(ir::ProviderResource, Vec<serde_json::Value>)> {
        let Some(unified_name) = &rf.unified else {
            return self.native_resource(file, rf, p).map(|r| (r, Vec::new()));
        };
        self.name(&rf.resource, "resource");
        if let Some(s) = &rf.singular {
            self.err(
                Diagnostic::new(
                    Code::WrongKind,
                    s.span,
                    "only a native resource declares `singular`",
                )
                .with_label("this resource maps a unified one")
                .with_help(
                    "remove `singular`: the unified resource's `singular` names its records",
                ),
            );
        }
        let (model, unified) = self.resolve_unified(unified_name, models)?;
        let cx = ResourceCx {
            unified,
            formats: p.formats,
            check_dates: p.formats_ok,
        };
        self.redacting = rf
            .redact
            .iter()
            .filter_map(|path| self.plain_path(path))
            .filter(|path| !path.is_empty())
            .chain(p.redact.iter().cloned())
            .collect();

        let mut methods = Vec::new();
        let mut all_examples: Vec<serde_json::Value> = Vec::new();
        let mut examples_ok = true;
        let mut lowered_methods: Vec<(ir::Method, Vec<serde_json::Value>, &syntax::Method, Span)> =
            Vec::new();
        for (name, m) in &rf.methods {
            let Some(um) = unified.method(&name.value) else {
                self.err(
                    Diagnostic::new(
                        Code::UnknownMethod,
                        name.span,
                        format!(
                            "the unified `{}` resource has no `{}` method",
                            unified.name, name.value
                        ),
                    )
                    .with_label("method not in the unified model")
                    .with_help(help_for_name(
                        &name.value,
                        unified.methods.iter().map(|m| m.name.as_str()),
                        "method",
                    )),
                );
                continue;
            };
            let mut examples = Vec::new();
            let (method, ok) = self.method(
                file,
                um,
                &unified.fields,
                m,
                p,
                &rf.resource.value,
                &mut examples,
            );
            examples_ok &= ok;
            all_examples.extend(examples.iter().cloned());
            if let Some(method) = method {
                lowered_methods.push((method, examples, m, name.span));
            }
        }

        // A broken example would make every path look missing: check paths only when all
        // examples loaded.
        let resource_examples: Vec<&serde_json::Value> = if examples_ok {
            all_examples.iter().collect()
        } else {
            Vec::new()
        };
        self.param_scope = lowered_methods
            .iter()
            .filter_map(|(method, _, m, _)| {
                let um = unified.method(&method.name)?;
                (um.returns != Returns::Nothing).then(|| {
                    let own = m.fields.iter().map(|(n, _)| n.value.clone()).collect();
                    (method.name.clone(), own, call_params(um))
                })
            })
            .collect();
        let fields = self.field_mappings(&rf.fields, &cx, &resource_examples);
        // A required field that no mapping names at all is one error, at the resource.
        let unmapped_everywhere: Vec<String> = unified
            .fields
            .iter()
            .filter(|f| f.required)
            .filter(|f| {
                !rf.fields
                    .iter()
                    .chain(rf.methods.iter().flat_map(|(_, m)| m.fields.iter()))
                    .any(|(n, _)| n.value == f.name)
            })
            .map(|f| f.name.clone())
            .collect();
        if !rf.methods.is_empty() {
            for name in &unmapped_everywhere {
                self.err(
                    Diagnostic::new(
                        Code::RequiredFieldUnmapped,
                        rf.resource.span,
                        format!("required unified field `{name}` is not mapped"),
                    )
                    .with_label(format!(
                        "`{}` maps `{}.{}`",
                        rf.resource.value, model.name, unified.name
                    ))
                    .with_help(format!("add `{name}: <expression>` under `fields`")),
                );
            }
        }
        for (mut method, examples, m, span) in lowered_methods {
            let method_examples: Vec<&serde_json::Value> = if examples_ok {
                examples.iter().collect()
            } else {
                Vec::new()
            };
            if !m.fields.is_empty() {
                self.param_scope = unified
                    .method(&method.name)
                    .map(|um| vec![(method.name.clone(), Vec::new(), call_params(um))])
                    .unwrap_or_default();
                method.fields = Some(self.field_mappings(&m.fields, &cx, &method_examples));
            }
            self.param_scope.clear();
            // The resource's mappings hold for what this method answers: its own examples
            // must have each path (the other methods' payloads cannot vouch for it).
            if unified
                .method(&method.name)
                .is_some_and(|um| um.returns != Returns::Nothing)
                && !method_examples.is_empty()
            {
                let own: Vec<&str> = m.fields.iter().map(|(n, _)| n.value.as_str()).collect();
                let reported: Vec<Span> = self
                    .diags
                    .iter()
                    .filter(|d| d.code == Code::PathNotInExample)
                    .map(|d| d.span)
                    .collect();
                // A `json` field copies whatever the provider gives: absent in one method's
                // answers is no contradiction (a typo is still SB020).
                let json = |name: &str| {
                    unified
                        .fields
                        .iter()
                        .any(|f| f.name == name && f.ty == FieldType::Json)
                };
                let mut found = Vec::new();
                for fm in fields
                    .iter()
                    .filter(|f| !own.contains(&f.field.as_str()) && !json(&f.field))
                {
                    for e in method_checked_exprs(&fm.value) {
                        expr::check_against_method_examples(
                            e,
                            &method_examples,
                            &method.name,
                            &mut found,
                        );
                    }
                }
                let help = |d: Diagnostic| {
                    d.with_help(format!(
                        "if `{}` can answer this key, add an example that has it; else map the field for `{}` alone, under the method's `fields`",
                        method.name, method.name
                    ))
                };
                self.diags.extend(
                    found
                        .into_iter()
                        .filter(|d| !reported.contains(&d.span))
                        .map(help),
                );
            }
            let um = unified.method(&method.name);
            if um.is_some_and(|um| um.returns != Returns::Nothing) {
                for f in unified
                    .fields
                    .iter()
                    .filter(|f| f.required && !unmapped_everywhere.contains(&f.name))
                {
                    let mapped = fields
                        .iter()
                        .chain(method.fields.iter().flatten())
                        .any(|fm| fm.field == f.name);
                    if !mapped {
                        self.err(
                            Diagnostic::new(
                                Code::RequiredFieldUnmapped,
                                span,
                                format!(
                                    "required unified field `{}` is not mapped for `{}`",
                                    f.name, method.name
                                ),
                            )
                            .with_label(format!(
                                "`{}` returns unified `{}.{}` records",
                                method.name, model.name, unified.name
                            ))
                            .with_help(format!(
                                "add `{}: <expression>` under the resource's `fields`",
                                f.name
                            )),
                        );
                    }
                }
            }
            methods.push(method);
        }

        Some((
            ir::ProviderResource {
                name: rf.resource.value.clone(),
                native: None,
                model: model.name.clone(),
                unified: unified.name.clone(),
                origin: self.origin(rf.resource.span),
                methods,
                fields,
                redact: std::mem::take(&mut self.redacting),
            },
            all_examples,
        ))
    }

    /// A resource without a unified model: each method is a typed proxy of one provider
    /// operation, its parameters declared under `query` and its answer the JSON at
    /// `response.record` (default: the provider's `result`) or a file (`response.binary`).
    fn native_resource(
        &mut self,
        file: FileId,
        rf: syntax::ResourceFile,
        p: &ProviderCx<'_>,
    ) -> Option<ir::ProviderResource> {
        self.name(&rf.resource, "resource");
        if let Some((name, _)) = rf.fields.first() {
            self.err(
                Diagnostic::new(
                    Code::WrongKind,
                    name.span,
                    "a native resource has no field mappings",
                )
                .with_label("no unified resource to map to")
                .with_help("add `unified: <model>.<resource>` to map records, or remove `fields`"),
            );
        }
        let resource = rf.resource.value.clone();
        let singular = rf.singular.as_ref().map_or_else(
            || resource.strip_suffix('s').unwrap_or(&resource).to_owned(),
            |s| s.value.clone(),
        );
        let mut methods = Vec::new();
        for (name, m) in &rf.methods {
            let kind = MethodKind::of(&name.value);
            if kind == MethodKind::Custom && !self.name(name, "method") {
                continue;
            }
            let params: Vec<ir::Field> = m
                .params
                .iter()
                .filter_map(|(q, spec)| {
                    let plain = syntax::FieldSpec {
                        default: None,
                        ..spec.clone()
                    };
                    self.field(q, &plain, &format!("{singular}_{}_{}", name.value, q.value))
                })
                .collect();
            let mut defaults = Vec::new();
            for (q, spec) in &m.params {
                let Some(d) = &spec.default else { continue };
                let credential = d.value.strip_prefix("credentials.").and_then(|c| {
                    p.credentials
                        .iter()
                        .find(|cr| cr.name == c && !cr.secret && !cr.optional)
                });
                match credential {
                    Some(c) if !spec.required => defaults.push((q.value.clone(), c.name.clone())),
                    Some(_) => self.err(
                        Diagnostic::new(Code::WrongKind, d.span, format!("required parameter `{}` has a default", q.value))
                            .with_label("a required parameter is always given")
                            .with_help("remove `default`, or `required: true`"),
                    ),
                    None => self.err(
                        Diagnostic::new(Code::UnknownVariable, d.span, format!("`{}` is not a credential a parameter can default to", d.value))
                            .with_label("expected `credentials.<name>` of a non-secret credential every account gives")
                            .with_help(help_for_name(
                                d.value.trim_start_matches("credentials."),
                                p.credentials.iter().filter(|c| !c.secret && !c.optional).map(|c| c.name.as_str()),
                                "credential",
                            )),
                    ),
                }
            }
            // Docs and tool schemas say where a left-out parameter comes from.
            let params: Vec<ir::Field> = params
                .into_iter()
                .map(|mut f| {
                    if let Some((_, c)) = defaults.iter().find(|(q, _)| *q == f.name) {
                        let sep = if f.description.is_empty() { "" } else { " " };
                        f.description =
                            format!("{}{sep}Defaults to the account's `{c}`.", f.description);
                    }
                    f
                })
                .collect();
            if let Some(r) = &m.records {
                self.err(
                    Diagnostic::new(Code::WrongKind, r.span, "a native method answers one JSON value")
                        .with_label("no records without a unified resource")
                        .with_help("write `response: { record: <path> }`; a list comes back as the JSON array it is"),
                );
            }
            // The request as for any method; examples are checked below, since a native
            // answer may be any JSON (an array, a scalar), not a record object.
            let um = ir::UnifiedMethod {
                name: name.value.clone(),
                kind: MethodKind::Custom,
                description: String::new(),
                query: params.clone(),
                body: Vec::new(),
                returns: Returns::Nothing,
            };
            let request_only = syntax::Method {
                examples: Vec::new(),
                ..m.clone()
            };
            let (method, _) =
                self.method(file, &um, &[], &request_only, p, &resource, &mut Vec::new());
            let Some(mut method) = method else { continue };
            // A native parameter is the method's own: one the request never sends is a mistake,
            // not a filter another provider might apply.
            for q in std::mem::take(&mut method.unsupported_query) {
                let at = m
                    .params
                    .iter()
                    .find(|(n, _)| n.value == q)
                    .map_or(m.span, |(n, _)| n.span);
                self.err(
                    Diagnostic::new(
                        Code::RequiredQueryUnused,
                        at,
                        format!("the request never sends `{q}`, a parameter of `{}`", name.value),
                    )
                    .with_label("declared, never sent")
                    .with_help(format!(
                        "use `{{{{ query.{q} }}}}` in the path, query or body, or remove the parameter"
                    )),
                );
            }
            let binary = m.binary.as_ref().is_some_and(|b| b.value);
            if binary && m.record.is_some() {
                let at = m.record.as_ref().map_or(m.span, |r| r.span);
                self.err(
                    Diagnostic::new(Code::WrongKind, at, "a binary answer has no `record`")
                        .with_label("the body is a file, not JSON")
                        .with_help("remove `record` or `binary`"),
                );
            }
            if m.record.is_none() {
                method.data_path = if binary {
                    Vec::new()
                } else {
                    p.result.to_vec()
                };
            }
            for example in &m.examples {
                let Some(body) = self.example(file, example) else {
                    continue;
                };
                let found = ir::record_at(&body, &method.data_path).is_some();
                method.example_bodies.push(body);
                if !found {
                    self.err(
                        Diagnostic::new(
                            Code::ExampleShape,
                            example.span,
                            format!(
                                "the example has no value at `{}`",
                                ir::path_text(&method.data_path)
                            ),
                        )
                        .with_label("example does not match the response path")
                        .with_help("fix `response.record` (or the provider's `result`) or the example payload"),
                    );
                }
            }
            method.examples = m
                .examples
                .iter()
                .map(|e| example_path(&self.sources.get(file).path, &e.value))
                .collect();
            method.kind = kind;
            if m.tool.is_none() {
                method.tool_name =
                    tool_name(p.tool_prefix, &resource, &singular, kind, &name.value);
            }
            method.description = m
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_default();
            method.native = Some(ir::NativeMethod {
                params,
                defaults,
                binary,
            });
            methods.push(method);
        }
        Some(ir::ProviderResource {
            name: resource,
            native: Some(ir::NativeResource { singular }),
            model: String::new(),
            unified: String::new(),
            origin: self.origin(rf.resource.span),
            methods,
            fields: Vec::new(),
            redact: Vec::new(),
        })
    }

    fn resolve_unified<'m>(
        &mut self,
        s: &Str,
        models: &'m [ir::Model],
    ) -> Option<(&'m ir::Model, &'m ir::Resource)> {
        let Some((model_name, resource_name)) = s.value.split_once('.') else {
            self.err(
                Diagnostic::new(
                    Code::UnknownResource,
                    s.span,
                    format!("`{}` does not name a unified resource", s.value),
                )
                .with_label("expected `<model>.<resource>`")
                .with_help("write it as `ticketing.tickets`"),
            );
            return None;
        };
        let Some(model) = models.iter().find(|m| m.name == model_name) else {
            self.err(
                Diagnostic::new(
                    Code::UnknownModel,
                    s.span.slice(0, model_name.len()),
                    format!("unknown unified model `{model_name}`"),
                )
                .with_label("no such model in mappings/unified/")
                .with_help(help_for_name(
                    model_name,
                    models.iter().map(|m| m.name.as_str()),
                    "model",
                )),
            );
            return None;
        };
        let Some(resource) = model.resource(resource_name) else {
            self.err(
                Diagnostic::new(
                    Code::UnknownResource,
                    s.span.slice(model_name.len() + 1, resource_name.len()),
                    format!("unified model `{model_name}` has no resource `{resource_name}`"),
                )
                .with_label("unknown unified resource")
                .with_help(help_for_name(
                    resource_name,
                    model.resources.iter().map(|r| r.name.as_str()),
                    "resource",
                )),
            );
            return None;
        };
        Some((model, resource))
    }

    /// Lowers one method; the flag is false when one of its examples could not be loaded.
    #[allow(clippy::too_many_arguments)]
    fn method(
        &mut self,
        file: FileId,
        um: &ir::UnifiedMethod,
        fields: &[ir::Field],
        m: &syntax::Method,
        p: &ProviderCx<'_>,
        resource: &str,
        examples: &mut Vec<serde_json::Value>,
    ) -> (Option<ir::Method>, bool) {
        let kind = um.kind;
        if let Some(f) = &m.fixed
            && kind != MethodKind::List
        {
            self.err(
                Diagnostic::new(
                    Code::StaticMethod,
                    f.span,
                    format!("`{}` cannot be static: only a list can", um.name),
                )
                .with_label("records served without a request")
                .with_help("give this method a `request`; `static` is for lists of fixed records"),
            );
            // Its examples are not read, so field paths are not checked against them either.
            return (None, false);
        }
        let http = m.http_method.value.as_str();
        if !HTTP_METHODS.contains(&http) {
            self.err(
                Diagnostic::new(
                    Code::InvalidHttpMethod,
                    m.http_method.span,
                    format!("`{http}` is not an HTTP method"),
                )
                .with_label("unknown HTTP method")
                .with_help(help_for_name(
                    http,
                    HTTP_METHODS.iter().copied(),
                    "HTTP method",
                )),
            );
        }

        // Variables a request may use.
        let mut vars: Vec<String> = p.public_vars.to_vec();
        vars.push("id".to_owned());
        vars.extend(um.query.iter().map(|q| format!("query.{}", q.name)));
        // A path may also use the write's required body fields (the ticket a comment goes to).
        let mut path_vars = vars.clone();
        for b in um.body.iter().filter(|b| b.required) {
            path_vars.push(format!("body.{}", b.name));
            if fields
                .iter()
                .any(|f| f.name == b.name && f.ty == FieldType::Reference)
            {
                path_vars.push(format!("body.{}.id", b.name));
            }
        }
        let path = self.template(&m.path, &path_vars, p.credentials, "a request path", false);
        let in_path: Vec<String> = path
            .iter()
            .flat_map(|t| t.vars())
            .filter(|(var, _)| var.first().is_some_and(|s| s == "body"))
            .filter_map(|(var, _)| var.get(1).cloned())
            .collect();
        if let Some(path) = &path {
            let uses_id = path.vars().any(|(v, _)| v == ["id"]);
            if kind.takes_id() && !uses_id {
                self.err(
                    Diagnostic::new(
                        Code::PathParameterMissing,
                        m.path.span,
                        format!("the path of `{}` does not use `{{{{ id }}}}`", um.name),
                    )
                    .with_label("the record's id is not in the path")
                    .with_help("put the id in the path, such as `/tickets/{{ id }}`"),
                );
            }
            if matches!(kind, MethodKind::List | MethodKind::Create) {
                for (v, span) in path.vars() {
                    if v == ["id"] {
                        self.err(
                            Diagnostic::new(Code::PathParameterUnavailable, span, format!("`{}` has no record id", um.name))
                                .with_label("`id` is not known here")
                                .with_help("remove `{{ id }}` from the path; list and create act on the collection"),
                        );
                    }
                }
            }
        }
        let query: Vec<(String, ir::RequestValue)> = m
            .query
            .iter()
            .filter_map(|(name, v)| {
                Some((
                    name.value.clone(),
                    self.request_value(v, &vars, um, fields, p, false)?,
                ))
            })
            .collect();
        let headers = self.headers(&m.headers, &vars, p.credentials);

        let body = match &m.body {
            Some((span, values)) => {
                if matches!(http, "GET" | "DELETE") {
                    self.err(
                        Diagnostic::new(
                            Code::BodyNotSent,
                            *span,
                            format!("a {http} request does not send a body"),
                        )
                        .with_label("body declared here")
                        .with_help("send the values in `query`, or use POST, PUT or PATCH"),
                    );
                }
                let mut body_vars = vars.clone();
                body_vars.extend(um.body.iter().map(|b| format!("body.{}", b.name)));
                let body: Vec<(String, ir::RequestValue)> = values
                    .iter()
                    .filter_map(|(name, v)| {
                        Some((
                            name.value.clone(),
                            self.request_value(v, &body_vars, um, fields, p, true)?,
                        ))
                    })
                    .collect();
                let mut used: Vec<String> =
                    body.iter().flat_map(|(_, v)| body_fields_used(v)).collect();
                used.extend(in_path.iter().cloned());
                for b in um.body.iter().filter(|b| b.required) {
                    if !used.contains(&b.name) {
                        self.err(
                            Diagnostic::new(
                                Code::RequiredBodyFieldUnused,
                                *span,
                                format!(
                                    "the body never sends `{}`, which `{}` requires",
                                    b.name, um.name
                                ),
                            )
                            .with_label("required body field not mapped")
                            .with_help(format!(
                                "send it, for example `<provider key>: \"{{{{ body.{} }}}}\"`",
                                b.name
                            )),
                        );
                    }
                }
                Some(body)
            }
            None => {
                for b in um.body.iter().filter(|b| b.required) {
                    self.err(
                        Diagnostic::new(
                            Code::RequiredBodyFieldUnused,
                            m.span,
                            format!(
                                "`{}` requires `{}` in its body, but this request sends no body",
                                um.name, b.name
                            ),
                        )
                        .with_label("no `request.body`")
                        .with_help("add `request.body` mapping the unified body to the provider's"),
                    );
                }
                None
            }
        };

        // Required parameters must reach the provider; optional ones it ignores are refused at
        // run time (a filter silently dropped would return the wrong records).
        let mut used: Vec<String> = path.iter().flat_map(query_vars).collect();
        used.extend(query.iter().flat_map(|(_, v)| request_vars(v)));
        used.extend(headers.iter().flat_map(|(_, t)| query_vars(t)));
        if let Some(b) = &body {
            used.extend(b.iter().flat_map(|(_, v)| request_vars(v)));
        }
        for q in um.query.iter().filter(|q| q.required) {
            if !used.contains(&q.name) {
                self.err(
                    Diagnostic::new(
                        Code::RequiredQueryUnused,
                        m.span,
                        format!(
                            "the request never sends `{}`, which `{}` requires",
                            q.name, um.name
                        ),
                    )
                    .with_label("required parameter not mapped")
                    .with_help(format!(
                        "use `{{{{ query.{} }}}}` in the path, query or body",
                        q.name
                    )),
                );
            }
        }

        let paginated = match m.pagination.as_ref().map(|s| s.value.as_str()) {
            None if m.fixed.is_some() => false,
            None => kind == MethodKind::List || um.returns == Returns::Records,
            Some("none") => false,
            Some(other) => {
                let span = m.pagination.as_ref().map_or(m.span, |s| s.span);
                self.err(
                    Diagnostic::new(
                        Code::WrongKind,
                        span,
                        format!("`pagination: {other}` is not allowed here"),
                    )
                    .with_label("a method can only turn pagination off")
                    .with_help(
                        "write `pagination: none` for a method that returns everything at once",
                    ),
                );
                false
            }
        };
        if paginated && !p.has_pagination {
            self.err(
                Diagnostic::new(Code::ListWithoutPagination, m.span, format!("`{}` returns records, but the provider has no `pagination`", um.name))
                    .with_label("how are pages fetched?")
                    .with_help("declare `pagination` in provider.yaml, or write `pagination: none` on this method"),
            );
        }

        let returns_records = um.returns == Returns::Records;
        if let Some(d) = &m.distinct
            && d.value
            && um.returns != Returns::Records
        {
            self.err(
                Diagnostic::new(
                    Code::WrongKind,
                    d.span,
                    format!(
                        "`{}` returns one record: `distinct` does not apply",
                        um.name
                    ),
                )
                .with_label("only lists have duplicates to drop")
                .with_help("remove `distinct`"),
            );
        } else if let Some(d) = &m.distinct
            && d.value
            && !fields
                .iter()
                .any(|f| f.name == "id" && f.required && f.ty == FieldType::String)
        {
            self.err(
                Diagnostic::new(
                    Code::WrongKind,
                    d.span,
                    "`distinct` compares unified ids, and this resource has no required string `id`",
                )
                .with_label("duplicates cannot be told apart")
                .with_help("remove `distinct`, or give the unified resource `id: { type: string, required: true }`"),
            );
        }
        // A static file is the records array itself.
        let data = if returns_records {
            if m.records.is_none() && m.fixed.is_none() {
                self.err(
                    Diagnostic::new(
                        Code::MissingKey,
                        m.span,
                        format!("`{}` needs `response.records`", um.name),
                    )
                    .with_label("where are the records?")
                    .with_help(
                        "add `response: { records: data }` with the path of the records array",
                    ),
                );
            }
            m.records.as_ref()
        } else {
            m.record.as_ref()
        };
        let data_path = match data {
            Some(d) if returns_records => match self.records_path(d) {
                Some(p) => p,
                None => return (None, true),
            },
            Some(d) => match self.record_path(d) {
                Some(p) => p,
                None => return (None, true),
            },
            None => Vec::new(),
        };

        let mut examples_ok = true;
        let mut fixed = None;
        let mut bodies = Vec::new();
        for example in m.fixed.iter().chain(&m.examples) {
            let Some(body) = self.example(file, example) else {
                examples_ok = false;
                continue;
            };
            if m.fixed.as_ref() == Some(example) {
                if body.is_array() {
                    fixed = Some(body.to_string());
                }
            } else {
                bodies.push(body.clone());
            }
            let records = returns_records
                .then(|| ir::records_in(&body, &data_path))
                .flatten();
            let data = ir::record_at(&body, &data_path);
            match (returns_records, records, data) {
                (true, Some(items), _) => examples.extend(items.into_iter().cloned()),
                (false, _, Some(record @ serde_json::Value::Object(_))) => {
                    examples.push(record.clone())
                }
                _ => {
                    examples_ok = false;
                    let what = if returns_records {
                        "array of records"
                    } else {
                        "record object"
                    };
                    self.err(
                        Diagnostic::new(
                            Code::ExampleShape,
                            example.span,
                            format!(
                                "the example has no {what} at `{}`",
                                ir::path_text(&data_path)
                            ),
                        )
                        .with_label("example does not match the response path")
                        .with_help("fix `response` or the example payload"),
                    );
                }
            }
        }
        if m.examples.is_empty() && m.fixed.is_none() && um.returns != Returns::Nothing {
            self.err(
                Diagnostic::new(
                    Code::NoExamples,
                    m.span,
                    format!("`{}` has no example payloads", um.name),
                )
                .with_label("its field paths are checked only against the other methods' examples")
                .with_help(
                    "add `examples: [examples/<file>.json]` with a captured (anonymised) response",
                ),
            );
        }

        let provenance = match &m.provenance {
            None => {
                self.err(
                    Diagnostic::new(Code::MissingKey, m.span, "method has no `provenance`")
                        .with_label("where does this method come from?")
                        .with_help("add `provenance: { kind: documented, source: <url> }` (or observed / inferred)"),
                );
                return (None, examples_ok);
            }
            Some(pr) => {
                let pk = match pr.kind.value.as_str() {
                    "documented" => ir::ProvenanceKind::Documented,
                    "observed" => ir::ProvenanceKind::Observed,
                    "inferred" => ir::ProvenanceKind::Inferred,
                    other => {
                        self.err(
                            Diagnostic::new(
                                Code::UnknownProvenance,
                                pr.kind.span,
                                format!("unknown provenance `{other}`"),
                            )
                            .with_label("not a provenance kind")
                            .with_help(help_for_name(
                                other,
                                ["documented", "observed", "inferred"],
                                "provenance kind",
                            )),
                        );
                        return (None, examples_ok);
                    }
                };
                if pk != ir::ProvenanceKind::Inferred && pr.source.is_none() {
                    self.err(
                        Diagnostic::new(
                            Code::ProvenanceWithoutSource,
                            pr.kind.span,
                            format!("a {} method should name its source", pk.as_str()),
                        )
                        .with_label("no `source`")
                        .with_help("add `source: <url>` of the documentation or capture"),
                    );
                }
                ir::Provenance {
                    kind: pk,
                    source: pr.source.as_ref().map(|s| s.value.clone()),
                    note: pr.note.as_ref().map(|s| s.value.clone()),
                }
            }
        };

        let tool_name = match &m.tool {
            Some(t) => t.value.clone(),
            None => default_tool_name(p.tool_prefix, resource, um),
        };
        // Optional body fields the request never sends are refused at run time, like filters.
        let sent: Vec<String> = body
            .iter()
            .flatten()
            .flat_map(|(_, v)| body_fields_used(v))
            .chain(in_path)
            .collect();
        let unsupported_body = um
            .body
            .iter()
            .filter(|b| !b.required && !sent.contains(&b.name))
            .map(|b| b.name.clone())
            .collect();
        let method = path.map(|path| ir::Method {
            name: um.name.clone(),
            native: None,
            kind,
            description: m
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_else(|| um.description.clone()),
            http_method: http.to_owned(),
            path,
            query,
            headers,
            body,
            data_path,
            paginated,
            retry_safe: m.retry_safe.as_ref().is_some_and(|b| b.value),
            unsupported_body,
            unsupported_query: um
                .query
                .iter()
                .filter(|q| !q.required && !used.contains(&q.name))
                .map(|q| q.name.clone())
                .collect(),
            provenance,
            tool_name,
            examples: m
                .fixed
                .iter()
                .chain(&m.examples)
                .map(|e| example_path(&self.sources.get(file).path, &e.value))
                .collect(),
            example_bodies: bodies,
            fixed,
            distinct: m.distinct.as_ref().is_some_and(|d| d.value),
            tool_span: m.tool.as_ref().map_or(m.span, |t| t.span),
            fields: None,
            origin: self.origin(m.span),
        });
        (method, examples_ok)
    }

    /// A query or body value; body variables are checked against the unified method's body.
    fn request_value(
        &mut self,
        v: &syntax::RequestValue,
        vars: &[String],
        um: &ir::UnifiedMethod,
        fields: &[ir::Field],
        p: &ProviderCx<'_>,
        in_body: bool,
    ) -> Option<ir::RequestValue> {
        match v {
            syntax::RequestValue::Template(t) => {
                let place = if in_body {
                    "a request body"
                } else {
                    "a request query"
                };
                let lowered = self.template(t, vars, p.credentials, place, false)?;
                for (var, span) in lowered.vars() {
                    if var.first().is_some_and(|s| s == "body") {
                        self.check_body_var(var, span, um, fields);
                    }
                }
                Some(ir::RequestValue::Template(lowered))
            }
            syntax::RequestValue::List(items) => Some(ir::RequestValue::List(
                items
                    .iter()
                    .filter_map(|v| self.request_value(v, vars, um, fields, p, in_body))
                    .collect(),
            )),
            syntax::RequestValue::JsonText(inner) => Some(ir::RequestValue::JsonText(Box::new(
                self.request_value(inner, vars, um, fields, p, in_body)?,
            ))),
            syntax::RequestValue::Object(members) => Some(ir::RequestValue::Object(
                members
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((
                            k.value.clone(),
                            self.request_value(v, vars, um, fields, p, in_body)?,
                        ))
                    })
                    .collect(),
            )),
            syntax::RequestValue::From {
                from,
                as_type,
                cases,
            } => {
                let var: Vec<String> = from.value.split('.').map(str::to_owned).collect();
                let declared = match var.first().map(String::as_str) {
                    Some("body") if in_body => {
                        var.len() >= 2 && um.body.iter().any(|b| b.name == var[1])
                    }
                    Some("query") => var.len() == 2 && um.query.iter().any(|q| q.name == var[1]),
                    Some("id") => var.len() == 1,
                    Some("credentials") => vars.contains(&from.value),
                    _ => false,
                };
                if !declared {
                    let mut candidates: Vec<String> = vars.to_vec();
                    if in_body {
                        candidates.extend(um.body.iter().map(|b| format!("body.{}", b.name)));
                    }
                    if var.first().is_some_and(|s| s == "body") && var.len() >= 2 {
                        self.check_body_var(&var, from.span, um, fields);
                    } else {
                        self.err(
                            Diagnostic::new(
                                Code::UnknownVariable,
                                from.span,
                                format!("`{}` is not a variable of this request", from.value),
                            )
                            .with_label("undeclared variable")
                            .with_help(help_for_name(
                                &from.value,
                                candidates.iter().map(String::as_str),
                                "variable",
                            )),
                        );
                    }
                    return None;
                }
                let var_type = match var.first().map(String::as_str) {
                    Some("body") => self.check_body_var(&var, from.span, um, fields),
                    Some("query") => um
                        .query
                        .iter()
                        .find(|q| q.name == var[1])
                        .map(|q| q.ty.clone()),
                    _ => Some(FieldType::String),
                };
                if let Some(FieldType::Enum(values)) = &var_type {
                    for (unified_value, _) in cases {
                        if !values.contains(&unified_value.value) {
                            self.err(
                                Diagnostic::new(
                                    Code::EnumTargetUnknown,
                                    unified_value.span,
                                    format!(
                                        "`{}` is not a value of the unified `{}`",
                                        unified_value.value,
                                        var.join(".")
                                    ),
                                )
                                .with_label("unknown unified value")
                                .with_help(help_for_name(
                                    &unified_value.value,
                                    values.iter().map(String::as_str),
                                    "value",
                                )),
                            );
                        }
                    }
                }
                let as_type = match as_type {
                    None => None,
                    Some(t) => match t.value.as_str() {
                        "string" => Some(FieldType::String),
                        "integer" => Some(FieldType::Integer),
                        "number" => Some(FieldType::Number),
                        "boolean" => Some(FieldType::Boolean),
                        "json" => Some(FieldType::Json),
                        other => {
                            self.err(
                                Diagnostic::new(
                                    Code::UnknownType,
                                    t.span,
                                    format!("cannot send a value as `{other}`"),
                                )
                                .with_label("unknown type")
                                .with_help(help_for_name(
                                    other,
                                    ["string", "integer", "number", "boolean", "json"],
                                    "type",
                                )),
                            );
                            return None;
                        }
                    },
                };
                Some(ir::RequestValue::From {
                    var,
                    as_type,
                    cases: cases
                        .iter()
                        .map(|(u, r)| (u.value.clone(), r.value.clone()))
                        .collect(),
                })
            }
        }
    }

    /// `body.<field>…` must name a field the unified method accepts (and members it has);
    /// returns the type of what the variable reads.
    fn check_body_var(
        &mut self,
        var: &[String],
        span: Span,
        um: &ir::UnifiedMethod,
        fields: &[ir::Field],
    ) -> Option<FieldType> {
        let name = var.get(1)?;
        if !um.body.iter().any(|b| &b.name == name) {
            self.err(
                Diagnostic::new(
                    Code::BodyFieldNotAccepted,
                    span,
                    format!("`{}` does not accept `{name}` in its body", um.name),
                )
                .with_label("not a body field of the unified method")
                .with_help(help_for_name(
                    name,
                    um.body.iter().map(|b| b.name.as_str()),
                    "body field",
                )),
            );
            return None;
        }
        let mut ty = fields.iter().find(|f| &f.name == name)?.ty.clone();
        for member in &var[2..] {
            ty = match &ty {
                FieldType::Reference if member == "id" || member == "name" => FieldType::String,
                // `body.emails.0.email`: an element of a list, by its position.
                FieldType::List(inner) if member.parse::<usize>().is_ok() => inner.as_ref().clone(),
                FieldType::Object { fields, .. } => match fields.iter().find(|f| &f.name == member)
                {
                    Some(f) => f.ty.clone(),
                    None => {
                        self.err(
                            Diagnostic::new(
                                Code::UnknownField,
                                span,
                                format!("`{}` has no member `{member}`", var.join(".")),
                            )
                            .with_label("unknown member")
                            .with_help(help_for_name(
                                member,
                                fields.iter().map(|f| f.name.as_str()),
                                "member",
                            )),
                        );
                        return None;
                    }
                },
                other => {
                    let members: &[&str] = match other {
                        FieldType::Reference => &["id", "name"],
                        FieldType::List(_) => &["0"],
                        _ => &[],
                    };
                    self.err(
                        Diagnostic::new(
                            Code::UnknownField,
                            span,
                            format!("`{}` has no member `{member}`", var.join(".")),
                        )
                        .with_label(format!("a {} has no members", other.describe()))
                        .with_help(help_for_name(
                            member,
                            members.iter().copied(),
                            "member",
                        )),
                    );
                    return None;
                }
            };
        }
        Some(ty)
    }

    /// Loads an example payload next to the resource file; JSON errors point into the example.
    fn example(&mut self, file: FileId, example: &Str) -> Option<serde_json::Value> {
        let relative = example_path(&self.sources.get(file).path, &example.value);
        let text = match self.reader.read(&relative) {
            Ok(text) => text,
            Err(why) => {
                let (message, label) = match why {
                    Unreadable::Missing => (
                        format!("example `{}` not found", example.value),
                        format!("no file at {relative}"),
                    ),
                    Unreadable::Refused(why) => {
                        (format!("example `{}` cannot be read", example.value), why)
                    }
                };
                self.err(
                    Diagnostic::new(Code::ExampleNotFound, example.span, message)
                        .with_label(label)
                        .with_help(
                            "give the path of a JSON file relative to this mapping file, inside the mappings directory",
                        ),
                );
                return None;
            }
        };
        match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                let id = self.sources.add(relative.clone(), text);
                let f = self.sources.get(id);
                let start = f
                    .line_starts()
                    .get(e.line().saturating_sub(1))
                    .copied()
                    .unwrap_or(0);
                let at = (start + e.column().saturating_sub(1)).min(f.text.len());
                self.err(
                    Diagnostic::new(
                        Code::ExampleNotJson,
                        Span::new(id, at..at),
                        "example payload is not valid JSON",
                    )
                    .with_label(
                        e.to_string()
                            .split(" at line ")
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                    .with_secondary(example.span, "example referenced here")
                    .with_help("fix the JSON in the example file"),
                );
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Field mappings

    fn field_mappings(
        &mut self,
        mappings: &[(Str, syntax::FieldMapping)],
        cx: &ResourceCx<'_>,
        examples: &[&serde_json::Value],
    ) -> Vec<ir::FieldMapping> {
        self.members(
            mappings,
            &cx.unified.fields,
            &format!("the unified `{}` resource", cx.unified.name),
            cx,
            examples,
        )
    }

    /// Mappings of `fields` (of a resource or an object), relative to `examples`.
    fn members(
        &mut self,
        mappings: &[(Str, syntax::FieldMapping)],
        fields: &[ir::Field],
        owner: &str,
        cx: &ResourceCx<'_>,
        examples: &[&serde_json::Value],
    ) -> Vec<ir::FieldMapping> {
        let mut out = Vec::new();
        for (name, mapping) in mappings {
            let Some(field) = fields.iter().find(|f| f.name == name.value) else {
                self.unknown_field(name, fields, owner);
                continue;
            };
            if self.broken_fields.contains(&field.origin) {
                continue;
            }
            if field.write_only {
                self.err(
                    Diagnostic::new(
                        Code::ReadOfWriteOnly,
                        name.span,
                        format!("`{}` is write-only and never read back", field.name),
                    )
                    .with_label("write-only field in a response mapping")
                    .with_help("remove the mapping, or drop `write_only` from the unified field"),
                );
                continue;
            }
            if let Some(value) = self.field_mapping(field, mapping, cx, examples) {
                out.push(ir::FieldMapping {
                    field: field.name.clone(),
                    origin: self.origin(name.span),
                    redact: self.redactions(field, &value),
                    value,
                });
            }
        }
        out
    }

    fn lower_checked(&mut self, s: &Str, examples: &[&serde_json::Value]) -> Option<Expr> {
        let e = expr::lower(s, &mut self.diags)?;
        expr::check_against_examples(&e, examples, &mut self.diags);
        if let Some(hidden) = self
            .redacting
            .iter()
            .find(|r| e.read_paths().iter().any(|p| redacted_read(p, r)))
        {
            let (path, where_) = match hidden.split_first() {
                Some((first, rule)) if first == ANYWHERE => (rule, "for this provider"),
                _ => (hidden.as_slice(), "in this resource"),
            };
            self.err(
                Diagnostic::new(
                    Code::RedactedFieldRead,
                    s.span,
                    format!("`{}` is redacted {where_}", ir::path_text(path)),
                )
                .with_label("reads a redacted value")
                .with_help(
                    "remove the mapping, or take the path out of `redact` if it is no secret",
                ),
            );
            return None;
        }
        Some(e)
    }

    /// The `redact` paths inside what a `json` field reads with a plain path (`@`: all).
    fn redactions(&self, field: &ir::Field, value: &ir::ValueMapping) -> Vec<Vec<String>> {
        let (FieldType::Json, ir::ValueMapping::Expr(e)) = (&field.ty, value) else {
            return Vec::new();
        };
        let Some(base) = e.as_path() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for r in &self.redacting {
            match r.split_first() {
                Some((first, rule)) if first == ANYWHERE => {
                    // Anywhere inside the value, and below it when the value is inside the
                    // rule's path (`channel` read whole, for `channel.password`).
                    out.push(r.clone());
                    for k in 1..rule.len() {
                        let head = &rule[..k];
                        if base.len() >= k
                            && base[base.len() - k..].iter().zip(head).all(|(a, b)| a == b)
                        {
                            out.push(rule[k..].to_vec());
                        }
                    }
                }
                _ if r.len() > base.len() && r.iter().zip(&base).all(|(a, b)| a == b) => {
                    out.push(r[base.len()..].to_vec());
                }
                _ => {}
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// SB097: a resource whose example records embed an object holding every path another
    /// resource redacts (a channel's `username` and `password` inside a ticket), where neither
    /// it nor the provider redacts them.
    fn embedded_secrets(
        &mut self,
        resources: &[ir::ProviderResource],
        examples: &[(String, Span, Vec<serde_json::Value>)],
        anywhere: &[Vec<String>],
    ) {
        for owner in resources {
            let local: Vec<&Vec<String>> = owner
                .redact
                .iter()
                .filter(|r| r.first().is_none_or(|f| f != ANYWHERE))
                .collect();
            if local.is_empty() {
                continue;
            }
            for (name, span, records) in examples {
                if *name == owner.name {
                    continue;
                }
                let Some(at) = records
                    .iter()
                    .find_map(|r| embedding(r, &local, &mut Vec::new()))
                else {
                    continue;
                };
                let covered = local.iter().all(|l| {
                    let full: Vec<String> = at.iter().cloned().chain(l.iter().cloned()).collect();
                    resources
                        .iter()
                        .find(|r| r.name == *name)
                        .is_some_and(|r| r.redact.iter().any(|red| redacted_read(&full, red)))
                        || anywhere.iter().any(|red| redacted_read(&full, red))
                });
                if covered {
                    continue;
                }
                let paths: Vec<String> = local
                    .iter()
                    .map(|l| format!("{}.{}", ir::path_text(&at), ir::path_text(l)))
                    .collect();
                let rules: Vec<String> = local
                    .iter()
                    .map(|l| {
                        format!(
                            "{}.{}",
                            at.last().map_or("", String::as_str),
                            ir::path_text(l)
                        )
                    })
                    .collect();
                self.err(
                    Diagnostic::new(
                        Code::EmbeddedSecret,
                        *span,
                        format!(
                            "`{name}` records embed `{}`, which holds what `{}` redacts",
                            ir::path_text(&at),
                            owner.name
                        ),
                    )
                    .with_label(format!("{} would leave in `remote_data`", paths.join(", ")))
                    .with_help(format!(
                        "redact them wherever they appear: add `redact: [{}]` to provider.yaml",
                        rules.join(", ")
                    )),
                );
            }
        }
    }

    fn mismatch(
        &mut self,
        field: &ir::Field,
        span: Span,
        form: &str,
        help: &str,
    ) -> Option<ir::ValueMapping> {
        self.err(
            Diagnostic::new(
                Code::TypeMismatch,
                span,
                format!(
                    "`{}` is {} field; {form} cannot fill it",
                    field.name,
                    field.ty.with_article()
                ),
            )
            .with_label(format!("{form} given"))
            .with_help(help.to_owned()),
        );
        None
    }

    fn field_mapping(
        &mut self,
        field: &ir::Field,
        mapping: &syntax::FieldMapping,
        cx: &ResourceCx<'_>,
        examples: &[&serde_json::Value],
    ) -> Option<ir::ValueMapping> {
        match mapping {
            syntax::FieldMapping::Param(s) => {
                let var: Vec<String> = s.value.split('.').map(str::to_owned).collect();
                let scalar = matches!(
                    field.ty,
                    FieldType::String | FieldType::Integer | FieldType::Reference
                );
                let root = var.first().map(String::as_str);
                if !scalar
                    || !matches!(root, Some("id" | "query" | "body"))
                    || var.iter().any(String::is_empty)
                {
                    self.err(
                        Diagnostic::new(Code::UnknownVariable, s.span, format!("`{}` cannot fill `{}` from the call", s.value, field.name))
                            .with_label("not a call parameter for this field")
                            .with_help("`param` takes `id`, `query.<parameter>` or `body.<field>…`, for a string, integer or reference field"),
                    );
                    return None;
                }
                let missing = self.param_scope.iter().find(|(_, own, params)| {
                    !own.contains(&field.name)
                        && !params.iter().any(|p| {
                            let var = var.join(".");
                            var == *p || var.starts_with(&format!("{p}."))
                        })
                });
                if let Some((method, _, params)) = missing {
                    self.err(
                        Diagnostic::new(Code::UnknownVariable, s.span, format!("`{}` is not a parameter of `{method}`", s.value))
                            .with_label(format!("`{method}` maps `{}` too, and has no such parameter", field.name))
                            .with_help(if params.is_empty() {
                                format!("`{method}` takes no parameters: map `{}` under that method's own `fields`", field.name)
                            } else {
                                let params: Vec<String> = params.iter().map(|p| format!("`{p}`")).collect();
                                format!("use one of {} here, or map `{}` under `{method}`'s own `fields`", params.join(", "), field.name)
                            }),
                    );
                    return None;
                }
                Some(ir::ValueMapping::Param(var))
            }
            syntax::FieldMapping::Expr(s) => {
                let e = self.lower_checked(s, examples)?;
                match &field.ty {
                    FieldType::Enum(_) => {
                        self.err(
                            Diagnostic::new(Code::EnumMapMissing, s.span, format!("`{}` is an enum: map the provider's values", field.name))
                                .with_label("no enum map")
                                .with_help("write `{ from: <expr>, enum: { RAW: value }, fallback: raw }`"),
                        );
                        None
                    }
                    FieldType::Object { .. } => {
                        self.mismatch(field, s.span, "an expression", "map the object member by member: `{ fields: { <member>: <expr> } }`")
                    }
                    // A list of ids or names (`teams: teams`) is a list of references by id.
                    FieldType::List(inner) if **inner == FieldType::Reference => {
                        self.example_types(field, &FieldType::String, &e, s.span, examples, cx, true);
                        Some(ir::ValueMapping::Expr(e))
                    }
                    FieldType::List(inner) if matches!(**inner, FieldType::Object { .. } | FieldType::Enum(_)) => {
                        self.mismatch(
                            field,
                            s.span,
                            "an expression",
                            "write `{ each: <expr>, fields: {...} }` for objects, and an enum map for enums",
                        )
                    }
                    FieldType::List(inner) => {
                        self.example_types(field, inner, &e, s.span, examples, cx, true);
                        Some(ir::ValueMapping::Expr(e))
                    }
                    FieldType::Json => Some(ir::ValueMapping::Expr(e)),
                    _ if e.is_many() => {
                        self.err(
                            Diagnostic::new(Code::ManyIntoOne, s.span, format!("`{}` holds one value, but this projection yields many", field.name))
                                .with_label("a projection")
                                .with_help("select a single value, or make the unified field a list"),
                        );
                        None
                    }
                    FieldType::Datetime | FieldType::Date => {
                        self.example_types(field, &field.ty, &e, s.span, examples, cx, false);
                        Some(ir::ValueMapping::Datetime { from: e, formats: Vec::new() })
                    }
                    FieldType::Reference => {
                        self.example_types(field, &FieldType::String, &e, s.span, examples, cx, false);
                        Some(ir::ValueMapping::Reference { id: e, name: None })
                    }
                    ty => {
                        self.example_types(field, ty, &e, s.span, examples, cx, false);
                        Some(ir::ValueMapping::Expr(e))
                    }
                }
            }
            syntax::FieldMapping::Join {
                parts,
                separator,
                span,
            } => {
                if field.ty != FieldType::String {
                    return self.mismatch(
                        field,
                        *span,
                        "a joined value",
                        "join only into a string field (such as a derived `id`)",
                    );
                }
                let mut lowered = Vec::new();
                for part in parts {
                    let e = self.lower_checked(part, examples)?;
                    if e.is_many() {
                        self.err(
                            Diagnostic::new(
                                Code::ManyIntoOne,
                                part.span,
                                format!("a part of `{}` must be one value, but this projection yields many", field.name),
                            )
                            .with_label("a projection")
                            .with_help("select a single value"),
                        );
                        return None;
                    }
                    self.example_types(
                        field,
                        &FieldType::String,
                        &e,
                        part.span,
                        examples,
                        cx,
                        false,
                    );
                    lowered.push(e);
                }
                Some(ir::ValueMapping::Join {
                    parts: lowered,
                    separator: separator
                        .as_ref()
                        .map_or_else(|| "/".to_owned(), |s| s.value.clone()),
                })
            }
            syntax::FieldMapping::Const(c) => {
                let value = serde_json::from_str::<serde_json::Value>(&c.value)
                    .ok()
                    .filter(|v| !v.is_string())
                    .unwrap_or_else(|| serde_json::Value::String(c.value.clone()));
                let ok = match (&field.ty, &value) {
                    (FieldType::Enum(values), serde_json::Value::String(s)) => {
                        if !values.contains(s) {
                            self.err(
                                Diagnostic::new(
                                    Code::EnumTargetUnknown,
                                    c.span,
                                    format!(
                                        "`{s}` is not a value of the unified `{}` enum",
                                        field.name
                                    ),
                                )
                                .with_label("unknown unified value")
                                .with_help(help_for_name(
                                    s,
                                    values.iter().map(String::as_str),
                                    "value",
                                )),
                            );
                            return None;
                        }
                        true
                    }
                    (ty, v) => json_fits(ty, v, cx.formats),
                };
                if !ok {
                    return self.mismatch(
                        field,
                        c.span,
                        "this constant",
                        "write a constant of the field's type",
                    );
                }
                Some(ir::ValueMapping::Const(value))
            }
            syntax::FieldMapping::From {
                from,
                cases,
                fallback,
                formats,
                span,
            } => {
                let e = self.lower_checked(from, examples)?;
                if e.is_many() {
                    self.err(
                        Diagnostic::new(
                            Code::ManyIntoOne,
                            from.span,
                            format!(
                                "`{}` holds one value, but this projection yields many",
                                field.name
                            ),
                        )
                        .with_label("a projection")
                        .with_help("select a single value"),
                    );
                    return None;
                }
                match &field.ty {
                    FieldType::Enum(values) => {
                        self.enum_map(field, values, e, cases, fallback.as_ref(), *span, examples)
                    }
                    // Provider values onto a boolean (a message type `NOTE` → private).
                    FieldType::Boolean if !cases.is_empty() => {
                        if let Some(f) = fallback.as_ref().filter(|f| f.value == "raw") {
                            self.err(
                                Diagnostic::new(
                                    Code::EnumTargetUnknown,
                                    f.span,
                                    format!("`{}` is a boolean: it cannot keep a raw value", field.name),
                                )
                                .with_label("`raw` fallback on a boolean")
                                .with_help("name the value unknown provider values mean: `fallback: false` or `fallback: true`"),
                            );
                            return None;
                        }
                        let values = ["true".to_owned(), "false".to_owned()];
                        self.enum_map(field, &values, e, cases, fallback.as_ref(), *span, examples)
                    }
                    FieldType::Datetime | FieldType::Date => {
                        let fmts_given = formats.len();
                        let formats: Vec<String> = formats
                            .iter()
                            .filter(|f| self.date_format(f))
                            .map(|f| f.value.clone())
                            .collect();
                        let cx_formats = ResourceCx {
                            unified: cx.unified,
                            formats: if formats.is_empty() {
                                cx.formats
                            } else {
                                &formats
                            },
                            check_dates: cx.check_dates && formats.len() == fmts_given,
                        };
                        self.example_types(
                            field,
                            &field.ty,
                            &e,
                            from.span,
                            examples,
                            &cx_formats,
                            false,
                        );
                        Some(ir::ValueMapping::Datetime { from: e, formats })
                    }
                    _ => self.mismatch(
                        field,
                        from.span,
                        "`from` with `enum` or `format`",
                        "write the expression directly: `field: <expr>`",
                    ),
                }
            }
            syntax::FieldMapping::Reference(r) => {
                if field.ty != FieldType::Reference {
                    return self.mismatch(
                        field,
                        r.id.span,
                        "a reference `{id, name}`",
                        "map this field with an expression",
                    );
                }
                let (id, name) = self.reference(r, field, cx, examples)?;
                Some(ir::ValueMapping::Reference { id, name })
            }
            syntax::FieldMapping::References(items) => {
                if field.ty != FieldType::List(Box::new(FieldType::Reference)) {
                    let span = items
                        .first()
                        .map_or(Span::new(FileId(0), 0..0), |r| r.id.span);
                    return self.mismatch(
                        field,
                        span,
                        "a list of references",
                        "map this field with an expression",
                    );
                }
                let mut out = Vec::new();
                for r in items {
                    out.push(self.reference(r, field, cx, examples)?);
                }
                Some(ir::ValueMapping::References(out))
            }
            syntax::FieldMapping::Object(members, span) => {
                let FieldType::Object { fields, .. } = &field.ty else {
                    return self.mismatch(
                        field,
                        *span,
                        "an object mapping",
                        "map this field with an expression",
                    );
                };
                let owner = format!("the object `{}`", field.name);
                let members = self.members(members, fields, &owner, cx, examples);
                Some(ir::ValueMapping::Object(members))
            }
            syntax::FieldMapping::Objects(items) => {
                let span = items
                    .first()
                    .map_or(Span::new(FileId(0), 0..0), |(_, s)| *s);
                let FieldType::List(inner) = &field.ty else {
                    return self.mismatch(
                        field,
                        span,
                        "a list of objects",
                        "map this field with an expression",
                    );
                };
                let FieldType::Object { fields, .. } = inner.as_ref() else {
                    return self.mismatch(
                        field,
                        span,
                        "a list of objects",
                        "map this field with an expression",
                    );
                };
                let owner = format!("the objects of `{}`", field.name);
                let entries = items
                    .iter()
                    .map(|(members, _)| self.members(members, fields, &owner, cx, examples))
                    .collect();
                Some(ir::ValueMapping::Objects(entries))
            }
            syntax::FieldMapping::Each {
                each,
                fields: members,
            } => {
                let FieldType::List(inner) = &field.ty else {
                    return self.mismatch(
                        field,
                        each.span,
                        "a list of objects",
                        "map this field with an expression",
                    );
                };
                let FieldType::Object { fields, .. } = inner.as_ref() else {
                    return self.mismatch(
                        field,
                        each.span,
                        "a list of objects",
                        "map this field with an expression",
                    );
                };
                let e = self.lower_checked(each, examples)?;
                let elements: Vec<&serde_json::Value> = examples
                    .iter()
                    .flat_map(|ex| match expr::sample(&e, ex).as_slice() {
                        [serde_json::Value::Array(items)] if !e.is_many() => items.iter().collect(),
                        many => many.to_vec(),
                    })
                    .collect();
                let owner = format!("the objects of `{}`", field.name);
                let members = self.members(members, fields, &owner, cx, &elements);
                Some(ir::ValueMapping::Each {
                    each: e,
                    fields: members,
                })
            }
        }
    }

    fn reference(
        &mut self,
        r: &syntax::ReferenceMapping,
        field: &ir::Field,
        cx: &ResourceCx<'_>,
        examples: &[&serde_json::Value],
    ) -> Option<(Expr, Option<Expr>)> {
        let id = self.lower_checked(&r.id, examples)?;
        self.example_types(
            field,
            &FieldType::String,
            &id,
            r.id.span,
            examples,
            cx,
            false,
        );
        let name = match &r.name {
            Some(n) => {
                let e = self.lower_checked(n, examples)?;
                self.example_types(field, &FieldType::String, &e, n.span, examples, cx, false);
                Some(e)
            }
            None => None,
        };
        if id.is_many() || name.as_ref().is_some_and(Expr::is_many) {
            self.err(
                Diagnostic::new(
                    Code::ManyIntoOne,
                    r.id.span,
                    "a reference's id and name are single values",
                )
                .with_label("a projection")
                .with_help("select a single value"),
            );
            return None;
        }
        Some((id, name))
    }

    /// Checks the JSON types the expression yields on the examples against `ty`.
    #[allow(clippy::too_many_arguments)]
    fn example_types(
        &mut self,
        field: &ir::Field,
        ty: &FieldType,
        e: &Expr,
        span: Span,
        examples: &[&serde_json::Value],
        cx: &ResourceCx<'_>,
        list: bool,
    ) {
        for ex in examples {
            let values = expr::sample(e, ex);
            let values: Vec<&serde_json::Value> = match (list, e.is_many(), values.as_slice()) {
                (true, false, [serde_json::Value::Array(items)]) => items.iter().collect(),
                (true, false, [other]) => {
                    self.err(
                        Diagnostic::new(
                            Code::ExampleTypeMismatch,
                            span,
                            format!(
                                "`{}` is a list, but an example has {} here",
                                field.name,
                                json_kind(other)
                            ),
                        )
                        .with_label(format!("example value: {}", short(other)))
                        .with_help("map an array, or a projection such as `labels[].name`"),
                    );
                    return;
                }
                _ => values,
            };
            for v in values {
                // Seconds since the epoch, as a number, where the formats read them.
                let epoch = matches!(ty, FieldType::Datetime | FieldType::Date)
                    && v.is_i64()
                    && cx.formats.iter().any(|f| f == "unix");
                if epoch {
                    continue;
                }
                if json_fits(ty, v, &[]) {
                    if cx.check_dates
                        && matches!(ty, FieldType::Datetime | FieldType::Date)
                        && let serde_json::Value::String(text) = v
                        && !date_matches(text, cx.formats, ty == &FieldType::Date)
                    {
                        self.err(
                            Diagnostic::new(Code::ExampleDateFormat, span, format!("example timestamp `{text}` matches none of the date formats"))
                                .with_label(format!("formats: {}", cx.formats.join(", ")))
                                .with_help("add the provider's format to `datetime.formats` (or this field's `format`)"),
                        );
                        return;
                    }
                    continue;
                }
                self.err(
                    Diagnostic::new(
                        Code::ExampleTypeMismatch,
                        span,
                        format!(
                            "`{}` is {} field, but an example has {} here",
                            field.name,
                            ty.with_article(),
                            json_kind(v)
                        ),
                    )
                    .with_label(format!("example value: {}", short(v)))
                    .with_help(
                        "map a path that holds the right type, or change the unified field's type",
                    ),
                );
                return;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn enum_map(
        &mut self,
        field: &ir::Field,
        values: &[String],
        from: Expr,
        cases: &[(Str, Str)],
        fallback: Option<&Str>,
        span: Span,
        examples: &[&serde_json::Value],
    ) -> Option<ir::ValueMapping> {
        if cases.is_empty() {
            self.err(
                Diagnostic::new(
                    Code::EnumMapMissing,
                    span,
                    format!("`{}` is an enum but has no `enum` map", field.name),
                )
                .with_label("no enum map")
                .with_help(format!(
                    "add `enum:` mapping each provider value to one of: {}",
                    values.join(", ")
                )),
            );
            return None;
        }
        let mut ok = true;
        for (_, target) in cases {
            if !values.contains(&target.value) {
                self.err(
                    Diagnostic::new(
                        Code::EnumTargetUnknown,
                        target.span,
                        format!(
                            "`{}` is not a value of the unified `{}` enum",
                            target.value, field.name
                        ),
                    )
                    .with_label("unknown unified value")
                    .with_help(help_for_name(
                        &target.value,
                        values.iter().map(String::as_str),
                        "value",
                    )),
                );
                ok = false;
            }
        }
        let fallback = match fallback {
            None => {
                self.err(
                    Diagnostic::new(Code::EnumNoFallback, span, format!("the enum map of `{}` has no `fallback`", field.name))
                        .with_label("values the map does not list would be lost")
                        .with_help("add `fallback: raw` to keep unknown values as they are, or name a unified value"),
                );
                return None;
            }
            Some(f) if f.value == "raw" => ir::EnumFallback::Raw,
            Some(f) if values.contains(&f.value) => ir::EnumFallback::Value(f.value.clone()),
            Some(f) => {
                self.err(
                    Diagnostic::new(
                        Code::EnumTargetUnknown,
                        f.span,
                        format!("`{}` is not a valid fallback", f.value),
                    )
                    .with_label("neither `raw` nor a unified value")
                    .with_help(help_for_name(
                        &f.value,
                        values.iter().map(String::as_str).chain(["raw"]),
                        "value",
                    )),
                );
                return None;
            }
        };
        let mut unlisted: Vec<String> = Vec::new();
        for ex in examples {
            for v in expr::sample(&from, ex) {
                let raw = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if !cases.iter().any(|(r, _)| r.value == raw) && !unlisted.contains(&raw) {
                    unlisted.push(raw);
                }
            }
        }
        if !unlisted.is_empty() {
            let list: Vec<String> = unlisted.iter().map(|u| format!("`{u}`")).collect();
            self.err(
                Diagnostic::new(
                    Code::EnumNotExhaustive,
                    span,
                    format!(
                        "the enum map of `{}` does not list {}",
                        field.name,
                        list.join(", ")
                    ),
                )
                .with_label("seen in the example payloads")
                .with_help(
                    "map every value the provider sends; the fallback is for values added later",
                ),
            );
        }
        ok.then(|| ir::ValueMapping::Enum {
            from,
            cases: cases
                .iter()
                .map(|(r, t)| (r.value.clone(), t.value.clone()))
                .collect(),
            fallback,
        })
    }

    // -----------------------------------------------------------------------------------------
    // MCP tool names and overrides

    fn tool_name_chars(&mut self, name: &str, span: Span) -> bool {
        let ok = (1..=MAX_TOOL_NAME).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !ok {
            self.err(
                Diagnostic::new(Code::InvalidToolName, span, format!("`{name}` is not a valid MCP tool name"))
                    .with_label(format!("{} characters", name.len()))
                    .with_help(format!("use 1 to {MAX_TOOL_NAME} characters of `A-Z a-z 0-9 _ - .`; set `tool:` on the method")),
            );
        }
        ok
    }

    fn tool_names(&mut self, providers: &[ir::Provider]) {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for p in providers {
            for r in &p.resources {
                for m in &r.methods {
                    let at = m.tool_span;
                    if !self.tool_name_chars(&m.tool_name, at) {
                        continue;
                    }
                    if let Some(first) = seen.get(m.tool_name.as_str()) {
                        self.err(
                            Diagnostic::new(
                                Code::DuplicateToolName,
                                at,
                                format!("MCP tool name `{}` is used twice", m.tool_name),
                            )
                            .with_label(format!("also the name of {first}"))
                            .with_help("set a distinct `tool:` on one of the two methods"),
                        );
                    } else {
                        seen.insert(&m.tool_name, &m.origin);
                    }
                }
            }
        }
    }

    fn override_file(
        &mut self,
        o: syntax::OverrideFile,
        models: &[ir::Model],
        providers: &[ir::Provider],
    ) -> Option<ir::Override> {
        self.name(&o.name, "override");
        let Some(provider) = providers.iter().find(|p| p.name == o.provider.value) else {
            if self.incomplete {
                return None;
            }
            self.err(
                Diagnostic::new(
                    Code::OverrideTargetUnknown,
                    o.provider.span,
                    format!("no provider `{}` to override", o.provider.value),
                )
                .with_label("unknown provider")
                .with_help(help_for_name(
                    &o.provider.value,
                    providers.iter().map(|p| p.name.as_str()),
                    "provider",
                )),
            );
            return None;
        };
        let mut resources = Vec::new();
        for (rname, fields) in &o.resources {
            let Some(r) = provider.resources.iter().find(|r| r.name == rname.value) else {
                if self.incomplete {
                    continue;
                }
                self.err(
                    Diagnostic::new(
                        Code::OverrideTargetUnknown,
                        rname.span,
                        format!(
                            "provider `{}` has no resource `{}`",
                            provider.name, rname.value
                        ),
                    )
                    .with_label("unknown resource")
                    .with_help(help_for_name(
                        &rname.value,
                        provider.resources.iter().map(|r| r.name.as_str()),
                        "resource",
                    )),
                );
                continue;
            };
            let Some(unified) = models
                .iter()
                .find(|m| m.name == r.model)
                .and_then(|m| m.resource(&r.unified))
            else {
                continue;
            };
            let cx = ResourceCx {
                unified,
                formats: &provider.datetime.formats,
                check_dates: false,
            };
            self.redacting = r.redact.clone();
            let mapped = self.field_mappings(fields, &cx, &[]);
            self.redacting.clear();
            resources.push((r.name.clone(), mapped));
        }
        Some(ir::Override {
            name: o.name.value.clone(),
            provider: provider.name.clone(),
            origin: self.origin(o.name.span),
            resources,
        })
    }
}

const RECORD_PATH_HELP: &str = "write a path such as `data`, or `notes[-1]` for an element of an array (negative: from the end)";

/// The call parameters a unified method has, for `param` mappings: `id`, `query.<parameter>`,
/// `body.<field>`.
fn call_params(um: &ir::UnifiedMethod) -> Vec<String> {
    um.kind
        .takes_id()
        .then(|| "id".to_owned())
        .into_iter()
        .chain(um.query.iter().map(|q| format!("query.{}", q.name)))
        .chain(um.body.iter().map(|b| format!("body.{}", b.name)))
        .collect()
}

/// The generated-name stems of the unified resources lowered so far, and where each is defined.
#[derive(Default)]
struct Stems {
    plural: BTreeMap<String, Span>,
    singular: BTreeMap<String, Span>,
}

/// What a provider's resources can rely on.
struct ProviderCx<'a> {
    /// The provider's name in tool names.
    tool_prefix: &'a str,
    /// Where native methods find their answer by default.
    result: &'a [String],
    credentials: &'a [ir::Credential],
    public_vars: &'a [String],
    formats: &'a [String],
    formats_ok: bool,
    has_pagination: bool,
    /// The provider's `redact` paths, each after [`ANYWHERE`].
    redact: &'a [Vec<String>],
}

/// The MCP tool name by convention: `list_all_<provider>_<resource>`, `get_single_…_by_id`, …
pub fn default_tool_name(provider: &str, resource: &str, um: &ir::UnifiedMethod) -> String {
    let singular = resource.strip_suffix('s').unwrap_or(resource);
    tool_name(provider, resource, singular, um.kind, &um.name)
}

/// The convention itself, for a resource and its name for one record.
fn tool_name(
    provider: &str,
    resource: &str,
    singular: &str,
    kind: MethodKind,
    method: &str,
) -> String {
    match kind {
        MethodKind::List => format!("list_all_{provider}_{resource}"),
        MethodKind::Get => format!("get_single_{provider}_{singular}_by_id"),
        MethodKind::Create => format!("create_a_{provider}_{singular}"),
        MethodKind::Update => format!("update_a_{provider}_{singular}_by_id"),
        MethodKind::Delete => format!("delete_a_{provider}_{singular}_by_id"),
        MethodKind::Custom => format!("{provider}_{resource}_{method}"),
    }
}

/// An example's path: relative to the resource file that names it.
fn example_path(resource_file: &str, example: &str) -> String {
    let dir = resource_file
        .rsplit_once('/')
        .map(|(d, _)| d)
        .unwrap_or_default();
    format!("{dir}/{example}")
}

/// The unified parameters a template reads (`query.<parameter>`).
fn query_vars(t: &Template) -> Vec<String> {
    t.vars()
        .filter(|(var, _)| var.first().is_some_and(|s| s == "query"))
        .filter_map(|(var, _)| var.get(1).cloned())
        .collect()
}

/// The unified parameters a request value reads.
fn request_vars(v: &ir::RequestValue) -> Vec<String> {
    match v {
        ir::RequestValue::Template(t) => query_vars(t),
        ir::RequestValue::From { var, .. } if var.first().is_some_and(|s| s == "query") => {
            var.get(1).cloned().into_iter().collect()
        }
        ir::RequestValue::From { .. } => Vec::new(),
        ir::RequestValue::Object(members) => {
            members.iter().flat_map(|(_, v)| request_vars(v)).collect()
        }
        ir::RequestValue::List(items) => items.iter().flat_map(request_vars).collect(),
        ir::RequestValue::JsonText(inner) => request_vars(inner),
    }
}

/// The unified body fields a request value reads (`body.<field>…`).
fn body_fields_used(v: &ir::RequestValue) -> Vec<String> {
    match v {
        ir::RequestValue::Template(t) => t
            .vars()
            .filter(|(var, _)| var.first().is_some_and(|s| s == "body"))
            .filter_map(|(var, _)| var.get(1).cloned())
            .collect(),
        ir::RequestValue::From { var, .. } if var.first().is_some_and(|s| s == "body") => {
            var.get(1).cloned().into_iter().collect()
        }
        ir::RequestValue::From { .. } => Vec::new(),
        ir::RequestValue::Object(members) => members
            .iter()
            .flat_map(|(_, v)| body_fields_used(v))
            .collect(),
        ir::RequestValue::List(items) => items.iter().flat_map(body_fields_used).collect(),
        ir::RequestValue::JsonText(inner) => body_fields_used(inner),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s
    }
}

/// Whether a JSON value can become a value of `ty` (the runtime's conversions accept these).
fn json_fits(ty: &FieldType, v: &serde_json::Value, formats: &[String]) -> bool {
    use serde_json::Value;
    match (ty, v) {
        (_, Value::Null) | (FieldType::Json, _) => true,
        (
            FieldType::String | FieldType::Enum(_) | FieldType::Reference,
            Value::String(_) | Value::Number(_) | Value::Bool(_),
        ) => true,
        (FieldType::Integer, Value::Number(n)) => n.is_i64(),
        (FieldType::Integer, Value::String(s)) => s.trim().parse::<i64>().is_ok(),
        (FieldType::Number, Value::Number(_)) => true,
        (FieldType::Number, Value::String(s)) => s.trim().parse::<f64>().is_ok(),
        (FieldType::Boolean, Value::Bool(_)) => true,
        (FieldType::Boolean, Value::Number(n)) => matches!(n.as_i64(), Some(0 | 1)),
        (FieldType::Boolean, Value::String(s)) => {
            matches!(s.as_str(), "true" | "false" | "0" | "1")
        }
        (FieldType::Datetime | FieldType::Date, Value::String(s)) => {
            formats.is_empty() || date_matches(s, formats, *ty == FieldType::Date)
        }
        (FieldType::List(inner), Value::Array(items)) => {
            items.iter().all(|i| json_fits(inner, i, formats))
        }
        (FieldType::Object { .. }, Value::Object(_)) => true,
        _ => false,
    }
}

/// Whether a timestamp (or, for `date`, a date) text matches one of the formats, as the
/// runtime reads it (`rfc3339` included).
fn date_matches(text: &str, formats: &[String], date: bool) -> bool {
    (date && text.parse::<jiff::civil::Date>().is_ok())
        || formats.iter().any(|f| {
            if f == "rfc3339" {
                text.parse::<jiff::Timestamp>().is_ok()
            } else if f == "unix" {
                text.trim().parse::<i64>().is_ok()
            } else {
                jiff::fmt::strtime::parse(f, text).is_ok()
            }
        })
}

/// A YAML scalar as JSON text: `0` stays a number, `ok` becomes `"ok"`.
fn json_text(value: &str) -> String {
    serde_json::from_str::<serde_json::Value>(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_owned()))
        .to_string()
}
