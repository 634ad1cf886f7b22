//! Hostile callers and hostile providers, through the public surface: the generated adapters
//! and the runtime's client against the sandbox (with hostile fault routes) over loopback.
//! Each module is one class of issue: ids that try to leave their path segment, cursors that
//! try to move credentials, redirects, provider numbers that would overflow, answers without
//! end, too many calls at once, and errors that must keep their cause.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod cursors;
mod limits;
mod paths;
mod provider_values;
mod records;
mod redirects;

use switchboard_runtime::{Error, ErrorKind};

/// What every failure must say: its kind, and no secret of `secrets` in any rendering.
pub fn check(e: &Error, kind: ErrorKind, secrets: &[&str]) {
    assert_eq!(e.kind(), kind, "{e}");
    for text in [e.to_string(), format!("{e:?}"), e.to_body().to_string()] {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

use switchboard_runtime::{Client, ClientConfig, ClientOptions};
use switchboard_sandbox::Sandbox;

/// A runtime client of the sandbox's lab emulator with the given auth kind (see
/// `switchboard_sandbox::lab::AUTHS`).
pub fn lab_client(sandbox: &Sandbox, kind: &str, options: ClientOptions) -> Client {
    let base = sandbox.base_url("lab").unwrap();
    let auth = switchboard_tests::lab_auth(kind, &base, false);
    Client::new(ClientConfig::new("lab", base, auth).with_options(options)).unwrap()
}

/// Quick retries, so that tests of retried failures run in milliseconds.
pub fn quick_retries() -> switchboard_runtime::RetryPolicy {
    switchboard_runtime::RetryPolicy {
        max_attempts: 3,
        initial_backoff: std::time::Duration::from_millis(2),
        max_backoff: std::time::Duration::from_millis(10),
        max_elapsed: std::time::Duration::from_secs(5),
    }
}
