//! Transfers that survive a restart, against moto_server: a multipart upload whose process is
//! killed with SIGKILL resumes from the parts its record lists (the rest sent again); a ranged
//! download cut off by quitting (its runtime dropped) resumes from the ranges on disk; a network
//! that drops mid-upload (a loopback proxy that cuts every connection: moto cannot) fails with one
//! sentence and resumes once it is back; a local file changed since, or an object replaced since,
//! starts over cleanly; the bucket's unfinished uploads are listed and aborted, and an aborted one
//! of keyfob's is forgotten. No record holds a secret.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use common::{BUCKETS, Moto, seed};
use keyfob::aws::AwsEnv;
use keyfob::aws::errors::ErrorKind;
use keyfob::aws::s3::{self, Job, Keep, Record, Store};
use keyfob::secret::Secret;
use keyfob::session::Credentials;
use md5::{Digest as _, Md5};

const MIB: u64 = 1024 * 1024;

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `len` bytes that differ from part to part (a part sent twice in the wrong place shows).
fn content(len: u64, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i / 4093) as u8) ^ (i as u8).wrapping_mul(31) ^ salt)
        .collect()
}

fn keep(store: &Arc<Store>) -> Keep {
    Keep {
        store: Arc::clone(store),
        id: Store::new_id(),
        session: "alice".to_owned(),
        region: Some("us-east-1".to_owned()),
    }
}

/// Waits (up to 60 s) until `store` holds a record satisfying `ready`.
fn wait_for_record(store: &Store, ready: impl Fn(&Record) -> bool) -> Record {
    let start = Instant::now();
    loop {
        if let Some(r) = store.all().into_iter().find(|r| ready(r)) {
            return r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no such record in {}: {:?}",
            store.dir().display(),
            store.all()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every file under `dir`, read whole: none may hold a secret.
fn assert_no_secret(dir: &Path, secrets: &[&str]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for s in secrets {
            assert!(!text.contains(s), "a record holds a secret: {text}");
        }
    }
}

/// A child process killed when dropped (a failing test leaves no frozen child behind).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        drop(self.0.kill());
        drop(self.0.wait());
    }
}

/// Opens its gate when dropped: a failing test's frozen threads go on, so its runtime can end.
struct Gate(Arc<AtomicBool>);

