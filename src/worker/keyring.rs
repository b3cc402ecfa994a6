//! The worker's keyring side: one thread runs every keyring call in the order it was asked for.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use tokio::runtime::Runtime;

use super::ports::Send_;
use crate::aws::{AwsEnv, profiles};
use crate::keystore::{Keystore, KeystoreError, LongTermKey};
use crate::message::{Event, KeyringFailure};
use crate::session::Session;

/// A keyring job: runs with the keystore, or the reason there is none.
type Job = Box<dyn FnOnce(Result<&Keystore, &KeystoreError>) + Send>;

/// The one thread that talks to the keyring. Jobs run in the order they were sent, so a sign-out
/// that follows a sign-in always deletes what the sign-in stored; the Secret Service calls block,
/// and block only this thread.
#[derive(Clone)]
pub(super) struct Lane(Sender<Job>);

/// Opens the keystore the lane uses (on the lane's own thread).
pub type OpenKeystore = Box<dyn FnOnce() -> Result<Keystore, KeystoreError> + Send>;

impl Lane {
    /// Starts the lane's thread, which opens the keystore first (`open` may talk to D-Bus and the
    /// Secret Service: on this thread, never the window's).
    pub(super) fn start(open: OpenKeystore) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("keyfob-keyring".to_owned())
            .spawn(move || {
                let keystore = open();
                for job in rx {
                    job(keystore.as_ref());
                }
            });
        if let Err(e) = spawned {
            tracing::error!("the keyring thread could not start: {e}");
        }
        Self(tx)
    }

    /// Queues `job`.
    pub(super) fn run(&self, job: impl FnOnce(Result<&Keystore, &KeystoreError>) + Send + 'static) {
        if self.0.send(Box::new(job)).is_err() {
            tracing::error!("the keyring thread has stopped");
        }
    }

    /// Queues `job` and waits (asynchronously) for its answer.
    pub(super) async fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(Result<&Keystore, &KeystoreError>) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.run(move |k| {
            let _ = tx.send(job(k));
        });
        rx.await.ok()
    }
}

/// Reads the sessions and keys kept in the keyring.
pub(super) fn load(lane: &Lane, send: &Send_) {
    let send = Arc::clone(send);
    lane.run(move |k| {
        send(Event::Cache(match k {
            Ok(k) => k.load_all(),
            Err(e) => Err(e.clone()),
        }));
    });
}

pub(super) fn save_session(lane: &Lane, send: &Send_, session: Box<Session>) {
    with_keystore(lane, send, move |k| {
        k.save_session(&session)
            .err()
            .map(KeyringFailure::SaveSession)
    });
}

pub(super) fn forget_session(lane: &Lane, send: &Send_, name: String) {
    with_keystore(lane, send, move |k| {
        k.delete_session(&name)
            .err()
            .map(KeyringFailure::ForgetSession)
    });
}

pub(super) fn save_key(lane: &Lane, send: &Send_, key: Box<LongTermKey>) {
    keys_changed(lane, send, move |k| {
        k.save_key(&key)?;
        Ok(Some((key.name.clone(), None)))
    });
}

pub(super) fn delete_key(lane: &Lane, send: &Send_, name: String) {
    keys_changed(lane, send, move |k| k.delete_key(&name).map(|_| None));
}

/// Copies a profile's long-term keys from the credentials file into the keyring.
pub(super) fn import_key(
    rt: &Runtime,
    env: &Arc<AwsEnv>,
    lane: &Lane,
    send: &Send_,
    profile: String,
) {
    let (env, lane, send) = (Arc::clone(env), lane.clone(), Arc::clone(send));
    rt.spawn(async move {
        let credentials = match profiles::long_term_keys(&env, &profile).await {
            Ok(c) => c,
            Err(e) => return send(Event::KeyringFailed(e.into())),
        };
        let key = LongTermKey {
            name: profile.clone(),
            credentials,
        };
        let saved = lane
            .call(move |k| {
                let k = k.map_err(Clone::clone)?;
                k.save_key(&key).and_then(|()| k.load_all())
            })
            .await;
        match saved {
            Some(Ok(contents)) => {
                send(Event::Keys(Ok(contents.keys)));
                send(Event::KeySaved {
                    name: profile.clone(),
                    imported_from: Some(profile),
                });
            }
            Some(Err(e)) => send(Event::KeyringFailed(e.into())),
            None => send(Event::KeyringFailed(KeyringFailure::Stopped)),
        }
    });
}

/// Queues a keyring write (nothing when there is no keyring); reports a failure (the message `f`
/// returns) as an event.
fn with_keystore<F>(lane: &Lane, send: &Send_, f: F)
where
    F: FnOnce(&Keystore) -> Option<KeyringFailure> + Send + 'static,
{
    let send = Arc::clone(send);
    lane.run(move |k| {
        if let Ok(k) = k
            && let Some(failure) = f(k)
        {
            send(Event::KeyringFailed(failure));
        }
    });
}

/// Queues a change to the stored keys, then reports the new list (and what was saved).
fn keys_changed<F>(lane: &Lane, send: &Send_, f: F)
where
    F: FnOnce(&Keystore) -> Result<Option<(String, Option<String>)>, KeystoreError>
        + Send
        + 'static,
{
    let send = Arc::clone(send);
    lane.run(move |k| {
        let result = k
            .map_err(Clone::clone)
            .and_then(|k| Ok((f(k)?, k.load_all()?)));
        match result {
            Ok((saved, contents)) => {
                send(Event::Keys(Ok(contents.keys)));
                if let Some((name, imported_from)) = saved {
                    send(Event::KeySaved {
                        name,
                        imported_from,
                    });
                }
            }
            Err(e) => send(Event::KeyringFailed(e.into())),
        }
    });
}
