//! Expiry and sign-out enforced where credentials are used, through the real worker: a command
//! (every bucket job too) for a session that has ended is refused with the browser's sentence and
//! sends no request; a listing, a transfer, a folder transfer and a batch delete still running
//! when their session ends are stopped by the supervisor's timer (transfers leave no file); a
//! listing whose session ends between pages stops there; a transfer whose file dialog is answered
//! after the end, or after a sign-out, is refused. A sign-out stops running transfers at once; a
//! renewal in place lets work started with the old credentials run until those end.
//!
//! A loopback fake server stands in for S3 where moto cannot help: it counts requests (to show
//! none was sent) and can stall a response half-way (a transfer in progress at expiry).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::fake::{Behaviour, FakeServer};
use common::{BUCKETS, Moto, next_browse, seed};
use keyfob::aws::AwsEnv;
use keyfob::aws::errors::{AwsError, ErrorKind};
use keyfob::aws::s3::{Picked, Plan, PlannedFile, PreviewKind, sync};
use keyfob::keystore::KeystoreError;
use keyfob::message::{
    BrowseCommand, BrowseEvent, BucketAt, BucketJob, Command, Event, Purpose, RequestId,
    TransferUpdate, Watch, Watched, next_id,
};
use keyfob::message::{PropsAnswer, PropsJob};
use keyfob::secret::Secret;
use keyfob::session::{Credentials, EXPIRED_SENTENCE, SessionCreds};
use keyfob::worker::{Answer, Channels, FileDialogs, Ports};

fn worker(env: AwsEnv, clock: keyfob::clock::Clock) -> Channels {
    worker_with(
        env,
        Ports {
            clock,
            ..Ports::headless()
        },
    )
}

fn worker_with(env: AwsEnv, ports: Ports) -> Channels {
    keyfob::worker::spawn(
        env,
        Err(KeystoreError::Unavailable("not used here".into())),
        ports,
    )
    .unwrap()
}

fn fake_env(server: &FakeServer) -> AwsEnv {
    AwsEnv {
        endpoint_url: Some(server.url.clone()),
        ..Default::default()
    }
}

fn creds(expires_at: SystemTime) -> SessionCreds {
    SessionCreds {
        session: "prod".into(),
        expires_at,
        credentials: Credentials {
            access_key_id: "ASIAEXPIRYEXPIRY0001".into(),
            secret_access_key: Secret::new("expiry-test-secret"),
            session_token: Some(Secret::new("expiry-test-token")),
        },
        profile: None,
    }
}

fn assert_expired(error: &AwsError) {
    assert_eq!(error.kind, ErrorKind::Expired, "{error:?}");
    assert_eq!(error.message, EXPIRED_SENTENCE);
}

