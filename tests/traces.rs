//! Traces of adapter calls: one `switchboard.request` span per request, naming the provider,
//! the call, the status, the attempts and the latency, and never a secret. (Its own test
//! binary: `tracing` caches per process which call sites are enabled.)

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use switchboard_generated::providers::trengo::{Trengo, TrengoCredentials};
use switchboard_generated::unified::ticketing::TicketListQuery;
use switchboard_runtime::{ClientOptions, RetryPolicy, Secret};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::faults::{Fault, Rule};
use switchboard_sandbox::trengo;

/// A `tracing` subscriber writing to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn traces_name_the_call_and_never_a_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = Sandbox::start().await.unwrap();
    sandbox.faults().inject(
        Rule::new("/trengo/api/v2/tickets", Fault::Status(503))
            .query("page=1")
            .times(1),
    );
    let trengo = Trengo::connect(
        &TrengoCredentials {
            token: Secret::new(trengo::TOKEN),
            timezone: None,
        },
        ClientOptions::default()
            .with_base_url(sandbox.base_url("trengo").unwrap())
            .with_retry(RetryPolicy {
                initial_backoff: Duration::from_millis(5),
                ..RetryPolicy::default()
            }),
    )
    .unwrap();
    let tickets: Vec<_> = trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tickets.len(), trengo::TICKET_COUNT);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains(trengo::TOKEN), "{text}");
    let closes: Vec<&str> = text.lines().filter(|l| l.contains("close")).collect();
    assert_eq!(closes.len(), 3, "one span per page request:\n{text}");
    for line in &closes {
        for field in [
            "switchboard.request",
            "provider=\"trengo\"",
            "resource=\"tickets\"",
            "method=\"list\"",
            "status=200",
            "latency_ms=",
        ] {
            assert!(line.contains(field), "{field} in {line}");
        }
    }
    assert!(closes[0].contains("attempts=2"), "{}", closes[0]);
    assert!(
        text.contains("attempt failed") && text.contains("status=503"),
        "{text}"
    );
}
