//! One keyfob talking to another over a per-user local channel: a Unix socket in a directory
//! only the user can enter (`$XDG_RUNTIME_DIR/keyfob`, else `/tmp/keyfob-<uid>`, mode 0700). A
//! tool's `keyfob credential-process` asks the running window for a code there; a second window
//! brings the first forward instead of opening. One JSON line each way; no TCP.
//!
//! Calls for the same profile share the work its session needs — a person's prompt, a YubiKey's
//! code, a role's renewal: the first takes the profile's lock file and does it, the others wait
//! for the lock and then find the session in the keyring, or, when the work they waited for ended
//! with no session, fail with the same sentence (see [`refused_since`]).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

/// The longest line either side reads: a request names a profile and a process.
pub const MAX_LINE: usize = 4096;

/// What one keyfob asks the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// A tool needs a session for `profile`: come forward with the code field focused.
    Code {
        /// The profile (the session's name).
        profile: String,
        /// Who is asking ("aws s3 ls (pid 4242)").
        asker: String,
    },
    /// Another window was started: come forward instead.
    Show,
}

/// The window's answer.
pub use crate::message::ToolReply as Reply;

/// Why the channel could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    #[error("no keyfob window is running")]
    NoWindow,
    #[error(
        "keyfob's runtime directory {0} is not private (owned by another user, or not mode 0700)"
    )]
    NotPrivate(PathBuf),
    #[error("the keyfob window gave no answer: {0}")]
    Broken(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// keyfob's private runtime directory, made if needed (mode 0700) and checked: a directory
/// another user owns, or others may enter, is refused.
///
/// # Errors
/// It cannot be made, or it is not private.
pub fn runtime_dir() -> Result<PathBuf, IpcError> {
    let base = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty());
    let dir = match base {
        Some(base) => PathBuf::from(base).join("keyfob"),
        None => std::env::temp_dir().join(format!("keyfob-{}", own_uid()?)),
    };
    private_dir(&dir)?;
    Ok(dir)
}

/// Makes `dir` (0700) unless it exists, then checks that only this user can enter it.
///
/// # Errors
/// As [`runtime_dir`].
pub fn private_dir(dir: &Path) -> Result<(), IpcError> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    let meta = fs::symlink_metadata(dir)?;
    let private = meta.is_dir() && meta.uid() == own_uid()? && meta.mode() & 0o077 == 0;
    if private {
        Ok(())
    } else {
        Err(IpcError::NotPrivate(dir.to_path_buf()))
    }
}

/// This process's user id (see [`crate::os::own_uid`]).
///
/// # Errors
/// The probe file cannot be made.
pub fn own_uid() -> Result<u32, IpcError> {
    Ok(crate::os::own_uid()?)
}

/// Where the window listens.
#[must_use]
pub fn window_socket(dir: &Path) -> PathBuf {
    dir.join("window.sock")
}

/// Asks the window in `dir` and waits for its answer (up to `wait`; a person may take a while to
/// find the code, so the caller chooses).
///
/// # Errors
/// [`IpcError::NoWindow`] when none listens; else why the answer did not come.
pub fn ask_window(dir: &Path, request: &Request, wait: Duration) -> Result<Reply, IpcError> {
    let mut stream = match UnixStream::connect(window_socket(dir)) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(IpcError::NoWindow);
        }
        Err(e) => return Err(e.into()),
    };
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(to_line(request)?.as_bytes())?;
    stream.set_read_timeout(Some(wait))?;
    let answer = read_line(&mut BufReader::new(stream))?;
    from_line(&answer)
}

/// One message as the line that carries it (JSON and a newline).
///
/// # Errors
/// The value cannot be written as JSON.
pub fn to_line(value: &impl Serialize) -> Result<String, IpcError> {
    let mut line = serde_json::to_string(value).map_err(|e| IpcError::Broken(e.to_string()))?;
    line.push('\n');
    Ok(line)
}

/// The message a line (without its newline) carries.
///
/// # Errors
/// The line is not such a message.
pub fn from_line<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, IpcError> {
    serde_json::from_str(line).map_err(|e| IpcError::Broken(format!("{e}: {line:?}")))
}

