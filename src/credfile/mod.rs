//! Writing a session into `~/.aws/credentials` without damaging the file: one profile section is
//! replaced or added and every other byte is kept; the change can be shown first; the write is
//! atomic (temp file + rename) with 0600 permissions and a timestamped backup — except when the
//! change removes a section holding credentials, which leaves no copy of them behind (see
//! [`Edit::keeps_backup`]), and after which the earlier backups keyfob made are scrubbed of that
//! secret too ([`CredFile::scrub_backups`]). Symlinks, read-only files, malformed files, files
//! changed since they were read and sections holding long-term keys (unless confirmed) are
//! refused.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::secret::Secret;
use crate::session::{Session, rfc3339};

mod backups;
pub use backups::Scrubbed;

/// The comment keyfob puts in sections it writes.
const MARK: &str = "# Written by keyfob";

/// Why the credentials file was not (or cannot be) changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredFileError {
    /// The path is a symbolic link.
    #[error("{0} is a symbolic link; keyfob does not write through links")]
    Symlink(PathBuf),
    /// The file is read-only.
    #[error("{0} is read-only; keyfob leaves it as it is")]
    ReadOnly(PathBuf),
    /// Another program changed the file after keyfob read it.
    #[error("{0} changed since keyfob read it; look at the change again")]
    ChangedSinceRead(PathBuf),
    /// The file is not a credentials file keyfob can edit safely.
    #[error("line {line} of the credentials file is not valid ({why}); fix it by hand first")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// The profile appears in several sections.
    #[error("profile [{0}] appears more than once; fix the file by hand first")]
    Duplicate(String),
    /// The section holds long-term keys and the user did not confirm replacing them.
    #[error("profile [{0}] holds long-term keys; confirm to replace them with the session")]
    LongTermKeys(String),
    /// There is no such profile to remove.
    #[error("there is no profile [{0}] in the credentials file")]
    NoSuchProfile(String),
    /// The profile name cannot be written as a section.
    #[error("'{0}' is not a usable profile name (letters, digits and - _ . @ +)")]
    BadName(String),
    /// There is no home directory to find the file in.
    #[error("No home directory: set AWS_SHARED_CREDENTIALS_FILE")]
    NoHome,
    /// Reading or writing failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's message.
        message: String,
    },
    /// Writing the new file (or its backup) failed: the file is as it was, and no temporary or
    /// backup file of this write is left.
    #[error("{path} was left as it was: {why}")]
    NotWritten {
        /// The credentials file.
        path: PathBuf,
        /// Why, in words (the disk is full, its file system is read-only …).
        why: String,
    },
}

fn io_err(path: &Path, e: &std::io::Error) -> CredFileError {
    CredFileError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// A failed write of the credentials file `path` (of its temporary file or its backup), said
/// about the file the user knows rather than a temporary name.
fn not_written(path: &Path, e: &std::io::Error) -> CredFileError {
    use std::io::ErrorKind as K;
    let why = match e.kind() {
        K::StorageFull | K::QuotaExceeded => format!("the disk is full ({e})"),
        K::ReadOnlyFilesystem => format!("its file system is read-only ({e})"),
        K::FileTooLarge => format!("the file is larger than keyfob may write ({e})"),
        K::PermissionDenied => format!("keyfob may not write in its folder ({e})"),
        _ => e.to_string(),
    };
    CredFileError::NotWritten {
        path: path.to_owned(),
        why,
    }
}

/// One `[name]` section: its byte range (header line to the next header) and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Section {
    name: String,
    start: usize,
    end: usize,
    has_key_id: bool,
    has_secret: bool,
    has_token: bool,
    by_keyfob: bool,
}

impl Section {
    /// Whether the section holds any credential (a key id, a secret key or a session token).
    fn holds_credentials(&self) -> bool {
        self.has_key_id || self.has_secret || self.has_token
    }
}

/// A credentials file as read.
#[derive(Debug)]
pub struct CredFile {
    path: PathBuf,
    /// `None` when the file does not exist.
    text: Option<Secret>,
    sections: Vec<Section>,
}

/// A planned change: the whole new text, and what the user is shown.
#[derive(Debug)]
pub struct Edit {
    /// The profile written.
    pub profile: String,
    /// Whether a section with long-term keys would be replaced (needs confirmation).
    pub replaces_long_term: bool,
    /// Whether an existing section is replaced (else one is added).
    pub replaces: bool,
    /// The new section with the secret and token masked.
    pub preview: String,
    /// Whether [`CredFile::write`] keeps a timestamped backup of the old file first.
    ///
    /// True for writing a session, false for removing a section that holds credentials. That
    /// removal exists to move long-term keys out of the file once they are in the keyring; a
    /// backup of the old file would leave exactly that secret on disk again, in a file the user
    /// did not ask for. A backup with the section cut out would hold nothing worth restoring: the
    /// new file is the old one minus that section, byte for byte. So the removal keeps none (the
    /// write is still atomic, and every refusal still applies).
    pub keeps_backup: bool,
    new_text: Secret,
}

