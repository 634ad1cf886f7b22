//! Trengo labels as unified tags, end to end through the generated adapter against the
//! sandbox: list, get, create, update, delete, and the provider's errors on bad writes.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::TryStreamExt;
use switchboard_generated::providers::trengo::Trengo;
use switchboard_generated::unified::ticketing::{Tag, TagCreateBody, TagUpdateBody};
use switchboard_runtime::ErrorKind;
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::{self, Seed};

fn connect(sandbox: &Sandbox) -> Trengo {
    switchboard_tests::trengo(sandbox).with_remote_data(true)
}

async fn all(trengo: &Trengo) -> Vec<Tag> {
    trengo.list_tags().try_collect().await.unwrap()
}

#[tokio::test]
async fn tags_list_and_get_as_seeded() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();
    let tags = all(&trengo).await;
    assert_eq!(tags.len(), seed.labels.len());
    for (tag, label) in tags.iter().zip(&seed.labels) {
        assert_eq!(tag.id, label.id.to_string());
        assert_eq!(tag.name, label.name);
        assert_eq!(tag.color.as_deref(), Some(label.color.as_str()));
        assert_eq!(tag.remote_data.as_ref(), Some(&trengo::label_json(label)));
    }
    let one = trengo.get_tag(&tags[1].id).await.unwrap();
    assert_eq!(one, tags[1]);
}

#[tokio::test]
async fn tags_are_created_updated_and_deleted() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let created = trengo
        .create_tag(&TagCreateBody::new("Escalated".into()).with_color("#E9573F".into()))
        .await
        .unwrap();
    assert_eq!(
        (created.name.as_str(), created.color.as_deref()),
        ("Escalated", Some("#E9573F"))
    );
    assert!(all(&trengo).await.contains(&created), "the write is kept");

    let renamed = trengo
        .update_tag(
            &created.id,
            &TagUpdateBody::new().with_name("Escalated to L2".into()),
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Escalated to L2");
    assert_eq!(
        renamed.color, created.color,
        "fields not given do not change"
    );
    assert_eq!(trengo.get_tag(&created.id).await.unwrap(), renamed);

    trengo.delete_tag(&created.id).await.unwrap();
    let e = trengo.get_tag(&created.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(
        e.message()
            .contains("No query results for model [App\\Models\\Label]"),
        "{e}"
    );
    assert_eq!(all(&trengo).await.len(), Seed::new().labels.len());
}

#[tokio::test]
async fn bad_tag_writes_are_typed_errors_with_the_providers_message() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let e = trengo
        .create_tag(&TagCreateBody::new("Red".into()).with_color("red".into()))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, Some(422)));
    assert_eq!(
        e.message(),
        "The given data was invalid. (color: The color format is invalid.)"
    );
    assert_eq!(
        e.to_body()["details"]["errors"]["color"][0],
        "The color format is invalid."
    );
    let op = e.operation().unwrap();
    assert_eq!((op.resource, op.method), ("labels", "create"));

    let e = trengo
        .update_tag("999", &TagUpdateBody::new().with_name("x".into()))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::NotFound, Some(404)));
    let e = trengo.delete_tag("999").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}
