//! Server and network failures: each becomes one readable sentence and an error kind, after the
//! SDK's retries where AWS would retry. The failures come from a loopback fake server (moto cannot
//! return 5xx, throttle, reject an MFA code or stay silent) or from a closed port.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::fake::{Behaviour, FakeServer};
use keyfob::aws::errors::{AwsError, ErrorKind};
use keyfob::aws::sts::{Flow, Mfa, SignInRequest, sign_in};
use keyfob::aws::{AwsEnv, NetConfig, ProfileFilesSpec, SourceCredentials};
use keyfob::secret::Secret;
use keyfob::session::Credentials;

const ATTEMPTS: u32 = 3;
/// A sign-in makes two calls side by side: the STS call and the source's GetCallerIdentity.
const CALLS: usize = 2;

fn env(url: &str) -> AwsEnv {
    let dir = std::env::temp_dir().join("keyfob-no-profiles");
    AwsEnv {
        endpoint_url: Some(url.to_owned()),
        profile_files: ProfileFilesSpec {
            config: Some(dir.join("config")),
            credentials: Some(dir.join("credentials")),
        },
        net: NetConfig {
            connect_timeout: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(1),
            operation_timeout: Duration::from_secs(5),
            max_attempts: ATTEMPTS,
            initial_backoff: Duration::from_millis(10),
        },
        federation_url: None,
        sso_endpoint_url: None,
        signin_endpoint_url: None,
        sso_cache_dir: None,
    }
}

fn request() -> SignInRequest {
    SignInRequest {
        name: "test".into(),
        origin: keyfob::session::SignInFields::default(),
        source: SourceCredentials::Static(Credentials {
            access_key_id: "AKIAFAKEFAKEFAKEFAKE".to_owned(),
            secret_access_key: Secret::new("fake-secret-fake-secret-fake-secret-0000"),
            session_token: None,
        }),
        region: Some("us-east-1".to_owned()),
        duration: None,
        flow: Flow::SessionToken {
            mfa: Some(Mfa {
                serial: "arn:aws:iam::123456789012:mfa/alice".to_owned(),
                code: "123456".to_owned(),
            }),
        },
    }
}

async fn fail_with(behaviour: Behaviour) -> (AwsError, usize) {
    let server = FakeServer::start(behaviour).await;
    let err = sign_in(&env(&server.url), &request())
        .await
        .expect_err("must fail");
    (err, server.count())
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    let port = common::free_port();
    let err = sign_in(&env(&format!("http://127.0.0.1:{port}")), &request())
        .await
        .expect_err("must fail");
    assert_eq!(err.kind, ErrorKind::Unreachable, "{err:?}");
    assert_eq!(
        err.message,
        "Could not reach AWS; check your network (or AWS_ENDPOINT_URL)"
    );
    assert!(err.detail.contains("onnect"), "{}", err.detail);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (err, count) = fail_with(Behaviour::Silent).await;
    assert_eq!(err.kind, ErrorKind::Timeout, "{err:?}");
    assert!(
        err.message.contains("did not answer in time") || err.message.contains("timed out"),
        "{}",
        err.message
    );
    assert!(count >= 1);
}

#[tokio::test]
async fn http_500_is_retried_then_reported() {
    let (err, count) = fail_with(Behaviour::Respond(500, "<ErrorResponse><Error><Code>InternalFailure</Code><Message>boom</Message></Error></ErrorResponse>")).await;
    assert_eq!(err.kind, ErrorKind::ServerError, "{err:?}");
    assert_eq!(
        err.message,
        "The AWS service failed (HTTP 500); try again in a moment"
    );
    assert_eq!(count, CALLS * ATTEMPTS as usize, "the SDK retries 5xx");
}

#[tokio::test]
async fn http_503_without_a_body_is_retried_then_reported() {
    let (err, count) = fail_with(Behaviour::Respond(503, "")).await;
    assert_eq!(err.kind, ErrorKind::ServerError, "{err:?}");
    assert!(err.message.contains("HTTP 503"));
    assert_eq!(count, CALLS * ATTEMPTS as usize);
}

#[tokio::test]
async fn throttling_is_retried_then_reported() {
    let (err, count) = fail_with(Behaviour::Respond(400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>")).await;
    assert_eq!(err.kind, ErrorKind::Throttled, "{err:?}");
    assert_eq!(
        err.message,
        "AWS is throttling requests; wait a minute and try again"
    );
    assert_eq!(
        count,
        CALLS * ATTEMPTS as usize,
        "the SDK retries throttling"
    );
}

#[tokio::test]
async fn a_rejected_code_is_not_retried_and_says_wait() {
    let (err, count) = fail_with(Behaviour::Respond(403, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>MultiFactorAuthentication failed with invalid MFA one time pass code. </Message></Error></ErrorResponse>")).await;
    assert_eq!(err.kind, ErrorKind::MfaRejected, "{err:?}");
    assert_eq!(
        err.message,
        "That code was rejected — wait for the next one"
    );
    assert_eq!(count, CALLS, "a rejected code is final: no retry");
}

#[tokio::test]
async fn an_envelope_the_sdk_cannot_parse_still_shows_its_code() {
    // moto's STS auth errors: <ErrorResponse><Errors><Error>… which the SDK does not parse.
    let (err, _) = fail_with(Behaviour::Respond(403, "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>")).await;
    assert_eq!(err.kind, ErrorKind::InvalidKey, "{err:?}");
    assert!(
        err.detail.starts_with("InvalidClientTokenId (HTTP 403)"),
        "{}",
        err.detail
    );
    assert!(err.detail.contains("request id: fake-1"), "{}", err.detail);
}

#[tokio::test]
async fn expired_source_credentials_say_sign_in_again() {
    let (err, count) = fail_with(Behaviour::Respond(400, "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error></ErrorResponse>")).await;
    assert_eq!(err.kind, ErrorKind::Expired, "{err:?}");
    assert_eq!(err.message, "The credentials have expired: sign in again");
    assert_eq!(count, CALLS, "not retried");
}

#[tokio::test]
async fn garbage_bodies_give_a_readable_sentence() {
    let (err, _) = fail_with(Behaviour::Respond(
        418,
        "<html><body>I'm a teapot</body></html>",
    ))
    .await;
    assert_eq!(err.kind, ErrorKind::Other, "{err:?}");
    assert_eq!(
        err.message,
        "Signing in failed: the server answered HTTP 418 with no error keyfob could read"
    );
    let (err, _) = fail_with(Behaviour::Respond(502, "<html>Bad Gateway</html>")).await;
    assert_eq!(err.kind, ErrorKind::ServerError, "{err:?}");
}
