//! Properties, versions and bucket settings against a real moto_server: a storage class, a
//! Content-Type and metadata changed by copying the object onto itself (the rest kept), tags
//! round trip, a tag change refused when the object changed since it was read (and pinned to the
//! version read on a versioned bucket), an older version restored, and a bucket's settings read
//! on a configured and on a bare bucket.
//!
//! moto (5.2) does not implement CopyObject's `x-amz-copy-source-if-match` nor `If-Match` on a
//! copy: it copies whatever the ETag. The refusal of a copy whose source changed is therefore
//! shown with the loopback fake answering 412 as S3 does, and the 5 GiB refusal with a fake that
//! counts requests (none is sent).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::atomic::Ordering;

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, ObjectLockConfiguration, ObjectLockEnabled,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use common::fake::{Behaviour, FakeServer};
use common::{BUCKETS, Moto, seed};
use keyfob::aws::errors::ErrorKind;
use keyfob::aws::s3::{self, ObjectProps, PropsChange, Setting};
use keyfob::session::Credentials;

const BUCKET: &str = BUCKETS[0];

async fn world() -> (Moto, Client) {
    let moto = Moto::start();
    let seed = seed(&moto).await;
    let client = s3::client(&moto.env(), &seed.alice, Some("us-east-1")).await;
    (moto, client)
}

async fn put(client: &Client, bucket: &str, key: &str, body: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
}

async fn body(client: &Client, bucket: &str, key: &str) -> String {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    String::from_utf8(out.body.collect().await.unwrap().to_vec()).unwrap()
}

async fn version(client: &Client, bucket: &str) {
    let conf = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::Enabled)
        .build();
    client
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(conf)
        .send()
        .await
        .unwrap();
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[tokio::test]
async fn a_copy_in_place_changes_class_type_and_metadata_and_keeps_the_rest() {
    let (_moto, client) = world().await;
    client
        .put_object()
        .bucket(BUCKET)
        .key("report.txt")
        .body(b"the report".to_vec().into())
        .content_type("text/plain")
        .cache_control("max-age=60")
        .metadata("team", "blue")
        .metadata("owner", "ana")
        .send()
        .await
        .unwrap();
    let read = s3::read_props(&client, BUCKET, "report.txt").await.unwrap();
    assert_eq!(read.metadata, [pair("owner", "ana"), pair("team", "blue")]);
    assert_eq!(read.storage_class, "STANDARD");
    let change = PropsChange {
        storage_class: Some("STANDARD_IA".into()),
        content_type: Some("text/csv".into()),
        metadata_set: vec![pair("owner", "ben"), pair("review", "done")],
        ..PropsChange::default()
    };
    s3::apply_change(&client, BUCKET, &read, &change)
        .await
        .unwrap();
    let head = client
        .head_object()
        .bucket(BUCKET)
        .key("report.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.storage_class()
            .map(aws_sdk_s3::types::StorageClass::as_str),
        Some("STANDARD_IA")
    );
    assert_eq!(head.content_type(), Some("text/csv"));
    assert_eq!(
        head.cache_control(),
        Some("max-age=60"),
        "a header not changed is kept"
    );
    let after = s3::read_props(&client, BUCKET, "report.txt").await.unwrap();
    assert_eq!(
        after.metadata,
        [
            pair("owner", "ben"),
            pair("review", "done"),
            pair("team", "blue")
        ],
        "the metadata not changed is kept"
    );
    assert_eq!(body(&client, BUCKET, "report.txt").await, "the report");

    // Removing a key removes it alone.
    let change = PropsChange {
        metadata_remove: vec!["team".into()],
        ..PropsChange::default()
    };
    s3::apply_change(&client, BUCKET, &after, &change)
        .await
        .unwrap();
    let last = s3::read_props(&client, BUCKET, "report.txt").await.unwrap();
    assert_eq!(
        last.metadata,
        [pair("owner", "ben"), pair("review", "done")]
    );
    assert_eq!(
        (last.storage_class.as_str(), last.content_type.as_deref()),
        ("STANDARD_IA", Some("text/csv"))
    );
}

