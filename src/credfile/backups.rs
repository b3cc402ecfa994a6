//! keyfob's own backups of the credentials file (`credentials.keyfob-backup-STAMP`, written before
//! each change): when long-term keys leave the file for the keyring, every earlier backup that
//! still holds their secret is rewritten without that profile, so the secret is left in no file
//! keyfob made. A backup keyfob cannot rewrite safely is named to the user instead.

use std::path::{Path, PathBuf};

use super::{CredFile, CredFileError, backup_prefix, parse, replace_atomically, without_section};
use crate::secret::Secret;

/// What scrubbing the backups did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scrubbed {
    /// Backups that held the secret and no longer do.
    pub cleaned: Vec<PathBuf>,
    /// Backups that still hold it, each with why: the user is told to delete them.
    pub left: Vec<(PathBuf, String)>,
    /// Why the backups could not be looked for (the directory could not be read), if so.
    pub unsearched: Option<String>,
}

impl Scrubbed {
    /// What to add to the removal's message ("" when no backup held the secret).
    #[must_use]
    pub fn sentence(&self) -> String {
        let names = |paths: &mut dyn Iterator<Item = &PathBuf>| {
            paths
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = String::new();
        if !self.cleaned.is_empty() {
            let n = self.cleaned.len();
            out.push_str(&format!(
                "; its secret key was also removed from {n} earlier backup{} keyfob made ({})",
                if n == 1 { "" } else { "s" },
                names(&mut self.cleaned.iter())
            ));
        }
        if let Some(why) = &self.unsearched {
            out.push_str(&format!(
                "; keyfob could not look for its earlier backups, which may hold its secret key: {why}"
            ));
        }
        if !self.left.is_empty() {
            let why: Vec<String> = self
                .left
                .iter()
                .map(|(p, why)| format!("{} ({why})", p.display()))
                .collect();
            out.push_str(&format!(
                "; these files still hold its secret key, delete them: {}",
                why.join(", ")
            ));
        }
        out
    }
}

impl CredFile {
    /// The secret access key of profile `name`, if its section has one.
    #[must_use]
    pub fn secret_of(&self, name: &str) -> Option<Secret> {
        let text = self.text.as_ref()?.expose();
        let s = self.sections.iter().find(|s| s.name == name)?;
        secret_in(text.get(s.start..s.end)?).map(Secret::new)
    }

    /// keyfob's backups of this file (beside it, named as keyfob names them; links are not
    /// keyfob's and are left alone), in name order: oldest first.
    pub fn backups(&self) -> Result<Vec<PathBuf>, CredFileError> {
        let dir = self.dir();
        let prefix = backup_prefix(&self.path);
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(super::io_err(dir, &e)),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| super::io_err(dir, &e))?;
            let ours = entry.file_name().to_string_lossy().starts_with(&prefix);
            let file = entry.file_type().is_ok_and(|t| t.is_file());
            if ours && file {
                found.push(entry.path());
            }
        }
        found.sort();
        Ok(found)
    }

    /// Rewrites every backup of this file that holds `secret` without the sections that hold it
    /// (atomically, 0600, keeping every other byte). Never fails as a whole: a backup that cannot
    /// be rewritten is listed in [`Scrubbed::left`] with why.
    #[must_use]
    pub fn scrub_backups(&self, secret: &Secret) -> Scrubbed {
        let mut done = Scrubbed::default();
        let backups = match self.backups() {
            Ok(b) => b,
            Err(e) => {
                done.unsearched = Some(e.to_string());
                return done;
            }
        };
        for path in backups {
            match scrub(&path, self.dir(), secret.expose()) {
                Ok(true) => done.cleaned.push(path),
                Ok(false) => {}
                Err(why) => done.left.push((path, why)),
            }
        }
        done
    }
}

/// The value of `aws_secret_access_key` in one section's text.
fn secret_in(section: &str) -> Option<String> {
    section.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        let value = value.trim();
        (key.trim() == "aws_secret_access_key" && !value.is_empty()).then(|| value.to_owned())
    })
}

/// Removes the sections holding `secret` from the backup at `path`; whether it held the secret.
fn scrub(path: &Path, dir: &Path, secret: &str) -> Result<bool, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
        return Ok(false);
    }
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
    let sections = parse(&text).map_err(|e| e.to_string())?;
    let mut out = text.clone();
    // From the last to the first, so the earlier sections' offsets still hold.
    for s in sections.iter().rev() {
        let holds = text
            .get(s.start..s.end)
            .and_then(secret_in)
            .is_some_and(|v| v == secret);
        if holds {
            out = without_section(&out, s);
        }
    }
    if out.contains(secret) {
        return Err("it holds the secret outside a profile's key line".to_owned());
    }
    replace_atomically(path, dir, &out).map_err(|e| e.to_string())?;
    Ok(true)
}
