//! AWS Sign-In (`aws login`) through the SDK's own token client against the loopback fake (its
//! authorize page, played by the fake itself as a browser would, and its token API, which checks
//! the PKCE verifier and verifies every DPoP proof), with STS and S3 on a real moto_server: the
//! same-device sign-in back to keyfob's loopback address, the cross-device one with a pasted
//! code, the CLI's cache, credentials that work, and every refusal in one sentence.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, SystemTime};

use common::pyfake::PyFake;
use common::{Moto, list_buckets};
use keyfob::aws::AwsEnv;
use keyfob::aws::login::{self, Authorization, Callback, Loopback, cache};
use keyfob::secret::Secret;
use keyfob::session::{Credentials, SessionKind};

const USER: &str = "arn:aws:iam::123456789012:user/passkey-user";

fn env(moto: &Moto, fake: &PyFake) -> AwsEnv {
    AwsEnv {
        signin_endpoint_url: Some(fake.url.clone()),
        ..moto.env()
    }
}

/// The browser's part, played by the fake: open `url`, press the passkey button (or cancel),
/// follow the redirect. `extra` adds fields to the control's JSON (a forged `state`).
async fn browse(fake: &PyFake, url: &str, action: &str, extra: &str) -> serde_json::Value {
    let port = fake.port;
    let body = format!(
        r#"{{"url": {}, "action": "{action}"{extra}}}"#,
        serde_json::Value::String(url.to_owned())
    );
    let (status, text) = tokio::task::spawn_blocking(move || {
        common::http(port, "POST", "/_control/browse", &body).expect("the fake answers")
    })
    .await
    .unwrap();
    let json = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn counts(fake: &PyFake) -> serde_json::Value {
    serde_json::from_str(&fake.control("counts", "")).unwrap()
}

fn state_of(url: &str) -> String {
    url.split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_owned()
}

/// A same-device sign-in up to the browser's return: the authorization and the callback.
async fn came_back(
    env: &AwsEnv,
    fake: &PyFake,
    action: &str,
    extra: &str,
) -> (Authorization, Result<Callback, String>) {
    let base = login::base_url(env, "us-east-1").await.unwrap();
    assert_eq!(base, fake.url);
    let loopback = Loopback::bind().await.unwrap();
    let auth = Authorization::new(&base, Some(&loopback.redirect_uri())).unwrap();
    let waiting = tokio::spawn(loopback.wait(Duration::from_secs(30)));
    let page = browse(fake, &auth.url, action, extra).await;
    let callback = waiting.await.unwrap().map_err(|e| e.message);
    if callback.is_ok() {
        let shown = page["page"].as_str().unwrap_or_default();
        assert!(shown.contains("you can close this tab"), "{page}");
    }
    (auth, callback)
}

#[tokio::test]
async fn a_passkey_sign_in_in_the_browser_gives_the_clis_cache_and_credentials_that_work() {
    let moto = Moto::start();
    common::seed(&moto).await;
    let fake = PyFake::signin(&[]);
    let env = env(&moto, &fake);
    let (auth, callback) = came_back(&env, &fake, "approve", "").await;
    let (arn, token) = auth
        .finish(&env, "us-east-1", &callback.unwrap())
        .await
        .expect("signed in");
    assert_eq!(arn, USER);
    assert_eq!(token.account_id, "123456789012");
    assert_eq!(token.client_id, login::SAME_DEVICE_CLIENT);
    assert!(
        token
            .dpop_key
            .expose()
            .starts_with("-----BEGIN EC PRIVATE KEY-----")
    );
    let left = token.expires_at.duration_since(SystemTime::now()).unwrap();
    assert!(
        left > Duration::from_secs(800) && left <= Duration::from_secs(900),
        "{left:?}"
    );
    assert_eq!(counts(&fake)["CreateOAuth2Token:authorization_code"], 1);

    // Cached as the CLI caches it, read back the same.
    let dir = tempfile::tempdir().unwrap();
    let path = cache::write(dir.path(), &arn, &token).unwrap();
    assert!(path.ends_with(
        format!("{}", cache::file_for(dir.path(), &arn).file_name().unwrap().to_string_lossy())
    ));
    assert_eq!(
        cache::read(dir.path(), &arn).unwrap().as_ref(),
        Some(&token)
    );

    // The credentials are a session like any other, and they work.
    let credentials = Credentials {
        access_key_id: token.access_key_id.clone(),
        secret_access_key: token.secret_access_key.clone(),
        session_token: Some(token.session_token.clone()),
    };
    let session = login::session(
        &env,
        "dev",
        &arn,
        credentials,
        token.expires_at,
        Some("us-east-1"),
    )
    .await
    .unwrap();
    assert_eq!(
        session.kind,
        SessionKind::Login {
            session_arn: USER.to_owned()
        }
    );
    assert!(session.kind.renews_itself());
    assert!(session.identity.is_some(), "GetCallerIdentity answered");
    let buckets = list_buckets(&env, &session.credentials)
        .await
        .expect("S3 lists");
    assert!(!buckets.is_empty(), "the seeded buckets are listed");
}

#[tokio::test]
async fn the_code_pasted_from_another_device_signs_in_too() {
    let moto = Moto::start();
    let fake = PyFake::signin(&[]);
    let env = env(&moto, &fake);
    let base = login::base_url(&env, "eu-west-1").await.unwrap();
    let auth = Authorization::new(&base, None).unwrap();
    assert!(auth.url.contains("cross-device"), "{}", auth.url);
    let page = browse(&fake, &auth.url, "approve", "").await;
    let pasted = page["code"].as_str().expect("the page shows a code");
    let callback = login::parse_pasted_code(&format!("{pasted}\n")).unwrap();
    let (arn, token) = auth
        .finish(&env, "eu-west-1", &callback)
        .await
        .expect("signed in");
    assert_eq!(
        (arn.as_str(), token.client_id.as_str()),
        (USER, login::CROSS_DEVICE_CLIENT)
    );
}

#[tokio::test]
async fn a_forged_state_a_replayed_code_and_a_cancelled_sign_in_are_refused_in_one_sentence() {
    let moto = Moto::start();
    let fake = PyFake::signin(&[]);
    let env = env(&moto, &fake);

    // A redirect carrying another state: refused before the code is spent.
    let (auth, callback) = came_back(&env, &fake, "approve", r#", "state": "forged""#).await;
    let e = auth
        .finish(&env, "us-east-1", &callback.unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "The browser came back from a sign-in keyfob did not start (its state did not match); nothing was kept"
    );
    assert!(
        counts(&fake)
            .get("CreateOAuth2Token:authorization_code")
            .is_none(),
        "no token call"
    );

    // A code used once, then again by another sign-in: AWS Sign-In refuses it.
    let (auth, callback) = came_back(&env, &fake, "approve", "").await;
    let callback = callback.unwrap();
    let spent = callback.code.expose().to_owned();
    auth.finish(&env, "us-east-1", &callback)
        .await
        .expect("the first use works");
    let base = login::base_url(&env, "us-east-1").await.unwrap();
    let again = Authorization::new(&base, Some("http://127.0.0.1:9/oauth/callback")).unwrap();
    let replay = Callback {
        code: Secret::new(spent),
        state: state_of(&again.url),
    };
    let e = again.finish(&env, "us-east-1", &replay).await.unwrap_err();
    assert_eq!(
        e.message,
        "The sign-in code has expired or was already used; sign in again"
    );

    // The user cancels on the page: the browser comes back with an error.
    let (_, callback) = came_back(&env, &fake, "deny", "").await;
    assert_eq!(
        callback.unwrap_err(),
        "The sign-in page said no: The user cancelled the sign-in"
    );
}

#[tokio::test]
async fn nothing_coming_back_ends_the_wait_with_a_sentence() {
    let loopback = Loopback::bind().await.unwrap();
    let e = loopback.wait(Duration::from_millis(200)).await.unwrap_err();
    assert_eq!(
        e.message,
        "The browser did not come back within 0 minutes; sign in again"
    );
}

/// The code form's AWS Sign-In makes a profile of its own: a profile that signs in another way is
/// refused (not changed), as is a name that is no profile name, before any browser opens.
#[tokio::test]
async fn an_aws_sign_in_from_the_form_refuses_a_profile_that_signs_in_another_way() {
    use keyfob::aws::ProfileFilesSpec;
    use keyfob::aws::cached_sign_in::login_as_profile;

    let moto = Moto::start();
    let fake = PyFake::signin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let text =
        "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/pat\nregion = eu-west-1\n";
    std::fs::write(&config, text).unwrap();
    let env = AwsEnv {
        profile_files: ProfileFilesSpec {
            config: Some(config.clone()),
            credentials: Some(dir.path().join("credentials")),
        },
        ..env(&moto, &fake)
    };
    let no_browser =
        |w: keyfob::aws::cached_sign_in::Waiting| panic!("the browser was asked for: {w:?}");
    let e = login_as_profile(&env, "work", "us-east-1", no_browser)
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "Profile work signs in another way already: choose a new name for the AWS Sign-In profile"
    );
    let e = login_as_profile(&env, "my laptop", "us-east-1", no_browser)
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "'my laptop' is not a usable profile name (letters, digits and - _ . @ +)"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    assert!(
        counts(&fake).get("authorize").is_none(),
        "no page was asked for"
    );
}
