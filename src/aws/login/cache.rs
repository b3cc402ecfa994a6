//! The AWS Sign-In token cache, shared with the AWS CLI and SDKs: one JSON file per login session
//! in `~/.aws/login/cache` (or `AWS_LOGIN_CACHE_DIRECTORY`), named by the SHA-256 of the session's
//! ARN (the profile's `login_session`), with the CLI's camelCase fields. A sign-in keyfob caches
//! serves `aws` and every SDK with no keyfob running; one `aws login` cached serves keyfob.
//!
//! Read and written as [`crate::aws::token_file`] does it: a symlink, another user's file or JSON
//! the CLI would not write is refused with one sentence and left as it is; fields keyfob does not
//! know are kept.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_smithy_types::date_time::Format;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

pub use crate::aws::token_file::CacheError;
use crate::aws::token_file::{self, CacheProblem};
use crate::secret::Secret;

/// A cached sign-in: the short-lived credentials and what renews them (the refresh token and the
/// private key that proves the refresh comes from whoever signed in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginToken {
    /// The credentials' key id (no secret).
    pub access_key_id: String,
    /// The credentials' secret key.
    pub secret_access_key: Secret,
    /// The credentials' session token.
    pub session_token: Secret,
    /// The account signed in to.
    pub account_id: String,
    /// When the credentials stop working (15 minutes after they were issued).
    pub expires_at: SystemTime,
    /// `aws_sigv4`.
    pub token_type: Option<String>,
    /// Gets new credentials while the sign-in lasts.
    pub refresh_token: Secret,
    /// The OpenID identity token (names the signed-in user).
    pub id_token: Option<Secret>,
    /// The sign-in client (same-device or cross-device).
    pub client_id: String,
    /// The P-256 private key (SEC1 PEM) every token call is proved with.
    pub dpop_key: Secret,
    extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    access_token: WireCredentials,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<String>,
    refresh_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    client_id: String,
    dpop_key: String,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    account_id: String,
    expires_at: String,
}

impl Drop for Wire {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.access_token.secret_access_key.zeroize();
        self.access_token.session_token.zeroize();
        self.refresh_token.zeroize();
        self.dpop_key.zeroize();
        if let Some(t) = &mut self.id_token {
            t.zeroize();
        }
    }
}

impl LoginToken {
    /// A token as the sign-in's first CreateOAuth2Token returned it.
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub fn new(
        credentials: (String, Secret, Secret),
        account_id: String,
        expires_at: SystemTime,
        token_type: Option<String>,
        refresh_token: Secret,
        id_token: Option<Secret>,
        client_id: String,
        dpop_key: Secret,
    ) -> Self {
        let (access_key_id, secret_access_key, session_token) = credentials;
        Self {
            access_key_id,
            secret_access_key,
            session_token,
            account_id,
            expires_at,
            token_type,
            refresh_token,
            id_token,
            client_id,
            dpop_key,
            extra: serde_json::Map::new(),
        }
    }
}

/// The cache's name in what keyfob says about it.
pub const CACHE: &str = "AWS Sign-In token cache";

/// The cache directory: `AWS_LOGIN_CACHE_DIRECTORY`, else `~/.aws/login/cache`.
///
/// # Errors
/// Neither is set.
pub fn default_dir() -> Result<PathBuf, CacheError> {
    if let Some(dir) = std::env::var_os("AWS_LOGIN_CACHE_DIRECTORY").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".aws").join("login").join("cache"))
        .ok_or(CacheError {
            cache: CACHE,
            problem: CacheProblem::NoHome,
        })
}

