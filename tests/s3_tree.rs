//! Whole folders, changes, versions and previews against a real moto_server: a tree with odd names
//! down and up again (nested folders, an empty folder marker, a 0-byte file), unsafe names refused
//! per file, a cancelled batch leaving no partial file, large objects in parallel ranges and
//! parts, deleting 2,500 objects in 3 requests and a folder, new folders, an older version
//! downloaded, a text preview that asks for one MiB only (its Range header recorded by an SDK
//! interceptor), an image preview. Access denied comes from the loopback fake (moto cannot deny
//! one request while allowing the next with the Rust SDK's signatures).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use common::{Moto, seed};
use keyfob::aws::errors::ErrorKind;
use keyfob::aws::s3::{self, Object, Picked, Preview, PreviewKind};
use keyfob::session::Credentials;

const BUCKET: &str = "keyfob-tree";

/// The tree: the six odd names of the browser's tests, nested folders, an empty folder marker and
/// a 0-byte file.
const TREE: [(&str, &str); 10] = [
    ("tree/with space.txt", "space"),
    ("tree/ünïcödé ✓.txt", "unicode"),
    ("tree/plus+sign.txt", "plus"),
    ("tree/100%.txt", "percent"),
    ("tree/a&b=c?.txt", "query"),
    ("tree/trailing/", ""),
    ("tree/nested/deeper/leaf.json", "{\"leaf\":true}"),
    ("tree/nested/mid.txt", "mid"),
    ("tree/empty/", ""),
    ("tree/zero.bin", ""),
];

async fn world() -> (Moto, Credentials, Client) {
    let moto = Moto::start();
    let creds = seed(&moto).await.alice;
    let client = s3::client(&moto.env(), &creds, Some("us-east-1")).await;
    client.create_bucket().bucket(BUCKET).send().await.unwrap();
    (moto, creds, client)
}

async fn put(client: &Client, key: &str, body: impl Into<Vec<u8>>) {
    client
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(body.into().into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

async fn keys(client: &Client, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = s3::list_page(client, BUCKET, prefix, false, token, None)
            .await
            .unwrap();
        out.extend(page.objects.into_iter().map(|o| o.key));
        token = page.next;
        if token.is_none() {
            return out;
        }
    }
}

fn no_progress() -> s3::Progress {
    Arc::new(|_| {})
}

fn folder(key: &str) -> Picked {
    Picked {
        key: key.into(),
        folder: true,
        size: 0,
    }
}

/// Every file under `dir`, relative, with its bytes; folders end in `/`.
fn tree_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.push((format!("{rel}/"), Vec::new()));
                walk(root, &p, out);
            } else {
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn a_tree_with_odd_names_goes_down_and_up_again() {
    let (_moto, _creds, client) = world().await;
    for (k, v) in TREE {
        put(&client, k, v).await;
    }
    // A name that would leave the folder, and one with an empty part: refused, the rest go on.
    put(&client, "tree/x//double.txt", "double").await;
    put(&client, "tree/../escape.txt", "escape").await;
    let listed = keys(&client, "tree/").await;
    assert!(
        listed.iter().any(|k| k == "tree/../escape.txt"),
        "the server keeps the key as it is: {listed:?}"
    );

    let counted = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&counted);
    let plan = s3::plan_download(&client, BUCKET, "", &[folder("tree/")], &move |files, _| {
        seen.store(files as u64, Ordering::SeqCst);
    })
    .await
    .unwrap();
    assert_eq!(plan.files.len(), 8, "{:?}", plan.files);
    assert_eq!(counted.load(Ordering::SeqCst), 8, "the count was reported");
    assert_eq!(
        plan.bytes,
        TREE.iter().map(|(_, v)| v.len() as u64).sum::<u64>()
    );
    let refused: Vec<&str> = plan.skipped.iter().map(|s| s.name.as_str()).collect();
    assert!(
        refused.contains(&"tree/x//double.txt"),
        "{:?}",
        plan.skipped
    );
    assert!(
        refused.contains(&"tree/../escape.txt"),
        "{:?}",
        plan.skipped
    );

    let dir = tempfile::tempdir().unwrap();
    let report = s3::download_plan(&client, BUCKET, plan, dir.path(), no_progress()).await;
    assert_eq!(
        report.done, 8,
        "8 files (and 2 folders from markers): {report:?}"
    );
    assert_eq!(report.failed.len(), 2, "{report:?}");
    assert!(
        report
            .summary("Saved")
            .is_err_and(|e| e.message.contains("double.txt"))
    );
    assert!(!dir.path().parent().unwrap().join("escape.txt").exists());
    let mut want: Vec<(String, Vec<u8>)> = TREE
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
        .chain(["tree/", "tree/nested/", "tree/nested/deeper/"].map(|d| (d.to_owned(), Vec::new())))
        .collect();
    want.sort();
    assert_eq!(tree_of(dir.path()), want, "the structure and every byte");

    // Up again under copy/: the same keys, the empty folder as its marker.
    let plan = s3::plan_upload(&[dir.path().join("tree")], "copy/");
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    let report = s3::upload_plan(&client, BUCKET, plan, no_progress()).await;
    assert!(report.failed.is_empty(), "{report:?}");
    let mut copied = keys(&client, "copy/").await;
    copied.sort();
    let mut expected: Vec<String> = TREE.iter().map(|(k, _)| format!("copy/{k}")).collect();
    expected.sort();
    assert_eq!(copied, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_batch_leaves_no_partial_file() {
    let (_moto, _creds, client) = world().await;
    for i in 0..24 {
        put(
            &client,
            &format!("big/{i:02}.bin"),
            vec![b'x'; 3 * 1024 * 1024],
        )
        .await;
    }
    let plan = s3::plan_download(&client, BUCKET, "big/", &[folder("big/")], &|_, _| {})
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let moved = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&moved);
    let progress: s3::Progress = Arc::new(move |n| seen.store(n, Ordering::SeqCst));
    let batch = s3::download_plan(&client, BUCKET, plan, dir.path(), progress);
    // Stopped once some bytes have moved: dropping the batch is what Cancel does.
    tokio::select! {
        _ = batch => panic!("the batch ended before it was stopped"),
        () = async {
            while moved.load(Ordering::SeqCst) < 4 * 1024 * 1024 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        } => {}
    }
    let files: Vec<(String, u64)> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    assert!(
        files
            .iter()
            .all(|(name, len)| !name.contains("keyfob-part") && *len == 3 * 1024 * 1024),
        "only whole files are left: {files:?}"
    );
    assert!(files.len() < 24, "it was stopped before the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_objects_move_in_parallel_ranges_and_parts() {
    let (_moto, _creds, client) = world().await;
    let data: Vec<u8> = (0..(3 * s3::RANGE_SIZE + 12_345))
        .map(|i| (i % 251) as u8)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    // Up in parallel parts, then down in parallel ranges (a multipart ETag: size checked).
    let peak = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&peak);
    let progress: s3::Progress = Arc::new(move |n| {
        seen.fetch_max(n, Ordering::SeqCst);
    });
    s3::upload(&client, BUCKET, "large/multi.bin", &src, progress)
        .await
        .unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), data.len() as u64);
    let down = dir.path().join("multi.bin");
    let n = s3::download(
        &client,
        BUCKET,
        "large/multi.bin",
        &down,
        s3::Existing::Refuse,
        no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(n, data.len() as u64);
    assert!(
        std::fs::read(&down).unwrap() == data,
        "every byte in its place"
    );
    // Put in one part (its ETag is the MD5), down in ranges: checked against the MD5 read back.
    put(&client, "large/single.bin", data.clone()).await;
    let down = dir.path().join("single.bin");
    s3::download(
        &client,
        BUCKET,
        "large/single.bin",
        &down,
        s3::Existing::Refuse,
        no_progress(),
    )
    .await
    .unwrap();
    assert!(std::fs::read(&down).unwrap() == data);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("keyfob-part")),
        "no temporary file is left"
    );
}