#[tokio::test]
async fn tags_round_trip_and_are_refused_when_the_object_changed() {
    let (_moto, client) = world().await;
    put(&client, BUCKET, "a.txt", "one").await;
    let read = s3::read_props(&client, BUCKET, "a.txt").await.unwrap();
    assert!(read.tags.is_empty());
    let change = PropsChange {
        tags_set: vec![pair("env", "prod"), pair("cost", "42")],
        ..PropsChange::default()
    };
    s3::apply_change(&client, BUCKET, &read, &change)
        .await
        .unwrap();
    let read = s3::read_props(&client, BUCKET, "a.txt").await.unwrap();
    assert_eq!(read.tags, [pair("cost", "42"), pair("env", "prod")]);
    let change = PropsChange {
        tags_remove: vec!["cost".into()],
        ..PropsChange::default()
    };
    s3::apply_change(&client, BUCKET, &read, &change)
        .await
        .unwrap();
    let read = s3::read_props(&client, BUCKET, "a.txt").await.unwrap();
    assert_eq!(read.tags, [pair("env", "prod")]);

    // Someone writes the object between the read and the change: the tags are not put.
    put(&client, BUCKET, "a.txt", "two").await;
    let change = PropsChange {
        tags_set: vec![pair("env", "test")],
        ..PropsChange::default()
    };
    let err = s3::apply_change(&client, BUCKET, &read, &change)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Changed, "{err:?}");
    assert_eq!(
        err.message,
        "a.txt changed since you opened it; not overwritten"
    );
    let now = s3::read_props(&client, BUCKET, "a.txt").await.unwrap();
    assert!(
        now.tags.is_empty(),
        "the new object is untagged: {:?}",
        now.tags
    );
}

#[tokio::test]
async fn on_a_versioned_bucket_tags_go_to_the_version_read() {
    let (_moto, client) = world().await;
    version(&client, BUCKET).await;
    put(&client, BUCKET, "v.txt", "one").await;
    let read = s3::read_props(&client, BUCKET, "v.txt").await.unwrap();
    let read_version = read.version_id.clone().expect("a versioned object");
    put(&client, BUCKET, "v.txt", "two").await;
    let change = PropsChange {
        tags_set: vec![pair("state", "old")],
        ..PropsChange::default()
    };
    s3::apply_change(&client, BUCKET, &read, &change)
        .await
        .unwrap();
    let tags_of = |v: Option<String>| {
        let client = client.clone();
        async move {
            let out = client
                .get_object_tagging()
                .bucket(BUCKET)
                .key("v.txt")
                .set_version_id(v)
                .send()
                .await
                .unwrap();
            out.tag_set()
                .iter()
                .map(|t| t.key().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(tags_of(Some(read_version)).await, ["state"]);
    assert!(
        tags_of(None).await.is_empty(),
        "the newer version is not tagged"
    );
}

#[tokio::test]
async fn a_copy_whose_source_changed_is_refused_and_a_huge_one_is_not_sent() {
    // S3's answer to a failed x-amz-copy-source-if-match, from the loopback fake (moto ignores
    // that header).
    let body = "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>";
    let server = FakeServer::start(Behaviour::Respond(412, body)).await;
    let moto = Moto::start();
    let env = keyfob::aws::AwsEnv {
        endpoint_url: Some(server.url.clone()),
        ..moto.env()
    };
    let creds = Credentials {
        access_key_id: "AKIAFAKEFAKEFAKEFAKE".into(),
        secret_access_key: keyfob::secret::Secret::new("fake"),
        session_token: None,
    };
    let client = s3::client(&env, &creds, Some("us-east-1")).await;
    let read = ObjectProps {
        key: "k.txt".into(),
        etag: "\"abc\"".into(),
        size: 10,
        storage_class: "STANDARD".into(),
        ..ObjectProps::default()
    };
    let change = PropsChange {
        content_type: Some("text/csv".into()),
        ..PropsChange::default()
    };
    let err = s3::apply_change(&client, "b", &read, &change)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Changed, "{err:?}");
    assert_eq!(
        err.message,
        "k.txt changed since you opened it; not overwritten"
    );
    let sent = server.requests.load(Ordering::SeqCst);
    assert_eq!(sent, 1, "one CopyObject, no retry of a refused condition");

    let huge = ObjectProps {
        size: s3::COPY_MAX + 1,
        ..read
    };
    let err = s3::apply_change(&client, "b", &huge, &change)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(err.message.contains("larger than 5 GiB"), "{err:?}");
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        sent,
        "nothing sent for it"
    );
}

#[tokio::test]
async fn an_older_version_is_restored_and_a_stale_restore_refused() {
    let (_moto, client) = world().await;
    version(&client, BUCKET).await;
    put(&client, BUCKET, "doc.txt", "first draft").await;
    put(&client, BUCKET, "doc.txt", "second draft").await;
    let versions = s3::list_versions(&client, BUCKET, "doc.txt", 50)
        .await
        .unwrap();
    let (latest, old) = (
        versions[0].version_id.clone(),
        versions[1].version_id.clone(),
    );
    let made = s3::restore_version(&client, BUCKET, "doc.txt", &old, Some(&latest))
        .await
        .unwrap();
    assert_eq!(body(&client, BUCKET, "doc.txt").await, "first draft");
    let versions = s3::list_versions(&client, BUCKET, "doc.txt", 50)
        .await
        .unwrap();
    assert_eq!(
        versions.len(),
        3,
        "a new version on top, the others kept: {versions:?}"
    );
    assert_eq!(made.as_deref(), Some(versions[0].version_id.as_str()));

    // The versions were listed before this restore: the newest they saw is no longer newest.
    let err = s3::restore_version(&client, BUCKET, "doc.txt", &latest, Some(&latest))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Changed, "{err:?}");
    assert_eq!(
        body(&client, BUCKET, "doc.txt").await,
        "first draft",
        "nothing copied"
    );
}

