//! Puzzel Case Management emulator. Puzzel publishes no REST API reference for PCM
//! (../shared/reference/providers/puzzel-case-management.md), so this serves the **modeled**
//! API that the mappings in mappings/providers/puzzel_case_management/ describe, and
//! docs/providers/puzzel-case-management.md lays out in one table. Everything here is inferred;
//! the facts it is built around are the documented ones: sequential numeric ticket ids with a
//! `TID-` reference, customers identified by e-mail or mobile (created on first contact),
//! teams, tags, categories, inbound and outbound messages and internal notes with attachments,
//! and Puzzel ID OAuth2 client-credentials tokens.
//!
//! - `/puzzel-cm/id/connect/token` stands for `https://<area>.puzzel.com/id/connect/token`:
//!   client credentials by HTTP Basic or in the form → `{access_token, expires_in, token_type,
//!   scope}`.
//! - `/puzzel-cm/api/v1` stands for `https://<tenant>.cm.puzzel.com/api/v1`: Bearer tokens;
//!   lists are `{total, offset, limit, items}` pages (`offset`, `limit` up to 100, 25 by
//!   default); errors are `{message, errors?: {field: [..]}}` with 400, 401, 404, 422, 429.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{Path, Query, State as AxumState};

use crate::throttle::Throttle;
use crate::tokens::{TokenRequest, Tokens, canonical, rfc3339};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// The Puzzel ID client the sandbox accepts.
pub const CLIENT_ID: &str = "sandbox-pcm-client";
pub const CLIENT_SECRET: &str = "sandbox-pcm-secret";
/// The tenant (`<tenant>.cm.puzzel.com`).
pub const TENANT: &str = "acme";
/// Page size unless `limit` says otherwise, and the most it allows.
pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;
/// Seeded tickets (the first is 1001).
pub const TICKET_COUNT: usize = 60;
pub const FIRST_TICKET: u64 = 1001;
/// The modeled status and priority values.
pub const STATUSES: &[&str] = &["Open", "Pending", "On hold", "Resolved", "Closed"];
pub const PRIORITIES: &[&str] = &["Low", "Normal", "High", "Critical"];
pub const TEAMS: &[&str] = &["Customer Service", "Billing", "Technical Support"];

#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub teams: Vec<&'static str>,
    pub suspended: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub attributes: Map<String, Value>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub id: u64,
    pub filename: String,
    pub content_type: &'static str,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: u64,
    pub ticket_id: u64,
    /// `email`, `sms` or `note`.
    pub kind: &'static str,
    /// `inbound` (from the customer) or `outbound` (from an agent); notes are outbound.
    pub direction: &'static str,
    pub internal: bool,
    /// The sender's e-mail or mobile.
    pub from: String,
    pub body: String,
    pub attachments: Vec<File>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: u64,
    pub subject: String,
    pub status: &'static str,
    pub priority: &'static str,
    pub channel: &'static str,
    pub team: Option<&'static str>,
    pub assignee: Option<String>,
    pub customer_id: u64,
    pub tags: Vec<String>,
    pub categories: Map<String, Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

/// The tenant's data, the same on every start.
#[derive(Debug, Clone)]
pub struct Seed {
    pub agents: Vec<Agent>,
    pub customers: Vec<Customer>,
    pub tickets: Vec<Ticket>,
    pub messages: Vec<Message>,
}

impl Default for Seed {
    fn default() -> Self {
        Seed::new()
    }
}

