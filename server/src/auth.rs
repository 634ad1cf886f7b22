//! API keys: `sbk_<id>_<secret>`, stored as the secret's SHA-256 and compared in constant time.
//! An `admin` key manages accounts and keys and may call; a `client` key calls, and may be
//! limited to some accounts.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, Code};
use crate::store::{KeyRow, Store};

const PREFIX: &str = "sbk_";
const ID_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Client => "client",
        }
    }

    pub fn parse(text: &str) -> Result<Role, String> {
        match text {
            "admin" => Ok(Role::Admin),
            "client" => Ok(Role::Client),
            other => Err(format!(
                "unknown role `{other}`: a key is `admin` (accounts and keys) or `client` (calls)"
            )),
        }
    }
}

/// Who is calling: the key that authenticated the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key_id: String,
    pub role: Role,
    /// The accounts the key may use; `None`: every account.
    pub accounts: Option<Vec<String>>,
}

impl Caller {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Client => Err(ApiError::new(
                Code::PermissionDenied,
                "this endpoint needs an admin key; the key used is a client key",
            )),
        }
    }

    /// Whether the key may use `account` (an unknown account answers the same, so a limited
    /// key cannot learn which other accounts exist).
    pub fn may_use(&self, account: &str) -> bool {
        self.accounts
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|a| a == account))
    }

    pub fn check_account(&self, account: &str) -> Result<(), ApiError> {
        if self.may_use(account) {
            Ok(())
        } else {
            Err(ApiError::new(
                Code::PermissionDenied,
                format!("this key may not use account `{account}`"),
            ))
        }
    }
}

/// A newly created key: its row, and the token shown once.
pub struct NewKey {
    pub row: KeyRow,
    pub token: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("id", &self.row.id)
            .finish_non_exhaustive()
    }
}

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// A random id: `prefix` and 16 hex digits.
pub fn new_id(prefix: &str) -> String {
    let bytes: [u8; 8] = random();
    let mut id = String::with_capacity(prefix.len() + 16);
    id.push_str(prefix);
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A new key of `role`, limited to `accounts` if given.
pub fn new_key(name: &str, role: Role, accounts: Option<Vec<String>>, now: &str) -> NewKey {
    let id = new_id("")[..ID_LEN].to_owned();
    let secret = URL_SAFE_NO_PAD.encode(random::<32>());
    let token = format!("{PREFIX}{id}_{secret}");
    NewKey {
        row: KeyRow {
            id,
            name: name.to_owned(),
            role: role.as_str().to_owned(),
            accounts: accounts.map(|a| serde_json::Value::from(a).to_string()),
            hash: hash(&secret),
            created_at: now.to_owned(),
            revoked_at: None,
        },
        token,
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(Code::Unauthenticated, message)
}

/// The caller of a request with `Authorization: Bearer sbk_…`.
pub async fn authenticate(store: &Store, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(unauthenticated(
            "no API key: send `Authorization: Bearer sbk_…` (create a key with \
             `switchboard keys create`)",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer sbk_…`"))?;
    let (id, secret) = token
        .strip_prefix(PREFIX)
        .filter(|rest| rest.len() > ID_LEN + 1 && rest.is_char_boundary(ID_LEN))
        .map(|rest| rest.split_at(ID_LEN))
        .and_then(|(id, rest)| Some((id, rest.strip_prefix('_')?)))
        .ok_or_else(|| unauthenticated("this is not a Switchboard API key (`sbk_…`)"))?;
    let row = store
        .key(id)
        .await
        .map_err(|e| ApiError::internal("checking an API key", e))?;
    let valid = row
        .as_ref()
        .map(|r| bool::from(r.hash.ct_eq(&hash(secret))) && r.revoked_at.is_none());
    let Some(row) = row.filter(|_| valid == Some(true)) else {
        return Err(unauthenticated("unknown or revoked API key"));
    };
    let role = Role::parse(&row.role).map_err(|e| ApiError::internal("reading an API key", e))?;
    let accounts = row
        .accounts
        .as_deref()
        .map(serde_json::from_str::<Vec<String>>)
        .transpose()
        .map_err(|e| ApiError::internal("reading an API key", e))?;
    Ok(Caller {
        key_id: row.id,
        role,
        accounts,
    })
}

/// A key as endpoints show it (never its secret or hash).
pub fn key_view(row: &KeyRow) -> serde_json::Value {
    serde_json::json!({
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "accounts": row.accounts.as_deref().and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()),
        "created_at": row.created_at,
        "revoked_at": row.revoked_at,
    })
}
