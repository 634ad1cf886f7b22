//! Puzzel Contact Centre (ContactCentre5) emulator: all 84 operations of
//! ../shared/reference/providers/puzzel-contact-centre-tools.yaml, at the paths the mappings in
//! mappings/providers/puzzel_contact_centre/ use (most of them modeled: see each method's
//! provenance and docs/providers/puzzel-contact-centre.md).
//!
//! What it reproduces from the documented API:
//! - auth: Puzzel ID client credentials (`/puzzel-cc/id/connect/token`, scope
//!   `contact-centre:{customerKey}:{userId}`) and the Authentication Web Service login
//!   (`/puzzel-cc/api/Authenticate/LogIn`, `{customerKey, userName, password}` →
//!   `{accessToken, refreshToken, …}`); tokens are sent as `Authorization: Bearer`, and a
//!   missing or expired one is a 401;
//! - `/puzzel-cc/ContactCentre5` stands for `https://api.puzzel.com/ContactCentre5`, with the
//!   customer key as the first path segment;
//! - every JSON answer is the `{code, id, message, result}` envelope: `code` 0 on success,
//!   non-zero with HTTP 200 for what the call refers to but does not exist (a user, a task);
//!   a missing required parameter is HTTP 400 with a non-zero code;
//! - recordings and archive streams are files with `Content-Type` and `Content-Disposition`,
//!   generated chunk by chunk (a 100 MB recording is never held in memory).

// Checks return the refusal itself (a `Response`) as their error, for handlers to send as is.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::tokens::{TokenRequest, Tokens};

/// The customer (tenant) the sandbox serves.
pub const CUSTOMER_KEY: &str = "12345";
/// The user the integration acts as.
pub const USER_ID: u64 = 1001;
/// The Puzzel ID client the sandbox accepts.
pub const CLIENT_ID: &str = "sandbox-pcc-client";
pub const CLIENT_SECRET: &str = "sandbox-pcc-secret";
/// The login the sandbox accepts.
pub const USER_NAME: &str = "api.user";
pub const PASSWORD: &str = "sandbox-pcc-password";
/// Bytes of each seeded recording (a short WAV file).
pub const RECORDING_BYTES: usize = 4_044;
/// The call id of the archive record with a large recording, when one is configured.
pub const LARGE_CALL_ID: u64 = 99_999;

type Params = BTreeMap<String, String>;

/// Whether a JSON id (a number or a string) is the id a path names.
fn same_id(v: &Value, id: &str) -> bool {
    match v {
        Value::String(s) => s == id,
        Value::Number(n) => n.as_u64().is_some_and(|n| id.parse() == Ok(n)),
        _ => false,
    }
}

/// Seeded data; writes are kept.
#[derive(Debug, Clone)]
pub struct Seed {
    pub users: Vec<Value>,
    pub archive: Vec<Value>,
    pub scheduled_tasks: BTreeMap<u64, Value>,
    /// E-tasks and other requests, by request id.
    pub requests: BTreeMap<u64, Value>,
    pub missed_calls: Vec<Value>,
    pub contacts: Vec<Value>,
    /// Appointments by catalog contact id.
    pub appointments: BTreeMap<u64, Vec<Value>>,
    /// System properties by group.
    pub properties: BTreeMap<String, Vec<Value>>,
    /// Profile elements by (user, profile).
    pub elements: BTreeMap<(u64, u64), Vec<Value>>,
    pub timezone: String,
    /// Sent SMS and e-mails, callouts, events, commands: what the writes asked for.
    pub sent: Vec<Value>,
    next_id: u64,
}

const NAMES: &[&str] = &[
    "Api User",
    "Ada Berg",
    "Jonas Lie",
    "Mette Dahl",
    "Omar Haddad",
    "Sara Nilsen",
];
const STATUSES: &[(&str, &str)] = &[
    ("LoggedOn", "Busy"),
    ("LoggedOn", "Available"),
    ("Pause", "Pause"),
    ("LoggedOn", "WrapUp"),
    ("LoggedOff", "LoggedOff"),
    ("LoggedOn", "Available"),
];
const FIRST_NAMES: &[&str] = &["Kari", "Per", "Liv", "Nils"];
const LAST_NAMES: &[&str] = &["Nordmann", "Hansen", "Olsen", "Berg"];
const QUALITIES: &[&str] = &["Language", "Product"];
const QUEUES: &[(u64, &str, &str)] = &[
    (101, "q_support", "Support"),
    (102, "q_sales", "Sales"),
    (103, "q_billing", "Billing"),
    (104, "q_email", "E-mail"),
];

impl Seed {
    pub fn new() -> Self {
        let users = NAMES
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let id = USER_ID + i as u64;
                let (cc, status) = STATUSES[i];
                json!({
                    "id": id,
                    "userName": name.to_lowercase().replace(' ', "."),
                    "fullName": name,
                    "firstName": name.split(' ').next(),
                    "lastName": name.split(' ').nth(1),
                    "userGroupName": if i % 2 == 0 { "Support" } else { "Sales" },
                    "profileName": "Phone and chat",
                    "chatState": "Undefined",
                    "currentProfileId": 500 + id,
                    "contactCentreStatus": cc,
                    "sessionTime": "2026-11-30T08:00:00.000Z",
                    "joined": cc != "LoggedOff",
                    "userStatus": status,
                    "pauseTypeId": if status == "Pause" { json!(2) } else { Value::Null },
                    "languageId": 1,
                    "profiles": [profile(id)],
                    "chatCapacityMaxParallel": 3,
                    "chatPhoneThreshold": 1,
                    "chatConnected": 0,
                    "chatConnecting": 0,
                    "eMail": format!("{}@acme.example", name.to_lowercase().replace(' ', ".")),
                    "mobilePhone": format!("+47900000{:02}", i),
                })
            })
            .collect();
        let archive = (0..12u64)
            .map(|i| {
                let call_id = 70_001 + i;
                let day = 27 + i / 4;
                let recordings = if i % 3 == 2 { 2 } else { 1 };
                archive_record(
                    call_id,
                    &format!("2026-11-{day:02}T{:02}:15:00.000Z", 8 + i % 8),
                    QUEUES[(i % 4) as usize].1,
                    recordings,
                    RECORDING_BYTES as u64,
                )
            })
            .collect();
        let scheduled_tasks = (1..=3u64)
            .map(|i| {
                (
                    600 + i,
                    json!({
                        "id": 600 + i,
                        "contactId": format!("c-{i}"),
                        "name": NAMES[i as usize],
                        "description": "Call back about the invoice",
                        "phone": format!("+4722000{i:03}"),
                        "duration": 0,
                        "queueId": QUEUES[0].0,
                        "queueKey": QUEUES[0].1,
                        "scheduledDateTime": format!("2026-12-0{i}T10:00:00"),
                        "reservedUserId": USER_ID + i,
                        "reservedUserName": NAMES[i as usize],
                        "title": "Callback",
                        "variables": [{"name": "orderId", "value": format!("A-{i}")}],
                    }),
                )
            })
            .collect();
        let requests = (1..=2u64)
            .map(|i| {
                let id = 800 + i;
                (
                    id,
                    etask(
                        id,
                        &json!({"From": format!("customer{i}@example.com"), "To": "support@acme.example", "Subject": format!("Order {i}"), "Uri": format!("https://crm.example/cases/{i}"), "VipScore": 10 * i, "reservedUserId": if i == 2 { json!(USER_ID) } else { Value::Null }}),
                    ),
                )
            })
            .collect();
        let missed_calls = (0..6u64)
            .map(|i| {
                let (queue_id, _, queue_name) = QUEUES[(i % 2) as usize];
                json!({
                    "queueId": queue_id,
                    "queueName": queue_name,
                    "requestId": 900 + i,
                    "requestRemoteAddress": format!("+4791000{i:03}"),
                    "destination": "+4721000000",
                    "queueEntered": format!("2026-11-30T{:02}:0{i}:00.000Z", 9 + i),
                    "inQueueSeconds": 30 + 15 * i,
                    "category": "Phone",
                    "description": "",
                    "reservedUserId": Value::Null,
                    "mediaType": "Phone",
                    "tagLevel": 0,
                    "userIdTagged": Value::Null,
                    "userNameTagged": Value::Null,
                    "dateTimeTagged": Value::Null,
                })
            })
            .collect();
        let contacts = (1..=4u64)
            .map(|i| {
                json!({
                    "id": 300 + i,
                    "firstName": FIRST_NAMES[i as usize - 1],
                    "lastName": LAST_NAMES[i as usize - 1],
                    "title": "Account manager",
                    "info": "",
                    "organizationId": 40,
                    "organizationName": "Acme",
                    "organizationPath": "Acme|Sales",
                    "services": [],
                    "isCalenderBusy": i == 2,
                    "azureObjectId": Value::Null,
                    "communicationPoints": [
                        {"communicationType": "Phone", "remoteAddress": format!("+472100{i:04}"), "status": "Available"},
                        {"communicationType": "EMail", "remoteAddress": format!("contact{i}@acme.example"), "status": "Available"},
                    ],
                })
            })
            .collect();
        let appointments = [(301u64, 2), (302, 1)]
            .into_iter()
            .map(|(contact, n)| {
                let list = (0..n)
                    .map(|k| {
                        json!({
                            "id": contact * 10 + k,
                            "subject": "Customer meeting",
                            "location": "Oslo",
                            "beginTime": format!("2026-12-0{}T09:00:00+01:00", k + 1),
                            "endTime": format!("2026-12-0{}T10:00:00+01:00", k + 1),
                            "description": "",
                            "durationMinute": 60,
                            "isPrivate": false,
                            "isAvailable": false,
                            "source": "Exchange",
                            "absence": false,
                        })
                    })
                    .collect();
                (contact, list)
            })
            .collect();
        let properties = BTreeMap::from([
            (
                "prof_call".to_owned(),
                vec![
                    json!({"key": "prof_callout_orig_num_list", "value": "+4721000000;+4721000001", "typeId": 1}),
                    json!({"key": "prof_callout_max_attempts", "value": "3", "typeId": 2}),
                ],
            ),
            (
                "prof_chat".to_owned(),
                vec![json!({"key": "prof_chat_greeting", "value": "Hello!", "typeId": 1})],
            ),
        ]);
        Seed {
            users,
            archive,
            scheduled_tasks,
            requests,
            missed_calls,
            contacts,
            appointments,
            properties,
            elements: BTreeMap::new(),
            timezone: "W. Europe Standard Time".to_owned(),
            sent: Vec::new(),
            next_id: 10_000,
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn user(&self, id: &str) -> Option<&Value> {
        self.users.iter().find(|u| same_id(&u["id"], id))
    }

    pub fn archive_record(&self, call_id: &str) -> Option<&Value> {
        self.archive.iter().find(|r| same_id(&r["callId"], call_id))
    }
}

