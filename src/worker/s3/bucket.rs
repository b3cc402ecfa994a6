//! The bucket jobs beyond browsing: counting plans (a folder listed to the bottom, local folders
//! walked on a blocking thread), running them as one transfer, deleting, making folders, listing
//! versions and reading previews. Each is a cancellable job holding its credentials' lease, answering under the
//! command's id.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::transfer::{Kept, file_name_of, start_transfer};
use super::{At, Task, answer_stop};
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::s3::{self, Object, Picked, Plan};
use crate::clock::Throttle;
use crate::listing::human_size;
use crate::message::{BrowseEvent, BucketJob, Event, Purpose, RequestId, TransferUpdate};
use crate::worker::jobs::JobKind;
use crate::worker::ports::Send_;

/// Counting reports at most this often.
const COUNT_EVERY: Duration = Duration::from_millis(200);

/// The events that answer `job` with `error` (the job refused or failed before it began): a
/// transfer's start and end, or the one event its success would have been.
pub(super) fn refusal(id: RequestId, job: &BucketJob, error: AwsError) -> Vec<BrowseEvent> {
    let label = match job {
        BucketJob::Download { plan, .. } => plan_label("Downloading", plan),
        BucketJob::Upload { plan } => plan_label("Uploading", plan),
        BucketJob::Sync { plan } => sync_label(plan),
        BucketJob::DownloadVersion { key, .. } => format!("Downloading {}", file_name_of(key)),
        BucketJob::Resume { .. } => "Resuming a transfer".to_owned(),
        BucketJob::Discard { .. } => "Discarding a transfer".to_owned(),
        _ => return vec![answer(id, job, error)],
    };
    transfer_refusal(id, label, error)
}

/// A transfer labelled `label` that ended with `error` before it began: its start and its end.
fn transfer_refusal(id: RequestId, label: String, error: AwsError) -> Vec<BrowseEvent> {
    vec![
        BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Started { label, total: None },
        },
        BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(Err(error)),
        },
    ]
}

/// Runs `work` with a client for the bucket as one transfer (`label`, bytes in all); a session
/// that ended meanwhile refuses it as that transfer.
fn as_transfer<W, Fut>(t: Task, id: RequestId, at: At, (label, total): (String, u64), work: W)
where
    W: FnOnce(aws_sdk_s3::Client, s3::Progress) -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AwsError>> + Send + 'static,
{
    tokio::spawn(async move {
        let client = match t.client(&at).await {
            Ok(c) => c,
            Err(e) => return fail(&t.send, transfer_refusal(id, label, e)),
        };
        let run = move |progress| work(client, progress);
        start_transfer(
            &t.jobs,
            id,
            &at.lease,
            &t.send,
            (label, Some(total)),
            None,
            run,
        );
    });
}

/// The one event a job that is not a transfer answers with, holding `error`.
fn answer(id: RequestId, job: &BucketJob, error: AwsError) -> BrowseEvent {
    answer_for(job)(id, error)
}

/// How a job of `job`'s kind answers with an error (kept by a job's stop, which outlives the job).
fn answer_for(job: &BucketJob) -> fn(RequestId, AwsError) -> BrowseEvent {
    match job {
        BucketJob::Plan { .. } | BucketJob::PlanUpload { .. } => {
            |id, e| BrowseEvent::Planned { id, result: Err(e) }
        }
        BucketJob::Download { .. }
        | BucketJob::Upload { .. }
        | BucketJob::DownloadVersion { .. }
        | BucketJob::Resume { .. }
        | BucketJob::Discard { .. } => |id, e| BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(Err(e)),
        },
        BucketJob::PlanSync { .. } => |id, e| BrowseEvent::SyncPlanned { id, result: Err(e) },
        BucketJob::Sync { .. } => |id, e| BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(Err(e)),
        },
        BucketJob::Delete { .. } => |id, e| BrowseEvent::Deleted { id, result: Err(e) },
        BucketJob::NewFolder { .. } => |id, e| BrowseEvent::FolderMade { id, result: Err(e) },
        BucketJob::Versions { .. } => |id, e| BrowseEvent::Versions { id, result: Err(e) },
        BucketJob::Preview { .. } => |id, e| BrowseEvent::Preview { id, result: Err(e) },
        BucketJob::Unfinished | BucketJob::AbortUnfinished { .. } => {
            |id, e| BrowseEvent::Unfinished { id, result: Err(e) }
        }
        BucketJob::Props(job) => super::props::answer_for(job),
    }
}

