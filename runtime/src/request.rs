//! Building provider requests from unified inputs. Generated code describes each request's
//! path, query and body as static data ([`Part`], [`Value`]); these functions fill them from the
//! call's variables: `id`, `query.*` and `body.*` (the unified input as JSON) and the account's
//! non-secret `credentials.*`.

use serde_json::{Map, Value as Json};

use crate::client::encode_path_segment;
use crate::error::{Error, ErrorKind};
use crate::value;

/// A piece of a template: text, or a variable's dotted path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Text(&'static str),
    Var(&'static [&'static str]),
}

/// The JSON type a variable is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    String,
    Integer,
    Number,
    Boolean,
    Json,
}

/// A value of a request's query or body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Text with variables; omitted when a variable has no value.
    Template(&'static [Part]),
    /// A variable: mapped through `cases` (unified → provider value), sent as `as_type` (its
    /// natural JSON type when `None`); omitted when it has no value.
    From {
        var: &'static [&'static str],
        as_type: Option<As>,
        cases: &'static [(&'static str, &'static str)],
    },
    /// A JSON object; omitted when all its members are.
    Object(&'static [(&'static str, Value)]),
    /// A JSON array of the values that are not omitted; omitted when all of them are.
    List(&'static [Value]),
    /// The value as a string of its JSON text (a provider that takes JSON inside a string);
    /// omitted when the value is.
    JsonText(&'static Value),
}

/// A request as the mapping describes it: generated code keeps one per method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The provider resource and the method this request belongs to.
    pub operation: crate::error::Operation,
    /// Declared safe to send twice although its HTTP method is not idempotent.
    pub retry_safe: bool,
    pub method: &'static str,
    pub path: &'static [Part],
    pub query: &'static [(&'static str, Value)],
    pub headers: &'static [(&'static str, &'static [Part])],
    pub body: Option<&'static [(&'static str, Value)]>,
}

/// The request of `spec` for the call's variables.
pub fn build(provider: &str, spec: &Spec, vars: &Json) -> Result<crate::client::Request, Error> {
    build_request(provider, spec, vars).map_err(|e| e.with_operation(Some(spec.operation)))
}

fn build_request(
    provider: &str,
    spec: &Spec,
    vars: &Json,
) -> Result<crate::client::Request, Error> {
    let method = reqwest::Method::from_bytes(spec.method.as_bytes()).map_err(|_| {
        Error::configuration(provider, format!("`{}` is not an HTTP method", spec.method))
    })?;
    let mut request = crate::client::Request::new(method, path(provider, vars, spec.path)?)
        .with_operation(spec.operation.resource, spec.operation.method);
    request.retry_safe = spec.retry_safe;
    for (name, value) in query(provider, vars, spec.query)? {
        request = request.with_query(&name, value);
    }
    for (name, parts) in spec.headers {
        if let Some(value) = template(vars, parts) {
            request = request.with_header(name, value);
        }
    }
    if let Some(members) = spec.body {
        request = request.with_body(body(provider, vars, members)?);
    }
    Ok(request)
}

/// The variables of one call.
pub fn vars(
    id: Option<&str>,
    query: Option<Json>,
    body: Option<Json>,
    credentials: &[(&str, &str)],
) -> Json {
    let mut vars = Map::new();
    if let Some(id) = id {
        vars.insert("id".into(), Json::String(id.to_owned()));
    }
    vars.insert("query".into(), query.unwrap_or(Json::Null));
    vars.insert("body".into(), body.unwrap_or(Json::Null));
    let credentials: Map<String, Json> = credentials
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Json::String((*v).to_owned())))
        .collect();
    vars.insert("credentials".into(), Json::Object(credentials));
    Json::Object(vars)
}

