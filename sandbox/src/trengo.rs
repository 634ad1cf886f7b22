//! Trengo REST API v2 emulator (`/api/v2`), following ../shared/reference/providers/trengo.md:
//! bearer tokens with Laravel's `{"message": "Unauthenticated."}` on failure; the *simple*
//! paginator on tickets (25 per page, `links.next`, no `last_page`/`total`); naive timestamps
//! in the account's local time; list items without `agent`/`assignee`, detail with them;
//! 120 requests a minute with `x-ratelimit-*` headers and 429 + `Retry-After`.

use std::sync::{Arc, RwLock};

use crate::throttle::Throttle;

use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

/// The token the sandbox accepts.
pub const TOKEN: &str = "sandbox-trengo-token";
/// The time zone of the emulated account: its naive timestamps are local time here.
pub const TIMEZONE: &str = "Europe/Amsterdam";
/// Tickets per page, fixed as in Trengo.
pub const PER_PAGE: usize = 25;
/// The mailbox password the e-mail channel's connector carries (never in unified output).
pub const CONNECTOR_PASSWORD: &str = "sandbox-imap-password";
/// Number of seeded tickets (three pages, the last one partial).
pub const TICKET_COUNT: usize = 63;
/// Requests a minute per token.
pub const RATE_LIMIT: u32 = 120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: (i64, &'static str),
    pub created_at: Timestamp,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Custom field values: field id → value.
    pub custom: Vec<(i64, String)>,
}

/// A custom field definition, of tickets or contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    pub id: i64,
    pub title: &'static str,
    /// `TICKET`, `CONTACT` or `PROFILE`.
    pub entity: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: i64,
    pub name: String,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: i64,
    pub name: &'static str,
    pub title: &'static str,
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: i64,
    /// `OPEN`, `ASSIGNED`, `CLOSED` or `INVALID`.
    pub status: &'static str,
    pub subject: Option<String>,
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
    pub contact_id: i64,
    pub channel_id: i64,
    pub label_ids: Vec<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub assigned_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

/// The emulated account's data, the same on every start.
#[derive(Debug, Clone)]
pub struct Seed {
    pub users: Vec<User>,
    pub teams: Vec<Team>,
    pub contacts: Vec<Contact>,
    pub labels: Vec<Label>,
    pub channels: Vec<Channel>,
    pub custom_fields: Vec<CustomField>,
    pub tickets: Vec<Ticket>,
    /// Every ticket's messages, oldest first, by ticket id.
    pub messages: std::collections::BTreeMap<i64, Vec<Message>>,
    tz: jiff::tz::TimeZone,
}

/// A message on a ticket: from the contact (`INBOUND`), to the contact (`OUTBOUND`) or an
/// internal note (`NOTE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: &'static str,
    pub text: String,
    /// The agent who wrote it (none for `INBOUND`).
    pub user_id: Option<i64>,
    pub created_at: Timestamp,
    /// The names of its files.
    pub attachments: Vec<String>,
}

impl Default for Seed {
    fn default() -> Self {
        Seed::new()
    }
}

/// A ticket's seeded conversation: the contact's question, then alternately an agent's reply
/// and an internal note, one minute apart (1 to 5 messages).
fn seed_messages(t: &Ticket, fallback_agent: i64) -> Vec<Message> {
    let agent = t.user_id.unwrap_or(fallback_agent);
    (0..1 + t.id % 5)
        .map(|k| {
            let (kind, text, user_id) = match k {
                0 => (
                    "INBOUND",
                    t.subject
                        .clone()
                        .unwrap_or_else(|| "Hello, I need help".to_owned()),
                    None,
                ),
                k if k % 2 == 1 => (
                    "OUTBOUND",
                    "Thank you, we are looking into it.".to_owned(),
                    Some(agent),
                ),
                _ => (
                    "NOTE",
                    "Checked the order history: nothing unusual.".to_owned(),
                    Some(agent),
                ),
            };
            Message {
                id: t.id * 10 + k,
                ticket_id: t.id,
                kind,
                text,
                user_id,
                created_at: t.created_at + jiff::SignedDuration::from_mins(k),
                // Every third inbound message carries a photo.
                attachments: if kind == "INBOUND" && (t.id * 10 + k) % 3 == 0 {
                    vec![format!("photo-{}.jpg", t.id * 10 + k)]
                } else {
                    Vec::new()
                },
            }
        })
        .collect()
}

/// A small deterministic generator (an LCG), so seeded data never depends on the platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const FIRST: &[&str] = &[
    "Anna", "Bram", "Chloé", "Daan", "Eva", "Finn", "Greta", "Hugo", "Iris", "Jens",
];
const LAST: &[&str] = &[
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer",
];
const TOPICS: &[&str] = &[
    "Order not delivered",
    "Refund request",
    "Cannot log in",
    "Invoice question",
    "Change delivery address",
    "Product arrived damaged",
    "Subscription cancellation",
    "Warranty claim",
];

impl Seed {
    /// The account with its [`TICKET_COUNT`] tickets.
    pub fn new() -> Self {
        Seed::with_tickets(TICKET_COUNT)
    }

