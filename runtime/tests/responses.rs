//! Whatever a provider answers, the runtime returns a typed error or records — never a panic.
//! A one-route server on loopback replies with a fixed status and body.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use common::serve_fixed as serve;
use futures::StreamExt;
use switchboard_runtime::{
    Auth, Client, ClientConfig, ClientOptions, ErrorKind, ErrorRules, InBodyErrors, Json,
    Pagination, PaginationKind, Request, RetryPolicy, Secret, Shape,
};
use tokio::net::TcpListener;

fn client(base_url: String) -> Client {
    Client::new(ClientConfig {
        headers: vec![("accept", "application/json".into())],
        ..ClientConfig::new("test", base_url, Auth::Bearer(Secret::new("s3cret-token")))
            .with_options(ClientOptions::default().with_retry(RetryPolicy::none()))
    })
    .unwrap()
}

static PAGES: Pagination = Pagination {
    kind: PaginationKind::PageNumber {
        param: "page",
        first_page: 1,
        size_param: None,
        page_size: None,
        next_link: Some(&["links", "next"]),
        last_page: None,
        stop_on_empty_page: true,
    },
    max_pages: Some(5),
};

async fn first_list_error(
    status: &'static str,
    headers: &'static str,
    body: &'static str,
) -> switchboard_runtime::Error {
    let c = client(serve(status, headers, body).await);
    let mut stream = c.paginate(
        Request::get("/items"),
        Some(&PAGES),
        &["data"],
        &Shape::All,
        |n| Ok(n.to_value()),
    );
    loop {
        match stream.next().await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => return e,
            None => panic!("the stream ended without an error"),
        }
    }
}

#[tokio::test]
async fn invalid_json_is_a_remote_error() {
    let e = first_list_error("200 OK", "", "{\"data\": [1, 2").await;
    assert_eq!(e.kind(), ErrorKind::Remote);
    assert!(e.message().contains("not valid JSON"), "{e}");
    // The body kept in the error never shows the account's secret.
    let e = first_list_error("200 OK", "", "{\"data\": [\"s3cret-token\"").await;
    assert_eq!(e.remote_body(), Some("{\"data\": [\"[REDACTED]\""));
}

#[tokio::test]
async fn records_that_are_not_an_array_are_a_remote_error() {
    let e = first_list_error("200 OK", "", "{\"data\": {\"id\": 1}}").await;
    assert_eq!(e.kind(), ErrorKind::Remote);
    let e = first_list_error("200 OK", "", "[]").await;
    assert_eq!(e.kind(), ErrorKind::Remote);
}

#[tokio::test]
async fn a_provider_that_ignores_the_page_parameter_does_not_loop() {
    let e = first_list_error(
        "200 OK",
        "",
        "{\"data\": [{\"id\": 1}], \"links\": {\"next\": \"x\"}}",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::Remote);
    assert!(e.message().contains("repeats the previous page"), "{e}");
}

#[tokio::test]
async fn the_page_cap_stops_an_endless_list() {
    // Different records on every page would need a smarter server; an empty `data` with a next
    // link and no empty-page stop is enough to reach the cap.
    static NO_EMPTY_STOP: Pagination = Pagination {
        kind: PaginationKind::PageNumber {
            param: "page",
            first_page: 1,
            size_param: None,
            page_size: None,
            next_link: Some(&["links", "next"]),
            last_page: None,
            stop_on_empty_page: false,
        },
        max_pages: Some(3),
    };
    let c = client(serve("200 OK", "", "{\"data\": [], \"links\": {\"next\": \"x\"}}").await);
    let results: Vec<_> = c
        .paginate(
            Request::get("/items"),
            Some(&NO_EMPTY_STOP),
            &["data"],
            &Shape::All,
            |n| Ok(n.to_value()),
        )
        .collect()
        .await;
    let e = results.into_iter().find_map(Result::err).unwrap();
    assert!(e.message().contains("stopped after 3 pages"), "{e}");
}

#[tokio::test]
async fn html_error_pages_keep_status_and_a_redacted_body() {
    let e = first_list_error(
        "500 Internal Server Error",
        "content-type: text/html\r\n",
        "<h1>oops s3cret-token</h1>",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::Remote);
    assert_eq!(e.status(), Some(500));
    assert_eq!(e.remote_body(), Some("<h1>oops [REDACTED]</h1>"));
    assert!(!format!("{e:?}").contains("s3cret-token"));
}

#[tokio::test]
async fn statuses_map_to_the_taxonomy() {
    for (status, kind) in [
        ("401 Unauthorized", ErrorKind::Auth),
        ("403 Forbidden", ErrorKind::Forbidden),
        ("404 Not Found", ErrorKind::NotFound),
        ("422 Unprocessable Entity", ErrorKind::Validation),
        ("429 Too Many Requests", ErrorKind::RateLimited),
        ("503 Service Unavailable", ErrorKind::Remote),
    ] {
        let c = client(serve(status, "retry-after: 7\r\n", "{\"message\": \"nope\"}").await);
        let e = c.send(&Request::get("/x")).await.unwrap_err();
        assert_eq!(e.kind(), kind, "{status}");
        assert_eq!(e.message(), "nope");
        if kind == ErrorKind::RateLimited {
            assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
        }
    }
}

