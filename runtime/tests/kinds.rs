//! Every pagination kind and every auth kind against a scripted server on loopback.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::Seen;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use switchboard_runtime::{
    Auth, Client, ClientConfig, ClientOptions, CursorSource, ErrorKind, Json, Pagination,
    PaginationKind, Request, Secret, Shape,
};

/// A JSON answer: status, extra header lines, body.
type Reply = (u16, String, Value);

async fn serve(reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> String {
    common::serve(move |seen| {
        let (status, headers, json) = reply(seen);
        (
            format!("{status} X"),
            format!("content-type: application/json\r\n{headers}"),
            json.to_string(),
        )
    })
    .await
}

fn client(base_url: String, auth: Auth) -> Client {
    Client::new(
        ClientConfig::new("test", base_url, auth)
            .with_options(ClientOptions::default().with_max_pages(50)),
    )
    .unwrap()
}

fn query(target: &str, name: &str) -> Option<String> {
    let q = target.split_once('?')?.1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

async fn ids(
    c: &Client,
    pagination: &'static Pagination,
    records: &'static [&'static str],
) -> Result<Vec<i64>, switchboard_runtime::Error> {
    let items: Vec<Value> = c
        .paginate(
            Request::get("/items"),
            Some(pagination),
            records,
            &Shape::All,
            |n| Ok(n.to_value()),
        )
        .try_collect()
        .await?;
    Ok(items.iter().map(|v| v["id"].as_i64().unwrap()).collect())
}

#[tokio::test]
async fn cursor_in_body() {
    static P: Pagination = Pagination {
        kind: PaginationKind::Cursor {
            param: "cursor",
            source: CursorSource::Body(&["meta", "next"]),
            has_more: None,
        },
        max_pages: None,
    };
    let base = serve(|s| {
        let page = match query(&s.target, "cursor").as_deref() {
            None => (json!([{"id": 1}, {"id": 2}]), json!("c2")),
            Some("c2") => (json!([{"id": 3}]), json!("c3")),
            _ => (json!([]), Value::Null),
        };
        (
            200,
            String::new(),
            json!({"data": page.0, "meta": {"next": page.1}}),
        )
    })
    .await;
    assert_eq!(
        ids(&client(base, Auth::None), &P, &["data"]).await.unwrap(),
        [1, 2, 3]
    );
}

#[tokio::test]
async fn cursor_in_header_and_a_repeated_cursor() {
    static P: Pagination = Pagination {
        kind: PaginationKind::Cursor {
            param: "after",
            source: CursorSource::Header("x-next-cursor"),
            has_more: None,
        },
        max_pages: None,
    };
    let base = serve(|s| match query(&s.target, "after").as_deref() {
        None => (200, "x-next-cursor: b\r\n".into(), json!([{"id": 1}])),
        Some("b") => (200, String::new(), json!([{"id": 2}])),
        _ => (500, String::new(), json!({})),
    })
    .await;
    assert_eq!(
        ids(&client(base, Auth::None), &P, &[]).await.unwrap(),
        [1, 2]
    );

    // A provider that hands out the same cursor forever is stopped.
    let looping = serve(|_| (200, "x-next-cursor: same\r\n".into(), json!([{"id": 1}]))).await;
    let e = ids(&client(looping, Auth::None), &P, &[])
        .await
        .unwrap_err();
    assert!(e.message().contains("came back a second time"), "{e}");
}

#[tokio::test]
async fn offset_limit_stops_on_a_short_page() {
    static P: Pagination = Pagination {
        kind: PaginationKind::OffsetLimit {
            offset_param: "offset",
            limit_param: "limit",
            limit: 2,
            total: None,
            stop_on_short_page: true,
        },
        max_pages: None,
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let base = serve(move |s| {
        seen.fetch_add(1, Ordering::SeqCst);
        let offset: i64 = query(&s.target, "offset").unwrap().parse().unwrap();
        assert_eq!(query(&s.target, "limit").as_deref(), Some("2"));
        let items: Vec<Value> = (offset..(offset + 2).min(5))
            .map(|i| json!({"id": i}))
            .collect();
        (200, String::new(), json!({"items": items}))
    })
    .await;
    assert_eq!(
        ids(&client(base, Auth::None), &P, &["items"])
            .await
            .unwrap(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn link_header_relative_links_and_other_origins() {
    static P: Pagination = Pagination {
        kind: PaginationKind::LinkHeader,
        max_pages: None,
    };
    let base = serve(|s| match query(&s.target, "page").as_deref() {
        None => (
            200,
            "link: </items?page=2>; rel=\"next\"\r\n".into(),
            json!([{"id": 1}]),
        ),
        Some("2") => (
            200,
            "link: </items?page=1>; rel=\"prev\"\r\n".into(),
            json!([{"id": 2}]),
        ),
        _ => (500, String::new(), json!({})),
    })
    .await;
    assert_eq!(
        ids(&client(base, Auth::None), &P, &[]).await.unwrap(),
        [1, 2]
    );

    // A next link to another host is not followed with the account's token.
    let elsewhere = serve(|_| {
        (
            200,
            "link: <https://evil.example.net/items?page=2>; rel=\"next\"\r\n".into(),
            json!([{"id": 1}]),
        )
    })
    .await;
    let e = ids(&client(elsewhere, Auth::Bearer(Secret::new("t"))), &P, &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Remote);
    assert!(e.message().contains("another origin"), "{e}");
}

#[tokio::test]
async fn hal_and_next_url() {
    static HAL: Pagination = Pagination {
        kind: PaginationKind::Hal {
            next: &["_links", "next", "href"],
        },
        max_pages: None,
    };
    let base = serve(|s| {
        let (items, next) = match query(&s.target, "page").as_deref() {
            None => (json!([{"id": 1}]), json!({"href": "/items?page=2"})),
            _ => (json!([{"id": 2}]), Value::Null),
        };
        (
            200,
            String::new(),
            json!({"_embedded": {"cases": items}, "_links": {"next": next}}),
        )
    })
    .await;
    assert_eq!(
        ids(
            &client(base.clone(), Auth::None),
            &HAL,
            &["_embedded", "cases"]
        )
        .await
        .unwrap(),
        [1, 2]
    );

    static NEXT: Pagination = Pagination {
        kind: PaginationKind::NextUrl { next: &["next"] },
        max_pages: None,
    };
    let absolute = format!("{base}/items?page=2");
    let body_base = serve(move |s| match query(&s.target, "page").as_deref() {
        None => (
            200,
            String::new(),
            json!({"data": [{"id": 7}], "next": absolute.replace(&base, "")}),
        ),
        _ => (
            200,
            String::new(),
            json!({"data": [{"id": 8}], "next": null}),
        ),
    })
    .await;
    assert_eq!(
        ids(&client(body_base, Auth::None), &NEXT, &["data"])
            .await
            .unwrap(),
        [7, 8]
    );
}

#[tokio::test]
async fn basic_and_api_key_auth() {
    let base = serve(|s| {
        // "user:pass" in base64.
        let ok = s.head.contains("authorization: Basic dXNlcjpwYXNz")
            || s.head.contains("Authorization: Basic dXNlcjpwYXNz");
        (if ok { 200 } else { 401 }, String::new(), json!({}))
    })
    .await;
    let c = client(
        base,
        Auth::Basic {
            username: Secret::new("user"),
            password: Secret::new("pass"),
        },
    );
    c.send(&Request::get("/x")).await.unwrap();

    let base = serve(|s| {
        let ok = query(&s.target, "api_key").as_deref() == Some("k3y")
            || s.head.to_ascii_lowercase().contains("x-api-key: k3y");
        (if ok { 200 } else { 401 }, String::new(), json!({}))
    })
    .await;
    for in_query in [true, false] {
        let c = client(
            base.clone(),
            Auth::ApiKey {
                name: if in_query {
                    "api_key".into()
                } else {
                    "X-Api-Key".into()
                },
                in_query,
                value: Secret::new("k3y"),
            },
        );
        c.send(&Request::get("/x")).await.unwrap();
    }
}

#[tokio::test]
async fn oauth2_token_is_fetched_once_for_concurrent_requests() {
    let token_calls = Arc::new(AtomicUsize::new(0));
    let counter = token_calls.clone();
    let base = serve(move |s| {
        if s.target.starts_with("/oauth/token") {
            counter.fetch_add(1, Ordering::SeqCst);
            assert!(
                s.body.contains("grant_type=client_credentials"),
                "{}",
                s.body
            );
            assert!(s.body.contains("scope=cases%3Aread"), "{}", s.body);
            return (
                200,
                String::new(),
                json!({"access_token": "tok-1", "expires_in": 3600}),
            );
        }
        let ok = s.head.contains("Bearer tok-1");
        (if ok { 200 } else { 401 }, String::new(), json!({"ok": ok}))
    })
    .await;
    let c = client(
        base.clone(),
        Auth::OAuth2ClientCredentials {
            token_url: format!("{base}/oauth/token"),
            client_id: Secret::new("id"),
            client_secret: Secret::new("secret"),
            scopes: vec!["cases:read".into()],
        },
    );
    let results = futures::stream::iter(0..50)
        .map(|_| {
            let c = c.clone();
            async move { c.send(&Request::get("/cases")).await }
        })
        .buffer_unordered(50)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(results.len(), 50);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(token_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_it_is_used() {
    let token_calls = Arc::new(AtomicUsize::new(0));
    let rejected = Arc::new(AtomicUsize::new(0));
    let (counter, refusals) = (token_calls.clone(), rejected.clone());
    let base = serve(move |s| {
        if s.target.starts_with("/oauth/token") {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            // Valid for 30 s: inside the renewal margin, so never used for a second call.
            return (
                200,
                String::new(),
                json!({"access_token": format!("tok-{n}"), "expires_in": 30}),
            );
        }
        let current = format!("Bearer tok-{}", counter.load(Ordering::SeqCst));
        let ok = s.head.contains(&current);
        if !ok {
            refusals.fetch_add(1, Ordering::SeqCst);
        }
        (if ok { 200 } else { 401 }, String::new(), json!({"ok": ok}))
    })
    .await;
    let c = client(
        base.clone(),
        Auth::OAuth2ClientCredentials {
            token_url: format!("{base}/oauth/token"),
            client_id: Secret::new("id"),
            client_secret: Secret::new("secret"),
            scopes: Vec::new(),
        },
    );
    for _ in 0..3 {
        c.send(&Request::get("/cases")).await.unwrap();
    }
    assert_eq!(
        token_calls.load(Ordering::SeqCst),
        3,
        "renewed before each use"
    );
    assert_eq!(
        rejected.load(Ordering::SeqCst),
        0,
        "no call was sent with a stale token"
    );
}

#[tokio::test]
async fn login_token_is_renewed_after_a_401() {
    let logins = Arc::new(AtomicUsize::new(0));
    let counter = logins.clone();
    let base = serve(move |s| {
        if s.target == "/auth/login" {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            assert!(s.body.contains("\"password\":\"pw\""), "{}", s.body);
            return (
                200,
                String::new(),
                json!({"result": {"accessToken": format!("t{n}")}}),
            );
        }
        // The first token is revoked on the server: only the second one works.
        let ok = s.head.contains("Bearer t2");
        (
            if ok { 200 } else { 401 },
            String::new(),
            json!({"message": "token expired"}),
        )
    })
    .await;
    let c = client(
        base.clone(),
        Auth::Login {
            url: format!("{base}/auth/login"),
            body: vec![
                ("username".into(), Secret::new("u")),
                ("password".into(), Secret::new("pw")),
            ],
            token: &["result", "accessToken"],
            expires_in: None,
            scheme: "Bearer".into(),
        },
    );
    c.send(&Request::get("/users")).await.unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 2);
}
