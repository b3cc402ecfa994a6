//! S3 with a signed-in session: buckets and their regions, one page of a folder at a time,
//! object details, streamed downloads that only appear when complete and verified, uploads
//! (multipart for large files, aborted on failure or cancel), and presigned GET URLs.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use md5::{Digest as _, Md5};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::errors::{AwsError, ErrorKind};
use super::{AwsEnv, SourceCredentials};
use crate::browse::storage_class_code;
use crate::secret::Secret;
use crate::session::Credentials;

/// Uploads larger than this go in parts.
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// The size of each uploaded part (S3's minimum is 5 MiB).
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// The longest a presigned URL may live (S3's limit for SigV4).
pub const PRESIGN_MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// An S3 client for `region` signed with the session's credentials. Path-style addressing when an
/// endpoint is configured (local servers), virtual-host style on AWS.
pub async fn client(env: &AwsEnv, creds: &Credentials, region: Option<&str>) -> Client {
    let conf = env
        .sdk_config(&SourceCredentials::Static(creds.clone()), region)
        .await;
    let path_style = conf.endpoint_url().is_some();
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(path_style)
            .build(),
    )
}

/// A bucket in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketInfo {
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created: Option<SystemTime>,
    /// Its region, when ListBuckets said.
    pub region: Option<String>,
}

/// Every bucket of the account (ListBuckets, all pages).
pub async fn list_buckets(client: &Client) -> Result<Vec<BucketInfo>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_buckets()
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Listing buckets", &e))?;
        for b in page.buckets() {
            if let Some(name) = b.name() {
                out.push(BucketInfo {
                    name: name.to_owned(),
                    created: b
                        .creation_date()
                        .and_then(|d| SystemTime::try_from(*d).ok()),
                    region: b.bucket_region().map(str::to_owned),
                });
            }
        }
        token = page.continuation_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The region a bucket lives in: HeadBucket's `x-amz-bucket-region` (present even when the
/// request went to the wrong region), else GetBucketLocation.
pub async fn bucket_region(client: &Client, bucket: &str) -> Result<String, AwsError> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(out) => {
            if let Some(r) = out.bucket_region() {
                return Ok(r.to_owned());
            }
        }
        Err(e) => {
            if let Some(raw) = e.raw_response()
                && let Some(r) = raw.headers().get("x-amz-bucket-region")
            {
                return Ok(r.to_owned());
            }
            let status = e.raw_response().map(|r| r.status().as_u16());
            if status == Some(404) {
                return Err(AwsError::new(
                    ErrorKind::NotFound,
                    format!("There is no bucket named {bucket}"),
                ));
            }
        }
    }
    let loc = client
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Finding the bucket's region", &e))?;
    // An empty constraint means us-east-1 (and "EU" the old name of eu-west-1).
    Ok(
        match loc
            .location_constraint()
            .map(aws_sdk_s3::types::BucketLocationConstraint::as_str)
        {
            None | Some("") => "us-east-1".to_owned(),
            Some("EU") => "eu-west-1".to_owned(),
            Some(r) => r.to_owned(),
        },
    )
}

/// One object as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectEntry {
    /// The full key.
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// Last modified, seconds since 1970.
    pub modified: i64,
    /// Storage class code (see [`crate::browse::STORAGE_CLASSES`]).
    pub class: u8,
}

/// One page of a folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Common prefixes (sub-folders), with their trailing `/`.
    pub folders: Vec<String>,
    /// Objects.
    pub objects: Vec<ObjectEntry>,
    /// The token for the next page; `None` on the last.
    pub next: Option<String>,
}

/// One ListObjectsV2 page of `prefix` in `bucket`, folders split off by `/` (or everything under
/// the prefix when `delimiter` is false: the server-side search).
pub async fn list_page(
    client: &Client,
    bucket: &str,
    prefix: &str,
    delimiter: bool,
    token: Option<String>,
    max_keys: Option<i32>,
) -> Result<Page, AwsError> {
    let out = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_delimiter(delimiter.then(|| "/".to_owned()))
        .set_continuation_token(token)
        .set_max_keys(max_keys)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Listing the folder", &e))?;
    let folders = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix().map(str::to_owned))
        .collect();
    let objects = out
        .contents()
        .iter()
        .filter_map(|o| {
            Some(ObjectEntry {
                key: o.key()?.to_owned(),
                size: u64::try_from(o.size().unwrap_or(0)).unwrap_or(0),
                modified: o
                    .last_modified()
                    .map_or(0, aws_smithy_types::DateTime::secs),
                class: storage_class_code(o.storage_class().map_or("", |c| c.as_str())),
            })
        })
        .collect();
    let next = if out.is_truncated() == Some(true) {
        out.next_continuation_token().map(str::to_owned)
    } else {
        None
    };
    Ok(Page {
        folders,
        objects,
        next,
    })
}