#[test]
fn commands_for_an_ended_session_are_refused_without_a_request() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeServer::start(Behaviour::Silent));
    let ch = worker(fake_env(&server), keyfob::clock::system());
    let ended = creds(SystemTime::now() - Duration::from_secs(1));
    let dir = tempfile::tempdir().unwrap();
    let bucket = || BUCKETS[0].to_owned();
    let region = || Some("us-east-1".to_owned());

    let id = next_id();
    ch.commands
        .send(Command::Browse(BrowseCommand::ListBuckets {
            id,
            creds: ended.clone(),
        }))
        .unwrap();
    let BrowseEvent::Buckets { result: Err(e), .. } = next_browse(&ch.events) else {
        panic!("buckets were listed")
    };
    assert_expired(&e);

    ch.commands
        .send(Command::Browse(BrowseCommand::ListObjects {
            id: next_id(),
            creds: ended.clone(),
            bucket: bucket(),
            region: region(),
            prefix: String::new(),
            delimiter: true,
            token: None,
            page_size: None,
        }))
        .unwrap();
    let BrowseEvent::ListFailed { error, .. } = next_browse(&ch.events) else {
        panic!("the folder was listed")
    };
    assert_expired(&error);

    ch.commands
        .send(Command::Browse(BrowseCommand::HeadObject {
            id: next_id(),
            creds: ended.clone(),
            bucket: bucket(),
            region: region(),
            key: "a.txt".into(),
        }))
        .unwrap();
    let BrowseEvent::Details { result: Err(e), .. } = next_browse(&ch.events) else {
        panic!("details were fetched")
    };
    assert_expired(&e);

    ch.commands
        .send(Command::Browse(BrowseCommand::Presign {
            creds: ended.clone(),
            bucket: bucket(),
            region: region(),
            key: "a.txt".into(),
            wanted: Duration::from_secs(600),
            session_left: Duration::ZERO,
        }))
        .unwrap();
    let BrowseEvent::Presigned(Err(e)) = next_browse(&ch.events) else {
        panic!("a link was made")
    };
    assert_expired(&e);

    ch.commands
        .send(Command::Browse(BrowseCommand::Download {
            creds: ended,
            bucket: bucket(),
            region: region(),
            items: vec![("a.txt".into(), 5)],
            target: Some(dir.path().join("a.txt")),
        }))
        .unwrap();
    let e = loop {
        if let BrowseEvent::Transfer {
            update: TransferUpdate::Finished(r),
            ..
        } = next_browse(&ch.events)
        {
            break r.expect_err("the download ran");
        }
    };
    assert_expired(&e);

    assert_eq!(server.count(), 0, "no request reached the server");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Tells the worker's supervisor about the session, as the window does.
fn watch(ch: &Channels, c: &SessionCreds) {
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
}

#[test]
fn a_transfer_running_at_expiry_is_cancelled_and_leaves_no_file() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The object's first bytes arrive, then nothing: the download is mid-file at expiry.
    let server = rt.block_on(FakeServer::start(Behaviour::Stalled(
        1024 * 1024,
        "the first bytes of a large object",
    )));
    let ch = worker(fake_env(&server), keyfob::clock::system());
    let c = creds(SystemTime::now() + Duration::from_secs(3));
    watch(&ch, &c);
    let dir = tempfile::tempdir().unwrap();
    ch.commands
        .send(Command::Browse(BrowseCommand::Download {
            creds: c,
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            items: vec![("big.bin".into(), 1024 * 1024)],
            target: Some(dir.path().join("big.bin")),
        }))
        .unwrap();
    let mut progressed = false;
    let result = loop {
        match next_browse(&ch.events) {
            BrowseEvent::Transfer {
                update: TransferUpdate::Progress(_),
                ..
            } => {
                // Mid-transfer: the partial file is on disk (until the end removes it).
                for _ in 0..50 {
                    if std::fs::read_dir(dir.path()).unwrap().count() > 0 {
                        progressed = true;
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            BrowseEvent::Transfer {
                update: TransferUpdate::Finished(r),
                ..
            } => break r,
            _ => {}
        }
    };
    assert!(
        progressed,
        "a partial file was written before the session ended"
    );
    assert_expired(&result.expect_err("the download finished"));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn a_listing_running_at_expiry_stops() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeServer::start(Behaviour::Silent));
    let ch = worker(fake_env(&server), keyfob::clock::system());
    let c = creds(SystemTime::now() + Duration::from_secs(2));
    watch(&ch, &c);
    let id = next_id();
    ch.commands
        .send(Command::Browse(BrowseCommand::ListObjects {
            id,
            creds: c,
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            prefix: String::new(),
            delimiter: true,
            token: None,
            page_size: None,
        }))
        .unwrap();
    let BrowseEvent::ListFailed { id: failed, error } = next_browse(&ch.events) else {
        panic!("the listing answered")
    };
    assert_eq!(failed, id);
    assert_expired(&error);
    assert_eq!(
        server.count(),
        1,
        "the request was running when the session ended"
    );
}

#[test]
fn a_listing_whose_session_ends_between_pages_stops_there() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let client = rt.block_on(keyfob::aws::s3::client(
        &moto.env(),
        &seed.alice,
        Some("us-east-1"),
    ));
    rt.block_on(async {
        for i in 0..30 {
            client
                .put_object()
                .bucket(BUCKETS[0])
                .key(format!("many/{i:02}.txt"))
                .body(b"x".to_vec().into())
                .send()
                .await
                .unwrap();
        }
    });
    // A settable clock: the session ends when the test says so.
    let start = SystemTime::now();
    let now = Arc::new(Mutex::new(start));
    let clock = Arc::clone(&now);
    let ch = worker(moto.env(), Arc::new(move || *clock.lock().unwrap()));
    let c = SessionCreds {
        credentials: seed.alice.clone(),
        ..creds(start + Duration::from_secs(3600))
    };
    let id = next_id();
    ch.commands
        .send(Command::Browse(BrowseCommand::ListObjects {
            id,
            creds: c,
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            prefix: "many/".into(),
            delimiter: true,
            token: None,
            page_size: Some(1),
        }))
        .unwrap();
    let BrowseEvent::Page { page, .. } = next_browse(&ch.events) else {
        panic!("no first page")
    };
    assert!(page.next.is_some(), "more pages to come");
    *now.lock().unwrap() = start + Duration::from_secs(3601);
    let mut pages = 1;
    let error = loop {
        match next_browse(&ch.events) {
            BrowseEvent::Page { .. } => pages += 1,
            BrowseEvent::ListFailed { error, .. } => break error,
            other => panic!("{other:?}"),
        }
    };
    assert_expired(&error);
    // At most the page already in flight when the clock moved.
    assert!(pages <= 2, "{pages} of 30 pages listed after the end");
}

