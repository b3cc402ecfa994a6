//! Downloads that only appear when complete and verified: a small object in one GET, a large one
//! as ranged GETs in parallel, each streamed straight to its place in a hidden temporary file (so
//! memory stays a few chunks whatever the size), then moved into place.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use md5::{Digest as _, Md5};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use super::Progress;
use crate::aws::errors::{AwsError, ErrorKind};

/// Objects up to this size come in one GET; larger ones in ranges of this size.
pub const RANGE_SIZE: u64 = 8 * 1024 * 1024;
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
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

pub(super) fn io_error(what: &str, path: &Path, e: &std::io::Error) -> AwsError {
    AwsError::new(ErrorKind::Other, format!("{what} {}: {e}", path.display()))
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
    if existing == Existing::Refuse && tokio::fs::try_exists(dest).await.unwrap_or(false) {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!(
                "{} already exists; keyfob does not overwrite files",
                dest.display()
            ),
        ));
    }
    // The first range, or the whole object: S3 answers 416 to a range of an empty object.
    let first = match get(client, obj, Some((0, RANGE_SIZE)), None).await {
        Err(Refusal::Unsatisfiable) => get(client, obj, None, None).await,
        other => other,
    }
    .map_err(AwsError::from)?;
    let expected = Expected::of(&first);
    let tmp_path = temp_path_for(dest);
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
    let whole = expected.length.is_none_or(|n| n <= RANGE_SIZE);
    let sum = if whole {
        // One answer with the whole object: hashed as it streams.
        write_at(first.body, file, &tmp_path, 0, &done, &progress, true).await?
    } else {
        file.set_len(expected.length.unwrap_or(0))
            .await
            .map_err(|e| io_error("Cannot write", &tmp_path, &e))?;
        write_at(first.body, file, &tmp_path, 0, &done, &progress, false).await?;
        let rest = Ranges {
            client,
            obj,
            etag: expected.etag.as_deref(),
            path: &tmp_path,
        };
        rest.fetch(expected.length.unwrap_or(0), &done, &progress)
            .await?;
        None
    };
    let written = done.load(Ordering::SeqCst);
    expected.check(written, sum, &tmp_path).await?;
    place(&mut guard, &tmp_path, dest, existing)?;
    Ok(written)
}

/// Moves the checked temporary file to `dest`.
fn place(
    guard: &mut TempFile,
    tmp: &Path,
    dest: &Path,
    existing: Existing,
) -> Result<(), AwsError> {
    match existing {
        // No clobbering: a file that appeared meanwhile is kept and the download is refused.
        Existing::Refuse => {
            std::fs::hard_link(tmp, dest).map_err(|e| io_error("Cannot create", dest, &e))?;
            drop(guard.0.take().map(std::fs::remove_file));
        }
        Existing::Replace => {
            std::fs::rename(tmp, dest).map_err(|e| io_error("Cannot replace", dest, &e))?;
            guard.0 = None;
        }
    }
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
                ErrorKind::Other,
                "The object changed during the download; download it again",
            )),
            _ => Refusal::Error(AwsError::from_sdk("Downloading", &e)),
        })
}

/// The ranges after the first, [`PARALLEL_RANGES`] at a time.
struct Ranges<'a> {
    client: &'a Client,
    obj: Object<'a>,
    etag: Option<&'a str>,
    path: &'a Path,
}

impl Ranges<'_> {
    async fn fetch(
        &self,
        total: u64,
        done: &Arc<AtomicU64>,
        progress: &Progress,
    ) -> Result<(), AwsError> {
        let next = Arc::new(AtomicU64::new(RANGE_SIZE));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..PARALLEL_RANGES {
            let (client, next, done, progress) = (
                self.client.clone(),
                Arc::clone(&next),
                Arc::clone(done),
                Arc::clone(progress),
            );
            let (bucket, key) = (self.obj.bucket.to_owned(), self.obj.key.to_owned());
            let version = self.obj.version.map(str::to_owned);
            let etag = self.etag.map(str::to_owned);
            let path = self.path.to_owned();
            // Each task takes the next range until none is left.
            tasks.spawn(async move {
                let obj = Object {
                    bucket: &bucket,
                    key: &key,
                    version: version.as_deref(),
                };
                loop {
                    let start = next.fetch_add(RANGE_SIZE, Ordering::SeqCst);
                    if start >= total {
                        return Ok::<(), AwsError>(());
                    }
                    let len = RANGE_SIZE.min(total - start);
                    let out = get(&client, obj, Some((start, len)), etag.as_deref()).await?;
                    let file = tokio::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .await
                        .map_err(|e| io_error("Cannot write", &path, &e))?;
                    write_at(out.body, file, &path, start, &done, &progress, false).await?;
                }
            });
        }
        // The first failure ends the download; dropping the set aborts the other tasks.
        while let Some(joined) = tasks.join_next().await {
            joined.map_err(|e| {
                AwsError::new(ErrorKind::Other, format!("A download task failed: {e}"))
            })??;
        }
        Ok(())
    }
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

/// What S3 says the object is, for checking the download against.
struct Expected {
    /// The object's whole length (from a range's Content-Range, else Content-Length).
    length: Option<u64>,
    /// The ETag, to pin the other ranges to.
    etag: Option<String>,
    /// The ETag when it is the MD5 of the content: a single-part object not encrypted with KMS.
    md5: Option<String>,
}

impl Expected {
    fn of(out: &aws_sdk_s3::operation::get_object::GetObjectOutput) -> Self {
        let etag = out.e_tag().map(|e| e.trim_matches('"').to_owned());
        let kms = out
            .server_side_encryption()
            .is_some_and(|s| s.as_str().starts_with("aws:kms"));
        // "bytes 0-8388607/536870912": the total after the slash.
        let total = out
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|n| n.parse().ok());
        Self {
            length: total.or_else(|| out.content_length().and_then(|l| u64::try_from(l).ok())),
            md5: etag
                .clone()
                .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                .filter(|_| !kms),
            etag,
        }
    }

    /// Checks the length, and the MD5 when the ETag is one: from the hash made while streaming,
    /// else by reading the file back (a large object uploaded in one part).
    async fn check(self, done: u64, streamed: Option<Md5>, path: &Path) -> Result<(), AwsError> {
        if let Some(n) = self.length
            && n != done
        {
            return Err(AwsError::new(
                ErrorKind::Other,
                format!("The download is incomplete: {done} of {n} bytes"),
            ));
        }
        let Some(tag) = self.md5 else { return Ok(()) };
        let md5 = match streamed {
            Some(m) => m,
            None => md5_of_file(path).await?,
        };
        let sum: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if !sum.eq_ignore_ascii_case(&tag) {
            return Err(AwsError::new(
                ErrorKind::Other,
                format!("The download is damaged: its MD5 {sum} differs from the ETag {tag}"),
            ));
        }
        Ok(())
    }
}

async fn md5_of_file(path: &Path) -> Result<Md5, AwsError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("Cannot read", path, &e))?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| io_error("Cannot read", path, &e))?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
            return Ok(md5);
        };
        md5.update(chunk);
    }
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
