//! S3 with a signed-in session: queries (buckets, regions, folder pages, details, presigned
//! links) and transfers (verified downloads, multipart uploads), each reporting progress.

mod query;
mod transfer;

pub use query::{
    BucketInfo, Clients, ObjectDetails, ObjectEntry, PRESIGN_MAX, Page, bucket_region, client,
    head_object, list_buckets, list_page, presign_get,
};
pub use transfer::{Existing, MULTIPART_THRESHOLD, PART_SIZE, Progress, download, upload};
