//! Unified list cursors through the generated adapter against the sandbox: listing page by
//! page with `next_cursor`, resuming on another client holding the cursor key, and clear
//! refusals of altered, foreign, stale or mismatched cursors.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use switchboard_generated::providers::trengo::Trengo;
use switchboard_generated::unified::ticketing::{TicketListQuery, TicketListQueryStatus};
use switchboard_runtime::{ClientOptions, ErrorKind, PageRequest, Secret};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::{self, Seed};

fn connect(sandbox: &Sandbox, key: Option<&str>) -> Trengo {
    let mut options = ClientOptions::default();
    if let Some(key) = key {
        options = options.with_cursor_key(Secret::new(key));
    }
    switchboard_tests::trengo_with(sandbox, options).unwrap()
}

#[tokio::test]
async fn pages_resume_from_their_cursor_on_any_client_with_the_key() {
    let sandbox = Sandbox::start().await.unwrap();
    let query = TicketListQuery::default();
    let first = connect(&sandbox, Some("a-shared-cursor-key-of-32-bytes-or-more"));
    let page = first
        .list_tickets_page(&query, PageRequest::first())
        .await
        .unwrap();
    assert_eq!(page.result_count, trengo::PER_PAGE);
    assert_eq!(page.result.len(), page.result_count);
    let mut ids: Vec<String> = page.result.iter().map(|t| t.id.clone()).collect();
    let mut cursor = page.next_cursor.expect("more pages follow");
    assert!(cursor.starts_with("v1."), "{cursor}");
    assert!(!cursor.contains(trengo::TOKEN));

    // Another client (another process, say) with the same key carries on.
    let second = connect(&sandbox, Some("a-shared-cursor-key-of-32-bytes-or-more"));
    let mut pages = 1;
    loop {
        let page = second
            .list_tickets_page(&query, PageRequest::after(&cursor))
            .await
            .unwrap();
        pages += 1;
        ids.extend(page.result.iter().map(|t| t.id.clone()));
        match page.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let seeded: Vec<String> = Seed::new()
        .tickets
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(ids, seeded, "every ticket once, in the provider's order");

    // The envelope is the unified list body.
    let page = first
        .list_tickets_page(&query, PageRequest::first())
        .await
        .unwrap();
    let body = serde_json::to_value(&page).unwrap();
    assert_eq!(body["result_count"], trengo::PER_PAGE);
    assert!(body["next_cursor"].is_string());
    assert_eq!(body["result"].as_array().unwrap().len(), trengo::PER_PAGE);
}

#[tokio::test]
async fn altered_foreign_stale_and_mismatched_cursors_are_refused() {
    let sandbox = Sandbox::start().await.unwrap();
    let query = TicketListQuery::default();
    let trengo = connect(&sandbox, Some("the-first-cursor-key-32-bytes-long"));
    let cursor = trengo
        .list_tickets_page(&query, PageRequest::first())
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    let refused = |result: Result<_, switchboard_runtime::Error>, why: &str| {
        let e = result.expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
        assert!(e.message().contains(why), "{why} in {e}");
        assert!(e.message().contains("list again without a cursor"), "{e}");
        let op = e.operation().unwrap();
        assert_eq!((op.resource, op.method), ("tickets", "list"));
    };

    // One character of the payload changed.
    let (version, rest) = cursor.split_once('.').unwrap();
    let mut payload: Vec<char> = rest.chars().collect();
    payload[3] = if payload[3] == 'A' { 'B' } else { 'A' };
    let altered = format!("{version}.{}", payload.into_iter().collect::<String>());
    refused(
        trengo
            .list_tickets_page(&query, PageRequest::after(&altered))
            .await,
        "altered",
    );

    // Signed with another key: no key set means a key of the client's own.
    let other = connect(&sandbox, None);
    refused(
        other
            .list_tickets_page(&query, PageRequest::after(&cursor))
            .await,
        "another cursor key",
    );

    // Another version of the format.
    let stale = cursor.replacen("v1.", "v0.", 1);
    refused(
        trengo
            .list_tickets_page(&query, PageRequest::after(&stale))
            .await,
        "stale",
    );

    // Issued for another query.
    let open = TicketListQuery::default().with_status(TicketListQueryStatus::Open);
    refused(
        trengo
            .list_tickets_page(&open, PageRequest::after(&cursor))
            .await,
        "another list call",
    );

    refused(
        trengo
            .list_tickets_page(&query, PageRequest::after("page=2"))
            .await,
        "not a Switchboard cursor",
    );
    // Nothing was fetched for a refused cursor: one request, the first page.
    assert_eq!(sandbox.faults().requests().len(), 1);
}

#[tokio::test]
async fn a_limit_below_the_page_size_splits_pages_and_loses_nothing() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox, None);
    let query = TicketListQuery::default();
    // 7 does not divide the provider's page: slices end at page boundaries too.
    let limit = 7;
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut page = trengo
        .list_tickets_page(&query, PageRequest::first().with_limit(limit))
        .await
        .unwrap();
    loop {
        sizes.push(page.result_count);
        ids.extend(page.result.iter().map(|t| t.id.clone()));
        let Some(cursor) = page.next_cursor else {
            break;
        };
        page = trengo
            .list_tickets_page(&query, PageRequest::after(&cursor).with_limit(limit))
            .await
            .unwrap();
    }
    assert!(sizes.iter().all(|&n| n <= limit), "{sizes:?}");
    let seeded: Vec<String> = Seed::new()
        .tickets
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(ids, seeded, "every ticket once, in the provider's order");

    let zero = trengo
        .list_tickets_page(&query, PageRequest::first().with_limit(0))
        .await
        .unwrap_err();
    assert_eq!(zero.kind(), ErrorKind::Validation);
    assert!(zero.message().contains("at least 1"), "{zero}");
}
