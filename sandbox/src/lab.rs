//! A provider-neutral emulator of every auth kind and every pagination kind the mapping
//! language declares, over one list of [`ITEMS`] items (`{"id": 0}` …). It serves the kinds no
//! shipped provider uses (offset/limit, cursors, `Link` headers, next URLs) and the auth flows
//! (OAuth2 client credentials, login) with counters, expiry and revocation for tests.
//!
//! Routes, under the sandbox's `/lab` prefix:
//! - `POST /oauth/token`: client credentials by HTTP Basic ([`CLIENT_ID`]:[`CLIENT_SECRET`]),
//!   form `grant_type=client_credentials` → `{access_token, token_type, expires_in}`;
//! - `POST /auth/login`: JSON `{username, password}` ([`USER`], [`PASSWORD`]) →
//!   `{access_token, expires_in}`;
//! - `GET /<auth>/<pagination>/<variant>`: the items, where `<auth>` is `none`, `bearer`
//!   ([`TOKEN`]), `basic`, `api_key_header` (`x-api-key: `[`API_KEY`]), `api_key_query`
//!   (`?api_key=`), `oauth2` or `login` (a token from the routes above); `<pagination>` is one of
//!   [`PAGINATIONS`]; `<variant>` is `items`, `looping` (the same cursor or next link every
//!   time) or `foreign` (next links on another origin).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub const TOKEN: &str = "lab-token";
pub const USER: &str = "lab-user";
pub const PASSWORD: &str = "lab-pass";
pub const API_KEY: &str = "lab-key";
pub const CLIENT_ID: &str = "lab-client";
pub const CLIENT_SECRET: &str = "lab-secret";
/// Items in the list, and items per page.
pub const ITEMS: usize = 23;
pub const PER_PAGE: usize = 5;
/// Every pagination kind, as the route segment names it.
pub const PAGINATIONS: &[&str] = &[
    "page_number",
    "offset_limit",
    "cursor_body",
    "cursor_header",
    "link_header",
    "next_url",
    "hal",
];
/// Every auth kind, as the route segment names it.
pub const AUTHS: &[&str] = &[
    "none",
    "bearer",
    "basic",
    "api_key_header",
    "api_key_query",
    "oauth2",
    "login",
];

/// The lab's tokens and counters; clones share them.
#[derive(Debug, Clone, Default)]
pub struct State {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Issued tokens and when they expire.
    issued: Vec<(String, Instant)>,
    token_requests: usize,
    /// The form of the last token request.
    last_token_form: String,
    login_requests: usize,
    /// Lifetime of new tokens; an hour when unset.
    lifetime: Option<Duration>,
    /// Requests refused for a missing, wrong or expired token.
    refused: usize,
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Token requests to `/oauth/token` so far.
    pub fn token_requests(&self) -> usize {
        self.lock().token_requests
    }

    /// The form body of the last token request (`grant_type=…&scope=…`).
    pub fn last_token_form(&self) -> String {
        self.lock().last_token_form.clone()
    }

    /// Calls of `/auth/login` so far.
    pub fn login_requests(&self) -> usize {
        self.lock().login_requests
    }

    /// Requests refused with 401 so far.
    pub fn refused(&self) -> usize {
        self.lock().refused
    }

    /// Every token issued so far, oldest first.
    pub fn issued(&self) -> Vec<String> {
        self.lock().issued.iter().map(|(t, _)| t.clone()).collect()
    }

    /// How long tokens issued from now on are valid (`expires_in` says so too).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.lock().lifetime = Some(lifetime);
    }

    /// Every token issued so far stops working, as when the provider rotates its keys.
    pub fn revoke_tokens(&self) {
        self.lock().issued.clear();
    }

    fn issue(&self, prefix: &str) -> Value {
        let mut inner = self.lock();
        let lifetime = inner.lifetime.unwrap_or(Duration::from_secs(3600));
        let token = format!(
            "{prefix}-{}",
            inner.issued.len() + inner.token_requests + inner.login_requests
        );
        inner
            .issued
            .push((token.clone(), Instant::now() + lifetime));
        json!({ "access_token": token, "token_type": "bearer", "expires_in": lifetime.as_secs() })
    }

    fn valid(&self, token: &str) -> bool {
        let now = Instant::now();
        self.lock()
            .issued
            .iter()
            .any(|(t, expires)| t == token && *expires > now)
    }
}

pub fn router(state: State) -> Router {
    Router::new()
        .route("/oauth/token", post(oauth_token))
        .route("/auth/login", post(login))
        .route("/{auth}/{pagination}/{variant}", get(items))
        .with_state(state)
}

fn unauthenticated(state: &State) -> Response {
    state.lock().refused += 1;
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "message": "Unauthenticated." })),
    )
        .into_response()
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn header_is(headers: &HeaderMap, name: header::HeaderName, value: &str) -> bool {
    headers.get(name).and_then(|v| v.to_str().ok()) == Some(value)
}

