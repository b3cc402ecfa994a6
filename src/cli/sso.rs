//! `keyfob sso`: signs in through IAM Identity Center for a profile of the AWS config — the cached
//! token when it is still good (refreshed when it can be), else the device authorization in the
//! browser — then gets the profile's role credentials and keeps them like every session.

use std::io::Write;
use std::time::SystemTime;

use super::{Ctx, FAILED, browser};
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::sso::{self, Clients, SsoSettings, cache};
use crate::aws::{FALLBACK_REGION, profiles};
use crate::secret::Secret;
use crate::session::Session;

/// What the command was asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct SsoOptions<'a> {
    /// The account, overriding the profile's `sso_account_id`.
    pub account_id: Option<&'a str>,
    /// The role, overriding the profile's `sso_role_name`.
    pub role_name: Option<&'a str>,
    /// Open the approval page in the browser (else only print it).
    pub open_browser: bool,
    /// Sign in again even when the cached token is good.
    pub force: bool,
    /// The device sign-in (a code to approve, on any device) instead of the browser coming back
    /// to this machine.
    pub use_device_code: bool,
}

/// `keyfob sso --profile P`: the profile's IAM Identity Center role, signed in and kept.
pub async fn sso(
    ctx: &Ctx,
    profile: &str,
    opts: SsoOptions<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let Some((settings, region)) = settings_of(ctx, profile, err).await else {
        return FAILED;
    };
    let dir = match cache::default_dir() {
        Ok(d) => d,
        Err(e) => {
            say!(err, "keyfob: {e}");
            return FAILED;
        }
    };
    let clients = Clients::new(&ctx.env, &settings.region).await;
    let cached = if opts.force {
        Ok(None)
    } else {
        sso::cached_token(&clients, &settings, &dir).await
    };
    let token = match cached {
        Ok(Some(t)) => t,
        Ok(None) => match sign_in(ctx, &clients, &settings, opts, err).await {
            Ok(t) => {
                if let Err(e) = cache::write(&dir, settings.cache_key(), &t) {
                    say!(err, "keyfob: {e}");
                    return FAILED;
                }
                t
            }
            Err(e) => return browser::failed(&e, err),
        },
        Err(e) => return browser::failed(&e, err),
    };
    let account = opts.account_id.or(settings.account_id.as_deref());
    let role = opts.role_name.or(settings.role_name.as_deref());
    let (Some(account), Some(role)) = (account, role) else {
        return list_choices(&clients, &token, account, err).await;
    };
    match sso::role_session(
        &ctx.env,
        &clients,
        &token,
        profile,
        (account, role),
        Some(&region),
    )
    .await
    {
        Ok(session) => super::sign_in::report_and_keep(ctx, &session, out, err),
        Err(e) => browser::failed(&e, err),
    }
}

/// A fresh role session for `profile` from the cached IAM Identity Center token (refreshed when
/// it can be), kept in the keyring. Never opens a browser.
///
/// # Errors
/// One sentence: the profile is no IAM Identity Center role, its cache was refused, a person
/// must sign in again.
pub(super) async fn renew_quietly(ctx: &Ctx, profile: &str) -> Result<Session, String> {
    let mut why = Vec::new();
    let Some((settings, region)) = settings_of(ctx, profile, &mut why).await else {
        let why = String::from_utf8_lossy(&why);
        return Err(why.trim().trim_start_matches("keyfob: ").to_owned());
    };
    let role = settings
        .role()
        .ok_or_else(|| format!("profile {profile} names no account and role"))?;
    let dir = cache::default_dir().map_err(|e| e.to_string())?;
    let clients = Clients::new(&ctx.env, &settings.region).await;
    let ended = || {
        format!(
            "the IAM Identity Center sign-in for {profile} has ended: run `keyfob sso --profile {profile}`"
        )
    };
    let token = sso::cached_token(&clients, &settings, &dir)
        .await
        .map_err(|e| e.message)?
        .ok_or_else(ended)?;
    let session = sso::role_session(&ctx.env, &clients, &token, profile, role, Some(&region))
        .await
        .map_err(|e| match e.kind {
            ErrorKind::Expired => ended(),
            _ => e.message,
        })?;
    tracing::debug!(
        profile,
        "new role credentials from the IAM Identity Center token"
    );
    let keystore = ctx.keystore.as_ref().map_err(ToString::to_string)?;
    keystore.save_session(&session).map_err(|e| e.to_string())?;
    Ok(session)
}

