//! Numbers and strings a provider sends are data, never a reason to panic: token lifetimes and
//! waits of any size, and arbitrary values in every header and body member the runtime reads
//! (rate-limit headers, links, cursors, file names, scopes, token answers, page signals).

use std::time::Duration;

use futures::TryStreamExt;
use proptest::prelude::*;
use switchboard_runtime::{
    ClientOptions, CursorSource, ErrorKind, Json, Pagination, PaginationKind, Request, Shape,
};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::faults::{Fault, Rule};

use crate::{lab_client, quick_retries};

const ITEMS: &str = "/lab/oauth2/page_number/items";

fn respond(status: u16, headers: &[(&str, &str)], body: &str) -> Fault {
    Fault::Respond {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.to_owned(),
    }
}

#[tokio::test]
async fn a_token_that_claims_to_live_forever_does_not_panic() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.faults().inject(
        Rule::new(
            "/lab/oauth/token",
            respond(
                200,
                &[("content-type", "application/json")],
                r#"{"access_token": "forged", "expires_in": 18446744073709551615}"#,
            ),
        )
        .times(1),
    );
    let client = lab_client(&sandbox, "oauth2", ClientOptions::default());
    // The forged token is refused, renewed once, and the real one works.
    let page = client
        .send(&Request::get("/oauth2/page_number/items"))
        .await
        .unwrap();
    assert_eq!(page["data"].as_array().map(Vec::len), Some(lab_per_page()));
}

fn lab_per_page() -> usize {
    switchboard_sandbox::lab::PER_PAGE
}

#[tokio::test]
async fn a_wait_of_any_length_is_bounded_by_the_retry_budget() {
    let sandbox = Sandbox::start().await.unwrap();
    for after in [
        "18446744073709551615",
        "99999999999999999999999",
        "-1",
        "1e300",
    ] {
        sandbox.faults().clear();
        sandbox.faults().inject(Rule::new(
            "/lab/bearer/page_number/items",
            Fault::RateLimited {
                retry_after: Some(after.to_owned()),
            },
        ));
        let client = lab_client(
            &sandbox,
            "bearer",
            ClientOptions::default().with_retry(quick_retries()),
        );
        let started = std::time::Instant::now();
        let e = client
            .send(&Request::get("/bearer/page_number/items"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited, "{after}: {e}");
        assert!(started.elapsed() < Duration::from_secs(5), "{after}");
    }
}

static CURSOR: Pagination = Pagination {
    kind: PaginationKind::Cursor {
        param: "cursor",
        source: CursorSource::Header("x-next-cursor"),
        has_more: Some(&["has_more"]),
    },
    max_pages: Some(3),
};
static PAGES: Pagination = Pagination {
    kind: PaginationKind::PageNumber {
        param: "page",
        first_page: 1,
        size_param: None,
        page_size: None,
        next_link: None,
        last_page: Some(&["meta", "last_page"]),
        stop_on_empty_page: true,
    },
    max_pages: Some(3),
};
static OFFSETS: Pagination = Pagination {
    kind: PaginationKind::OffsetLimit {
        offset_param: "offset",
        limit_param: "limit",
        limit: 5,
        total: Some(&["total"]),
        stop_on_short_page: false,
    },
    max_pages: Some(3),
};
static LINKS: Pagination = Pagination {
    kind: PaginationKind::LinkHeader,
    max_pages: Some(3),
};
static NEXT: Pagination = Pagination {
    kind: PaginationKind::NextUrl { next: &["next"] },
    max_pages: Some(3),
};

fn request() -> Request {
    Request::get("/oauth2/page_number/items")
}

/// One page of the lab's items, from the start or a cursor.
async fn page(
    client: &switchboard_runtime::Client,
    pagination: &'static Pagination,
    cursor: Option<&str>,
) -> Result<switchboard_runtime::Page<serde_json::Value>, switchboard_runtime::Error> {
    client
        .list_page(
            request(),
            Some(pagination),
            &["data"],
            &Shape::All,
            |n| Ok(n.to_value()),
            cursor.map_or_else(
                switchboard_runtime::PageRequest::first,
                switchboard_runtime::PageRequest::after,
            ),
        )
        .await
}

/// A JSON value of any kind and size, numbers at the edges included.
fn value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        any::<String>().prop_map(serde_json::Value::from),
        "[0-9]{1,40}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
    ]
}

/// A header value of any printable text, numbers at the edges included.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,60}",
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{15,40}",
        Just("18446744073709551615".to_owned()),
        "<[ -~]{0,30}>; rel=\"next\"",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_provider_values_never_panic(
        status in prop_oneof![Just(200u16), Just(401), Just(403), Just(422), Just(429), Just(503)],
        headers in proptest::collection::vec(
            (prop_oneof![
                Just("retry-after"), Just("x-ratelimit-reset"), Just("ratelimit-reset"),
                Just("link"), Just("x-next-cursor"), Just("www-authenticate"),
                Just("content-disposition"), Just("content-type"),
            ], header_value()),
            0..5,
        ),
        members in proptest::collection::vec(
            (prop_oneof![
                Just("access_token"), Just("expires_in"), Just("total"), Just("next"),
                Just("has_more"), Just("message"), Just("errors"), Just("data"),
                Just("missing_scopes"),
            ], value()),
            0..6,
        ),
        last_page in value(),
        token_answer in prop::bool::ANY,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let sandbox = Sandbox::start().await.unwrap();
            let mut body: serde_json::Map<String, serde_json::Value> = members.into_iter()
                .map(|(k, v)| (k.to_owned(), v)).collect();
            body.insert("meta".into(), serde_json::json!({"last_page": last_page}));
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let fault = respond(status, &headers, &serde_json::Value::Object(body).to_string());
            let path = if token_answer { "/lab/oauth/token" } else { ITEMS };
            sandbox.faults().inject(Rule::new(path, fault).times(2));
            // Waits the provider asks for are honoured up to a small budget here.
            let retry = switchboard_runtime::RetryPolicy {
                max_elapsed: Duration::from_millis(300),
                ..quick_retries()
            };
            let client = lab_client(&sandbox, "oauth2", ClientOptions::default().with_retry(retry));
            for pagination in [&CURSOR, &PAGES, &OFFSETS, &LINKS, &NEXT] {
                let listed: Result<Vec<serde_json::Value>, _> = client
                    .paginate(request(), Some(pagination), &["data"], &Shape::All, |n| Ok(n.to_value()))
                    .try_collect()
                    .await;
                if let Err(e) = listed {
                    let _ = (e.to_string(), e.to_body());
                }
                let first = page(&client, pagination, None).await;
                if let Ok(Some(cursor)) = first.map(|p| p.next_cursor) {
                    let _ = page(&client, pagination, Some(&cursor)).await;
                }
            }
            let _ = client.send_stream(&request()).await;
        });
    }
}
