//! Connected accounts: a provider and its credentials, checked against what the provider's
//! mapping declares, sealed at rest, and never shown back.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use switchboard_generated::registry::{self, Account, CAPABILITIES, PROVIDERS};
use switchboard_runtime::PageRequest;

use crate::app::{JsonBody, Shared, now};
use crate::auth::{self, Caller};
use crate::crypto::Keyring;
use crate::error::ApiError;
use crate::store::AccountRow;

/// What sealed credentials are bound to: a ciphertext opens only on its own account's row.
pub fn aad(id: &str, provider: &str) -> Vec<u8> {
    format!("account:{id}:{provider}").into_bytes()
}

/// An account's credentials, opened.
pub fn open_credentials(
    keyring: &Keyring,
    row: &AccountRow,
) -> Result<BTreeMap<String, String>, ApiError> {
    let plain = keyring
        .open(&aad(&row.id, &row.provider), &row.sealed)
        .map_err(|e| ApiError::internal("opening an account's credentials", e))?;
    serde_json::from_slice(&plain)
        .map_err(|e| ApiError::internal("reading an account's credentials", e))
}

/// The closest of `names` to `given`, for "did you mean" help.
pub fn nearest<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    names
        .into_iter()
        .map(|n| (strsim::jaro_winkler(given, n), n))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

fn did_you_mean(nearest: Option<&str>) -> String {
    nearest.map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"))
}