/// Starts `job` as a cancellable job of its session.
pub(super) fn start(t: Task, id: RequestId, at: At, job: BucketJob) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let (send, jobs) = (Arc::clone(&t.send), t.jobs.clone());
    let lease = at.lease.clone();
    match job {
        BucketJob::Download { plan, target } => download(t, id, at, plan, target),
        BucketJob::Upload { plan } => upload(t, id, at, plan),
        BucketJob::Sync { plan } => sync(t, id, at, plan),
        BucketJob::DownloadVersion {
            key,
            version,
            size,
            target,
        } => download_version(t, id, at, key, version, size, target),
        BucketJob::Resume { record } => super::resume::resume(t, id, at, record),
        job => {
            // What a stop answers: nothing for the user's own Cancel, the refusal for an end.
            let stopped = answer_for(&job);
            let on_stop = answer_stop(&send, lease.name(), move |e| stopped(id, e));
            let task = async move {
                let event = match run(&t, id, &at, job).await {
                    Ok(event) => event,
                    Err((job, error)) => answer(id, &job, error),
                };
                (t.send)(Event::Browse(event));
            };
            jobs.spawn(&rt, id, JobKind::Listing, Some(lease), task, on_stop);
        }
    }
}

/// Runs a job that answers with one event; on failure, the job back with the error.
async fn run(
    t: &Task,
    id: RequestId,
    at: &At,
    job: BucketJob,
) -> Result<BrowseEvent, (BucketJob, AwsError)> {
    let client = match t.client(at).await {
        Ok(c) => c,
        Err(e) => return Err((job, e)),
    };
    let b = at.bucket.as_str();
    Ok(match job {
        BucketJob::Plan {
            base,
            picked,
            purpose,
        } => BrowseEvent::Planned {
            id,
            result: plan(t, id, &client, b, &base, &picked, purpose).await,
        },
        BucketJob::PlanUpload { prefix, paths } => {
            let paths = match paths {
                Some(p) => p,
                None => match t.dialogs.pick_upload_folder().await {
                    Some(dir) => vec![dir],
                    // The dialog was closed: the counting ends with nothing to ask.
                    None => Vec::new(),
                },
            };
            let counted = tokio::task::spawn_blocking(move || s3::plan_upload(&paths, &prefix))
                .await
                .map_err(|e| AwsError::new(ErrorKind::Other, format!("Counting stopped: {e}")));
            BrowseEvent::Planned {
                id,
                result: counted.map(|p| (p, None)),
            }
        }
        job @ BucketJob::PlanSync { .. } => return plan_sync(t, id, &client, b, job).await,
        BucketJob::Delete { keys } => {
            let result = s3::delete_keys(&client, b, &keys, &|_| {}).await;
            BrowseEvent::Deleted { id, result }
        }
        BucketJob::NewFolder { prefix, name } => BrowseEvent::FolderMade {
            id,
            result: s3::create_folder(&client, b, &prefix, &name).await,
        },
        BucketJob::Versions { key } => BrowseEvent::Versions {
            id,
            result: s3::list_versions(&client, b, &key, 200).await,
        },
        BucketJob::Preview {
            key,
            version,
            size,
            kind,
        } => {
            let obj = Object {
                bucket: b,
                key: &key,
                version: version.as_deref(),
            };
            BrowseEvent::Preview {
                id,
                result: s3::preview(&client, obj, size, kind).await,
            }
        }
        BucketJob::Discard { record } => super::resume::discard(t, &client, &record).await,
        BucketJob::Unfinished => BrowseEvent::Unfinished {
            id,
            result: s3::list_unfinished(&client, b).await,
        },
        BucketJob::AbortUnfinished { uploads } => {
            super::resume::abort_unfinished(t, id, &client, b, &uploads).await
        }
        BucketJob::Props(job) => Box::pin(super::props::run(&client, b, id, job)).await,
        job @ (BucketJob::Download { .. }
        | BucketJob::Upload { .. }
        | BucketJob::Sync { .. }
        | BucketJob::DownloadVersion { .. }
        | BucketJob::Resume { .. }) => {
            return Err((job, AwsError::new(ErrorKind::Other, "not a one-answer job")));
        }
    })
}

