//! Trengo tickets end to end: the generated adapter against the sandbox's Trengo emulator,
//! over real HTTP on loopback.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::collections::BTreeSet;

use futures::{StreamExt, TryStreamExt};
use switchboard_generated::providers::trengo::{Trengo, TrengoCredentials};
use switchboard_generated::unified::ticketing::{
    Ticket, TicketListQuery, TicketListQueryStatus, TicketStatus,
};
use switchboard_runtime::{ClientOptions, ErrorKind, Reference, Secret};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::{self, Seed};

fn connect(sandbox: &Sandbox, token: &str) -> Trengo {
    let credentials = TrengoCredentials {
        token: Secret::new(token),
        timezone: None,
    };
    let base_url = sandbox
        .base_url("trengo")
        .expect("the sandbox emulates Trengo");
    Trengo::connect(
        &credentials,
        ClientOptions::default().with_base_url(base_url),
    )
    .expect("valid configuration")
    .with_remote_data(true)
}

fn expected_status(raw: &str) -> TicketStatus {
    match raw {
        "OPEN" => TicketStatus::Open,
        "ASSIGNED" => TicketStatus::InProgress,
        "CLOSED" => TicketStatus::Closed,
        "INVALID" => TicketStatus::Spam,
        other => panic!("the seed has no status {other}"),
    }
}

#[tokio::test]
async fn lists_every_ticket_mapped_to_the_unified_model() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox, trengo::TOKEN);
    let seed = Seed::new();

    let tickets: Vec<Ticket> = trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .unwrap();

    const { assert!(trengo::TICKET_COUNT >= 60) };
    assert_eq!(
        tickets.len(),
        trengo::TICKET_COUNT,
        "none missing, none extra"
    );
    let ids: BTreeSet<&str> = tickets.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), tickets.len(), "no duplicates");
    let seeded: BTreeSet<String> = seed.tickets.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(ids, seeded.iter().map(String::as_str).collect());

    // The provider's order (most recent activity first) is kept across pages.
    let order: Vec<String> = seed.tickets.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(
        tickets.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        order
    );

    let mut statuses = BTreeSet::new();
    for (ticket, raw) in tickets.iter().zip(&seed.tickets) {
        assert_eq!(ticket.name, raw.subject);
        let status = ticket.status.clone().expect("every ticket has a status");
        assert_eq!(status, expected_status(raw.status));
        statuses.insert(status.as_str().to_owned());

        // Naive Europe/Amsterdam wall-clock times come out as the right UTC instants.
        assert_eq!(ticket.created_at, Some(raw.created_at));
        assert_eq!(ticket.updated_at, Some(raw.updated_at));

        let contact = seed.contact(raw.contact_id).unwrap();
        assert_eq!(
            ticket.contact,
            Some(Reference {
                id: contact.id.to_string(),
                name: Some(contact.name.clone())
            })
        );
        // List items carry only `user_id`: the assignee's id, without a name.
        let assignees: Vec<Reference> = raw
            .user_id
            .map(|id| Reference {
                id: id.to_string(),
                name: None,
            })
            .into_iter()
            .collect();
        assert_eq!(ticket.assignees, assignees);

        assert_eq!(
            ticket.team.as_ref().map(|t| t.id.clone()),
            raw.team_id.map(|id| id.to_string())
        );
        let channel = seed
            .channels
            .iter()
            .find(|c| c.id == raw.channel_id)
            .unwrap();
        assert_eq!(
            ticket.collections,
            vec![Reference {
                id: channel.id.to_string(),
                name: Some(channel.title.to_owned())
            }]
        );
        assert_eq!(ticket.completed_at, raw.closed_at);

        let tags: Vec<String> = seed
            .labels
            .iter()
            .filter(|l| raw.label_ids.contains(&l.id))
            .map(|l| l.name.clone())
            .collect();
        assert_eq!(ticket.tags, tags);
        assert_eq!(
            ticket.remote_data,
            Some(switchboard_tests::trengo_remote_data(seed.list_item(raw)))
        );
    }
    assert_eq!(
        statuses,
        ["closed", "in_progress", "open", "spam"]
            .map(String::from)
            .into(),
        "the seed covers every Trengo status"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn unified_json_has_rfc3339_utc_timestamps_and_references() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox, trengo::TOKEN);
    let seed = Seed::new();
    let raw = seed.tickets.iter().find(|t| t.user_id.is_some()).unwrap();

    let ticket = trengo.get_ticket(&raw.id.to_string()).await.unwrap();
    let json = serde_json::to_value(&ticket).unwrap();

    let created = json["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z'), "UTC: {created}");
    assert_eq!(
        created.parse::<switchboard_runtime::Timestamp>().unwrap(),
        raw.created_at
    );
    assert_eq!(json["status"], "in_progress");
    let user = seed.user(raw.user_id.unwrap()).unwrap();
    assert_eq!(
        json["assignees"],
        serde_json::json!([{ "id": user.id.to_string(), "name": user.full_name() }])
    );
    let back: Ticket = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, ticket, "unified JSON round-trips");
    let contact = seed.contact(raw.contact_id).unwrap();
    assert_eq!(
        json["contact"],
        serde_json::json!({ "id": contact.id.to_string(), "name": contact.name })
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn gets_one_ticket_by_id() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox, trengo::TOKEN);
    let seed = Seed::new();

    for raw in seed
        .tickets
        .iter()
        .filter(|t| t.user_id.is_some() || t.team_id.is_some())
        .take(6)
    {
        let ticket = trengo.get_ticket(&raw.id.to_string()).await.unwrap();
        assert_eq!(ticket.id, raw.id.to_string());
        assert_eq!(ticket.status, Some(expected_status(raw.status)));
        // The detail carries the assignee's user object: a full `{id, name}` reference.
        let assignees: Vec<Reference> = raw
            .user_id
            .map(|id| Reference {
                id: id.to_string(),
                name: Some(seed.user(id).unwrap().full_name()),
            })
            .into_iter()
            .collect();
        assert_eq!(ticket.assignees, assignees);
        assert_eq!(ticket.created_at, Some(raw.created_at));
        assert_eq!(
            ticket.remote_data,
            Some(switchboard_tests::trengo_remote_data(seed.detail(raw)))
        );
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn unknown_ticket_is_not_found() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox, trengo::TOKEN);
    let err = trengo.get_ticket("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.provider(), "trengo");
    // An id is one path segment: it cannot reach another endpoint.
    let err = trengo.get_ticket("../tickets").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    sandbox.stop().await;
}

