//! Re:amaze end to end through the generated adapter against the sandbox: the brand subdomain
//! and HTTP Basic from the account, conversations as tickets (list over pages, get, create,
//! status sync), messages as comments with derived ids and visibility, staff as users.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::TryStreamExt;
use switchboard_generated::providers::reamaze::{Reamaze, ReamazeCredentials};
use switchboard_generated::unified::ticketing::{
    Comment, CommentCreateBody, CommentListQuery, Ticket, TicketAssignQuery, TicketCreateBody,
    TicketCreateQuery, TicketListQuery, TicketStatus, TicketUpdateBody, User,
};
use switchboard_runtime::{ClientOptions, ErrorKind, Reference, Secret};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::reamaze::{self, Seed};

fn connect_as(sandbox: &Sandbox, brand: &str, token: &str) -> Reamaze {
    // The sandbox stands for `https://<brand>.reamaze.io/api/v1` with a path per brand.
    let base = sandbox
        .base_url("reamaze")
        .unwrap()
        .replace(reamaze::BRAND, brand);
    Reamaze::connect(
        &ReamazeCredentials {
            brand: brand.into(),
            email: reamaze::EMAIL.into(),
            token: Secret::new(token),
        },
        ClientOptions::default().with_base_url(base),
    )
    .unwrap()
}

fn connect(sandbox: &Sandbox) -> Reamaze {
    connect_as(sandbox, reamaze::BRAND, reamaze::TOKEN)
}

async fn tickets(r: &Reamaze) -> Vec<Ticket> {
    r.list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .unwrap()
}

async fn comments(r: &Reamaze, ticket: &str) -> Vec<Comment> {
    r.list_comments(&CommentListQuery::new(ticket.into()))
        .try_collect()
        .await
        .unwrap()
}

#[test]
fn the_brand_is_the_base_urls_subdomain() {
    let r = Reamaze::connect(
        &ReamazeCredentials {
            brand: "shop".into(),
            email: "a@b.c".into(),
            token: Secret::new("t"),
        },
        ClientOptions::default(),
    );
    assert!(r.is_ok());
    assert!(format!("{:?}", r.unwrap()).contains("https://shop.reamaze.io/api/v1"));
}

#[tokio::test]
async fn conversations_list_over_pages_as_unified_tickets() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect(&sandbox);
    let seed = Seed::new();
    let list = tickets(&r).await;
    assert_eq!(
        list.len(),
        reamaze::CONVERSATION_COUNT,
        "two pages, archived ones included"
    );
    for (t, c) in list.iter().zip(&seed.conversations) {
        assert_eq!(t.id, c.slug);
        assert_eq!(t.name.as_deref(), Some(c.subject.as_str()));
        let expected = match c.status {
            0 | 7 => TicketStatus::Open,
            1 => TicketStatus::Pending,
            2 | 4 | 6 | 8 => TicketStatus::Closed,
            3 | 9 => TicketStatus::Spam,
            5 => TicketStatus::OnHold,
            other => panic!("no status {other}"),
        };
        assert_eq!(t.status, Some(expected));
        assert_eq!(
            t.contact.as_ref().map(|c| c.id.as_str()),
            Some(c.author.as_str())
        );
        assert_eq!(
            t.assignees.first().map(|a| a.id.as_str()),
            c.assignee.as_deref()
        );
        assert_eq!(t.tags, c.tags);
        // `-07:00`/`-08:00` local times come out as UTC instants.
        assert_eq!(t.created_at, Some(c.created_at));
    }
    let one = r.get_ticket(&list[5].id).await.unwrap();
    assert_eq!(one.id, list[5].id);
    assert_eq!(one.custom_fields, Some(serde_json::json!({})));
}

