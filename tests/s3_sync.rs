//! Sync against a real moto_server: a tree up and down, then nothing to do by size and time and by
//! content; changes found by size, by time and by content (same size, other bytes); what is only
//! at the destination kept unless deleting is asked; a multipart object compared by content;
//! writes refused when the other side changed after the comparison (S3's conditional writes, and
//! the local file checked before it is replaced); unsafe keys and symbolic links left out.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use common::{Moto, seed};
use keyfob::aws::s3::sync::{self, Action, Compare, Direction, Spec, SyncPlan};
use keyfob::aws::s3::{self, location};

const BUCKET: &str = "keyfob-sync";

async fn world() -> (Moto, Client) {
    let moto = Moto::start();
    let creds = seed(&moto).await.alice;
    let client = s3::client(&moto.env(), &creds, Some("us-east-1")).await;
    client.create_bucket().bucket(BUCKET).send().await.unwrap();
    (moto, client)
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

async fn get(client: &Client, key: &str) -> Vec<u8> {
    let out = client.get_object().bucket(BUCKET).key(key).send().await;
    let out = out.unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn keys(client: &Client, prefix: &str) -> Vec<String> {
    let out = client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

fn spec(local: &Path, direction: Direction, compare: Compare, delete: bool) -> Spec {
    Spec {
        local: local.to_owned(),
        bucket: BUCKET.to_owned(),
        prefix: "site/".to_owned(),
        direction,
        compare,
        delete,
    }
}

async fn plan(client: &Client, spec: Spec) -> SyncPlan {
    sync::plan(client, spec, &|_| {}).await.expect("plan")
}

fn rels(plan: &SyncPlan, action: Action) -> Vec<&str> {
    plan.items
        .iter()
        .filter(|i| i.action == action)
        .map(|i| i.rel.as_str())
        .collect()
}

fn write(root: &Path, rel: &str, body: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

/// Sets a file's modification time `secs` from now (negative: in the past).
fn touch(path: &Path, secs: i64) {
    let now = SystemTime::now();
    let when = if secs >= 0 {
        now + Duration::from_secs(secs.unsigned_abs())
    } else {
        now - Duration::from_secs(secs.unsigned_abs())
    };
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

fn no_progress() -> s3::Progress {
    Arc::new(|_| {})
}

const TREE: [(&str, &[u8]); 5] = [
    ("index.html", b"<p>hello</p>"),
    ("css/site.css", b"body{}"),
    ("img/logo.svg", b"<svg/>"),
    ("deep/er/still/leaf.txt", b"leaf"),
    ("ünï cödé ✓.txt", b"unicode"),
];

#[tokio::test]
async fn a_tree_goes_up_then_nothing_is_left_to_do() {
    let (_moto, client) = world().await;
    let dir = tempfile::tempdir().unwrap();
    for (rel, body) in TREE {
        write(dir.path(), rel, body);
    }
    let first = plan(
        &client,
        spec(dir.path(), Direction::Upload, Compare::SizeAndTime, false),
    )
    .await;
    assert_eq!(rels(&first, Action::New).len(), TREE.len(), "{first:?}");
    assert_eq!(
        first.bytes(),
        TREE.iter().map(|(_, b)| b.len() as u64).sum::<u64>()
    );
    let report = sync::run(&client, first, no_progress()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.done, TREE.len());
    let mut listed = keys(&client, "site/").await;
    listed.sort();
    let mut want: Vec<String> = TREE.iter().map(|(r, _)| format!("site/{r}")).collect();
    want.sort();
    assert_eq!(listed, want);
    for compare in [Compare::SizeAndTime, Compare::Checksum] {
        let again = plan(&client, spec(dir.path(), Direction::Upload, compare, false)).await;
        assert!(again.is_empty(), "{compare:?}: {:?}", again.items);
        assert_eq!(again.same, TREE.len());
        if compare == Compare::Checksum {
            assert_eq!(again.by_content, TREE.len());
        }
    }
}

#[tokio::test]
async fn changes_are_found_and_only_asked_deletions_happen() {
    let (_moto, client) = world().await;
    let dir = tempfile::tempdir().unwrap();
    for (rel, body) in TREE {
        write(dir.path(), rel, body);
        put(&client, &format!("site/{rel}"), body).await;
        // Older than the objects: the same by size and time.
        touch(&dir.path().join(rel), -3600);
    }
    put(&client, "site/only-in-s3.txt", "remote").await;
    // Another size.
    write(dir.path(), "index.html", b"<p>hello, world</p>");
    // The same size, other bytes, an old time: only a comparison by content sees it.
    write(dir.path(), "css/site.css", b"BODY{}");
    touch(&dir.path().join("css/site.css"), -3600);
    // The same bytes, a newer time: changed by time, the same by content.
    touch(&dir.path().join("img/logo.svg"), 3600);

    let by_time = plan(
        &client,
        spec(dir.path(), Direction::Upload, Compare::SizeAndTime, false),
    )
    .await;
    assert_eq!(
        rels(&by_time, Action::Changed),
        ["img/logo.svg", "index.html"]
    );
    assert_eq!(rels(&by_time, Action::OnlyThere), ["only-in-s3.txt"]);
    assert!(rels(&by_time, Action::Delete).is_empty());
    let by_content = plan(
        &client,
        spec(dir.path(), Direction::Upload, Compare::Checksum, true),
    )
    .await;
    assert_eq!(
        rels(&by_content, Action::Changed),
        ["css/site.css", "index.html"]
    );
    assert_eq!(rels(&by_content, Action::Delete), ["only-in-s3.txt"]);
    assert!(
        by_content.summary().contains("delete 1"),
        "{}",
        by_content.summary()
    );
    let report = sync::run(&client, by_content, no_progress()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(get(&client, "site/css/site.css").await, b"BODY{}");
    assert_eq!(
        get(&client, "site/index.html").await,
        b"<p>hello, world</p>"
    );
    assert!(
        !keys(&client, "site/")
            .await
            .contains(&"site/only-in-s3.txt".to_owned())
    );
}

#[tokio::test]
async fn a_change_made_meanwhile_is_reported_not_overwritten() {
    let (_moto, client) = world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", b"mine, longer");
    write(dir.path(), "new.txt", b"mine");
    put(&client, "site/a.txt", "theirs").await;
    put(&client, "site/gone.txt", "old").await;
    let planned = plan(
        &client,
        spec(dir.path(), Direction::Upload, Compare::SizeAndTime, true),
    )
    .await;
    assert_eq!(rels(&planned, Action::Changed), ["a.txt"]);
    assert_eq!(rels(&planned, Action::New), ["new.txt"]);
    assert_eq!(rels(&planned, Action::Delete), ["gone.txt"]);
    // Someone else writes all three after the comparison.
    put(&client, "site/a.txt", "someone else's").await;
    put(&client, "site/new.txt", "someone else's").await;
    put(&client, "site/gone.txt", "rewritten").await;
    let report = sync::run(&client, planned, no_progress()).await;
    let mut failed: Vec<(&str, &str)> = report
        .failed
        .iter()
        .map(|f| (f.name.as_str(), f.reason.as_str()))
        .collect();
    failed.sort_unstable();
    assert_eq!(failed.len(), 3, "{failed:?}");
    for (_, reason) in &failed {
        assert!(
            reason.contains("changed in S3 since it was compared"),
            "{failed:?}"
        );
    }
    assert_eq!(get(&client, "site/a.txt").await, b"someone else's");
    assert_eq!(get(&client, "site/new.txt").await, b"someone else's");
    assert_eq!(get(&client, "site/gone.txt").await, b"rewritten");
}

#[tokio::test]
async fn a_prefix_comes_down_and_local_changes_are_kept() {
    let (_moto, client) = world().await;
    for (rel, body) in TREE {
        put(&client, &format!("site/{rel}"), body).await;
    }
    // Keys that cannot be paths under the folder are left out, never written.
    put(&client, "site/a/../../escape.txt", "no").await;
    put(&client, "site/folder/", "").await;
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("copy");
    let first = plan(
        &client,
        spec(&into, Direction::Download, Compare::SizeAndTime, false),
    )
    .await;
    assert_eq!(rels(&first, Action::New).len(), TREE.len(), "{first:?}");
    assert!(
        first
            .skipped
            .iter()
            .any(|s| s.name.contains("escape") && s.reason.contains("..")),
        "{:?}",
        first.skipped
    );
    let report = sync::run(&client, first, no_progress()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    for (rel, body) in TREE {
        assert_eq!(std::fs::read(into.join(rel)).unwrap(), body, "{rel}");
    }
    assert!(!dir.path().join("escape.txt").exists());
    // The files took the objects' times: nothing left to do.
    let again = plan(
        &client,
        spec(&into, Direction::Download, Compare::SizeAndTime, false),
    )
    .await;
    assert!(again.is_empty(), "{:?}", again.items);

    // The object changes; then, after the comparison, so does the local file.
    put(&client, "site/index.html", "<p>new in S3</p>").await;
    write(&into, "local-only.txt", b"mine");
    let planned = plan(
        &client,
        spec(&into, Direction::Download, Compare::Checksum, true),
    )
    .await;
    assert_eq!(rels(&planned, Action::Changed), ["index.html"]);
    assert_eq!(rels(&planned, Action::Delete), ["local-only.txt"]);
    write(&into, "index.html", b"edited here meanwhile");
    write(&into, "local-only.txt", b"edited too");
    let report = sync::run(&client, planned, no_progress()).await;
    assert_eq!(report.failed.len(), 2, "{:?}", report.failed);
    assert!(
        report
            .failed
            .iter()
            .all(|f| f.reason.contains("changed on disk since it was compared")),
        "{:?}",
        report.failed
    );
    assert_eq!(
        std::fs::read(into.join("index.html")).unwrap(),
        b"edited here meanwhile"
    );
    assert!(into.join("local-only.txt").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&into)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".keyfob"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn a_multipart_object_is_compared_by_content() {
    let (_moto, client) = world().await;
    let dir = tempfile::tempdir().unwrap();
    // Over the multipart threshold: uploaded in parts, its ETag "<md5 of md5s>-2".
    let big: Vec<u8> = (0..9 * 1024 * 1024_u32).map(|i| (i % 251) as u8).collect();
    write(dir.path(), "big.bin", &big);
    let up = plan(
        &client,
        spec(dir.path(), Direction::Upload, Compare::Checksum, false),
    )
    .await;
    let report = sync::run(&client, up, no_progress()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let head = client
        .head_object()
        .bucket(BUCKET)
        .key("site/big.bin")
        .send()
        .await
        .unwrap();
    assert!(head.e_tag().unwrap().contains('-'), "{:?}", head.e_tag());
    let same = plan(
        &client,
        spec(dir.path(), Direction::Upload, Compare::Checksum, false),
    )
    .await;
    assert!(same.is_empty(), "{:?}", same.items);
    // One byte changed, the size kept.
    let mut other = big.clone();
    other[5 * 1024 * 1024 + 7] ^= 1;
    write(dir.path(), "big.bin", &other);
    touch(&dir.path().join("big.bin"), -3600);
    let changed = plan(
        &client,
        spec(dir.path(), Direction::Upload, Compare::Checksum, false),
    )
    .await;
    assert_eq!(rels(&changed, Action::Changed), ["big.bin"]);
}

#[cfg(unix)]
#[tokio::test]
async fn links_out_of_the_tree_are_left_out() {
    let (_moto, client) = world().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    write(&root, "in.txt", b"in");
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.txt", b"secret");
    std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("s.txt")).unwrap();
    // Objects in S3 under the linked folder's path are not "only in S3": deleting is asked for,
    // and they are left alone.
    put(&client, "site/out/secret.txt", "uploaded earlier").await;
    put(&client, "site/s.txt", "uploaded earlier").await;
    put(&client, "site/gone.txt", "only in S3").await;
    let with_delete = plan(
        &client,
        spec(&root, Direction::Upload, Compare::SizeAndTime, true),
    )
    .await;
    assert_eq!(rels(&with_delete, Action::Delete), ["gone.txt"]);
    client
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(
                    ["site/out/secret.txt", "site/s.txt", "site/gone.txt"]
                        .map(|k| {
                            aws_sdk_s3::types::ObjectIdentifier::builder()
                                .key(k)
                                .build()
                                .unwrap()
                        })
                        .to_vec(),
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let planned = plan(
        &client,
        spec(&root, Direction::Upload, Compare::SizeAndTime, false),
    )
    .await;
    assert_eq!(rels(&planned, Action::New), ["in.txt"]);
    assert_eq!(planned.skipped.len(), 2, "{:?}", planned.skipped);
    let report = sync::run(&client, planned, no_progress()).await;
    assert_eq!(report.done, 1);
    assert_eq!(keys(&client, "site/").await, ["site/in.txt"]);
    let e = sync::plan(
        &client,
        spec(
            &root.join("out"),
            Direction::Upload,
            Compare::SizeAndTime,
            false,
        ),
        &|_| {},
    )
    .await
    .expect_err("a linked folder is refused");
    assert!(e.message.contains("symbolic link"), "{}", e.message);
    assert!(location::parse("s3://Not_A_Bucket/x").is_err());
}
