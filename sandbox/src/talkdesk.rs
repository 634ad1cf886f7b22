//! Talkdesk emulator (Case API, users, contacts, OAuth2), following
//! ../shared/reference/providers/talkdesk.md:
//!
//! - `/talkdesk/id/oauth/token` stands for the account's token endpoint
//!   (`https://<account>.talkdeskid.com/oauth/token`): client credentials by HTTP Basic, form
//!   `grant_type=client_credentials&scope=…` → `{access_token, token_type, expires_in, scope}`;
//!   a bad client is `401 {error, error_description}`, another grant `400`.
//! - `/talkdesk/api` stands for `https://api.talkdeskapp.com`: Bearer tokens (expired or unknown:
//!   401; a token without the call's scope: 403), the standard error body `{code, message,
//!   description?, fields?}`, HAL lists (`_embedded.<key>`, `_links.next`, `total`, `count`,
//!   `page`, `per_page`; 50 a page, cases up to 500).
//! - Cases under `/cm/core/va/cases`: numeric-string ids from 1, `create_at`/`update_at`,
//!   `owner_id` written but `agent_id`/`agent_name` read, enums accepted in any casing and
//!   answered as the list filters write them (`Open`, `Normal`, `Question`), resolving needs a
//!   `resolution`, notes appended by `PATCH`. No delete (none is documented).
//! - Case fields under `/cm/meta/va/fields` (a bare array), `/users`, `/contacts` (one contact
//!   wrapped in `contact`).
//!
//! An optional rate limit answers 429 with `Retry-After` (Talkdesk publishes no number).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{Path, Query, State as AxumState};

use crate::throttle::Throttle;
use crate::tokens::{Tokens, canonical, rfc3339};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// The OAuth client the sandbox accepts.
pub const CLIENT_ID: &str = "sandbox-talkdesk-client";
pub const CLIENT_SECRET: &str = "sandbox-talkdesk-secret";
/// The account name (`<account>.talkdeskid.com`).
pub const ACCOUNT: &str = "acme";
/// Records a page unless `per_page` says otherwise.
pub const PER_PAGE: usize = 50;
/// The most `per_page` allows on cases.
pub const MAX_PER_PAGE: usize = 500;
/// Seeded cases.
pub const CASE_COUNT: usize = 120;
/// The scopes every seeded client may ask for.
pub const SCOPES: &[&str] = &[
    "cases-public:read",
    "cases-public:write",
    "case-fields-public:read",
    "users:read",
    "contacts:read",
];

/// The case statuses in the form the API answers, with the other forms it accepts.
pub const STATUSES: &[&str] = &["New", "Open", "Pending", "On-hold", "Resolved", "Closed"];
pub const PRIORITIES: &[&str] = &["Low", "Normal", "High", "Urgent"];
pub const TYPES: &[&str] = &["Question", "Incident", "Problem", "Task"];

#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub company: String,
    pub phone: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: String,
    pub title: String,
    pub body: String,
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: u64,
    pub title: String,
    pub description: String,
    /// The requester: a contact's id (or an agent's).
    pub requester_id: String,
    pub agent_id: Option<String>,
    pub group: Option<(&'static str, &'static str)>,
    pub status: &'static str,
    pub priority: &'static str,
    pub kind: &'static str,
    pub resolution: Option<String>,
    pub custom_fields: Map<String, Value>,
    pub notes: Vec<Note>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The account's data, the same on every start.
#[derive(Debug, Clone)]
pub struct Seed {
    pub agents: Vec<Agent>,
    pub contacts: Vec<Contact>,
    pub cases: Vec<Case>,
}

/// The case groups (Talkdesk lists none: they only appear on cases).
pub const GROUPS: &[(&str, &str)] = &[("group-support", "Support"), ("group-billing", "Billing")];

impl Default for Seed {
    fn default() -> Self {
        Seed::new()
    }
}

