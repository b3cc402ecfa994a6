//! The account's buckets a page at a time (ListBuckets with MaxBuckets and ContinuationToken),
//! filtered on the server by name prefix and by region, so an account with thousands of buckets
//! shows the first ones after one round trip.

use std::time::SystemTime;

use aws_sdk_s3::Client;

use super::BucketInfo;
use crate::aws::errors::AwsError;

/// Buckets per page when the browser asks for none (S3 allows up to 10,000).
pub const BUCKET_PAGE: i32 = 1000;

/// Which page of which buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketQuery {
    /// Only names beginning with this ("" for all).
    pub prefix: String,
    /// Only buckets in this region ("" for all).
    pub region: String,
    /// Continue from this token (`None`: the first page).
    pub token: Option<String>,
    /// Buckets per page (`None`: [`BUCKET_PAGE`]).
    pub page_size: Option<i32>,
}

/// One page of buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketPage {
    pub buckets: Vec<BucketInfo>,
    /// The token for the next page; `None` on the last.
    pub next: Option<String>,
}

/// One ListBuckets page for `query`.
pub async fn list_bucket_page(
    client: &Client,
    query: &BucketQuery,
) -> Result<BucketPage, AwsError> {
    let nonempty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let out = client
        .list_buckets()
        .max_buckets(query.page_size.unwrap_or(BUCKET_PAGE))
        .set_continuation_token(query.token.clone())
        .set_prefix(nonempty(&query.prefix))
        .set_bucket_region(nonempty(&query.region))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Listing buckets", &e))?;
    let buckets = out
        .buckets()
        .iter()
        .filter_map(|b| {
            Some(BucketInfo {
                name: b.name()?.to_owned(),
                created: b
                    .creation_date()
                    .and_then(|d| SystemTime::try_from(*d).ok()),
                region: b.bucket_region().map(str::to_owned),
            })
        })
        .collect();
    Ok(BucketPage {
        buckets,
        next: out.continuation_token().map(str::to_owned),
    })
}
