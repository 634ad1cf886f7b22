//! Re:amaze REST API v1 emulator, following ../shared/reference/providers/reamaze.md: one brand
//! (`/reamaze/<brand>/api/v1` stands for `https://<brand>.reamaze.io/api/v1`; another brand is
//! a 404), HTTP Basic with a staff e-mail and API token, 30 records a page with `page_count`
//! and `total_count`, conversations identified by slug with integer statuses, messages without
//! ids and with `visibility` (0 regular, 1 internal note), ISO 8601 timestamps with
//! milliseconds and the account's offset, Rails-style 422s on bad writes.

use std::sync::{Arc, RwLock};

use crate::throttle::Throttle;

use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

/// The emulated brand's subdomain.
pub const BRAND: &str = "acme";
/// The staff member whose token the sandbox accepts, and the token.
pub const EMAIL: &str = "ada@example.com";
pub const TOKEN: &str = "sandbox-reamaze-token";
/// Records a page, fixed as in Re:amaze.
pub const PAGE_SIZE: usize = 30;
/// Seeded conversations (two pages, the second partial).
pub const CONVERSATION_COUNT: usize = 42;
/// The zone the brand's timestamps are written in.
pub const TIMEZONE: &str = "America/Los_Angeles";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub name: String,
    pub email: String,
    /// The role's id (none for a role Re:amaze keeps without one, as real payloads show) and
    /// name.
    pub role: (Option<i64>, &'static str),
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub name: String,
    pub email: String,
    pub mobile: Option<String>,
    /// Custom attributes, one level deep.
    pub data: serde_json::Map<String, Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub name: &'static str,
    pub slug: &'static str,
    pub email: &'static str,
    pub kind: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub slug: String,
    pub subject: String,
    pub status: i64,
    pub created_at: Timestamp,
    pub tags: Vec<String>,
    /// The customer's e-mail.
    pub author: String,
    /// A staff e-mail.
    pub assignee: Option<String>,
    pub channel: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub conversation: String,
    pub body: String,
    /// 0 regular, 1 internal note.
    pub visibility: i64,
    /// The author's e-mail (staff or customer).
    pub user: String,
    pub created_at: Timestamp,
    pub attachments: Vec<Attachment>,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub content_type: &'static str,
    /// Unknown for a file attached by URL (Re:amaze downloads it; the emulator does not).
    pub size: Option<i64>,
    /// Where a file attached by URL came from; seeded files are on the brand's CDN.
    pub url: Option<String>,
}

