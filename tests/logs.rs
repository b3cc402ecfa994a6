//! No secret reaches the logs: a real sign-in and MFA detection through the worker against
//! moto_server, with every crate logging at debug (keyfob at trace), more than keyfob ships with
//! (`warn,keyfob=info`). The captured output is scanned for the long-term secret, the session's
//! secret and token, and the MFA code.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Moto, seed};
use keyfob::aws::SourceCredentials;
use keyfob::aws::sts::{Flow, Mfa, RoleRequest, SignInRequest};
use keyfob::message::{Command, Event};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_sign_in_logs_no_secret() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug,keyfob=trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let channels = keyfob::worker::spawn(
        moto.env(),
        Err(keyfob::keystore::KeystoreError::Unavailable(
            "not used here".into(),
        )),
        Arc::new(|| {}),
        Arc::new(|| panic!("no clipboard here")),
    )
    .expect("worker");
    let code = "918273";
    let request = SignInRequest {
        name: "logs".into(),
        origin: keyfob::session::Origin::default(),
        source: SourceCredentials::Static(seed.alice.clone()),
        region: None,
        duration: None,
        flow: Flow::AssumeRole {
            role: RoleRequest {
                role_arn: seed.admin_role.clone(),
                session_name: "logs".into(),
                external_id: None,
            },
            mfa: Some(Mfa {
                serial: seed.alice_mfa.clone(),
                code: code.into(),
            }),
        },
    };
    channels
        .commands
        .send(Command::SignIn {
            id: 1,
            request: Box::new(request),
        })
        .expect("send");
    channels
        .commands
        .send(Command::DetectMfa {
            id: 2,
            source: SourceCredentials::Static(seed.alice.clone()),
            region: None,
        })
        .expect("send");
    let mut session = None;
    let mut detected = false;
    while session.is_none() || !detected {
        match channels
            .events
            .recv_timeout(Duration::from_secs(30))
            .expect("an event")
        {
            Event::SignedIn { result, .. } => session = Some(result.expect("signed in")),
            Event::MfaDetected { result, .. } => detected = result.is_ok(),
            other => panic!("unexpected {other:?}"),
        }
    }
    let session = session.expect("session");
    let logs = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf8");
    assert!(
        logs.contains("command"),
        "the worker did log (the test can fail): {logs}"
    );
    for (what, secret) in [
        ("long-term secret", seed.alice.secret_access_key.expose()),
        (
            "session secret",
            session.credentials.secret_access_key.expose(),
        ),
        (
            "session token",
            session
                .credentials
                .session_token
                .as_ref()
                .expect("token")
                .expose(),
        ),
        ("MFA code", code),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
    }
}
