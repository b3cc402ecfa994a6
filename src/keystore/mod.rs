//! Secrets in the OS keyring: long-term access keys the user added, and cached sessions (so a
//! restart, `keyfob export` and `keyfob credential-process` find them). Nothing secret is ever
//! written to a plain file.
//!
//! The store is chosen once: [`Keystore::platform`] lets the `keyring` crate set up the platform's
//! store (the Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) and then
//! works through `keyring_core` with that store object, so tests can hand in another store (the
//! mock, for failures a real Secret Service cannot produce).
//!
//! Each item is one JSON document under the service [`Keystore::service`] and the user
//! `session:NAME` or `key:NAME`; listing is a search on the service attribute.

mod error;
pub mod parts;
mod record;

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KrError};

pub use self::error::KeystoreError;
use self::record::{Item, KeyRecord, SessionRecord, decode, encode};
use crate::aws::SourceCredentials;
use crate::aws::errors::{AwsError, ErrorKind};
use crate::secret::Secret;
use crate::session::{Credentials, Session};

/// The environment variable that renames the keyring service (tests use their own, so they never
/// touch a developer's real entries).
pub const SERVICE_ENV: &str = "KEYFOB_KEYRING_SERVICE";

/// What one entry of the platform's store may hold: only Windows Credential Manager has a limit
/// an item can reach (2,560 bytes of UTF-16); the Secret Service and the macOS Keychain do not.
pub const PLATFORM_LIMIT: Option<parts::Limit> = if cfg!(windows) {
    Some(parts::WINDOWS)
} else {
    None
};

/// Long-term keys kept in the keyring under a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongTermKey {
    /// The name the user gave (the choice in "Source credentials").
    pub name: String,
    /// The key pair (no token).
    pub credentials: Credentials,
}

/// What a key list shows: never the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    /// `AKIA…`.
    pub access_key_id: String,
}

/// Everything found in the keyring.
#[derive(Debug, Default)]
pub struct Contents {
    /// The cached sessions (expired ones included; the caller drops them).
    pub sessions: Vec<Session>,
    pub keys: Vec<KeyInfo>,
    /// Entries that could not be read, one sentence each.
    pub problems: Vec<String>,
}

#[derive(Clone)]
pub struct Keystore {
    store: Arc<CredentialStore>,
    service: String,
    /// Items larger than this are split into parts ([`parts`]).
    limit: Option<parts::Limit>,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keystore")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl Keystore {
    /// The platform's store (set up once per process by the `keyring` crate), under the service
    /// named by `KEYFOB_KEYRING_SERVICE` or the app id.
    pub fn platform() -> Result<Self, KeystoreError> {
        if let Err(e) = keyring::Entry::store_status() {
            return Err(match e {
                KrError::NoDefaultStore => Self::unavailable_reason(),
                other => KeystoreError::from_keyring(other),
            });
        }
        let store = keyring_core::get_default_store()
            .ok_or_else(|| KeystoreError::Unavailable("no store was set up".to_owned()))?;
        let service = std::env::var(SERVICE_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| crate::APP_ID.to_owned());
        Ok(Self {
            store,
            service,
            limit: PLATFORM_LIMIT,
        })
    }

