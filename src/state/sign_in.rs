//! The Sign in panel's state: the form, the profiles it is filled from, the request in flight and
//! what the last attempt said. Checking the form lives in [`crate::signin`], shared with the CLI.

use crate::aws::SourceCredentials;
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::profiles::{ProfileError, Profiles};
use crate::aws::sts::DetectedMfa;
use crate::message::{Command, Outbox, RequestId, next_id};
use crate::notice::Notice;
use crate::session::{Session, SignInFields};
use crate::signin::{Field, FieldErrors, SignInForm};

/// What a running request is doing (for the button label and Cancel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PendingKind {
    SignIn,
    /// Finding the MFA device.
    Detect,
    /// Waiting for the YubiKey's code (a touch, perhaps).
    KeyCode,
    /// Signing in through the browser (AWS Sign-In, IAM Identity Center).
    Browser,
}

/// How the chosen profile signs in when it signs in through the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserKind {
    /// AWS Sign-In (`login_session`): the console sign-in, with a passkey, key or code.
    Login,
    /// IAM Identity Center (`sso_session` or `sso_start_url`).
    Sso,
}

/// The request in flight; answers with another id are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: RequestId,
    pub kind: PendingKind,
}

#[derive(Debug, Default)]
pub struct SignIn {
    pub form: SignInForm,
    /// Profiles from the AWS config files.
    pub profiles: Profiles,
    /// Why the profiles could not be read.
    pub profiles_error: Option<Notice>,
    pub pending: Option<Pending>,
    /// The last failure, shown above the form until the next attempt. Kept typed: its kind
    /// decides whether the code is cleared.
    pub error: Option<AwsError>,
    /// A note about the form ("MFA device found in IAM").
    pub notice: Option<Notice>,
    /// The user tried to sign in: every field's message is shown, empty ones too.
    pub attempted: bool,
    /// The UI puts the cursor in the code field on the next frame.
    pub focus_code: bool,
    /// The YubiKey OATH account the chosen profile names: an empty code is asked of the key.
    pub oath_account: Option<String>,
    /// Why the key gave no code, shown by the code field.
    pub key_error: Option<String>,
    /// What a browser sign-in in flight waits for: the page and code to show.
    pub browser: Option<crate::aws::cached_sign_in::Waiting>,
    /// Choosing an account and role of an IAM Identity Center profile.
    pub pick: Option<super::sso_pick::SsoPick>,
    /// The profile to choose once the profiles are read again (one just saved).
    pub select_after_load: Option<String>,
    /// The profile name an AWS Sign-In from the code form signs in as (as typed).
    pub login_name: String,
    /// The AWS Sign-In in flight from the code form: the profile it writes.
    pub login_pending: Option<(RequestId, String)>,
}

impl SignIn {
    /// Marks a new request of `kind` as the one in flight (replacing any other) and returns its id.
    pub(super) fn start(&mut self, kind: PendingKind) -> RequestId {
        let id = next_id();
        self.pending = Some(Pending { id, kind });
        self.error = None;
        id
    }

    /// Whether `id` is the request in flight; if so it is no longer pending.
    pub fn take_pending(&mut self, id: RequestId) -> bool {
        if self.pending.is_some_and(|p| p.id == id) {
            self.pending = None;
            self.browser = None;
            true
        } else {
            false
        }
    }

    /// The form's messages, given the MFA session a role could be chained from. An empty code
    /// is no error when the YubiKey gives it.
    #[must_use]
    pub fn errors(&self, chainable: Option<&Session>) -> FieldErrors {
        let mut errors = self.form.check(chainable).err().unwrap_or_default();
        if self.uses_key() {
            errors.remove(&Field::Code);
        }
        errors
    }

    /// Whether a sign-in now takes its code from the YubiKey: the profile names an OATH
    /// account and no code was typed.
    #[must_use]
    pub fn uses_key(&self) -> bool {
        self.oath_account.is_some() && self.form.code.trim().is_empty()
    }

    /// Selects a profile and fills the form from it.
    pub fn select_profile(&mut self, name: &str) {
        if self.pick.as_ref().is_some_and(|p| p.profile != name) {
            self.pick = None;
        }
        if let Some(p) = self.profiles.get(name).cloned() {
            self.form.fill_from(&p);
            self.oath_account.clone_from(&p.oath_account);
            self.key_error = None;
            self.attempted = false;
            self.notice = None;
        }
    }

