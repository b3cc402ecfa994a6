//! Downloads that only appear when complete and verified: a small object in one GET, a large one
//! as ranged GETs in parallel, each streamed straight to its place in a hidden temporary file (so
//! memory stays a few chunks whatever the size), then moved into place. A resumable download keeps
//! its hidden file and a record of the ranges in it until it is complete.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use md5::{Digest as _, Md5};
use tokio::io::{AsyncSeekExt as _, AsyncWriteExt as _};

use super::Progress;
use super::resume::{DownloadState, Job, Keep, RECORD_VERSION, Record, save_ranges};
pub(super) use super::verify::{Expected, io_error};
use crate::aws::errors::{AwsError, ErrorKind};

pub use super::resume::RANGE_SIZE;
/// Ranged GETs in flight for one object.
pub const PARALLEL_RANGES: usize = 8;

/// What a download does when its destination exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Refuse: the destination is kept (downloads into a folder, and any target not confirmed).
    Refuse,
    /// Replace it, atomically, once the new file checks out: the user chose this very file in a
    /// save dialog, which has already asked whether to replace it.
    Replace,
}

/// Which object: a key, and a version of it (`None`: the current one).
#[derive(Clone, Copy, Debug)]
pub struct Object<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub version: Option<&'a str>,
}

impl<'a> Object<'a> {
    /// The current version of `key`.
    #[must_use]
    pub fn current(bucket: &'a str, key: &'a str) -> Self {
        Self {
            bucket,
            key,
            version: None,
        }
    }
}

/// Removes a file when dropped, unless disarmed: a cancelled (aborted) or failed download leaves
/// nothing behind.
pub(super) struct TempFile(pub(super) Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
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
    download_object(
        client,
        Object::current(bucket, key),
        dest,
        existing,
        progress,
    )
    .await
}

/// [`download`] of any version of an object. The first GET asks for the first range; when the
/// object is larger, the other ranges follow in parallel, each pinned to the first answer's ETag
/// (an object replaced meanwhile fails the download rather than mixing two versions).
pub async fn download_object(
    client: &Client,
    obj: Object<'_>,
    dest: &Path,
    existing: Existing,
    progress: Progress,
) -> Result<u64, AwsError> {
    download_kept(client, obj, dest, existing, progress, None, None).await
}

/// [`download_object`], with a download in ranges resumable: its hidden file and a [`Record`] of
/// the ranges written are kept in `keep` until the file is in place, so that a failure, a
/// cancelled task or a restart goes on with [`super::resume_download`] (or [`super::discard`]).
pub async fn download_resumable(
    client: &Client,
    obj: Object<'_>,
    dest: &Path,
    existing: Existing,
    progress: Progress,
    keep: &Keep,
) -> Result<u64, AwsError> {
    download_kept(client, obj, dest, existing, progress, Some(keep), None).await
}

/// [`download`] of `key` only as it was when listed: the first GET carries `If-Match: etag`, so
/// an object replaced since is refused ([`ErrorKind::Changed`]) rather than fetched.
pub async fn download_if_match(
    client: &Client,
    obj: Object<'_>,
    etag: &str,
    dest: &Path,
    existing: Existing,
    progress: Progress,
) -> Result<u64, AwsError> {
    download_kept(client, obj, dest, existing, progress, None, Some(etag)).await
}

pub(super) fn refuse_existing(dest: &Path) -> AwsError {
    AwsError::new(
        ErrorKind::Invalid,
        format!(
            "{} already exists; keyfob does not overwrite files",
            dest.display()
        ),
    )
}

