//! Puzzel Case Management end to end through the generated adapter against the sandbox. PCM has
//! no public API reference: adapter and emulator follow the modeled API of
//! docs/providers/puzzel-case-management.md, every method marked inferred. Covered: Puzzel ID
//! tokens (one for many calls, a new one after expiry), offset pages, tickets (TID- references,
//! writes, assignment, tags), messages and internal notes, attachments, customers, users and
//! the User Directory, and the workflows on the integration page.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::net::SocketAddr;

use futures::TryStreamExt;
use switchboard_generated::providers::puzzel_case_management::PuzzelCaseManagement;
use switchboard_generated::registry::CAPABILITIES;
use switchboard_generated::unified::ticketing::{
    Attachment, AttachmentListQuery, Comment, CommentCreateBody, CommentListQuery, Contact,
    ContactCreateBody, ContactCreateQuery, ContactListQuery, ContactUpdateBody, EmailAddress,
    Ticket, TicketAssignQuery, TicketAssignTeamQuery, TicketCreateBody, TicketCreateQuery,
    TicketListQuery, TicketListQueryStatus, TicketPriority, TicketStatus, TicketUpdateBody, User,
};
use switchboard_generated::unified::user_directory::{User as DirectoryUser, UserStatus};
use switchboard_runtime::{ErrorKind, Reference};
use switchboard_sandbox::puzzel_cm::{self, Seed};
use switchboard_sandbox::{Options, Sandbox};
use switchboard_tests::puzzel_case_management as connect;

fn reference(id: &str) -> Reference {
    Reference {
        id: id.to_owned(),
        name: None,
    }
}

async fn tickets(p: &PuzzelCaseManagement, query: &TicketListQuery) -> Vec<Ticket> {
    p.list_tickets(query).try_collect().await.unwrap()
}

#[test]
fn every_method_is_marked_inferred() {
    let ours: Vec<_> = CAPABILITIES
        .iter()
        .filter(|c| c.provider == PuzzelCaseManagement::NAME)
        .collect();
    assert!(ours.len() >= 15, "{} capabilities", ours.len());
    assert!(ours.iter().all(|c| c.provenance == "inferred"));
}

#[tokio::test]
async fn tickets_over_offset_pages_as_unified_tickets() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = connect(&sandbox);
    let seed = Seed::new();
    let list = tickets(&p, &TicketListQuery::new()).await;
    assert_eq!(list.len(), puzzel_cm::TICKET_COUNT);
    for (t, raw) in list.iter().zip(&seed.tickets) {
        assert_eq!(t.id, raw.id.to_string());
        assert_eq!(
            t.number.as_deref(),
            Some(format!("TID-{:06}", raw.id).as_str())
        );
        assert_eq!(t.name.as_deref(), Some(raw.subject.as_str()));
        assert_eq!(t.contact.as_ref().unwrap().id, raw.customer_id.to_string());
        assert_eq!(
            t.assignees.first().map(|a| a.id.as_str()),
            raw.assignee.as_deref()
        );
        assert_eq!(t.team.as_ref().map(|g| g.id.as_str()), raw.team);
        assert_eq!(t.tags, raw.tags);
        assert_eq!(t.created_at, Some(raw.created_at));
        assert_eq!(t.completed_at, raw.resolved_at);
    }
    assert_eq!(list[2].status, Some(TicketStatus::OnHold));
    assert_eq!(
        list[3].priority,
        Some(TicketPriority::Urgent),
        "Critical is urgent"
    );

    // By number or by TID- reference.
    assert_eq!(p.get_ticket("1005").await.unwrap(), list[4]);
    assert_eq!(p.get_ticket("TID-001005").await.unwrap(), list[4]);
    let e = p.get_ticket("99").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::NotFound, Some(404)),
        "{e}"
    );
    assert!(e.message().contains("Ticket 99 was not found"), "{e}");
}