/// Fills parameters the caller left out from the account's credentials: each pair is
/// (`query.<param>`, `credentials.<name>`), such as the acting user of a call.
pub fn defaults(vars: &mut Json, pairs: &[(&str, &str)]) {
    let Json::Object(vars) = vars else { return };
    let given: Vec<(String, Json)> = pairs
        .iter()
        .filter_map(|(param, credential)| {
            let value = vars.get("credentials")?.get(*credential)?.clone();
            Some(((*param).to_owned(), value))
        })
        .collect();
    let query = vars
        .entry("query")
        .or_insert_with(|| Json::Object(Map::new()));
    if query.is_null() {
        *query = Json::Object(Map::new());
    }
    if let Json::Object(query) = query {
        for (param, value) in given {
            let slot = query.entry(param).or_insert(Json::Null);
            if slot.is_null() {
                *slot = value;
            }
        }
    }
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A template's text; `None` when a variable has no value.
pub fn template(vars: &Json, parts: &[Part]) -> Option<String> {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Var(path) => out.push_str(&text(value::var(vars, path)?)),
        }
    }
    Some(out)
}

/// A request path: each variable stays exactly one path segment, escaped (see
/// [`encode_path_segment`]); all must have a value, and a value that escaping cannot keep in
/// its segment (empty, `.` or `..`, which URL parsers resolve) is a `Validation` error.
pub fn path(provider: &str, vars: &Json, parts: &[Part]) -> Result<String, Error> {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Var(path) => {
                let bad = |why: &str| {
                    Error::new(
                        ErrorKind::Validation,
                        provider,
                        format!("`{}` {why}", path.join(".")),
                    )
                };
                let v =
                    value::var(vars, path).ok_or_else(|| bad("is needed in the request path"))?;
                out.push_str(&path_segment(provider, &path.join("."), &text(v))?);
            }
        }
    }
    Ok(out)
}

/// One value of a request path, escaped to stay exactly one segment (see
/// [`encode_path_segment`]); a value that escaping cannot keep in its segment (empty, `.` or
/// `..`, which URL parsers resolve) is a `Validation` error naming `name`.
pub fn path_segment(provider: &str, name: &str, value: &str) -> Result<String, Error> {
    if matches!(value, "" | "." | "..") {
        return Err(Error::new(
            ErrorKind::Validation,
            provider,
            format!(
                "`{name}` cannot be `{value}`: a value in the request path must name one record (give the record's id)"
            ),
        ));
    }
    Ok(encode_path_segment(value))
}

/// Query parameters with a value.
pub fn query(
    provider: &str,
    vars: &Json,
    params: &[(&str, Value)],
) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for (name, v) in params {
        if let Some(v) = resolve(provider, vars, v)? {
            out.push(((*name).to_owned(), text(&v)));
        }
    }
    Ok(out)
}

/// A JSON body object with the members that have a value.
pub fn body(provider: &str, vars: &Json, members: &[(&str, Value)]) -> Result<Json, Error> {
    let mut out = Map::new();
    for (name, v) in members {
        if let Some(v) = resolve(provider, vars, v)? {
            out.insert((*name).to_owned(), v);
        }
    }
    Ok(Json::Object(out))
}

fn resolve(provider: &str, vars: &Json, v: &Value) -> Result<Option<Json>, Error> {
    match v {
        Value::Template(parts) => Ok(template(vars, parts).map(Json::String)),
        Value::Object(members) => {
            let object = body(provider, vars, members)?;
            Ok(object
                .as_object()
                .is_some_and(|o| !o.is_empty())
                .then_some(object))
        }
        Value::JsonText(inner) => {
            Ok(resolve(provider, vars, inner)?.map(|v| Json::String(v.to_string())))
        }
        Value::List(items) => {
            let mut out = Vec::new();
            for item in *items {
                out.extend(resolve(provider, vars, item)?);
            }
            Ok((!out.is_empty()).then_some(Json::Array(out)))
        }
        Value::From {
            var,
            as_type,
            cases,
        } => {
            let Some(found) = value::var(vars, var) else {
                return Ok(None);
            };
            let found = if cases.is_empty() {
                found.clone()
            } else {
                let unified = text(found);
                let raw = cases
                    .iter()
                    .find(|(u, _)| *u == unified)
                    .map(|(_, r)| *r)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Validation,
                            provider,
                            format!(
                                "`{}` = `{unified}` has no equivalent at this provider",
                                var.join(".")
                            ),
                        )
                    })?;
                Json::String(raw.to_owned())
            };
            convert(provider, var, found, *as_type).map(Some)
        }
    }
}

