//! Every sign-in flow end to end against a real moto_server on 127.0.0.1: GetSessionToken with and
//! without MFA, AssumeRole with MFA, role chaining, profile sources, MFA detection (a TOTP device
//! chosen over a security key, security keys alone refused), and moto's auth enforcement refusing
//! a wrong secret and a forged token.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, SystemTime};

use common::{ACCOUNT, BUCKETS, Moto, list_buckets, request, seed};
use keyfob::aws::SourceCredentials;
use keyfob::aws::errors::ErrorKind;
use keyfob::aws::sts::{Flow, Mfa, RoleRequest, SignInRequest, detect_mfa, sign_in, whoami};
use keyfob::secret::Secret;
use keyfob::session::{Credentials, SessionKind};

fn mfa(serial: &str) -> Option<Mfa> {
    Some(Mfa {
        serial: serial.to_owned(),
        code: "123456".to_owned(),
    })
}

fn role(arn: &str, external_id: Option<&str>) -> RoleRequest {
    RoleRequest {
        role_arn: arn.to_owned(),
        session_name: "alice-session".to_owned(),
        external_id: external_id.map(str::to_owned),
    }
}

fn expected_buckets() -> Vec<String> {
    let mut b: Vec<String> = BUCKETS.iter().map(|s| (*s).to_owned()).collect();
    b.sort();
    b
}

#[tokio::test]
async fn get_session_token_with_mfa_then_list_buckets() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let env = moto.env();
    let before = SystemTime::now();
    let req = SignInRequest {
        region: Some("us-east-1".to_owned()),
        duration: Some(3600),
        ..request(
            SourceCredentials::Static(seed.alice.clone()),
            Flow::SessionToken {
                mfa: mfa(&seed.alice_mfa),
            },
        )
    };
    let s = sign_in(&env, &req).await.expect("sign in");
    assert_eq!(s.kind, SessionKind::SessionToken { mfa: true });
    assert!(
        s.credentials
            .session_token
            .as_ref()
            .is_some_and(|t| !t.is_empty())
    );
    assert_ne!(s.credentials.access_key_id, seed.alice.access_key_id);
    let left = s.expires_at.duration_since(before).expect("future");
    assert!(
        left > Duration::from_secs(3500) && left <= Duration::from_secs(3700),
        "{left:?}"
    );
    let source = s.source_identity.as_ref().expect("source identity");
    assert_eq!(source.arn, "arn:aws:iam::123456789012:user/alice");
    assert!(s.identity.is_some());
    assert_eq!(s.region.as_deref(), Some("us-east-1"));
    // The seed's last step: the temporary credentials list the account's buckets.
    assert_eq!(
        list_buckets(&env, &s.credentials).await.expect("list"),
        expected_buckets()
    );
}

#[tokio::test]
async fn get_session_token_without_mfa_is_the_plain_branch() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let env = moto.env();
    let req = request(
        SourceCredentials::Static(seed.bob.clone()),
        Flow::SessionToken { mfa: None },
    );
    let s = sign_in(&env, &req).await.expect("sign in");
    assert_eq!(s.kind, SessionKind::SessionToken { mfa: false });
    assert_eq!(
        s.source_identity.expect("source").arn,
        "arn:aws:iam::123456789012:user/bob"
    );
    // No region given: the fallback region is used and exported.
    assert_eq!(s.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        list_buckets(&env, &s.credentials).await.expect("list"),
        expected_buckets()
    );
}

#[tokio::test]
async fn assume_role_with_mfa_and_external_id() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let env = moto.env();
    let req = SignInRequest {
        region: Some("eu-west-1".to_owned()),
        duration: Some(1800),
        ..request(
            SourceCredentials::Static(seed.alice.clone()),
            Flow::AssumeRole {
                role: role(&seed.admin_role, Some("tenant-42")),
                mfa: mfa(&seed.alice_mfa),
            },
        )
    };
    let s = sign_in(&env, &req).await.expect("assume role");
    assert_eq!(
        s.kind,
        SessionKind::AssumedRole {
            role_arn: seed.admin_role.clone(),
            mfa: true
        }
    );
    let id = s.identity.clone().expect("identity");
    assert_eq!(
        id.arn,
        "arn:aws:sts::123456789012:assumed-role/admin/alice-session"
    );
    assert_eq!(id.account, "123456789012");
    assert_eq!(s.region.as_deref(), Some("eu-west-1"));
    let who = whoami(
        &env,
        &SourceCredentials::Static(s.credentials.clone()),
        None,
    )
    .await
    .expect("whoami");
    assert_eq!(who.arn, id.arn);
    assert_eq!(
        list_buckets(&env, &s.credentials).await.expect("list"),
        expected_buckets()
    );
}

