//! The unified API, exactly as `generated/openapi/unified.json` describes it: the document is
//! read at start-up into a table of operations, and every request's parameters are checked
//! and typed against it before anything reaches a provider.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Number, Value, json};
use switchboard_generated::documents;
use switchboard_runtime::{Output, PageRequest};

use crate::accounts::nearest;
use crate::app::{JsonBody, Shared};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::idempotency;

/// What one query or path parameter takes.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text,
    DateTime,
    Boolean,
    Integer { min: Option<i64>, max: Option<i64> },
    Number,
    OneOf(Vec<String>),
}

#[derive(Debug, Clone)]
struct Param {
    name: String,
    required: bool,
    kind: Kind,
}

/// One operation of the document.
#[derive(Debug)]
struct Operation {
    /// Query parameters, `account_id`, `cursor` and `limit` included.
    query: Vec<Param>,
    body: Option<crate::schemas::Body>,
}

/// Every unified operation by method and path template.
#[derive(Debug, Default)]
pub struct Operations {
    by_route: HashMap<(Method, String), Operation>,
}

/// Parameters every unified operation takes besides the document's own.
const REMOTE_DATA: &str = "remote_data";

fn kind(schema: &Value) -> Kind {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Kind::OneOf(
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        );
    }
    // `anyOf: [enum, open string]` takes any text.
    if schema.get("anyOf").is_some() {
        return Kind::Text;
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => Kind::Integer {
            min: schema.get("minimum").and_then(Value::as_i64),
            max: schema.get("maximum").and_then(Value::as_i64),
        },
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        _ if schema.get("format").and_then(Value::as_str) == Some("date-time") => Kind::DateTime,
        _ => Kind::Text,
    }
}

impl Operations {
    pub fn from_document() -> Result<Operations, String> {
        Self::parse(documents::UNIFIED_OPENAPI)
    }

    fn parse(text: &str) -> Result<Operations, String> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| format!("the unified OpenAPI document is not JSON: {e}"))?;
        let mut by_route = HashMap::new();
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("the unified OpenAPI document has no paths")?;
        // The server's own endpoints are in the document too; they have their handlers.
        for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/unified/")) {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                let query = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
                    .filter_map(|p| {
                        Some(Param {
                            name: p.get("name")?.as_str()?.to_owned(),
                            required: p.get("required").and_then(Value::as_bool) == Some(true),
                            kind: kind(p.get("schema").unwrap_or(&Value::Null)),
                        })
                    })
                    .collect();
                let body = crate::schemas::Body::of(&doc, op)?;
                by_route.insert((method, path.clone()), Operation { query, body });
            }
        }
        Ok(Operations { by_route })
    }

    fn find(&self, method: &Method, template: &str) -> Result<&Operation, ApiError> {
        if let Some(op) = self.by_route.get(&(method.clone(), template.to_owned())) {
            return Ok(op);
        }
        let allowed: Vec<&str> = self
            .by_route
            .keys()
            .filter(|(_, t)| t == template)
            .map(|(m, _)| m.as_str())
            .collect();
        if !allowed.is_empty() {
            return Err(ApiError::method_not_allowed(template, method, allowed));
        }
        let nearest = nearest(template, self.by_route.keys().map(|(_, t)| t.as_str()));
        Err(ApiError::not_found(format!(
            "no unified endpoint {template}{}",
            nearest.map_or_else(String::new, |n| format!(" (did you mean {n}?)"))
        )))
    }
}

/// A request's query parameters, checked and typed against its operation.
struct Checked {
    account_id: String,
    cursor: Option<String>,
    limit: Option<usize>,
    remote_data: bool,
    /// The operation's own parameters, typed, as the call's `query`.
    query: Map<String, Value>,
}

