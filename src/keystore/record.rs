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
    /// When the session was issued and when it ends; `None` when either lies past what the
    /// platform's clock can hold (a damaged record: keyfob never writes one).
    fn times(&self) -> Option<(SystemTime, SystemTime)> {
        let at = |secs: u64, nanos: u32| {
            let since =
                Duration::from_secs(secs).checked_add(Duration::from_nanos(nanos.into()))?;
            UNIX_EPOCH.checked_add(since)
        };
        Some((
            at(self.issued_at, self.issued_at_nanos)?,
            at(self.expires_at, self.expires_at_nanos)?,
        ))
    }

    pub(super) fn into_session(self) -> Session {
        // `decode` refuses a record whose times do not fit.
        let (issued_at, expires_at) = self.times().unwrap_or((UNIX_EPOCH, UNIX_EPOCH));
        Session {
            name: self.name.clone(),
            origin: self.origin.clone(),
            credentials: Credentials {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: Secret::new(self.secret_access_key.clone()),
                session_token: self.session_token.clone().map(Secret::new),
            },
            issued_at,
            expires_at,
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

/// The item a keyring entry holds; `None` when it is not one keyfob can use (reported as
/// damaged).
pub(super) fn decode(text: &Secret) -> Option<Item> {
    let item: Item = serde_json::from_str(text.expose()).ok()?;
    match &item {
        Item::Session(record) if record.times().is_none() => None,
        Item::Session(_) | Item::Key(_) => Some(item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::sample_session;

    /// The fuzz input `fuzz/regressions/keyring_record/expiry-past-the-clock`: a session entry
    /// whose `expires_at` is 18446744073709551615 made listing the keyring panic.
    #[test]
    fn a_session_whose_times_do_not_fit_the_clock_is_damaged() {
        let session = sample_session("s3cret", "t0ken");
        let text = encode(&Item::Session(Box::new(SessionRecord::from(&session))));
        match decode(&Secret::new(text.clone())) {
            Some(Item::Session(r)) => assert_eq!(r.into_session(), session),
            _ => panic!("a record keyfob wrote reads back"),
        }
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        // Seconds past the clock's range; and the clock's last second (on Unix) with nanoseconds
        // that carry past it.
        let last_second = u64::try_from(i64::MAX).unwrap();
        for damage in [
            [("expires_at", u64::MAX)].as_slice(),
            &[("issued_at", u64::MAX)],
            &[
                ("expires_at", last_second),
                ("expires_at_nanos", u64::from(u32::MAX)),
            ],
        ] {
            let mut damaged = json.clone();
            for (field, value) in damage {
                damaged[*field] = (*value).into();
            }
            let read = decode(&Secret::new(damaged.to_string()));
            assert!(read.is_none(), "{damage:?} was read as a session");
        }
        // The last second itself fits.
        #[cfg(unix)]
        {
            let mut edge = json;
            edge["expires_at"] = last_second.into();
            assert!(decode(&Secret::new(edge.to_string())).is_some());
        }
    }
}