/// Compares a folder with a local one (asked for with a folder dialog when not given).
async fn plan_sync(
    t: &Task,
    id: RequestId,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    job: BucketJob,
) -> Result<BrowseEvent, (BucketJob, AwsError)> {
    let BucketJob::PlanSync {
        prefix,
        local,
        direction,
        compare,
        delete,
    } = job
    else {
        return Err((
            job,
            AwsError::new(ErrorKind::Other, "not a sync comparison"),
        ));
    };
    let local = match local {
        Some(p) => p,
        None => match t.dialogs.pick_folder().await {
            Some(dir) => dir,
            None => {
                let closed = AwsError::new(ErrorKind::Invalid, "No folder was chosen");
                let job = BucketJob::PlanSync {
                    prefix,
                    local: None,
                    direction,
                    compare,
                    delete,
                };
                return Err((job, closed));
            }
        },
    };
    let spec = s3::sync::Spec {
        local,
        bucket: bucket.to_owned(),
        prefix,
        direction,
        compare,
        delete,
    };
    let counted = counter(t, id);
    let result = s3::sync::plan(client, spec, &|n| counted(n, 0)).await;
    Ok(BrowseEvent::SyncPlanned { id, result })
}

/// What hears a count's running totals: a [`BrowseEvent::Counting`] at most every
/// [`COUNT_EVERY`].
fn counter(t: &Task, id: RequestId) -> impl Fn(usize, u64) + Send + Sync + use<> {
    let send = Arc::clone(&t.send);
    let every = Throttle::new(COUNT_EVERY);
    move |files: usize, bytes: u64| {
        if every.ready() {
            send(Event::Browse(BrowseEvent::Counting { id, files, bytes }));
        }
    }
}

/// Counts a download or deletion; a deletion also asks whether the bucket keeps versions.
async fn plan(
    t: &Task,
    id: RequestId,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    base: &str,
    picked: &[Picked],
    purpose: Purpose,
) -> Result<(Plan, Option<bool>), AwsError> {
    let counted = counter(t, id);
    if purpose == Purpose::Delete {
        let plan = s3::plan_delete(client, bucket, picked, &counted).await?;
        // Not knowing (no permission to read it) is said as such, not guessed.
        let versioned = s3::bucket_versioned(client, bucket).await.ok();
        Ok((plan, versioned))
    } else {
        let plan = s3::plan_download(client, bucket, base, picked, &counted).await?;
        Ok((plan, None))
    }
}

fn fail(send: &Send_, events: Vec<BrowseEvent>) {
    for e in events {
        send(Event::Browse(e));
    }
}

fn plan_label(verb: &str, plan: &Plan) -> String {
    let n = plan.files.len();
    format!(
        "{verb} {n} file{} ({})",
        if n == 1 { "" } else { "s" },
        human_size(plan.bytes)
    )
}

