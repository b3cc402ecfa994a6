//! An object's properties: its storage class, Content-Type, user metadata (`x-amz-meta-*`) and
//! tags; changing them, and bringing back an older version.
//!
//! S3 cannot change an object's storage class, Content-Type or metadata where it lies: the object
//! is copied onto itself (CopyObject, `MetadataDirective` REPLACE), which writes it anew. Every
//! header the change does not name is carried over from what HeadObject read (the other
//! metadata, Cache-Control and the other content headers, the encryption), and the copy is
//! conditional on the ETag read (`x-amz-copy-source-if-match`): when someone changed the object
//! since, S3 answers 412 and nothing is overwritten.
//!
//! Tagging has no condition on the server: PutObjectTagging takes no If-Match. On a versioned
//! bucket the tags are put on the exact version read (or written by the copy just before), so a
//! newer version made meanwhile is not tagged by mistake; elsewhere HeadObject is asked just
//! before and the tags are put only when the ETag is still the one expected, which narrows the
//! window to one round trip but cannot close it.

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{MetadataDirective, ServerSideEncryption, StorageClass, Tag, Tagging};

use crate::aws::errors::{AwsError, ErrorKind};

/// The largest object one CopyObject can copy (5 GiB).
pub const COPY_MAX: u64 = 5 * 1024 * 1024 * 1024;
/// S3's limit on user metadata: keys and values together, in bytes.
pub const METADATA_MAX: usize = 2048;
/// S3's limits on an object's tags.
pub const TAGS_MAX: usize = 10;
pub const TAG_KEY_MAX: usize = 128;
pub const TAG_VALUE_MAX: usize = 256;

/// The storage classes an object can be moved to (by copying it).
pub const STORAGE_CLASS_CHOICES: [&str; 7] = [
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

/// What HeadObject and GetObjectTagging said about one object: what the panel shows, and what a
/// change must carry over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectProps {
    pub key: String,
    /// As S3 sent it (with its quotes): the guard of a change.
    pub etag: String,
    /// `None` on a bucket that never kept versions.
    pub version_id: Option<String>,
    pub size: u64,
    pub storage_class: String,
    pub content_type: Option<String>,
    /// Sorted by key.
    pub metadata: Vec<(String, String)>,
    /// Sorted by key.
    pub tags: Vec<(String, String)>,
    /// The headers a copy would otherwise drop.
    pub kept: KeptHeaders,
}

/// The headers a REPLACE copy drops unless sent again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeptHeaders {
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub website_redirect: Option<String>,
    pub encryption: Option<String>,
    pub kms_key: Option<String>,
    pub bucket_key: Option<bool>,
}

/// A change to apply to one object or to each of a selection. Metadata and tags are edits (set
/// these keys, remove those), so what an object has and the change does not name stays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropsChange {
    pub storage_class: Option<String>,
    pub content_type: Option<String>,
    pub metadata_set: Vec<(String, String)>,
    pub metadata_remove: Vec<String>,
    pub tags_set: Vec<(String, String)>,
    pub tags_remove: Vec<String>,
}

impl PropsChange {
    /// Whether it needs the object copied onto itself.
    #[must_use]
    pub fn copies(&self) -> bool {
        self.storage_class.is_some()
            || self.content_type.is_some()
            || !self.metadata_set.is_empty()
            || !self.metadata_remove.is_empty()
    }

    #[must_use]
    pub fn tags(&self) -> bool {
        !self.tags_set.is_empty() || !self.tags_remove.is_empty()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.copies() && !self.tags()
    }
}

/// Applies set/remove edits to a sorted list of pairs; the result is sorted.
#[must_use]
pub fn edited(
    pairs: &[(String, String)],
    set: &[(String, String)],
    remove: &[String],
) -> Vec<(String, String)> {
    let mut out: std::collections::BTreeMap<String, String> = pairs
        .iter()
        .filter(|(k, _)| !remove.contains(k))
        .cloned()
        .collect();
    out.extend(set.iter().cloned());
    out.into_iter().collect()
}

