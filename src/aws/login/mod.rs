//! AWS Sign-In for developers (what `aws login` does): the user signs in to the console in the
//! browser — password and passkey, security key or code — and keyfob gets credentials that last
//! 15 minutes and are renewed, with no one signing in, for as long as the sign-in lasts (up to
//! 12 hours).
//!
//! The sign-in is OAuth 2.0's authorization code with PKCE: keyfob opens the authorize page with a
//! challenge and a random `state`, the browser comes back to a loopback address on 127.0.0.1 with a
//! code (or, with no browser on this machine, the user pastes the code the page shows), and the
//! code with the challenge's verifier buys the first token (CreateOAuth2Token, through the SDK's
//! `aws-sdk-signin`). Every token call carries a DPoP proof (RFC 9449) signed by a P-256 key made
//! for the sign-in, so a stolen refresh token is useless without the key.
//!
//! The token lives in the AWS CLI's cache ([`cache`]) and the profile names it (`login_session`),
//! so the CLI and SDKs use it too. Renewal is aws-config's own login provider, which reads that
//! cache, proves itself with the same key and writes the new token back.

pub mod cache;
mod dpop;
mod redirect;

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials as _;
use aws_sdk_signin::operation::create_o_auth2_token::CreateOAuth2TokenError;
use aws_sdk_signin::types::{CreateOAuth2TokenRequestBody, OAuth2ErrorCode};
use base64::Engine as _;

pub use self::cache::LoginToken;
pub use self::redirect::{Callback, Loopback, parse_pasted_code};
use super::errors::{AwsError, ErrorKind};
use super::{AwsEnv, pkce};
use crate::secret::Secret;
use crate::session::{Credentials, Session, SessionKind, SignInFields};

/// The client AWS Sign-In knows for a sign-in whose browser runs on this machine.
pub const SAME_DEVICE_CLIENT: &str = "arn:aws:signin:::devtools/same-device";
/// The client for a sign-in finished in a browser elsewhere (the code is pasted back).
pub const CROSS_DEVICE_CLIENT: &str = "arn:aws:signin:::devtools/cross-device";

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Where AWS Sign-In is for `region`: `env`'s override, else the SDK's own
/// `AWS_ENDPOINT_URL_SIGNIN` / `AWS_ENDPOINT_URL`, else the SDK's endpoint rules.
///
/// # Errors
/// The region is not one the endpoint rules know.
pub async fn base_url(env: &AwsEnv, region: &str) -> Result<String, AwsError> {
    if let Some(url) =
        env.configured_endpoint(env.signin_endpoint_url.as_ref(), "AWS_ENDPOINT_URL_SIGNIN")
    {
        return Ok(url);
    }
    use aws_sdk_signin::config::endpoint::{DefaultResolver, Params, ResolveEndpoint as _};
    let params = Params::builder().region(region).build().map_err(|e| {
        AwsError::new(
            ErrorKind::Invalid,
            format!("No AWS Sign-In for region {region}: {e}"),
        )
    })?;
    let endpoint = DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .map_err(|e| {
            AwsError::new(
                ErrorKind::Invalid,
                format!("No AWS Sign-In for region {region}: {e}"),
            )
        })?;
    Ok(endpoint.url().trim_end_matches('/').to_owned())
}

/// A sign-in waiting for the browser: the page to open, and what checks and finishes it.
#[derive(Debug)]
pub struct Authorization {
    /// The authorize page (open it in the browser, or show it to be opened elsewhere).
    pub url: String,
    base: String,
    client_id: &'static str,
    redirect_uri: String,
    state: String,
    verifier: Secret,
    key: dpop::Key,
}

impl Authorization {
    /// A same-device sign-in coming back to `redirect_uri` (a [`Loopback`]'s), or — `None` — a
    /// cross-device one whose code the user pastes.
    ///
    /// # Errors
    /// The OS has no randomness to give.
    pub fn new(base: &str, redirect_uri: Option<&str>) -> Result<Self, AwsError> {
        let (client_id, redirect_uri) = match redirect_uri {
            Some(uri) => (SAME_DEVICE_CLIENT, uri.to_owned()),
            None => (
                CROSS_DEVICE_CLIENT,
                format!("{base}/v1/sessions/confirmation"),
            ),
        };
        let verifier = Secret::new(pkce::verifier().map_err(no_randomness)?);
        let challenge = pkce::challenge(verifier.expose());
        let state = pkce::state().map_err(no_randomness)?;
        let key = dpop::Key::generate().map_err(no_randomness)?;
        let query = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("state", state.as_str()),
            ("code_challenge_method", "SHA-256"),
            ("scope", "openid"),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_challenge", challenge.as_str()),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", super::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        Ok(Self {
            url: format!("{base}/v1/authorize?{query}"),
            base: base.to_owned(),
            client_id,
            redirect_uri,
            state,
            verifier,
            key,
        })
    }

    /// Whether the browser's answer belongs to this sign-in.
    #[must_use]
    pub fn state_matches(&self, state: &str) -> bool {
        // Not secret enough to need a constant-time compare: it only ties the answer to the ask.
        self.state == state
    }

