//! Token caches shared with the AWS CLI (IAM Identity Center's `~/.aws/sso/cache`, AWS Sign-In's
//! `~/.aws/login/cache`) are read and written the same careful way: a file that is a symbolic
//! link, not a regular file, or another user's is left alone; a new version is written to a 0600
//! file beside it and renamed over it, in a directory made 0700 when missing.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::secret::Secret;

/// Why a cache file was not read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The path is a symbolic link (keyfob does not follow it).
    Symlink,
    /// The file belongs to another user.
    NotYours,
    /// Not a regular file (a directory, a socket …).
    NotAFile,
    /// The disk refused: what was being done (`"read"`, `"written"` …) and the OS's reason.
    Io { action: &'static str, why: String },
}

impl Problem {
    /// This problem as the cache `cache` says it about `path` (`action`: what was being done).
    #[must_use]
    pub fn about(self, cache: &'static str, path: &Path, action: &'static str) -> CacheError {
        let path = path.to_path_buf();
        let problem = match self {
            Self::Symlink => CacheProblem::Symlink(path),
            Self::NotYours => CacheProblem::NotYours(path),
            Self::NotAFile => CacheProblem::Malformed {
                path,
                why: "not a regular file".to_owned(),
            },
            Self::Io { action: done, why } => CacheProblem::Io {
                path,
                action: if done == "checked" { done } else { action },
                why,
            },
        };
        CacheError { cache, problem }
    }
}

/// Why a token cache could not be read or written: one sentence naming the cache and the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheError {
    /// The cache's name in the sentence ("IAM Identity Center token cache" …).
    pub cache: &'static str,
    /// What went wrong.
    pub problem: CacheProblem,
}

/// What went wrong with a token cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheProblem {
    /// The file is a symbolic link.
    Symlink(PathBuf),
    /// The file belongs to another user.
    NotYours(PathBuf),
    /// The file is not what the AWS CLI writes.
    Malformed { path: PathBuf, why: String },
    /// The disk refused.
    Io {
        path: PathBuf,
        action: &'static str,
        why: String,
    },
    /// There is no home directory to find the cache in.
    NoHome,
}

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cache = self.cache;
        match &self.problem {
            CacheProblem::Symlink(p) => write!(
                f,
                "The {cache} {} is a symbolic link; keyfob does not follow it",
                p.display()
            ),
            CacheProblem::NotYours(p) => write!(
                f,
                "The {cache} {} belongs to another user; keyfob leaves it alone",
                p.display()
            ),
            CacheProblem::Malformed { path, why } => write!(
                f,
                "The {cache} {} is not what the AWS CLI writes ({why})",
                path.display()
            ),
            CacheProblem::Io { path, action, why } => write!(
                f,
                "The {cache} {} could not be {action}: {why}",
                path.display()
            ),
            CacheProblem::NoHome => write!(
                f,
                "There is no home directory for the {cache} (HOME is not set)"
            ),
        }
    }
}

impl std::error::Error for CacheError {}

/// The file's text, `None` when there is no file.
///
/// # Errors
/// The file is a symlink, not a file, another user's, or unreadable.
pub fn read_private(path: &Path) -> Result<Option<Secret>, Problem> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", &e)),
    };
    check(&meta)?;
    std::fs::read_to_string(path)
        .map(|t| Some(Secret::new(t)))
        .map_err(|e| io("read", &e))
}

/// Checks that `path` may be replaced: missing, or a regular file of this user's.
///
/// # Errors
/// The file is a symlink, not a file or another user's.
pub fn check_replaceable(path: &Path) -> Result<(), Problem> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => check(&meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io("written", &e)),
    }
}

/// Writes `text` as `path` (in the directory `dir`): a 0600 file beside it, then renamed over it.
///
/// # Errors
/// What is there cannot be replaced safely, or the disk refused.
pub fn write_private(dir: &Path, path: &Path, text: &str) -> Result<(), Problem> {
    make_dir(dir).map_err(|e| io("made", &e))?;
    check_replaceable(path)?;
    let tmp = dir.join(format!(
        ".{}.keyfob-{}.tmp",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let written = write_new(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("written", &e));
    }
    Ok(())
}

fn check(meta: &std::fs::Metadata) -> Result<(), Problem> {
    if meta.file_type().is_symlink() {
        return Err(Problem::Symlink);
    }
    if !meta.is_file() {
        return Err(Problem::NotAFile);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let own = crate::os::own_uid().map_err(|e| Problem::Io {
            action: "checked",
            why: e.to_string(),
        })?;
        if meta.uid() != own {
            return Err(Problem::NotYours);
        }
    }
    Ok(())
}

fn make_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

fn io(action: &'static str, e: &std::io::Error) -> Problem {
    Problem::Io {
        action,
        why: e.to_string(),
    }
}