/// One line of at most [`MAX_LINE`] bytes, without its newline.
///
/// # Errors
/// The peer closed first, took too long, or sent too much.
pub fn read_line(reader: &mut impl BufRead) -> Result<String, IpcError> {
    let mut buf = Vec::new();
    reader
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)?;
    if buf.len() > MAX_LINE {
        return Err(IpcError::Broken("the line is too long".into()));
    }
    if buf.pop() != Some(b'\n') {
        return Err(IpcError::Broken("the other side closed the channel".into()));
    }
    String::from_utf8(buf).map_err(|e| IpcError::Broken(e.to_string()))
}

/// The profile's lock, held while one call does the work the profile's session needs (released
/// on drop): an advisory file lock (`flock`) in the private runtime directory, so it holds across
/// processes and is gone with the process that held it.
#[derive(Debug)]
pub struct ProfileLock {
    _file: File,
}

/// How often a waiting call tries the lock again.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// Takes `profile`'s lock, waiting while another call holds it (up to `wait`).
///
/// # Errors
/// The lock file cannot be opened, or `wait` passed.
pub fn lock_profile(dir: &Path, profile: &str, wait: Duration) -> Result<ProfileLock, IpcError> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(dir.join(format!("profile-{}.lock", file_key(profile))))?;
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(ProfileLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(LOCK_POLL);
            }
            Err(fs::TryLockError::WouldBlock) => {
                let waited = wait.as_secs();
                let why = format!("another call for it was still at work after {waited} s");
                return Err(IpcError::Broken(why));
            }
            Err(fs::TryLockError::Error(e)) => return Err(e.into()),
        }
    }
}

/// Records that the work for `profile` ended now with no session, and the sentence that said why
/// (the calls that waited for it fail with the same sentence). Nothing secret is in it.
///
/// # Errors
/// The marker cannot be written.
pub fn mark_refused(dir: &Path, profile: &str, sentence: &str) -> Result<(), IpcError> {
    let marker = refusal_marker(dir, profile);
    let mut file = File::options()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&marker)?;
    file.write_all(sentence.as_bytes())?;
    Ok(())
}

/// The sentence of the refusal recorded for `profile` at or after `since` (when a waiting call
/// began to wait), if there is one.
#[must_use]
pub fn refused_since(dir: &Path, profile: &str, since: SystemTime) -> Option<String> {
    let marker = refusal_marker(dir, profile);
    let modified = fs::metadata(&marker).and_then(|m| m.modified()).ok()?;
    if modified < since {
        return None;
    }
    let text = fs::read(&marker).ok()?;
    let text = String::from_utf8_lossy(text.get(..MAX_LINE).unwrap_or(&text)).into_owned();
    Some(text)
}

fn refusal_marker(dir: &Path, profile: &str) -> PathBuf {
    dir.join(format!("profile-{}.refused", file_key(profile)))
}

/// A file-name-safe key for any profile name.
fn file_key(profile: &str) -> String {
    use md5::Digest as _;
    let digest = md5::Md5::digest(profile.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who started this process, for the prompt: the parent's command line, shortened ("aws s3 ls
/// (pid 4242)"), or its pid where that cannot be read.
#[must_use]
pub fn asker() -> String {
    let ppid = std::os::unix::process::parent_id();
    let cmdline = fs::read(format!("/proc/{ppid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    // An interpreter's script ("python3 /usr/bin/aws s3 ls") is named by the script.
    let interpreted = args.len() > 1 && args.first().is_some_and(|a| is_interpreter(a));
    let start = usize::from(interpreted);
    let words: Vec<String> = args
        .iter()
        .skip(start)
        .take(4)
        .map(|a| base_name(a))
        .collect();
    let what = words.join(" ");
    let what: String = what.chars().take(60).collect();
    if what.is_empty() {
        format!("process {ppid}")
    } else {
        format!("{what} (pid {ppid})")
    }
}

fn is_interpreter(arg: &str) -> bool {
    let name = base_name(arg);
    ["python", "python3", "node", "ruby", "perl", "sh", "bash"]
        .iter()
        .any(|i| name == *i || name.starts_with(&format!("{i}.")))
}

fn base_name(arg: &str) -> String {
    let name = Path::new(arg).file_name().map(|n| n.to_string_lossy());
    name.map_or_else(|| arg.to_owned(), std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests;
