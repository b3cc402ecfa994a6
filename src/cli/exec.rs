//! `keyfob exec --profile P [--server] -- COMMAND …`: runs a command with the cached session. By
//! default the session's variables are in its environment (the same as the export lines); with
//! `--server` the child gets a local credential endpoint instead, which serves whatever session
//! the keyring holds at each request, so a long-running process outlives a renewal.

use super::cred_server::CredServer;
use super::{Ask, Ctx, FAILED};
use crate::session::Session;
use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, ExitStatus};
use std::sync::Arc;

/// Variables that would make the child's SDK pick other credentials than the ones given here.
const CLEARED: [&str; 8] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];

/// Runs `command` with the session `profile` (chained afresh when due, as for
/// `credential-process`); its exit code is keyfob's.
pub async fn exec(
    ctx: &Ctx,
    profile: &str,
    command: &[OsString],
    server: bool,
    err: &mut dyn Write,
) -> u8 {
    let Some((program, args)) = command.split_first() else {
        say!(
            err,
            "keyfob: exec needs a command after --, e.g. keyfob exec --profile {profile} -- aws s3 ls"
        );
        return FAILED;
    };
    let Some(session) = ctx.session_for_tool(profile, Ask::Person, err).await else {
        return FAILED;
    };
    let mut child = Command::new(program);
    child.args(args);
    for name in CLEARED {
        child.env_remove(name);
    }
    let _server = if server {
        let (ctx, name) = (ctx.clone(), profile.to_owned());
        let lookup = Arc::new(move || session_now(&ctx, &name));
        let server = match CredServer::start(lookup) {
            Ok(s) => s,
            Err(e) => {
                say!(err, "keyfob: the credential endpoint could not start: {e}");
                return FAILED;
            }
        };
        // The SDKs try the credentials file's profiles before an endpoint: keys in [default]
        // would silently take the session's place.
        child.env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        child.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &server.url);
        child.env("AWS_CONTAINER_AUTHORIZATION_TOKEN", server.token.expose());
        if let Some(region) = &session.region {
            child
                .env("AWS_REGION", region)
                .env("AWS_DEFAULT_REGION", region);
        }
        Some(server)
    } else {
        for (name, value) in session.export_vars() {
            child.env(name, value.reveal());
        }
        None
    };
    match child.status() {
        Ok(status) => exit_code(status),
        Err(e) => {
            say!(
                err,
                "keyfob: could not run {}: {e}",
                program.to_string_lossy()
            );
            if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            }
        }
    }
}

/// The session for one request to the endpoint, renewed when due. Each request has its own small
/// runtime: the endpoint's threads are plain threads, and a renewal is one STS call.
fn session_now(ctx: &Ctx, name: &str) -> Result<Session, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut why = Vec::new();
    rt.block_on(ctx.session_for_tool(name, Ask::Never, &mut why))
        .ok_or_else(|| String::from_utf8_lossy(&why).trim().to_owned())
}

/// The child's exit code; killed by a signal: 128 + the signal, as shells report it.
fn exit_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(FAILED);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + (signal & 0x7f)).unwrap_or(FAILED);
        }
    }
    FAILED
}
