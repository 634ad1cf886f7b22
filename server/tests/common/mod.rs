//! What the server's end-to-end suites share: a sandbox server for heavy traffic, and the
//! repository's paths.

#![allow(dead_code, clippy::unwrap_used)] // Each suite uses part of it; tests fail loudly.

use std::net::SocketAddr;
use std::path::PathBuf;

use switchboard_sandbox::{Options, Sandbox, trengo};
use switchboard_server::Limits;
use switchboard_server::sandbox::SandboxServer;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `serve --sandbox` for loads no real account gets: Trengo's emulator without its rate limit,
/// and no per-key limit.
pub async fn unlimited() -> SandboxServer {
    let options = Options {
        trengo: trengo::State::unlimited(trengo::Seed::new(), trengo::TOKEN),
        ..Options::default()
    };
    let sandbox = Sandbox::start_with(SocketAddr::from(([127, 0, 0, 1], 0)), options)
        .await
        .unwrap();
    let limits = Limits {
        calls_per_minute: 1_000_000_000,
        ..Limits::default()
    };
    SandboxServer::on(sandbox, None, limits).await.unwrap()
}

/// The sandbox account of `provider`.
pub fn account<'a>(server: &'a SandboxServer, provider: &str) -> &'a str {
    &server
        .accounts
        .iter()
        .find(|(p, _)| p == provider)
        .unwrap()
        .1
}
