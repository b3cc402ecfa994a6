//! Small, careful edits to the AWS config file (`~/.aws/config`): setting a few keys of one
//! profile, as `aws login` and `aws configure set` do. Every other byte is kept; the file is
//! written beside itself with its own permissions and renamed over; a symlink, a profile that
//! appears twice or a key inside a nested block is refused rather than guessed at.

use std::io::Write as _;
use std::path::Path;

/// Why the config file was not changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigEditError {
    #[error("{0} is a symbolic link; keyfob does not write through links")]
    Symlink(String),
    #[error("profile {profile} appears more than once in {path}; fix the file by hand first")]
    Duplicate { path: String, profile: String },
    #[error("'{0}' is not a usable profile name (letters, digits and - _ . @ +)")]
    BadName(String),
    #[error("{path} was left as it was: {why}")]
    Io { path: String, why: String },
}

/// The AWS config file edits go to: the explicit one, else `AWS_CONFIG_FILE`, else
/// `~/.aws/config`; `None` with no home directory.
#[must_use]
pub fn default_path(spec: &super::ProfileFilesSpec) -> Option<std::path::PathBuf> {
    if let Some(p) = &spec.config {
        return Some(p.clone());
    }
    if let Some(p) = std::env::var_os("AWS_CONFIG_FILE").filter(|p| !p.is_empty()) {
        return Some(std::path::PathBuf::from(p));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| std::path::PathBuf::from(h).join(".aws").join("config"))
}

/// Which of `keys` the profile's section of the config file at `path` sets, in the file's order
/// (read as text, with no
/// runtime: for messages of commands that run without one). Missing file or profile: none.
#[must_use]
pub fn profile_sets<'k>(path: &Path, profile: &str, keys: &[&'k str]) -> Vec<&'k str> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let header = if profile == "default" {
        vec!["default".to_owned(), "profile default".to_owned()]
    } else {
        vec![format!("profile {profile}")]
    };
    let mut inside = false;
    let mut found = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(inner) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            let name = inner.split_whitespace().collect::<Vec<_>>().join(" ");
            inside = header.contains(&name);
            continue;
        }
        if inside
            && !line.starts_with([' ', '\t'])
            && let Some((k, _)) = line.split_once('=')
        {
            found.extend(keys.iter().filter(|key| **key == k.trim()));
        }
    }
    found
}

/// Sets `values` in `profile`'s section of the config file at `path` (made when missing), keeping
/// everything else. Returns, for each key, the value it replaced.
///
/// # Errors
/// See [`ConfigEditError`].
pub fn set_profile_values(
    path: &Path,
    profile: &str,
    values: &[(&str, &str)],
) -> Result<Vec<Option<String>>, ConfigEditError> {
    let shown = path.display().to_string();
    let io = |e: &std::io::Error| ConfigEditError::Io {
        path: shown.clone(),
        why: e.to_string(),
    };
    if profile.is_empty()
        || !profile
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c))
    {
        return Err(ConfigEditError::BadName(profile.to_owned()));
    }
    let (text, mode) = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(ConfigEditError::Symlink(shown)),
        Ok(m) => (
            std::fs::read_to_string(path).map_err(|e| io(&e))?,
            Some(m.permissions()),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), None),
        Err(e) => return Err(io(&e)),
    };
    let (new_text, old) =
        edit(&text, profile, values).map_err(|()| ConfigEditError::Duplicate {
            path: shown.clone(),
            profile: profile.to_owned(),
        })?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io(&e))?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.keyfob-{}.tmp",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        if let Some(perm) = &mode {
            f.set_permissions(perm.clone())?;
        }
        f.write_all(new_text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&e));
    }
    Ok(old)
}

