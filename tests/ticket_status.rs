//! Ticket statuses of both providers end to end through the generated adapters: neither has an
//! endpoint, so the lists are static (kept in the mappings). They come out as unified records,
//! send no request, and agree with the statuses the tickets themselves map to.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::TryStreamExt;
use switchboard_generated::unified::ticketing::{
    Ticket, TicketListQuery, TicketState, TicketStateCategory as Category, TicketStatus,
};
use switchboard_runtime::ErrorKind;
use switchboard_sandbox::Sandbox;
use switchboard_tests::{reamaze as connect_reamaze, trengo as connect_trengo};

/// Whether a ticket's status is one of the listed categories (two enums of the same values).
fn listed(states: &[TicketState], status: &TicketStatus) -> bool {
    let status = serde_json::to_value(status).unwrap();
    states.iter().any(|s| {
        s.category
            .as_ref()
            .map(|c| serde_json::to_value(c).unwrap())
            == Some(status.clone())
    })
}

fn summary(states: &[TicketState]) -> Vec<(&str, &str, Option<Category>)> {
    states
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str(), s.category.clone()))
        .collect()
}

#[tokio::test]
async fn trengo_statuses_are_static_and_cover_every_ticket() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect_trengo(&sandbox);
    let states: Vec<TicketState> = t.list_ticket_status().try_collect().await.unwrap();
    assert_eq!(
        summary(&states),
        [
            ("OPEN", "New", Some(Category::Open)),
            ("ASSIGNED", "Assigned", Some(Category::InProgress)),
            ("CLOSED", "Closed", Some(Category::Closed)),
            ("INVALID", "Spam", Some(Category::Spam)),
        ]
    );
    assert!(states.iter().all(|s| s.description.is_some()));
    assert!(
        sandbox.faults().requests().is_empty(),
        "a static list sends nothing"
    );

    let with_raw: Vec<TicketState> = t
        .clone()
        .with_remote_data(true)
        .list_ticket_status()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(with_raw[0].remote_data.as_ref().unwrap()["status"], "OPEN");

    // Every status a ticket comes out with is one of the listed categories.
    let tickets: Vec<Ticket> = t
        .list_tickets(&TicketListQuery::new())
        .try_collect()
        .await
        .unwrap();
    for ticket in &tickets {
        let status = ticket.status.clone().unwrap();
        assert!(listed(&states, &status), "{status:?} is not listed");
    }
}

#[tokio::test]
async fn reamaze_statuses_are_static_and_cover_every_conversation() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect_reamaze(&sandbox);
    let page = r
        .list_ticket_status_page(switchboard_runtime::PageRequest::first())
        .await
        .unwrap();
    assert_eq!(page.result_count, 10);
    assert_eq!(page.next_cursor, None);
    let ids: Vec<&str> = page.result.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert_eq!(
        summary(&page.result)[5],
        ("5", "On Hold", Some(Category::OnHold))
    );
    assert!(sandbox.faults().requests().is_empty());

    // A limit splits the static list over signed cursors, in order.
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut request = switchboard_runtime::PageRequest::first().with_limit(4);
    let mut cursor;
    loop {
        let page = r.list_ticket_status_page(request).await.unwrap();
        sizes.push(page.result_count);
        ids.extend(page.result.into_iter().map(|s| s.id));
        match page.next_cursor {
            Some(c) => cursor = c,
            None => break,
        }
        request = switchboard_runtime::PageRequest::after(&cursor).with_limit(4);
    }
    assert_eq!(sizes, [4, 4, 2]);
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    // A cursor this list did not sign is refused.
    let err = r
        .list_ticket_status_page(switchboard_runtime::PageRequest::after("v1.abc.def"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert_eq!(
        err.operation().map(|o| o.resource),
        Some("conversation_statuses")
    );

    let tickets: Vec<Ticket> = r
        .list_tickets(&TicketListQuery::new())
        .try_collect()
        .await
        .unwrap();
    for ticket in &tickets {
        let raw = ticket.remote_data.as_ref();
        assert!(raw.is_none(), "remote data only on request");
        let status = ticket.status.clone().unwrap();
        assert!(listed(&page.result, &status), "{status:?} is not listed");
    }
}
