//! Downloads left partial: a resumable download's hidden file and record, and going on from the
//! ranges already in it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::Client;

use super::Progress;
use super::download::{
    Existing, Expected, Object, Ranges, TempFile, download_resumable, place, refuse_existing,
};
use super::resume::{Job, Keep, Record, Resumed, Store, save_ranges};
use super::unfinished::discard;
use crate::aws::errors::{AwsError, ErrorKind};

/// Goes on with the download `record` holds, fetching the ranges its hidden file lacks, pinned
/// to the object's ETag then. An object replaced since, or a hidden file gone or of another size,
/// starts over; a destination that appeared meanwhile is refused (the record stays). The record is
/// removed when the file is in place.
pub async fn resume_download(
    client: &Client,
    store: &Arc<Store>,
    record: Record,
    progress: Progress,
) -> Result<Resumed, AwsError> {
    let Job::Download(state) = &record.job else {
        return Err(AwsError::new(ErrorKind::Invalid, "Not a download"));
    };
    let existing = if state.replace {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    if existing == Existing::Refuse && tokio::fs::try_exists(&state.dest).await.unwrap_or(false) {
        return Err(refuse_existing(&state.dest));
    }
    let obj = Object {
        bucket: &record.bucket,
        key: &record.key,
        version: state.version.as_deref(),
    };
    let on_disk = tokio::fs::metadata(&state.temp).await.ok().map(|m| m.len());
    let restart = if on_disk == Some(record.total) {
        let done = Arc::new(AtomicU64::new(0));
        let reused = record.done();
        done.store(reused, Ordering::SeqCst);
        progress(reused);
        let rest = Ranges {
            client,
            obj,
            etag: Some(&state.etag),
            path: &state.temp,
        };
        let mut saving = record.clone();
        let fetched = rest
            .fetch(record.total, state.ranges.clone(), &done, &progress, |r| {
                save_ranges(store, &mut saving, r);
            })
            .await;
        match fetched {
            Ok(()) => {
                let expected = Expected {
                    length: Some(record.total),
                    etag: Some(state.etag.clone()),
                    md5: state.md5.clone(),
                };
                let checked = expected
                    .check(done.load(Ordering::SeqCst), None, &state.temp)
                    .await;
                if checked.is_err() {
                    discard(Some(client), store, &record).await;
                }
                checked?;
                let mut guard = TempFile(Some(state.temp.clone()));
                place(&mut guard, &state.temp, &state.dest, existing)?;
                store.forget(&record.id);
                return Ok(Resumed {
                    sent: record.total - reused,
                    reused,
                    restarted: None,
                });
            }
            Err(e) if e.kind == ErrorKind::Changed => "the object changed since",
            Err(e) => return Err(e),
        }
    } else {
        "the partial file is gone"
    };
    discard(Some(client), store, &record).await;
    let keep = Keep {
        store: Arc::clone(store),
        id: Store::new_id(),
        session: record.session.clone(),
        region: record.region.clone(),
    };
    let sent = download_resumable(client, obj, &state.dest, existing, progress, &keep).await?;
    Ok(Resumed {
        sent,
        reused: 0,
        restarted: Some(restart.to_owned()),
    })
}
