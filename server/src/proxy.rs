//! The proxy API: every method a provider's mapping declares, native ones included, at
//! `/proxy/{provider}/<the provider's path>` with the account's credentials applied here. A
//! path segment the mapping fills from a credential (Puzzel's customer key) is left out of the
//! proxy path and filled from the account. JSON answers pass as the provider sent them (the
//! account's secrets redacted); files stream one chunk at a time with their content type and
//! name.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use switchboard_generated::registry::{CAPABILITIES, Capability, PROVIDERS};
use switchboard_runtime::{Answer, Download, Error as RuntimeError, ErrorKind, Request};

use crate::accounts::{nearest, open_credentials};
use crate::app::{JsonBody, Shared};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::idempotency;

/// One segment of a method's path template, as the proxy sees it.
#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    Literal(&'a str),
    /// A value the caller gives in the path.
    Param,
    /// A value filled from the account's credential of this name (not in the proxy path).
    Credential(&'a str),
}

fn segments(template: &str) -> Vec<Segment<'_>> {
    template
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(var) => match var.strip_prefix("credentials.") {
                    Some(name) => Segment::Credential(name),
                    None => Segment::Param,
                },
                None => Segment::Literal(s),
            },
        )
        .collect()
}

/// The method of `provider` that `method` and the proxy path's decoded segments name.
fn find(
    provider: &str,
    method: &Method,
    given: &[String],
) -> Result<(&'static Capability, Vec<Segment<'static>>), ApiError> {
    // The templates that fit, the most literal ones first: a provider's
    // `/scheduledtasks/search` is that path, not `/scheduledtasks/{id}` with id `search`
    // (as the document's paths resolve).
    let mut fits: Vec<(usize, &'static Capability, Vec<Segment<'static>>)> = Vec::new();
    for cap in CAPABILITIES
        .iter()
        .filter(|c| c.provider == provider && !c.path.is_empty())
    {
        let template = segments(cap.path);
        let open: Vec<&Segment> = template
            .iter()
            .filter(|s| !matches!(s, Segment::Credential(_)))
            .collect();
        let fit = open.len() == given.len()
            && open.iter().zip(given).all(|(s, g)| match s {
                Segment::Literal(l) => l == g,
                _ => true,
            });
        if fit {
            let literals = open
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count();
            fits.push((literals, cap, template));
        }
    }
    if let Some(most) = fits.iter().map(|(n, _, _)| *n).max() {
        fits.retain(|(n, _, _)| *n == most);
        let allowed: Vec<&str> = fits.iter().map(|(_, c, _)| c.http_method).collect();
        return match fits
            .into_iter()
            .find(|(_, c, _)| c.http_method == method.as_str())
        {
            Some((_, cap, template)) => Ok((cap, template)),
            None => Err(ApiError::method_not_allowed(
                &format!("{provider}'s /{}", given.join("/")),
                method,
                allowed,
            )),
        };
    }
    let path = format!("/{}", given.join("/"));
    let paths = CAPABILITIES
        .iter()
        .filter(|c| c.provider == provider && !c.path.is_empty())
        .map(|c| c.path);
    Err(ApiError::not_found(format!(
        "{provider} has no method at {path}{}; its methods are in GET /openapi/{provider}.json",
        nearest(&path, paths).map_or_else(String::new, |n| format!(" (the nearest is {n})"))
    )))
}

fn answer_json(status: u16, body: &str) -> (StatusCode, Value) {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if body.trim().is_empty() {
        return (status, Value::Null);
    }
    match serde_json::from_str(body) {
        Ok(v) => (status, v),
        Err(_) => (status, Value::String(body.to_owned())),
    }
}

fn stream(download: Download) -> Response {
    let mut headers = HeaderMap::new();
    let content_type = download
        .content_type
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Some(name) = &download.file_name {
        // Only characters that need no quoting; the name was already cut to its last segment.
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    if let Some(size) = download.size {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    let body = futures::stream::unfold(download, |mut d| async move {
        match d.chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, RuntimeError>(chunk), d)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(cause = %e, "a proxied download broke off");
                Some((Err(e), d))
            }
        }
    });
    (headers, Body::from_stream(body)).into_response()
}

