//! Trengo messages as unified comments, end to end through the generated adapter against the
//! sandbox: a ticket's conversation (who wrote what, what is internal), one message, a reply
//! and an internal note, and the escalation workflow (create a ticket from a chat, add the
//! transcript as an internal note, assign it).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::TryStreamExt;
use switchboard_generated::providers::trengo::Trengo;
use switchboard_generated::unified::ticketing::{
    AuthorType, Comment, CommentCreateBody, CommentGetQuery, CommentListQuery, TicketAssignQuery,
    TicketCreateBody, TicketCreateQuery, TicketStatus,
};
use switchboard_runtime::{ErrorKind, Reference};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::Seed;
use switchboard_tests::trengo as connect;

fn reference(id: impl ToString) -> Reference {
    Reference {
        id: id.to_string(),
        name: None,
    }
}

async fn comments(trengo: &Trengo, ticket: &str) -> Vec<Comment> {
    trengo
        .list_comments(&CommentListQuery::new(ticket.to_owned()))
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_tickets_conversation_says_who_wrote_what_and_what_is_internal() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();
    // A ticket with a question, replies and notes.
    let raw = seed
        .tickets
        .iter()
        .find(|t| seed.messages_of(t.id).count() == 5)
        .unwrap();
    let contact = seed.contact(raw.contact_id).unwrap();
    let list = comments(&trengo, &raw.id.to_string()).await;
    assert_eq!(list.len(), 5);
    for (comment, m) in list.iter().zip(seed.messages_of(raw.id)) {
        assert_eq!(comment.id, m.id.to_string());
        assert_eq!(comment.ticket, reference(raw.id));
        assert_eq!(comment.body.as_deref(), Some(m.text.as_str()));
        assert_eq!(comment.is_private, Some(m.kind == "NOTE"));
        assert_eq!(comment.created_at, Some(m.created_at));
        let author = comment.author.as_ref().unwrap();
        match m.kind {
            "INBOUND" => {
                assert_eq!(author.r#type, Some(AuthorType::Contact));
                assert_eq!(author.id.as_deref(), Some(contact.id.to_string().as_str()));
                assert_eq!(author.name.as_deref(), Some(contact.name.as_str()));
            }
            _ => {
                let agent = seed.user(m.user_id.unwrap()).unwrap();
                assert_eq!(author.r#type, Some(AuthorType::User));
                assert_eq!(author.name.as_deref(), Some(agent.full_name().as_str()));
            }
        }
    }
    let one = trengo
        .get_comment(
            &list[2].id,
            &CommentGetQuery::new().with_ticket_id(raw.id.to_string()),
        )
        .await
        .unwrap();
    assert_eq!(one, list[2]);
}

#[tokio::test]
async fn escalating_a_chat_to_a_human() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();
    let (contact, chat, agent) = (&seed.contacts[4], &seed.channels[0], &seed.users[3]);

    let ticket = trengo
        .create_ticket(
            &TicketCreateQuery::new().with_collection_id(chat.id.to_string()),
            &TicketCreateBody::new(reference(contact.id)).with_name("Bot handover".into()),
        )
        .await
        .unwrap();
    let transcript = "Customer: my parcel is lost\nBot: I will get a colleague";
    let note = trengo
        .create_comment(
            &CommentCreateBody::new(reference(&ticket.id), transcript.into()).with_is_private(true),
        )
        .await
        .unwrap();
    assert_eq!(note.is_private, Some(true));
    assert_eq!(note.body.as_deref(), Some(transcript));
    // Trengo's answer to a new message has a naive `created_at` in UTC beside the instant
    // `created_at_time`: the instant is taken, so the time is not an hour off.
    let age = switchboard_runtime::Timestamp::now().duration_since(note.created_at.unwrap());
    assert!(age.as_secs().abs() < 60, "created {age:?} ago");
    assert_eq!(note.ticket, reference(&ticket.id));
    trengo
        .ticket_assign(&ticket.id, &TicketAssignQuery::new(agent.id.to_string()))
        .await
        .unwrap();

    let got = trengo.get_ticket(&ticket.id).await.unwrap();
    assert_eq!(got.status, Some(TicketStatus::InProgress));
    assert_eq!(got.assignees[0].id, agent.id.to_string());
    let list = comments(&trengo, &ticket.id).await;
    assert_eq!(
        list,
        vec![note.clone()],
        "the note is kept, and nothing else was sent"
    );

    // A reply is public.
    let reply = trengo
        .create_comment(&CommentCreateBody::new(
            reference(&ticket.id),
            "We are on it.".into(),
        ))
        .await
        .unwrap();
    assert_eq!(reply.is_private, Some(false));
    assert_eq!(comments(&trengo, &ticket.id).await, vec![note, reply]);
}

#[tokio::test]
async fn bad_comment_writes_are_typed_errors() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();
    let ticket = seed.tickets[0].id.to_string();
    let e = trengo
        .create_comment(&CommentCreateBody::new(reference(&ticket), "  ".into()))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, Some(422)));
    assert_eq!(
        e.to_body()["details"]["errors"]["message"][0],
        "The message field is required."
    );
    let e = trengo
        .create_comment(&CommentCreateBody::new(reference(1), "Hello".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // Trengo needs the ticket to find a message: without it the request cannot be built.
    let e = trengo
        .get_comment("1", &CommentGetQuery::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.message().contains("query.ticket_id"), "{e}");
    let e = comments_error(&trengo, "1").await;
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

async fn comments_error(trengo: &Trengo, ticket: &str) -> switchboard_runtime::Error {
    trengo
        .list_comments(&CommentListQuery::new(ticket.to_owned()))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err()
}