#[tokio::test]
async fn deletes_in_batches_of_a_thousand_and_whole_folders() {
    let (_moto, _creds, client) = world().await;
    let many: Vec<String> = (0..2500).map(|i| format!("many/{i:04}")).collect();
    let mut set = tokio::task::JoinSet::new();
    for chunk in many.chunks(100) {
        let (c, chunk) = (client.clone(), chunk.to_vec());
        set.spawn(async move {
            for k in chunk {
                put(&c, &k, "x").await;
            }
        });
    }
    while set.join_next().await.is_some() {}
    let done = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&done);
    let report = s3::delete_keys(&client, BUCKET, &many, &move |n| {
        seen.lock().unwrap().push(n);
    })
    .await
    .unwrap();
    assert_eq!((report.deleted, report.requests), (2500, 3));
    assert!(report.failed.is_empty());
    assert_eq!(*done.lock().unwrap(), [1000, 2000, 2500]);
    assert!(keys(&client, "many/").await.is_empty());

    for (k, v) in TREE {
        put(&client, k, v).await;
    }
    put(&client, "treehouse.txt", "not in the folder").await;
    let plan = s3::plan_delete(&client, BUCKET, &[folder("tree/")], &|_, _| {})
        .await
        .unwrap();
    assert_eq!(
        plan.files.len(),
        TREE.len(),
        "every key under it, markers too"
    );
    let keys_to_go: Vec<String> = plan.files.into_iter().map(|f| f.key).collect();
    s3::delete_keys(&client, BUCKET, &keys_to_go, &|_| {})
        .await
        .unwrap();
    assert!(keys(&client, "tree/").await.is_empty());
    assert_eq!(keys(&client, "tree").await, ["treehouse.txt"]);
    assert!(!s3::bucket_versioned(&client, BUCKET).await.unwrap());
}

