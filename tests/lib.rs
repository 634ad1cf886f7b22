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
use switchboard_generated::providers::talkdesk::{Talkdesk, TalkdeskCredentials};
use switchboard_generated::providers::trengo::{Trengo, TrengoCredentials};
use switchboard_runtime::{ClientOptions, Secret};
use switchboard_sandbox::{Sandbox, reamaze, talkdesk, trengo};

/// The sandbox's Trengo account, through the generated adapter.
///
/// # Panics
/// If the sandbox serves no Trengo (it always does).
#[allow(clippy::unwrap_used)]
pub fn trengo(sandbox: &Sandbox) -> Trengo {
    trengo_with(sandbox, ClientOptions::default()).unwrap()
}

/// The sandbox's Trengo account with these options (on the sandbox unless they name another
/// base URL); an error where the options are refused.
///
/// # Panics
/// If the sandbox serves no Trengo (it always does).
#[allow(clippy::unwrap_used)]
pub fn trengo_with(
    sandbox: &Sandbox,
    mut options: ClientOptions,
) -> Result<Trengo, switchboard_runtime::Error> {
    if options.base_url.is_none() {
        options = options.with_base_url(sandbox.base_url("trengo").unwrap());
    }
    Trengo::connect(
        &TrengoCredentials {
            token: Secret::new(trengo::TOKEN),
            timezone: None,
        },
        options,
    )
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

/// The sandbox's Talkdesk account (API and token endpoint), through the generated adapter.
///
/// # Panics
/// If the sandbox serves no Talkdesk (it always does).
#[allow(clippy::unwrap_used)]
pub fn talkdesk(sandbox: &Sandbox) -> Talkdesk {
    talkdesk_with(sandbox, ClientOptions::default())
}

/// The sandbox's Talkdesk account with these options (API and token endpoint on the sandbox
/// unless they name others).
///
/// # Panics
/// If the sandbox serves no Talkdesk (it always does), or the options are refused.
#[allow(clippy::unwrap_used)]
pub fn talkdesk_with(sandbox: &Sandbox, mut options: ClientOptions) -> Talkdesk {
    if options.base_url.is_none() {
        options = options.with_base_url(sandbox.base_url("talkdesk").unwrap());
    }
    if options.auth_url.is_none() {
        options = options.with_auth_url(sandbox.auth_url("talkdesk").unwrap());
    }
    Talkdesk::connect(&talkdesk_credentials(talkdesk::CLIENT_SECRET), options).unwrap()
}

/// The sandbox account's credentials, with the given client secret.
pub fn talkdesk_credentials(secret: &str) -> TalkdeskCredentials {
    TalkdeskCredentials {
        account: talkdesk::ACCOUNT.into(),
        region: None,
        client_id: talkdesk::CLIENT_ID.into(),
        client_secret: Secret::new(secret),
    }
}

/// The sandbox's Puzzel Case Management tenant (API and Puzzel ID token endpoint).
///
/// # Panics
/// If the sandbox serves no Puzzel Case Management (it always does).
#[allow(clippy::unwrap_used)]
pub fn puzzel_case_management(
    sandbox: &Sandbox,
) -> switchboard_generated::providers::puzzel_case_management::PuzzelCaseManagement {
    use switchboard_generated::providers::puzzel_case_management::{
        PuzzelCaseManagement, PuzzelCaseManagementCredentials,
    };
    use switchboard_sandbox::puzzel_cm;
    let provider = PuzzelCaseManagement::NAME;
    PuzzelCaseManagement::connect(
        &PuzzelCaseManagementCredentials {
            tenant: puzzel_cm::TENANT.into(),
            platform_area: None,
            client_id: puzzel_cm::CLIENT_ID.into(),
            client_secret: Secret::new(puzzel_cm::CLIENT_SECRET),
        },
        ClientOptions::default()
            .with_base_url(sandbox.base_url(provider).unwrap())
            .with_auth_url(sandbox.auth_url(provider).unwrap()),
    )
    .unwrap()
}

/// Puzzel Contact Centre credentials of the sandbox's customer and acting user, with no way to
/// authenticate yet (add a Puzzel ID client or a login).
pub fn puzzel_contact_centre_credentials()
-> switchboard_generated::providers::puzzel_contact_centre::PuzzelContactCentreCredentials {
    use switchboard_sandbox::puzzel_cc;
    switchboard_generated::providers::puzzel_contact_centre::PuzzelContactCentreCredentials {
        customer_key: puzzel_cc::CUSTOMER_KEY.into(),
        user_id: puzzel_cc::USER_ID.to_string(),
        region: None,
        platform_area: None,
        client_id: None,
        client_secret: None,
        user_name: None,
        password: None,
    }
}

/// A Puzzel Contact Centre account on the sandbox with a Puzzel ID client (client credentials).
///
/// # Panics
/// If the sandbox serves no Puzzel Contact Centre (it always does).
#[allow(clippy::unwrap_used)]
pub fn puzzel_contact_centre(
    sandbox: &Sandbox,
) -> switchboard_generated::providers::puzzel_contact_centre::PuzzelContactCentre {
    use switchboard_generated::providers::puzzel_contact_centre::{
        PuzzelContactCentre, PuzzelContactCentreCredentials,
    };
    use switchboard_sandbox::puzzel_cc;
    let provider = PuzzelContactCentre::NAME;
    PuzzelContactCentre::connect(
        &PuzzelContactCentreCredentials {
            client_id: Some(puzzel_cc::CLIENT_ID.into()),
            client_secret: Some(Secret::new(puzzel_cc::CLIENT_SECRET)),
            ..puzzel_contact_centre_credentials()
        },
        ClientOptions::default()
            .with_base_url(sandbox.base_url(provider).unwrap())
            .with_auth_url(sandbox.auth_url(provider).unwrap()),
    )
    .unwrap()
}

/// A raw Trengo record as `remote_data` shows it: every channel's connector login redacted,
/// wherever the channel is embedded (the provider's `redact`).
pub fn trengo_remote_data(record: serde_json::Value) -> serde_json::Value {
    switchboard_runtime::convert::redact(
        Some(record),
        &[
            &["**", "channel", "username"],
            &["**", "channel", "password"],
        ],
    )
    .unwrap_or_default()
}

/// The auth of a lab emulator account for one of `switchboard_sandbox::lab::AUTHS`, with
/// token URLs under `base` (the lab's base URL); `wrong` gives wrong secrets.
///
/// # Panics
/// For a kind the lab does not serve.
pub fn lab_auth(kind: &str, base: &str, wrong: bool) -> switchboard_runtime::Auth {
    use switchboard_runtime::Auth;
    use switchboard_sandbox::lab;
    let s = |right: &str| Secret::new(if wrong { "wrong-secret" } else { right });
    match kind {
        "none" => Auth::None,
        "bearer" => Auth::Bearer(s(lab::TOKEN)),
        "basic" => Auth::Basic {
            username: s(lab::USER),
            password: s(lab::PASSWORD),
        },
        "api_key_header" => Auth::ApiKey {
            name: "x-api-key".into(),
            in_query: false,
            value: s(lab::API_KEY),
        },
        "api_key_query" => Auth::ApiKey {
            name: "api_key".into(),
            in_query: true,
            value: s(lab::API_KEY),
        },
        "oauth2" => Auth::OAuth2ClientCredentials {
            token_url: format!("{base}/oauth/token"),
            client_id: s(lab::CLIENT_ID),
            client_secret: s(lab::CLIENT_SECRET),
            scopes: vec!["items:read".into(), "items:write".into()],
        },
        "login" => Auth::Login {
            url: format!("{base}/auth/login"),
            body: vec![
                ("username".into(), s(lab::USER)),
                ("password".into(), s(lab::PASSWORD)),
            ],
            token: &["access_token"],
            expires_in: Some(&["expires_in"]),
            scheme: "Bearer".into(),
        },
        other => panic!("the lab has no auth {other}"),
    }
}

/// The process's peak resident set, for tests that hold memory flat (Linux only, like the CI).
pub mod memory {
    /// The process's peak resident set (`VmHWM`), in bytes.
    pub fn peak_rss() -> usize {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            })
            .map_or(0, |kb| kb * 1024)
            .max(1)
    }

    /// Resets the peak to the current resident set (Linux `clear_refs`).
    pub fn reset_peak() {
        std::fs::write("/proc/self/clear_refs", "5").expect("the peak resident set can be reset");
    }
}
