//! Console sign-in: a sign-in URL for the AWS Management Console from a session, through the
//! federation endpoint (`Action=getSigninToken`, then an `Action=login` URL). A role session
//! signs in with its own credentials; an MFA session token cannot (AWS refuses those), so, as
//! aws-vault does, keyfob asks GetFederationToken with the long-term keys the session came from
//! and signs in with the federated user's credentials. The URL is a secret: it lets whoever holds
//! it into the console for the next 15 minutes.

use std::time::{Duration, SystemTime};

use aws_sdk_sts::Client as StsClient;
use aws_smithy_runtime_api::client::http::{HttpConnector as _, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::byte_stream::ByteStream;
use zeroize::Zeroize as _;

use super::errors::{AwsError, ErrorKind};
use super::{AwsEnv, FALLBACK_REGION, SourceCredentials};
use crate::opener::OpenError;
use crate::secret::Secret;
use crate::session::{Credentials, Session, SessionKind, SourceChoice};

/// Where the federation endpoint is, for tests only (a loopback fake): keyfob otherwise uses the
/// partition's own (`https://signin.aws.amazon.com/federation` …).
pub const FEDERATION_URL_ENV: &str = "KEYFOB_FEDERATION_URL";
/// How long the endpoint may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The console session's bounds (getSigninToken's SessionDuration; GetFederationToken's
/// DurationSeconds goes to 36 hours).
const MIN_CONSOLE: u64 = 900;
const MAX_ROLE_CONSOLE: u64 = 43_200;
const MAX_FEDERATED: u64 = 129_600;
/// The federated user's session policy. AWS grants the intersection of the user's own policies
/// and this one, so it takes nothing away and adds nothing (without one, the federated user may
/// do nothing at all). Inline rather than the AdministratorAccess ARN: it is the same in every
/// partition.
const PASS_THROUGH_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// Why no console could be opened, one sentence each.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConsoleError {
    /// The session's kind or origin cannot have a console.
    #[error("{0}")]
    Unavailable(&'static str),
    #[error("The session has expired: renew it to open the console")]
    Expired,
    #[error("{0}")]
    Aws(#[from] AwsError),
    #[error("{0}")]
    Browser(#[from] OpenError),
}

const NO_MFA: &str = "The console opens only for a role session or an MFA session, and this session token was made without MFA";
const NO_KEYS: &str = "This MFA session came from the default credential chain, so keyfob has no long-term keys to ask AWS for a console session (GetFederationToken) with: sign in from a profile with keys, or with keys in the keyring";
const FROM_CONSOLE: &str = "This session came from signing in to the console (AWS Sign-In): the console is open in the browser you signed in with";

/// How a session gets into the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// A role session signs in with its own credentials; `duration` is the console's length
    /// (none for a chained role, which AWS refuses it for).
    Role { duration: Option<u64> },
    /// An MFA session token: GetFederationToken with the long-term keys it came from (keyring
    /// keys are read by the caller, see [`crate::keystore::resolve_source`]).
    Federation { keys: SourceCredentials },
}

/// Why `session` cannot have a console, or `None` when it can (the window disables its button
/// with this sentence).
#[must_use]
pub fn why_not(session: &Session) -> Option<&'static str> {
    match (&session.kind, &session.origin.source) {
        (SessionKind::SessionToken { mfa: false }, _) => Some(NO_MFA),
        (SessionKind::SessionToken { mfa: true }, SourceChoice::DefaultChain) => Some(NO_KEYS),
        (SessionKind::Login { .. }, _) => Some(FROM_CONSOLE),
        _ => None,
    }
}

/// The way into the console for `session` at `now`.
///
/// # Errors
/// [`ConsoleError::Unavailable`] for a session that cannot have a console (see [`why_not`]).
pub fn route(session: &Session, now: SystemTime) -> Result<Route, ConsoleError> {
    if let Some(why) = why_not(session) {
        return Err(ConsoleError::Unavailable(why));
    }
    Ok(match &session.kind {
        // An IAM Identity Center role's credentials are a role session's: the console gets their
        // remaining life, as for an assumed role.
        SessionKind::AssumedRole { .. } | SessionKind::Sso { .. } => Route::Role {
            duration: Some(
                session
                    .remaining(now)
                    .as_secs()
                    .clamp(MIN_CONSOLE, MAX_ROLE_CONSOLE),
            ),
        },
        SessionKind::Chained { .. } => Route::Role { duration: None },
        // why_not refused it above: the sign-in came from the console.
        SessionKind::Login { .. } => return Err(ConsoleError::Unavailable(FROM_CONSOLE)),
        SessionKind::SessionToken { .. } => Route::Federation {
            keys: SourceCredentials::from(&session.origin.source),
        },
    })
}

/// The console sign-in URL for `session` (its region's console), taking `route` at `now`.
///
/// # Errors
/// GetFederationToken failed, or the federation endpoint refused or did not answer.
pub async fn signin_url(
    env: &AwsEnv,
    session: &Session,
    route: Route,
    now: SystemTime,
) -> Result<Secret, ConsoleError> {
    let region = session.region.as_deref().unwrap_or(FALLBACK_REGION);
    let endpoint = env.federation_endpoint(region);
    let (credentials, duration) = match route {
        Route::Role { duration } => (session.credentials.clone(), duration),
        Route::Federation { keys } => (federation_token(env, session, &keys, now).await?, None),
    };
    let token = signin_token(&endpoint, &credentials, duration).await?;
    Ok(login_url(&endpoint, region, &token))
}

/// GetFederationToken signed with the long-term `keys`, for as long as the MFA session has left.
async fn federation_token(
    env: &AwsEnv,
    session: &Session,
    keys: &SourceCredentials,
    now: SystemTime,
) -> Result<Credentials, AwsError> {
    let conf = env.sdk_config(keys, session.region.as_deref()).await;
    let seconds = session
        .remaining(now)
        .as_secs()
        .clamp(MIN_CONSOLE, MAX_FEDERATED);
    let out = StsClient::new(&conf)
        .get_federation_token()
        .name(federated_name(session))
        .policy(PASS_THROUGH_POLICY)
        .duration_seconds(i32::try_from(seconds).unwrap_or(i32::MAX))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Asking AWS for a console session", &e))?;
    let c = out.credentials.ok_or_else(|| {
        AwsError::new(
            ErrorKind::Other,
            "AWS answered GetFederationToken without credentials",
        )
    })?;
    Ok(Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: Secret::new(c.secret_access_key),
        session_token: Some(Secret::new(c.session_token)),
    })
}

