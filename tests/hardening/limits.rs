//! Bounded resources whatever the provider does: answers past the body cap (announced or
//! not, or endless) end with a typed error after reading at most the cap, and are not retried;
//! memory stays flat (measured in a child process); thousands of concurrent calls share a
//! bounded number of connections; failures keep their whole cause, once.

use std::time::Duration;

use switchboard_runtime::{ClientOptions, ErrorKind, Request};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::faults::{Fault, Rule};

use crate::{lab_client, quick_retries};

const ROUTE: &str = "/lab/bearer/page_number/items";
const PATH: &str = "/bearer/page_number/items";

async fn oversize(
    sandbox: &Sandbox,
    fault: Fault,
    options: ClientOptions,
) -> switchboard_runtime::Error {
    sandbox.faults().clear();
    sandbox.faults().inject(Rule::new(ROUTE, fault));
    let client = lab_client(sandbox, "bearer", options.with_retry(quick_retries()));
    let before = sandbox.faults().requests().len();
    let e = client.send(&Request::get(PATH)).await.unwrap_err();
    assert_eq!(
        sandbox.faults().requests().len(),
        before + 1,
        "not retried: {e}"
    );
    e
}

#[tokio::test]
async fn answers_past_the_body_cap_are_typed_errors_and_not_retried() {
    let sandbox = Sandbox::start().await.unwrap();
    for fault in [
        Fault::Huge {
            bytes: 2 << 30,
            announced: true,
        },
        Fault::Huge {
            bytes: 2 << 30,
            announced: false,
        },
        Fault::Endless,
    ] {
        let e = oversize(&sandbox, fault.clone(), ClientOptions::default()).await;
        crate::check(&e, ErrorKind::Remote, &[switchboard_sandbox::lab::TOKEN]);
        assert!(
            e.message().contains("larger than the 32 MiB limit"),
            "{fault:?}: {e}"
        );
        assert!(e.message().contains("max_body_bytes"), "{e}");
        assert_eq!(e.status(), Some(200));
    }
    // The cap is the client's to set.
    let e = oversize(
        &sandbox,
        Fault::Huge {
            bytes: 300 << 10,
            announced: false,
        },
        ClientOptions::default().with_max_body_bytes(256 << 10),
    )
    .await;
    assert!(e.message().contains("256 KiB"), "{e}");
}

/// Peak resident memory of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

const CHILD: &str = "SWITCHBOARD_MEMORY_CHILD";

/// Runs in a process of its own (see `memory_stays_flat_on_huge_and_endless_answers`), so that
/// its peak memory is its own.
#[tokio::test]
#[ignore = "run by memory_stays_flat_on_huge_and_endless_answers in a child process"]
async fn memory_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let sandbox = Sandbox::start().await.unwrap();
    for fault in [
        Fault::Huge {
            bytes: 2 << 30,
            announced: false,
        },
        Fault::Endless,
    ] {
        let e = oversize(&sandbox, fault, ClientOptions::default()).await;
        assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    }
    println!("peak_rss_kib={}", peak_rss_kib());
}

#[test]
fn memory_stays_flat_on_huge_and_endless_answers() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "limits::memory_child",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak: u64 = stdout
        .lines()
        .find_map(|l| l.split_once("peak_rss_kib=").map(|(_, v)| v))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("the child reports its memory: {stdout}"));
    assert!(peak < 100 * 1024, "peak resident memory {peak} KiB");
}

#[tokio::test]
async fn concurrent_calls_share_a_bounded_number_of_connections() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .faults()
        .inject(Rule::new(ROUTE, Fault::Slow(Duration::from_millis(20))));
    let client = lab_client(
        &sandbox,
        "bearer",
        ClientOptions::default().with_max_connections(50),
    );
    let request = Request::get(PATH);
    let calls = (0..5_000).map(|_| client.send(&request));
    let results = futures::future::join_all(calls).await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} failed, first: {}",
        failed.len(),
        failed[0]
    );
    let most = sandbox.faults().most_in_flight();
    assert!(most <= 50 && most > 1, "{most} requests at once");
}

#[tokio::test]
async fn failures_keep_their_cause_once() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = lab_client(
        &sandbox,
        "bearer",
        ClientOptions::default().with_retry(quick_retries()),
    );
    let cases = [
        (
            Fault::HugeHeader(1 << 20),
            ErrorKind::Transport,
            "error sending request: ",
        ),
        // Cut off: before or after the head arrived, depending on timing.
        (Fault::Truncated, ErrorKind::Transport, "connection closed"),
        (Fault::Reset, ErrorKind::Transport, ": "),
        (Fault::InvalidJson, ErrorKind::Remote, "not valid JSON"),
    ];
    for (fault, kind, says) in cases {
        sandbox.faults().clear();
        sandbox.faults().inject(Rule::new(ROUTE, fault.clone()));
        let e = client.send(&Request::get(PATH)).await.unwrap_err();
        assert_eq!(e.kind(), kind, "{fault:?}: {e}");
        let message = e.message();
        assert!(message.contains(says), "{fault:?}: {message}");
        assert!(message.matches(" at line ").count() <= 1, "{message}");
        let cause = message.split_once(": ").map(|(_, c)| c).unwrap_or("");
        assert!(
            !cause.trim().is_empty(),
            "{fault:?}: a cause follows: {message}"
        );
    }
    // Nothing listening: the operating system's reason is in the message.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let gone = switchboard_runtime::Client::new(
        switchboard_runtime::ClientConfig::new(
            "lab",
            format!("http://{addr}/lab"),
            switchboard_runtime::Auth::ApiKey {
                name: "api_key".into(),
                in_query: true,
                value: switchboard_runtime::Secret::new(switchboard_sandbox::lab::API_KEY),
            },
        )
        .with_options(
            ClientOptions::default().with_retry(switchboard_runtime::RetryPolicy::none()),
        ),
    )
    .unwrap();
    let e = gone
        .send(&Request::get("/api_key_query/page_number/items"))
        .await
        .unwrap_err();
    crate::check(
        &e,
        ErrorKind::Transport,
        &[switchboard_sandbox::lab::API_KEY],
    );
    assert!(
        e.message().to_lowercase().contains("connection refused"),
        "{e}"
    );
    assert!(
        e.message().contains(&format!(
            "http://{addr}/lab/api_key_query/page_number/items"
        )),
        "{e}"
    );
}