impl Attachment {
    /// The files a written message attaches by URL: `attachment` (one) or `attachments`.
    fn by_url(message: &Value) -> Vec<Attachment> {
        let one = message.get("attachment").and_then(Value::as_str);
        let many = message
            .get("attachments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        one.into_iter()
            .chain(many)
            .map(|url| {
                let name = url.rsplit('/').next().unwrap_or(url).to_owned();
                let lower = name.to_ascii_lowercase();
                let content_type = match lower.rsplit('.').next() {
                    Some("png") => "image/png",
                    Some("jpg" | "jpeg") => "image/jpeg",
                    Some("pdf") => "application/pdf",
                    Some("txt") => "text/plain",
                    _ => "application/octet-stream",
                };
                Attachment {
                    name,
                    content_type,
                    size: None,
                    url: Some(url.to_owned()),
                }
            })
            .collect()
    }
}

/// The emulated brand's data, the same on every start.
#[derive(Debug, Clone)]
pub struct Seed {
    pub staff: Vec<Staff>,
    pub customers: Vec<Customer>,
    pub channels: Vec<Channel>,
    /// In creation order (Re:amaze's default list order).
    pub conversations: Vec<Conversation>,
    /// Oldest first.
    pub messages: Vec<Message>,
    tz: jiff::tz::TimeZone,
}

const TOPICS: &[&str] = &[
    "Where is my order",
    "Refund for a damaged item",
    "Change my address",
    "Discount code does not work",
    "Cancel my subscription",
    "Wrong size delivered",
];

impl Default for Seed {
    fn default() -> Self {
        Seed::new()
    }
}

impl Seed {
    pub fn new() -> Self {
        let tz = jiff::tz::TimeZone::get(TIMEZONE).unwrap_or(jiff::tz::TimeZone::UTC);
        let base: Timestamp = "2024-03-01T17:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let staff = vec![
            Staff {
                name: "Ada Admin".into(),
                email: EMAIL.into(),
                role: (Some(10), "Administrator"),
                created_at: base - jiff::SignedDuration::from_hours(24 * 400),
            },
            Staff {
                name: "Jean Super Agent".into(),
                email: "jean@example.com".into(),
                role: (Some(12), "Agent"),
                created_at: base - jiff::SignedDuration::from_hours(24 * 300),
            },
            Staff {
                name: "Kim Agent".into(),
                email: "kim@example.com".into(),
                role: (Some(12), "Agent"),
                created_at: base - jiff::SignedDuration::from_hours(24 * 200),
            },
            Staff {
                name: "Lee Light Agent".into(),
                email: "lee@example.com".into(),
                role: (None, "Light Agent"),
                created_at: base - jiff::SignedDuration::from_hours(24 * 100),
            },
        ];
        let customers: Vec<Customer> = ["Bob", "Alice", "Carol", "Dave", "Erin", "Frank"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let at = base - jiff::SignedDuration::from_hours(24 * (90 - i as i64 * 7));
                Customer {
                    name: (*n).to_owned(),
                    email: format!("{}@example.com", n.to_lowercase()),
                    mobile: (i % 2 == 0).then(|| format!("+1555555{:04}", 100 + i)),
                    data: if i % 3 == 0 {
                        [("plan".to_owned(), Value::from("pro"))]
                            .into_iter()
                            .collect()
                    } else {
                        serde_json::Map::new()
                    },
                    created_at: at,
                    updated_at: at,
                }
            })
            .collect();
        let channels = vec![
            Channel {
                name: "Support",
                slug: "support",
                email: "support@acme.example",
                kind: 1,
            },
            Channel {
                name: "Chat",
                slug: "chat",
                email: "chat@acme.example",
                kind: 2,
            },
        ];
        let statuses = [0, 1, 2, 0, 5, 1, 4, 2, 3, 6, 0, 7];
        let mut conversations = Vec::new();
        let mut messages = Vec::new();
        for i in 0..CONVERSATION_COUNT {
            let created_at = base + jiff::SignedDuration::from_mins(i as i64 * 97);
            let subject = format!("{} #{}", TOPICS[i % TOPICS.len()], 1000 + i);
            let author = customers[i % customers.len()].email.clone();
            let conversation = Conversation {
                slug: slugify(&subject),
                subject,
                status: statuses[i % statuses.len()],
                created_at,
                tags: match i % 3 {
                    0 => vec!["order".to_owned()],
                    1 => vec!["order".to_owned(), "vip".to_owned()],
                    _ => Vec::new(),
                },
                author: author.clone(),
                assignee: (i % 2 == 1).then(|| staff[1 + i % 2].email.clone()),
                channel: channels[i % 2].slug,
            };
            // Some customers send an invoice, a screenshot, or both.
            let mut attachments = Vec::new();
            if i % 2 == 0 {
                attachments.push(Attachment {
                    name: format!("invoice-{}.pdf", 1000 + i),
                    content_type: "application/pdf",
                    size: Some(48_213 + i as i64),
                    url: None,
                });
            }
            if i % 3 == 0 {
                attachments.push(Attachment {
                    name: format!("screenshot-{}.png", 1000 + i),
                    content_type: "image/png",
                    size: Some(311_776 + i as i64),
                    url: None,
                });
            }
            messages.push(Message {
                conversation: conversation.slug.clone(),
                body: format!("Hello, about {}.", conversation.subject.to_lowercase()),
                visibility: 0,
                user: author,
                created_at,
                attachments,
            });
            if i % 2 == 1 {
                messages.push(Message {
                    conversation: conversation.slug.clone(),
                    body: "Thanks for writing, we are on it.".into(),
                    visibility: 0,
                    user: staff[1].email.clone(),
                    created_at: created_at + jiff::SignedDuration::from_millis(60_123),
                    attachments: Vec::new(),
                });
            }
            if i % 4 == 3 {
                messages.push(Message {
                    conversation: conversation.slug.clone(),
                    body: "Checked the carrier: parcel is late.".into(),
                    visibility: 1,
                    user: staff[2].email.clone(),
                    created_at: created_at + jiff::SignedDuration::from_millis(120_456),
                    attachments: Vec::new(),
                });
            }
            conversations.push(conversation);
        }
        Seed {
            staff,
            customers,
            channels,
            conversations,
            messages,
            tz,
        }
    }

    /// A timestamp as Re:amaze writes it: ISO 8601 with milliseconds and the brand's offset.
    pub fn time(&self, ts: Timestamp) -> String {
        ts.to_zoned(self.tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string()
    }

    fn person(&self, email: &str) -> Value {
        let name = self
            .staff
            .iter()
            .find(|s| s.email == email)
            .map(|s| s.name.clone())
            .or_else(|| {
                self.customers
                    .iter()
                    .find(|c| c.email == email)
                    .map(|c| c.name.clone())
            })
            .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
        json!({ "name": name, "email": email })
    }

    fn category(&self, slug: &str) -> Value {
        self.channels.iter().find(|c| c.slug == slug).map_or(
            Value::Null,
            |c| json!({ "name": c.name, "slug": c.slug, "email": c.email, "channel": c.kind }),
        )
    }

    pub fn messages_of<'a>(&'a self, slug: &'a str) -> impl Iterator<Item = &'a Message> + 'a {
        self.messages.iter().filter(move |m| m.conversation == slug)
    }

    /// A conversation as `GET /conversations` lists it (`detail` adds `last_staff_message` and
    /// `data`).
    pub fn conversation_json(&self, c: &Conversation, detail: bool) -> Value {
        let last = |staff: bool| {
            self.messages_of(&c.slug)
                .filter(|m| m.visibility == 0)
                .filter(|m| self.staff.iter().any(|s| s.email == m.user) == staff)
                .last()
                .map_or(
                    Value::Null,
                    |m| json!({ "body": m.body, "created_at": self.time(m.created_at) }),
                )
        };
        let first = self
            .messages_of(&c.slug)
            .next()
            .map_or(Value::Null, |m| json!({ "body": m.body }));
        let mut v = json!({
            "subject": c.subject,
            "slug": c.slug,
            "status": c.status,
            "created_at": self.time(c.created_at),
            "tag_list": c.tags,
            "message": first,
            "last_customer_message": last(false),
            "author": self.person(&c.author),
            "assignee": c.assignee.as_deref().map_or(Value::Null, |a| self.person(a)),
            "category": self.category(c.channel),
            "followers": [self.person(&c.author)],
        });
        if detail {
            v["last_staff_message"] = last(true);
            v["data"] = json!({});
        }
        v
    }

    /// A message as `GET /conversations/{slug}/messages` lists it.
    /// The files of a message, in Re:amaze's Paperclip-style shape.
    pub fn attachments(&self, m: &Message) -> Value {
        m.attachments
            .iter()
            .map(|a| {
                let url = a.url.clone().unwrap_or_else(|| {
                    format!("https://cdn.reamaze.example/{}/{}", m.conversation, a.name)
                });
                let image = a.content_type.starts_with("image/");
                json!({
                    "file_file_name": a.name,
                    "file_content_type": a.content_type,
                    "file_file_size": a.size,
                    "thumb_url": if image { Value::from(format!("{url}?style=thumb")) } else { Value::Null },
                    "url": url,
                    "image?": image,
                })
            })
            .collect()
    }

    pub fn message_json(&self, m: &Message) -> Value {
        let c = self.conversations.iter().find(|c| c.slug == m.conversation);
        let mut user = self.person(&m.user);
        user["staff?"] = Value::Bool(self.staff.iter().any(|s| s.email == m.user));
        json!({
            "body": m.body,
            "visibility": m.visibility,
            "origin": 1,
            "created_at": self.time(m.created_at),
            "user": user,
            "recipients": [],
            "attachments": self.attachments(m),
            "conversation": c.map_or(Value::Null, |c| json!({
                "subject": c.subject,
                "slug": c.slug,
                "created_at": self.time(c.created_at),
                "category": self.category(c.channel),
            })),
        })
    }

    /// A staff member as `GET /staff` lists it.
    pub fn staff_json(&self, s: &Staff) -> Value {
        json!({
            "name": s.name,
            "created_at": self.time(s.created_at),
            "email": s.email,
            "display_name": s.name.split(' ').next().unwrap_or(&s.name),
            "notification_email": s.email,
            "role": {
                "id": s.role.0,
                "name": s.role.1,
                "description": null,
                "admin?": s.role.1 == "Administrator",
                "default?": s.role.1 == "Agent",
                "permissions": { "manage_staff?": s.role.1 == "Administrator", "reply_to_customers?": true, "visible_channel_ids": [] },
            },
        })
    }
}

