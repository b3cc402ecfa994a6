//! The bodies of keyfob's fuzz targets: `fuzz/fuzz_targets/NAME.rs` hands libFuzzer's bytes to
//! `NAME` here, and `tests/fuzz_corpus.rs` runs every saved input through the same function on
//! stable Rust, so CI keeps what the fuzzer found. Each body takes any bytes and panics only when
//! an invariant of keyfob's own code is broken. Where a target needs several values, the input is
//! fields separated by NUL bytes (see each function). Not part of keyfob's interface.
//!
//! This module holds what the targets share; each submodule holds the targets of one part of
//! keyfob, and every target is re-exported here as `keyfob::fuzzing::NAME`.

mod credfile;
mod export;
mod keyring;
mod listing;
mod misc;
mod profiles;

pub use credfile::credfile;
pub use export::{credential_process_json, export_quoting};
pub use keyring::{keyring_parts, keyring_record};
pub use listing::listing;
#[cfg(unix)]
pub use misc::ipc_line;
pub use misc::{aws_error_body, cred_server_request, ykman_output};
pub use profiles::profiles;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::secret::Secret;
use crate::session::{Credentials, Session, SessionKind, SignInFields};

/// Reports a broken invariant: the panic is what libFuzzer and the corpus test catch.
#[allow(clippy::panic)] // panicking with the invariant's description is this function's purpose
#[track_caller]
fn broken(what: &str) -> ! {
    panic!("{what}")
}

/// The NUL-separated fields of an input.
fn fields(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == 0).collect()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A number written in decimal in a field (surrounding whitespace allowed).
fn number<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    std::str::from_utf8(bytes).ok()?.trim().parse().ok()
}

/// A directory of its own for one input's files, removed when dropped. On tmpfs where there is
/// one: the credentials editor syncs every file it writes.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("keyfob-fuzz-{}-{n}", std::process::id());
        for base in [PathBuf::from("/dev/shm"), std::env::temp_dir()] {
            let dir = base.join(&name);
            let _ = std::fs::remove_dir_all(&dir);
            if std::fs::create_dir(&dir).is_ok() {
                return Self(dir);
            }
        }
        broken("no directory for the input's files could be made")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_file(path: &Path, bytes: &[u8]) {
    if let Err(e) = std::fs::write(path, bytes) {
        broken(&format!("cannot write {}: {e}", path.display()));
    }
}

fn read_file(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| broken(&format!("cannot read back {}: {e}", path.display())))
}

/// A session with the given credentials, ending at `expires_at`.
fn session(
    access_key_id: &str,
    secret: &str,
    token: Option<&str>,
    expires_at: SystemTime,
) -> Session {
    Session {
        name: "fuzz".to_owned(),
        origin: SignInFields::default(),
        credentials: Credentials {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
        },
        issued_at: expires_at
            .checked_sub(Duration::from_secs(3600))
            .unwrap_or(UNIX_EPOCH),
        expires_at,
        identity: None,
        source_identity: None,
        kind: SessionKind::SessionToken { mfa: true },
        region: Some("eu-west-1".to_owned()),
    }
}

/// `stem` followed by the first number that makes it appear in none of `texts`.
fn unused(stem: &str, texts: &[&str]) -> String {
    (0u32..)
        .map(|n| format!("{stem}{n}"))
        .find(|t| texts.iter().all(|text| !text.contains(t.as_str())))
        .unwrap_or_else(|| stem.to_owned())
}