/// A file dialog the user leaves open: it says when it opened and answers when the test says.
/// (A real dialog under Xvfb could be answered late too, but not at a chosen instant.)
struct LateDialog {
    opened: std::sync::mpsc::Sender<()>,
    answer: Mutex<Option<tokio::sync::oneshot::Receiver<PathBuf>>>,
}

impl LateDialog {
    fn wait(&self) -> Answer<PathBuf> {
        let opened = self.opened.clone();
        let answer = self.answer.lock().unwrap().take();
        Box::pin(async move {
            opened.send(()).unwrap();
            answer?.await.ok()
        })
    }
}

impl FileDialogs for LateDialog {
    fn save_file(&self, _name: &str) -> Answer<PathBuf> {
        self.wait()
    }
    fn pick_folder(&self) -> Answer<PathBuf> {
        self.wait()
    }
    fn pick_files(&self) -> Answer<Vec<PathBuf>> {
        let answer = self.wait();
        Box::pin(async move { answer.await.map(|p| vec![p]) })
    }
    fn pick_upload_folder(&self) -> Answer<PathBuf> {
        self.wait()
    }
}

#[test]
fn a_transfer_whose_dialog_is_answered_after_expiry_is_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeServer::start(Behaviour::Silent));
    let dir = tempfile::tempdir().unwrap();
    let to_upload = dir.path().join("report.csv");
    std::fs::write(&to_upload, "a,b\n").unwrap();
    let saved_as = dir.path().join("a.txt");

    let upload = |c| {
        Command::Browse(BrowseCommand::Upload {
            creds: c,
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            prefix: String::new(),
            files: None,
        })
    };
    let download = |c| {
        Command::Browse(BrowseCommand::Download {
            creds: c,
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            items: vec![("a.txt".into(), 5)],
            target: None,
        })
    };
    type MakeCommand = fn(SessionCreds) -> Command;
    let cases: [(&str, MakeCommand, PathBuf); 2] = [
        ("download", download, saved_as.clone()),
        ("upload", upload, to_upload.clone()),
    ];
    for (what, command, answer) in cases {
        let start = SystemTime::now();
        let now = Arc::new(Mutex::new(start));
        let clock = Arc::clone(&now);
        let (opened_tx, opened) = std::sync::mpsc::channel();
        let (answer_tx, answer_rx) = tokio::sync::oneshot::channel();
        let ch = worker_with(
            fake_env(&server),
            Ports {
                clock: Arc::new(move || *clock.lock().unwrap()),
                dialogs: Arc::new(LateDialog {
                    opened: opened_tx,
                    answer: Mutex::new(Some(answer_rx)),
                }),
                ..Ports::headless()
            },
        );
        // Live when the dialog opens; ended by the time the user answers it.
        ch.commands
            .send(command(creds(start + Duration::from_secs(600))))
            .unwrap();
        opened
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("the {what} dialog did not open: {e}"));
        *now.lock().unwrap() = start + Duration::from_secs(601);
        answer_tx.send(answer).unwrap();
        let result = loop {
            if let BrowseEvent::Transfer {
                update: TransferUpdate::Finished(r),
                ..
            } = next_browse(&ch.events)
            {
                break r;
            }
        };
        assert_expired(&result.expect_err(&format!("the {what} ran")));
    }
    assert_eq!(server.count(), 0, "no request reached the server");
    assert!(!saved_as.exists(), "the download wrote a file");
}

