//! Which profiles sign in through the browser (AWS Sign-In, IAM Identity Center), so the other
//! commands can point to `keyfob login` or `keyfob sso` instead of asking for a code.

use super::Ctx;
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
