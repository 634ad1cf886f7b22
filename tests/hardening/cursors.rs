//! Cursors come back from callers: they are bound to the account (its id, base URL and
//! credentials), a URL one carries is held to the account's origin like any next link, and
//! keys too short to sign with are refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use switchboard_generated::providers::talkdesk::Talkdesk;
use switchboard_generated::providers::trengo::Trengo;
use switchboard_generated::unified::ticketing::TicketListQuery;
use switchboard_runtime::{ClientOptions, ErrorKind, Secret};
use switchboard_sandbox::{Sandbox, trengo};
use switchboard_tests::{talkdesk_with, trengo_with};

const KEY: &str = "a-cursor-key-of-at-least-32-bytes!";

fn talkdesk_on(host_url: &str, sandbox: &Sandbox, account: &str) -> Talkdesk {
    let base = sandbox
        .base_url("talkdesk")
        .unwrap()
        .replace("http://127.0.0.1", host_url);
    talkdesk_with(
        sandbox,
        ClientOptions::default()
            .with_base_url(base)
            .with_cursor_key(Secret::new(KEY))
            .with_account(account),
    )
}

#[tokio::test]
async fn a_cursor_of_one_account_does_not_resume_on_another() {
    let sandbox = Sandbox::start().await.unwrap();
    let a = talkdesk_on("http://127.0.0.1", &sandbox, "account-a");
    let query = TicketListQuery::default();
    let cursor = a
        .list_tickets_page(&query, switchboard_runtime::PageRequest::first())
        .await
        .unwrap()
        .next_cursor
        .expect("more pages");
    // Another account, on another host, with the same cursor key.
    let b = talkdesk_on("http://localhost", &sandbox, "account-b");
    let before = sandbox.faults().requests().len();
    let e = b
        .list_tickets_page(&query, switchboard_runtime::PageRequest::after(&cursor))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert!(e.message().contains("another account"), "{e}");
    assert_eq!(
        sandbox.faults().requests().len(),
        before,
        "nothing was sent"
    );
    // The same account id on another base URL is another account too.
    let moved = talkdesk_on("http://localhost", &sandbox, "account-a");
    let e = moved
        .list_tickets_page(&query, switchboard_runtime::PageRequest::after(&cursor))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    // The account itself resumes it.
    let again = talkdesk_on("http://127.0.0.1", &sandbox, "account-a");
    assert!(
        again
            .list_tickets_page(&query, switchboard_runtime::PageRequest::after(&cursor))
            .await
            .is_ok()
    );
}

fn trengo_with_key(sandbox: &Sandbox, key: &str) -> Result<Trengo, switchboard_runtime::Error> {
    trengo_with(
        sandbox,
        ClientOptions::default().with_cursor_key(Secret::new(key)),
    )
}

#[tokio::test]
async fn short_cursor_keys_are_a_configuration_error() {
    let sandbox = Sandbox::start().await.unwrap();
    for key in ["", "short", &"k".repeat(31)] {
        let e = trengo_with_key(&sandbox, key).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Configuration, "{e}");
        assert!(e.message().contains("at least 32"), "{e}");
    }
    assert!(trengo_with_key(&sandbox, &"k".repeat(32)).is_ok());
}

/// A cursor signed with the key, carrying `state` instead of the real one.
fn resign(cursor: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let body = cursor.split('.').nth(1).unwrap();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
    edit(&mut payload["state"]);
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(format!("v1.{body}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("v1.{body}.{signature}")
}

#[tokio::test]
async fn a_cursor_never_sends_credentials_to_another_origin() {
    let sandbox = Sandbox::start().await.unwrap();
    // Where a forged cursor would send the token.
    let thief = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stolen = format!("http://{}/steal", thief.local_addr().unwrap());
    let trengo = trengo_with_key(&sandbox, KEY).unwrap();
    let query = TicketListQuery::default();
    let cursor = trengo
        .list_tickets_page(&query, switchboard_runtime::PageRequest::first())
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    let forged = resign(&cursor, |state| {
        state["next"] = serde_json::json!({"Url": stolen})
    });
    let e = trengo
        .list_tickets_page(&query, switchboard_runtime::PageRequest::after(&forged))
        .await
        .unwrap_err();
    crate::check(&e, ErrorKind::Remote, &[trengo::TOKEN]);
    assert!(e.message().contains("another origin"), "{e}");
    let accepted =
        tokio::time::timeout(std::time::Duration::from_millis(200), thief.accept()).await;
    assert!(accepted.is_err(), "no connection reached the other port");
    // A URL on the account's own origin is followed.
    let own = format!("{}/tickets?page=2", sandbox.base_url("trengo").unwrap());
    let same = resign(&cursor, |state| {
        state["next"] = serde_json::json!({"Url": own})
    });
    assert!(
        trengo
            .list_tickets_page(&query, switchboard_runtime::PageRequest::after(&same))
            .await
            .is_ok()
    );
}
