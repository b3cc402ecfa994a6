//! The wall clock jumping forward an hour (a suspend and resume) through the real worker: a
//! download running on a session with 30 minutes left is stopped by the supervisor at its next
//! re-check (the worker's timers run on tokio's clock, which stood still during the "suspend"),
//! with the expiry sentence and no partial file; a command sent after the resume is refused with
//! no request. The rules at every moment (warnings, renewals, the clipboard, a clock set back) are
//! tested on tokio's paused clock in `src/worker/supervisor/tests.rs`.
//!
//! The clock is the worker's own port (`Ports::clock`) moved by the test: a real suspend cannot
//! be made from a test. The server is the loopback fake, sending a byte every 100 ms (a transfer
//! still moving): moto would finish the download before the clock moved.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use common::fake::{Behaviour, FakeServer};
use keyfob::aws::AwsEnv;
use keyfob::aws::errors::ErrorKind;
use keyfob::keystore::KeystoreError;
use keyfob::message::{
    BrowseCommand, BrowseEvent, Command, Event, TransferUpdate, Watch, Watched, next_id,
};
use keyfob::secret::Secret;
use keyfob::session::{Credentials, EXPIRED_SENTENCE, SessionCreds};
use keyfob::worker::{Ports, supervisor::RECHECK};

fn next(events: &std::sync::mpsc::Receiver<Event>) -> BrowseEvent {
    loop {
        match events.recv_timeout(Duration::from_secs(60)) {
            Ok(Event::Browse(e)) => return e,
            Ok(_) => {}
            Err(e) => panic!("no browser event in 60 s: {e}"),
        }
    }
}

#[test]
fn a_suspend_of_an_hour_stops_work_on_a_session_that_ended_meanwhile() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeServer::start(Behaviour::Trickling(100_000)));
    // The system clock, moved forward by the test (seconds).
    let shift = Arc::new(AtomicU64::new(0));
    let by = Arc::clone(&shift);
    let clock: keyfob::clock::Clock =
        Arc::new(move || SystemTime::now() + Duration::from_secs(by.load(Ordering::SeqCst)));
    let ch = keyfob::worker::spawn(
        AwsEnv {
            endpoint_url: Some(server.url.clone()),
            ..Default::default()
        },
        Err(KeystoreError::Unavailable("not used here".into())),
        Ports {
            clock,
            ..Ports::headless()
        },
    )
    .unwrap();
    let c = SessionCreds {
        session: "prod".into(),
        expires_at: SystemTime::now() + Duration::from_secs(30 * 60),
        credentials: Credentials {
            access_key_id: "ASIASUSPENDSUSPEND01".into(),
            secret_access_key: Secret::new("suspend-test-secret"),
            session_token: Some(Secret::new("suspend-test-token")),
        },
        profile: None,
    };
    ch.commands
        .send(Command::Watch(Watch::Sessions {
            sessions: vec![Watched {
                name: c.session.clone(),
                who: "prod-admin".into(),
                expires_at: c.expires_at,
                renew_at: None,
            }],
            shown: None,
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    ch.commands
        .send(Command::Browse(BrowseCommand::Download {
            creds: c.clone(),
            bucket: "keyfob-demo-reports".into(),
            region: Some("us-east-1".into()),
            items: vec![("big.bin".into(), 100_000)],
            target: Some(dir.path().join("big.bin")),
        }))
        .unwrap();
    // Running: progress, and the partial file on disk.
    loop {
        if let BrowseEvent::Transfer {
            update: TransferUpdate::Progress(_),
            ..
        } = next(&ch.events)
            && std::fs::read_dir(dir.path()).unwrap().count() > 0
        {
            break;
        }
    }

    // Resumed an hour later.
    shift.store(3600, Ordering::SeqCst);
    let resumed = Instant::now();
    let result = loop {
        if let BrowseEvent::Transfer {
            update: TransferUpdate::Finished(r),
            ..
        } = next(&ch.events)
        {
            break r;
        }
    };
    let took = resumed.elapsed();
    let error = result.expect_err("the download ran on after its session ended");
    assert_eq!(error.kind, ErrorKind::Expired, "{error:?}");
    assert_eq!(error.message, EXPIRED_SENTENCE);
    assert!(
        took <= RECHECK + Duration::from_secs(5),
        "stopped {took:?} after the resume: the supervisor re-checks the wall clock every {RECHECK:?}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // A command after the resume is refused, and reaches no server.
    let before = server.count();
    let id = next_id();
    ch.commands
        .send(Command::Browse(BrowseCommand::ListObjects {
            id,
            creds: c,
            bucket: "keyfob-demo-reports".into(),
            region: Some("us-east-1".into()),
            prefix: String::new(),
            delimiter: true,
            token: None,
            page_size: None,
        }))
        .unwrap();
    let error = loop {
        if let BrowseEvent::ListFailed { id: failed, error } = next(&ch.events)
            && failed == id
        {
            break error;
        }
    };
    assert_eq!(error.kind, ErrorKind::Expired, "{error:?}");
    assert_eq!(error.message, EXPIRED_SENTENCE);
    assert_eq!(server.count(), before, "no request for an ended session");
}
