//! Offline emulators of the provider APIs Switchboard supports, served over loopback HTTP.
//!
//! [`Sandbox::start`] binds `127.0.0.1` on a free port and serves every emulator under its own
//! prefix; [`Sandbox::base_url`] gives the base URL to connect an adapter to. Data is seeded
//! deterministically, so tests can compare against [`trengo::Seed`].

pub mod faults;
pub mod lab;
pub mod puzzel_cc;
pub mod puzzel_cm;
pub mod reamaze;
pub mod talkdesk;
pub mod throttle;
pub mod tokens;
pub mod trengo;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What the emulators start with.
#[derive(Debug, Clone)]
pub struct Options {
    pub trengo: trengo::State,
    pub reamaze: reamaze::State,
    pub talkdesk: talkdesk::State,
    pub puzzel_cm: puzzel_cm::State,
    pub puzzel_cc: puzzel_cc::State,
    pub lab: lab::State,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            trengo: trengo::State::seeded(),
            reamaze: reamaze::State::default(),
            talkdesk: talkdesk::State::default(),
            puzzel_cm: puzzel_cm::State::default(),
            puzzel_cc: puzzel_cc::State::default(),
            lab: lab::State::default(),
        }
    }
}

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    faults: faults::Faults,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts every emulator on `127.0.0.1`, on a free port.
    pub async fn start() -> std::io::Result<Sandbox> {
        Sandbox::start_with(SocketAddr::from(([127, 0, 0, 1], 0)), Options::default()).await
    }

    /// Starts every emulator on `addr` (loopback addresses only).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Sandbox> {
        Sandbox::start_with(addr, Options::default()).await
    }

    /// Starts every emulator on `addr` (loopback addresses only) with the given data.
    pub async fn start_with(addr: SocketAddr, options: Options) -> std::io::Result<Sandbox> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the sandbox binds loopback addresses only, not {}",
                    addr.ip()
                ),
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let faults = faults::Faults::default();
        let app = Router::new()
            .nest("/trengo/api/v2", trengo::router(options.trengo))
            .nest("/reamaze", reamaze::router(options.reamaze))
            .nest("/talkdesk", talkdesk::router(options.talkdesk))
            .nest("/puzzel-cm", puzzel_cm::router(options.puzzel_cm))
            .nest("/puzzel-cc", puzzel_cc::router(options.puzzel_cc))
            .nest("/lab", lab::router(options.lab))
            .layer(axum::middleware::from_fn_with_state(
                faults.clone(),
                faults::apply,
            ));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            // The server ends only on shutdown or if the listener fails; neither needs reporting.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Ok(Sandbox {
            addr,
            faults,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The faults injected in front of every emulator, and the requests they saw.
    pub fn faults(&self) -> &faults::Faults {
        &self.faults
    }

    /// The base URL of a provider's emulator, to pass as the account's base URL.
    pub fn base_url(&self, provider: &str) -> Option<String> {
        match provider {
            "trengo" => Some(format!("http://{}/trengo/api/v2", self.addr)),
            "reamaze" => Some(format!(
                "http://{}/reamaze/{}/api/v1",
                self.addr,
                reamaze::BRAND
            )),
            "talkdesk" => Some(format!("http://{}/talkdesk/api", self.addr)),
            "puzzel_case_management" => Some(format!("http://{}/puzzel-cm/api/v1", self.addr)),
            "puzzel_contact_centre" => {
                Some(format!("http://{}/puzzel-cc/ContactCentre5", self.addr))
            }
            "lab" => Some(format!("http://{}/lab", self.addr)),
            _ => None,
        }
    }

    /// Where a provider's emulator hands out tokens, to pass as the account's auth URL
    /// (`ClientOptions::with_auth_url`), for providers whose tokens come from another host.
    pub fn auth_url(&self, provider: &str) -> Option<String> {
        match provider {
            "talkdesk" => Some(format!("http://{}/talkdesk/id/oauth/token", self.addr)),
            "puzzel_case_management" => {
                Some(format!("http://{}/puzzel-cm/id/connect/token", self.addr))
            }
            "puzzel_contact_centre" => {
                Some(format!("http://{}/puzzel-cc/id/connect/token", self.addr))
            }
            _ => None,
        }
    }

    /// Where a provider's emulator takes username/password logins (Puzzel Contact Centre's
    /// Authentication Web Service), to pass as the auth URL of an account that logs in.
    pub fn login_url(&self, provider: &str) -> Option<String> {
        match provider {
            "puzzel_contact_centre" => Some(format!(
                "http://{}/puzzel-cc/api/Authenticate/LogIn",
                self.addr
            )),
            _ => None,
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
