//! Two server replicas on one store, each on its own runtime (so one can be killed outright),
//! over real HTTP: an account made through A is used through B, a cursor from A resumes on B,
//! a write replayed on B answers A's stored answer, concurrent duplicates are refused, and
//! killing A in a stream of writes loses none it acknowledged. The suite runs on a SQLite file
//! and on the PostgreSQL at `SWITCHBOARD_TEST_POSTGRES` (`.ci/run` starts one with
//! `.ci/postgres`).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::faults::{Fault, Rule};
use switchboard_sandbox::trengo;
use switchboard_server::auth::{self, Role};
use switchboard_server::crypto::Keyring;
use switchboard_server::store::Store;
use switchboard_server::{App, Config, Limits, now};

/// A replica on a runtime of its own.
struct Replica {
    base: String,
    runtime: std::sync::Mutex<Option<tokio::runtime::Runtime>>,
}

impl Replica {
    fn start(store: &str, keyring: &Keyring, sandbox: &Sandbox) -> Replica {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (store, keyring) = (store.to_owned(), keyring.clone());
        let endpoints = switchboard_server::sandbox::endpoints(sandbox);
        let base = runtime.block_on(async move {
            let store = Store::open(&store).await.unwrap();
            let app = App::new(Config {
                store,
                keyring,
                endpoints,
                limits: Limits::default(),
                client: switchboard_runtime::ClientOptions::default(),
            })
            .await
            .unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(switchboard_server::serve(
                listener,
                switchboard_server::router(app),
                std::future::pending(),
            ));
            base
        });
        Replica {
            base,
            runtime: std::sync::Mutex::new(Some(runtime)),
        }
    }

    /// Stops the replica at once, as a killed process would: every task in flight is dropped.
    fn kill(&self) {
        if let Some(runtime) = self.runtime.lock().unwrap().take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Cluster {
    a: Replica,
    b: Replica,
    key: String,
    http: reqwest::Client,
    sandbox: Sandbox,
}

async fn cluster(store: &str) -> Cluster {
    let sandbox = Sandbox::start().await.unwrap();
    let keyring = Keyring::parse(&Keyring::new_entry("k1")).unwrap();
    let key = auth::new_key("test", Role::Admin, None, &now());
    Store::open(store)
        .await
        .unwrap()
        .insert_key(&key.row)
        .await
        .unwrap();
    let (url, ring) = (store.to_owned(), keyring.clone());
    let sandbox_ref = &sandbox;
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Replica::start(&url, &ring, sandbox_ref));
        let b = s.spawn(|| Replica::start(&url, &ring, sandbox_ref));
        (a.join().unwrap(), b.join().unwrap())
    });
    Cluster {
        a,
        b,
        key: key.token,
        http: reqwest::Client::new(),
        sandbox,
    }
}

impl Cluster {
    fn on(
        &self,
        replica: &Replica,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", replica.base))
            .bearer_auth(&self.key)
    }
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap())
}

fn ticket_body(name: &str) -> Value {
    let seed = trengo::Seed::new();
    json!({"contact": {"id": seed.contacts[0].id.to_string()}, "name": name})
}

