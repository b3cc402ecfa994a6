//! IAM Identity Center through the SDK's own clients against the loopback fake (its OIDC and
//! portal APIs), with STS and S3 on a real moto_server: the device sign-in, the CLI's token cache,
//! refresh, accounts and roles, role credentials that work, and every refusal in one sentence.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, SystemTime};

use common::pyfake::PyFake;
use common::{Moto, list_buckets};
use keyfob::aws::AwsEnv;
use keyfob::aws::errors::ErrorKind;
use keyfob::aws::sso::{self, Clients, SsoSettings, cache};
use keyfob::session::SessionKind;

const START_URL: &str = "https://d-9067c1a2b3.awsapps.com/start";
const DEV: &str = "111111111111";

fn settings() -> SsoSettings {
    SsoSettings {
        session: Some("my-sso".into()),
        start_url: START_URL.into(),
        region: "eu-west-1".into(),
        account_id: Some(DEV.into()),
        role_name: Some("ReadOnlyAccess".into()),
        scopes: vec![sso::DEFAULT_SCOPE.into()],
    }
}

fn env(moto: &Moto, fake: &PyFake) -> AwsEnv {
    AwsEnv {
        sso_endpoint_url: Some(fake.url.clone()),
        ..moto.env()
    }
}

/// A signed-in token: the device flow, approved on the fake's page.
async fn signed_in(clients: &Clients, fake: &PyFake) -> sso::CachedToken {
    let pending = sso::start(clients, &settings()).await.expect("start");
    assert!(
        pending.url().contains(&pending.user_code),
        "{}",
        pending.url()
    );
    fake.answer(&pending.user_code, "approve");
    sso::wait(clients, &settings(), &pending)
        .await
        .expect("approved")
}

#[tokio::test]
async fn a_device_sign_in_gives_a_cached_token_and_a_role_session_that_works() {
    let moto = Moto::start();
    common::seed(&moto).await;
    let fake = PyFake::sso(&[]);
    let env = env(&moto, &fake);
    let clients = Clients::new(&env, "eu-west-1").await;
    let token = signed_in(&clients, &fake).await;
    assert!(token.refresher(SystemTime::now()).is_some(), "refreshable");
    let left = token.expires_at.duration_since(SystemTime::now()).unwrap();
    assert!(left > Duration::from_secs(7 * 3600), "8 h token: {left:?}");

    // Cached where and as the AWS CLI caches it; read back the same.
    let dir = tempfile::tempdir().unwrap();
    let path = cache::write(dir.path(), "my-sso", &token).expect("write");
    assert_eq!(path, cache::file_for(dir.path(), "my-sso"));
    let cached = sso::cached_token(&clients, &settings(), dir.path())
        .await
        .expect("read")
        .expect("there");
    assert_eq!(
        cached.access_token, token.access_token,
        "used as it is, not refreshed"
    );

    let session = sso::role_session(
        &env,
        &clients,
        &cached,
        "sso-dev",
        (DEV, "ReadOnlyAccess"),
        Some("eu-west-1"),
    )
    .await
    .expect("role credentials");
    assert_eq!(
        session.kind,
        SessionKind::Sso {
            account_id: DEV.into(),
            role_name: "ReadOnlyAccess".into()
        }
    );
    let left = session.remaining(SystemTime::now());
    assert!(
        left > Duration::from_secs(3500) && left <= Duration::from_secs(3600),
        "{left:?}"
    );
    assert!(
        session.identity.is_some(),
        "GetCallerIdentity answered through moto"
    );
    assert!(session.kind.renews_itself());
    let buckets = list_buckets(&env, &session.credentials)
        .await
        .expect("S3 with the role");
    assert!(
        buckets.contains(&common::BUCKETS[0].to_owned()),
        "{buckets:?}"
    );
    assert!(!format!("{session:?}{cached:?}").contains(token.access_token.expose()));

    // The portal's lists.
    let accounts = sso::accounts(&clients, &cached).await.expect("accounts");
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, [DEV, "222222222222"]);
    let roles = sso::roles(&clients, &cached, DEV).await.expect("roles");
    assert_eq!(roles, ["AdministratorAccess", "ReadOnlyAccess"]);
}