impl Seed {
    pub fn new() -> Self {
        let base: Timestamp = "2024-01-15T08:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mins = |m: i64| jiff::SignedDuration::from_mins(m);
        let agents = vec![
            Agent {
                email: "kari@acme.example".into(),
                name: "Kari Nordmann".into(),
                role: "Administrator",
                teams: vec![TEAMS[0], TEAMS[1]],
                suspended: false,
                created_at: base - mins(525_600),
            },
            Agent {
                email: "per@acme.example".into(),
                name: "Per Hansen".into(),
                role: "Basic User",
                teams: vec![TEAMS[0]],
                suspended: false,
                created_at: base - mins(400_000),
            },
            Agent {
                email: "ingrid@acme.example".into(),
                name: "Ingrid Berg".into(),
                role: "Basic User",
                teams: vec![TEAMS[2]],
                suspended: false,
                created_at: base - mins(300_000),
            },
            Agent {
                email: "ola@acme.example".into(),
                name: "Ola Vik".into(),
                role: "Team Leader",
                teams: vec![TEAMS[1], TEAMS[2]],
                suspended: true,
                created_at: base - mins(200_000),
            },
        ];
        let customers: Vec<Customer> = (0..30)
            .map(|i| {
                let mut attributes = Map::new();
                if i % 2 == 0 {
                    attributes.insert("organisation".into(), json!("Example Ltd"));
                }
                if i % 3 == 0 {
                    attributes.insert("department".into(), json!("Purchasing"));
                }
                Customer {
                    id: 4500 + i,
                    name: format!("Customer {}", i + 1),
                    // Some customers wrote by SMS only.
                    email: (i % 5 != 4).then(|| format!("customer{}@example.com", i + 1)),
                    mobile: (i % 2 == 1 || i % 5 == 4).then(|| format!("+479000{i:04}")),
                    attributes,
                    created_at: base - mins(10_000 - i as i64 * 60),
                }
            })
            .collect();
        let mut tickets = Vec::new();
        let mut messages = Vec::new();
        for i in 0..TICKET_COUNT {
            let id = FIRST_TICKET + i as u64;
            let customer = &customers[i % customers.len()];
            let status = STATUSES[i % STATUSES.len()];
            let channel = if customer.email.is_some() {
                "email"
            } else {
                "sms"
            };
            let created = base + mins(i as i64 * 45);
            let mut categories = Map::new();
            categories.insert("Country".into(), json!(["NO", "SE", "DK"][i % 3]));
            tickets.push(Ticket {
                id,
                subject: format!(
                    "{} ({})",
                    [
                        "Order not delivered",
                        "Invoice question",
                        "Cannot log in",
                        "Return request"
                    ][i % 4],
                    i + 1
                ),
                status,
                priority: PRIORITIES[i % PRIORITIES.len()],
                channel,
                team: Some(TEAMS[i % TEAMS.len()]),
                assignee: (status != "Open" || i % 2 == 0).then(|| agents[i % 3].email.clone()),
                customer_id: customer.id,
                tags: match i % 3 {
                    0 => vec!["delivery".into()],
                    1 => vec!["billing".into(), "vip".into()],
                    _ => Vec::new(),
                },
                categories,
                created_at: created,
                updated_at: created + mins(30),
                resolved_at: matches!(status, "Resolved" | "Closed").then(|| created + mins(25)),
            });
            let from = customer
                .email
                .clone()
                .or(customer.mobile.clone())
                .unwrap_or_default();
            messages.push(Message {
                id: 980_000 + messages.len() as u64,
                ticket_id: id,
                kind: channel,
                direction: "inbound",
                internal: false,
                from,
                body: format!("Hello, about ticket TID-{id:06}: please help."),
                attachments: if i % 4 == 0 {
                    vec![File {
                        id: 77_000 + i as u64,
                        filename: format!("receipt-{id}.pdf"),
                        content_type: "application/pdf",
                        size: 20_480 + i as u64,
                    }]
                } else {
                    Vec::new()
                },
                created_at: created,
            });
            if i % 2 == 1 {
                messages.push(Message {
                    id: 980_000 + messages.len() as u64,
                    ticket_id: id,
                    kind: "note",
                    direction: "outbound",
                    internal: true,
                    from: agents[i % 3].email.clone(),
                    body: "Checked the order system.".into(),
                    attachments: if i % 3 == 0 {
                        vec![File {
                            id: 78_000 + i as u64,
                            filename: "screenshot.png".into(),
                            content_type: "image/png",
                            size: 154_112,
                        }]
                    } else {
                        Vec::new()
                    },
                    created_at: created + mins(10),
                });
            }
        }
        Seed {
            agents,
            customers,
            tickets,
            messages,
        }
    }

    pub fn customer(&self, id: u64) -> Option<&Customer> {
        self.customers.iter().find(|c| c.id == id)
    }

    pub fn agent(&self, email: &str) -> Option<&Agent> {
        self.agents
            .iter()
            .find(|a| a.email.eq_ignore_ascii_case(email))
    }

