//! The headless commands: `signin`, `export`, `credential-process`, `sessions`, `signout`. They
//! share the window's code (the form's checks, the STS flows, the keyring) and never open a window.
//! Results go to `out`, messages to `err`; each returns the process exit code.

use std::io::{BufRead as _, IsTerminal as _, Write};
use std::time::SystemTime;

use crate::aws::sts::SignInRequest;
use crate::aws::{AwsEnv, profiles, sts};
use crate::credfile::CredFile;
use crate::export::ExportFormat;
use crate::keystore::{self, Keystore, KeystoreError};
use crate::session::{Session, countdown_text, rfc3339};
use crate::signin::{Plan, SignInForm, chain_parent_for};
use crate::validate;

pub const OK: u8 = 0;
/// The command could not do its job (no session, AWS refused, no keyring …).
pub const FAILED: u8 = 1;

/// The output formats of `keyfob export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `export NAME='value'` (bash, zsh, sh)
    Bash,
    /// `set -gx NAME 'value'`
    Fish,
    /// `$Env:NAME = "value"`
    Powershell,
    /// `set "NAME=value"` (cmd.exe)
    Cmd,
    /// `NAME='value'` (.env files)
    Dotenv,
    /// the `credential_process` JSON
    Json,
}

impl Format {
    fn shell(self) -> Option<ExportFormat> {
        match self {
            Self::Bash => Some(ExportFormat::Bash),
            Self::Fish => Some(ExportFormat::Fish),
            Self::Powershell => Some(ExportFormat::PowerShell),
            Self::Cmd => Some(ExportFormat::Cmd),
            Self::Dotenv => Some(ExportFormat::DotEnv),
            Self::Json => None,
        }
    }
}

/// Where the commands find things.
#[derive(Debug)]
pub struct Ctx {
    /// How to reach AWS (the SDK's environment by default).
    pub env: AwsEnv,
    /// The keyring, or why it is not there.
    pub keystore: Result<Keystore, KeystoreError>,
}

macro_rules! say {
    ($w:expr, $($arg:tt)*) => {
        // A closed stdout/stderr (e.g. `| head`) is not worth a panic.
        let _ = writeln!($w, $($arg)*);
    };
}

impl Ctx {
    fn keystore(&self, err: &mut dyn Write) -> Option<&Keystore> {
        match &self.keystore {
            Ok(k) => Some(k),
            Err(e) => {
                say!(err, "keyfob: {e}");
                None
            }
        }
    }

    /// The live cached session `name`, or a message saying how to get one.
    fn live(&self, name: &str, now: SystemTime, err: &mut dyn Write) -> Option<Session> {
        let ks = self.keystore(err)?;
        match ks.session(name) {
            Ok(Some(s)) if s.usable_for_cache(now) => Some(s),
            Ok(Some(s)) => {
                say!(
                    err,
                    "keyfob: the session for {name} {} {}: run `keyfob signin --profile {name}`",
                    if s.is_expired(now) {
                        "expired at"
                    } else {
                        "ends within 5 minutes, at"
                    },
                    rfc3339(s.expires_at)
                );
                None
            }
            Ok(None) => {
                say!(
                    err,
                    "keyfob: no session for {name} in the keyring: run `keyfob signin --profile {name}` (or sign in in the keyfob window)"
                );
                None
            }
            Err(e) => {
                say!(err, "keyfob: {e}");
                None
            }
        }
    }
}

