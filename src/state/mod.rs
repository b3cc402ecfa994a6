//! The app's plain state: the form, the sessions, the request in flight, the last error. Events
//! change it through [`AppState::apply`]; user actions return the [`Command`]s to send. Time is
//! always passed in.

pub mod form;

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::profiles::Profiles;
use crate::clipboard;
use crate::message::{Command, Event, RequestId};
use crate::session::{ExportFormat, Session};
use form::{FieldErrors, SignInForm, SourceChoice, can_chain_from};

/// What a running request is doing (for the button label and Cancel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PendingKind {
    /// Signing in.
    SignIn,
    /// Finding the MFA device.
    Detect,
}

/// The request in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Its tag; answers with another tag are dropped.
    pub id: RequestId,
    /// What it does.
    pub kind: PendingKind,
}

/// Non-secret preferences kept across runs in eframe's persistence file. This struct is the whole
/// of what is persisted, so no secret can end up there by accident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Last profile used.
    pub profile: Option<String>,
    /// Last source credentials choice.
    pub source: SourceChoice,
    /// Last MFA device.
    pub mfa_serial: String,
    /// Last role ARN.
    pub role_arn: String,
    /// Last session name.
    pub session_name: String,
    /// Last duration.
    pub duration: String,
    /// Last region.
    pub region: String,
    /// Export format.
    pub export_format: ExportFormat,
    /// Seconds before the copied exports are cleared from the clipboard (0 = never).
    pub clear_clipboard_after: u64,
}

impl Default for Prefs {
    fn default() -> Self {
        let form = SignInForm::default();
        Self {
            profile: None,
            source: SourceChoice::DefaultChain,
            mfa_serial: String::new(),
            role_arn: String::new(),
            session_name: form.session_name,
            duration: String::new(),
            region: String::new(),
            export_format: ExportFormat::Bash,
            clear_clipboard_after: 60,
        }
    }
}

/// keyfob put text on the clipboard and will clear it at `clear_at` if it is still there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClipboardMark {
    /// Fingerprint of the copied text.
    pub fingerprint: u64,
    /// When to clear it.
    pub clear_at: SystemTime,
}

/// Everything the window shows.
#[derive(Debug, Default)]
pub struct AppState {
    /// The sign-in form.
    pub form: SignInForm,
    /// Profiles from the AWS config.
    pub profiles: Profiles,
    /// Why the profiles could not be read.
    pub profiles_error: Option<String>,
    /// The session in use (shown with its countdown); kept after expiry to say so, never used then.
    pub session: Option<Session>,
    /// The live MFA session (GetSessionToken with a code) that roles can be chained from.
    pub mfa_session: Option<Session>,
    /// The request in flight.
    pub pending: Option<Pending>,
    /// The last id handed out.
    last_id: RequestId,
    /// The last failure, shown above the form until the next attempt.
    pub error: Option<AwsError>,
    /// Whether the error's detail is unfolded.
    pub show_error_detail: bool,
    /// An informational note (e.g. "guessed from your user name").
    pub notice: Option<String>,
    /// Whether the user tried to sign in (then every field's message is shown).
    pub attempted: bool,
    /// The UI should put the cursor in the code field on the next frame.
    pub focus_code: bool,
    /// Chosen export format.
    pub export_format: ExportFormat,
    /// Seconds before copied exports are cleared (0 = never).
    pub clear_clipboard_after: u64,
    /// Pending clipboard clearing.
    pub clipboard: Option<ClipboardMark>,
    /// A short status line ("Copied 5 lines …").
    pub status: Option<String>,
    /// Whether the About box is open.
    pub show_about: bool,
}

impl AppState {
    /// A fresh state from saved preferences.
    #[must_use]
    pub fn from_prefs(prefs: Prefs) -> Self {
        let form = SignInForm {
            profile: prefs.profile,
            source: prefs.source,
            mfa_serial: prefs.mfa_serial,
            role_arn: prefs.role_arn,
            session_name: prefs.session_name,
            duration: prefs.duration,
            region: prefs.region,
            ..SignInForm::default()
        };
        Self {
            form,
            export_format: prefs.export_format,
            clear_clipboard_after: prefs.clear_clipboard_after,
            ..Self::default()
        }
    }

