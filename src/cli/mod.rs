//! The headless commands: `signin`, `export`, `credential-process`, `exec`, `console`, `sessions`,
//! `signout`. They share the window's code (the form's checks, the STS flows, the keyring) and
//! never open a window.
//! Results go to `out`, messages to `err`; each returns the process exit code.

use std::io::Write;
use std::time::{Duration, SystemTime};

use crate::aws::AwsEnv;
use crate::credfile::CredFile;
use crate::export::ExportFormat;
use crate::keystore::{Keystore, KeystoreError};
use crate::session::{Session, countdown_text, rfc3339};

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

/// Whether a command may wait for a person when there is no live session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// A touch of the YubiKey, or a code in keyfob's prompt (`credential-process`, `exec`).
    Person,
    /// Never (`exec --server`'s endpoint, which must answer within a second).
    Never,
}

/// Where the commands find things.
#[derive(Clone, Debug)]
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

// Below `say!`: a macro_rules macro is only visible after its definition.
mod browser;
mod console;
pub mod cred_server;
mod exec;
mod for_tool;
mod login;
#[cfg(unix)]
pub mod prompt;
mod s3;
mod sign_in;
mod sso;

pub use self::console::console;
pub use self::exec::exec;
pub use self::login::{LoginOptions, login};
pub use self::s3::{SyncOptions, sync as s3_sync};
pub use self::sign_in::signin;
pub use self::sso::{SsoOptions, sso};

/// How long before its end a role session chained from an MFA session is chained afresh for a
/// tool: `KEYFOB_RENEW_MINUTES` (default 10; 0 turns renewing off).
pub const RENEW_ENV: &str = "KEYFOB_RENEW_MINUTES";

fn renew_window() -> Duration {
    let minutes = std::env::var(RENEW_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(10);
    Duration::from_secs(minutes * 60)
}

impl Ctx {
    /// The session `name` as the keyring has it (one keyring call).
    fn read_session(&self, name: &str) -> Result<Option<Session>, KeystoreError> {
        match &self.keystore {
            Ok(k) => k.session(name),
            Err(e) => Err(e.clone()),
        }
    }

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
        self.usable_or_say(name, ks.session(name), now, err)
    }

    /// The command that signs `name` in: `keyfob sso` or `keyfob login` for a profile that signs in
    /// in the browser, else `keyfob signin`.
    fn sign_in_command(&self, name: &str) -> String {
        let config = crate::aws::config_file::default_path(&self.env.profile_files);
        let keys = ["sso_session", "sso_start_url", "login_session"];
        let set = config.map(|c| crate::aws::config_file::profile_sets(&c, name, &keys));
        let verb = match set.as_deref().unwrap_or_default() {
            [] => "signin",
            [k, ..] if k.starts_with("sso") => "sso",
            _ => "login",
        };
        format!("keyfob {verb} --profile {name}")
    }

    /// The session read from the keyring if it is good for use at `now`, else the sentence saying
    /// how to get one.
    fn usable_or_say(
        &self,
        name: &str,
        read: Result<Option<Session>, KeystoreError>,
        now: SystemTime,
        err: &mut dyn Write,
    ) -> Option<Session> {
        match read {
            Ok(Some(s)) if s.usable_for_cache(now) => Some(s),
            Ok(Some(s)) => {
                say!(
                    err,
                    "keyfob: the session for {name} {} {}: run `{}`",
                    if s.is_expired(now) {
                        "expired at"
                    } else {
                        "ends within 5 minutes, at"
                    },
                    rfc3339(s.expires_at),
                    self.sign_in_command(name)
                );
                None
            }
            Ok(None) => {
                say!(
                    err,
                    "keyfob: no session for {name} in the keyring: run `{}` (or sign in in the keyfob window)",
                    self.sign_in_command(name)
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

/// `keyfob credential-process --profile P`: the `credential_process` JSON of the session (a role
/// is chained afresh from the MFA session when due, see [`Ctx::session_for_tool`]). Never asks for
/// anything (the AWS CLI gives it no terminal); says to sign in when there is no live session.
pub async fn credential_process(
    ctx: &Ctx,
    profile: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let Some(session) = ctx.session_for_tool(profile, Ask::Person, err).await else {
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