/// HeadObject: what the details panel shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectDetails {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// Content-Type.
    pub content_type: Option<String>,
    /// ETag (quotes removed).
    pub etag: Option<String>,
    /// Storage class (`STANDARD` when S3 leaves it out).
    pub storage_class: String,
    /// Last modified (RFC 3339).
    pub modified: Option<String>,
    /// x-amz-meta-* user metadata, sorted.
    pub metadata: Vec<(String, String)>,
}

/// HeadObject.
pub async fn head_object(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<ObjectDetails, AwsError> {
    let out = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Reading the object's details", &e))?;
    let mut metadata: Vec<(String, String)> = out
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    metadata.sort();
    Ok(ObjectDetails {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size: u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0),
        content_type: out.content_type().map(str::to_owned),
        etag: out.e_tag().map(|e| e.trim_matches('"').to_owned()),
        storage_class: out
            .storage_class()
            .map_or_else(|| "STANDARD".to_owned(), |c| c.as_str().to_owned()),
        modified: out
            .last_modified()
            .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        metadata,
    })
}

/// A presigned GET URL for `key`, valid for `wanted` but never longer than the session has left
/// (a URL signed with temporary credentials dies with them) nor S3's 7 days. Returns the URL and
/// the validity used.
pub async fn presign_get(
    client: &Client,
    bucket: &str,
    key: &str,
    wanted: Duration,
    session_left: Duration,
) -> Result<(Secret, Duration), AwsError> {
    let valid = wanted.min(session_left).min(PRESIGN_MAX);
    if valid < Duration::from_secs(1) {
        return Err(AwsError::new(
            ErrorKind::Expired,
            "The session has expired: renew it to make a link",
        ));
    }
    let config = PresigningConfig::expires_in(valid)
        .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
    let req = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .map_err(|e| AwsError::from_sdk("Making the link", &e))?;
    // Made with temporary credentials, the URL carries the session token
    // (X-Amz-Security-Token): it is a secret like the token itself.
    Ok((Secret::new(req.uri()), valid))
}

/// Progress of a transfer, reported as bytes done.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

/// Removes a file when dropped, unless disarmed: a cancelled (aborted) or failed download leaves
/// nothing behind.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> AwsError {
    AwsError::new(ErrorKind::Other, format!("{what} {}: {e}", path.display()))
}

/// What a download does when its destination exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Refuse: the destination is kept (downloads into a folder, and any target not confirmed).
    Refuse,
    /// Replace it, atomically, once the new file checks out: the user chose this very file in a
    /// save dialog, which has already asked whether to replace it.
    Replace,
}

