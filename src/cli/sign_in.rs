//! `keyfob signin`: the profile's form, a role chained from a cached MFA session when it can be,
//! the code from the command line or the terminal, then the session kept in the keyring.

use std::io::{BufRead as _, IsTerminal as _, Write};
use std::time::SystemTime;

use super::{Ctx, FAILED, OK};
use crate::aws::sts::SignInRequest;
use crate::aws::{profiles, sts};
use crate::keystore;
use crate::session::{Session, countdown_text};
use crate::signin::{Plan, SignInForm, chain_parent_for};
use crate::validate;

/// `keyfob signin --profile P [--code C]`: signs in through the flow the profile describes (a role
/// is chained from a live cached MFA session without a code), keeps the session in the keyring and
/// says who and until when. A needed code not given comes from the profile's YubiKey OATH account
/// when it names one, else from the terminal.
pub async fn signin(
    ctx: &Ctx,
    profile: &str,
    code: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if let Some(kind) = super::browser::browser_sign_in(ctx, profile).await {
        let (what, verb) = match kind {
            super::browser::BrowserSignIn::Sso => ("IAM Identity Center", "sso"),
            super::browser::BrowserSignIn::Login => ("AWS Sign-In", "login"),
        };
        say!(
            err,
            "keyfob: profile {profile} signs in through {what} in the browser, not with a code: run `keyfob {verb} --profile {profile}`"
        );
        return FAILED;
    }
    let Some((mut form, oath)) = profile_form(ctx, profile, err).await else {
        return FAILED;
    };
    let now = SystemTime::now();
    let cached = cached_sessions(ctx, now, err);
    let code = CodeFrom::new(code, oath.as_deref());
    let Some(mut request) = checked_request(&mut form, &cached, now, &code, err) else {
        return FAILED;
    };
    match keystore::resolve_source(ctx.keystore.as_ref().ok(), &request.source) {
        Ok(s) => request.source = s,
        Err(e) => {
            say!(err, "keyfob: {}", e.message);
            return FAILED;
        }
    }
    let session = match sts::sign_in(&ctx.env, &request).await {
        Ok(s) => s,
        Err(e) => {
            say!(err, "keyfob: {}", e.message);
            if !e.detail.is_empty() {
                say!(err, "  ({})", e.detail);
            }
            return FAILED;
        }
    };
    report_and_keep(ctx, &session, out, err)
}

/// Whether `profile` names a YubiKey OATH account (so it can sign in with no one typing).
pub(super) async fn has_oath_account(ctx: &Ctx, profile: &str) -> bool {
    let mut quiet = std::io::sink();
    profile_form(ctx, profile, &mut quiet)
        .await
        .is_some_and(|(_, oath)| oath.is_some())
}

/// A fresh role session for `profile`, chained from a live cached MFA session with no code, and
/// kept in the keyring; `None` when the profile's role cannot be chained now (no role, no live MFA
/// session from the same source, a duration over the 1-hour cap, or AWS said no). Never asks.
pub(super) async fn chain_again(ctx: &Ctx, profile: &str) -> Option<Session> {
    let mut quiet = std::io::sink();
    let (form, _) = profile_form(ctx, profile, &mut quiet).await?;
    let now = SystemTime::now();
    let cached = cached_sessions(ctx, now, &mut quiet);
    let parent = chain_parent_for(&form, &cached, now);
    if form.plan(parent) != Plan::Chained {
        return None;
    }
    let request = form.check(parent).ok()?;
    let session = sts::sign_in(&ctx.env, &request).await.ok()?;
    tracing::debug!(profile, "chained afresh from the MFA session");
    ctx.keystore.as_ref().ok()?.save_session(&session).ok()?;
    Some(session)
}

/// The sign-in form filled from the AWS config's profile `profile` and its YubiKey OATH account,
/// or a message saying why not.
async fn profile_form(
    ctx: &Ctx,
    profile: &str,
    err: &mut dyn Write,
) -> Option<(SignInForm, Option<String>)> {
    let profiles = match profiles::load(&ctx.env.profile_files).await {
        Ok(p) => p,
        Err(e) => {
            say!(err, "keyfob: {e}");
            return None;
        }
    };
    let Some(info) = profiles.get(profile) else {
        let names: Vec<&str> = profiles.list.iter().map(|p| p.name.as_str()).collect();
        say!(
            err,
            "keyfob: there is no profile {profile} in your AWS config (found: {})",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        );
        return None;
    };
    let mut form = SignInForm::default();
    form.fill_from(info);
    Some((form, info.oath_account.clone()))
}

