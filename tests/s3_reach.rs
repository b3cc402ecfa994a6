//! Reaching S3 against a real moto_server: a typed location opened through the real worker with no
//! ListBuckets (moto's request recorder shows every request that reached it), the bucket list a
//! page at a time with its server-side filters, and a profile's S3-compatible endpoint in a
//! temporary config file: path-style requests, and no flexible-checksum headers unless the
//! profile asks for them.
//!
//! moto 5.2.1 applies ListBuckets' Prefix, BucketRegion and MaxBuckets, but never returns a
//! ContinuationToken: a page cut short by MaxBuckets is the last one. The test checks exactly
//! that, so that a moto that starts paging makes it fail and be looked at again.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{BUCKETS, Moto, browse_worker, http, live_session, next_browse, seed};
use keyfob::aws::s3::{self, BucketQuery, location};
use keyfob::aws::{AwsEnv, ProfileFilesSpec};
use keyfob::message::{BrowseCommand, BrowseEvent, Command, next_id};
use keyfob::session::Credentials;

/// moto with its request recorder on, writing to a file of the test's own.
fn recording_moto(dir: &tempfile::TempDir) -> Moto {
    let file = dir.path().join("recording.jsonl");
    Moto::start_with_env(&[
        ("MOTO_ENABLE_RECORDING", "True"),
        ("MOTO_RECORDER_FILEPATH", file.to_str().unwrap()),
    ])
}

fn reset_recording(moto: &Moto) {
    let (status, _) = http(moto.port, "POST", "/moto-api/recorder/reset-recording", "").unwrap();
    assert_eq!(status, 200);
}

/// The requests moto received since the last reset: (method, URL, headers).
fn recorded(moto: &Moto) -> Vec<(String, String, serde_json::Map<String, serde_json::Value>)> {
    let (status, raw) = http(
        moto.port,
        "GET",
        "/moto-api/recorder/download-recording",
        "",
    )
    .unwrap();
    assert_eq!(status, 200);
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    body.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            let headers = v["headers"].as_object().cloned().unwrap_or_default();
            (s("method"), s("url"), headers)
        })
        .collect()
}

async fn make_bucket(client: &aws_sdk_s3::Client, name: &str, region: Option<&str>) {
    let mut req = client.create_bucket().bucket(name);
    if let Some(r) = region {
        let conf = aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(r))
            .build();
        req = req.create_bucket_configuration(conf);
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
}

#[test]
fn a_typed_location_opens_through_the_worker_without_listbuckets() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let moto = recording_moto(&dir);
    let seed = rt.block_on(seed(&moto));
    rt.block_on(async {
        let admin = s3::client(&moto.env(), &seed.alice, Some("eu-west-1")).await;
        make_bucket(&admin, "keyfob-reach-eu", Some("eu-west-1")).await;
        for key in ["team/2026/a.csv", "team/2026/b.csv", "team/other.txt"] {
            admin
                .put_object()
                .bucket("keyfob-reach-eu")
                .key(key)
                .body(b"x".to_vec().into())
                .send()
                .await
                .unwrap();
        }
    });
    let ch = browse_worker(moto.env());
    reset_recording(&moto);
    let loc = location::parse("s3://keyfob-reach-eu/team/2026").unwrap();
    let id = next_id();
    let creds = live_session(&seed.alice);
    ch.commands
        .send(Command::Browse(BrowseCommand::ListObjects {
            id,
            creds,
            bucket: loc.bucket,
            region: None,
            prefix: loc.prefix,
            delimiter: true,
            token: None,
            page_size: None,
        }))
        .unwrap();
    let BrowseEvent::Region { bucket, region } = next_browse(&ch.events) else {
        panic!("the region first");
    };
    assert_eq!(
        (bucket.as_str(), region.as_str()),
        ("keyfob-reach-eu", "eu-west-1")
    );
    let BrowseEvent::Page { id: got, page } = next_browse(&ch.events) else {
        panic!("a page");
    };
    assert_eq!(got, id);
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["team/2026/a.csv", "team/2026/b.csv"]);
    // What reached moto: HeadBucket and the listing, and no ListBuckets (GET / with no bucket).
    let requests = recorded(&moto);
    let paths: Vec<String> = requests
        .iter()
        .map(|(m, url, _)| {
            format!(
                "{m} {}",
                url.split_once("://")
                    .map_or("", |(_, r)| r)
                    .split_once('/')
                    .map_or("", |(_, p)| p)
            )
        })
        .collect();
    assert!(
        paths.iter().any(|p| p.starts_with("HEAD keyfob-reach-eu")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(
            |p| p.starts_with("GET keyfob-reach-eu?") || p.starts_with("GET keyfob-reach-eu/?")
        ),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p == "GET " || p.starts_with("GET ?")),
        "ListBuckets was called: {paths:?}"
    );
}