#[tokio::test]
async fn a_token_near_its_end_is_refreshed_and_the_cache_rewritten_and_a_revoked_one_asks_again() {
    let moto = Moto::start();
    let fake = PyFake::sso(&[]);
    let env = env(&moto, &fake);
    let clients = Clients::new(&env, "eu-west-1").await;
    let mut token = signed_in(&clients, &fake).await;
    token.expires_at = SystemTime::now() + Duration::from_secs(60); // inside the margin
    let dir = tempfile::tempdir().unwrap();
    cache::write(dir.path(), "my-sso", &token).unwrap();
    let fresh = sso::cached_token(&clients, &settings(), dir.path())
        .await
        .expect("refresh")
        .expect("a token");
    assert_ne!(fresh.access_token, token.access_token, "a new access token");
    assert_ne!(
        fresh.refresh_token, token.refresh_token,
        "the new refresh token kept"
    );
    let on_disk = cache::read(dir.path(), "my-sso").unwrap().unwrap();
    assert_eq!(on_disk.access_token, fresh.access_token, "written back");

    // Revoked (signed out elsewhere, an administrator): the role call says so in one sentence,
    // and a refresh gives "sign in again" with the cache left as it was.
    fake.control("revoke", "{}");
    let e = sso::role_session(&env, &clients, &fresh, "p", (DEV, "ReadOnlyAccess"), None)
        .await
        .expect_err("revoked");
    assert_eq!(e.kind, ErrorKind::Expired, "{e:?}");
    assert!(
        e.message
            .contains("has ended or was revoked; sign in again"),
        "{}",
        e.message
    );
    let mut ending = on_disk.clone();
    ending.expires_at = SystemTime::now();
    cache::write(dir.path(), "my-sso", &ending).unwrap();
    let before = std::fs::read_to_string(cache::file_for(dir.path(), "my-sso")).unwrap();
    let again = sso::cached_token(&clients, &settings(), dir.path())
        .await
        .expect("no error");
    assert!(again.is_none(), "a person must sign in");
    let after = std::fs::read_to_string(cache::file_for(dir.path(), "my-sso")).unwrap();
    assert_eq!(before, after, "nothing written");
}

#[tokio::test]
async fn denied_expired_and_replayed_codes_and_a_removed_role_each_say_one_sentence() {
    let moto = Moto::start();
    let fake = PyFake::sso(&["--device-seconds", "2"]);
    let env = env(&moto, &fake);
    let clients = Clients::new(&env, "eu-west-1").await;

    let pending = sso::start(&clients, &settings()).await.unwrap();
    fake.answer(&pending.user_code, "deny");
    let e = sso::wait(&clients, &settings(), &pending)
        .await
        .expect_err("denied");
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    assert_eq!(
        e.message,
        "The sign-in was not approved in the browser; nothing was signed in"
    );

    let pending = sso::start(&clients, &settings()).await.unwrap();
    let e = sso::wait(&clients, &settings(), &pending)
        .await
        .expect_err("never approved");
    assert_eq!(
        e.message,
        "The sign-in code expired before it was approved; sign in again"
    );

    // A code used once is refused the second time (a replay).
    let fake = PyFake::sso(&[]);
    let env = AwsEnv {
        sso_endpoint_url: Some(fake.url.clone()),
        ..env
    };
    let clients = Clients::new(&env, "eu-west-1").await;
    let pending = sso::start(&clients, &settings()).await.unwrap();
    fake.answer(&pending.user_code, "approve");
    let token = sso::wait(&clients, &settings(), &pending)
        .await
        .expect("approved");
    let e = sso::wait(&clients, &settings(), &pending)
        .await
        .expect_err("replayed");
    assert_eq!(
        e.message,
        "The sign-in code was already used or is not valid; sign in again"
    );

    // A role removed while the list showed it.
    let roles = sso::roles(&clients, &token, DEV).await.unwrap();
    assert!(roles.contains(&"AdministratorAccess".to_owned()));
    fake.control(
        "remove-role",
        r#"{"accountId": "111111111111", "roleName": "AdministratorAccess"}"#,
    );
    let e = sso::role_session(
        &env,
        &clients,
        &token,
        "p",
        (DEV, "AdministratorAccess"),
        None,
    )
    .await
    .expect_err("removed");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(
        e.message,
        "You have no role AdministratorAccess in account 111111111111 (it may have been removed)"
    );
}

