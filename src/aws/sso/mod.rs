//! IAM Identity Center (AWS SSO): the device authorization sign-in (RegisterClient,
//! StartDeviceAuthorization, then CreateToken until the user approves in the browser), the
//! refresh of the token with no one signing in, the portal's accounts and roles, and a role's
//! credentials as a keyfob [`Session`]. The token lives in the AWS CLI's cache ([`cache`]), so
//! the CLI and SDKs use it too; the role credentials live where every keyfob session lives.
//!
//! The calls go to the SDK's own clients (`aws-sdk-ssooidc`, `aws-sdk-sso`), unsigned: they carry
//! the client registration or the bearer token, never AWS keys.

pub mod cache;
mod settings;

use std::time::{Duration, SystemTime};

use aws_sdk_sso::operation::get_role_credentials::GetRoleCredentialsError;
use aws_sdk_ssooidc::operation::create_token::CreateTokenError;

pub use self::cache::CachedToken;
pub use self::settings::{DEFAULT_SCOPE, SsoSettings};
use super::AwsEnv;
use super::errors::{AwsError, ErrorKind};
use crate::secret::Secret;
use crate::session::{Credentials, Session, SessionKind, SignInFields};

/// The name keyfob registers as a client under (shown by IAM Identity Center on the approval page).
pub const CLIENT_NAME: &str = "keyfob";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const REFRESH_GRANT: &str = "refresh_token";
/// How much life a cached token must have left to be used as it is, not refreshed first.
pub const TOKEN_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The two services' clients, for the session's IAM Identity Center region.
#[derive(Clone, Debug)]
pub struct Clients {
    oidc: aws_sdk_ssooidc::Client,
    portal: aws_sdk_sso::Client,
}

impl Clients {
    /// Clients for `region`, through `env`'s endpoints and network limits.
    pub async fn new(env: &AwsEnv, region: &str) -> Self {
        let conf = env.unsigned_config(region).await;
        let url = env.sso_endpoint_url.as_ref().or(env.endpoint_url.as_ref());
        let mut oidc = aws_sdk_ssooidc::config::Builder::from(&conf);
        let mut portal = aws_sdk_sso::config::Builder::from(&conf);
        if let Some(url) = url {
            oidc = oidc.endpoint_url(url);
            portal = portal.endpoint_url(url);
        }
        Self {
            oidc: aws_sdk_ssooidc::Client::from_conf(oidc.build()),
            portal: aws_sdk_sso::Client::from_conf(portal.build()),
        }
    }
}

/// A device authorization waiting for the user to approve it in the browser.
#[derive(Debug)]
pub struct Pending {
    /// The code the user checks on the approval page.
    pub user_code: String,
    /// The page to open.
    pub verification_uri: String,
    /// The page with the code filled in, when IAM Identity Center gives one.
    pub verification_uri_complete: Option<String>,
    /// When the code stops being accepted.
    pub expires_at: SystemTime,
    interval: Duration,
    device_code: Secret,
    client_id: String,
    client_secret: Secret,
    registration_expires_at: Option<SystemTime>,
}

impl Pending {
    /// The page to open: with the code filled in when there is one.
    #[must_use]
    pub fn url(&self) -> &str {
        self.verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri)
    }
}

/// Registers keyfob as a client of `settings`' IAM Identity Center: for the device sign-in, or,
/// with a redirect URI, for the authorization-code grant coming back there. Returns the client's
/// id, secret and the registration's end.
async fn register(
    clients: &Clients,
    settings: &SsoSettings,
    redirect_uri: Option<&str>,
) -> Result<(String, Secret, Option<SystemTime>), AwsError> {
    let mut register = clients
        .oidc
        .register_client()
        .client_name(CLIENT_NAME)
        .client_type("public");
    if let Some(uri) = redirect_uri {
        register = register
            .grant_types(AUTH_CODE_GRANT)
            .grant_types(REFRESH_GRANT)
            .redirect_uris(uri)
            .issuer_url(&settings.start_url);
    }
    for scope in &settings.scopes {
        register = register.scopes(scope);
    }
    let reg = register
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Starting the IAM Identity Center sign-in", &e))?;
    let (Some(client_id), Some(client_secret)) = (reg.client_id, reg.client_secret) else {
        return Err(incomplete("RegisterClient"));
    };
    Ok((
        client_id,
        Secret::new(client_secret),
        epoch(reg.client_secret_expires_at),
    ))
}