#[tokio::test]
async fn bucket_pages_with_prefix_and_region_filters() {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let admin = s3::client(&moto.env(), &seed.alice, Some("us-east-1")).await;
    for name in ["keyfob-page-a1", "keyfob-page-a2", "keyfob-page-b1"] {
        make_bucket(&admin, name, None).await;
    }
    make_bucket(&admin, "keyfob-page-eu", Some("eu-west-1")).await;
    let client = s3::client(&moto.env(), &seed.alice, None).await;
    let page = |prefix: &str, region: &str, size: Option<i32>| BucketQuery {
        prefix: prefix.into(),
        region: region.into(),
        token: None,
        page_size: size,
    };
    let names = |p: &s3::BucketPage| {
        let mut n: Vec<String> = p.buckets.iter().map(|b| b.name.clone()).collect();
        n.sort();
        n
    };
    let all = s3::list_bucket_page(&client, &page("", "", None))
        .await
        .unwrap();
    let mut expected: Vec<String> = BUCKETS.iter().map(|b| (*b).to_owned()).collect();
    expected.extend(
        [
            "keyfob-page-a1",
            "keyfob-page-a2",
            "keyfob-page-b1",
            "keyfob-page-eu",
        ]
        .map(String::from),
    );
    expected.sort();
    assert_eq!(names(&all), expected);
    assert_eq!(all.next, None);
    let prefixed = s3::list_bucket_page(&client, &page("keyfob-page-a", "", None))
        .await
        .unwrap();
    assert_eq!(names(&prefixed), ["keyfob-page-a1", "keyfob-page-a2"]);
    let eu = s3::list_bucket_page(&client, &page("", "eu-west-1", None))
        .await
        .unwrap();
    assert_eq!(names(&eu), ["keyfob-page-eu"]);
    let both = s3::list_bucket_page(&client, &page("keyfob-page", "us-east-1", None))
        .await
        .unwrap();
    assert_eq!(
        names(&both),
        ["keyfob-page-a1", "keyfob-page-a2", "keyfob-page-b1"]
    );
    // MaxBuckets cuts the page; moto gives no token for the rest (see the top of this file).
    let short = s3::list_bucket_page(&client, &page("", "", Some(2)))
        .await
        .unwrap();
    assert_eq!(short.buckets.len(), 2);
    assert_eq!(
        short.next, None,
        "moto now pages ListBuckets: test Load more against it"
    );
}

/// A config file with the profiles `compat` (moto as an S3-compatible endpoint, path-style) and
/// `compat-sums` (the same, asking for the SDK's checksums).
fn compat_env(moto: &Moto, dir: &tempfile::TempDir) -> AwsEnv {
    let config = dir.path().join("config");
    let url = &moto.url;
    std::fs::write(
        &config,
        format!(
            "[profile compat]\nregion = us-east-1\nendpoint_url = {url}\ns3 =\n  addressing_style = path\n\n\
             [profile compat-sums]\nregion = us-east-1\nendpoint_url = {url}\nrequest_checksum_calculation = when_supported\n"
        ),
    )
    .unwrap();
    AwsEnv {
        endpoint_url: None,
        profile_files: ProfileFilesSpec {
            config: Some(config),
            credentials: Some(dir.path().join("credentials")),
        },
        ..moto.env()
    }
}