impl CredFile {
    /// Reads and checks the file (a missing file is an empty one).
    pub fn read(path: &Path) -> Result<Self, CredFileError> {
        let text = match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(path, &e)),
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(CredFileError::Symlink(path.to_owned()));
            }
            Ok(_) => {
                let bytes = std::fs::read(path).map_err(|e| io_err(path, &e))?;
                let text = String::from_utf8(bytes).map_err(|_| CredFileError::Malformed {
                    line: 0,
                    why: "not UTF-8 text".to_owned(),
                })?;
                Some(Secret::new(text))
            }
        };
        let sections = parse(text.as_ref().map_or("", Secret::expose))?;
        Ok(Self {
            path: path.to_owned(),
            text,
            sections,
        })
    }

    /// Plans writing `session` as profile `name`.
    pub fn plan(&self, name: &str, session: &Session) -> Result<Edit, CredFileError> {
        let ok_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c));
        if !ok_name {
            return Err(CredFileError::BadName(name.to_owned()));
        }
        let text = self.text.as_ref().map_or("", Secret::expose);
        let found: Vec<&Section> = self.sections.iter().filter(|s| s.name == name).collect();
        let block = |token: &str, secret: &str| {
            format!(
                "[{name}]\n{MARK}: temporary session credentials, valid until {}. Renew them in keyfob.\naws_access_key_id = {}\naws_secret_access_key = {secret}\naws_session_token = {token}\n",
                rfc3339(session.expires_at),
                session.credentials.access_key_id,
            )
        };
        let token = session
            .credentials
            .session_token
            .as_ref()
            .map_or("", Secret::expose);
        let secret = session.credentials.secret_access_key.expose();
        let preview = block("…(hidden)", "…(hidden)");
        let (new_text, replaces, replaces_long_term) = match found.as_slice() {
            [] => {
                let mut out = text.to_owned();
                if !out.is_empty() {
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push('\n');
                }
                out.push_str(&block(token, secret));
                (out, false, false)
            }
            [s] => {
                let (before, rest) = text.split_at(s.start);
                let after = rest.get(s.end - s.start..).unwrap_or("");
                let mut out = String::with_capacity(text.len() + 256);
                out.push_str(before);
                out.push_str(&block(token, secret));
                out.push_str(after);
                (out, true, s.has_key_id && !s.has_token && !s.by_keyfob)
            }
            _ => return Err(CredFileError::Duplicate(name.to_owned())),
        };
        Ok(Edit {
            profile: name.to_owned(),
            replaces_long_term,
            replaces,
            preview,
            keeps_backup: true,
            new_text: Secret::new(new_text),
        })
    }

    /// Plans removing profile `name` (after its keys were moved into the keyring). Removing a
    /// section with long-term keys counts as replacing them: [`CredFile::write`] wants the
    /// confirmation. When the section holds credentials no backup is kept (see
    /// [`Edit::keeps_backup`]), so the removed secret is left in no file at all.
    pub fn plan_remove(&self, name: &str) -> Result<Edit, CredFileError> {
        let text = self.text.as_ref().map_or("", Secret::expose);
        let found: Vec<&Section> = self.sections.iter().filter(|s| s.name == name).collect();
        let s = match found.as_slice() {
            [s] => *s,
            [] => return Err(CredFileError::NoSuchProfile(name.to_owned())),
            _ => return Err(CredFileError::Duplicate(name.to_owned())),
        };
        let out = without_section(text, s);
        Ok(Edit {
            profile: name.to_owned(),
            replaces_long_term: s.has_key_id && !s.has_token && !s.by_keyfob,
            replaces: true,
            preview: format!("[{name}] and its settings are removed"),
            keeps_backup: !s.holds_credentials(),
            new_text: Secret::new(out),
        })
    }

    /// The path read.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory the file is in.
    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// Writes `edit` atomically, after a backup when [`Edit::keeps_backup`] says so. Returns the
    /// backup's path: none for a new file or an edit that keeps no backup.
    pub fn write(
        &self,
        edit: &Edit,
        confirm_long_term: bool,
        now: SystemTime,
    ) -> Result<Option<PathBuf>, CredFileError> {
        let path = &self.path;
        if edit.replaces_long_term && !confirm_long_term {
            return Err(CredFileError::LongTermKeys(edit.profile.clone()));
        }
        // Refuse anything that changed under us: a link, a read-only file, other content.
        let current = Self::read(path)?;
        let same = match (&self.text, &current.text) {
            (None, None) => true,
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        if !same {
            return Err(CredFileError::ChangedSinceRead(path.clone()));
        }
        let dir = self.dir();
        let backup = match &self.text {
            Some(old) => {
                let meta = std::fs::metadata(path).map_err(|e| io_err(path, &e))?;
                if meta.permissions().readonly() {
                    return Err(CredFileError::ReadOnly(path.clone()));
                }
                if edit.keeps_backup {
                    Some(write_backup(path, dir, old.expose(), now)?)
                } else {
                    None
                }
            }
            None => {
                std::fs::create_dir_all(dir).map_err(|e| not_written(path, &e))?;
                None
            }
        };
        if let Err(e) = replace_atomically(path, dir, edit.new_text.expose()) {
            // The file is as it was: a backup of it would only be one more copy of its secrets.
            if let Some(b) = &backup {
                let _ = std::fs::remove_file(b);
            }
            return Err(e);
        }
        Ok(backup)
    }
}

