//! `switchboard serve`, `switchboard keys` and `switchboard accounts`: the server and what an
//! operator does to its store without it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use switchboard_server::auth::{self, Role};
use switchboard_server::crypto::{KEYS_ENV, Keyring};
use switchboard_server::sandbox::SandboxServer;
use switchboard_server::store::Store;
use switchboard_server::{App, Config, Limits, now};

/// Where the store is and what opens its credentials.
#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    /// The store: `sqlite://PATH` or `postgres://…` (default: a SQLite file in `--data-dir`).
    #[arg(long, env = "SWITCHBOARD_STORE")]
    store: Option<String>,
    /// The directory of the default SQLite store.
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", default_value = "switchboard-data")]
    data_dir: PathBuf,
    /// A file of encryption keys, one `id:base64-key` per line, the sealing key first
    /// (else the keys come from SWITCHBOARD_ENCRYPTION_KEYS).
    #[arg(long)]
    encryption_key_file: Option<PathBuf>,
}

impl StoreArgs {
    async fn open(&self) -> Result<Store, String> {
        let url = match &self.store {
            Some(url) => url.clone(),
            None => {
                std::fs::create_dir_all(&self.data_dir).map_err(|e| {
                    format!(
                        "cannot create the data directory {}: {e}",
                        self.data_dir.display()
                    )
                })?;
                format!(
                    "sqlite://{}",
                    self.data_dir.join("switchboard.db").display()
                )
            }
        };
        Store::open(&url).await
    }

    fn keyring(&self) -> Result<Keyring, String> {
        match &self.encryption_key_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                Keyring::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
            }
            None => Keyring::parse(&std::env::var(KEYS_ENV).unwrap_or_default()),
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Start the provider emulators, an in-memory store, one demo account per provider and an
    /// admin key: nothing to configure.
    #[arg(long)]
    sandbox: bool,
    /// The address to listen on (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// Calls one API key may make per minute (on each replica).
    #[arg(long, default_value_t = Limits::default().calls_per_minute)]
    calls_per_minute: u32,
    /// Longest one call may run, in seconds, before the server answers 504.
    #[arg(long, default_value_t = Limits::default().call_timeout.as_secs())]
    call_timeout: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = Limits::default().body_bytes)]
    max_body_bytes: usize,
    /// Log as JSON lines (for a log collector) instead of text.
    #[arg(long)]
    json_logs: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum KeysCommand {
    /// Create an API key; its token is printed once.
    Create {
        /// What the key is for.
        #[arg(long)]
        name: String,
        /// `admin` (accounts and keys) or `client` (calls).
        #[arg(long, default_value = "client", value_parser = Role::parse)]
        role: Role,
        /// Limit the key to this account; repeatable (default: every account).
        #[arg(long = "account")]
        accounts: Vec<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List API keys (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke an API key by id.
    Revoke {
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print a new random encryption key entry (`id:base64-key`) for the keyring.
    EncryptionKey {
        /// The new key's id.
        #[arg(long, default_value = "k1")]
        id: String,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum AccountsCommand {
    /// Re-seal every account's credentials under the keyring's first key (after adding a new
    /// key first; the old one can be removed once this has run).
    ReEncrypt {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn keys(command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Create {
            name,
            role,
            accounts,
            store,
        } => {
            let store = store.open().await?;
            let accounts = (!accounts.is_empty()).then_some(accounts);
            let key = auth::new_key(&name, role, accounts, &now());
            store
                .insert_key(&key.row)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", key.token);
            eprintln!(
                "Created {} key `{}` ({name}). The token above is shown only once.",
                role.as_str(),
                key.row.id
            );
        }
        KeysCommand::List { store } => {
            let store = store.open().await?;
            for row in store.keys().await.map_err(|e| e.to_string())? {
                println!("{}", auth::key_view(&row));
            }
        }
        KeysCommand::Revoke { id, store } => {
            let store = store.open().await?;
            if !store
                .revoke_key(&id, &now())
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("no active key `{id}`; see `switchboard keys list`"));
            }
            eprintln!("Revoked key `{id}`.");
        }
        KeysCommand::EncryptionKey { id } => {
            let entry = Keyring::new_entry(&id);
            Keyring::parse(&entry)?;
            println!("{entry}");
        }
    }
    Ok(())
}

pub async fn accounts(command: AccountsCommand) -> Result<(), String> {
    match command {
        AccountsCommand::ReEncrypt { store } => {
            let keyring = store.keyring()?;
            let store = store.open().await?;
            let count = switchboard_server::reencrypt(&store, &keyring).await?;
            eprintln!(
                "Re-sealed {count} value{} under key `{}`.",
                if count == 1 { "" } else { "s" },
                keyring.current()
            );
        }
    }
    Ok(())
}

fn logs(json: bool) {
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down: finishing the calls in flight");
}

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    logs(args.json_logs);
    let limits = Limits {
        body_bytes: args.max_body_bytes,
        call_timeout: Duration::from_secs(args.call_timeout.max(1)),
        calls_per_minute: args.calls_per_minute,
    };
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let url = format!("http://{addr}");
    let (app, sandbox) = if args.sandbox {
        let server = SandboxServer::start(args.store.store.as_deref(), limits).await?;
        let account = |p: &str| {
            server
                .accounts
                .iter()
                .find(|(provider, _)| provider == p)
                .map(|(_, id)| id.clone())
                .unwrap_or_default()
        };
        let key = &server.key;
        println!("Switchboard is serving the sandbox at {url}\n");
        println!("API key (admin): {key}\n");
        println!("Connected accounts:");
        for (provider, id) in &server.accounts {
            println!("  {provider:<24} {id}");
        }
        println!("\nTry:\n");
        println!("  curl -H 'Authorization: Bearer {key}' {url}/accounts");
        println!(
            "  curl -H 'Authorization: Bearer {key}' '{url}/unified/ticketing/tickets?account_id={}&limit=5'",
            account("trengo")
        );
        println!(
            "  curl -H 'Authorization: Bearer {key}' '{url}/unified/ticketing/tickets?account_id={}&status=open&limit=3'",
            account("talkdesk")
        );
        println!("\nThe API is described at {url}/openapi/unified.json. Stop with Ctrl-C.");
        (server.app.clone(), Some(server))
    } else {
        let keyring = args.store.keyring()?;
        let store = args.store.open().await?;
        let app = App::new(Config {
            store,
            keyring,
            endpoints: Default::default(),
            limits,
            client: switchboard_runtime::ClientOptions::default(),
        })
        .await?;
        tracing::info!(%url, "listening");
        (app, None)
    };
    app.listening_at(&url);
    switchboard_server::serve(listener, switchboard_server::router(app), shutdown())
        .await
        .map_err(|e| format!("the server stopped: {e}"))?;
    if let Some(server) = sandbox {
        server.sandbox.stop().await;
    }
    Ok(())
}
