//! Everything server replicas share, in one SQL database: embedded SQLite by default,
//! PostgreSQL for several replicas. One set of queries runs on both through sqlx's `Any`
//! driver; each backend has its own embedded migrations.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::crypto::Sealed;

/// A store failure, with what the server was doing.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct StoreError {
    pub what: &'static str,
    #[source]
    pub source: sqlx::Error,
}

type Result<T> = std::result::Result<T, StoreError>;

fn failed(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError { what, source }
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A connected account's row; the credentials stay sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: String,
    pub provider: String,
    pub name: String,
    /// `active` or `needs_reauth`.
    pub status: String,
    /// The non-secret credentials, as a JSON object (shown back to callers).
    pub public_credentials: String,
    pub sealed: Sealed,
    /// Bumped by every change, so replicas know a cached connection is stale.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// An API key's row; the secret is only kept as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    /// `admin` or `client`.
    pub role: String,
    /// The account ids the key may use (a JSON array); `None`: every account.
    pub accounts: Option<String>,
    pub hash: Vec<u8>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// What a write with an `Idempotency-Key` found when it claimed the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: this request runs and then stores its answer.
    Fresh,
    /// An earlier request with the key finished: its request hash and answer.
    Done {
        request_hash: Vec<u8>,
        status: u16,
        body: Vec<u8>,
    },
    /// An earlier request with the key is still running (or died before it answered).
    Running { request_hash: Vec<u8> },
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
}

// Column lists as macros, so that every query stays a literal (sqlx refuses built SQL).
macro_rules! account_columns {
    () => {
        "id, provider, name, status, public_credentials, key_id, nonce, ciphertext, version, \
         created_at, updated_at"
    };
}
macro_rules! key_columns {
    () => {
        "id, name, role, accounts, hash, created_at, revoked_at"
    };
}