    /// The account with `count` tickets (the first ones as in [`Seed::new`] when `count` is
    /// small; spread over two years whatever their number).
    pub fn with_tickets(count: usize) -> Self {
        let mut rng = Rng(0x5eed_7e06);
        let base: Timestamp = "2024-01-08T08:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let tz = jiff::tz::TimeZone::get(TIMEZONE).unwrap_or(jiff::tz::TimeZone::UTC);

        let roles = [
            (24, "administrator"),
            (25, "supervisor"),
            (26, "agent"),
            (26, "agent"),
        ];
        let users: Vec<User> = (0..4)
            .map(|i| User {
                id: 606_850 + i as i64,
                first_name: FIRST[i].to_owned(),
                last_name: LAST[i].to_owned(),
                email: format!("{}@example.com", FIRST[i].to_lowercase().replace('é', "e")),
                role: roles[i],
                created_at: base - jiff::SignedDuration::from_hours(24 * (400 - i as i64 * 30)),
            })
            .collect();
        let teams = vec![
            Team {
                id: 346_034,
                name: "Maintenance".into(),
            },
            Team {
                id: 346_035,
                name: "Billing".into(),
            },
        ];
        let contacts: Vec<Contact> = (0..20)
            .map(|i| {
                let name = format!(
                    "{} {}",
                    FIRST[(i + 3) % FIRST.len()],
                    LAST[(i * 3) % LAST.len()]
                );
                let phone_only = i % 4 == 3;
                Contact {
                    id: 346_655_399 + i as i64,
                    email: (!phone_only).then(|| format!("customer{i}@example.com")),
                    phone: phone_only.then(|| format!("+31 6 0000 {:04}", i)),
                    name,
                    custom: if i % 3 == 0 {
                        vec![(609_825, format!("C{:06}", 1000 + i))]
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect();
        let labels = vec![
            Label {
                id: 1_701_915,
                name: "VIP".into(),
                color: "#5D9CEC".into(),
            },
            Label {
                id: 1_701_916,
                name: "Complaint".into(),
                color: "#ED5565".into(),
            },
            Label {
                id: 1_701_917,
                name: "Return".into(),
                color: "#A0D468".into(),
            },
            Label {
                id: 1_701_918,
                name: "Urgent".into(),
                color: "#FFCE54".into(),
            },
            Label {
                id: 1_701_919,
                name: "Feedback".into(),
                color: "#AC92EC".into(),
            },
        ];
        let channels = vec![
            Channel {
                id: 1_281_523,
                name: "Wa_business",
                title: "Support WhatsApp",
                kind: "WA_BUSINESS",
            },
            Channel {
                id: 1_281_524,
                name: "Email",
                title: "support@example.com",
                kind: "EMAIL",
            },
        ];

        let mut tickets = Vec::with_capacity(count);
        // Spread over several months, crossing both daylight-saving changes.
        let step = (3 * 24 * 60).min(2 * 365 * 24 * 60 / count.max(1) as i64);
        for i in 0..count {
            let created_at =
                base + jiff::SignedDuration::from_mins(i as i64 * step + rng.below(600) as i64);
            let updated_at =
                created_at + jiff::SignedDuration::from_mins(5 + rng.below(3000) as i64);
            let (status, user_id, team_id) = match rng.below(10) {
                0..=2 => ("OPEN", None, None),
                3 => ("OPEN", None, Some(teams[rng.below(2) as usize].id)),
                4..=6 => ("ASSIGNED", Some(users[rng.below(4) as usize].id), None),
                7 | 8 => ("CLOSED", Some(users[rng.below(4) as usize].id), None),
                _ => ("INVALID", None, None),
            };
            let channel = &channels[rng.below(2) as usize];
            let label_ids: Vec<i64> = labels
                .iter()
                .filter(|_| rng.below(4) == 0)
                .map(|l| l.id)
                .collect();
            tickets.push(Ticket {
                id: 745_390_370 + i as i64 * 7,
                status,
                // Messaging channels often have no subject.
                subject: (channel.kind == "EMAIL" || i % 3 == 0)
                    .then(|| TOPICS[i % TOPICS.len()].to_owned()),
                user_id,
                team_id,
                contact_id: contacts[rng.below(contacts.len() as u64) as usize].id,
                channel_id: channel.id,
                label_ids,
                created_at,
                updated_at,
                assigned_at: (user_id.is_some() || team_id.is_some()).then_some(updated_at),
                closed_at: (status == "CLOSED").then_some(updated_at),
            });
        }
        // Trengo's default order: most recent activity first.
        tickets.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        let messages = tickets
            .iter()
            .map(|t| (t.id, seed_messages(t, users[0].id)))
            .collect();
        let custom_fields = vec![
            CustomField {
                id: 609_825,
                title: "Customer number",
                entity: "CONTACT",
            },
            CustomField {
                id: 614_854,
                title: "Loyalty tier",
                entity: "CONTACT",
            },
            CustomField {
                id: 613_806,
                title: "Order number",
                entity: "TICKET",
            },
        ];
        Seed {
            users,
            teams,
            contacts,
            labels,
            channels,
            custom_fields,
            tickets,
            messages,
            tz,
        }
    }

    /// The messages of a ticket, oldest first.
    pub fn messages_of(&self, ticket: i64) -> impl Iterator<Item = &Message> {
        self.messages.get(&ticket).into_iter().flatten()
    }

    /// A timestamp as Trengo writes it: naive, in the account's local time.
    pub fn local(&self, ts: Timestamp) -> String {
        ts.to_zoned(self.tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    fn opt_local(&self, ts: Option<Timestamp>) -> Value {
        ts.map_or(Value::Null, |t| Value::String(self.local(t)))
    }

    pub fn user(&self, id: i64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn contact(&self, id: i64) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    pub fn ticket(&self, id: i64) -> Option<&Ticket> {
        self.tickets.iter().find(|t| t.id == id)
    }

    /// A contact as `GET /contacts` shows it (and as tickets and messages embed it).
    pub fn contact_json(&self, id: i64) -> Value {
        let Some(c) = self.contact(id) else {
            return Value::Null;
        };
        let identifier = c
            .email
            .clone()
            .or_else(|| c.phone.clone())
            .unwrap_or_default();
        let title = |id: i64| {
            self.custom_fields
                .iter()
                .find(|f| f.id == id)
                .map_or("", |f| f.title)
        };
        let set: serde_json::Map<String, Value> = c
            .custom
            .iter()
            .map(|(id, v)| (title(*id).to_owned(), Value::String(v.clone())))
            .collect();
        let formatted: serde_json::Map<String, Value> = self
            .custom_fields
            .iter()
            .filter(|f| f.entity == "CONTACT")
            .map(|f| {
                let v = c.custom.iter().find(|(id, _)| *id == f.id);
                (
                    f.title.to_owned(),
                    v.map_or(Value::Null, |(_, v)| Value::String(v.clone())),
                )
            })
            .collect();
        let values: Vec<Value> = c
            .custom
            .iter()
            .map(|(id, v)| json!({ "custom_field_id": id, "field_name": title(*id), "value": v }))
            .collect();
        json!({
            "id": c.id,
            "name": c.name,
            "full_name": c.name,
            "email": c.email,
            "abbr": c.name.chars().next().map(String::from),
            "color": "#673ab7",
            "profile_image": null,
            "is_phone": c.phone.is_some(),
            "phone": c.phone,
            "formatted_phone": c.phone,
            "avatar": "https://assets.trengo.com/release/img/defaultpic.png",
            "identifier": identifier,
            "custom_field_data": if c.custom.is_empty() { Value::Null } else { Value::Object(set) },
            "profile": [],
            "pivot": null,
            "groups": [],
            "formatted_custom_field_data": formatted,
            "display_name": format!("{} ({identifier})", c.name),
            "is_private": false,
            "custom_field_values": values,
        })
    }

    /// A user as `GET /users` and embedded `agent`/`assignee` objects show it.
    pub fn user_json(&self, id: Option<i64>) -> Value {
        let Some(u) = id.and_then(|id| self.user(id)) else {
            return Value::Null;
        };
        json!({
            "id": u.id,
            "agency_id": 266_184,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "name": u.full_name(),
            "full_name": u.full_name(),
            "email": u.email,
            "abbr": u.first_name.chars().next().map(String::from),
            "phone": null,
            "color": "#ff9800",
            "locale_code": "en-GB",
            "status": "ACTIVE",
            "text": u.full_name(),
            "is_online": 1,
            "user_status": "ONLINE",
            "chat_status": "1",
            "voip_status": "OFFLINE",
            "voip_device": "WEB",
            "profile_image": null,
            "authorization": if u.role.1 == "administrator" { Value::from("OWNER") } else { Value::Null },
            "role": { "id": u.role.0, "name": u.role.1 },
            "is_primary": i32::from(u.role.1 == "administrator"),
            "timezone": TIMEZONE,
            "created_at": self.local(u.created_at),
            "two_factor_authentication_enabled": false,
        })
    }

    /// A channel as `GET /channels` shows it and tickets embed it (connector secrets left out).
    pub fn channel_json(&self, id: i64) -> Value {
        let Some(c) = self.channels.iter().find(|c| c.id == id) else {
            return Value::Null;
        };
        json!({
            "id": c.id,
            "name": c.name,
            "title": c.title,
            "phone": "",
            "type": c.kind,
            "auto_reply": "ENABLED",
            "color": null,
            "status": "ACTIVE",
            "display_name": c.title,
            "text": c.title,
            "users": [],
            "is_private": false,
            // Channels carry their connector's login: an e-mail channel its mailbox account.
            "username": if c.kind == "EMAIL" { Value::from(c.title) } else { Value::Null },
            "password": if c.kind == "EMAIL" { Value::from(CONNECTOR_PASSWORD) } else { Value::Null },
            "password_is_null": c.kind != "EMAIL",
        })
    }

    fn labels_json(&self, t: &Ticket) -> Value {
        Value::Array(
            self.labels
                .iter()
                .filter(|l| t.label_ids.contains(&l.id))
                .map(label_json)
                .collect(),
        )
    }

    /// A ticket as `GET /tickets` returns it (no `agent`/`assignee`; `latest_message` object).
    pub fn list_item(&self, t: &Ticket) -> Value {
        json!({
            "id": t.id,
            "status": t.status,
            "subject": t.subject,
            "created_at": self.local(t.created_at),
            "updated_at": self.local(t.updated_at),
            "assigned_at": self.opt_local(t.assigned_at),
            "closed_at": self.opt_local(t.closed_at),
            "user_id": t.user_id,
            "team_id": t.team_id,
            "contact_id": t.contact_id,
            "contact": self.contact_json(t.contact_id),
            "channel": self.channel_json(t.channel_id),
            "channelMeta": null,
            "latest_message": self.messages_of(t.id).last().map(|m| json!({
                "id": m.id,
                "type": m.kind,
                "message": m.text,
                "created_at": self.local(m.created_at),
                "attachments": [],
            })),
            "labels": self.labels_json(t),
            "custom_data": null,
            "messages_count": self.messages_of(t.id).count(),
        })
    }

    /// A ticket as `GET /tickets/{id}` returns it (with `agent`, `assignee`, `team`, audits).
    pub fn detail(&self, t: &Ticket) -> Value {
        let team = t
            .team_id
            .and_then(|id| self.teams.iter().find(|tm| tm.id == id));
        json!({
            "id": t.id,
            "status": t.status,
            "subject": t.subject,
            "closed_at": self.opt_local(t.closed_at),
            "created_at": self.local(t.created_at),
            "updated_at": self.local(t.updated_at),
            "user_id": t.user_id,
            "team_id": t.team_id,
            "assigned_at": self.opt_local(t.assigned_at),
            "team": team.map(|tm| json!({ "id": tm.id, "name": tm.name, "title": null, "type": null, "status": null })),
            "contact_id": t.contact_id,
            "contact": self.contact_json(t.contact_id),
            "agent": self.user_json(t.user_id),
            "assignee": self.user_json(t.user_id),
            "closed_by": if t.status == "CLOSED" { self.user_json(t.user_id) } else { Value::Null },
            "channel": self.channel_json(t.channel_id),
            "channelMeta": null,
            "results": [],
            "labels": self.labels_json(t),
            "reminder": null,
            "watchers": [],
            "starred": [],
            "attachments": [],
            "messaging_attachments": [],
            "custom_data": null,
            "messages_count": null,
            "related_tickets": [],
            "custom_field_values": [],
            "audits": [{
                "id": t.id * 10,
                "type": "AUDIT",
                "audit_type": "TICKET_CREATED",
                "body_type": "TEXT",
                "message": "Created by the contact",
                "created_at": self.local(t.created_at),
            }],
        })
    }
}

/// A label as Trengo serialises it, alone or embedded in a ticket.
pub fn label_json(l: &Label) -> Value {
    json!({
        "id": l.id,
        "name": l.name,
        "slug": l.name.to_lowercase().replace(' ', "-"),
        "color": l.color,
        "sort_order": null,
        "archived": null,
    })
}

/// The emulator's state: the seeded account, its token and its rate-limit window.
#[derive(Debug, Clone)]
pub struct State {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    seed: RwLock<Seed>,
    token: String,
    /// Requests a minute per token; unlimited for benchmarks.
    throttle: Throttle,
}

impl State {
    pub fn seeded() -> Self {
        State::new(Seed::new(), TOKEN)
    }

    pub fn new(seed: Seed, token: &str) -> Self {
        State::build(seed, token, Some(RATE_LIMIT))
    }

    /// The same account without Trengo's rate limit, for loads no real account gets.
    pub fn unlimited(seed: Seed, token: &str) -> Self {
        State::build(seed, token, None)
    }

    fn build(seed: Seed, token: &str, rate_limit: Option<u32>) -> Self {
        State {
            inner: Arc::new(Inner {
                seed: RwLock::new(seed),
                token: token.to_owned(),
                throttle: rate_limit.map(Throttle::per_minute).unwrap_or_default(),
            }),
        }
    }
}

pub fn router(state: State) -> Router {
    Router::new()
        .route("/tickets", get(list_tickets).post(create_ticket))
        .route("/tickets/{id}", get(get_ticket).delete(delete_ticket))
        .route("/tickets/{id}/labels", post(attach_label))
        .route(
            "/tickets/{id}/messages",
            get(list_messages).post(create_message),
        )
        .route("/tickets/{id}/messages/{message_id}", get(get_message))
        .route("/tickets/{id}/labels/{label_id}", delete(detach_label))
        .route("/tickets/{id}/{action}", post(ticket_action))
        .route("/users", get(list_users))
        .route("/users/{id}", get(get_user))
        .route("/teams", get(list_teams))
        .route("/teams/{id}", get(get_team))
        .route("/contacts", get(list_contacts))
        .route("/contacts/{id}", get(get_contact).put(update_contact))
        .route("/contacts/{id}/custom_fields", post(set_contact_field))
        .route("/channels/{id}/contacts", post(create_contact))
        .route("/channels", get(list_channels))
        .route("/channels/{id}", get(get_channel))
        .route("/custom_fields", get(list_custom_fields))
        .route("/custom_fields/{id}", get(get_custom_field))
        .route("/labels", get(list_labels).post(create_label))
        .route(
            "/labels/{id}",
            get(get_label).put(update_label).delete(delete_label),
        )
        .with_state(state)
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "message": text }))).into_response()
}

/// Why a request was refused before it reached its handler.
#[derive(Debug)]
enum Refusal {
    Unauthenticated,
    RateLimited { retry_after: u64 },
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthenticated => message(StatusCode::UNAUTHORIZED, "Unauthenticated."),
            Refusal::RateLimited { retry_after } => {
                let reset = Timestamp::now().as_second() + retry_after as i64;
                let mut r = message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
                let h = r.headers_mut();
                h.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                h.insert("x-ratelimit-reset", HeaderValue::from(reset));
                h.insert("x-ratelimit-limit", HeaderValue::from(RATE_LIMIT));
                h.insert("x-ratelimit-remaining", HeaderValue::from(0));
                r
            }
        }
    }
}

/// Checks the bearer token and the rate limit; returns the requests left in this minute.
fn admit(state: &State, headers: &HeaderMap) -> Result<u32, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token != Some(state.inner.token.as_str()) {
        return Err(Refusal::Unauthenticated);
    }
    match state.inner.throttle.admit() {
        Ok(_) if state.inner.throttle.limit().is_none() => Ok(RATE_LIMIT),
        Ok(remaining) => Ok(remaining),
        Err(retry_after) => Err(Refusal::RateLimited { retry_after }),
    }
}

