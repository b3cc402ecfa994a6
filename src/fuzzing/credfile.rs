//! The credentials-file editor ([`CredFile`]).

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use super::{Scratch, broken, lossy, read_file, session, unused, write_file};
use crate::credfile::{CredFile, CredFileError};

/// Each line of `text` (with its line end) and the byte offset it starts at.
fn lines_at(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_inclusive('\n').scan(0, |at, line| {
        let start = *at;
        *at += line.len();
        Some((start, line))
    })
}

/// The profile a section header line names, read as keyfob reads one (`[ name ] ; note`).
fn header_name(line: &str) -> Option<&str> {
    let trimmed = line.trim();
    if !trimmed.starts_with('[') {
        return None;
    }
    let header = trimmed.split(['#', ';']).next().unwrap_or("").trim_end();
    header.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

/// Where the sections named `name` start in `text`.
fn sections_named(text: &str, name: &str) -> Vec<usize> {
    lines_at(text)
        .filter(|(_, line)| header_name(line) == Some(name))
        .map(|(at, _)| at)
        .collect()
}

/// Whether a removed part of a file holds a header after its first line: another profile.
fn holds_another_header(chunk: &str) -> bool {
    lines_at(chunk)
        .skip(1)
        .any(|(_, line)| header_name(line).is_some())
}

/// Whether a section's text sets a credential (a top-level key line, as keyfob reads them).
fn holds_credentials(section: &str) -> bool {
    section.lines().skip(1).any(|line| {
        let trimmed = line.trim();
        let setting = !line.starts_with([' ', '\t'])
            && !trimmed.starts_with(['#', ';'])
            && !trimmed.starts_with('[');
        let key = trimmed.split_once('=').map(|(k, _)| k.trim());
        setting
            && matches!(
                key,
                Some(
                    "aws_access_key_id"
                        | "aws_secret_access_key"
                        | "aws_session_token"
                        | "aws_security_token"
                )
            )
    })
}

/// What `CredFile::plan` accepts as a profile name.
fn usable_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c))
}

/// The credentials-file editor ([`CredFile`]). The input is a profile name, a newline, and the
/// file's bytes. For every file keyfob accepts: removing that profile takes out exactly its one
/// section (and keeps no backup when the section held credentials); writing a session as that
/// profile replaces exactly its section or adds one at the end; every other byte stays as it was;
/// keyfob reads back every file it wrote; the preview never shows the secret or the token; and
/// removing the section keyfob wrote gives back the rest of the file.
pub fn credfile(data: &[u8]) {
    let (name, text) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (
            data.get(..i).unwrap_or_default(),
            data.get(i + 1..).unwrap_or_default(),
        ),
        None => (data, &[][..]),
    };
    let name = lossy(name);
    let scratch = Scratch::new();
    let (removing, writing) = (scratch.file("removed"), scratch.file("written"));
    write_file(&removing, text);
    write_file(&writing, text);
    let file = match CredFile::read(&removing) {
        Ok(file) => file,
        Err(CredFileError::Malformed { .. }) => return,
        Err(e) => broken(&format!("a plain file was refused for another reason: {e}")),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        broken("a file that is not UTF-8 was accepted")
    };
    removal_keeps_the_rest(&file, &removing, text, &name);
    match CredFile::read(&writing) {
        Ok(file) => writing_keeps_the_rest(&file, &writing, text, &name),
        Err(e) => broken(&format!("the same file read twice was refused once: {e}")),
    }
}

/// `CredFile::plan_remove` then `write` on the file `text` at `path`.
fn removal_keeps_the_rest(file: &CredFile, path: &Path, text: &str, name: &str) {
    let starts = sections_named(text, name);
    let edit = match (file.plan_remove(name), starts.as_slice()) {
        (Ok(edit), [_]) => edit,
        (Err(CredFileError::NoSuchProfile(_)), [])
        | (Err(CredFileError::Duplicate(_)), [_, _, ..]) => {
            return;
        }
        (planned, _) => broken(&format!(
            "removing [{name}], found {} times, was planned as {planned:?}",
            starts.len()
        )),
    };
    let start = starts.first().copied().unwrap_or_default();
    let backup = match file.write(&edit, true, UNIX_EPOCH) {
        Ok(backup) => backup,
        Err(e) => broken(&format!("the planned removal could not be written: {e}")),
    };
    assert_eq!(backup.is_some(), edit.keeps_backup, "backup {backup:?}");
    let new = read_file(path);
    let before = text.get(..start).unwrap_or_default();
    let kept_tail = new.get(start..).unwrap_or_default();
    assert!(
        new.starts_with(before)
            && text.ends_with(kept_tail)
            && text.len() > start + kept_tail.len(),
        "removing [{name}] changed more than its section: {text:?} became {new:?}"
    );
    let removed = text
        .get(start..text.len() - kept_tail.len())
        .unwrap_or_default();
    assert!(
        !holds_another_header(removed),
        "another section went with [{name}]: {removed:?}"
    );
    if holds_credentials(removed) {
        assert!(!edit.keeps_backup, "a backup would keep the removed keys");
    }
    match CredFile::read(path) {
        Ok(again) => assert_eq!(
            again.plan_remove(name).err(),
            Some(CredFileError::NoSuchProfile(name.to_owned()))
        ),
        Err(e) => broken(&format!(
            "keyfob cannot read the file it wrote: {e}: {new:?}"
        )),
    }
}