/// The bytes S3 counts against [`METADATA_MAX`].
#[must_use]
pub fn metadata_bytes(pairs: &[(String, String)]) -> usize {
    pairs.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// Why `text` is not a Content-Type (`type/subtype`, optional parameters), or `None`.
#[must_use]
pub fn content_type_problem(text: &str) -> Option<&'static str> {
    let text = text.trim();
    let essence = text.split(';').next().unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match essence.split_once('/') {
        _ if text.is_empty() => Some("Enter a content type such as text/plain"),
        Some((t, s)) if token(t) && token(s) => {
            if text.bytes().any(|b| !(b' '..=b'~').contains(&b)) {
                Some("Only plain ASCII characters are allowed")
            } else {
                None
            }
        }
        _ => Some("A content type looks like type/subtype, e.g. text/plain"),
    }
}

/// Why `key` is not a metadata key keyfob writes (letters, digits and `-`), or `None`.
#[must_use]
pub fn metadata_key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("Enter a key")
    } else if key.contains(' ') {
        Some("A key cannot contain spaces")
    } else if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Some("Use letters, digits and - only")
    } else {
        None
    }
}

/// Why `value` cannot be sent as a metadata value (a header: plain ASCII), or `None`.
#[must_use]
pub fn metadata_value_problem(value: &str) -> Option<&'static str> {
    value
        .bytes()
        .any(|b| !(b' '..=b'~').contains(&b))
        .then_some("Only plain ASCII characters are allowed")
}

/// Why a tag key is refused, or `None`.
#[must_use]
pub fn tag_key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("Enter a key")
    } else if key.chars().count() > TAG_KEY_MAX {
        Some("A tag key has at most 128 characters")
    } else if key.starts_with("aws:") {
        Some("Keys starting with aws: are reserved")
    } else {
        None
    }
}

/// Why a tag value is refused, or `None`.
#[must_use]
pub fn tag_value_problem(value: &str) -> Option<&'static str> {
    (value.chars().count() > TAG_VALUE_MAX).then_some("A tag value has at most 256 characters")
}

/// The sentence for an object that changed after it was read.
fn changed(key: &str) -> AwsError {
    AwsError::new(
        ErrorKind::Changed,
        format!("{key} changed since you opened it; not overwritten"),
    )
}

/// Whether an SDK error is S3's 412 Precondition Failed.
fn precondition_failed<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> bool {
    e.raw_response().is_some_and(|r| r.status().as_u16() == 412)
}

/// HeadObject and GetObjectTagging of `key`, for the panel and as the guard of a change.
pub async fn read_props(client: &Client, bucket: &str, key: &str) -> Result<ObjectProps, AwsError> {
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(&format!("Reading {key}"), &e))?;
    if head.sse_customer_algorithm().is_some() {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!("{key} is encrypted with a key of your own (SSE-C); keyfob cannot copy it"),
        ));
    }
    let version_id = head
        .version_id()
        .filter(|v| *v != "null")
        .map(str::to_owned);
    let mut metadata: Vec<(String, String)> = head
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    metadata.sort();
    let tags = get_tags(client, bucket, key, version_id.as_deref()).await?;
    Ok(ObjectProps {
        key: key.to_owned(),
        etag: head.e_tag().unwrap_or_default().to_owned(),
        version_id,
        size: u64::try_from(head.content_length().unwrap_or(0)).unwrap_or(0),
        storage_class: head
            .storage_class()
            .map_or_else(|| "STANDARD".to_owned(), |c| c.as_str().to_owned()),
        content_type: head.content_type().map(str::to_owned),
        metadata,
        tags,
        kept: KeptHeaders {
            cache_control: head.cache_control().map(str::to_owned),
            content_disposition: head.content_disposition().map(str::to_owned),
            content_encoding: head.content_encoding().map(str::to_owned),
            content_language: head.content_language().map(str::to_owned),
            website_redirect: head.website_redirect_location().map(str::to_owned),
            encryption: head.server_side_encryption().map(|s| s.as_str().to_owned()),
            kms_key: head.ssekms_key_id().map(str::to_owned),
            bucket_key: head.bucket_key_enabled(),
        },
    })
}

/// GetObjectTagging, sorted by key.
async fn get_tags(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<Vec<(String, String)>, AwsError> {
    let out = client
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(&format!("Reading the tags of {key}"), &e))?;
    let mut tags: Vec<(String, String)> = out
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    Ok(tags)
}

