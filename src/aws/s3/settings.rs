//! A bucket's settings, read only: versioning, default encryption, lifecycle rules, policy,
//! Object Lock and the public access block, each read by its own call, all at once. A setting that
//! was never configured (S3 answers with an error such as NoSuchBucketPolicy) is `None`, access
//! denied is said for that setting alone, and any other failure stays with its row.

use std::error::Error as StdError;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::aws::errors::AwsError;

/// One setting as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting<T> {
    Value(T),
    /// Not configured on this bucket.
    None,
    /// The session may not read it.
    NotAllowed,
    /// Reading it failed: why.
    Failed(String),
}

/// One lifecycle rule, summed up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleSummary {
    pub id: String,
    /// Enabled or Disabled.
    pub status: String,
    /// The prefix it applies to ("" for the whole bucket).
    pub prefix: String,
    /// What it does, in words ("expire after 30 days; to GLACIER after 7 days").
    pub summary: String,
}

/// Everything the bucket inspector shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketSettings {
    /// "Enabled" or "Suspended", with MFA delete when on.
    pub versioning: Setting<String>,
    /// One line per rule ("aws:kms with key …, bucket key on").
    pub encryption: Setting<Vec<String>>,
    pub lifecycle: Setting<Vec<LifecycleSummary>>,
    /// The policy, pretty-printed.
    pub policy: Setting<String>,
    /// "Enabled", with the default retention when set.
    pub object_lock: Setting<String>,
    /// The four switches, by name.
    pub public_access: Setting<Vec<(String, bool)>>,
}

/// The error code of a failed call: the one the SDK parsed, else the one in the raw body.
fn code_of<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> Option<String> {
    if let Some(c) = e.code() {
        return Some(c.to_owned());
    }
    let body = e.raw_response()?.body().bytes()?;
    let text = String::from_utf8_lossy(body);
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text.get(start..)?.find("</Code>")? + start;
    text.get(start..end).map(str::to_owned)
}

/// What a failed read means for its row: `none` is the code that says "not configured".
fn failed<T, E>(action: &str, none: &str, e: &SdkError<E, HttpResponse>) -> Setting<T>
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let code = code_of(e);
    let status = e.raw_response().map(|r| r.status().as_u16());
    let denied = matches!(code.as_deref(), Some("AccessDenied" | "AllAccessDisabled"));
    if code.as_deref() == Some(none) {
        Setting::None
    } else if denied || status == Some(403) {
        Setting::NotAllowed
    } else {
        Setting::Failed(AwsError::from_sdk(action, e).message)
    }
}

/// Reads every setting of `bucket`, the six calls at once.
pub async fn bucket_settings(client: &Client, bucket: &str) -> BucketSettings {
    let (versioning, encryption, lifecycle, policy, object_lock, public_access) =
        // Boxed: six SDK calls side by side make a large future.
        Box::pin(async {
            tokio::join!(
        versioning(client, bucket),
        encryption(client, bucket),
        lifecycle(client, bucket),
        policy(client, bucket),
        object_lock(client, bucket),
        public_access(client, bucket),
            )
        })
        .await;
    BucketSettings {
        versioning,
        encryption,
        lifecycle,
        policy,
        object_lock,
        public_access,
    }
}

async fn versioning(client: &Client, bucket: &str) -> Setting<String> {
    match client.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => match out.status() {
            None => Setting::None,
            Some(s) => {
                let mfa = out.mfa_delete().is_some_and(|m| m.as_str() == "Enabled");
                Setting::Value(format!(
                    "{}{}",
                    s.as_str(),
                    if mfa { ", MFA delete on" } else { "" }
                ))
            }
        },
        Err(e) => {
            // Some S3-compatible servers (moto among them) answer 200 under another root
            // element, which the SDK will not read; the status is in the body all the same.
            let body = e
                .raw_response()
                .filter(|r| r.status().as_u16() == 200)
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned());
            match body {
                Some(b) if b.contains("<Status>Enabled</Status>") => {
                    Setting::Value("Enabled".to_owned())
                }
                Some(b) if b.contains("<Status>Suspended</Status>") => {
                    Setting::Value("Suspended".to_owned())
                }
                Some(_) => Setting::None,
                None => failed("Reading the versioning", "", &e),
            }
        }
    }
}

async fn encryption(client: &Client, bucket: &str) -> Setting<Vec<String>> {
    let out = match client.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => out,
        Err(e) => {
            let none = "ServerSideEncryptionConfigurationNotFoundError";
            return failed("Reading the encryption", none, &e);
        }
    };
    let rules = out
        .server_side_encryption_configuration()
        .map(aws_sdk_s3::types::ServerSideEncryptionConfiguration::rules)
        .unwrap_or_default();
    let lines: Vec<String> = rules
        .iter()
        .map(|r| {
            let by_default = r.apply_server_side_encryption_by_default();
            let mut line = by_default.map_or_else(
                || "no default".to_owned(),
                |d| d.sse_algorithm().as_str().to_owned(),
            );
            if let Some(key) = by_default.and_then(|d| d.kms_master_key_id()) {
                line.push_str(&format!(" with key {key}"));
            }
            if r.bucket_key_enabled() == Some(true) {
                line.push_str(", bucket key on");
            }
            line
        })
        .collect();
    if lines.is_empty() {
        Setting::None
    } else {
        Setting::Value(lines)
    }
}