    /// Selects the profile `step` places after (or before, when negative) the current one, as the
    /// arrow keys do on a focused profile selector. Stops at either end.
    pub fn step_profile(&mut self, step: isize) {
        let list = &self.profiles.list;
        if list.is_empty() {
            return;
        }
        let current = self
            .form
            .fields
            .profile
            .as_deref()
            .and_then(|name| list.iter().position(|p| p.name == name));
        let next = match current {
            Some(i) => i.saturating_add_signed(step).min(list.len() - 1),
            None => 0,
        };
        if let Some(name) = list.get(next).map(|p| p.name.clone()) {
            self.select_profile(&name);
        }
    }

    /// Checks the form and sends the sign-in, or records the messages and sends nothing. Returns
    /// whether a request left.
    pub fn submit(&mut self, chainable: Option<&Session>, out: &mut Outbox) -> bool {
        self.attempted = true;
        if self.pending.is_some_and(|p| p.kind != PendingKind::Detect) {
            return false;
        }
        self.key_error = None;
        if self.form.plan(chainable).needs_code()
            && self.uses_key()
            && self.errors(chainable).is_empty()
            && let Some(account) = self.oath_account.clone()
        {
            let id = self.start(PendingKind::KeyCode);
            out.send(Command::KeyCode { id, account });
            return false;
        }
        let Ok(request) = self.form.check(chainable) else {
            return false;
        };
        let id = self.start(PendingKind::SignIn);
        out.send(Command::SignIn {
            id,
            request: Box::new(request),
        });
        true
    }

    /// How the chosen profile signs in through the browser, if it does.
    #[must_use]
    pub fn browser_kind(&self) -> Option<BrowserKind> {
        let profile = self.profiles.get(self.form.fields.profile.as_deref()?)?;
        if profile.sso.is_some() {
            Some(BrowserKind::Sso)
        } else if profile.login_session.is_some() {
            Some(BrowserKind::Login)
        } else {
            None
        }
    }

    /// Whether the chosen IAM Identity Center profile names its account and role.
    #[must_use]
    pub fn profile_names_sso_role(&self) -> bool {
        self.form
            .fields
            .profile
            .as_deref()
            .and_then(|n| self.profiles.get(n))
            .and_then(|p| p.sso.as_ref())
            .is_some_and(|s| s.as_ref().is_ok_and(|s| s.role().is_some()))
    }

    /// Signs the chosen profile in through the browser (or from its cached sign-in). Returns
    /// whether a request left.
    pub fn sign_in_in_browser(&mut self, out: &mut Outbox) -> bool {
        if self.pending.is_some_and(|p| p.kind != PendingKind::Detect)
            || self.browser_kind().is_none()
        {
            return false;
        }
        let Some(profile) = self.form.fields.profile.clone() else {
            return false;
        };
        self.browser = None;
        let id = self.start(PendingKind::Browser);
        out.send(Command::BrowserSignIn { id, profile });
        true
    }

    /// The name an AWS Sign-In from the code form would sign in as: as typed, else `default` when
    /// there is no such profile yet, else `login`.
    #[must_use]
    pub fn login_name_or_default(&self) -> String {
        let typed = self.login_name.trim();
        if !typed.is_empty() {
            return typed.to_owned();
        }
        if self.profiles.get("default").is_none() {
            "default".to_owned()
        } else {
            "login".to_owned()
        }
    }