    /// Exchanges the browser's code for the first token (CreateOAuth2Token with the PKCE verifier
    /// and a DPoP proof), after checking its `state`.
    ///
    /// # Errors
    /// The state is not this sign-in's; the code expired or was used; AWS refused or failed.
    pub async fn finish(
        self,
        env: &AwsEnv,
        region: &str,
        callback: &Callback,
    ) -> Result<(String, LoginToken), AwsError> {
        if !self.state_matches(&callback.state) {
            return Err(AwsError::new(
                ErrorKind::Invalid,
                "The browser came back from a sign-in keyfob did not start (its state did not match); nothing was kept",
            ));
        }
        let client = client(env, region, &self.base).await;
        let body = CreateOAuth2TokenRequestBody::builder()
            .client_id(self.client_id)
            .grant_type("authorization_code")
            .code(callback.code.expose())
            .code_verifier(self.verifier.expose())
            .redirect_uri(&self.redirect_uri)
            .build()
            .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?;
        let key = self.key.clone();
        let out = client
            .create_o_auth2_token()
            .token_input(body)
            .customize()
            .mutate_request(move |req| {
                let url = req.uri().split('?').next().unwrap_or_default().to_owned();
                if let Ok(proof) = key.proof("POST", &url, SystemTime::now()) {
                    req.headers_mut().insert("DPoP", proof);
                }
            })
            .send()
            .await
            .map_err(|e| token_error(&e))?;
        let output = out
            .token_output
            .ok_or_else(|| incomplete("CreateOAuth2Token"))?;
        let access = output
            .access_token()
            .ok_or_else(|| incomplete("CreateOAuth2Token"))?;
        let id_token = output
            .id_token()
            .ok_or_else(|| incomplete("CreateOAuth2Token"))?;
        let login_session = subject(id_token).ok_or_else(|| incomplete("CreateOAuth2Token"))?;
        let account_id = login_session
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| incomplete("CreateOAuth2Token"))?
            .to_owned();
        let expires_in = u64::try_from(output.expires_in())
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| incomplete("CreateOAuth2Token"))?;
        let token = LoginToken::new(
            (
                access.access_key_id().to_owned(),
                Secret::new(access.secret_access_key().to_owned()),
                Secret::new(access.session_token().to_owned()),
            ),
            account_id,
            // Whole seconds, as the cache keeps it.
            whole_seconds(SystemTime::now()) + Duration::from_secs(expires_in),
            Some(output.token_type().to_owned()),
            Secret::new(output.refresh_token().to_owned()),
            Some(Secret::new(id_token.to_owned())),
            self.client_id.to_owned(),
            self.key.pem().map_err(no_randomness)?,
        );
        Ok((login_session, token))
    }
}

/// The session the cached sign-in gives, renewed first (by aws-config's login provider, which
/// writes the new token back) when its credentials end within five minutes.
///
/// # Errors
/// The cache is missing or refused; the sign-in has ended or was revoked; the renewal failed.
pub async fn cached_session(
    env: &AwsEnv,
    name: &str,
    login_session: &str,
    region: Option<&str>,
) -> Result<Session, AwsError> {
    let dir = cache::default_dir().map_err(|e| cache_error(&e))?;
    // The SDK's provider follows links and reads anything: keyfob looks first.
    let Some(_) = cache::read(&dir, login_session).map_err(|e| cache_error(&e))? else {
        return Err(sign_in_again(name));
    };
    let mut config = aws_config::provider_config::ProviderConfig::default();
    if let Some(r) = region {
        config = config.with_region(Some(aws_config::Region::new(r.to_owned())));
    }
    let provider = aws_config::login::LoginCredentialsProvider::builder(login_session)
        .configure(&config)
        .build();
    let creds = provider.provide_credentials().await.map_err(|e| {
        let detail = aws_smithy_types::error::display::DisplayErrorContext(&e).to_string();
        let mut err = if detail.contains("expired") || detail.contains("reauthenticate") {
            sign_in_again(name)
        } else {
            AwsError::new(
                ErrorKind::Other,
                "Your AWS Sign-In session could not be renewed",
            )
        };
        err.detail = detail;
        err
    })?;
    let expires_at = creds
        .expiry()
        .ok_or_else(|| incomplete("the cached sign-in"))?;
    let credentials = Credentials {
        access_key_id: creds.access_key_id().to_owned(),
        secret_access_key: Secret::new(creds.secret_access_key().to_owned()),
        session_token: creds.session_token().map(|t| Secret::new(t.to_owned())),
    };
    session(env, name, login_session, credentials, expires_at, region).await
}