impl Seed {
    pub fn new() -> Self {
        let base: Timestamp = "2024-05-06T09:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let hours = |h: i64| jiff::SignedDuration::from_hours(h);
        let agents: Vec<Agent> = [
            (
                "6322cd99760bbf5eaf74b499",
                "Chen Yu",
                "chen.yu@example.com",
                true,
            ),
            (
                "61036b508ff57b5578f25a10",
                "Maria Lopez",
                "maria.lopez@example.com",
                true,
            ),
            (
                "c65186ee-3780-468e-968b-ca15b981c312",
                "John Smith",
                "john.smith@example.com",
                true,
            ),
            (
                "5f0a1b2c3d4e5f6a7b8c9d0e",
                "Ola Nordmann",
                "ola.nordmann@example.com",
                false,
            ),
        ]
        .iter()
        .enumerate()
        .map(|(i, (id, name, email, active))| Agent {
            id: (*id).to_owned(),
            name: (*name).to_owned(),
            email: (*email).to_owned(),
            active: *active,
            created_at: base - hours(24 * (700 - 60 * i as i64)),
        })
        .collect();
        let contacts: Vec<Contact> = (0..60)
            .map(|i| Contact {
                id: format!("6752b05a23552310c1544{i:03x}"),
                name: format!("Customer {}", i + 1),
                company: if i % 3 == 0 {
                    "Acme Ltd".into()
                } else {
                    String::new()
                },
                phone: format!("+1555010{i:04}"),
                email: format!("customer{}@example.com", i + 1),
            })
            .collect();
        let cases = (0..CASE_COUNT)
            .map(|i| {
                let contact = &contacts[i % contacts.len()];
                let status = STATUSES[i % STATUSES.len()];
                let created = base + hours(i as i64);
                let mut custom_fields = Map::new();
                if i % 2 == 0 {
                    custom_fields.insert("checkbox1".into(), json!({"value": i % 4 == 0}));
                }
                if i % 5 == 0 {
                    custom_fields
                        .insert("drop_down1".into(), json!({"label": "red", "value": "001"}));
                }
                Case {
                    id: i as u64 + 1,
                    title: format!(
                        "{} #{}",
                        [
                            "Outbound call",
                            "Refund request",
                            "Login problem",
                            "Delivery delayed"
                        ][i % 4],
                        i + 1
                    ),
                    description: format!(
                        "Case {} opened from the {} channel.",
                        i + 1,
                        ["phone", "email", "chat"][i % 3]
                    ),
                    requester_id: contact.id.clone(),
                    // New cases are unassigned: assigning opens them.
                    agent_id: (status != "New").then(|| agents[i % 3].id.clone()),
                    group: (i % 3 != 2).then(|| GROUPS[i % 2]),
                    status,
                    priority: PRIORITIES[i % PRIORITIES.len()],
                    kind: TYPES[i % TYPES.len()],
                    resolution: matches!(status, "Resolved" | "Closed")
                        .then(|| "Answered by phone.".to_owned()),
                    custom_fields,
                    notes: (0..i % 3)
                        .map(|n| Note {
                            id: format!("{}", n + 1),
                            title: ["Call summary", "Follow-up"][n % 2].to_owned(),
                            body: format!("Note {} on case {}.", n + 1, i + 1),
                            public: n % 2 == 1,
                        })
                        .collect(),
                    created_at: created,
                    updated_at: created + hours(2),
                }
            })
            .collect();
        Seed {
            agents,
            contacts,
            cases,
        }
    }

    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    pub fn contact(&self, id: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    /// A case as the API answers it (list items and details alike).
    pub fn case_json(&self, c: &Case) -> Value {
        let contact = self.contact(&c.requester_id);
        let requester_agent = self.agent(&c.requester_id);
        let agent = c.agent_id.as_deref().and_then(|a| self.agent(a));
        json!({
            "id": c.id.to_string(),
            "title": c.title,
            "description": c.description,
            "requester_id": c.requester_id,
            "requester_name": contact.map(|p| p.name.as_str()).or(requester_agent.map(|a| a.name.as_str())),
            "requester_email": contact.map(|p| p.email.as_str()).or(requester_agent.map(|a| a.email.as_str())),
            "requester_phone": contact.map(|p| p.phone.as_str()),
            "group_id": c.group.map(|g| g.0),
            "group_name": c.group.map(|g| g.1),
            "agent_id": c.agent_id,
            "agent_name": agent.map(|a| a.name.as_str()),
            "status": c.status,
            "type": c.kind,
            "priority": c.priority,
            "resolution": c.resolution,
            "custom_fields": c.custom_fields,
            "notes": c.notes.iter().map(|n| json!({
                "id": n.id, "note_title": n.title, "note_body": n.body, "public": n.public,
            })).collect::<Vec<_>>(),
            "create_at": rfc3339(c.created_at),
            "update_at": rfc3339(c.updated_at),
        })
    }

    pub fn agent_json(&self, a: &Agent, base: &str) -> Value {
        json!({
            "id": a.id,
            "email": a.email,
            "name": a.name,
            "active": a.active,
            "gender": null,
            "extension": null,
            "external_phone_number": null,
            "created_at": rfc3339(a.created_at),
            "_links": { "self": { "href": format!("{base}/users/{}", a.id) } },
        })
    }

    pub fn contact_json(&self, c: &Contact, base: &str) -> Value {
        json!({
            "id": c.id,
            "name": c.name,
            "company": c.company,
            "phones": [{ "label": "mobile", "number": c.phone }],
            "emails": [{ "label": "work", "email": c.email }],
            "deleted_at": null,
            "_links": {
                "self": { "href": format!("{base}/contacts/{}", c.id) },
                "integrations": { "href": format!("{base}/contacts/{}/integrations", c.id) },
            },
        })
    }
}

/// The account's data, its tokens and counters; clones share them.
#[derive(Debug, Clone)]
pub struct State {
    seed: Arc<RwLock<Seed>>,
    tokens: Tokens,
    /// Requests a minute before 429 (Talkdesk publishes no number: off unless set).
    throttle: Throttle,
}

impl Default for State {
    fn default() -> Self {
        State {
            seed: Arc::new(RwLock::new(Seed::new())),
            tokens: Tokens::default(),
            throttle: Throttle::default(),
        }
    }
}

impl State {
    /// The account with a rate limit of `requests` a minute on API calls.
    pub fn with_rate_limit(mut self, requests: u32) -> Self {
        self.throttle = Throttle::per_minute(requests);
        self
    }

