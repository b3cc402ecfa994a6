//! The worker's S3 side: runs the browser's commands on the runtime, streams a folder page by page
//! (each page an event, so the first is on screen after one round trip), finds bucket regions,
//! and runs downloads and uploads as cancellable tasks with progress. File dialogs (the ports'
//! own) open here, off the UI thread. A command whose session has ended is refused with the
//! sentence the browser shows: before any request, after a file dialog, between pages. Every
//! command runs under the [`Lease`] on its credentials: when they expire, or the user signs out,
//! what is running stops and says which of the two happened.

mod bucket;
mod props;
mod reach;
mod resume;
mod transfer;

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;

pub(super) use self::resume::list as send_interrupted;
pub use self::transfer::file_name_of;
use self::transfer::{download, report_failure, upload};
use super::context::Ctx;
use super::jobs::{JobKind, Jobs, Stop};
use super::lease::Lease;
use super::ports::FileDialogs;
use super::ports::Send_;
use crate::aws::AwsEnv;
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::s3;
use crate::clock::Clock;
use crate::message::{BrowseCommand, BrowseEvent, Event, RequestId, next_id};
use crate::session::{Credentials, EXPIRED_SENTENCE, SessionCreds, signed_out_sentence};

fn expired() -> AwsError {
    AwsError::new(ErrorKind::Expired, EXPIRED_SENTENCE)
}

/// The refusal for work whose lease ended for `why`; `None` for the user's own Cancel.
fn ended(why: Stop, session: &str) -> Option<AwsError> {
    match why {
        Stop::Expired => Some(expired()),
        Stop::SignedOut => Some(AwsError::new(
            ErrorKind::Other,
            signed_out_sentence(session),
        )),
        Stop::Cancelled | Stop::Replaced => None,
    }
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
        BrowseCommand::BucketPage { id, .. } => BrowseEvent::BucketPage {
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
        BrowseCommand::Bucket { id, job, .. } => {
            for event in bucket::refusal(id, &job, error) {
                send(Event::Browse(event));
            }
            return;
        }
    };
    send(Event::Browse(event));
}

/// What a command's task takes along from the worker, so each command runs on its own.
struct Task {
    env: Arc<AwsEnv>,
    s3: Arc<s3::Clients>,
    send: Send_,
    clock: Clock,
    jobs: Jobs,
    dialogs: Arc<dyn FileDialogs>,
    /// Where resumable transfers keep their records.
    transfers: Option<Arc<s3::Store>>,
}

impl Task {
    fn new(ctx: &Ctx, send: &Send_) -> Self {
        Self {
            env: Arc::clone(&ctx.env),
            s3: Arc::clone(&ctx.s3),
            send: Arc::clone(send),
            clock: Arc::clone(&ctx.clock),
            jobs: ctx.jobs.clone(),
            dialogs: Arc::clone(&ctx.dialogs),
            transfers: ctx.transfers.clone(),
        }
    }

    /// An S3 client for the bucket's region, finding (and reporting) the region first when
    /// unknown; refused when the session has ended or was signed out of.
    async fn client(&self, at: &At) -> Result<aws_sdk_s3::Client, AwsError> {
        let creds = at.live(&self.clock)?;
        let region = match &at.region {
            Some(r) => r.clone(),
            None => {
                let probe = self.s3.get_in(&self.env, creds, None, at.profile()).await;
                let r = s3::bucket_region(&probe, &at.bucket).await?;
                (self.send)(Event::Browse(BrowseEvent::Region {
                    bucket: at.bucket.clone(),
                    region: r.clone(),
                }));
                r
            }
        };
        Ok(self
            .s3
            .get_in(&self.env, creds, Some(&region), at.profile())
            .await)
    }
}

/// The bucket a command works on, and the session it works with.
struct At {
    creds: SessionCreds,
    /// The lease on `creds`: the jobs started for this command hold it.
    lease: Lease,
    bucket: String,
    /// Its region when known (else found first, and reported).
    region: Option<String>,
}

impl At {
    fn new(creds: SessionCreds, lease: &Lease, bucket: String, region: Option<String>) -> Self {
        Self {
            creds,
            lease: lease.clone(),
            bucket,
            region,
        }
    }

    fn profile(&self) -> Option<&str> {
        self.creds.profile.as_deref()
    }

    /// The credentials while the lease holds and they are live now, else the refusal (checked
    /// again where a task waited, e.g. on a file dialog).
    fn live(&self, clock: &Clock) -> Result<&Credentials, AwsError> {
        if let Some(error) = self
            .lease
            .ended()
            .and_then(|why| ended(why.into(), self.lease.name()))
        {
            return Err(error);
        }
        live(&self.creds, clock)
    }
}