fn with_limits(mut r: Response, remaining: u32) -> Response {
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(RATE_LIMIT));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    r
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    page: Option<String>,
    sort: Option<String>,
    status: Option<String>,
    contact_id: Option<i64>,
    #[serde(rename = "users[]")]
    user: Option<i64>,
}

async fn list_tickets(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let remaining = match admit(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let page = match page_number(q.page.as_deref()) {
        Ok(p) => p,
        Err(r) => return with_limits(*r, remaining),
    };
    let seed = state.inner.seed.read().unwrap_or_else(|e| e.into_inner());
    let mut tickets: Vec<&Ticket> = seed
        .tickets
        .iter()
        .filter(|t| q.status.as_deref().is_none_or(|s| s == t.status))
        .filter(|t| q.contact_id.is_none_or(|c| c == t.contact_id))
        .filter(|t| q.user.is_none_or(|u| Some(u) == t.user_id))
        .collect();
    if q.sort.as_deref() == Some("date") {
        tickets.reverse();
    }
    let start = (page - 1) * PER_PAGE;
    let items: Vec<Value> = tickets
        .iter()
        .skip(start)
        .take(PER_PAGE)
        .map(|t| seed.list_item(t))
        .collect();
    let body = simple_page(&headers, "tickets", page, tickets.len(), items);
    with_limits(Json(body).into_response(), remaining)
}

async fn get_ticket(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one_of(&state, &headers, "Ticket", &id, |seed, id| {
        seed.ticket(id).map(|t| seed.detail(t))
    })
}

/// Laravel's 422: `{"message", "errors": {field: [messages]}}`.
fn invalid(errors: &[(&str, &str)]) -> Response {
    let errors: serde_json::Map<String, Value> = errors
        .iter()
        .map(|(field, message)| ((*field).to_owned(), json!([message])))
        .collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "message": "The given data was invalid.", "errors": errors })),
    )
        .into_response()
}