impl Default for Seed {
    fn default() -> Self {
        Seed::new()
    }
}

fn profile(user: u64) -> Value {
    json!({
        "id": 500 + user,
        "number": 1,
        "lastPhoneNumber": "+4721000000",
        "phoneNumber": "+4721000000",
        "phoneType": "None",
        "name": "Phone and chat",
        "groupProfile": false,
        "qualities": [service_quality(1)],
    })
}

fn service_quality(n: u64) -> Value {
    json!({
        "id": 40 + n,
        "number": n,
        "description": QUALITIES[(n as usize - 1) % 2],
        "serviceId": 11,
        "elements": [{"id": 400 + n * 10, "name": "Norwegian", "userLevel": 1}, {"id": 401 + n * 10, "name": "English", "userLevel": 2}],
    })
}

fn archive_record(
    call_id: u64,
    start: &str,
    queue_key: &str,
    recordings: u64,
    bytes: u64,
) -> Value {
    let entries: Vec<Value> = (0..recordings)
        .map(|index| {
            json!({
                "index": index,
                "fileName": recording_name(call_id, index),
                "contentType": "audio/wav",
                "bytes": bytes,
                "lengthSeconds": bytes / 8_000,
            })
        })
        .collect();
    json!({
        "callId": call_id,
        "iqSessionId": call_id.to_string(),
        "recordStart": start,
        "accessPoint": "+4721000000",
        "queueKey": queue_key,
        "agentUserId": USER_ID + call_id % 6,
        "remoteAddress": format!("+479100{:04}", call_id % 10_000),
        "recordingType": "Audio",
        "contentAvailable": true,
        "surveyExist": call_id % 2 == 1,
        "enquiryRegistrationExists": call_id.is_multiple_of(2),
        "entries": entries,
        "tags": [],
        "comment": "",
    })
}

/// The file name of a recording (the one `Content-Disposition` gives).
pub fn recording_name(call_id: u64, index: u64) -> String {
    format!("recording-{call_id}-{index}.wav")
}

/// The bytes of a recording: a WAV header for 8 kHz mono 8-bit audio of `len` bytes in all,
/// then a tone that depends on the call and the index, so every file differs.
pub fn recording_bytes(call_id: u64, index: u64, len: usize) -> Vec<u8> {
    recording_chunk(call_id, index, len, 0, len)
}

/// Bytes `start..start + n` of the recording (the file is generated, not stored), to check a
/// large download piece by piece.
pub fn recording_chunk(call_id: u64, index: u64, len: usize, start: usize, n: usize) -> Vec<u8> {
    let data = (len.saturating_sub(44)) as u32;
    let mut header = Vec::with_capacity(44);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&(data + 36).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes());
    header.extend_from_slice(&8_000u32.to_le_bytes());
    header.extend_from_slice(&8_000u32.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes());
    header.extend_from_slice(&8u16.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data.to_le_bytes());
    let period = 8 + (call_id + index) % 24;
    (start..(start + n).min(len))
        .map(|i| match header.get(i) {
            Some(b) => *b,
            None => 128 + ((i as u64 % period) * 96 / period) as u8,
        })
        .collect()
}

fn etask(id: u64, data: &Value) -> Value {
    json!({
        "id": id,
        "requestId": id,
        "additionalInfo": Value::Null,
        "queueEntryTime": "2026-11-30T12:00:01.000Z",
        "reservedUserExpiry": Value::Null,
        "queueId": QUEUES[3].0,
        "mediaType": "EMail",
        "queuePosition": 1,
        "iqSessionId": format!("e-{id}"),
        "type": "mail",
        "from": data["From"],
        "to": data["To"],
        "subject": data["Subject"],
        "uri": data["Uri"],
        "vipScore": data["VipScore"],
        "reservedUserId": data["reservedUserId"],
        "reservedUserWaitTime": data["reservedUserWaitTime"],
        "category": Value::Null,
        "description": Value::Null,
        "queueKey": QUEUES[3].1,
        "variables": [],
        "xdrCopy": false,
        "status": "InQueue",
        "remoteAddress": data["From"],
        "destination": data["To"],
        "requestStart": "2026-11-30T12:00:00.000Z",
        "extendedInformations": [],
        "outboundInfo": Value::Null,
    })
}

/// The emulator's data, tokens and options; clones share them.
#[derive(Debug, Clone)]
pub struct State {
    seed: Arc<RwLock<Seed>>,
    tokens: Tokens,
    logins: Arc<std::sync::atomic::AtomicUsize>,
}

impl Default for State {
    fn default() -> Self {
        State {
            seed: Arc::new(RwLock::new(Seed::new())),
            tokens: Tokens::default(),
            logins: Arc::default(),
        }
    }
}

impl State {
    /// Adds an archive record (call id [`LARGE_CALL_ID`]) whose one recording is `bytes` long,
    /// generated while it is sent.
    pub fn with_large_recording(self, bytes: u64) -> Self {
        self.write().archive.push(archive_record(
            LARGE_CALL_ID,
            "2026-11-30T23:00:00.000Z",
            QUEUES[0].1,
            1,
            bytes,
        ));
        self
    }

    /// Token requests so far (client credentials and logins).
    pub fn token_requests(&self) -> usize {
        self.tokens.requests()
    }

    /// Logins so far (username/password).
    pub fn logins(&self) -> usize {
        self.logins.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every token issued so far expires now.
    pub fn expire_tokens(&self) {
        self.tokens.expire_all();
    }

    /// A copy of the data as it is now.
    pub fn snapshot(&self) -> Seed {
        self.read().clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Seed> {
        self.seed.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Seed> {
        self.seed.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The envelope of a success.
fn ok(result: Value) -> Response {
    Json(json!({ "code": 0, "id": "00000000-0000-0000-0000-000000000000", "message": "", "result": result }))
        .into_response()
}

/// A success whose envelope `id` names what was made (a message, a request).
fn made(id: u64, result: Value) -> Response {
    Json(json!({ "code": 0, "id": id.to_string(), "message": "", "result": result }))
        .into_response()
}

/// A failure the envelope reports with HTTP 200 (a missing record, a refused command).
fn fail(code: i64, message: String) -> Response {
    Json(json!({ "code": code, "id": "", "message": message, "result": Value::Null }))
        .into_response()
}

/// A request the API refuses: HTTP 400 with the envelope.
fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "code": 400, "id": "", "message": message, "result": Value::Null })),
    )
        .into_response()
}

/// Envelope codes of the failures the emulator reports in the body.
pub const NOT_FOUND: i64 = 1004;
pub const INVALID_STATE: i64 = 1009;

fn not_found(what: &str, id: &str) -> Response {
    fail(NOT_FOUND, format!("{what} {id} was not found"))
}

