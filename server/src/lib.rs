//! The Switchboard server: the unified API and the proxy API over HTTP, connected accounts
//! with sealed credentials, API keys, and a store replicas share (SQLite or PostgreSQL).
//!
//! [`serve`] runs it; [`App`] and [`router`] embed it in another program or a test.

pub mod accounts;
mod app;
pub mod auth;
pub mod crypto;
pub mod error;
mod idempotency;
mod keys;
mod ops;
mod proxy;
pub mod sandbox;
mod schemas;
pub mod store;
mod telemetry;
mod unified;

pub use app::{App, Config, Endpoint, Limits, Shared, now, reencrypt, router};

/// Serves `router` on `listener` until `shutdown` resolves, then lets calls in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
