//! The server's shared state, its router and the layers every request passes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use switchboard_generated::registry::Account;
use switchboard_runtime::{ClientOptions, Secret};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::{self, Caller};
use crate::crypto::Keyring;
use crate::error::{ApiError, Code};
use crate::store::{AccountRow, Store};
use crate::{accounts, keys, ops, proxy, telemetry, unified};

/// Where one provider's API is reached, when not at the address its mapping declares (a
/// sandbox, a regional host, a proxy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    pub base_url: Option<String>,
    pub auth_url: Option<String>,
}

/// Bounds on what one caller may ask of the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted (bytes).
    pub body_bytes: usize,
    /// Longest a call may run before the server answers 504.
    pub call_timeout: Duration,
    /// Calls one key may make per minute (on each replica).
    pub calls_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 1 << 20,
            call_timeout: Duration::from_secs(60),
            calls_per_minute: 600,
        }
    }
}

/// What a server is made of.
#[derive(Debug)]
pub struct Config {
    pub store: Store,
    pub keyring: Keyring,
    /// Per-provider endpoint overrides, by provider name.
    pub endpoints: BTreeMap<String, Endpoint>,
    pub limits: Limits,
    /// Options every account's client starts from (timeouts, retries, connections).
    pub client: ClientOptions,
}

/// The state every handler shares.
pub struct App {
    pub store: Store,
    pub keyring: Keyring,
    pub endpoints: BTreeMap<String, Endpoint>,
    pub limits: Limits,
    client: ClientOptions,
    cursor_key: Secret,
    /// Connected accounts by id, with the row version they were connected from.
    connected: Mutex<HashMap<String, (i64, Account)>>,
    limiter: DefaultKeyedRateLimiter<String>,
    pub unified: unified::Operations,
    /// What each proxy method takes as its body.
    pub proxy_bodies: crate::schemas::ProxyBodies,
    /// The address callers reach this server at, once it listens (the served documents name it).
    public_url: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.store)
            .field("endpoints", &self.endpoints)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

pub type Shared = Arc<App>;

const CURSOR_KEY: &str = "cursor_key";