impl Store {
    /// Opens (creating if needed) the store at `url` (`sqlite://path` or `postgres://…`) and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> std::result::Result<Store, String> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(format!(
                "the store URL must start with `sqlite://` or `postgres://` (got `{}`)",
                url.split(':').next().unwrap_or(url)
            ));
        };
        // `sqlite::memory:` is one database for the whole pool (sqlx's own would give each
        // connection its own).
        let url = if url == "sqlite::memory:" {
            format!(
                "sqlite:file:{}?mode=memory&cache=shared",
                crate::auth::new_id("switchboard-")
            )
        } else {
            url.to_owned()
        };
        let memory = url.contains("mode=memory");
        let url = match backend {
            // Create the file on first use.
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url,
        };
        let mut pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(std::time::Duration::from_secs(10));
        if memory {
            // An in-memory database lives as long as one of its connections: keep one open.
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = pool.connect(&url).await.map_err(|e| {
            format!(
                "cannot open the store: {}",
                without_password(&e.to_string())
            )
        })?;
        let migrated = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await,
        };
        migrated.map_err(|e| format!("cannot bring the store's schema up to date: {e}"))?;
        Ok(Store { pool })
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(failed("checking the store"))?;
        Ok(())
    }

    // Accounts.

    pub async fn insert_account(&self, a: &AccountRow) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO accounts (",
            account_columns!(),
            ") \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&a.id)
        .bind(&a.provider)
        .bind(&a.name)
        .bind(&a.status)
        .bind(&a.public_credentials)
        .bind(&a.sealed.key_id)
        .bind(&a.sealed.nonce)
        .bind(&a.sealed.ciphertext)
        .bind(a.version)
        .bind(&a.created_at)
        .bind(&a.updated_at)
        .execute(&self.pool)
        .await
        .map_err(failed("storing an account"))?;
        Ok(())
    }

    pub async fn account(&self, id: &str) -> Result<Option<AccountRow>> {
        sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(failed("reading an account"))?
        .map(|r| account_row(&r))
        .transpose()
        .map_err(failed("reading an account"))
    }

    /// Every account, oldest first.
    pub async fn accounts(&self) -> Result<Vec<AccountRow>> {
        sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(failed("listing accounts"))?
        .iter()
        .map(account_row)
        .collect::<std::result::Result<_, _>>()
        .map_err(failed("listing accounts"))
    }

    /// Writes an account's changed fields if its version is still `expected` (another replica
    /// may have changed it meanwhile); false when it was not.
    pub async fn update_account(&self, a: &AccountRow, expected: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE accounts SET name = $1, status = $2, public_credentials = $3, key_id = $4, \
             nonce = $5, ciphertext = $6, version = $7, updated_at = $8 \
             WHERE id = $9 AND version = $10",
        )
        .bind(&a.name)
        .bind(&a.status)
        .bind(&a.public_credentials)
        .bind(&a.sealed.key_id)
        .bind(&a.sealed.nonce)
        .bind(&a.sealed.ciphertext)
        .bind(a.version)
        .bind(&a.updated_at)
        .bind(&a.id)
        .bind(expected)
        .execute(&self.pool)
        .await
        .map_err(failed("updating an account"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks an account `needs_reauth` unless its credentials changed since `version`.
    pub async fn mark_needs_reauth(&self, id: &str, version: i64, now: &str) -> Result<()> {
        sqlx::query(
            "UPDATE accounts SET status = 'needs_reauth', version = version + 1, updated_at = $1 \
             WHERE id = $2 AND version = $3 AND status <> 'needs_reauth'",
        )
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&self.pool)
        .await
        .map_err(failed("marking an account needs_reauth"))?;
        Ok(())
    }

    /// Deletes an account and its idempotency records; false if there was none.
    pub async fn delete_account(&self, id: &str) -> Result<bool> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(failed("deleting an account"))?;
        sqlx::query("DELETE FROM idempotency WHERE account_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(failed("deleting an account"))?;
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(failed("deleting an account"))?;
        tx.commit().await.map_err(failed("deleting an account"))?;
        Ok(done.rows_affected() == 1)
    }

    // API keys.

    pub async fn insert_key(&self, k: &KeyRow) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO api_keys (",
            key_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&k.id)
        .bind(&k.name)
        .bind(&k.role)
        .bind(&k.accounts)
        .bind(&k.hash)
        .bind(&k.created_at)
        .bind(&k.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(failed("storing an API key"))?;
        Ok(())
    }

    pub async fn key(&self, id: &str) -> Result<Option<KeyRow>> {
        sqlx::query(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(failed("reading an API key"))?
        .map(|r| key_row(&r))
        .transpose()
        .map_err(failed("reading an API key"))
    }

    pub async fn keys(&self) -> Result<Vec<KeyRow>> {
        sqlx::query(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(failed("listing API keys"))?
        .iter()
        .map(key_row)
        .collect::<std::result::Result<_, _>>()
        .map_err(failed("listing API keys"))
    }

    /// Revokes a key; false if there is no such key or it was revoked already.
    pub async fn revoke_key(&self, id: &str, now: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(failed("revoking an API key"))?;
        Ok(done.rows_affected() == 1)
    }

    // Idempotency.

    /// Claims `key` for a write on `account`: the first claim wins (atomically, across
    /// replicas); later ones see the first one's state.
    pub async fn claim(
        &self,
        account: &str,
        key: &str,
        request_hash: &[u8],
        now: &str,
    ) -> Result<Claim> {
        // A claim released between the insert and the read is claimed again, a few times.
        for _ in 0..3 {
            let inserted = sqlx::query(
                "INSERT INTO idempotency (account_id, key, request_hash, state, created_at) \
                 VALUES ($1, $2, $3, 'running', $4) ON CONFLICT (account_id, key) DO NOTHING",
            )
            .bind(account)
            .bind(key)
            .bind(request_hash)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(failed("claiming an idempotency key"))?;
            if inserted.rows_affected() == 1 {
                return Ok(Claim::Fresh);
            }
            let row = sqlx::query(
                "SELECT request_hash, state, status, body FROM idempotency \
                 WHERE account_id = $1 AND key = $2",
            )
            .bind(account)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("reading an idempotency key"))?;
            if let Some(row) = row {
                return claim_of(&row).map_err(failed("reading an idempotency key"));
            }
        }
        // Always released before it is read: as good as running.
        Ok(Claim::Running {
            request_hash: request_hash.to_vec(),
        })
    }

    /// Stores the answer of a claimed write.
    pub async fn complete(&self, account: &str, key: &str, status: u16, body: &[u8]) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency SET state = 'done', status = $1, body = $2 \
             WHERE account_id = $3 AND key = $4",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(account)
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(failed("storing an idempotent answer"))?;
        Ok(())
    }

    /// Gives up a claim whose write did not reach the provider, so the key may be used again.
    pub async fn release(&self, account: &str, key: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM idempotency WHERE account_id = $1 AND key = $2 AND state = 'running'",
        )
        .bind(account)
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(failed("releasing an idempotency key"))?;
        Ok(())
    }

    /// Forgets idempotency records created before `cutoff` (RFC 3339).
    pub async fn expire_idempotency(&self, cutoff: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await
            .map_err(failed("expiring idempotency records"))?;
        Ok(done.rows_affected())
    }

    // Settings (sealed).

    pub async fn setting(&self, name: &str) -> Result<Option<Sealed>> {
        let row = sqlx::query("SELECT key_id, nonce, value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("reading a setting"))?;
        row.map(|r| sealed(&r, 0))
            .transpose()
            .map_err(failed("reading a setting"))
    }

    /// Stores a setting unless one is there already (another replica stored it first).
    pub async fn insert_setting(&self, name: &str, value: &Sealed) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (name, key_id, nonce, value) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&value.key_id)
        .bind(&value.nonce)
        .bind(&value.ciphertext)
        .execute(&self.pool)
        .await
        .map_err(failed("storing a setting"))?;
        Ok(())
    }

    pub async fn replace_setting(&self, name: &str, value: &Sealed) -> Result<()> {
        sqlx::query("UPDATE settings SET key_id = $1, nonce = $2, value = $3 WHERE name = $4")
            .bind(&value.key_id)
            .bind(&value.nonce)
            .bind(&value.ciphertext)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(failed("re-encrypting a setting"))?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn claim_of(row: &AnyRow) -> std::result::Result<Claim, sqlx::Error> {
    let request_hash: Vec<u8> = row.try_get(0)?;
    let state: String = row.try_get(1)?;
    Ok(if state == "done" {
        let status: i64 = row.try_get(2)?;
        Claim::Done {
            request_hash,
            status: u16::try_from(status).unwrap_or(500),
            body: row.try_get::<Option<Vec<u8>>, _>(3)?.unwrap_or_default(),
        }
    } else {
        Claim::Running { request_hash }
    })
}

fn sealed(r: &AnyRow, at: usize) -> std::result::Result<Sealed, sqlx::Error> {
    Ok(Sealed {
        key_id: r.try_get(at)?,
        nonce: r.try_get(at + 1)?,
        ciphertext: r.try_get(at + 2)?,
    })
}

fn account_row(r: &AnyRow) -> std::result::Result<AccountRow, sqlx::Error> {
    Ok(AccountRow {
        id: r.try_get(0)?,
        provider: r.try_get(1)?,
        name: r.try_get(2)?,
        status: r.try_get(3)?,
        public_credentials: r.try_get(4)?,
        sealed: sealed(r, 5)?,
        version: r.try_get(8)?,
        created_at: r.try_get(9)?,
        updated_at: r.try_get(10)?,
    })
}

fn key_row(r: &AnyRow) -> std::result::Result<KeyRow, sqlx::Error> {
    Ok(KeyRow {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        role: r.try_get(2)?,
        accounts: r.try_get(3)?,
        hash: r.try_get(4)?,
        created_at: r.try_get(5)?,
        revoked_at: r.try_get(6)?,
    })
}

/// A connection error's text with any `user:password@` of a URL left out.
fn without_password(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(char::is_whitespace) {
        match (word.find("://"), word.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                out.push_str(&word[..scheme + 3]);
                out.push_str("…@");
                out.push_str(&word[at + 1..]);
            }
            _ => out.push_str(word),
        }
    }
    out
}