    fn unavailable_reason() -> KeystoreError {
        let why = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            "there is no D-Bus session bus".to_owned()
        } else {
            "nothing on the session bus provides org.freedesktop.secrets".to_owned()
        };
        KeystoreError::Unavailable(why)
    }

    /// A keystore on a given store (tests: the mock store).
    #[must_use]
    pub fn with_store(store: Arc<CredentialStore>, service: impl Into<String>) -> Self {
        Self {
            store,
            service: service.into(),
            limit: PLATFORM_LIMIT,
        }
    }

    /// The same keystore with another per-entry limit (tests: Windows's, on any platform).
    #[must_use]
    pub fn with_limit(mut self, limit: Option<parts::Limit>) -> Self {
        self.limit = limit;
        self
    }

    /// The service name the items are filed under.
    #[must_use]
    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, user: &str) -> Result<Entry, KeystoreError> {
        self.store
            .build(&self.service, user, None)
            .map_err(|e| KeystoreError::from_keyring(&e))
    }

    /// The item `user`, joined from its parts when it was split.
    fn read(&self, user: &str) -> Result<Option<Secret>, KeystoreError> {
        let Some(text) = self.read_entry(user)? else {
            return Ok(None);
        };
        self.join(user, text).map(Some)
    }

    /// A read entry as the item it heads: itself when whole, else joined with its parts.
    fn join(&self, user: &str, text: Secret) -> Result<Secret, KeystoreError> {
        let Some((n, first)) = parts::head(text.expose()) else {
            return Ok(text);
        };
        let mut joined = Secret::new(first.to_owned());
        for k in 2..=n {
            let part = self.read_entry(&parts::part_name(user, k))?;
            let piece = part.as_ref().and_then(|p| parts::piece(p.expose()));
            let Some(piece) = piece else {
                return Err(KeystoreError::Corrupt(user.to_owned()));
            };
            joined = Secret::new(format!("{}{piece}", joined.expose()));
        }
        Ok(joined)
    }

    fn read_entry(&self, user: &str) -> Result<Option<Secret>, KeystoreError> {
        match self.entry(user)?.get_password() {
            Ok(text) => Ok(Some(Secret::new(text))),
            Err(KrError::NoEntry) => Ok(None),
            Err(KrError::BadEncoding(_) | KrError::BadDataFormat(..)) => {
                Err(KeystoreError::Corrupt(user.to_owned()))
            }
            Err(KrError::Ambiguous(found)) => {
                // Two items for one name (another program wrote one): take the first readable.
                Ok(found
                    .iter()
                    .find_map(|e| e.get_password().ok())
                    .map(Secret::new))
            }
            Err(e) => Err(KeystoreError::from_keyring(&e)),
        }
    }

    /// Writes the item `user`: as one entry, or split into parts written before their head; then
    /// removes the parts a longer earlier item left.
    ///
    /// A write that stops half-way (the store gone, the process killed) leaves the earlier item
    /// or none, never a head read with another write's parts: when the new parts would overwrite
    /// those of a split earlier item, its head is deleted first (the item is absent until the new
    /// head is written). An earlier item in one entry keeps until the new head replaces it.
    fn write(&self, user: &str, text: &Secret) -> Result<(), KeystoreError> {
        let mut pieces: Vec<Secret> = parts::split(text.expose(), self.limit)
            .into_iter()
            .map(Secret::new)
            .collect();
        let head = pieces.remove(0);
        let before = self.part_count(user)?;
        if before > 1 && !pieces.is_empty() {
            self.delete_entry(user)?;
        }
        for (i, piece) in pieces.iter().enumerate() {
            self.write_entry(&parts::part_name(user, i + 2), piece)?;
        }
        self.write_entry(user, &head)?;
        self.delete_parts(user, pieces.len() + 2, before)
    }

    /// How many entries the item `user` now takes by its head (1 when whole or absent).
    fn part_count(&self, user: &str) -> Result<usize, KeystoreError> {
        // A damaged entry (not text) is simply replaced.
        let head = match self.read_entry(user) {
            Err(KeystoreError::Corrupt(_)) => None,
            other => other?,
        };
        Ok(head
            .as_ref()
            .and_then(|h| parts::head(h.expose()))
            .map_or(1, |(n, _)| n))
    }

    /// Deletes the parts of `user` from number `from` on: every one up to `known` (what its head
    /// said, even when one is missing), then any further until one is missing.
    fn delete_parts(&self, user: &str, from: usize, known: usize) -> Result<(), KeystoreError> {
        for k in from.. {
            if !self.delete_entry(&parts::part_name(user, k))? && k > known {
                break;
            }
        }
        Ok(())
    }

    fn write_entry(&self, user: &str, text: &Secret) -> Result<(), KeystoreError> {
        let entry = self.entry(user)?;
        match entry.set_password(text.expose()) {
            Ok(()) => Ok(()),
            Err(KrError::Ambiguous(found)) => {
                for e in &found {
                    let _ = e.delete_credential();
                }
                self.entry(user)?
                    .set_password(text.expose())
                    .map_err(|e| KeystoreError::from_keyring(&e))
            }
            Err(e) => Err(KeystoreError::from_keyring(&e)),
        }
    }

    /// Deletes the item `user` and its parts; whether there was one.
    fn delete(&self, user: &str) -> Result<bool, KeystoreError> {
        let known = self.part_count(user)?;
        let found = self.delete_entry(user)?;
        self.delete_parts(user, 2, known)?;
        Ok(found)
    }

    fn delete_entry(&self, user: &str) -> Result<bool, KeystoreError> {
        match self.entry(user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KrError::NoEntry) => Ok(false),
            Err(KrError::Ambiguous(found)) => {
                for e in &found {
                    let _ = e.delete_credential();
                }
                Ok(true)
            }
            Err(e) => Err(KeystoreError::from_keyring(&e)),
        }
    }

    /// The item filed as `user`, as `pick` takes it; an item that does not decode, or is of the
    /// other kind, is reported as damaged.
    fn read_as<T>(
        &self,
        user: String,
        pick: impl FnOnce(Item) -> Option<T>,
    ) -> Result<Option<T>, KeystoreError> {
        let Some(text) = self.read(&user)? else {
            return Ok(None);
        };
        match decode(&text).and_then(pick) {
            Some(value) => Ok(Some(value)),
            None => Err(KeystoreError::Corrupt(user)),
        }
    }

    /// Stores (or replaces) a session under its name.
    pub fn save_session(&self, session: &Session) -> Result<(), KeystoreError> {
        let text = Secret::new(encode(&Item::Session(Box::new(SessionRecord::from(
            session,
        )))));
        self.write(&session_user(&session.name), &text)?;
        // (The load test counts these lines: one write per sign-in, however many calls waited.)
        tracing::debug!(name = session.name, "wrote the session to the keyring");
        Ok(())
    }

    /// The cached session named `name`, if any.
    pub fn session(&self, name: &str) -> Result<Option<Session>, KeystoreError> {
        self.read_as(session_user(name), |item| match item {
            Item::Session(r) => Some(r.into_session()),
            Item::Key(_) => None,
        })
    }

    /// Forgets the session named `name`; whether there was one.
    pub fn delete_session(&self, name: &str) -> Result<bool, KeystoreError> {
        self.delete(&session_user(name))
    }

    /// Stores (or replaces) long-term keys.
    pub fn save_key(&self, key: &LongTermKey) -> Result<(), KeystoreError> {
        let text = Secret::new(encode(&Item::Key(KeyRecord::from(key))));
        self.write(&key_user(&key.name), &text)
    }

    /// The long-term keys named `name`, if any.
    pub fn key(&self, name: &str) -> Result<Option<LongTermKey>, KeystoreError> {
        self.read_as(key_user(name), |item| match item {
            Item::Key(r) => Some(r.into_key()),
            Item::Session(_) => None,
        })
    }

    /// Removes the long-term keys named `name`; whether there were any.
    pub fn delete_key(&self, name: &str) -> Result<bool, KeystoreError> {
        self.delete(&key_user(name))
    }

    /// Every session and key filed under the service. An entry that cannot be read is reported in
    /// [`Contents::problems`] and skipped.
    pub fn load_all(&self) -> Result<Contents, KeystoreError> {
        let spec = HashMap::from([("service", self.service.as_str())]);
        let found = self
            .store
            .search(&spec)
            .map_err(|e| KeystoreError::from_keyring(&e))?;
        let mut out = Contents::default();
        for entry in found {
            let text = match entry.get_password() {
                Ok(t) => Secret::new(t),
                Err(KrError::NoEntry) => continue,
                Err(KrError::BadEncoding(_) | KrError::BadDataFormat(..)) => {
                    out.problems
                        .push("A keyring entry of keyfob is not text and was ignored".to_owned());
                    continue;
                }
                Err(e) => return Err(KeystoreError::from_keyring(&e)),
            };
            if parts::piece(text.expose()).is_some() {
                continue; // a part: read with its head
            }
            let text = if parts::head(text.expose()).is_some() {
                let joined = entry
                    .get_specifiers()
                    .map(|(_, user)| self.join(&user, text));
                match joined {
                    Some(Ok(t)) => t,
                    Some(Err(KeystoreError::Corrupt(_))) | None => {
                        out.problems.push(
                            "A keyring entry of keyfob is missing a part and was ignored"
                                .to_owned(),
                        );
                        continue;
                    }
                    Some(Err(e)) => return Err(e),
                }
            } else {
                text
            };
            match decode(&text) {
                Some(Item::Session(r)) => out.sessions.push(r.into_session()),
                Some(Item::Key(r)) => out.keys.push(r.info()),
                None => out.problems.push(
                    "A keyring entry of keyfob is damaged (not a session or key record) and was ignored"
                        .to_owned(),
                ),
            }
        }
        out.sessions.sort_by(|a, b| a.name.cmp(&b.name));
        out.keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// Turns keyring keys into the static credentials the SDK takes; other sources pass through.
pub fn resolve_source(
    keystore: Option<&Keystore>,
    source: &SourceCredentials,
) -> Result<SourceCredentials, AwsError> {
    let SourceCredentials::Keyring(name) = source else {
        return Ok(source.clone());
    };
    let Some(ks) = keystore else {
        return Err(AwsError::new(
            ErrorKind::NoCredentials,
            format!("The keys named {name} are in the keyring, which is not available"),
        ));
    };
    match ks.key(name) {
        Ok(Some(key)) => Ok(SourceCredentials::Static(key.credentials)),
        Ok(None) => Err(AwsError::new(
            ErrorKind::NoCredentials,
            format!("There are no keys named {name} in the keyring"),
        )),
        Err(e) => Err(AwsError::new(ErrorKind::NoCredentials, e.to_string())),
    }
}

fn session_user(name: &str) -> String {
    format!("session:{name}")
}

fn key_user(name: &str) -> String {
    format!("key:{name}")
}