#[tokio::test]
async fn escalation_with_transcript_note_and_assignee() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = connect(&sandbox);
    let seed = Seed::new();
    let customer = &seed.customers[2];
    let agent = &seed.agents[1];
    let created = p
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference(&customer.id.to_string()))
                .with_name("Chat handover: damaged parcel".into())
                .with_description("The customer asked for a human.".into())
                .with_assignees(vec![reference(&agent.email)]),
        )
        .await
        .unwrap();
    assert_eq!(
        created.id,
        (puzzel_cm::FIRST_TICKET + puzzel_cm::TICKET_COUNT as u64).to_string()
    );
    assert_eq!(created.number.as_deref(), Some("TID-001061"));
    assert_eq!(created.status, Some(TicketStatus::Open));
    assert_eq!(created.assignees[0].id, agent.email);

    let note = p
        .create_comment(
            &CommentCreateBody::new(
                reference(&created.id),
                "Bot transcript: parcel arrived broken.".into(),
            )
            .with_is_private(true),
        )
        .await
        .unwrap();
    assert_eq!(note.is_private, Some(true));
    assert_eq!(note.ticket.id, created.id);
    let comments: Vec<Comment> = p
        .list_comments(&CommentListQuery::new(created.id.clone()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(comments.len(), 2, "the description is the first message");
    assert_eq!(
        comments[0].body.as_deref(),
        Some("The customer asked for a human.")
    );
    assert_eq!(comments[1], note);

    // Hand it to another agent, then to a team.
    p.ticket_assign(
        &created.id,
        &TicketAssignQuery::new(seed.agents[2].email.clone()),
    )
    .await
    .unwrap();
    p.ticket_assign_team(
        &created.id,
        &TicketAssignTeamQuery::new("Technical Support".into()),
    )
    .await
    .unwrap();
    let read = p.get_ticket(&created.id).await.unwrap();
    assert_eq!(read.assignees[0].id, seed.agents[2].email);
    assert_eq!(read.team.unwrap().id, "Technical Support");
}

#[tokio::test]
async fn an_external_event_becomes_a_priority_ticket_with_tags() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = connect(&sandbox);
    let created = p
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference("4500"))
                .with_name("Monitoring: payment gateway errors".into())
                .with_priority(TicketPriority::Urgent)
                .with_tags(vec!["incident".into(), "payments".into()]),
        )
        .await
        .unwrap();
    assert_eq!(created.priority, Some(TicketPriority::Urgent));
    assert_eq!(created.tags, ["incident", "payments"]);
    // Tags are replaced as a whole: add one, drop one.
    let updated = p
        .update_ticket(
            &created.id,
            &TicketUpdateBody::new().with_tags(vec!["incident".into(), "escalated".into()]),
        )
        .await
        .unwrap();
    assert_eq!(updated.tags, ["incident", "escalated"]);
    // Talkdesk-style types do not exist in PCM: refused before anything is sent.
    let e = p
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference("4500"))
                .with_name("x".into())
                .with_type(switchboard_generated::unified::ticketing::TicketType::Incident),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
}

#[tokio::test]
async fn two_way_status_sync() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = connect(&sandbox);
    let changed = p
        .update_ticket(
            "1001",
            &TicketUpdateBody::new().with_status(TicketStatus::Resolved),
        )
        .await
        .unwrap();
    assert_eq!(changed.status, Some(TicketStatus::Resolved));
    assert!(
        changed.completed_at.is_some(),
        "resolving sets the resolve date"
    );
    assert_eq!(
        p.get_ticket("1001").await.unwrap().status,
        Some(TicketStatus::Resolved)
    );
    let resolved = tickets(
        &p,
        &TicketListQuery::new().with_status(TicketListQueryStatus::Resolved),
    )
    .await;
    assert!(resolved.iter().any(|t| t.id == "1001"));
    assert!(
        resolved
            .iter()
            .all(|t| t.status == Some(TicketStatus::Resolved))
    );
    p.update_ticket(
        "1001",
        &TicketUpdateBody::new().with_status(TicketStatus::Open),
    )
    .await
    .unwrap();
    let read = p.get_ticket("1001").await.unwrap();
    assert_eq!(
        (read.status, read.completed_at),
        (Some(TicketStatus::Open), None)
    );
    // A unified status PCM has no value for is refused.
    let e = p
        .update_ticket(
            "1001",
            &TicketUpdateBody::new().with_status(TicketStatus::Spam),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
}