/// A bucket job's command for `creds`.
fn bucket_job(id: RequestId, creds: &SessionCreds, job: BucketJob) -> Command {
    Command::Browse(BrowseCommand::Bucket {
        id,
        at: BucketAt {
            creds: creds.clone(),
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
        },
        job,
    })
}

/// A counted download plan of `keys` (each 1 MiB), each to its key's path in the chosen folder.
fn plan_of(keys: &[&str]) -> Plan {
    let files: Vec<PlannedFile> = keys
        .iter()
        .map(|k| PlannedFile {
            key: (*k).to_owned(),
            path: PathBuf::from(k),
            size: 1024 * 1024,
        })
        .collect();
    Plan {
        bytes: files.iter().map(|f| f.size).sum(),
        files,
        ..Plan::default()
    }
}

/// The error a bucket job answered `id` with (a transfer's end, or its one answer).
fn answer_of(events: &Receiver<Event>, id: RequestId) -> AwsError {
    loop {
        let (got, result) = match next_browse(events) {
            BrowseEvent::Planned { id, result } => (id, result.map(|_| ())),
            BrowseEvent::Deleted { id, result } => (id, result.map(|_| ())),
            BrowseEvent::FolderMade { id, result } => (id, result.map(|_| ())),
            BrowseEvent::Versions { id, result } => (id, result.map(|_| ())),
            BrowseEvent::Preview { id, result } => (id, result.map(|_| ())),
            BrowseEvent::SyncPlanned { id, result } => (id, result.map(|_| ())),
            BrowseEvent::Props {
                id,
                answer: PropsAnswer::Read(result),
            } => (id, result.map(|_| ())),
            BrowseEvent::Props {
                id,
                answer: PropsAnswer::Settings(result),
            } => (id, result.map(|_| ())),
            BrowseEvent::Transfer {
                id,
                update: TransferUpdate::Finished(result),
            } => (id, result.map(|_| ())),
            _ => continue,
        };
        assert_eq!(got, id, "the answer is for the job asked");
        return result.expect_err("the job ran");
    }
}

