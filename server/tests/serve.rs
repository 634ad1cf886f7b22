//! `switchboard serve --sandbox` in process, called over real HTTP on loopback with reqwest:
//! accounts, keys and roles, the unified API of every provider page by page, typed parameter
//! errors, idempotent writes, and no secret in any answer or in the store's file.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_sandbox::{puzzel_cc, puzzel_cm, reamaze, talkdesk, trengo};
use switchboard_server::Limits;
use switchboard_server::sandbox::SandboxServer;

struct Running {
    base: String,
    http: reqwest::Client,
    server: SandboxServer,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    async fn start(store: Option<&str>) -> Running {
        Self::start_with(store, Limits::default()).await
    }

    async fn start_with(store: Option<&str>, limits: Limits) -> Running {
        let server = SandboxServer::start(store, limits).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = switchboard_server::router(server.app.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            switchboard_server::serve(listener, router, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Running {
            base,
            http: reqwest::Client::new(),
            server,
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn account(&self, provider: &str) -> &str {
        &self
            .server
            .accounts
            .iter()
            .find(|(p, _)| p == provider)
            .unwrap()
            .1
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.server.key)
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.server.key)
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap();
    }
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json::<Value>().await.unwrap();
    (status, body)
}

/// Every record of a unified list, page by page, with the page size given.
async fn all_pages(run: &Running, path: &str, account: &str, limit: usize) -> Vec<Value> {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut request = run
            .get(path)
            .query(&[("account_id", account), ("limit", &limit.to_string())]);
        if let Some(c) = &cursor {
            request = request.query(&[("cursor", c)]);
        }
        let (status, page) = json_of(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let result = page["result"].as_array().unwrap();
        assert!(result.len() <= limit);
        assert_eq!(page["result_count"], result.len());
        records.extend(result.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return records,
        }
    }
    panic!("{path} did not end");
}

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_providers_tickets_list_page_by_page_with_none_lost_or_repeated() {
    let run = Running::start(None).await;
    for (provider, count) in [
        ("trengo", trengo::TICKET_COUNT),
        ("reamaze", reamaze::CONVERSATION_COUNT),
        ("talkdesk", talkdesk::CASE_COUNT),
        ("puzzel_case_management", puzzel_cm::TICKET_COUNT),
    ] {
        let account = run.account(provider).to_owned();
        let records = all_pages(&run, "/unified/ticketing/tickets", &account, 7).await;
        let mut seen = ids(&records);
        assert_eq!(seen.len(), count, "{provider}");
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), count, "{provider} repeated a ticket");
        // A get by id answers the record the list had.
        let first = &records[0];
        let id = first["id"].as_str().unwrap();
        let (status, got) = json_of(
            run.get(&format!("/unified/ticketing/tickets/{id}"))
                .query(&[("account_id", &account)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{provider}: {got}");
        assert_eq!(got["id"], first["id"]);
    }
    run.stop().await;
}

#[tokio::test]
async fn remote_data_comes_only_on_request() {
    let run = Running::start(None).await;
    let account = run.account("trengo").to_owned();
    let page = |remote: Option<&'static str>| {
        let mut r = run
            .get("/unified/ticketing/tickets")
            .query(&[("account_id", account.as_str()), ("limit", "1")]);
        if let Some(v) = remote {
            r = r.query(&[("remote_data", v)]);
        }
        r.send()
    };
    let (_, plain) = json_of(page(None).await.unwrap()).await;
    assert!(plain["result"][0]["remote_data"].is_null(), "{plain}");
    let (_, full) = json_of(page(Some("true")).await.unwrap()).await;
    assert!(full["result"][0]["remote_data"].is_object(), "{full}");
    run.stop().await;
}

#[tokio::test]
async fn parameters_are_checked_against_the_document() {
    let run = Running::start(None).await;
    let account = run.account("trengo").to_owned();
    let cases = [
        ("stauts=open", "`stauts`", "`status`"),
        ("limit=0", "`limit`", "between 1 and 500"),
        ("limit=many", "`limit`", "integer"),
        ("updated_after=yesterday", "`updated_after`", "RFC 3339"),
    ];
    for (query, names, hint) in cases {
        let (status, body) = json_of(
            run.get(&format!(
                "/unified/ticketing/tickets?account_id={account}&{query}"
            ))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(body["is_remote_error"], false);
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains(names) && message.contains(hint),
            "{query}: {message}"
        );
    }
    // A typed filter reaches the provider.
    let (status, open) = json_of(
        run.get("/unified/ticketing/tickets")
            .query(&[("account_id", account.as_str()), ("status", "open")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        open["result"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "open"),
        "{open}"
    );
    // An unknown account, an unknown resource, a wrong method.
    let (status, body) = json_of(
        run.get("/unified/ticketing/tickets")
            .query(&[("account_id", "acc_nope")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = json_of(
        run.get("/unified/ticketing/tickest")
            .query(&[("account_id", account.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("/unified/ticketing/tickets")
    );
    run.stop().await;
}

#[tokio::test]
async fn keys_authenticate_and_roles_and_account_limits_hold() {
    let run = Running::start(None).await;
    let url = format!("{}/accounts", run.base);
    // No key, a malformed one, an unknown one.
    let none = run.http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(none.headers().contains_key("www-authenticate"));
    for bad in ["nope", "sbk_0123456789abcdef_wrong", "sbk_short"] {
        let r = run.http.get(&url).bearer_auth(bad).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
    let trengo_account = run.account("trengo").to_owned();
    let reamaze_account = run.account("reamaze").to_owned();
    // A client key limited to the Trengo account.
    let (status, key) = json_of(
        run.post("/keys")
            .json(&json!({"name": "app", "role": "client", "accounts": [trengo_account]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let client = key["token"].as_str().unwrap().to_owned();
    let as_client = |r: reqwest::RequestBuilder| r.bearer_auth(&client);
    let r = as_client(run.http.post(&url))
        .json(&json!({"provider": "trengo", "credentials": {"token": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = as_client(run.http.get(format!("{}/keys", run.base)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let tickets = format!("{}/unified/ticketing/tickets", run.base);
    let r = as_client(run.http.get(&tickets))
        .query(&[("account_id", &trengo_account), ("limit", &"1".to_owned())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, body) = json_of(
        as_client(run.http.get(&tickets))
            .query(&[("account_id", &reamaze_account)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "permission_denied");
    // The limited key sees only its account.
    let (_, listed) = json_of(as_client(run.http.get(&url)).send().await.unwrap()).await;
    assert_eq!(
        ids(listed["result"].as_array().unwrap()),
        vec![trengo_account.clone()]
    );
    // A revoked key stops working at once.
    let key_id = key["id"].as_str().unwrap();
    let r = run
        .http
        .delete(format!("{}/keys/{key_id}", run.base))
        .bearer_auth(&run.server.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = as_client(run.http.get(&url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    run.stop().await;
}

/// Every secret the demo accounts hold.
const SECRETS: &[&str] = &[
    trengo::TOKEN,
    reamaze::TOKEN,
    talkdesk::CLIENT_SECRET,
    puzzel_cm::CLIENT_SECRET,
    puzzel_cc::CLIENT_SECRET,
];

#[tokio::test]
async fn no_answer_and_no_stored_byte_holds_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.db");
    let run = Running::start(Some(&format!("sqlite://{}", file.display()))).await;
    let (_, accounts) = json_of(run.get("/accounts").send().await.unwrap()).await;
    assert_eq!(accounts["result_count"], 5);
    let text = accounts.to_string();
    for secret in SECRETS {
        assert!(!text.contains(secret), "GET /accounts shows {secret}");
    }
    let trengo = &accounts["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["provider"] == "trengo")
        .unwrap()
        .clone();
    assert_eq!(trengo["secret_credentials"], json!(["token"]));
    assert_eq!(trengo["status"], "active");
    // A call through every account, so tokens are fetched and cursors made.
    for (provider, account) in run.server.accounts.clone() {
        if provider == "puzzel_contact_centre" {
            continue;
        }
        let r = run
            .get("/unified/ticketing/tickets")
            .query(&[("account_id", &account)])
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        for secret in SECRETS {
            assert!(!body.contains(secret), "{provider} answer shows {secret}");
        }
    }
    // The database, write-ahead log included.
    run.server.app.store.close().await;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for secret in SECRETS {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "the store holds {secret} in plain text"
            );
        }
    }
    run.stop().await;
}

#[tokio::test]
async fn accounts_are_checked_created_rotated_and_deleted() {
    let run = Running::start(None).await;
    let create = |body: Value| run.post("/accounts").json(&body).send();
    let (status, body) = json_of(
        create(json!({"provider": "trengo", "credentials": {"tokn": "x"}}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `token`"),
        "{body}"
    );
    let (status, body) = json_of(
        create(json!({"provider": "treng", "credentials": {}}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("`trengo`"),
        "{body}"
    );
    let (status, body) = json_of(
        create(json!({"provider": "reamaze", "credentials": {"brand": "acme"}}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("`email`"),
        "{body}"
    );
    // Verification: a wrong token is refused by the provider and nothing is stored.
    let (status, body) = json_of(
        create(json!({"provider": "trengo", "credentials": {"token": "wrong"}, "verify": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["is_remote_error"], true);
    let (status, created) = json_of(
        create(json!({"provider": "trengo", "name": "Support desk", "credentials": {"token": trengo::TOKEN}, "verify": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], "Support desk");

    // Credentials the provider rejects make the account needs_reauth; a rotation heals it.
    let patch = |body: Value| {
        run.http
            .patch(format!("{}/accounts/{id}", run.base))
            .bearer_auth(&run.server.key)
            .json(&body)
            .send()
    };
    let (status, _) = json_of(
        patch(json!({"credentials": {"token": "revoked"}}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let list = || {
        run.get("/unified/ticketing/tickets")
            .query(&[("account_id", id.as_str()), ("limit", "1")])
            .send()
    };
    let (status, body) = json_of(list().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (_, shown) = json_of(run.get(&format!("/accounts/{id}")).send().await.unwrap()).await;
    assert_eq!(shown["status"], "needs_reauth");
    let (status, body) = json_of(list().await.unwrap()).await;
    assert_eq!(status, StatusCode::FAILED_DEPENDENCY, "{body}");
    assert_eq!(body["error"], "needs_reauth");
    let (status, healed) = json_of(
        patch(json!({"credentials": {"token": trengo::TOKEN}, "verify": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{healed}");
    assert_eq!(healed["status"], "active");
    let (status, _) = json_of(list().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);

    let r = run
        .http
        .delete(format!("{}/accounts/{id}", run.base))
        .bearer_auth(&run.server.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = json_of(list().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    run.stop().await;
}

#[tokio::test]
async fn writes_with_an_idempotency_key_run_once() {
    let run = Running::start(None).await;
    let account = run.account("trengo").to_owned();
    let seed = trengo::Seed::new();
    let body =
        json!({"contact": {"id": seed.contacts[0].id.to_string()}, "name": "Printer on fire"});
    let create = |key: &str, body: &Value| {
        run.post("/unified/ticketing/tickets")
            .query(&[
                ("account_id", account.as_str()),
                ("collection_id", &seed.channels[1].id.to_string()),
            ])
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let first = create("k-1", &body).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(!first.headers().contains_key("idempotent-replayed"));
    let first = first.json::<Value>().await.unwrap();
    let again = create("k-1", &body).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let (status, err) = json_of(
        create("k-1", &json!({"contact": {"id": "1"}}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"], "idempotency_mismatch");
    // One ticket was made.
    let records = all_pages(&run, "/unified/ticketing/tickets", &account, 100).await;
    let made = records
        .iter()
        .filter(|t| t["name"] == "Printer on fire")
        .count();
    assert_eq!(made, 1);
    run.stop().await;
}

#[tokio::test]
async fn health_readiness_and_documents_are_served() {
    let run = Running::start(None).await;
    for path in [
        "/healthz",
        "/readyz",
        "/openapi/unified.json",
        "/openapi/trengo.json",
    ] {
        let r = run
            .http
            .get(format!("{}{path}", run.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers().contains_key("x-request-id"));
    }
    let r = run
        .http
        .get(format!("{}/openapi/nope.json", run.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    run.stop().await;
}

#[tokio::test]
async fn a_key_over_its_rate_limit_is_told_when_to_retry() {
    let limits = Limits {
        calls_per_minute: 3,
        ..Limits::default()
    };
    let run = Running::start_with(None, limits).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let r = run.get("/accounts").send().await.unwrap();
        statuses.push(r.status());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = r.headers().get("retry-after").cloned();
            assert_eq!(
                r.json::<Value>().await.unwrap()["error"],
                "too_many_requests"
            );
        }
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds));
    run.stop().await;
}

#[tokio::test]
async fn the_proxy_calls_provider_methods_with_the_accounts_credentials() {
    let run = Running::start(None).await;
    let trengo_account = run.account("trengo").to_owned();
    // A unified resource's own endpoint, answered as Trengo sends it.
    let (status, page) = json_of(
        run.get("/proxy/trengo/tickets")
            .query(&[("account_id", &trengo_account)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), trengo::PER_PAGE);
    // A native Puzzel Contact Centre operation: the customer key comes from the account.
    let pcc = run.account("puzzel_contact_centre").to_owned();
    let (status, queues) = json_of(
        run.get("/proxy/puzzel_contact_centre/users/stateinformation/Today")
            .query(&[("account_id", &pcc)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{queues}");
    assert!(queues["result"].is_array(), "{queues}");
    // The account must be of the provider named, the path one of its methods.
    let (status, body) = json_of(
        run.get("/proxy/reamaze/conversations")
            .query(&[("account_id", &trengo_account)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("/proxy/trengo/"));
    let (status, body) = json_of(
        run.get("/proxy/trengo/tickest")
            .query(&[("account_id", &trengo_account)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // A value that would climb out of its segment is refused before anything is sent. HTTP
    // clients resolve dot segments themselves, so the request is written by hand.
    for id in ["%2E%2E", "%2e", "%2E"] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(run.base.trim_start_matches("http://"))
            .await
            .unwrap();
        let request = format!(
            "GET /proxy/trengo/tickets/{id}?account_id={trengo_account} HTTP/1.1\r\nHost: x\r\n\
             Authorization: Bearer {}\r\nConnection: close\r\n\r\n",
            run.server.key
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).await.unwrap();
        // The same `validation` answer (422) as an id of the unified API gets.
        assert!(answer.starts_with("HTTP/1.1 422"), "{id}: {answer}");
        assert!(answer.contains("must name one record"), "{id}: {answer}");
    }
    // A provider error passes with its kind's status, as a remote error.
    let (status, body) = json_of(
        run.get("/proxy/trengo/tickets/999999999")
            .query(&[("account_id", &trengo_account)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["is_remote_error"], true);
    run.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_provider_calls_and_token_fetches_without_secrets() {
    let run = Running::start(None).await;
    for provider in ["trengo", "talkdesk"] {
        let r = run
            .get("/unified/ticketing/tickets")
            .query(&[("account_id", run.account(provider)), ("limit", "2")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = run
        .http
        .get(format!("{}/metrics", run.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().await.unwrap();
    for expected in [
        r#"switchboard_http_requests_total{route="/unified/{model}/{resource}",method="GET",status="200"}"#,
        r#"switchboard_http_request_duration_seconds_bucket{route="/unified/{model}/{resource}",method="GET",le="#,
        r#"switchboard_provider_requests_total{provider="trengo",outcome="ok"}"#,
        r#"switchboard_provider_request_duration_seconds_bucket{provider="talkdesk",le="#,
        r#"switchboard_token_fetches_total{provider="talkdesk"}"#,
    ] {
        assert!(text.contains(expected), "no {expected} in:\n{text}");
    }
    for secret in SECRETS.iter().chain([&run.server.key.as_str()]) {
        assert!(!text.contains(secret), "/metrics shows {secret}");
    }
    for (_, account) in &run.server.accounts {
        assert!(
            !text.contains(account.as_str()),
            "/metrics names account {account}"
        );
    }
    run.stop().await;
}