    pub fn ticket_json(&self, t: &Ticket) -> Value {
        let customer = self.customer(t.customer_id);
        json!({
            "id": t.id,
            "reference": format!("TID-{:06}", t.id),
            "subject": t.subject,
            "status": t.status,
            "priority": t.priority,
            "channel": t.channel,
            "team": t.team,
            "assigned_user_email": t.assignee,
            "customer_id": t.customer_id,
            "customer_name": customer.map(|c| c.name.as_str()),
            "customer_email": customer.and_then(|c| c.email.as_deref()),
            "organisation": customer.and_then(|c| c.attributes.get("organisation")),
            "tags": t.tags,
            "categories": t.categories,
            "parent_ticket_id": null,
            "created_at": rfc3339(t.created_at),
            "updated_at": rfc3339(t.updated_at),
            "resolved_at": t.resolved_at.map(rfc3339),
        })
    }

    pub fn message_json(&self, m: &Message) -> Value {
        json!({
            "id": m.id,
            "ticket_id": m.ticket_id,
            "type": m.kind,
            "direction": m.direction,
            "internal": m.internal,
            "from": m.from,
            "body": m.body,
            "attachments": m.attachments.iter().map(|f| json!({
                "id": f.id,
                "filename": f.filename,
                "content_type": f.content_type,
                "size": f.size,
                "url": format!("https://{TENANT}.cm.puzzel.com/attachments/{}/{}", f.id, f.filename),
            })).collect::<Vec<_>>(),
            "created_at": rfc3339(m.created_at),
        })
    }

    pub fn customer_json(&self, c: &Customer) -> Value {
        json!({
            "id": c.id,
            "name": c.name,
            "email": c.email,
            "mobile": c.mobile,
            "attributes": c.attributes,
            "customer_hub_access": c.email.is_some(),
            "created_at": rfc3339(c.created_at),
        })
    }

    pub fn agent_json(&self, a: &Agent) -> Value {
        json!({
            "email": a.email,
            "name": a.name,
            "role": a.role,
            "teams": a.teams,
            "suspended": a.suspended,
            "created_at": rfc3339(a.created_at),
        })
    }
}

/// The tenant's data and tokens; clones share them.
#[derive(Debug, Clone)]
pub struct State {
    seed: Arc<RwLock<Seed>>,
    tokens: Tokens,
    /// Requests a minute before 429 (modeled; off unless set).
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
    /// The tenant with a rate limit of `requests` a minute: past it, 429 with `Retry-After`.
    pub fn with_rate_limit(mut self, requests: u32) -> Self {
        self.throttle = Throttle::per_minute(requests);
        self
    }

    /// Token requests so far.
    pub fn token_requests(&self) -> usize {
        self.tokens.requests()
    }

    /// Every token issued so far expires now.
    pub fn expire_tokens(&self) {
        self.tokens.expire_all();
    }

    fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        if self.tokens.scopes(headers).is_none() {
            return Some(error(
                StatusCode::UNAUTHORIZED,
                "The access token is missing, invalid or expired",
            ));
        }
        let retry_after = self.throttle.admit().err()?;
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
        r.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from(retry_after),
        );
        Some(r)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Seed> {
        self.seed.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Seed> {
        self.seed.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

fn invalid(errors: &[(&str, &str)]) -> Response {
    let errors: Map<String, Value> = errors
        .iter()
        .map(|(f, m)| ((*f).to_owned(), json!([m])))
        .collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "message": "The request is invalid", "errors": errors })),
    )
        .into_response()
}

pub fn router(state: State) -> Router {
    Router::new()
        .route("/id/connect/token", post(token))
        .route("/api/v1/tickets", get(list_tickets).post(create_ticket))
        .route("/api/v1/tickets/{id}", get(get_ticket).patch(update_ticket))
        .route(
            "/api/v1/tickets/{id}/messages",
            get(list_messages).post(create_message),
        )
        .route(
            "/api/v1/customers",
            get(list_customers).post(create_customer),
        )
        .route(
            "/api/v1/customers/{id}",
            get(get_customer).patch(update_customer),
        )
        .route("/api/v1/users", get(list_users))
        .route("/api/v1/users/{email}", get(get_user))
        .with_state(state)
}

async fn token(AxumState(state): AxumState<State>, headers: HeaderMap, body: String) -> Response {
    let request = TokenRequest::parse(&headers, &body);
    state.tokens.requested();
    if !request.is_client(CLIENT_ID, CLIENT_SECRET) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    if request.field("grant_type") != Some("client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "unsupported_grant_type" })),
        )
            .into_response();
    }
    let scope = request
        .field("scope")
        .unwrap_or("case-management")
        .to_owned();
    let (access_token, lifetime) = state.tokens.issue(
        "sandbox-pcm-token",
        scope.split_whitespace().map(str::to_owned).collect(),
        Duration::from_secs(86_400),
    );
    Json(json!({
        "access_token": access_token,
        "expires_in": lifetime.as_secs(),
        "token_type": "Bearer",
        "scope": scope,
    }))
    .into_response()
}

