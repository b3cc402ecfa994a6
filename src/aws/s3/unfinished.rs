//! Multipart uploads left unfinished: resuming one of keyfob's own from the parts S3 still has,
//! and a bucket's unfinished uploads listed and aborted on request (S3 bills their parts until
//! they are aborted or completed).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_s3::Client;

use super::Progress;
use super::resume::{FileTime, Job, Record, Store};
use super::resume::{Keep, Resumed, save_parts};
use super::upload::{PendingUpload, abort, try_abort, upload_resumable};
use super::verify::io_error;
use crate::aws::errors::{AwsError, ErrorKind};

/// Goes on with the upload `record` holds, from the parts S3 still has that the record lists.
/// A local file that changed (size or modification time), or an upload S3 no longer has, starts
/// over as a new upload (the old one aborted); a file that cannot be read any more discards it.
/// The record is removed when the object is complete.
pub async fn resume_upload(
    client: &Client,
    store: &Arc<Store>,
    record: Record,
    progress: Progress,
) -> Result<Resumed, AwsError> {
    let Job::Upload(state) = &record.job else {
        return Err(AwsError::new(ErrorKind::Invalid, "Not an upload"));
    };
    let (bucket, key, path) = (record.bucket.as_str(), record.key.as_str(), &state.path);
    let meta = match tokio::fs::metadata(path).await {
        Ok(m) => m,
        Err(e) => {
            discard(Some(client), store, &record).await;
            return Err(io_error("The upload was discarded: cannot read", path, &e));
        }
    };
    let restarted = if meta.len() != state.size || FileTime::of(&meta) != state.modified {
        "the file changed since"
    } else {
        match list_parts(client, bucket, key, &state.upload_id).await {
            Ok(server) => {
                let have: BTreeMap<i32, String> = state
                    .parts
                    .iter()
                    .filter(|(n, tag)| server.get(n).is_some_and(|t| same_tag(t, tag)))
                    .map(|(n, t)| (*n, t.clone()))
                    .collect();
                return go_on(client, store, record.clone(), have, progress).await;
            }
            Err(e) if e.kind == ErrorKind::NotFound => "S3 no longer has the unfinished upload",
            // The record's parts are S3's own answers: they stand when the list cannot be read
            // (some S3-compatible servers answer ListParts in a form the SDK refuses, moto among
            // them); a part S3 lost then fails the completion, and the record stays.
            Err(e) => {
                tracing::warn!(
                    "the upload's parts could not be listed; the record's are used: {e}"
                );
                let have = state.parts.clone();
                return go_on(client, store, record.clone(), have, progress).await;
            }
        }
    };
    // Starting over: the old upload goes, and the record is made anew under the same id.
    abort(client, bucket, key, &state.upload_id).await;
    let keep = Keep {
        store: Arc::clone(store),
        id: record.id.clone(),
        session: record.session.clone(),
        region: record.region.clone(),
    };
    let sent = upload_resumable(client, bucket, key, path, progress, &keep).await?;
    Ok(Resumed {
        sent,
        reused: 0,
        restarted: Some(restarted.to_owned()),
    })
}

/// Sends the parts `have` lacks and completes the upload.
async fn go_on(
    client: &Client,
    store: &Arc<Store>,
    mut record: Record,
    have: BTreeMap<i32, String>,
    progress: Progress,
) -> Result<Resumed, AwsError> {
    let Job::Upload(state) = &mut record.job else {
        return Err(AwsError::new(ErrorKind::Invalid, "Not an upload"));
    };
    state.parts.clone_from(&have);
    let (size, path) = (state.size, state.path.clone());
    let pending = PendingUpload::kept(client, &record.bucket, &record.key, &state.upload_id);
    let reused = record.done();
    let id = record.id.clone();
    let parts = pending
        .send_parts(&path, size, have, &progress, |parts| {
            save_parts(store, &mut record, parts);
        })
        .await?;
    pending.complete(parts, size).await?;
    store.forget(&id);
    Ok(Resumed {
        sent: size - reused,
        reused,
        restarted: None,
    })
}

