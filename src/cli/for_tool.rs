//! The session a tool asks for (`credential-process`, `exec`): the cached one when it is good, else
//! the work it needs — a role's renewal from the MFA session, a YubiKey's code, a person's code —
//! done by one call at a time for a profile, across processes. The calls that waited for that work
//! take the session it made, or fail with the sentence it failed with.

use std::io::Write;
use std::time::{Duration, SystemTime};

#[cfg(unix)]
use super::prompt;
use super::{Ask, Ctx, OK, browser, login, renew_window, sign_in, signin, sso};
use crate::keystore::KeystoreError;
use crate::session::Session;

type Read = Result<Option<Session>, KeystoreError>;

impl Ctx {
    /// The session `name` for a tool: the cached one, or, when there is none or it is a chained
    /// role session within the renewal window, a fresh one chained from the live MFA session
    /// without a code (one code a day for every role); with no usable session and `ask` allowing
    /// it, a new sign-in when the profile's YubiKey gives the code, else a code asked in keyfob's
    /// window or prompt on the desktop. Falls back to the cached session while it is still good,
    /// else says how to sign in.
    pub async fn session_for_tool(
        &self,
        name: &str,
        ask: Ask,
        err: &mut dyn Write,
    ) -> Option<Session> {
        let window = renew_window();
        // Read once: the common case (a cached session that is not due) costs one keyring call.
        let read = self.read_session(name);
        let now = SystemTime::now();
        if !needs_work(&read, now, window, ask) {
            return self.usable_or_say(name, read, now, err);
        }
        // (Boxed: the work's future is large, and most calls never get here.)
        #[cfg(unix)]
        return Box::pin(self.work_locked(name, read, window, ask, err)).await;
        #[cfg(not(unix))]
        return Box::pin(self.work(name, read, window, ask, err)).await;
    }

