//! The STS flows: GetSessionToken (with or without MFA), AssumeRole with MFA, AssumeRole from an
//! MFA session (role chaining), GetCallerIdentity, and finding the user's MFA device.

use std::time::SystemTime;

use aws_sdk_sts::Client as StsClient;

use super::errors::{AwsError, ErrorKind};
use super::{AwsEnv, SourceCredentials};
use crate::secret::Secret;
use crate::session::{Credentials, Identity, Session, SessionKind};

/// An MFA device and the code it shows now.
#[derive(Clone, PartialEq, Eq)]
pub struct Mfa {
    /// Device ARN or hardware serial.
    pub serial: String,
    /// The six digits (single use; not secret for long, but never logged).
    pub code: String,
}

impl std::fmt::Debug for Mfa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mfa")
            .field("serial", &self.serial)
            .field("code", &"<redacted>")
            .finish()
    }
}

/// A role to assume and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRequest {
    /// The role's ARN.
    pub role_arn: String,
    /// RoleSessionName.
    pub session_name: String,
    /// ExternalId, when the role's trust policy wants one.
    pub external_id: Option<String>,
}

/// Which STS call to make; built only from a validated form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    /// GetSessionToken, with SerialNumber + TokenCode when `mfa` is set (the seed's plain branch
    /// otherwise).
    SessionToken {
        /// The device and code.
        mfa: Option<Mfa>,
    },
    /// AssumeRole signed by the source credentials, with MFA when set.
    AssumeRole {
        /// The role.
        role: RoleRequest,
        /// The device and code.
        mfa: Option<Mfa>,
    },
    /// AssumeRole signed by a live MFA session: no new code, capped at one hour by AWS.
    Chained {
        /// The role.
        role: RoleRequest,
        /// The MFA session whose credentials sign the call.
        parent: Box<Session>,
    },
}

/// A checked sign-in request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInRequest {
    /// The name the session will be listed and cached under.
    pub name: String,
    /// The form it was made from (for Renew and the cache).
    pub origin: crate::session::SignInFields,
    /// Credentials that sign the call (ignored for [`Flow::Chained`], which uses the parent session).
    pub source: SourceCredentials,
    /// The region, when the user chose one.
    pub region: Option<String>,
    /// Requested duration in seconds; `None` lets AWS choose its default.
    pub duration: Option<u32>,
    /// The call.
    pub flow: Flow,
}

/// Signs in: makes the STS call the request describes, then asks who the new session is.
pub async fn sign_in(env: &AwsEnv, req: &SignInRequest) -> Result<Session, AwsError> {
    let region = req.region.as_deref();
    let (source, parent_identity) = match &req.flow {
        Flow::Chained { parent, .. } => (
            SourceCredentials::Static(parent.credentials.clone()),
            parent.identity.clone(),
        ),
        _ => (req.source.clone(), None),
    };
    let conf = env.sdk_config(&source, region).await;
    let sts = StsClient::new(&conf);
    let region_name = conf.region().map(ToString::to_string);

    // Who signs in, asked alongside the main call so it costs no extra round trip.
    let source_identity = async {
        match parent_identity {
            Some(id) => Some(id),
            None => caller_identity(&sts).await.ok(),
        }
    };
    let (issued, source_identity) = tokio::join!(call_sts(&sts, req), source_identity);
    let (credentials, expires_at, kind) = issued?;

    let session_conf = env
        .sdk_config(&SourceCredentials::Static(credentials.clone()), region)
        .await;
    let identity = caller_identity(&StsClient::new(&session_conf)).await.ok();
    Ok(Session {
        name: req.name.clone(),
        origin: req.origin.clone(),
        credentials,
        issued_at: SystemTime::now(),
        expires_at,
        identity,
        source_identity,
        kind,
        region: region_name,
    })
}

