//! `switchboard serve --sandbox`: the emulators, an in-memory store, one demo account per
//! provider and an admin key, with nothing to configure.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use switchboard_generated::registry::PROVIDERS;
use switchboard_sandbox::{Sandbox, puzzel_cc, puzzel_cm, reamaze, talkdesk, trengo};

use crate::app::{App, Config, Endpoint, Limits, Shared, now};
use crate::auth::{self, Role};
use crate::crypto::Keyring;
use crate::store::Store;

/// The demo credentials each emulator accepts, by provider.
pub fn demo_credentials(provider: &str) -> Option<Value> {
    Some(match provider {
        "trengo" => json!({"token": trengo::TOKEN}),
        "reamaze" => {
            json!({"brand": reamaze::BRAND, "email": reamaze::EMAIL, "token": reamaze::TOKEN})
        }
        "talkdesk" => json!({
            "account": talkdesk::ACCOUNT,
            "client_id": talkdesk::CLIENT_ID,
            "client_secret": talkdesk::CLIENT_SECRET,
        }),
        "puzzel_case_management" => json!({
            "tenant": puzzel_cm::TENANT,
            "client_id": puzzel_cm::CLIENT_ID,
            "client_secret": puzzel_cm::CLIENT_SECRET,
        }),
        "puzzel_contact_centre" => json!({
            "customer_key": puzzel_cc::CUSTOMER_KEY,
            "user_id": puzzel_cc::USER_ID.to_string(),
            "client_id": puzzel_cc::CLIENT_ID,
            "client_secret": puzzel_cc::CLIENT_SECRET,
        }),
        _ => return None,
    })
}

/// Every provider's endpoints on a running sandbox.
pub fn endpoints(sandbox: &Sandbox) -> BTreeMap<String, Endpoint> {
    PROVIDERS
        .iter()
        .map(|p| {
            (
                (*p).to_owned(),
                Endpoint {
                    base_url: sandbox.base_url(p),
                    auth_url: sandbox.auth_url(p),
                },
            )
        })
        .collect()
}

/// A server on the sandbox, ready to call.
pub struct SandboxServer {
    pub sandbox: Sandbox,
    pub app: Shared,
    /// An admin key's token.
    pub key: String,
    /// The demo account of each provider: (provider, account id).
    pub accounts: Vec<(String, String)>,
}

impl std::fmt::Debug for SandboxServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxServer")
            .field("sandbox", &self.sandbox.addr())
            .field("accounts", &self.accounts)
            .finish_non_exhaustive()
    }
}

impl SandboxServer {
    /// Starts the emulators, opens `store` (an in-memory SQLite store when `None`), connects
    /// one demo account per provider and creates an admin key.
    pub async fn start(store: Option<&str>, limits: Limits) -> Result<SandboxServer, String> {
        let sandbox = Sandbox::start()
            .await
            .map_err(|e| format!("cannot start the sandbox on 127.0.0.1: {e}"))?;
        Self::on(sandbox, store, limits).await
    }

    /// [`SandboxServer::start`] on a sandbox already running (one with options of its own).
    pub async fn on(
        sandbox: Sandbox,
        store: Option<&str>,
        limits: Limits,
    ) -> Result<SandboxServer, String> {
        let store = Store::open(store.unwrap_or("sqlite::memory:")).await?;
        let app = App::new(Config {
            store,
            keyring: Keyring::ephemeral(),
            endpoints: endpoints(&sandbox),
            limits,
            client: switchboard_runtime::ClientOptions::default(),
        })
        .await?;
        let key = auth::new_key("sandbox", Role::Admin, None, &now());
        app.store
            .insert_key(&key.row)
            .await
            .map_err(|e| e.to_string())?;
        let mut accounts = Vec::new();
        for provider in PROVIDERS {
            let Some(credentials) = demo_credentials(provider) else {
                continue;
            };
            let id = crate::accounts::connect(&app, provider, &credentials, None)
                .await
                .map_err(|e| {
                    format!(
                        "cannot connect the demo {provider} account: {}",
                        e.body()["message"]
                    )
                })?;
            accounts.push(((*provider).to_owned(), id));
        }
        Ok(SandboxServer {
            sandbox,
            app,
            key: key.token,
            accounts,
        })
    }
}

/// A sandbox server listening on a free loopback port; dropping it stops it.
#[derive(Debug)]
pub struct Listening {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl SandboxServer {
    /// Serves the app on `127.0.0.1` on a free port (for tests and embedding programs).
    pub async fn listen(&self) -> Result<Listening, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        let url = format!("http://{addr}");
        self.app.listening_at(&url);
        let router = crate::router(self.app.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = crate::serve(listener, router, shutdown).await {
                tracing::error!(cause = %e, "the sandbox server stopped");
            }
        });
        Ok(Listening {
            url,
            stop: Some(stop),
        })
    }
}