/// Registers keyfob as a client and starts a device authorization for `settings`' portal.
///
/// # Errors
/// IAM Identity Center refused or could not be reached.
pub async fn start(clients: &Clients, settings: &SsoSettings) -> Result<Pending, AwsError> {
    let action = "Starting the IAM Identity Center sign-in";
    let (client_id, client_secret, registration_expires_at) =
        register(clients, settings, None).await?;
    let auth = clients
        .oidc
        .start_device_authorization()
        .client_id(&client_id)
        .client_secret(client_secret.expose())
        .start_url(&settings.start_url)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(action, &e))?;
    let (Some(device_code), Some(user_code), Some(verification_uri)) =
        (auth.device_code, auth.user_code, auth.verification_uri)
    else {
        return Err(incomplete("StartDeviceAuthorization"));
    };
    let now = SystemTime::now();
    Ok(Pending {
        user_code,
        verification_uri,
        verification_uri_complete: auth.verification_uri_complete,
        expires_at: now + secs(auth.expires_in.into()),
        interval: secs(auth.interval.max(1).into()),
        device_code: Secret::new(device_code),
        client_id,
        client_secret,
        registration_expires_at,
    })
}

/// An authorization-code sign-in (what `aws sso login` does by default) waiting for the browser:
/// the page to open, and what checks and finishes it.
#[derive(Debug)]
pub struct AuthCode {
    /// The authorize page.
    pub url: String,
    redirect_uri: String,
    state: String,
    verifier: Secret,
    client_id: String,
    client_secret: Secret,
    registration_expires_at: Option<SystemTime>,
}

const AUTH_CODE_GRANT: &str = "authorization_code";

/// Registers keyfob as a client for the authorization-code grant, coming back to `redirect_uri`
/// (a loopback listener's), and builds the authorize page with a PKCE challenge and a random
/// state.
///
/// # Errors
/// IAM Identity Center refused the registration; the OS gave no randomness.
pub async fn start_auth_code(
    env: &AwsEnv,
    clients: &Clients,
    settings: &SsoSettings,
    redirect_uri: &str,
) -> Result<AuthCode, AwsError> {
    let (client_id, client_secret, registration_expires_at) =
        register(clients, settings, Some(redirect_uri)).await?;
    let random = |e: getrandom::Error| {
        AwsError::new(
            ErrorKind::Other,
            format!("keyfob could not make the sign-in's keys: {e}"),
        )
    };
    let verifier = Secret::new(super::pkce::verifier().map_err(random)?);
    let state = super::pkce::state().map_err(random)?;
    let scopes = settings.scopes.join(",");
    let query = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", redirect_uri),
        ("state", state.as_str()),
        ("code_challenge_method", "S256"),
        ("scopes", scopes.as_str()),
        ("code_challenge", &super::pkce::challenge(verifier.expose())),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", super::percent_encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    let base = oidc_base(env, &settings.region).await?;
    Ok(AuthCode {
        url: format!("{base}/authorize?{query}"),
        redirect_uri: redirect_uri.to_owned(),
        state,
        verifier,
        client_id,
        client_secret,
        registration_expires_at,
    })
}

