//! Sessions whose sign-in happened in the browser and is cached on disk where the AWS CLI keeps it
//! — AWS Sign-In ([`super::login`]) and IAM Identity Center ([`super::sso`]) — renew from that
//! cache with no one present. One entry point for the window's supervisor and the command line, so
//! every such kind renews the same way; a new kind of browser sign-in adds one arm here.

use super::errors::{AwsError, ErrorKind};
use super::{AwsEnv, login, profiles, sso};
use crate::session::{Session, SessionKind};

/// A fresh session in the place of `session`, from its cached sign-in (renewed first when it is
/// near its end, the cache rewritten).
///
/// # Errors
/// The kind does not renew from a cache; the profile or its cache is gone or refused; the sign-in
/// has ended or was revoked (a person must sign in again); a call failed.
pub async fn renew(env: &AwsEnv, session: &Session) -> Result<Session, AwsError> {
    let region = session.region.as_deref();
    match &session.kind {
        SessionKind::Login { session_arn } => {
            login::cached_session(env, &session.name, session_arn, region).await
        }
        SessionKind::Sso {
            account_id,
            role_name,
        } => {
            let profile = session.origin.profile.as_deref().unwrap_or(&session.name);
            let (settings, _) = sso_settings(env, profile).await?;
            let dir = sso_cache_dir(env)?;
            let clients = sso::Clients::new(env, &settings.region).await;
            let token = sso::cached_token(&clients, &settings, &dir)
                .await?
                .ok_or_else(|| {
                    AwsError::new(
                        ErrorKind::Expired,
                        format!(
                            "Your IAM Identity Center sign-in for {profile} has ended or was revoked: sign in again"
                        ),
                    )
                })?;
            sso::role_session(
                env,
                &clients,
                &token,
                &session.name,
                (account_id, role_name),
                region,
            )
            .await
        }
        _ => Err(AwsError::new(
            ErrorKind::Other,
            "Only a session signed in through the browser renews from its cached sign-in",
        )),
    }
}

/// What the user is to do while a browser sign-in waits: the page (opened for them) and, for IAM
/// Identity Center, the code that page must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The page.
    pub url: String,
    /// The code to check on it (IAM Identity Center's device sign-in).
    pub user_code: Option<String>,
}