#[tokio::test]
async fn escalation_and_two_way_status_sync() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect(&sandbox);
    let contact = Reference {
        id: "new.customer@example.com".into(),
        name: Some("New Customer".into()),
    };
    let created = r
        .create_ticket(
            &TicketCreateQuery::new().with_collection_id("chat".into()),
            &TicketCreateBody::new(contact.clone())
                .with_name("Handover from the chat bot".into())
                .with_description("I need a human, please.".into()),
        )
        .await
        .unwrap();
    assert_eq!(created.id, "handover-from-the-chat-bot");
    assert_eq!(created.status, Some(TicketStatus::Open));
    assert_eq!(created.contact, Some(contact));
    assert_eq!(created.collections[0].id, "chat");

    let note = r
        .create_comment(
            &CommentCreateBody::new(
                Reference {
                    id: created.id.clone(),
                    name: None,
                },
                "Bot transcript: order 1042 is late.".into(),
            )
            .with_is_private(true),
        )
        .await
        .unwrap();
    assert_eq!(note.is_private, Some(true));
    assert!(
        note.id.starts_with("handover-from-the-chat-bot/"),
        "{}",
        note.id
    );
    // Assign it to a human: staff are identified by e-mail.
    let agent = Seed::new().staff[1].email.clone();
    r.ticket_assign(&created.id, &TicketAssignQuery::new(agent.clone()))
        .await
        .unwrap();
    let assigned = r.get_ticket(&created.id).await.unwrap();
    assert_eq!(
        assigned
            .assignees
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        [agent.as_str()]
    );
    let err = r
        .ticket_assign(
            &created.id,
            &TicketAssignQuery::new("nobody@example.com".into()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert!(err.to_string().contains("not a staff member"), "{err}");

    let listed = comments(&r, &created.id).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[1], note,
        "the derived id is stable between create and list"
    );
    assert_eq!(
        listed[0].author.as_ref().and_then(|a| a.id.as_deref()),
        Some("new.customer@example.com")
    );

    // Status sync: change, read back, list.
    r.update_ticket(
        &created.id,
        &TicketUpdateBody::new().with_status(TicketStatus::Closed),
    )
    .await
    .unwrap();
    assert_eq!(
        r.get_ticket(&created.id).await.unwrap().status,
        Some(TicketStatus::Closed)
    );
    let reopened = r
        .update_ticket(
            &created.id,
            &TicketUpdateBody::new().with_status(TicketStatus::Open),
        )
        .await
        .unwrap();
    assert_eq!(reopened.status, Some(TicketStatus::Open));
    assert!(
        tickets(&r)
            .await
            .iter()
            .any(|t| t.id == created.id && t.status == Some(TicketStatus::Open))
    );

    // A public reply marks the conversation responded (pending).
    r.create_comment(&CommentCreateBody::new(
        Reference {
            id: created.id.clone(),
            name: None,
        },
        "A colleague will call you.".into(),
    ))
    .await
    .unwrap();
    assert_eq!(
        r.get_ticket(&created.id).await.unwrap().status,
        Some(TicketStatus::Pending)
    );
}

#[tokio::test]
async fn messages_have_stable_derived_ids_and_visibility() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect(&sandbox);
    let seed = Seed::new();
    let c = &seed.conversations[3];
    let list = comments(&r, &c.slug).await;
    let raw: Vec<_> = seed.messages_of(&c.slug).collect();
    assert_eq!(list.len(), raw.len());
    for (m, raw) in list.iter().zip(&raw) {
        assert_eq!(m.id, format!("{}/{}", c.slug, seed.time(raw.created_at)));
        assert_eq!(m.is_private, Some(raw.visibility == 1));
        assert_eq!(m.ticket.id, c.slug);
        assert_eq!(m.created_at, Some(raw.created_at));
    }
    assert!(list.iter().any(|m| m.is_private == Some(true)));
    assert_eq!(
        comments(&r, &c.slug).await,
        list,
        "the same ids on every read"
    );
}

