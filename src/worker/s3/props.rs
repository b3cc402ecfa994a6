//! The properties jobs: reading and changing objects' properties a few at a time (each object's
//! failure its own), restoring a version, reading the bucket's settings.

use aws_sdk_s3::Client;
use tokio::task::JoinSet;

use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::s3;
use crate::message::{ApplyReport, BrowseEvent, PropsAnswer, PropsJob, RequestId};

/// Objects read or changed at once.
pub const AT_ONCE: usize = 4;

/// How a job of `job`'s kind answers with an error.
pub(super) fn answer_for(job: &PropsJob) -> fn(RequestId, AwsError) -> BrowseEvent {
    match job {
        PropsJob::Read { .. } => |id, e| BrowseEvent::Props {
            id,
            answer: PropsAnswer::Read(Err(e)),
        },
        PropsJob::Apply { .. } => |id, e| BrowseEvent::Props {
            id,
            answer: PropsAnswer::Applied(Err(e)),
        },
        PropsJob::Restore { .. } => |id, e| BrowseEvent::Props {
            id,
            answer: PropsAnswer::Restored(Err(e)),
        },
        PropsJob::Settings => |id, e| BrowseEvent::Props {
            id,
            answer: PropsAnswer::Settings(Err(e)),
        },
    }
}

/// Runs `job` with `client` on `bucket`.
pub(super) async fn run(
    client: &Client,
    bucket: &str,
    id: RequestId,
    job: PropsJob,
) -> BrowseEvent {
    let answer = match job {
        PropsJob::Read { keys } => PropsAnswer::Read(read(client, bucket, keys).await),
        PropsJob::Apply { read, change } => {
            PropsAnswer::Applied(Ok(apply(client, bucket, read, *change).await))
        }
        PropsJob::Restore {
            key,
            version,
            latest,
        } => {
            let done = s3::restore_version(client, bucket, &key, &version, latest.as_deref()).await;
            PropsAnswer::Restored(done.map(|_| format!("Restored version {version} of {key}")))
        }
        PropsJob::Settings => PropsAnswer::Settings(Ok(s3::bucket_settings(client, bucket).await)),
    };
    BrowseEvent::Props { id, answer }
}

/// Runs `each` on every item, [`AT_ONCE`] at a time: the results in the items' order.
async fn each_of<I, T, F, Fut>(items: Vec<I>, each: F) -> Vec<T>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let mut set = JoinSet::new();
    let mut out: Vec<(usize, T)> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if set.len() >= AT_ONCE
            && let Some(Ok(done)) = set.join_next().await
        {
            out.push(done);
        }
        let fut = each(item);
        set.spawn(async move { (i, fut.await) });
    }
    while let Some(done) = set.join_next().await {
        if let Ok(done) = done {
            out.push(done);
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, t)| t).collect()
}

/// The properties of every key; the first failure fails the read.
async fn read(
    client: &Client,
    bucket: &str,
    keys: Vec<String>,
) -> Result<Vec<s3::ObjectProps>, AwsError> {
    let n = keys.len();
    let read = each_of(keys, |key| {
        let (client, bucket) = (client.clone(), bucket.to_owned());
        async move { s3::read_props(&client, &bucket, &key).await }
    })
    .await;
    if read.len() != n {
        return Err(AwsError::new(
            ErrorKind::Other,
            "Reading the properties stopped",
        ));
    }
    read.into_iter().collect()
}

/// `change` applied to each object as read, each on its own.
async fn apply(
    client: &Client,
    bucket: &str,
    read: Vec<s3::ObjectProps>,
    change: s3::PropsChange,
) -> ApplyReport {
    let change = std::sync::Arc::new(change);
    let done = each_of(read, |props| {
        let (client, bucket, change) = (client.clone(), bucket.to_owned(), change.clone());
        async move {
            let result = s3::apply_change(&client, &bucket, &props, &change).await;
            (props.key, result)
        }
    })
    .await;
    let mut report = ApplyReport::default();
    for (key, result) in done {
        match result {
            Ok(()) => report.changed.push(key),
            Err(e) => report.failed.push((key, e)),
        }
    }
    report
}