/// How long the window waits for the browser.
pub const BROWSER_WAIT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Signs `profile` in through the browser, the way its config says (`login_session`: AWS Sign-In;
/// `sso_session` or `sso_start_url`: IAM Identity Center), or from the sign-in cached on disk
/// when it is still good (then no browser is needed). `waiting` is handed the page (and code)
/// when the browser is needed: it shows the page and opens it in the browser.
///
/// # Errors
/// The profile signs in no such way or names no role; the user declined or did not come back in
/// time; AWS refused; a cache was refused.
pub async fn sign_in_in_browser(
    env: &AwsEnv,
    profile: &str,
    waiting: impl FnOnce(Waiting) + Send,
) -> Result<Session, AwsError> {
    let invalid = |m: String| AwsError::new(ErrorKind::Invalid, m);
    let profiles = load(env).await?;
    let info = named(&profiles, profile)?;
    if info.sso.is_some() {
        let (settings, region) = sso_of(info)?;
        return sso_in_browser(env, profile, &settings, &region, waiting).await;
    }
    let region = info
        .region
        .clone()
        .unwrap_or_else(|| super::FALLBACK_REGION.to_owned());
    let Some(arn) = info.login_session.clone() else {
        return Err(invalid(format!(
            "Profile {profile} signs in with an MFA code, not in the browser"
        )));
    };
    match login::cached_session(env, profile, &arn, Some(&region)).await {
        Ok(session) => return Ok(session),
        // A cache keyfob must not touch stays untouched: say so rather than replace it.
        Err(e) if e.kind == ErrorKind::Invalid => return Err(e),
        Err(e) => tracing::debug!(profile, "no cached AWS Sign-In to use: {}", e.detail),
    }
    login_in_browser(env, profile, &region, Some(&arn), waiting).await
}

/// Signs in with AWS Sign-In in the browser as `profile` (made when missing), as `keyfob login`
/// does: the browser back to a loopback listener, the CLI's cache written, and `login_session`
/// (and the region, when the profile has none) written into the profile. A profile that signs in
/// another way (keys, a role, a device, IAM Identity Center) is refused, not changed.
///
/// # Errors
/// The profile signs in another way; the user declined or did not come back in time; AWS
/// refused; a cache or the config could not be written.
pub async fn login_as_profile(
    env: &AwsEnv,
    profile: &str,
    region: &str,
    waiting: impl FnOnce(Waiting) + Send,
) -> Result<Session, AwsError> {
    let invalid = |m: String| AwsError::new(ErrorKind::Invalid, m);
    if profile.is_empty()
        || !profile
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c))
    {
        return Err(invalid(format!(
            "'{profile}' is not a usable profile name (letters, digits and - _ . @ +)"
        )));
    }
    let profiles = load(env).await?;
    let existing = profiles.get(profile);
    if let Some(p) = existing {
        let other = p.has_keys
            || p.role_arn.is_some()
            || p.mfa_serial.is_some()
            || p.source_profile.is_some()
            || p.sso.is_some();
        if other {
            return Err(invalid(format!(
                "Profile {profile} signs in another way already: choose a new name for the AWS Sign-In profile"
            )));
        }
    }
    let region = existing
        .and_then(|p| p.region.clone())
        .unwrap_or_else(|| region.to_owned());
    let arn = existing.and_then(|p| p.login_session.clone());
    login_in_browser(env, profile, &region, arn.as_deref(), waiting).await
}

/// The browser part of an AWS Sign-In for `profile`, then the cache and the profile written.
async fn login_in_browser(
    env: &AwsEnv,
    profile: &str,
    region: &str,
    known: Option<&str>,
    waiting: impl FnOnce(Waiting) + Send,
) -> Result<Session, AwsError> {
    let invalid = |m: String| AwsError::new(ErrorKind::Invalid, m);
    let base = login::base_url(env, region).await?;
    let loopback = login::Loopback::bind().await?;
    let auth = login::Authorization::new(&base, Some(&loopback.redirect_uri()))?;
    waiting(Waiting {
        url: auth.url.clone(),
        user_code: None,
    });
    let callback = loopback.wait(BROWSER_WAIT).await?;
    let (signed_in, token) = auth.finish(env, region, &callback).await?;
    let dir = login::cache::default_dir().map_err(|e| invalid(e.to_string()))?;
    login::cache::write(&dir, &signed_in, &token).map_err(|e| invalid(e.to_string()))?;
    if known != Some(signed_in.as_str()) {
        // A new profile, or another user signed in: the profile follows, as `aws login` does.
        let config = super::config_file::default_path(&env.profile_files)
            .ok_or_else(|| invalid("There is no home directory for the AWS config".to_owned()))?;
        let values = [("login_session", signed_in.as_str()), ("region", region)];
        super::config_file::set_profile_values(&config, profile, &values)
            .map_err(|e| invalid(e.to_string()))?;
    }
    let credentials = crate::session::Credentials {
        access_key_id: token.access_key_id.clone(),
        secret_access_key: token.secret_access_key.clone(),
        session_token: Some(token.session_token.clone()),
    };
    login::session(
        env,
        profile,
        &signed_in,
        credentials,
        token.expires_at,
        Some(region),
    )
    .await
}

