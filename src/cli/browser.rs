//! Which profiles sign in through the browser (AWS Sign-In, IAM Identity Center), so the other
//! commands can point to `keyfob login` or `keyfob sso` instead of asking for a code; and how
//! those two commands say a failure.

use std::io::Write;

use super::{Ctx, FAILED};
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::profiles;

/// A sign-in that happens in the browser, with no code to type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BrowserSignIn {
    /// IAM Identity Center (`keyfob sso`).
    Sso,
    /// AWS Sign-In (`keyfob login`).
    Login,
}

/// How `profile` signs in when it signs in through the browser.
pub(super) async fn browser_sign_in(ctx: &Ctx, profile: &str) -> Option<BrowserSignIn> {
    let profiles = profiles::load(&ctx.env.profile_files).await.ok()?;
    let info = profiles.get(profile)?;
    if info.sso.is_some() {
        Some(BrowserSignIn::Sso)
    } else if info.login_session.is_some() {
        Some(BrowserSignIn::Login)
    } else {
        None
    }
}

/// A browser sign-in's failure: its sentence, and the detail unless the sign-in simply ended.
pub(super) fn failed(e: &AwsError, err: &mut dyn Write) -> u8 {
    say!(err, "keyfob: {}", e.message);
    if !e.detail.is_empty() && e.kind != ErrorKind::Expired {
        say!(err, "  ({})", e.detail);
    }
    FAILED
}