/// `bucket/key` (with `?versionId=`) as CopyObject's source: the key percent-encoded, its `/`
/// kept.
fn copy_source(bucket: &str, key: &str, version: Option<&str>) -> String {
    let key: Vec<String> = key.split('/').map(crate::aws::percent_encode).collect();
    let mut source = format!("{bucket}/{}", key.join("/"));
    if let Some(v) = version {
        source.push_str("?versionId=");
        source.push_str(&crate::aws::percent_encode(v));
    }
    source
}

/// Applies `change` to the object as `read` found it. Refused, with nothing written, when the
/// object changed since (see the module's comment for what tagging can promise).
pub async fn apply_change(
    client: &Client,
    bucket: &str,
    read: &ObjectProps,
    change: &PropsChange,
) -> Result<(), AwsError> {
    let key = read.key.as_str();
    let (mut etag, mut version) = (read.etag.clone(), read.version_id.clone());
    if change.copies() {
        let (new_etag, new_version) = copy_in_place(client, bucket, read, change).await?;
        etag = new_etag;
        version = new_version.or(version);
    }
    if !change.tags() {
        return Ok(());
    }
    let tags = edited(&read.tags, &change.tags_set, &change.tags_remove);
    if tags.len() > TAGS_MAX {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!("{key} would have more than {TAGS_MAX} tags; not changed"),
        ));
    }
    if version.is_none() {
        // No version to pin the tags to: check that the object is still the one read.
        let now = client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(&format!("Reading {key}"), &e))?;
        if now.e_tag() != Some(etag.as_str()) {
            return Err(changed(key));
        }
    }
    put_tags(client, bucket, key, version.as_deref(), &tags).await
}

/// PutObjectTagging with the whole set.
async fn put_tags(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    tags: &[(String, String)],
) -> Result<(), AwsError> {
    let invalid =
        |e: aws_sdk_s3::error::BuildError| AwsError::new(ErrorKind::Invalid, e.to_string());
    let set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(invalid)?;
    client
        .put_object_tagging()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(&format!("Tagging {key}"), &e))?;
    Ok(())
}

/// Copies the object onto itself with the new headers, conditional on the ETag read: the new
/// ETag and version.
async fn copy_in_place(
    client: &Client,
    bucket: &str,
    read: &ObjectProps,
    change: &PropsChange,
) -> Result<(String, Option<String>), AwsError> {
    let key = read.key.as_str();
    if read.size > COPY_MAX {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!("{key} is larger than 5 GiB, which S3 cannot copy in one request; not changed"),
        ));
    }
    let metadata = edited(
        &read.metadata,
        &change.metadata_set,
        &change.metadata_remove,
    );
    if metadata_bytes(&metadata) > METADATA_MAX {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!("{key}'s metadata would be larger than 2 KB; not changed"),
        ));
    }
    let class = change
        .storage_class
        .as_deref()
        .unwrap_or(&read.storage_class);
    let content_type = change
        .content_type
        .clone()
        .or_else(|| read.content_type.clone());
    let k = &read.kept;
    let out = client
        .copy_object()
        .bucket(bucket)
        .key(key)
        // The current object, not the version read: pinned to that version the condition below
        // would always hold, and a newer upload made meanwhile would be silently undone.
        .copy_source(copy_source(bucket, key, None))
        .copy_source_if_match(&read.etag)
        .metadata_directive(MetadataDirective::Replace)
        .set_metadata(Some(metadata.into_iter().collect()))
        .set_content_type(content_type)
        .storage_class(StorageClass::from(class))
        .set_cache_control(k.cache_control.clone())
        .set_content_disposition(k.content_disposition.clone())
        .set_content_encoding(k.content_encoding.clone())
        .set_content_language(k.content_language.clone())
        .set_website_redirect_location(k.website_redirect.clone())
        .set_server_side_encryption(k.encryption.as_deref().map(ServerSideEncryption::from))
        .set_ssekms_key_id(k.kms_key.clone())
        .set_bucket_key_enabled(k.bucket_key)
        .send()
        .await
        .map_err(|e| {
            if precondition_failed(&e) {
                changed(key)
            } else {
                AwsError::from_sdk(&format!("Changing {key}"), &e)
            }
        })?;
    let etag = out
        .copy_object_result()
        .and_then(|r| r.e_tag())
        .unwrap_or_default()
        .to_owned();
    Ok((
        etag,
        out.version_id().filter(|v| *v != "null").map(str::to_owned),
    ))
}