fn check_query(op: &Operation, raw: Option<&str>) -> Result<Checked, ApiError> {
    let mut given: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if given.insert(name.to_string(), value.to_string()).is_some() {
            return Err(ApiError::invalid(format!(
                "query parameter `{name}` is given more than once"
            )));
        }
    }
    let mut checked = Checked {
        account_id: String::new(),
        cursor: None,
        limit: None,
        remote_data: false,
        query: Map::new(),
    };
    for (name, text) in &given {
        if name == REMOTE_DATA {
            checked.remote_data = typed(name, text, &Kind::Boolean)? == Value::Bool(true);
            continue;
        }
        let Some(param) = op.query.iter().find(|p| p.name == *name) else {
            let known = op
                .query
                .iter()
                .map(|p| p.name.as_str())
                .chain([REMOTE_DATA]);
            let hint = nearest(name, known.clone())
                .map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"));
            return Err(ApiError::invalid(format!(
                "unknown query parameter `{name}`{hint}; this endpoint takes: {}",
                known.collect::<Vec<_>>().join(", ")
            ))
            .with_details(json!({"parameter": name})));
        };
        let value = typed(name, text, &param.kind)?;
        match name.as_str() {
            "account_id" => checked.account_id = text.clone(),
            "cursor" => checked.cursor = Some(text.clone()),
            "limit" => checked.limit = value.as_u64().and_then(|n| usize::try_from(n).ok()),
            _ => {
                checked.query.insert(name.clone(), value);
            }
        }
    }
    if let Some(missing) = op
        .query
        .iter()
        .find(|p| p.required && !given.contains_key(&p.name))
    {
        return Err(
            ApiError::invalid(format!("query parameter `{}` is required", missing.name))
                .with_details(json!({"parameter": missing.name})),
        );
    }
    Ok(checked)
}

/// A parameter's text as the JSON value its kind takes.
fn typed(name: &str, text: &str, kind: &Kind) -> Result<Value, ApiError> {
    let bad = |what: &str| {
        ApiError::invalid(format!("query parameter `{name}` must be {what}"))
            .with_details(json!({"parameter": name}))
    };
    Ok(match kind {
        Kind::Text => {
            if text.is_empty() {
                return Err(bad("a non-empty string"));
            }
            Value::String(text.to_owned())
        }
        Kind::DateTime => {
            text.parse::<jiff::Timestamp>()
                .map_err(|_| bad("an RFC 3339 date-time, such as 2024-05-01T12:00:00Z"))?;
            Value::String(text.to_owned())
        }
        Kind::Boolean => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("`true` or `false`")),
        },
        Kind::Integer { min, max } => {
            let n: i64 = text.parse().map_err(|_| bad("an integer"))?;
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                return Err(bad(&format!(
                    "between {} and {}",
                    min.map_or("-∞".into(), |m| m.to_string()),
                    max.map_or("∞".into(), |m| m.to_string())
                )));
            }
            Value::Number(n.into())
        }
        Kind::Number => {
            let n: f64 = text.parse().map_err(|_| bad("a number"))?;
            Value::Number(Number::from_f64(n).ok_or_else(|| bad("a finite number"))?)
        }
        Kind::OneOf(values) => {
            if !values.iter().any(|v| v == text) {
                return Err(bad(&format!("one of {}", values.join(", "))));
            }
            Value::String(text.to_owned())
        }
    })
}

/// What a unified request names.
struct Call<'a> {
    model: &'a str,
    resource: &'a str,
    method: &'a str,
    id: Option<&'a str>,
    template: String,
}

/// What a request gives besides its path: the query string, the headers and the body.
struct Given {
    raw: Option<String>,
    headers: HeaderMap,
    body: Value,
}

async fn run(
    app: Shared,
    caller: Caller,
    http: Method,
    call: Call<'_>,
    Given { raw, headers, body }: Given,
) -> Result<Response, ApiError> {
    let op = app.unified.find(&http, &call.template)?;
    let checked = check_query(op, raw.as_deref())?;
    let body = match (&op.body, body) {
        (Some(schema), body) => {
            schema.check(&body)?;
            (!body.is_null()).then_some(body)
        }
        (None, Value::Null) => None,
        (None, _) => {
            return Err(ApiError::invalid("this endpoint takes no request body"));
        }
    };
    let (row, account) = app.account(&caller, &checked.account_id).await?;
    let account = if checked.remote_data {
        account.with_remote_data(true)
    } else {
        account
    };
    let mut input = Map::new();
    input.insert("query".into(), Value::Object(checked.query.clone()));
    if let Some(body) = &body {
        input.insert("body".into(), body.clone());
    }
    let input = Value::Object(input);
    let answer = async {
        if call.method == "list" {
            let mut page = PageRequest {
                cursor: checked.cursor.as_deref(),
                limit: None,
            };
            if let Some(limit) = checked.limit {
                page = page.with_limit(limit);
            }
            let page = account
                .page(call.model, call.resource, &input, page)
                .await?;
            return Ok((
                StatusCode::OK,
                json!({
                    "result": page.result,
                    "next_cursor": page.next_cursor,
                    "result_count": page.result_count,
                }),
            ));
        }
        let output = account
            .call(call.model, call.resource, call.method, call.id, &input)
            .await?;
        let status = if call.method == "create" {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok::<_, switchboard_runtime::Error>(match output {
            Output::Record(v) => (status, v),
            Output::Nothing | Output::Records(_) | Output::Download(_) => {
                (status, json!({"id": call.id}))
            }
        })
    };
    let writes = http != Method::GET;
    let fingerprint = idempotency::fingerprint(&http, &call.template, call.id, &input);
    let run = async {
        match answer.await {
            Ok((status, value)) => (status, value),
            Err(e) => {
                app.observe(&row, &e).await;
                let e = ApiError::from(e);
                (e.status(), e.body())
            }
        }
    };
    if writes {
        idempotency::once(&app, &row.id, &headers, &fingerprint, run).await
    } else {
        let (status, value) = run.await;
        Ok(answer_of(status, &value))
    }
}

/// A JSON answer, with `Retry-After` when its error body says when to retry.
pub fn answer_of(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, axum::Json(value)).into_response();
    if let Some(seconds) = value
        .pointer("/details/retry_after_seconds")
        .and_then(Value::as_u64)
    {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, seconds.max(1).into());
    }
    response
}

