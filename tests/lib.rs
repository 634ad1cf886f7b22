//! Helpers shared by the workspace's end-to-end tests.

use std::path::PathBuf;

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

use switchboard_generated::providers::reamaze::{Reamaze, ReamazeCredentials};
use switchboard_generated::providers::trengo::{Trengo, TrengoCredentials};
use switchboard_runtime::{ClientOptions, Secret};
use switchboard_sandbox::{Sandbox, reamaze, trengo};

/// The sandbox's Trengo account, through the generated adapter.
///
/// # Panics
/// If the sandbox serves no Trengo (it always does).
#[allow(clippy::unwrap_used)]
pub fn trengo(sandbox: &Sandbox) -> Trengo {
    Trengo::connect(
        &TrengoCredentials {
            token: Secret::new(trengo::TOKEN),
            timezone: None,
        },
        ClientOptions::default().with_base_url(sandbox.base_url("trengo").unwrap()),
    )
    .unwrap()
}

/// The sandbox's Re:amaze brand, through the generated adapter.
///
/// # Panics
/// If the sandbox serves no Re:amaze (it always does).
#[allow(clippy::unwrap_used)]
pub fn reamaze(sandbox: &Sandbox) -> Reamaze {
    Reamaze::connect(
        &ReamazeCredentials {
            brand: reamaze::BRAND.into(),
            email: reamaze::EMAIL.into(),
            token: Secret::new(reamaze::TOKEN),
        },
        ClientOptions::default().with_base_url(sandbox.base_url("reamaze").unwrap()),
    )
    .unwrap()
}
