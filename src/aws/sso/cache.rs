//! The IAM Identity Center token cache, shared with the AWS CLI and SDKs: one JSON file per
//! sso-session (or legacy start URL) in `~/.aws/sso/cache`, named by the SHA-1 of the session's
//! name (or of the start URL), with the CLI's camelCase fields. A token keyfob caches serves
//! `aws` and every SDK with no keyfob running; one `aws sso login` cached serves keyfob.
//!
//! Read carefully: a file that is a symbolic link, belongs to another user or is not the JSON the
//! CLI writes is refused with one sentence and left as it is. Written atomically (a 0600 file
//! beside it, then renamed), fields keyfob does not know kept.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_smithy_types::date_time::Format;
use serde::{Deserialize, Serialize};
use sha1::Digest as _;

pub use crate::aws::token_file::CacheError;
use crate::aws::token_file::{self, CacheProblem};
use crate::secret::Secret;

/// A cached IAM Identity Center token and the client registration that can refresh it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedToken {
    /// The AWS access portal's URL.
    pub start_url: String,
    /// The region of IAM Identity Center.
    pub region: String,
    /// The bearer token for the portal's calls.
    pub access_token: Secret,
    /// When the access token stops working.
    pub expires_at: SystemTime,
    /// The registered client (its id is no secret; its secret is).
    pub client_id: Option<String>,
    /// The registered client's secret.
    pub client_secret: Option<Secret>,
    /// When the client registration ends.
    pub registration_expires_at: Option<SystemTime>,
    /// Gets a new access token with no one signing in, while the registration lasts.
    pub refresh_token: Option<Secret>,
    /// Fields keyfob does not use, kept as they were when the file is written back.
    extra: serde_json::Map<String, serde_json::Value>,
}

impl CachedToken {
    /// A new token with no other field.
    #[must_use]
    pub fn new(
        start_url: impl Into<String>,
        region: impl Into<String>,
        access_token: Secret,
        expires_at: SystemTime,
    ) -> Self {
        Self {
            start_url: start_url.into(),
            region: region.into(),
            access_token,
            expires_at,
            client_id: None,
            client_secret: None,
            registration_expires_at: None,
            refresh_token: None,
            extra: serde_json::Map::new(),
        }
    }

    /// Whether the access token is still good for `margin` after `now`.
    #[must_use]
    pub fn is_live(&self, now: SystemTime, margin: std::time::Duration) -> bool {
        self.expires_at
            .duration_since(now)
            .is_ok_and(|left| left > margin)
    }

    /// The registration and refresh token, when both are there and the registration lasts.
    #[must_use]
    pub fn refresher(&self, now: SystemTime) -> Option<(&str, &Secret, &Secret)> {
        let live = self.registration_expires_at.is_none_or(|t| t > now);
        match (&self.client_id, &self.client_secret, &self.refresh_token) {
            (Some(id), Some(secret), Some(refresh)) if live => Some((id, secret, refresh)),
            _ => None,
        }
    }
}

/// The file as the AWS CLI writes it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    start_url: String,
    region: String,
    access_token: String,
    expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registration_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

impl Drop for Wire {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.access_token.zeroize();
        for s in [&mut self.client_secret, &mut self.refresh_token]
            .into_iter()
            .flatten()
        {
            s.zeroize();
        }
    }
}

/// The cache's name in what keyfob says about it.
pub const CACHE: &str = "IAM Identity Center token cache";

/// The cache directory: `~/.aws/sso/cache`.
///
/// # Errors
/// `HOME` is not set.
pub fn default_dir() -> Result<PathBuf, CacheError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".aws").join("sso").join("cache"))
        .ok_or(CacheError {
            cache: CACHE,
            problem: CacheProblem::NoHome,
        })
}

/// The file for a session name (or, for a legacy profile, its start URL): the SHA-1 of it in hex.
#[must_use]
pub fn file_for(dir: &Path, key: &str) -> PathBuf {
    let digest = sha1::Sha1::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.json"))
}

/// The token cached for `key`, `None` when there is none.
///
/// # Errors
/// The file is a symlink, another user's, unreadable or not the CLI's JSON.
pub fn read(dir: &Path, key: &str) -> Result<Option<CachedToken>, CacheError> {
    let path = file_for(dir, key);
    match token_file::read_private(&path).map_err(|p| p.about(CACHE, &path, "read"))? {
        Some(text) => parse(&path, text.expose()).map(Some),
        None => Ok(None),
    }
}

