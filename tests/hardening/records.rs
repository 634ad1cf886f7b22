//! Secrets inside provider records stay inside Switchboard wherever the provider puts them:
//! Trengo embeds each ticket's channel, connector login included, and `remote_data` shows it
//! redacted exactly as the channel itself is.

use futures::TryStreamExt;
use switchboard_generated::unified::ticketing::TicketListQuery;
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::CONNECTOR_PASSWORD;
use switchboard_tests::trengo;

#[tokio::test]
async fn an_embedded_channel_is_redacted_like_the_channel_itself() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = trengo(&sandbox).with_remote_data(true);
    let tickets: Vec<_> = trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .unwrap();
    let mut with_login = 0;
    for ticket in &tickets {
        let raw = ticket.remote_data.as_ref().unwrap();
        let text = raw.to_string();
        assert!(
            !text.contains(CONNECTOR_PASSWORD),
            "ticket {}: {text}",
            ticket.id
        );
        let password = &raw["channel"]["password"];
        if !password.is_null() {
            assert_eq!(password, "[redacted]", "ticket {}", ticket.id);
            assert_eq!(raw["channel"]["username"], "[redacted]");
            with_login += 1;
        }
        let ours = ticket
            .remote_data
            .as_ref()
            .map(|r| r["channel"]["title"].clone());
        assert!(
            ours.is_some_and(|t| !t.is_null()),
            "the rest of the channel is kept"
        );
    }
    assert!(with_login > 0, "some tickets came in on an e-mail channel");
    let channels: Vec<_> = trengo.list_collections().try_collect().await.unwrap();
    assert!(channels.iter().any(|c| {
        c.remote_data
            .as_ref()
            .is_some_and(|r| r["password"] == "[redacted]")
    }));
}

#[tokio::test]
async fn ids_keep_the_provider_s_exact_text() {
    use switchboard_sandbox::faults::{Fault, Rule};
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = trengo(&sandbox);
    for id in [
        "123456789012345678901234567890",
        "-0",
        "1e2",
        "18446744073709551615",
    ] {
        sandbox.faults().clear();
        sandbox.faults().inject(Rule::new(
            "/trengo/api/v2/contacts/7",
            Fault::Respond {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: format!(r#"{{"id": {id}, "name": "Ada", "email": null}}"#),
            },
        ));
        let contact = trengo.get_contact("7").await.unwrap();
        assert_eq!(contact.id, id);
    }
}