    /// Token requests to the token endpoint so far.
    pub fn token_requests(&self) -> usize {
        self.tokens.requests()
    }

    /// How long tokens issued from now on are valid (an hour by default).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.tokens.set_lifetime(lifetime);
    }

    /// Every token issued so far expires now.
    pub fn expire_tokens(&self) {
        self.tokens.expire_all();
    }

    /// Why a call is refused, if it is: no valid token, a token without `scope`, the rate limit.
    fn refusal(&self, headers: &HeaderMap, scope: &str) -> Option<Response> {
        let Some(scopes) = self.tokens.scopes(headers) else {
            return Some(error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Invalid or expired token",
                None,
            ));
        };
        if !scopes.iter().any(|s| s == scope) {
            return Some(error(
                StatusCode::FORBIDDEN,
                "forbidden",
                &format!("The token lacks the scope {scope}"),
                None,
            ));
        }
        let retry_after = self.throttle.admit().err()?;
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests",
            None,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        Some(r)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Seed> {
        self.seed.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Seed> {
        self.seed.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The standard Talkdesk error body.
fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    fields: Option<Vec<(&str, String)>>,
) -> Response {
    let mut body = json!({ "code": code, "message": message });
    if let Some(fields) = fields {
        body["description"] = "One or more fields are invalid".into();
        body["fields"] = fields
            .into_iter()
            .map(|(name, description)| json!({ "name": name, "description": description }))
            .collect();
    }
    (status, Json(body)).into_response()
}

fn invalid(fields: Vec<(&str, String)>) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "bad_request",
        "Bad request",
        Some(fields),
    )
}