    /// The preferences to persist.
    #[must_use]
    pub fn prefs(&self) -> Prefs {
        Prefs {
            profile: self.form.profile.clone(),
            source: self.form.source.clone(),
            mfa_serial: self.form.mfa_serial.clone(),
            role_arn: self.form.role_arn.clone(),
            session_name: self.form.session_name.clone(),
            duration: self.form.duration.clone(),
            region: self.form.region.clone(),
            export_format: self.export_format,
            clear_clipboard_after: self.clear_clipboard_after,
        }
    }

    /// Marks a new request of `kind` as the one in flight (replacing any other) and returns its id.
    fn start(&mut self, kind: PendingKind) -> RequestId {
        self.last_id += 1;
        self.pending = Some(Pending {
            id: self.last_id,
            kind,
        });
        self.error = None;
        self.last_id
    }

    /// The session, if it is still live at `now`. keyfob never uses an expired one.
    #[must_use]
    pub fn live_session(&self, now: SystemTime) -> Option<&Session> {
        self.session.as_ref().filter(|s| !s.is_expired(now))
    }

    /// The MFA session roles can be chained from, if live at `now`.
    #[must_use]
    pub fn chainable(&self, now: SystemTime) -> Option<&Session> {
        self.mfa_session.as_ref().filter(|s| can_chain_from(s, now))
    }

    /// The form's messages at `now`.
    pub fn form_errors(&self, now: SystemTime) -> FieldErrors {
        self.form
            .check(self.chainable(now))
            .err()
            .unwrap_or_default()
    }