impl App {
    pub async fn new(config: Config) -> Result<Shared, String> {
        let cursor_key = cursor_key(&config.store, &config.keyring).await?;
        telemetry::handle();
        let per_minute = std::num::NonZeroU32::new(config.limits.calls_per_minute.max(1))
            .unwrap_or(std::num::NonZeroU32::MIN);
        let app = Arc::new(App {
            store: config.store,
            keyring: config.keyring,
            endpoints: config.endpoints,
            limits: config.limits,
            client: config.client,
            cursor_key,
            connected: Mutex::new(HashMap::new()),
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            unified: unified::Operations::from_document()?,
            proxy_bodies: crate::schemas::ProxyBodies::from_documents()?,
            public_url: std::sync::OnceLock::new(),
        });
        // Stored answers to idempotent writes expire; the task ends with the app.
        let weak = Arc::downgrade(&app);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(600));
            loop {
                every.tick().await;
                let Some(app) = weak.upgrade() else { break };
                let cutoff = jiff::Timestamp::now() - crate::idempotency::RETENTION;
                if let Err(e) = app.store.expire_idempotency(&cutoff.to_string()).await {
                    tracing::warn!(cause = %e, "cannot expire idempotency records");
                }
            }
        });
        Ok(app)
    }

    /// Records the address callers reach the server at (`http://127.0.0.1:8080`); the
    /// documents it serves name it in `servers`. The first call wins.
    pub fn listening_at(&self, url: &str) {
        let _ = self.public_url.set(url.trim_end_matches('/').to_owned());
    }

    /// The address given to [`App::listening_at`], if any.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.get().map(String::as_str)
    }

    /// The connected client of an account row, reused while the row is unchanged.
    pub fn connect(&self, row: &AccountRow) -> Result<Account, ApiError> {
        if let Some((version, account)) = self.lock().get(&row.id)
            && *version == row.version
        {
            return Ok(account.clone());
        }
        let credentials = accounts::open_credentials(&self.keyring, row)?;
        let account = Account::connect(
            &row.provider,
            &credentials,
            self.options(&row.provider, &row.id),
        )?;
        self.lock()
            .insert(row.id.clone(), (row.version, account.clone()));
        Ok(account)
    }

    /// The client options of an account of `provider`.
    pub fn options(&self, provider: &str, account: &str) -> ClientOptions {
        let mut options = self
            .client
            .clone()
            .with_cursor_key(self.cursor_key.clone())
            .with_account(account);
        if let Some(endpoint) = self.endpoints.get(provider) {
            if let Some(url) = &endpoint.base_url {
                options = options.with_base_url(url);
            }
            if let Some(url) = &endpoint.auth_url {
                options = options.with_auth_url(url);
            }
        }
        options
    }

    pub fn forget(&self, account: &str) {
        self.lock().remove(account);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, Account)>> {
        self.connected
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The account a caller names, if the caller may use it and it is usable.
    pub async fn account(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(AccountRow, Account), ApiError> {
        let row = self.account_row(caller, id).await?;
        if row.status == "needs_reauth" {
            return Err(ApiError::new(
                Code::NeedsReauth,
                format!(
                    "account `{id}`'s provider rejected its credentials; give new ones with \
                     PATCH /accounts/{id}"
                ),
            ));
        }
        let account = self.connect(&row)?;
        Ok((row, account))
    }

    /// The row of an account a caller may see.
    pub async fn account_row(&self, caller: &Caller, id: &str) -> Result<AccountRow, ApiError> {
        caller.check_account(id)?;
        let row = self
            .store
            .account(id)
            .await
            .map_err(|e| ApiError::internal("reading an account", e))?;
        row.ok_or_else(|| {
            self.forget(id);
            ApiError::not_found(format!("no account `{id}`; list them with GET /accounts"))
        })
    }

    /// Records what a provider said of an account's credentials: a rejection after renewal
    /// makes the account `needs_reauth`.
    pub async fn observe(&self, row: &AccountRow, error: &switchboard_runtime::Error) {
        if error.kind() == switchboard_runtime::ErrorKind::Auth && error.is_remote_error() {
            if let Err(e) = self
                .store
                .mark_needs_reauth(&row.id, row.version, &now())
                .await
            {
                tracing::error!(account = %row.id, cause = %e, "cannot mark the account needs_reauth");
            }
            self.forget(&row.id);
        }
    }
}

/// The key that signs cursors, shared by every replica through the store (sealed).
async fn cursor_key(store: &Store, keyring: &Keyring) -> Result<Secret, String> {
    let aad = format!("setting:{CURSOR_KEY}");
    if store
        .setting(CURSOR_KEY)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        let key = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            auth::random::<32>(),
        );
        let sealed = keyring.seal(aad.as_bytes(), key.as_bytes())?;
        store
            .insert_setting(CURSOR_KEY, &sealed)
            .await
            .map_err(|e| e.to_string())?;
    }
    // Read back what is stored: another replica may have stored its key first.
    let sealed = store
        .setting(CURSOR_KEY)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the store lost the cursor key it was just given")?;
    let key = keyring.open(aad.as_bytes(), &sealed)?;
    String::from_utf8(key)
        .map(Secret::new)
        .map_err(|_| "the stored cursor key is not text".into())
}

