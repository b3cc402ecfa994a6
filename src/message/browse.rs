//! The S3 browser's side of the message flow: what it asks of the worker and what comes back.

use std::path::PathBuf;
use std::time::Duration;

use super::RequestId;
use super::props::{PropsAnswer, PropsJob};
use crate::aws::errors::AwsError;
use crate::aws::s3::sync::{Compare, Direction, SyncPlan};
use crate::aws::s3::{
    BucketInfo, BucketPage, BucketQuery, DeleteReport, ObjectDetails, Page, Picked, Plan, Preview,
    PreviewKind, Record, Unfinished, VersionInfo,
};
use crate::secret::Secret;
use crate::session::SessionCreds;

/// What a transfer reports.
#[derive(Debug)]
pub enum TransferUpdate {
    /// It began.
    Started {
        /// "Downloading x" / "Uploading y".
        label: String,
        /// Bytes in all, when known.
        total: Option<u64>,
    },
    /// Bytes done so far.
    Progress(u64),
    /// It ended: what to tell the user, or why it failed.
    Finished(Result<String, AwsError>),
}

/// Answers for the S3 browser.
#[derive(Debug)]
pub enum BrowseEvent {
    /// The bucket list.
    Buckets {
        /// The request.
        id: RequestId,
        /// The buckets or why not.
        result: Result<Vec<BucketInfo>, AwsError>,
    },
    /// One page of the bucket list.
    BucketPage {
        id: RequestId,
        result: Result<BucketPage, AwsError>,
    },
    /// The endpoint the session's S3 calls go to when it is not AWS's (`None`: AWS).
    Endpoint(Option<String>),
    /// A bucket's region was found.
    Region {
        /// The bucket.
        bucket: String,
        /// Its region.
        region: String,
    },
    /// One page of a folder (more may follow under the same id).
    Page {
        /// The listing.
        id: RequestId,
        /// The rows.
        page: Page,
    },
    /// A listing failed; what was loaded stays.
    ListFailed {
        /// The listing.
        id: RequestId,
        /// Why.
        error: AwsError,
    },
    /// HeadObject answered.
    Details {
        /// The request.
        id: RequestId,
        /// The details or why not.
        result: Result<ObjectDetails, AwsError>,
    },
    /// A presigned link: (URL, validity, validity asked for). The URL holds the session token.
    Presigned(Result<(Secret, Duration, Duration), AwsError>),
    /// A plan being counted: the files and bytes found so far.
    Counting {
        /// The plan's request.
        id: RequestId,
        files: usize,
        bytes: u64,
    },
    /// A plan is counted (with, for a deletion, whether the bucket keeps versions: `None` when
    /// that could not be read), or why not.
    Planned {
        /// The plan's request.
        id: RequestId,
        result: Result<(Plan, Option<bool>), AwsError>,
    },
    /// A sync was compared: its plan, or why not.
    SyncPlanned {
        id: RequestId,
        result: Result<SyncPlan, AwsError>,
    },
    /// A deletion ended.
    Deleted {
        id: RequestId,
        result: Result<DeleteReport, AwsError>,
    },
    /// A folder was made (its key), or why not.
    FolderMade {
        id: RequestId,
        result: Result<String, AwsError>,
    },
    /// An object's versions.
    Versions {
        id: RequestId,
        result: Result<Vec<VersionInfo>, AwsError>,
    },
    /// A preview.
    Preview {
        id: RequestId,
        result: Result<Preview, AwsError>,
    },
    /// A transfer's progress.
    Transfer {
        /// The transfer (its Cancel id).
        id: RequestId,
        /// What happened.
        update: TransferUpdate,
    },
    /// The interrupted transfers that can resume (sent when the worker starts, and whenever a
    /// resumable transfer ends or is discarded).
    Interrupted(Vec<Record>),
    /// A bucket's unfinished multipart uploads (listed, or listed again after aborting some), or
    /// why not.
    Unfinished {
        id: RequestId,
        result: Result<Vec<Unfinished>, AwsError>,
    },
    /// The properties panel's or the bucket inspector's answer.
    Props { id: RequestId, answer: PropsAnswer },
}

