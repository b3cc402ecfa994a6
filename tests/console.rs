//! Console sign-in with real parts on loopback: a fake federation endpoint (a small tokio server)
//! checks each getSigninToken request and answers a sign-in token; moto answers GetFederationToken
//! for an MFA session token, signed with the long-term keys the session came from (moto's auth
//! on, so other keys are refused); the real worker opens the URL in a recording browser, refuses an
//! ended session or one that cannot have a console before any request, and no log holds the URL,
//! the sign-in token or the session's secrets.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::fixtures::{SECRET, TOKEN, assumed_role, session};
use common::{Moto, request, seed};
use keyfob::aws::console::{self, ConsoleError, Route};
use keyfob::aws::errors::ErrorKind;
use keyfob::aws::sts::{Flow, Mfa, sign_in};
use keyfob::aws::{AwsEnv, SourceCredentials};
use keyfob::keystore::{Keystore, LongTermKey};
use keyfob::message::{Command, Event};
use keyfob::opener::OpenError;
use keyfob::secret::Secret;
use keyfob::session::{Session, SessionKind, SourceChoice};
use keyfob::worker::{Ports, UrlOpener};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const SIGNIN_TOKEN: &str = "fake-Signin+Token/0123456789=";
/// How the session token of moto's GetFederationToken answers starts (its GetSessionToken
/// answers have another, and both have the same key id).
const MOTO_FEDERATED_TOKEN: &str = "AQoDYXdzEPT";

/// The fake federation endpoint: records each request's query parameters, answers `status` with
/// a sign-in token (200) or an error page.
struct Federation {
    url: String,
    seen: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl Federation {
    async fn start(status: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/federation", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap()
                    .to_owned();
                let target = line.split(' ').nth(1).unwrap();
                assert!(line.starts_with("GET /federation?"), "{line}");
                record
                    .lock()
                    .unwrap()
                    .push(params(target.split_once('?').unwrap().1));
                let body = match status {
                    200 => format!("{{\"SigninToken\":\"{SIGNIN_TOKEN}\"}}"),
                    _ => "<html>Bad Request</html>".to_owned(),
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(answer.as_bytes()).await;
            }
        });
        Self { url, seen }
    }

    fn env(&self) -> AwsEnv {
        at(&self.url)
    }

    fn requests(&self) -> Vec<HashMap<String, String>> {
        self.seen.lock().unwrap().clone()
    }

    /// The one request so far, with its Session JSON parsed.
    fn only_request(&self) -> (HashMap<String, String>, serde_json::Value) {
        let seen = self.requests();
        assert_eq!(seen.len(), 1, "{seen:?}");
        let json = serde_json::from_str(&seen[0]["Session"]).unwrap();
        (seen[0].clone(), json)
    }
}

/// keyfob's AWS settings with the federation endpoint at `url`.
fn at(url: &str) -> AwsEnv {
    let federation_url = Some(url.to_owned());
    AwsEnv {
        federation_url,
        sso_endpoint_url: None,
        signin_endpoint_url: None,
        sso_cache_dir: None,
        ..AwsEnv::default()
    }
}

/// A query string's parameters, percent-decoded.
fn params(query: &str) -> HashMap<String, String> {
    let decode = |s: &str| {
        let mut parts = s.split('%');
        let mut out = parts.next().unwrap().as_bytes().to_vec();
        for p in parts {
            out.push(u8::from_str_radix(&p[..2], 16).unwrap());
            out.extend_from_slice(&p.as_bytes()[2..]);
        }
        String::from_utf8(out).unwrap()
    };
    let pairs = query.split('&').filter_map(|kv| kv.split_once('='));
    pairs.map(|(k, v)| (decode(k), decode(v))).collect()
}

/// alice's role session (or one of `kind`) with an hour left.
fn alice(kind: SessionKind) -> (Session, SystemTime) {
    let now = SystemTime::now();
    let s = session("admin", kind, now, now + Duration::from_secs(3600));
    (s, now)
}

