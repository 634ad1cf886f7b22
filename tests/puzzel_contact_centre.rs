//! Puzzel Contact Centre through the generated adapter, against the sandbox over loopback HTTP:
//! every one of the 84 tools by its MCP name, the catalog against the reference list, both ways
//! to authenticate, the envelope's errors, and the workflows of the integration page.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use switchboard_generated::providers::puzzel_contact_centre::{
    ArchiveRecordListQuery, ArchiveRecordingFileDownloadQuery, ArchiveTagUpdateQuery,
    EtaskCreateQuery, EtaskDeleteQuery, EtaskGetQuery, EtaskUpdateQuery,
    ExtendedUserStateInfoListQuery, MissedCallListQuery, MissedCallTagQuery, PuzzelContactCentre,
    PuzzelContactCentreCredentials, ScheduledTaskCreateQuery, ScheduledTaskDeleteQuery,
    ScheduledTaskGetQuery, ScheduledTaskUpdateQuery, StateInformationListQuery,
    UserStateInformationListQuery,
};
use switchboard_runtime::{ClientOptions, ErrorKind, Output, Secret, Timestamp};
use switchboard_sandbox::{Options, Sandbox, puzzel_cc};
use switchboard_tests::{puzzel_contact_centre, puzzel_contact_centre_credentials, repo_root};

/// The tool names of the reference list (docs/providers/puzzel-contact-centre-tools.yaml), in
/// its order.
fn reference_tools() -> Vec<String> {
    let text = std::fs::read_to_string(
        repo_root().join("docs/providers/puzzel-contact-centre-tools.yaml"),
    )
    .expect("the reference tool list");
    text.lines()
        .filter_map(|l| l.strip_prefix("- tool: "))
        .map(|t| t.trim().to_owned())
        .collect()
}

fn catalog() -> Value {
    let text =
        std::fs::read_to_string(repo_root().join("generated/mcp/puzzel_contact_centre.json"))
            .expect("the generated catalog");
    serde_json::from_str(&text).expect("the catalog is JSON")
}

async fn sandbox() -> Sandbox {
    Sandbox::start().await.unwrap()
}