#[tokio::test]
async fn comments_carry_their_files_and_say_who_wrote_them() {
    use switchboard_generated::unified::ticketing::AuthorType;
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect(&sandbox);
    let seed = Seed::new();
    let mut with_files = 0;
    for c in &seed.conversations {
        let list = comments(&r, &c.slug).await;
        for (m, raw) in list.iter().zip(seed.messages_of(&c.slug)) {
            let files: Vec<&str> = m.attachments.iter().map(|a| a.id.as_str()).collect();
            let urls: Vec<String> = raw
                .attachments
                .iter()
                .map(|a| {
                    a.url.clone().unwrap_or_else(|| {
                        format!("https://cdn.reamaze.example/{}/{}", c.slug, a.name)
                    })
                })
                .collect();
            assert_eq!(files, urls, "{}", m.id);
            with_files += usize::from(!files.is_empty());
            let staff = seed.staff.iter().any(|s| s.email == raw.user);
            let author = m.author.as_ref().and_then(|a| a.r#type.clone());
            let expected = if staff {
                AuthorType::User
            } else {
                AuthorType::Contact
            };
            assert_eq!(author, Some(expected), "{}", m.id);
        }
    }
    assert!(with_files > 0, "some seeded messages carry files");
}

#[tokio::test]
async fn agent_directory_lists_staff_with_their_roles() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect(&sandbox);
    let users: Vec<User> = r.list_users().try_collect().await.unwrap();
    let seed = Seed::new();
    assert_eq!(users.len(), seed.staff.len());
    for (u, s) in users.iter().zip(&seed.staff) {
        assert_eq!(u.id, s.email);
        assert_eq!(u.name, s.name);
        assert_eq!(u.emails[0].email, s.email);
        // A role without an id (`"id": null`) is kept, named by its name.
        assert_eq!(u.roles[0].name.as_deref(), Some(s.role.1));
        let id = s
            .role
            .0
            .map_or_else(|| s.role.1.to_owned(), |id| id.to_string());
        assert_eq!(u.roles[0].id, id);
    }
}

#[tokio::test]
async fn wrong_brand_credentials_and_bad_writes_are_typed_errors() {
    let sandbox = Sandbox::start().await.unwrap();
    let e = connect_as(&sandbox, reamaze::BRAND, "wrong")
        .get_ticket("x")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(
        !format!("{e:?}{e}").contains("wrong"),
        "the token is never shown"
    );
    let e = connect_as(&sandbox, "other", reamaze::TOKEN)
        .get_ticket("knock")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "another brand's subdomain");

    let r = connect(&sandbox);
    let e = r
        .create_ticket(
            &TicketCreateQuery::new().with_collection_id("nowhere".into()),
            &TicketCreateBody::new(Reference {
                id: "x@example.com".into(),
                name: None,
            })
            .with_description("Hi".into()),
        )
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, Some(422)));
    assert_eq!(
        e.to_body()["details"]["errors"]["category"][0],
        "is not a channel of this brand"
    );
    let e = r
        .update_ticket(
            "no-such-conversation",
            &TicketUpdateBody::new().with_status(TicketStatus::Closed),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // Re:amaze has no equivalent of `in_progress`: refused before anything is sent.
    let e = r
        .update_ticket(
            "x",
            &TicketUpdateBody::new().with_status(TicketStatus::InProgress),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.message().contains("no equivalent"), "{e}");
}