impl Gate {
    fn new() -> Self {
        Self(Arc::new(AtomicBool::new(false)))
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

async fn download_bytes(client: &Client, key: &str) -> Vec<u8> {
    let out = client
        .get_object()
        .bucket(BUCKETS[0])
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn unfinished_ids(client: &Client) -> Vec<String> {
    s3::list_unfinished(client, BUCKETS[0])
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.upload_id)
        .collect()
}

/// A progress report that blocks its thread once more than `limit` bytes are done, until `gate`
/// opens (or for good): the transfer stops making progress there, as if the machine froze, until
/// the process is killed or the runtime dropped. A test's own runtime must open the gate before it
/// ends (dropping a runtime waits for its threads).
fn freeze_after(limit: u64, gate: Option<Arc<AtomicBool>>) -> s3::Progress {
    Arc::new(move |done| {
        let start = Instant::now();
        while done > limit
            && !gate.as_ref().is_some_and(|g| g.load(Ordering::SeqCst))
            && start.elapsed() < Duration::from_secs(3600)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    })
}

/// The child's half of [`an_upload_killed_with_sigkill_resumes_from_its_recorded_parts`]: uploads
/// the file named in the environment resumably, its progress frozen after two parts, until the
/// parent kills it. Run only by that test.
#[test]
#[ignore = "the child process of an_upload_killed_with_sigkill_resumes_from_its_recorded_parts"]
fn child_upload() {
    let var = |name: &str| std::env::var(name).expect(name);
    let env = AwsEnv {
        endpoint_url: Some(var("KEYFOB_TEST_ENDPOINT")),
        ..AwsEnv::default()
    };
    let creds = Credentials {
        access_key_id: var("KEYFOB_TEST_KEY"),
        secret_access_key: Secret::new(var("KEYFOB_TEST_SECRET")),
        session_token: None,
    };
    let store = Arc::new(Store::new(PathBuf::from(var("KEYFOB_TEST_STORE"))));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(8)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = s3::client(&env, &creds, Some("us-east-1")).await;
        let path = PathBuf::from(var("KEYFOB_TEST_FILE"));
        s3::upload_resumable(
            &client,
            BUCKETS[0],
            "big/killed.bin",
            &path,
            freeze_after(2 * s3::PART_SIZE, None),
            &keep(&store),
        )
        .await
        .unwrap();
    });
    panic!("the upload should have been frozen and killed before it ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_killed_with_sigkill_resumes_from_its_recorded_parts() {
    let moto = Moto::start();
    let seeded = seed(&moto).await;
    let client = s3::client(&moto.env(), &seeded.alice, Some("us-east-1")).await;
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("transfers");
    // 26 MiB: six parts, the last one of 1 MiB.
    let data = content(26 * MIB, 7);
    let file = dir.path().join("big.bin");
    std::fs::write(&file, &data).unwrap();

    let mut child = KillOnDrop(
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "child_upload", "--nocapture"])
            .env("KEYFOB_TEST_ENDPOINT", moto.env().endpoint_url.unwrap())
            .env("KEYFOB_TEST_KEY", &seeded.alice.access_key_id)
            .env(
                "KEYFOB_TEST_SECRET",
                seeded.alice.secret_access_key.expose(),
            )
            .env("KEYFOB_TEST_STORE", &store_dir)
            .env("KEYFOB_TEST_FILE", &file)
            .spawn()
            .unwrap(),
    );
    let store = Arc::new(Store::new(store_dir.clone()));
    let recorded = tokio::task::spawn_blocking({
        let store = Arc::clone(&store);
        move || {
            wait_for_record(
                &store,
                |r| matches!(&r.job, Job::Upload(u) if u.parts.len() >= 2),
            )
        }
    })
    .await
    .unwrap();
    child.0.kill().unwrap(); // SIGKILL: no destructor, no abort runs
    let status = child.0.wait().unwrap();
    assert!(!status.success(), "the child was killed: {status:?}");
    let Job::Upload(before) = &recorded.job else {
        unreachable!()
    };
    // Two parts acknowledged (not necessarily the first two: they go up four at a time).
    assert_eq!(before.parts.len(), 2, "{before:?}");
    assert!(
        before.parts.keys().all(|&n| (1..=5).contains(&n)),
        "{before:?}"
    );
    assert_eq!(recorded.done(), 2 * s3::PART_SIZE);
    assert_no_secret(
        &store_dir,
        &[seeded.alice.secret_access_key.expose(), "SecretAccessKey"],
    );
    // The upload is still on S3, unfinished.
    assert_eq!(
        unfinished_ids(&client).await,
        vec![before.upload_id.clone()]
    );

    let steps = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = Arc::clone(&steps);
    let record = store
        .load(&recorded.id)
        .expect("the record outlived the kill");
    let resumed = s3::resume_upload(
        &client,
        &store,
        record,
        Arc::new(move |d| s.lock().unwrap().push(d)),
    )
    .await
    .unwrap();
    assert_eq!(resumed.restarted, None);
    assert_eq!(resumed.reused, 2 * s3::PART_SIZE);
    assert_eq!(resumed.sent, 26 * MIB - 2 * s3::PART_SIZE);
    assert_eq!(
        steps.lock().unwrap().first().copied(),
        Some(2 * s3::PART_SIZE),
        "progress starts from the parts already there"
    );
    assert_eq!(
        md5_hex(&download_bytes(&client, "big/killed.bin").await),
        md5_hex(&data)
    );
    let head = s3::head_object(&client, BUCKETS[0], "big/killed.bin")
        .await
        .unwrap();
    let etag = head.etag.unwrap();
    assert!(etag.trim_matches('"').ends_with("-6"), "six parts: {etag}");
    assert_eq!(store.all(), vec![], "the record goes with the upload done");
    assert!(unfinished_ids(&client).await.is_empty());
}