/// Puts one object through `profile`'s client: the recorded PUT's URL and headers.
async fn put_through(
    moto: &Moto,
    env: &AwsEnv,
    creds: &Credentials,
    profile: &str,
    key: &str,
) -> (String, serde_json::Map<String, serde_json::Value>) {
    let client = s3::client_in(env, creds, Some("us-east-1"), Some(profile)).await;
    reset_recording(moto);
    client
        .put_object()
        .bucket(BUCKETS[0])
        .key(key)
        .body(b"hello, compatible world".to_vec().into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put through {profile}: {e:?}"));
    let requests = recorded(moto);
    let (_, url, headers) = requests
        .into_iter()
        .find(|(m, _, _)| m == "PUT")
        .expect("the PUT was recorded");
    (url, headers)
}

fn checksum_headers(headers: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    headers
        .iter()
        .filter(|(k, v)| {
            let k = k.to_ascii_lowercase();
            k.starts_with("x-amz-checksum-")
                || k == "x-amz-sdk-checksum-algorithm"
                || k == "x-amz-trailer"
                || v.as_str().is_some_and(|v| v.contains("aws-chunked"))
        })
        .map(|(k, v)| format!("{k}: {v}"))
        .collect()
}

#[tokio::test]
async fn a_profile_endpoint_is_path_style_and_sends_no_checksums_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let moto = recording_moto(&dir);
    let seed = seed(&moto).await;
    let env = compat_env(&moto, &dir);
    let (settings, profile) = s3::endpoint::settings(&env, Some("compat")).await;
    assert_eq!(profile.as_deref(), Some("compat"));
    assert_eq!(settings.custom_endpoint.as_deref(), Some(moto.url.as_str()));
    let (url, headers) = put_through(&moto, &env, &seed.alice, "compat", "compat/plain.txt").await;
    // Path-style: the bucket in the path, the host moto's own address.
    let host = format!("127.0.0.1:{}", moto.port);
    assert!(
        url.contains(&format!("{host}/{}/compat/plain.txt", BUCKETS[0])),
        "{url}"
    );
    assert_eq!(
        headers.get("Host").and_then(|h| h.as_str()),
        Some(host.as_str())
    );
    assert_eq!(
        checksum_headers(&headers),
        Vec::<String>::new(),
        "{headers:?}"
    );
    // The object arrived whole.
    let client = s3::client_in(&env, &seed.alice, Some("us-east-1"), Some("compat")).await;
    let body = client
        .get_object()
        .bucket(BUCKETS[0])
        .key("compat/plain.txt")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&body[..], b"hello, compatible world");
    // A profile that asks for the SDK's checksums gets them: the check above can fail.
    let (_, headers) =
        put_through(&moto, &env, &seed.alice, "compat-sums", "compat/summed.txt").await;
    assert!(!checksum_headers(&headers).is_empty(), "{headers:?}");
}

#[test]
fn a_filter_query_waits_on_the_worker_and_a_newer_one_goes_ahead() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let moto = recording_moto(&dir);
    let seed = rt.block_on(seed(&moto));
    let ch = browse_worker(moto.env());
    reset_recording(&moto);
    let creds = live_session(&seed.alice);
    let query = |prefix: &str| BucketQuery {
        prefix: prefix.into(),
        ..BucketQuery::default()
    };
    // A query still in its pause (an hour here) has sent nothing when a newer one has answered.
    let (waiting, newer) = (next_id(), next_id());
    for (id, prefix, delay) in [
        (waiting, "keyfob-demo-r", Duration::from_secs(3600)),
        (newer, "keyfob-demo-l", Duration::ZERO),
    ] {
        ch.commands
            .send(Command::Browse(BrowseCommand::BucketPage {
                id,
                creds: creds.clone(),
                query: query(prefix),
                delay,
            }))
            .unwrap();
    }
    let page = loop {
        match next_browse(&ch.events) {
            BrowseEvent::BucketPage { id, result } => {
                assert_eq!(id, newer, "only the newer query answers");
                break result.unwrap();
            }
            BrowseEvent::Endpoint(endpoint) => {
                assert_eq!(endpoint.as_deref(), Some(moto.url.as_str()));
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    let names: Vec<&str> = page.buckets.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["keyfob-demo-logs"]);
    let listed: Vec<String> = recorded(&moto)
        .into_iter()
        .filter(|(m, url, _)| m == "GET" && url.contains("max-buckets"))
        .map(|(_, url, _)| url)
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].contains("prefix=keyfob-demo-l"), "{listed:?}");
    ch.commands.send(Command::Cancel { id: waiting }).unwrap();
}
