//! Uploads: one PutObject for a small file, else a multipart upload whose parts go up in parallel.
//! A plain multipart upload is aborted if anything fails or the task is cancelled; a resumable one
//! keeps a [`Record`] of the parts S3 has, so that it goes on from them after a restart (or is
//! discarded on request). File data held in memory is bounded for the whole process, however many
//! uploads run (see [`BUFFER_BUDGET`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::Progress;
use super::query::head_object;
use super::resume::{FileTime, Job, Keep, RECORD_VERSION, Record, UploadState, save_parts};
use super::verify::{etag_of_parts, io_error, is_md5};
use crate::aws::errors::{AwsError, ErrorKind};

/// Uploads larger than this go in parts.
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// The size of each uploaded part: S3's minimum, so that the parts in flight hold little memory
/// (measured: with 8 MiB parts a 512 MiB upload's peak RSS grew by 73 MiB, over the 64 MiB aimed
/// for).
pub const PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's most parts for one upload.
const MAX_PARTS: u64 = 10_000;

/// The part size for a file of `size` bytes: [`PART_SIZE`], or more when that many parts would
/// be over S3's 10,000.
#[must_use]
pub fn part_size(size: u64) -> u64 {
    PART_SIZE.max(size.div_ceil(MAX_PARTS))
}
/// Parts in flight for one file.
pub const PARALLEL_PARTS: usize = 4;
/// At most this many bytes of file data are held in memory for uploads at any time, in the whole
/// process: six parts' worth.
pub const BUFFER_BUDGET: u64 = 6 * PART_SIZE;

/// Budget units of 64 KiB (a semaphore counts in u32 permits).
const UNIT: u64 = 64 * 1024;
#[allow(clippy::cast_possible_truncation)] // 768
static BUFFERS: Semaphore = Semaphore::const_new((BUFFER_BUDGET / UNIT) as usize);

/// Waits until `len` bytes of buffer may be held; the permit gives them back when dropped.
async fn reserve(len: u64) -> SemaphorePermit<'static> {
    let units = u32::try_from(len.div_ceil(UNIT).clamp(1, BUFFER_BUDGET / UNIT)).unwrap_or(1);
    // The semaphore is never closed.
    BUFFERS
        .acquire_many(units)
        .await
        .unwrap_or_else(|_| unreachable!("the upload budget is never closed"))
}

/// Reads `len` bytes of `path` from `offset` into a buffer counted against the budget.
async fn read_chunk(
    path: &Path,
    offset: u64,
    len: u64,
) -> Result<(Vec<u8>, SemaphorePermit<'static>), AwsError> {
    let permit = reserve(len).await;
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("Cannot read", path, &e))?;
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| io_error("Cannot read", path, &e))?;
    }
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    file.read_exact(&mut buf)
        .await
        .map_err(|e| io_error("Cannot read", path, &e))?;
    Ok((buf, permit))
}

/// A condition on an upload's write, checked by S3 as it makes the object: a change made meanwhile
/// by someone else is refused (412) instead of overwritten.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Guard {
    /// No condition.
    #[default]
    Any,
    /// Only if there is no object at the key (`If-None-Match: *`).
    Absent,
    /// Only if the object is still the one with this ETag (`If-Match`, quotes optional).
    Etag(String),
}

impl Guard {
    fn if_none_match(&self) -> Option<String> {
        matches!(self, Self::Absent).then(|| "*".to_owned())
    }

    fn if_match(&self) -> Option<String> {
        match self {
            Self::Etag(t) => Some(format!("\"{}\"", t.trim_matches('"'))),
            _ => None,
        }
    }
}

/// Uploads the file at `path` as `key`: one PutObject up to [`MULTIPART_THRESHOLD`], else a
/// multipart upload in [`PART_SIZE`] parts, [`PARALLEL_PARTS`] at a time, that is aborted if
/// anything fails or the task is cancelled. Returns the bytes sent.
pub async fn upload(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    progress: Progress,
) -> Result<u64, AwsError> {
    upload_kept(client, bucket, key, path, progress, None, &Guard::Any).await
}

/// [`upload`] under a condition: the PutObject, or the multipart upload's completion, is refused
/// by S3 when `guard` no longer holds ([`ErrorKind::Changed`]), and nothing is replaced.
pub async fn upload_guarded(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    progress: Progress,
    guard: &Guard,
) -> Result<u64, AwsError> {
    upload_kept(client, bucket, key, path, progress, None, guard).await
}

/// [`upload`], with a multipart upload resumable: its record is kept in `keep` from the moment S3
/// gives the upload id, updated as each part is acknowledged and removed when the object is
/// complete. A failure or a cancelled task leaves the upload and its record for
/// [`super::resume_upload`] (or [`super::discard`]).
pub async fn upload_resumable(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    progress: Progress,
    keep: &Keep,
) -> Result<u64, AwsError> {
    upload_kept(client, bucket, key, path, progress, Some(keep), &Guard::Any).await
}

