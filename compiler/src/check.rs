//! Check and lower: raw syntax (with spans) → the resolved [`Ir`], collecting every diagnostic.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, help_for_name};
use crate::expr::{self, Expr};
use crate::ir::{self, FieldType, Ir, MethodKind};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::{self, Str};
use crate::template::{self, Scope};

#[derive(Debug)]
/// One provider directory as loaded: its provider file and resource files.
pub struct ProviderSources {
    pub dir: String,
    pub provider: Option<syntax::ProviderFile>,
    pub resources: Vec<(FileId, syntax::ResourceFile)>,
}

/// Reads a file below the mappings root (examples); `None` when it does not exist.
pub trait ReadFile: std::fmt::Debug {
    fn read(&self, relative: &str) -> Option<String>;
}

#[derive(Debug)]
pub struct Checker<'a> {
    pub sources: &'a mut SourceMap,
    pub diags: Vec<Diagnostic>,
    pub reader: &'a dyn ReadFile,
}

impl Checker<'_> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn origin(&self, span: Span) -> String {
        self.sources.origin(span)
    }

    pub fn lower(
        &mut self,
        models: Vec<(FileId, syntax::ModelFile)>,
        providers: Vec<ProviderSources>,
    ) -> Ir {
        let mut seen_models: BTreeMap<String, Span> = BTreeMap::new();
        let mut lowered_models = Vec::new();
        for (_, m) in models {
            if let Some(first) = seen_models.get(&m.model.value) {
                self.err(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        m.model.span,
                        format!("unified model `{}` is defined twice", m.model.value),
                    )
                    .with_label("defined again here")
                    .with_secondary(*first, "first defined here")
                    .with_help("give each unified model file its own `model` name"),
                );
                continue;
            }
            seen_models.insert(m.model.value.clone(), m.model.span);
            lowered_models.push(self.model(m));
        }
        let providers = providers
            .into_iter()
            .filter_map(|p| self.provider(p, &lowered_models))
            .collect();
        Ir {
            models: lowered_models,
            providers,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Unified models

    fn model(&mut self, m: syntax::ModelFile) -> ir::Model {
        let resources = m
            .resources
            .into_iter()
            .map(|(name, r)| self.unified_resource(name, r))
            .collect();
        ir::Model {
            name: m.model.value.clone(),
            title: m.title.map_or_else(|| m.model.value.clone(), |t| t.value),
            description: m.description.map(|d| d.value).unwrap_or_default(),
            origin: self.origin(m.model.span),
            resources,
        }
    }

    fn unified_resource(&mut self, name: Str, r: syntax::UnifiedResource) -> ir::Resource {
        let fields = r
            .fields
            .into_iter()
            .filter_map(|(fname, f)| {
                let ty = self.field_type(&f.ty, f.items.as_ref(), &f.values)?;
                Some(ir::Field {
                    name: fname.value,
                    ty,
                    required: f.required,
                    read_only: f.read_only,
                    description: f.description.map(|d| d.value).unwrap_or_default(),
                    origin: self.origin(fname.span),
                })
            })
            .collect();
        let methods = r
            .methods
            .into_iter()
            .filter_map(|(mname, m)| {
                let kind = self.method_kind(&mname)?;
                Some(ir::UnifiedMethod {
                    kind,
                    description: m.description.map(|d| d.value).unwrap_or_default(),
                })
            })
            .collect();
        ir::Resource {
            origin: self.origin(name.span),
            name: name.value,
            singular: r.singular.value,
            description: r.description.map(|d| d.value).unwrap_or_default(),
            fields,
            methods,
        }
    }

    fn method_kind(&mut self, name: &Str) -> Option<MethodKind> {
        let kind = MethodKind::parse(&name.value);
        if kind.is_none() {
            self.err(
                Diagnostic::new(
                    Code::UnknownName,
                    name.span,
                    format!("unknown method `{}`", name.value),
                )
                .with_label("not a method kind")
                .with_help(help_for_name(
                    &name.value,
                    MethodKind::ALL.iter().map(|m| m.as_str()),
                    "method",
                )),
            );
        }
        kind
    }

    fn field_type(&mut self, ty: &Str, items: Option<&Str>, values: &[Str]) -> Option<FieldType> {
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
            "json",
        ];
        let scalar = |name: &str| match name {
            "string" => Some(FieldType::String),
            "integer" => Some(FieldType::Integer),
            "number" => Some(FieldType::Number),
            "boolean" => Some(FieldType::Boolean),
            "datetime" => Some(FieldType::Datetime),
            "date" => Some(FieldType::Date),
            "reference" => Some(FieldType::Reference),
            "json" => Some(FieldType::Json),
            _ => None,
        };
        match ty.value.as_str() {
            "enum" => {
                if values.is_empty() {
                    self.err(
                        Diagnostic::new(
                            Code::MissingKey,
                            ty.span,
                            "an enum field needs its `values`",
                        )
                        .with_label("enum declared here")
                        .with_help("add `values: [open, closed]` with the unified values"),
                    );
                    return None;
                }
                Some(FieldType::Enum(
                    values.iter().map(|v| v.value.clone()).collect(),
                ))
            }
            "list" => {
                let Some(items) = items else {
                    self.err(
                        Diagnostic::new(
                            Code::MissingKey,
                            ty.span,
                            "a list field needs its `items` type",
                        )
                        .with_label("list declared here")
                        .with_help("add `items: string` (or another element type)"),
                    );
                    return None;
                };
                match scalar(&items.value) {
                    Some(inner) => Some(FieldType::List(Box::new(inner))),
                    None => {
                        self.err(
                            Diagnostic::new(
                                Code::InvalidValue,
                                items.span,
                                format!("`{}` cannot be a list element type", items.value),
                            )
                            .with_label("unknown element type")
                            .with_help(help_for_name(
                                &items.value,
                                TYPES
                                    .iter()
                                    .copied()
                                    .filter(|t| !matches!(*t, "list" | "enum")),
                                "type",
                            )),
                        );
                        None
                    }
                }
            }
            other => {
                let found = scalar(other);
                if found.is_none() {
                    self.err(
                        Diagnostic::new(
                            Code::InvalidValue,
                            ty.span,
                            format!("unknown field type `{other}`"),
                        )
                        .with_label("not a unified field type")
                        .with_help(help_for_name(
                            other,
                            TYPES.iter().copied(),
                            "type",
                        )),
                    );
                }
                found
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Providers

    fn provider(&mut self, p: ProviderSources, models: &[ir::Model]) -> Option<ir::Provider> {
        let Some(pf) = p.provider else {
            if let Some((file, _)) = p.resources.first() {
                self.err(
                    Diagnostic::new(
                        Code::MissingKey,
                        Span::new(*file, 0..0),
                        format!("provider directory `{}` has no provider.yaml", p.dir),
                    )
                    .with_label("resource file without a provider")
                    .with_help(
                        "add provider.yaml with `provider`, `base_url`, `auth` and `pagination`",
                    ),
                );
            }
            return None;
        };
        if pf.provider.value != p.dir {
            self.err(
                Diagnostic::new(
                    Code::InvalidValue,
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
        let valid_name = !pf.provider.value.is_empty()
            && pf
                .provider
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid_name {
            self.err(
                Diagnostic::new(
                    Code::InvalidValue,
                    pf.provider.span,
                    format!("`{}` is not a valid provider name", pf.provider.value),
                )
                .with_label("provider names are used in code and tool names")
                .with_help("use lowercase letters, digits and `_`, such as `trengo`"),
            );
        }

        let credentials: Vec<ir::Credential> = pf
            .credentials
            .iter()
            .map(|(name, c)| ir::Credential {
                name: name.value.clone(),
                secret: c.secret,
                default: c.default.as_ref().map(|d| d.value.clone()),
                description: c
                    .description
                    .as_ref()
                    .map(|d| d.value.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let credential_vars: Vec<String> = credentials
            .iter()
            .map(|c| format!("credentials.{}", c.name))
            .collect();
        let public_vars: Vec<String> = credentials
            .iter()
            .filter(|c| !c.secret)
            .map(|c| format!("credentials.{}", c.name))
            .collect();

        let base_url = self.template(
            &pf.base_url,
            &credential_vars,
            &credentials,
            "`base_url`",
            false,
        );
        let auth = match &pf.auth {
            None => ir::Auth::None,
            Some(a) => match a.kind.value.as_str() {
                "bearer" => match &a.token {
                    Some(t) => self
                        .template(t, &credential_vars, &credentials, "`auth`", true)
                        .map_or(ir::Auth::None, |token| ir::Auth::Bearer { token }),
                    None => {
                        self.err(
                            Diagnostic::new(
                                Code::MissingKey,
                                a.kind.span,
                                "bearer auth needs a `token`",
                            )
                            .with_label("bearer auth declared here")
                            .with_help("add `token: \"{{ credentials.token }}\"`"),
                        );
                        ir::Auth::None
                    }
                },
                other => {
                    self.err(
                        Diagnostic::new(
                            Code::InvalidValue,
                            a.kind.span,
                            format!("unknown auth kind `{other}`"),
                        )
                        .with_label("not an auth kind")
                        .with_help(help_for_name(
                            other,
                            ["bearer"],
                            "auth kind",
                        )),
                    );
                    ir::Auth::None
                }
            },
        };
        let headers = pf
            .headers
            .iter()
            .filter_map(|(name, value)| {
                let valid = !name.value.is_empty()
                    && name
                        .value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
                if !valid {
                    self.err(
                        Diagnostic::new(
                            Code::InvalidValue,
                            name.span,
                            format!("`{}` is not a valid header name", name.value),
                        )
                        .with_label("header names are letters, digits, `-` and `_`")
                        .with_help("write a header name such as `X-Api-Version`"),
                    );
                    return None;
                }
                let t = self.template(value, &credential_vars, &credentials, "a header", false)?;
                Some((name.value.clone(), t))
            })
            .collect();

        let pagination = pf.pagination.as_ref().and_then(|p| self.pagination(p));
        let datetime = self.datetime(
            pf.datetime.as_ref(),
            &public_vars,
            &credentials,
            pf.provider.span,
        );

        let mut resources: Vec<ir::ProviderResource> = Vec::new();
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for (rfile, rf) in p.resources {
            if let Some(first) = seen.get(&rf.resource.value) {
                self.err(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        rf.resource.span,
                        format!("resource `{}` is defined twice", rf.resource.value),
                    )
                    .with_label("defined again here")
                    .with_secondary(*first, "first defined here")
                    .with_help("merge the two files or rename one resource"),
                );
                continue;
            }
            seen.insert(rf.resource.value.clone(), rf.resource.span);
            if let Some(r) = self.provider_resource(rfile, rf, models, pagination.is_some()) {
                resources.push(r);
            }
        }

        Some(ir::Provider {
            name: pf.provider.value.clone(),
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
            datetime,
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
    ) -> Option<template::Template> {
        let t = template::lower(text, &Scope { allowed, place }, &mut self.diags)?;
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

    fn pagination(&mut self, p: &syntax::Pagination) -> Option<ir::Pagination> {
        match p.kind.value.as_str() {
            "page_number" => {
                let path = |this: &mut Self, s: &Option<Str>| -> Option<Vec<String>> {
                    let s = s.as_ref()?;
                    this.plain_path(s)
                };
                let next_link = path(self, &p.next_link);
                let last_page = path(self, &p.last_page);
                let stop_on_empty_page = p.stop_on_empty_page.as_ref().is_some_and(|b| b.value);
                if next_link.is_none() && last_page.is_none() && !stop_on_empty_page {
                    self.err(
                        Diagnostic::new(
                            Code::PaginationStop,
                            p.kind.span,
                            "this paginator never stops",
                        )
                        .with_label("no stop signal declared")
                        .with_help(
                            "declare `next_link`, `last_page` or `stop_on_empty_page: true`",
                        ),
                    );
                    return None;
                }
                if let Some(max) = &p.max_pages
                    && max.value < 1
                {
                    self.err(
                        Diagnostic::new(
                            Code::InvalidValue,
                            max.span,
                            "`max_pages` must be at least 1",
                        )
                        .with_label("not a page count")
                        .with_help("remove `max_pages` to use the runtime's default cap"),
                    );
                }
                Some(ir::Pagination::PageNumber {
                    param: p.param.value.clone(),
                    first_page: p.first_page.as_ref().map_or(1, |f| f.value),
                    next_link,
                    last_page,
                    stop_on_empty_page,
                    max_pages: p.max_pages.as_ref().map(|m| m.value),
                })
            }
            other => {
                self.err(
                    Diagnostic::new(
                        Code::InvalidValue,
                        p.kind.span,
                        format!("unknown pagination kind `{other}`"),
                    )
                    .with_label("not a pagination kind")
                    .with_help(help_for_name(
                        other,
                        ["page_number"],
                        "pagination kind",
                    )),
                );
                None
            }
        }
    }

    fn datetime(
        &mut self,
        d: Option<&syntax::Datetime>,
        public_vars: &[String],
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
            .and_then(|t| self.template(t, public_vars, credentials, "`timezone`", false))
            .unwrap_or(template::Template {
                pieces: vec![template::Piece::Text("UTC".to_owned())],
                span: fallback_span,
            });
        if timezone.is_literal() {
            let name = timezone.display();
            if jiff::tz::TimeZone::get(&name).is_err() {
                self.err(
                    Diagnostic::new(
                        Code::InvalidValue,
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
        if f.value == "rfc3339" {
            return true;
        }
        let probe = jiff::civil::date(2024, 2, 19).at(16, 0, 8, 0);
        let ok = jiff::fmt::strtime::format(&f.value, probe).is_ok() && f.value.contains('%');
        if !ok {
            self.err(
                Diagnostic::new(
                    Code::InvalidValue,
                    f.span,
                    format!("`{}` is not a date format", f.value),
                )
                .with_label("not a strftime format")
                .with_help("use `rfc3339` or a strftime format such as `%Y-%m-%d %H:%M:%S`"),
            );
        }
        ok
    }

    /// An expression that must be a plain field path (where the runtime walks it directly).
    fn plain_path(&mut self, s: &Str) -> Option<Vec<String>> {
        let e = expr::lower(s, &mut self.diags)?;
        match e.as_path() {
            Some(p) => Some(p.into_iter().map(str::to_owned).collect()),
            None => {
                self.err(
                    Diagnostic::new(
                        Code::UnsupportedExpression,
                        s.span,
                        "a plain field path is needed here",
                    )
                    .with_label("not a plain path")
                    .with_help("write a path such as `links.next`"),
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
        has_pagination: bool,
    ) -> Option<ir::ProviderResource> {
        let (model, unified) = self.resolve_unified(&rf.unified, models)?;

        let mut methods = Vec::new();
        let mut examples: Vec<serde_json::Value> = Vec::new();
        let errors_before = self
            .diags
            .iter()
            .filter(|d| d.code == Code::Example)
            .count();
        for (name, m) in &rf.methods {
            let Some(kind) = self.method_kind(name) else {
                continue;
            };
            if !unified.methods.iter().any(|um| um.kind == kind) {
                self.err(
                    Diagnostic::new(Code::UnknownName, name.span, format!("the unified `{}` resource has no `{}` method", unified.name, kind.as_str()))
                        .with_label("method not in the unified model")
                        .with_help(format!("declare `{}` under `methods` of `{}` in the unified model, or remove it here", kind.as_str(), unified.name)),
                );
                continue;
            }
            if kind == MethodKind::List && !has_pagination {
                self.err(
                    Diagnostic::new(
                        Code::MissingKey,
                        name.span,
                        "a list method needs the provider's `pagination`",
                    )
                    .with_label("list declared here")
                    .with_help("declare `pagination` in provider.yaml"),
                );
            }
            if let Some(method) = self.method(file, kind, m, &mut examples) {
                methods.push(method);
            }
        }

        // A broken example would make every path look missing: check paths only when all
        // examples loaded.
        let examples_ok = self
            .diags
            .iter()
            .filter(|d| d.code == Code::Example)
            .count()
            == errors_before;
        let example_refs: Vec<&serde_json::Value> = if examples_ok {
            examples.iter().collect()
        } else {
            Vec::new()
        };
        let mut fields = Vec::new();
        for (name, mapping) in &rf.fields {
            let Some(field) = unified.fields.iter().find(|f| f.name == name.value) else {
                self.err(
                    Diagnostic::new(
                        Code::UnknownName,
                        name.span,
                        format!(
                            "`{}` is not a field of the unified `{}` resource",
                            name.value, unified.name
                        ),
                    )
                    .with_label("unknown unified field")
                    .with_help(help_for_name(
                        &name.value,
                        unified.fields.iter().map(|f| f.name.as_str()),
                        "field",
                    )),
                );
                continue;
            };
            if let Some(value) = self.field_mapping(field, mapping, &example_refs) {
                fields.push(ir::FieldMapping {
                    field: field.name.clone(),
                    origin: self.origin(name.span),
                    value,
                });
            }
        }
        for f in unified.fields.iter().filter(|f| f.required) {
            if !rf.fields.iter().any(|(n, _)| n.value == f.name) {
                self.err(
                    Diagnostic::new(
                        Code::RequiredFieldUnmapped,
                        rf.resource.span,
                        format!("required unified field `{}` is not mapped", f.name),
                    )
                    .with_label(format!(
                        "`{}` maps `{}.{}`",
                        rf.resource.value, model.name, unified.name
                    ))
                    .with_help(format!("add `{}: <expression>` under `fields`", f.name)),
                );
            }
        }

        Some(ir::ProviderResource {
            name: rf.resource.value.clone(),
            model: model.name.clone(),
            unified: unified.name.clone(),
            origin: self.origin(rf.resource.span),
            methods,
            fields,
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
                    Code::InvalidValue,
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
                    Code::UnknownName,
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
        let Some(resource) = model.resources.iter().find(|r| r.name == resource_name) else {
            self.err(
                Diagnostic::new(
                    Code::UnknownName,
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

    fn method(
        &mut self,
        file: FileId,
        kind: MethodKind,
        m: &syntax::Method,
        examples: &mut Vec<serde_json::Value>,
    ) -> Option<ir::Method> {
        const HTTP: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
        if !HTTP.contains(&m.http_method.value.as_str()) {
            self.err(
                Diagnostic::new(
                    Code::InvalidValue,
                    m.http_method.span,
                    format!("`{}` is not an HTTP method", m.http_method.value),
                )
                .with_label("unknown HTTP method")
                .with_help(help_for_name(
                    &m.http_method.value,
                    HTTP.iter().copied(),
                    "HTTP method",
                )),
            );
        }
        let path_vars: Vec<String> = match kind {
            MethodKind::Get => vec!["id".to_owned()],
            MethodKind::List => Vec::new(),
        };
        let path = template::lower(
            &m.path,
            &Scope {
                allowed: &path_vars,
                place: "a request path",
            },
            &mut self.diags,
        );
        if let Some(p) = &path
            && kind == MethodKind::Get
            && !p.vars().any(|(v, _)| v == ["id"])
        {
            self.err(
                Diagnostic::new(
                    Code::Template,
                    m.path.span,
                    "the path of `get` does not use `{{ id }}`",
                )
                .with_label("the record's id is not in the path")
                .with_help("write the path as `/tickets/{{ id }}`"),
            );
        }

        let data = match kind {
            MethodKind::List => {
                if m.records.is_none() {
                    self.err(
                        Diagnostic::new(
                            Code::MissingKey,
                            m.span,
                            "a list method needs `response.records`",
                        )
                        .with_label("where are the records?")
                        .with_help(
                            "add `response: { records: data }` with the path of the records array",
                        ),
                    );
                }
                m.records.as_ref()
            }
            MethodKind::Get => m.record.as_ref(),
        };
        let data_path = match data {
            Some(d) => self.plain_path(d)?,
            None => Vec::new(),
        };

        for example in &m.examples {
            if let Some(body) = self.example(file, example) {
                let data = data_path.iter().try_fold(&body, |v, k| v.get(k));
                match (kind, data) {
                    (MethodKind::List, Some(serde_json::Value::Array(items))) => {
                        examples.extend(items.iter().cloned())
                    }
                    (MethodKind::Get, Some(record @ serde_json::Value::Object(_))) => {
                        examples.push(record.clone())
                    }
                    _ => {
                        let what = if kind == MethodKind::List {
                            "an array of records"
                        } else {
                            "a record object"
                        };
                        self.err(
                            Diagnostic::new(
                                Code::Example,
                                example.span,
                                format!("the example has no {what} at `{}`", data_path.join(".")),
                            )
                            .with_label("example does not match the response path")
                            .with_help("fix `response` or the example payload"),
                        );
                    }
                }
            }
        }

        let provenance = match &m.provenance {
            None => {
                self.err(
                    Diagnostic::new(Code::MissingKey, m.span, "method has no `provenance`")
                        .with_label("where does this method come from?")
                        .with_help("add `provenance: { kind: documented, source: <url> }` (or observed / inferred)"),
                );
                return None;
            }
            Some(p) => {
                let kind = match p.kind.value.as_str() {
                    "documented" => ir::ProvenanceKind::Documented,
                    "observed" => ir::ProvenanceKind::Observed,
                    "inferred" => ir::ProvenanceKind::Inferred,
                    other => {
                        self.err(
                            Diagnostic::new(
                                Code::InvalidValue,
                                p.kind.span,
                                format!("unknown provenance `{other}`"),
                            )
                            .with_label("not a provenance kind")
                            .with_help(help_for_name(
                                other,
                                ["documented", "observed", "inferred"],
                                "provenance kind",
                            )),
                        );
                        return None;
                    }
                };
                ir::Provenance {
                    kind,
                    source: p.source.as_ref().map(|s| s.value.clone()),
                    note: p.note.as_ref().map(|s| s.value.clone()),
                }
            }
        };
        Some(ir::Method {
            kind,
            http_method: m.http_method.value.clone(),
            path: path?,
            data_path,
            provenance,
            origin: self.origin(m.span),
        })
    }

    /// Loads an example payload next to the resource file; JSON errors point into the example.
    fn example(&mut self, file: FileId, example: &Str) -> Option<serde_json::Value> {
        let dir = self
            .sources
            .get(file)
            .path
            .rsplit_once('/')
            .map(|(d, _)| d.to_owned())
            .unwrap_or_default();
        let relative = format!("{dir}/{}", example.value);
        let Some(text) = self.reader.read(&relative) else {
            self.err(
                Diagnostic::new(
                    Code::Example,
                    example.span,
                    format!("example `{}` not found", example.value),
                )
                .with_label(format!("no file at {relative}"))
                .with_help("give the path of a JSON file relative to this mapping file"),
            );
            return None;
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
                        Code::Example,
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

    fn field_mapping(
        &mut self,
        field: &ir::Field,
        mapping: &syntax::FieldMapping,
        examples: &[&serde_json::Value],
    ) -> Option<ir::ValueMapping> {
        let mismatch = |this: &mut Self, span: Span, form: &str, help: &str| {
            this.err(
                Diagnostic::new(
                    Code::TypeMismatch,
                    span,
                    format!(
                        "`{}` is a {} field; {form} cannot fill it",
                        field.name,
                        field.ty.describe()
                    ),
                )
                .with_label(format!("{form} given"))
                .with_help(help.to_owned()),
            );
            None
        };
        let lower_checked = |this: &mut Self, s: &Str| -> Option<Expr> {
            let e = expr::lower(s, &mut this.diags)?;
            expr::check_against_examples(&e, examples, &mut this.diags);
            Some(e)
        };
        match mapping {
            syntax::FieldMapping::Expr(s) => {
                let e = lower_checked(self, s)?;
                match &field.ty {
                    FieldType::Enum(_) => mismatch(
                        self,
                        s.span,
                        "a bare expression",
                        "map the provider's values: `{ from: <expr>, enum: {RAW: value}, fallback: raw }`",
                    ),
                    FieldType::Datetime | FieldType::Date => Some(ir::ValueMapping::Datetime {
                        from: e,
                        formats: Vec::new(),
                    }),
                    FieldType::Reference => Some(ir::ValueMapping::Reference { id: e, name: None }),
                    FieldType::List(inner) if **inner == FieldType::Reference => mismatch(
                        self,
                        s.span,
                        "an expression",
                        "write a list of `- id: <expr>` entries",
                    ),
                    FieldType::List(_) | FieldType::Json => Some(ir::ValueMapping::Expr(e)),
                    _ if e.is_many() => mismatch(
                        self,
                        s.span,
                        "a projection (many values)",
                        "select a single value, or make the unified field a list",
                    ),
                    _ => Some(ir::ValueMapping::Expr(e)),
                }
            }
            syntax::FieldMapping::From {
                from,
                cases,
                fallback,
                formats,
                span,
            } => {
                let e = lower_checked(self, from)?;
                match &field.ty {
                    FieldType::Enum(values) => {
                        self.enum_map(field, values, e, cases, fallback.as_ref(), *span)
                    }
                    FieldType::Datetime | FieldType::Date => {
                        let formats: Vec<String> = formats
                            .iter()
                            .filter(|f| self.date_format(f))
                            .map(|f| f.value.clone())
                            .collect();
                        Some(ir::ValueMapping::Datetime { from: e, formats })
                    }
                    _ => mismatch(
                        self,
                        from.span,
                        "`from` with `enum` or `format`",
                        "write the expression directly: `field: <expr>`",
                    ),
                }
            }
            syntax::FieldMapping::Reference(r) => {
                if field.ty != FieldType::Reference {
                    return mismatch(
                        self,
                        r.id.span,
                        "a reference `{id, name}`",
                        "map this field with an expression",
                    );
                }
                let id = lower_checked(self, &r.id)?;
                let name = match &r.name {
                    Some(n) => Some(lower_checked(self, n)?),
                    None => None,
                };
                Some(ir::ValueMapping::Reference { id, name })
            }
            syntax::FieldMapping::References(items) => {
                if field.ty != FieldType::List(Box::new(FieldType::Reference)) {
                    let span = items
                        .first()
                        .map_or(Span::new(FileId(0), 0..0), |r| r.id.span);
                    return mismatch(
                        self,
                        span,
                        "a list of references",
                        "map this field with an expression",
                    );
                }
                let mut out = Vec::new();
                for r in items {
                    let id = lower_checked(self, &r.id)?;
                    let name = match &r.name {
                        Some(n) => Some(lower_checked(self, n)?),
                        None => None,
                    };
                    out.push((id, name));
                }
                Some(ir::ValueMapping::References(out))
            }
        }
    }

    fn enum_map(
        &mut self,
        field: &ir::Field,
        values: &[String],
        from: Expr,
        cases: &[(Str, Str)],
        fallback: Option<&Str>,
        span: Span,
    ) -> Option<ir::ValueMapping> {
        if cases.is_empty() {
            self.err(
                Diagnostic::new(
                    Code::EnumMap,
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
                        Code::EnumMap,
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
                    Diagnostic::new(Code::EnumMap, span, format!("the enum map of `{}` has no `fallback`", field.name))
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
                        Code::EnumMap,
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
        ok.then(|| ir::ValueMapping::Enum {
            from,
            cases: cases
                .iter()
                .map(|(r, t)| (r.value.clone(), t.value.clone()))
                .collect(),
            fallback,
        })
    }
}