/// Parses the CLI's JSON.
///
/// # Errors
/// Not JSON, a field missing or a time that is no RFC 3339 time.
pub fn parse(path: &Path, text: &str) -> Result<CachedToken, CacheError> {
    let malformed = |why: String| CacheError {
        cache: CACHE,
        problem: CacheProblem::Malformed {
            path: path.to_path_buf(),
            why,
        },
    };
    let mut wire: Wire = serde_json::from_str(text).map_err(|e| {
        // serde_json's message names the field or the position, never the value.
        malformed(e.to_string())
    })?;
    if wire.access_token.is_empty() {
        return Err(malformed("accessToken is empty".to_owned()));
    }
    let time = |field: &str, value: &str| {
        aws_smithy_types::DateTime::from_str(value, Format::DateTime)
            .ok()
            .and_then(|t| SystemTime::try_from(t).ok())
            .ok_or_else(|| malformed(format!("{field} is not an RFC 3339 time")))
    };
    let expires_at = time("expiresAt", &wire.expires_at)?;
    let registration_expires_at = wire
        .registration_expires_at
        .as_deref()
        .map(|t| time("registrationExpiresAt", t))
        .transpose()?;
    Ok(CachedToken {
        start_url: std::mem::take(&mut wire.start_url),
        region: std::mem::take(&mut wire.region),
        access_token: Secret::new(std::mem::take(&mut wire.access_token)),
        expires_at,
        client_id: wire.client_id.take(),
        client_secret: wire.client_secret.take().map(Secret::new),
        registration_expires_at,
        refresh_token: wire.refresh_token.take().map(Secret::new),
        extra: std::mem::take(&mut wire.extra),
    })
}

/// Writes `token` as the cache for `key`: a 0600 file beside it, then renamed over it (the
/// directory made 0700 when missing). A symlink or another user's file there is refused.
///
/// # Errors
/// What is there cannot be replaced safely, or the disk refused.
pub fn write(dir: &Path, key: &str, token: &CachedToken) -> Result<PathBuf, CacheError> {
    let path = file_for(dir, key);
    let text = Secret::new(to_json(token));
    token_file::write_private(dir, &path, text.expose())
        .map_err(|p| p.about(CACHE, &path, "written"))?;
    Ok(path)
}