/// Exchanges the browser's code for the token to cache (CreateToken with the PKCE verifier),
/// after checking its state.
///
/// # Errors
/// The state is not this sign-in's; the code was refused (used, expired); IAM Identity Center
/// failed.
pub async fn finish_auth_code(
    clients: &Clients,
    settings: &SsoSettings,
    auth: &AuthCode,
    callback: &super::login::Callback,
) -> Result<CachedToken, AwsError> {
    if auth.state != callback.state {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            "The browser came back from a sign-in keyfob did not start (its state did not match); nothing was kept",
        ));
    }
    let out = clients
        .oidc
        .create_token()
        .client_id(&auth.client_id)
        .client_secret(auth.client_secret.expose())
        .grant_type(AUTH_CODE_GRANT)
        .code(callback.code.expose())
        .redirect_uri(&auth.redirect_uri)
        .code_verifier(auth.verifier.expose())
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            Some(CreateTokenError::InvalidGrantException(_)) => {
                let mut err = AwsError::new(
                    ErrorKind::Invalid,
                    "The sign-in code was already used or is not valid; sign in again",
                );
                err.detail = aws_sdk_ssooidc::error::DisplayErrorContext(&e).to_string();
                err
            }
            _ => AwsError::from_sdk("Signing in to IAM Identity Center", &e),
        })?;
    let Some(access_token) = out.access_token else {
        return Err(incomplete("CreateToken"));
    };
    let mut token = CachedToken::new(
        &settings.start_url,
        &settings.region,
        Secret::new(access_token),
        SystemTime::now() + secs(out.expires_in.into()),
    );
    token.client_id = Some(auth.client_id.clone());
    token.client_secret = Some(auth.client_secret.clone());
    token.registration_expires_at = auth.registration_expires_at;
    token.refresh_token = out.refresh_token.map(Secret::new);
    Ok(token)
}

/// Where IAM Identity Center's OIDC service is for `region`: `env`'s override, else the SDK's
/// `AWS_ENDPOINT_URL_SSO_OIDC` / `AWS_ENDPOINT_URL`, else the SDK's endpoint rules.
async fn oidc_base(env: &AwsEnv, region: &str) -> Result<String, AwsError> {
    if let Some(url) =
        env.configured_endpoint(env.sso_endpoint_url.as_ref(), "AWS_ENDPOINT_URL_SSO_OIDC")
    {
        return Ok(url);
    }
    use aws_sdk_ssooidc::config::endpoint::{DefaultResolver, Params, ResolveEndpoint as _};
    let unknown = |e: &dyn std::fmt::Display| {
        AwsError::new(
            ErrorKind::Invalid,
            format!("No IAM Identity Center in region {region}: {e}"),
        )
    };
    let params = Params::builder()
        .region(region)
        .build()
        .map_err(|e| unknown(&e))?;
    let endpoint = DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .map_err(|e| unknown(&e))?;
    Ok(endpoint.url().trim_end_matches('/').to_owned())
}

/// Waits for the user to approve `pending` (CreateToken every `interval`, slower when told),
/// and returns the token to cache.
///
/// # Errors
/// The code expired, the user denied it, or IAM Identity Center failed.
pub async fn wait(
    clients: &Clients,
    settings: &SsoSettings,
    pending: &Pending,
) -> Result<CachedToken, AwsError> {
    let mut interval = pending.interval;
    loop {
        tokio::time::sleep(interval).await;
        if SystemTime::now() >= pending.expires_at {
            return Err(code_expired());
        }
        let sent = clients
            .oidc
            .create_token()
            .client_id(&pending.client_id)
            .client_secret(pending.client_secret.expose())
            .grant_type(DEVICE_GRANT)
            .device_code(pending.device_code.expose())
            .send()
            .await;
        let out = match sent {
            Ok(out) => out,
            Err(e) => match e.as_service_error() {
                Some(CreateTokenError::AuthorizationPendingException(_)) => continue,
                Some(CreateTokenError::SlowDownException(_)) => {
                    interval += Duration::from_secs(5);
                    continue;
                }
                Some(CreateTokenError::ExpiredTokenException(_)) => return Err(code_expired()),
                Some(CreateTokenError::InvalidGrantException(_)) => {
                    let mut err = AwsError::new(
                        ErrorKind::Invalid,
                        "The sign-in code was already used or is not valid; sign in again",
                    );
                    err.detail = aws_sdk_ssooidc::error::DisplayErrorContext(&e).to_string();
                    return Err(err);
                }
                Some(CreateTokenError::AccessDeniedException(_)) => {
                    let mut err = AwsError::new(
                        ErrorKind::AccessDenied,
                        "The sign-in was not approved in the browser; nothing was signed in",
                    );
                    err.detail = aws_sdk_ssooidc::error::DisplayErrorContext(&e).to_string();
                    return Err(err);
                }
                _ => return Err(AwsError::from_sdk("Signing in to IAM Identity Center", &e)),
            },
        };
        let Some(access_token) = out.access_token else {
            return Err(incomplete("CreateToken"));
        };
        let mut token = CachedToken::new(
            &settings.start_url,
            &settings.region,
            Secret::new(access_token),
            SystemTime::now() + secs(out.expires_in.into()),
        );
        // A legacy profile's token is cached without its registration, as the CLI does.
        if settings.session.is_some() {
            token.client_id = Some(pending.client_id.clone());
            token.client_secret = Some(pending.client_secret.clone());
            token.registration_expires_at = pending.registration_expires_at;
            token.refresh_token = out.refresh_token.map(Secret::new);
        }
        return Ok(token);
    }
}