/// The federated user's name: the IAM user's (2 to 32 of `\w+=,.@-`), else "keyfob".
fn federated_name(session: &Session) -> String {
    let user = session
        .source_identity
        .as_ref()
        .or(session.identity.as_ref())
        .map(|i| i.short_name().to_owned())
        .unwrap_or_default();
    let name: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .take(32)
        .collect();
    if name.len() < 2 {
        "keyfob".to_owned()
    } else {
        name
    }
}

/// `Action=getSigninToken` with the credentials as the Session JSON: the sign-in token.
async fn signin_token(
    endpoint: &str,
    credentials: &Credentials,
    duration: Option<u64>,
) -> Result<Secret, AwsError> {
    // Borrowed, so the one copy of the secrets made here is the Secret that is wiped on drop.
    #[derive(serde::Serialize)]
    struct SessionJson<'a> {
        #[serde(rename = "sessionId")]
        id: &'a str,
        #[serde(rename = "sessionKey")]
        key: &'a str,
        #[serde(rename = "sessionToken")]
        token: &'a str,
    }
    let json = serde_json::to_string(&SessionJson {
        id: &credentials.access_key_id,
        key: credentials.secret_access_key.expose(),
        token: credentials
            .session_token
            .as_ref()
            .map_or("", |t| t.expose()),
    });
    let session_json = Secret::new(
        json.map_err(|e| detailed(ErrorKind::Other, "keyfob could not write the session", e))?,
    );
    let mut query = String::from("Action=getSigninToken");
    if let Some(seconds) = duration {
        query.push_str(&format!("&SessionDuration={seconds}"));
    }
    let uri = Secret::new(format!(
        "{endpoint}?{query}&Session={}",
        super::percent_encode(session_json.expose())
    ));
    let mut body = get(uri).await?;
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    let answer = serde_json::from_slice::<Answer>(&body);
    body.zeroize();
    match answer {
        Ok(a) if !a.signin_token.is_empty() => Ok(Secret::from(a.signin_token)),
        _ => Err(AwsError::new(
            ErrorKind::Other,
            "The AWS sign-in service answered without a sign-in token",
        )),
    }
}

/// One GET through the SDK's own HTTPS client (its TLS roots and proxy settings), within
/// [`TIMEOUT`]: the body of a 200 answer.
async fn get(uri: Secret) -> Result<Vec<u8>, AwsError> {
    let request = HttpRequest::get(uri.expose()).map_err(|e| {
        detailed(
            ErrorKind::Invalid,
            "The federation endpoint is not a valid URL",
            e,
        )
    })?;
    drop(uri);
    let connector =
        aws_smithy_http_client::default_connector(&HttpConnectorSettings::default(), None)
            .ok_or_else(|| AwsError::new(ErrorKind::Other, "keyfob was built without HTTPS"))?;
    let call = async {
        let response = connector.call(request).await.map_err(|e| {
            detailed(
                ErrorKind::Unreachable,
                "Could not reach the AWS sign-in service; check your network",
                e,
            )
        })?;
        let status = response.status().as_u16();
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| {
                detailed(
                    ErrorKind::Unreachable,
                    "The AWS sign-in service's answer broke off",
                    e,
                )
            })?;
        if status != 200 {
            return Err(AwsError::new(
                if status >= 500 {
                    ErrorKind::ServerError
                } else {
                    ErrorKind::AccessDenied
                },
                format!("The AWS sign-in service refused the session (HTTP {status})"),
            ));
        }
        Ok(body.into_bytes().to_vec())
    };
    tokio::time::timeout(TIMEOUT, call).await.unwrap_or_else(|_| {
        Err(AwsError::new(
            ErrorKind::Timeout,
            "The AWS sign-in service did not answer within 10 s; check your network and try again",
        ))
    })
}

