//! The admin endpoints for API keys (the CLI's `switchboard keys` does the same offline).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::{JsonBody, Shared, now};
use crate::auth::{self, Caller, Role};
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    name: String,
    role: Role,
    accounts: Option<Vec<String>>,
}

pub async fn create(
    State(app): State<Shared>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    caller.require_admin()?;
    let body: CreateKey = serde_json::from_value(body).map_err(|e| {
        ApiError::invalid(format!(
            "invalid key: {e} (give `name` and `role`: admin or client)"
        ))
    })?;
    if body.name.is_empty() || body.name.chars().count() > 200 {
        return Err(ApiError::invalid(
            "a key's `name` must be 1 to 200 characters",
        ));
    }
    let created = auth::new_key(&body.name, body.role, body.accounts, &now());
    app.store
        .insert_key(&created.row)
        .await
        .map_err(|e| ApiError::internal("storing an API key", e))?;
    let mut view = auth::key_view(&created.row);
    view["token"] = Value::String(created.token);
    Ok((axum::http::StatusCode::CREATED, Json(view)))
}

pub async fn list(State(app): State<Shared>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let rows = app
        .store
        .keys()
        .await
        .map_err(|e| ApiError::internal("listing API keys", e))?;
    let result: Vec<Value> = rows.iter().map(auth::key_view).collect();
    Ok(crate::app::listing(result))
}

pub async fn revoke(
    State(app): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let revoked = app
        .store
        .revoke_key(&id, &now())
        .await
        .map_err(|e| ApiError::internal("revoking an API key", e))?;
    if !revoked {
        return Err(ApiError::not_found(format!("no active key `{id}`")));
    }
    Ok(Json(json!({"id": id})))
}
