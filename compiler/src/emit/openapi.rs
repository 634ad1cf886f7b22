//! OpenAPI 3.1: the unified API, one path per model, resource and method.

use serde_json::{Map, Value, json};

use crate::ir::{self, FieldType, Ir, MethodKind};
use crate::names::type_name;

use super::Output;

/// The reference schema, inlined where a document has no components (MCP tool schemas).
pub(super) fn reference_schema() -> Value {
    json!({
        "type": "object",
        "description": "A reference to another record: its id, and its display name where the provider gives it.",
        "required": ["id"],
        "properties": {
            "id": { "type": "string" },
            "name": { "type": "string" }
        }
    })
}

/// `schema` with every `$ref` to the reference schema replaced by the schema itself.
pub(super) fn inline_refs(schema: Value) -> Value {
    match schema {
        Value::Object(o)
            if o.get("$ref").and_then(Value::as_str) == Some("#/components/schemas/Reference") =>
        {
            reference_schema()
        }
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, inline_refs(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(inline_refs).collect()),
        other => other,
    }
}

pub fn emit(ir: &Ir, out: &mut Output) {
    unified(ir, out);
    for p in &ir.providers {
        proxy(p, out);
    }
}

/// The proxy document of one provider: its own API as the mappings describe it.
fn proxy(p: &ir::Provider, out: &mut Output) {
    let mut paths = Map::new();
    let mut server_vars = Map::new();
    for (var, _) in p.base_url.vars() {
        if let [_, name] = var {
            let default = p
                .credentials
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| c.default.clone())
                .unwrap_or_else(|| name.clone());
            server_vars.insert(
                name.clone(),
                json!({ "default": default, "description": format!("The account's `{name}`.") }),
            );
        }
    }
    let url = p
        .base_url
        .pieces
        .iter()
        .map(|piece| match piece {
            crate::template::Piece::Text(t) => t.clone(),
            crate::template::Piece::Var(v, _) => {
                format!("{{{}}}", v.last().cloned().unwrap_or_default())
            }
        })
        .collect::<String>();
    let mut server = json!({ "url": url });
    if !server_vars.is_empty()
        && let Value::Object(o) = &mut server
    {
        o.insert("variables".into(), Value::Object(server_vars));
    }
    for r in &p.resources {
        // A static list is no endpoint of the provider's.
        for m in r.methods.iter().filter(|m| m.fixed.is_none()) {
            let mut path = String::new();
            let mut params = Vec::new();
            for piece in &m.path.pieces {
                match piece {
                    crate::template::Piece::Text(t) => path.push_str(t),
                    crate::template::Piece::Var(v, _) => {
                        let name = v.last().cloned().unwrap_or_default();
                        path.push_str(&format!("{{{name}}}"));
                        if !params.iter().any(|p: &Value| p["name"] == name.as_str()) {
                            params.push(json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }));
                        }
                    }
                }
            }
            for (name, v) in &m.query {
                params.push(json!({ "name": name, "in": "query", "required": false, "schema": request_value_schema(v) }));
            }
            for (name, _) in &m.headers {
                params.push(json!({ "name": name, "in": "header", "required": false, "schema": { "type": "string" } }));
            }
            let mut provenance = json!({ "kind": m.provenance.kind.as_str() });
            if let Value::Object(o) = &mut provenance {
                if let Some(s) = &m.provenance.source {
                    o.insert("source".into(), s.clone().into());
                }
                if let Some(n) = &m.provenance.note {
                    o.insert("note".into(), n.clone().into());
                }
            }
            let ok = match &m.native {
                Some(n) if n.binary => json!({
                    "description": "The file, with its `Content-Type` and its name in `Content-Disposition`.",
                    "content": { "application/octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } }
                }),
                Some(_) => json!({
                    "description": format!("The provider's response; the method answers the JSON at `{}`.", ir::path_text(&m.data_path)),
                    "content": { "application/json": { "schema": {} } }
                }),
                None => json!({
                    "description": format!("The provider's response; the unified mapping reads it at `{}`.", ir::path_text(&m.data_path)),
                    "content": { "application/json": { "schema": {} } }
                }),
            };
            let mut op = json!({
                "operationId": m.tool_name,
                "summary": format!("{} {} ({})", m.name, r.name, m.provenance.kind.as_str()),
                "description": non_empty(&m.description, &format!("`{}` on {}.", m.name, r.name)),
                "tags": [r.name],
                "parameters": params,
                "responses": {
                    "200": ok,
                    "default": { "description": "An error, in the provider's own shape." }
                },
                "x-provenance": provenance,
            });
            if r.native.is_none()
                && let Value::Object(o) = &mut op
            {
                o.insert(
                    "x-unified".into(),
                    format!("{}.{}", r.model, r.unified).into(),
                );
            }
            if let (Some(body), Value::Object(o)) = (&m.body, &mut op) {
                let properties: Map<String, Value> = body
                    .iter()
                    .map(|(k, v)| (k.clone(), request_value_schema(v)))
                    .collect();
                o.insert(
                    "requestBody".into(),
                    json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": properties } } } }),
                );
            }
            add_operation(&mut paths, &path, &m.http_method.to_ascii_lowercase(), op);
        }
    }
    // Any one of the schemes will do (an auth with options has several).
    let schemes: Vec<(&str, Value)> = match &p.auth {
        ir::Auth::OneOf(options) => options.iter().filter_map(security_scheme).collect(),
        auth => security_scheme(auth).into_iter().collect(),
    };
    let mut components = Map::new();
    let security: Vec<Value> = schemes.iter().map(|(n, _)| json!({ *n: [] })).collect();
    if !schemes.is_empty() {
        let schemes: Map<String, Value> = schemes
            .into_iter()
            .map(|(n, s)| (n.to_owned(), s))
            .collect();
        components.insert("securitySchemes".into(), Value::Object(schemes));
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{} (as mapped by Switchboard)", p.title),
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "{}'s API as Switchboard's mappings describe it, with each method's provenance (`x-provenance`): documented, observed or inferred. Generated by switchboard-compiler from mappings/ — do not edit.",
                p.title
            ),
        },
        "servers": [server],
        "security": security,
        "paths": paths,
        "components": components,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    out.insert(format!("openapi/{}.json", p.name), text);
}

