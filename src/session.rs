//! A signed-in session: its credentials, expiry and identity, the time left at a given `now`.
//! The export lines for each shell are built in `export.rs`.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// An AWS key pair, with a session token when it is temporary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// `AKIA…` (long-term) or `ASIA…` (temporary). Not secret on its own.
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Present exactly when the credentials are temporary.
    pub session_token: Option<Secret>,
}

/// Who a set of credentials belongs to, from GetCallerIdentity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The 12-digit account id.
    pub account: String,
    /// The caller's ARN (`…:user/NAME` or `…:assumed-role/ROLE/SESSION`).
    pub arn: String,
    /// The unique id of the caller.
    pub user_id: String,
}

impl Identity {
    /// The short name of the caller: the user name, or `ROLE/SESSION` for an assumed role.
    #[must_use]
    pub fn short_name(&self) -> &str {
        let resource = self.arn.splitn(6, ':').nth(5).unwrap_or(&self.arn);
        resource
            .strip_prefix("assumed-role/")
            .or_else(|| resource.rsplit('/').next())
            .unwrap_or(resource)
    }
}

/// Which STS call made a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// GetSessionToken; `mfa` says whether a code was given (only then can it chain roles with MFA).
    SessionToken {
        /// Whether the session was made with an MFA code.
        mfa: bool,
    },
    /// AssumeRole with the source's long-term credentials.
    AssumedRole {
        /// The role.
        role_arn: String,
        /// Whether the call carried an MFA code.
        mfa: bool,
    },
    /// AssumeRole called with an MFA session's credentials (role chaining, at most 1 h).
    Chained {
        /// The role.
        role_arn: String,
    },
    /// An IAM Identity Center role's credentials (GetRoleCredentials with the cached sign-in).
    Sso {
        /// The account.
        account_id: String,
        /// The role (permission set).
        role_name: String,
    },
    /// AWS Sign-In's credentials (`aws login`: the console sign-in in the browser).
    Login {
        /// Who signed in (the profile's `login_session`).
        session_arn: String,
    },
}

impl SessionKind {
    /// Whether a session of this kind gets new credentials with no one signing in: a role chained
    /// from a live MFA session, an IAM Identity Center role while its sign-in lasts.
    #[must_use]
    pub fn renews_itself(&self) -> bool {
        matches!(
            self,
            Self::Chained { .. } | Self::Sso { .. } | Self::Login { .. }
        )
    }

    /// A short description for the UI.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::SessionToken { mfa: true } => "MFA session (GetSessionToken)".to_owned(),
            Self::SessionToken { mfa: false } => "Session token without MFA".to_owned(),
            Self::AssumedRole { mfa: true, .. } => "Role assumed with MFA".to_owned(),
            Self::AssumedRole { mfa: false, .. } => "Role assumed without MFA".to_owned(),
            Self::Chained { .. } => "Role chained from your MFA session".to_owned(),
            Self::Sso { .. } => "IAM Identity Center role".to_owned(),
            Self::Login { .. } => "AWS Sign-In (console sign-in)".to_owned(),
        }
    }
}

/// Where the source credentials come from, as chosen in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceChoice {
    /// The SDK's default chain.
    #[default]
    DefaultChain,
    /// A profile's keys.
    Profile(String),
    /// Long-term keys kept in the OS keyring under this name.
    Keyring(String),
}

/// The sign-in fields as typed, all but the code: kept with each session (Renew refills the form
/// from them, a restored session says where it came from), held by the form, and remembered in
/// the preferences.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignInFields {
    /// The profile the form was filled from.
    pub profile: Option<String>,
    /// Source credentials.
    pub source: SourceChoice,
    /// MFA device.
    pub mfa_serial: String,
    /// Role ARN (empty: none).
    pub role_arn: String,
    /// Role session name.
    pub session_name: String,
    /// ExternalId.
    pub external_id: String,
    /// Duration as typed.
    pub duration: String,
    /// Region as typed.
    pub region: String,
}