/// A subject as a slug: lowercase words joined by `-`.
fn slugify(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The emulator's state: the seeded brand and its credentials.
#[derive(Debug, Clone)]
pub struct State {
    seed: Arc<RwLock<Seed>>,
    /// Requests a minute per token before 429 (Re:amaze publishes no number: off unless set).
    throttle: Throttle,
}

impl Default for State {
    fn default() -> Self {
        State {
            seed: Arc::new(RwLock::new(Seed::new())),
            throttle: Throttle::default(),
        }
    }
}

impl State {
    /// The brand with a rate limit of `requests` a minute: past it, Re:amaze's 429 (with
    /// `Retry-After`, which Re:amaze does not document but clients must expect).
    pub fn with_rate_limit(mut self, requests: u32) -> Self {
        self.throttle = Throttle::per_minute(requests);
        self
    }

    fn throttled(&self) -> Option<Response> {
        let retry_after = self.throttle.admit().err()?;
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        Some(r)
    }
}

pub fn router(state: State) -> Router {
    Router::new()
        .route(
            "/{brand}/api/v1/conversations",
            get(list_conversations).post(create_conversation),
        )
        .route(
            "/{brand}/api/v1/conversations/{slug}",
            get(get_conversation).put(update_conversation),
        )
        .route(
            "/{brand}/api/v1/conversations/{slug}/messages",
            get(list_messages).post(create_message),
        )
        .route("/{brand}/api/v1/staff", get(list_staff))
        .route("/{brand}/api/v1/channels", get(list_channels))
        .route("/{brand}/api/v1/channels/{slug}", get(get_channel))
        .route(
            "/{brand}/api/v1/contacts",
            get(list_contacts).post(create_contact),
        )
        .route(
            "/{brand}/api/v1/contacts/{identifier}",
            get(get_contact).put(update_contact),
        )
        .with_state(state)
}

fn error(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "error": text }))).into_response()
}