fn request_value_schema(v: &ir::RequestValue) -> Value {
    match v {
        ir::RequestValue::Template(_) => json!({ "type": "string" }),
        ir::RequestValue::From {
            as_type: Some(t), ..
        } => field_schema(t),
        ir::RequestValue::From { cases, .. } if !cases.is_empty() => {
            let raw: Vec<&str> = cases.iter().map(|(_, r)| r.as_str()).collect();
            json!({ "type": "string", "enum": raw })
        }
        ir::RequestValue::From { .. } => json!({}),
        ir::RequestValue::Object(members) => {
            let properties: Map<String, Value> = members
                .iter()
                .map(|(k, v)| (k.clone(), request_value_schema(v)))
                .collect();
            json!({ "type": "object", "properties": properties })
        }
        ir::RequestValue::JsonText(inner) => json!({
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": request_value_schema(inner),
        }),
        ir::RequestValue::List(items) => {
            let items: Vec<Value> = items.iter().map(request_value_schema).collect();
            match items.as_slice() {
                [one] => json!({ "type": "array", "items": one }),
                _ => json!({ "type": "array", "prefixItems": items }),
            }
        }
    }
}

fn security_scheme(auth: &ir::Auth) -> Option<(&'static str, Value)> {
    match auth {
        ir::Auth::None | ir::Auth::OneOf(_) => None,
        ir::Auth::Bearer { .. } => Some(("bearer", json!({ "type": "http", "scheme": "bearer" }))),
        ir::Auth::Basic { .. } => Some(("basic", json!({ "type": "http", "scheme": "basic" }))),
        ir::Auth::ApiKey { name, in_query, .. } => Some((
            "api_key",
            json!({ "type": "apiKey", "name": name, "in": if *in_query { "query" } else { "header" } }),
        )),
        ir::Auth::OAuth2ClientCredentials {
            token_url, scopes, ..
        } => {
            let scopes: Map<String, Value> = scopes
                .iter()
                .map(|s| (s.display(), Value::String(String::new())))
                .collect();
            Some((
                "oauth2",
                json!({ "type": "oauth2", "flows": { "clientCredentials": { "tokenUrl": token_url.display(), "scopes": scopes } } }),
            ))
        }
        ir::Auth::Login { url, scheme, .. } => Some((
            "login",
            json!({
                "type": "http",
                "scheme": "bearer",
                "description": format!("A token from `POST {}`, sent as `{scheme} <token>`.", url.display()),
            }),
        )),
    }
}