#[test]
fn bucket_jobs_for_an_ended_session_are_refused_without_a_request() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeServer::start(Behaviour::Silent));
    let ch = worker(fake_env(&server), keyfob::clock::system());
    let ended = creds(SystemTime::now() - Duration::from_secs(1));
    let dir = tempfile::tempdir().unwrap();
    let picked = || {
        vec![Picked {
            key: "reports/".into(),
            folder: true,
            size: 0,
        }]
    };
    let jobs: Vec<(&str, BucketJob)> = vec![
        (
            "Preview",
            BucketJob::Preview {
                key: "a.txt".into(),
                version: None,
                size: 5,
                kind: PreviewKind::Text,
            },
        ),
        (
            "Versions",
            BucketJob::Versions {
                key: "a.txt".into(),
            },
        ),
        (
            "Delete",
            BucketJob::Delete {
                keys: vec!["a.txt".into(), "b.txt".into()],
            },
        ),
        (
            "New folder",
            BucketJob::NewFolder {
                prefix: String::new(),
                name: "new".into(),
            },
        ),
        (
            "Plan (download)",
            BucketJob::Plan {
                base: String::new(),
                picked: picked(),
                purpose: Purpose::Download,
            },
        ),
        (
            "Plan (delete)",
            BucketJob::Plan {
                base: String::new(),
                picked: picked(),
                purpose: Purpose::Delete,
            },
        ),
        (
            "folder Download",
            BucketJob::Download {
                plan: plan_of(&["reports/a.csv", "reports/b.csv"]),
                target: Some(dir.path().to_owned()),
            },
        ),
        (
            "Sync comparison",
            BucketJob::PlanSync {
                prefix: "site/".into(),
                local: Some(dir.path().to_owned()),
                direction: sync::Direction::Download,
                compare: sync::Compare::Checksum,
                delete: true,
            },
        ),
        (
            "Sync",
            BucketJob::Sync {
                plan: Box::new(sync_plan(dir.path())),
            },
        ),
        (
            "Properties",
            BucketJob::Props(PropsJob::Read {
                keys: vec!["a.txt".into()],
            }),
        ),
        ("Bucket settings", BucketJob::Props(PropsJob::Settings)),
    ];
    for (what, job) in jobs {
        let id = next_id();
        ch.commands.send(bucket_job(id, &ended, job)).unwrap();
        let error = answer_of(&ch.events, id);
        assert_eq!(error.kind, ErrorKind::Expired, "{what}: {error:?}");
        assert_eq!(error.message, EXPIRED_SENTENCE, "{what}");
    }
    assert_eq!(server.count(), 0, "no request reached the server");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A download sync of two new files into `dir`.
fn sync_plan(dir: &std::path::Path) -> sync::SyncPlan {
    let item = |rel: &str| sync::Item {
        rel: rel.into(),
        action: sync::Action::New,
        why: "not at the destination",
        local: None,
        remote: Some(sync::Remote {
            size: 5,
            modified: 1_700_000_000,
            etag: "0123456789abcdef0123456789abcdef".into(),
        }),
    };
    sync::SyncPlan {
        spec: sync::Spec {
            local: dir.to_owned(),
            bucket: "reports".into(),
            prefix: "site/".into(),
            direction: sync::Direction::Download,
            compare: sync::Compare::SizeAndTime,
            delete: false,
        },
        items: vec![item("a.txt"), item("b/c.txt")],
        same: 0,
        by_content: 0,
        skipped: Vec::new(),
    }
}

