//! The worker's S3 side: runs the browser's commands on the runtime, streams a folder page by page
//! (each page an event, so the first is on screen after one round trip), finds bucket regions,
//! and runs downloads and uploads as cancellable tasks with progress. File dialogs (the ports'
//! own) open here, off the UI thread. A command whose session has ended is refused with the
//! sentence the browser shows: before any request, after a file dialog, between pages.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use super::context::Ctx;
use super::jobs::{JobKind, Jobs, Stop};
use super::ports::FileDialogs;
use super::ports::Send_;
use crate::aws::AwsEnv;
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::s3;
use crate::clock::Clock;
use crate::message::{BrowseCommand, BrowseEvent, Event, RequestId, TransferUpdate, next_id};
use crate::session::{Credentials, EXPIRED_SENTENCE, SessionCreds};

/// Progress events at most this often per transfer (the UI repaints on each).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

fn expired() -> AwsError {
    AwsError::new(ErrorKind::Expired, EXPIRED_SENTENCE)
}

/// The session's credentials if it is still live now, else the refusal.
fn live<'a>(creds: &'a SessionCreds, clock: &Clock) -> Result<&'a Credentials, AwsError> {
    creds.live_at(clock()).ok_or_else(expired)
}

/// Answers a browser command with `error` in the event its success would have used.
fn refuse(command: BrowseCommand, error: AwsError, send: &Send_) {
    let event = match command {
        BrowseCommand::ListBuckets { id, .. } => BrowseEvent::Buckets {
            id,
            result: Err(error),
        },
        BrowseCommand::ListObjects { id, .. } => BrowseEvent::ListFailed { id, error },
        BrowseCommand::HeadObject { id, .. } => BrowseEvent::Details {
            id,
            result: Err(error),
        },
        BrowseCommand::Presign { .. } => BrowseEvent::Presigned(Err(error)),
        BrowseCommand::Download { bucket, .. } => {
            return report_failure(send, &format!("Downloading from {bucket}"), error);
        }
        BrowseCommand::Upload { bucket, .. } => {
            return report_failure(send, &format!("Uploading to {bucket}"), error);
        }
    };
    send(Event::Browse(event));
}

/// What a command's task takes along from the worker, so each command runs on its own.
struct Task {
    env: Arc<AwsEnv>,
    send: Send_,
    clock: Clock,
    jobs: Jobs,
    dialogs: Arc<dyn FileDialogs>,
}

impl Task {
    fn new(ctx: &Ctx, send: &Send_) -> Self {
        Self {
            env: Arc::clone(&ctx.env),
            send: Arc::clone(send),
            clock: Arc::clone(&ctx.clock),
            jobs: ctx.jobs.clone(),
            dialogs: Arc::clone(&ctx.dialogs),
        }
    }

    /// An S3 client for the bucket's region, finding (and reporting) the region first when
    /// unknown; refused when the session has ended.
    async fn client(&self, at: &At) -> Result<aws_sdk_s3::Client, AwsError> {
        let creds = live(&at.creds, &self.clock)?;
        let region = match &at.region {
            Some(r) => r.clone(),
            None => {
                let probe = s3::client(&self.env, creds, None).await;
                let r = s3::bucket_region(&probe, &at.bucket).await?;
                (self.send)(Event::Browse(BrowseEvent::Region {
                    bucket: at.bucket.clone(),
                    region: r.clone(),
                }));
                r
            }
        };
        Ok(s3::client(&self.env, creds, Some(&region)).await)
    }
}

/// The bucket a command works on, and the session it works with.
struct At {
    creds: SessionCreds,
    bucket: String,
    /// Its region when known (else found first, and reported).
    region: Option<String>,
}

impl At {
    fn new(creds: SessionCreds, bucket: String, region: Option<String>) -> Self {
        Self {
            creds,
            bucket,
            region,
        }
    }
}