    /// Selects a profile and fills the form from it.
    pub fn select_profile(&mut self, name: &str) {
        if let Some(p) = self.profiles.get(name).cloned() {
            self.form.fill_from(&p);
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

    /// The user asked to sign in: checks the form and returns the command, or records the
    /// messages and sends nothing.
    pub fn submit(&mut self, now: SystemTime) -> Option<Command> {
        self.attempted = true;
        if self.pending.is_some_and(|p| p.kind == PendingKind::SignIn) {
            return None;
        }
        let request = self.form.check(self.chainable(now)).ok()?;
        let id = self.start(PendingKind::SignIn);
        self.status = None;
        Some(Command::SignIn {
            id,
            request: Box::new(request),
        })
    }

    /// The user asked to find the MFA device for the chosen source.
    pub fn detect(&mut self) -> Option<Command> {
        let region = self.form.region.trim();
        if !region.is_empty() && crate::validate::region(region).is_err() {
            self.attempted = true;
            return None;
        }
        let id = self.start(PendingKind::Detect);
        self.notice = None;
        let source = self.form.source.credentials();
        let region = Some(self.form.region.trim().to_owned()).filter(|r| !r.is_empty());
        Some(Command::DetectMfa { id, source, region })
    }

    /// Stops the running request; its answer will be dropped.
    pub fn cancel(&mut self) -> Option<Command> {
        let p = self.pending.take()?;
        self.status = Some("Cancelled".to_owned());
        Some(Command::Cancel { id: p.id })
    }

    /// Renew: keep every field, clear the code and put the cursor there.
    pub fn renew(&mut self) {
        self.form.code.clear();
        self.focus_code = true;
        self.attempted = false;
        self.error = None;
        self.status = Some("Enter a new code to renew the session".to_owned());
    }

    /// Forgets every session in memory; clears the clipboard now if it holds keyfob's exports.
    pub fn sign_out(&mut self) -> Option<Command> {
        self.session = None;
        self.mfa_session = None;
        self.error = None;
        self.form.code.clear();
        self.status = Some("Signed out".to_owned());
        self.clipboard.take().map(|m| Command::ClearClipboard {
            fingerprint: m.fingerprint,
        })
    }

    /// The export text for the live session, and marks it for clearing. `None` (with a status
    /// message) when there is no live session or the format cannot express a value.
    pub fn copy_exports(&mut self, now: SystemTime) -> Option<crate::secret::Secret> {
        let Some(session) = self.live_session(now) else {
            self.status = Some("No live session to export: sign in first".to_owned());
            return None;
        };
        match session.export(self.export_format) {
            Ok(text) => {
                let lines = text.expose().lines().count();
                self.clipboard = (self.clear_clipboard_after > 0).then(|| ClipboardMark {
                    fingerprint: clipboard::fingerprint(text.expose()),
                    clear_at: now + Duration::from_secs(self.clear_clipboard_after),
                });
                self.status = Some(if self.clear_clipboard_after > 0 {
                    format!(
                        "Copied {lines} {} lines; the clipboard is cleared in {} s",
                        self.export_format.label(),
                        self.clear_clipboard_after
                    )
                } else {
                    format!("Copied {lines} {} lines", self.export_format.label())
                });
                Some(text)
            }
            Err(e) => {
                self.status = Some(e.to_string());
                None
            }
        }
    }

    /// Time-driven work at `now`: the clipboard deadline. Returns the commands to send.
    pub fn tick(&mut self, now: SystemTime) -> Option<Command> {
        match self.clipboard {
            Some(mark) if now >= mark.clear_at => {
                self.clipboard = None;
                Some(Command::ClearClipboard {
                    fingerprint: mark.fingerprint,
                })
            }
            _ => None,
        }
    }

    /// Applies a worker event.
    pub fn apply(&mut self, event: Event, now: SystemTime) {
        match event {
            Event::Profiles(Ok(profiles)) => {
                self.profiles = profiles;
                self.profiles_error = None;
                // First start: pick AWS_PROFILE (or default) when the user has not chosen before.
                if self.form.profile.is_none()
                    && let Some(sel) = self.profiles.selected.clone()
                {
                    self.select_profile(&sel);
                }
            }
            Event::Profiles(Err(e)) => self.profiles_error = Some(e),
            Event::SignedIn { id, result } => {
                if !self.take_pending(id) {
                    tracing::debug!(id, "dropping the answer to a replaced sign-in");
                    return;
                }
                self.attempted = false;
                match result {
                    Ok(session) => {
                        self.form.code.clear();
                        let session = *session;
                        if can_chain_from(&session, now) {
                            self.mfa_session = Some(session.clone());
                        }
                        self.status = Some(format!("Signed in: {}", session.kind.describe()));
                        self.error = None;
                        self.session = Some(session);
                    }
                    Err(e) => {
                        tracing::info!(kind = ?e.kind, "sign-in failed: {}", e.message);
                        // A code is single-use: clear it when AWS rejected it (or the session it
                        // was for is gone); keep it after a network failure, it may still be good.
                        if matches!(
                            e.kind,
                            ErrorKind::MfaRejected | ErrorKind::AccessDenied | ErrorKind::Expired
                        ) {
                            self.form.code.clear();
                        }
                        self.error = Some(e);
                        self.show_error_detail = false;
                        self.focus_code = true;
                    }
                }
            }
            Event::MfaDetected { id, result } => {
                if !self.take_pending(id) {
                    return;
                }
                match result {
                    Ok(found) => {
                        self.form.mfa_serial = found.serial;
                        self.form.mfa_guessed = found.guessed;
                        self.notice = Some(if found.guessed {
                            "MFA device guessed from your user name (IAM could not list your devices): check it".to_owned()
                        } else {
                            "MFA device found in IAM".to_owned()
                        });
                        self.focus_code = true;
                    }
                    Err(e) => {
                        self.error = Some(e);
                        self.show_error_detail = false;
                    }
                }
            }
            Event::ClipboardChecked { cleared } => {
                if cleared {
                    self.status = Some("Clipboard cleared".to_owned());
                }
            }
        }
    }

    fn take_pending(&mut self, id: RequestId) -> bool {
        if self.pending.is_some_and(|p| p.id == id) {
            self.pending = None;
            true
        } else {
            false
        }
    }

    /// The window title at `now`: the countdown mirrored to the minute. (Each title change costs
    /// the window two extra frames, so it changes once a minute rather than every second.)
    #[must_use]
    pub fn title(&self, now: SystemTime) -> String {
        match &self.session {
            Some(s) if s.is_expired(now) => "keyfob — session expired".to_owned(),
            Some(s) if s.remaining(now) < Duration::from_secs(60) => {
                "keyfob — under a minute left".to_owned()
            }
            Some(s) => format!(
                "keyfob — {} left",
                crate::validate::human_duration(s.remaining(now).as_secs())
            ),
            None => "keyfob".to_owned(),
        }
    }
}