fn template(model: &str, resource: &str, rest: &[&str]) -> String {
    let mut t = format!("/unified/{model}/{resource}");
    for part in rest {
        t.push('/');
        t.push_str(part);
    }
    t
}

/// `GET` (list) or `POST` (create) on a resource.
pub async fn collection(
    State(app): State<Shared>,
    caller: Caller,
    http: Method,
    Path((model, resource)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let call = Call {
        template: template(&model, &resource, &[]),
        model: &model,
        resource: &resource,
        method: if http == Method::POST {
            "create"
        } else {
            "list"
        },
        id: None,
    };
    run(app, caller, http, call, Given { raw, headers, body }).await
}

/// `GET` (get), `PATCH` (update) or `DELETE` (delete) on one record.
pub async fn record(
    State(app): State<Shared>,
    caller: Caller,
    http: Method,
    Path((model, resource, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let method = match http {
        Method::PATCH => "update",
        Method::DELETE => "delete",
        _ => "get",
    };
    let call = Call {
        template: template(&model, &resource, &["{id}"]),
        model: &model,
        resource: &resource,
        method,
        id: Some(&id),
    };
    run(app, caller, http, call, Given { raw, headers, body }).await
}

pub async fn custom(
    State(app): State<Shared>,
    caller: Caller,
    http: Method,
    Path((model, resource, id, method)): Path<(String, String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let call = Call {
        template: template(&model, &resource, &["{id}", &method]),
        model: &model,
        resource: &resource,
        method: &method,
        id: Some(&id),
    };
    run(app, caller, http, call, Given { raw, headers, body }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unified_operation_is_read() {
        let ops = Operations::from_document().unwrap();
        let list = ops
            .find(&Method::GET, "/unified/ticketing/tickets")
            .unwrap();
        assert!(list.query.iter().any(|p| p.name == "status"));
        assert!(
            ops.find(&Method::PUT, "/unified/ticketing/tickets")
                .is_err()
        );
    }

    #[test]
    fn an_unknown_parameter_names_the_nearest() {
        let ops = Operations::from_document().unwrap();
        let list = ops
            .find(&Method::GET, "/unified/ticketing/tickets")
            .unwrap();
        let Err(e) = check_query(list, Some("account_id=a&stauts=open")) else {
            panic!("accepted a misspelt filter");
        };
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let message = e.body()["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains("`stauts`") && message.contains("`status`"),
            "{message}"
        );
    }

    #[test]
    fn parameters_are_typed() {
        let ops = Operations::from_document().unwrap();
        let list = ops
            .find(&Method::GET, "/unified/ticketing/tickets")
            .unwrap();
        let ok = check_query(
            list,
            Some("account_id=a&limit=5&updated_after=2024-01-01T00:00:00Z"),
        )
        .ok()
        .unwrap();
        assert_eq!(ok.limit, Some(5));
        for bad in [
            "limit=0",
            "limit=501",
            "limit=x",
            "updated_after=yesterday",
            "remote_data=1",
        ] {
            assert!(
                check_query(list, Some(&format!("account_id=a&{bad}"))).is_err(),
                "{bad} accepted"
            );
        }
        assert!(
            check_query(list, Some("limit=5")).is_err(),
            "no account_id accepted"
        );
        assert!(check_query(list, Some("account_id=a&account_id=b")).is_err());
    }
}