/// The JSON body's members the call needs, or a 400 naming the first missing one.
fn need<'a>(body: &'a Value, keys: &[&str]) -> Result<Vec<&'a Value>, Response> {
    keys.iter()
        .map(|k| match body.get(*k) {
            Some(v) if !v.is_null() && v != "" => Ok(v),
            _ => Err(bad_request(format!("`{k}` is required"))),
        })
        .collect()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn router(state: State) -> Router {
    let ck = "/ContactCentre5/{ck}";
    let me = "/ContactCentre5/{ck}/users/{user}";
    let api = Router::new()
        .route("/ContactCentre5/accesstokeninformation", get(token_info))
        .route(
            "/ContactCentre5/accesstokeninformation/extended",
            get(token_info_extended),
        )
        .route("/ContactCentre5/systemdatetime", get(system_date_time))
        .route("/ContactCentre5/accesstoken/logout", post(logout))
        .route(&format!("{ck}/usergroups"), get(user_groups))
        .route(
            &format!("{ck}/scheduledtasks/search"),
            post(search_scheduled_tasks),
        )
        .route(&format!("{ck}/scheduledtasks"), post(create_scheduled_task))
        .route(
            &format!("{ck}/scheduledtasks/{{id}}"),
            get(get_scheduled_task)
                .put(update_scheduled_task)
                .delete(delete_scheduled_task),
        )
        .route(&format!("{me}/sms"), post(send))
        .route(&format!("{me}/email"), post(send))
        .route(&format!("{me}/archive/search"), post(search_archive))
        .route(&format!("{me}/archive/{{call}}"), delete(delete_archive))
        .route(
            &format!("{me}/archive/{{call}}/stream/{{id}}"),
            get(archive_stream),
        )
        .route(
            &format!("{me}/archive/{{call}}/recordings/{{index}}/download"),
            get(recording_download),
        )
        .route(
            &format!("{me}/archive/{{call}}/enquiryregistration"),
            get(archive_enquiry),
        )
        .route(
            &format!("{me}/archive/{{call}}/survey"),
            get(archive_survey),
        )
        .route(
            &format!("{me}/archive/{{call}}/tags"),
            axum::routing::put(archive_tags),
        )
        .route(&format!("{ck}/archive/auditlog/search"), post(audit_log))
        .route(&format!("{ck}/catalog/timezone"), get(timezone))
        .route(
            &format!("{ck}/catalog/timezone/{{id}}"),
            axum::routing::put(set_timezone),
        )
        .route(
            &format!("{me}/catalog/contacts/search"),
            post(search_contacts),
        )
        .route(
            &format!("{me}/catalog/contacts/{{contact}}"),
            get(get_contact),
        )
        .route(
            &format!("{me}/catalog/contacts/{{contact}}/appointments"),
            get(list_appointments).post(create_appointment),
        )
        .route(
            &format!("{me}/catalog/contacts/{{contact}}/appointments/{{id}}"),
            axum::routing::put(update_appointment).delete(delete_appointment),
        )
        .route(
            &format!("{ck}/accesspoints/ticker/{{window}}"),
            get(access_point_ticker),
        )
        .route(
            &format!("{ck}/users/stateinformation/{{window}}"),
            get(state_information),
        )
        .route(me, get(user))
        .route(&format!("{me}/personalqueue"), get(personal_queue))
        .route(&format!("{me}/requests/connected"), get(connected_requests))
        .route(&format!("{me}/stateinformation"), get(user_state))
        .route(
            &format!("{me}/stateinformation/extended"),
            get(user_state_extended),
        )
        .route(&format!("{me}/ticker/{{window}}"), get(agent_stats))
        .route(&format!("{me}/visualqueues"), get(user_visual_queues))
        .route(&format!("{me}/visualqueues/{{vq}}"), get(user_visual_queue))
        .route(&format!("{ck}/visualqueues"), get(visual_queues))
        .route(
            &format!("{ck}/visualqueues/{{vq}}/info/{{result}}"),
            get(visual_queue_info),
        )
        .route(
            &format!("{ck}/visualqueues/stateinformation/{{result}}"),
            get(visual_queue_state),
        )
        .route(
            &format!("{ck}/visualqueues/ticker/{{window}}/{{result}}"),
            get(visual_queue_ticker),
        )
        .route(
            &format!("{ck}/etasks/{{id}}"),
            get(get_request).put(update_etask).delete(delete_request),
        )
        .route(&format!("{ck}/requests"), post(create_etask))
        .route(
            &format!("{ck}/requests/{{id}}"),
            get(get_request).delete(delete_request),
        )
        .route(
            "/ContactCentre5/customers/{ck}/requests/{id}/update",
            post(update_request_variables),
        )
        .route(
            &format!("{ck}/requests/{{id}}/extendedinformation"),
            get(request_history),
        )
        .route(
            &format!("{ck}/queues/{{queue}}/missedcalls"),
            get(queue_missed_calls),
        )
        .route(
            &format!("{ck}/missedcalls/{{id}}/tag"),
            post(tag_missed_call),
        )
        .route(&format!("{me}/missedcalls"), get(user_missed_calls))
        .route(
            &format!("{me}/requests/{{id}}"),
            get(get_user_request).delete(cancel_reservation),
        )
        .route(&format!("{me}/requests/{{id}}/reserve"), post(reserve))
        .route(&format!("{me}/requests/{{id}}/events"), post(request_event))
        .route(&format!("{me}/calllog"), get(call_log))
        .route(&format!("{me}/callout"), post(callout))
        .route(&format!("{me}/callout/{{id}}"), delete(cancel_callout))
        .route(&format!("{me}/enquiryregistration"), post(register_enquiry))
        .route(
            &format!("{me}/enquiryregistration/categories/{{result}}"),
            get(enquiry_categories),
        )
        .route(&format!("{me}/outbound/feedback"), post(outbound_feedback))
        .route(&format!("{me}/session/recording"), get(session_recordings))
        .route(
            &format!("{me}/session/recording/command"),
            post(recording_command),
        )
        .route(
            &format!("{me}/sessions/{{session}}/command"),
            post(session_command),
        )
        .route(&format!("{ck}/languages"), get(languages))
        .route(
            &format!("{ck}/properties/{{group}}"),
            get(list_properties).post(create_property),
        )
        .route(
            &format!("{ck}/properties/{{group}}/{{key}}"),
            get(get_property),
        )
        .route(&format!("{ck}/queues"), get(queues))
        .route(&format!("{ck}/services"), get(services))
        .route(&format!("{ck}/servicequalities"), get(service_qualities))
        .route(&format!("{me}/session/servicelabel"), get(service_labels))
        .route(
            &format!("{me}/session/servicelabel/search"),
            post(search_service_labels),
        )
        .route(&format!("{ck}/accesslog"), get(access_log))
        .route(&format!("{ck}/changelog/search"), post(change_log))
        .route(&format!("{ck}/pausetypes"), get(pause_types))
        .route(&format!("{me}/profiles/{{profile}}"), get(get_profile))
        .route(
            &format!("{me}/profiles/{{profile}}/elements"),
            post(add_element),
        )
        .route(
            &format!("{me}/profiles/{{profile}}/elements/{{element}}"),
            delete(remove_element),
        )
        .route(&format!("{me}/iqsession"), get(iq_session))
        .route(&format!("{me}/usersavailable"), get(users_available))
        .route(&format!("{me}/query"), post(query_users))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize,
        ));
    Router::new()
        .route("/id/connect/token", post(token))
        .route("/api/Authenticate/LogIn", post(login))
        .merge(api)
        .with_state(state)
}

/// Every API call needs a live token, and a customer key the token is for.
async fn authorize(AxumState(state): AxumState<State>, request: Request, next: Next) -> Response {
    if state.tokens.scopes(request.headers()).is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "code": 401, "id": "", "message": "The access token is missing, invalid or expired", "result": Value::Null })),
        )
            .into_response();
    }
    let segments: Vec<&str> = request.uri().path().split('/').skip(2).collect();
    let key = match segments.as_slice() {
        [
            "accesstokeninformation" | "systemdatetime" | "accesstoken",
            ..,
        ] => None,
        ["customers", key, ..] => Some(*key),
        [key, ..] => Some(*key),
        [] => None,
    };
    if let Some(key) = key
        && key != CUSTOMER_KEY
    {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "code": 403, "id": "", "message": format!("The access token is not valid for customer {key}"), "result": Value::Null })),
        )
            .into_response();
    }
    next.run(request).await
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
    let scope = request.field("scope").unwrap_or_default().to_owned();
    let expected = format!("contact-centre:{CUSTOMER_KEY}:{USER_ID}");
    if request.field("grant_type") != Some("client_credentials") || scope != expected {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_scope", "error_description": format!("the client may ask for `{expected}`") })),
        )
            .into_response();
    }
    let (access_token, lifetime) = state.tokens.issue(
        "sandbox-pcc-token",
        vec![scope.clone()],
        Duration::from_secs(900),
    );
    Json(json!({
        "access_token": access_token,
        "expires_in": lifetime.as_secs(),
        "token_type": "Bearer",
        "scope": scope,
    }))
    .into_response()
}

async fn login(AxumState(state): AxumState<State>, Json(body): Json<Value>) -> Response {
    state.tokens.requested();
    state
        .logins
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let given = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    if given("customerKey") != CUSTOMER_KEY
        || given("userName") != USER_NAME
        || given("password") != PASSWORD
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "The user name or password is incorrect" })),
        )
            .into_response();
    }
    let (access_token, _) = state.tokens.issue(
        "sandbox-pcc-session",
        vec!["contact-centre".into()],
        Duration::from_secs(3_600),
    );
    Json(json!({
        "accessToken": access_token,
        "refreshToken": { "customerKey": CUSTOMER_KEY, "sessionId": format!("session-{}", state.logins()), "expiryDate": "2026-12-31T21:26:50.51" },
        "languageCode": "EN",
        "twoFactorRequired": false,
        "twoFactor": Value::Null,
        "logoutFromExternalIdentityProvider": false,
    }))
    .into_response()
}

/// A handler's JSON body.
type JsonBody = Json<Value>;

async fn token_info() -> Response {
    ok(json!({
        "customerKey": CUSTOMER_KEY,
        "customerId": 9_001,
        "userGroupId": 1,
        "userId": USER_ID,
        "languageId": 1,
        "languageCode": "EN",
        "passwordValidDaysLeft": 90,
        "accessTokenExpiry": "2026-12-01T23:59:59.000Z",
    }))
}