/// The file for a login session: the SHA-256 of its ARN in hex.
#[must_use]
pub fn file_for(dir: &Path, login_session: &str) -> PathBuf {
    let digest = sha2::Sha256::digest(login_session.trim().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.json"))
}

/// The sign-in cached for `login_session`, `None` when there is none.
///
/// # Errors
/// The file is a symlink, another user's, unreadable or not the CLI's JSON.
pub fn read(dir: &Path, login_session: &str) -> Result<Option<LoginToken>, CacheError> {
    let path = file_for(dir, login_session);
    match token_file::read_private(&path).map_err(|p| p.about(CACHE, &path, "read"))? {
        Some(text) => parse(&path, text.expose()).map(Some),
        None => Ok(None),
    }
}

/// Checks that the file for `login_session` is one keyfob may read and replace (or is missing).
///
/// # Errors
/// A symlink, another user's file, or not a file.
pub fn check(dir: &Path, login_session: &str) -> Result<(), CacheError> {
    let path = file_for(dir, login_session);
    token_file::check_replaceable(&path).map_err(|p| p.about(CACHE, &path, "read"))
}

/// Parses the CLI's JSON.
///
/// # Errors
/// Not JSON, a field missing or empty, or a time that is no RFC 3339 time.
pub fn parse(path: &Path, text: &str) -> Result<LoginToken, CacheError> {
    let malformed = |why: String| CacheError {
        cache: CACHE,
        problem: CacheProblem::Malformed {
            path: path.to_path_buf(),
            why,
        },
    };
    // serde_json's message names the field or the position, never the value.
    let mut wire: Wire = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
    for (field, value) in [
        ("accessToken.accessKeyId", &wire.access_token.access_key_id),
        (
            "accessToken.secretAccessKey",
            &wire.access_token.secret_access_key,
        ),
        ("accessToken.sessionToken", &wire.access_token.session_token),
        ("refreshToken", &wire.refresh_token),
        ("clientId", &wire.client_id),
        ("dpopKey", &wire.dpop_key),
    ] {
        if value.is_empty() {
            return Err(malformed(format!("{field} is empty")));
        }
    }
    let expires_at =
        aws_smithy_types::DateTime::from_str(&wire.access_token.expires_at, Format::DateTime)
            .ok()
            .and_then(|t| SystemTime::try_from(t).ok())
            .ok_or_else(|| malformed("accessToken.expiresAt is not an RFC 3339 time".to_owned()))?;
    let take = std::mem::take::<String>;
    Ok(LoginToken {
        access_key_id: take(&mut wire.access_token.access_key_id),
        secret_access_key: Secret::new(take(&mut wire.access_token.secret_access_key)),
        session_token: Secret::new(take(&mut wire.access_token.session_token)),
        account_id: take(&mut wire.access_token.account_id),
        expires_at,
        token_type: wire.token_type.take(),
        refresh_token: Secret::new(take(&mut wire.refresh_token)),
        id_token: wire.id_token.take().map(Secret::new),
        client_id: take(&mut wire.client_id),
        dpop_key: Secret::new(take(&mut wire.dpop_key)),
        extra: std::mem::take(&mut wire.extra),
    })
}

/// Writes `token` as the cache for `login_session` (0600, atomically; a symlink or another
/// user's file there is refused).
///
/// # Errors
/// What is there cannot be replaced safely, or the disk refused.
pub fn write(dir: &Path, login_session: &str, token: &LoginToken) -> Result<PathBuf, CacheError> {
    let path = file_for(dir, login_session);
    let text = Secret::new(to_json(token));
    token_file::write_private(dir, &path, text.expose())
        .map_err(|p| p.about(CACHE, &path, "written"))?;
    Ok(path)
}

/// The CLI's JSON for `token`.
#[must_use]
pub fn to_json(token: &LoginToken) -> String {
    let wire = Wire {
        access_token: WireCredentials {
            access_key_id: token.access_key_id.clone(),
            secret_access_key: token.secret_access_key.expose().to_owned(),
            session_token: token.session_token.expose().to_owned(),
            account_id: token.account_id.clone(),
            expires_at: crate::session::rfc3339(token.expires_at),
        },
        token_type: token.token_type.clone(),
        refresh_token: token.refresh_token.expose().to_owned(),
        id_token: token.id_token.as_ref().map(|t| t.expose().to_owned()),
        client_id: token.client_id.clone(),
        dpop_key: token.dpop_key.expose().to_owned(),
        extra: token.extra.clone(),
    };
    // Serialising strings and a map of JSON values cannot fail.
    serde_json::to_string_pretty(&wire).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const ARN: &str = "arn:aws:iam::0123456789012:user/Admin";

    fn token() -> LoginToken {
        LoginToken::new(
            (
                "ASIAEXAMPLE".to_owned(),
                Secret::new("secret".to_owned()),
                Secret::new("session".to_owned()),
            ),
            "0123456789012".to_owned(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000),
            Some("aws_sigv4".to_owned()),
            Secret::new("refresh".to_owned()),
            None,
            "arn:aws:signin:::devtools/same-device".to_owned(),
            Secret::new(
                "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n".to_owned(),
            ),
        )
    }

    #[test]
    fn file_names_are_the_sha256_of_the_session_as_the_sdk_names_them() {
        // The name aws-config's own tests expect for this ARN.
        assert_eq!(
            file_for(Path::new("/c"), ARN),
            Path::new("/c/36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json")
        );
    }

    #[test]
    fn a_token_written_reads_back_with_unknown_fields_kept_and_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("login").join("cache");
        let mut t = token();
        t.extra
            .insert("futureField".to_owned(), serde_json::json!({"a": 1}));
        let path = write(&cache, ARN, &t).unwrap();
        assert_eq!(read(&cache, ARN).unwrap(), Some(t));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = std::fs::metadata(&cache).unwrap().permissions().mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["accessToken"]["expiresAt"], "2030-03-17T17:46:40Z");
        assert_eq!(v["futureField"]["a"], 1);
    }

    #[test]
    fn malformed_and_symlinked_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_for(dir.path(), ARN);
        for text in ["{", "{}", r#"{"accessToken": 3}"#] {
            std::fs::write(&path, text).unwrap();
            let e = read(dir.path(), ARN).unwrap_err();
            assert!(matches!(e.problem, CacheProblem::Malformed { .. }), "{e:?}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
        std::fs::remove_file(&path).unwrap();
        #[cfg(unix)]
        {
            let target = dir.path().join("elsewhere");
            std::fs::write(&target, "x").unwrap();
            std::os::unix::fs::symlink(&target, &path).unwrap();
            assert_eq!(
                read(dir.path(), ARN),
                Err(CacheError {
                    cache: CACHE,
                    problem: CacheProblem::Symlink(path.clone()),
                })
            );
            assert_eq!(
                write(dir.path(), ARN, &token()),
                Err(CacheError {
                    cache: CACHE,
                    problem: CacheProblem::Symlink(path.clone()),
                })
            );
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "x");
        }
    }
}
