//! Trengo ticket writes end to end through the generated adapter against the sandbox: create,
//! assign (agent, team), close and reopen with the status read back and listed by status,
//! labels added and removed, delete; and bad writes as typed errors with Trengo's message.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::TryStreamExt;
use switchboard_generated::providers::trengo::Trengo;
use switchboard_generated::unified::ticketing::{
    Ticket, TicketAddTagQuery, TicketAssignQuery, TicketAssignTeamQuery, TicketCreateBody,
    TicketCreateQuery, TicketListQuery, TicketListQueryStatus, TicketRemoveTagQuery, TicketStatus,
};
use switchboard_runtime::{ErrorKind, Reference};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::Seed;
use switchboard_tests::trengo as connect;

fn reference(id: i64) -> Reference {
    Reference {
        id: id.to_string(),
        name: None,
    }
}

/// A new ticket for the seed's first contact on its e-mail channel.
async fn create(trengo: &Trengo, subject: &str) -> Ticket {
    let seed = Seed::new();
    trengo
        .create_ticket(
            &TicketCreateQuery::new().with_collection_id(seed.channels[1].id.to_string()),
            &TicketCreateBody::new(reference(seed.contacts[0].id)).with_name(subject.into()),
        )
        .await
        .unwrap()
}

async fn with_status(trengo: &Trengo, status: TicketListQueryStatus) -> Vec<String> {
    let tickets: Vec<Ticket> = trengo
        .list_tickets(&TicketListQuery::default().with_status(status))
        .try_collect()
        .await
        .unwrap();
    tickets.into_iter().map(|t| t.id).collect()
}

#[tokio::test]
async fn a_created_ticket_is_assigned_closed_reopened_and_deleted() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();

    let created = create(&trengo, "Chat escalated to a human").await;
    assert_eq!(created.name.as_deref(), Some("Chat escalated to a human"));
    assert_eq!(created.status, Some(TicketStatus::Open));
    assert_eq!(created.contact, Some(reference(seed.contacts[0].id)));
    assert_eq!(created.collections[0].id, seed.channels[1].id.to_string());
    assert!(
        created.created_at.is_some(),
        "RFC 3339 timestamps of the raw model read too"
    );
    // The newest activity comes first.
    let first: Vec<Ticket> = trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first[0].id, created.id);

    // Assigned to a team only: Trengo keeps it `OPEN`.
    trengo
        .ticket_assign_team(
            &created.id,
            &TicketAssignTeamQuery::new(seed.teams[1].id.to_string()),
        )
        .await
        .unwrap();
    let got = trengo.get_ticket(&created.id).await.unwrap();
    assert_eq!(
        got.team.as_ref().map(|t| t.name.as_deref()),
        Some(Some("Billing"))
    );
    assert_eq!(got.status, Some(TicketStatus::Open));

    // Assigned to an agent: in progress, the assignee named in the detail.
    let agent = &seed.users[2];
    trengo
        .ticket_assign(&created.id, &TicketAssignQuery::new(agent.id.to_string()))
        .await
        .unwrap();
    let got = trengo.get_ticket(&created.id).await.unwrap();
    assert_eq!(got.status, Some(TicketStatus::InProgress));
    assert_eq!(
        got.assignees,
        vec![Reference {
            id: agent.id.to_string(),
            name: Some(agent.full_name())
        }]
    );

    // Two-way status sync: change it, read it back, list by it.
    trengo.ticket_close(&created.id).await.unwrap();
    let got = trengo.get_ticket(&created.id).await.unwrap();
    assert_eq!(got.status, Some(TicketStatus::Closed));
    assert!(got.completed_at.is_some());
    assert!(
        with_status(&trengo, TicketListQueryStatus::Closed)
            .await
            .contains(&created.id)
    );
    assert!(
        !with_status(&trengo, TicketListQueryStatus::InProgress)
            .await
            .contains(&created.id)
    );
    trengo.ticket_reopen(&created.id).await.unwrap();
    let got = trengo.get_ticket(&created.id).await.unwrap();
    assert_eq!(
        got.status,
        Some(TicketStatus::InProgress),
        "reopened to its agent"
    );
    assert_eq!(got.completed_at, None);
    assert!(
        with_status(&trengo, TicketListQueryStatus::InProgress)
            .await
            .contains(&created.id)
    );

    trengo.delete_ticket(&created.id).await.unwrap();
    let e = trengo.get_ticket(&created.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn auto_tagging_adds_and_removes_labels() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();
    let ticket = create(&trengo, "Where is my parcel?").await;
    let (vip, urgent) = (&seed.labels[0], &seed.labels[3]);
    for label in [vip, urgent] {
        trengo
            .ticket_add_tag(&ticket.id, &TicketAddTagQuery::new(label.id.to_string()))
            .await
            .unwrap();
    }
    // Adding a label twice keeps it once.
    trengo
        .ticket_add_tag(&ticket.id, &TicketAddTagQuery::new(vip.id.to_string()))
        .await
        .unwrap();
    let got = trengo.get_ticket(&ticket.id).await.unwrap();
    assert_eq!(got.tags, vec![vip.name.clone(), urgent.name.clone()]);

    trengo
        .ticket_remove_tag(&ticket.id, &TicketRemoveTagQuery::new(vip.id.to_string()))
        .await
        .unwrap();
    let got = trengo.get_ticket(&ticket.id).await.unwrap();
    assert_eq!(got.tags, vec![urgent.name.clone()]);
}

#[tokio::test]
async fn bad_ticket_writes_are_typed_errors_with_trengos_message() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();

    // No channel: Trengo's 422, with its field errors.
    let e = trengo
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference(seed.contacts[0].id)),
        )
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, Some(422)));
    assert_eq!(
        e.to_body()["details"]["errors"]["channel_id"][0],
        "The channel id field is required."
    );
    // An unknown contact.
    let e = trengo
        .create_ticket(
            &TicketCreateQuery::new().with_collection_id(seed.channels[0].id.to_string()),
            &TicketCreateBody::new(reference(1)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_body()["details"]["errors"]["contact_id"][0],
        "The selected contact id is invalid."
    );
    // A field Trengo cannot set on creation is refused before anything is sent.
    let e = trengo
        .create_ticket(
            &TicketCreateQuery::new().with_collection_id(seed.channels[0].id.to_string()),
            &TicketCreateBody::new(reference(seed.contacts[0].id))
                .with_status(TicketStatus::Closed),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(
        e.message().contains("cannot set `status` with `create`"),
        "{e}"
    );

    let ticket = &seed.tickets[0].id.to_string();
    let e = trengo
        .ticket_assign(ticket, &TicketAssignQuery::new("1".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(
        e.to_body()["details"]["errors"]["user_id"][0],
        "The selected user id is invalid."
    );
    let e = trengo
        .ticket_add_tag(ticket, &TicketAddTagQuery::new("1".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);

    for e in [
        trengo.ticket_close("1").await.unwrap_err(),
        trengo.delete_ticket("1").await.unwrap_err(),
        trengo
            .ticket_remove_tag(ticket, &TicketRemoveTagQuery::new("1".into()))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::NotFound, Some(404)),
            "{e}"
        );
        assert!(e.message().starts_with("No query results"), "{e}");
    }
}