/// The new text, and the values replaced; `Err` when the profile's section appears twice.
fn edit(
    text: &str,
    profile: &str,
    values: &[(&str, &str)],
) -> Result<(String, Vec<Option<String>>), ()> {
    let headers = if profile == "default" {
        vec!["default".to_owned(), "profile default".to_owned()]
    } else {
        vec![format!("profile {profile}")]
    };
    let section_of = |line: &str| -> Option<String> {
        let inner = line.trim().strip_prefix('[')?.split(']').next()?;
        Some(inner.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let mut out: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let starts: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, l)| section_of(l).is_some_and(|s| headers.contains(&s)))
        .map(|(i, _)| i)
        .collect();
    if starts.len() > 1 {
        return Err(());
    }
    let mut old = vec![None; values.len()];
    let Some(&start) = starts.first() else {
        let mut s = text.to_owned();
        if !s.is_empty() && !s.ends_with('\n') {
            s.push('\n');
        }
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(&format!(
            "[{}]\n",
            headers.first().map_or("", String::as_str)
        ));
        for (k, v) in values {
            s.push_str(&format!("{k} = {v}\n"));
        }
        return Ok((s, old));
    };
    let end = out
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, l)| section_of(l).is_some())
        .map_or(out.len(), |(i, _)| i);
    let mut missing = Vec::new();
    for ((key, value), was) in values.iter().zip(old.iter_mut()) {
        // A top-level `key = value` line (indented lines belong to a nested block).
        let line = out.iter_mut().take(end).skip(start + 1).find(|l| {
            !l.starts_with([' ', '\t']) && l.split_once('=').is_some_and(|(k, _)| k.trim() == *key)
        });
        match line {
            Some(l) => {
                *was = l.split_once('=').map(|(_, v)| v.trim().to_owned());
                *l = format!("{key} = {value}\n");
            }
            None => missing.push(format!("{key} = {value}\n")),
        }
    }
    // New keys go after the section's last non-blank line.
    let last = out
        .iter()
        .enumerate()
        .take(end)
        .skip(start)
        .rev()
        .find(|(i, l)| *i == start || !l.trim().is_empty())
        .map_or(start, |(i, _)| i);
    if let Some(l) = out.get_mut(last).filter(|l| !l.ends_with('\n')) {
        l.push('\n');
    }
    for (k, line) in missing.into_iter().enumerate() {
        out.insert(last + 1 + k, line);
    }
    Ok((out.concat(), old))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_replaced_or_added_in_its_section_and_nothing_else_moves() {
        let text = "# mine\n[default]\nregion = eu-west-1\n\n[profile dev]\nregion=us-east-1\nlogin_session = arn:old\ns3 =\n  max_concurrent_requests = 4\n\n[sso-session x]\nsso_region = eu-west-1";
        let (t, old) = edit(
            text,
            "dev",
            &[("login_session", "arn:new"), ("output", "json")],
        )
        .unwrap();
        assert_eq!(old, vec![Some("arn:old".to_owned()), None]);
        assert_eq!(
            t,
            "# mine\n[default]\nregion = eu-west-1\n\n[profile dev]\nregion=us-east-1\nlogin_session = arn:new\ns3 =\n  max_concurrent_requests = 4\noutput = json\n\n[sso-session x]\nsso_region = eu-west-1"
        );
        let (t, _) = edit(text, "default", &[("login_session", "arn:d")]).unwrap();
        assert!(t.starts_with(
            "# mine\n[default]\nregion = eu-west-1\nlogin_session = arn:d\n\n[profile dev]"
        ));
        let (t, _) = edit(text, "new", &[("login_session", "arn:n")]).unwrap();
        assert_eq!(
            t,
            format!("{text}\n\n[profile new]\nlogin_session = arn:n\n")
        );
        let (t, _) = edit("", "new", &[("k", "v")]).unwrap();
        assert_eq!(t, "[profile new]\nk = v\n");
        // A nested key of the same name is not the profile's.
        let (t, old) = edit("[profile p]\ns3 =\n  k = 1\n", "p", &[("k", "2")]).unwrap();
        assert_eq!(
            (t.as_str(), old),
            ("[profile p]\ns3 =\n  k = 1\nk = 2\n", vec![None])
        );
    }

    #[test]
    fn a_profile_twice_is_refused_and_the_file_keeps_its_mode() {
        assert!(edit("[profile a]\n[profile  a]\n", "a", &[("k", "v")]).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "[profile a]\nregion = x\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            set_profile_values(&path, "a", &[("k", "v")]).unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            assert!(matches!(
                set_profile_values(&link, "a", &[("k", "w")]),
                Err(ConfigEditError::Symlink(_))
            ));
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[profile a]\nregion = x\nk = v\n"
        );
        assert!(matches!(
            set_profile_values(&path, "a b", &[("k", "v")]),
            Err(ConfigEditError::BadName(_))
        ));
        assert_eq!(
            profile_sets(&path, "a", &["k", "region", "x"]),
            vec!["region", "k"]
        );
        assert!(profile_sets(&path, "b", &["k"]).is_empty());
        assert!(profile_sets(&dir.path().join("none"), "a", &["k"]).is_empty());
    }
}
