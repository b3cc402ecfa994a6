//! Everything that talks to AWS: where to reach it ([`AwsEnv`]), which credentials sign the first
//! call ([`SourceCredentials`]), and the SDK configuration built from both.

pub mod cached_sign_in;
pub mod config_file;
pub mod console;
pub mod errors;
pub mod login;
pub mod pkce;
pub mod profiles;
pub mod s3;
pub mod sso;
pub mod sts;
pub mod token_file;

use std::path::PathBuf;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};

use crate::session::{Credentials, SourceChoice};

/// The region used when neither the form, the profile nor the environment names one. STS, IAM and
/// ListBuckets answer from any region.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Network limits. A refused connection fails fast; a server that accepts and never answers is cut
/// off by the attempt timeout; 5xx and throttling get the SDK's standard retries.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    /// Time to establish a TCP/TLS connection.
    pub connect_timeout: Duration,
    /// Time for one attempt, response included.
    pub attempt_timeout: Duration,
    /// Time for the whole operation, retries included.
    pub operation_timeout: Duration,
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// First retry back-off.
    pub initial_backoff: Duration,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(10),
            operation_timeout: Duration::from_secs(30),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
        }
    }
}

/// Where the profile files are. `None` means the SDK's own rules (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileFilesSpec {
    /// An explicit config file (tests, or a user's override).
    pub config: Option<PathBuf>,
    /// An explicit credentials file.
    pub credentials: Option<PathBuf>,
}

impl ProfileFilesSpec {
    fn to_sdk(&self) -> Option<ProfileFiles> {
        if self.config.is_none() && self.credentials.is_none() {
            return None;
        }
        // An explicit file that does not exist means "no profiles there", as a missing
        // ~/.aws/config does, rather than an error.
        let mut b = ProfileFiles::builder();
        match &self.config {
            Some(p) if p.exists() => b = b.with_file(ProfileFileKind::Config, p),
            Some(_) => b = b.include_default_config_file(false),
            None => b = b.include_default_config_file(true),
        }
        match &self.credentials {
            Some(p) if p.exists() => b = b.with_file(ProfileFileKind::Credentials, p),
            Some(_) => b = b.include_default_credentials_file(false),
            None => b = b.include_default_credentials_file(true),
        }
        // The SDK's builder panics on an empty set: give it an empty config instead.
        let nothing = matches!(&self.config, Some(p) if !p.exists())
            && matches!(&self.credentials, Some(p) if !p.exists());
        if nothing {
            b = b.with_contents(ProfileFileKind::Config, "");
        }
        Some(b.build())
    }
}

/// How keyfob reaches AWS. The app uses the defaults (the SDK honours `AWS_ENDPOINT_URL`); tests
/// point it at a local server.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AwsEnv {
    /// An endpoint for every service, overriding `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// Where the profile files are.
    pub profile_files: ProfileFilesSpec,
    /// Timeouts and retries.
    pub net: NetConfig,
    /// The console's federation endpoint, overriding the partition's (tests: a loopback fake).
    pub federation_url: Option<String>,
    /// IAM Identity Center's endpoint (its OIDC and portal APIs), overriding `endpoint_url` and
    /// the SDK's `AWS_ENDPOINT_URL_SSO_OIDC` / `AWS_ENDPOINT_URL_SSO` (tests: a loopback fake).
    pub sso_endpoint_url: Option<String>,
    /// AWS Sign-In's endpoint (its authorize page and token call), overriding `endpoint_url` and
    /// the SDK's `AWS_ENDPOINT_URL_SIGNIN` (tests: a loopback fake).
    pub signin_endpoint_url: Option<String>,
    /// IAM Identity Center's token cache, instead of `~/.aws/sso/cache` (tests: a temporary
    /// folder).
    pub sso_cache_dir: Option<PathBuf>,
}

/// Which credentials sign the first STS call.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum SourceCredentials {
    /// The SDK's default chain (environment, profile files, SSO, IMDS …).
    #[default]
    DefaultChain,
    /// A named profile's credentials (normally its long-term keys).
    Profile(String),
    /// Keys given directly (an MFA session for role chaining, or keys read from the keyring).
    Static(Credentials),
    /// Long-term keys in the OS keyring under this name; read (and turned into `Static`) by
    /// [`crate::keystore::resolve_source`] before any call.
    Keyring(String),
}