async fn download_kept(
    client: &Client,
    obj: Object<'_>,
    dest: &Path,
    existing: Existing,
    progress: Progress,
    keep: Option<&Keep>,
    pin: Option<&str>,
) -> Result<u64, AwsError> {
    if existing == Existing::Refuse && tokio::fs::try_exists(dest).await.unwrap_or(false) {
        return Err(refuse_existing(dest));
    }
    // The first range, or the whole object: S3 answers 416 to a range of an empty object.
    let first = match get(client, obj, Some((0, RANGE_SIZE)), pin).await {
        Err(Refusal::Unsatisfiable) => get(client, obj, None, pin).await,
        other => other,
    }
    .map_err(AwsError::from)?;
    let expected = Expected::of(&first);
    let whole = expected.length.is_none_or(|n| n <= RANGE_SIZE);
    let keep = keep.filter(|_| !whole && expected.etag.is_some());
    let tmp_path = match keep {
        Some(k) => kept_temp_path(dest, &k.id),
        None => temp_path_for(dest),
    };
    // Created with a plain open(2) on this worker thread, with no await before the guard is
    // armed: a download cancelled while an open ran on a blocking thread could otherwise leave a
    // file no guard knows about. Armed only once the file is ours (the name is unique, see
    // `temp_path_for`), so a failed open removes nothing.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp_path)
        .map(tokio::fs::File::from_std)
        .map_err(|e| io_error("Cannot create", &tmp_path, &e))?;
    let mut guard = TempFile(Some(tmp_path.clone()));
    let done = Arc::new(AtomicU64::new(0));
    let sum = if whole {
        // One answer with the whole object: hashed as it streams.
        write_at(first.body, file, &tmp_path, 0, &done, &progress, true).await?
    } else {
        let total = expected.length.unwrap_or(0);
        file.set_len(total)
            .await
            .map_err(|e| io_error("Cannot write", &tmp_path, &e))?;
        write_at(first.body, file, &tmp_path, 0, &done, &progress, false).await?;
        let mut record = keep.map(|k| {
            let at = (dest, tmp_path.as_path(), total);
            new_record(k, obj, at, &expected, existing)
        });
        if let (Some(k), Some(r)) = (keep, &record) {
            match k.store.save(r) {
                // From here the hidden file outlives this task: it is resumed or discarded.
                Ok(()) => guard.0 = None,
                Err(e) => {
                    tracing::warn!("the download will not be resumable: its record: {e}");
                    record = None;
                }
            }
        }
        let rest = Ranges {
            client,
            obj,
            etag: expected.etag.as_deref(),
            path: &tmp_path,
        };
        let have = BTreeSet::from([0]);
        rest.fetch(total, have, &done, &progress, |ranges| {
            if let (Some(k), Some(r)) = (keep, record.as_mut()) {
                save_ranges(&k.store, r, ranges);
            }
        })
        .await?;
        None
    };
    let written = done.load(Ordering::SeqCst);
    let checked = expected.check(written, sum, &tmp_path).await;
    if let Some(k) = keep {
        // A file that does not check out is no use to a resume either.
        if checked.is_err() {
            drop(std::fs::remove_file(&tmp_path));
            k.store.forget(&k.id);
        }
    }
    checked?;
    place(&mut guard, &tmp_path, dest, existing)?;
    if let Some(k) = keep {
        k.store.forget(&k.id);
    }
    Ok(written)
}

/// The first record of a resumable download of `obj` to `dest` (`at`: the destination, the
/// hidden file, the object's length), with its first range written.
pub(super) fn new_record(
    keep: &Keep,
    obj: Object<'_>,
    (dest, temp, total): (&Path, &Path, u64),
    expected: &Expected,
    existing: Existing,
) -> Record {
    Record {
        version: RECORD_VERSION,
        id: keep.id.clone(),
        session: keep.session.clone(),
        bucket: obj.bucket.to_owned(),
        region: keep.region.clone(),
        key: obj.key.to_owned(),
        total,
        job: Job::Download(DownloadState {
            dest: dest.to_owned(),
            temp: temp.to_owned(),
            version: obj.version.map(str::to_owned),
            etag: expected.etag.clone().unwrap_or_default(),
            md5: expected.md5.clone(),
            replace: existing == Existing::Replace,
            ranges: BTreeSet::from([0]),
        }),
    }
}

/// Moves the checked temporary file to `dest`.
pub(super) fn place(
    guard: &mut TempFile,
    tmp: &Path,
    dest: &Path,
    existing: Existing,
) -> Result<(), AwsError> {
    match existing {
        // No clobbering: a file that appeared meanwhile is kept and the download is refused.
        Existing::Refuse => {
            std::fs::hard_link(tmp, dest).map_err(|e| io_error("Cannot create", dest, &e))?;
            drop(std::fs::remove_file(tmp));
        }
        Existing::Replace => {
            std::fs::rename(tmp, dest).map_err(|e| io_error("Cannot replace", dest, &e))?;
        }
    }
    guard.0 = None;
    Ok(())
}

/// Why a GET failed: its range fits no byte of the object (an empty one), or anything else.
enum Refusal {
    Unsatisfiable,
    Error(AwsError),
}

impl From<Refusal> for AwsError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unsatisfiable => Self::new(ErrorKind::Other, "S3 refused the byte range"),
            Refusal::Error(e) => e,
        }
    }
}

/// One GET, of a range `(start, len)` when given, pinned to `etag` when given.
async fn get(
    client: &Client,
    obj: Object<'_>,
    range: Option<(u64, u64)>,
    etag: Option<&str>,
) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, Refusal> {
    client
        .get_object()
        .bucket(obj.bucket)
        .key(obj.key)
        .set_version_id(obj.version.map(str::to_owned))
        .set_range(range.map(|(start, len)| format!("bytes={start}-{}", start + len - 1)))
        .set_if_match(etag.map(|t| format!("\"{t}\"")))
        .send()
        .await
        .map_err(|e| match e.raw_response().map(|r| r.status().as_u16()) {
            Some(416) => Refusal::Unsatisfiable,
            Some(412) => Refusal::Error(AwsError::new(
                ErrorKind::Changed,
                "The object changed during the download; download it again",
            )),
            _ => Refusal::Error(AwsError::from_sdk("Downloading", &e)),
        })
}