async fn call_sts(
    sts: &StsClient,
    req: &SignInRequest,
) -> Result<(Credentials, SystemTime, SessionKind), AwsError> {
    let action = "Signing in";
    match &req.flow {
        Flow::SessionToken { mfa } => {
            let out = sts
                .get_session_token()
                .set_duration_seconds(req.duration.map(to_i32))
                .set_serial_number(mfa.as_ref().map(|m| m.serial.clone()))
                .set_token_code(mfa.as_ref().map(|m| m.code.clone()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(action, &e))?;
            let (c, exp) = convert(out.credentials)?;
            Ok((c, exp, SessionKind::SessionToken { mfa: mfa.is_some() }))
        }
        Flow::AssumeRole { role, mfa } => {
            let out = assume_role(sts, role, req.duration)
                .set_serial_number(mfa.as_ref().map(|m| m.serial.clone()))
                .set_token_code(mfa.as_ref().map(|m| m.code.clone()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(action, &e))?;
            let (c, exp) = convert(out.credentials)?;
            let kind = SessionKind::AssumedRole {
                role_arn: role.role_arn.clone(),
                mfa: mfa.is_some(),
            };
            Ok((c, exp, kind))
        }
        Flow::Chained { role, .. } => {
            let out = assume_role(sts, role, req.duration)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(action, &e))?;
            let (c, exp) = convert(out.credentials)?;
            Ok((
                c,
                exp,
                SessionKind::Chained {
                    role_arn: role.role_arn.clone(),
                },
            ))
        }
    }
}

fn assume_role(
    sts: &StsClient,
    role: &RoleRequest,
    duration: Option<u32>,
) -> aws_sdk_sts::operation::assume_role::builders::AssumeRoleFluentBuilder {
    sts.assume_role()
        .role_arn(&role.role_arn)
        .role_session_name(&role.session_name)
        .set_external_id(role.external_id.clone())
        .set_duration_seconds(duration.map(to_i32))
}

fn to_i32(seconds: u32) -> i32 {
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

fn convert(
    creds: Option<aws_sdk_sts::types::Credentials>,
) -> Result<(Credentials, SystemTime), AwsError> {
    let c =
        creds.ok_or_else(|| AwsError::new(ErrorKind::Other, "AWS answered without credentials"))?;
    let expires_at = SystemTime::try_from(c.expiration).map_err(|_| {
        AwsError::new(
            ErrorKind::Other,
            "AWS answered with an unreadable expiry time",
        )
    })?;
    Ok((
        Credentials {
            access_key_id: c.access_key_id,
            secret_access_key: Secret::new(c.secret_access_key),
            session_token: Some(Secret::new(c.session_token)),
        },
        expires_at,
    ))
}

/// GetCallerIdentity.
pub async fn caller_identity(sts: &StsClient) -> Result<Identity, AwsError> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Checking who you are", &e))?;
    Ok(Identity {
        account: out.account.unwrap_or_default(),
        arn: out.arn.unwrap_or_default(),
        user_id: out.user_id.unwrap_or_default(),
    })
}

/// GetCallerIdentity for given credentials (e.g. to check that a session works).
pub async fn whoami(
    env: &AwsEnv,
    source: &SourceCredentials,
    region: Option<&str>,
) -> Result<Identity, AwsError> {
    let conf = env.sdk_config(source, region).await;
    caller_identity(&StsClient::new(&conf)).await
}

/// An MFA device found for the source credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectedMfa {
    /// The device's serial (ARN for virtual devices).
    pub serial: String,
    /// True when IAM could not be asked and the ARN was derived from the user's name.
    pub guessed: bool,
}

/// Finds the MFA device of the user behind `source`: IAM ListMFADevices where permitted (a
/// virtual or hardware TOTP device, never a security key: see [`choose_mfa_device`]), else the
/// virtual-device naming convention (`…:user/NAME` → `…:mfa/NAME`), marked as a guess.
pub async fn detect_mfa(
    env: &AwsEnv,
    source: &SourceCredentials,
    region: Option<&str>,
) -> Result<DetectedMfa, AwsError> {
    let conf = env.sdk_config(source, region).await;
    let me = caller_identity(&StsClient::new(&conf)).await?;
    let user = user_name(&me.arn).ok_or_else(|| {
        AwsError::new(
            ErrorKind::Invalid,
            format!(
                "{} is not an IAM user, so it has no MFA device of its own",
                me.arn
            ),
        )
    })?;
    let iam = aws_sdk_iam::Client::new(&conf);
    let mut req = iam.list_mfa_devices();
    if user != "root" {
        req = req.user_name(user);
    }
    match req.send().await {
        Ok(out) => {
            let serials: Vec<&str> = out
                .mfa_devices
                .iter()
                .map(|d| d.serial_number.as_str())
                .collect();
            if let Some(serial) = choose_mfa_device(&serials)? {
                return Ok(DetectedMfa {
                    serial: serial.to_owned(),
                    guessed: false,
                });
            }
            tracing::info!("IAM lists no MFA device for {user}; guessing from the user name");
        }
        Err(e) => {
            let err = AwsError::from_sdk("Listing MFA devices", &e);
            tracing::info!(
                "IAM ListMFADevices not usable ({}); guessing from the user name",
                err.message
            );
        }
    }
    guess_mfa_arn(&me.arn)
        .map(|serial| DetectedMfa {
            serial,
            guessed: true,
        })
        .ok_or_else(|| AwsError::new(ErrorKind::Other, "Could not work out an MFA device name"))
}