/// Rails' 422: `{"errors": {field: [messages]}}`.
fn invalid(errors: &[(&str, &str)]) -> Response {
    let errors: serde_json::Map<String, Value> = errors
        .iter()
        .map(|(f, m)| ((*f).to_owned(), json!([m])))
        .collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "errors": errors })),
    )
        .into_response()
}

/// Why a request is refused, if it is: another brand, or wrong Basic credentials.
fn refusal(state: &State, brand: &str, headers: &HeaderMap) -> Option<Response> {
    if brand != BRAND {
        return Some(error(StatusCode::NOT_FOUND, "Not Found"));
    }
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}:{TOKEN}"))
    );
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(expected.as_str())
    {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "Invalid login e-mail or API token",
        ));
    }
    state.throttled()
}

/// A page of the list envelope: `{page_size, page_count, total_count, <key>: [...]}`.
fn page(key: &str, page: Option<&str>, all: Vec<Value>) -> Response {
    let page: usize = match page.map(str::parse::<usize>) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        Some(_) => return invalid(&[("page", "must be greater than 0")]),
    };
    let total = all.len();
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let mut body = json!({
        "page_size": PAGE_SIZE,
        "page_count": total.div_ceil(PAGE_SIZE),
        "total_count": total,
    });
    body[key] = Value::Array(items);
    Json(body).into_response()
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    page: Option<String>,
    filter: Option<String>,
}