/// `CredFile::plan` of a session then `write`, on the file `text` at `path`; then the removal of
/// the section written.
fn writing_keeps_the_rest(file: &CredFile, path: &Path, text: &str, name: &str) {
    let token = unused("FuzzSessionToken", &[text, name]);
    let secret = unused("FuzzSecretKey", &[text, name]);
    let expires = UNIX_EPOCH + Duration::from_secs(1_795_352_400);
    let s = session("ASIAFUZZEXAMPLE", &secret, Some(&token), expires);
    let starts = sections_named(text, name);
    let edit = match file.plan(name, &s) {
        Ok(edit) => edit,
        Err(CredFileError::BadName(_)) if !usable_name(name) => return,
        Err(CredFileError::Duplicate(_)) if starts.len() > 1 => return,
        planned => broken(&format!("writing [{name}] was planned as {planned:?}")),
    };
    assert!(usable_name(name), "[{name}] was accepted as a name");
    assert!(
        !edit.preview.contains(&token) && !edit.preview.contains(&secret),
        "the preview shows a secret: {}",
        edit.preview
    );
    assert_eq!(edit.replaces, starts.len() == 1);
    match file.write(&edit, true, UNIX_EPOCH) {
        Ok(Some(_)) => {}
        other => broken(&format!("the planned write gave {other:?}")),
    }
    let new = read_file(path);
    let last_line = format!("aws_session_token = {token}\n");
    let end = new.find(&last_line).map(|i| i + last_line.len());
    let header = format!("[{name}]\n");
    let start = end.and_then(|end| new.get(..end)?.rfind(&header));
    let (Some(start), Some(end)) = (start, end) else {
        broken(&format!("the section written is not in {new:?}"))
    };
    let before = new.get(..start).unwrap_or_default();
    let after = new.get(end..).unwrap_or_default();
    match starts.as_slice() {
        [old] => {
            assert_eq!(before, text.get(..*old).unwrap_or_default());
            assert!(
                text.ends_with(after) && text.len() >= old + after.len(),
                "writing [{name}] changed what follows it: {text:?} became {new:?}"
            );
            let replaced = text.get(*old..text.len() - after.len()).unwrap_or_default();
            assert!(
                !holds_another_header(replaced),
                "another section was replaced: {replaced:?}"
            );
        }
        _ => {
            let mut expected = text.to_owned();
            if !expected.is_empty() {
                if !expected.ends_with('\n') {
                    expected.push('\n');
                }
                expected.push('\n');
            }
            assert_eq!(
                (before, after),
                (expected.as_str(), ""),
                "the section was not added at the end"
            );
        }
    }
    remove_what_was_written(path, name, &format!("{before}{}", strip_line_end(after)));
}

fn strip_line_end(text: &str) -> &str {
    text.strip_prefix("\r\n")
        .or_else(|| text.strip_prefix('\n'))
        .unwrap_or(text)
}

/// Removes the section keyfob wrote as `name` in the file at `path`: allowed without the
/// long-term-keys confirmation, with no backup (it held credentials), leaving `expected`.
fn remove_what_was_written(path: &Path, name: &str, expected: &str) {
    let again = CredFile::read(path)
        .unwrap_or_else(|e| broken(&format!("keyfob cannot read the file it wrote: {e}")));
    let edit = again
        .plan_remove(name)
        .unwrap_or_else(|e| broken(&format!("the section written cannot be removed: {e}")));
    assert!(!edit.keeps_backup && !edit.replaces_long_term);
    match again.write(&edit, false, UNIX_EPOCH) {
        Ok(None) => {}
        other => broken(&format!("removing the section written gave {other:?}")),
    }
    assert_eq!(read_file(path), expected, "removing the section written");
}