/// The ranges after the first, [`PARALLEL_RANGES`] at a time.
pub(super) struct Ranges<'a> {
    pub(super) client: &'a Client,
    pub(super) obj: Object<'a>,
    pub(super) etag: Option<&'a str>,
    pub(super) path: &'a Path,
}

impl Ranges<'_> {
    /// Fetches every range of `total` bytes not in `have`, [`PARALLEL_RANGES`] at a time, each
    /// a task of its own; `written` is told the ranges flushed so far after each one, here in the
    /// calling task (nothing is recorded once this future is dropped).
    pub(super) async fn fetch(
        &self,
        total: u64,
        mut have: BTreeSet<u64>,
        done: &Arc<AtomicU64>,
        progress: &Progress,
        mut written: impl FnMut(&BTreeSet<u64>),
    ) -> Result<(), AwsError> {
        let mut todo: Vec<u64> = (0..total.div_ceil(RANGE_SIZE))
            .map(|n| n * RANGE_SIZE)
            .filter(|start| !have.contains(start))
            .collect();
        todo.reverse();
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.len() < PARALLEL_RANGES
                && let Some(start) = todo.pop()
            {
                let (client, done, progress) =
                    (self.client.clone(), Arc::clone(done), Arc::clone(progress));
                let (bucket, key) = (self.obj.bucket.to_owned(), self.obj.key.to_owned());
                let version = self.obj.version.map(str::to_owned);
                let etag = self.etag.map(str::to_owned);
                let path = self.path.to_owned();
                tasks.spawn(async move {
                    let obj = Object {
                        bucket: &bucket,
                        key: &key,
                        version: version.as_deref(),
                    };
                    let len = RANGE_SIZE.min(total - start);
                    let out = get(&client, obj, Some((start, len)), etag.as_deref()).await?;
                    let file = tokio::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .await
                        .map_err(|e| io_error("Cannot write", &path, &e))?;
                    write_at(out.body, file, &path, start, &done, &progress, false).await?;
                    Ok::<u64, AwsError>(start)
                });
            }
            // The first failure ends the download; dropping the set aborts the other tasks.
            let Some(joined) = tasks.join_next().await else {
                return Ok(());
            };
            let start = joined.map_err(|e| {
                AwsError::new(ErrorKind::Other, format!("A download task failed: {e}"))
            })??;
            have.insert(start);
            written(&have);
        }
    }
}

/// The hidden file of the resumable download `id` next to `dest`.
fn kept_temp_path(dest: &Path, id: &str) -> PathBuf {
    let dir = dest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!(".keyfob-part-{id}"))
}

/// A hidden file next to `dest`, unique to this process and this download, and short (a name of
/// 255 bytes must still get one).
fn temp_path_for(dest: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = dest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".keyfob-part-{}-{n}", std::process::id()))
}

/// Streams a body into `file` from `offset`, flushed to disk, adding to `done` and reporting it;
/// with `hash`, the MD5 of what was written.
async fn write_at(
    mut body: ByteStream,
    mut file: tokio::fs::File,
    path: &Path,
    offset: u64,
    done: &AtomicU64,
    progress: &Progress,
    hash: bool,
) -> Result<Option<Md5>, AwsError> {
    let wrote = |e: std::io::Error| io_error("Cannot write", path, &e);
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(wrote)?;
    }
    let mut md5 = hash.then(Md5::new);
    let mut here = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            AwsError::new(
                ErrorKind::Unreachable,
                format!("The download broke off after {} bytes: {e}", offset + here),
            )
        })?;
        if let Some(m) = md5.as_mut() {
            m.update(&chunk);
        }
        file.write_all(&chunk).await.map_err(wrote)?;
        here += chunk.len() as u64;
        progress(done.fetch_add(chunk.len() as u64, Ordering::SeqCst) + chunk.len() as u64);
    }
    file.flush().await.map_err(wrote)?;
    file.sync_all().await.map_err(wrote)?;
    Ok(md5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_unique_and_short() {
        let dest = Path::new("/d").join("x".repeat(255));
        let (a, b) = (temp_path_for(&dest), temp_path_for(&dest));
        assert_ne!(a, b, "two downloads to one place get two files");
        assert_eq!(a.parent(), Some(Path::new("/d")), "beside the target");
        let len = a.file_name().map_or(0, std::ffi::OsStr::len);
        assert!(len < 40, "a 255-byte name still gets one: {a:?}");
    }
}