#[test]
fn a_download_cut_off_by_quitting_resumes_from_the_ranges_on_disk() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (seeded, client) = rt.block_on(async {
        let seeded = seed(&moto).await;
        let client = s3::client(&moto.env(), &seeded.alice, Some("us-east-1")).await;
        (seeded, client)
    });
    let data = content(30 * MIB, 3);
    rt.block_on(
        client
            .put_object()
            .bucket(BUCKETS[0])
            .key("big/down.bin")
            .body(data.clone().into())
            .send(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::new(dir.path().join("transfers")));
    let dest = dir.path().join("down.bin");

    // "Quitting": a runtime of its own, dropped while the download's progress is frozen.
    let quitting = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(8)
        .enable_all()
        .build()
        .unwrap();
    let k = keep(&store);
    let (c, d) = (client.clone(), dest.clone());
    quitting.spawn(async move {
        let obj = s3::Object::current(BUCKETS[0], "big/down.bin");
        s3::download_resumable(
            &c,
            obj,
            &d,
            s3::Existing::Refuse,
            freeze_after(12 * MIB, None),
            &k,
        )
        .await
    });
    let recorded = wait_for_record(&store, |_| true);
    quitting.shutdown_background();
    let Job::Download(state) = &recorded.job else {
        panic!("a download's record: {recorded:?}")
    };
    assert!(state.ranges.contains(&0), "{state:?}");
    assert!(
        !dest.exists(),
        "nothing at the destination before it is complete"
    );
    assert!(state.temp.exists(), "the hidden file stays for the resume");
    assert_no_secret(store.dir(), &[seeded.alice.secret_access_key.expose()]);

    // Resumed: the ranges recorded are not fetched again.
    let record = store.load(&recorded.id).unwrap();
    let reused = record.done();
    assert!(reused >= s3::RANGE_SIZE, "{record:?}");
    let resumed = rt
        .block_on(s3::resume_download(
            &client,
            &store,
            record,
            Arc::new(|_| {}),
        ))
        .unwrap();
    assert_eq!((resumed.reused, resumed.sent), (reused, 30 * MIB - reused));
    assert_eq!(md5_hex(&std::fs::read(&dest).unwrap()), md5_hex(&data));
    assert!(!state.temp.exists(), "the hidden file became the download");
    assert_eq!(store.all(), vec![]);

    // Interrupted again, then the object is replaced: the resume starts over with the new one.
    let dest2 = dir.path().join("down2.bin");
    let quitting = tokio::runtime::Runtime::new().unwrap();
    let k = keep(&store);
    let (c, d) = (client.clone(), dest2.clone());
    quitting.spawn(async move {
        let obj = s3::Object::current(BUCKETS[0], "big/down.bin");
        s3::download_resumable(
            &c,
            obj,
            &d,
            s3::Existing::Refuse,
            freeze_after(12 * MIB, None),
            &k,
        )
        .await
    });
    let recorded = wait_for_record(&store, |_| true);
    quitting.shutdown_background();
    let newer = content(20 * MIB, 9);
    rt.block_on(
        client
            .put_object()
            .bucket(BUCKETS[0])
            .key("big/down.bin")
            .body(newer.clone().into())
            .send(),
    )
    .unwrap();
    let resumed = rt
        .block_on(s3::resume_download(
            &client,
            &store,
            store.load(&recorded.id).unwrap(),
            Arc::new(|_| {}),
        ))
        .unwrap();
    assert_eq!(
        resumed.restarted.as_deref(),
        Some("the object changed since")
    );
    assert_eq!(md5_hex(&std::fs::read(&dest2).unwrap()), md5_hex(&newer));
    assert_eq!(store.all(), vec![]);
    let hidden: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".keyfob-part"))
        .collect();
    assert!(hidden.is_empty(), "hidden files left: {hidden:?}");
}

/// A loopback proxy to moto that, once `down` is set, cuts every connection it holds and every
/// new one: a network gone. (Moto cannot drop a connection, hence this fake.)
struct Proxy {
    url: String,
    down: Arc<AtomicBool>,
}

