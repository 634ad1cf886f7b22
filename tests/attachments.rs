//! Attachments of both providers end to end through the generated adapters against the
//! sandbox. Neither provider has an attachments endpoint: a ticket's files are those its
//! messages carry, so the list reads `<messages>[].attachments` over every page of messages.
//! A page of messages without files is not an empty page: the listing goes on.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::net::SocketAddr;

use futures::TryStreamExt;
use switchboard_generated::unified::ticketing::{Attachment, AttachmentListQuery};
use switchboard_runtime::ErrorKind;
use switchboard_sandbox::{Options, Sandbox, reamaze, trengo};
use switchboard_tests::{reamaze as connect_reamaze, trengo as connect_trengo};

fn of(ticket: &str) -> AttachmentListQuery {
    AttachmentListQuery::new(ticket.to_owned())
}

#[tokio::test]
async fn trengo_lists_the_files_of_a_tickets_messages() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect_trengo(&sandbox);
    let seed = trengo::Seed::new();
    let mut with_files = 0;
    for ticket in seed.tickets.iter().take(12) {
        let expected: Vec<(String, String)> = seed
            .messages_of(ticket.id)
            .flat_map(|m| {
                m.attachments.iter().map(move |name| {
                    (
                        name.clone(),
                        format!(
                            "https://assets.trengo.example/attachments/{}/{name}",
                            m.ticket_id
                        ),
                    )
                })
            })
            .collect();
        let files: Vec<Attachment> = t
            .list_attachments(&of(&ticket.id.to_string()))
            .try_collect()
            .await
            .unwrap();
        let got: Vec<(String, String)> = files
            .iter()
            .map(|f| (f.file_name.clone().unwrap(), f.file_url.clone().unwrap()))
            .collect();
        assert_eq!(got, expected, "ticket {}", ticket.id);
        assert!(files.iter().all(|f| Some(&f.id) == f.file_url.as_ref()));
        assert!(
            files
                .iter()
                .all(|f| f.ticket.as_ref().map(|t| t.id.clone()) == Some(ticket.id.to_string())),
            "each file names the ticket it was listed for"
        );
        with_files += usize::from(!files.is_empty());
    }
    assert!(with_files > 0, "some seeded tickets have files");

    let e = t
        .list_attachments(&of("1"))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::NotFound, Some(404)),
        "{e}"
    );
}

#[tokio::test]
async fn trengo_pages_of_messages_without_files_do_not_end_the_list() {
    // One ticket with 60 messages (three pages of 25, 25 and 10): only the last page has files.
    let mut seed = trengo::Seed::new();
    let ticket = seed.tickets[0].id;
    let template = seed.messages_of(ticket).next().unwrap().clone();
    let messages: Vec<trengo::Message> = (0..60)
        .map(|i| trengo::Message {
            id: 9_000_000 + i,
            attachments: if i >= 55 {
                vec![format!("scan-{i}.pdf")]
            } else {
                Vec::new()
            },
            ..template.clone()
        })
        .collect();
    seed.messages.insert(ticket, messages);
    let sandbox = Sandbox::start_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Options {
            trengo: trengo::State::new(seed, trengo::TOKEN),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let files: Vec<Attachment> = connect_trengo(&sandbox)
        .list_attachments(&of(&ticket.to_string()))
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = files
        .iter()
        .filter_map(|f| f.file_name.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            "scan-55.pdf",
            "scan-56.pdf",
            "scan-57.pdf",
            "scan-58.pdf",
            "scan-59.pdf"
        ]
    );
    assert_eq!(
        sandbox.faults().requests().len(),
        3,
        "all three pages were read"
    );
}

#[tokio::test]
async fn reamaze_lists_the_files_of_a_conversations_messages() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect_reamaze(&sandbox);
    let seed = reamaze::Seed::new();
    for c in seed.conversations.iter().take(7) {
        let expected: Vec<&reamaze::Attachment> = seed
            .messages
            .iter()
            .filter(|m| m.conversation == c.slug)
            .flat_map(|m| &m.attachments)
            .collect();
        let files: Vec<Attachment> = r
            .list_attachments(&of(&c.slug))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(files.len(), expected.len(), "{}", c.slug);
        assert!(
            files
                .iter()
                .all(|f| f.ticket.as_ref().map(|t| t.id.as_str()) == Some(c.slug.as_str()))
        );
        for (f, a) in files.iter().zip(&expected) {
            assert_eq!(f.file_name.as_deref(), Some(a.name.as_str()));
            assert_eq!(f.content_type.as_deref(), Some(a.content_type));
            assert_eq!(f.size, a.size);
            assert_eq!(
                f.file_url.as_deref(),
                Some(format!("https://cdn.reamaze.example/{}/{}", c.slug, a.name).as_str())
            );
        }
    }
    // Conversation 0 has an invoice and a screenshot; 1 has none.
    let first = &seed.conversations[0].slug;
    let files: Vec<Attachment> = r.list_attachments(&of(first)).try_collect().await.unwrap();
    assert_eq!(files.len(), 2);
    let none: Vec<Attachment> = r
        .list_attachments(&of(&seed.conversations[1].slug))
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());

    // With remote data, each file comes with the provider's record.
    let raw: Vec<Attachment> = r
        .clone()
        .with_remote_data(true)
        .list_attachments(&of(first))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(raw[1].remote_data.as_ref().unwrap()["image?"], true);
}

#[tokio::test]
async fn reamaze_files_attached_by_url_are_listed_over_pages() {
    // A conversation with 40 messages (two pages of 30 and 10): the file is on the second.
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect_reamaze(&sandbox);
    let slug = reamaze::Seed::new().conversations[1].slug.clone();
    let http = reqwest::Client::new();
    let url = format!(
        "{}/conversations/{slug}/messages",
        sandbox.base_url("reamaze").unwrap()
    );
    let existing = reamaze::Seed::new()
        .messages
        .iter()
        .filter(|m| m.conversation == slug)
        .count();
    for i in existing..40 {
        let mut message = serde_json::json!({ "body": format!("Update {i}."), "visibility": 1 });
        if i == 39 {
            message["attachment"] = "https://files.example.com/report.pdf".into();
        }
        let sent = http
            .post(&url)
            .basic_auth(reamaze::EMAIL, Some(reamaze::TOKEN))
            .json(&serde_json::json!({ "message": message }))
            .send()
            .await
            .unwrap();
        assert!(sent.status().is_success(), "{}", sent.status());
    }
    let files: Vec<Attachment> = r.list_attachments(&of(&slug)).try_collect().await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].id, "https://files.example.com/report.pdf");
    assert_eq!(files[0].file_name.as_deref(), Some("report.pdf"));
    assert_eq!(files[0].content_type.as_deref(), Some("application/pdf"));
    assert_eq!(
        files[0].size, None,
        "Re:amaze fetches the file; its size is not known here"
    );
}
