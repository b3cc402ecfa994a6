//! A code asked of a person for a tool: `credential-process` (and `exec`) with no live session
//! runs with no terminal, but often on a desktop. Then the running keyfob window comes forward
//! with the code field focused, or, with no window running, keyfob opens a small prompt window of
//! its own (`keyfob prompt`). Either way the session lands in the keyring, where this call (and
//! every later one) finds it. Concurrent calls for a profile share one prompt (see
//! [`crate::ipc`]). Without a display, or with `KEYFOB_PROMPT=0`, nothing is asked.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::Ctx;
use crate::ipc::{self, IpcError, Reply, Request};
use crate::session::Session;

/// Set to `0` to never prompt (the command then fails and says how to sign in).
pub const PROMPT_ENV: &str = "KEYFOB_PROMPT";

/// How long a call waits for a person (its own prompt, or another call's).
pub(super) const WAIT: Duration = Duration::from_secs(10 * 60);

/// The exit codes of `keyfob prompt`.
pub const PROMPT_SIGNED_IN: u8 = 0;
pub const PROMPT_CANCELLED: u8 = 1;

/// Whether a person can be asked here: a graphical session, and prompting not switched off.
#[must_use]
pub fn available() -> bool {
    let off = std::env::var(PROMPT_ENV).is_ok_and(|v| v.trim() == "0");
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    display && !off
}

/// Asks for the code and returns the session it signed in, or says why there is none. Blocks
/// while the person decides (the command has nothing else to do). The caller holds the
/// profile's lock ([`crate::ipc::lock_profile`]): one prompt for every call waiting on it.
pub(super) fn ask(ctx: &Ctx, profile: &str, err: &mut dyn Write) -> Option<Session> {
    let dir = match ipc::runtime_dir() {
        Ok(d) => d,
        Err(e) => {
            say!(
                err,
                "keyfob: no live session for {profile}, and no prompt: {e}"
            );
            return None;
        }
    };
    let asker = ipc::asker();
    let request = Request::Code {
        profile: profile.to_owned(),
        asker: asker.clone(),
    };
    tracing::debug!(profile, "asking the keyfob window for a code");
    let outcome = match ipc::ask_window(&dir, &request, WAIT) {
        Err(IpcError::NoWindow) => {
            tracing::debug!(profile, "no window runs: opening keyfob's prompt");
            own_prompt(profile, &asker)
        }
        other => other.map_err(|e| e.to_string()),
    };
    match outcome {
        Ok(Reply::SignedIn) => ctx.live(profile, SystemTime::now(), err),
        Ok(Reply::Cancelled) => {
            say!(err, "{}", cancelled(profile));
            None
        }
        Ok(Reply::Shown) | Err(_) => {
            let why = outcome
                .err()
                .unwrap_or_else(|| "an answer of the wrong kind".into());
            say!(
                err,
                "keyfob: no live session for {profile}, and asking for a code failed: {why}"
            );
            None
        }
    }
}

fn cancelled(profile: &str) -> String {
    format!(
        "keyfob: the sign-in for {profile} was cancelled in keyfob's prompt, so there are no credentials"
    )
}

/// No window runs: `keyfob prompt` in a process of its own (the window needs the main thread,
/// which a command's runtime holds). Its exit code says what happened.
fn own_prompt(profile: &str, asker: &str) -> Result<Reply, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find keyfob itself: {e}"))?;
    let status = Command::new(exe)
        .args(["prompt", "--profile", profile, "--asker", asker])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("the prompt window did not start: {e}"))?;
    match status.code().and_then(|c| u8::try_from(c).ok()) {
        Some(PROMPT_SIGNED_IN) => Ok(Reply::SignedIn),
        Some(PROMPT_CANCELLED) => Ok(Reply::Cancelled),
        _ => Err(format!("the prompt window could not be shown ({status})")),
    }
}