    /// [`Self::work`] under the profile's lock. After waiting for it, the session another call
    /// made meanwhile is taken, or the refusal it ended with while this call waited is said (a
    /// call that comes later tries again); a refusal of this call's own is recorded for the
    /// others.
    #[cfg(unix)]
    async fn work_locked(
        &self,
        name: &str,
        read: Read,
        window: Duration,
        ask: Ask,
        err: &mut dyn Write,
    ) -> Option<Session> {
        use crate::ipc;
        let dir = match ipc::runtime_dir() {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("no lock for {name}'s sign-in, calls may each do it: {e}");
                return self.work(name, read, window, ask, err).await;
            }
        };
        let since = SystemTime::now();
        let seen = access_key(&read);
        tracing::debug!(profile = name, "waiting for the profile's lock");
        let (lock_dir, profile) = (dir.clone(), name.to_owned());
        let wait = lock_wait(ask);
        let locked =
            tokio::task::spawn_blocking(move || ipc::lock_profile(&lock_dir, &profile, wait)).await;
        let _lock = match locked {
            Ok(Ok(lock)) => lock,
            // An endpoint answers now: with the session while it is good.
            Ok(Err(_)) if ask == Ask::Never => {
                return self.usable_or_say(name, self.read_session(name), SystemTime::now(), err);
            }
            Ok(Err(e)) => {
                say!(err, "keyfob: no live session for {name}: {e}");
                return None;
            }
            Err(e) => {
                say!(err, "keyfob: no live session for {name}: {e}");
                return None;
            }
        };
        let read = self.read_session(name);
        let now = SystemTime::now();
        // Taken even when a renewal window wider than a role's life calls it due at once.
        if access_key(&read) != seen && is_usable(&read, now) {
            tracing::debug!(profile = name, "another call signed in meanwhile");
            return self.usable_or_say(name, read, now, err);
        }
        if let Some(sentence) = ipc::refused_since(&dir, name, since) {
            say!(err, "{sentence}");
            return None;
        }
        let mut said = Vec::new();
        let got = self.work(name, read, window, ask, &mut said).await;
        let _ = err.write_all(&said);
        let sentence = String::from_utf8_lossy(&said).trim().to_owned();
        if got.is_none() && !sentence.is_empty() {
            match ipc::mark_refused(&dir, name, &sentence) {
                Ok(()) => tracing::debug!(profile = name, "recorded the refusal for the others"),
                Err(e) => {
                    tracing::warn!("the calls waiting for {name} will try again themselves: {e}");
                }
            }
        }
        got
    }

    /// The work a session that is missing, ending or due needs (see [`Self::session_for_tool`]),
    /// with the renewal window that call read.
    async fn work(
        &self,
        name: &str,
        read: Read,
        window: Duration,
        ask: Ask,
        err: &mut dyn Write,
    ) -> Option<Session> {
        let now = SystemTime::now();
        let browser = browser::browser_sign_in(self, name).await;
        // Why a browser sign-in could not be renewed, when keyfob can say it better than "ended"
        // (a token cache it refused, say).
        let mut why = None;
        if is_due(&read, now, window) && !window.is_zero() {
            let fresh = match browser {
                Some(browser::BrowserSignIn::Sso) => sso::renew_quietly(self, name)
                    .await
                    .map_err(|e| why = Some(e))
                    .ok(),
                Some(browser::BrowserSignIn::Login) => login::renew_quietly(self, name)
                    .await
                    .map_err(|e| why = Some(e))
                    .ok(),
                None => sign_in::chain_again(self, name).await,
            };
            if let Some(fresh) = fresh {
                return Some(fresh);
            }
        }
        if is_usable(&read, now) || ask == Ask::Never {
            return self.usable_or_say(name, read, now, err);
        }
        if let Some(kind) = browser {
            // No code can help: the sign-in happens in the browser.
            let (what, command) = match kind {
                browser::BrowserSignIn::Sso => ("IAM Identity Center sign-in", "sso"),
                browser::BrowserSignIn::Login => ("AWS Sign-In session", "login"),
            };
            match why {
                Some(why) => {
                    say!(err, "keyfob: {why}");
                }
                None => {
                    say!(
                        err,
                        "keyfob: the {what} for {name} has ended: run `keyfob {command} --profile {name}`"
                    );
                }
            }
            return None;
        }
        if sign_in::has_oath_account(self, name).await {
            // The YubiKey gives the code: sign in with no one typing (a touch at most).
            let mut quiet = std::io::sink();
            if signin(self, name, None, &mut quiet, err).await == OK {
                return self.live(name, SystemTime::now(), err);
            }
        }
        #[cfg(unix)]
        if read.is_ok() && prompt::available() {
            return prompt::ask(self, name, err);
        }
        self.usable_or_say(name, read, now, err)
    }
}

/// How long a call waits for another's work on the same profile: as long as a person may take,
/// but an endpoint that must answer at once (`exec --server`) only a moment.
#[cfg(unix)]
fn lock_wait(ask: Ask) -> Duration {
    match ask {
        Ask::Person => prompt::WAIT,
        Ask::Never => Duration::from_secs(2),
    }
}

/// Whether the cached session cannot be handed out as it is.
fn needs_work(read: &Read, now: SystemTime, window: Duration, ask: Ask) -> bool {
    let renew = is_due(read, now, window) && !window.is_zero();
    renew || !(is_usable(read, now) || ask == Ask::Never)
}

/// No session, or a chained role session within the renewal window.
fn is_due(read: &Read, now: SystemTime, window: Duration) -> bool {
    match read.as_ref().ok().and_then(Option::as_ref) {
        None => true,
        Some(s) => s.kind.renews_itself() && s.remaining(now) < window,
    }
}

fn is_usable(read: &Read, now: SystemTime) -> bool {
    matches!(read, Ok(Some(s)) if s.usable_for_cache(now))
}

/// Which credentials the keyring holds: another call's sign-in changes it.
fn access_key(read: &Read) -> Option<String> {
    read.as_ref()
        .ok()
        .and_then(Option::as_ref)
        .map(|s| s.credentials.access_key_id.clone())
}