/// Runs one browser command, or refuses it when its session has ended.
pub(super) fn dispatch(rt: &Runtime, command: BrowseCommand, send: &Send_, ctx: &Ctx) {
    if let Err(e) = live(command.creds(), &ctx.clock) {
        tracing::info!(
            session = command.creds().session,
            "refused: the session has ended"
        );
        refuse(command, e, send);
        return;
    }
    let t = Task::new(ctx, send);
    match command {
        BrowseCommand::ListBuckets { id, creds } => {
            rt.spawn(list_buckets(t, id, creds));
        }
        BrowseCommand::ListObjects {
            id,
            creds,
            bucket,
            region,
            prefix,
            delimiter,
            token,
            page_size,
        } => {
            let session = Some(creds.session.clone());
            let on_stop = listing_stopped(id, &t.send);
            let at = At::new(creds, bucket, region);
            let task = list_objects(t, id, at, prefix, delimiter, token, page_size);
            ctx.jobs
                .spawn(rt.handle(), id, JobKind::Listing, session, task, on_stop);
        }
        BrowseCommand::HeadObject {
            id,
            creds,
            bucket,
            region,
            key,
        } => {
            rt.spawn(head_object(t, id, At::new(creds, bucket, region), key));
        }
        BrowseCommand::Presign {
            creds,
            bucket,
            region,
            key,
            wanted,
            session_left,
        } => {
            let at = At::new(creds, bucket, region);
            rt.spawn(presign(t, at, key, wanted, session_left));
        }
        BrowseCommand::Download {
            creds,
            bucket,
            region,
            items,
            target,
        } => {
            rt.spawn(download(t, At::new(creds, bucket, region), items, target));
        }
        BrowseCommand::Upload {
            creds,
            bucket,
            region,
            prefix,
            files,
        } => {
            rt.spawn(upload(t, At::new(creds, bucket, region), prefix, files));
        }
    }
}

async fn list_buckets(t: Task, id: RequestId, creds: SessionCreds) {
    let client = s3::client(&t.env, &creds.credentials, None).await;
    let result = s3::list_buckets(&client).await;
    (t.send)(Event::Browse(BrowseEvent::Buckets { id, result }));
}

/// What a listing's job does when stopped: the user's own Stop needs no answer; the session's end
/// does.
fn listing_stopped(id: RequestId, send: &Send_) -> impl FnOnce(Stop) + Send + 'static {
    let send = Arc::clone(send);
    move |why| {
        if why == Stop::Expired {
            send(Event::Browse(BrowseEvent::ListFailed {
                id,
                error: expired(),
            }));
        }
    }
}

/// Lists a folder page after page, each page an event, until the last page or an error.
async fn list_objects(
    t: Task,
    id: RequestId,
    at: At,
    prefix: String,
    delimiter: bool,
    mut token: Option<String>,
    page_size: Option<i32>,
) {
    let result = async {
        let client = t.client(&at).await?;
        loop {
            // A listing that outlives its session stops before the next page.
            live(&at.creds, &t.clock)?;
            let page = s3::list_page(
                &client,
                &at.bucket,
                &prefix,
                delimiter,
                token.take(),
                page_size,
            )
            .await?;
            token.clone_from(&page.next);
            let last = page.next.is_none();
            (t.send)(Event::Browse(BrowseEvent::Page { id, page }));
            if last {
                return Ok(());
            }
        }
    }
    .await;
    if let Err(error) = result {
        (t.send)(Event::Browse(BrowseEvent::ListFailed { id, error }));
    }
}

async fn head_object(t: Task, id: RequestId, at: At, key: String) {
    let result = async {
        let client = t.client(&at).await?;
        s3::head_object(&client, &at.bucket, &key).await
    }
    .await;
    (t.send)(Event::Browse(BrowseEvent::Details { id, result }));
}

async fn presign(t: Task, at: At, key: String, wanted: Duration, session_left: Duration) {
    let result = async {
        let client = t.client(&at).await?;
        s3::presign_get(&client, &at.bucket, &key, wanted, session_left).await
    }
    .await
    .map(|(url, valid)| (url, valid, wanted));
    (t.send)(Event::Browse(BrowseEvent::Presigned(result)));
}

/// Downloads objects, each as a transfer of its own, into `target` or where the save dialog says.
async fn download(t: Task, at: At, items: Vec<(String, u64)>, target: Option<PathBuf>) {
    // A file chosen in the save dialog (one object) was confirmed there if it exists; anything
    // else is never replaced.
    let single = items.len() == 1;
    let (target, existing) = match target {
        Some(t) => (t, s3::Existing::Refuse),
        None => match ask_download_target(t.dialogs.as_ref(), &items).await {
            Some(t) if single => (t, s3::Existing::Replace),
            Some(t) => (t, s3::Existing::Refuse),
            None => return, // the dialog was closed
        },
    };
    // `client` refuses a session that ended while the dialog was open.
    let client = match t.client(&at).await {
        Ok(c) => c,
        Err(e) => {
            report_failure(&t.send, &format!("Downloading from {}", at.bucket), e);
            return;
        }
    };
    for (key, size) in items {
        let name = file_name_of(&key).to_owned();
        let dest = if single {
            target.clone()
        } else {
            target.join(&name)
        };
        let (client, bucket) = (client.clone(), at.bucket.clone());
        start_transfer(
            &t.jobs,
            &at.creds.session,
            &t.send,
            format!("Downloading {name}"),
            Some(size),
            move |progress| async move {
                s3::download(&client, &bucket, &key, &dest, existing, progress)
                    .await
                    .map(|n| format!("Saved {} ({n} bytes, checked)", dest.display()))
            },
        );
    }
}

