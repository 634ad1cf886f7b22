//! Every auth kind and every pagination kind of the runtime against the sandbox's lab emulator
//! over loopback: all items once, in order; wrong credentials as `Auth` errors without the
//! secret; one token request for 50 concurrent calls; tokens renewed before expiry and after a
//! revocation without a failed call reaching the caller; looping cursors and links, and next
//! links to another origin, stopped with an error.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use switchboard_runtime::{
    Auth, Client, ClientConfig, ClientOptions, CursorSource, Error, ErrorKind, Json, Pagination,
    PaginationKind, Request, Shape,
};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::lab::{self, AUTHS, ITEMS, PAGINATIONS, PER_PAGE};
use switchboard_tests::lab_auth;

/// The declaration of each lab pagination kind, and where its records are.
fn pagination(kind: &str) -> (&'static Pagination, &'static [&'static str]) {
    static PAGE_NUMBER: Pagination = Pagination {
        kind: PaginationKind::PageNumber {
            param: "page",
            first_page: 1,
            size_param: None,
            page_size: None,
            next_link: None,
            last_page: Some(&["meta", "last_page"]),
            stop_on_empty_page: false,
        },
        max_pages: None,
    };
    static OFFSET_LIMIT: Pagination = Pagination {
        kind: PaginationKind::OffsetLimit {
            offset_param: "offset",
            limit_param: "limit",
            limit: PER_PAGE as i64,
            total: Some(&["total"]),
            stop_on_short_page: true,
        },
        max_pages: None,
    };
    static CURSOR_BODY: Pagination = Pagination {
        kind: PaginationKind::Cursor {
            param: "cursor",
            source: CursorSource::Body(&["meta", "next_cursor"]),
            has_more: None,
        },
        max_pages: None,
    };
    static CURSOR_HEADER: Pagination = Pagination {
        kind: PaginationKind::Cursor {
            param: "after",
            source: CursorSource::Header("x-next-cursor"),
            has_more: None,
        },
        max_pages: None,
    };
    static LINK_HEADER: Pagination = Pagination {
        kind: PaginationKind::LinkHeader,
        max_pages: None,
    };
    static NEXT_URL: Pagination = Pagination {
        kind: PaginationKind::NextUrl { next: &["next"] },
        max_pages: None,
    };
    static HAL: Pagination = Pagination {
        kind: PaginationKind::Hal {
            next: &["_links", "next", "href"],
        },
        max_pages: None,
    };
    match kind {
        "page_number" => (&PAGE_NUMBER, &["data"]),
        "offset_limit" => (&OFFSET_LIMIT, &["data"]),
        "cursor_body" => (&CURSOR_BODY, &["data"]),
        "cursor_header" => (&CURSOR_HEADER, &[]),
        "link_header" => (&LINK_HEADER, &[]),
        "next_url" => (&NEXT_URL, &["data"]),
        "hal" => (&HAL, &["_embedded", "items"]),
        other => panic!("no pagination {other}"),
    }
}

fn client(sandbox: &Sandbox, kind: &str, wrong: bool) -> Client {
    let base = sandbox.base_url("lab").unwrap();
    Client::new(
        ClientConfig::new("lab", base.clone(), lab_auth(kind, &base, wrong))
            .with_options(ClientOptions::default().with_max_pages(50)),
    )
    .unwrap()
}

async fn list(c: &Client, auth: &str, kind: &str, variant: &str) -> Result<Vec<i64>, Error> {
    let (pagination, records) = pagination(kind);
    let items: Vec<Value> = c
        .paginate(
            Request::get(format!("/{auth}/{kind}/{variant}")).with_operation("items", "list"),
            Some(pagination),
            records,
            &Shape::All,
            |n| Ok(n.to_value()),
        )
        .try_collect()
        .await?;
    Ok(items.iter().map(|v| v["id"].as_i64().unwrap()).collect())
}

/// A sandbox and its lab's state (its token counters).
async fn lab_sandbox() -> (Sandbox, lab::State) {
    let state = lab::State::default();
    let options = switchboard_sandbox::Options {
        lab: state.clone(),
        ..Default::default()
    };
    let sandbox = Sandbox::start_with(([127, 0, 0, 1], 0).into(), options)
        .await
        .unwrap();
    (sandbox, state)
}

fn all() -> Vec<i64> {
    (0..ITEMS as i64).collect()
}

#[tokio::test]
async fn every_pagination_kind_lists_every_item_once() {
    for kind in PAGINATIONS {
        let sandbox = Sandbox::start().await.unwrap();
        let c = client(&sandbox, "bearer", false);
        assert_eq!(
            list(&c, "bearer", kind, "items").await.unwrap(),
            all(),
            "{kind}"
        );
        assert_eq!(
            sandbox.faults().requests().len(),
            ITEMS.div_ceil(PER_PAGE),
            "{kind}: one request per page"
        );
    }
}

#[tokio::test]
async fn every_auth_kind_is_sent_and_wrong_credentials_are_auth_errors() {
    for kind in AUTHS {
        let sandbox = Sandbox::start().await.unwrap();
        for pagination in ["page_number", "link_header"] {
            let c = client(&sandbox, kind, false);
            assert_eq!(
                list(&c, kind, pagination, "items").await.unwrap(),
                all(),
                "{kind} {pagination}"
            );
        }
        if *kind == "none" {
            continue;
        }
        let e = list(&client(&sandbox, kind, true), kind, "page_number", "items")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{kind}: {e}");
        assert_eq!(e.provider(), "lab");
        for text in [e.to_string(), format!("{e:?}"), e.to_body().to_string()] {
            assert!(!text.contains("wrong-secret"), "{kind}: secret in {text}");
        }
    }
}

#[tokio::test]
async fn fifty_concurrent_calls_fetch_one_token() {
    for kind in ["oauth2", "login"] {
        let (sandbox, state) = lab_sandbox().await;
        let c = client(&sandbox, kind, false);
        let results = futures::stream::iter(0..50)
            .map(|_| {
                let c = c.clone();
                async move {
                    c.send(&Request::get(format!("/{kind}/page_number/items")))
                        .await
                }
            })
            .buffer_unordered(50)
            .collect::<Vec<_>>()
            .await;
        assert_eq!(results.len(), 50);
        assert!(results.iter().all(Result::is_ok), "{kind}");
        let requests = if kind == "oauth2" {
            state.token_requests()
        } else {
            state.login_requests()
        };
        assert_eq!(requests, 1, "{kind}: one token for all");
        if kind == "oauth2" {
            assert_eq!(
                state.last_token_form(),
                "grant_type=client_credentials&scope=items%3Aread+items%3Awrite"
            );
        }
        assert_eq!(state.refused(), 0);
    }
}

#[tokio::test]
async fn tokens_are_renewed_before_expiry_and_after_revocation_without_a_failed_call() {
    for kind in ["oauth2", "login"] {
        let (sandbox, state) = lab_sandbox().await;
        let c = client(&sandbox, kind, false);
        let count = || {
            if kind == "oauth2" {
                state.token_requests()
            } else {
                state.login_requests()
            }
        };
        // Valid for 30 s, inside the renewal margin: renewed before every use.
        state.set_token_lifetime(std::time::Duration::from_secs(30));
        for _ in 0..3 {
            assert_eq!(list(&c, kind, "cursor_body", "items").await.unwrap(), all());
        }
        assert_eq!(
            count(),
            3 * ITEMS.div_ceil(PER_PAGE),
            "{kind}: one token per request"
        );
        assert_eq!(
            state.refused(),
            0,
            "{kind}: no request went out with a stale token"
        );

        // The provider revokes the token: one 401, renewed, the caller sees success.
        state.set_token_lifetime(std::time::Duration::from_secs(3600));
        list(&c, kind, "page_number", "items").await.unwrap();
        let before = count();
        state.revoke_tokens();
        assert_eq!(list(&c, kind, "page_number", "items").await.unwrap(), all());
        assert_eq!(count(), before + 1, "{kind}");
        assert_eq!(state.refused(), 1, "{kind}");
    }
}

#[tokio::test]
async fn looping_cursors_links_and_pages_are_stopped() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, "bearer", false);
    for kind in PAGINATIONS {
        let e = list(&c, "bearer", kind, "looping").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Remote, "{kind}: {e}");
        assert!(
            e.message().contains("second time")
                || e.message().contains("repeats the previous page"),
            "{kind}: {e}"
        );
        let op = e.operation().unwrap();
        assert_eq!((op.resource, op.method), ("items", "list"));
    }
}

