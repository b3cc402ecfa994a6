//! MFA codes from a YubiKey (or any OATH key `ykman` drives): a profile names its account with
//! `keyfob_oath_account = …`, and keyfob runs `ykman oath accounts code --single ACCOUNT` instead
//! of asking for the code. Parsed output: the code alone on stdout (what `--single` prints in
//! ykman 4 and 5); failures are told apart by ykman's messages on stderr.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::secret::Secret;

/// The config key naming the OATH account.
pub const CONFIG_KEY: &str = "keyfob_oath_account";
/// The program run; `KEYFOB_YKMAN` names another (tests put a fake one there or on `PATH`).
pub const PROGRAM_ENV: &str = "KEYFOB_YKMAN";
/// How long a key may wait for a touch before keyfob gives up: `KEYFOB_OATH_TIMEOUT` seconds,
/// else 30.
#[must_use]
pub fn touch_timeout() -> Duration {
    let secs = std::env::var("KEYFOB_OATH_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// Why no code came from the key. Each is one sentence for the window and the CLI.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OathError {
    #[error("ykman is not installed: install yubikey-manager (ykman), or type the code yourself")]
    NoYkman,
    #[error("No YubiKey found: plug it in and try again, or type the code yourself")]
    NoKey,
    #[error("The YubiKey was not touched in time")]
    TouchTimedOut,
    #[error("Several OATH accounts match {0}: name one exactly in keyfob_oath_account")]
    SeveralMatch(String),
    #[error("The YubiKey has no OATH account matching {0}")]
    NoAccount(String),
    #[error("ykman failed: {0}")]
    Failed(String),
}

/// Asks the key for the current code of `account`, waiting up to `timeout` for a touch. Blocks:
/// call it from a blocking thread (`spawn_blocking`), never from the UI thread.
///
/// # Errors
/// Why there is no code; see [`OathError`].
pub fn code(account: &str, timeout: Duration) -> Result<Secret, OathError> {
    let program = std::env::var_os(PROGRAM_ENV).unwrap_or_else(|| "ykman".into());
    let mut child = Command::new(program)
        .args(["oath", "accounts", "code", "--single", account])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => OathError::NoYkman,
            _ => OathError::Failed(e.to_string()),
        })?;
    let started = Instant::now();
    // ykman prints a few bytes: the pipes cannot fill while it waits for the touch.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(OathError::TouchTimedOut);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => return Err(OathError::Failed(e.to_string())),
        }
    };
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    let code = out.trim();
    if status.success() && code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Secret::new(code));
    }
    Err(failure(account, &err, code))
}

/// Tells ykman's failures apart by its messages. Public for the fuzz target only.
#[doc(hidden)]
pub fn failure(account: &str, stderr: &str, stdout: &str) -> OathError {
    let text = stderr.to_lowercase();
    if text.contains("no yubikey") || text.contains("failed connecting") {
        OathError::NoKey
    } else if text.contains("multiple matches") {
        OathError::SeveralMatch(account.to_owned())
    } else if text.contains("no matching") || text.contains("no matches") {
        OathError::NoAccount(account.to_owned())
    } else if text.contains("timed out") || text.contains("touch timeout") {
        OathError::TouchTimedOut
    } else {
        // One line, as every message is: the last one ykman wrote, on stderr, else on stdout.
        let last_line = |text: &str| text.trim().lines().last().map(str::to_owned);
        let said = last_line(stderr)
            .or_else(|| last_line(stdout))
            .unwrap_or_default();
        OathError::Failed(said.chars().take(200).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ykman_messages_are_told_apart() {
        let f = |err: &str| failure("AWS:alice", err, "");
        assert_eq!(f("Error: No YubiKey detected!"), OathError::NoKey);
        assert_eq!(
            f("ERROR: Failed connecting to the YubiKey."),
            OathError::NoKey
        );
        assert_eq!(
            f("Error: Multiple matches, please make the query more specific."),
            OathError::SeveralMatch("AWS:alice".into())
        );
        assert_eq!(
            f("Error: No matching account found."),
            OathError::NoAccount("AWS:alice".into())
        );
        assert_eq!(
            f("Error: something odd\n"),
            OathError::Failed("Error: something odd".into())
        );
    }

    #[test]
    fn a_message_from_stdout_is_one_line_too() {
        // Nothing on stderr and two lines on stdout.
        assert_eq!(
            failure("AWS:alice", "", "Enter password:\nWrong password"),
            OathError::Failed("Wrong password".into())
        );
        assert_eq!(
            failure("AWS:alice", "  \n", ""),
            OathError::Failed(String::new())
        );
    }
}