#[tokio::test]
async fn contacts_are_listed_created_and_enriched() {
    use switchboard_generated::unified::ticketing::{
        Contact, ContactCreateBody, ContactCreateQuery, ContactListQuery, ContactUpdateBody,
        EmailAddress, PhoneNumber,
    };
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect(&sandbox);
    let seed = Seed::new();
    let all: Vec<Contact> = r
        .list_contacts(&ContactListQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), seed.customers.len());
    let names: Vec<&str> = all.iter().filter_map(|c| c.name.as_deref()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "Re:amaze lists contacts by name");
    let bob = all.iter().find(|c| c.id == "bob@example.com").unwrap();
    assert_eq!(bob.emails[0].email, "bob@example.com");
    assert_eq!(bob.phones[0].number, "+15555550100");
    assert_eq!(bob.custom_fields, Some(serde_json::json!({"plan": "pro"})));
    let found: Vec<Contact> = r
        .list_contacts(&ContactListQuery::default().with_search("ALI".into()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(r.get_contact("alice@example.com").await.unwrap(), found[0]);

    // Create with an e-mail and a phone: the first of each is sent.
    let created = r
        .create_contact(
            &ContactCreateQuery::new(),
            &ContactCreateBody::new()
                .with_name("Gina".into())
                .with_emails(vec![EmailAddress {
                    email: "gina@example.com".into(),
                    r#type: None,
                }])
                .with_phones(vec![PhoneNumber {
                    number: "+15555550999".into(),
                    r#type: None,
                }])
                .with_custom_fields(serde_json::json!({"plan": "free"})),
        )
        .await
        .unwrap();
    assert_eq!(created.id, "gina@example.com");
    assert_eq!(created.phones[0].number, "+15555550999");

    // Contact enrichment: write custom data, read it back.
    let updated = r
        .update_contact(
            &created.id,
            &ContactUpdateBody::new().with_custom_fields(serde_json::json!({"tier": "gold"})),
        )
        .await
        .unwrap();
    assert_eq!(
        updated.custom_fields,
        Some(serde_json::json!({"plan": "free", "tier": "gold"}))
    );
    assert_eq!(r.get_contact(&created.id).await.unwrap(), updated);

    // Bad writes.
    let e = r
        .create_contact(
            &ContactCreateQuery::new(),
            &ContactCreateBody::new().with_name("Nobody".into()),
        )
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, Some(422)));
    assert_eq!(
        e.to_body()["details"]["errors"]["email"][0],
        "or mobile must be given"
    );
    let e = r
        .update_contact(
            &created.id,
            &ContactUpdateBody::new().with_custom_fields(serde_json::json!({"deep": {"x": 1}})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    let e = r.get_contact("nobody@example.com").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn channels_are_collections() {
    use switchboard_generated::unified::ticketing::Collection;
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect(&sandbox);
    let all: Vec<Collection> = r.list_collections().try_collect().await.unwrap();
    let slugs: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(slugs, ["support", "chat"]);
    assert_eq!(all[0].r#type.as_deref(), Some("1"));
    assert_eq!(r.get_collection("chat").await.unwrap(), all[1]);
    assert_eq!(
        r.get_collection("nope").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn auto_tagging_adds_and_removes_tags() {
    // Re:amaze replaces a conversation's tags with the list sent: add and remove are a read,
    // a change and an update of the whole list.
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect(&sandbox);
    let slug = Seed::new().conversations[1].slug.clone();
    let before = r.get_ticket(&slug).await.unwrap().tags;
    assert_eq!(before, ["order", "vip"]);

    let mut tags = before.clone();
    tags.push("late-delivery".into());
    let tagged = r
        .update_ticket(&slug, &TicketUpdateBody::new().with_tags(tags))
        .await
        .unwrap();
    assert_eq!(tagged.tags, ["order", "vip", "late-delivery"]);

    // Changing only the status leaves the tags alone.
    r.update_ticket(
        &slug,
        &TicketUpdateBody::new().with_status(TicketStatus::Pending),
    )
    .await
    .unwrap();
    assert_eq!(
        r.get_ticket(&slug).await.unwrap().tags,
        ["order", "vip", "late-delivery"]
    );

    let without_vip: Vec<String> = tagged.tags.into_iter().filter(|t| t != "vip").collect();
    r.update_ticket(&slug, &TicketUpdateBody::new().with_tags(without_vip))
        .await
        .unwrap();
    let read = r.get_ticket(&slug).await.unwrap();
    assert_eq!(read.tags, ["order", "late-delivery"]);
    assert_eq!(read.status, Some(TicketStatus::Pending));

    // The list sees the change too.
    let listed = tickets(&r).await;
    let found = listed.iter().find(|t| t.id == slug).unwrap();
    assert_eq!(found.tags, ["order", "late-delivery"]);
}

#[tokio::test]
async fn rate_limited_brand_answers_429_with_retry_after() {
    use std::net::SocketAddr;
    use switchboard_sandbox::Options;

    let sandbox = Sandbox::start_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Options {
            reamaze: reamaze::State::default().with_rate_limit(2),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let r = connect(&sandbox);
    let slug = Seed::new().conversations[0].slug.clone();
    r.get_ticket(&slug).await.unwrap();
    r.get_ticket(&slug).await.unwrap();
    // The wait (up to a minute) is longer than the retry budget: the error comes back at once.
    let e = r.get_ticket(&slug).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::RateLimited, Some(429)),
        "{e}"
    );
    let wait = e.retry_after().unwrap();
    assert!(wait.as_secs() >= 1 && wait.as_secs() <= 60, "{wait:?}");
}