async fn list_conversations(
    AxumState(state): AxumState<State>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let seed = state.seed.read().unwrap_or_else(|e| e.into_inner());
    let keep = |c: &&Conversation| match q.filter.as_deref() {
        Some("all") => true,
        Some("archived") => c.status == 4,
        Some("open") => c.status == 0,
        Some("unassigned") => c.assignee.is_none(),
        // Without a filter: everything but archived conversations.
        _ => c.status != 4,
    };
    let all = seed
        .conversations
        .iter()
        .filter(keep)
        .map(|c| seed.conversation_json(c, false))
        .collect();
    page("conversations", q.page.as_deref(), all)
}

async fn get_conversation(
    AxumState(state): AxumState<State>,
    Path((brand, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let seed = state.seed.read().unwrap_or_else(|e| e.into_inner());
    match seed.conversations.iter().find(|c| c.slug == slug) {
        Some(c) => Json(seed.conversation_json(c, true)).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))?
        .as_str()
        .filter(|s| !s.trim().is_empty())
}

async fn create_conversation(
    AxumState(state): AxumState<State>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let mut seed = state.seed.write().unwrap_or_else(|e| e.into_inner());
    let c = &body["conversation"];
    let mut errors = Vec::new();
    let category = text(c, &["category"]);
    match category {
        None => errors.push(("category", "can't be blank")),
        Some(slug) if !seed.channels.iter().any(|ch| ch.slug == slug) => {
            errors.push(("category", "is not a channel of this brand"))
        }
        Some(_) => {}
    }
    let email = text(c, &["user", "email"]);
    if email.is_none_or(|e| !e.contains('@')) {
        errors.push(("user.email", "is invalid"));
    }
    let message = text(c, &["message", "body"]);
    if message.is_none() {
        errors.push(("message.body", "can't be blank"));
    }
    if !errors.is_empty() {
        return invalid(&errors);
    }
    let (email, message) = (
        email.unwrap_or_default().to_owned(),
        message.unwrap_or_default(),
    );
    // An unknown e-mail creates a contact.
    if !seed.customers.iter().any(|cu| cu.email == email) {
        let now = Timestamp::now();
        seed.customers.push(Customer {
            name: text(c, &["user", "name"]).unwrap_or(&email).to_owned(),
            email: email.clone(),
            mobile: None,
            data: serde_json::Map::new(),
            created_at: now,
            updated_at: now,
        });
    }
    let subject = text(c, &["subject"]).unwrap_or("(no subject)").to_owned();
    let mut slug = slugify(&subject);
    let mut n = 1;
    while seed.conversations.iter().any(|c| c.slug == slug) {
        n += 1;
        slug = format!("{}-{n}", slugify(&subject));
    }
    let channel = seed
        .channels
        .iter()
        .find(|ch| Some(ch.slug) == category)
        .map_or("support", |ch| ch.slug);
    let now = Timestamp::now();
    let conversation = Conversation {
        slug: slug.clone(),
        subject,
        status: 0,
        created_at: now,
        tags: Vec::new(),
        author: email.clone(),
        assignee: None,
        channel,
    };
    seed.messages.push(Message {
        conversation: slug,
        body: message.to_owned(),
        visibility: 0,
        user: email,
        created_at: now,
        attachments: Attachment::by_url(&c["message"]),
    });
    let answer = seed.conversation_json(&conversation, true);
    seed.conversations.push(conversation);
    Json(answer).into_response()
}

async fn update_conversation(
    AxumState(state): AxumState<State>,
    Path((brand, slug)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let mut seed = state.seed.write().unwrap_or_else(|e| e.into_inner());
    let Some(at) = seed.conversations.iter().position(|c| c.slug == slug) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    let c = &body["conversation"];
    if let Some(status) = c.get("status") {
        match status.as_i64() {
            Some(5) if text(c, &["hold_until"]).is_none() => {
                return invalid(&[("hold_until", "can't be blank when the status is On Hold")]);
            }
            Some(s @ 0..=9) => seed.conversations[at].status = s,
            _ => return invalid(&[("status", "is not included in the list")]),
        }
    }
    // The documentation sends `{"email": …}`; other clients send the e-mail alone: both work.
    if let Some(assignee) = c.get("assignee") {
        let email = assignee.get("email").unwrap_or(assignee);
        match email.as_str() {
            Some(e) if seed.staff.iter().any(|s| s.email == e) => {
                seed.conversations[at].assignee = Some(e.to_owned());
            }
            _ => return invalid(&[("assignee", "is not a staff member of this brand")]),
        }
    }
    if let Some(tags) = c.get("tag_list").and_then(Value::as_array) {
        seed.conversations[at].tags = tags
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
    }
    let conversation = seed.conversations[at].clone();
    Json(seed.conversation_json(&conversation, true)).into_response()
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<String>,
}

async fn list_messages(
    AxumState(state): AxumState<State>,
    Path((brand, slug)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let seed = state.seed.read().unwrap_or_else(|e| e.into_inner());
    if !seed.conversations.iter().any(|c| c.slug == slug) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    let all = seed
        .messages_of(&slug)
        .map(|m| seed.message_json(m))
        .collect();
    page("messages", q.page.as_deref(), all)
}

/// `POST /conversations/{slug}/messages {message: {body, visibility}}`: written as the token's
/// staff member; a regular staff message marks the conversation Responded (1).
async fn create_message(
    AxumState(state): AxumState<State>,
    Path((brand, slug)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let mut seed = state.seed.write().unwrap_or_else(|e| e.into_inner());
    let Some(at) = seed.conversations.iter().position(|c| c.slug == slug) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    let m = &body["message"];
    let Some(text) = text(m, &["body"]) else {
        return invalid(&[("body", "can't be blank")]);
    };
    let visibility = match m.get("visibility").map(Value::as_i64) {
        None => 0,
        Some(Some(v @ (0 | 1))) => v,
        Some(_) => return invalid(&[("visibility", "is not included in the list")]),
    };
    // Distinct milliseconds keep derived message ids unique.
    let latest = seed.messages_of(&slug).map(|m| m.created_at).max();
    let now = Timestamp::now().max(latest.map_or(Timestamp::UNIX_EPOCH, |t| {
        t + jiff::SignedDuration::from_millis(1)
    }));
    let message = Message {
        conversation: slug,
        body: text.to_owned(),
        visibility,
        user: EMAIL.to_owned(),
        created_at: now,
        attachments: Attachment::by_url(m),
    };
    if visibility == 0 {
        seed.conversations[at].status = 1;
    }
    let answer = seed.message_json(&message);
    seed.messages.push(message);
    Json(answer).into_response()
}

async fn list_staff(
    AxumState(state): AxumState<State>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let seed = state.seed.read().unwrap_or_else(|e| e.into_inner());
    let all = seed.staff.iter().map(|s| seed.staff_json(s)).collect();
    page("staff", q.page.as_deref(), all)
}

impl Seed {
    /// A contact as `GET /contacts` lists it.
    pub fn contact_json(&self, c: &Customer) -> Value {
        json!({
            "name": c.name,
            "email": c.email,
            "mobile": c.mobile,
            "twitter": null,
            "facebook": null,
            "instagram": null,
            "friendly_name": c.name,
            "id": null,
            "data": c.data,
            "created_at": self.time(c.created_at),
            "updated_at": self.time(c.updated_at),
            "notes": [],
        })
    }
}

#[derive(Debug, Deserialize)]
struct ContactQuery {
    page: Option<String>,
    q: Option<String>,
}

async fn list_contacts(
    AxumState(state): AxumState<State>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ContactQuery>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let seed = state.seed.read().unwrap_or_else(|e| e.into_inner());
    let term = q.q.as_deref().map(str::to_lowercase);
    // Sorted by name, as Re:amaze lists contacts by default.
    let mut matching: Vec<&Customer> = seed
        .customers
        .iter()
        .filter(|c| {
            term.as_deref().is_none_or(|t| {
                c.name.to_lowercase().contains(t) || c.email.to_lowercase().contains(t)
            })
        })
        .collect();
    matching.sort_by(|a, b| a.name.cmp(&b.name));
    let all = matching.iter().map(|c| seed.contact_json(c)).collect();
    page("contacts", q.page.as_deref(), all)
}

/// The contact whose e-mail (or mobile) is `identifier`.
fn find(seed: &Seed, identifier: &str) -> Option<usize> {
    seed.customers
        .iter()
        .position(|c| c.email == identifier || c.mobile.as_deref() == Some(identifier))
}

async fn get_contact(
    AxumState(state): AxumState<State>,
    Path((brand, identifier)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let seed = state.seed.read().unwrap_or_else(|e| e.into_inner());
    match find(&seed, &identifier) {
        Some(at) => Json(seed.contact_json(&seed.customers[at])).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// The `data` of a contact write: one level deep.
fn contact_data(c: &Value) -> Result<Option<serde_json::Map<String, Value>>, &'static str> {
    match c.get("data") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(data)) if data.values().all(|v| !v.is_object() && !v.is_array()) => {
            Ok(Some(data.clone()))
        }
        Some(_) => Err("must be an object one level deep"),
    }
}

async fn create_contact(
    AxumState(state): AxumState<State>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let mut seed = state.seed.write().unwrap_or_else(|e| e.into_inner());
    let c = &body["contact"];
    let (email, mobile) = (text(c, &["email"]), text(c, &["mobile"]));
    if email.is_none() && mobile.is_none() {
        return invalid(&[("email", "or mobile must be given")]);
    }
    if email.is_some_and(|e| !e.contains('@')) {
        return invalid(&[("email", "is invalid")]);
    }
    if email.is_some_and(|e| seed.customers.iter().any(|c| c.email == e)) {
        return invalid(&[("email", "has already been taken")]);
    }
    let data = match contact_data(c) {
        Ok(d) => d.unwrap_or_default(),
        Err(why) => return invalid(&[("data", why)]),
    };
    let now = Timestamp::now();
    let contact = Customer {
        name: text(c, &["name"]).unwrap_or_default().to_owned(),
        email: email.unwrap_or_default().to_owned(),
        mobile: mobile.map(str::to_owned),
        data,
        created_at: now,
        updated_at: now,
    };
    let answer = seed.contact_json(&contact);
    seed.customers.push(contact);
    Json(answer).into_response()
}

/// `PUT /contacts/{identifier}`: only `name` and `data` change (`data` is merged).
async fn update_contact(
    AxumState(state): AxumState<State>,
    Path((brand, identifier)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let mut seed = state.seed.write().unwrap_or_else(|e| e.into_inner());
    let Some(at) = find(&seed, &identifier) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    let c = &body["contact"];
    let data = match contact_data(c) {
        Ok(d) => d,
        Err(why) => return invalid(&[("data", why)]),
    };
    let contact = &mut seed.customers[at];
    if let Some(name) = text(c, &["name"]) {
        contact.name = name.to_owned();
    }
    if let Some(data) = data {
        contact.data.extend(data);
    }
    contact.updated_at = Timestamp::now();
    let contact = contact.clone();
    Json(seed.contact_json(&contact)).into_response()
}

impl Seed {
    /// A channel as `GET /channels` lists it.
    pub fn channel_json(&self, c: &Channel) -> Value {
        json!({
            "name": c.name,
            "slug": c.slug,
            "email": c.email,
            "channel": c.kind,
            "visibility": 1,
            "spam_filter_enabled": true,
            "settings_reply_from_name": "channel",
            "settings_signature": "",
            "brand": { "name": "Acme", "url": format!("{BRAND}.reamaze.io") },
        })
    }
}

/// `GET /channels`: `{total_count, channels}`, one page (as the SDK models it).
async fn list_channels(
    AxumState(state): AxumState<State>,
    Path(brand): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let seed = state.seed.read().unwrap_or_else(|e| e.into_inner());
    let channels: Vec<Value> = seed.channels.iter().map(|c| seed.channel_json(c)).collect();
    Json(json!({ "total_count": channels.len(), "channels": channels })).into_response()
}

async fn get_channel(
    AxumState(state): AxumState<State>,
    Path((brand, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refusal(&state, &brand, &headers) {
        return r;
    }
    let seed = state.seed.read().unwrap_or_else(|e| e.into_inner());
    match seed.channels.iter().find(|c| c.slug == slug) {
        Some(c) => Json(seed.channel_json(c)).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}
