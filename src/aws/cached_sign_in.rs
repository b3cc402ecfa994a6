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
