//! No secret reaches the logs: a real sign-in and MFA detection through the worker against
//! moto_server, then browsing S3 with the session (upload, buckets, a folder, details, a presigned
//! link, a download), with every crate logging at debug (keyfob at trace), more than keyfob ships
//! with (`warn,keyfob=info`). The captured output is scanned for the long-term secret, the
//! session's secret and token, the MFA code and the presigned link's signature.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{BUCKETS, Moto, request, seed};
use keyfob::aws::SourceCredentials;
use keyfob::aws::sts::{Flow, Mfa, RoleRequest, SignInRequest};
use keyfob::message::{BrowseCommand, BrowseEvent, Command, Event, TransferUpdate};

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
fn a_full_sign_in_and_browse_log_no_secret() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter: tracing_subscriber::filter::Targets =
        "debug,keyfob=trace".parse().expect("a filter");
    tracing_subscriber::fmt()
        .with_max_level(tracing::level_filters::LevelFilter::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish()
        .with(filter)
        .init();

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let channels = keyfob::worker::spawn(
        moto.env(),
        Err(keyfob::keystore::KeystoreError::Unavailable(
            "not used here".into(),
        )),
        keyfob::worker::Ports::headless(),
    )
    .expect("worker");
    let code = "918273";
    let request = SignInRequest {
        name: "logs".into(),
        ..request(
            SourceCredentials::Static(seed.alice.clone()),
            Flow::AssumeRole {
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
        )
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

    // Browse with the session: every S3 command the window sends, through the same worker.
    let creds = session.creds();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"browsed while logging").expect("write");
    let bucket = BUCKETS[0].to_owned();
    for command in [
        Command::Browse(BrowseCommand::Upload {
            creds: creds.clone(),
            bucket: bucket.clone(),
            region: None,
            prefix: "logs-test/".into(),
            files: Some(vec![file]),
        }),
        Command::Browse(BrowseCommand::ListBuckets {
            id: 3,
            creds: creds.clone(),
        }),
    ] {
        channels.commands.send(command).expect("send");
    }
    let next = || match channels
        .events
        .recv_timeout(Duration::from_secs(30))
        .expect("an event")
    {
        Event::Browse(e) => e,
        other => panic!("unexpected {other:?}"),
    };
    let (mut uploaded, mut listed) = (false, false);
    while !(uploaded && listed) {
        match next() {
            BrowseEvent::Transfer {
                update: TransferUpdate::Finished(r),
                ..
            } => uploaded = r.is_ok(),
            BrowseEvent::Buckets { result, .. } => listed = result.is_ok(),
            _ => {}
        }
    }
    for command in [
        Command::Browse(BrowseCommand::ListObjects {
            id: 4,
            creds: creds.clone(),
            bucket: bucket.clone(),
            region: Some("us-east-1".into()),
            prefix: "logs-test/".into(),
            delimiter: true,
            token: None,
            page_size: None,
        }),
        Command::Browse(BrowseCommand::HeadObject {
            id: 5,
            creds: creds.clone(),
            bucket: bucket.clone(),
            region: Some("us-east-1".into()),
            key: "logs-test/notes.txt".into(),
        }),
        Command::Browse(BrowseCommand::Presign {
            creds: creds.clone(),
            bucket: bucket.clone(),
            region: Some("us-east-1".into()),
            key: "logs-test/notes.txt".into(),
            wanted: Duration::from_secs(600),
            session_left: Duration::from_secs(3600),
        }),
        Command::Browse(BrowseCommand::Download {
            creds: creds.clone(),
            bucket: bucket.clone(),
            region: Some("us-east-1".into()),
            items: vec![("logs-test/notes.txt".into(), 21)],
            target: Some(dir.path().join("back.txt")),
        }),
    ] {
        channels.commands.send(command).expect("send");
    }
    let (mut page, mut details, mut link, mut downloaded) = (false, false, None, false);
    while !(page && details && downloaded) || link.is_none() {
        match next() {
            BrowseEvent::Page { page: p, .. } => {
                page = p.objects.iter().any(|o| o.key == "logs-test/notes.txt");
            }
            BrowseEvent::Details { result, .. } => details = result.is_ok(),
            BrowseEvent::Presigned(r) => link = Some(r.expect("a presigned link").0),
            BrowseEvent::Transfer {
                update: TransferUpdate::Finished(r),
                ..
            } => downloaded = r.is_ok(),
            _ => {}
        }
    }
    assert_eq!(
        std::fs::read(dir.path().join("back.txt")).expect("downloaded"),
        b"browsed while logging"
    );
    let link = link.expect("link");
    let signature = link
        .expose()
        .split('&')
        .find_map(|p| p.split_once("X-Amz-Signature="))
        .map(|(_, v)| v.to_owned())
        .expect("a signed link");

    let logs = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf8");
    assert!(
        logs.contains("command") && logs.contains("Presign") && logs.contains("Download"),
        "the worker did log the browsing (the test can fail): {logs}"
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
        ("presigned link's signature", &signature),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
    }
}