/// The profile's IAM Identity Center settings and the region its session is for, or a message.
async fn settings_of(
    ctx: &Ctx,
    profile: &str,
    err: &mut dyn Write,
) -> Option<(SsoSettings, String)> {
    let profiles = match profiles::load(&ctx.env.profile_files).await {
        Ok(p) => p,
        Err(e) => {
            say!(err, "keyfob: {e}");
            return None;
        }
    };
    let Some(info) = profiles.get(profile) else {
        say!(
            err,
            "keyfob: there is no profile {profile} in your AWS config"
        );
        return None;
    };
    match &info.sso {
        Some(Ok(s)) => {
            let region = info.region.clone().unwrap_or_else(|| {
                std::env::var("AWS_REGION")
                    .ok()
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| FALLBACK_REGION.to_owned())
            });
            Some((s.clone(), region))
        }
        Some(Err(why)) => {
            say!(err, "keyfob: {why}");
            None
        }
        None => {
            say!(
                err,
                "keyfob: profile {profile} has no IAM Identity Center settings (sso_session, or sso_start_url and sso_region); sign in with `keyfob signin` instead"
            );
            None
        }
    }
}

/// The sign-in in the browser: the authorization code coming back to 127.0.0.1 (what `aws sso
/// login` does by default) for an sso-session profile, else (a legacy profile, or asked) the
/// device authorization with its code.
async fn sign_in(
    ctx: &Ctx,
    clients: &Clients,
    settings: &SsoSettings,
    opts: SsoOptions<'_>,
    err: &mut dyn Write,
) -> Result<sso::CachedToken, AwsError> {
    if settings.session.is_none() || opts.use_device_code {
        return device_sign_in(clients, settings, opts.open_browser, err).await;
    }
    let loopback = crate::aws::login::Loopback::bind().await?;
    let auth = sso::start_auth_code(&ctx.env, clients, settings, &loopback.redirect_uri()).await?;
    say!(
        err,
        "Sign in to {} in your browser: {}\n(waiting up to 10 min; on another device, use --use-device-code)",
        settings.start_url,
        auth.url
    );
    if opts.open_browser
        && let Err(e) = crate::opener::open(&Secret::new(auth.url.clone()))
    {
        say!(
            err,
            "keyfob: could not open a browser ({e}); open the page above yourself"
        );
    }
    let callback = loopback
        .wait(crate::aws::cached_sign_in::BROWSER_WAIT)
        .await?;
    let token = sso::finish_auth_code(clients, settings, &auth, &callback).await?;
    say!(err, "Signed in.");
    Ok(token)
}

/// The device authorization: the page and code shown (the page opened when asked), then the
/// wait for the approval.
async fn device_sign_in(
    clients: &Clients,
    settings: &SsoSettings,
    open_browser: bool,
    err: &mut dyn Write,
) -> Result<sso::CachedToken, AwsError> {
    let pending = sso::start(clients, settings).await?;
    let left = pending
        .expires_at
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    say!(
        err,
        "Approve the sign-in to {} in your browser: {}\nThe code it shows must be: {}\n(waiting up to {} min)",
        settings.start_url,
        pending.url(),
        pending.user_code,
        left.as_secs().div_ceil(60)
    );
    if open_browser {
        // The URL is no secret (approving still takes the user's own sign-in): the opener takes
        // one for the console's sign-in URLs, which are.
        if let Err(e) = crate::opener::open(&Secret::new(pending.url())) {
            say!(
                err,
                "keyfob: could not open a browser ({e}); open the page above yourself"
            );
        }
    }
    let token = sso::wait(clients, settings, &pending).await?;
    say!(err, "Approved.");
    Ok(token)
}

/// No account or role given: says which the token may use, so the user can pick.
async fn list_choices(
    clients: &Clients,
    token: &sso::CachedToken,
    account: Option<&str>,
    err: &mut dyn Write,
) -> u8 {
    match account {
        Some(account) => match sso::roles(clients, token, account).await {
            Ok(roles) => {
                say!(
                    err,
                    "keyfob: choose a role in account {account} with --role-name (or sso_role_name in the profile): {}",
                    if roles.is_empty() {
                        "you have none there".to_owned()
                    } else {
                        roles.join(", ")
                    }
                );
            }
            Err(e) => return browser::failed(&e, err),
        },
        None => match sso::accounts(clients, token).await {
            Ok(accounts) => {
                say!(
                    err,
                    "keyfob: choose an account with --account-id (or sso_account_id in the profile):"
                );
                for a in &accounts {
                    say!(err, "  {}  {}  {}", a.id, a.name, a.email);
                }
            }
            Err(e) => return browser::failed(&e, err),
        },
    }
    FAILED
}
