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

/// `unified.json` or a provider's proxy document (`trengo.json`).
pub async fn document(Path(name): Path<String>) -> Result<impl IntoResponse, ApiError> {
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
    Ok(([(header::CONTENT_TYPE, "application/json")], text))
}
