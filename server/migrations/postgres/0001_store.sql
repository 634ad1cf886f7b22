-- Everything replicas share: accounts (credentials sealed), API keys (hashed), idempotency
-- records and settings (the cursor key, sealed).
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    public_credentials TEXT NOT NULL,
    key_id TEXT NOT NULL,
    nonce BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    accounts TEXT,
    hash BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE idempotency (
    account_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    state TEXT NOT NULL,
    status BIGINT,
    body BYTEA,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    nonce BYTEA NOT NULL,
    value BYTEA NOT NULL
);
