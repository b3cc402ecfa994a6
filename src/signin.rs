//! The sign-in form as typed, and its one conversion into a checked [`SignInRequest`] (or a
//! message per field), shared by the window and the command line. No egui, no I/O.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::aws::SourceCredentials;
use crate::aws::profiles::ProfileInfo;
use crate::aws::sts::{Flow, Mfa, RoleRequest, SignInRequest};
use crate::session::{Session, SessionKind, SignInFields, SourceChoice};
use crate::validate;

/// A field of the form, for attaching messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// Source credentials.
    Source,
    /// MFA device.
    MfaSerial,
    /// Role ARN.
    RoleArn,
    /// Session name.
    SessionName,
    /// ExternalId.
    ExternalId,
    /// Duration.
    Duration,
    /// Region.
    Region,
    /// The six-digit code.
    Code,
}

impl Field {
    /// The field's label, as on screen.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Source => "Source credentials",
            Self::MfaSerial => "MFA device",
            Self::RoleArn => "Role ARN",
            Self::SessionName => "Session name",
            Self::ExternalId => "ExternalId",
            Self::Duration => "Duration",
            Self::Region => "Region",
            Self::Code => "MFA code",
        }
    }
}

/// The sign-in form exactly as typed. Holds no secret but the short-lived code, which is never
/// persisted (the window's preferences leave it out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInForm {
    /// Everything typed but the code.
    pub fields: SignInFields,
    /// Whether `fields.mfa_serial` was guessed from the user name rather than found in IAM.
    pub mfa_guessed: bool,
    /// The six-digit code.
    pub code: String,
    /// With a role and a live MFA session: assume the role from that session (no new code).
    pub chain: bool,
    /// The role ARN the chosen profile names (to tell whether the form still describes it).
    pub profile_role_arn: String,
}

impl Default for SignInForm {
    fn default() -> Self {
        Self {
            fields: SignInFields {
                session_name: "keyfob".to_owned(),
                ..SignInFields::default()
            },
            mfa_guessed: false,
            code: String::new(),
            chain: true,
            profile_role_arn: String::new(),
        }
    }
}

/// Which STS call the form describes right now (shown in the UI before signing in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// GetSessionToken (with MFA when `mfa`).
    SessionToken {
        /// Whether a device is given.
        mfa: bool,
    },
    /// AssumeRole with the source credentials (with MFA when `mfa`).
    AssumeRole {
        /// Whether a device is given.
        mfa: bool,
    },
    /// AssumeRole from the live MFA session.
    Chained,
}

impl Plan {
    /// One line for the UI.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::SessionToken { mfa: true } => "GetSessionToken with your MFA code",
            Self::SessionToken { mfa: false } => "GetSessionToken without MFA",
            Self::AssumeRole { mfa: true } => "AssumeRole with your MFA code",
            Self::AssumeRole { mfa: false } => "AssumeRole without MFA",
            Self::Chained => "AssumeRole from your MFA session (no code needed; at most 1 hour)",
        }
    }

    /// Whether this plan needs a code typed.
    #[must_use]
    pub fn needs_code(self) -> bool {
        matches!(
            self,
            Self::SessionToken { mfa: true } | Self::AssumeRole { mfa: true }
        )
    }
}

/// Messages per field; empty when the form is good.
pub type FieldErrors = BTreeMap<Field, String>;

impl SignInForm {
    /// Fills the fields from a profile. Every field stays editable; the code is cleared.
    pub fn fill_from(&mut self, p: &ProfileInfo) {
        self.fields.profile = Some(p.name.clone());
        self.fields.source = match (&p.source_profile, p.has_keys) {
            (Some(src), _) => SourceChoice::Profile(src.clone()),
            (None, true) => SourceChoice::Profile(p.name.clone()),
            (None, false) => SourceChoice::DefaultChain,
        };
        self.fields.mfa_serial = p.mfa_serial.clone().unwrap_or_default();
        self.mfa_guessed = false;
        self.fields.role_arn = p.role_arn.clone().unwrap_or_default();
        self.profile_role_arn.clone_from(&self.fields.role_arn);
        self.fields.external_id = p.external_id.clone().unwrap_or_default();
        if let Some(name) = &p.role_session_name {
            self.fields.session_name.clone_from(name);
        }
        self.fields.duration = p.duration_seconds.clone().unwrap_or_default();
        self.fields.region = p.region.clone().unwrap_or_default();
        self.code.clear();
    }

    /// The STS call the fields describe, given the MFA session that could be chained from.
    #[must_use]
    pub fn plan(&self, chainable: Option<&Session>) -> Plan {
        let mfa = !self.fields.mfa_serial.trim().is_empty();
        if self.fields.role_arn.trim().is_empty() {
            Plan::SessionToken { mfa }
        } else if self.chain && chainable.is_some() {
            Plan::Chained
        } else {
            Plan::AssumeRole { mfa }
        }
    }

    /// Checks every field and builds the request, or returns a message per bad field. `chainable`
    /// is the live MFA session (if any) that a role could be assumed from.
    pub fn check(&self, chainable: Option<&Session>) -> Result<SignInRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let plan = self.plan(chainable);