/// An `{total, offset, limit, items}` page.
fn page(query: &BTreeMap<String, String>, items: Vec<Value>) -> Response {
    let number = |k: &str, default: usize| match query.get(k) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| k.to_owned()),
    };
    let (offset, limit) = match (number("offset", 0), number("limit", DEFAULT_LIMIT)) {
        (Ok(o), Ok(l)) if (1..=MAX_LIMIT).contains(&l) => (o, l),
        (Ok(_), Ok(_)) => return invalid(&[("limit", "must be between 1 and 100")]),
        (Err(k), _) | (_, Err(k)) => {
            return invalid(&[(
                if k == "offset" { "offset" } else { "limit" },
                "must be a whole number",
            )]);
        }
    };
    let total = items.len();
    let items: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    Json(json!({ "total": total, "offset": offset, "limit": limit, "items": items }))
        .into_response()
}

async fn list_tickets(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let seed = state.read();
    let status = match query.get("status").map(|s| canonical(s, STATUSES)) {
        Some(None) => return invalid(&[("status", "is not a ticket status")]),
        other => other.flatten(),
    };
    let items = seed
        .tickets
        .iter()
        .filter(|t| status.is_none_or(|s| t.status == s))
        .filter(|t| {
            query
                .get("customer_id")
                .is_none_or(|c| t.customer_id.to_string() == *c)
        })
        .filter(|t| {
            query
                .get("assigned_user_email")
                .is_none_or(|a| t.assignee.as_deref() == Some(a.as_str()))
        })
        .filter(|t| query.get("tag").is_none_or(|tag| t.tags.contains(tag)))
        .map(|t| seed.ticket_json(t))
        .collect();
    page(&query, items)
}

fn ticket_at(seed: &Seed, id: &str) -> Option<usize> {
    let id = id
        .trim_start_matches("TID-")
        .trim_start_matches('0')
        .parse::<u64>()
        .ok()?;
    seed.tickets.iter().position(|t| t.id == id)
}

async fn get_ticket(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let seed = state.read();
    match ticket_at(&seed, &id) {
        Some(at) => Json(seed.ticket_json(&seed.tickets[at])).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("Ticket {id} was not found")),
    }
}

fn text<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A write's `tags`: `Err(())` when they are not a list of texts.
fn tags(body: &Value) -> Result<Option<Vec<String>>, ()> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().map(str::to_owned).ok_or(()))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(()),
    }
}

/// What a ticket write sets besides its subject and status, checked.
struct Changes {
    priority: Option<&'static str>,
    team: Option<&'static str>,
    assignee: Option<String>,
    tags: Option<Vec<String>>,
}

impl Changes {
    /// The write's priority, team, assignee and tags, or the first field that is wrong.
    fn of(body: &Value, seed: &Seed) -> Result<Changes, (&'static str, &'static str)> {
        let priority = match text(body, "priority").map(|p| canonical(p, PRIORITIES)) {
            Some(None) => return Err(("priority", "must be Low, Normal, High or Critical")),
            other => other.flatten(),
        };
        let team = match text(body, "team")
            .map(|t| TEAMS.iter().copied().find(|x| x.eq_ignore_ascii_case(t)))
        {
            Some(None) => return Err(("team", "is not a team of this account")),
            other => other.flatten(),
        };
        let assignee = text(body, "assigned_user_email").map(str::to_owned);
        if assignee.as_deref().is_some_and(|a| seed.agent(a).is_none()) {
            return Err(("assigned_user_email", "is not a user of this account"));
        }
        let tags = tags(body).map_err(|()| ("tags", "must be a list of texts"))?;
        Ok(Changes {
            priority,
            team,
            assignee,
            tags,
        })
    }
}

/// The customer a write names by e-mail or mobile, created when new (as on first contact).
fn customer_for(
    seed: &mut Seed,
    email: Option<&str>,
    mobile: Option<&str>,
    name: Option<&str>,
) -> Option<u64> {
    let found = seed.customers.iter().find(|c| {
        email.is_some_and(|e| {
            c.email
                .as_deref()
                .is_some_and(|ce| ce.eq_ignore_ascii_case(e))
        }) || mobile.is_some_and(|m| c.mobile.as_deref() == Some(m))
    });
    if let Some(c) = found {
        return Some(c.id);
    }
    if email.is_none() && mobile.is_none() {
        return None;
    }
    let id = seed.customers.iter().map(|c| c.id).max().unwrap_or(4499) + 1;
    seed.customers.push(Customer {
        id,
        name: name.or(email).or(mobile).unwrap_or_default().to_owned(),
        email: email.map(str::to_owned),
        mobile: mobile.map(str::to_owned),
        attributes: Map::new(),
        created_at: Timestamp::now(),
    });
    Some(id)
}

