//! Checking a download against what S3 says the object is: its length, and its MD5 where the
//! ETag is one.

use std::path::Path;

use md5::{Digest as _, Md5};
use tokio::io::AsyncReadExt as _;

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

pub(super) fn io_error(what: &str, path: &Path, e: &std::io::Error) -> AwsError {
    AwsError::new(ErrorKind::Other, format!("{what} {}: {e}", path.display()))
}