#[tokio::test]
async fn every_account_is_listed_across_pages() {
    let moto = Moto::start();
    let fake = PyFake::sso(&["--accounts", "2000"]);
    let env = env(&moto, &fake);
    let clients = Clients::new(&env, "eu-west-1").await;
    let token = signed_in(&clients, &fake).await;
    let accounts = sso::accounts(&clients, &token).await.expect("accounts");
    assert_eq!(accounts.len(), 2000);
    let counts = fake.control("counts", "{}");
    assert!(
        counts.contains("\"ListAccounts\": 20"),
        "20 pages of 100: {counts}"
    );
}

/// What the window does through a profile that names no role: the accounts listed (the device
/// sign-in first, its page and code handed to the window), an account's roles, a role's session
/// (renewed later through the profile it came from), and the pair saved as a profile the SDK's
/// loader reads back; a taken name is refused with the file untouched.
#[tokio::test]
async fn the_windows_picker_lists_signs_in_as_a_chosen_role_and_saves_it_as_a_profile() {
    use keyfob::aws::cached_sign_in::{self, SsoChoices};
    use keyfob::aws::{ProfileFilesSpec, profiles};

    let moto = Moto::start();
    let fake = PyFake::sso(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n\n[profile pick]\nsso_session = corp\nregion = eu-west-1\n"
        ),
    )
    .unwrap();
    let env = AwsEnv {
        profile_files: ProfileFilesSpec {
            config: Some(config.clone()),
            credentials: Some(dir.path().join("credentials")),
        },
        sso_cache_dir: Some(dir.path().join("sso-cache")),
        ..env(&moto, &fake)
    };
    // The authorization-code sign-in: the window is handed the page (no code to show), and the
    // user allows it in the browser (the fake plays the browser, on a thread of its own: the
    // window's listener answers only once the handing over is done).
    let port = fake.port;
    let waiting = move |w: cached_sign_in::Waiting| {
        assert_eq!(w.user_code, None);
        assert!(w.url.contains("/authorize?"), "{}", w.url);
        let body = serde_json::json!({"url": w.url, "action": "approve"}).to_string();
        std::thread::spawn(move || common::http(port, "POST", "/_control/browse", &body));
    };
    let choices = cached_sign_in::sso_choices(&env, "pick", None, waiting)
        .await
        .unwrap();
    let SsoChoices::Accounts(accounts) = choices else {
        panic!("{choices:?}")
    };
    assert_eq!(accounts.len(), 2);
    assert!(
        dir.path().join("sso-cache").read_dir().unwrap().count() == 1,
        "the sign-in is cached"
    );
    let no_browser = |w: cached_sign_in::Waiting| panic!("the cached sign-in was not used: {w:?}");
    let roles = cached_sign_in::sso_choices(&env, "pick", Some(DEV), no_browser)
        .await
        .unwrap();
    assert_eq!(
        roles,
        SsoChoices::Roles {
            account_id: DEV.into(),
            roles: vec!["AdministratorAccess".into(), "ReadOnlyAccess".into()]
        }
    );
    let session = cached_sign_in::sso_role(&env, "pick", (DEV, "ReadOnlyAccess"), no_browser)
        .await
        .unwrap();
    assert_eq!(session.name, "ReadOnlyAccess@111111111111");
    assert_eq!(session.origin.profile.as_deref(), Some("pick"));
    let buckets = list_buckets(&env, &session.credentials).await;
    assert!(buckets.is_ok(), "{buckets:?}");
    // Renewed through the profile it came from.
    let renewed = cached_sign_in::renew(&env, &session).await.unwrap();
    assert_ne!(
        renewed.credentials.access_key_id,
        session.credentials.access_key_id
    );

    cached_sign_in::save_sso_profile(&env, "pick", "team-ro", (DEV, "ReadOnlyAccess"))
        .await
        .unwrap();
    let saved = profiles::load(&env.profile_files).await.unwrap();
    let info = saved.get("team-ro").expect("the new profile");
    let settings = info.sso.clone().unwrap().unwrap();
    assert_eq!(
        (settings.session.as_deref(), settings.role()),
        (Some("corp"), Some((DEV, "ReadOnlyAccess")))
    );
    let before = std::fs::read_to_string(&config).unwrap();
    assert!(before.starts_with("[sso-session corp]\n"), "{before}");
    let taken =
        cached_sign_in::save_sso_profile(&env, "pick", "team-ro", (DEV, "AdministratorAccess"))
            .await
            .unwrap_err();
    assert_eq!(
        taken.message,
        "A profile team-ro exists already: choose another name"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
}