async fn create_ticket(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "The body must be a JSON object");
    };
    let mut seed = state.write();
    let Some(subject) = text(&body, "subject") else {
        return invalid(&[("subject", "is required")]);
    };
    let Changes {
        priority,
        team,
        assignee,
        tags,
    } = match Changes::of(&body, &seed) {
        Ok(c) => c,
        Err(field_error) => return invalid(&[field_error]),
    };
    let tags = tags.unwrap_or_default();
    let known = body.get("customer_id").and_then(Value::as_u64);
    if known.is_some_and(|id| seed.customer(id).is_none()) {
        return invalid(&[("customer_id", "is not a customer of this account")]);
    }
    let Some(customer_id) = known.or_else(|| {
        customer_for(
            &mut seed,
            text(&body, "customer_email"),
            text(&body, "customer_mobile"),
            text(&body, "customer_name"),
        )
    }) else {
        return invalid(&[("customer_email", "a customer e-mail or mobile is required")]);
    };
    let now = Timestamp::now();
    let id = seed
        .tickets
        .iter()
        .map(|t| t.id)
        .max()
        .unwrap_or(FIRST_TICKET - 1)
        + 1;
    let ticket = Ticket {
        id,
        subject: subject.to_owned(),
        status: "Open",
        priority: priority.unwrap_or("Normal"),
        // Created through the API: no inbound channel (such tickets cannot be merged).
        channel: "api",
        team,
        assignee,
        customer_id,
        tags,
        categories: body
            .get("categories")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        created_at: now,
        updated_at: now,
        resolved_at: None,
    };
    if let Some(first) = text(&body, "message") {
        let from = seed
            .customer(customer_id)
            .and_then(|c| c.email.clone().or(c.mobile.clone()))
            .unwrap_or_default();
        let message_id = seed.messages.iter().map(|m| m.id).max().unwrap_or(979_999) + 1;
        seed.messages.push(Message {
            id: message_id,
            ticket_id: id,
            kind: "email",
            direction: "inbound",
            internal: false,
            from,
            body: first.to_owned(),
            attachments: Vec::new(),
            created_at: now,
        });
    }
    let answer = seed.ticket_json(&ticket);
    seed.tickets.push(ticket);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn update_ticket(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "The body must be a JSON object");
    };
    let mut seed = state.write();
    let Some(at) = ticket_at(&seed, &id) else {
        return error(StatusCode::NOT_FOUND, &format!("Ticket {id} was not found"));
    };
    let status = match text(&body, "status").map(|s| canonical(s, STATUSES)) {
        Some(None) => return invalid(&[("status", "is not a ticket status")]),
        other => other.flatten(),
    };
    let Changes {
        priority,
        team,
        assignee,
        tags,
    } = match Changes::of(&body, &seed) {
        Ok(c) => c,
        Err(field_error) => return invalid(&[field_error]),
    };
    let now = Timestamp::now();
    let t = &mut seed.tickets[at];
    if let Some(s) = status {
        t.status = s;
        t.resolved_at = matches!(s, "Resolved" | "Closed").then_some(t.resolved_at.unwrap_or(now));
    }
    if let Some(p) = priority {
        t.priority = p;
    }
    if let Some(team) = team {
        t.team = Some(team);
    }
    if let Some(a) = assignee {
        t.assignee = Some(a);
    }
    if let Some(tags) = tags {
        t.tags = tags;
    }
    if let Some(subject) = text(&body, "subject") {
        t.subject = subject.to_owned();
    }
    t.updated_at = now;
    let t = t.clone();
    Json(seed.ticket_json(&t)).into_response()
}

async fn list_messages(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let seed = state.read();
    let Some(at) = ticket_at(&seed, &id) else {
        return error(StatusCode::NOT_FOUND, &format!("Ticket {id} was not found"));
    };
    let ticket = seed.tickets[at].id;
    let items = seed
        .messages
        .iter()
        .filter(|m| m.ticket_id == ticket)
        .map(|m| seed.message_json(m))
        .collect();
    page(&query, items)
}