/// The login URL the endpoint's answer leads to, for alice's region.
fn expected_login(federation: &str) -> String {
    format!(
        "{federation}?Action=login&Issuer=keyfob&Destination=https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Deu-west-1&SigninToken=fake-Signin%2BToken%2F0123456789%3D"
    )
}

#[tokio::test]
async fn a_role_session_signs_in_with_its_own_credentials() {
    let fed = Federation::start(200).await;
    let (role, now) = alice(assumed_role());
    let route = console::route(&role, now).unwrap();
    assert_eq!(
        route,
        Route::Role {
            duration: Some(3600)
        }
    );
    let url = console::signin_url(&fed.env(), &role, route, now)
        .await
        .unwrap();
    assert_eq!(url.expose(), expected_login(&fed.url));
    let (query, json) = fed.only_request();
    assert_eq!(query["Action"], "getSigninToken");
    assert_eq!(query["SessionDuration"], "3600");
    assert_eq!(json["sessionId"], "ASIAEXAMPLEEXAMPLE01");
    assert_eq!(
        (json["sessionKey"].as_str(), json["sessionToken"].as_str()),
        (Some(SECRET), Some(TOKEN))
    );
    assert!(!format!("{url:?}").contains(SIGNIN_TOKEN.split('+').next().unwrap()));

    // A chained role: no SessionDuration (AWS refuses one for role chaining).
    let fed = Federation::start(200).await;
    let (chained, now) = alice(SessionKind::Chained {
        role_arn: common::fixtures::ROLE.into(),
    });
    let route = console::route(&chained, now).unwrap();
    console::signin_url(&fed.env(), &chained, route, now)
        .await
        .unwrap();
    let (query, json) = fed.only_request();
    assert!(!query.contains_key("SessionDuration"), "{:?}", query.keys());
    assert_eq!(json["sessionToken"], TOKEN);
}

#[tokio::test]
async fn a_refusing_or_absent_endpoint_is_one_sentence_without_the_secrets() {
    let (role, now) = alice(assumed_role());
    let fed = Federation::start(400).await;
    let route = console::route(&role, now).unwrap();
    let err = console::signin_url(&fed.env(), &role, route.clone(), now)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The AWS sign-in service refused the session (HTTP 400)"
    );
    assert_eq!(fed.requests().len(), 1);
    let closed = at(&format!("http://127.0.0.1:{}/f", common::free_port()));
    let ConsoleError::Aws(e) = console::signin_url(&closed, &role, route, now)
        .await
        .unwrap_err()
    else {
        panic!("not an AWS error");
    };
    assert_eq!(e.kind, ErrorKind::Unreachable);
    assert_eq!(
        e.message,
        "Could not reach the AWS sign-in service; check your network"
    );
    for shown in [&e.message, &e.detail] {
        assert!(
            !shown.contains(SECRET) && !shown.contains(TOKEN) && !shown.contains("Session"),
            "{shown}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_endpoint_that_never_answers_is_given_up_after_10_seconds() {
    let silent = common::fake::FakeServer::start(common::fake::Behaviour::Silent).await;
    let env = at(&format!("{}/federation", silent.url));
    let (role, now) = alice(assumed_role());
    let started = tokio::time::Instant::now();
    let err = console::signin_url(&env, &role, Route::Role { duration: None }, now)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("The AWS sign-in service did not answer within 10 s"),
        "{err}"
    );
    assert_eq!(started.elapsed().as_secs(), 10, "on tokio's paused clock");
    assert_eq!(silent.count(), 1, "the request was sent");
}

fn mfa_code(serial: &str) -> Option<Mfa> {
    Some(Mfa {
        serial: serial.to_owned(),
        code: "123456".to_owned(),
    })
}