/// A live (or expired) set of temporary credentials and what keyfob knows about them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The name it is listed and cached under: the profile, else the role ARN, else the source.
    pub name: String,
    /// The fields that made it.
    pub origin: SignInFields,
    /// The temporary credentials.
    pub credentials: Credentials,
    /// When keyfob received them (for the countdown bar's full length).
    pub issued_at: SystemTime,
    /// When STS says they stop working.
    pub expires_at: SystemTime,
    /// Who the session is (GetCallerIdentity with the session's credentials); `None` when that
    /// call failed (the credentials are still good).
    pub identity: Option<Identity>,
    /// Who signed in to make it (GetCallerIdentity with the source credentials), when known.
    pub source_identity: Option<Identity>,
    /// The call that made it.
    pub kind: SessionKind,
    /// The region the session was made for, exported as `AWS_REGION`.
    pub region: Option<String>,
}

/// What keyfob says when a session's credentials are asked for after it ended: the browser shows
/// it, and the worker refuses with it.
pub const EXPIRED_SENTENCE: &str = "The session has expired: renew it to browse";

/// What work that used the session `name` answers once the user signed out of it.
#[must_use]
pub fn signed_out_sentence(name: &str) -> String {
    format!("Stopped: you signed out of {name}")
}

/// A session's credentials as the worker gets them: named and with their expiry, so the worker
/// can refuse them once the session has ended, and stop what uses them when it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCreds {
    /// The session's name.
    pub session: String,
    /// When the session ends.
    pub expires_at: SystemTime,
    /// The credentials.
    pub credentials: Credentials,
    /// The profile the session was made from: its S3 settings (an S3-compatible endpoint,
    /// path-style addressing) apply to the browser's calls.
    pub profile: Option<String>,
}

impl SessionCreds {
    /// The credentials, if the session is still live at `now`.
    #[must_use]
    pub fn live_at(&self, now: SystemTime) -> Option<&Credentials> {
        (now < self.expires_at).then_some(&self.credentials)
    }
}

/// A cached session with this little left counts as expired (as in aws-vault).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How close a session is to its end, for colouring the countdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    /// 15 minutes or more left.
    Calm,
    /// Under 15 minutes left: amber.
    Soon,
    /// Under 5 minutes left: red.
    Urgent,
    /// Nothing left: keyfob no longer uses the session.
    Expired,
}

impl Session {
    /// The credentials, named and dated, for a request to the worker.
    #[must_use]
    pub fn creds(&self) -> SessionCreds {
        SessionCreds {
            session: self.name.clone(),
            expires_at: self.expires_at,
            credentials: self.credentials.clone(),
            profile: self.origin.profile.clone(),
        }
    }

    /// Time left at `now` (zero once expired).
    #[must_use]
    pub fn remaining(&self, now: SystemTime) -> Duration {
        self.expires_at
            .duration_since(now)
            .unwrap_or(Duration::ZERO)
    }

    /// Whether the session has ended at `now`. keyfob enforces this itself: neither the SDK (for
    /// static credentials) nor the test server refuses expired credentials.
    #[must_use]
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at
    }

    /// The share of the session's life left at `now`, from 1.0 down to 0.0 (for the bar).
    #[must_use]
    pub fn fraction_left(&self, now: SystemTime) -> f32 {
        let total = self
            .expires_at
            .duration_since(self.issued_at)
            .unwrap_or(Duration::ZERO);
        if total.is_zero() {
            return 0.0;
        }
        (self.remaining(now).as_secs_f32() / total.as_secs_f32()).clamp(0.0, 1.0)
    }

    /// The countdown's colour band at `now`.
    #[must_use]
    pub fn urgency(&self, now: SystemTime) -> Urgency {
        let left = self.remaining(now);
        if self.is_expired(now) {
            Urgency::Expired
        } else if left < Duration::from_secs(5 * 60) {
            Urgency::Urgent
        } else if left < Duration::from_secs(15 * 60) {
            Urgency::Soon
        } else {
            Urgency::Calm
        }
    }

    /// The expiry as RFC 3339 (`2026-11-22T13:00:00Z`), as `AWS_CREDENTIAL_EXPIRATION` wants it.
    #[must_use]
    pub fn expiration_rfc3339(&self) -> String {
        rfc3339(self.expires_at)
    }

    /// Whether the session may still be handed out at `now` by the headless commands and restored
    /// from the cache: more than [`REFRESH_MARGIN`] left (the margin aws-vault uses), so a program
    /// does not start work with credentials about to die.
    #[must_use]
    pub fn usable_for_cache(&self, now: SystemTime) -> bool {
        self.remaining(now) > REFRESH_MARGIN
    }
}

