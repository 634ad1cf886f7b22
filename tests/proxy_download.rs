//! A 100 MB Puzzel Contact Centre recording through the server's proxy, read by a real HTTP
//! client: the bytes pass through one chunk at a time, with their content type and file name,
//! and the process's peak resident set (sandbox, server and client together) stays flat.
//! Linux only, like the CI; alone in its binary so no other test moves the measure.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use switchboard_sandbox::{Options, Sandbox, puzzel_cc};
use switchboard_server::Limits;
use switchboard_server::sandbox::SandboxServer;
use switchboard_tests::memory::{peak_rss, reset_peak};

const SIZE: usize = 100 * 1024 * 1024;
const FLAT: usize = 16 * 1024 * 1024;

#[tokio::test]
async fn a_100_mb_recording_streams_through_the_proxy_with_flat_memory() {
    let sandbox = Sandbox::start_with(
        "127.0.0.1:0".parse().unwrap(),
        Options {
            puzzel_cc: puzzel_cc::State::default().with_large_recording(SIZE as u64),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let server = SandboxServer::on(sandbox, None, Limits::default())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(switchboard_server::serve(
        listener,
        switchboard_server::router(server.app.clone()),
        std::future::pending(),
    ));
    let account = &server
        .accounts
        .iter()
        .find(|(p, _)| p == "puzzel_contact_centre")
        .unwrap()
        .1;
    let http = reqwest::Client::new();
    let call = puzzel_cc::LARGE_CALL_ID;
    let url = format!(
        "{base}/proxy/puzzel_contact_centre/users/{}/archive/{call}/recordings/0/download",
        puzzel_cc::USER_ID
    );
    // A first call, so that the token, the connections and the allocator are warm.
    let warm = http
        .get(format!(
            "{base}/proxy/puzzel_contact_centre/users/stateinformation/Today"
        ))
        .query(&[("account_id", account)])
        .bearer_auth(&server.key)
        .send()
        .await
        .unwrap();
    assert!(warm.status().is_success());

    reset_peak();
    let start = peak_rss();
    let mut response = http
        .get(&url)
        .query(&[("account_id", account)])
        .bearer_auth(&server.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(SIZE as u64));
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains(&puzzel_cc::recording_name(call, 0)),
        "{disposition}"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("audio/")
    );
    let mut offset = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        let expected = puzzel_cc::recording_chunk(call, 0, SIZE, offset, chunk.len());
        assert!(chunk[..] == expected[..], "bytes {offset}.. differ");
        offset += chunk.len();
    }
    assert_eq!(offset, SIZE);
    let rise = peak_rss().saturating_sub(start);
    println!("peak resident set rose {rise} B while 100 MB streamed through the proxy");
    assert!(
        rise < FLAT,
        "the proxy raised the peak resident set by {rise} B (limit {FLAT})"
    );
}
