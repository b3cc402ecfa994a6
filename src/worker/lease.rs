//! Leases: the worker's right to use one generation of a session's credentials. A session's name
//! and end (`expires_at`) name the generation: a renewal in place keeps the name and brings a new
//! end, so the work started with the old credentials keeps its own lease, which ends when those
//! credentials end, while new work takes a lease on the new ones.
//!
//! A lease ends in one of two ways: its credentials expire (the supervisor's timer says so), or
//! the user signs out of the session (every generation of that name ends at once). Every job that
//! uses credentials holds its lease and stops when it ends (see [`super::jobs`]); a task waiting
//! for a file dialog checks its lease when the dialog answers. A lease taken is never reused after
//! it ended: a later command with the same name and end (signed in again) gets a fresh one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use tokio::sync::watch;

use crate::session::SessionCreds;

/// Why a lease ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The credentials expired.
    Expired,
    /// The user signed out of the session.
    SignedOut,
}

/// One generation of a session's credentials, as the worker's jobs hold it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Lease {
    name: String,
    expires_at: SystemTime,
    /// `None` while the lease holds; why it ended, once it has.
    ended: Arc<watch::Sender<Option<End>>>,
}

impl Lease {
    fn new(name: &str, expires_at: SystemTime) -> Self {
        Self {
            name: name.to_owned(),
            expires_at,
            ended: Arc::new(watch::Sender::new(None)),
        }
    }

    /// The session's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why the lease ended, if it has.
    #[must_use]
    pub fn ended(&self) -> Option<End> {
        *self.ended.borrow()
    }

    /// Waits until the lease ends; returns why.
    pub async fn until_ended(&self) -> End {
        let mut rx = self.ended.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail; were it to, the lease ends.
        match rx.wait_for(Option::is_some).await {
            Ok(why) => (*why).unwrap_or(End::Expired),
            Err(_) => End::Expired,
        }
    }

    fn end(&self, why: End) {
        // The first reason stands: a session signed out after it expired stays expired.
        self.ended.send_if_modified(|v| {
            let first = v.is_none();
            if first {
                *v = Some(why);
            }
            first
        });
    }
}

/// Every lease taken and not yet ended, by session name. Cheap to clone (one shared map).
#[derive(Clone, Debug, Default)]
pub struct Leases(Arc<Mutex<HashMap<String, Vec<Lease>>>>);

impl Leases {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Vec<Lease>>> {
        // A panic elsewhere must not stop sign-out or expiry from ending leases.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The lease on these credentials: the one already held for their generation, or a new one.
    #[must_use]
    pub fn take(&self, creds: &SessionCreds) -> Lease {
        let mut map = self.map();
        let held = map.entry(creds.session.clone()).or_default();
        if let Some(lease) = held.iter().find(|l| l.expires_at == creds.expires_at) {
            return lease.clone();
        }
        let lease = Lease::new(&creds.session, creds.expires_at);
        held.push(lease.clone());
        lease
    }

    /// The user signed out of `name`: every generation's lease ends now. Returns how many ended.
    pub fn sign_out(&self, name: &str) -> usize {
        let ended = self.map().remove(name).unwrap_or_default();
        for lease in &ended {
            lease.end(End::SignedOut);
        }
        ended.len()
    }

    /// The credentials of `name` that end at or before `until` have ended. Returns how many
    /// leases ended.
    pub fn expire(&self, name: &str, until: SystemTime) -> usize {
        let mut map = self.map();
        let Some(held) = map.get_mut(name) else {
            return 0;
        };
        let (ended, live): (Vec<Lease>, Vec<Lease>) =
            held.drain(..).partition(|l| l.expires_at <= until);
        *held = live;
        if held.is_empty() {
            map.remove(name);
        }
        drop(map);
        for lease in &ended {
            lease.end(End::Expired);
        }
        ended.len()
    }

    /// How many leases are held (for tests: ended leases leave the map).
    #[must_use]
    pub fn len(&self) -> usize {
        self.map().values().map(Vec::len).sum()
    }

    /// Whether no lease is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::session::Credentials;
    use std::time::Duration;

    fn creds(name: &str, expires_at: SystemTime) -> SessionCreds {
        SessionCreds {
            session: name.into(),
            expires_at,
            credentials: Credentials {
                access_key_id: "ASIALEASETEST0000001".into(),
                secret_access_key: Secret::new("lease-test-secret"),
                session_token: None,
            },
            profile: None,
        }
    }

    #[test]
    fn one_generation_shares_a_lease_and_a_renewal_takes_a_new_one() {
        let leases = Leases::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let a = leases.take(&creds("prod", t));
        let b = leases.take(&creds("prod", t));
        assert!(Arc::ptr_eq(&a.ended, &b.ended), "the same generation");
        let renewed = leases.take(&creds("prod", t + Duration::from_secs(3600)));
        assert!(!Arc::ptr_eq(&a.ended, &renewed.ended), "a new generation");
        assert_eq!(leases.len(), 2);
    }

    #[test]
    fn expiry_ends_the_old_generation_only_and_sign_out_ends_every_one() {
        let leases = Leases::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let old = leases.take(&creds("prod", t));
        let new = leases.take(&creds("prod", t + Duration::from_secs(3600)));
        let other = leases.take(&creds("dev", t));
        assert_eq!(leases.expire("prod", t), 1);
        assert_eq!(old.ended(), Some(End::Expired));
        assert_eq!(new.ended(), None, "the renewed credentials are live");
        assert_eq!(other.ended(), None, "another session is untouched");
        assert_eq!(leases.sign_out("prod"), 1);
        assert_eq!(new.ended(), Some(End::SignedOut));
        assert_eq!(old.ended(), Some(End::Expired), "the first reason stands");
        assert_eq!(leases.len(), 1);
        // Signed in again with the same name and end: a fresh lease, not the ended one.
        let again = leases.take(&creds("prod", t + Duration::from_secs(3600)));
        assert_eq!(again.ended(), None);
    }

    #[tokio::test]
    async fn a_waiter_hears_the_end_and_a_late_one_at_once() {
        let leases = Leases::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let lease = leases.take(&creds("prod", t));
        let waiting = tokio::spawn({
            let lease = lease.clone();
            async move { lease.until_ended().await }
        });
        tokio::task::yield_now().await;
        assert_eq!(leases.sign_out("prod"), 1);
        let why = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the waiter woke")
            .expect("the waiter ran");
        assert_eq!(why, End::SignedOut);
        let late = tokio::time::timeout(Duration::from_secs(5), lease.until_ended()).await;
        assert_eq!(late.ok(), Some(End::SignedOut));
    }
}