impl From<&SourceChoice> for SourceCredentials {
    fn from(choice: &SourceChoice) -> Self {
        match choice {
            SourceChoice::DefaultChain => Self::DefaultChain,
            SourceChoice::Profile(p) => Self::Profile(p.trim().to_owned()),
            SourceChoice::Keyring(k) => Self::Keyring(k.clone()),
        }
    }
}

impl SourceCredentials {
    /// A short label for the UI.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::DefaultChain => "Default credential chain".to_owned(),
            Self::Profile(p) => format!("Profile {p}"),
            Self::Static(c) => format!("Keys {}", c.access_key_id),
            Self::Keyring(k) => format!("Keyring keys {k}"),
        }
    }
}

impl AwsEnv {
    /// The credentials file keyfob writes profiles into: the explicit one, else
    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    #[must_use]
    pub fn credentials_path(&self) -> Option<PathBuf> {
        if let Some(p) = &self.profile_files.credentials {
            return Some(p.clone());
        }
        if let Some(p) = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".aws").join("credentials"))
    }

    /// The SDK configuration for `source` credentials in `region` (or the usual region chain).
    pub async fn sdk_config(&self, source: &SourceCredentials, region: Option<&str>) -> SdkConfig {
        self.sdk_config_in(source, region, None).await
    }

    /// [`Self::sdk_config`] with `profile`'s settings (endpoint, checksums) rather than those of
    /// the profile `AWS_PROFILE` selects; the credentials are still `source`'s.
    pub async fn sdk_config_in(
        &self,
        source: &SourceCredentials,
        region: Option<&str>,
        profile: Option<&str>,
    ) -> SdkConfig {
        let (mut loader, files) = self.loader(region);
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        loader = match source {
            SourceCredentials::DefaultChain => loader,
            SourceCredentials::Profile(name) => {
                let mut p = aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(name);
                if let Some(files) = files {
                    p = p.profile_files(files);
                }
                loader.credentials_provider(p.build())
            }
            SourceCredentials::Static(c) => loader.credentials_provider(to_sdk_credentials(c)),
            SourceCredentials::Keyring(name) => {
                // Never reached through the app's paths, which resolve keyring keys first.
                tracing::error!(name, "keyring keys were not read before the call");
                loader.no_credentials()
            }
        };
        loader.load().await
    }

    /// The endpoint a service's calls (and the pages built from it) go to when one is set: the
    /// service's override here, else `endpoint_url`, else the SDK's service variable
    /// (`AWS_ENDPOINT_URL_SIGNIN` …), else `AWS_ENDPOINT_URL`; without a trailing slash.
    #[must_use]
    pub fn configured_endpoint(&self, own: Option<&String>, service_var: &str) -> Option<String> {
        own.cloned()
            .or_else(|| self.endpoint_url.clone())
            .or_else(|| std::env::var(service_var).ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty())
    }

    /// The SDK configuration for calls that carry no AWS keys (IAM Identity Center's), in `region`.
    pub async fn unsigned_config(&self, region: &str) -> SdkConfig {
        let (loader, _) = self.loader(Some(region));
        loader.no_credentials().load().await
    }

    /// The loader with keyfob's network limits, profile files, endpoint and region, and the
    /// profile files it was given.
    fn loader(&self, region: Option<&str>) -> (aws_config::ConfigLoader, Option<ProfileFiles>) {
        let net = &self.net;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(net.connect_timeout)
                    .operation_attempt_timeout(net.attempt_timeout)
                    .operation_timeout(net.operation_timeout)
                    .build(),
            )
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(net.max_attempts)
                    .with_initial_backoff(net.initial_backoff),
            );
        let files = self.profile_files.to_sdk();
        if let Some(files) = &files {
            loader = loader.profile_files(files.clone());
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let chain = RegionProviderChain::first_try(region.map(|r| Region::new(r.to_owned())))
            .or_default_provider()
            .or_else(Region::from_static(FALLBACK_REGION));
        (loader.region(chain), files)
    }
}

/// keyfob's credentials as the SDK's static credentials.
#[must_use]
pub fn to_sdk_credentials(c: &Credentials) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().to_owned(),
        c.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "keyfob",
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters (a query's values, the
/// console's sign-in URL).
#[must_use]
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
