//! S3 with a signed-in session: queries (buckets, regions, folder pages, details, versions,
//! presigned links, previews), changes (delete, new folder), transfers (verified downloads in
//! parallel ranges, multipart uploads in parallel parts) and whole trees of them, each reporting
//! progress.

mod batch;
mod buckets;
mod change;
mod download;
pub mod endpoint;
pub mod location;
mod partial;
mod preview;
mod props;
mod query;
mod resume;
mod settings;
pub mod sync;
mod tree;
mod unfinished;
mod upload;
mod verify;

pub use batch::{BatchReport, FILES_AT_ONCE, download_plan, upload_plan};
pub use buckets::{BUCKET_PAGE, BucketPage, BucketQuery, list_bucket_page};
pub use change::{
    DELETE_BATCH, DeleteReport, VersionInfo, bucket_versioned, create_folder, delete_keys,
    list_versions,
};
pub use download::{
    Existing, Object, PARALLEL_RANGES, RANGE_SIZE, download, download_if_match, download_object,
    download_resumable,
};
pub use partial::resume_download;
pub use preview::{
    IMAGE_MAX, IMAGE_SIDE, Preview, PreviewKind, TEXT_MAX, decode, preview, preview_kind,
};
pub use props::{
    COPY_MAX, KeptHeaders, METADATA_MAX, ObjectProps, PropsChange, STORAGE_CLASS_CHOICES,
    TAG_KEY_MAX, TAG_VALUE_MAX, TAGS_MAX, apply_change, content_type_problem, edited,
    metadata_bytes, metadata_key_problem, metadata_value_problem, read_props, restore_version,
    tag_key_problem, tag_value_problem,
};
pub use query::{
    BucketInfo, Clients, ObjectDetails, ObjectEntry, PRESIGN_MAX, Page, bucket_region, client,
    client_in, head_object, list_buckets, list_page, presign_get,
};
pub use resume::{
    DownloadState, FileTime, Job, Keep, RECORD_VERSION, Record, Resumed, Store, UploadState,
    valid_id,
};
pub use settings::{BucketSettings, LifecycleSummary, Setting, bucket_settings, pretty_json};
pub use tree::{
    Picked, Plan, PlannedFile, Skipped, plan_delete, plan_download, plan_upload, safe_relative,
};
pub use unfinished::{Unfinished, abort_unfinished, discard, list_unfinished, resume_upload};
pub use upload::{
    BUFFER_BUDGET, Guard, MULTIPART_THRESHOLD, PARALLEL_PARTS, PART_SIZE, part_size, upload,
    upload_guarded, upload_resumable,
};

/// Progress of a transfer, reported as bytes done.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;