#[tokio::test]
async fn next_links_to_another_origin_are_not_followed() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, "bearer", false);
    for kind in ["link_header", "next_url", "hal"] {
        let mut stream = {
            let (pagination, records) = pagination(kind);
            c.paginate(
                Request::get(format!("/bearer/{kind}/foreign")),
                Some(pagination),
                records,
                &Shape::All,
                |n| Ok(n.to_value()),
            )
        };
        let mut got = 0;
        let e = loop {
            match stream.try_next().await {
                Ok(Some(_)) => got += 1,
                Ok(None) => panic!("{kind}: followed"),
                Err(e) => break e,
            }
        };
        assert_eq!(got, PER_PAGE, "{kind}: the first page, then the error");
        assert_eq!(e.kind(), ErrorKind::Remote);
        assert!(e.message().contains("another origin"), "{kind}: {e}");
    }
}

#[tokio::test]
async fn dropping_a_list_stops_fetching() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, "bearer", false);
    let (pagination, records) = pagination("page_number");
    let stream = c.paginate(
        Request::get("/bearer/page_number/items"),
        Some(pagination),
        records,
        &Shape::All,
        |n| Ok(n.to_value()),
    );
    let first: Vec<Value> = stream.take(PER_PAGE + 1).try_collect().await.unwrap();
    assert_eq!(first.len(), PER_PAGE + 1);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(
        sandbox.faults().requests().len(),
        2,
        "the pages read, and no more"
    );
}

#[tokio::test]
async fn the_client_side_limiter_spaces_requests_to_the_declared_budget() {
    let sandbox = Sandbox::start().await.unwrap();
    let base = sandbox.base_url("lab").unwrap();
    let c = Client::new(ClientConfig {
        rate_limit: Some(switchboard_runtime::RateLimit {
            requests: 4,
            per_seconds: 1,
        }),
        ..ClientConfig::new("lab", base, Auth::None)
            .with_options(ClientOptions::default().with_rate_limiter(true))
    })
    .unwrap();
    let started = std::time::Instant::now();
    for _ in 0..6 {
        c.send(&Request::get("/none/page_number/items"))
            .await
            .unwrap();
    }
    // A burst of 4, then one request every 250 ms: the 6th is sent 500 ms in, at the earliest.
    assert!(started.elapsed() >= std::time::Duration::from_millis(490));
    assert_eq!(sandbox.faults().requests().len(), 6);
}
