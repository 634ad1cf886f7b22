//! What operators and tools read: health, readiness and the API documents.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;
use switchboard_generated::documents;

use crate::app::Shared;
use crate::error::ApiError;

pub async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

/// Ready when the store answers.
pub async fn readyz(State(app): State<Shared>) -> Result<impl IntoResponse, ApiError> {
    app.store
        .ping()
        .await
        .map_err(|e| ApiError::internal("checking the store", e))?;
    Ok(axum::Json(json!({"status": "ready"})))
}

/// `text` with its server's address replaced by `url` (the path below it kept: a proxy
/// document's server is `<url>/proxy/<provider>`).
fn served(text: &str, url: Option<&str>) -> String {
    let Some(url) = url else {
        return text.to_owned();
    };
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_owned();
    };
    if let Some(servers) = doc.get_mut("servers").and_then(|s| s.as_array_mut()) {
        for server in servers {
            let Some(old) = server.get("url").and_then(|u| u.as_str()) else {
                continue;
            };
            // The path after `scheme://host:port`.
            let path = old
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
                .unwrap_or_default();
            server["url"] = format!("{url}{path}").into();
            server["description"] = "This server.".into();
        }
    }
    doc.to_string()
}

/// `unified.json` or a provider's proxy document (`trengo.json`), naming this server's address.
pub async fn document(
    State(app): State<Shared>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    let text = if stem == "unified" {
        Some(documents::UNIFIED_OPENAPI)
    } else {
        documents::PROXY_OPENAPI
            .iter()
            .find(|(p, _)| *p == stem)
            .map(|(_, d)| *d)
    };
    let text = text.ok_or_else(|| {
        let known: Vec<&str> = std::iter::once("unified")
            .chain(documents::PROXY_OPENAPI.iter().map(|(p, _)| *p))
            .collect();
        ApiError::not_found(format!(
            "no document `{name}`; served: {}",
            known
                .iter()
                .map(|k| format!("{k}.json"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        served(text, app.public_url()),
    ))
}
