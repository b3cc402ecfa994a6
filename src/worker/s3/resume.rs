//! Interrupted transfers: listing them, resuming one as a transfer of its own, discarding one,
//! and a bucket's unfinished multipart uploads listed and aborted.

use std::sync::Arc;

use super::transfer::{Kept, send_interrupted, start_transfer};
use super::{At, Task};
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::s3::{self, Job, Resumed};
use crate::listing::human_size;
use crate::message::{BrowseEvent, Event, RequestId, TransferUpdate};

fn no_store() -> AwsError {
    AwsError::new(
        ErrorKind::Other,
        "Transfers are not kept for resuming here (no state directory)",
    )
}

/// Sends the interrupted transfers kept in `store` (the worker does when it starts: those of an
/// earlier run).
pub(crate) async fn list(store: Arc<s3::Store>, send: crate::worker::ports::Send_) {
    let records = tokio::task::spawn_blocking(move || store.interrupted())
        .await
        .unwrap_or_default();
    send(Event::Browse(BrowseEvent::Interrupted(records)));
}

/// What the user reads when a resumed transfer is done.
fn resumed_sentence(verb: &str, what: &str, r: &Resumed) -> String {
    match &r.restarted {
        Some(why) => format!(
            "{verb} {what} ({} sent; started over: {why})",
            human_size(r.sent)
        ),
        None => format!(
            "{verb} {what} ({} sent, {} were already done)",
            human_size(r.sent),
            human_size(r.reused)
        ),
    }
}

/// Resumes the interrupted transfer `record_id` as transfer `id`.
pub(super) fn resume(t: Task, id: RequestId, at: At, record_id: String) {
    tokio::spawn(async move {
        let fail = |error: AwsError| {
            let label = "Resuming a transfer".to_owned();
            let started = TransferUpdate::Started { label, total: None };
            for update in [started, TransferUpdate::Finished(Err(error))] {
                (t.send)(Event::Browse(BrowseEvent::Transfer { id, update }));
            }
        };
        let Some(store) = t.transfers.clone() else {
            return fail(no_store());
        };
        let Some(record) = store.load(&record_id) else {
            fail(AwsError::new(
                ErrorKind::NotFound,
                "That transfer is no longer there to resume",
            ));
            return send_interrupted(&t.send, &store);
        };
        let client = match t.client(&at).await {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        let kept = Kept {
            store: Arc::clone(&store),
            id: record.id.clone(),
            client: client.clone(),
        };
        start_transfer(
            &t.jobs,
            id,
            &at.lease,
            &t.send,
            (record.label(), Some(record.total)),
            Some(kept),
            move |progress| async move {
                match &record.job {
                    Job::Upload(_) => {
                        let what = record.key.clone();
                        let r = s3::resume_upload(&client, &store, record, progress).await?;
                        Ok(resumed_sentence("Uploaded", &what, &r))
                    }
                    Job::Download(d) => {
                        let what = d.dest.display().to_string();
                        let r = s3::resume_download(&client, &store, record, progress).await?;
                        Ok(resumed_sentence("Saved", &what, &r))
                    }
                }
            },
        );
    });
}

/// Discards the interrupted transfer `record_id` (its parts on S3 aborted with `client`); the
/// list as it is then.
pub(super) async fn discard(t: &Task, client: &aws_sdk_s3::Client, record_id: &str) -> BrowseEvent {
    let Some(store) = t.transfers.clone() else {
        return BrowseEvent::Interrupted(Vec::new());
    };
    if let Some(record) = store.load(record_id) {
        s3::discard(Some(client), &store, &record).await;
    }
    BrowseEvent::Interrupted(store.interrupted())
}

/// Aborts unfinished uploads, then lists those left; the interrupted list goes out again (keyfob's
/// own among the aborted are forgotten).
pub(super) async fn abort_unfinished(
    t: &Task,
    id: RequestId,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    uploads: &[(String, String)],
) -> BrowseEvent {
    let store = t.transfers.as_deref();
    let aborted = s3::abort_unfinished(client, bucket, uploads, store).await;
    if let Some(store) = store {
        send_interrupted(&t.send, store);
    }
    let result = match aborted {
        Ok(_) => s3::list_unfinished(client, bucket).await,
        Err(e) => Err(e),
    };
    BrowseEvent::Unfinished { id, result }
}
