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

use switchboard_runtime::{Auth, Client, ClientConfig, ClientOptions, Secret};
use switchboard_sandbox::{Sandbox, lab};

/// A runtime client of the sandbox's lab emulator with the given auth kind (see
/// `switchboard_sandbox::lab::AUTHS`).
pub fn lab_client(sandbox: &Sandbox, kind: &str, options: ClientOptions) -> Client {
    let base = sandbox.base_url("lab").unwrap();
    let auth = match kind {
        "none" => Auth::None,
        "bearer" => Auth::Bearer(Secret::new(lab::TOKEN)),
        "basic" => Auth::Basic {
            username: Secret::new(lab::USER),
            password: Secret::new(lab::PASSWORD),
        },
        "api_key_header" => Auth::ApiKey {
            name: "x-api-key".into(),
            in_query: false,
            value: Secret::new(lab::API_KEY),
        },
        "api_key_query" => Auth::ApiKey {
            name: "api_key".into(),
            in_query: true,
            value: Secret::new(lab::API_KEY),
        },
        "oauth2" => Auth::OAuth2ClientCredentials {
            token_url: format!("{base}/oauth/token"),
            client_id: Secret::new(lab::CLIENT_ID),
            client_secret: Secret::new(lab::CLIENT_SECRET),
            scopes: vec!["items:read".into()],
        },
        "login" => Auth::Login {
            url: format!("{base}/auth/login"),
            body: vec![
                ("username".into(), Secret::new(lab::USER)),
                ("password".into(), Secret::new(lab::PASSWORD)),
            ],
            token: &["access_token"],
            expires_in: Some(&["expires_in"]),
            scheme: "Bearer".into(),
        },
        other => panic!("no auth {other}"),
    };
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