        let serial = optional(
            &mut errors,
            Field::MfaSerial,
            &self.fields.mfa_serial,
            validate::mfa_serial,
        );
        let code = if plan.needs_code() {
            keep(&mut errors, Field::Code, validate::code(&self.code))
        } else {
            None
        };
        let role = if self.fields.role_arn.trim().is_empty() {
            None
        } else {
            let arn = keep(
                &mut errors,
                Field::RoleArn,
                validate::role_arn(&self.fields.role_arn),
            );
            let name = keep(
                &mut errors,
                Field::SessionName,
                validate::session_name(&self.fields.session_name),
            );
            let ext = optional(
                &mut errors,
                Field::ExternalId,
                &self.fields.external_id,
                validate::external_id,
            );
            arn.zip(name).map(|(role_arn, session_name)| RoleRequest {
                role_arn,
                session_name,
                external_id: ext,
            })
        };
        let region = optional(
            &mut errors,
            Field::Region,
            &self.fields.region,
            validate::region,
        );
        let duration = self.check_duration(plan, &mut errors);
        if let SourceChoice::Profile(p) = &self.fields.source
            && p.trim().is_empty()
        {
            errors.insert(Field::Source, "Choose a profile".to_owned());
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        let mfa = serial.zip(code).map(|(serial, code)| Mfa { serial, code });
        let flow = match (plan, role, chainable) {
            (Plan::Chained, Some(role), Some(parent)) => Flow::Chained {
                role,
                parent: Box::new(parent.clone()),
            },
            (Plan::AssumeRole { .. }, Some(role), _) => Flow::AssumeRole { role, mfa },
            (Plan::SessionToken { .. }, None, _) => Flow::SessionToken { mfa },
            _ => {
                errors.insert(
                    Field::RoleArn,
                    "Internal error: the form changed while checking it".to_owned(),
                );
                return Err(errors);
            }
        };
        Ok(SignInRequest {
            name: self.session_key(),
            origin: self.origin(),
            source: SourceCredentials::from(&self.fields.source),
            region,
            duration,
            flow,
        })
    }

    /// The name the session will be listed and cached under: the profile while the form still
    /// describes it, else the role ARN, else the source of the credentials.
    #[must_use]
    pub fn session_key(&self) -> String {
        let role = self.fields.role_arn.trim();
        match &self.fields.profile {
            Some(p) if role == self.profile_role_arn.trim() => return p.clone(),
            _ => {}
        }
        if !role.is_empty() {
            return role.to_owned();
        }
        match &self.fields.source {
            SourceChoice::DefaultChain => "default".to_owned(),
            SourceChoice::Profile(p) => p.trim().to_owned(),
            SourceChoice::Keyring(k) => format!("keyring:{k}"),
        }
    }

    /// The fields as a session keeps them: trimmed, without the code.
    #[must_use]
    pub fn origin(&self) -> SignInFields {
        let f = &self.fields;
        SignInFields {
            profile: f.profile.clone(),
            source: f.source.clone(),
            mfa_serial: f.mfa_serial.trim().to_owned(),
            role_arn: f.role_arn.trim().to_owned(),
            session_name: f.session_name.trim().to_owned(),
            external_id: f.external_id.trim().to_owned(),
            duration: f.duration.trim().to_owned(),
            region: f.region.trim().to_owned(),
        }
    }

    /// Refills the form from a session's fields (Renew); the code is cleared.
    pub fn fill_from_origin(&mut self, o: &SignInFields) {
        self.fields = o.clone();
        self.mfa_guessed = false;
        if o.profile.is_some() {
            self.profile_role_arn.clone_from(&o.role_arn);
        }
        self.code.clear();
    }

    fn check_duration(&self, plan: Plan, errors: &mut FieldErrors) -> Option<u32> {
        if self.fields.duration.trim().is_empty() {
            return None;
        }
        let (max, flow) = match plan {
            Plan::SessionToken { .. } => (validate::MAX_SESSION_TOKEN_DURATION, "A session token"),
            Plan::AssumeRole { .. } => (validate::MAX_ASSUME_ROLE_DURATION, "A role session"),
            Plan::Chained => (validate::MAX_CHAINED_DURATION, "A chained role session"),
        };
        let checked = validate::parse_duration(&self.fields.duration)
            .and_then(|s| validate::duration_in(s, max, flow));
        match checked {
            Ok(s) => Some(s),
            Err(mut e) => {
                if plan == Plan::Chained
                    && validate::parse_duration(&self.fields.duration).is_ok_and(|s| s > max)
                {
                    e = "AWS caps a role assumed from an MFA session at 1 hour: shorten it, or assume the role directly with a new code".to_owned();
                }
                errors.insert(Field::Duration, e);
                None
            }
        }
    }
}

/// The checked value, or `None` with the message recorded for `field`.
fn keep(errors: &mut FieldErrors, field: Field, result: Result<String, String>) -> Option<String> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            errors.insert(field, e);
            None
        }
    }
}

/// An optional field: `None` when empty, else checked by `rule` like [`keep`].
fn optional(
    errors: &mut FieldErrors,
    field: Field,
    value: &str,
    rule: fn(&str) -> Result<String, String>,
) -> Option<String> {
    if value.trim().is_empty() {
        None
    } else {
        keep(errors, field, rule(value))
    }
}

/// Whether a session can be the source of chained role sessions: made by GetSessionToken with MFA,
/// and still live at `now`.
#[must_use]
pub fn can_chain_from(session: &Session, now: SystemTime) -> bool {
    matches!(session.kind, SessionKind::SessionToken { mfa: true }) && !session.is_expired(now)
}

/// The MFA session a form's role may be chained from: live, made from the same source
/// credentials (so a role is never assumed with another account's session), the one that lasts
/// longest.
pub fn chain_parent_for<'a>(
    form: &SignInForm,
    sessions: impl IntoIterator<Item = &'a Session>,
    now: SystemTime,
) -> Option<&'a Session> {
    sessions
        .into_iter()
        .filter(|s| can_chain_from(s, now) && s.origin.source == form.fields.source)
        .max_by_key(|s| s.expires_at)
}