/// Re-seals every account's credentials and the cursor key under the keyring's current key;
/// answers how many values were re-sealed.
pub async fn reencrypt(store: &Store, keyring: &Keyring) -> Result<usize, String> {
    let mut count = 0;
    for mut row in store.accounts().await.map_err(|e| e.to_string())? {
        if row.sealed.key_id == keyring.current() {
            continue;
        }
        let aad = accounts::aad(&row.id, &row.provider);
        let plain = keyring.open(&aad, &row.sealed)?;
        row.sealed = keyring.seal(&aad, &plain)?;
        let expected = row.version;
        row.version += 1;
        if !store
            .update_account(&row, expected)
            .await
            .map_err(|e| e.to_string())?
        {
            return Err(format!(
                "account `{}` changed while it was re-encrypted; run the command again",
                row.id
            ));
        }
        count += 1;
    }
    if let Some(sealed) = store.setting(CURSOR_KEY).await.map_err(|e| e.to_string())?
        && sealed.key_id != keyring.current()
    {
        let aad = format!("setting:{CURSOR_KEY}");
        let plain = keyring.open(aad.as_bytes(), &sealed)?;
        let resealed = keyring.seal(aad.as_bytes(), &plain)?;
        store
            .replace_setting(CURSOR_KEY, &resealed)
            .await
            .map_err(|e| e.to_string())?;
        count += 1;
    }
    Ok(count)
}

/// A list answer of the admin endpoints: `{result_count, result}`.
pub fn listing(result: Vec<serde_json::Value>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"result_count": result.len(), "result": result}))
}

/// Now, as RFC 3339 UTC.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// The authenticated caller, as the auth layer found it.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::new(Code::Unauthenticated, "no API key"))
    }
}

/// A JSON request body within the server's limit; an empty body is `null`.
#[derive(Debug)]
pub struct JsonBody(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        Code::PayloadTooLarge,
                        "the request body is larger than the server accepts",
                    )
                } else {
                    ApiError::invalid(format!("cannot read the request body: {e}"))
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(serde_json::Value::Null));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::invalid(format!("the request body is not valid JSON: {e}")))
    }
}

/// Authenticates every request but the public ones, and applies the key's rate limit.
async fn authenticated(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    let caller = match auth::authenticate(&app.store, req.headers()).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    if let Err(not_until) = app.limiter.check_key(&caller.key_id) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return ApiError::new(
            Code::TooManyRequests,
            format!(
                "this key made more than {} calls in a minute; retry after {seconds} s",
                app.limits.calls_per_minute
            ),
        )
        .with_retry_after(seconds.max(1))
        .into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// Answers 504 when a call runs past the server's per-call timeout.
async fn timed(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let limit = app.limits.call_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            Code::ServerTimeout,
            format!(
                "the call took longer than the server's limit of {} s",
                limit.as_secs()
            ),
        )
        .into_response(),
    }
}

async fn fallback() -> ApiError {
    ApiError::not_found("no such endpoint; the API is described at GET /openapi/unified.json")
}

/// The server's routes and layers.
pub fn router(app: Shared) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let api = Router::new()
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route(
            "/accounts/{id}",
            get(accounts::show)
                .patch(accounts::update)
                .delete(accounts::delete),
        )
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{id}", axum::routing::delete(keys::revoke))
        // Any method: the operations table answers one it does not have with 405 and `Allow`.
        .route("/unified/{model}/{resource}", any(unified::collection))
        .route("/unified/{model}/{resource}/{id}", any(unified::record))
        .route(
            "/unified/{model}/{resource}/{id}/{method}",
            any(unified::custom),
        )
        .route("/proxy/{provider}/{*rest}", any(proxy::call))
        .layer(middleware::from_fn_with_state(app.clone(), timed))
        .layer(middleware::from_fn_with_state(app.clone(), authenticated));
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/openapi/{document}", get(ops::document))
        .route("/metrics", get(telemetry::render))
        .merge(api)
        .route_layer(middleware::from_fn(telemetry::track))
        .fallback(fallback)
        .method_not_allowed_fallback(|| async {
            ApiError::new(Code::MethodNotAllowed, "this endpoint does not take that method")
        })
        .layer(axum::extract::DefaultBodyLimit::max(app.limits.body_bytes))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                // The path only: query strings may carry ids a log has no need of.
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            },
        ))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(app)
}
