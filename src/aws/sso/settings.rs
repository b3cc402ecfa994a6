//! A profile's IAM Identity Center settings, as the AWS CLI reads them: `sso_session` naming an
//! `[sso-session NAME]` section (start URL, region, registration scopes), or the legacy
//! `sso_start_url` and `sso_region` in the profile itself; `sso_account_id` and `sso_role_name`
//! choose the role.

use aws_config::profile::{Profile, ProfileSet};

/// The scope that lets a token list accounts and get role credentials.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// What a profile says about signing in through IAM Identity Center.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SsoSettings {
    /// The `[sso-session NAME]` the profile names; `None` for a legacy profile.
    pub session: Option<String>,
    /// The AWS access portal's URL.
    pub start_url: String,
    /// The region of IAM Identity Center.
    pub region: String,
    /// The account whose role the profile uses.
    pub account_id: Option<String>,
    /// The role (permission set) in that account.
    pub role_name: Option<String>,
    /// `sso_registration_scopes` (a legacy profile registers none).
    pub scopes: Vec<String>,
}

impl SsoSettings {
    /// The token cache's key: the session's name, or a legacy profile's start URL.
    #[must_use]
    pub fn cache_key(&self) -> &str {
        self.session.as_deref().unwrap_or(&self.start_url)
    }

    /// The account and role, when the profile names both.
    #[must_use]
    pub fn role(&self) -> Option<(&str, &str)> {
        Some((self.account_id.as_deref()?, self.role_name.as_deref()?))
    }

    /// The settings of `profile`: `None` when it has nothing of IAM Identity Center, else the
    /// settings or one sentence saying what is wrong with them.
    #[must_use]
    pub fn of_profile(set: &ProfileSet, profile: &Profile) -> Option<Result<Self, String>> {
        let get = |key: &str| {
            profile
                .get(key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let name = profile.name();
        let (session, start_url, region) =
            (get("sso_session"), get("sso_start_url"), get("sso_region"));
        if session.is_none() && start_url.is_none() {
            return None;
        }
        let mut s = Self {
            account_id: get("sso_account_id"),
            role_name: get("sso_role_name"),
            ..Self::default()
        };
        Some(match session {
            Some(session) => {
                let Some(section) = set.sso_session(&session) else {
                    return Some(Err(format!(
                        "Profile {name} names sso_session {session}, but your AWS config has no [sso-session {session}] section"
                    )));
                };
                let sget = |key: &str| {
                    section
                        .get(key)
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned)
                };
                match (sget("sso_start_url"), sget("sso_region")) {
                    (Some(url), Some(reg)) => {
                        // The CLI refuses a profile that disagrees with its session.
                        if start_url.as_ref().is_some_and(|u| u != &url)
                            || region.as_ref().is_some_and(|r| r != &reg)
                        {
                            return Some(Err(format!(
                                "Profile {name}'s sso_start_url or sso_region differs from its sso-session {session}'s"
                            )));
                        }
                        s.scopes = sget("sso_registration_scopes").map_or_else(
                            || vec![DEFAULT_SCOPE.to_owned()],
                            |v| {
                                v.split(',')
                                    .map(|s| s.trim().to_owned())
                                    .filter(|s| !s.is_empty())
                                    .collect()
                            },
                        );
                        s.start_url = url;
                        s.region = reg;
                        s.session = Some(session);
                        Ok(s)
                    }
                    _ => Err(format!(
                        "[sso-session {session}] needs both sso_start_url and sso_region"
                    )),
                }
            }
            None => match (start_url, region) {
                (Some(url), Some(reg)) if s.role().is_some() => {
                    s.start_url = url;
                    s.region = reg;
                    Ok(s)
                }
                (Some(_), Some(_)) => Err(format!(
                    "Profile {name} uses sso_start_url without an sso-session, so it needs sso_account_id and sso_role_name"
                )),
                _ => Err(format!(
                    "Profile {name} has sso_start_url but no sso_region"
                )),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use aws_types::os_shim_internal::{Env, Fs};

    use super::*;

    async fn profiles(config: &str) -> ProfileSet {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config");
        std::fs::write(&path, config).expect("write");
        let files = aws_runtime::env_config::file::EnvConfigFiles::builder()
            .with_file(
                aws_runtime::env_config::file::EnvConfigFileKind::Config,
                &path,
            )
            .build();
        aws_config::profile::load(&Fs::real(), &Env::from_slice(&[]), &files, None)
            .await
            .expect("load")
    }

    fn of(set: &ProfileSet, name: &str) -> Option<Result<SsoSettings, String>> {
        SsoSettings::of_profile(set, set.get_profile(name).expect("profile"))
    }

    #[tokio::test]
    async fn sso_session_and_legacy_profiles_read_as_the_cli_reads_them() {
        let set = profiles(
            "[sso-session corp]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access, extra:scope\n\n\
             [profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\nregion = eu-central-1\n\n\
             [profile old]\nsso_start_url = https://d-2.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 2\nsso_role_name = Admin\n\n\
             [profile keys]\nregion = us-east-1\n",
        )
        .await;
        let dev = of(&set, "dev").expect("sso").expect("valid");
        assert_eq!(dev.session.as_deref(), Some("corp"));
        assert_eq!(dev.cache_key(), "corp");
        assert_eq!(dev.region, "eu-west-1");
        assert_eq!(dev.role(), Some(("111111111111", "ReadOnly")));
        assert_eq!(dev.scopes, ["sso:account:access", "extra:scope"]);
        let old = of(&set, "old").expect("sso").expect("valid");
        assert_eq!(old.cache_key(), "https://d-2.awsapps.com/start");
        assert!(old.scopes.is_empty());
        assert_eq!(of(&set, "keys"), None);
    }

    #[tokio::test]
    async fn incomplete_or_contradicting_settings_say_what_is_wrong() {
        let set = profiles(
            "[sso-session half]\nsso_start_url = https://d-1.awsapps.com/start\n\n\
             [sso-session corp]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\n\n\
             [profile missing]\nsso_session = nowhere\n\n\
             [profile half]\nsso_session = half\n\n\
             [profile differs]\nsso_session = corp\nsso_region = us-east-1\n\n\
             [profile legacy]\nsso_start_url = https://d-2.awsapps.com/start\nsso_region = us-east-1\n\n\
             [profile noregion]\nsso_start_url = https://d-2.awsapps.com/start\n",
        )
        .await;
        for (name, says) in [
            ("missing", "no [sso-session nowhere] section"),
            ("half", "needs both sso_start_url and sso_region"),
            ("differs", "differs from its sso-session corp's"),
            ("legacy", "needs sso_account_id and sso_role_name"),
            ("noregion", "no sso_region"),
        ] {
            let e = of(&set, name).expect("sso").expect_err(name);
            assert!(e.contains(says), "{name}: {e}");
        }
        // A session profile without a role is fine: the role is chosen after signing in.
        let set = profiles("[sso-session corp]\nsso_start_url = u\nsso_region = r\n[profile p]\nsso_session = corp\n").await;
        assert_eq!(of(&set, "p").expect("sso").expect("valid").role(), None);
    }
}