/// Downloads `key` to `dest`: streamed into a temporary file next to it, then moved into place
/// only when the size (and the MD5 ETag of a single-part, not KMS-encrypted object) checks out.
/// An existing file is refused or replaced as `existing` says; a failed or cancelled download
/// leaves the destination as it was. Returns the bytes written.
pub async fn download(
    client: &Client,
    bucket: &str,
    key: &str,
    dest: &Path,
    existing: Existing,
    progress: Progress,
) -> Result<u64, AwsError> {
    if existing == Existing::Refuse && tokio::fs::try_exists(dest).await.unwrap_or(false) {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!(
                "{} already exists; keyfob does not overwrite files",
                dest.display()
            ),
        ));
    }
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Downloading", &e))?;
    let expected = out.content_length().and_then(|l| u64::try_from(l).ok());
    let etag = out.e_tag().map(|e| e.trim_matches('"').to_owned());
    let kms = out
        .server_side_encryption()
        .is_some_and(|s| s.as_str().starts_with("aws:kms"));
    let dir = dest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest.file_name().map_or_else(
        || "download".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp_path = dir.join(format!(".{name}.keyfob-part-{}", std::process::id()));
    let mut guard = TempFile(Some(tmp_path.clone()));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp_path)
        .await
        .map_err(|e| io_error("Cannot create", &tmp_path, &e))?;
    let mut body = out.body;
    let mut md5 = Md5::new();
    let mut done = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            AwsError::new(
                ErrorKind::Unreachable,
                format!("The download broke off after {done} bytes: {e}"),
            )
        })?;
        md5.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| io_error("Cannot write", &tmp_path, &e))?;
        done += chunk.len() as u64;
        progress(done);
    }
    file.flush()
        .await
        .map_err(|e| io_error("Cannot write", &tmp_path, &e))?;
    file.sync_all()
        .await
        .map_err(|e| io_error("Cannot write", &tmp_path, &e))?;
    drop(file);
    if let Some(n) = expected
        && n != done
    {
        return Err(AwsError::new(
            ErrorKind::Other,
            format!("The download is incomplete: {done} of {n} bytes"),
        ));
    }
    if let Some(tag) = etag.filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        && !kms
    {
        let sum: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if !sum.eq_ignore_ascii_case(&tag) {
            return Err(AwsError::new(
                ErrorKind::Other,
                format!("The download is damaged: its MD5 {sum} differs from the ETag {tag}"),
            ));
        }
    }
    match existing {
        // No clobbering: a file that appeared meanwhile is kept and the download is refused.
        Existing::Refuse => {
            std::fs::hard_link(&tmp_path, dest).map_err(|e| io_error("Cannot create", dest, &e))?;
            drop(guard.0.take().map(std::fs::remove_file));
        }
        Existing::Replace => {
            std::fs::rename(&tmp_path, dest).map_err(|e| io_error("Cannot replace", dest, &e))?;
            guard.0 = None;
        }
    }
    Ok(done)
}

/// Aborts a multipart upload when dropped unless disarmed (failure or cancel).
struct PendingUpload {
    client: Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        let Some(id) = self.upload_id.take() else {
            return;
        };
        let (client, bucket, key) = (self.client.clone(), self.bucket.clone(), self.key.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let r = client
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(id)
                    .send()
                    .await;
                if let Err(e) = r {
                    tracing::warn!(
                        "aborting a multipart upload failed: {}",
                        AwsError::from_sdk("Aborting", &e)
                    );
                }
            });
        }
    }
}

/// Uploads the file at `path` as `key`: one PutObject up to [`MULTIPART_THRESHOLD`], else a
/// multipart upload in [`PART_SIZE`] parts that is aborted if anything fails or the task is
/// cancelled. Returns the bytes sent.
pub async fn upload(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    progress: Progress,
) -> Result<u64, AwsError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("Cannot read", path, &e))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| io_error("Cannot read", path, &e))?
        .len();
    if size <= MULTIPART_THRESHOLD {
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.read_to_end(&mut buf)
            .await
            .map_err(|e| io_error("Cannot read", path, &e))?;
        client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(buf.into())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Uploading", &e))?;
        progress(size);
        return Ok(size);
    }
    let created = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Starting the upload", &e))?;
    let upload_id = created
        .upload_id()
        .ok_or_else(|| AwsError::new(ErrorKind::Other, "S3 gave no upload id"))?
        .to_owned();
    let mut pending = PendingUpload {
        client: client.clone(),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        upload_id: Some(upload_id.clone()),
    };
    let mut parts = Vec::new();
    let mut sent = 0u64;
    let mut number = 1;
    while sent < size {
        let len = PART_SIZE.min(size - sent);
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
        file.read_exact(&mut buf)
            .await
            .map_err(|e| io_error("Cannot read", path, &e))?;
        let part = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .part_number(number)
            .body(buf.into())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Uploading a part", &e))?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(part.e_tag().map(str::to_owned))
                .build(),
        );
        sent += len;
        number += 1;
        progress(sent);
    }
    let done = client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await;
    if let Err(e) = done {
        // Some S3-compatible servers (moto among them) answer 200 with a body the SDK will not
        // read; the object is then there, which HeadObject settles.
        let ok_status = e.raw_response().is_some_and(|r| r.status().as_u16() == 200);
        let there = ok_status
            && head_object(client, bucket, key)
                .await
                .is_ok_and(|d| d.size == size);
        if !there {
            return Err(AwsError::from_sdk("Finishing the upload", &e));
        }
    }
    pending.upload_id = None;
    Ok(size)
}
