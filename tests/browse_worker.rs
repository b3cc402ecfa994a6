//! The browser's commands through the real worker against moto_server: a folder streams in many
//! pages (first page first, then the rest under the same id), a bucket's unknown region is found
//! and reported, Stop ends a listing, a download and a multipart upload report progress and
//! finish, and cancelling a transfer leaves nothing behind; a folder is counted, downloaded as one
//! transfer (an unsafe key named with its reason), previewed and deleted.
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

use common::{BUCKETS, Moto, browse_worker, live_session, next_browse, seed};
use keyfob::aws::s3;
use keyfob::aws::s3::Picked;
use keyfob::message::{
    BrowseCommand, BrowseEvent, BucketAt, BucketJob, Command, Event, Purpose, TransferUpdate,
    next_id,
};
use keyfob::session::SessionCreds;
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

#[test]
fn a_folder_streams_in_pages_and_transfers_report_progress() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let client = rt.block_on(s3::client(&moto.env(), &seed.alice, Some("us-east-1")));
    let creds = live_session(&seed.alice);
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
    let ch = browse_worker(moto.env());

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
        matches!(next_browse(&ch.events), BrowseEvent::Region { region, .. } if region == "us-east-1")
    );
    let mut rows = 0;
    let mut pages = 0;
    loop {
        let BrowseEvent::Page { id: pid, page } = next_browse(&ch.events) else {
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
    assert!(matches!(next_browse(&ch.events), BrowseEvent::Page { .. }));
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
        } = next_browse(&ch.events)
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
        match next_browse(&ch.events) {
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
        } = next_browse(&ch.events)
        {
            break id;
        }
    };
    ch.commands.send(Command::Cancel { id: tid }).unwrap();
    let r = loop {
        if let BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(r),
        } = next_browse(&ch.events)
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

/// Sends a bucket job on the first bucket.
fn job(ch: &Channels, creds: &SessionCreds, job: BucketJob) -> u64 {
    let id = next_id();
    let at = BucketAt {
        creds: creds.clone(),
        bucket: BUCKETS[0].into(),
        region: Some("us-east-1".into()),
    };
    ch.commands
        .send(Command::Browse(BrowseCommand::Bucket { id, at, job }))
        .unwrap();
    id
}

/// The first event for request `id` other than counting and progress.
fn answer(events: &Receiver<Event>, id: u64) -> BrowseEvent {
    loop {
        match next_browse(events) {
            BrowseEvent::Counting { .. }
            | BrowseEvent::Transfer {
                update: TransferUpdate::Started { .. } | TransferUpdate::Progress(_),
                ..
            } => {}
            e @ (BrowseEvent::Planned { id: i, .. }
            | BrowseEvent::Deleted { id: i, .. }
            | BrowseEvent::FolderMade { id: i, .. }
            | BrowseEvent::Preview { id: i, .. }
            | BrowseEvent::Transfer { id: i, .. })
                if i == id =>
            {
                return e;
            }
            _ => {}
        }
    }
}

#[test]
fn a_folder_is_counted_downloaded_as_one_transfer_previewed_and_deleted() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let client = rt.block_on(s3::client(&moto.env(), &seed.alice, Some("us-east-1")));
    let creds = live_session(&seed.alice);
    rt.block_on(async {
        for key in [
            "docs/a.txt",
            "docs/sub/b.txt",
            "docs/../evil.txt",
            "docs/empty/",
        ] {
            client
                .put_object()
                .bucket(BUCKETS[0])
                .key(key)
                .body(key.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap();
        }
    });
    let ch = browse_worker(moto.env());
    let docs = Picked {
        key: "docs/".into(),
        folder: true,
        size: 0,
    };
    let plan_of = |purpose| BucketJob::Plan {
        base: String::new(),
        picked: vec![docs.clone()],
        purpose,
    };
    let id = job(&ch, &creds, plan_of(Purpose::Download));
    let BrowseEvent::Planned { result, .. } = answer(&ch.events, id) else {
        panic!("a plan");
    };
    let (plan, _) = result.unwrap();
    assert_eq!(
        (plan.files.len(), plan.folders.len(), plan.skipped.len()),
        (2, 1, 1)
    );

    let dir = tempfile::tempdir().unwrap();
    let target = Some(dir.path().to_owned());
    let id = job(&ch, &creds, BucketJob::Download { plan, target });
    let BrowseEvent::Transfer {
        update: TransferUpdate::Finished(result),
        ..
    } = answer(&ch.events, id)
    else {
        panic!("the transfer's end");
    };
    let e = result.unwrap_err();
    assert!(
        e.message.starts_with("Saved 2 files") && e.message.contains("docs/../evil.txt: a .."),
        "the unsafe key is named with its reason: {e:?}"
    );
    let b = std::fs::read_to_string(dir.path().join("docs/sub/b.txt")).unwrap();
    assert_eq!(b, "docs/sub/b.txt");
    assert!(dir.path().join("docs/empty").is_dir());

    let preview = BucketJob::Preview {
        key: "docs/a.txt".into(),
        version: None,
        size: 10,
        kind: s3::PreviewKind::Text,
    };
    let id = job(&ch, &creds, preview);
    let BrowseEvent::Preview { result, .. } = answer(&ch.events, id) else {
        panic!("a preview");
    };
    assert!(matches!(result.unwrap(), s3::Preview::Text { text, .. } if text == "docs/a.txt"));

    let id = job(&ch, &creds, plan_of(Purpose::Delete));
    let BrowseEvent::Planned { result, .. } = answer(&ch.events, id) else {
        panic!("a plan");
    };
    let (plan, versioned) = result.unwrap();
    assert_eq!((plan.files.len(), versioned), (4, Some(false)));
    let keys = plan.files.into_iter().map(|f| f.key).collect();
    let id = job(&ch, &creds, BucketJob::Delete { keys });
    let BrowseEvent::Deleted { result, .. } = answer(&ch.events, id) else {
        panic!("a deletion");
    };
    assert_eq!(result.unwrap().deleted, 4);
    let left = rt.block_on(s3::list_page(
        &client, BUCKETS[0], "docs/", false, None, None,
    ));
    assert!(left.unwrap().objects.is_empty());
}