/// The CLI's JSON for `token`.
#[must_use]
pub fn to_json(token: &CachedToken) -> String {
    let time = |t: SystemTime| crate::session::rfc3339(t);
    let wire = Wire {
        start_url: token.start_url.clone(),
        region: token.region.clone(),
        access_token: token.access_token.expose().to_owned(),
        expires_at: time(token.expires_at),
        client_id: token.client_id.clone(),
        client_secret: token.client_secret.as_ref().map(|s| s.expose().to_owned()),
        registration_expires_at: token.registration_expires_at.map(time),
        refresh_token: token.refresh_token.as_ref().map(|s| s.expose().to_owned()),
        extra: token.extra.clone(),
    };
    // Serialising strings and a map of JSON values cannot fail.
    serde_json::to_string_pretty(&wire).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn file_names_are_the_sha1_of_the_session_name_as_the_cli_names_them() {
        // `python3 -c 'import hashlib; print(hashlib.sha1(b"my-sso").hexdigest())'`
        let p = file_for(Path::new("/c"), "my-sso");
        assert_eq!(
            p,
            Path::new("/c/0ad374308c5a4e22f723adf10145eafad7c4031c.json"),
            "{p:?}"
        );
    }

    #[test]
    fn a_token_written_reads_back_with_unknown_fields_kept_and_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = dir.path().join("sso").join("cache");
        let mut t = CachedToken::new(
            "https://d-1.awsapps.com/start",
            "eu-west-1",
            Secret::new("at"),
            at(1_800_000_000),
        );
        t.client_id = Some("cid".into());
        t.client_secret = Some(Secret::new("csecret"));
        t.registration_expires_at = Some(at(1_900_000_000));
        t.refresh_token = Some(Secret::new("rt"));
        t.extra
            .insert("scopes".into(), serde_json::json!(["sso:account:access"]));
        let path = write(&cache, "my-sso", &t).expect("write");
        let back = read(&cache, "my-sso").expect("read").expect("there");
        assert_eq!(back, t);
        let text = std::fs::read_to_string(&path).expect("text");
        assert!(
            text.contains("\"expiresAt\": \"2027-01-15T08:00:00Z\""),
            "{text}"
        );
        assert!(text.contains("\"scopes\""), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&cache), 0o700);
        }
        let left: Vec<_> = std::fs::read_dir(&cache).expect("dir").collect();
        assert_eq!(left.len(), 1, "no temporary file left");
        assert!(
            !format!("{back:?}").contains("csecret"),
            "redacted in Debug"
        );
    }

    #[test]
    fn what_the_cli_writes_is_read() {
        // The fields and time format of `aws sso login`'s cache (fractional seconds allowed).
        let text = r#"{"startUrl": "https://d-1.awsapps.com/start", "region": "us-east-1",
            "accessToken": "aoa-token", "expiresAt": "2026-12-05T20:00:00Z",
            "clientId": "cid", "clientSecret": "cs", "registrationExpiresAt": "2027-03-05T19:00:00.5Z",
            "refreshToken": "r"}"#;
        let t = parse(Path::new("x.json"), text).expect("parse");
        assert_eq!(t.access_token.expose(), "aoa-token");
        assert_eq!(
            crate::session::rfc3339(t.expires_at),
            "2026-12-05T20:00:00Z"
        );
        assert!(t.refresher(at(1_764_000_000)).is_some());
        // A token with no registration (a legacy profile's) cannot be refreshed.
        let legacy = r#"{"startUrl": "u", "region": "r", "accessToken": "a", "expiresAt": "2026-12-05T20:00:00Z"}"#;
        let t = parse(Path::new("x.json"), legacy).expect("parse");
        assert!(t.refresher(at(0)).is_none());
    }

    #[test]
    fn malformed_symlinked_and_foreign_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = dir.path();
        let path = file_for(cache, "s");
        for (text, says) in [
            ("not json", "expected ident"),
            (
                r#"{"startUrl": "u", "region": "r", "expiresAt": "2026-12-05T20:00:00Z"}"#,
                "accessToken",
            ),
            (
                r#"{"startUrl": "u", "region": "r", "accessToken": "a", "expiresAt": "tomorrow"}"#,
                "expiresAt is not an RFC 3339 time",
            ),
        ] {
            std::fs::write(&path, text).expect("write");
            let e = read(cache, "s").expect_err(text);
            assert!(matches!(e.problem, CacheProblem::Malformed { .. }), "{e:?}");
            assert!(e.to_string().contains(says), "{e}");
            assert!(!e.to_string().contains("tomorrow"), "no value echoed: {e}");
        }
        std::fs::remove_file(&path).expect("rm");
        #[cfg(unix)]
        {
            let target = cache.join("elsewhere.json");
            std::fs::write(&target, "{}").expect("write");
            std::os::unix::fs::symlink(&target, &path).expect("symlink");
            assert_eq!(
                read(cache, "s"),
                Err(CacheError {
                    cache: CACHE,
                    problem: CacheProblem::Symlink(path.clone()),
                })
            );
            let t = CachedToken::new("u", "r", Secret::new("a"), at(1));
            assert_eq!(
                write(cache, "s", &t),
                Err(CacheError {
                    cache: CACHE,
                    problem: CacheProblem::Symlink(path.clone()),
                })
            );
            assert_eq!(
                std::fs::read_to_string(&target).expect("read"),
                "{}",
                "untouched"
            );
        }
        assert_eq!(read(cache, "none"), Ok(None));
    }

    #[cfg(unix)]
    #[test]
    fn another_users_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = file_for(dir.path(), "s");
        std::fs::write(&path, r#"{"startUrl": "u", "region": "r", "accessToken": "a", "expiresAt": "2026-12-05T20:00:00Z"}"#).expect("write");
        // Giving a file away takes root (CI runs as root); elsewhere the check is the same code.
        if std::os::unix::fs::chown(&path, Some(65534), Some(65534)).is_err() {
            assert_ne!(
                crate::os::own_uid().expect("uid"),
                0,
                "root could not chown"
            );
            return;
        }
        assert_eq!(
            read(dir.path(), "s"),
            Err(CacheError {
                cache: CACHE,
                problem: CacheProblem::NotYours(path.clone()),
            })
        );
        let t = CachedToken::new("u", "r", Secret::new("a"), at(1));
        assert_eq!(
            write(dir.path(), "s", &t),
            Err(CacheError {
                cache: CACHE,
                problem: CacheProblem::NotYours(path),
            })
        );
    }
}