/// The unified API: one path per model, resource and method.
fn unified(ir: &Ir, out: &mut Output) {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Reference".into(), reference_schema());
    schemas.insert("Error".into(), error_schema());

    for m in &ir.models {
        for r in &m.resources {
            let schema_name = type_name(&r.singular_stem());
            schemas.insert(schema_name.clone(), resource_schema(ir, m, r));
            let list_name = format!("{schema_name}List");
            let tag = format!("{} / {}", m.title, r.name);
            let base = format!("/unified/{}/{}", m.name, r.name);
            for method in &r.methods {
                let id_param = json!({
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "description": format!("The provider's id of the {}.", r.singular),
                    "schema": { "type": "string" }
                });
                let mut params = vec![account_param()];
                params.extend(method.query.iter().map(|q| {
                    json!({
                        "name": q.name,
                        "in": "query",
                        "required": q.required,
                        "description": q.description,
                        "schema": field_schema(&q.ty),
                    })
                }));
                let body = (!method.body.is_empty()).then(|| request_body(r, method));
                let (verb, path, summary, response) = match method.kind {
                    MethodKind::List => {
                        schemas.insert(list_name.clone(), list_schema(&schema_name));
                        params.extend([cursor_param(), limit_param()]);
                        (
                            "get",
                            base.clone(),
                            format!("List {}", r.name),
                            responses(&list_name, "The page of records."),
                        )
                    }
                    MethodKind::Get => {
                        params.insert(0, id_param);
                        (
                            "get",
                            format!("{base}/{{id}}"),
                            format!("Get a {}", r.singular),
                            responses(&schema_name, "The record."),
                        )
                    }
                    MethodKind::Create => (
                        "post",
                        base.clone(),
                        format!("Create a {}", r.singular),
                        responses(&schema_name, "The created record."),
                    ),
                    MethodKind::Update => {
                        params.insert(0, id_param);
                        (
                            "patch",
                            format!("{base}/{{id}}"),
                            format!("Update a {}", r.singular),
                            responses(&schema_name, "The updated record."),
                        )
                    }
                    MethodKind::Delete => {
                        params.insert(0, id_param);
                        (
                            "delete",
                            format!("{base}/{{id}}"),
                            format!("Delete a {}", r.singular),
                            deleted_responses(),
                        )
                    }
                    MethodKind::Custom => {
                        params.insert(0, id_param);
                        let response = match method.returns {
                            ir::Returns::Records => {
                                schemas.insert(list_name.clone(), list_schema(&schema_name));
                                responses(&list_name, "The records.")
                            }
                            ir::Returns::Record => responses(&schema_name, "The record."),
                            ir::Returns::Nothing => deleted_responses(),
                        };
                        (
                            "post",
                            format!("{base}/{{id}}/{}", method.name),
                            format!("{} a {}", method.name, r.singular),
                            response,
                        )
                    }
                };
                let mut op = json!({
                    "operationId": format!("{}_{}_{}", method.name, m.name, r.name),
                    "summary": summary,
                    "description": non_empty(&method.description, &format!("`{}` on {} of the connected account.", method.name, r.name)),
                    "tags": [tag],
                    "parameters": params,
                    "responses": response,
                    "x-providers": providers_for(ir, m, r, &method.name),
                });
                if let (Some(body), Value::Object(o)) = (body, &mut op) {
                    o.insert("requestBody".into(), body);
                }
                add_operation(&mut paths, &path, verb, op);
            }
        }
    }

    let doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard unified API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "One API over many helpdesks. Generated by switchboard-compiler from mappings/ — do not edit.",
        },
        "paths": paths,
        "components": { "schemas": schemas },
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    out.insert("openapi/unified.json", text);
}