async fn token_info_extended() -> Response {
    ok(json!({
        "customerKey": CUSTOMER_KEY,
        "userId": USER_ID,
        "accessTokenExpiry": "2026-12-01T23:59:59.000Z",
        "language": {"id": 1, "code": "EN", "description": "English"},
        "pauseTypes": pause_type_list(),
        "queues": queue_list(),
    }))
}

async fn system_date_time() -> Response {
    ok(json!("2026-12-01T12:00:00.000Z"))
}

async fn logout(AxumState(state): AxumState<State>) -> Response {
    state.tokens.expire_all();
    ok(Value::Null)
}

async fn user_groups() -> Response {
    ok(
        json!([{"id": 1, "name": "Support"}, {"id": 2, "name": "Sales"}, {"id": 3, "name": "Back office"}]),
    )
}

async fn search_scheduled_tasks(
    AxumState(state): AxumState<State>,
    Json(body): JsonBody,
) -> Response {
    let seed = state.read();
    let field = |k: &str| body.get(k).filter(|v| !v.is_null()).map(text);
    let found: Vec<Value> = seed
        .scheduled_tasks
        .values()
        .filter(|t| field("queueId").is_none_or(|q| same_id(&t["queueId"], &q)))
        .filter(|t| field("reservedUserId").is_none_or(|u| same_id(&t["reservedUserId"], &u)))
        .filter(|t| {
            field("fromDate").is_none_or(|f| text(&t["scheduledDateTime"]).as_str() >= local(&f))
        })
        .filter(|t| {
            field("toDate").is_none_or(|f| text(&t["scheduledDateTime"]).as_str() <= local(&f))
        })
        .cloned()
        .collect();
    ok(json!(found))
}

/// A time's `yyyy-MM-ddTHH:mm:ss` part, as scheduled tasks keep their (zone-less) times.
fn local(t: &str) -> &str {
    t.get(..19).unwrap_or(t)
}

const TASK_FIELDS: &[&str] = &[
    "queueKey",
    "scheduledDateTime",
    "name",
    "phone",
    "contactId",
    "title",
    "description",
    "reservedUserId",
    "variables",
];

async fn create_scheduled_task(
    AxumState(state): AxumState<State>,
    Json(body): JsonBody,
) -> Response {
    if let Err(r) = need(&body, &["queueKey", "scheduledDateTime"]) {
        return r;
    }
    let mut seed = state.write();
    let Some((queue_id, _, _)) = QUEUES.iter().find(|q| body["queueKey"] == q.1) else {
        return fail(
            NOT_FOUND,
            format!("queue {} was not found", text(&body["queueKey"])),
        );
    };
    let id = seed.next_id();
    let mut task =
        json!({"id": id, "queueId": queue_id, "duration": 0, "reservedUserName": Value::Null});
    for k in TASK_FIELDS {
        task[*k] = body.get(*k).cloned().unwrap_or(Value::Null);
    }
    seed.scheduled_tasks.insert(id, task);
    made(id, json!(id))
}

async fn get_scheduled_task(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, u64)>,
) -> Response {
    match state.read().scheduled_tasks.get(&id) {
        Some(t) => ok(t.clone()),
        None => not_found("scheduled task", &id.to_string()),
    }
}

async fn update_scheduled_task(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, u64)>,
    Json(body): JsonBody,
) -> Response {
    let mut seed = state.write();
    let Some(task) = seed.scheduled_tasks.get_mut(&id) else {
        return not_found("scheduled task", &id.to_string());
    };
    for k in TASK_FIELDS {
        if let Some(v) = body.get(*k) {
            task[*k] = v.clone();
        }
    }
    ok(task.clone())
}

async fn delete_scheduled_task(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, u64)>,
) -> Response {
    match state.write().scheduled_tasks.remove(&id) {
        Some(_) => ok(Value::Null),
        None => not_found("scheduled task", &id.to_string()),
    }
}

/// What a user path names: a seeded user, or the envelope's not found.
fn acting(seed: &Seed, user: &str) -> Result<Value, Response> {
    seed.user(user)
        .cloned()
        .ok_or_else(|| not_found("user", user))
}

async fn send(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    uri: axum::http::Uri,
    Json(body): JsonBody,
) -> Response {
    let sms = uri.path().ends_with("/sms");
    let required: &[&str] = if sms {
        &["to", "message"]
    } else {
        &["to", "subject", "body"]
    };
    if let Err(r) = need(&body, required) {
        return r;
    }
    let mut seed = state.write();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    let id = seed.next_id();
    seed.sent.push(
        json!({"kind": if sms { "sms" } else { "email" }, "id": id, "user": user, "body": body}),
    );
    made(id, Value::Null)
}

async fn search_archive(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    let [from, to] = match need(&body, &["fromTime", "toTime"]) {
        Ok(v) => [text(v[0]), text(v[1])],
        Err(r) => return r,
    };
    let (Ok(from), Ok(to)) = (
        from.parse::<jiff::Timestamp>(),
        to.parse::<jiff::Timestamp>(),
    ) else {
        return bad_request("`fromTime` and `toTime` must be ISO 8601 times with an offset".into());
    };
    let seed = state.read();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    let field = |k: &str| body.get(k).filter(|v| !v.is_null()).map(text);
    let max = body
        .get("maxMatches")
        .and_then(Value::as_u64)
        .unwrap_or(500) as usize;
    let found: Vec<Value> = seed
        .archive
        .iter()
        .filter(|r| {
            text(&r["recordStart"])
                .parse::<jiff::Timestamp>()
                .is_ok_and(|t| t >= from && t <= to)
        })
        .filter(|r| field("queueKey").is_none_or(|q| text(&r["queueKey"]) == q))
        .filter(|r| field("agentUserId").is_none_or(|u| same_id(&r["agentUserId"], &u)))
        .filter(|r| field("remoteAddress").is_none_or(|a| text(&r["remoteAddress"]) == a))
        .take(max)
        .cloned()
        .collect();
    ok(json!(found))
}

async fn delete_archive(
    AxumState(state): AxumState<State>,
    Path((_, user, call)): Path<(String, String, String)>,
) -> Response {
    let mut seed = state.write();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    let before = seed.archive.len();
    seed.archive.retain(|r| !same_id(&r["callId"], &call));
    if seed.archive.len() == before {
        return not_found("archive record", &call);
    }
    ok(Value::Null)
}