async fn upload_kept(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    progress: Progress,
    keep: Option<&Keep>,
    guard: &Guard,
) -> Result<u64, AwsError> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| io_error("Cannot read", path, &e))?;
    let size = meta.len();
    if size <= MULTIPART_THRESHOLD {
        let (buf, _permit) = read_chunk(path, 0, size).await?;
        client
            .put_object()
            .bucket(bucket)
            .key(key)
            .set_if_none_match(guard.if_none_match())
            .set_if_match(guard.if_match())
            .body(buf.into())
            .send()
            .await
            .map_err(|e| {
                refused_write(&e).unwrap_or_else(|| AwsError::from_sdk("Uploading", &e))
            })?;
        progress(size);
        return Ok(size);
    }
    let mut pending = PendingUpload::start(client, bucket, key).await?;
    pending.guard = guard.clone();
    let mut record = keep.map(|k| Record {
        version: RECORD_VERSION,
        id: k.id.clone(),
        session: k.session.clone(),
        bucket: bucket.to_owned(),
        region: k.region.clone(),
        key: key.to_owned(),
        total: size,
        job: Job::Upload(UploadState {
            path: path.to_owned(),
            size,
            modified: FileTime::of(&meta),
            part_size: part_size(size),
            upload_id: pending.id(),
            parts: BTreeMap::new(),
        }),
    });
    let store = keep.map(|k| Arc::clone(&k.store));
    if let (Some(r), Some(store)) = (&record, &store) {
        match store.save(r) {
            // From here the upload outlives this task: it is resumed or discarded.
            Ok(()) => pending.keep(),
            Err(e) => {
                tracing::warn!("the upload will not be resumable: its record: {e}");
                record = None;
            }
        }
    }
    let parts = pending
        .send_parts(path, size, BTreeMap::new(), &progress, |parts| {
            if let (Some(r), Some(store)) = (record.as_mut(), &store) {
                save_parts(store, r, parts);
            }
        })
        .await?;
    pending.complete(parts, size).await?;
    pending.upload_id = None;
    if let Some(k) = keep {
        k.store.forget(&k.id);
    }
    Ok(size)
}

/// A multipart upload under way: aborted when dropped (failure or cancel) unless it is kept for
/// resuming or done.
pub(super) struct PendingUpload {
    client: Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
    /// Resumable: left on S3 when dropped.
    keep: bool,
    /// The condition its completion is sent with.
    guard: Guard,
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        let Some(id) = self.upload_id.take().filter(|_| !self.keep) else {
            return;
        };
        let (client, bucket, key) = (self.client.clone(), self.bucket.clone(), self.key.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { abort(&client, &bucket, &key, &id).await });
        }
    }
}

impl PendingUpload {
    /// Creates the multipart upload, armed to be aborted.
    async fn start(client: &Client, bucket: &str, key: &str) -> Result<Self, AwsError> {
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
        Ok(Self {
            client: client.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id: Some(upload_id),
            keep: false,
            guard: Guard::Any,
        })
    }

    /// Left on S3 when dropped: its record resumes or discards it.
    fn keep(&mut self) {
        self.keep = true;
    }

    /// The existing upload `upload_id`, kept (never aborted when dropped).
    pub(super) fn kept(client: &Client, bucket: &str, key: &str, upload_id: &str) -> Self {
        Self {
            client: client.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id: Some(upload_id.to_owned()),
            keep: true,
            guard: Guard::Any,
        }
    }

    fn id(&self) -> String {
        self.upload_id.clone().unwrap_or_default()
    }