    /// Signs in with AWS Sign-In in the browser as a new (or AWS Sign-In) profile, from the code
    /// form: for someone whose MFA is a passkey. A name that is no profile name is said by the
    /// field and nothing is sent. Returns whether a request left.
    pub fn login_as_profile(&mut self, out: &mut Outbox) -> bool {
        if self.pending.is_some_and(|p| p.kind != PendingKind::Detect) {
            return false;
        }
        let name = self.login_name_or_default();
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c))
        {
            self.error = Some(AwsError::new(
                ErrorKind::Invalid,
                format!("'{name}' is not a usable profile name (letters, digits and - _ . @ +)"),
            ));
            return false;
        }
        let region = Some(self.form.fields.region.trim())
            .filter(|r| !r.is_empty() && crate::validate::region(r).is_ok())
            .unwrap_or(crate::aws::FALLBACK_REGION)
            .to_owned();
        self.browser = None;
        let id = self.start(PendingKind::Browser);
        self.login_pending = Some((id, name.clone()));
        out.send(Command::LoginAsProfile {
            id,
            profile: name,
            region,
        });
        true
    }

    /// The browser sign-in `id` waits for the user.
    pub fn browser_waiting(&mut self, id: RequestId, waiting: crate::aws::cached_sign_in::Waiting) {
        if self.pending.is_some_and(|p| p.id == id) {
            self.browser = Some(waiting);
        }
    }

    /// Asks the worker to find the MFA device of the chosen source.
    pub fn detect(&mut self, out: &mut Outbox) {
        let region = self.form.fields.region.trim();
        if !region.is_empty() && crate::validate::region(region).is_err() {
            self.attempted = true;
            return;
        }
        let region = Some(region.to_owned()).filter(|r| !r.is_empty());
        let id = self.start(PendingKind::Detect);
        self.notice = None;
        let source = SourceCredentials::from(&self.form.fields.source);
        out.send(Command::DetectMfa { id, source, region });
    }

    /// Stops the running request (its answer will be dropped); whether there was one.
    pub fn cancel(&mut self, out: &mut Outbox) -> bool {
        let Some(p) = self.pending.take() else {
            return false;
        };
        self.browser = None;
        self.login_pending = None;
        out.send(Command::Cancel { id: p.id });
        true
    }

    /// Renew: refill the form from the session's fields, clear the code and put the cursor there.
    pub fn renew(&mut self, origin: Option<&SignInFields>) {
        if let Some(origin) = origin.filter(|o| **o != SignInFields::default()) {
            self.form.fill_from_origin(origin);
        }
        self.form.code.clear();
        self.focus_code = true;
        self.attempted = false;
        self.error = None;
    }

    pub fn profiles_loaded(&mut self, result: Result<Profiles, ProfileError>) {
        match result {
            Ok(profiles) => {
                self.profiles = profiles;
                self.profiles_error = None;
                if let Some(name) = self.select_after_load.take()
                    && self.profiles.get(&name).is_some()
                {
                    self.select_profile(&name);
                }
                // First start: pick AWS_PROFILE (or default) when the user has not chosen before.
                if self.form.fields.profile.is_none()
                    && let Some(sel) = self.profiles.selected.clone()
                {
                    self.select_profile(&sel);
                }
            }
            Err(e) => self.profiles_error = Some(Notice::from_error(&e)),
        }
    }

    /// A sign-in of ours succeeded: the code is spent.
    pub fn succeeded(&mut self) {
        self.attempted = false;
        self.form.code.clear();
        self.error = None;
    }

    /// A sign-in of ours failed.
    pub fn failed(&mut self, e: AwsError) {
        self.attempted = false;
        // A code is single-use: clear it when AWS rejected it (or the session it was for is
        // gone); keep it after a network failure, it may still be good.
        if matches!(
            e.kind,
            ErrorKind::MfaRejected | ErrorKind::AccessDenied | ErrorKind::Expired
        ) {
            self.form.code.clear();
        }
        self.error = Some(e);
        self.focus_code = true;
    }

    /// The YubiKey's answer: the code (true: sign in with it now), or why not, by the code field.
    pub fn key_answered(
        &mut self,
        id: RequestId,
        result: Result<crate::secret::Secret, crate::oath::OathError>,
    ) -> bool {
        if !self.take_pending(id) {
            return false;
        }
        match result {
            Ok(code) => {
                code.expose().clone_into(&mut self.form.code);
                true
            }
            Err(e) => {
                self.key_error = Some(e.to_string());
                self.focus_code = true;
                false
            }
        }
    }

    pub fn detected(&mut self, id: RequestId, result: Result<DetectedMfa, AwsError>) {
        if !self.take_pending(id) {
            return;
        }
        match result {
            Ok(found) => {
                self.form.fields.mfa_serial = found.serial;
                self.form.mfa_guessed = found.guessed;
                self.notice = Some(Notice::info(if found.guessed {
                    "MFA device guessed from your user name (IAM could not list your devices): check it"
                } else {
                    "MFA device found in IAM"
                }));
                self.focus_code = true;
            }
            Err(e) => {
                self.error = Some(e);
            }
        }
    }
}
