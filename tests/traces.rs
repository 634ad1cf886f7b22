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

/// The forms a secret could leak in: as is, percent-encoded, base64 and JSON-escaped.
fn leaked_forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    let escaped: String = secret
        .encode_utf16()
        .map(|u| format!("\\u{u:04x}"))
        .collect();
    vec![
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(secret),
        escaped,
    ]
}

/// Every auth kind, every error path: provider answers that echo the credentials (sent or
/// fetched) in every encoding, failed token requests, timeouts and unreachable hosts with a
/// key in the query string. No credential value, in any form, is in any error's `Display`,
/// `Debug` or `to_body()`, nor in the traces.
#[tokio::test]
async fn no_credential_leaves_in_any_output() {
    use switchboard_runtime::{Client, ClientConfig, Request};
    use switchboard_sandbox::lab;

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let state = lab::State::default();
    let sandbox = Sandbox::start_with(
        ([127, 0, 0, 1], 0).into(),
        switchboard_sandbox::Options {
            lab: state.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let unreachable = format!("http://{}/lab", closed.local_addr().unwrap());
    drop(closed);
    let auth = |kind: &str, base: &str| switchboard_tests::lab_auth(kind, base, false);
    let options = || {
        ClientOptions::default()
            .with_timeout(Duration::from_millis(300))
            .with_retry(RetryPolicy {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(2),
                max_backoff: Duration::from_millis(5),
                max_elapsed: Duration::from_secs(5),
            })
    };
    let mut errors = Vec::new();
    let mut fetched = Vec::new();
    for kind in lab::AUTHS.iter().filter(|k| **k != "none") {
        let base = sandbox.base_url("lab").unwrap();
        let client = Client::new(
            ClientConfig::new("lab", base.clone(), auth(kind, &base)).with_options(options()),
        )
        .unwrap();
        let route = format!("/lab/{kind}/page_number/items");
        let request = Request::get(format!("/{kind}/page_number/items"));
        // A working call first, so that token kinds hold a fetched token.
        client.send(&request).await.unwrap();
        let mut faults = vec![
            (route.clone(), Fault::Echo(422)),
            (route.clone(), Fault::Echo(401)),
            (route.clone(), Fault::Echo(500)),
            (route.clone(), Fault::Slow(Duration::from_secs(2))),
        ];
        if *kind == "oauth2" {
            faults.push(("/lab/oauth/token".into(), Fault::Echo(400)));
        }
        if *kind == "login" {
            faults.push(("/lab/auth/login".into(), Fault::Echo(400)));
        }
        for (path, fault) in faults {
            sandbox.faults().clear();
            sandbox
                .faults()
                .inject(Rule::new(path.clone(), fault.clone()));
            if path != route {
                // Token failures: make the next call fetch a new token.
                fetched.extend(state.issued());
                state.revoke_tokens();
            }
            let e = client.send(&request).await.unwrap_err();
            if matches!(fault, Fault::Echo(_)) {
                assert!(
                    e.to_body().to_string().contains("[REDACTED]"),
                    "{kind} {fault:?}: {}",
                    e.to_body()
                );
            }
            errors.push(e);
        }
        sandbox.faults().clear();
        let gone = Client::new(
            ClientConfig::new("lab", unreachable.clone(), auth(kind, &unreachable))
                .with_options(options()),
        )
        .unwrap();
        errors.push(gone.send(&request).await.unwrap_err());
    }
    // The Talkdesk adapter, whose OAuth2 token the provider echoes.
    let talkdesk = switchboard_tests::talkdesk(&sandbox);
    sandbox.faults().inject(Rule::new(
        "/talkdesk/api/cm/core/va/cases",
        Fault::Echo(422),
    ));
    let e = talkdesk
        .list_tickets_page(
            &Default::default(),
            switchboard_runtime::PageRequest::first(),
        )
        .await
        .unwrap_err();
    assert!(e.message().contains("Bearer [REDACTED]"), "{e}");
    errors.push(e);

    let mut secrets: Vec<String> = [
        lab::TOKEN,
        lab::USER,
        lab::PASSWORD,
        lab::API_KEY,
        lab::CLIENT_ID,
        lab::CLIENT_SECRET,
        switchboard_sandbox::talkdesk::CLIENT_SECRET,
        &format!("{}:{}", lab::USER, lab::PASSWORD),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    fetched.extend(state.issued());
    assert!(fetched.len() >= 2, "tokens were fetched: {fetched:?}");
    secrets.extend(fetched);
    let traces = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        traces.contains("switchboard.request"),
        "traces were captured"
    );
    for secret in &secrets {
        for form in leaked_forms(secret) {
            assert!(!traces.contains(&form), "{form} in the traces");
            for e in &errors {
                for text in [e.to_string(), format!("{e:?}"), e.to_body().to_string()] {
                    assert!(!text.contains(&form), "{form} ({secret}) in {text}");
                }
            }
        }
    }
}