/// A recording, sent as a stream of generated chunks.
fn file_response(state: &State, user: &str, call: &str, index: &str) -> Response {
    let seed = state.read();
    if let Err(r) = acting(&seed, user) {
        return r;
    }
    let Some(record) = seed.archive_record(call) else {
        return not_found("archive record", call);
    };
    let Some(entry) = record["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| same_id(&e["index"], index)))
    else {
        return not_found("recording", &format!("{call}/{index}"));
    };
    let (call_id, index) = (
        record["callId"].as_u64().unwrap_or_default(),
        entry["index"].as_u64().unwrap_or_default(),
    );
    let len = entry["bytes"].as_u64().unwrap_or_default() as usize;
    let name = text(&entry["fileName"]);
    drop(seed);
    const CHUNK: usize = 64 * 1024;
    let chunks = futures::stream::iter((0..len.div_ceil(CHUNK)).map(move |k| {
        Ok::<_, std::io::Error>(axum::body::Bytes::from(recording_chunk(
            call_id,
            index,
            len,
            k * CHUNK,
            CHUNK,
        )))
    }));
    Response::builder()
        .header(header::CONTENT_TYPE, "audio/wav")
        .header(header::CONTENT_LENGTH, len)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(Body::from_stream(chunks))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn archive_stream(
    AxumState(state): AxumState<State>,
    Path((_, user, call, id)): Path<(String, String, String, String)>,
) -> Response {
    file_response(&state, &user, &call, &id)
}

async fn recording_download(
    AxumState(state): AxumState<State>,
    Path((_, user, call, index)): Path<(String, String, String, String)>,
) -> Response {
    file_response(&state, &user, &call, &index)
}

async fn archive_enquiry(
    AxumState(state): AxumState<State>,
    Path((_, user, call)): Path<(String, String, String)>,
) -> Response {
    let seed = state.read();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    match seed.archive_record(&call) {
        Some(r) if r["enquiryRegistrationExists"] == true => ok(json!({
            "id": format!("er-{call}"),
            "time": r["recordStart"],
            "agentId": r["agentUserId"],
            "agentName": NAMES[(r["agentUserId"].as_u64().unwrap_or(USER_ID).saturating_sub(USER_ID)) as usize % NAMES.len()],
            "queueKey": r["queueKey"],
            "queueDescription": "Support",
            "categories": [{"id": 1, "name": "Billing", "topics": [{"id": 11, "name": "Invoice"}]}],
        })),
        Some(_) => not_found("enquiry registration of call", &call),
        None => not_found("archive record", &call),
    }
}

async fn archive_survey(
    AxumState(state): AxumState<State>,
    Path((_, user, call)): Path<(String, String, String)>,
) -> Response {
    let seed = state.read();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    match seed.archive_record(&call) {
        Some(r) if r["surveyExist"] == true => ok(json!({
            "callId": r["callId"],
            "score": r["callId"].as_u64().unwrap_or_default() % 11,
            "comment": "Quick and friendly",
            "time": r["recordStart"],
        })),
        Some(_) => not_found("survey of call", &call),
        None => not_found("archive record", &call),
    }
}

async fn archive_tags(
    AxumState(state): AxumState<State>,
    Path((_, user, call)): Path<(String, String, String)>,
    Json(body): JsonBody,
) -> Response {
    let tags = match need(&body, &["tags"]) {
        Ok(v) => v[0].clone(),
        Err(r) => return r,
    };
    if !tags
        .as_array()
        .is_some_and(|t| t.iter().all(Value::is_string))
    {
        return bad_request("`tags` must be a list of strings".into());
    }
    let mut seed = state.write();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    match seed
        .archive
        .iter_mut()
        .find(|r| same_id(&r["callId"], &call))
    {
        Some(record) => {
            record["tags"] = tags;
            ok(Value::Null)
        }
        None => not_found("archive record", &call),
    }
}

async fn audit_log(Json(body): JsonBody) -> Response {
    let all = vec![
        json!({"id": 1, "dateTime": "2026-11-28T10:00:00.000Z", "operation": "Listen", "iqSessionId": "70001", "recIndex": 0, "mediaType": "Phone", "userId": USER_ID}),
        json!({"id": 2, "dateTime": "2026-11-29T11:00:00.000Z", "operation": "Download", "iqSessionId": "70002", "recIndex": 0, "mediaType": "Phone", "userId": USER_ID + 1}),
        json!({"id": 3, "dateTime": "2026-11-30T12:00:00.000Z", "operation": "Delete", "iqSessionId": "70003", "recIndex": 1, "mediaType": "Phone", "userId": USER_ID}),
    ];
    let op = body.get("operation").and_then(Value::as_str);
    ok(json!(
        all.into_iter()
            .filter(|e| op.is_none_or(|o| e["operation"] == o))
            .collect::<Vec<_>>()
    ))
}

async fn timezone(AxumState(state): AxumState<State>) -> Response {
    ok(json!({
        "current": state.read().timezone,
        "available": [
            {"id": "W. Europe Standard Time", "description": "(UTC+01:00) Amsterdam, Berlin, Oslo, Stockholm"},
            {"id": "GMT Standard Time", "description": "(UTC+00:00) Dublin, Edinburgh, Lisbon, London"},
            {"id": "FLE Standard Time", "description": "(UTC+02:00) Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius"},
        ],
    }))
}

async fn set_timezone(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    if ![
        "W. Europe Standard Time",
        "GMT Standard Time",
        "FLE Standard Time",
    ]
    .contains(&id.as_str())
    {
        return not_found("time zone", &id);
    }
    state.write().timezone = id;
    ok(Value::Null)
}

async fn search_contacts(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    let needle = match need(&body, &["searchString"]) {
        Ok(v) => text(v[0]).to_lowercase(),
        Err(r) => return r,
    };
    let seed = state.read();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    let found: Vec<Value> = seed
        .contacts
        .iter()
        .filter(|c| c.to_string().to_lowercase().contains(&needle))
        .cloned()
        .collect();
    ok(json!(found))
}

async fn get_contact(
    AxumState(state): AxumState<State>,
    Path((_, user, contact)): Path<(String, String, String)>,
) -> Response {
    let seed = state.read();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    match seed.contacts.iter().find(|c| same_id(&c["id"], &contact)) {
        Some(c) => ok(c.clone()),
        None => not_found("catalog contact", &contact),
    }
}

fn contact_id(seed: &Seed, user: &str, contact: &str) -> Result<u64, Response> {
    acting(seed, user)?;
    seed.contacts
        .iter()
        .find(|c| same_id(&c["id"], contact))
        .and_then(|c| c["id"].as_u64())
        .ok_or_else(|| not_found("catalog contact", contact))
}

async fn list_appointments(
    AxumState(state): AxumState<State>,
    Path((_, user, contact)): Path<(String, String, String)>,
    Query(query): Query<Params>,
) -> Response {
    let (Some(from), Some(to)) = (query.get("from"), query.get("to")) else {
        return bad_request("`from` and `to` are required".into());
    };
    let (Ok(from), Ok(to)) = (
        from.parse::<jiff::Timestamp>(),
        to.parse::<jiff::Timestamp>(),
    ) else {
        return bad_request("`from` and `to` must be ISO 8601 times with an offset".into());
    };
    let seed = state.read();
    let id = match contact_id(&seed, &user, &contact) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let found: Vec<Value> = seed
        .appointments
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|a| {
            text(&a["beginTime"])
                .parse::<jiff::Timestamp>()
                .is_ok_and(|t| t >= from && t <= to)
        })
        .cloned()
        .collect();
    ok(json!(found))
}

const APPOINTMENT_FIELDS: &[&str] = &[
    "subject",
    "beginTime",
    "endTime",
    "location",
    "description",
    "isPrivate",
    "isAvailable",
];

async fn create_appointment(
    AxumState(state): AxumState<State>,
    Path((_, user, contact)): Path<(String, String, String)>,
    Json(body): JsonBody,
) -> Response {
    if let Err(r) = need(&body, &["subject", "beginTime", "endTime"]) {
        return r;
    }
    let mut seed = state.write();
    let contact = match contact_id(&seed, &user, &contact) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let id = seed.next_id();
    let mut appointment = json!({"id": id, "source": "Puzzel", "absence": false, "durationMinute": Value::Null, "isPrivate": false, "isAvailable": false, "location": "", "description": ""});
    for k in APPOINTMENT_FIELDS {
        if let Some(v) = body.get(*k) {
            appointment[*k] = v.clone();
        }
    }
    seed.appointments
        .entry(contact)
        .or_default()
        .push(appointment.clone());
    made(id, appointment)
}

async fn update_appointment(
    AxumState(state): AxumState<State>,
    Path((_, user, contact, id)): Path<(String, String, String, String)>,
    Json(body): JsonBody,
) -> Response {
    let mut seed = state.write();
    let contact = match contact_id(&seed, &user, &contact) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(appointment) = seed
        .appointments
        .entry(contact)
        .or_default()
        .iter_mut()
        .find(|a| same_id(&a["id"], &id))
    else {
        return not_found("appointment", &id);
    };
    for k in APPOINTMENT_FIELDS {
        if let Some(v) = body.get(*k) {
            appointment[*k] = v.clone();
        }
    }
    ok(Value::Null)
}

async fn delete_appointment(
    AxumState(state): AxumState<State>,
    Path((_, user, contact, id)): Path<(String, String, String, String)>,
) -> Response {
    let mut seed = state.write();
    let contact = match contact_id(&seed, &user, &contact) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let list = seed.appointments.entry(contact).or_default();
    let before = list.len();
    list.retain(|a| !same_id(&a["id"], &id));
    if list.len() == before {
        return not_found("appointment", &id);
    }
    ok(Value::Null)
}

fn window(w: &str) -> Result<(), Response> {
    match w {
        "Today" | "Yesterday" | "ThisWeek" => Ok(()),
        other => Err(bad_request(format!(
            "`{other}` is not a ticker period window (Today, Yesterday or ThisWeek)"
        ))),
    }
}

async fn access_point_ticker(Path((_, w)): Path<(String, String)>) -> Response {
    if let Err(r) = window(&w) {
        return r;
    }
    ok(json!([
        {"accesspoint": "+4721000000", "description": "Main number", "requestsOffered": 40, "requestsAnswered": 35, "requestsAbandoned": 5},
        {"accesspoint": "support@acme.example", "description": "Support e-mail", "requestsOffered": 12, "requestsAnswered": 12, "requestsAbandoned": 0},
    ]))
}

fn user_state_of(u: &Value) -> Value {
    json!({
        "userId": u["id"],
        "userName": u["userName"],
        "firstName": u["firstName"],
        "lastName": u["lastName"],
        "userGroupName": u["userGroupName"],
        "contactCentreStatus": u["contactCentreStatus"],
        "userStatus": u["userStatus"],
        "pauseTypeId": u["pauseTypeId"],
        "statusDurationSeconds": 1_260,
        "chatConnected": u["chatConnected"],
        "silentMonitored": false,
        "callsOffered": 12,
        "callsAnswered": 11,
    })
}

async fn state_information(
    AxumState(state): AxumState<State>,
    Path((_, w)): Path<(String, String)>,
    Query(query): Query<Params>,
) -> Response {
    if let Err(r) = window(&w) {
        return r;
    }
    let seed = state.read();
    let group = query.get("userGroupName");
    ok(json!(
        seed.users
            .iter()
            .filter(|u| group.is_none_or(|g| u["userGroupName"] == g.as_str()))
            .map(user_state_of)
            .collect::<Vec<_>>()
    ))
}

/// A read of the acting user's own data.
fn for_user(state: &State, user: &str, f: impl FnOnce(&Seed, &Value) -> Value) -> Response {
    let seed = state.read();
    match acting(&seed, user) {
        Ok(u) => ok(f(&seed, &u)),
        Err(r) => r,
    }
}

async fn user(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |_, u| u.clone())
}

async fn personal_queue(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |seed, u| {
        json!(
            seed.requests
                .values()
                .filter(|r| r["reservedUserId"] == u["id"])
                .map(queued)
                .collect::<Vec<_>>()
        )
    })
}