/// Every file under `dir`, at any depth.
fn files_in(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_in(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Waits until `n` partial files are on disk under `dir` (transfers are mid-file).
fn wait_for_partial_files(dir: &std::path::Path, n: usize) {
    for _ in 0..500 {
        if files_in(dir).len() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{n} partial files were not written: {:?}", files_in(dir));
}

#[test]
fn a_folder_transfer_and_a_batch_delete_running_at_expiry_stop() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Downloads get a byte at a time; a deletion gets no answer at all.
    let slow = rt.block_on(FakeServer::start(Behaviour::Trickling(1024 * 1024)));
    let silent = rt.block_on(FakeServer::start(Behaviour::Silent));
    let dir = tempfile::tempdir().unwrap();

    let ch = worker(fake_env(&slow), keyfob::clock::system());
    let c = creds(SystemTime::now() + Duration::from_secs(3));
    watch(&ch, &c);
    let id = next_id();
    let plan = plan_of(&["reports/a.csv", "reports/b.csv"]);
    ch.commands
        .send(bucket_job(
            id,
            &c,
            BucketJob::Download {
                plan,
                target: Some(dir.path().to_owned()),
            },
        ))
        .unwrap();
    wait_for_partial_files(dir.path(), 2);
    assert_expired(&answer_of(&ch.events, id));
    assert_eq!(files_in(dir.path()), Vec::<PathBuf>::new(), "left behind");
    assert_eq!(slow.count(), 2, "both files were under way");

    let ch = worker(fake_env(&silent), keyfob::clock::system());
    let c = creds(SystemTime::now() + Duration::from_secs(2));
    watch(&ch, &c);
    let id = next_id();
    let keys = (0..50).map(|i| format!("old/{i}.txt")).collect();
    ch.commands
        .send(bucket_job(id, &c, BucketJob::Delete { keys }))
        .unwrap();
    assert_expired(&answer_of(&ch.events, id));
    assert_eq!(silent.count(), 1, "the deletion was under way at the end");
}

/// The label and result of the next transfer to end, skipping other events; the transfers started
/// meanwhile are recorded in `started`.
fn finished(
    events: &Receiver<Event>,
    started: &mut Vec<(RequestId, String)>,
) -> (String, Result<String, AwsError>) {
    // A transfer that is never stopped keeps sending progress: give up after a while.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no transfer ended in 30 s (started: {started:?})"
        );
        if let BrowseEvent::Transfer { id, update } = next_browse(events) {
            match update {
                TransferUpdate::Started { label, .. } => started.push((id, label)),
                TransferUpdate::Finished(result) => {
                    let label = started
                        .iter()
                        .find(|(s, _)| *s == id)
                        .map_or_else(String::new, |(_, l)| l.clone());
                    return (label, result);
                }
                TransferUpdate::Progress(_) => {}
            }
        }
    }
}

fn download(c: &SessionCreds, key: &str, dir: &std::path::Path) -> Command {
    Command::Browse(BrowseCommand::Download {
        creds: c.clone(),
        bucket: BUCKETS[0].into(),
        region: Some("us-east-1".into()),
        items: vec![(key.into(), 1024 * 1024)],
        target: Some(dir.join(key)),
    })
}