fn not_found(what: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("{what} not found"),
        None,
    )
}

pub fn router(state: State) -> Router {
    Router::new()
        .route("/id/oauth/token", post(token))
        .route("/api/cm/core/va/cases", get(list_cases).post(create_case))
        .route(
            "/api/cm/core/va/cases/{id}",
            get(get_case).patch(update_case),
        )
        .route("/api/cm/meta/va/fields", get(list_fields))
        .route("/api/users", get(list_users))
        .route("/api/users/{id}", get(get_user))
        .route("/api/contacts", get(list_contacts))
        .route("/api/contacts/{id}", get(get_contact))
        .with_state(state)
}

async fn token(AxumState(state): AxumState<State>, headers: HeaderMap, body: String) -> Response {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    state.tokens.requested();
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            Json(json!({ "error": error, "error_description": description })),
        )
            .into_response()
    };
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(expected.as_str())
    {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    if field("grant_type") != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only client_credentials is supported",
        );
    }
    let scopes: Vec<String> = match field("scope") {
        None => SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        Some(asked) => asked.split_whitespace().map(str::to_owned).collect(),
    };
    if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("Scope {unknown} is not granted to this client"),
        );
    }
    let (access_token, lifetime) = state.tokens.issue(
        "sandbox-talkdesk-token",
        scopes.clone(),
        Duration::from_secs(3600),
    );
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "scope": scopes.join(" "),
    }))
    .into_response()
}

/// A list filter: a plain value, comma-separated values, or a URL-encoded JSON array.
fn filter_values(raw: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(raw) {
        Ok(values) => values,
        Err(_) => raw
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    }
}

/// A HAL page of `items` for `path` (with its query): `_embedded.<key>`, `_links`, counters.
fn hal_page(
    path: &str,
    key: &str,
    query: &BTreeMap<String, String>,
    items: Vec<Value>,
    max_per_page: usize,
) -> Response {
    let number = |k: &str, default: usize| -> Result<usize, String> {
        match query.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("must be an integer of at least 1, not `{v}`")),
        }
    };
    let page = match number("page", 1) {
        Ok(p) => p,
        Err(why) => return invalid(vec![("page", why)]),
    };
    let per_page = match number("per_page", PER_PAGE) {
        Ok(p) if p <= max_per_page => p,
        Ok(_) => {
            return invalid(vec![(
                "per_page",
                format!("must be at most {max_per_page}"),
            )]);
        }
        Err(why) => return invalid(vec![("per_page", why)]),
    };
    let total = items.len();
    let link = |p: usize| {
        let mut q: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "per_page")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        q.push(("page".into(), p.to_string()));
        q.push(("per_page".into(), per_page.to_string()));
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q)
            .finish();
        json!({ "href": format!("{path}?{encoded}") })
    };
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut links = Map::new();
    links.insert("self".into(), link(page));
    if page > 1 {
        links.insert("prev".into(), link(page - 1));
    }
    if page * per_page < total {
        links.insert("next".into(), link(page + 1));
    }
    Json(json!({
        "total": total,
        "count": data.len(),
        "page": page,
        "per_page": per_page,
        "total_pages": total.div_ceil(per_page),
        "_links": links,
        "_embedded": { key: data },
    }))
    .into_response()
}

/// Where the client reached the API (for `_links`): the path the request came to.
fn api_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/talkdesk/api")
}