/// `keyfob signin --profile P [--code C]`: signs in through the flow the profile describes (a role
/// is chained from a live cached MFA session without a code), keeps the session in the keyring and
/// says who and until when. Asks for the code on the terminal when none is given and one is needed.
pub async fn signin(
    ctx: &Ctx,
    profile: &str,
    code: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let Some(mut form) = profile_form(ctx, profile, err).await else {
        return FAILED;
    };
    let now = SystemTime::now();
    let cached = cached_sessions(ctx, now, err);
    let Some(mut request) = checked_request(&mut form, &cached, now, code, err) else {
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

/// The sign-in form filled from the AWS config's profile `profile`, or a message saying why not.
async fn profile_form(ctx: &Ctx, profile: &str, err: &mut dyn Write) -> Option<SignInForm> {
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
    Some(form)
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
    code: Option<&str>,
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
        let typed = match code {
            Some(c) => c.to_owned(),
            None => prompt_code(&form.fields.mfa_serial, err)?,
        };
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
fn report_and_keep(ctx: &Ctx, session: &Session, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
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

/// `keyfob export --profile P --format F`: the cached session's export lines; or, with
/// `write_profile`, writes it into the credentials file instead (showing the change first).
pub fn export(
    ctx: &Ctx,
    profile: &str,
    format: Format,
    write_profile: Option<&str>,
    replace_long_term: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let Some(session) = ctx.live(profile, SystemTime::now(), err) else {
        return FAILED;
    };
    if let Some(name) = write_profile {
        return write_into_file(ctx, &session, name, replace_long_term, err);
    }
    let text = match format.shell() {
        None => session.credential_process_json(),
        Some(f) => match session.export(f) {
            Ok(t) => t,
            Err(e) => {
                say!(err, "keyfob: {e}");
                return FAILED;
            }
        },
    };
    let _ = out.write_all(text.expose().as_bytes());
    OK
}

fn write_into_file(
    ctx: &Ctx,
    session: &Session,
    name: &str,
    replace_long_term: bool,
    err: &mut dyn Write,
) -> u8 {
    let Some(path) = ctx.env.credentials_path() else {
        say!(
            err,
            "keyfob: no home directory: set AWS_SHARED_CREDENTIALS_FILE"
        );
        return FAILED;
    };
    let result = CredFile::read(&path).and_then(|file| {
        let edit = file.plan(name, session)?;
        say!(
            err,
            "{} [{}] in {}:\n{}",
            if edit.replaces { "Replacing" } else { "Adding" },
            name,
            path.display(),
            edit.preview
        );
        file.write(&edit, replace_long_term, SystemTime::now())
    });
    match result {
        Ok(backup) => {
            say!(
                err,
                "Wrote [{name}] (temporary credentials until {}){}",
                session.expiration_rfc3339(),
                backup.map_or_else(String::new, |b| format!("; backup: {}", b.display()))
            );
            OK
        }
        Err(crate::credfile::CredFileError::LongTermKeys(p)) => {
            say!(
                err,
                "keyfob: [{p}] holds long-term keys: add --replace-long-term-keys to replace them (a backup is kept)"
            );
            FAILED
        }
        Err(e) => {
            say!(err, "keyfob: {e}");
            FAILED
        }
    }
}

/// `keyfob credential-process --profile P`: the `credential_process` JSON of the cached session.
/// Never asks for anything (the AWS CLI gives it no terminal); says to sign in when there is no
/// live session.
pub fn credential_process(
    ctx: &Ctx,
    profile: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let Some(session) = ctx.live(profile, SystemTime::now(), err) else {
        return FAILED;
    };
    let _ = out.write_all(session.credential_process_json().expose().as_bytes());
    OK
}

/// `keyfob sessions`: the cached sessions and their time left.
pub fn sessions(ctx: &Ctx, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let Some(ks) = ctx.keystore(err) else {
        return FAILED;
    };
    let contents = match ks.load_all() {
        Ok(c) => c,
        Err(e) => {
            say!(err, "keyfob: {e}");
            return FAILED;
        }
    };
    for p in &contents.problems {
        say!(err, "keyfob: {p}");
    }
    if contents.sessions.is_empty() {
        say!(out, "No cached sessions.");
        return OK;
    }
    let now = SystemTime::now();
    let width = contents
        .sessions
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    say!(
        out,
        "{:width$}  {:12}  {:20}  {:9}  WHO",
        "NAME",
        "ACCOUNT",
        "EXPIRES",
        "LEFT"
    );
    for s in &contents.sessions {
        let left = if s.is_expired(now) {
            "expired".to_owned()
        } else if !s.usable_for_cache(now) {
            format!("{} (renew)", countdown_text(s.remaining(now)))
        } else {
            countdown_text(s.remaining(now))
        };
        say!(
            out,
            "{:width$}  {:12}  {:20}  {:9}  {}",
            s.name,
            s.identity.as_ref().map_or("?", |i| i.account.as_str()),
            s.expiration_rfc3339(),
            left,
            s.identity.as_ref().map_or("?", |i| i.arn.as_str())
        );
    }
    OK
}

/// `keyfob signout --profile P`: deletes the cached session.
pub fn signout(ctx: &Ctx, profile: &str, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let Some(ks) = ctx.keystore(err) else {
        return FAILED;
    };
    match ks.delete_session(profile) {
        Ok(true) => {
            say!(
                out,
                "Signed out: the session for {profile} is gone from the keyring"
            );
            OK
        }
        Ok(false) => {
            say!(out, "There was no cached session for {profile}");
            OK
        }
        Err(e) => {
            say!(err, "keyfob: {e}");
            FAILED
        }
    }
}