#[tokio::test]
async fn an_mfa_session_token_asks_for_a_federation_token_with_its_long_term_keys() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let keys = |name: &str, id: &str, secret: &str| {
        format!("[{name}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n")
    };
    let alice = keys(
        "alice",
        &seed.alice.access_key_id,
        seed.alice.secret_access_key.expose(),
    );
    let mallory = keys("mallory", "AKIAMALLORYMALLORY01", "not-a-real-secret");
    let file = format!("{alice}{mallory}");
    std::fs::write(moto.profile_files.credentials.as_ref().unwrap(), file).unwrap();
    let fed = Federation::start(200).await;
    let env = AwsEnv {
        federation_url: Some(fed.url.clone()),
        sso_endpoint_url: None,
        signin_endpoint_url: None,
        sso_cache_dir: None,
        ..moto.env()
    };
    let req = request(
        SourceCredentials::Static(seed.alice.clone()),
        Flow::SessionToken {
            mfa: mfa_code(&seed.alice_mfa),
        },
    );
    let mut mfa = sign_in(&env, &req).await.expect("the MFA session");
    moto.enable_auth();

    // From the default chain: no long-term keys, one sentence, nothing sent.
    let err = console::route(&mfa, SystemTime::now()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("This MFA session came from the default credential chain"),
        "{err}"
    );

    mfa.origin.source = SourceChoice::Profile("alice".into());
    let route = console::route(&mfa, SystemTime::now()).unwrap();
    let url = console::signin_url(&env, &mfa, route, SystemTime::now())
        .await
        .unwrap();
    assert!(url.expose().starts_with(&format!(
        "{}?Action=login&Issuer=keyfob&Destination=https%3A%2F%2Fus-east-1.console.aws.amazon.com",
        fed.url
    )));
    let (_, json) = fed.only_request();
    let sent = json["sessionToken"].as_str().unwrap();
    let own = mfa.credentials.session_token.as_ref().unwrap().expose();
    assert!(
        sent.starts_with(MOTO_FEDERATED_TOKEN),
        "the federated user's token: {sent}"
    );
    assert_ne!(sent, own, "not the MFA session's own token");

    // Keys AWS does not know (moto's auth is on): GetFederationToken is refused, nothing reaches
    // the federation endpoint.
    mfa.origin.source = SourceChoice::Profile("mallory".into());
    let route = console::route(&mfa, SystemTime::now()).unwrap();
    let err = console::signin_url(&env, &mfa, route, SystemTime::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConsoleError::Aws(e) if e.kind == ErrorKind::InvalidKey),
        "{err:?}"
    );
    assert_eq!(fed.requests().len(), 1);

    // A session token without MFA cannot have a console at all.
    let mut plain = mfa.clone();
    plain.kind = SessionKind::SessionToken { mfa: false };
    assert!(matches!(
        console::route(&plain, SystemTime::now()),
        Err(ConsoleError::Unavailable(_))
    ));
}

/// A browser that records the URLs it is given; or one that is not there; or one that is there
/// but fails to open the page.
#[derive(Default)]
struct Recording {
    urls: Mutex<Vec<String>>,
    missing: bool,
    fail: bool,
}

impl UrlOpener for Recording {
    fn open(&self, url: &Secret) -> Result<(), OpenError> {
        self.check()?;
        if self.fail {
            return Err(OpenError::Failed(
                "broken-browser".into(),
                "exit status: 3".into(),
            ));
        }
        self.urls.lock().unwrap().push(url.expose().to_owned());
        Ok(())
    }

    fn check(&self) -> Result<(), OpenError> {
        if self.missing {
            return Err(OpenError::NotFound("no-such-browser".into()));
        }
        Ok(())
    }
}