/// What a job answering with one event does when stopped: nothing for the user's own Cancel;
/// the refusal, made by `answer`, when its lease ended.
fn answer_stop(
    send: &Send_,
    session: &str,
    answer: impl FnOnce(AwsError) -> BrowseEvent + Send + 'static,
) -> impl FnOnce(Stop) + Send + 'static {
    let send = Arc::clone(send);
    let session = session.to_owned();
    move |why| {
        if let Some(error) = ended(why, &session) {
            send(Event::Browse(answer(error)));
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
    let lease = ctx.leases.take(command.creds());
    let t = Task::new(ctx, send);
    match command {
        // A transfer's own jobs start once its file dialog answered (they hold the lease from
        // here: a sign-out meanwhile refuses them).
        BrowseCommand::Download {
            creds,
            bucket,
            region,
            items,
            target,
        } => {
            let at = At::new(creds, &lease, bucket, region);
            rt.spawn(download(t, at, items, target));
        }
        BrowseCommand::Upload {
            creds,
            bucket,
            region,
            prefix,
            files,
        } => {
            let at = At::new(creds, &lease, bucket, region);
            rt.spawn(upload(t, at, prefix, files));
        }
        BrowseCommand::Bucket { id, at, job } => {
            let _entered = rt.enter();
            bucket::start(t, id, At::new(at.creds, &lease, at.bucket, at.region), job);
        }
        command => browse(rt, t, lease, command),
    }
}

/// Runs a browsing command (buckets, a folder, details, a link) as a job holding `lease`.
fn browse(rt: &Runtime, t: Task, lease: Lease, command: BrowseCommand) {
    let (jobs, send, rt) = (t.jobs.clone(), Arc::clone(&t.send), rt.handle());
    let session = lease.name().to_owned();
    let stop = |answer: Answer| answer_stop(&send, &session, answer);
    match command {
        BrowseCommand::ListBuckets { id, creds } => {
            let on_stop = stop(Box::new(move |e| BrowseEvent::Buckets {
                id,
                result: Err(e),
            }));
            let task = list_buckets(t, id, creds);
            jobs.spawn(rt, id, JobKind::Listing, Some(lease), task, on_stop);
        }
        BrowseCommand::BucketPage {
            id,
            creds,
            query,
            delay,
        } => {
            let on_stop = stop(Box::new(move |e| BrowseEvent::BucketPage {
                id,
                result: Err(e),
            }));
            let task = reach::bucket_page(t, id, creds, query, delay);
            jobs.spawn(rt, id, JobKind::Listing, Some(lease), task, on_stop);
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
            let on_stop = stop(Box::new(move |error| BrowseEvent::ListFailed { id, error }));
            let at = At::new(creds, &lease, bucket, region);
            let task = list_objects(t, id, at, prefix, delimiter, token, page_size);
            jobs.spawn(rt, id, JobKind::Listing, Some(lease), task, on_stop);
        }
        BrowseCommand::HeadObject {
            id,
            creds,
            bucket,
            region,
            key,
        } => {
            let on_stop = stop(Box::new(move |e| BrowseEvent::Details {
                id,
                result: Err(e),
            }));
            let task = head_object(t, id, At::new(creds, &lease, bucket, region), key);
            jobs.spawn(rt, id, JobKind::Listing, Some(lease), task, on_stop);
        }
        BrowseCommand::Presign {
            creds,
            bucket,
            region,
            key,
            wanted,
            session_left,
        } => {
            let on_stop = stop(Box::new(|e| BrowseEvent::Presigned(Err(e))));
            let at = At::new(creds, &lease, bucket, region);
            let task = presign(t, at, key, wanted, session_left);
            jobs.spawn(rt, next_id(), JobKind::Listing, Some(lease), task, on_stop);
        }
        BrowseCommand::Download { .. }
        | BrowseCommand::Upload { .. }
        | BrowseCommand::Bucket { .. } => {
            tracing::error!("not a browsing command: {command:?}");
        }
    }
}

/// How a job answers with an error: the event its success would have been.
type Answer = Box<dyn FnOnce(AwsError) -> BrowseEvent + Send>;

async fn list_buckets(t: Task, id: RequestId, creds: SessionCreds) {
    let profile = creds.profile.as_deref();
    let client = t.s3.get_in(&t.env, &creds.credentials, None, profile).await;
    let result = s3::list_buckets(&client).await;
    (t.send)(Event::Browse(BrowseEvent::Buckets { id, result }));
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
            at.live(&t.clock)?;
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