#[tokio::test]
async fn wrong_token_is_a_typed_auth_error() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox, "not-the-token");

    let mut stream = trengo.list_tickets(&TicketListQuery::default()).boxed();
    let err = stream.next().await.expect("one item").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.message(), "Unauthenticated.");
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );

    let err = trengo.get_ticket("745390370").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let body = err.to_body();
    assert_eq!(body["error"], "auth");
    assert_eq!(body["status_code"], 401);
    assert_eq!(body["is_remote_error"], true);
    // The token never shows in the error or its Debug output.
    assert!(!format!("{err:?} {err} {body}").contains("not-the-token"));
    sandbox.stop().await;
}

#[tokio::test]
async fn lists_by_status_contact_and_assignee() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox, trengo::TOKEN);
    let seed = Seed::new();

    let closed: Vec<Ticket> = trengo
        .list_tickets(&TicketListQuery::default().with_status(TicketListQueryStatus::Closed))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        closed.len(),
        seed.tickets.iter().filter(|t| t.status == "CLOSED").count()
    );
    assert!(
        !closed.is_empty()
            && closed
                .iter()
                .all(|t| t.status == Some(TicketStatus::Closed))
    );

    let user = seed.tickets.iter().find_map(|t| t.user_id).unwrap();
    let assigned: Vec<Ticket> = trengo
        .list_tickets(&TicketListQuery::default().with_assignee_id(user.to_string()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        assigned.len(),
        seed.tickets
            .iter()
            .filter(|t| t.user_id == Some(user))
            .count()
    );

    // Trengo has no "pending": the filter is refused, not dropped.
    let err = trengo
        .list_tickets(&TicketListQuery::default().with_status(TicketListQueryStatus::Pending))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    // A filter the mapping does not send is refused too.
    let err = trengo
        .list_tickets(
            &TicketListQuery::default().with_updated_after("2024-01-01T00:00:00Z".parse().unwrap()),
        )
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    sandbox.stop().await;
}

#[tokio::test]
async fn records_leave_out_remote_data_unless_asked() {
    let sandbox = Sandbox::start().await.unwrap();
    let credentials = TrengoCredentials {
        token: Secret::new(trengo::TOKEN),
        timezone: None,
    };
    let options = ClientOptions::default().with_base_url(sandbox.base_url("trengo").unwrap());
    let lean = Trengo::connect(&credentials, options).unwrap();
    let tickets: Vec<Ticket> = lean
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tickets.len(), trengo::TICKET_COUNT);
    assert!(
        tickets
            .iter()
            .all(|t| t.remote_data.is_none() && t.contact.is_some())
    );
    let full = lean.clone().with_remote_data(true);
    let first = full.get_ticket(&tickets[0].id).await.unwrap();
    assert!(first.remote_data.is_some());
    sandbox.stop().await;
}
