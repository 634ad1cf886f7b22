//! Ids from callers stay one path segment: a traversal id reaches the record route with the id
//! escaped, never another route with the account's token; ids no escaping can hold are refused
//! before anything is sent.

use switchboard_runtime::ErrorKind;
use switchboard_sandbox::Sandbox;
use switchboard_tests::trengo;

#[tokio::test]
async fn traversal_ids_reach_only_their_own_segment() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = trengo(&sandbox);
    let e = trengo
        .get_ticket(r"..\..\..\admin\users")
        .await
        .unwrap_err();
    crate::check(
        &e,
        ErrorKind::NotFound,
        &[switchboard_sandbox::trengo::TOKEN],
    );
    let e = trengo
        .delete_ticket(r"..\..\contacts\123")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let seen = sandbox.faults().requests();
    assert_eq!(
        seen,
        [
            "/trengo/api/v2/tickets/..%5C..%5C..%5Cadmin%5Cusers",
            "/trengo/api/v2/tickets/..%5C..%5Ccontacts%5C123",
        ],
        "each id stayed in the ticket's segment"
    );
}

#[tokio::test]
async fn ids_that_name_no_record_are_refused_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = trengo(&sandbox);
    for id in ["", ".", ".."] {
        let e = trengo.get_ticket(id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation, "{id:?}: {e}");
        assert!(e.message().contains("must name one record"), "{e}");
        let e = trengo.delete_ticket(id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation, "{id:?}: {e}");
    }
    assert!(sandbox.faults().requests().is_empty(), "nothing was sent");
}