/// A keyfob session for `login_session`'s credentials, with who it is (GetCallerIdentity).
///
/// # Errors
/// Never for now; kept fallible like every session maker.
pub async fn session(
    env: &AwsEnv,
    name: &str,
    login_session: &str,
    credentials: Credentials,
    expires_at: SystemTime,
    region: Option<&str>,
) -> Result<Session, AwsError> {
    let static_source = super::SourceCredentials::Static(credentials.clone());
    let identity = match super::sts::whoami(env, &static_source, region).await {
        Ok(i) => Some(i),
        Err(e) => {
            tracing::warn!(
                "GetCallerIdentity with the sign-in's credentials failed: {}",
                e.message
            );
            None
        }
    };
    Ok(Session {
        name: name.to_owned(),
        origin: SignInFields {
            profile: Some(name.to_owned()),
            region: region.unwrap_or_default().to_owned(),
            ..SignInFields::default()
        },
        credentials,
        issued_at: SystemTime::now(),
        expires_at,
        identity,
        source_identity: None,
        kind: SessionKind::Login {
            session_arn: login_session.to_owned(),
        },
        region: region.map(str::to_owned),
    })
}

/// The one sentence for a sign-in that has to be done again.
#[must_use]
pub fn sign_in_again(name: &str) -> AwsError {
    AwsError::new(
        ErrorKind::Expired,
        format!(
            "Your AWS Sign-In session for {name} has ended or was revoked: run `keyfob login --profile {name}`"
        ),
    )
}

async fn client(env: &AwsEnv, region: &str, base: &str) -> aws_sdk_signin::Client {
    let conf = env.unsigned_config(region).await;
    let config = aws_sdk_signin::config::Builder::from(&conf)
        .endpoint_url(base)
        .build();
    aws_sdk_signin::Client::from_conf(config)
}

fn token_error(
    e: &aws_sdk_signin::error::SdkError<
        CreateOAuth2TokenError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> AwsError {
    let sentence = match e.as_service_error() {
        Some(CreateOAuth2TokenError::AccessDeniedException(d)) => match d.error() {
            OAuth2ErrorCode::AuthcodeExpired | OAuth2ErrorCode::OauthInvalidGrant => {
                Some("The sign-in code has expired or was already used; sign in again")
            }
            OAuth2ErrorCode::InsufficientPermissions => Some(
                "You may not sign in this way: your user or role lacks the signin:CreateOAuth2Token permission",
            ),
            OAuth2ErrorCode::TokenExpired | OAuth2ErrorCode::UserCredentialsChanged => {
                Some("Your sign-in has ended or your password changed; sign in again")
            }
            _ => None,
        },
        _ => None,
    };
    match sentence {
        Some(s) => {
            let mut err = AwsError::new(ErrorKind::AccessDenied, s);
            err.detail = aws_sdk_signin::error::DisplayErrorContext(e).to_string();
            err
        }
        None => AwsError::from_sdk("Signing in with AWS Sign-In", e),
    }
}

/// The `sub` of the OpenID identity token: the ARN of who signed in (the login session).
fn subject(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = B64URL.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let sub = claims.get("sub")?.as_str()?;
    sub.starts_with("arn:").then(|| sub.to_owned())
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn incomplete(what: &str) -> AwsError {
    AwsError::new(
        ErrorKind::Other,
        format!("AWS Sign-In's answer to {what} was incomplete"),
    )
}

fn cache_error(e: &cache::CacheError) -> AwsError {
    AwsError::new(ErrorKind::Invalid, e.to_string())
}

fn no_randomness(e: impl std::fmt::Display) -> AwsError {
    AwsError::new(
        ErrorKind::Other,
        format!("keyfob could not make the sign-in's keys: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorize_url_carries_the_challenge_of_its_verifier_and_a_fresh_state() {
        let a = Authorization::new(
            "http://127.0.0.1:9",
            Some("http://127.0.0.1:5000/oauth/callback"),
        )
        .unwrap();
        let b = Authorization::new("http://127.0.0.1:9", None).unwrap();
        assert!(a.url.starts_with("http://127.0.0.1:9/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device&state="));
        assert!(
            a.url
                .contains("&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Foauth%2Fcallback&")
        );
        assert!(b.url.contains("devtools%2Fcross-device"));
        assert!(
            b.url
                .contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fv1%2Fsessions%2Fconfirmation")
        );
        let challenge = pkce::challenge(a.verifier.expose());
        assert!(a.url.ends_with(&format!("&code_challenge={challenge}")));
        assert_eq!(a.verifier.expose().len(), 64);
        assert_ne!(a.state, b.state);
        assert_ne!(a.verifier.expose(), b.verifier.expose());
        assert!(a.state_matches(&a.state.clone()));
        assert!(!a.state_matches(&b.state));
    }

    #[test]
    fn the_login_session_is_the_identity_tokens_subject() {
        let claims = B64URL.encode(br#"{"sub":"arn:aws:iam::123456789012:user/pat","aud":"x"}"#);
        assert_eq!(
            subject(&format!("e30.{claims}.c2ln")).as_deref(),
            Some("arn:aws:iam::123456789012:user/pat")
        );
        let not_arn = B64URL.encode(br#"{"sub":"pat"}"#);
        assert_eq!(subject(&format!("e30.{not_arn}.c2ln")), None);
        assert_eq!(subject("nonsense"), None);
    }
}