/// Uploads files into the folder `prefix`, each as a transfer of its own; `None` asks which.
async fn upload(t: Task, at: At, prefix: String, files: Option<Vec<PathBuf>>) {
    let files = match files {
        Some(f) => f,
        None => match t.dialogs.pick_files().await {
            Some(f) => f,
            None => return, // the dialog was closed
        },
    };
    // `client` refuses a session that ended while the dialog was open.
    let client = match t.client(&at).await {
        Ok(c) => c,
        Err(e) => {
            report_failure(&t.send, &format!("Uploading to {}", at.bucket), e);
            return;
        }
    };
    for path in files {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let key = format!("{prefix}{name}");
        let size = std::fs::metadata(&path).ok().map(|m| m.len());
        let (client, bucket) = (client.clone(), at.bucket.clone());
        start_transfer(
            &t.jobs,
            &at.creds.session,
            &t.send,
            format!("Uploading {name}"),
            size,
            move |progress| async move {
                s3::upload(&client, &bucket, &key, &path, progress)
                    .await
                    .map(|n| format!("Uploaded {key} ({n} bytes)"))
            },
        );
    }
}

/// Asks where to save: a file for one object, a folder for several.
async fn ask_download_target(
    dialogs: &dyn FileDialogs,
    items: &[(String, u64)],
) -> Option<PathBuf> {
    if let [(key, _)] = items {
        dialogs.save_file(file_name_of(key)).await
    } else {
        dialogs.pick_folder().await
    }
}

fn report_failure(send: &Send_, label: &str, error: AwsError) {
    let id = next_id();
    send(Event::Browse(BrowseEvent::Transfer {
        id,
        update: TransferUpdate::Started {
            label: label.to_owned(),
            total: None,
        },
    }));
    send(Event::Browse(BrowseEvent::Transfer {
        id,
        update: TransferUpdate::Finished(Err(error)),
    }));
}

/// Runs one transfer as a cancellable job of `session` that reports its start, throttled
/// progress and end.
fn start_transfer<F, Fut>(
    jobs: &Jobs,
    session: &str,
    send: &Send_,
    label: String,
    total: Option<u64>,
    run: F,
) where
    F: FnOnce(s3::Progress) -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AwsError>> + Send + 'static,
{
    let id = next_id();
    send(Event::Browse(BrowseEvent::Transfer {
        id,
        update: TransferUpdate::Started { label, total },
    }));
    // The first report always goes out (the bar moves at once), later ones at most every
    // PROGRESS_EVERY.
    let last: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let progress: s3::Progress = {
        let send = Arc::clone(send);
        Arc::new(move |done| {
            let mut at = last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if at.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                *at = Some(Instant::now());
                send(Event::Browse(BrowseEvent::Transfer {
                    id,
                    update: TransferUpdate::Progress(done),
                }));
            }
        })
    };
    let send = Arc::clone(send);
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let registry = jobs.clone();
    let session = Some(session.to_owned());
    let stopped = Arc::clone(&send);
    let on_stop = move |why| {
        let error = match why {
            Stop::Expired => expired(),
            Stop::Cancelled | Stop::Replaced => {
                AwsError::new(ErrorKind::Other, "Cancelled: nothing was left behind")
            }
        };
        stopped(Event::Browse(BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(Err(error)),
        }));
    };
    let task = async move {
        let result = run(progress).await;
        // Out of the registry before the end is reported: a Cancel now finds nothing to stop.
        registry.finished(id);
        if let Ok(text) = &result {
            tracing::info!("{text}");
        }
        send(Event::Browse(BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(result),
        }));
    };
    jobs.spawn(&rt, id, JobKind::Transfer, session, task, on_stop);
}

/// The file name a key downloads to.
#[must_use]
pub fn file_name_of(key: &str) -> &str {
    Path::new(key.trim_end_matches('/'))
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("download")
}