fn no_model(model: &str, id: &str) -> Response {
    message(
        StatusCode::NOT_FOUND,
        &format!("No query results for model [App\\Models\\{model}] {id}"),
    )
}

/// The `page` parameter, 1-based; anything else is Laravel's 422.
fn page_number(page: Option<&str>) -> Result<usize, Box<Response>> {
    match page.map(str::parse::<usize>) {
        None => Ok(1),
        Some(Ok(p)) if p >= 1 => Ok(p),
        Some(_) => Err(Box::new(invalid(&[(
            "page",
            "The page must be at least 1.",
        )]))),
    }
}

/// The host a request came to, for the links of a page.
fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
}

/// A page of Laravel's *simple* paginator (no `last_page`, no `total`, `links.last` null), as
/// Trengo's tickets and contacts have; `items` are the page's, `total` the list's length.
fn simple_page(
    headers: &HeaderMap,
    resource: &str,
    page: usize,
    total: usize,
    items: Vec<Value>,
) -> Value {
    let path = format!("http://{}/trengo/api/v2/{resource}", host(headers));
    let start = (page - 1) * PER_PAGE;
    let link = |p: usize| Value::String(format!("{path}?page={p}"));
    json!({
        "data": items,
        "links": {
            "first": link(1),
            "last": null,
            "prev": if page > 1 { link(page - 1) } else { Value::Null },
            "next": if start + PER_PAGE < total { link(page + 1) } else { Value::Null },
        },
        "meta": {
            "current_page": page,
            "from": if items.is_empty() { Value::Null } else { Value::from(start + 1) },
            "path": path,
            "per_page": PER_PAGE,
            "to": if items.is_empty() { Value::Null } else { Value::from(start + items.len()) },
        },
    })
}