#[tokio::test]
async fn new_folders_and_their_refusals() {
    let (_moto, _creds, client) = world().await;
    let key = s3::create_folder(&client, BUCKET, "a/", "reports 2026")
        .await
        .unwrap();
    assert_eq!(key, "a/reports 2026/");
    assert_eq!(keys(&client, "a/").await, ["a/reports 2026/"]);
    let again = s3::create_folder(&client, BUCKET, "a/", "reports 2026")
        .await
        .unwrap_err();
    assert!(again.message.contains("already exists"), "{again:?}");
    for bad in ["", "x/y", ".."] {
        let e = s3::create_folder(&client, BUCKET, "a/", bad)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid, "{bad:?}: {e:?}");
    }

    // Access denied, as S3 says it: one readable sentence, for a new folder and a deletion.
    let (_server, denied) = common::fake::denying_s3().await;
    let e = s3::create_folder(&denied, BUCKET, "", "new")
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::AccessDenied, "Access denied: Access Denied")
    );
    let e = s3::delete_keys(&denied, BUCKET, &["a".into()], &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied, "{e:?}");
}

#[tokio::test]
async fn an_older_version_comes_back_byte_for_byte() {
    let (_moto, _creds, client) = world().await;
    client
        .put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(s3::bucket_versioned(&client, BUCKET).await.unwrap());
    put(&client, "doc.txt", "first draft").await;
    put(&client, "doc.txt", "second, final").await;
    put(&client, "doc.txt.bak", "another key").await;
    let versions = s3::list_versions(&client, BUCKET, "doc.txt", 50)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(
        versions[0].latest && !versions[1].latest,
        "newest first: {versions:?}"
    );
    assert_eq!(versions[1].size, "first draft".len() as u64);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("old.txt");
    let obj = Object {
        bucket: BUCKET,
        key: "doc.txt",
        version: Some(&versions[1].version_id),
    };
    s3::download_object(&client, obj, &dest, s3::Existing::Refuse, no_progress())
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "first draft");
    // A deletion now adds a delete marker; the versions stay.
    s3::delete_keys(&client, BUCKET, &["doc.txt".into()], &|_| {})
        .await
        .unwrap();
    let versions = s3::list_versions(&client, BUCKET, "doc.txt", 50)
        .await
        .unwrap();
    assert_eq!(versions.len(), 3);
    assert!(
        versions[0].delete_marker && versions[0].latest,
        "{versions:?}"
    );
}

/// Records the Range header of every request the client sends.
#[derive(Debug, Default, Clone)]
struct Ranges(Arc<Mutex<Vec<Option<String>>>>);

impl aws_smithy_runtime_api::client::interceptors::Intercept for Ranges {
    fn name(&self) -> &'static str {
        "record-ranges"
    }

    fn read_before_transmit(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let range = context.request().headers().get("range").map(str::to_owned);
        self.0.lock().unwrap().push(range);
        Ok(())
    }
}

#[tokio::test]
async fn a_preview_reads_one_mib_of_text_and_decodes_images() {
    let (_moto, creds, client) = world().await;
    let line = "log line with ünïcödé ✓ and some padding to make it longer\n";
    let big: String = line.repeat(50 * 1024 * 1024 / line.len());
    put(&client, "logs/big.log", big.clone()).await;

    let moto_env = _moto.env();
    let conf = moto_env
        .sdk_config(
            &keyfob::aws::SourceCredentials::Static(creds.clone()),
            Some("us-east-1"),
        )
        .await;
    let ranges = Ranges::default();
    let recording = Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .interceptor(ranges.clone())
            .build(),
    );
    let obj = Object::current(BUCKET, "logs/big.log");
    let preview = s3::preview(&recording, obj, big.len() as u64, PreviewKind::Text)
        .await
        .unwrap();
    let Preview::Text { text, shown, total } = preview else {
        panic!("a text preview");
    };
    assert_eq!((shown, total), (s3::TEXT_MAX, big.len() as u64));
    assert!(
        big.starts_with(text.trim_end_matches('\u{fffd}')),
        "the start of the object"
    );
    assert_eq!(
        *ranges.0.lock().unwrap(),
        [Some("bytes=0-1048575".to_owned())],
        "one request, for the first MiB only"
    );

    let mut png = Vec::new();
    image::RgbaImage::from_pixel(2400, 600, image::Rgba([200, 30, 30, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    put(&client, "pics/wide.png", png.clone()).await;
    assert_eq!(s3::preview_kind("pics/wide.png", None), PreviewKind::Image);
    let preview = s3::preview(
        &client,
        Object::current(BUCKET, "pics/wide.png"),
        png.len() as u64,
        PreviewKind::Image,
    )
    .await
    .unwrap();
    let Preview::Image {
        width,
        height,
        rgba,
        original,
    } = preview
    else {
        panic!("an image preview");
    };
    assert_eq!(
        (width, height, original),
        (1024, 256, (2400, 600)),
        "scaled to fit"
    );
    assert_eq!(&rgba[..4], &[200, 30, 30, 255]);
    // A binary file is not shown as text; an image too large is not fetched.
    put(&client, "bin/blob", vec![0u8, 1, 2, 3]).await;
    let e = s3::preview(
        &client,
        Object::current(BUCKET, "bin/blob"),
        4,
        PreviewKind::Text,
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("binary"), "{e:?}");
    let e = s3::preview(
        &client,
        Object::current(BUCKET, "pics/wide.png"),
        s3::IMAGE_MAX + 1,
        PreviewKind::Image,
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("not previewed"), "{e:?}");
}