async fn create_message(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "The body must be a JSON object");
    };
    let mut seed = state.write();
    let Some(at) = ticket_at(&seed, &id) else {
        return error(StatusCode::NOT_FOUND, &format!("Ticket {id} was not found"));
    };
    let Some(text_body) = text(&body, "body") else {
        return invalid(&[("body", "is required")]);
    };
    let internal = match body.get("internal") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return invalid(&[("internal", "must be true or false")]),
    };
    let ticket = seed.tickets[at].id;
    let channel = seed.tickets[at].channel;
    let now = Timestamp::now();
    let message = Message {
        id: seed.messages.iter().map(|m| m.id).max().unwrap_or(979_999) + 1,
        ticket_id: ticket,
        kind: if internal {
            "note"
        } else if channel == "sms" {
            "sms"
        } else {
            "email"
        },
        direction: "outbound",
        internal,
        // Written through the API as the tenant's integration user.
        from: format!("api@{TENANT}.cm.puzzel.com"),
        body: text_body.to_owned(),
        attachments: Vec::new(),
        created_at: now,
    };
    let answer = seed.message_json(&message);
    seed.messages.push(message);
    seed.tickets[at].updated_at = now;
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn list_customers(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let seed = state.read();
    let items = seed
        .customers
        .iter()
        .filter(|c| {
            query.get("email").is_none_or(|e| {
                c.email
                    .as_deref()
                    .is_some_and(|ce| ce.eq_ignore_ascii_case(e))
            })
        })
        .filter(|c| {
            query
                .get("mobile")
                .is_none_or(|m| c.mobile.as_deref() == Some(m.as_str()))
        })
        .map(|c| seed.customer_json(c))
        .collect();
    page(&query, items)
}

async fn get_customer(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let seed = state.read();
    match id.parse::<u64>().ok().and_then(|id| seed.customer(id)) {
        Some(c) => Json(seed.customer_json(c)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Customer {id} was not found"),
        ),
    }
}

async fn create_customer(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "The body must be a JSON object");
    };
    let mut seed = state.write();
    let (email, mobile) = (text(&body, "email"), text(&body, "mobile"));
    if email.is_none() && mobile.is_none() {
        return invalid(&[("email", "an e-mail or a mobile number is required")]);
    }
    let taken = seed.customers.iter().any(|c| {
        email.is_some_and(|e| {
            c.email
                .as_deref()
                .is_some_and(|ce| ce.eq_ignore_ascii_case(e))
        }) || mobile.is_some_and(|m| c.mobile.as_deref() == Some(m))
    });
    if taken {
        return invalid(&[("email", "a customer with this e-mail or mobile exists")]);
    }
    let Some(id) = customer_for(&mut seed, email, mobile, text(&body, "name")) else {
        return invalid(&[("email", "an e-mail or a mobile number is required")]);
    };
    if let Some(attributes) = body.get("attributes").and_then(Value::as_object)
        && let Some(c) = seed.customers.iter_mut().find(|c| c.id == id)
    {
        c.attributes = attributes.clone();
    }
    let answer = seed
        .customer(id)
        .map(|c| seed.customer_json(c))
        .unwrap_or(Value::Null);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn update_customer(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "The body must be a JSON object");
    };
    let mut seed = state.write();
    let Some(c) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| seed.customers.iter_mut().find(|c| c.id == id))
    else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("Customer {id} was not found"),
        );
    };
    if let Some(name) = text(&body, "name") {
        c.name = name.to_owned();
    }
    match body.get("attributes") {
        None | Some(Value::Null) => {}
        // Attributes given are set; the others stay.
        Some(Value::Object(attributes)) => {
            for (k, v) in attributes {
                c.attributes.insert(k.clone(), v.clone());
            }
        }
        Some(_) => return invalid(&[("attributes", "must be an object")]),
    }
    let c = c.clone();
    Json(seed.customer_json(&c)).into_response()
}

async fn list_users(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let seed = state.read();
    let items = seed.agents.iter().map(|a| seed.agent_json(a)).collect();
    page(&query, items)
}

async fn get_user(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(email): Path<String>,
) -> Response {
    if let Some(r) = state.refusal(&headers) {
        return r;
    }
    let seed = state.read();
    match seed.agent(&email) {
        Some(a) => Json(seed.agent_json(a)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("User {email} was not found"),
        ),
    }
}