async fn list_cases(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = state.refusal(&headers, "cases-public:read") {
        return r;
    }
    let seed = state.read();
    let mut filters: Vec<(&str, &'static [&'static str], Vec<String>)> = Vec::new();
    for (key, set) in [
        ("status", STATUSES),
        ("priority", PRIORITIES),
        ("type", TYPES),
    ] {
        if let Some(raw) = query.get(key) {
            let mut values = Vec::new();
            for v in filter_values(raw) {
                match canonical(&v, set) {
                    Some(c) => values.push(c.to_owned()),
                    None => {
                        return invalid(vec![(
                            key,
                            format!("`{v}` is not one of {}", set.join(", ")),
                        )]);
                    }
                }
            }
            filters.push((key, set, values));
        }
    }
    let agent = query.get("agent_id");
    let requester = query.get("requester_id");
    let items: Vec<Value> = seed
        .cases
        .iter()
        .filter(|c| {
            filters.iter().all(|(key, _, values)| {
                let v = match *key {
                    "status" => c.status,
                    "priority" => c.priority,
                    _ => c.kind,
                };
                values.iter().any(|x| x == v)
            })
        })
        .filter(|c| agent.is_none_or(|a| c.agent_id.as_ref() == Some(a)))
        .filter(|c| requester.is_none_or(|r| &c.requester_id == r))
        .map(|c| seed.case_json(c))
        .collect();
    let path = format!("{}/cm/core/va/cases", api_base(&headers));
    hal_page(&path, "data", &query, items, MAX_PER_PAGE)
}

async fn get_case(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = state.refusal(&headers, "cases-public:read") {
        return r;
    }
    let seed = state.read();
    match seed.cases.iter().find(|c| c.id.to_string() == id) {
        Some(c) => Json(seed.case_json(c)).into_response(),
        None => not_found("Case"),
    }
}

/// The enum fields of a write, checked: `(field, value)` pairs refused with Talkdesk's body.
fn enum_field(
    body: &Value,
    key: &'static str,
    set: &'static [&'static str],
    errors: &mut Vec<(&'static str, String)>,
) -> Option<&'static str> {
    let raw = body.get(key)?.as_str();
    match raw.and_then(|r| canonical(r, set)) {
        Some(v) => Some(v),
        None => {
            let upper: Vec<String> = set.iter().map(|s| s.to_ascii_uppercase()).collect();
            errors.push((key, format!("must be one of {}", upper.join(", "))));
            None
        }
    }
}

