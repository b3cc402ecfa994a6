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
            let profiles = profiles::load(&env.profile_files)
                .await
                .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
            let settings = match profiles.get(profile).and_then(|p| p.sso.clone()) {
                Some(Ok(s)) => s,
                Some(Err(why)) => return Err(AwsError::new(ErrorKind::Invalid, why)),
                None => {
                    return Err(AwsError::new(
                        ErrorKind::Invalid,
                        format!("profile {profile} no longer has IAM Identity Center settings"),
                    ));
                }
            };
            let dir = sso::cache::default_dir()
                .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
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
/// when it is still good (then no browser opens). `waiting` is told the page (and code) once the
/// browser has something to show; the page is opened with the system's browser.
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
    let profiles = profiles::load(&env.profile_files)
        .await
        .map_err(|e| invalid(e.to_string()))?;
    let info = profiles
        .get(profile)
        .ok_or_else(|| invalid(format!("There is no profile {profile} in your AWS config")))?;
    let region = info
        .region
        .clone()
        .unwrap_or_else(|| super::FALLBACK_REGION.to_owned());
    if let Some(settings) = &info.sso {
        let settings = settings.clone().map_err(invalid)?;
        return sso_in_browser(env, profile, &settings, &region, waiting).await;
    }
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
    let base = login::base_url(env, &region).await?;
    let loopback = login::Loopback::bind().await?;
    let auth = login::Authorization::new(&base, Some(&loopback.redirect_uri()))?;
    waiting(Waiting {
        url: auth.url.clone(),
        user_code: None,
    });
    open_browser(&auth.url).await;
    let callback = loopback.wait(BROWSER_WAIT).await?;
    let (signed_in, token) = auth.finish(env, &region, &callback).await?;
    let dir = login::cache::default_dir().map_err(|e| invalid(e.to_string()))?;
    login::cache::write(&dir, &signed_in, &token).map_err(|e| invalid(e.to_string()))?;
    if signed_in != arn {
        // Another user signed in: the profile follows, as `aws login` does when told yes.
        let config = super::config_file::default_path(&env.profile_files)
            .ok_or_else(|| invalid("There is no home directory for the AWS config".to_owned()))?;
        super::config_file::set_profile_values(&config, profile, &[("login_session", &signed_in)])
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
        Some(&region),
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
    let invalid = |m: String| AwsError::new(ErrorKind::Invalid, m);
    let role = settings.role().ok_or_else(|| {
        invalid(format!(
            "Profile {profile} names no account and role (sso_account_id and sso_role_name)"
        ))
    })?;
    let dir = sso::cache::default_dir().map_err(|e| invalid(e.to_string()))?;
    let clients = sso::Clients::new(env, &settings.region).await;
    let token = match sso::cached_token(&clients, settings, &dir).await? {
        Some(t) => t,
        None => {
            let pending = sso::start(&clients, settings).await?;
            waiting(Waiting {
                url: pending.url().to_owned(),
                user_code: Some(pending.user_code.clone()),
            });
            open_browser(pending.url()).await;
            let token = sso::wait(&clients, settings, &pending).await?;
            sso::cache::write(&dir, settings.cache_key(), &token)
                .map_err(|e| invalid(e.to_string()))?;
            token
        }
    };
    sso::role_session(env, &clients, &token, profile, role, Some(region)).await
}

/// Opens `url` in the system's browser, off the runtime's threads (the opener waits a moment to
/// see the browser start). A failure is only logged: the page is shown to be opened by hand.
async fn open_browser(url: &str) {
    let url = crate::secret::Secret::new(url.to_owned());
    let opened = tokio::task::spawn_blocking(move || crate::opener::open(&url)).await;
    match opened {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("could not open the browser: {e}"),
        Err(e) => tracing::warn!("the browser's thread stopped: {e}"),
    }
}