#[tokio::test]
async fn one_mfa_code_serves_several_chained_roles() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let env = moto.env();
    let parent = sign_in(
        &env,
        &request(
            SourceCredentials::Static(seed.alice.clone()),
            Flow::SessionToken {
                mfa: mfa(&seed.alice_mfa),
            },
        ),
    )
    .await
    .expect("mfa session");
    for (arn, name) in [
        (&seed.admin_role, "admin"),
        (&seed.readonly_role, "readonly"),
    ] {
        // The source is ignored for a chained flow: the parent session signs the call.
        let req = SignInRequest {
            duration: Some(3600),
            ..request(
                SourceCredentials::DefaultChain,
                Flow::Chained {
                    role: role(arn, None),
                    parent: Box::new(parent.clone()),
                },
            )
        };
        let s = sign_in(&env, &req).await.expect("chained");
        assert_eq!(
            s.kind,
            SessionKind::Chained {
                role_arn: arn.clone()
            }
        );
        assert_eq!(
            s.identity.expect("id").arn,
            format!("arn:aws:sts::123456789012:assumed-role/{name}/alice-session")
        );
        // The source identity shown is the MFA session's.
        assert_eq!(s.source_identity, parent.identity);
    }
}

#[tokio::test]
async fn a_profile_with_keys_is_a_source() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let env = moto.env();
    let creds_file = env.profile_files.credentials.clone().expect("path");
    std::fs::write(
        &creds_file,
        format!(
            "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            seed.alice.access_key_id,
            seed.alice.secret_access_key.expose()
        ),
    )
    .expect("write credentials");
    std::fs::write(
        env.profile_files.config.clone().expect("path"),
        format!("[profile admin]\nrole_arn = {}\nsource_profile = base\nmfa_serial = {}\nregion = us-west-2\n", seed.admin_role, seed.alice_mfa),
    )
    .expect("write config");
    let profiles = keyfob::aws::profiles::load(&env.profile_files)
        .await
        .expect("profiles");
    let admin = profiles.get("admin").expect("admin profile");
    let mut form = keyfob::signin::SignInForm::default();
    form.fill_from(admin);
    form.code = "123456".to_owned();
    let req = form.check(None).expect("form is valid");
    assert_eq!(req.source, SourceCredentials::Profile("base".to_owned()));
    let s = sign_in(&env, &req).await.expect("sign in via profile");
    assert_eq!(
        s.source_identity.expect("source").arn,
        "arn:aws:iam::123456789012:user/alice"
    );
    assert_eq!(s.region.as_deref(), Some("us-west-2"));
    assert!(
        s.identity
            .expect("id")
            .arn
            .contains("assumed-role/admin/keyfob")
    );
}

#[tokio::test]
async fn detect_finds_the_device_or_guesses() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let env = moto.env();
    let found = detect_mfa(&env, &SourceCredentials::Static(seed.alice.clone()), None)
        .await
        .expect("alice");
    assert_eq!(found.serial, seed.alice_mfa);
    assert!(!found.guessed);
    // bob has no device in IAM: the naming convention gives a guess, marked as such.
    let guess = detect_mfa(&env, &SourceCredentials::Static(seed.bob.clone()), None)
        .await
        .expect("bob");
    assert_eq!(guess.serial, "arn:aws:iam::123456789012:mfa/bob");
    assert!(guess.guessed);
}

