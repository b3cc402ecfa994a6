//! Transfers: streamed downloads that only appear when complete and verified, uploads (multipart
//! for large files, aborted on failure or cancel), each reporting progress.

use std::path::{Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use md5::{Digest as _, Md5};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::query::head_object;
use crate::aws::errors::{AwsError, ErrorKind};

/// Uploads larger than this go in parts.
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// The size of each uploaded part (S3's minimum is 5 MiB).
pub const PART_SIZE: u64 = 8 * 1024 * 1024;

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
    let expected = Expected::of(&out);
    let tmp_path = temp_path_for(dest);
    let mut guard = TempFile(Some(tmp_path.clone()));
    let (done, md5) = write_body(out.body, &tmp_path, &progress).await?;
    expected.check(done, md5)?;
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

/// A hidden file next to `dest`, named after it and this process.
fn temp_path_for(dest: &Path) -> PathBuf {
    let dir = dest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest.file_name().map_or_else(
        || "download".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    dir.join(format!(".{name}.keyfob-part-{}", std::process::id()))
}

/// Streams the object's body into a new file at `tmp_path`, flushed to disk; the bytes written
/// and their MD5.
async fn write_body(
    mut body: ByteStream,
    tmp_path: &Path,
    progress: &Progress,
) -> Result<(u64, Md5), AwsError> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp_path)
        .await
        .map_err(|e| io_error("Cannot create", tmp_path, &e))?;
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
            .map_err(|e| io_error("Cannot write", tmp_path, &e))?;
        done += chunk.len() as u64;
        progress(done);
    }
    file.flush()
        .await
        .map_err(|e| io_error("Cannot write", tmp_path, &e))?;
    file.sync_all()
        .await
        .map_err(|e| io_error("Cannot write", tmp_path, &e))?;
    Ok((done, md5))
}

/// What S3 says the object is, for checking the download against.
struct Expected {
    length: Option<u64>,
    /// The ETag when it is the MD5 of the content: a single-part object not encrypted with KMS.
    md5: Option<String>,
}

impl Expected {
    fn of(out: &GetObjectOutput) -> Self {
        let etag = out.e_tag().map(|e| e.trim_matches('"').to_owned());
        let kms = out
            .server_side_encryption()
            .is_some_and(|s| s.as_str().starts_with("aws:kms"));
        Self {
            length: out.content_length().and_then(|l| u64::try_from(l).ok()),
            md5: etag
                .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                .filter(|_| !kms),
        }
    }

    fn check(self, done: u64, md5: Md5) -> Result<(), AwsError> {
        if let Some(n) = self.length
            && n != done
        {
            return Err(AwsError::new(
                ErrorKind::Other,
                format!("The download is incomplete: {done} of {n} bytes"),
            ));
        }
        if let Some(tag) = self.md5 {
            let sum: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
            if !sum.eq_ignore_ascii_case(&tag) {
                return Err(AwsError::new(
                    ErrorKind::Other,
                    format!("The download is damaged: its MD5 {sum} differs from the ETag {tag}"),
                ));
            }
        }
        Ok(())
    }
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
        put_whole(client, bucket, key, path, file, size).await?;
        progress(size);
        return Ok(size);
    }
    let (mut pending, upload_id) = PendingUpload::start(client, bucket, key).await?;
    let parts = pending
        .send_parts(&upload_id, &mut file, path, size, &progress)
        .await?;
    pending.complete(&upload_id, parts, size).await?;
    pending.upload_id = None;
    Ok(size)
}

async fn put_whole(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    mut file: tokio::fs::File,
    size: u64,
) -> Result<(), AwsError> {
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
    Ok(())
}

impl PendingUpload {
    /// Creates the multipart upload, armed to be aborted; and its id.
    async fn start(client: &Client, bucket: &str, key: &str) -> Result<(Self, String), AwsError> {
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
        let pending = Self {
            client: client.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id: Some(upload_id.clone()),
        };
        Ok((pending, upload_id))
    }

    /// Sends the file in [`PART_SIZE`] parts, reporting progress after each.
    async fn send_parts(
        &self,
        upload_id: &str,
        file: &mut tokio::fs::File,
        path: &Path,
        size: u64,
        progress: &Progress,
    ) -> Result<Vec<CompletedPart>, AwsError> {
        let mut parts = Vec::new();
        let mut sent = 0u64;
        let mut number = 1;
        while sent < size {
            let len = PART_SIZE.min(size - sent);
            let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
            file.read_exact(&mut buf)
                .await
                .map_err(|e| io_error("Cannot read", path, &e))?;
            let part = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(upload_id)
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
        Ok(parts)
    }

    async fn complete(
        &self,
        upload_id: &str,
        parts: Vec<CompletedPart>,
        size: u64,
    ) -> Result<(), AwsError> {
        let done = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
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
                && head_object(&self.client, &self.bucket, &self.key)
                    .await
                    .is_ok_and(|d| d.size == size);
            if !there {
                return Err(AwsError::from_sdk("Finishing the upload", &e));
            }
        }
        Ok(())
    }
}