/// Replaces the file `path` in `dir` with `text`: a new 0600 file beside it, renamed over it.
/// On failure `path` is as it was and the new file is gone.
fn replace_atomically(path: &Path, dir: &Path, text: &str) -> Result<(), CredFileError> {
    let tmp = dir.join(format!(
        ".{}.keyfob-tmp-{}",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    write_new(&tmp, text).map_err(|e| not_written(path, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        not_written(path, &e)
    })
}

/// `text` without the section `s` (and the blank line that separated it from what follows).
fn without_section(text: &str, s: &Section) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..s.start).unwrap_or(""));
    let after = text.get(s.end..).unwrap_or("");
    let after = after
        .strip_prefix("\r\n")
        .or_else(|| after.strip_prefix('\n'))
        .unwrap_or(after);
    out.push_str(after);
    out
}

/// The name keyfob's backups of the file `path` start with.
fn backup_prefix(path: &Path) -> String {
    let name = path.file_name().map_or_else(
        || "credentials".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!("{name}.keyfob-backup-")
}

/// Writes `old` (the file at `path` as read) to a new `NAME.keyfob-backup-STAMP` beside it, with
/// mode 0600, and returns its path.
fn write_backup(
    path: &Path,
    dir: &Path,
    old: &str,
    now: SystemTime,
) -> Result<PathBuf, CredFileError> {
    let stamp = rfc3339(now).replace(':', "");
    let prefix = backup_prefix(path);
    // Two writes in one second get -2, -3 … rather than failing or overwriting.
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            dir.join(format!("{prefix}{stamp}"))
        } else {
            dir.join(format!("{prefix}{stamp}-{n}"))
        };
        match write_new(&candidate, old) {
            // Only a name already taken moves on to the next; any other failure (a full disk)
            // would fail the same way under every name.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(not_written(path, &e)),
            Ok(()) => return Ok(candidate),
        }
    }
}

/// Creates `path` (never overwriting) with mode 0600, writes `text` and syncs it. A file it
/// created and could not fill is removed: no partial copy (of secrets) is left behind.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    let written = f.write_all(text.as_bytes()).and_then(|()| f.sync_all());
    if written.is_err() {
        drop(f);
        let _ = std::fs::remove_file(path);
    }
    written
}

/// Splits a credentials file into sections, refusing what keyfob cannot edit safely.
fn parse(text: &str) -> Result<Vec<Section>, CredFileError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut offset = 0;
    // Whether the previous line was a property (only then may an indented line continue it).
    let mut after_property = false;
    // Where the current section's last header, property or continuation line ends.
    let mut content_end = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let bad = |why: &str| CredFileError::Malformed {
            line: i + 1,
            why: why.to_owned(),
        };
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            after_property = false;
            continue;
        }
        if trimmed.starts_with('[') {
            let header = trimmed.split(['#', ';']).next().unwrap_or("").trim_end();
            let name = header
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("a section header is [name]"))?;
            // Comments and blank lines before this header stay with it, not with the section
            // above (they usually describe what follows).
            if let Some(last) = sections.last_mut() {
                last.end = content_end;
            }
            content_end = offset;
            after_property = false;
            sections.push(Section {
                name: name.to_owned(),
                start: line_start,
                end: offset,
                has_key_id: false,
                has_secret: false,
                has_token: false,
                by_keyfob: false,
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            return Err(bad("a setting before any [profile] section"));
        };
        if line.starts_with([' ', '\t']) {
            if !after_property {
                return Err(bad("an indented line that continues no setting"));
            }
            content_end = offset;
            continue; // a continuation or sub-property line
        }
        after_property = true;
        content_end = offset;
        let key = trimmed
            .split_once('=')
            .map(|(k, _)| k.trim())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| bad("expected key = value"))?;
        match key {
            "aws_access_key_id" => section.has_key_id = true,
            "aws_secret_access_key" => section.has_secret = true,
            "aws_session_token" | "aws_security_token" => section.has_token = true,
            _ => {}
        }
    }
    if let Some(last) = sections.last_mut() {
        last.end = content_end;
    }
    for s in &mut sections {
        s.by_keyfob = text.get(s.start..s.end).is_some_and(|t| t.contains(MARK));
    }
    Ok(sections)
}
