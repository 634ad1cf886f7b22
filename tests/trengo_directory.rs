//! Trengo's agents and teams end to end through the generated adapter against the sandbox:
//! the agent directory workflow (list users with their roles, look one up, list teams).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use futures::TryStreamExt;
use switchboard_generated::unified::ticketing::{Team, User};
use switchboard_runtime::{ErrorKind, Reference};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::{self, Seed};
use switchboard_tests::trengo as connect;

#[tokio::test]
async fn agent_directory_lists_users_with_their_roles_and_teams() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();

    let users: Vec<User> = trengo.list_users().try_collect().await.unwrap();
    assert_eq!(users.len(), seed.users.len());
    for (user, raw) in users.iter().zip(&seed.users) {
        assert_eq!(user.id, raw.id.to_string());
        assert_eq!(user.name, raw.full_name());
        assert_eq!(user.first_name.as_deref(), Some(raw.first_name.as_str()));
        assert_eq!(
            user.roles,
            vec![Reference {
                id: raw.role.0.to_string(),
                name: Some(raw.role.1.to_owned())
            }]
        );
        // Naive local time in the account's zone, out as UTC.
        assert_eq!(user.created_at, Some(raw.created_at));
    }
    assert!(
        users
            .iter()
            .any(|u| u.roles[0].name.as_deref() == Some("administrator"))
    );
    let one = trengo.get_user(&users[2].id).await.unwrap();
    assert_eq!(one, users[2]);

    let teams: Vec<Team> = trengo.list_teams().try_collect().await.unwrap();
    let names: Vec<&str> = teams.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        seed.teams
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(trengo.get_team(&teams[0].id).await.unwrap(), teams[0]);
}

#[tokio::test]
async fn unknown_users_and_teams_are_not_found() {
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    for e in [
        trengo.get_user("1").await.unwrap_err(),
        trengo.get_team("1").await.unwrap_err(),
    ] {
        assert_eq!((e.kind(), e.status()), (ErrorKind::NotFound, Some(404)));
        assert!(e.message().starts_with("No query results for model"), "{e}");
    }
}

#[tokio::test]
async fn channels_are_collections() {
    use switchboard_generated::unified::ticketing::Collection;
    let sandbox = Sandbox::start().await.unwrap();
    let trengo = connect(&sandbox);
    let seed = Seed::new();
    let all: Vec<Collection> = trengo.list_collections().try_collect().await.unwrap();
    assert_eq!(all.len(), seed.channels.len());
    for (c, raw) in all.iter().zip(&seed.channels) {
        assert_eq!(
            (c.id.clone(), c.name.as_str()),
            (raw.id.to_string(), raw.title)
        );
        assert_eq!(c.r#type.as_deref(), Some(raw.kind));
    }
    assert_eq!(trengo.get_collection(&all[0].id).await.unwrap(), all[0]);
    assert_eq!(
        trengo.get_collection("1").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // The e-mail channel carries its mailbox login: remote data never has it.
    let raw: Vec<Collection> = trengo
        .clone()
        .with_remote_data(true)
        .list_collections()
        .try_collect()
        .await
        .unwrap();
    let email = raw
        .iter()
        .find(|c| c.r#type.as_deref() == Some("EMAIL"))
        .unwrap();
    let record = email.remote_data.as_ref().unwrap();
    assert_eq!(record["password"], "[redacted]");
    assert_eq!(record["username"], "[redacted]");
    assert_eq!(record["title"], email.name.as_str(), "the rest is kept");
    let voice = raw.iter().find(|c| c.r#type.as_deref() == Some("VOIP"));
    if let Some(voice) = voice {
        assert!(voice.remote_data.as_ref().unwrap()["password"].is_null());
    }
    let one = trengo
        .clone()
        .with_remote_data(true)
        .get_collection(&email.id)
        .await
        .unwrap();
    assert_eq!(one.remote_data.unwrap()["password"], "[redacted]");
    let everything = format!("{raw:?}");
    assert!(!everything.contains(trengo::CONNECTOR_PASSWORD));
}