pub async fn call(
    State(app): State<Shared>,
    caller: Caller,
    method: Method,
    Path((provider, _)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    if !PROVIDERS.contains(&provider.as_str()) {
        return Err(ApiError::not_found(format!(
            "no provider `{provider}`; known: {}",
            PROVIDERS.join(", ")
        )));
    }
    // The raw path, so that an escaped `/` inside a value stays inside it.
    let prefix = format!("/proxy/{provider}/");
    let rest = uri.path().strip_prefix(&prefix).unwrap_or("");
    let given: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| ApiError::invalid("a path segment is not UTF-8 once decoded"))
        })
        .collect::<Result<_, _>>()?;
    let (cap, template) = find(&provider, &method, &given)?;

    let mut account_id = None;
    let mut query = Vec::new();
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if name == "account_id" {
            account_id = Some(value.into_owned());
        } else {
            query.push((name.into_owned(), value.into_owned()));
        }
    }
    let account_id = account_id.ok_or_else(|| {
        ApiError::invalid("query parameter `account_id` is required: the account to call through")
    })?;
    let (row, account) = app.account(&caller, &account_id).await?;
    if row.provider != provider {
        return Err(ApiError::invalid(format!(
            "account `{account_id}` is a {} account; call it at /proxy/{}/…",
            row.provider, row.provider
        )));
    }

    // Credentials are opened only for a path that needs one.
    let credentials = if template.iter().any(|s| matches!(s, Segment::Credential(_))) {
        open_credentials(&app.keyring, &row)?
    } else {
        Default::default()
    };
    let mut path = String::new();
    let mut values = given.iter();
    for segment in &template {
        let (name, value) = match segment {
            Segment::Literal(l) => {
                values.next();
                path.push('/');
                path.push_str(l);
                continue;
            }
            Segment::Param => ("path value", values.next().cloned().unwrap_or_default()),
            Segment::Credential(name) => (
                *name,
                credentials
                    .get(*name)
                    .cloned()
                    .or_else(|| {
                        switchboard_generated::registry::credentials(&provider)
                            .find(|c| c.name == *name)
                            .and_then(|c| c.default.map(str::to_owned))
                    })
                    .ok_or_else(|| {
                        ApiError::from(RuntimeError::configuration(
                            cap.provider,
                            format!(
                                "the account has no `{name}` credential, which this path needs"
                            ),
                        ))
                    })?,
            ),
        };
        path.push('/');
        path.push_str(&switchboard_runtime::request::path_segment(
            cap.provider,
            name,
            &value,
        )?);
    }

    let mut request = Request::new(method.clone(), path);
    request.query = query;
    request.operation = Some(switchboard_runtime::Operation {
        resource: cap.provider_resource,
        method: cap.method,
    });
    match app.proxy_bodies.get(cap.provider, cap.tool) {
        Some(schema) => schema.check(&body)?,
        None if !body.is_null() => {
            return Err(ApiError::invalid(format!(
                "{provider}'s `{}` takes no request body",
                cap.method
            )));
        }
        None => {}
    }
    let input = match body {
        Value::Null => Value::Null,
        other => {
            request.body = Some(other.clone());
            other
        }
    };

    if method == Method::GET {
        return match account.client().send_any(&request).await {
            Ok(Answer::File(download)) => Ok(stream(*download)),
            Ok(Answer::Json { status, body }) => {
                let (status, value) = answer_json(status, &body);
                Ok(crate::unified::answer_of(status, &value))
            }
            Err(e) => {
                app.observe(&row, &e).await;
                Err(e.into())
            }
        };
    }
    let fingerprint = idempotency::fingerprint(
        &method,
        uri.path(),
        None,
        &serde_json::json!({
            "query": request.query,
            "body": input,
        }),
    );
    let write = async {
        let e = match account.client().send_any(&request).await {
            Ok(Answer::Json { status, body }) => return answer_json(status, &body),
            Ok(Answer::File(_)) => RuntimeError::new(
                ErrorKind::Remote,
                cap.provider,
                "the provider answered a write with a file",
            ),
            Err(e) => e,
        };
        app.observe(&row, &e).await;
        let e = ApiError::from(e);
        (e.status(), e.body())
    };
    idempotency::once(&app, &row.id, &headers, &fingerprint, write).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_segments_are_left_out_of_the_proxy_path() {
        assert_eq!(
            segments("/{credentials.customer_key}/users/{query.user_id}"),
            vec![
                Segment::Credential("customer_key"),
                Segment::Literal("users"),
                Segment::Param
            ]
        );
        let given = [
            "users".to_owned(),
            "1001".to_owned(),
            "ticker".to_owned(),
            "Today".to_owned(),
        ];
        let (cap, _) = find("puzzel_contact_centre", &Method::GET, &given).unwrap();
        assert_eq!(cap.tool, "list_all_puzzel_agents_stats");
    }

    /// Every method a mapping declares is in its provider's proxy document, and each
    /// documented path, filled in, reaches one of the methods the operation lists.
    #[test]
    fn the_proxy_documents_list_every_method_where_it_is_served() {
        for (provider, text) in switchboard_generated::documents::PROXY_OPENAPI {
            let doc: Value = serde_json::from_str(text).unwrap();
            let mut listed = Vec::new();
            for (path, item) in doc["paths"].as_object().unwrap() {
                let given: Vec<String> = path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if s.starts_with('{') {
                            "x1".to_owned()
                        } else {
                            s.to_owned()
                        }
                    })
                    .collect();
                for (verb, op) in item.as_object().unwrap() {
                    let tools: Vec<&str> = op["x-methods"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|m| m["tool"].as_str().unwrap())
                        .collect();
                    let method = verb.to_ascii_uppercase().parse::<Method>().unwrap();
                    let (cap, _) = find(provider, &method, &given)
                        .unwrap_or_else(|e| panic!("{provider} {verb} {path}: {:?}", e.body()));
                    assert!(
                        tools.contains(&cap.tool),
                        "{provider} {verb} {path} reaches {}",
                        cap.tool
                    );
                    listed.extend(tools);
                }
            }
            for cap in CAPABILITIES
                .iter()
                .filter(|c| c.provider == *provider && !c.path.is_empty())
            {
                assert!(
                    listed.contains(&cap.tool),
                    "{} is not in {provider}'s document",
                    cap.tool
                );
            }
        }
    }

    #[test]
    fn a_wrong_method_or_path_is_named() {
        let e = find("trengo", &Method::DELETE, &["channels".to_owned()]).unwrap_err();
        assert_eq!(e.status(), StatusCode::METHOD_NOT_ALLOWED);
        let e = find("trengo", &Method::GET, &["chanels".to_owned()]).unwrap_err();
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        assert!(e.body()["message"].as_str().unwrap().contains("/channels"));
    }
}