#[tokio::test]
async fn with_auth_on_a_wrong_secret_and_a_forged_token_are_refused_readably() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let env = moto.env();
    // A role session made before auth is switched on (moto refuses GetSessionToken credentials
    // once auth is on, so the forged-token case uses AssumeRole credentials).
    let role_session = sign_in(
        &env,
        &request(
            SourceCredentials::Static(seed.alice.clone()),
            Flow::AssumeRole {
                role: role(&seed.admin_role, None),
                mfa: mfa(&seed.alice_mfa),
            },
        ),
    )
    .await
    .expect("role session");
    moto.enable_auth();

    // Sanity: with the right keys and the real token, calls still work under enforcement.
    let ok = whoami(&env, &SourceCredentials::Static(seed.alice.clone()), None).await;
    assert_eq!(
        ok.expect("right keys").arn,
        "arn:aws:iam::123456789012:user/alice"
    );
    let ok = whoami(
        &env,
        &SourceCredentials::Static(role_session.credentials.clone()),
        None,
    )
    .await;
    assert!(ok.is_ok(), "{ok:?}");

    let wrong_secret = Credentials {
        access_key_id: seed.alice.access_key_id.clone(),
        secret_access_key: Secret::new("0000000000000000000000000000000000000000"),
        session_token: None,
    };
    let err = sign_in(
        &env,
        &request(
            SourceCredentials::Static(wrong_secret),
            Flow::SessionToken {
                mfa: mfa(&seed.alice_mfa),
            },
        ),
    )
    .await
    .expect_err("wrong secret must fail");
    assert_eq!(err.kind, ErrorKind::BadSignature, "{err:?}");
    assert_eq!(
        err.message,
        "The source secret key is wrong: AWS could not verify the signature"
    );
    assert!(
        err.detail.contains("SignatureDoesNotMatch"),
        "{}",
        err.detail
    );

    // A role the caller may not assume: a real AccessDenied from the server.
    let err = sign_in(
        &env,
        &request(
            SourceCredentials::Static(seed.bob.clone()),
            Flow::AssumeRole {
                role: role(&seed.admin_role, None),
                mfa: None,
            },
        ),
    )
    .await
    .expect_err("assume role must be refused");
    assert_eq!(err.kind, ErrorKind::AccessDenied, "{err:?}");
    assert!(
        err.message
            .starts_with("Access denied: User: arn:aws:iam::123456789012:user/bob"),
        "{}",
        err.message
    );

    // An access key the server does not know.
    let unknown = Credentials {
        access_key_id: "AKIAUNKNOWNUNKNOWN00".to_owned(),
        secret_access_key: Secret::new("0000000000000000000000000000000000000000"),
        session_token: None,
    };
    let err = whoami(&env, &SourceCredentials::Static(unknown), None)
        .await
        .expect_err("unknown key");
    assert_eq!(err.kind, ErrorKind::InvalidKey, "{err:?}");
    assert_eq!(
        err.message,
        "The source access key is not valid (unknown or deactivated)"
    );

    let mut forged = role_session.credentials.clone();
    let token = forged
        .session_token
        .as_ref()
        .expect("token")
        .expose()
        .to_owned();
    forged.session_token = Some(Secret::new(format!("{}FORGED", &token[..token.len() / 2])));
    let err = whoami(&env, &SourceCredentials::Static(forged), None)
        .await
        .expect_err("forged token must fail");
    assert!(
        matches!(err.kind, ErrorKind::InvalidToken | ErrorKind::InvalidKey),
        "{err:?}"
    );
    assert!(
        !err.message.is_empty() && !err.message.contains("failed:"),
        "{}",
        err.message
    );
}

/// Creates user `name` with access keys and enables `serials` as her MFA devices, in this order
/// (moto lists them in the order enabled). moto's EnableMFADevice takes any serial, so a
/// security key's `…:u2f/…` ARN gives a U2F device that ListMFADevices lists as IAM would.
async fn user_with_devices(moto: &Moto, name: &str, serials: &[String]) -> Credentials {
    let iam = aws_sdk_iam::Client::new(&common::admin_config(moto).await);
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .expect("user");
    for serial in serials {
        iam.enable_mfa_device()
            .user_name(name)
            .serial_number(serial)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .expect("enable device");
    }
    let listed: Vec<String> = iam
        .list_mfa_devices()
        .user_name(name)
        .send()
        .await
        .expect("list devices")
        .mfa_devices
        .into_iter()
        .map(|d| d.serial_number)
        .collect();
    assert_eq!(listed, serials, "IAM lists the devices in this order");
    common::access_key(&iam, name).await
}

#[tokio::test]
async fn detect_picks_the_totp_device_and_never_a_security_key() {
    let moto = Moto::start();
    let env = moto.env();
    let u2f = |user: &str| format!("arn:aws:iam::{ACCOUNT}:u2f/user/{user}/key-ABC");
    let virt = |user: &str| format!("arn:aws:iam::{ACCOUNT}:mfa/{user}");
    // The security key listed first, then the virtual device; and the other way round.
    for (user, serials) in [
        ("carol", vec![u2f("carol"), virt("carol")]),
        ("dave", vec![virt("dave"), u2f("dave")]),
    ] {
        let keys = user_with_devices(&moto, user, &serials).await;
        let found = detect_mfa(&env, &SourceCredentials::Static(keys), None)
            .await
            .expect(user);
        assert_eq!(found.serial, virt(user), "{user}");
        assert!(!found.guessed);
    }
    // Security keys only: a readable refusal, not a guess and not the key's ARN.
    let erin = user_with_devices(
        &moto,
        "erin",
        &[
            u2f("erin"),
            format!("arn:aws:iam::{ACCOUNT}:u2f/user/erin/key-DEF"),
        ],
    )
    .await;
    let err = detect_mfa(&env, &SourceCredentials::Static(erin), None)
        .await
        .expect_err("only security keys");
    assert_eq!(err.kind, ErrorKind::Invalid, "{err:?}");
    assert_eq!(
        err.message,
        "Security keys cannot be used with STS; use a virtual or hardware TOTP device"
    );
}
