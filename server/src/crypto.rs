//! Credentials at rest: XChaCha20-Poly1305 under a keyring of named keys.
//!
//! The first key seals; every key opens what it sealed, so keys rotate by putting a new key
//! first and re-encrypting (`switchboard accounts re-encrypt`). Each sealed value names its key
//! and is bound (as associated data) to the account it belongs to, so a ciphertext copied onto
//! another account's row does not open.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The environment variable holding the keyring: `id:base64-key[,id:base64-key…]`.
pub const KEYS_ENV: &str = "SWITCHBOARD_ENCRYPTION_KEYS";

/// Named keys; the first seals.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, XChaCha20Poly1305)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Keyring").field("ids", &ids).finish()
    }
}

/// A sealed value and what opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl Keyring {
    /// Parses `id:base64-key` entries separated by commas or new lines (a key file holds one
    /// per line; `#` starts a comment). Every key is 32 bytes, base64.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys: Vec<(String, XChaCha20Poly1305)> = Vec::new();
        for entry in text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let Some((id, key)) = entry.split_once(':') else {
                return Err(
                    "an encryption key is `id:base64-key` (32 bytes); create one with \
                     `switchboard keys encryption-key`"
                        .into(),
                );
            };
            let id = id.trim();
            if id.is_empty()
                || id.len() > 64
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(format!(
                    "encryption key id `{}` must be 1 to 64 letters, digits, `-` or `_`",
                    id.chars().take(64).collect::<String>()
                ));
            }
            if keys.iter().any(|(k, _)| k == id) {
                return Err(format!("encryption key id `{id}` is given twice"));
            }
            let bytes = STANDARD.decode(key.trim()).map_err(|_| {
                format!("encryption key `{id}` is not base64; create one with `switchboard keys encryption-key`")
            })?;
            let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| {
                format!(
                    "encryption key `{id}` has {} bytes; it must have 32",
                    bytes.len()
                )
            })?;
            keys.push((id.to_owned(), cipher));
        }
        if keys.is_empty() {
            return Err(format!(
                "no encryption key: set {KEYS_ENV}=id:base64-key or give --encryption-key-file; \
                 create a key with `switchboard keys encryption-key`"
            ));
        }
        Ok(Self { keys })
    }

    /// A keyring of one new random key (for a sandbox whose store lives as long as it does).
    pub fn ephemeral() -> Self {
        let key = chacha20poly1305::Key::generate();
        Self {
            keys: vec![("ephemeral".into(), XChaCha20Poly1305::new(&key))],
        }
    }

    /// A new key entry, `id:base64-key`, for a keyring.
    pub fn new_entry(id: &str) -> String {
        let key = chacha20poly1305::Key::generate();
        format!("{id}:{}", STANDARD.encode(key))
    }

    /// The id of the key that seals.
    pub fn current(&self) -> &str {
        &self.keys[0].0
    }

    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, String> {
        let (id, cipher) = &self.keys[0];
        let nonce = XNonce::generate();
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| "encryption failed".to_owned())?;
        Ok(Sealed {
            key_id: id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    pub fn open(&self, aad: &[u8], sealed: &Sealed) -> Result<Vec<u8>, String> {
        let Some((_, cipher)) = self.keys.iter().find(|(id, _)| *id == sealed.key_id) else {
            return Err(format!(
                "the credentials are sealed with encryption key `{}`, which is not in the keyring; \
                 add it to {KEYS_ENV}",
                sealed.key_id
            ));
        };
        let nonce = XNonce::try_from(sealed.nonce.as_slice())
            .map_err(|_| "the sealed credentials have a nonce of the wrong size".to_owned())?;
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed.ciphertext,
                    aad,
                },
            )
            .map_err(|_| {
                format!(
                    "the credentials do not open under encryption key `{}`: the key changed or \
                     the row was altered",
                    sealed.key_id
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_account() {
        let ring = Keyring::parse(&Keyring::new_entry("k1")).expect("keyring");
        let sealed = ring.seal(b"account-a", b"secret").expect("seal");
        assert_eq!(ring.open(b"account-a", &sealed).expect("open"), b"secret");
        assert!(ring.open(b"account-b", &sealed).is_err());
        let mut altered = sealed.clone();
        altered.ciphertext[0] ^= 1;
        assert!(ring.open(b"account-a", &altered).is_err());
        let other = Keyring::parse(&Keyring::new_entry("k2")).expect("keyring");
        assert!(
            other
                .open(b"account-a", &sealed)
                .unwrap_err()
                .contains("`k1`")
        );
    }

    #[test]
    fn rotation_opens_old_values_and_seals_with_the_first_key() {
        let old = Keyring::new_entry("old");
        let new = Keyring::new_entry("new");
        let before = Keyring::parse(&old).expect("keyring");
        let sealed = before.seal(b"a", b"x").expect("seal");
        let after = Keyring::parse(&format!("{new}\n{old}")).expect("keyring");
        assert_eq!(after.open(b"a", &sealed).expect("open"), b"x");
        assert_eq!(after.seal(b"a", b"x").expect("seal").key_id, "new");
    }

    #[test]
    fn bad_keyrings_say_what_is_wrong() {
        assert!(Keyring::parse("").unwrap_err().contains(KEYS_ENV));
        assert!(Keyring::parse("k1:AAAA").unwrap_err().contains("3 bytes"));
        assert!(Keyring::parse("k1:***").unwrap_err().contains("not base64"));
        assert!(
            Keyring::parse("nocolon")
                .unwrap_err()
                .contains("id:base64-key")
        );
        let e = Keyring::new_entry("k");
        assert!(
            Keyring::parse(&format!("{e},{e}"))
                .unwrap_err()
                .contains("twice")
        );
    }
}