/// What the S3 browser asks of the worker. Each names the session whose credentials it uses; the
/// worker refuses it once that session has ended.
#[derive(Debug)]
pub enum BrowseCommand {
    /// List the account's buckets with the session's credentials.
    ListBuckets {
        /// The request.
        id: RequestId,
        /// The session's credentials (refused once it has ended).
        creds: SessionCreds,
    },
    /// One page of the bucket list, after `delay` (while the filter is typed: a newer query
    /// cancels this one as it waits).
    BucketPage {
        id: RequestId,
        creds: SessionCreds,
        query: BucketQuery,
        delay: Duration,
    },
    /// List a folder, page after page (each page an event), until the end or Cancel.
    ListObjects {
        /// The request (Cancel stops it).
        id: RequestId,
        /// The session's credentials (refused once it has ended).
        creds: SessionCreds,
        /// The bucket.
        bucket: String,
        /// Its region when known (else found first, and reported).
        region: Option<String>,
        /// The prefix.
        prefix: String,
        /// Split off folders by `/` (false: every key under the prefix).
        delimiter: bool,
        /// Continue from this token.
        token: Option<String>,
        /// Rows per page (None: S3's 1,000).
        page_size: Option<i32>,
    },
    /// HeadObject for the details panel.
    HeadObject {
        /// The request.
        id: RequestId,
        /// The session's credentials (refused once it has ended).
        creds: SessionCreds,
        /// The bucket.
        bucket: String,
        /// Its region when known.
        region: Option<String>,
        /// The key.
        key: String,
    },
    /// A presigned GET link.
    Presign {
        /// The session's credentials (refused once it has ended).
        creds: SessionCreds,
        /// The bucket.
        bucket: String,
        /// Its region when known.
        region: Option<String>,
        /// The key.
        key: String,
        /// The validity asked for.
        wanted: Duration,
        /// What the session has left (the cap).
        session_left: Duration,
    },
    /// Download objects: into `target` (a file for one object, a folder for several), or where a
    /// save dialog says when `None`.
    Download {
        /// The session's credentials (refused once it has ended).
        creds: SessionCreds,
        /// The bucket.
        bucket: String,
        /// Its region when known.
        region: Option<String>,
        /// Keys and sizes.
        items: Vec<(String, u64)>,
        /// Where to.
        target: Option<PathBuf>,
    },
    /// Work on a bucket beyond browsing (see [`BucketJob`]).
    Bucket {
        /// The request: Cancel stops it; its answers carry it.
        id: RequestId,
        at: BucketAt,
        job: BucketJob,
    },
    /// Upload files into a folder (`None`: ask with a file dialog).
    Upload {
        /// The session's credentials (refused once it has ended).
        creds: SessionCreds,
        /// The bucket.
        bucket: String,
        /// Its region when known.
        region: Option<String>,
        /// The folder.
        prefix: String,
        /// The files.
        files: Option<Vec<PathBuf>>,
    },
}

/// What a plan is counted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Download,
    Upload,
    Delete,
}

/// The session and bucket a [`BrowseCommand::Bucket`] works on.
#[derive(Clone, Debug)]
pub struct BucketAt {
    /// The session's credentials (refused once it has ended).
    pub creds: SessionCreds,
    pub bucket: String,
    /// Its region when known (else found first, and reported).
    pub region: Option<String>,
}

/// The work on a bucket beyond browsing: whole folders, changes, versions, previews. Each answers
/// under the command's id (a transfer's events too).
#[derive(Debug)]
pub enum BucketJob {
    /// Count what downloading or deleting `picked` (seen from the folder `base`) covers.
    Plan {
        base: String,
        picked: Vec<Picked>,
        purpose: Purpose,
    },
    /// Count the local `paths` (`None`: ask for a folder) for an upload into `prefix`.
    PlanUpload {
        prefix: String,
        paths: Option<Vec<PathBuf>>,
    },
    /// Download a counted plan into `target` (`None`: ask for a folder), as one transfer.
    Download { plan: Plan, target: Option<PathBuf> },
    /// Upload a counted plan, as one transfer.
    Upload { plan: Plan },
    /// Compare the folder `prefix` with a local folder (`None`: ask with a folder dialog).
    PlanSync {
        prefix: String,
        local: Option<PathBuf>,
        direction: Direction,
        compare: Compare,
        delete: bool,
    },
    /// Run a compared sync, as one transfer.
    Sync { plan: Box<SyncPlan> },
    /// Delete these keys.
    Delete { keys: Vec<String> },
    /// Make the folder `name` in `prefix`.
    NewFolder { prefix: String, name: String },
    /// List the versions of `key`.
    Versions { key: String },
    /// Download one version of `key` (`target` `None`: ask with a save dialog).
    DownloadVersion {
        key: String,
        version: String,
        size: u64,
        target: Option<PathBuf>,
    },
    /// Read a preview of `key` (a version of it when given).
    Preview {
        key: String,
        version: Option<String>,
        size: u64,
        kind: PreviewKind,
    },
    /// Resume the interrupted transfer `record` (of this bucket), as a transfer.
    Resume { record: String },
    /// Drop the interrupted transfer `record`: its hidden file or its parts on S3.
    Discard { record: String },
    /// List the bucket's unfinished multipart uploads.
    Unfinished,
    /// Abort these unfinished uploads (key, upload id), then list them again.
    AbortUnfinished { uploads: Vec<(String, String)> },
    /// Properties, a version restored, the bucket's settings.
    Props(PropsJob),
}

impl BrowseCommand {
    /// The session this command uses.
    #[must_use]
    pub fn creds(&self) -> &SessionCreds {
        match self {
            Self::ListBuckets { creds, .. }
            | Self::BucketPage { creds, .. }
            | Self::ListObjects { creds, .. }
            | Self::HeadObject { creds, .. }
            | Self::Presign { creds, .. }
            | Self::Download { creds, .. }
            | Self::Upload { creds, .. } => creds,
            Self::Bucket { at, .. } => &at.creds,
        }
    }
}