/// A new access token for `token` from its refresh token, with no one signing in.
///
/// # Errors
/// The token has no refresh token or registration, or IAM Identity Center refused it (revoked,
/// expired).
pub async fn refresh(clients: &Clients, token: &CachedToken) -> Result<CachedToken, AwsError> {
    let Some((client_id, client_secret, refresh_token)) = token.refresher(SystemTime::now()) else {
        return Err(sign_in_again());
    };
    let out = clients
        .oidc
        .create_token()
        .client_id(client_id)
        .client_secret(client_secret.expose())
        .grant_type(REFRESH_GRANT)
        .refresh_token(refresh_token.expose())
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            Some(
                CreateTokenError::InvalidGrantException(_)
                | CreateTokenError::ExpiredTokenException(_)
                | CreateTokenError::UnauthorizedClientException(_)
                | CreateTokenError::InvalidClientException(_),
            ) => {
                let mut err = sign_in_again();
                err.detail = aws_sdk_ssooidc::error::DisplayErrorContext(&e).to_string();
                err
            }
            _ => AwsError::from_sdk("Refreshing the IAM Identity Center sign-in", &e),
        })?;
    let Some(access_token) = out.access_token else {
        return Err(incomplete("CreateToken"));
    };
    let mut fresh = token.clone();
    fresh.access_token = Secret::new(access_token);
    fresh.expires_at = SystemTime::now() + secs(out.expires_in.into());
    if let Some(r) = out.refresh_token {
        fresh.refresh_token = Some(Secret::new(r));
    }
    Ok(fresh)
}

/// The cached token for `settings`, refreshed (and the cache rewritten) when it is near its end;
/// `Ok(None)` when there is none or it cannot be refreshed: the user must sign in.
///
/// # Errors
/// The cache file is unsafe or malformed, or a refresh failed for another reason than the
/// refresh token being refused (the network).
pub async fn cached_token(
    clients: &Clients,
    settings: &SsoSettings,
    dir: &std::path::Path,
) -> Result<Option<CachedToken>, AwsError> {
    let key = settings.cache_key();
    let cached =
        cache::read(dir, key).map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
    let Some(token) = cached.filter(|t| t.start_url == settings.start_url) else {
        return Ok(None);
    };
    let now = SystemTime::now();
    if token.is_live(now, TOKEN_MARGIN) {
        return Ok(Some(token));
    }
    if token.refresher(now).is_none() {
        return Ok(None);
    }
    match refresh(clients, &token).await {
        Ok(fresh) => {
            cache::write(dir, key, &fresh)
                .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?;
            tracing::debug!(key, "refreshed the IAM Identity Center token");
            Ok(Some(fresh))
        }
        Err(e) if e.kind == ErrorKind::Expired => Ok(None),
        Err(e) => Err(e),
    }
}

/// An account the token may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The 12-digit id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its e-mail address.
    pub email: String,
}

/// Every account the token may use (ListAccounts, all pages).
///
/// # Errors
/// The token was refused or the portal failed.
pub async fn accounts(clients: &Clients, token: &CachedToken) -> Result<Vec<Account>, AwsError> {
    let mut pages = clients
        .portal
        .list_accounts()
        .access_token(token.access_token.expose())
        .into_paginator()
        .send();
    let mut list = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("Listing your accounts", &e))?;
        list.extend(
            page.account_list
                .unwrap_or_default()
                .into_iter()
                .map(|a| Account {
                    id: a.account_id.unwrap_or_default(),
                    name: a.account_name.unwrap_or_default(),
                    email: a.email_address.unwrap_or_default(),
                }),
        );
    }
    Ok(list)
}