#[tokio::test]
async fn bad_writes_are_typed_errors_with_the_message() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = connect(&sandbox);
    let e = p
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference("4500")),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Validation, Some(422)),
        "{e}"
    );
    assert_eq!(
        e.to_body()["details"]["errors"]["subject"][0],
        "is required"
    );
    let e = p
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference("1")).with_name("x".into()),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_body()["details"]["errors"]["customer_id"][0],
        "is not a customer of this account"
    );
    let e = p
        .ticket_assign("1001", &TicketAssignQuery::new("nobody@example.com".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    let e = p
        .create_comment(&CommentCreateBody::new(reference("5"), "x".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[tokio::test]
async fn attachments_of_a_tickets_messages() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = connect(&sandbox);
    let seed = Seed::new();
    for t in seed.tickets.iter().take(8) {
        let expected: Vec<&puzzel_cm::File> = seed
            .messages
            .iter()
            .filter(|m| m.ticket_id == t.id)
            .flat_map(|m| &m.attachments)
            .collect();
        let files: Vec<Attachment> = p
            .list_attachments(&AttachmentListQuery::new(t.id.to_string()))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(files.len(), expected.len(), "ticket {}", t.id);
        assert!(
            files
                .iter()
                .all(|f| f.ticket.as_ref().unwrap().id == t.id.to_string())
        );
        for (f, raw) in files.iter().zip(expected) {
            assert_eq!(f.id, raw.id.to_string());
            assert_eq!(f.file_name.as_deref(), Some(raw.filename.as_str()));
            assert_eq!(f.size, Some(raw.size as i64));
            assert!(f.file_url.as_deref().unwrap().ends_with(&raw.filename));
        }
    }
}

#[tokio::test]
async fn customers_are_listed_created_and_enriched() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = connect(&sandbox);
    let seed = Seed::new();
    let all: Vec<Contact> = p
        .list_contacts(&ContactListQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), seed.customers.len());
    let sms_only = all.iter().find(|c| c.emails.is_empty()).unwrap();
    assert_eq!(sms_only.phones.len(), 1, "identified by mobile");

    let created = p
        .create_contact(
            &ContactCreateQuery::new(),
            &ContactCreateBody::new()
                .with_name("Nora New".into())
                .with_emails(vec![EmailAddress {
                    email: "nora@example.com".into(),
                    r#type: None,
                }])
                .with_custom_fields(serde_json::json!({"organisation": "Fjord AS"})),
        )
        .await
        .unwrap();
    assert_eq!(created.emails[0].email, "nora@example.com");
    let enriched = p
        .update_contact(
            &created.id,
            &ContactUpdateBody::new()
                .with_custom_fields(serde_json::json!({"department": "Sales"})),
        )
        .await
        .unwrap();
    assert_eq!(
        enriched.custom_fields,
        Some(serde_json::json!({"department": "Sales", "organisation": "Fjord AS"}))
    );
    assert_eq!(p.get_contact(&created.id).await.unwrap(), enriched);
    // The same e-mail again is refused: customers are unique by e-mail or mobile.
    let e = p
        .create_contact(
            &ContactCreateQuery::new(),
            &ContactCreateBody::new().with_emails(vec![EmailAddress {
                email: "nora@example.com".into(),
                r#type: None,
            }]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    // The free-text search is not in the modeled API: refused, not silently ignored.
    let e = p
        .list_contacts(&ContactListQuery::new().with_search("nora".into()))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
}

#[tokio::test]
async fn agent_lookup_and_the_user_directory() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = connect(&sandbox);
    let seed = Seed::new();
    let users: Vec<User> = p.list_users().try_collect().await.unwrap();
    assert_eq!(users.len(), seed.agents.len());
    for (u, a) in users.iter().zip(&seed.agents) {
        assert_eq!(u.id, a.email);
        assert_eq!(u.is_active, Some(!a.suspended));
        assert_eq!(u.roles[0].id, a.role);
        let teams: Vec<&str> = u.teams.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(teams, a.teams, "teams by name");
    }
    // Who is the assignee of ticket 1002?
    let ticket = p.get_ticket("1002").await.unwrap();
    let agent = p.get_user(&ticket.assignees[0].id).await.unwrap();
    assert_eq!(agent.name, seed.agents[1].name);
    assert_eq!(
        p.get_user("nobody@example.com").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    let directory: Vec<DirectoryUser> = p.list_directory_users().try_collect().await.unwrap();
    assert_eq!(directory.len(), seed.agents.len());
    assert_eq!(directory[3].status, Some(UserStatus::Inactive), "suspended");
    assert_eq!(directory[0].status, Some(UserStatus::Active));
    assert_eq!(directory[0].groups.len(), seed.agents[0].teams.len());
    assert_eq!(
        p.get_directory_user(&directory[1].id).await.unwrap(),
        directory[1]
    );
}

#[tokio::test]
async fn one_token_for_many_calls_and_a_new_one_after_expiry() {
    let state = puzzel_cm::State::default();
    let sandbox = Sandbox::start_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Options {
            puzzel_cm: state.clone(),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let p = connect(&sandbox);
    let calls = (0..30).map(|i| {
        let p = p.clone();
        async move { p.get_ticket(&(1001 + i).to_string()).await }
    });
    assert!(
        futures::future::join_all(calls)
            .await
            .iter()
            .all(Result::is_ok)
    );
    assert_eq!(state.token_requests(), 1);
    state.expire_tokens();
    p.get_ticket("1001").await.unwrap();
    assert_eq!(state.token_requests(), 2);
}

#[tokio::test]
async fn rate_limited_tenant_answers_429() {
    let sandbox = Sandbox::start_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Options {
            puzzel_cm: puzzel_cm::State::default().with_rate_limit(1),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let p = connect(&sandbox);
    p.get_ticket("1001").await.unwrap();
    let e = p.get_ticket("1001").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::RateLimited, Some(429)),
        "{e}"
    );
    assert!(e.retry_after().is_some());
}