/// IAM Identity Center's part of [`sign_in_in_browser`]: the cached token, else the device
/// sign-in; then the profile's role.
async fn sso_in_browser(
    env: &AwsEnv,
    profile: &str,
    settings: &sso::SsoSettings,
    region: &str,
    waiting: impl FnOnce(Waiting) + Send,
) -> Result<Session, AwsError> {
    let role = settings.role().ok_or_else(|| {
        AwsError::new(
            ErrorKind::Invalid,
            format!(
                "Profile {profile} names no account and role (sso_account_id and sso_role_name)"
            ),
        )
    })?;
    let (clients, token) = sso_token(env, settings, waiting).await?;
    sso::role_session(env, &clients, &token, profile, role, Some(region)).await
}

/// The IAM Identity Center token for `settings`: the cached one (refreshed when it can be), else
/// the device sign-in in the browser, cached for the AWS CLI too.
async fn sso_token(
    env: &AwsEnv,
    settings: &sso::SsoSettings,
    waiting: impl FnOnce(Waiting) + Send,
) -> Result<(sso::Clients, sso::CachedToken), AwsError> {
    let invalid = |m: String| AwsError::new(ErrorKind::Invalid, m);
    let dir = sso_cache_dir(env)?;
    let clients = sso::Clients::new(env, &settings.region).await;
    if let Some(token) = sso::cached_token(&clients, settings, &dir).await? {
        return Ok((clients, token));
    }
    let token = if settings.session.is_some() {
        // The authorization code, back to this machine (what `aws sso login` does by default).
        let loopback = login::Loopback::bind().await?;
        let auth = sso::start_auth_code(env, &clients, settings, &loopback.redirect_uri()).await?;
        waiting(Waiting {
            url: auth.url.clone(),
            user_code: None,
        });
        let callback = loopback.wait(BROWSER_WAIT).await?;
        sso::finish_auth_code(&clients, settings, &auth, &callback).await?
    } else {
        // A legacy profile: the device sign-in, as the AWS CLI does for one.
        let pending = sso::start(&clients, settings).await?;
        waiting(Waiting {
            url: pending.url().to_owned(),
            user_code: Some(pending.user_code.clone()),
        });
        sso::wait(&clients, settings, &pending).await?
    };
    sso::cache::write(&dir, settings.cache_key(), &token).map_err(|e| invalid(e.to_string()))?;
    Ok((clients, token))
}

/// The profiles of the AWS config.
async fn load(env: &AwsEnv) -> Result<profiles::Profiles, AwsError> {
    profiles::load(&env.profile_files)
        .await
        .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))
}

/// The profile `name`, or the sentence saying there is none.
fn named<'p>(
    profiles: &'p profiles::Profiles,
    name: &str,
) -> Result<&'p profiles::ProfileInfo, AwsError> {
    profiles.get(name).ok_or_else(|| {
        AwsError::new(
            ErrorKind::Invalid,
            format!("There is no profile {name} in your AWS config"),
        )
    })
}

/// A profile's IAM Identity Center settings and the region its sessions are for.
fn sso_of(info: &profiles::ProfileInfo) -> Result<(sso::SsoSettings, String), AwsError> {
    let invalid = |m: String| AwsError::new(ErrorKind::Invalid, m);
    let settings = info
        .sso
        .clone()
        .ok_or_else(|| {
            invalid(format!(
                "Profile {} has no IAM Identity Center settings",
                info.name
            ))
        })?
        .map_err(invalid)?;
    let region = info
        .region
        .clone()
        .unwrap_or_else(|| super::FALLBACK_REGION.to_owned());
    Ok((settings, region))
}

/// The IAM Identity Center settings of profile `name` and the region its sessions are for.
async fn sso_settings(env: &AwsEnv, name: &str) -> Result<(sso::SsoSettings, String), AwsError> {
    sso_of(named(&load(env).await?, name)?)
}