async fn suite(store: &str) {
    let c = cluster(store).await;
    let channel = trengo::Seed::new().channels[1].id.to_string();

    // An account made through A is used through B.
    let (status, account) = json_of(
        c.on(&c.a, reqwest::Method::POST, "/accounts")
            .json(&json!({"provider": "trengo", "credentials": {"token": trengo::TOKEN}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let id = account["id"].as_str().unwrap().to_owned();
    let list = |replica: &Replica, cursor: Option<&str>| {
        let mut r = c
            .on(replica, reqwest::Method::GET, "/unified/ticketing/tickets")
            .query(&[("account_id", id.as_str()), ("limit", "10")]);
        if let Some(cursor) = cursor {
            r = r.query(&[("cursor", cursor)]);
        }
        r.send()
    };
    let (status, first) = json_of(list(&c.b, None).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{first}");

    // A cursor from A resumes on B, and the pages join without a gap.
    let (_, from_a) = json_of(list(&c.a, None).await.unwrap()).await;
    let cursor = from_a["next_cursor"].as_str().unwrap();
    let (status, on_b) = json_of(list(&c.b, Some(cursor)).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{on_b}");
    let (_, on_a) = json_of(list(&c.a, Some(cursor)).await.unwrap()).await;
    assert_eq!(on_b["result"], on_a["result"]);
    assert_ne!(on_b["result"], from_a["result"]);

    // A write replayed on B answers A's stored answer.
    let create = |replica: &Replica, key: &str, name: &str| {
        c.on(replica, reqwest::Method::POST, "/unified/ticketing/tickets")
            .query(&[
                ("account_id", id.as_str()),
                ("collection_id", channel.as_str()),
            ])
            .header("Idempotency-Key", key)
            .json(&ticket_body(name))
            .send()
    };
    let (status, made) = json_of(create(&c.a, "once", "Made on A").await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let replay = create(&c.b, "once", "Made on A").await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap(), made);

    // A duplicate sent while the first is still running is refused on the other replica.
    c.sandbox.faults().inject(
        Rule::new(
            "/trengo/api/v2/tickets",
            Fault::Slow(Duration::from_millis(1500)),
        )
        .times(1),
    );
    let (slow, duplicate) = tokio::join!(create(&c.a, "slow", "Slow one"), async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        create(&c.b, "slow", "Slow one").await
    });
    assert_eq!(slow.unwrap().status(), StatusCode::CREATED);
    let (status, body) = json_of(duplicate.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "conflict");

    // Kill A in a stream of writes: every write it acknowledged is stored, once.
    let writes: Vec<_> = (0..24)
        .map(|i| {
            let request = c
                .on(&c.a, reqwest::Method::POST, "/unified/ticketing/tickets")
                .query(&[
                    ("account_id", id.as_str()),
                    ("collection_id", channel.as_str()),
                ])
                .header("Idempotency-Key", format!("stream-{i}"))
                .json(&ticket_body(&format!("stream {i}")));
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(15 * i)).await;
                let r = request.send().await.ok()?;
                let status = r.status();
                let body: Value = r.json().await.ok()?;
                Some((i, status, body))
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(170)).await;
    c.a.kill();
    let mut acknowledged = BTreeMap::new();
    for w in writes {
        if let Some((i, status, body)) = w.await.unwrap() {
            assert_eq!(status, StatusCode::CREATED, "{body}");
            acknowledged.insert(i, body);
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "A acknowledged no write before it was killed"
    );
    assert!(acknowledged.len() < 24, "A was not killed in the stream");
    for (i, body) in &acknowledged {
        let r = c
            .on(&c.b, reqwest::Method::POST, "/unified/ticketing/tickets")
            .query(&[
                ("account_id", id.as_str()),
                ("collection_id", channel.as_str()),
            ])
            .header("Idempotency-Key", format!("stream-{i}"))
            .json(&ticket_body(&format!("stream {i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["idempotent-replayed"], "true", "stream-{i}");
        assert_eq!(&r.json::<Value>().await.unwrap(), body, "stream-{i}");
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (status, page) = json_of(list(&c.b, cursor.as_deref()).await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for t in page["result"].as_array().unwrap() {
            names.push(t["name"].as_str().unwrap_or("").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    for i in acknowledged.keys() {
        let made = names
            .iter()
            .filter(|n| **n == format!("stream {i}"))
            .count();
        assert_eq!(made, 1, "acknowledged write stream-{i} stored {made} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    suite(&format!(
        "sqlite://{}",
        dir.path().join("store.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgresql() {
    let Ok(admin) = std::env::var("SWITCHBOARD_TEST_POSTGRES") else {
        eprintln!(
            "SWITCHBOARD_TEST_POSTGRES is not set: start one with `.ci/postgres` and export \
             its URL (CI does)"
        );
        return;
    };
    // A database of its own, so runs do not meet.
    let name = auth::new_id("switchboard_test_");
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    suite(&url).await;

    // No table holds the account's secret, as text or as the hex of its bytes.
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let hex: String = trengo::TOKEN.bytes().map(|b| format!("{b:02x}")).collect();
    for table in ["accounts", "api_keys", "idempotency", "settings"] {
        let dump: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT string_agg(t::text, ' ') FROM {table} t"
        )))
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let dump = dump.unwrap_or_default();
        assert!(
            !dump.contains(trengo::TOKEN) && !dump.contains(&hex),
            "{table} holds the Trengo token in plain text"
        );
    }
}