#[tokio::test]
async fn empty_success_body_is_null_and_unreachable_host_is_transport() {
    let c = client(serve("200 OK", "", "").await);
    assert_eq!(
        c.send(&Request::get("/x")).await.unwrap(),
        serde_json::Value::Null
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = client(format!("http://{addr}"))
        .send(&Request::get("/x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
}

fn declared(base_url: String, errors: ErrorRules) -> Client {
    Client::new(ClientConfig {
        errors,
        ..ClientConfig::new("test", base_url, Auth::Bearer(Secret::new("s3cret-token")))
            .with_options(ClientOptions::default().with_retry(RetryPolicy::none()))
    })
    .unwrap()
}

#[tokio::test]
async fn errors_inside_a_2xx_body_are_detected_from_the_declaration() {
    const ENVELOPE: ErrorRules = ErrorRules {
        message: None,
        fields: None,
        in_body: Some(InBodyErrors {
            path: &["code"],
            success: &["0"],
            message: Some(&["message"]),
            codes: &[("1004", ErrorKind::NotFound)],
        }),
        status: &[],
    };
    let failed =
        r#"{"code": 4, "id": null, "message": "User not found s3cret-token", "result": null}"#;
    let e = declared(serve("200 OK", "", failed).await, ENVELOPE)
        .send(&Request::get("/x").with_operation("users", "get"))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Remote, Some(200)));
    assert_eq!(e.message(), "User not found [REDACTED]");
    assert_eq!(e.details(), Some(&serde_json::json!({"code": 4})));
    assert_eq!(e.to_body()["details"]["resource"], "users");
    assert_eq!(e.to_body()["details"]["code"], 4);
    // A declared code has its kind.
    let missing = r#"{"code": 1004, "id": "", "message": "user 7 was not found", "result": null}"#;
    let e = declared(serve("200 OK", "", missing).await, ENVELOPE)
        .send(&Request::get("/x"))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::NotFound, Some(200)));

    let ok = r#"{"code": 0, "id": null, "message": null, "result": {"id": 1}}"#;
    let v = declared(serve("200 OK", "", ok).await, ENVELOPE)
        .send(&Request::get("/x"))
        .await
        .unwrap();
    assert_eq!(v["result"]["id"], 1);
    // A body without the envelope is not an error.
    let plain = declared(serve("200 OK", "", "[1, 2]").await, ENVELOPE)
        .send(&Request::get("/x"))
        .await;
    assert!(plain.is_ok());
}

#[tokio::test]
async fn declared_statuses_and_message_paths_apply() {
    const RULES: ErrorRules = ErrorRules {
        message: Some(&["error", "text"]),
        fields: None,
        in_body: None,
        status: &[(409, ErrorKind::Validation), (400, ErrorKind::NotFound)],
    };
    let body = r#"{"error": {"text": "Duplicate email"}, "message": "generic"}"#;
    let e = declared(serve("409 Conflict", "", body).await, RULES)
        .send(&Request::get("/x"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (ErrorKind::Validation, "Duplicate email")
    );
    let e = declared(serve("400 Bad Request", "", "{}").await, RULES)
        .send(&Request::get("/x"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (ErrorKind::NotFound, "400 Bad Request")
    );
}

#[tokio::test]
async fn validation_errors_carry_field_details_and_403s_their_missing_scopes() {
    // Laravel's 422, as Trengo sends it.
    let body = r#"{"message": "The given data was invalid.", "errors": {"contact_id": ["The contact id field is required."]}}"#;
    let e = client(serve("422 Unprocessable Entity", "", body).await)
        .send(&Request::get("/x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(
        e.message(),
        "The given data was invalid. (contact_id: The contact id field is required.)"
    );
    assert_eq!(
        e.to_body()["details"]["errors"]["contact_id"][0],
        "The contact id field is required."
    );

    let e = client(
        serve(
            "403 Forbidden",
            "www-authenticate: Bearer error=\"insufficient_scope\", scope=\"cases:read cases:write\"\r\n",
            r#"{"message": "forbidden"}"#,
        )
        .await,
    )
    .send(&Request::get("/x"))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert_eq!(
        e.details().unwrap()["missing_scopes"],
        serde_json::json!(["cases:read", "cases:write"])
    );
    let e = client(serve("403 Forbidden", "", r#"{"missing_scopes": ["users:read"]}"#).await)
        .send(&Request::get("/x"))
        .await
        .unwrap_err();
    assert_eq!(
        e.details().unwrap()["missing_scopes"],
        serde_json::json!(["users:read"])
    );
}
