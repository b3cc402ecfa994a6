//! Changing a bucket: deleting keys (DeleteObjects, 1,000 a request), making a folder (an empty
//! marker object), and what a versioned bucket keeps (its versioning state, an object's versions).

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use super::tree::Skipped;
use crate::aws::errors::{AwsError, ErrorKind};

/// Keys per DeleteObjects request (S3's limit).
pub const DELETE_BATCH: usize = 1000;

/// How a deletion went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteReport {
    /// Keys deleted (or given a delete marker, on a versioned bucket).
    pub deleted: usize,
    /// Requests sent.
    pub requests: usize,
    /// Keys S3 refused, with its reason.
    pub failed: Vec<Skipped>,
}

/// Deletes `keys` in batches of [`DELETE_BATCH`]; `progress` hears the keys done so far. A
/// refused request (access denied on the bucket, say) stops the deletion with its error; keys
/// refused one by one are reported and the rest go on.
pub async fn delete_keys(
    client: &Client,
    bucket: &str,
    keys: &[String],
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<DeleteReport, AwsError> {
    let mut report = DeleteReport::default();
    for batch in keys.chunks(DELETE_BATCH) {
        let objects = batch
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
        let out = client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Deleting", &e))?;
        report.requests += 1;
        let refused: Vec<Skipped> = out
            .errors()
            .iter()
            .map(|e| Skipped {
                name: e.key().unwrap_or_default().to_owned(),
                reason: format!(
                    "{} ({})",
                    e.message().unwrap_or("refused"),
                    e.code().unwrap_or("error")
                ),
            })
            .collect();
        report.deleted += batch.len().saturating_sub(refused.len());
        report.failed.extend(refused);
        progress(report.deleted + report.failed.len());
    }
    Ok(report)
}

/// Makes the folder `name` inside `prefix` (an empty object `prefix/name/`, as the console does).
/// Refuses a name with `/`, `.` or `..`, and a folder that already exists.
pub async fn create_folder(
    client: &Client,
    bucket: &str,
    prefix: &str,
    name: &str,
) -> Result<String, AwsError> {
    let name = name.trim();
    let bad = |m: &str| Err(AwsError::new(ErrorKind::Invalid, m));
    if name.is_empty() {
        return bad("Enter a name for the folder");
    }
    if name.contains('/') {
        return bad("A folder name cannot contain /");
    }
    if name == "." || name == ".." {
        return bad("A folder cannot be named . or ..");
    }
    let key = format!("{prefix}{name}/");
    if key.len() > 1024 {
        return bad("The folder's key would be longer than S3's 1,024 bytes");
    }
    let there = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&key)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Creating the folder", &e))?;
    if there.key_count().unwrap_or(0) > 0 {
        return bad(&format!("A folder named {name} already exists here"));
    }
    put_marker(client, bucket, &key).await?;
    Ok(key)
}

/// Puts the folder marker `key` (an empty object whose key ends in `/`).
pub(super) async fn put_marker(client: &Client, bucket: &str, key: &str) -> Result<(), AwsError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(Vec::new().into())
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Creating the folder", &e))?;
    Ok(())
}

/// Whether the bucket keeps versions (versioning enabled or suspended: a delete then adds a
/// delete marker and the older versions stay).
pub async fn bucket_versioned(client: &Client, bucket: &str) -> Result<bool, AwsError> {
    match client.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok(out.status().is_some()),
        Err(e) => {
            // Some S3-compatible servers (moto among them) answer 200 under another root element,
            // which the SDK will not read; the status is in the body all the same.
            let body = e
                .raw_response()
                .filter(|r| r.status().as_u16() == 200)
                .and_then(|r| r.body().bytes())
                .map(String::from_utf8_lossy);
            match body {
                Some(b) => Ok(b.contains("<Status>Enabled</Status>")
                    || b.contains("<Status>Suspended</Status>")),
                None => Err(AwsError::from_sdk("Reading the bucket's versioning", &e)),
            }
        }
    }
}

/// One version of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    pub version_id: String,
    pub size: u64,
    /// Seconds since 1970.
    pub modified: i64,
    pub latest: bool,
    /// A delete marker (no content).
    pub delete_marker: bool,
}

/// The versions of `key` (newest first), at most `max`.
pub async fn list_versions(
    client: &Client,
    bucket: &str,
    key: &str,
    max: usize,
) -> Result<Vec<VersionInfo>, AwsError> {
    let mut out = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(key)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Listing the versions", &e))?;
        let secs =
            |d: Option<&aws_smithy_types::DateTime>| d.map_or(0, aws_smithy_types::DateTime::secs);
        for v in page.versions() {
            if v.key() == Some(key) {
                out.push(VersionInfo {
                    version_id: v.version_id().unwrap_or("null").to_owned(),
                    size: u64::try_from(v.size().unwrap_or(0)).unwrap_or(0),
                    modified: secs(v.last_modified()),
                    latest: v.is_latest() == Some(true),
                    delete_marker: false,
                });
            }
        }
        for m in page.delete_markers() {
            if m.key() == Some(key) {
                out.push(VersionInfo {
                    version_id: m.version_id().unwrap_or("null").to_owned(),
                    size: 0,
                    modified: secs(m.last_modified()),
                    latest: m.is_latest() == Some(true),
                    delete_marker: true,
                });
            }
        }
        // Keys after this one are of no interest: stop once the listing has passed it.
        let past = page.next_key_marker().is_some_and(|k| k > key);
        if page.is_truncated() != Some(true) || past || out.len() >= max {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
    out.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.latest.cmp(&a.latest)));
    out.truncate(max);
    Ok(out)
}
