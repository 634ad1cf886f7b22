//! Talkdesk Cases end to end through the generated adapter against the sandbox, over loopback:
//! OAuth2 client credentials against the account's token endpoint (one token for many calls,
//! renewed when it expires, regions), HAL pagination, cases as unified tickets (statuses,
//! priorities, types, requester, `owner_id` written and `agent_id` read, groups as teams),
//! writes and their validation errors, users, contacts, case fields and statuses.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::net::SocketAddr;

use futures::TryStreamExt;
use switchboard_generated::providers::talkdesk::Talkdesk;
use switchboard_generated::unified::ticketing::{
    Comment, CommentCreateBody, CommentListQuery, Contact, ContactListQuery, Field, FieldType,
    Ticket, TicketAssignQuery, TicketAssignTeamQuery, TicketCreateBody, TicketCreateQuery,
    TicketListQuery, TicketListQueryStatus, TicketPriority, TicketState, TicketStatus, TicketType,
    TicketUpdateBody, User,
};
use switchboard_runtime::{ClientOptions, ErrorKind, Reference};
use switchboard_sandbox::talkdesk::{self, Seed};
use switchboard_sandbox::{Options, Sandbox};
use switchboard_tests::{talkdesk as connect, talkdesk_credentials};

async fn sandbox_with(state: talkdesk::State) -> Sandbox {
    Sandbox::start_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Options {
            talkdesk: state,
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

async fn tickets(t: &Talkdesk, query: &TicketListQuery) -> Vec<Ticket> {
    t.list_tickets(query).try_collect().await.unwrap()
}

fn reference(id: &str) -> Reference {
    Reference {
        id: id.to_owned(),
        name: None,
    }
}

#[tokio::test]
async fn cases_list_over_hal_pages_as_unified_tickets() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect(&sandbox);
    let seed = Seed::new();
    let list = tickets(&t, &TicketListQuery::new()).await;
    assert_eq!(list.len(), talkdesk::CASE_COUNT, "two pages of 100");
    for (ticket, case) in list.iter().zip(&seed.cases) {
        assert_eq!(ticket.id, case.id.to_string());
        assert_eq!(ticket.name.as_deref(), Some(case.title.as_str()));
        let status = match case.status {
            "New" => TicketStatus::Open,
            "Open" => TicketStatus::InProgress,
            "Pending" => TicketStatus::Pending,
            "On-hold" => TicketStatus::OnHold,
            "Resolved" => TicketStatus::Resolved,
            _ => TicketStatus::Closed,
        };
        assert_eq!(ticket.status, Some(status));
        assert_eq!(
            ticket.contact.as_ref().map(|c| c.id.as_str()),
            Some(case.requester_id.as_str())
        );
        assert_eq!(
            ticket.assignees.first().map(|a| a.id.as_str()),
            case.agent_id.as_deref(),
            "agent_id is the assignee"
        );
        assert_eq!(
            ticket.team.as_ref().map(|g| g.id.as_str()),
            case.group.map(|g| g.0)
        );
        assert_eq!(ticket.created_at, Some(case.created_at));
    }
    assert_eq!(list[1].priority, Some(TicketPriority::Normal));
    assert_eq!(list[2].r#type, Some(TicketType::Problem));
    assert_eq!(
        list[0].custom_fields,
        Some(
            serde_json::json!({"checkbox1": {"value": true}, "drop_down1": {"label": "red", "value": "001"}})
        )
    );
    // Page requests follow `_links.next`.
    let pages = sandbox
        .faults()
        .requests()
        .iter()
        .filter(|r| r.contains("/cm/core/va/cases"))
        .count();
    assert_eq!(pages, 2);

    let one = t.get_ticket("7").await.unwrap();
    assert_eq!(one, list[6]);
    let e = t.get_ticket("999999").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::NotFound, Some(404)),
        "{e}"
    );
    assert!(e.message().contains("Case not found"), "{e}");
}