/// Checks credentials given for `provider` against its declared ones: every name known, every
/// required one given, every value allowed. Answers the credentials as text by name.
pub fn check_credentials(
    provider: &str,
    given: &Value,
) -> Result<BTreeMap<String, String>, ApiError> {
    let declared: Vec<&registry::Credential> = registry::credentials(provider).collect();
    let Some(given) = given.as_object() else {
        return Err(ApiError::invalid(format!(
            "`credentials` must be an object of {provider}'s credentials by name: {}",
            names(&declared)
        )));
    };
    let mut out = BTreeMap::new();
    for (name, value) in given {
        let Some(credential) = declared.iter().find(|c| c.name == name.as_str()) else {
            return Err(ApiError::invalid(format!(
                "{provider} has no credential `{name}`{}; its credentials are: {}",
                did_you_mean(nearest(name, declared.iter().map(|c| c.name))),
                names(&declared)
            )));
        };
        let Value::String(text) = value else {
            return Err(ApiError::invalid(format!(
                "credential `{name}` must be a string"
            )));
        };
        let text = text.clone();
        if text.is_empty() || text.chars().count() > 8192 {
            return Err(ApiError::invalid(format!(
                "credential `{name}` must be between 1 and 8192 characters"
            )));
        }
        if !credential.values.is_empty() && !credential.values.contains(&text.as_str()) {
            // A secret credential's allowed values are not echoed.
            let allowed = if credential.secret {
                String::new()
            } else {
                format!("; allowed: {}", credential.values.join(", "))
            };
            return Err(ApiError::invalid(format!(
                "credential `{name}` has a value {provider} does not take{allowed}"
            )));
        }
        out.insert(name.clone(), text);
    }
    let missing: Vec<&str> = declared
        .iter()
        .filter(|c| !c.optional && c.default.is_none() && !out.contains_key(c.name))
        .map(|c| c.name)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid(format!(
            "{provider} needs the credential{} {}",
            if missing.len() == 1 { "" } else { "s" },
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(out)
}

fn names(declared: &[&registry::Credential]) -> String {
    declared
        .iter()
        .map(|c| {
            let mut s = format!("`{}`", c.name);
            if c.optional || c.default.is_some() {
                s.push_str(" (optional)");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The non-secret credentials, shown back; secret ones are listed by name only.
fn public_credentials(provider: &str, credentials: &BTreeMap<String, String>) -> String {
    let public: Map<String, Value> = credentials
        .iter()
        .filter(|(name, _)| {
            registry::credentials(provider).any(|c| c.name == name.as_str() && !c.secret)
        })
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Value::Object(public).to_string()
}

/// An account as endpoints show it.
pub fn view(row: &AccountRow) -> Value {
    let credentials: Value =
        serde_json::from_str(&row.public_credentials).unwrap_or_else(|_| json!({}));
    let secrets: Vec<&str> = registry::credentials(&row.provider)
        .filter(|c| c.secret)
        .map(|c| c.name)
        .collect();
    json!({
        "id": row.id,
        "provider": row.provider,
        "name": row.name,
        "status": row.status,
        "credentials": credentials,
        "secret_credentials": secrets,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateAccount {
    provider: String,
    credentials: Value,
    name: Option<String>,
    #[serde(default)]
    verify: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateAccount {
    credentials: Option<Value>,
    name: Option<String>,
    #[serde(default)]
    verify: bool,
}

fn parse<T: serde::de::DeserializeOwned>(body: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(body).map_err(|e| ApiError::invalid(format!("invalid {what}: {e}")))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid(
            "an account's `name` must be 1 to 200 characters",
        ));
    }
    Ok(())
}

/// Checks new credentials with the provider: one cheap read (the first list of one record
/// that needs no parameters).
async fn verify(account: &Account) -> Result<(), ApiError> {
    let provider = account.provider();
    let Some(read) = CAPABILITIES.iter().find(|c| {
        c.provider == provider
            && c.http_method == "GET"
            && c.method == "list"
            && !c.path.is_empty()
            && !c.path.contains('{')
    }) else {
        return Ok(());
    };
    if read.model.is_empty() {
        account.call_tool(read.tool, &json!({})).await?;
    } else {
        account
            .page(
                read.model,
                read.resource,
                &json!({}),
                PageRequest::first().with_limit(1),
            )
            .await?;
    }
    Ok(())
}

/// Connects a new account: checks its credentials, verifies them with the provider when
/// asked, seals them and stores the account; answers its id.
pub async fn connect(
    app: &crate::app::App,
    provider: &str,
    credentials: &Value,
    name: Option<String>,
) -> Result<String, ApiError> {
    add(app, provider, credentials, name, false)
        .await
        .map(|row| row.id)
}

async fn add(
    app: &crate::app::App,
    provider: &str,
    credentials: &Value,
    name: Option<String>,
    verify_first: bool,
) -> Result<AccountRow, ApiError> {
    if !PROVIDERS.contains(&provider) {
        return Err(ApiError::invalid(format!(
            "unknown provider `{provider}`{}; known: {}",
            did_you_mean(nearest(provider, PROVIDERS.iter().copied())),
            PROVIDERS.join(", ")
        )));
    }
    let credentials = check_credentials(provider, credentials)?;
    let name = name.unwrap_or_else(|| provider.to_owned());
    check_name(&name)?;
    let id = auth::new_id("acc_");
    let connected = Account::connect(provider, &credentials, app.options(provider, &id))?;
    if verify_first {
        verify(&connected).await?;
    }
    let now = now();
    let plain = serde_json::to_vec(&credentials)
        .map_err(|e| ApiError::internal("sealing credentials", e))?;
    let sealed = app
        .keyring
        .seal(&aad(&id, provider), &plain)
        .map_err(|e| ApiError::internal("sealing credentials", e))?;
    let row = AccountRow {
        public_credentials: public_credentials(provider, &credentials),
        id,
        provider: provider.to_owned(),
        name,
        status: "active".into(),
        sealed,
        version: 1,
        created_at: now.clone(),
        updated_at: now,
    };
    app.store
        .insert_account(&row)
        .await
        .map_err(|e| ApiError::internal("storing an account", e))?;
    Ok(row)
}

pub async fn create(
    State(app): State<Shared>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    caller.require_admin()?;
    let body: CreateAccount = parse(body, "account")?;
    let row = add(
        &app,
        &body.provider,
        &body.credentials,
        body.name,
        body.verify,
    )
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(view(&row))))
}

/// The provider a list of accounts is filtered by: `provider`, the only parameter it takes.
fn provider_filter(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let mut provider = None;
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if name != "provider" {
            return Err(ApiError::invalid(format!(
                "unknown query parameter `{name}`; this endpoint takes: provider"
            )));
        }
        if provider.is_some() {
            return Err(ApiError::invalid(
                "query parameter `provider` is given more than once",
            ));
        }
        if !PROVIDERS.contains(&value.as_ref()) {
            return Err(ApiError::invalid(format!(
                "unknown provider `{value}`{}; known: {}",
                did_you_mean(nearest(&value, PROVIDERS.iter().copied())),
                PROVIDERS.join(", ")
            )));
        }
        provider = Some(value.into_owned());
    }
    Ok(provider)
}

pub async fn list(
    State(app): State<Shared>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let provider = provider_filter(raw.as_deref())?;
    let rows = app
        .store
        .accounts()
        .await
        .map_err(|e| ApiError::internal("listing accounts", e))?;
    let result: Vec<Value> = rows
        .iter()
        .filter(|r| caller.may_use(&r.id))
        .filter(|r| provider.as_ref().is_none_or(|p| *p == r.provider))
        .map(view)
        .collect();
    Ok(crate::app::listing(result))
}

pub async fn show(
    State(app): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = app.account_row(&caller, &id).await?;
    Ok(Json(view(&row)))
}

pub async fn update(
    State(app): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let body: UpdateAccount = parse(body, "account update")?;
    let mut row = app.account_row(&caller, &id).await?;
    let expected = row.version;
    if let Some(name) = body.name {
        check_name(&name)?;
        row.name = name;
    }
    if let Some(given) = &body.credentials {
        // Credentials left out keep their values: a rotation gives only what changed.
        let mut credentials = open_credentials(&app.keyring, &row)?;
        let merged: Map<String, Value> = credentials
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .chain(
                given
                    .as_object()
                    .ok_or_else(|| ApiError::invalid("`credentials` must be an object"))?
                    .clone(),
            )
            .collect();
        credentials = check_credentials(&row.provider, &Value::Object(merged))?;
        let connected = Account::connect(
            &row.provider,
            &credentials,
            app.options(&row.provider, &row.id),
        )?;
        if body.verify {
            verify(&connected).await?;
        }
        let plain = serde_json::to_vec(&credentials)
            .map_err(|e| ApiError::internal("sealing credentials", e))?;
        row.sealed = app
            .keyring
            .seal(&aad(&row.id, &row.provider), &plain)
            .map_err(|e| ApiError::internal("sealing credentials", e))?;
        row.public_credentials = public_credentials(&row.provider, &credentials);
        row.status = "active".into();
    }
    row.version += 1;
    row.updated_at = now();
    let stored = app
        .store
        .update_account(&row, expected)
        .await
        .map_err(|e| ApiError::internal("updating an account", e))?;
    if !stored {
        return Err(ApiError::new(
            crate::error::Code::Conflict,
            format!("account `{id}` changed while this update ran; read it and try again"),
        ));
    }
    app.forget(&id);
    Ok(Json(view(&row)))
}

pub async fn delete(
    State(app): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    caller.check_account(&id)?;
    let deleted = app
        .store
        .delete_account(&id)
        .await
        .map_err(|e| ApiError::internal("deleting an account", e))?;
    app.forget(&id);
    if !deleted {
        return Err(ApiError::not_found(format!("no account `{id}`")));
    }
    Ok(Json(json!({"id": id})))
}