fn detailed(kind: ErrorKind, message: &str, detail: impl std::fmt::Display) -> AwsError {
    AwsError {
        detail: detail.to_string(),
        ..AwsError::new(kind, message)
    }
}

/// `…/federation?Action=login&Issuer=keyfob&Destination=…&SigninToken=…`, the console's home in
/// `region`.
fn login_url(endpoint: &str, region: &str, token: &Secret) -> Secret {
    let destination = format!(
        "https://{region}.{}/console/home?region={region}",
        partition(region).1
    );
    Secret::new(format!(
        "{endpoint}?Action=login&Issuer=keyfob&Destination={}&SigninToken={}",
        super::percent_encode(&destination),
        super::percent_encode(token.expose())
    ))
}

/// The partition's federation endpoint and console domain, by the region's prefix.
fn partition(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        (
            "https://signin.amazonaws.cn/federation",
            "console.amazonaws.cn",
        )
    } else if region.starts_with("us-gov-") {
        (
            "https://signin.amazonaws-us-gov.com/federation",
            "console.amazonaws-us-gov.com",
        )
    } else {
        (
            "https://signin.aws.amazon.com/federation",
            "console.aws.amazon.com",
        )
    }
}

impl AwsEnv {
    /// The federation endpoint: the explicit one (tests), else `KEYFOB_FEDERATION_URL` (tests
    /// only), else the partition's.
    #[must_use]
    pub fn federation_endpoint(&self, region: &str) -> String {
        self.federation_url
            .clone()
            .or_else(|| {
                std::env::var(FEDERATION_URL_ENV)
                    .ok()
                    .filter(|u| !u.is_empty())
            })
            .unwrap_or_else(|| partition(region).0.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::sample_session;

    #[test]
    fn each_kind_of_session_has_its_route_or_a_sentence() {
        let mut s = sample_session("secret", "token");
        let now = s.expires_at - Duration::from_secs(3600);
        s.kind = SessionKind::AssumedRole {
            role_arn: "r".into(),
            mfa: true,
        };
        assert_eq!(
            route(&s, now),
            Ok(Route::Role {
                duration: Some(3600)
            })
        );
        let late = s.expires_at - Duration::from_secs(60);
        assert_eq!(
            route(&s, late),
            Ok(Route::Role {
                duration: Some(900)
            })
        );
        s.kind = SessionKind::Chained {
            role_arn: "r".into(),
        };
        assert_eq!(route(&s, now), Ok(Route::Role { duration: None }));
        s.kind = SessionKind::SessionToken { mfa: true };
        s.origin.source = SourceChoice::Keyring("work".into());
        let keys = SourceCredentials::Keyring("work".into());
        assert_eq!(route(&s, now), Ok(Route::Federation { keys }));
        assert_eq!(why_not(&s), None);
        s.origin.source = SourceChoice::DefaultChain;
        assert_eq!(route(&s, now), Err(ConsoleError::Unavailable(NO_KEYS)));
        s.kind = SessionKind::SessionToken { mfa: false };
        s.origin.source = SourceChoice::Profile("me".into());
        assert_eq!(why_not(&s), Some(NO_MFA));
    }

    #[test]
    fn the_login_url_names_the_region_console_and_encodes_everything() {
        let token = Secret::new("a+b/c=d&e");
        let url = login_url(
            "https://signin.aws.amazon.com/federation",
            "eu-west-1",
            &token,
        );
        assert_eq!(
            url.expose(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=keyfob&Destination=\
             https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Deu-west-1\
             &SigninToken=a%2Bb%2Fc%3Dd%26e"
        );
        assert_eq!(
            partition("cn-north-1").0,
            "https://signin.amazonaws.cn/federation"
        );
        assert_eq!(partition("us-gov-west-1").1, "console.amazonaws-us-gov.com");
        assert_eq!(
            super::super::percent_encode("{\"k\": \"é~\"}"),
            "%7B%22k%22%3A%20%22%C3%A9~%22%7D"
        );
        assert_eq!(super::super::percent_encode("a b/c:~"), "a%20b%2Fc%3A~");
        let env = AwsEnv {
            federation_url: Some("http://127.0.0.1:9/f".into()),
            sso_endpoint_url: None,
            signin_endpoint_url: None,
            sso_cache_dir: None,
            ..AwsEnv::default()
        };
        assert_eq!(
            env.federation_endpoint("cn-north-1"),
            "http://127.0.0.1:9/f"
        );
    }

    #[test]
    fn the_federated_user_is_named_after_the_iam_user() {
        let mut s = sample_session("s", "t");
        s.source_identity = Some(crate::session::Identity {
            account: "1".into(),
            arn: "arn:aws:iam::123456789012:user/team/alice.o'hara+ops".into(),
            user_id: "AIDA".into(),
        });
        assert_eq!(federated_name(&s), "alice.ohara+ops");
        if let Some(i) = s.source_identity.as_mut() {
            i.arn = "arn:aws:iam::1:user/é".into();
        }
        assert_eq!(federated_name(&s), "keyfob");
    }
}