impl Proxy {
    async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let target = upstream.trim_start_matches("http://").to_owned();
        let down = Arc::new(AtomicBool::new(false));
        let d = Arc::clone(&down);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let (down, target) = (Arc::clone(&d), target.clone());
                tokio::spawn(async move {
                    if down.load(Ordering::SeqCst) {
                        return; // dropped: the connection is cut at once
                    }
                    let mut outbound = tokio::net::TcpStream::connect(&target).await.unwrap();
                    let (mut ri, mut wi) = inbound.split();
                    let (mut ro, mut wo) = outbound.split();
                    let up = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = tokio::io::AsyncReadExt::read(&mut ri, &mut buf).await?;
                            if n == 0 || down.load(Ordering::SeqCst) {
                                return Ok::<(), std::io::Error>(());
                            }
                            tokio::io::AsyncWriteExt::write_all(&mut wo, &buf[..n]).await?;
                        }
                    };
                    let back = tokio::io::copy(&mut ro, &mut wi);
                    tokio::select! {
                        _ = up => {}
                        _ = back => {}
                    }
                });
            }
        });
        Self { url, down }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_network_drop_mid_upload_fails_in_one_sentence_and_resumes() {
    let moto = Moto::start();
    let seeded = seed(&moto).await;
    let direct = s3::client(&moto.env(), &seeded.alice, Some("us-east-1")).await;
    let proxy = Proxy::start(moto.env().endpoint_url.as_deref().unwrap()).await;
    let env = AwsEnv {
        endpoint_url: Some(proxy.url.clone()),
        ..moto.env()
    };
    let through = s3::client(&env, &seeded.alice, Some("us-east-1")).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::new(dir.path().join("transfers")));
    let data = content(22 * MIB, 5);
    let file = dir.path().join("net.bin");
    std::fs::write(&file, &data).unwrap();

    // The network goes as the first part is acknowledged (the others are on their way).
    let down = Arc::clone(&proxy.down);
    let k = keep(&store);
    let err = s3::upload_resumable(
        &through,
        BUCKETS[0],
        "big/net.bin",
        &file,
        Arc::new(move |_| down.store(true, Ordering::SeqCst)),
        &k,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Unreachable | ErrorKind::Timeout),
        "{err:?}"
    );
    assert!(!err.message.contains('\n'), "one sentence: {err:?}");
    let record = store
        .load(&k.id)
        .unwrap_or_else(|| panic!("the upload is kept for resuming after {err:?}"));
    let Job::Upload(state) = &record.job else {
        unreachable!()
    };
    assert!(
        !state.parts.is_empty() && state.parts.len() < 5,
        "some parts went up: {state:?}"
    );

    // The network is back (straight to moto): the parts recorded are not sent again.
    let reused = record.done();
    let resumed = s3::resume_upload(&direct, &store, record, Arc::new(|_| {}))
        .await
        .unwrap();
    assert_eq!((resumed.reused, resumed.restarted.clone()), (reused, None));
    assert_eq!(
        md5_hex(&download_bytes(&direct, "big/net.bin").await),
        md5_hex(&data)
    );

    // Interrupted again, then the local file changes: the resume starts over, the old upload
    // aborted.
    let k = keep(&store);
    let gate = Gate::new();
    let task = tokio::spawn({
        let (c, f, k) = (direct.clone(), file.clone(), k.clone());
        let progress = freeze_after(s3::PART_SIZE, Some(Arc::clone(&gate.0)));
        async move { s3::upload_resumable(&c, BUCKETS[0], "big/net.bin", &f, progress, &k).await }
    });
    let store2 = Arc::clone(&store);
    let id = k.id.clone();
    let recorded = tokio::task::spawn_blocking(move || {
        wait_for_record(&store2, |r| {
            r.id == id && matches!(&r.job, Job::Upload(u) if !u.parts.is_empty())
        })
    })
    .await
    .unwrap();
    task.abort();
    let old_id = recorded.upload_id().unwrap().to_owned();
    let changed = content(22 * MIB, 6);
    std::fs::write(&file, &changed).unwrap();
    let resumed = s3::resume_upload(&direct, &store, recorded, Arc::new(|_| {}))
        .await
        .unwrap();
    assert_eq!(resumed.restarted.as_deref(), Some("the file changed since"));
    assert_eq!(resumed.reused, 0);
    assert_eq!(
        md5_hex(&download_bytes(&direct, "big/net.bin").await),
        md5_hex(&changed)
    );
    assert!(
        !unfinished_ids(&direct).await.contains(&old_id),
        "the old upload was aborted"
    );
    assert_eq!(store.all(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unfinished_uploads_are_listed_and_aborted_and_keyfobs_own_forgotten() {
    let moto = Moto::start();
    let seeded = seed(&moto).await;
    let client = s3::client(&moto.env(), &seeded.alice, Some("us-east-1")).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::new(dir.path().join("transfers")));
    // One left by another tool, one of keyfob's (interrupted).
    let other = client
        .create_multipart_upload()
        .bucket(BUCKETS[0])
        .key("left/by-another-tool.bin")
        .send()
        .await
        .unwrap()
        .upload_id
        .unwrap();
    let file = dir.path().join("mine.bin");
    std::fs::write(&file, content(11 * MIB, 1)).unwrap();
    let k = keep(&store);
    let gate = Gate::new();
    let task = tokio::spawn({
        let (c, f, k) = (client.clone(), file.clone(), k.clone());
        let progress = freeze_after(0, Some(Arc::clone(&gate.0)));
        async move { s3::upload_resumable(&c, BUCKETS[0], "left/mine.bin", &f, progress, &k).await }
    });
    let store2 = Arc::clone(&store);
    let mine = tokio::task::spawn_blocking(move || wait_for_record(&store2, |_| true))
        .await
        .unwrap();
    task.abort();
    let listed = s3::list_unfinished(&client, BUCKETS[0]).await.unwrap();
    let mut keys: Vec<&str> = listed.iter().map(|u| u.key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["left/by-another-tool.bin", "left/mine.bin"]);
    assert!(listed.iter().all(|u| u.initiated.is_some()));
    let all: Vec<(String, String)> = listed
        .iter()
        .map(|u| (u.key.clone(), u.upload_id.clone()))
        .collect();
    assert_eq!(
        s3::abort_unfinished(&client, BUCKETS[0], &all, Some(&store))
            .await
            .unwrap(),
        2
    );
    assert!(unfinished_ids(&client).await.is_empty(), "{other} aborted");
    assert_eq!(
        store.load(&mine.id),
        None,
        "keyfob's own record is forgotten"
    );
}