/// Two ETags alike, with or without their quotes.
fn same_tag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// The parts S3 holds of an unfinished upload: number → ETag (every page).
async fn list_parts(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<BTreeMap<i32, String>, AwsError> {
    let mut parts = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_parts()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .set_part_number_marker(marker.take())
            .send()
            .await
            .map_err(|e| {
                if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) {
                    AwsError::new(
                        ErrorKind::NotFound,
                        "S3 no longer has the unfinished upload",
                    )
                } else {
                    AwsError::from_sdk("Reading the upload's parts", &e)
                }
            })?;
        for p in page.parts() {
            if let (Some(n), Some(tag)) = (p.part_number(), p.e_tag()) {
                parts.insert(n, tag.to_owned());
            }
        }
        marker = page.next_part_number_marker().map(str::to_owned);
        if !page.is_truncated().unwrap_or(false) || marker.is_none() {
            return Ok(parts);
        }
    }
}

/// A multipart upload S3 holds unfinished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfinished {
    pub key: String,
    pub upload_id: String,
    /// When it began.
    pub initiated: Option<SystemTime>,
}

/// The bucket's unfinished multipart uploads, every page, oldest first.
pub async fn list_unfinished(client: &Client, bucket: &str) -> Result<Vec<Unfinished>, AwsError> {
    let mut found = Vec::new();
    let (mut key_marker, mut id_marker) = (None, None);
    loop {
        let page = client
            .list_multipart_uploads()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_upload_id_marker(id_marker.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Listing the unfinished uploads", &e))?;
        for u in page.uploads() {
            if let (Some(key), Some(id)) = (u.key(), u.upload_id()) {
                found.push(Unfinished {
                    key: key.to_owned(),
                    upload_id: id.to_owned(),
                    initiated: u.initiated().and_then(|t| SystemTime::try_from(*t).ok()),
                });
            }
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        id_marker = page.next_upload_id_marker().map(str::to_owned);
        if !page.is_truncated().unwrap_or(false) || key_marker.is_none() {
            break;
        }
    }
    found.sort_by(|a, b| (a.initiated, &a.key).cmp(&(b.initiated, &b.key)));
    Ok(found)
}

/// Aborts the given unfinished uploads (key, upload id); forgets the records of keyfob's own
/// among them. Stops at the first failure, naming the key.
pub async fn abort_unfinished(
    client: &Client,
    bucket: &str,
    uploads: &[(String, String)],
    store: Option<&Store>,
) -> Result<usize, AwsError> {
    let records = store.map(Store::all).unwrap_or_default();
    for (n, (key, id)) in uploads.iter().enumerate() {
        if let Err(e) = try_abort(client, bucket, key, id).await {
            return Err(AwsError::new(
                e.kind,
                format!("{} ({n} aborted before {key})", e.message),
            ));
        }
        for r in records
            .iter()
            .filter(|r| r.bucket == bucket && r.upload_id() == Some(id.as_str()))
        {
            if let Some(store) = store {
                store.forget(&r.id);
            }
        }
    }
    Ok(uploads.len())
}

/// Drops the transfer `record` for good: its record, a download's hidden file, and (with a
/// client) an upload's parts on S3; without a client those stay among the bucket's unfinished
/// uploads until aborted there.
pub async fn discard(client: Option<&Client>, store: &Store, record: &Record) {
    store.forget(&record.id);
    match &record.job {
        Job::Upload(u) => {
            if let Some(client) = client {
                abort(client, &record.bucket, &record.key, &u.upload_id).await;
            }
        }
        Job::Download(d) => {
            if let Err(e) = std::fs::remove_file(&d.temp)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove {}: {e}", d.temp.display());
            }
        }
    }
}
