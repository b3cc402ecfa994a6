//! S3-compatible services (MinIO, Ceph, Cloudflare R2, Wasabi …): where a profile sends its S3
//! calls, and how. The SDK's loader already reads the endpoint (`endpoint_url`, a `services`
//! section, `AWS_ENDPOINT_URL[_S3]`) and the checksum settings; keyfob adds the AWS CLI's nested
//! `s3 = addressing_style = …` setting, and keeps the SDK's default flexible checksums (which many
//! S3-compatible servers reject) for AWS itself unless the profile asks for them.

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::property::PropertiesKey;
use aws_types::os_shim_internal::{Env, Fs};

/// The AWS CLI's `addressing_style` in a profile's `s3 =` block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Addressing {
    #[default]
    Auto,
    Path,
    Virtual,
}

/// What the configuration says about S3 for one profile (and the environment).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Config {
    /// The endpoint S3 calls go to when one is configured, without a trailing `/`.
    pub endpoint: Option<String>,
    pub addressing: Addressing,
    /// The profile or the environment sets `request_checksum_calculation`.
    pub request_checksum_set: bool,
    /// The profile or the environment sets `response_checksum_validation`.
    pub response_checksum_set: bool,
}

/// How keyfob's S3 client is built for a profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Settings {
    /// The endpoint when it is not AWS's (shown in the browser's header).
    pub custom_endpoint: Option<String>,
    /// `bucket` in the path rather than the host name.
    pub path_style: bool,
    /// Checksums only where the operation requires them (requests), and responses validated only
    /// where required.
    pub request_when_required: bool,
    pub response_when_required: bool,
}

/// Whether `url` is one of AWS's own endpoints (any partition, dual-stack and FIPS included).
#[must_use]
pub fn is_aws(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    [
        ".amazonaws.com",
        ".amazonaws.com.cn",
        ".api.aws",
        ".c2s.ic.gov",
        ".sc2s.sgov.gov",
    ]
    .iter()
    .any(|d| host.ends_with(d))
}

/// Path-style when the profile says `path`, or when an endpoint is configured and the profile
/// does not say `virtual` (most S3-compatible servers have no wildcard DNS for bucket names);
/// checksums as the SDK's default on AWS, only where required elsewhere, unless configured.
#[must_use]
pub fn decide(c: &S3Config) -> S3Settings {
    let custom = c.endpoint.as_deref().filter(|u| !is_aws(u));
    S3Settings {
        custom_endpoint: custom.map(str::to_owned),
        path_style: match c.addressing {
            Addressing::Path => true,
            Addressing::Virtual => false,
            Addressing::Auto => c.endpoint.is_some(),
        },
        request_when_required: custom.is_some() && !c.request_checksum_set,
        response_when_required: custom.is_some() && !c.response_checksum_set,
    }
}

/// Reads `profile`'s S3 settings (the selected profile when `None`) from the loaded files and the
/// environment; `code_endpoint` is an endpoint keyfob itself was given, which wins over both.
#[must_use]
pub fn read(
    set: &ProfileSet,
    profile: Option<&str>,
    env: &Env,
    code_endpoint: Option<&str>,
) -> S3Config {
    let p = set.get_profile(profile.unwrap_or_else(|| set.selected_profile()));
    let key = |k: &str| {
        p.and_then(|p| p.get(k))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let var = |k: &str| env.get(k).ok().filter(|v| !v.trim().is_empty());
    let ignore = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| key("ignore_configured_endpoint_urls").map(str::to_owned))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let configured = || {
        var("AWS_ENDPOINT_URL_S3")
            .or_else(|| services_endpoint(set, key("services")?))
            .or_else(|| var("AWS_ENDPOINT_URL"))
            .or_else(|| key("endpoint_url").map(str::to_owned))
    };
    let endpoint = code_endpoint
        .map(str::to_owned)
        .or_else(|| if ignore { None } else { configured() })
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .filter(|u| !u.is_empty());
    let addressing = match nested(key("s3"), "addressing_style").as_deref() {
        Some("path") => Addressing::Path,
        Some("virtual") => Addressing::Virtual,
        _ => Addressing::Auto,
    };
    // The SDK's loader reads these keys too, but fills in its default (`when_supported`) when
    // neither is set, so whether the user chose one is read here.
    S3Config {
        endpoint,
        addressing,
        request_checksum_set: var("AWS_REQUEST_CHECKSUM_CALCULATION").is_some()
            || key("request_checksum_calculation").is_some(),
        response_checksum_set: var("AWS_RESPONSE_CHECKSUM_VALIDATION").is_some()
            || key("response_checksum_validation").is_some(),
    }
}

/// The S3 settings of `profile` (the selected profile when `None`), read from keyfob's profile
/// files and the process environment, and the profile to load the SDK's settings from: `profile`
/// when the files hold it, else `None` (the selected one).
pub async fn settings(
    env: &crate::aws::AwsEnv,
    profile: Option<&str>,
) -> (S3Settings, Option<String>) {
    let files = env.profile_files.to_sdk().unwrap_or_default();
    let real = Env::real();
    let set = aws_config::profile::load(&Fs::real(), &real, &files, None).await;
    let set = match set {
        Ok(set) => set,
        Err(e) => {
            tracing::warn!("cannot read the AWS config for S3's settings: {e}");
            let only = S3Config {
                endpoint: env.endpoint_url.clone(),
                ..S3Config::default()
            };
            return (decide(&only), None);
        }
    };
    let profile = profile.filter(|p| set.get_profile(p).is_some());
    let config = read(&set, profile, &real, env.endpoint_url.as_deref());
    (decide(&config), profile.map(str::to_owned))
}

