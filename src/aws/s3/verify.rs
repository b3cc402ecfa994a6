//! Checking a download against what S3 says the object is: its length, and its MD5 where the
//! ETag is one.

use std::path::Path;

use md5::{Digest as _, Md5};

use crate::aws::errors::{AwsError, ErrorKind};

/// What S3 says the object is, for checking the download against.
pub(super) struct Expected {
    /// The object's whole length (from a range's Content-Range, else Content-Length).
    pub(super) length: Option<u64>,
    /// The ETag, to pin the other ranges to.
    pub(super) etag: Option<String>,
    /// The ETag when it is the MD5 of the content: a single-part object not encrypted with KMS.
    pub(super) md5: Option<String>,
}

impl Expected {
    pub(super) fn of(out: &aws_sdk_s3::operation::get_object::GetObjectOutput) -> Self {
        let etag = out.e_tag().map(|e| e.trim_matches('"').to_owned());
        let kms = by_kms(out.server_side_encryption());
        // "bytes 0-8388607/536870912": the total after the slash.
        let total = out
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|n| n.parse().ok());
        Self {
            length: total.or_else(|| out.content_length().and_then(|l| u64::try_from(l).ok())),
            md5: etag.clone().filter(|t| is_md5(t)).filter(|_| !kms),
            etag,
        }
    }

    /// Checks the length, and the MD5 when the ETag is one: from the hash made while streaming,
    /// else by reading the file back (a large object uploaded in one part).
    pub(super) async fn check(
        self,
        done: u64,
        streamed: Option<Md5>,
        path: &Path,
    ) -> Result<(), AwsError> {
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
        let sum = hex(&md5.finalize());
        if !sum.eq_ignore_ascii_case(&tag) {
            return Err(AwsError::new(
                ErrorKind::Other,
                format!("The download is damaged: its MD5 {sum} differs from the ETag {tag}"),
            ));
        }
        Ok(())
    }
}

/// The file's MD5, read on a blocking thread.
pub(super) async fn md5_of_file(path: &Path) -> Result<Md5, AwsError> {
    read_chunks(path, Md5::new(), |m, b| m.update(b)).await
}

/// Reads `path` in chunks of 1 MiB on a blocking thread, each given to `eat` with `state`.
pub(super) async fn read_chunks<T: Send + 'static>(
    path: &Path,
    mut state: T,
    eat: impl Fn(&mut T, &[u8]) + Send + 'static,
) -> Result<T, AwsError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Read as _;
        let mut file =
            std::fs::File::open(&path).map_err(|e| io_error("Cannot read", &path, &e))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| io_error("Cannot read", &path, &e))?;
            let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                return Ok(state);
            };
            eat(&mut state, chunk);
        }
    })
    .await
    .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?
}

/// Whether S3 encrypted the object with KMS (`aws:kms`, `aws:kms:dsse`): its ETag is then no MD5.
pub(super) fn by_kms(sse: Option<&aws_sdk_s3::types::ServerSideEncryption>) -> bool {
    sse.is_some_and(|s| s.as_str().starts_with("aws:kms"))
}

/// Bytes as lowercase hex, as S3 writes an MD5 in an ETag.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether an ETag (quotes removed) is an MD5: 32 hex digits.
pub(super) fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The ETag of an object made of parts whose MD5s, one after the other, are `md5s`: the MD5 of
/// them, then `-` and the part count.
pub(super) fn etag_of_parts(md5s: &[u8], count: usize) -> String {
    format!("{}-{count}", hex(&Md5::digest(md5s)))
}

pub(super) fn io_error(what: &str, path: &Path, e: &std::io::Error) -> AwsError {
    AwsError::new(ErrorKind::Other, format!("{what} {}: {e}", path.display()))
}