/// Sends `command` and waits for the console's answer.
fn ask(channels: &keyfob::worker::Channels, session: &Session) -> Result<(), ConsoleError> {
    let session = Box::new(session.clone());
    channels
        .commands
        .send(Command::OpenConsole { session })
        .unwrap();
    let answer = channels.events.recv_timeout(Duration::from_secs(30));
    match answer.expect("an answer") {
        Event::ConsoleOpened(result) => result,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_worker_opens_the_console_in_the_browser_and_refuses_what_cannot_have_one() {
    let logs = tempfile::NamedTempFile::new().unwrap();
    tracing_subscriber::fmt()
        .with_max_level(tracing::level_filters::LevelFilter::TRACE)
        .with_writer(Mutex::new(logs.reopen().unwrap()))
        .with_ansi(false)
        .init();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let fed = rt.block_on(Federation::start(200));
    let store = keyring_core::mock::Store::new().unwrap();
    let ks = Keystore::with_store(store, "keyfob-test-console");
    let key = LongTermKey {
        name: "alice-keys".into(),
        credentials: seed.alice.clone(),
    };
    ks.save_key(&key).unwrap();
    let browser = Arc::new(Recording::default());
    let env = AwsEnv {
        federation_url: Some(fed.url.clone()),
        sso_endpoint_url: None,
        signin_endpoint_url: None,
        sso_cache_dir: None,
        ..moto.env()
    };
    let ports = Ports {
        browser: browser.clone(),
        ..Ports::headless()
    };
    let channels = keyfob::worker::spawn(env.clone(), Ok(ks), ports).unwrap();

    let (role, _) = alice(assumed_role());
    ask(&channels, &role).unwrap();
    assert_eq!(
        browser.urls.lock().unwrap().clone(),
        [expected_login(&fed.url)]
    );

    // An MFA session token from keys in the keyring: read on the keyring's thread, then
    // GetFederationToken with them.
    let req = request(
        SourceCredentials::Static(seed.alice.clone()),
        Flow::SessionToken {
            mfa: mfa_code(&seed.alice_mfa),
        },
    );
    let mut mfa = rt.block_on(sign_in(&env, &req)).unwrap();
    mfa.origin.source = SourceChoice::Keyring("alice-keys".into());
    ask(&channels, &mfa).unwrap();
    assert!(fed.requests()[1]["Session"].contains(MOTO_FEDERATED_TOKEN));

    // Refused before any request: an ended session, one without MFA.
    let mut ended = role.clone();
    ended.expires_at = SystemTime::now() - Duration::from_secs(1);
    assert_eq!(ask(&channels, &ended), Err(ConsoleError::Expired));
    let mut plain = mfa.clone();
    plain.kind = SessionKind::SessionToken { mfa: false };
    assert!(matches!(
        ask(&channels, &plain),
        Err(ConsoleError::Unavailable(_))
    ));
    assert_eq!(
        (fed.requests().len(), browser.urls.lock().unwrap().len()),
        (2, 2)
    );

    // No browser: one sentence, and the sign-in token is never asked for (the URL would be a
    // secret with nowhere to go).
    let with_browser = |browser: Recording| {
        let ports = Ports {
            browser: Arc::new(browser),
            ..Ports::headless()
        };
        let keystore = Err(keyfob::keystore::KeystoreError::Unavailable("none".into()));
        keyfob::worker::spawn(env.clone(), keystore, ports).unwrap()
    };
    let missing = with_browser(Recording {
        missing: true,
        ..Recording::default()
    });
    let err = ask(&missing, &role).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no-such-browser was not found: install it, or set BROWSER to your browser's command"
    );
    assert_eq!(fed.requests().len(), 2, "no request for a missing browser");
    // A browser that is there but fails: found only once the URL was made and handed to it.
    let failing = with_browser(Recording {
        fail: true,
        ..Recording::default()
    });
    let err = ask(&failing, &role).unwrap_err();
    assert_eq!(
        err.to_string(),
        "broken-browser could not open the page (it exited with exit status: 3)"
    );
    assert_eq!(fed.requests().len(), 3);

    let text = std::fs::read_to_string(logs.path()).unwrap();
    assert!(
        text.contains("OpenConsole"),
        "the worker's trace log is captured"
    );
    let token_part = "Signin+Token/0123456789";
    for secret in [
        token_part,
        "fake-Signin%2BToken",
        SECRET,
        TOKEN,
        seed.alice.secret_access_key.expose(),
    ] {
        assert!(!text.contains(secret), "{secret} is in the logs");
    }
}