/// A page of a length-aware Laravel paginator (`meta.last_page`, `meta.total`), as Trengo's
/// smaller lists have.
fn length_aware(
    headers: &HeaderMap,
    resource: &str,
    page: Option<&str>,
    all: Vec<Value>,
) -> Response {
    let page = match page_number(page) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let path = format!("http://{}/trengo/api/v2/{resource}", host(headers));
    let total = all.len();
    let last_page = total.div_ceil(PER_PAGE).max(1);
    let start = (page - 1) * PER_PAGE;
    let items: Vec<Value> = all.into_iter().skip(start).take(PER_PAGE).collect();
    let link = |p: usize| Value::String(format!("{path}?page={p}"));
    Json(json!({
        "data": items,
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": if page > 1 { link(page - 1) } else { Value::Null },
            "next": if page < last_page { link(page + 1) } else { Value::Null },
        },
        "meta": {
            "current_page": page,
            "from": if items.is_empty() { Value::Null } else { Value::from(start + 1) },
            "last_page": last_page,
            "path": path,
            "per_page": PER_PAGE,
            "to": if items.is_empty() { Value::Null } else { Value::from(start + items.len()) },
            "total": total,
        },
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<String>,
}

async fn list_labels(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    list_of(&state, &headers, "labels", q.page.as_deref(), |seed| {
        seed.labels.iter().map(label_json).collect()
    })
}

async fn get_label(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one_of(&state, &headers, "Label", &id, |seed, id| {
        seed.labels.iter().find(|l| l.id == id).map(label_json)
    })
}

/// The body of a label write: `name` and `color`, as JSON.
fn label_body(
    body: &[u8],
    creating: bool,
) -> Result<(Option<String>, Option<String>), Box<Response>> {
    let body: Value = serde_json::from_slice(body).map_err(|_| {
        Box::new(message(
            StatusCode::BAD_REQUEST,
            "The request body is not valid JSON.",
        ))
    })?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let (name, color) = (text("name"), text("color"));
    if creating && name.as_deref().is_none_or(str::is_empty) {
        return Err(Box::new(invalid(&[(
            "name",
            "The name field is required.",
        )])));
    }
    if color
        .as_deref()
        .is_some_and(|c| !(c.starts_with('#') && c.len() == 7))
    {
        return Err(Box::new(invalid(&[(
            "color",
            "The color format is invalid.",
        )])));
    }
    Ok((name, color))
}

async fn create_label(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let remaining = match admit(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let (name, color) = match label_body(&body, true) {
        Ok(b) => b,
        Err(r) => return with_limits(*r, remaining),
    };
    let mut seed = state.inner.seed.write().unwrap_or_else(|e| e.into_inner());
    let id = seed.labels.iter().map(|l| l.id).max().unwrap_or(1_701_900) + 1;
    let label = Label {
        id,
        name: name.unwrap_or_default(),
        color: color.unwrap_or_else(|| "#5D9CEC".into()),
    };
    let response = Json(label_json(&label)).into_response();
    seed.labels.push(label);
    with_limits(response, remaining)
}

async fn update_label(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let remaining = match admit(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let (name, color) = match label_body(&body, false) {
        Ok(b) => b,
        Err(r) => return with_limits(*r, remaining),
    };
    let mut seed = state.inner.seed.write().unwrap_or_else(|e| e.into_inner());
    let found = id
        .parse::<i64>()
        .ok()
        .and_then(|id| seed.labels.iter_mut().find(|l| l.id == id));
    let response = match found {
        Some(l) => {
            if let Some(name) = name {
                l.name = name;
            }
            if let Some(color) = color {
                l.color = color;
            }
            Json(label_json(l)).into_response()
        }
        None => no_model("Label", &id),
    };
    with_limits(response, remaining)
}

async fn delete_label(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let remaining = match admit(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let mut seed = state.inner.seed.write().unwrap_or_else(|e| e.into_inner());
    let Some(at) = id
        .parse::<i64>()
        .ok()
        .and_then(|id| seed.labels.iter().position(|l| l.id == id))
    else {
        return with_limits(no_model("Label", &id), remaining);
    };
    let removed = seed.labels.remove(at);
    for t in &mut seed.tickets {
        t.label_ids.retain(|l| *l != removed.id);
    }
    // Trengo answers deletes with 200 and an empty body.
    with_limits(StatusCode::OK.into_response(), remaining)
}

/// A team as `GET /teams` shows it (only `id` and `name` are confirmed).
pub fn team_json(t: &Team) -> Value {
    json!({ "id": t.id, "name": t.name })
}

/// Lists of an entity, in the length-aware envelope, after auth and the rate limit.
fn list_of(
    state: &State,
    headers: &HeaderMap,
    resource: &str,
    page: Option<&str>,
    items: impl FnOnce(&Seed) -> Vec<Value>,
) -> Response {
    let remaining = match admit(state, headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let seed = state.inner.seed.read().unwrap_or_else(|e| e.into_inner());
    with_limits(
        length_aware(headers, resource, page, items(&seed)),
        remaining,
    )
}

/// One entity by id, after auth and the rate limit; `model` names it in Laravel's 404.
fn one_of(
    state: &State,
    headers: &HeaderMap,
    model: &str,
    id: &str,
    find: impl FnOnce(&Seed, i64) -> Option<Value>,
) -> Response {
    let remaining = match admit(state, headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let seed = state.inner.seed.read().unwrap_or_else(|e| e.into_inner());
    let response = match id.parse::<i64>().ok().and_then(|id| find(&seed, id)) {
        Some(v) => Json(v).into_response(),
        None => no_model(model, id),
    };
    with_limits(response, remaining)
}

async fn list_users(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    list_of(&state, &headers, "users", q.page.as_deref(), |seed| {
        seed.users
            .iter()
            .map(|u| seed.user_json(Some(u.id)))
            .collect()
    })
}

async fn get_user(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one_of(&state, &headers, "User", &id, |seed, id| {
        seed.user(id).map(|u| seed.user_json(Some(u.id)))
    })
}

async fn list_teams(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    list_of(&state, &headers, "teams", q.page.as_deref(), |seed| {
        seed.teams.iter().map(team_json).collect()
    })
}

async fn get_team(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one_of(&state, &headers, "Team", &id, |seed, id| {
        seed.teams.iter().find(|t| t.id == id).map(team_json)
    })
}

/// A request body as JSON (`{}` when empty); a body that is not JSON is Laravel's 400.
fn json_body(body: &[u8]) -> Result<Value, Box<Response>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|_| {
        Box::new(message(
            StatusCode::BAD_REQUEST,
            "The request body is not valid JSON.",
        ))
    })
}

/// An integer member of a body, as Laravel's validation reads it (numbers or numeric text).
fn int_member(body: &Value, key: &str) -> Option<i64> {
    match body.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A timestamp as Trengo's raw models serialise it: RFC 3339 UTC with microseconds.
fn model_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

impl Seed {
    /// What `POST /tickets` answers: the raw model, not the list or detail transformer.
    pub fn created(&self, t: &Ticket) -> Value {
        json!({
            "agency_id": 266_184,
            "contact_id": t.contact_id,
            "status": t.status,
            "user_id": t.user_id,
            "channel_id": t.channel_id,
            "subject": t.subject,
            "updated_at": model_time(t.updated_at),
            "created_at": model_time(t.created_at),
            "id": t.id,
            "latest_message": model_time(t.updated_at),
            "channel": self.channel_json(t.channel_id),
        })
    }

    /// Keeps Trengo's order after a write: most recent activity first.
    fn reorder(&mut self) {
        self.tickets
            .sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
    }
}

async fn create_ticket(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let remaining = match admit(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return with_limits(*r, remaining),
    };
    let mut seed = state.inner.seed.write().unwrap_or_else(|e| e.into_inner());
    let channel = int_member(&body, "channel_id");
    let contact = int_member(&body, "contact_id");
    let mut errors = Vec::new();
    match channel {
        None => errors.push(("channel_id", "The channel id field is required.")),
        Some(id) if !seed.channels.iter().any(|c| c.id == id) => {
            errors.push(("channel_id", "The selected channel id is invalid."))
        }
        Some(_) => {}
    }
    match contact {
        None => errors.push(("contact_id", "The contact id field is required.")),
        Some(id) if seed.contact(id).is_none() => {
            errors.push(("contact_id", "The selected contact id is invalid."))
        }
        Some(_) => {}
    }
    if !errors.is_empty() {
        return with_limits(invalid(&errors), remaining);
    }
    let now = Timestamp::now();
    let ticket = Ticket {
        id: seed
            .tickets
            .iter()
            .map(|t| t.id)
            .max()
            .unwrap_or(745_390_000)
            + 7,
        status: "OPEN",
        subject: body
            .get("subject")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        user_id: None,
        team_id: None,
        contact_id: contact.unwrap_or_default(),
        channel_id: channel.unwrap_or_default(),
        label_ids: Vec::new(),
        created_at: now,
        updated_at: now,
        assigned_at: None,
        closed_at: None,
    };
    let response = Json(seed.created(&ticket)).into_response();
    seed.tickets.push(ticket);
    seed.reorder();
    with_limits(response, remaining)
}

/// Runs `change` on the record `id` finds (its position) under the write lock, after auth and
/// the rate limit; Laravel's 404 naming `model` when there is none.
fn with_record(
    state: &State,
    headers: &HeaderMap,
    model: &str,
    id: &str,
    find: impl FnOnce(&Seed, i64) -> Option<usize>,
    change: impl FnOnce(&mut Seed, usize) -> Response,
) -> Response {
    let remaining = match admit(state, headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let mut seed = state.inner.seed.write().unwrap_or_else(|e| e.into_inner());
    let response = match id.parse::<i64>().ok().and_then(|id| find(&seed, id)) {
        Some(at) => change(&mut seed, at),
        None => no_model(model, id),
    };
    with_limits(response, remaining)
}

/// [`with_record`] for a ticket.
fn with_ticket(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    change: impl FnOnce(&mut Seed, usize) -> Response,
) -> Response {
    let find = |seed: &Seed, id| seed.tickets.iter().position(|t| t.id == id);
    with_record(state, headers, "Ticket", id, find, change)
}

async fn delete_ticket(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_ticket(&state, &headers, &id, |seed, at| {
        seed.tickets.remove(at);
        StatusCode::OK.into_response()
    })
}

async fn attach_label(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_ticket(&state, &headers, &id, |seed, at| {
        let Some(label) = int_member(&body, "label_id") else {
            return invalid(&[("label_id", "The label id field is required.")]);
        };
        if !seed.labels.iter().any(|l| l.id == label) {
            return invalid(&[("label_id", "The selected label id is invalid.")]);
        }
        let t = &mut seed.tickets[at];
        if !t.label_ids.contains(&label) {
            t.label_ids.push(label);
        }
        Json(seed.labels_json(&seed.tickets[at])).into_response()
    })
}

async fn detach_label(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((id, label)): Path<(String, String)>,
) -> Response {
    with_ticket(&state, &headers, &id, |seed, at| {
        let t = &mut seed.tickets[at];
        let before = t.label_ids.len();
        t.label_ids.retain(|l| l.to_string() != label);
        if t.label_ids.len() == before {
            return no_model("Label", &label);
        }
        StatusCode::OK.into_response()
    })
}

/// `POST /tickets/{id}/close`, `/reopen` and `/assign` (`{type: user|team, user_id | team_id}`).
async fn ticket_action(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    if !["close", "reopen", "assign"].contains(&action.as_str()) {
        return message(StatusCode::NOT_FOUND, "Not Found");
    }
    with_ticket(&state, &headers, &id, |seed, at| {
        let now = Timestamp::now();
        match action.as_str() {
            "close" => {
                let t = &mut seed.tickets[at];
                t.status = "CLOSED";
                t.closed_at = Some(now);
            }
            "reopen" => {
                let t = &mut seed.tickets[at];
                t.status = if t.user_id.is_some() {
                    "ASSIGNED"
                } else {
                    "OPEN"
                };
                t.closed_at = None;
            }
            _ => match body.get("type").and_then(Value::as_str) {
                Some("user") => match int_member(&body, "user_id") {
                    Some(user) if seed.user(user).is_some() => {
                        let t = &mut seed.tickets[at];
                        t.user_id = Some(user);
                        t.status = "ASSIGNED";
                        t.assigned_at = Some(now);
                    }
                    Some(_) => return invalid(&[("user_id", "The selected user id is invalid.")]),
                    None => {
                        return invalid(&[(
                            "user_id",
                            "The user id field is required when type is user.",
                        )]);
                    }
                },
                Some("team") => match int_member(&body, "team_id") {
                    // A team alone leaves the status as it is (`OPEN` stays `OPEN`).
                    Some(team) if seed.teams.iter().any(|t| t.id == team) => {
                        let t = &mut seed.tickets[at];
                        t.team_id = Some(team);
                        t.assigned_at = Some(now);
                    }
                    Some(_) => return invalid(&[("team_id", "The selected team id is invalid.")]),
                    None => {
                        return invalid(&[(
                            "team_id",
                            "The team id field is required when type is team.",
                        )]);
                    }
                },
                _ => return invalid(&[("type", "The selected type is invalid.")]),
            },
        }
        seed.tickets[at].updated_at = now;
        let id = seed.tickets[at].id;
        seed.reorder();
        let t = seed.ticket(id).cloned();
        match t {
            Some(t) => Json(seed.detail(&t)).into_response(),
            None => StatusCode::OK.into_response(),
        }
    })
}

impl Seed {
    /// A message as `GET /tickets/{id}/messages` shows it.
    /// The files of a message. Trengo's item shape has never been seen with data; it is
    /// modeled as `{url, filename}` (the one claim in the sources).
    pub fn attachments(&self, m: &Message) -> Value {
        m.attachments
            .iter()
            .map(|filename| {
                json!({
                    "url": format!("https://assets.trengo.example/attachments/{}/{filename}", m.ticket_id),
                    "filename": filename,
                })
            })
            .collect()
    }

    pub fn message_json(&self, m: &Message) -> Value {
        let ticket = self.ticket(m.ticket_id);
        json!({
            "id": m.id,
            "ticket_id": m.ticket_id,
            "type": m.kind,
            "body_type": "TEXT",
            "message": m.text,
            "file_name": null,
            "file_caption": null,
            "location_data": null,
            "created_at": self.local(m.created_at),
            "updated_at": self.local(m.created_at),
            "user_id": m.user_id,
            "contact": ticket.map_or(Value::Null, |t| self.contact_json(t.contact_id)),
            "agent": self.user_json(m.user_id),
            "attachments": self.attachments(m),
            "mentions": [],
            "contacts": [],
            "meta": null,
            "parent": null,
            "reactionSums": [],
            "diff_in_hours": 0,
            "messageEvents": [],
            "is_auto_reply": null,
        })
    }
}

async fn list_messages(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let remaining = match admit(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let seed = state.inner.seed.read().unwrap_or_else(|e| e.into_inner());
    let Some(ticket) = id.parse::<i64>().ok().and_then(|id| seed.ticket(id)) else {
        return with_limits(no_model("Ticket", &id), remaining);
    };
    let all = seed
        .messages_of(ticket.id)
        .map(|m| seed.message_json(m))
        .collect();
    let resource = format!("tickets/{}/messages", ticket.id);
    with_limits(
        length_aware(&headers, &resource, q.page.as_deref(), all),
        remaining,
    )
}

async fn get_message(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((id, message_id)): Path<(String, String)>,
) -> Response {
    one_of(&state, &headers, "Message", &message_id, |seed, mid| {
        let ticket = id.parse::<i64>().ok()?;
        seed.messages_of(ticket)
            .find(|m| m.id == mid)
            .map(|m| seed.message_json(m))
    })
}

/// `POST /tickets/{id}/messages {message, internal_note?}`: a reply to the contact, or an
/// internal note; written by the token's user; answered as `{"message": {…}}`.
async fn create_message(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_ticket(&state, &headers, &id, |seed, at| {
        let Some(text) = body
            .get("message")
            .and_then(Value::as_str)
            .filter(|m| !m.trim().is_empty())
        else {
            return invalid(&[("message", "The message field is required.")]);
        };
        let note = match body.get("internal_note") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return invalid(&[(
                    "internal_note",
                    "The internal note field must be true or false.",
                )]);
            }
        };
        let now = Timestamp::now();
        let ticket = seed.tickets[at].id;
        let message = Message {
            id: seed
                .messages
                .values()
                .flatten()
                .map(|m| m.id)
                .max()
                .unwrap_or(0)
                + 1,
            ticket_id: ticket,
            kind: if note { "NOTE" } else { "OUTBOUND" },
            text: text.to_owned(),
            user_id: seed.users.first().map(|u| u.id),
            created_at: now,
            // Files are attached only from uploads (`attachment_ids`), which are not emulated.
            attachments: Vec::new(),
        };
        // As captured from Trengo: the answer to a new message writes `created_at` in UTC
        // (not the account's zone, as everywhere else) and adds the instant as
        // `created_at_time` (Unix seconds).
        let mut answer = seed.message_json(&message);
        answer["created_at"] = json!(now.strftime("%Y-%m-%d %H:%M:%S").to_string());
        answer["created_at_time"] = json!(now.as_second());
        let answer = json!({ "message": answer });
        seed.messages.entry(ticket).or_default().push(message);
        seed.tickets[at].updated_at = now;
        seed.reorder();
        Json(answer).into_response()
    })
}

/// A custom field definition as `GET /custom_fields` shows it.
pub fn custom_field_json(f: &CustomField) -> Value {
    json!({
        "id": f.id,
        "title": f.title,
        "sort_order": 0,
        "type": f.entity,
        "identifier": f.title.to_lowercase().replace(' ', "-"),
        "field_type": "TEXT",
        "placeholder": null,
        "items": null,
        "channels": [],
        "is_required": false,
    })
}

#[derive(Debug, Deserialize)]
struct ContactQuery {
    page: Option<String>,
    term: Option<String>,
}

async fn list_contacts(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(q): Query<ContactQuery>,
) -> Response {
    let remaining = match admit(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let page = match page_number(q.page.as_deref()) {
        Ok(p) => p,
        Err(r) => return with_limits(*r, remaining),
    };
    let seed = state.inner.seed.read().unwrap_or_else(|e| e.into_inner());
    // `term` matches name, email or phone, case-insensitively.
    let term = q.term.as_deref().map(str::to_lowercase);
    let matching: Vec<&Contact> = seed
        .contacts
        .iter()
        .filter(|c| {
            term.as_deref().is_none_or(|t| {
                [Some(&c.name), c.email.as_ref(), c.phone.as_ref()]
                    .into_iter()
                    .flatten()
                    .any(|v| v.to_lowercase().contains(t))
            })
        })
        .collect();
    let start = (page - 1) * PER_PAGE;
    let items = matching
        .iter()
        .skip(start)
        .take(PER_PAGE)
        .map(|c| seed.contact_json(c.id))
        .collect();
    let body = simple_page(&headers, "contacts", page, matching.len(), items);
    with_limits(Json(body).into_response(), remaining)
}

async fn get_contact(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one_of(&state, &headers, "Contact", &id, |seed, id| {
        seed.contact(id).map(|c| seed.contact_json(c.id))
    })
}

/// [`with_record`] for a contact.
fn with_contact(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    change: impl FnOnce(&mut Seed, usize) -> Response,
) -> Response {
    let find = |seed: &Seed, id| seed.contacts.iter().position(|c| c.id == id);
    with_record(state, headers, "Contact", id, find, change)
}

/// `PUT /contacts/{id} {name?}`: answers the contact.
async fn update_contact(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_contact(&state, &headers, &id, |seed, at| {
        match body.get("name") {
            None => {}
            Some(Value::String(name)) if !name.trim().is_empty() => {
                seed.contacts[at].name = name.clone();
            }
            Some(_) => return invalid(&[("name", "The name must be a string.")]),
        }
        let id = seed.contacts[at].id;
        Json(seed.contact_json(id)).into_response()
    })
}

/// `POST /contacts/{id}/custom_fields {custom_field_id, value}`: sets one value (an empty
/// value clears it); answers the contact.
async fn set_contact_field(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_contact(&state, &headers, &id, |seed, at| {
        let Some(field) = int_member(&body, "custom_field_id") else {
            return invalid(&[("custom_field_id", "The custom field id field is required.")]);
        };
        if !seed
            .custom_fields
            .iter()
            .any(|f| f.id == field && f.entity == "CONTACT")
        {
            return invalid(&[(
                "custom_field_id",
                "The selected custom field id is invalid.",
            )]);
        }
        let value = match body.get("value") {
            Some(Value::String(v)) => v.clone(),
            Some(Value::Number(n)) => n.to_string(),
            None | Some(Value::Null) => String::new(),
            Some(_) => return invalid(&[("value", "The value must be a string.")]),
        };
        let contact = &mut seed.contacts[at];
        contact.custom.retain(|(id, _)| *id != field);
        if !value.is_empty() {
            contact.custom.push((field, value));
        }
        let id = contact.id;
        Json(seed.contact_json(id)).into_response()
    })
}

async fn list_custom_fields(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    list_of(
        &state,
        &headers,
        "custom_fields",
        q.page.as_deref(),
        |seed| seed.custom_fields.iter().map(custom_field_json).collect(),
    )
}

async fn get_custom_field(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one_of(&state, &headers, "CustomField", &id, |seed, id| {
        seed.custom_fields
            .iter()
            .find(|f| f.id == id)
            .map(custom_field_json)
    })
}

/// `POST /channels/{id}/contacts {identifier, name?}`: the contact of that identifier on the
/// channel (an e-mail on e-mail channels, a phone number on the others); an identifier that
/// exists already answers its contact.
async fn create_contact(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(channel): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let remaining = match admit(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return with_limits(*r, remaining),
    };
    let mut seed = state.inner.seed.write().unwrap_or_else(|e| e.into_inner());
    let Some(kind) = channel
        .parse::<i64>()
        .ok()
        .and_then(|id| seed.channels.iter().find(|c| c.id == id))
        .map(|c| c.kind)
    else {
        return with_limits(no_model("Channel", &channel), remaining);
    };
    let Some(identifier) = body
        .get("identifier")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|i| !i.is_empty())
    else {
        return with_limits(
            invalid(&[("identifier", "The identifier field is required.")]),
            remaining,
        );
    };
    let email = kind == "EMAIL";
    if email && !identifier.contains('@') {
        return with_limits(
            invalid(&[(
                "identifier",
                "The identifier must be a valid email address.",
            )]),
            remaining,
        );
    }
    let existing = seed
        .contacts
        .iter()
        .find(|c| c.email.as_deref() == Some(identifier) || c.phone.as_deref() == Some(identifier));
    let id = match existing {
        Some(c) => c.id,
        None => {
            let id = seed
                .contacts
                .iter()
                .map(|c| c.id)
                .max()
                .unwrap_or(346_655_000)
                + 1;
            seed.contacts.push(Contact {
                id,
                name: body
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(identifier)
                    .to_owned(),
                email: email.then(|| identifier.to_owned()),
                phone: (!email).then(|| identifier.to_owned()),
                custom: Vec::new(),
            });
            id
        }
    };
    with_limits(Json(seed.contact_json(id)).into_response(), remaining)
}

async fn list_channels(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    list_of(&state, &headers, "channels", q.page.as_deref(), |seed| {
        seed.channels
            .iter()
            .map(|c| seed.channel_json(c.id))
            .collect()
    })
}

async fn get_channel(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one_of(&state, &headers, "Channel", &id, |seed, id| {
        Some(seed.channel_json(id)).filter(|c| !c.is_null())
    })
}