/// A request as queue views show it.
fn queued(r: &Value) -> Value {
    json!({
        "requestId": r["requestId"],
        "serviceId": 12,
        "timeInQueue": 95,
        "adjustedTimeInQueue": 95,
        "vip": r["vipScore"],
        "mediaType": r["mediaType"],
        "requestRemoteAddress": r["remoteAddress"],
        "destination": r["destination"],
        "reservedUserId": r["reservedUserId"],
        "reservedUserFlag": !r["reservedUserId"].is_null(),
        "reservedUserName": Value::Null,
        "requestStatus": r["status"],
        "sla": 120,
        "ciq": false,
        "category": r["category"],
        "description": r["description"],
        "personalType": if r["reservedUserId"].is_null() { "Undefined" } else { "Pick" },
        "queueId": r["queueId"],
        "callbackScheduledTime": Value::Null,
    })
}

async fn connected_requests(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |_, u| {
        if u["userStatus"] == "Busy" {
            json!([{"requestId": 990, "queueName": QUEUES[0].2, "requestCategory": "Phone", "requestDescription": "Inbound call", "requestRemoteAddress": "+4791000999", "durationSeconds": 125, "userName": u["userName"], "userId": u["id"]}])
        } else {
            json!([])
        }
    })
}

async fn user_state(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |_, u| user_state_of(u))
}

async fn user_state_extended(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |seed, u| {
        json!({
            "userStateInformation": user_state_of(u),
            "systemDateTime": "2026-12-01T12:00:00.000Z",
            "iqSessionStateInformation": iq_session_of(u),
            "recordingInfo": recording_info(),
            "requestPersonalQueueList": seed.requests.values().filter(|r| r["reservedUserId"] == u["id"]).map(queued).collect::<Vec<_>>(),
            "request": Value::Null,
            "pauseDisabledList": [],
        })
    })
}

async fn agent_stats(
    AxumState(state): AxumState<State>,
    Path((_, user, w)): Path<(String, String, String)>,
) -> Response {
    if let Err(r) = window(&w) {
        return r;
    }
    for_user(
        &state,
        &user,
        |_, u| json!({"userId": u["id"], "queuesTotal": {"requestsOffered": 24, "requestsAnswered": 21}, "pause": {"count": 2, "seconds": 1_800}, "overview": {"requestsOffered": 24, "requestsAnswered": 21, "loggedOnSeconds": 14_400, "inPauseSeconds": 1_800}}),
    )
}

fn visual_queue_list() -> Value {
    let queues = |range: std::ops::Range<usize>| {
        QUEUES[range]
            .iter()
            .map(|(id, key, description)| json!({"id": id, "key": key, "description": description, "serviceId": 11}))
            .collect::<Vec<_>>()
    };
    json!([
        {"id": 201, "description": "Front line", "queues": queues(0..2)},
        {"id": 202, "description": "Back office", "queues": queues(2..4)},
    ])
}

fn visual_queue(id: &str) -> Option<Value> {
    visual_queue_list()
        .as_array()?
        .iter()
        .find(|v| same_id(&v["id"], id))
        .cloned()
}

/// The requests waiting in a visual queue's queues.
fn waiting(seed: &Seed, vq: &Value) -> Vec<Value> {
    let ids: Vec<&Value> = vq["queues"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| &q["id"])
        .collect();
    seed.requests
        .values()
        .filter(|r| ids.contains(&&r["queueId"]))
        .map(queued)
        .collect()
}

async fn user_visual_queues(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |seed, _| {
        json!(
            visual_queue_list()
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|vq| waiting(seed, vq))
                .collect::<Vec<_>>()
        )
    })
}

async fn user_visual_queue(
    AxumState(state): AxumState<State>,
    Path((_, user, vq)): Path<(String, String, String)>,
) -> Response {
    let seed = state.read();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    match visual_queue(&vq) {
        Some(v) => ok(json!(waiting(&seed, &v))),
        None => not_found("visual queue", &vq),
    }
}

async fn visual_queues() -> Response {
    ok(visual_queue_list())
}

fn result_selector(result: &str) -> Result<(), Response> {
    match result {
        "All" | "UserRelevant" | "UserDetailsOnly" => Ok(()),
        other => Err(bad_request(format!(
            "`{other}` is not a result selection (All, UserRelevant or UserDetailsOnly)"
        ))),
    }
}

async fn visual_queue_info(
    AxumState(state): AxumState<State>,
    Path((_, vq, result)): Path<(String, String, String)>,
) -> Response {
    if let Err(r) = result_selector(&result) {
        return r;
    }
    let Some(v) = visual_queue(&vq) else {
        return not_found("visual queue", &vq);
    };
    let seed = state.read();
    let on = |status: &str| {
        seed.users
            .iter()
            .filter(|u| u["userStatus"] == status)
            .count()
    };
    let overview = json!({"loggedOn": seed.users.iter().filter(|u| u["contactCentreStatus"] != "LoggedOff").count(), "ready": on("Available"), "busy": on("Busy"), "inPause": on("Pause")});
    let details: Vec<Value> = seed.users.iter().map(user_state_of).collect();
    ok(match result.as_str() {
        "UserDetailsOnly" => {
            json!({"id": v["id"], "usersDetails": details, "usersOverview": Value::Null})
        }
        _ => {
            json!({"id": v["id"], "description": v["description"], "queues": v["queues"], "usersDetails": details, "usersOverview": overview})
        }
    })
}

async fn visual_queue_state(
    Path((_, result)): Path<(String, String)>,
    Query(query): Query<Params>,
) -> Response {
    if let Err(r) = result_selector(&result) {
        return r;
    }
    let states: Vec<Value> = visual_queue_list()
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| query.get("visualQueueId").is_none_or(|id| same_id(&v["id"], id)))
        .map(|v| json!({
            "id": v["id"], "description": v["description"],
            "waitTimeMaxSeconds": 95, "waitTimeAverageSeconds": 32, "queueSize": 3,
            "agentsLoggedOn": 4, "agentsInPause": 1, "agentsReady": 2, "agentsUnavailable": 1, "sla": 92,
            "queueSizeCiq": 1, "unblockedLoggedIn": 4, "unblockedUnavailable": 1, "queueSizePreferred": 0,
            "callsOfferedToday": 58, "callsAnsweredToday": 54, "ciqsOfferedToday": 6, "ciqsAnsweredToday": 5,
            "callsAnsweredWithinSla": 50, "alarmFlag": false, "ciqScheduled": 1, "callsAbandonedToday": 4,
            "callsAbandonedWithinSla": 1, "silentCallsToday": 0,
        }))
        .collect();
    ok(json!(states))
}

async fn visual_queue_ticker(Path((_, w, result)): Path<(String, String, String)>) -> Response {
    if let Err(r) = window(&w).and_then(|_| result_selector(&result)) {
        return r;
    }
    ok(json!([
        {"id": 201, "description": "Front line", "requestsOffered": 58, "requestsAnswered": 54, "ciqsOffered": 6, "ciqsAnswered": 5, "surveyAverageScore": 8.4},
        {"id": 202, "description": "Back office", "requestsOffered": 20, "requestsAnswered": 20, "ciqsOffered": 0, "ciqsAnswered": 0, "surveyAverageScore": 9.1},
    ]))
}

async fn get_request(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, u64)>,
) -> Response {
    match state.read().requests.get(&id) {
        Some(r) => ok(r.clone()),
        None => not_found("request", &id.to_string()),
    }
}

async fn delete_request(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, u64)>,
) -> Response {
    match state.write().requests.remove(&id) {
        Some(_) => ok(Value::Null),
        None => not_found("request", &id.to_string()),
    }
}

/// The documented RequestAdd: `data` is a JSON string with From, To, Subject, Uri, VipScore.
async fn create_etask(AxumState(state): AxumState<State>, Json(body): JsonBody) -> Response {
    let data = match need(&body, &["data", "type"]) {
        Ok(v) => v[0].clone(),
        Err(r) => return r,
    };
    let Some(data) = data
        .as_str()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
    else {
        return bad_request("`data` must be a string holding a JSON object".into());
    };
    if let Err(r) = need(&data, &["From", "To"]) {
        return r;
    }
    let mut seed = state.write();
    let id = seed.next_id();
    seed.requests.insert(id, etask(id, &data));
    made(id, json!(id))
}

async fn update_etask(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, u64)>,
    Json(body): JsonBody,
) -> Response {
    let mut seed = state.write();
    let Some(task) = seed.requests.get_mut(&id) else {
        return not_found("e-task", &id.to_string());
    };
    for k in [
        "subject",
        "uri",
        "vipScore",
        "reservedUserId",
        "category",
        "description",
        "queueKey",
        "variables",
        "xdrCopy",
    ] {
        if let Some(v) = body.get(k) {
            task[k] = v.clone();
        }
    }
    if let Some(s) = body.get("reservedSecondsFromNow") {
        task["reservedUserWaitTime"] = s.clone();
    }
    ok(task.clone())
}

async fn update_request_variables(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, u64)>,
    Json(body): JsonBody,
) -> Response {
    let Some(vars) = body
        .get("requestUpdateObject")
        .and_then(|o| o.get("variables"))
        .filter(|v| v.is_array())
    else {
        return bad_request("`requestUpdateObject.variables` is required".into());
    };
    let mut seed = state.write();
    match seed.requests.get_mut(&id) {
        Some(r) => {
            r["variables"] = vars.clone();
            ok(Value::Null)
        }
        None => not_found("request", &id.to_string()),
    }
}

