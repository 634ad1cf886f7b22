//! OpenAPI 3.1: the documents of `switchboard serve`. `unified.json` holds the unified API
//! (one path per model, resource and method) and the server's own endpoints (accounts, keys,
//! health, documents); each provider's document holds its proxy API. Both say what the server
//! answers: its address, its bearer keys, every status with the error schema.

mod infer;
mod proxy;
mod server;
mod unified;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::ir::{self, FieldType, Ir};

use super::Output;

/// Where `switchboard serve` listens unless told otherwise; the served copy of each document
/// names the address it actually listens on.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Every `error` code the server answers with, its HTTP status and what it means. The
/// provider-side kinds (`auth` … `configuration`) are the runtime's; the others are the
/// server's own, answered with `is_remote_error: false`.
pub(super) const ERRORS: &[(&str, u16, &str)] = &[
    (
        "invalid_request",
        400,
        "a parameter or the body is malformed: unknown, ill-typed or missing (the message names it and the nearest valid one)",
    ),
    (
        "configuration",
        400,
        "the account is set up wrongly (a credential that makes no valid address)",
    ),
    (
        "unauthenticated",
        401,
        "no API key, or one the server does not know or has revoked",
    ),
    (
        "auth",
        401,
        "the provider rejected the account's credentials; the account is now `needs_reauth`",
    ),
    (
        "permission_denied",
        403,
        "the API key's role or account limit does not allow this call",
    ),
    (
        "forbidden",
        403,
        "the provider refused: the account's credentials lack a permission",
    ),
    ("not_found", 404, "no such account, key, record or endpoint"),
    (
        "method_not_allowed",
        405,
        "the endpoint does not take this HTTP method",
    ),
    (
        "conflict",
        409,
        "a request with the same `Idempotency-Key` is still running, or the account changed meanwhile; retry",
    ),
    (
        "payload_too_large",
        413,
        "the request body is larger than the server accepts",
    ),
    (
        "validation",
        422,
        "the provider rejected the data, or Switchboard did before sending it (an empty or `..` id)",
    ),
    (
        "idempotency_mismatch",
        422,
        "the `Idempotency-Key` was used with a different request",
    ),
    (
        "needs_reauth",
        424,
        "the provider rejected the account's credentials before; give new ones with `PATCH /accounts/{id}`",
    ),
    (
        "rate_limited",
        429,
        "the provider limits the account's calls; retry after `Retry-After`",
    ),
    (
        "too_many_requests",
        429,
        "this API key made too many calls; retry after `Retry-After`",
    ),
    (
        "mapping",
        500,
        "a provider record could not be mapped to the unified model",
    ),
    (
        "internal",
        500,
        "the server failed (its store, most often); see its log",
    ),
    (
        "unsupported",
        501,
        "the account's provider does not support this method",
    ),
    (
        "remote",
        502,
        "the provider failed, or answered against its own contract",
    ),
    (
        "transport",
        503,
        "the provider could not be reached, or its answer did not come back",
    ),
    ("timeout", 504, "the provider did not answer in time"),
    (
        "server_timeout",
        504,
        "the call took longer than the server's per-call limit",
    ),
];

/// Statuses every call through a connected account can answer with.
const PROVIDER_CALL: &[u16] = &[400, 401, 403, 404, 422, 424, 429, 500, 501, 502, 503, 504];
/// Statuses a write can answer with besides: a running duplicate, a body too large.
const WRITE: &[u16] = &[409, 413];
/// Statuses of the server's own endpoints.
const OWN: &[u16] = &[400, 401, 403, 429, 500, 504];

pub fn emit(ir: &Ir, out: &mut Output) {
    unified::emit(ir, out);
    for p in &ir.providers {
        proxy::emit(p, out);
    }
}

fn write_document(out: &mut Output, path: String, doc: &Value) {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    out.insert(path, text);
}

/// The name of each status's shared response.
fn response_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        413 => "PayloadTooLarge",
        422 => "UnprocessableEntity",
        424 => "FailedDependency",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        _ => "GatewayTimeout",
    }
}