/// The message when a user's only MFA devices are security keys.
const SECURITY_KEYS_ONLY: &str =
    "Security keys cannot be used with STS; use a virtual or hardware TOTP device";

/// Whether an MFA serial names a FIDO/U2F security key (`arn:aws:iam::ACCOUNT:u2f/…`). STS takes
/// only a six-digit code, which a security key does not give.
fn is_security_key(serial: &str) -> bool {
    serial.starts_with("arn:")
        && serial
            .splitn(6, ':')
            .nth(5)
            .is_some_and(|resource| resource.starts_with("u2f/"))
}

/// Picks, from the serials IAM ListMFADevices gives, the device STS can use: the first virtual
/// (`arn:…:mfa/…`) or hardware TOTP device (`GAHT12345678`, or an `mfa/` ARN), wherever it is in
/// the list. `Ok(None)` when the list is empty; an error when it holds only security keys, which
/// STS cannot use (filling one in would only fail at sign-in).
fn choose_mfa_device<'a>(serials: &[&'a str]) -> Result<Option<&'a str>, AwsError> {
    if let Some(usable) = serials.iter().copied().find(|s| !is_security_key(s)) {
        return Ok(Some(usable));
    }
    if serials.is_empty() {
        return Ok(None);
    }
    Err(AwsError {
        kind: ErrorKind::Invalid,
        message: SECURITY_KEYS_ONLY.to_owned(),
        detail: format!(
            "IAM ListMFADevices lists only security keys: {}",
            serials.join(", ")
        ),
    })
}

/// The user name in a user ARN (`…:user/path/NAME` → `NAME`; the root ARN → `root`).
fn user_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if resource == "root" {
        return Some("root");
    }
    resource
        .strip_prefix("user/")?
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
}

/// The conventional virtual MFA ARN for a user ARN: `arn:aws:iam::ACCT:user/NAME` →
/// `arn:aws:iam::ACCT:mfa/NAME`; the root user's device is `mfa/root-account-mfa-device`.
#[must_use]
pub fn guess_mfa_arn(user_arn: &str) -> Option<String> {
    let mut parts = user_arn.splitn(6, ':');
    let (arn, partition, _service, _region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let name = user_name(user_arn)?;
    let device = if name == "root" {
        "root-account-mfa-device"
    } else {
        name
    };
    (arn == "arn").then(|| format!("arn:{partition}:iam::{account}:mfa/{device}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_follow_the_console_convention() {
        assert_eq!(
            guess_mfa_arn("arn:aws:iam::123456789012:user/alice").as_deref(),
            Some("arn:aws:iam::123456789012:mfa/alice")
        );
        assert_eq!(
            guess_mfa_arn("arn:aws-cn:iam::123456789012:user/team/bob").as_deref(),
            Some("arn:aws-cn:iam::123456789012:mfa/bob")
        );
        assert_eq!(
            guess_mfa_arn("arn:aws:iam::123456789012:root").as_deref(),
            Some("arn:aws:iam::123456789012:mfa/root-account-mfa-device")
        );
        assert_eq!(
            guess_mfa_arn("arn:aws:sts::123456789012:assumed-role/r/s"),
            None
        );
    }

    #[test]
    fn detection_prefers_a_totp_device_and_never_picks_a_security_key() {
        let u2f = "arn:aws:iam::123456789012:u2f/user/alice/key-ABC";
        let u2f2 = "arn:aws-us-gov:iam::123456789012:u2f/user/alice/other";
        let virt = "arn:aws:iam::123456789012:mfa/alice";
        let hardware = "GAHT12345678";
        for (list, want) in [
            (vec![u2f, virt], virt),
            (vec![virt, u2f], virt),
            (vec![u2f, u2f2, hardware], hardware),
            (vec![hardware, virt], hardware),
            (vec![virt], virt),
        ] {
            assert_eq!(choose_mfa_device(&list), Ok(Some(want)), "{list:?}");
        }
        assert_eq!(choose_mfa_device(&[]), Ok(None));
        for list in [vec![u2f], vec![u2f, u2f2]] {
            let err = choose_mfa_device(&list).expect_err("only security keys");
            assert_eq!(err.kind, ErrorKind::Invalid);
            assert_eq!(
                err.message,
                "Security keys cannot be used with STS; use a virtual or hardware TOTP device"
            );
            assert!(err.detail.contains(u2f), "{}", err.detail);
        }
        assert!(!is_security_key("arn:aws:iam::123456789012:mfa/u2f"));
        assert!(!is_security_key("u2f/not-an-arn"));
    }

    #[test]
    fn mfa_debug_hides_the_code() {
        let m = Mfa {
            serial: "GAHT12345678".into(),
            code: "908172".into(),
        };
        assert!(!format!("{m:?}").contains("908172"));
    }
}