#[tokio::test]
async fn escalation_creates_an_assigned_priority_case() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect(&sandbox);
    let seed = Seed::new();
    let contact = &seed.contacts[3];
    let agent = &seed.agents[1];
    // An external event pushed as a priority ticket, assigned to a human.
    let created = t
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(Reference {
                id: contact.id.clone(),
                name: Some(contact.name.clone()),
            })
            .with_name("Payment gateway down for order 1042".into())
            .with_description("Chat bot transcript: the customer cannot pay.".into())
            .with_priority(TicketPriority::Urgent)
            .with_type(TicketType::Incident)
            .with_assignees(vec![reference(&agent.id)]),
        )
        .await
        .unwrap();
    assert_eq!(created.id, (talkdesk::CASE_COUNT + 1).to_string());
    assert_eq!(created.priority, Some(TicketPriority::Urgent));
    assert_eq!(created.r#type, Some(TicketType::Incident));
    assert_eq!(
        created.status,
        Some(TicketStatus::InProgress),
        "assigned: Open"
    );
    assert_eq!(
        created.assignees,
        [Reference {
            id: agent.id.clone(),
            name: Some(agent.name.clone())
        }]
    );
    assert_eq!(t.get_ticket(&created.id).await.unwrap(), created);

    // Reassign to another agent and to a group (team).
    t.ticket_assign(
        &created.id,
        &TicketAssignQuery::new(seed.agents[0].id.clone()),
    )
    .await
    .unwrap();
    t.ticket_assign_team(
        &created.id,
        &TicketAssignTeamQuery::new("group-billing".into()),
    )
    .await
    .unwrap();
    let read = t.get_ticket(&created.id).await.unwrap();
    assert_eq!(read.assignees[0].id, seed.agents[0].id);
    assert_eq!(
        read.team,
        Some(Reference {
            id: "group-billing".into(),
            name: Some("Billing".into())
        })
    );

    // The chat transcript goes in as an internal note; notes are read back from the case.
    let note = t
        .create_comment(
            &CommentCreateBody::new(
                reference(&created.id),
                "Bot: card declined three times.".into(),
            )
            .with_is_private(true),
        )
        .await
        .unwrap();
    assert_eq!(note.is_private, Some(true));
    assert_eq!(
        note.ticket.id, created.id,
        "the note's case is the one written to"
    );
    let public = t
        .create_comment(
            &CommentCreateBody::new(reference(&created.id), "We are looking into it.".into())
                .with_is_private(false),
        )
        .await
        .unwrap();
    assert_eq!((public.id.as_str(), public.is_private), ("2", Some(false)));
    let notes: Vec<Comment> = t
        .list_comments(&CommentListQuery::new(created.id.clone()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(notes, [note, public]);

    // Talkdesk cases have no tags: asking for them is refused before anything is sent.
    let before = sandbox.faults().requests().len();
    let e = t
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference(&contact.id))
                .with_name("Tagged".into())
                .with_tags(vec!["vip".into()]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert_eq!(sandbox.faults().requests().len(), before);
}

#[tokio::test]
async fn two_way_status_sync() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect(&sandbox);
    let updated = t
        .update_ticket(
            "2",
            &TicketUpdateBody::new().with_status(TicketStatus::OnHold),
        )
        .await
        .unwrap();
    assert_eq!(updated.status, Some(TicketStatus::OnHold));
    assert_eq!(
        t.get_ticket("2").await.unwrap().status,
        Some(TicketStatus::OnHold)
    );
    let on_hold = tickets(
        &t,
        &TicketListQuery::new().with_status(TicketListQueryStatus::OnHold),
    )
    .await;
    assert!(on_hold.iter().any(|c| c.id == "2"));
    assert!(
        on_hold
            .iter()
            .all(|c| c.status == Some(TicketStatus::OnHold))
    );

    t.update_ticket(
        "2",
        &TicketUpdateBody::new().with_status(TicketStatus::Pending),
    )
    .await
    .unwrap();
    let pending = tickets(
        &t,
        &TicketListQuery::new().with_status(TicketListQueryStatus::Pending),
    )
    .await;
    assert!(pending.iter().any(|c| c.id == "2"));

    // Resolving needs a resolution, which the unified model does not carry: Talkdesk's refusal
    // comes back as a validation error with its field message.
    let e = t
        .update_ticket(
            "2",
            &TicketUpdateBody::new().with_status(TicketStatus::Resolved),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Validation, Some(400)),
        "{e}"
    );
    assert!(e.message().contains("resolution: is required"), "{e}");
    assert_eq!(e.to_body()["details"]["errors"][0]["name"], "resolution");
    // Closed has no unified-to-Talkdesk value (it follows Resolved automatically).
    let e = t
        .update_ticket(
            "2",
            &TicketUpdateBody::new().with_status(TicketStatus::Closed),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
}

#[tokio::test]
async fn bad_writes_are_typed_errors_with_talkdesks_message() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect(&sandbox);
    let seed = Seed::new();
    let e = t
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference(&seed.contacts[0].id)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Validation, Some(400)),
        "{e}"
    );
    assert!(e.message().contains("title: can't be blank"), "{e}");
    let e = t
        .create_ticket(
            &TicketCreateQuery::new(),
            &TicketCreateBody::new(reference("no-such-contact")).with_name("x".into()),
        )
        .await
        .unwrap_err();
    assert!(e.message().contains("requester_id"), "{e}");
    let e = t
        .ticket_assign("3", &TicketAssignQuery::new("no-such-agent".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    let e = t
        .update_ticket("424242", &TicketUpdateBody::new().with_name("x".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = t
        .create_comment(&CommentCreateBody::new(reference("3"), " ".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert!(
        e.message().contains("notes.note_body: can't be blank"),
        "{e}"
    );
    let e = t
        .list_comments(&CommentListQuery::new("424242".into()))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[tokio::test]
async fn one_token_for_many_calls_and_renewal_when_it_expires() {
    let state = talkdesk::State::default();
    let sandbox = sandbox_with(state.clone()).await;
    let t = connect(&sandbox);
    let calls = (1..=50).map(|i| {
        let t = t.clone();
        async move { t.get_ticket(&i.to_string()).await }
    });
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(Result::is_ok));
    assert_eq!(
        state.token_requests(),
        1,
        "50 concurrent calls share one token"
    );

    // The token expires (or is revoked): the next call gets a 401, the runtime fetches a new
    // token and sends the call again; the caller sees no failure.
    state.expire_tokens();
    let again = t.get_ticket("1").await.unwrap();
    assert_eq!(again.id, "1");
    assert_eq!(state.token_requests(), 2);
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_auth_error_without_the_secret() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = Talkdesk::connect(
        &talkdesk_credentials("not-the-secret"),
        ClientOptions::default()
            .with_base_url(sandbox.base_url("talkdesk").unwrap())
            .with_auth_url(sandbox.auth_url("talkdesk").unwrap()),
    )
    .unwrap();
    let e = t.get_ticket("1").await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Auth, Some(401)), "{e}");
    assert!(e.message().contains("Client authentication failed"), "{e}");
    assert!(!format!("{e:?} {}", e.to_body()).contains("not-the-secret"));
}

#[test]
fn the_region_picks_the_api_and_token_hosts() {
    let mut credentials = talkdesk_credentials("s");
    credentials.region = Some("eu".into());
    let eu = format!(
        "{:?}",
        Talkdesk::connect(&credentials, ClientOptions::default()).unwrap()
    );
    assert!(eu.contains("https://api.talkdeskapp.eu"), "{eu}");
    assert!(
        eu.contains("https://acme.talkdeskid.eu/oauth/token"),
        "{eu}"
    );
    credentials.region = Some("ca".into());
    let ca = format!(
        "{:?}",
        Talkdesk::connect(&credentials, ClientOptions::default()).unwrap()
    );
    assert!(ca.contains("https://api.talkdeskappca.com"), "{ca}");
    assert!(
        ca.contains("https://acme.talkdeskidca.com/oauth/token"),
        "{ca}"
    );
    credentials.region = None;
    let us = format!(
        "{:?}",
        Talkdesk::connect(&credentials, ClientOptions::default()).unwrap()
    );
    assert!(us.contains("https://api.talkdeskapp.com"), "{us}");
    credentials.region = Some("mars".into());
    let e = Talkdesk::connect(&credentials, ClientOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert!(
        e.message()
            .contains("`mars`, which is not one of: us, eu, ca"),
        "{e}"
    );
}

#[tokio::test]
async fn agent_lookup_contacts_fields_and_statuses() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect(&sandbox);
    let seed = Seed::new();

    // Agent lookup: list the agents, find the one a case is assigned to.
    let users: Vec<User> = t.list_users().try_collect().await.unwrap();
    assert_eq!(users.len(), seed.agents.len());
    for (u, a) in users.iter().zip(&seed.agents) {
        assert_eq!(
            (u.id.as_str(), u.name.as_str()),
            (a.id.as_str(), a.name.as_str())
        );
        assert_eq!(u.emails[0].email, a.email);
        assert_eq!(u.is_active, Some(a.active));
        assert_eq!(u.created_at, Some(a.created_at));
    }
    let case = t.get_ticket("2").await.unwrap();
    let owner = t.get_user(&case.assignees[0].id).await.unwrap();
    assert_eq!(Some(owner.name.clone()), case.assignees[0].name);
    assert_eq!(
        t.get_user("nobody").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    let contacts: Vec<Contact> = t
        .list_contacts(&ContactListQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        contacts.len(),
        seed.contacts.len(),
        "over two HAL pages of 50"
    );
    let one = t.get_contact(&contacts[4].id).await.unwrap();
    assert_eq!(one, contacts[4], "the `contact` wrapper is unwrapped");
    assert_eq!(one.phones[0].number, seed.contacts[4].phone);
    assert_eq!(one.emails[0].email, seed.contacts[4].email);

    let fields: Vec<Field> = t.list_fields().try_collect().await.unwrap();
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[0].name.as_deref(), Some("drop_down1"));
    assert_eq!(fields[0].r#type, Some(FieldType::Enum));
    let options: Vec<(&str, Option<&str>)> = fields[0]
        .options
        .iter()
        .map(|o| (o.value.as_str(), o.label.as_deref()))
        .collect();
    assert_eq!(options, [("001", Some("red")), ("002", Some("blue"))]);
    assert_eq!(fields[2].is_required, Some(true));

    let statuses: Vec<TicketState> = t.list_ticket_status().try_collect().await.unwrap();
    let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, talkdesk::STATUSES);
}

#[tokio::test]
async fn rate_limited_account_answers_429() {
    let sandbox = sandbox_with(talkdesk::State::default().with_rate_limit(1)).await;
    let t = connect(&sandbox);
    t.get_ticket("1").await.unwrap();
    let e = t.get_ticket("1").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::RateLimited, Some(429)),
        "{e}"
    );
    assert!(e.retry_after().is_some());
}
