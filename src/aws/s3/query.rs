//! Asking S3 about things with a signed-in session: the client, buckets and their regions, one
//! page of a folder at a time, object details, presigned GET URLs.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::presigning::PresigningConfig;

use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::{AwsEnv, SourceCredentials};
use crate::listing::storage_class_code;
use crate::secret::Secret;
use crate::session::Credentials;

/// The longest a presigned URL may live (S3's limit for SigV4).
pub const PRESIGN_MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// An S3 client for `region` signed with the session's credentials, with the S3 settings of the
/// selected profile (see [`client_in`]).
pub async fn client(env: &AwsEnv, creds: &Credentials, region: Option<&str>) -> Client {
    client_in(env, creds, region, None).await
}

/// An S3 client for `region` signed with the session's credentials, with `profile`'s S3 settings
/// (`None`, or a profile no longer in the files: the selected profile's): path-style addressing
/// when an endpoint is configured (local and S3-compatible servers) unless the profile asks for
/// virtual hosts, and on a non-AWS endpoint checksums only where required unless configured.
pub async fn client_in(
    env: &AwsEnv,
    creds: &Credentials,
    region: Option<&str>,
    profile: Option<&str>,
) -> Client {
    let (settings, profile) = super::endpoint::settings(env, profile).await;
    let conf = env
        .sdk_config_in(
            &SourceCredentials::Static(creds.clone()),
            region,
            profile.as_deref(),
        )
        .await;
    let mut b = aws_sdk_s3::config::Builder::from(&conf).force_path_style(settings.path_style);
    if settings.request_when_required {
        b = b.request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
    }
    if settings.response_when_required {
        b = b.response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    Client::from_conf(b.build())
}

/// Access key, region, profile.
type ClientKey = (String, String, String);

/// S3 clients by access key, region and profile, made once and reused: a client holds the SDK's HTTP
/// connection pool, so reusing it keeps connections (and their TLS sessions) open between a
/// folder's pages, the details, the links and the transfers, where a client per request paid a
/// new connection each time. A session's key is its own, so a renewed session gets new clients.
#[derive(Debug, Default)]
pub struct Clients {
    cache: std::sync::Mutex<std::collections::HashMap<ClientKey, Client>>,
}

impl Clients {
    /// Beyond this many (sessions × regions) the cache starts again rather than grow all day.
    const MAX: usize = 32;

    /// The client for `creds` in `region` (`None`: the configured or default region).
    pub async fn get(&self, env: &AwsEnv, creds: &Credentials, region: Option<&str>) -> Client {
        self.get_in(env, creds, region, None).await
    }

    /// The client for `creds` in `region` with `profile`'s S3 settings (see [`client_in`]).
    pub async fn get_in(
        &self,
        env: &AwsEnv,
        creds: &Credentials,
        region: Option<&str>,
        profile: Option<&str>,
    ) -> Client {
        let key = (
            creds.access_key_id.clone(),
            region.unwrap_or_default().to_owned(),
            profile.unwrap_or_default().to_owned(),
        );
        if let Some(c) = self.lock().get(&key) {
            return c.clone();
        }
        // Built without the lock held: two first uses may both build, and one is kept.
        let made = client_in(env, creds, region, profile).await;
        let mut cache = self.lock();
        if cache.len() >= Self::MAX {
            cache.clear();
        }
        cache.entry(key).or_insert(made).clone()
    }

    /// How many clients are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<ClientKey, Client>> {
        // A panic while the lock was held cannot leave the map half-changed: use it as it is.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A bucket in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketInfo {
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created: Option<SystemTime>,
    /// Its region, when ListBuckets said.
    pub region: Option<String>,
}

/// Every bucket of the account (ListBuckets, all pages).
pub async fn list_buckets(client: &Client) -> Result<Vec<BucketInfo>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_buckets()
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Listing buckets", &e))?;
        for b in page.buckets() {
            if let Some(name) = b.name() {
                out.push(BucketInfo {
                    name: name.to_owned(),
                    created: b
                        .creation_date()
                        .and_then(|d| SystemTime::try_from(*d).ok()),
                    region: b.bucket_region().map(str::to_owned),
                });
            }
        }
        token = page.continuation_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The region a bucket lives in: HeadBucket's `x-amz-bucket-region` (present even when the
/// request went to the wrong region), else GetBucketLocation.
pub async fn bucket_region(client: &Client, bucket: &str) -> Result<String, AwsError> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(out) => {
            if let Some(r) = out.bucket_region() {
                return Ok(r.to_owned());
            }
        }
        Err(e) => {
            if let Some(raw) = e.raw_response()
                && let Some(r) = raw.headers().get("x-amz-bucket-region")
            {
                return Ok(r.to_owned());
            }
            let status = e.raw_response().map(|r| r.status().as_u16());
            if status == Some(404) {
                return Err(AwsError::new(
                    ErrorKind::NotFound,
                    format!("There is no bucket named {bucket}"),
                ));
            }
        }
    }
    let loc = client
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Finding the bucket's region", &e))?;
    // An empty constraint means us-east-1 (and "EU" the old name of eu-west-1).
    Ok(
        match loc
            .location_constraint()
            .map(aws_sdk_s3::types::BucketLocationConstraint::as_str)
        {
            None | Some("") => "us-east-1".to_owned(),
            Some("EU") => "eu-west-1".to_owned(),
            Some(r) => r.to_owned(),
        },
    )
}