fn text<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// New notes from a write's `notes`, numbered after the case's.
fn new_notes(body: &Value, existing: usize, errors: &mut Vec<(&'static str, String)>) -> Vec<Note> {
    let Some(items) = body.get("notes") else {
        return Vec::new();
    };
    let Some(items) = items.as_array() else {
        errors.push(("notes", "must be an array".into()));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, n) in items.iter().enumerate() {
        let Some(note_body) = text(n, "note_body").filter(|b| !b.trim().is_empty()) else {
            errors.push(("notes.note_body", "can't be blank".into()));
            continue;
        };
        out.push(Note {
            id: (existing + i + 1).to_string(),
            title: text(n, "note_title").unwrap_or_default().to_owned(),
            body: note_body.to_owned(),
            public: n.get("public").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    out
}

async fn create_case(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Some(r) = state.refusal(&headers, "cases-public:write") {
        return r;
    }
    let Some(Json(body)) = body else {
        return invalid(vec![("body", "must be a JSON object".into())]);
    };
    let mut seed = state.write();
    let mut errors = Vec::new();
    let title = text(&body, "title")
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if title.is_empty() {
        errors.push(("title", "can't be blank".into()));
    } else if title.chars().count() > 150 {
        errors.push(("title", "is too long (maximum is 150 characters)".into()));
    }
    let description = text(&body, "description").unwrap_or_default().to_owned();
    if description.chars().count() > 2000 {
        errors.push((
            "description",
            "is too long (maximum is 2000 characters)".into(),
        ));
    }
    let requester_id = match (text(&body, "requester_id"), text(&body, "requester_email")) {
        (Some(id), _) if seed.contact(id).is_some() || seed.agent(id).is_some() => {
            Some(id.to_owned())
        }
        (Some(_), _) => {
            errors.push((
                "requester_id",
                "is not a contact or agent of this account".into(),
            ));
            None
        }
        (None, Some(email)) => match seed
            .contacts
            .iter()
            .find(|c| c.email.eq_ignore_ascii_case(email))
        {
            Some(c) => Some(c.id.clone()),
            None => {
                // An unknown requester e-mail creates a contact, as cases from e-mail do.
                let contact = Contact {
                    id: format!(
                        "{:024x}",
                        0x6752_b05a_2355_2310_c154_5000u128 + seed.contacts.len() as u128
                    ),
                    name: text(&body, "requester_name").unwrap_or(email).to_owned(),
                    company: String::new(),
                    phone: String::new(),
                    email: email.to_owned(),
                };
                let id = contact.id.clone();
                seed.contacts.push(contact);
                Some(id)
            }
        },
        (None, None) => {
            errors.push((
                "requester_id",
                "a requester (requester_id or requester_email) is required".into(),
            ));
            None
        }
    };
    let owner = text(&body, "owner_id").map(str::to_owned);
    if let Some(o) = &owner
        && seed.agent(o).is_none()
    {
        errors.push(("owner_id", "is not an agent of this account".into()));
    }
    let priority = enum_field(&body, "priority", PRIORITIES, &mut errors);
    let kind = enum_field(&body, "type", TYPES, &mut errors);
    let notes = new_notes(&body, 0, &mut errors);
    if !errors.is_empty() {
        return invalid(errors);
    }
    let now = Timestamp::now();
    let case = Case {
        id: seed.cases.iter().map(|c| c.id).max().unwrap_or(0) + 1,
        title,
        description,
        requester_id: requester_id.unwrap_or_default(),
        status: if owner.is_some() { "Open" } else { "New" },
        agent_id: owner,
        group: None,
        priority: priority.unwrap_or("Normal"),
        kind: kind.unwrap_or("Question"),
        resolution: None,
        custom_fields: body
            .get("custom_fields")
            .and_then(Value::as_object)
            .cloned()
            .map(|f| {
                // Created flat (`text1: "…"`), answered as updates write them (`{value}`).
                f.into_iter()
                    .map(|(k, v)| (k, json!({ "value": v })))
                    .collect()
            })
            .unwrap_or_default(),
        notes,
        created_at: now,
        updated_at: now,
    };
    let answer = seed.case_json(&case);
    seed.cases.push(case);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn update_case(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    if let Some(r) = state.refusal(&headers, "cases-public:write") {
        return r;
    }
    let Some(Json(body)) = body else {
        return invalid(vec![("body", "must be a JSON object".into())]);
    };
    let mut seed = state.write();
    let Some(at) = seed.cases.iter().position(|c| c.id.to_string() == id) else {
        return not_found("Case");
    };
    let mut errors = Vec::new();
    let owner = text(&body, "owner_id").map(str::to_owned);
    if let Some(o) = &owner
        && seed.agent(o).is_none()
    {
        errors.push(("owner_id", "is not an agent of this account".into()));
    }
    let group = match text(&body, "group_id") {
        None => None,
        Some(g) => match GROUPS.iter().find(|(id, _)| *id == g) {
            Some(found) => Some(*found),
            None => {
                errors.push(("group_id", "is not a group of this account".into()));
                None
            }
        },
    };
    let priority = enum_field(&body, "priority", PRIORITIES, &mut errors);
    let kind = enum_field(&body, "type", TYPES, &mut errors);
    let status = enum_field(&body, "status", STATUSES, &mut errors);
    let resolution = text(&body, "resolution").map(str::to_owned);
    if status == Some("Resolved") && resolution.is_none() && seed.cases[at].resolution.is_none() {
        errors.push(("resolution", "is required to resolve a case".into()));
    }
    if status == Some("Closed") {
        errors.push((
            "status",
            "Closed is set automatically after Resolved".into(),
        ));
    }
    if let Some(t) = text(&body, "title")
        && (t.trim().is_empty() || t.chars().count() > 150)
    {
        errors.push(("title", "must be 1 to 150 characters".into()));
    }
    let notes = new_notes(&body, seed.cases[at].notes.len(), &mut errors);
    if !errors.is_empty() {
        return invalid(errors);
    }
    let case = &mut seed.cases[at];
    if let Some(t) = text(&body, "title") {
        case.title = t.trim().to_owned();
    }
    if let Some(d) = text(&body, "description") {
        case.description = d.to_owned();
    }
    if let Some(o) = owner {
        case.agent_id = Some(o);
        // Assigning a new case opens it.
        if case.status == "New" && status.is_none() {
            case.status = "Open";
        }
    }
    if let Some(g) = group {
        case.group = Some(g);
    }
    if let Some(p) = priority {
        case.priority = p;
    }
    if let Some(k) = kind {
        case.kind = k;
    }
    if let Some(s) = status {
        case.status = s;
    }
    if resolution.is_some() {
        case.resolution = resolution;
    }
    if let Some(fields) = body.get("custom_fields").and_then(Value::as_object) {
        for (k, v) in fields {
            case.custom_fields.insert(k.clone(), v.clone());
        }
    }
    case.notes.extend(notes);
    case.updated_at = Timestamp::now();
    let case = case.clone();
    Json(seed.case_json(&case)).into_response()
}

async fn list_fields(AxumState(state): AxumState<State>, headers: HeaderMap) -> Response {
    if let Some(r) = state.refusal(&headers, "case-fields-public:read") {
        return r;
    }
    Json(json!([
        {
            "id": "1", "key": "drop_down1", "name": "Colour", "type": "001",
            "description": "The product's colour",
            "dict_list": [{"key": "001", "lable": "red"}, {"key": "002", "lable": "blue"}],
            "required": false, "active": true,
            "created_at": "2022-04-19T07:37:29Z", "updated_at": "2022-04-19T07:37:29Z",
        },
        {
            "id": "2", "key": "checkbox1", "name": "Escalated", "type": "003",
            "description": "Escalated to the second line",
            "dict_list": null,
            "required": false, "active": true,
            "created_at": "2022-04-19T07:37:29Z", "updated_at": "2023-01-10T12:00:00Z",
        },
        {
            "id": "3", "key": "text1", "name": "Order number", "type": "004",
            "dict_list": null,
            "required": true, "active": true,
            "created_at": "2023-02-01T08:15:00Z", "updated_at": "2023-02-01T08:15:00Z",
        },
    ]))
    .into_response()
}

async fn list_users(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = state.refusal(&headers, "users:read") {
        return r;
    }
    let seed = state.read();
    let base = api_base(&headers);
    let items = seed
        .agents
        .iter()
        .filter(|a| {
            query
                .get("email")
                .is_none_or(|e| a.email.eq_ignore_ascii_case(e))
        })
        .map(|a| seed.agent_json(a, &base))
        .collect();
    hal_page(&format!("{base}/users"), "users", &query, items, PER_PAGE)
}

async fn get_user(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = state.refusal(&headers, "users:read") {
        return r;
    }
    let seed = state.read();
    match seed.agent(&id) {
        Some(a) => Json(seed.agent_json(a, &api_base(&headers))).into_response(),
        None => not_found("User"),
    }
}

async fn list_contacts(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = state.refusal(&headers, "contacts:read") {
        return r;
    }
    let seed = state.read();
    let base = api_base(&headers);
    let items = seed
        .contacts
        .iter()
        .map(|c| seed.contact_json(c, &base))
        .collect();
    hal_page(
        &format!("{base}/contacts"),
        "contacts",
        &query,
        items,
        PER_PAGE,
    )
}

async fn get_contact(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = state.refusal(&headers, "contacts:read") {
        return r;
    }
    let seed = state.read();
    match seed.contact(&id) {
        Some(c) => {
            Json(json!({ "contact": seed.contact_json(c, &api_base(&headers)) })).into_response()
        }
        None => not_found("Contact"),
    }
}
