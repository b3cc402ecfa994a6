//! The browser's commands through the real worker against moto_server: a folder streams in many
//! pages (first page first, then the rest under the same id), a bucket's unknown region is found
//! and reported, Stop ends a listing, a download and a multipart upload report progress and
//! finish, and cancelling a transfer leaves nothing behind.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use common::{BUCKETS, Moto, seed};
use keyfob::aws::s3;
use keyfob::keystore::KeystoreError;
use keyfob::message::{BrowseCommand, BrowseEvent, Command, Event, TransferUpdate, next_id};
use keyfob::session::{Credentials, SessionCreds};
use keyfob::worker::Channels;

/// Asks the worker to download the 12 MiB `pages/big.bin` to `target`.
fn download_big(ch: &Channels, creds: &SessionCreds, target: PathBuf) {
    ch.commands
        .send(Command::Browse(BrowseCommand::Download {
            creds: creds.clone(),
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            items: vec![("pages/big.bin".into(), 12 * 1024 * 1024)],
            target: Some(target),
        }))
        .unwrap();
}

/// The credentials as a session that lasts another hour.
fn live(credentials: &Credentials) -> SessionCreds {
    SessionCreds {
        session: "alice".into(),
        expires_at: std::time::SystemTime::now() + Duration::from_secs(3600),
        credentials: credentials.clone(),
    }
}

fn next(events: &Receiver<Event>) -> BrowseEvent {
    loop {
        let event = events
            .recv_timeout(Duration::from_secs(30))
            .expect("an event");
        if let Event::Browse(e) = event {
            return e;
        }
    }
}

#[test]
fn a_folder_streams_in_pages_and_transfers_report_progress() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let client = rt.block_on(s3::client(&moto.env(), &seed.alice, Some("us-east-1")));
    let creds = live(&seed.alice);
    rt.block_on(async {
        for i in 0..450 {
            client
                .put_object()
                .bucket(BUCKETS[0])
                .key(format!("pages/{i:04}.txt"))
                .body(b"x".to_vec().into())
                .send()
                .await
                .unwrap();
        }
        client
            .put_object()
            .bucket(BUCKETS[0])
            .key("pages/big.bin")
            .body(vec![9u8; 12 * 1024 * 1024].into())
            .send()
            .await
            .unwrap();
    });
    let ch = keyfob::worker::spawn(
        moto.env(),
        Err(KeystoreError::Unavailable("not used here".into())),
        keyfob::worker::Ports::headless(),
    )
    .unwrap();

    // 451 rows in pages of 100: five pages, the region found first (it was not given).
    let id = next_id();
    ch.commands
        .send(Command::Browse(BrowseCommand::ListObjects {
            id,
            creds: creds.clone(),
            bucket: BUCKETS[0].into(),
            region: None,
            prefix: "pages/".into(),
            delimiter: true,
            token: None,
            page_size: Some(100),
        }))
        .unwrap();
    assert!(
        matches!(next(&ch.events), BrowseEvent::Region { region, .. } if region == "us-east-1")
    );
    let mut rows = 0;
    let mut pages = 0;
    loop {
        let BrowseEvent::Page { id: pid, page } = next(&ch.events) else {
            panic!("expected a page");
        };
        assert_eq!(pid, id);
        pages += 1;
        rows += page.objects.len();
        if page.next.is_none() {
            break;
        }
    }
    assert_eq!((pages, rows), (5, 451));

    // Stop: a listing cancelled after its first page sends nothing more.
    let id = next_id();
    ch.commands
        .send(Command::Browse(BrowseCommand::ListObjects {
            id,
            creds: creds.clone(),
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            prefix: "pages/".into(),
            delimiter: true,
            token: None,
            page_size: Some(1),
        }))
        .unwrap();
    assert!(matches!(next(&ch.events), BrowseEvent::Page { .. }));
    ch.commands.send(Command::Cancel { id }).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let after: Vec<Event> = ch.events.try_iter().collect();
    assert!(
        after.len() < 10,
        "the listing stopped: {} more events",
        after.len()
    );

    // A download with progress, then a cancelled one that leaves nothing.
    let dir = tempfile::tempdir().unwrap();
    download_big(&ch, &creds, dir.path().join("big.bin"));
    let mut finished = None;
    while finished.is_none() {
        if let BrowseEvent::Transfer {
            update: TransferUpdate::Finished(r),
            ..
        } = next(&ch.events)
        {
            finished = Some(r);
        }
    }
    let text = finished.unwrap().unwrap();
    assert!(text.contains("12582912 bytes, checked"), "{text}");
    assert_eq!(
        std::fs::metadata(dir.path().join("big.bin")).unwrap().len(),
        12 * 1024 * 1024
    );

    let up = dir.path().join("upload.bin");
    std::fs::write(&up, vec![1u8; 20 * 1024 * 1024]).unwrap();
    ch.commands
        .send(Command::Browse(BrowseCommand::Upload {
            creds: creds.clone(),
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            prefix: "uploaded/".into(),
            files: Some(vec![up]),
        }))
        .unwrap();
    let mut progress = 0;
    let result = loop {
        match next(&ch.events) {
            BrowseEvent::Transfer {
                update: TransferUpdate::Progress(_),
                ..
            } => progress += 1,
            BrowseEvent::Transfer {
                update: TransferUpdate::Finished(r),
                ..
            } => break r,
            _ => {}
        }
    };
    assert!(result.unwrap().contains("uploaded/upload.bin"));
    assert!(progress >= 1, "progress was reported");

    // Cancel a download as soon as it starts: no file, no temporary file.
    download_big(&ch, &creds, dir.path().join("cancelled.bin"));
    let tid = loop {
        if let BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Started { .. },
        } = next(&ch.events)
        {
            break id;
        }
    };
    ch.commands.send(Command::Cancel { id: tid }).unwrap();
    let r = loop {
        if let BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(r),
        } = next(&ch.events)
            && id == tid
        {
            break r;
        }
    };
    // Either the cancel won (the usual case) or the download had already finished.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    match r {
        Err(e) => {
            assert!(e.message.starts_with("Cancelled"), "{e:?}");
            assert!(!names.iter().any(|n| n.contains("cancelled")), "{names:?}");
        }
        Ok(_) => assert!(names.contains(&"cancelled.bin".to_owned())),
    }
    assert!(
        !names.iter().any(|n| n.contains("keyfob-part")),
        "no temp file: {names:?}"
    );
}