    /// Sends the parts not in `have`, [`PARALLEL_PARTS`] at a time, each as a task of its own;
    /// `done` is told the parts acknowledged so far after each one, here in the calling task (so
    /// nothing is recorded once this future is dropped). Progress after each part, from the bytes
    /// `have` holds. Every part, by number.
    pub(super) async fn send_parts(
        &self,
        path: &Path,
        size: u64,
        mut have: BTreeMap<i32, String>,
        progress: &Progress,
        mut done: impl FnMut(&BTreeMap<i32, String>),
    ) -> Result<BTreeMap<i32, String>, AwsError> {
        let part = part_size(size);
        let count = i32::try_from(size.div_ceil(part))
            .ok()
            .filter(|&n| u64::try_from(n).is_ok_and(|n| n <= MAX_PARTS))
            .ok_or_else(|| {
                AwsError::new(
                    ErrorKind::Invalid,
                    "The file is too large for S3 (more than 10,000 parts)",
                )
            })?;
        let len_of = |number: i32| {
            let offset = u64::try_from(number - 1).unwrap_or(0) * part;
            (offset, part.min(size.saturating_sub(offset)))
        };
        let already: u64 = have.keys().map(|&n| len_of(n).1).sum();
        let sent = Arc::new(AtomicU64::new(already));
        if already > 0 {
            progress(already);
        }
        let mut todo = (1..=count)
            .filter(|n| !have.contains_key(n))
            .collect::<Vec<_>>();
        todo.reverse();
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.len() < PARALLEL_PARTS
                && let Some(number) = todo.pop()
            {
                let (client, sent, progress) =
                    (self.client.clone(), Arc::clone(&sent), Arc::clone(progress));
                let (bucket, key, id, path) = (
                    self.bucket.clone(),
                    self.key.clone(),
                    self.id(),
                    path.to_owned(),
                );
                let (offset, len) = len_of(number);
                tasks.spawn(async move {
                    let (buf, permit) = read_chunk(&path, offset, len).await?;
                    let answer = client
                        .upload_part()
                        .bucket(&bucket)
                        .key(&key)
                        .upload_id(&id)
                        .part_number(number)
                        .body(buf.into())
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("Uploading a part", &e))?;
                    drop(permit);
                    progress(sent.fetch_add(len, Ordering::SeqCst) + len);
                    Ok::<_, AwsError>((number, answer.e_tag().unwrap_or_default().to_owned()))
                });
            }
            // The first failure ends the upload; dropping the set aborts the other tasks.
            let Some(joined) = tasks.join_next().await else {
                return Ok(have);
            };
            let (number, tag) = joined.map_err(|e| {
                AwsError::new(ErrorKind::Other, format!("An upload task failed: {e}"))
            })??;
            have.insert(number, tag);
            done(&have);
        }
    }

    pub(super) async fn complete(
        &self,
        parts: BTreeMap<i32, String>,
        size: u64,
    ) -> Result<(), AwsError> {
        // A multipart object's ETag ends in "-N", N its parts; where each part's ETag is its MD5,
        // the whole ETag is known: the MD5 of those MD5s, then "-N".
        let multipart_tag = format!("-{}", parts.len());
        let expected = expected_etag(parts.values());
        let parts: Vec<CompletedPart> = parts
            .into_iter()
            .map(|(number, tag)| {
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(Some(tag).filter(|t| !t.is_empty()))
                    .build()
            })
            .collect();
        let done = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(self.id())
            .set_if_none_match(self.guard.if_none_match())
            .set_if_match(self.guard.if_match())
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        if let Err(e) = done {
            if let Some(refused) = refused_write(&e) {
                return Err(refused);
            }
            // Some S3-compatible servers (moto among them) answer 200 with a body the SDK will not
            // read; the object is then there, which HeadObject settles.
            let ok_status = e.raw_response().is_some_and(|r| r.status().as_u16() == 200);
            // An object of the same size that was there before is not enough: it must be the one
            // made of these parts. Under a condition, only the exact ETag of these parts proves
            // it (another writer's object could have the same size and part count).
            let guarded = self.guard != Guard::Any;
            let there = ok_status
                && head_object(&self.client, &self.bucket, &self.key)
                    .await
                    .is_ok_and(|d| {
                        let tag = d.etag.unwrap_or_default();
                        match &expected {
                            Some(whole) => d.size == size && tag == *whole,
                            None => !guarded && d.size == size && tag.ends_with(&multipart_tag),
                        }
                    });
            if !there {
                return Err(AwsError::from_sdk("Finishing the upload", &e));
            }
        }
        Ok(())
    }
}

/// Aborts a multipart upload, logging a failure (an upload left over stays among the bucket's
/// unfinished uploads).
pub(super) async fn abort(client: &Client, bucket: &str, key: &str, upload_id: &str) {
    if let Err(e) = try_abort(client, bucket, key, upload_id).await {
        tracing::warn!("aborting a multipart upload failed: {e}");
    }
}

pub(super) async fn try_abort(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<(), AwsError> {
    client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("Aborting the upload", &e))
}

/// The ETag S3 gives an object completed from parts with these ETags, when each is an MD5 (not
/// under SSE-KMS or SSE-C): the MD5 of the parts' MD5s, then `-` and their count.
fn expected_etag<'a>(parts: impl ExactSizeIterator<Item = &'a String>) -> Option<String> {
    let count = parts.len();
    let mut md5s = Vec::with_capacity(count * 16);
    for tag in parts {
        let hex = tag.trim_matches('"');
        if !is_md5(hex) {
            return None;
        }
        for pair in hex.as_bytes().chunks(2) {
            let byte = std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())?;
            md5s.push(byte);
        }
    }
    Some(etag_of_parts(&md5s, count))
}

/// The sentence for a write S3 refused because its condition failed: 412 (the object is not the
/// one compared, or one appeared) or 409 (another write to the key won the race).
pub(super) fn refused_write<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Option<AwsError> {
    let status = e.raw_response().map(|r| r.status().as_u16())?;
    matches!(status, 409 | 412).then(|| {
        AwsError::new(
            ErrorKind::Changed,
            "changed in S3 since it was compared; left as it is",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_etag_is_known_from_its_parts_md5s() {
        use super::super::verify::hex;
        use md5::Digest as _;
        let parts: Vec<String> = [&b"abcd"[..], b"ef"]
            .iter()
            .map(|p| format!("\"{}\"", hex(&md5::Md5::digest(p))))
            .collect();
        let mut joined = Vec::new();
        for p in [&b"abcd"[..], b"ef"] {
            joined.extend_from_slice(&md5::Md5::digest(p));
        }
        let want = format!("{}-2", hex(&md5::Md5::digest(&joined)));
        assert_eq!(expected_etag(parts.iter()), Some(want));
        let kms = ["not-an-md5".to_owned()];
        assert_eq!(expected_etag(kms.iter()), None);
    }
}