/// Runs a counted download as one transfer, into `target` or a folder the dialog asks for.
fn download(t: Task, id: RequestId, at: At, plan: Plan, target: Option<PathBuf>) {
    let label = plan_label("Downloading", &plan);
    let total = Some(plan.bytes);
    let (jobs, send) = (t.jobs.clone(), Arc::clone(&t.send));
    tokio::spawn(async move {
        let into = match target {
            Some(dir) => dir,
            None => match t.dialogs.pick_folder().await {
                Some(dir) => dir,
                None => return, // the dialog was closed
            },
        };
        // `client` refuses a session that ended while the dialog was open.
        let client = match t.client(&at).await {
            Ok(c) => c,
            Err(e) => {
                let job = BucketJob::Download { plan, target: None };
                return fail(&t.send, refusal(id, &job, e));
            }
        };
        let lease = at.lease.clone();
        start_transfer(
            &jobs,
            id,
            &lease,
            &send,
            (label, total),
            None,
            move |progress| async move {
                let report = s3::download_plan(&client, &at.bucket, plan, &into, progress).await;
                report.summary(&format!(
                    "Saved {} file{} ({}) into {}",
                    report.done,
                    if report.done == 1 { "" } else { "s" },
                    human_size(report.bytes),
                    into.display()
                ))
            },
        );
    });
}

/// Runs a counted upload as one transfer.
fn upload(t: Task, id: RequestId, at: At, plan: Plan) {
    let label = (plan_label("Uploading", &plan), plan.bytes);
    let bucket = at.bucket.clone();
    as_transfer(t, id, at, label, move |client, progress| async move {
        let report = s3::upload_plan(&client, &bucket, plan, progress).await;
        report.summary(&format!(
            "Uploaded {} file{} ({}) to {bucket}",
            report.done,
            if report.done == 1 { "" } else { "s" },
            human_size(report.bytes)
        ))
    });
}

fn sync_label(plan: &s3::sync::SyncPlan) -> String {
    let verb = match plan.spec.direction {
        s3::sync::Direction::Upload => "Syncing into",
        s3::sync::Direction::Download => "Syncing from",
    };
    format!(
        "{verb} s3://{}/{} ({})",
        plan.spec.bucket,
        plan.spec.prefix,
        human_size(plan.bytes())
    )
}

/// Runs a compared sync as one transfer.
fn sync(t: Task, id: RequestId, at: At, plan: Box<s3::sync::SyncPlan>) {
    let label = (sync_label(&plan), plan.bytes());
    as_transfer(t, id, at, label, move |client, progress| async move {
        let report = s3::sync::run(&client, *plan, progress).await;
        report.summary(&format!(
            "Synced {} file{} ({})",
            report.done,
            if report.done == 1 { "" } else { "s" },
            human_size(report.bytes)
        ))
    });
}

/// Downloads one version of an object, where the save dialog says.
#[allow(clippy::too_many_arguments)] // a job's fields, passed on
fn download_version(
    t: Task,
    id: RequestId,
    at: At,
    key: String,
    version: String,
    size: u64,
    target: Option<PathBuf>,
) {
    tokio::spawn(async move {
        let (dest, existing) = match target {
            Some(p) => (p, s3::Existing::Refuse),
            None => match t.dialogs.save_file(file_name_of(&key)).await {
                Some(p) => (p, s3::Existing::Replace),
                None => return,
            },
        };
        let client = match t.client(&at).await {
            Ok(c) => c,
            Err(e) => {
                let job = BucketJob::DownloadVersion {
                    key,
                    version,
                    size,
                    target: None,
                };
                return fail(&t.send, refusal(id, &job, e));
            }
        };
        let label = format!("Downloading {} (version {version})", file_name_of(&key));
        let bucket = at.bucket.clone();
        let kept = Kept::new(&t, &client);
        let keep = kept.as_ref().map(|k| k.keep(&at));
        start_transfer(
            &t.jobs,
            id,
            &at.lease,
            &t.send,
            (label, Some(size)),
            kept,
            move |progress| async move {
                let obj = Object {
                    bucket: &bucket,
                    key: &key,
                    version: Some(&version),
                };
                match keep {
                    Some(keep) => {
                        s3::download_resumable(&client, obj, &dest, existing, progress, &keep).await
                    }
                    None => s3::download_object(&client, obj, &dest, existing, progress).await,
                }
                .map(|n| format!("Saved {} ({n} bytes, checked)", dest.display()))
            },
        );
    });
}
