//! What the user's AWS config says: the profiles and the sign-in settings each one holds, read
//! with aws-config's own profile loader (so `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE` and
//! `AWS_PROFILE` mean what they mean to the AWS CLI).

use aws_config::profile::ProfileSet;
use aws_types::os_shim_internal::{Env, Fs};

use super::ProfileFilesSpec;

/// One profile's sign-in settings. Holds no secret: only whether keys are present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileInfo {
    /// The profile's name (`default`, `dev`, …).
    pub name: String,
    /// `mfa_serial`.
    pub mfa_serial: Option<String>,
    /// `role_arn`.
    pub role_arn: Option<String>,
    /// `source_profile`.
    pub source_profile: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `role_session_name`.
    pub role_session_name: Option<String>,
    /// `duration_seconds`, as written.
    pub duration_seconds: Option<String>,
    /// `region`.
    pub region: Option<String>,
    /// Whether the profile holds `aws_access_key_id` (long-term keys, usable as a source).
    pub has_keys: bool,
    /// `keyfob_oath_account`: the YubiKey OATH account whose code signs in (a role profile without
    /// one uses its source profile's).
    pub oath_account: Option<String>,
    /// IAM Identity Center settings (`sso_session` or the legacy `sso_start_url`), or why they
    /// cannot be used; `None` for a profile with none.
    pub sso: Option<Result<super::sso::SsoSettings, String>>,
    /// `login_session`: the AWS Sign-In session (`aws login`) whose cached token signs the
    /// profile in.
    pub login_session: Option<String>,
}

/// The profiles found and the one the environment selects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profiles {
    /// Every profile, sorted by name.
    pub list: Vec<ProfileInfo>,
    /// `AWS_PROFILE` (or `default`) when such a profile exists.
    pub selected: Option<String>,
}

impl Profiles {
    /// A profile by name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&ProfileInfo> {
        self.list.iter().find(|p| p.name == name)
    }

    /// The profiles that hold keys (the choices for "Source credentials").
    pub fn with_keys(&self) -> impl Iterator<Item = &ProfileInfo> {
        self.list.iter().filter(|p| p.has_keys)
    }
}

/// Why profiles or a profile's keys could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("Could not read your AWS config: {0}")]
    Unreadable(String),
    #[error("There is no profile {0}")]
    NoSuchProfile(String),
    #[error("Profile {0} holds temporary credentials (a session token), not long-term keys")]
    TemporaryKeys(String),
    #[error("Profile {0} holds no access key pair")]
    NoKeys(String),
}

/// Loads the profiles from `spec` (or the SDK's default locations), honouring the process
/// environment.
pub async fn load(spec: &ProfileFilesSpec) -> Result<Profiles, ProfileError> {
    load_with_env(spec, &Env::real()).await
}

/// Loads the profiles with an explicit environment (for tests).
pub async fn load_with_env(spec: &ProfileFilesSpec, env: &Env) -> Result<Profiles, ProfileError> {
    let files = spec.to_sdk().unwrap_or_default();
    let set = aws_config::profile::load(&Fs::real(), env, &files, None)
        .await
        .map_err(|e| ProfileError::Unreadable(e.to_string()))?;
    Ok(from_set(&set))
}

/// The long-term keys a profile holds (`aws_access_key_id` + `aws_secret_access_key`), read with
/// the SDK's loader; for importing them into the keyring.
pub async fn long_term_keys(
    env: &super::AwsEnv,
    profile: &str,
) -> Result<crate::session::Credentials, ProfileError> {
    let files = env.profile_files.to_sdk().unwrap_or_default();
    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None)
        .await
        .map_err(|e| ProfileError::Unreadable(e.to_string()))?;
    let p = set
        .get_profile(profile)
        .ok_or_else(|| ProfileError::NoSuchProfile(profile.to_owned()))?;
    let get = |k: &str| p.get(k).map(str::trim).filter(|v| !v.is_empty());
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(id), Some(secret)) if get("aws_session_token").is_none() => {
            Ok(crate::session::Credentials {
                access_key_id: id.to_owned(),
                secret_access_key: crate::secret::Secret::new(secret),
                session_token: None,
            })
        }
        (Some(_), Some(_)) => Err(ProfileError::TemporaryKeys(profile.to_owned())),
        _ => Err(ProfileError::NoKeys(profile.to_owned())),
    }
}

fn from_set(set: &ProfileSet) -> Profiles {
    let mut list: Vec<ProfileInfo> = set
        .profiles()
        .filter_map(|name| set.get_profile(name))
        .map(|p| {
            let get = |key: &str| {
                p.get(key)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            ProfileInfo {
                name: p.name().to_owned(),
                mfa_serial: get("mfa_serial"),
                role_arn: get("role_arn"),
                source_profile: get("source_profile"),
                external_id: get("external_id"),
                role_session_name: get("role_session_name"),
                duration_seconds: get("duration_seconds"),
                region: get("region"),
                has_keys: get("aws_access_key_id").is_some(),
                oath_account: get(crate::oath::CONFIG_KEY),
                sso: super::sso::SsoSettings::of_profile(set, p),
                login_session: get("login_session"),
            }
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    let own: std::collections::HashMap<String, String> = list
        .iter()
        .filter_map(|p| Some((p.name.clone(), p.oath_account.clone()?)))
        .collect();
    for p in list.iter_mut().filter(|p| p.oath_account.is_none()) {
        p.oath_account = p.source_profile.as_ref().and_then(|s| own.get(s)).cloned();
    }
    let selected =
        Some(set.selected_profile().to_owned()).filter(|s| list.iter().any(|p| &p.name == s));
    Profiles { list, selected }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_both_files_and_aws_profile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config");
        let creds = dir.path().join("credentials");
        std::fs::write(
            &config,
            "[default]\nregion = eu-west-1\n\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nexternal_id = ext-1\nrole_session_name = alice\nduration_seconds = 7200\n\n[profile base]\nkeyfob_oath_account = AWS:alice@base\n",
        )
        .expect("write");
        std::fs::write(
            &creds,
            "[base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n",
        )
        .expect("write");
        let spec = ProfileFilesSpec {
            config: Some(config),
            credentials: Some(creds),
        };
        let p = load_with_env(&spec, &Env::from_slice(&[("AWS_PROFILE", "admin")]))
            .await
            .expect("load");
        let names: Vec<&str> = p.list.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["admin", "base", "default"]);
        assert_eq!(p.selected.as_deref(), Some("admin"));
        let admin = p.get("admin").expect("admin");
        assert_eq!(admin.source_profile.as_deref(), Some("base"));
        assert_eq!(admin.duration_seconds.as_deref(), Some("7200"));
        assert_eq!(admin.external_id.as_deref(), Some("ext-1"));
        assert!(!admin.has_keys);
        // Named by base, inherited by the role whose source it is; default has none.
        assert_eq!(admin.oath_account.as_deref(), Some("AWS:alice@base"));
        assert!(p.get("default").is_some_and(|d| d.oath_account.is_none()));
        assert!(p.get("base").is_some_and(|b| b.has_keys));
        assert!(!format!("{p:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn missing_files_mean_no_profiles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = ProfileFilesSpec {
            config: Some(dir.path().join("none")),
            credentials: Some(dir.path().join("nope")),
        };
        let p = load_with_env(&spec, &Env::from_slice(&[]))
            .await
            .expect("load");
        assert!(p.list.is_empty());
        assert_eq!(p.selected, None);
    }
}