async fn lifecycle(client: &Client, bucket: &str) -> Setting<Vec<LifecycleSummary>> {
    let out = match client
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            return failed(
                "Reading the lifecycle rules",
                "NoSuchLifecycleConfiguration",
                &e,
            );
        }
    };
    let rules: Vec<LifecycleSummary> = out.rules().iter().map(summarize_rule).collect();
    if rules.is_empty() {
        Setting::None
    } else {
        Setting::Value(rules)
    }
}

/// One lifecycle rule in words.
fn summarize_rule(r: &aws_sdk_s3::types::LifecycleRule) -> LifecycleSummary {
    let mut parts = Vec::new();
    if let Some(days) = r
        .expiration()
        .and_then(aws_sdk_s3::types::LifecycleExpiration::days)
    {
        parts.push(format!("expire after {days} days"));
    }
    if r.expiration()
        .and_then(aws_sdk_s3::types::LifecycleExpiration::expired_object_delete_marker)
        == Some(true)
    {
        parts.push("remove expired delete markers".to_owned());
    }
    for t in r.transitions() {
        let class = t.storage_class().map_or("another class", |c| c.as_str());
        match t.days() {
            Some(days) => parts.push(format!("to {class} after {days} days")),
            None => parts.push(format!("to {class}")),
        }
    }
    if let Some(days) = r
        .noncurrent_version_expiration()
        .and_then(aws_sdk_s3::types::NoncurrentVersionExpiration::noncurrent_days)
    {
        parts.push(format!("expire older versions after {days} days"));
    }
    if let Some(days) = r
        .abort_incomplete_multipart_upload()
        .and_then(aws_sdk_s3::types::AbortIncompleteMultipartUpload::days_after_initiation)
    {
        parts.push(format!("abort unfinished uploads after {days} days"));
    }
    #[allow(deprecated)] // the rule's own prefix: older rules have it instead of a filter
    let prefix = r
        .filter()
        .and_then(|f| {
            f.prefix().or_else(|| {
                f.and()
                    .and_then(aws_sdk_s3::types::LifecycleRuleAndOperator::prefix)
            })
        })
        .or_else(|| r.prefix())
        .unwrap_or_default();
    LifecycleSummary {
        id: r.id().unwrap_or("(no id)").to_owned(),
        status: r.status().as_str().to_owned(),
        prefix: prefix.to_owned(),
        summary: if parts.is_empty() {
            "no action".to_owned()
        } else {
            parts.join("; ")
        },
    }
}

async fn policy(client: &Client, bucket: &str) -> Setting<String> {
    match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => match out.policy() {
            None | Some("") => Setting::None,
            Some(p) => Setting::Value(pretty_json(p)),
        },
        Err(e) => failed("Reading the policy", "NoSuchBucketPolicy", &e),
    }
}

/// `text` indented, when it is JSON; else as it is.
#[must_use]
pub fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

async fn object_lock(client: &Client, bucket: &str) -> Setting<String> {
    let out = match client
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let none = "ObjectLockConfigurationNotFoundError";
            return failed("Reading the Object Lock configuration", none, &e);
        }
    };
    let Some(conf) = out.object_lock_configuration() else {
        return Setting::None;
    };
    if conf.object_lock_enabled().is_none() {
        return Setting::None;
    }
    let retention = conf
        .rule()
        .and_then(aws_sdk_s3::types::ObjectLockRule::default_retention)
        .map(|d| {
            let mode = d.mode().map_or("", |m| m.as_str());
            match (d.days(), d.years()) {
                (Some(n), _) => format!("; default retention {mode} for {n} days"),
                (None, Some(n)) => format!("; default retention {mode} for {n} years"),
                (None, None) => String::new(),
            }
        })
        .unwrap_or_default();
    Setting::Value(format!("Enabled{retention}"))
}

async fn public_access(client: &Client, bucket: &str) -> Setting<Vec<(String, bool)>> {
    let out = match client.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => out,
        Err(e) => {
            let none = "NoSuchPublicAccessBlockConfiguration";
            return failed("Reading the public access block", none, &e);
        }
    };
    let Some(c) = out.public_access_block_configuration() else {
        return Setting::None;
    };
    let on = |b: Option<bool>| b == Some(true);
    Setting::Value(vec![
        ("Block public ACLs".to_owned(), on(c.block_public_acls())),
        ("Ignore public ACLs".to_owned(), on(c.ignore_public_acls())),
        (
            "Block public policy".to_owned(),
            on(c.block_public_policy()),
        ),
        (
            "Restrict public buckets".to_owned(),
            on(c.restrict_public_buckets()),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_is_indented_and_other_text_kept() {
        assert_eq!(pretty_json(r#"{"a":[1]}"#), "{\n  \"a\": [\n    1\n  ]\n}");
        assert_eq!(pretty_json("not json"), "not json");
    }
}