/// Where a needed code comes from: the command line, the YubiKey, or the terminal.
enum CodeFrom<'a> {
    Given(&'a str),
    Key(&'a str),
    Terminal,
}

impl<'a> CodeFrom<'a> {
    fn new(given: Option<&'a str>, oath: Option<&'a str>) -> Self {
        match (given, oath) {
            (Some(c), _) => Self::Given(c),
            (None, Some(account)) => Self::Key(account),
            (None, None) => Self::Terminal,
        }
    }

    /// The code, or `None` with a message.
    fn get(&self, serial: &str, err: &mut dyn Write) -> Option<String> {
        match self {
            Self::Given(c) => Some((*c).to_owned()),
            Self::Terminal => prompt_code(serial, err),
            Self::Key(account) => {
                say!(
                    err,
                    "Touch your YubiKey if it flashes (OATH account {account})…"
                );
                match crate::oath::code(account, crate::oath::touch_timeout()) {
                    Ok(code) => Some(code.expose().to_owned()),
                    Err(e) => {
                        say!(err, "keyfob: {e}");
                        None
                    }
                }
            }
        }
    }
}

/// The keyring's sessions still good for use at `now`: a role may be chained from one of them.
fn cached_sessions(ctx: &Ctx, now: SystemTime, err: &mut dyn Write) -> Vec<Session> {
    match &ctx.keystore {
        Ok(k) => match k.load_all() {
            Ok(c) => c
                .sessions
                .into_iter()
                .filter(|s| s.usable_for_cache(now))
                .collect(),
            Err(e) => {
                say!(err, "keyfob: {e}");
                Vec::new()
            }
        },
        Err(_) => Vec::new(),
    }
}

/// The form's request, chained from a cached MFA session when it can be, with the code given or
/// typed when one is needed; or the form's complaints.
fn checked_request(
    form: &mut SignInForm,
    cached: &[Session],
    now: SystemTime,
    code: &CodeFrom<'_>,
    err: &mut dyn Write,
) -> Option<SignInRequest> {
    let mut parent = chain_parent_for(form, cached, now);
    // A role chained from the MFA session is capped at 1 h; a longer profile duration takes the
    // direct flow with a code instead.
    if form.plan(parent) == Plan::Chained && form.check(parent).is_err() {
        form.chain = false;
        parent = None;
    }
    if form.plan(parent).needs_code() {
        let typed = code.get(&form.fields.mfa_serial, err)?;
        form.code = validate::clean_code(&typed);
    }
    match form.check(parent) {
        Ok(r) => Some(r),
        Err(errors) => {
            for (field, message) in errors {
                say!(err, "keyfob: {}: {message}", field.label());
            }
            None
        }
    }
}

/// Says who is signed in until when, and keeps the session in the keyring for the other commands.
pub(super) fn report_and_keep(
    ctx: &Ctx,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let who = session.identity.as_ref().map_or_else(
        || session.credentials.access_key_id.clone(),
        |i| i.arn.clone(),
    );
    say!(
        out,
        "Signed in as {who} until {} ({} left): {}",
        session.expiration_rfc3339(),
        countdown_text(session.remaining(SystemTime::now())),
        session.kind.describe()
    );
    let Some(ks) = ctx.keystore(err) else {
        say!(
            err,
            "keyfob: the session was not kept: the other commands cannot use it"
        );
        return FAILED;
    };
    if let Err(e) = ks.save_session(session) {
        say!(err, "keyfob: the session was not kept in the keyring: {e}");
        return FAILED;
    }
    say!(out, "Kept in the keyring as {}", session.name);
    OK
}

/// Reads the code from the terminal; `None` (with a message) when there is no terminal.
fn prompt_code(serial: &str, err: &mut dyn Write) -> Option<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        say!(
            err,
            "keyfob: an MFA code is needed: pass --code 123456 (there is no terminal to ask on)"
        );
        return None;
    }
    let _ = write!(err, "MFA code for {serial}: ");
    let _ = err.flush();
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(n) if n > 0 => Some(line),
        _ => {
            say!(err, "keyfob: no code was typed");
            None
        }
    }
}
