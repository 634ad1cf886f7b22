//! The User Directory model end to end through the generated adapters against the sandbox, on
//! both providers: users, groups (Trengo's teams) and roles (derived from the users' embedded
//! roles, each listed once), and the agent directory workflow built on them.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::collections::BTreeSet;

use futures::TryStreamExt;
use switchboard_generated::unified::user_directory::{Group, Role, User, UserStatus};
use switchboard_runtime::{ErrorKind, Reference};
use switchboard_sandbox::{Sandbox, reamaze, trengo};
use switchboard_tests::{reamaze as connect_reamaze, trengo as connect_trengo};

/// Every role a user has is in the role list, and every listed role is someone's.
fn roles_agree(users: &[User], roles: &[Role]) {
    let of_users: BTreeSet<&str> = users
        .iter()
        .flat_map(|u| u.roles.iter().map(|r| r.id.as_str()))
        .collect();
    let listed: BTreeSet<&str> = roles.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(of_users, listed);
    assert_eq!(listed.len(), roles.len(), "each role is listed once");
}

#[tokio::test]
async fn trengo_directory_users_groups_and_roles() {
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect_trengo(&sandbox);
    let seed = trengo::Seed::new();

    let users: Vec<User> = t.list_directory_users().try_collect().await.unwrap();
    assert_eq!(users.len(), seed.users.len());
    for (user, raw) in users.iter().zip(&seed.users) {
        assert_eq!(user.id, raw.id.to_string());
        assert_eq!(user.name.as_deref(), Some(raw.full_name().as_str()));
        assert_eq!(user.emails.len(), 1);
        assert_eq!(user.emails[0].email, raw.email);
        assert!(user.phones.is_empty(), "the seeded agents have no phone");
        assert_eq!(user.status, Some(UserStatus::Active));
        assert_eq!(
            user.roles,
            [Reference {
                id: raw.role.0.to_string(),
                name: Some(raw.role.1.to_owned()),
            }]
        );
        assert_eq!(user.created_at, Some(raw.created_at));
    }
    let one = t.get_directory_user(&users[1].id).await.unwrap();
    assert_eq!(one, users[1]);

    let groups: Vec<Group> = t.list_directory_groups().try_collect().await.unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        seed.teams
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
    );
    assert!(
        groups.iter().all(|g| g.members.is_empty()),
        "membership is not in the API"
    );
    assert_eq!(
        t.get_directory_group(&groups[0].id).await.unwrap(),
        groups[0]
    );

    // Four agents, three roles: the two agents share one.
    let roles: Vec<Role> = t.list_directory_roles().try_collect().await.unwrap();
    let listed: Vec<(&str, &str)> = roles
        .iter()
        .map(|r| (r.id.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("24", "administrator"),
            ("25", "supervisor"),
            ("26", "agent")
        ]
    );
    roles_agree(&users, &roles);
    let page = t
        .list_directory_roles_page(switchboard_runtime::PageRequest::first())
        .await
        .unwrap();
    assert_eq!((page.result, page.result_count), (roles.clone(), 3));

    let raw = t.clone().with_remote_data(true);
    let roles: Vec<Role> = raw.list_directory_roles().try_collect().await.unwrap();
    assert_eq!(
        roles[0].remote_data,
        Some(serde_json::json!({"id": 24, "name": "administrator"}))
    );

    for e in [
        t.get_directory_user("1").await.unwrap_err(),
        t.get_directory_group("1").await.unwrap_err(),
    ] {
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::NotFound, Some(404)),
            "{e}"
        );
    }
}

#[tokio::test]
async fn reamaze_directory_staff_and_roles() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = connect_reamaze(&sandbox);
    let seed = reamaze::Seed::new();

    let users: Vec<User> = r.list_directory_users().try_collect().await.unwrap();
    assert_eq!(users.len(), seed.staff.len());
    for (user, staff) in users.iter().zip(&seed.staff) {
        assert_eq!(
            user.id, staff.email,
            "staff have no id: the e-mail is the id"
        );
        assert_eq!(user.name.as_deref(), Some(staff.name.as_str()));
        assert_eq!(user.emails[0].email, staff.email);
        let id = staff
            .role
            .0
            .map_or_else(|| staff.role.1.to_owned(), |id| id.to_string());
        assert_eq!(user.roles[0].id, id);
        assert_eq!(user.created_at, Some(staff.created_at));
    }

    let roles: Vec<Role> = r.list_directory_roles().try_collect().await.unwrap();
    let listed: Vec<(&str, &str)> = roles
        .iter()
        .map(|r| (r.id.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("10", "Administrator"),
            ("12", "Agent"),
            ("Light Agent", "Light Agent")
        ]
    );
    roles_agree(&users, &roles);
}

#[tokio::test]
async fn agent_directory_on_both_providers() {
    // The workflow: list the agents, and show each one's roles by name from the role list.
    let sandbox = Sandbox::start().await.unwrap();
    let t = connect_trengo(&sandbox);
    let r = connect_reamaze(&sandbox);
    let directory = |users: Vec<User>, roles: Vec<Role>| -> Vec<(String, Vec<String>)> {
        users
            .into_iter()
            .map(|u| {
                let names = u
                    .roles
                    .iter()
                    .map(|ur| {
                        roles
                            .iter()
                            .find(|r| r.id == ur.id)
                            .map(|r| r.name.clone())
                            .unwrap()
                    })
                    .collect();
                (u.name.unwrap_or_default(), names)
            })
            .collect()
    };
    let trengo_directory = directory(
        t.list_directory_users().try_collect().await.unwrap(),
        t.list_directory_roles().try_collect().await.unwrap(),
    );
    assert_eq!(trengo_directory.len(), 4);
    assert_eq!(trengo_directory[0].1, ["administrator"]);
    let reamaze_directory = directory(
        r.list_directory_users().try_collect().await.unwrap(),
        r.list_directory_roles().try_collect().await.unwrap(),
    );
    assert_eq!(
        reamaze_directory[0],
        ("Ada Admin".to_owned(), vec!["Administrator".to_owned()])
    );
}