async fn oauth_token(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    body: String,
) -> Response {
    {
        let mut inner = state.lock();
        inner.token_requests += 1;
        inner.last_token_form = body.clone();
    }
    if !header_is(
        &headers,
        header::AUTHORIZATION,
        &basic(CLIENT_ID, CLIENT_SECRET),
    ) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    if !body
        .split('&')
        .any(|p| p == "grant_type=client_credentials")
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "unsupported_grant_type" })),
        )
            .into_response();
    }
    Json(state.issue("lab-oauth")).into_response()
}

async fn login(AxumState(state): AxumState<State>, Json(body): Json<Value>) -> Response {
    state.lock().login_requests += 1;
    if body["username"] != USER || body["password"] != PASSWORD {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "Wrong username or password." })),
        )
            .into_response();
    }
    Json(state.issue("lab-login")).into_response()
}

fn admitted(state: &State, auth: &str, headers: &HeaderMap, query: &[(String, String)]) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match auth {
        "none" => true,
        "bearer" => bearer == Some(TOKEN),
        "basic" => header_is(headers, header::AUTHORIZATION, &basic(USER, PASSWORD)),
        "api_key_header" => headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(API_KEY),
        "api_key_query" => query.iter().any(|(k, v)| k == "api_key" && v == API_KEY),
        "oauth2" | "login" => bearer.is_some_and(|t| {
            t.starts_with(if auth == "oauth2" {
                "lab-oauth-"
            } else {
                "lab-login-"
            }) && state.valid(t)
        }),
        _ => false,
    }
}

async fn items(
    AxumState(state): AxumState<State>,
    Path((auth, pagination, variant)): Path<(String, String, String)>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if !AUTHS.contains(&auth.as_str())
        || !PAGINATIONS.contains(&pagination.as_str())
        || !["items", "looping", "foreign"].contains(&variant.as_str())
    {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "No such route." })),
        )
            .into_response();
    }
    if !admitted(&state, &auth, &headers, &query) {
        return unauthenticated(&state);
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let number =
        |name: &str, default: usize| param(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    // Next links keep the auth query parameter, as providers' own links do.
    let key = if auth == "api_key_query" {
        format!("&api_key={API_KEY}")
    } else {
        String::new()
    };
    let here = format!("/lab/{auth}/{pagination}/{variant}");
    let origin = if variant == "foreign" {
        "http://foreign.example.net".to_owned()
    } else {
        format!("http://{host}")
    };

    let (start, count) = match pagination.as_str() {
        "page_number" | "link_header" | "next_url" | "hal" => {
            ((number("page", 1).max(1) - 1) * PER_PAGE, PER_PAGE)
        }
        "offset_limit" => (number("offset", 0), number("limit", PER_PAGE).clamp(1, 100)),
        _ => {
            let cursor = param(if pagination == "cursor_body" {
                "cursor"
            } else {
                "after"
            });
            (
                cursor
                    .and_then(|c| c.strip_prefix('c')?.parse().ok())
                    .unwrap_or(0),
                PER_PAGE,
            )
        }
    };
    // A provider that ignores the page parameter answers the first page every time.
    let start =
        if variant == "looping" && ["page_number", "offset_limit"].contains(&pagination.as_str()) {
            0
        } else {
            start
        };
    let page: Vec<Value> = (start..(start + count).min(ITEMS))
        .map(|i| json!({ "id": i }))
        .collect();
    let more = start + count < ITEMS;
    let next_page = if variant == "looping" {
        2
    } else {
        start / PER_PAGE + 2
    };
    let next_link = more.then(|| format!("{origin}{here}?page={next_page}{key}"));
    let next_cursor = more.then(|| {
        if variant == "looping" {
            "c5".to_owned()
        } else {
            format!("c{}", start + count)
        }
    });

    let mut response = match pagination.as_str() {
        "page_number" => Json(json!({
            "data": page,
            "meta": { "current_page": start / PER_PAGE + 1, "last_page": ITEMS.div_ceil(PER_PAGE) },
        }))
        .into_response(),
        "offset_limit" => Json(json!({ "data": page, "total": ITEMS })).into_response(),
        "cursor_body" => Json(json!({ "data": page, "meta": { "next_cursor": next_cursor } })).into_response(),
        "cursor_header" => {
            let mut r = Json(Value::Array(page)).into_response();
            if let Some(c) = next_cursor.and_then(|c| HeaderValue::from_str(&c).ok()) {
                r.headers_mut().insert("x-next-cursor", c);
            }
            r
        }
        "link_header" => {
            let mut r = Json(Value::Array(page)).into_response();
            if let Some(l) = next_link.and_then(|l| HeaderValue::from_str(&format!("<{l}>; rel=\"next\"")).ok()) {
                r.headers_mut().insert(header::LINK, l);
            }
            r
        }
        "next_url" => Json(json!({ "data": page, "next": next_link })).into_response(),
        _ => Json(json!({
            "_embedded": { "items": page },
            "_links": { "self": { "href": here }, "next": next_link.map(|href| json!({ "href": href })) },
            "total": ITEMS,
        }))
        .into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