async fn configure(client: &Client, bucket: &str) {
    version(client, bucket).await;
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .unwrap();
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(by_default)
        .build();
    let sse = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .unwrap();
    client
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(sse)
        .send()
        .await
        .unwrap();
    let rule = LifecycleRule::builder()
        .id("expire-logs")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
        .expiration(LifecycleExpiration::builder().days(30).build())
        .build()
        .unwrap();
    let lifecycle = BucketLifecycleConfiguration::builder()
        .rules(rule)
        .build()
        .unwrap();
    client
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(lifecycle)
        .send()
        .await
        .unwrap();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::{bucket}"}}]}}"#
    );
    client
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .unwrap();
    let block = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(false)
        .build();
    client
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(block)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn bucket_settings_of_a_configured_and_a_bare_bucket() {
    let (_moto, client) = world().await;
    configure(&client, BUCKET).await;
    let s = s3::bucket_settings(&client, BUCKET).await;
    assert_eq!(s.versioning, Setting::Value("Enabled".into()));
    assert_eq!(s.encryption, Setting::Value(vec!["AES256".into()]));
    let Setting::Value(rules) = &s.lifecycle else {
        panic!("{:?}", s.lifecycle)
    };
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (
            rules[0].id.as_str(),
            rules[0].status.as_str(),
            rules[0].prefix.as_str()
        ),
        ("expire-logs", "Enabled", "logs/")
    );
    assert_eq!(rules[0].summary, "expire after 30 days");
    let Setting::Value(policy) = &s.policy else {
        panic!("{:?}", s.policy)
    };
    assert!(
        policy.contains("\n  \"Statement\": ["),
        "pretty-printed: {policy}"
    );
    let Setting::Value(block) = &s.public_access else {
        panic!("{:?}", s.public_access)
    };
    let on: Vec<bool> = block.iter().map(|(_, on)| *on).collect();
    assert_eq!(on, [true, true, true, false]);
    assert_eq!(s.object_lock, Setting::None);

    // Object Lock can only be turned on as the bucket is made.
    client
        .create_bucket()
        .bucket("keyfob-locked")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let lock = ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .build();
    client
        .put_object_lock_configuration()
        .bucket("keyfob-locked")
        .object_lock_configuration(lock)
        .send()
        .await
        .unwrap();
    let locked = s3::bucket_settings(&client, "keyfob-locked").await;
    assert_eq!(locked.object_lock, Setting::Value("Enabled".into()));

    let bare = s3::bucket_settings(&client, BUCKETS[1]).await;
    assert_eq!(bare.versioning, Setting::None);
    assert_eq!(bare.encryption, Setting::None);
    assert_eq!(bare.lifecycle, Setting::None);
    assert_eq!(bare.policy, Setting::None);
    assert_eq!(bare.object_lock, Setting::None);
    assert_eq!(bare.public_access, Setting::None);
}