fn convert(provider: &str, var: &[&str], v: Json, as_type: Option<As>) -> Result<Json, Error> {
    let bad = |what: &str| {
        Error::new(
            ErrorKind::Validation,
            provider,
            format!("`{}` = {v} cannot be sent as {what}", var.join(".")),
        )
    };
    Ok(match as_type {
        None | Some(As::Json) => v,
        Some(As::String) => Json::String(text(&v)),
        Some(As::Integer) => match &v {
            Json::Number(n) if n.is_i64() => v.clone(),
            Json::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Json::from)
                .map_err(|_| bad("an integer"))?,
            _ => return Err(bad("an integer")),
        },
        Some(As::Number) => match &v {
            Json::Number(_) => v.clone(),
            Json::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Json::Number)
                .ok_or_else(|| bad("a number"))?,
            _ => return Err(bad("a number")),
        },
        Some(As::Boolean) => match &v {
            Json::Bool(_) => v.clone(),
            Json::String(s) if s == "true" || s == "false" => Json::Bool(s == "true"),
            _ => return Err(bad("a boolean")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builds_queries_and_bodies() {
        let vars = vars(
            Some("a/b"),
            Some(json!({"status": "closed", "after": null})),
            Some(
                json!({"name": "Printer", "contact": {"id": "42", "name": "Ada"}, "priority": null}),
            ),
            &[("region", "eu")],
        );
        assert_eq!(
            path("p", &vars, &[Part::Text("/t/"), Part::Var(&["id"])]).unwrap(),
            "/t/a%2Fb"
        );
        assert!(path("p", &vars, &[Part::Var(&["query", "missing"])]).is_err());
        let q = query(
            "p",
            &vars,
            &[
                (
                    "state",
                    Value::From {
                        var: &["query", "status"],
                        as_type: None,
                        cases: &[("open", "OPEN"), ("closed", "CLOSED")],
                    },
                ),
                ("after", Value::Template(&[Part::Var(&["query", "after"])])),
                (
                    "region",
                    Value::Template(&[Part::Var(&["credentials", "region"])]),
                ),
            ],
        )
        .unwrap();
        assert_eq!(
            q,
            [
                ("state".to_owned(), "CLOSED".to_owned()),
                ("region".to_owned(), "eu".to_owned())
            ]
        );
        let b = body(
            "p",
            &vars,
            &[
                ("subject", Value::Template(&[Part::Var(&["body", "name"])])),
                (
                    "contact_id",
                    Value::From {
                        var: &["body", "contact", "id"],
                        as_type: Some(As::Integer),
                        cases: &[],
                    },
                ),
                (
                    "meta",
                    Value::Object(&[("p", Value::Template(&[Part::Var(&["body", "priority"])]))]),
                ),
            ],
        )
        .unwrap();
        assert_eq!(b, json!({"subject": "Printer", "contact_id": 42}));
        // Lists keep the items that are not omitted, and are omitted when none is left.
        let b = body(
            "p",
            &vars,
            &[
                (
                    "notes",
                    Value::List(&[Value::Object(&[
                        (
                            "note_body",
                            Value::Template(&[Part::Var(&["body", "name"])]),
                        ),
                        ("p", Value::Template(&[Part::Var(&["body", "priority"])])),
                    ])]),
                ),
                (
                    "none",
                    Value::List(&[Value::Template(&[Part::Var(&["body", "priority"])])]),
                ),
            ],
        )
        .unwrap();
        assert_eq!(b, json!({"notes": [{"note_body": "Printer"}]}));
        let b = body(
            "p",
            &vars,
            &[(
                "data",
                Value::JsonText(&Value::Object(&[(
                    "Subject",
                    Value::Template(&[Part::Var(&["body", "name"])]),
                )])),
            )],
        )
        .unwrap();
        assert_eq!(b, json!({"data": "{\"Subject\":\"Printer\"}"}));
        let unmapped = query(
            "p",
            &vars,
            &[(
                "s",
                Value::From {
                    var: &["query", "status"],
                    as_type: None,
                    cases: &[("open", "O")],
                },
            )],
        );
        assert_eq!(unmapped.unwrap_err().kind(), ErrorKind::Validation);
    }

    #[test]
    fn defaults_fill_only_what_the_caller_left_out() {
        let mut given = vars(
            None,
            Some(json!({"user_id": "7"})),
            None,
            &[("user_id", "1")],
        );
        defaults(&mut given, &[("user_id", "user_id")]);
        assert_eq!(given["query"]["user_id"], "7");
        let mut absent = vars(None, None, None, &[("user_id", "1")]);
        defaults(&mut absent, &[("user_id", "user_id")]);
        assert_eq!(absent["query"]["user_id"], "1");
    }
}

#[cfg(test)]
mod path_properties {
    use proptest::prelude::*;

    use super::*;
    use crate::client::{Auth, Client, ClientConfig};

    const TEMPLATE: &[Part] = &[
        Part::Text("/tickets/"),
        Part::Var(&["id"]),
        Part::Text("/messages"),
    ];

    /// One client for every case (building one loads TLS roots).
    fn client() -> &'static Client {
        static CLIENT: std::sync::LazyLock<Client> = std::sync::LazyLock::new(|| {
            Client::new(ClientConfig::new(
                "p",
                "https://api.example.com/v2",
                Auth::None,
            ))
            .unwrap_or_else(|e| panic!("{e}"))
        });
        &CLIENT
    }

    /// The segments of the URL the client would send for `id`, or the refusal.
    fn sent(client: &Client, id: &str) -> Result<Vec<String>, Error> {
        let path = path("p", &vars(Some(id), None, None, &[]), TEMPLATE)?;
        let url = client.url_of(&crate::client::Request::get(path))?;
        assert_eq!(
            url.origin(),
            url::Url::parse("https://api.example.com")
                .unwrap_or_else(|e| panic!("{e}"))
                .origin()
        );
        Ok(url
            .path_segments()
            .map(|s| s.map(str::to_owned).collect())
            .unwrap_or_default())
    }

    #[test]
    fn traversal_ids_stay_in_their_segment() {
        let client = client();
        for id in [
            r"..\..\..\admin\users",
            r"..\..\contacts\123",
            "../x",
            "%2e%2e",
            "a?b#c",
            "a;b",
        ] {
            let segments = sent(client, id).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(segments.len(), 4, "{id} → {segments:?}");
            assert_eq!(segments[0], "v2");
            assert_eq!(segments[3], "messages");
        }
        for id in ["", ".", ".."] {
            let e = sent(client, id).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Validation, "{id}");
            assert!(e.message().contains("must name one record"), "{e}");
        }
    }

    proptest! {
        #[test]
        fn any_id_is_exactly_one_segment_and_decodes_back(id in any::<String>()) {
            let client = client();
            match sent(client, &id) {
                Err(e) => {
                    prop_assert!(matches!(id.as_str(), "" | "." | ".."), "{id:?} refused: {e}");
                    prop_assert_eq!(e.kind(), ErrorKind::Validation);
                }
                Ok(segments) => {
                    prop_assert_eq!(segments.len(), 4, "{:?} → {:?}", id, segments);
                    prop_assert_eq!(&segments[0], "v2");
                    prop_assert_eq!(&segments[1], "tickets");
                    prop_assert_eq!(&segments[3], "messages");
                    let decoded = percent_encoding::percent_decode_str(&segments[2]).decode_utf8_lossy();
                    prop_assert_eq!(decoded.as_ref(), id.as_str());
                }
            }
        }
    }
}