/// `s3 = endpoint_url = …` in the `[services NAME]` section a profile names.
fn services_endpoint(set: &ProfileSet, name: &str) -> Option<String> {
    let k = PropertiesKey::builder()
        .section_key("services")
        .section_name(name)
        .property_name("s3")
        .sub_property_name("endpoint_url")
        .build()
        .ok()?;
    let v = set.other_sections().get(&k)?.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// A key of a nested block (`s3 =` followed by indented `key = value` lines), as the SDK's parser
/// keeps it: the lines after the `=`, joined by newlines.
fn nested(block: Option<&str>, name: &str) -> Option<String> {
    block?.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == name).then(|| v.trim().to_ascii_lowercase())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};

    async fn config(text: &str, profile: Option<&str>, env: &[(&str, &str)]) -> S3Config {
        let files = EnvConfigFiles::builder()
            .with_contents(EnvConfigFileKind::Config, text)
            .build();
        let env = Env::from_slice(env);
        let set = aws_config::profile::load(&Fs::from_slice(&[]), &env, &files, None)
            .await
            .expect("parse");
        read(&set, profile, &env, None)
    }

    const FILE: &str = "[default]\nregion = us-east-1\n\n\
        [profile minio]\nendpoint_url = http://127.0.0.1:9000/\n\n\
        [profile r2]\nendpoint_url = https://acct.r2.cloudflarestorage.com\ns3 =\n  addressing_style = virtual\n\n\
        [profile ceph]\nservices = ceph-s3\ns3 =\n    addressing_style = path\n    max_concurrent_requests = 4\nrequest_checksum_calculation = when_supported\n\n\
        [services ceph-s3]\ns3 =\n  endpoint_url = https://ceph.example.net\n\n\
        [profile aws-path]\ns3 =\n  addressing_style = path\n";

    #[tokio::test]
    async fn each_profile_read() {
        let minio = config(FILE, Some("minio"), &[]).await;
        assert_eq!(minio.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(minio.addressing, Addressing::Auto);
        let r2 = config(FILE, Some("r2"), &[]).await;
        assert_eq!(r2.addressing, Addressing::Virtual);
        let ceph = config(FILE, Some("ceph"), &[]).await;
        assert_eq!(ceph.endpoint.as_deref(), Some("https://ceph.example.net"));
        assert_eq!(ceph.addressing, Addressing::Path);
        assert!(ceph.request_checksum_set && !ceph.response_checksum_set);
        let default = config(FILE, None, &[]).await;
        assert_eq!(default, S3Config::default());
        // The environment's endpoint, and the switch that ignores configured ones.
        let env = [("AWS_ENDPOINT_URL_S3", "http://env:1")];
        let by_env = config(FILE, Some("minio"), &env).await;
        assert_eq!(by_env.endpoint.as_deref(), Some("http://env:1"));
        let ignore = [("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")];
        assert_eq!(config(FILE, Some("minio"), &ignore).await.endpoint, None);
        let env = [("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_supported")];
        assert!(
            config(FILE, Some("minio"), &env)
                .await
                .response_checksum_set
        );
    }

    #[tokio::test]
    async fn what_is_decided() {
        let minio = decide(&config(FILE, Some("minio"), &[]).await);
        assert_eq!(
            minio,
            S3Settings {
                custom_endpoint: Some("http://127.0.0.1:9000".into()),
                path_style: true,
                request_when_required: true,
                response_when_required: true,
            }
        );
        // Virtual-host style kept when asked for, on a custom endpoint.
        let r2 = decide(&config(FILE, Some("r2"), &[]).await);
        assert!(!r2.path_style && r2.request_when_required);
        // The profile's own checksum choice is kept.
        let ceph = decide(&config(FILE, Some("ceph"), &[]).await);
        assert!(ceph.path_style && !ceph.request_when_required && ceph.response_when_required);
        // AWS itself: path style only when asked; the SDK's checksums untouched.
        let aws = decide(&config(FILE, Some("aws-path"), &[]).await);
        assert_eq!(
            aws,
            S3Settings {
                path_style: true,
                ..S3Settings::default()
            }
        );
        assert_eq!(decide(&S3Config::default()), S3Settings::default());
        let fips = S3Config {
            endpoint: Some("https://s3-fips.us-gov-west-1.amazonaws.com".into()),
            ..S3Config::default()
        };
        let fips = decide(&fips);
        assert!(fips.custom_endpoint.is_none() && fips.path_style && !fips.request_when_required);
    }

    #[test]
    fn aws_hosts() {
        for url in [
            "https://s3.eu-west-1.amazonaws.com",
            "https://s3.cn-north-1.amazonaws.com.cn/",
            "https://s3.dualstack.us-east-1.api.aws",
            "https://S3.AMAZONAWS.COM:443",
        ] {
            assert!(is_aws(url), "{url}");
        }
        for url in [
            "http://127.0.0.1:9000",
            "https://acct.r2.cloudflarestorage.com",
            "https://amazonaws.com.evil.example",
            "https://s3.wasabisys.com",
        ] {
            assert!(!is_aws(url), "{url}");
        }
    }
}
