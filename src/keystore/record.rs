//! The JSON each keyring item holds. The records live only while being encoded or decoded, and
//! wipe their secrets when dropped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{KeyInfo, LongTermKey};
use crate::secret::Secret;
use crate::session::{Credentials, Identity, Session, SessionKind, SignInFields};

/// One keyring item.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Item {
    Session(Box<SessionRecord>),
    Key(KeyRecord),
}

#[derive(Serialize, Deserialize)]
pub(super) struct SessionRecord {
    version: u32,
    name: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    issued_at: u64,
    expires_at: u64,
    #[serde(default)]
    issued_at_nanos: u32,
    #[serde(default)]
    expires_at_nanos: u32,
    identity: Option<Identity>,
    source_identity: Option<Identity>,
    kind: SessionKind,
    region: Option<String>,
    #[serde(default)]
    origin: SignInFields,
}

impl Drop for SessionRecord {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.secret_access_key.zeroize();
        if let Some(t) = &mut self.session_token {
            t.zeroize();
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct KeyRecord {
    name: String,
    access_key_id: String,
    secret_access_key: String,
}

impl Drop for KeyRecord {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.secret_access_key.zeroize();
    }
}

impl From<&LongTermKey> for KeyRecord {
    fn from(key: &LongTermKey) -> Self {
        Self {
            name: key.name.clone(),
            access_key_id: key.credentials.access_key_id.clone(),
            secret_access_key: key.credentials.secret_access_key.expose().to_owned(),
        }
    }
}

impl KeyRecord {
    pub(super) fn info(&self) -> KeyInfo {
        KeyInfo {
            name: self.name.clone(),
            access_key_id: self.access_key_id.clone(),
        }
    }

    pub(super) fn into_key(self) -> LongTermKey {
        LongTermKey {
            name: self.name.clone(),
            credentials: Credentials {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: Secret::new(self.secret_access_key.clone()),
                session_token: None,
            },
        }
    }
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn nanos(t: SystemTime) -> u32 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
}

impl From<&Session> for SessionRecord {
    fn from(s: &Session) -> Self {
        Self {
            version: 1,
            name: s.name.clone(),
            access_key_id: s.credentials.access_key_id.clone(),
            secret_access_key: s.credentials.secret_access_key.expose().to_owned(),
            session_token: s
                .credentials
                .session_token
                .as_ref()
                .map(|t| t.expose().to_owned()),
            issued_at: secs(s.issued_at),
            expires_at: secs(s.expires_at),
            issued_at_nanos: nanos(s.issued_at),
            expires_at_nanos: nanos(s.expires_at),
            identity: s.identity.clone(),
            source_identity: s.source_identity.clone(),
            kind: s.kind.clone(),
            region: s.region.clone(),
            origin: s.origin.clone(),
        }
    }
}

impl SessionRecord {
    pub(super) fn into_session(self) -> Session {
        Session {
            name: self.name.clone(),
            origin: self.origin.clone(),
            credentials: Credentials {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: Secret::new(self.secret_access_key.clone()),
                session_token: self.session_token.clone().map(Secret::new),
            },
            issued_at: UNIX_EPOCH + Duration::new(self.issued_at, self.issued_at_nanos),
            expires_at: UNIX_EPOCH + Duration::new(self.expires_at, self.expires_at_nanos),
            identity: self.identity.clone(),
            source_identity: self.source_identity.clone(),
            kind: self.kind.clone(),
            region: self.region.clone(),
        }
    }
}

pub(super) fn encode(item: &Item) -> String {
    // Serializing these plain structs cannot fail.
    serde_json::to_string(item).unwrap_or_default()
}

pub(super) fn decode(text: &Secret) -> Option<Item> {
    serde_json::from_str(text.expose()).ok()
}