/// A sandbox whose Puzzel Contact Centre emulator is `state` (kept by the caller to read its
/// counters and data).
async fn sandbox_with(state: &puzzel_cc::State) -> Sandbox {
    Sandbox::start_with(
        "127.0.0.1:0".parse().unwrap(),
        Options {
            puzzel_cc: state.clone(),
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

/// The result holds these members: an object with them, or a non-empty list of such objects.
#[track_caller]
fn has_fields(tool: &str, value: &Value, fields: &[&str]) {
    let objects: Vec<&Value> = match value {
        Value::Array(items) => {
            assert!(
                !items.is_empty(),
                "{tool}: an empty list says nothing about its shape"
            );
            items.iter().collect()
        }
        other => vec![other],
    };
    for o in objects {
        for f in fields {
            assert!(o.get(*f).is_some(), "{tool}: `{f}` missing from {o}");
        }
    }
}

/// Calls a tool by name, as an MCP server would, and records that it was called.
struct Agent {
    client: PuzzelContactCentre,
    called: BTreeSet<String>,
}

impl Agent {
    async fn call(&mut self, tool: &str, args: Value) -> Output {
        self.called.insert(tool.to_owned());
        self.client
            .call_tool(tool, &args)
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"))
    }

    /// A JSON tool's result.
    async fn json(&mut self, tool: &str, args: Value) -> Value {
        match self.call(tool, args).await {
            Output::Record(v) => v,
            other => panic!("{tool}: expected JSON, got {other:?}"),
        }
    }

    /// A JSON tool's result, checked for the reference's result fields.
    async fn fields(&mut self, tool: &str, args: Value, fields: &[&str]) -> Value {
        let v = self.json(tool, args).await;
        has_fields(tool, &v, fields);
        v
    }

    /// A write: the envelope said code 0, and the result is empty or the new record's id.
    async fn written(&mut self, tool: &str, args: Value) -> Value {
        let v = self.json(tool, args).await;
        assert!(
            matches!(v, Value::Null | Value::Number(_) | Value::String(_)),
            "{tool}: a write answers nothing or an id, not {v}"
        );
        v
    }

    /// A file tool: the bytes, the content type and the file name.
    async fn file(&mut self, tool: &str, args: Value) -> (Vec<u8>, String, String) {
        let Output::Download(mut d) = self.call(tool, args).await else {
            panic!("{tool}: expected a file");
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = d.chunk().await.unwrap() {
            bytes.extend_from_slice(&chunk);
        }
        (
            bytes,
            d.content_type.clone().unwrap_or_default(),
            d.file_name.clone().unwrap_or_default(),
        )
    }
}

#[tokio::test]
async fn every_tool_answers_through_the_adapter() {
    let state = puzzel_cc::State::default();
    let sandbox = sandbox_with(&state).await;
    let mut a = Agent {
        client: puzzel_contact_centre(&sandbox),
        called: BTreeSet::new(),
    };
    a.fields("list_all_puzzel_user_groups", json!({}), &["id", "name"])
        .await;
    let info = a
        .fields(
            "list_all_puzzel_token_info",
            json!({}),
            &[
                "customerKey",
                "customerId",
                "userGroupId",
                "userId",
                "languageId",
                "languageCode",
                "passwordValidDaysLeft",
                "accessTokenExpiry",
            ],
        )
        .await;
    assert_eq!(info["userId"], puzzel_cc::USER_ID);

    // Scheduled tasks.
    a.fields(
        "list_all_puzzel_scheduled_tasks",
        json!({"queue_id": "101"}),
        &[
            "contactId",
            "name",
            "phone",
            "duration",
            "queueId",
            "scheduledDateTime",
            "reservedUserId",
            "reservedUserName",
            "title",
        ],
    )
    .await;
    a.fields(
        "get_single_puzzel_scheduled_task_by_id",
        json!({"scheduled_task_id": "601"}),
        &[
            "contactId",
            "name",
            "description",
            "phone",
            "reservedUserId",
            "scheduledDateTime",
            "queueKey",
            "variables",
        ],
    )
    .await;
    let created = a
        .written(
            "create_a_puzzel_scheduled_task",
            json!({"queue_key": "q_support", "scheduled_date_time": "2026-12-05T10:00:00", "name": "Kari Nordmann", "variables": [{"name": "orderId", "value": "A-9"}]}),
        )
        .await;
    assert!(created.is_number(), "the new task's id: {created}");
    let updated = a
        .fields(
            "update_a_puzzel_scheduled_task_by_id",
            json!({"scheduled_task_id": "602", "scheduled_date_time": "2026-12-06T11:00:00"}),
            &[
                "contactId",
                "name",
                "scheduledDateTime",
                "reservedUserId",
                "variables",
            ],
        )
        .await;
    assert_eq!(updated["scheduledDateTime"], "2026-12-06T11:00:00");
    a.written(
        "delete_a_puzzel_scheduled_task_by_id",
        json!({"scheduled_task_id": "603"}),
    )
    .await;

    // Messages.
    let sms = a
        .written(
            "create_a_puzzel_sm",
            json!({"to": "+4791000001", "message": "Your order has shipped"}),
        )
        .await;
    assert!(
        sms.as_str().is_some_and(|id| !id.is_empty()),
        "the message id: {sms}"
    );
    a.written(
        "create_a_puzzel_user_email",
        json!({"to": "kari@example.com", "subject": "Your case", "body": "We are on it."}),
    )
    .await;
    a.fields(
        "list_all_puzzel_token_extended_information",
        json!({}),
        &[
            "customerKey",
            "userId",
            "accessTokenExpiry",
            "language",
            "pauseTypes",
            "queues",
        ],
    )
    .await;

    // Archive.
    a.fields(
        "list_all_puzzel_archive_records",
        json!({"from": "2026-11-27T00:00:00Z", "to": "2026-11-30T23:59:59Z"}),
        &[
            "recordStart",
            "accessPoint",
            "callId",
            "recordingType",
            "contentAvailable",
            "surveyExist",
            "enquiryRegistrationExists",
            "entries",
            "tags",
            "comment",
        ],
    )
    .await;
    let (bytes, content_type, name) = a
        .file(
            "get_single_puzzel_archive_stream_by_id",
            json!({"iq_session_id": "70001", "id": "0"}),
        )
        .await;
    assert_eq!(
        (bytes.len(), content_type.as_str(), name.as_str()),
        (
            puzzel_cc::RECORDING_BYTES,
            "audio/wav",
            "recording-70001-0.wav"
        )
    );
    let (bytes, _, name) = a
        .file(
            "puzzel_archive_recording_files_download",
            json!({"iq_session_id": "70003", "index": "1"}),
        )
        .await;
    assert_eq!(
        bytes,
        puzzel_cc::recording_bytes(70_003, 1, puzzel_cc::RECORDING_BYTES)
    );
    assert_eq!(name, "recording-70003-1.wav");
    a.fields(
        "get_single_puzzel_enquiry_registration_by_id",
        json!({"call_id": "70002"}),
        &[
            "id",
            "time",
            "agentId",
            "agentName",
            "queueKey",
            "queueDescription",
            "categories",
        ],
    )
    .await;
    a.fields(
        "get_single_puzzel_survey_by_id",
        json!({"call_id": "70001"}),
        &["score", "comment"],
    )
    .await;
    a.fields(
        "list_all_puzzel_archive_audit_logs",
        json!({}),
        &[
            "id",
            "dateTime",
            "operation",
            "iqSessionId",
            "recIndex",
            "mediaType",
            "userId",
        ],
    )
    .await;
    a.written(
        "update_a_puzzel_archive_tag_by_id",
        json!({"call_id": "70001", "tags": ["vip"]}),
    )
    .await;
    a.written(
        "delete_a_puzzel_archive_record_by_id",
        json!({"call_id": "70012"}),
    )
    .await;

    // Catalog.
    a.fields(
        "list_all_puzzel_catalog_timezone",
        json!({}),
        &["current", "available"],
    )
    .await;
    a.written(
        "update_a_puzzel_catalog_timezone_by_id",
        json!({"timezone_id": "GMT Standard Time"}),
    )
    .await;
    a.fields(
        "list_all_puzzel_catalog_contacts",
        json!({"search_string": "acme"}),
        &[
            "id",
            "firstName",
            "lastName",
            "title",
            "info",
            "organizationId",
            "organizationName",
            "organizationPath",
            "services",
            "isCalenderBusy",
            "azureObjectId",
            "communicationPoints",
        ],
    )
    .await;
    a.fields(
        "get_single_puzzel_catalog_contact_by_id",
        json!({"contact_id": "301"}),
        &[
            "id",
            "firstName",
            "lastName",
            "title",
            "info",
            "services",
            "isCalenderBusy",
            "communicationPoints",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_contacts_appointments",
        json!({"contact_id": "301", "from": "2026-12-01T00:00:00+01:00", "to": "2026-12-31T00:00:00+01:00"}),
        &["id", "subject", "location", "beginTime", "endTime", "description", "durationMinute", "isPrivate", "isAvailable", "source", "absence"],
    )
    .await;
    a.fields(
        "create_a_puzzel_contacts_appointment",
        json!({"contact_id": "302", "subject": "Renewal", "begin_time": "2026-12-10T09:00:00Z", "end_time": "2026-12-10T10:00:00Z"}),
        &["id", "subject", "beginTime", "endTime"],
    )
    .await;
    a.written(
        "update_a_puzzel_contacts_appointment_by_id",
        json!({"contact_id": "301", "appointment_id": "3010", "location": "Bergen"}),
    )
    .await;
    a.written(
        "delete_a_puzzel_contacts_appointment_by_id",
        json!({"contact_id": "301", "appointment_id": "3011"}),
    )
    .await;

    // Real time and statistics.
    a.fields(
        "list_all_puzzel_access_point_tickers",
        json!({"ticker_period_window": "Today"}),
        &["accesspoint", "requestsOffered", "requestsAnswered"],
    )
    .await;
    a.fields(
        "list_all_puzzel_state_information",
        json!({"ticker_period_window": "Today"}),
        &[
            "userId",
            "firstName",
            "lastName",
            "userGroupName",
            "contactCentreStatus",
            "userStatus",
            "callsOffered",
            "callsAnswered",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_personal_queue_requests",
        json!({}),
        &[
            "requestId",
            "serviceId",
            "timeInQueue",
            "vip",
            "mediaType",
            "requestStatus",
            "sla",
            "description",
            "category",
            "callbackScheduledTime",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_connected_requests",
        json!({}),
        &[
            "queueName",
            "requestCategory",
            "requestDescription",
            "requestRemoteAddress",
            "durationSeconds",
            "userName",
            "userId",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_user_state_information",
        json!({}),
        &["userStatus", "contactCentreStatus"],
    )
    .await;
    a.fields(
        "list_all_puzzel_extended_user_state_info",
        json!({}),
        &[
            "userStateInformation",
            "systemDateTime",
            "iqSessionStateInformation",
            "recordingInfo",
            "requestPersonalQueueList",
            "request",
            "pauseDisabledList",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_agents_stats",
        json!({"ticker_period_window": "Today"}),
        &["queuesTotal", "pause", "overview"],
    )
    .await;
    a.fields(
        "list_all_puzzel_user_visual_queues",
        json!({}),
        &[
            "requestId",
            "serviceId",
            "timeInQueue",
            "vip",
            "mediaType",
            "requestStatus",
            "queueId",
            "callbackScheduledTime",
        ],
    )
    .await;
    a.fields(
        "get_single_puzzel_user_visual_queue_by_id",
        json!({"visual_queue_id": "202"}),
        &[
            "requestId",
            "serviceId",
            "timeInQueue",
            "vip",
            "mediaType",
            "requestRemoteAddress",
            "destination",
            "reservedUserId",
            "requestStatus",
            "sla",
            "adjustedTimeInQueue",
            "ciq",
            "reservedUserFlag",
            "reservedUserName",
            "category",
            "description",
            "personalType",
            "queueId",
            "callbackScheduledTime",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_visual_queues",
        json!({}),
        &["id", "description", "queues"],
    )
    .await;
    a.fields(
        "get_single_puzzel_visual_queue_by_id",
        json!({"visual_queue_id": "201", "result": "UserDetailsOnly"}),
        &["usersDetails", "usersOverview"],
    )
    .await;
    a.fields(
        "list_all_puzzel_visual_queue_state_info",
        json!({"result": "All"}),
        &[
            "id",
            "description",
            "waitTimeMaxSeconds",
            "waitTimeAverageSeconds",
            "queueSize",
            "agentsLoggedOn",
            "agentsInPause",
            "agentsReady",
            "agentsUnavailable",
            "sla",
            "queueSizeCiq",
            "unblockedLoggedIn",
            "unblockedUnavailable",
            "queueSizePreferred",
            "callsOfferedToday",
            "callsAnsweredToday",
            "ciqsOfferedToday",
            "ciqsAnsweredToday",
            "callsAnsweredWithinSla",
            "alarmFlag",
            "ciqScheduled",
            "callsAbandonedToday",
            "callsAbandonedWithinSla",
            "silentCallsToday",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_visual_queue_ticker",
        json!({"ticker_period_window": "Today", "result": "All"}),
        &["id", "description"],
    )
    .await;

    // E-tasks and requests.
    a.fields(
        "get_single_puzzel_etask_by_id",
        json!({"request_id": "801"}),
        &[
            "id",
            "additionalInfo",
            "requestStart",
            "queueEntryTime",
            "reservedUserExpiry",
            "status",
            "queueId",
            "mediaType",
            "queuePosition",
            "iqSessionId",
            "extendedInformations",
            "from",
            "to",
            "vipScore",
            "reservedUserId",
            "variables",
        ],
    )
    .await;
    let etask = a
        .written(
            "create_a_puzzel_etask",
            json!({"from": "customer@example.com", "to": "support@acme.example", "subject": "Refund", "vip_score": 50}),
        )
        .await;
    a.written("delete_a_puzzel_etask_by_id", json!({"request_id": "802"}))
        .await;
    a.fields(
        "update_a_puzzel_etask_by_id",
        json!({"request_id": "801", "subject": "Order 1 (escalated)", "vip_score": 90}),
        &["subject", "vipScore", "reservedUserId", "variables"],
    )
    .await;
    a.written(
        "update_a_puzzel_request_by_id",
        json!({"request_id": "801", "variables": [{"name": "crmCase", "value": "C-1"}]}),
    )
    .await;
    let request = a
        .fields(
            "get_single_puzzel_request_by_id",
            json!({"request_id": "801"}),
            &[
                "remoteAddress",
                "destination",
                "requestStart",
                "status",
                "variables",
                "extendedInformations",
                "outboundInfo",
            ],
        )
        .await;
    assert_eq!(
        request["variables"],
        json!([{"name": "crmCase", "value": "C-1"}])
    );
    a.written(
        "delete_a_puzzel_request_by_id",
        json!({"request_id": etask.to_string()}),
    )
    .await;
    a.fields(
        "get_single_puzzel_user_request_by_id",
        json!({"request_id": "801"}),
        &[
            "remoteAddress",
            "destination",
            "status",
            "queueId",
            "vip",
            "mediaType",
            "variables",
            "extendedInformations",
        ],
    )
    .await;
    a.written("puzzel_user_requests_reserve", json!({"request_id": "801"}))
        .await;
    a.written(
        "delete_a_puzzel_user_request_by_id",
        json!({"request_id": "801"}),
    )
    .await;
    a.written(
        "puzzel_user_requests_events",
        json!({"request_id": "801", "event": "Accept"}),
    )
    .await;
    a.fields(
        "list_all_puzzel_request_extended_information",
        json!({"request_id": "801"}),
        &[
            "time",
            "message",
            "fullUserName",
            "userId",
            "type",
            "userName",
        ],
    )
    .await;

    // Missed calls.
    let missed = [
        "queueId",
        "queueName",
        "requestId",
        "requestRemoteAddress",
        "destination",
        "queueEntered",
        "inQueueSeconds",
        "category",
        "description",
        "reservedUserId",
        "mediaType",
        "tagLevel",
        "userIdTagged",
        "userNameTagged",
        "dateTimeTagged",
    ];
    a.fields(
        "list_all_puzzel_missed_calls",
        json!({"queue_id": "101"}),
        &missed,
    )
    .await;
    a.written("puzzel_missed_calls_tag", json!({"missed_call_id": "900"}))
        .await;
    a.fields("list_all_puzzel_user_missed_calls", json!({}), &missed)
        .await;

    // The agent's calls and session.
    a.fields(
        "list_all_puzzel_user_call_logs",
        json!({}),
        &[
            "queueName",
            "queueId",
            "accessPoint",
            "requestId",
            "mediaType",
            "callType",
            "requestRemoteAddress",
            "answeredAt",
            "speakTimeSeconds",
        ],
    )
    .await;
    let callout = a
        .fields(
            "create_a_puzzel_user_callout_request",
            json!({"destination": "+4791000777", "max_attempts": 2}),
            &["destination", "scheduling", "requestId"],
        )
        .await;
    a.written(
        "delete_a_puzzel_user_callout_request_by_id",
        json!({"request_id": callout["requestId"].to_string()}),
    )
    .await;
    a.written(
        "create_a_puzzel_user_enquiry_registration",
        json!({"request_id": "801", "topic_ids": ["11"]}),
    )
    .await;
    a.fields(
        "list_all_puzzel_enquiry_registrations_categories",
        json!({"result": "All"}),
        &["id", "name", "topics"],
    )
    .await;
    a.written(
        "list_all_puzzel_outbound_request_feedback",
        json!({"request_id": "801", "feedback": "Reached"}),
    )
    .await;
    a.fields(
        "list_all_puzzel_call_recordings",
        json!({}),
        &[
            "recordingIndex",
            "recordingStart",
            "recordingState",
            "forcedOnQueue",
            "forcedOnUser",
            "lengthSeconds",
        ],
    )
    .await;
    a.written(
        "puzzel_call_recordings_command",
        json!({"command": "Pause"}),
    )
    .await;
    a.written(
        "puzzel_user_sessions_command",
        json!({"session_id": "s-1001", "command": "Hold"}),
    )
    .await;

    // Settings.
    a.fields(
        "list_all_puzzel_languages",
        json!({}),
        &["id", "code", "description"],
    )
    .await;
    let now = a.json("list_all_puzzel_system_date_time", json!({})).await;
    assert!(
        now.as_str().is_some_and(|t| t.parse::<Timestamp>().is_ok()),
        "a date and time: {now}"
    );
    a.fields(
        "list_all_puzzel_system_properties",
        json!({"property_group": "prof_call"}),
        &["key", "value", "typeId"],
    )
    .await;
    a.written(
        "create_a_puzzel_system_property",
        json!({"property_group": "prof_call", "key": "prof_callout_timeout", "value": "30"}),
    )
    .await;
    let property = a
        .fields(
            "get_single_puzzel_system_property_by_id",
            json!({"property_group": "prof_call", "property_key": "prof_callout_timeout"}),
            &["key", "value", "typeId"],
        )
        .await;
    assert_eq!(property["value"], "30");
    a.fields(
        "list_all_puzzel_queues",
        json!({}),
        &["id", "key", "description", "serviceId"],
    )
    .await;
    a.fields(
        "list_all_puzzel_services",
        json!({}),
        &["id", "number", "description"],
    )
    .await;
    a.fields(
        "list_all_puzzel_service_qualities",
        json!({}),
        &["id", "number", "description", "serviceId", "elements"],
    )
    .await;
    a.fields(
        "list_all_puzzel_user_service_labels",
        json!({}),
        &["nodeType", "label", "nodeId"],
    )
    .await;
    a.fields(
        "puzzel_user_service_labels_search",
        json!({"search_string": "sup"}),
        &["nodeType", "label", "nodeId"],
    )
    .await;
    a.fields(
        "list_all_puzzel_access_logs",
        json!({}),
        &[
            "id",
            "dateTime",
            "ip",
            "clientType",
            "clientInfo",
            "logInResult",
            "userId",
            "userName",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_changelogs",
        json!({}),
        &[
            "id",
            "dateTime",
            "userId",
            "auditType",
            "operation",
            "key",
            "value",
        ],
    )
    .await;
    a.fields(
        "list_all_puzzel_pause_types",
        json!({}),
        &["id", "description"],
    )
    .await;

    // Users and profiles.
    a.fields(
        "list_all_puzzel_users_search",
        json!({}),
        &[
            "userGroupName",
            "profileName",
            "chatState",
            "currentProfileId",
            "contactCentreStatus",
            "sessionTime",
            "joined",
            "userStatus",
            "pauseTypeId",
            "languageId",
            "profiles",
            "chatCapacityMaxParallel",
            "chatPhoneThreshold",
            "chatConnected",
            "chatConnecting",
            "eMail",
            "mobilePhone",
            "id",
        ],
    )
    .await;
    a.fields(
        "get_single_puzzel_profile_by_id",
        json!({"profile_id": "1501"}),
        &[
            "id",
            "number",
            "lastPhoneNumber",
            "phoneNumber",
            "phoneType",
            "name",
            "groupProfile",
            "qualities",
        ],
    )
    .await;
    a.written(
        "create_a_puzzel_profile_element",
        json!({"profile_id": "1501", "element_id": "421", "user_level": 3}),
    )
    .await;
    a.written(
        "delete_a_puzzel_profile_element_by_id",
        json!({"profile_id": "1501", "element_id": "421"}),
    )
    .await;
    a.fields(
        "list_all_puzzel_iq_session_state_info",
        json!({}),
        &["iqSessionId", "iqSessionState", "requestIds"],
    )
    .await;
    a.fields(
        "list_all_puzzel_available_users",
        json!({}),
        &["userId", "userName"],
    )
    .await;
    a.fields(
        "list_all_puzzel_query_users",
        json!({"search_string": "a"}),
        &[
            "sourceSearchResultType",
            "contactCentreStatus",
            "queueDescription",
            "queueKey",
            "userFullName",
            "userId",
            "userName",
            "userStatus",
            "chatState",
        ],
    )
    .await;

    // Logging out ends the token; the next call gets a new one without failing.
    let before = state.token_requests();
    a.written("puzzel_access_token_logout", json!({})).await;
    a.fields("list_all_puzzel_queues", json!({}), &["id"]).await;
    assert_eq!(state.token_requests(), before + 1);

    let reference: BTreeSet<String> = reference_tools().into_iter().collect();
    assert_eq!(reference.len(), 84);
    assert_eq!(
        a.called, reference,
        "every reference tool is called once over"
    );
}

#[test]
fn the_catalog_has_exactly_the_reference_tools() {
    let catalog = catalog();
    let tools = catalog["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    let mut reference = reference_tools();
    reference.sort();
    assert_eq!(sorted, reference);
    for t in tools {
        let name = t["name"].as_str().unwrap();
        let description = t["description"].as_str().unwrap();
        assert!(
            description.len() > 80,
            "{name}: a description an agent can act on"
        );
        let schema = &t["inputSchema"];
        assert_eq!(schema["type"], "object", "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}");
        for r in schema["required"].as_array().unwrap() {
            assert!(
                schema["properties"].get(r.as_str().unwrap()).is_some(),
                "{name}: required `{r}` is a property"
            );
        }
    }
    let tool = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap();
    // Required parameters are marked; the acting user defaults to the account's.
    let archive = tool("list_all_puzzel_archive_records");
    assert_eq!(archive["inputSchema"]["required"], json!(["from", "to"]));
    assert!(
        archive["inputSchema"]["properties"]["user_id"]["description"]
            .as_str()
            .unwrap()
            .contains("Defaults to the account's `user_id`")
    );
    assert_eq!(
        tool("get_single_puzzel_scheduled_task_by_id")["inputSchema"]["required"],
        json!(["scheduled_task_id"])
    );
    // Annotations follow the HTTP method.
    let hints = |name: &str| {
        let a = &tool(name)["annotations"];
        (
            a["readOnlyHint"].as_bool().unwrap(),
            a["destructiveHint"].as_bool().unwrap(),
            a["idempotentHint"].as_bool().unwrap(),
        )
    };
    assert_eq!(hints("list_all_puzzel_queues"), (true, false, true));
    assert_eq!(hints("delete_a_puzzel_etask_by_id"), (false, true, true));
    assert_eq!(
        hints("update_a_puzzel_archive_tag_by_id"),
        (false, false, true)
    );
    assert_eq!(hints("create_a_puzzel_etask"), (false, false, false));
    // Modeled operations say so.
    assert!(
        tool("puzzel_missed_calls_tag")["description"]
            .as_str()
            .unwrap()
            .contains("inferred")
    );
    assert!(
        !tool("list_all_puzzel_token_info")["description"]
            .as_str()
            .unwrap()
            .contains("inferred")
    );
}

#[test]
fn every_method_keeps_the_reference_provenance() {
    // documented and documented-legacy → documented, observed → observed, the rest inferred.
    let text = std::fs::read_to_string(
        repo_root().join("docs/providers/puzzel-contact-centre-tools.yaml"),
    )
    .unwrap();
    let mut confidence = std::collections::BTreeMap::new();
    let mut tool = None;
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("- tool: ") {
            tool = Some(t.trim().to_owned());
        } else if let (Some(c), Some(t)) = (line.strip_prefix("  confidence: "), &tool) {
            confidence.insert(t.clone(), c.trim().to_owned());
        }
    }
    let catalog = catalog();
    for t in catalog["tools"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let expected = match confidence[name].as_str() {
            "documented" | "documented-legacy" => "documented",
            "observed" => "observed",
            _ => "inferred",
        };
        let inferred = t["description"]
            .as_str()
            .unwrap()
            .contains("This operation is inferred");
        assert_eq!(inferred, expected == "inferred", "{name}");
    }
    let openapi: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("generated/openapi/puzzel_contact_centre.json"))
            .unwrap(),
    )
    .unwrap();
    let mut kinds = std::collections::BTreeMap::new();
    for item in openapi["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for m in op["x-methods"].as_array().unwrap() {
                kinds.insert(
                    m["tool"].as_str().unwrap().to_owned(),
                    m["provenance"].as_str().unwrap().to_owned(),
                );
            }
        }
    }
    assert_eq!(kinds.len(), 84);
    for (name, c) in &confidence {
        let expected = match c.as_str() {
            "documented" | "documented-legacy" => "documented",
            "observed" => "observed",
            _ => "inferred",
        };
        assert_eq!(kinds[name], expected, "{name}");
    }
}

#[tokio::test]
async fn the_login_call_gets_a_token_and_a_new_one_when_it_expires() {
    let provider = PuzzelContactCentre::NAME;
    let state = puzzel_cc::State::default();
    let sandbox = sandbox_with(&state).await;
    let client = PuzzelContactCentre::connect(
        &PuzzelContactCentreCredentials {
            user_name: Some(puzzel_cc::USER_NAME.into()),
            password: Some(Secret::new(puzzel_cc::PASSWORD)),
            ..puzzel_contact_centre_credentials()
        },
        ClientOptions::default()
            .with_base_url(sandbox.base_url(provider).unwrap())
            .with_auth_url(sandbox.login_url(provider).unwrap()),
    )
    .unwrap();
    let info = client.list_token_info().await.unwrap();
    assert_eq!(info["customerKey"], puzzel_cc::CUSTOMER_KEY);
    client.list_queues().await.unwrap();
    assert_eq!(state.logins(), 1, "one login serves many calls");
    state.expire_tokens();
    client.list_queues().await.unwrap();
    assert_eq!(
        state.logins(),
        2,
        "an expired session logs in again, and the call succeeds"
    );
    // A wrong password is an Auth error that does not show the password.
    let wrong = PuzzelContactCentre::connect(
        &PuzzelContactCentreCredentials {
            user_name: Some(puzzel_cc::USER_NAME.into()),
            password: Some(Secret::new("not-the-password")),
            ..puzzel_contact_centre_credentials()
        },
        ClientOptions::default()
            .with_base_url(sandbox.base_url(provider).unwrap())
            .with_auth_url(sandbox.login_url(provider).unwrap()),
    )
    .unwrap();
    let e = wrong.list_queues().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(!format!("{e} {e:?}").contains("not-the-password"));
}

#[tokio::test]
async fn puzzel_id_tokens_are_shared_and_renewed_after_expiry() {
    let state = puzzel_cc::State::default();
    let sandbox = sandbox_with(&state).await;
    let client = puzzel_contact_centre(&sandbox);
    let calls = (0..20).map(|_| client.list_queues());
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(
        state.token_requests(),
        1,
        "concurrent calls wait for one token"
    );
    state.expire_tokens();
    let e = client.list_services().await;
    assert!(
        e.is_ok(),
        "an expired token is renewed and the call sent again: {e:?}"
    );
    assert_eq!(state.token_requests(), 2);
}

#[test]
fn an_account_without_a_way_to_authenticate_is_a_configuration_error() {
    let e = PuzzelContactCentre::connect(
        &puzzel_contact_centre_credentials(),
        ClientOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    let message = e.to_string();
    assert!(
        message.contains("`client_id` and `client_secret`")
            && message.contains("`user_name` and `password`"),
        "{message}"
    );
}

#[tokio::test]
async fn a_non_zero_code_is_a_typed_error_even_with_http_200() {
    let sandbox = sandbox().await;
    let client = puzzel_contact_centre(&sandbox);
    let e = client
        .get_scheduled_task(&ScheduledTaskGetQuery::new("424242".into()))
        .await
        .unwrap_err();
    // The mapping declares the envelope's `1004` a not-found (`errors.in_body.codes`).
    assert_eq!((e.kind(), e.status()), (ErrorKind::NotFound, Some(200)));
    assert!(
        e.to_string()
            .contains("scheduled task 424242 was not found"),
        "{e}"
    );
    assert_eq!(e.details().unwrap()["code"], puzzel_cc::NOT_FOUND);
    // An unknown acting user, too: the envelope's message names it.
    let e = client
        .list_user_state_information(
            &UserStateInformationListQuery::new().with_user_id("777".into()),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("user 777 was not found"), "{e}");
}

#[tokio::test]
async fn a_missing_required_parameter_is_a_validation_error() {
    let sandbox = sandbox().await;
    let client = puzzel_contact_centre(&sandbox);
    // Caught before sending: the tool's arguments lack `from`.
    let e = client
        .call_tool(
            "list_all_puzzel_archive_records",
            &json!({"to": "2026-11-30T00:00:00Z"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.to_string().contains("missing field `from`"), "{e}");
    // An argument of the wrong type, and one the tool does not take.
    let e = client
        .call_tool(
            "create_a_puzzel_etask",
            &json!({"from": "a@example.com", "to": "b@example.com", "vip_score": "high"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    let e = client
        .call_tool("list_all_puzzel_queues_typo", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    // And by the API: an empty search string is refused with HTTP 400 and the envelope.
    let e = client
        .call_tool(
            "list_all_puzzel_catalog_contacts",
            &json!({"search_string": ""}),
        )
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, Some(400)));
    assert!(e.to_string().contains("`searchString` is required"), "{e}");
}

/// A nightly recording sync: list the archive records of a period, download each recording,
/// and check its bytes and file name.
#[tokio::test]
async fn nightly_recording_sync() {
    let sandbox = sandbox().await;
    let client = puzzel_contact_centre(&sandbox);
    let period = ArchiveRecordListQuery::new(
        "2026-11-28T00:00:00Z".parse().unwrap(),
        "2026-11-29T23:59:59Z".parse().unwrap(),
    );
    let records = client.list_archive_records(&period).await.unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 8, "two days of four calls");
    let mut files = 0;
    for record in records {
        let call = record["iqSessionId"].as_str().unwrap();
        for entry in record["entries"].as_array().unwrap() {
            let index = entry["index"].to_string();
            let mut download = client
                .archive_recording_file_download(&ArchiveRecordingFileDownloadQuery::new(
                    call.into(),
                    index.clone(),
                ))
                .await
                .unwrap();
            assert_eq!(download.content_type.as_deref(), Some("audio/wav"));
            assert_eq!(download.file_name.as_deref(), entry["fileName"].as_str());
            assert_eq!(download.size, Some(puzzel_cc::RECORDING_BYTES as u64));
            let mut bytes = Vec::new();
            while let Some(chunk) = download.chunk().await.unwrap() {
                bytes.extend_from_slice(&chunk);
            }
            let call_id: u64 = call.parse().unwrap();
            assert_eq!(
                bytes,
                puzzel_cc::recording_bytes(
                    call_id,
                    index.parse().unwrap(),
                    puzzel_cc::RECORDING_BYTES
                )
            );
            files += 1;
        }
    }
    assert_eq!(
        files, 11,
        "eight records, three of them with two recordings"
    );
    // A recording that does not exist is an error, not an empty file.
    let e = client
        .archive_recording_file_download(&ArchiveRecordingFileDownloadQuery::new(
            "70001".into(),
            "7".into(),
        ))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("recording 70001/7 was not found"),
        "{e}"
    );
}

/// An adherence poll: every user's state, then each one's state and extended state.
#[tokio::test]
async fn adherence_poll() {
    let sandbox = sandbox().await;
    let client = puzzel_contact_centre(&sandbox);
    let everyone = client
        .list_state_information(&StateInformationListQuery::new("Today".into()))
        .await
        .unwrap();
    let users: Vec<String> = everyone
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].to_string())
        .collect();
    assert_eq!(users.len(), 6);
    let mut statuses = BTreeSet::new();
    for user in &users {
        let state = client
            .list_user_state_information(
                &UserStateInformationListQuery::new().with_user_id(user.clone()),
            )
            .await
            .unwrap();
        let extended = client
            .list_extended_user_state_info(
                &ExtendedUserStateInfoListQuery::new().with_user_id(user.clone()),
            )
            .await
            .unwrap();
        assert_eq!(
            extended["userStateInformation"]["userId"].to_string(),
            *user
        );
        assert_eq!(
            extended["userStateInformation"]["userStatus"],
            state["userStatus"]
        );
        statuses.insert(state["userStatus"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        statuses,
        ["Available", "Busy", "LoggedOff", "Pause", "WrapUp"]
            .map(String::from)
            .into(),
        "the poll sees every state"
    );
    // Without a user, the account's own.
    let me = client
        .list_user_state_information(&UserStateInformationListQuery::new())
        .await
        .unwrap();
    assert_eq!(me["userId"], puzzel_cc::USER_ID);
}

#[tokio::test]
async fn an_etask_is_created_updated_and_deleted() {
    let sandbox = sandbox().await;
    let client = puzzel_contact_centre(&sandbox);
    let id = client
        .create_etask(
            &EtaskCreateQuery::new("kari@example.com".into(), "support@acme.example".into())
                .with_subject("Invoice \"2026-11\" is wrong".into())
                .with_vip_score(40),
        )
        .await
        .unwrap();
    let id = id.to_string();
    let task = client
        .get_etask(&EtaskGetQuery::new(id.clone()))
        .await
        .unwrap();
    assert_eq!(
        task["subject"], "Invoice \"2026-11\" is wrong",
        "the JSON string survives quotes"
    );
    assert_eq!(task["vipScore"], 40);
    let updated = client
        .update_etask(
            &EtaskUpdateQuery::new(id.clone())
                .with_vip_score(95)
                .with_category("Billing".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        (updated["vipScore"].clone(), updated["category"].clone()),
        (json!(95), json!("Billing"))
    );
    client
        .delete_etask(&EtaskDeleteQuery::new(id.clone()))
        .await
        .unwrap();
    let e = client.get_etask(&EtaskGetQuery::new(id)).await.unwrap_err();
    assert_eq!(e.details().unwrap()["code"], puzzel_cc::NOT_FOUND);
}

#[tokio::test]
async fn a_scheduled_task_is_created_updated_and_deleted() {
    let sandbox = sandbox().await;
    let client = puzzel_contact_centre(&sandbox);
    let id = client
        .create_scheduled_task(
            &ScheduledTaskCreateQuery::new("q_sales".into(), "2026-12-03T09:30:00".into())
                .with_name("Per Hansen".into())
                .with_phone("+4722000555".into())
                .with_reserved_user_id(puzzel_cc::USER_ID.to_string()),
        )
        .await
        .unwrap()
        .to_string();
    let task = client
        .get_scheduled_task(&ScheduledTaskGetQuery::new(id.clone()))
        .await
        .unwrap();
    assert_eq!(
        (task["phone"].clone(), task["reservedUserId"].clone()),
        (json!("+4722000555"), json!(puzzel_cc::USER_ID))
    );
    client
        .update_scheduled_task(
            &ScheduledTaskUpdateQuery::new(id.clone())
                .with_scheduled_date_time("2026-12-04T09:30:00".into()),
        )
        .await
        .unwrap();
    let task = client
        .get_scheduled_task(&ScheduledTaskGetQuery::new(id.clone()))
        .await
        .unwrap();
    assert_eq!(task["scheduledDateTime"], "2026-12-04T09:30:00");
    assert_eq!(
        task["name"], "Per Hansen",
        "fields left out keep their value"
    );
    client
        .delete_scheduled_task(&ScheduledTaskDeleteQuery::new(id.clone()))
        .await
        .unwrap();
    assert!(
        client
            .get_scheduled_task(&ScheduledTaskGetQuery::new(id))
            .await
            .is_err()
    );
    // A queue that does not exist is refused in the envelope.
    let e = client
        .create_scheduled_task(&ScheduledTaskCreateQuery::new(
            "q_nowhere".into(),
            "2026-12-03T09:30:00".into(),
        ))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("queue q_nowhere was not found"),
        "{e}"
    );
}

/// Missed-call follow-up: list a queue's missed calls, tag the oldest untagged one; a
/// colleague cannot tag it again.
#[tokio::test]
async fn missed_call_follow_up() {
    let sandbox = sandbox().await;
    let client = puzzel_contact_centre(&sandbox);
    let calls = client
        .list_missed_calls(&MissedCallListQuery::new("102".into()))
        .await
        .unwrap();
    let first = calls
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["userIdTagged"].is_null())
        .unwrap()["requestId"]
        .to_string();
    client
        .missed_call_tag(&MissedCallTagQuery::new(first.clone()))
        .await
        .unwrap();
    let calls = client
        .list_missed_calls(&MissedCallListQuery::new("102".into()))
        .await
        .unwrap();
    let tagged = calls
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["requestId"].as_u64().map(|n| n.to_string()) == Some(first.clone()))
        .unwrap();
    assert_eq!(
        (tagged["userIdTagged"].clone(), tagged["tagLevel"].clone()),
        (json!(puzzel_cc::USER_ID), json!(1))
    );
    let e = client
        .missed_call_tag(
            &MissedCallTagQuery::new(first).with_user_id((puzzel_cc::USER_ID + 1).to_string()),
        )
        .await
        .unwrap_err();
    assert_eq!(e.details().unwrap()["code"], puzzel_cc::INVALID_STATE);
    assert!(e.to_string().contains("already tagged by Api User"), "{e}");
}

#[tokio::test]
async fn tags_are_written_back_to_an_archive_record() {
    let state = puzzel_cc::State::default();
    let sandbox = sandbox_with(&state).await;
    let client = puzzel_contact_centre(&sandbox);
    client
        .update_archive_tag(&ArchiveTagUpdateQuery::new(
            "70004".into(),
            vec!["complaint".into(), "follow-up".into()],
        ))
        .await
        .unwrap();
    let records = client
        .list_archive_records(&ArchiveRecordListQuery::new(
            "2026-11-27T00:00:00Z".parse().unwrap(),
            "2026-11-30T23:59:59Z".parse().unwrap(),
        ))
        .await
        .unwrap();
    let record = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["callId"] == 70_004)
        .unwrap();
    assert_eq!(record["tags"], json!(["complaint", "follow-up"]));
    assert_eq!(
        state.snapshot().archive_record("70004").unwrap()["tags"],
        json!(["complaint", "follow-up"])
    );
}