/// `hh:mm:ss` for a countdown.
#[must_use]
pub fn countdown_text(left: Duration) -> String {
    let s = left.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

/// Below this much time left the window's countdown shows seconds; above it, whole minutes.
pub const SECONDS_SHOWN_BELOW: Duration = Duration::from_secs(15 * 60);

/// The window's countdown: whole minutes left ("1 h 23 min", as the title says them) while
/// [`SECONDS_SHOWN_BELOW`] or more are left, where a second more or less changes nothing anyone
/// acts on; `hh:mm:ss` in the last 15 minutes. Never more than it shows: minutes are rounded down.
#[must_use]
pub fn countdown_shown(left: Duration) -> String {
    if left >= SECONDS_SHOWN_BELOW {
        crate::validate::human_duration(left.as_secs())
    } else {
        countdown_text(left)
    }
}

/// How long [`countdown_shown`] keeps showing the same text for a countdown at `left`: to the
/// next whole minute above [`SECONDS_SHOWN_BELOW`] (the switch to seconds falls on one), to the
/// next whole second below it.
#[must_use]
pub fn countdown_unchanged_for(left: Duration) -> Duration {
    let step = if left >= SECONDS_SHOWN_BELOW { 60 } else { 1 };
    let shown = left.as_secs() / step * step;
    left.saturating_sub(Duration::from_secs(shown))
}

/// Below this much time left the window's title counts the minutes down; above it, it names the
/// session's end ([`local_clock`]), which does not change.
pub const TITLE_COUNTS_BELOW: Duration = SECONDS_SHOWN_BELOW;

/// `t` as `HH:MM` in the local time zone (the zone's rules read as the OS keeps them, each call:
/// a change of zone or of daylight saving time shows at the next frame). Seconds are cut, never
/// rounded up: "until 14:32" for an end at 14:32:40 is never later than the end.
#[must_use]
pub fn local_clock(t: SystemTime) -> String {
    let local: chrono::DateTime<chrono::Local> = t.into();
    local.format("%H:%M").to_string()
}

/// RFC 3339 in UTC with second precision.
#[must_use]
pub fn rfc3339(t: SystemTime) -> String {
    let dt = aws_smithy_types::DateTime::from(t);
    let whole = aws_smithy_types::DateTime::from_secs(dt.secs());
    whole
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| format!("{}s since 1970", dt.secs()))
}

/// A one-hour session for tests, with the given secret key and token.
#[cfg(test)]
pub(crate) fn sample_session(secret: &str, token: &str) -> Session {
    Session {
        name: "dev".to_owned(),
        origin: SignInFields::default(),
        credentials: Credentials {
            access_key_id: "ASIAEXAMPLE".to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: Some(Secret::new(token)),
        },
        issued_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000 - 3600),
        expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000),
        identity: Some(Identity {
            account: "123456789012".to_owned(),
            arn: "arn:aws:sts::123456789012:assumed-role/admin/alice".to_owned(),
            user_id: "AROA:alice".to_owned(),
        }),
        source_identity: None,
        kind: SessionKind::SessionToken { mfa: true },
        region: Some("eu-west-1".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_bands_and_expiry() {
        let s = sample_session("s", "t");
        let at = |left: u64| s.expires_at - Duration::from_secs(left);
        assert_eq!(s.urgency(at(3600)), Urgency::Calm);
        assert_eq!(s.urgency(at(15 * 60)), Urgency::Calm);
        assert_eq!(s.urgency(at(15 * 60 - 1)), Urgency::Soon);
        assert_eq!(s.urgency(at(5 * 60 - 1)), Urgency::Urgent);
        assert_eq!(s.urgency(s.expires_at), Urgency::Expired);
        assert!(s.is_expired(s.expires_at + Duration::from_secs(1)));
        assert_eq!(
            s.remaining(s.expires_at + Duration::from_secs(5)),
            Duration::ZERO
        );
        assert_eq!(
            countdown_text(Duration::from_secs(3 * 3600 + 61)),
            "03:01:01"
        );
    }

    #[test]
    fn short_names() {
        let s = sample_session("s", "t");
        assert_eq!(
            s.identity.as_ref().map(Identity::short_name),
            Some("admin/alice")
        );
        let user = Identity {
            account: "1".into(),
            arn: "arn:aws:iam::123456789012:user/ops/bob".into(),
            user_id: "x".into(),
        };
        assert_eq!(user.short_name(), "bob");
    }
}