async fn request_history(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, u64)>,
) -> Response {
    if !state.read().requests.contains_key(&id) {
        return not_found("request", &id.to_string());
    }
    ok(json!([
        {"time": "2026-11-30T12:00:00.000Z", "message": "Entered queue", "fullUserName": "", "userId": Value::Null, "type": "Queue", "userName": ""},
        {"time": "2026-11-30T12:01:30.000Z", "message": "Offered to agent", "fullUserName": NAMES[1], "userId": USER_ID + 1, "type": "Offer", "userName": "ada.berg"},
    ]))
}

async fn queue_missed_calls(
    AxumState(state): AxumState<State>,
    Path((_, queue)): Path<(String, String)>,
) -> Response {
    if !QUEUES.iter().any(|q| q.0.to_string() == queue) {
        return not_found("queue", &queue);
    }
    let seed = state.read();
    ok(json!(
        seed.missed_calls
            .iter()
            .filter(|m| same_id(&m["queueId"], &queue))
            .cloned()
            .collect::<Vec<_>>()
    ))
}

async fn tag_missed_call(
    AxumState(state): AxumState<State>,
    Path((_, id)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    let user = match need(&body, &["userId"]) {
        Ok(v) => text(v[0]),
        Err(r) => return r,
    };
    let mut seed = state.write();
    let Ok(u) = acting(&seed, &user) else {
        return not_found("user", &user);
    };
    let level = body.get("tagLevel").and_then(Value::as_i64).unwrap_or(1);
    let Some(call) = seed
        .missed_calls
        .iter_mut()
        .find(|m| same_id(&m["requestId"], &id))
    else {
        return not_found("missed call", &id);
    };
    if !call["userIdTagged"].is_null() && call["userIdTagged"] != u["id"] {
        return fail(
            INVALID_STATE,
            format!(
                "missed call {id} is already tagged by {}",
                text(&call["userNameTagged"])
            ),
        );
    }
    call["tagLevel"] = json!(level);
    call["userIdTagged"] = u["id"].clone();
    call["userNameTagged"] = u["fullName"].clone();
    call["dateTimeTagged"] = json!("2026-12-01T12:00:00.000Z");
    ok(Value::Null)
}

async fn user_missed_calls(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |seed, _| json!(seed.missed_calls))
}

async fn get_user_request(
    AxumState(state): AxumState<State>,
    Path((_, user, id)): Path<(String, String, u64)>,
) -> Response {
    let seed = state.read();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    match seed.requests.get(&id) {
        Some(r) => ok(json!({
            "requestId": id,
            "remoteAddress": r["remoteAddress"],
            "destination": r["destination"],
            "status": r["status"],
            "queueId": QUEUES[3].0,
            "vip": r["vipScore"],
            "mediaType": "EMail",
            "variables": r["variables"],
            "extendedInformations": r["extendedInformations"],
            "reservedUserId": r["reservedUserId"],
        })),
        None => not_found("request", &id.to_string()),
    }
}

async fn reserve(
    AxumState(state): AxumState<State>,
    Path((_, user, id)): Path<(String, String, u64)>,
) -> Response {
    let mut seed = state.write();
    let u = match acting(&seed, &user) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(r) = seed.requests.get_mut(&id) else {
        return not_found("request", &id.to_string());
    };
    if !r["reservedUserId"].is_null() && r["reservedUserId"] != u["id"] {
        return fail(
            INVALID_STATE,
            format!("request {id} is reserved to another user"),
        );
    }
    r["reservedUserId"] = u["id"].clone();
    ok(Value::Null)
}

async fn cancel_reservation(
    AxumState(state): AxumState<State>,
    Path((_, user, id)): Path<(String, String, u64)>,
) -> Response {
    let mut seed = state.write();
    let u = match acting(&seed, &user) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(r) = seed.requests.get_mut(&id) else {
        return not_found("request", &id.to_string());
    };
    if r["reservedUserId"] != u["id"] {
        return fail(
            INVALID_STATE,
            format!("request {id} is not reserved to user {user}"),
        );
    }
    r["reservedUserId"] = Value::Null;
    ok(Value::Null)
}

/// A write the emulator only records (events, commands, feedback): checked and kept in
/// [`Seed::sent`].
fn record_write(state: &State, user: &str, kind: &str, body: Value, required: &[&str]) -> Response {
    if let Err(r) = need(&body, required) {
        return r;
    }
    let mut seed = state.write();
    if let Err(r) = acting(&seed, user) {
        return r;
    }
    let id = seed.next_id();
    seed.sent
        .push(json!({"kind": kind, "id": id, "user": user, "body": body}));
    made(id, Value::Null)
}

async fn request_event(
    AxumState(state): AxumState<State>,
    Path((_, user, id)): Path<(String, String, u64)>,
    Json(body): JsonBody,
) -> Response {
    if !state.read().requests.contains_key(&id) {
        return not_found("request", &id.to_string());
    }
    record_write(&state, &user, "event", body, &["event"])
}

async fn call_log(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |_, _| {
        json!((0..20u64)
            .map(|i| json!({
                "queueName": QUEUES[(i % 4) as usize].2,
                "queueId": QUEUES[(i % 4) as usize].0,
                "accessPoint": "+4721000000",
                "requestId": 5_000 + i,
                "mediaType": "Phone",
                "callType": if i % 3 == 0 { "Outbound" } else { "Inbound" },
                "requestRemoteAddress": format!("+4791000{i:03}"),
                "answeredAt": format!("2026-11-30T{:02}:{:02}:00.000Z", 8 + i / 3, (i * 7) % 60),
                "speakTimeSeconds": 60 + 13 * i,
            }))
            .collect::<Vec<_>>())
    })
}

async fn callout(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    if let Err(r) = need(&body, &["destination"]) {
        return r;
    }
    let mut seed = state.write();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    let id = seed.next_id();
    let request = json!({
        "requestId": id,
        "destination": body["destination"],
        "maxAttempts": body.get("maxAttempts").cloned().unwrap_or(json!(1)),
        "listName": body.get("listName").cloned().unwrap_or(Value::Null),
        "requestDescription": body.get("requestDescription").cloned().unwrap_or(Value::Null),
        "requestCategory": body.get("requestCategory").cloned().unwrap_or(Value::Null),
        "reservedUserId": user.parse::<u64>().ok(),
        "status": "Setup",
        "type": "callout",
        "scheduling": {"earliest": Value::Null, "attemptsLeft": body.get("maxAttempts").cloned().unwrap_or(json!(1))},
        "assignedUserId": user.parse::<u64>().ok(),
    });
    seed.requests.insert(id, request.clone());
    made(id, request)
}

async fn cancel_callout(
    AxumState(state): AxumState<State>,
    Path((_, user, id)): Path<(String, String, u64)>,
) -> Response {
    let mut seed = state.write();
    if let Err(r) = acting(&seed, &user) {
        return r;
    }
    match seed.requests.get(&id) {
        Some(r) if r["type"] == "callout" => {
            seed.requests.remove(&id);
            ok(Value::Null)
        }
        _ => not_found("callout request", &id.to_string()),
    }
}

async fn register_enquiry(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    record_write(&state, &user, "enquiry", body, &["requestId", "topicIds"])
}

async fn enquiry_categories(
    AxumState(state): AxumState<State>,
    Path((_, user, result)): Path<(String, String, String)>,
) -> Response {
    if !["All", "UserRelevant"].contains(&result.as_str()) {
        return bad_request(format!(
            "`{result}` is not a category selection (All or UserRelevant)"
        ));
    }
    for_user(&state, &user, |_, _| {
        json!([
            {"id": 1, "name": "Billing", "topics": [{"id": 11, "name": "Invoice"}, {"id": 12, "name": "Refund"}]},
            {"id": 2, "name": "Technical", "topics": [{"id": 21, "name": "Login"}]},
        ])
    })
}

async fn outbound_feedback(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    record_write(&state, &user, "feedback", body, &["requestId", "feedback"])
}

async fn session_recordings(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |_, _| recording_info())
}

fn recording_info() -> Value {
    json!([{"recordingIndex": 0, "recordingStart": "2026-12-01T09:58:10.000Z", "recordingState": "Recording", "forcedOnQueue": true, "forcedOnUser": false, "lengthSeconds": 110}])
}

async fn recording_command(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    let command = body
        .get("command")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !["Start", "Stop", "Pause", "Resume"].contains(&command) {
        return bad_request("`command` must be Start, Stop, Pause or Resume".into());
    }
    record_write(&state, &user, "recording", body, &["command"])
}

async fn session_command(
    AxumState(state): AxumState<State>,
    Path((_, user, session)): Path<(String, String, String)>,
    Json(mut body): JsonBody,
) -> Response {
    let command = body
        .get("command")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !["Hold", "Unhold", "Hangup"].contains(&command) {
        return bad_request("`command` must be Hold, Unhold or Hangup".into());
    }
    body["sessionId"] = json!(session);
    record_write(&state, &user, "session", body, &["command"])
}

async fn languages() -> Response {
    ok(json!([
        {"id": 1, "code": "EN", "description": "English"},
        {"id": 2, "code": "NO", "description": "Norsk"},
        {"id": 3, "code": "SV", "description": "Svenska"},
    ]))
}