#[test]
#[allow(clippy::print_stdout)] // the time it took, for whoever reads the test's output
fn a_sign_out_stops_running_work_at_once_and_leaves_no_file() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let slow = rt.block_on(FakeServer::start(Behaviour::Trickling(1024 * 1024)));
    let ch = worker(fake_env(&slow), keyfob::clock::system());
    // An hour left: only the sign-out can stop this work.
    let c = creds(SystemTime::now() + Duration::from_secs(3600));
    watch(&ch, &c);
    let dir = tempfile::tempdir().unwrap();
    ch.commands
        .send(download(&c, "big.bin", dir.path()))
        .unwrap();
    let folder = next_id();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    let plan = plan_of(&["reports/a.csv"]);
    ch.commands
        .send(bucket_job(
            folder,
            &c,
            BucketJob::Download {
                plan,
                target: Some(dir.path().join("folder")),
            },
        ))
        .unwrap();
    wait_for_partial_files(dir.path(), 2);
    let asked = std::time::Instant::now();
    ch.commands
        .send(Command::SignOut {
            name: "prod".into(),
        })
        .unwrap();
    let mut started = Vec::new();
    let mut ends = vec![
        finished(&ch.events, &mut started),
        finished(&ch.events, &mut started),
    ];
    let took = asked.elapsed();
    ends.sort_by(|a, b| a.0.cmp(&b.0));
    for (label, result) in ends {
        let error = result.expect_err(&format!("{label} finished"));
        assert_eq!(
            error.message, "Stopped: you signed out of prod; no partial file was left behind",
            "{label}"
        );
    }
    assert_eq!(files_in(dir.path()), Vec::<PathBuf>::new(), "left behind");
    // Stopped at once, not when the transfers would have ended (1 MiB at 10 bytes a second).
    println!("both transfers stopped {took:?} after the sign-out");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn a_renewal_in_place_lets_old_work_run_until_its_credentials_end() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let slow = rt.block_on(FakeServer::start(Behaviour::Trickling(1024 * 1024)));
    let ch = worker(fake_env(&slow), keyfob::clock::system());
    let dir = tempfile::tempdir().unwrap();
    let old = creds(SystemTime::now() + Duration::from_secs(4));
    watch(&ch, &old);
    ch.commands
        .send(download(&old, "old.bin", dir.path()))
        .unwrap();
    // Renewed in place: the same name, new credentials with an hour left; new work uses them.
    let new = SessionCreds {
        expires_at: SystemTime::now() + Duration::from_secs(3600),
        credentials: Credentials {
            access_key_id: "ASIARENEWEDRENEWED01".into(),
            ..old.credentials.clone()
        },
        ..old.clone()
    };
    watch(&ch, &new);
    ch.commands
        .send(download(&new, "new.bin", dir.path()))
        .unwrap();
    let mut started = Vec::new();
    let (label, result) = finished(&ch.events, &mut started);
    assert_eq!(label, "Downloading old.bin");
    assert_expired(&result.expect_err("the old download finished"));
    assert!(
        SystemTime::now() >= old.expires_at,
        "stopped at the old credentials' end, not before"
    );
    let partial = files_in(dir.path());
    assert_eq!(
        partial.len(),
        1,
        "only the new download's partial file: {partial:?}"
    );
    // The new credentials' work runs on until the user signs out.
    assert_eq!(started.len(), 2, "{started:?}");
    ch.commands
        .send(Command::SignOut {
            name: "prod".into(),
        })
        .unwrap();
    let (label, result) = finished(&ch.events, &mut started);
    assert_eq!(label, "Downloading new.bin");
    let error = result.expect_err("the new download finished");
    assert!(
        error.message.starts_with("Stopped: you signed out of prod"),
        "{error:?}"
    );
    assert_eq!(files_in(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_transfer_whose_dialog_is_answered_after_sign_out_is_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeServer::start(Behaviour::Silent));
    let dir = tempfile::tempdir().unwrap();
    let saved_as = dir.path().join("a.txt");
    let (opened_tx, opened) = std::sync::mpsc::channel();
    let (answer_tx, answer_rx) = tokio::sync::oneshot::channel();
    let ch = worker_with(
        fake_env(&server),
        Ports {
            dialogs: Arc::new(LateDialog {
                opened: opened_tx,
                answer: Mutex::new(Some(answer_rx)),
            }),
            ..Ports::headless()
        },
    );
    let c = creds(SystemTime::now() + Duration::from_secs(3600));
    ch.commands
        .send(Command::Browse(BrowseCommand::Download {
            creds: c,
            bucket: BUCKETS[0].into(),
            region: Some("us-east-1".into()),
            items: vec![("a.txt".into(), 5)],
            target: None,
        }))
        .unwrap();
    opened
        .recv_timeout(Duration::from_secs(30))
        .expect("the dialog opened");
    ch.commands
        .send(Command::SignOut {
            name: "prod".into(),
        })
        .unwrap();
    // The sign-out reaches the worker before the dialog's answer (one command channel, in order;
    // the answer only after the worker handled a later command).
    ch.commands
        .send(Command::Browse(BrowseCommand::ListBuckets {
            id: next_id(),
            creds: creds(SystemTime::now() - Duration::from_secs(1)),
        }))
        .unwrap();
    let BrowseEvent::Buckets { result: Err(_), .. } = next_browse(&ch.events) else {
        panic!("the ended session's buckets were listed")
    };
    answer_tx.send(saved_as.clone()).unwrap();
    let mut started = Vec::new();
    let (_, result) = finished(&ch.events, &mut started);
    let error = result.expect_err("the download ran");
    assert_eq!(error.message, "Stopped: you signed out of prod");
    assert_eq!(server.count(), 0, "no request reached the server");
    assert!(!saved_as.exists(), "the download wrote a file");
}