/// One object as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectEntry {
    /// The full key.
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// Last modified, seconds since 1970.
    pub modified: i64,
    /// Storage class code (see [`crate::listing::STORAGE_CLASSES`]).
    pub class: u8,
}

/// One page of a folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Common prefixes (sub-folders), with their trailing `/`.
    pub folders: Vec<String>,
    /// Objects.
    pub objects: Vec<ObjectEntry>,
    /// The token for the next page; `None` on the last.
    pub next: Option<String>,
}

/// One ListObjectsV2 page of `prefix` in `bucket`, folders split off by `/` (or everything under
/// the prefix when `delimiter` is false: the server-side search).
pub async fn list_page(
    client: &Client,
    bucket: &str,
    prefix: &str,
    delimiter: bool,
    token: Option<String>,
    max_keys: Option<i32>,
) -> Result<Page, AwsError> {
    let out = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_delimiter(delimiter.then(|| "/".to_owned()))
        .set_continuation_token(token)
        .set_max_keys(max_keys)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Listing the folder", &e))?;
    let folders = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix().map(str::to_owned))
        .collect();
    let objects = out
        .contents()
        .iter()
        .filter_map(|o| {
            Some(ObjectEntry {
                key: o.key()?.to_owned(),
                size: u64::try_from(o.size().unwrap_or(0)).unwrap_or(0),
                modified: o
                    .last_modified()
                    .map_or(0, aws_smithy_types::DateTime::secs),
                class: storage_class_code(o.storage_class().map_or("", |c| c.as_str())),
            })
        })
        .collect();
    let next = if out.is_truncated() == Some(true) {
        out.next_continuation_token().map(str::to_owned)
    } else {
        None
    };
    Ok(Page {
        folders,
        objects,
        next,
    })
}

/// HeadObject: what the details panel shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectDetails {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// Content-Type.
    pub content_type: Option<String>,
    /// ETag (quotes removed).
    pub etag: Option<String>,
    /// Storage class (`STANDARD` when S3 leaves it out).
    pub storage_class: String,
    /// Last modified (RFC 3339).
    pub modified: Option<String>,
    /// x-amz-meta-* user metadata, sorted.
    pub metadata: Vec<(String, String)>,
}

/// HeadObject.
pub async fn head_object(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<ObjectDetails, AwsError> {
    let out = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Reading the object's details", &e))?;
    let mut metadata: Vec<(String, String)> = out
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    metadata.sort();
    Ok(ObjectDetails {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size: u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0),
        content_type: out.content_type().map(str::to_owned),
        etag: out.e_tag().map(|e| e.trim_matches('"').to_owned()),
        storage_class: out
            .storage_class()
            .map_or_else(|| "STANDARD".to_owned(), |c| c.as_str().to_owned()),
        modified: out
            .last_modified()
            .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        metadata,
    })
}

/// A presigned GET URL for `key`, valid for `wanted` but never longer than the session has left
/// (a URL signed with temporary credentials dies with them) nor S3's 7 days. Returns the URL and
/// the validity used.
pub async fn presign_get(
    client: &Client,
    bucket: &str,
    key: &str,
    wanted: Duration,
    session_left: Duration,
) -> Result<(Secret, Duration), AwsError> {
    let valid = wanted.min(session_left).min(PRESIGN_MAX);
    if valid < Duration::from_secs(1) {
        return Err(AwsError::new(
            ErrorKind::Expired,
            "The session has expired: renew it to make a link",
        ));
    }
    let config = PresigningConfig::expires_in(valid)
        .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
    let req = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .map_err(|e| AwsError::from_sdk("Making the link", &e))?;
    // Made with temporary credentials, the URL carries the session token
    // (X-Amz-Security-Token): it is a secret like the token itself.
    Ok((Secret::new(req.uri()), valid))
}
