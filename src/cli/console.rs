//! `keyfob console --profile P [--print]`: the AWS console for the profile's cached session
//! (chained afresh when due, as for `credential-process`), opened in the browser or printed.

use std::io::Write;
use std::time::SystemTime;

use super::{Ask, Ctx, FAILED, OK};
use crate::aws::SourceCredentials;
use crate::aws::console::{self, ConsoleError, Route};
use crate::keystore;
use crate::secret::Secret;

/// Opens the console for the session `profile` in the desktop's browser, or with `print` writes
/// the sign-in URL (a secret: it signs whoever holds it in for 15 minutes) to `out` only.
pub async fn console(
    ctx: &Ctx,
    profile: &str,
    print: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    // The sign-in URL is a secret: not made when no browser could
    // take it, and no code is asked for first.
    if !print && let Err(e) = crate::opener::check() {
        say!(err, "keyfob: {e} (or use --print to get the URL)");
        return FAILED;
    }
    let Some(session) = ctx.session_for_tool(profile, Ask::Person, err).await else {
        return FAILED;
    };
    let url = async {
        let mut route = console::route(&session, SystemTime::now())?;
        if let Route::Federation { keys } = &mut route
            && matches!(keys, SourceCredentials::Keyring(_))
        {
            *keys = keystore::resolve_source(ctx.keystore.as_ref().ok(), keys)?;
        }
        console::signin_url(&ctx.env, &session, route, SystemTime::now()).await
    };
    let url: Secret = match url.await {
        Ok(url) => url,
        Err(e) => {
            say!(err, "keyfob: {e}");
            if let ConsoleError::Aws(a) = &e
                && !a.detail.is_empty()
            {
                say!(err, "  ({})", a.detail);
            }
            return FAILED;
        }
    };
    if print {
        let _ = writeln!(out, "{}", url.expose());
        return OK;
    }
    match crate::opener::open(&url) {
        Ok(()) => {
            say!(err, "Opened the AWS console for {profile} in your browser");
            OK
        }
        Err(e) => {
            say!(err, "keyfob: {e} (or use --print to get the URL)");
            FAILED
        }
    }
}