/// Makes `version` of `key` its current version again (a copy of it onto the key, which on a
/// versioned bucket adds a new version with its bytes). `latest` is the version the user saw as
/// the newest: when the key's current version is another one now, nothing is copied. The copy
/// is also conditional on the current ETag (`If-Match` on the destination), for a change made
/// between that check and the copy. Returns the new version's id.
pub async fn restore_version(
    client: &Client,
    bucket: &str,
    key: &str,
    version: &str,
    latest: Option<&str>,
) -> Result<Option<String>, AwsError> {
    let old = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .version_id(version)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(&format!("Reading version {version} of {key}"), &e))?;
    if u64::try_from(old.content_length().unwrap_or(0)).unwrap_or(0) > COPY_MAX {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!(
                "That version of {key} is larger than 5 GiB, which S3 cannot copy in one request"
            ),
        ));
    }
    // The current version, unless the key's newest version is a delete marker (then nothing is
    // current and HeadObject answers 404 or 405).
    // (The delete marker's own version id comes in the refusal's headers, so a deletion made
    // since the listing is noticed too.)
    let (current, newest) = match client.head_object().bucket(bucket).key(key).send().await {
        Ok(h) => {
            let v = h.version_id().map(str::to_owned);
            (Some((v.clone(), h.e_tag().map(str::to_owned))), v)
        }
        Err(e)
            if e.raw_response()
                .is_some_and(|r| matches!(r.status().as_u16(), 404 | 405)) =>
        {
            let marker = e
                .raw_response()
                .and_then(|r| r.headers().get("x-amz-version-id"))
                .map(str::to_owned);
            (None, marker)
        }
        Err(e) => return Err(AwsError::from_sdk(&format!("Reading {key}"), &e)),
    };
    if let (Some(latest), Some(now)) = (latest, newest.as_deref())
        && latest != now
    {
        return Err(AwsError::new(
            ErrorKind::Changed,
            format!("{key} changed since its versions were listed; nothing was restored"),
        ));
    }
    let out = client
        .copy_object()
        .bucket(bucket)
        .key(key)
        .copy_source(copy_source(bucket, key, Some(version)))
        .set_if_match(current.and_then(|(_, etag)| etag))
        .send()
        .await
        .map_err(|e| {
            if precondition_failed(&e) {
                AwsError::new(
                    ErrorKind::Changed,
                    format!("{key} changed since its versions were listed; nothing was restored"),
                )
            } else {
                AwsError::from_sdk(&format!("Restoring {key}"), &e)
            }
        })?;
    Ok(out.version_id().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn edits_keep_what_they_do_not_name() {
        let had = pairs(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let out = edited(&had, &pairs(&[("b", "20"), ("d", "4")]), &["c".to_owned()]);
        assert_eq!(out, pairs(&[("a", "1"), ("b", "20"), ("d", "4")]));
    }

    #[test]
    fn content_types() {
        for good in [
            "text/plain",
            "application/vnd.api+json",
            "text/html; charset=utf-8",
        ] {
            assert_eq!(content_type_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "text",
            "text/",
            "/plain",
            "te xt/plain",
            "text/pl/ain",
            "text/plaïn",
        ] {
            assert!(content_type_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn metadata_and_tag_rules() {
        assert_eq!(metadata_key_problem("owner-2"), None);
        assert!(metadata_key_problem("").is_some());
        assert_eq!(
            metadata_key_problem("my key"),
            Some("A key cannot contain spaces")
        );
        assert!(metadata_key_problem("a_b").is_some());
        assert!(metadata_value_problem("ü").is_some());
        assert_eq!(metadata_value_problem("plain text"), None);
        assert_eq!(metadata_bytes(&pairs(&[("ab", "cde")])), 5);
        assert_eq!(tag_key_problem(&"k".repeat(128)), None);
        assert!(tag_key_problem(&"k".repeat(129)).is_some());
        assert!(tag_value_problem(&"v".repeat(257)).is_some());
        assert_eq!(tag_value_problem(&"v".repeat(256)), None);
    }

    #[test]
    fn copy_sources_encode_the_key_but_its_slashes() {
        assert_eq!(
            copy_source("b", "a dir/x+y.txt", Some("v 1")),
            "b/a%20dir/x%2By.txt?versionId=v%201"
        );
        assert_eq!(copy_source("b", "k", None), "b/k");
    }
}
