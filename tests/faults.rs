//! The fault matrix: the generated Trengo adapter against the sandbox over loopback, with
//! faults injected per route. Each fault has its documented outcome (docs/architecture.md,
//! "Retries and faults"): bounded retries, then a typed error naming the provider, the call
//! and the status; never a panic, a duplicate or missing record, or a secret in any output.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::time::Duration;

use futures::TryStreamExt;
use switchboard_generated::providers::trengo::Trengo;
use switchboard_generated::unified::ticketing::{Ticket, TicketListQuery};
use switchboard_runtime::{ClientOptions, Error, ErrorKind, RetryPolicy, Secret};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::faults::{Fault, Rule};
use switchboard_sandbox::trengo::{self, Seed};

const TICKETS: &str = "/trengo/api/v2/tickets";

/// Quick retries, so the matrix runs in seconds: 4 attempts, backoff from 5 ms.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
        max_elapsed: Duration::from_secs(10),
    }
}

fn connect(sandbox: &Sandbox, options: ClientOptions) -> Trengo {
    switchboard_tests::trengo_with(sandbox, options).unwrap()
}

async fn list(trengo: &Trengo) -> Result<Vec<Ticket>, Error> {
    trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
}

fn seeded_ids() -> Vec<String> {
    Seed::new()
        .tickets
        .iter()
        .map(|t| t.id.to_string())
        .collect()
}

fn ids(tickets: &[Ticket]) -> Vec<String> {
    tickets.iter().map(|t| t.id.clone()).collect()
}

/// Requests the sandbox saw for a page.
fn hits(sandbox: &Sandbox, page: u32) -> usize {
    let page = format!("page={page}");
    sandbox
        .faults()
        .requests()
        .iter()
        .filter(|r| r.starts_with(TICKETS) && r.split(['?', '&']).any(|p| p == page))
        .count()
}

/// What every failure must show: the provider, the call, a status where the provider
/// answered, and no secret in any rendering.
fn check_error(e: &Error, kind: ErrorKind, status: Option<u16>) {
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(e.provider(), "trengo");
    let op = e.operation().expect("the error names the call");
    assert_eq!((op.resource, op.method), ("tickets", "list"));
    assert_eq!(e.status(), status, "{e}");
    for text in [e.to_string(), format!("{e:?}"), e.to_body().to_string()] {
        assert!(!text.contains(trengo::TOKEN), "secret in {text}");
        assert!(text.contains("trengo"), "{text}");
    }
    let body = e.to_body();
    assert_eq!(body["error"], kind.as_str());
    assert_eq!(body["details"]["resource"], "tickets");
}

#[tokio::test]
async fn transient_faults_are_retried_and_no_record_is_lost_or_repeated() {
    let faults = [
        Fault::RateLimited {
            retry_after: Some("1".into()),
        },
        Fault::RateLimited { retry_after: None },
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Html(502),
        Fault::Reset,
        Fault::Truncated,
        Fault::Slow(Duration::from_millis(800)),
    ];
    for fault in faults {
        let sandbox = Sandbox::start().await.unwrap();
        // Page 2 fails twice, then answers.
        sandbox
            .faults()
            .inject(Rule::new(TICKETS, fault.clone()).query("page=2").times(2));
        let trengo = connect(
            &sandbox,
            ClientOptions::default()
                .with_retry(policy())
                .with_timeout(Duration::from_millis(400)),
        );
        let tickets = list(&trengo)
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(ids(&tickets), seeded_ids(), "{fault:?}");
        assert_eq!(
            hits(&sandbox, 2),
            3,
            "{fault:?}: two failures and one success"
        );
        assert_eq!(hits(&sandbox, 1), 1, "{fault:?}: page 1 fetched once");
    }
}

#[tokio::test]
async fn persistent_faults_end_in_a_typed_error_after_bounded_attempts() {
    let cases = [
        (
            Fault::RateLimited { retry_after: None },
            ErrorKind::RateLimited,
            Some(429),
        ),
        (Fault::Status(500), ErrorKind::Remote, Some(500)),
        (Fault::Status(503), ErrorKind::Remote, Some(503)),
        (Fault::Html(502), ErrorKind::Remote, Some(502)),
        (Fault::Reset, ErrorKind::Transport, None),
        (Fault::Truncated, ErrorKind::Transport, None),
        (
            Fault::Slow(Duration::from_secs(2)),
            ErrorKind::Timeout,
            None,
        ),
    ];
    for (fault, kind, status) in cases {
        let sandbox = Sandbox::start().await.unwrap();
        sandbox
            .faults()
            .inject(Rule::new(TICKETS, fault.clone()).query("page=2"));
        let trengo = connect(
            &sandbox,
            ClientOptions::default()
                .with_retry(policy())
                .with_timeout(Duration::from_millis(300)),
        );
        let mut stream = trengo.list_tickets(&TicketListQuery::default());
        let mut got = Vec::new();
        let e = loop {
            match stream.try_next().await {
                Ok(Some(t)) => got.push(t.id),
                Ok(None) => panic!("{fault:?}: the list ended without the error"),
                Err(e) => break e,
            }
        };
        // The first page arrived whole before the failure; nothing after it.
        assert_eq!(got, seeded_ids()[..trengo::PER_PAGE], "{fault:?}");
        check_error(&e, kind, status);
        assert_eq!(e.attempts(), 4, "{fault:?}: {e}");
        assert_eq!(hits(&sandbox, 2), 4, "{fault:?}");
        if let Fault::Html(_) = fault {
            assert!(
                e.remote_body()
                    .unwrap()
                    .contains("<h1>502 Bad Gateway</h1>")
            );
            assert_eq!(e.message(), "502 Bad Gateway");
        }
        if kind == ErrorKind::RateLimited {
            assert_eq!(e.to_body()["status_code"], 429);
        }
    }
}