async fn list_properties(
    AxumState(state): AxumState<State>,
    Path((_, group)): Path<(String, String)>,
    Query(query): Query<Params>,
) -> Response {
    if !query.contains_key("userId") {
        return bad_request("`userId` is required with Puzzel ID tokens".into());
    }
    match state.read().properties.get(&group) {
        Some(p) => ok(json!(p)),
        None => not_found("property group", &group),
    }
}

async fn create_property(
    AxumState(state): AxumState<State>,
    Path((_, group)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    if let Err(r) = need(&body, &["key", "value"]) {
        return r;
    }
    let mut seed = state.write();
    let list = seed.properties.entry(group).or_default();
    if list.iter().any(|p| p["key"] == body["key"]) {
        return fail(
            INVALID_STATE,
            format!("property {} exists", text(&body["key"])),
        );
    }
    list.push(json!({"key": body["key"], "value": body["value"], "typeId": 1}));
    ok(Value::Null)
}

async fn get_property(
    AxumState(state): AxumState<State>,
    Path((_, group, key)): Path<(String, String, String)>,
    Query(query): Query<Params>,
) -> Response {
    if !query.contains_key("userid") {
        return bad_request("`userid` is required with Puzzel ID tokens".into());
    }
    match state
        .read()
        .properties
        .get(&group)
        .and_then(|p| p.iter().find(|p| p["key"] == key.as_str()))
    {
        Some(p) => ok(p.clone()),
        None => not_found("property", &format!("{group}/{key}")),
    }
}

fn queue_list() -> Value {
    json!(QUEUES
        .iter()
        .map(|(id, key, description)| json!({"id": id, "key": key, "description": description, "serviceId": 11}))
        .collect::<Vec<_>>())
}

async fn queues() -> Response {
    ok(queue_list())
}

async fn services() -> Response {
    ok(json!([
        {"id": 11, "number": "+4721000000", "description": "Main number"},
        {"id": 12, "number": "support@acme.example", "description": "Support e-mail"},
    ]))
}

async fn service_qualities() -> Response {
    ok(json!([service_quality(1), service_quality(2)]))
}

fn service_label_list() -> Vec<Value> {
    QUEUES
        .iter()
        .map(|(id, key, description)| json!({"nodeType": "Queue", "label": description, "nodeId": key, "queueId": id}))
        .chain(NAMES.iter().enumerate().map(|(i, n)| json!({"nodeType": "User", "label": n, "nodeId": (USER_ID + i as u64).to_string(), "queueId": Value::Null})))
        .collect()
}

async fn service_labels(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |_, _| json!(service_label_list()))
}

async fn search_service_labels(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    let needle = body
        .get("searchString")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();
    let max = body
        .get("maxMatches")
        .and_then(Value::as_u64)
        .unwrap_or(500) as usize;
    for_user(&state, &user, |_, _| {
        json!(
            service_label_list()
                .into_iter()
                .filter(|l| text(&l["label"]).to_lowercase().contains(&needle))
                .take(max)
                .collect::<Vec<_>>()
        )
    })
}

async fn access_log() -> Response {
    ok(json!((0..5u64)
        .map(|i| json!({"id": i + 1, "dateTime": format!("2026-11-{:02}T07:5{i}:00.000Z", 20 + i), "ip": format!("192.0.2.{}", 10 + i), "clientType": "Agent", "clientInfo": "Puzzel Agent 5", "logInResult": if i == 3 { "WrongPassword" } else { "Ok" }, "userId": USER_ID + i, "userName": NAMES[i as usize].to_lowercase().replace(' ', ".")}))
        .collect::<Vec<_>>()))
}

async fn change_log(Json(body): JsonBody) -> Response {
    let all = vec![
        json!({"id": 1, "dateTime": "2026-11-02T10:00:00.000Z", "userId": USER_ID, "auditType": "Queue", "operation": "Update", "key": "q_support.maxWait", "value": "300"}),
        json!({"id": 2, "dateTime": "2026-11-15T14:00:00.000Z", "userId": USER_ID + 1, "auditType": "User", "operation": "Create", "key": "sara.nilsen", "value": "Sales"}),
    ];
    let t = body.get("auditType").and_then(Value::as_str);
    ok(json!(
        all.into_iter()
            .filter(|e| t.is_none_or(|t| e["auditType"] == t))
            .collect::<Vec<_>>()
    ))
}

fn pause_type_list() -> Value {
    json!([{"id": 1, "description": "Lunch"}, {"id": 2, "description": "Meeting"}, {"id": 3, "description": "Training"}])
}

async fn pause_types(Query(query): Query<Params>) -> Response {
    if !query.contains_key("userId") {
        return bad_request("`userId` is required with Puzzel ID tokens".into());
    }
    ok(pause_type_list())
}

fn profile_of(user: &Value, profile: &str) -> Option<Value> {
    user["profiles"]
        .as_array()?
        .iter()
        .find(|p| same_id(&p["id"], profile))
        .cloned()
}

async fn get_profile(
    AxumState(state): AxumState<State>,
    Path((_, user, profile)): Path<(String, String, String)>,
) -> Response {
    let seed = state.read();
    let u = match acting(&seed, &user) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(mut p) = profile_of(&u, &profile) else {
        return not_found("profile", &profile);
    };
    let key = (
        u["id"].as_u64().unwrap_or_default(),
        p["id"].as_u64().unwrap_or_default(),
    );
    if let Some(added) = seed.elements.get(&key) {
        p["addedElements"] = json!(added);
    }
    ok(p)
}

async fn add_element(
    AxumState(state): AxumState<State>,
    Path((_, user, profile)): Path<(String, String, String)>,
    Json(body): JsonBody,
) -> Response {
    if let Err(r) = need(&body, &["elementId"]) {
        return r;
    }
    let mut seed = state.write();
    let u = match acting(&seed, &user) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(p) = profile_of(&u, &profile) else {
        return not_found("profile", &profile);
    };
    let key = (
        u["id"].as_u64().unwrap_or_default(),
        p["id"].as_u64().unwrap_or_default(),
    );
    seed.elements.entry(key).or_default().push(json!({
        "id": body["elementId"],
        "userLevel": body.get("userLevel").cloned().unwrap_or(json!(1)),
    }));
    ok(Value::Null)
}

async fn remove_element(
    AxumState(state): AxumState<State>,
    Path((_, user, profile, element)): Path<(String, String, String, String)>,
) -> Response {
    let mut seed = state.write();
    let u = match acting(&seed, &user) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(p) = profile_of(&u, &profile) else {
        return not_found("profile", &profile);
    };
    let key = (
        u["id"].as_u64().unwrap_or_default(),
        p["id"].as_u64().unwrap_or_default(),
    );
    let list = seed.elements.entry(key).or_default();
    let before = list.len();
    list.retain(|e| !same_id(&e["id"], &element));
    if list.len() == before {
        return not_found("profile element", &element);
    }
    ok(Value::Null)
}

async fn iq_session(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |_, u| iq_session_of(u))
}

fn iq_session_of(u: &Value) -> Value {
    let busy = u["userStatus"] == "Busy";
    json!({
        "iqSessionId": format!("s-{}", u["id"]),
        "iqSessionState": if busy { "Connected" } else { "Idle" },
        "requestIds": if busy { json!([990]) } else { json!([]) },
        "userId": u["id"],
        "startTime": "2026-12-01T09:58:00.000Z",
    })
}

async fn users_available(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
) -> Response {
    for_user(&state, &user, |seed, _| {
        json!(seed
            .users
            .iter()
            .filter(|u| u["contactCentreStatus"] == "LoggedOn" && u["userStatus"] == "Available")
            .map(|u| json!({"userId": u["id"], "userName": u["userName"], "fullName": u["fullName"], "userStatus": u["userStatus"]}))
            .collect::<Vec<_>>())
    })
}

async fn query_users(
    AxumState(state): AxumState<State>,
    Path((_, user)): Path<(String, String)>,
    Json(body): JsonBody,
) -> Response {
    let needle = body
        .get("searchString")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();
    for_user(&state, &user, |seed, _| {
        json!(
            seed.users
                .iter()
                .filter(|u| text(&u["fullName"]).to_lowercase().contains(&needle))
                .map(|u| json!({
                    "sourceSearchResultType": "User",
                    "contactCentreStatus": u["contactCentreStatus"],
                    "queueDescription": QUEUES[0].2,
                    "queueKey": QUEUES[0].1,
                    "userFullName": u["fullName"],
                    "userId": u["id"],
                    "userName": u["userName"],
                    "userStatus": u["userStatus"],
                    "chatState": u["chatState"],
                }))
                .collect::<Vec<_>>()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_are_wav_files_generated_in_any_chunking() {
        let whole = recording_bytes(70_001, 0, RECORDING_BYTES);
        assert_eq!(whole.len(), RECORDING_BYTES);
        assert_eq!(&whole[..4], b"RIFF");
        assert_eq!(&whole[8..12], b"WAVE");
        let pieced: Vec<u8> = (0..RECORDING_BYTES.div_ceil(1000))
            .flat_map(|k| recording_chunk(70_001, 0, RECORDING_BYTES, k * 1000, 1000))
            .collect();
        assert_eq!(pieced, whole);
        assert_ne!(recording_bytes(70_002, 0, RECORDING_BYTES), whole);
    }
}
