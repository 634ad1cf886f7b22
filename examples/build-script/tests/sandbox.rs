//! The build-script adapters work like the committed ones: Trengo tickets from the sandbox.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::TryStreamExt;
use switchboard_example_build_script::providers::trengo::{Trengo, TrengoCredentials};
use switchboard_example_build_script::unified::ticketing::{Ticket, TicketListQuery};
use switchboard_runtime::{ClientOptions, Secret};
use switchboard_sandbox::Sandbox;

#[tokio::test]
async fn lists_tickets_through_build_script_adapters() {
    let sandbox = Sandbox::start().await.unwrap();
    let credentials = TrengoCredentials {
        token: Secret::new(switchboard_sandbox::trengo::TOKEN),
        timezone: None,
    };
    let options = ClientOptions::default().with_base_url(sandbox.base_url("trengo").unwrap());
    let trengo = Trengo::connect(&credentials, options).unwrap();
    let tickets: Vec<Ticket> = trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tickets.len(), switchboard_sandbox::trengo::TICKET_COUNT);
    assert!(
        tickets
            .iter()
            .all(|t| t.status.is_some() && t.created_at.is_some())
    );
    sandbox.stop().await;
}
