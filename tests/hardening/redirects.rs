//! A redirect to another origin is not the provider's answer: an error, whatever the foreign
//! host says. Redirects within the provider's origin are followed.

use switchboard_runtime::ErrorKind;
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::faults::{Fault, Rule};
use switchboard_tests::trengo;

#[tokio::test]
async fn a_redirect_to_another_origin_is_an_error() {
    let sandbox = Sandbox::start().await.unwrap();
    let first = switchboard_sandbox::trengo::Seed::new().tickets[0].id;
    // The same emulator under another name: another origin, which would answer.
    let foreign = sandbox
        .base_url("trengo")
        .unwrap()
        .replace("127.0.0.1", "localhost");
    sandbox.faults().inject(Rule::new(
        "/trengo/api/v2/tickets/1",
        Fault::Redirect(format!("{foreign}/tickets/{first}")),
    ));
    let e = trengo(&sandbox).get_ticket("1").await.unwrap_err();
    crate::check(&e, ErrorKind::Remote, &[switchboard_sandbox::trengo::TOKEN]);
    assert!(e.message().contains("another origin"), "{e}");
    assert_eq!(
        sandbox.faults().requests(),
        ["/trengo/api/v2/tickets/1"],
        "the foreign answer was never asked for"
    );
}

#[tokio::test]
async fn a_redirect_on_the_same_origin_is_followed() {
    let sandbox = Sandbox::start().await.unwrap();
    let first = switchboard_sandbox::trengo::Seed::new().tickets[0].id;
    let own = sandbox.base_url("trengo").unwrap();
    sandbox.faults().inject(Rule::new(
        "/trengo/api/v2/tickets/1",
        Fault::Redirect(format!("{own}/tickets/{first}")),
    ));
    let ticket = trengo(&sandbox).get_ticket("1").await.unwrap();
    assert_eq!(ticket.id, first.to_string());
}

#[tokio::test]
async fn a_foreign_next_link_is_refused_and_never_shows_a_secret() {
    use futures::TryStreamExt;
    use switchboard_runtime::{ClientOptions, Json, Pagination, PaginationKind, Request, Shape};
    static NEXT: Pagination = Pagination {
        kind: PaginationKind::NextUrl { next: &["next"] },
        max_pages: None,
    };
    let sandbox = Sandbox::start().await.unwrap();
    let token = switchboard_sandbox::lab::TOKEN;
    sandbox.faults().inject(Rule::new(
        "/lab/bearer/next_url/items",
        Fault::Respond {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: format!(
                r#"{{"data": [{{"id": 1}}], "next": "https://evil.example/steal?t={token}"}}"#
            ),
        },
    ));
    let client = crate::lab_client(&sandbox, "bearer", ClientOptions::default());
    let listed: Result<Vec<serde_json::Value>, _> = client
        .paginate(
            Request::get("/bearer/next_url/items"),
            Some(&NEXT),
            &["data"],
            &Shape::All,
            |n| Ok(n.to_value()),
        )
        .try_collect()
        .await;
    let e = listed.unwrap_err();
    crate::check(&e, ErrorKind::Remote, &[token]);
    assert!(e.message().contains("another origin"), "{e}");
    assert!(e.message().contains("[REDACTED]"), "{e}");
}