/// The authorization-code sign-in (what `aws sso login` does by default): keyfob registers for the
/// grant with its loopback address, the browser comes back there with a code, and the code with
/// the PKCE verifier buys a token that refreshes; a forged state is refused before the code is
/// spent, and a code is good once.
#[tokio::test]
async fn the_authorization_code_sign_in_comes_back_to_keyfob_and_refuses_a_forged_state() {
    use keyfob::aws::login::{Callback, Loopback};

    let moto = Moto::start();
    let fake = PyFake::sso(&[]);
    let env = env(&moto, &fake);
    let clients = Clients::new(&env, "eu-west-1").await;
    let browse = |url: String, extra: serde_json::Value| {
        let port = fake.port;
        let mut body = serde_json::json!({"url": url, "action": "approve"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        tokio::task::spawn_blocking(move || {
            common::http(port, "POST", "/_control/browse", &body.to_string()).expect("the fake")
        })
    };

    let loopback = Loopback::bind().await.unwrap();
    let auth = sso::start_auth_code(&env, &clients, &settings(), &loopback.redirect_uri())
        .await
        .unwrap();
    assert!(auth.url.starts_with(&format!(
        "{}/authorize?response_type=code&client_id=",
        fake.url
    )));
    assert!(
        auth.url
            .contains("&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge=")
    );
    let waiting = tokio::spawn(loopback.wait(Duration::from_secs(30)));
    let (status, page) = browse(auth.url.clone(), serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    let callback = waiting.await.unwrap().unwrap();
    let spent = callback.code.expose().to_owned();
    let token = sso::finish_auth_code(&clients, &settings(), &auth, &callback)
        .await
        .unwrap();
    assert!(token.refresher(SystemTime::now()).is_some(), "refreshable");
    let refreshed = sso::refresh(&clients, &token).await.unwrap();
    assert_ne!(refreshed.access_token, token.access_token);
    let session = sso::role_session(
        &env,
        &clients,
        &refreshed,
        "dev",
        (DEV, "ReadOnlyAccess"),
        Some("eu-west-1"),
    )
    .await
    .unwrap();
    assert!(list_buckets(&env, &session.credentials).await.is_ok());

    // The same code again: refused by IAM Identity Center.
    let replay = Callback {
        code: keyfob::secret::Secret::new(spent),
        state: callback.state.clone(),
    };
    let e = sso::finish_auth_code(&clients, &settings(), &auth, &replay)
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "The sign-in code was already used or is not valid; sign in again"
    );

    // A redirect carrying another state: refused here, the code never sent.
    let loopback = Loopback::bind().await.unwrap();
    let auth = sso::start_auth_code(&env, &clients, &settings(), &loopback.redirect_uri())
        .await
        .unwrap();
    let waiting = tokio::spawn(loopback.wait(Duration::from_secs(30)));
    browse(auth.url.clone(), serde_json::json!({"state": "forged"}))
        .await
        .unwrap();
    let forged = waiting.await.unwrap().unwrap();
    let tokens_before = fake.control("counts", "");
    let e = sso::finish_auth_code(&clients, &settings(), &auth, &forged)
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "The browser came back from a sign-in keyfob did not start (its state did not match); nothing was kept"
    );
    assert_eq!(
        fake.control("counts", ""),
        tokens_before,
        "no call was made"
    );
}
