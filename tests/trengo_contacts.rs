//! Trengo contacts and custom fields end to end through the generated adapter against the
//! sandbox: list and search, one contact with its addresses, an update, and contact
//! enrichment (write custom field values, read them back).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::TryStreamExt;
use switchboard_generated::providers::trengo::Trengo;
use switchboard_generated::unified::ticketing::{
    Contact, ContactListQuery, ContactSetCustomFieldQuery, ContactUpdateBody, Field,
    FieldEntityType,
};
use switchboard_runtime::ErrorKind;
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::Seed;
use switchboard_tests::trengo as connect;

async fn contacts(trengo: &Trengo, query: &ContactListQuery) -> Vec<Contact> {
    trengo.list_contacts(query).try_collect().await.unwrap()
}

#[tokio::test]
async fn contacts_list_search_and_get_with_their_addresses() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();
    let all = contacts(&trengo, &ContactListQuery::default()).await;
    assert_eq!(
        all.len(),
        seed.contacts.len(),
        "every page of the simple paginator"
    );
    for (c, raw) in all.iter().zip(&seed.contacts) {
        assert_eq!(c.id, raw.id.to_string());
        assert_eq!(c.name.as_deref(), Some(raw.name.as_str()));
        let emails: Vec<&str> = c.emails.iter().map(|e| e.email.as_str()).collect();
        assert_eq!(
            emails,
            raw.email.iter().map(String::as_str).collect::<Vec<_>>()
        );
        let phones: Vec<&str> = c.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(
            phones,
            raw.phone.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert_eq!(
            c.emails.len() + c.phones.len(),
            1,
            "one address per Trengo contact"
        );
    }
    let found = contacts(
        &trengo,
        &ContactListQuery::default().with_search("CUSTOMER5@".into()),
    )
    .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].emails[0].email, "customer5@example.com");
    assert_eq!(trengo.get_contact(&all[3].id).await.unwrap(), all[3]);
}

#[tokio::test]
async fn contact_enrichment_writes_custom_fields_and_reads_them_back() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let fields: Vec<Field> = trengo.list_fields().try_collect().await.unwrap();
    let tier = fields
        .iter()
        .find(|f| f.label.as_deref() == Some("Loyalty tier"))
        .unwrap();
    assert_eq!(tier.entity_type, Some(FieldEntityType::Contact));
    assert_eq!(trengo.get_field(&tier.id).await.unwrap(), *tier);

    let contact = &Seed::new().contacts[0];
    let id = contact.id.to_string();
    trengo
        .contact_set_custom_field(
            &id,
            &ContactSetCustomFieldQuery::new(tier.id.clone(), "Gold".into()),
        )
        .await
        .unwrap();
    let got = trengo.get_contact(&id).await.unwrap();
    assert_eq!(
        got.custom_fields,
        Some(serde_json::json!({"Customer number": "C001000", "Loyalty tier": "Gold"}))
    );
    // Cleared with an empty value.
    trengo
        .contact_set_custom_field(
            &id,
            &ContactSetCustomFieldQuery::new(tier.id.clone(), String::new()),
        )
        .await
        .unwrap();
    let got = trengo.get_contact(&id).await.unwrap();
    assert_eq!(
        got.custom_fields,
        Some(serde_json::json!({"Customer number": "C001000"}))
    );

    let renamed = trengo
        .update_contact(
            &id,
            &ContactUpdateBody::new().with_name("Anna Renamed".into()),
        )
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Anna Renamed"));
    assert_eq!(
        renamed.emails, got.emails,
        "what is not given does not change"
    );
}

#[tokio::test]
async fn bad_contact_writes_are_typed_errors() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let id = Seed::new().contacts[0].id.to_string();
    let e = trengo
        .contact_set_custom_field(
            &id,
            &ContactSetCustomFieldQuery::new("613806".into(), "x".into()),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Validation, Some(422)),
        "a ticket field"
    );
    assert_eq!(
        e.to_body()["details"]["errors"]["custom_field_id"][0],
        "The selected custom field id is invalid."
    );
    let e = trengo
        .update_contact("1", &ContactUpdateBody::new().with_name("x".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // Trengo cannot change a contact's addresses: refused before anything is sent.
    let e = trengo
        .update_contact(&id, &ContactUpdateBody::new().with_emails(Vec::new()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn contacts_are_created_per_channel_and_found_again() {
    use switchboard_generated::unified::ticketing::{
        ContactCreateBody, ContactCreateQuery, EmailAddress,
    };
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let email_channel = Seed::new().channels[1].id.to_string();
    let body = ContactCreateBody::new()
        .with_name("Hanna New".into())
        .with_emails(vec![EmailAddress {
            email: "hanna@example.com".into(),
            r#type: None,
        }]);
    let query = ContactCreateQuery::new().with_collection_id(email_channel.clone());
    let created = trengo.create_contact(&query, &body).await.unwrap();
    assert_eq!(created.name.as_deref(), Some("Hanna New"));
    assert_eq!(created.emails[0].email, "hanna@example.com");
    assert_eq!(trengo.get_contact(&created.id).await.unwrap(), created);
    // The same identifier again: Trengo answers the existing contact.
    let again = trengo.create_contact(&query, &body).await.unwrap();
    assert_eq!(again.id, created.id);

    let e = trengo
        .create_contact(
            &query,
            &ContactCreateBody::new().with_name("No address".into()),
        )
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, Some(422)));
    assert_eq!(
        e.to_body()["details"]["errors"]["identifier"][0],
        "The identifier field is required."
    );
    let e = trengo
        .create_contact(
            &ContactCreateQuery::new().with_collection_id("1".into()),
            &body,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}