/// What the profile's IAM Identity Center sign-in may choose: every account (signing in in the
/// browser first when no sign-in is cached), or, given an account, its roles.
///
/// # Errors
/// The profile has no IAM Identity Center settings; the sign-in failed; the portal refused.
pub async fn sso_choices(
    env: &AwsEnv,
    profile: &str,
    account_id: Option<&str>,
    waiting: impl FnOnce(Waiting) + Send,
) -> Result<SsoChoices, AwsError> {
    let (settings, _) = sso_settings(env, profile).await?;
    let (clients, token) = sso_token(env, &settings, waiting).await?;
    match account_id {
        None => sso::accounts(&clients, &token)
            .await
            .map(SsoChoices::Accounts),
        Some(a) => sso::roles(&clients, &token, a)
            .await
            .map(|roles| SsoChoices::Roles {
                account_id: a.to_owned(),
                roles,
            }),
    }
}

/// The accounts, or one account's roles, the user may choose from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsoChoices {
    /// Every account (ListAccounts, all pages).
    Accounts(Vec<sso::Account>),
    /// An account's roles.
    Roles {
        /// The account.
        account_id: String,
        /// Its roles (permission sets).
        roles: Vec<String>,
    },
}

/// The session of `role` in `account_id`, through the profile's IAM Identity Center sign-in
/// (cached, or signed in in the browser), named `ROLE@ACCOUNT` and renewed like the profile's.
///
/// # Errors
/// As [`sso_choices`]; the role is not the user's.
pub async fn sso_role(
    env: &AwsEnv,
    profile: &str,
    (account_id, role): (&str, &str),
    waiting: impl FnOnce(Waiting) + Send,
) -> Result<Session, AwsError> {
    let (settings, region) = sso_settings(env, profile).await?;
    let (clients, token) = sso_token(env, &settings, waiting).await?;
    let name = format!("{role}@{account_id}");
    let mut session = sso::role_session(
        env,
        &clients,
        &token,
        &name,
        (account_id, role),
        Some(&region),
    )
    .await?;
    // Renewal finds the sign-in through the profile it came from.
    session.origin.profile = Some(profile.to_owned());
    Ok(session)
}

/// Writes a profile `name` for `role` in `account_id`, signed in through `from`'s IAM Identity
/// Center settings, into the AWS config (as `aws configure sso` does; every other byte kept).
///
/// # Errors
/// The names are unusable, `from` has no such settings, or the config could not be written.
pub async fn save_sso_profile(
    env: &AwsEnv,
    from: &str,
    name: &str,
    (account_id, role): (&str, &str),
) -> Result<(), AwsError> {
    let invalid = |m: String| AwsError::new(ErrorKind::Invalid, m);
    let existing = load(env).await?;
    let (settings, region) = sso_of(named(&existing, from)?)?;
    if existing.get(name).is_some() {
        return Err(invalid(format!(
            "A profile {name} exists already: choose another name"
        )));
    }
    let path = super::config_file::default_path(&env.profile_files)
        .ok_or_else(|| invalid("There is no home directory for the AWS config".to_owned()))?;
    let mut values: Vec<(&str, &str)> = match &settings.session {
        Some(session) => vec![("sso_session", session.as_str())],
        None => vec![
            ("sso_start_url", settings.start_url.as_str()),
            ("sso_region", settings.region.as_str()),
        ],
    };
    values.extend([
        ("sso_account_id", account_id),
        ("sso_role_name", role),
        ("region", region.as_str()),
    ]);
    let path_shown = path.display().to_string();
    tokio::task::spawn_blocking({
        let (name, values) = (
            name.to_owned(),
            values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>(),
        );
        move || {
            let pairs: Vec<(&str, &str)> = values
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            super::config_file::set_profile_values(&path, &name, &pairs)
        }
    })
    .await
    .map_err(|e| invalid(format!("{path_shown} was left as it was: {e}")))?
    .map_err(|e| invalid(e.to_string()))?;
    Ok(())
}

/// IAM Identity Center's token cache: `env`'s, else the AWS CLI's.
fn sso_cache_dir(env: &AwsEnv) -> Result<std::path::PathBuf, AwsError> {
    match &env.sso_cache_dir {
        Some(d) => Ok(d.clone()),
        None => {
            sso::cache::default_dir().map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))
        }
    }
}
