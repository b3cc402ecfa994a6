//! `keyfob login`: signs in with AWS Sign-In (what `aws login` does) for a profile — the console
//! sign-in in the browser (password and passkey, security key or code), the browser coming back
//! to keyfob on 127.0.0.1; or, with `--remote`, the page opened on any device and its code pasted
//! here. The sign-in is cached where the AWS CLI caches it and the profile gets `login_session`,
//! so `aws` and the SDKs use it with no keyfob running; the session is kept like every other.

use std::io::{BufRead, Write};
use std::time::Duration;

use super::{Ctx, FAILED, browser};
use crate::aws::config_file;
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::login::{self, Authorization, Loopback, cache};
use crate::aws::{FALLBACK_REGION, profiles};
use crate::secret::Secret;
use crate::session::{Credentials, Session};

/// What the command was asked for.
#[derive(Clone, Copy, Debug)]
pub struct LoginOptions<'a> {
    /// The region to sign in to (else the profile's, else `AWS_REGION`, else us-east-1); written
    /// into the profile when it has none.
    pub region: Option<&'a str>,
    /// Sign in on another device and paste the code here.
    pub remote: bool,
    /// Open the page in the browser (else only print it).
    pub open_browser: bool,
    /// How long to wait for the browser.
    pub wait: Duration,
}

/// `keyfob login --profile P`.
#[allow(clippy::too_many_lines)] // one story, in the order the user sees it
pub async fn login(
    ctx: &Ctx,
    profile: &str,
    opts: LoginOptions<'_>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let info = match profiles::load(&ctx.env.profile_files).await {
        Ok(p) => p.get(profile).cloned(),
        Err(e) => {
            say!(err, "keyfob: {e}");
            return FAILED;
        }
    };
    let profile_region = info.as_ref().and_then(|i| i.region.clone());
    let region = opts
        .region
        .map(str::to_owned)
        .or_else(|| profile_region.clone())
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
        .unwrap_or_else(|| FALLBACK_REGION.to_owned());
    let Some(config) = config_file::default_path(&ctx.env.profile_files) else {
        say!(
            err,
            "keyfob: there is no home directory for the AWS config: set AWS_CONFIG_FILE"
        );
        return FAILED;
    };
    let (login_session, token) = match sign_in(ctx, &region, opts, input, err).await {
        Ok(t) => t,
        Err(e) => return browser::failed(&e, err),
    };
    let dir = match cache::default_dir() {
        Ok(d) => d,
        Err(e) => {
            say!(err, "keyfob: {e}");
            return FAILED;
        }
    };
    if let Err(e) = cache::write(&dir, &login_session, &token) {
        say!(err, "keyfob: {e}");
        return FAILED;
    }
    let mut values = vec![("login_session", login_session.as_str())];
    if profile_region.is_none() {
        values.push(("region", region.as_str()));
    }
    match config_file::set_profile_values(&config, profile, &values) {
        Ok(old) => {
            if let Some(Some(was)) = old.first().filter(|o| o.as_deref() != Some(&login_session)) {
                say!(
                    err,
                    "Profile {profile} used the sign-in of {was}; it now uses {login_session}."
                );
            }
        }
        Err(e) => {
            say!(
                err,
                "keyfob: signed in, but the profile was not updated: {e}"
            );
            return FAILED;
        }
    }
    let credentials = Credentials {
        access_key_id: token.access_key_id.clone(),
        secret_access_key: token.secret_access_key.clone(),
        session_token: Some(token.session_token.clone()),
    };
    let session = match login::session(
        &ctx.env,
        profile,
        &login_session,
        credentials,
        token.expires_at,
        Some(&region),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return browser::failed(&e, err),
    };
    say!(
        out,
        "Signed in with AWS Sign-In as {login_session}; profile {profile} in {} uses it (the AWS CLI and SDKs too).",
        config.display()
    );
    super::sign_in::report_and_keep(ctx, &session, out, err)
}

/// A fresh session for `profile` from its cached AWS Sign-In token (renewed when it is near its
/// end), kept in the keyring. Never opens a browser.
///
/// # Errors
/// One sentence: the profile has no `login_session`, the cache was refused, the sign-in ended.
pub(super) async fn renew_quietly(ctx: &Ctx, profile: &str) -> Result<Session, String> {
    let profiles = profiles::load(&ctx.env.profile_files)
        .await
        .map_err(|e| e.to_string())?;
    let info = profiles
        .get(profile)
        .ok_or_else(|| format!("there is no profile {profile} in your AWS config"))?;
    let arn = info
        .login_session
        .as_deref()
        .ok_or_else(|| format!("profile {profile} has no login_session"))?;
    let session = login::cached_session(&ctx.env, profile, arn, info.region.as_deref())
        .await
        .map_err(|e| {
            tracing::debug!(profile, "no AWS Sign-In session: {}", e.detail);
            e.message
        })?;
    let keystore = ctx.keystore.as_ref().map_err(ToString::to_string)?;
    keystore.save_session(&session).map_err(|e| e.to_string())?;
    Ok(session)
}

/// The browser's part: the page opened (or shown), the code back, exchanged for the token.
async fn sign_in(
    ctx: &Ctx,
    region: &str,
    opts: LoginOptions<'_>,
    input: &mut dyn BufRead,
    err: &mut dyn Write,
) -> Result<(String, cache::LoginToken), AwsError> {
    let base = login::base_url(&ctx.env, region).await?;
    if opts.remote {
        let auth = Authorization::new(&base, None)?;
        say!(
            err,
            "Open this page in a browser on any device and sign in:\n{}\nThen paste the code the page shows here:",
            auth.url
        );
        let mut line = String::new();
        input.read_line(&mut line).map_err(|e| {
            AwsError::new(
                ErrorKind::Other,
                format!("keyfob could not read the code: {e}"),
            )
        })?;
        let line = Secret::new(line);
        let callback = login::parse_pasted_code(line.expose())
            .map_err(|why| AwsError::new(ErrorKind::Invalid, why))?;
        return auth.finish(&ctx.env, region, &callback).await;
    }
    let loopback = Loopback::bind().await?;
    let auth = Authorization::new(&base, Some(&loopback.redirect_uri()))?;
    say!(
        err,
        "Sign in to AWS in your browser: {}\n(waiting up to {} min; with no browser here, use --remote)",
        auth.url,
        opts.wait.as_secs().div_ceil(60)
    );
    if opts.open_browser {
        // The page is no secret (signing in still takes the user's password and passkey): the
        // opener takes one for the console's sign-in URLs, which are.
        if let Err(e) = crate::opener::open(&Secret::new(auth.url.clone())) {
            say!(
                err,
                "keyfob: could not open a browser ({e}); open the page above yourself"
            );
        }
    }
    let callback = loopback.wait(opts.wait).await?;
    auth.finish(&ctx.env, region, &callback).await
}