/// `components` shared by every document: the bearer scheme, the error schema and one
/// response per error status, the request and replay headers.
fn shared_components() -> Map<String, Value> {
    let mut responses = Map::new();
    let mut statuses: Vec<u16> = ERRORS.iter().map(|(_, s, _)| *s).collect();
    statuses.dedup();
    // 405 is for methods a path does not document, so no operation answers it.
    for status in statuses.into_iter().filter(|s| *s != 405) {
        let why: Vec<String> = ERRORS
            .iter()
            .filter(|(_, s, _)| *s == status)
            .map(|(code, _, what)| format!("`{code}`: {what}"))
            .collect();
        let mut response = json!({
            "description": format!("{}.", capitalised(&why.join("; "))),
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
        });
        if status == 429 {
            response["headers"] =
                json!({ "Retry-After": { "$ref": "#/components/headers/RetryAfter" } });
        }
        responses.insert(response_name(status).into(), response);
    }
    let codes: Vec<&str> = ERRORS.iter().map(|(c, _, _)| *c).collect();
    let mut schemas = Map::new();
    schemas.insert(
        "ErrorCode".into(),
        json!({
            "type": "string",
            "description": "What went wrong; each code has one HTTP status (see the responses).",
            "enum": codes,
        }),
    );
    schemas.insert("Error".into(), error_schema());
    let mut components = Map::new();
    components.insert("schemas".into(), Value::Object(schemas));
    components.insert("responses".into(), Value::Object(responses));
    components.insert(
        "securitySchemes".into(),
        json!({
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A Switchboard API key (`sbk_…`), from `switchboard keys create` or `POST /keys`. Admin keys manage accounts and keys; client keys make calls, to every account or to those the key is limited to."
            }
        }),
    );
    components.insert(
        "parameters".into(),
        json!({
            "IdempotencyKey": {
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "description": "Makes the write safe to retry: the first answer is kept for 24 hours per account and key, and a retry with the same key and request gets it back (marked `Idempotent-Replayed: true`). The same key with a different request is a 422; while the first is still running, a 409.",
                "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$" }
            }
        }),
    );
    components.insert(
        "headers".into(),
        json!({
            "RetryAfter": {
                "description": "Seconds to wait before retrying.",
                "schema": { "type": "integer", "minimum": 1 }
            },
            "IdempotentReplayed": {
                "description": "`true` on an answer replayed for an `Idempotency-Key`.",
                "schema": { "type": "string", "enum": ["true"] }
            }
        }),
    );
    components
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "Every failure, whether the provider or Switchboard reported it.",
        "required": ["status_code", "error", "message", "is_remote_error"],
        "properties": {
            "status_code": { "type": "integer", "description": "The HTTP status, repeated." },
            "error": { "$ref": "#/components/schemas/ErrorCode" },
            "message": { "type": "string", "description": "What went wrong and what to do; never a secret." },
            "details": {
                "type": "object",
                "description": "More about it: the provider, resource and method, the field, `retry_after_seconds`, the parameter."
            },
            "is_remote_error": { "type": "boolean", "description": "Whether the provider reported it (with its status in `remote`)." },
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

/// The responses of an operation: its success and the shared error responses of `statuses`.
fn responses(success: (&str, Value), statuses: &[&[u16]]) -> Value {
    let mut all: Vec<u16> = statuses.iter().flat_map(|s| s.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    let mut out = Map::new();
    out.insert(success.0.to_owned(), success.1);
    for status in all {
        out.insert(
            status.to_string(),
            json!({ "$ref": format!("#/components/responses/{}", response_name(status)) }),
        );
    }
    Value::Object(out)
}

/// A JSON success response with this schema.
fn json_response(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

/// A write's success response: it may be a replay.
fn write_response(description: &str, schema: Value) -> Value {
    let mut r = json_response(description, schema);
    r["headers"] =
        json!({ "Idempotent-Replayed": { "$ref": "#/components/headers/IdempotentReplayed" } });
    r
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
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

/// The named enum components of a document: each set of unified values once, named after the
/// first field that has it (`Ticket.status` → `TicketStatus`).
#[derive(Debug, Default)]
pub(super) struct Enums {
    names: BTreeMap<Vec<String>, String>,
}

impl Enums {
    /// Names the enum of `field` (of the type named `owner`) unless its values have a name.
    fn add(&mut self, owner: &str, field: &ir::Field, taken: &[String]) {
        self.add_type(owner, &field.name, &field.ty, taken);
    }

    fn add_type(&mut self, owner: &str, name: &str, ty: &FieldType, taken: &[String]) {
        match ty {
            FieldType::Enum(values) if !self.names.contains_key(values) => {
                let mut name = crate::names::type_name(&format!("{owner}_{name}"));
                while taken.contains(&name) || self.names.values().any(|n| *n == name) {
                    name.push_str("Value");
                }
                self.names.insert(values.clone(), name);
            }
            FieldType::List(inner) => self.add_type(owner, name, inner, taken),
            FieldType::Object {
                name: object,
                fields,
            } => {
                for f in fields {
                    self.add(object, f, taken);
                }
            }
            _ => {}
        }
    }

    /// The component schemas.
    fn schemas(&self) -> impl Iterator<Item = (String, Value)> + '_ {
        self.names.iter().map(|(values, name)| {
            (
                name.clone(),
                json!({ "type": "string", "enum": values, "description": format!("The unified values of {name}.") }),
            )
        })
    }
}

/// A field type's schema; enums named in `enums` are `$ref`s, others inline.
pub(super) fn field_schema(ty: &FieldType, enums: Option<&Enums>) -> Value {
    match ty {
        FieldType::String => json!({ "type": "string" }),
        FieldType::Integer => json!({ "type": "integer" }),
        FieldType::Number => json!({ "type": "number" }),
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Datetime => json!({ "type": "string", "format": "date-time" }),
        FieldType::Date => json!({ "type": "string", "format": "date" }),
        FieldType::Enum(values) => {
            let unified = match enums.and_then(|e| e.names.get(values)) {
                Some(name) => schema_ref(name),
                None => json!({ "type": "string", "enum": values }),
            };
            json!({
                "anyOf": [
                    unified,
                    { "type": "string", "description": "A provider value outside the unified set, unchanged." }
                ]
            })
        }
        FieldType::Reference => schema_ref("Reference"),
        FieldType::List(inner) => json!({ "type": "array", "items": field_schema(inner, enums) }),
        FieldType::Object { fields, .. } => {
            let properties: Map<String, Value> = fields
                .iter()
                .map(|f| (f.name.clone(), member_schema(f, enums)))
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
pub(super) fn member_schema(f: &ir::Field, enums: Option<&Enums>) -> Value {
    let mut s = field_schema(&f.ty, enums);
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
    if f.required || matches!(f.ty, FieldType::List(_) | FieldType::Json) {
        s
    } else {
        json!({ "anyOf": [s, { "type": "null" }] })
    }
}