fn non_empty(s: &str, default: &str) -> String {
    if s.is_empty() {
        default.to_owned()
    } else {
        s.to_owned()
    }
}

/// Adds an operation under `path` and `method`, keeping the other methods of the path.
fn add_operation(paths: &mut Map<String, Value>, path: &str, method: &str, op: Value) {
    let item = paths
        .entry(path.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(item) = item {
        item.insert(method.to_owned(), op);
    }
}

fn account_param() -> Value {
    json!({
        "name": "account_id",
        "in": "query",
        "required": true,
        "description": "The connected account to read from; it decides the provider.",
        "schema": { "type": "string" }
    })
}

fn cursor_param() -> Value {
    json!({
        "name": "cursor",
        "in": "query",
        "required": false,
        "description": "The `next_cursor` of the previous page.",
        "schema": { "type": "string" }
    })
}

fn limit_param() -> Value {
    json!({
        "name": "limit",
        "in": "query",
        "required": false,
        "description": "Most records in one page.",
        "schema": { "type": "integer", "minimum": 1, "maximum": 500 }
    })
}

fn responses(schema: &str, description: &str) -> Value {
    let error = |d: &str| {
        json!({
            "description": d,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
        })
    };
    json!({
        "200": {
            "description": description,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        },
        "401": error("The provider rejected the account's credentials."),
        "404": error("No such record."),
        "429": error("Rate limited; retry after `details.retry_after_seconds`."),
        "502": error("The provider failed, or its response could not be mapped."),
    })
}

fn list_schema(item: &str) -> Value {
    json!({
        "type": "object",
        "description": format!("A page of {item} records."),
        "required": ["result", "next_cursor", "result_count"],
        "properties": {
            "result": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "next_cursor": { "type": ["string", "null"], "description": "Opaque; pass as `cursor` for the next page. Null on the last page." },
            "result_count": { "type": "integer", "minimum": 0 }
        }
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "Every failure, whether the provider or Switchboard reported it.",
        "required": ["status_code", "error", "message", "is_remote_error"],
        "properties": {
            "status_code": { "type": "integer" },
            "error": {
                "type": "string",
                "enum": ["auth", "forbidden", "not_found", "rate_limited", "validation", "remote", "transport", "timeout", "mapping", "unsupported", "configuration"]
            },
            "message": { "type": "string" },
            "details": { "type": "object" },
            "is_remote_error": { "type": "boolean" },
            "remote": {
                "type": ["object", "null"],
                "description": "What the provider answered, with secrets redacted.",
                "properties": {
                    "status": { "type": "integer" },
                    "body": { "type": ["string", "null"] }
                }
            }
        }
    })
}

pub(super) fn field_schema(ty: &FieldType) -> Value {
    match ty {
        FieldType::String => json!({ "type": "string" }),
        FieldType::Integer => json!({ "type": "integer" }),
        FieldType::Number => json!({ "type": "number" }),
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Datetime => json!({ "type": "string", "format": "date-time" }),
        FieldType::Date => json!({ "type": "string", "format": "date" }),
        FieldType::Enum(values) => json!({
            "anyOf": [
                { "type": "string", "enum": values },
                { "type": "string", "description": "A provider value outside the unified set, unchanged." }
            ]
        }),
        FieldType::Reference => json!({ "$ref": "#/components/schemas/Reference" }),
        FieldType::List(inner) => json!({ "type": "array", "items": field_schema(inner) }),
        FieldType::Object { fields, .. } => {
            let properties: Map<String, Value> = fields
                .iter()
                .map(|f| (f.name.clone(), member_schema(f)))
                .collect();
            let required: Vec<&str> = fields
                .iter()
                .filter(|f| f.required)
                .map(|f| f.name.as_str())
                .collect();
            json!({ "type": "object", "required": required, "properties": properties })
        }
        FieldType::Json => json!({}),
    }
}

/// A member's schema with its description and read/write markers; optional members are nullable.
pub(super) fn member_schema(f: &ir::Field) -> Value {
    let mut s = field_schema(&f.ty);
    if let Value::Object(o) = &mut s {
        if !f.description.is_empty() {
            o.insert("description".into(), f.description.clone().into());
        }
        if f.read_only {
            o.insert("readOnly".into(), true.into());
        }
        if f.write_only {
            o.insert("writeOnly".into(), true.into());
        }
    }
    if f.required || matches!(f.ty, FieldType::List(_)) {
        s
    } else {
        json!({ "anyOf": [s, { "type": "null" }] })
    }
}

fn request_body(r: &ir::Resource, method: &ir::UnifiedMethod) -> Value {
    let properties: Map<String, Value> = method
        .body
        .iter()
        .filter_map(|b| {
            r.field(&b.name)
                .map(|f| (b.name.clone(), field_schema(&f.ty)))
        })
        .collect();
    let required: Vec<&str> = method
        .body
        .iter()
        .filter(|b| b.required)
        .map(|b| b.name.as_str())
        .collect();
    json!({
        "required": true,
        "content": { "application/json": { "schema": {
            "type": "object",
            "required": required,
            "properties": properties,
        } } }
    })
}

fn deleted_responses() -> Value {
    let mut r = responses("Error", "");
    if let Value::Object(o) = &mut r {
        o.insert("200".into(), json!({
            "description": "Done.",
            "content": { "application/json": { "schema": {
                "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } }
            } } }
        }));
    }
    r
}

fn resource_schema(ir: &Ir, m: &ir::Model, r: &ir::Resource) -> Value {
    let mut props = Map::new();
    for f in &r.fields {
        let mut s = member_schema(f);
        let fillers: Vec<&str> = ir
            .providers
            .iter()
            .filter(|p| {
                p.resources.iter().any(|pr| {
                    pr.model == m.name
                        && pr.unified == r.name
                        && (pr.fields.iter().any(|fm| fm.field == f.name)
                            || pr
                                .methods
                                .iter()
                                .flat_map(|me| me.fields.iter().flatten())
                                .any(|fm| fm.field == f.name))
                })
            })
            .map(|p| p.name.as_str())
            .collect();
        if let Value::Object(o) = &mut s {
            o.insert("x-providers".into(), json!(fillers));
        }
        props.insert(f.name.clone(), s);
    }
    let mut required: Vec<&str> = r
        .fields
        .iter()
        .filter(|f| f.required || matches!(f.ty, FieldType::List(_)))
        .map(|f| f.name.as_str())
        .collect();
    required.sort_unstable();
    json!({
        "type": "object",
        "description": non_empty(&r.description, &format!("Unified {}.", r.singular)),
        "required": required,
        "properties": props,
    })
}

fn providers_for(ir: &Ir, m: &ir::Model, r: &ir::Resource, method: &str) -> Value {
    let list: Vec<Value> = ir
        .providers
        .iter()
        .filter_map(|p| {
            let pr = p
                .resources
                .iter()
                .find(|pr| pr.model == m.name && pr.unified == r.name)?;
            let method = pr.methods.iter().find(|me| me.name == method)?;
            Some(json!({ "provider": p.name, "provenance": method.provenance.kind.as_str() }))
        })
        .collect();
    Value::Array(list)
}