/// The roles the token may use in `account_id` (ListAccountRoles, all pages).
///
/// # Errors
/// The token was refused or the portal failed.
pub async fn roles(
    clients: &Clients,
    token: &CachedToken,
    account_id: &str,
) -> Result<Vec<String>, AwsError> {
    let mut pages = clients
        .portal
        .list_account_roles()
        .access_token(token.access_token.expose())
        .account_id(account_id)
        .into_paginator()
        .send();
    let mut list = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("Listing the account's roles", &e))?;
        list.extend(
            page.role_list
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| r.role_name),
        );
    }
    Ok(list)
}

/// The role's credentials (GetRoleCredentials) as a session named `name`, with who it is
/// (GetCallerIdentity through STS, like every session).
///
/// # Errors
/// The token was refused (signed out, revoked), the role is not the user's, or a call failed.
pub async fn role_session(
    env: &AwsEnv,
    clients: &Clients,
    token: &CachedToken,
    name: &str,
    (account_id, role_name): (&str, &str),
    region: Option<&str>,
) -> Result<Session, AwsError> {
    let out = clients
        .portal
        .get_role_credentials()
        .access_token(token.access_token.expose())
        .account_id(account_id)
        .role_name(role_name)
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            Some(GetRoleCredentialsError::UnauthorizedException(_)) => {
                let mut err = sign_in_again();
                err.detail = aws_sdk_sso::error::DisplayErrorContext(&e).to_string();
                err
            }
            Some(GetRoleCredentialsError::ResourceNotFoundException(_)) => {
                let mut err = AwsError::new(
                    ErrorKind::NotFound,
                    format!("You have no role {role_name} in account {account_id} (it may have been removed)"),
                );
                err.detail = aws_sdk_sso::error::DisplayErrorContext(&e).to_string();
                err
            }
            _ => AwsError::from_sdk("Getting the role's credentials", &e),
        })?;
    let c = out
        .role_credentials
        .ok_or_else(|| incomplete("GetRoleCredentials"))?;
    let (Some(id), Some(secret), Some(session_token)) =
        (c.access_key_id, c.secret_access_key, c.session_token)
    else {
        return Err(incomplete("GetRoleCredentials"));
    };
    let credentials = Credentials {
        access_key_id: id,
        secret_access_key: Secret::new(secret),
        session_token: Some(Secret::new(session_token)),
    };
    let issued_at = SystemTime::now();
    let expires_at = u64::try_from(c.expiration)
        .ok()
        .map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms))
        .filter(|t| *t > issued_at)
        .ok_or_else(|| incomplete("GetRoleCredentials"))?;
    let static_source = super::SourceCredentials::Static(credentials.clone());
    let identity = match super::sts::whoami(env, &static_source, region).await {
        Ok(i) => Some(i),
        Err(e) => {
            tracing::warn!(
                "GetCallerIdentity with the role's credentials failed: {}",
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
        issued_at,
        expires_at,
        identity,
        source_identity: None,
        kind: SessionKind::Sso {
            account_id: account_id.to_owned(),
            role_name: role_name.to_owned(),
        },
        region: region.map(str::to_owned),
    })
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(0))
}

fn epoch(secs: i64) -> Option<SystemTime> {
    u64::try_from(secs)
        .ok()
        .filter(|s| *s > 0)
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

fn incomplete(call: &str) -> AwsError {
    AwsError::new(
        ErrorKind::Other,
        format!("IAM Identity Center's answer to {call} was incomplete"),
    )
}

fn code_expired() -> AwsError {
    AwsError::new(
        ErrorKind::Expired,
        "The sign-in code expired before it was approved; sign in again",
    )
}

/// The token is gone (expired, revoked, signed out): a person must sign in.
fn sign_in_again() -> AwsError {
    AwsError::new(
        ErrorKind::Expired,
        "Your IAM Identity Center sign-in has ended or was revoked; sign in again",
    )
}