#[tokio::test]
async fn a_wait_longer_than_the_budget_is_not_slept() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.faults().inject(Rule::new(
        TICKETS,
        Fault::RateLimited {
            retry_after: Some("3600".into()),
        },
    ));
    let trengo = connect(&sandbox, ClientOptions::default().with_retry(policy()));
    let e = list(&trengo).await.unwrap_err();
    check_error(&e, ErrorKind::RateLimited, Some(429));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(
        e.attempts(),
        1,
        "returned at once, with the wait for the caller"
    );
    assert_eq!(e.to_body()["details"]["retry_after_seconds"], 3600);
}

#[tokio::test]
async fn broken_bodies_are_remote_errors_without_retry() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .faults()
        .inject(Rule::new(TICKETS, Fault::InvalidJson).query("page=3"));
    let trengo = connect(&sandbox, ClientOptions::default().with_retry(policy()));
    let e = list(&trengo).await.unwrap_err();
    check_error(&e, ErrorKind::Remote, Some(200));
    assert!(e.message().contains("not valid JSON"), "{e}");
    assert!(e.remote_body().unwrap().starts_with("{\"data\""));
    assert_eq!(hits(&sandbox, 3), 1, "a 200 is not sent again");
}

#[tokio::test]
async fn an_empty_page_mid_list_is_passed_over_while_the_next_link_continues() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .faults()
        .inject(Rule::new(TICKETS, Fault::EmptyPage("data")).query("page=2"));
    let trengo = connect(&sandbox, ClientOptions::default());
    let tickets = list(&trengo).await.unwrap();
    let all = seeded_ids();
    let expected: Vec<String> = all[..trengo::PER_PAGE]
        .iter()
        .chain(&all[2 * trengo::PER_PAGE..])
        .cloned()
        .collect();
    assert_eq!(ids(&tickets), expected, "pages 1 and 3, each record once");
    assert_eq!(hits(&sandbox, 3), 1);
}

#[tokio::test]
async fn a_provider_that_ignores_the_page_parameter_is_stopped() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .faults()
        .inject(Rule::new(TICKETS, Fault::AnswerAs("page=1")).query("page=2"));
    let trengo = connect(&sandbox, ClientOptions::default());
    let e = list(&trengo).await.unwrap_err();
    check_error(&e, ErrorKind::Remote, None);
    assert!(e.message().contains("repeats the previous page"), "{e}");
}

#[tokio::test]
async fn writes_are_not_sent_twice_but_rate_limits_are_retried() {
    use switchboard_runtime::{Auth, Client, ClientConfig, Request};
    let sandbox = Sandbox::start().await.unwrap();
    let base = sandbox.base_url("trengo").unwrap();
    let client = Client::new(
        ClientConfig::new("trengo", base, Auth::Bearer(Secret::new(trengo::TOKEN)))
            .with_options(ClientOptions::default().with_retry(policy())),
    )
    .unwrap();
    let post = || {
        Request::new(switchboard_runtime::Method::POST, "/tickets")
            .with_operation("tickets", "create")
            .with_body(serde_json::json!({"subject": "x"}))
    };
    sandbox
        .faults()
        .inject(Rule::new(TICKETS, Fault::Status(503)).times(1));
    let e = client.send_full(&post()).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.attempts()),
        (ErrorKind::Remote, Some(503), 1)
    );

    // Declared safe: retried like a read.
    sandbox
        .faults()
        .inject(Rule::new(TICKETS, Fault::Status(503)).times(1));
    let mut safe = post();
    safe.retry_safe = true;
    let e = client.send_full(&safe).await.unwrap_err();
    // The retry reached the emulator, which has no ticket creation yet (405).
    assert_eq!(e.attempts(), 2, "{e}");

    // A 429 means the provider did not act: retried whatever the method.
    sandbox.faults().inject(
        Rule::new(
            TICKETS,
            Fault::RateLimited {
                retry_after: Some("0".into()),
            },
        )
        .times(1),
    );
    let e = client.send_full(&post()).await.unwrap_err();
    assert_eq!(e.attempts(), 2, "{e}");
}
