//! The app's plain state: the form, the sessions, the request in flight, the last error. Events
//! change it through [`AppState::apply`]; user actions return the [`Command`]s to send. Time is
//! always passed in.

pub mod browser;
mod cred_write;
mod keys;

pub use cred_write::CredWrite;
pub use keys::{KeyForm, KeyringState};

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::aws::SourceCredentials;
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::profiles::Profiles;
use crate::clipboard;
use crate::export::ExportFormat;
use crate::message::{Command, Event, RequestId, Watch, Watched};
use crate::secret::Secret;
use crate::session::{Session, SignInFields};
use crate::signin::{FieldErrors, SignInForm, chain_parent_for};

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
    /// The last form, but for the code and the ExternalId (which some teams treat as a shared
    /// secret, so it stays off disk).
    pub form: SignInFields,
    /// Export format.
    pub export_format: ExportFormat,
    /// Seconds before the copied exports are cleared from the clipboard (0 = never).
    pub clear_clipboard_after: u64,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            form: SignInForm::default().fields,
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
    /// Every session of this run and those restored from the keyring, by name; each keeps its own
    /// countdown. Kept after expiry to say so, never used then.
    pub sessions: Vec<Session>,
    /// The name of the session shown in the Session panel.
    pub selected: Option<String>,
    /// The keyring: its keys, and why it cannot be used when it cannot.
    pub keyring: KeyringState,
    /// Commands produced while applying events (sent by the app after the frame).
    pub outbox: Vec<Command>,
    /// The "add keys" form.
    pub key_form: KeyForm,
    /// Writing the session into the credentials file.
    pub cred_write: CredWrite,
    /// The request in flight.
    pub pending: Option<Pending>,
    /// The S3 browser.
    pub browser: browser::Browser,
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
            fields: prefs.form,
            ..SignInForm::default()
        };
        Self {
            form,
            browser: browser::Browser::new(),
            export_format: prefs.export_format,
            clear_clipboard_after: prefs.clear_clipboard_after,
            ..Self::default()
        }
    }

    /// The preferences to persist.
    #[must_use]
    pub fn prefs(&self) -> Prefs {
        Prefs {
            form: SignInFields {
                external_id: String::new(),
                ..self.form.fields.clone()
            },
            export_format: self.export_format,
            clear_clipboard_after: self.clear_clipboard_after,
        }
    }

    /// Marks a new request of `kind` as the one in flight (replacing any other) and returns its id.
    fn start(&mut self, kind: PendingKind) -> RequestId {
        let id = crate::message::next_id();
        self.pending = Some(Pending { id, kind });
        self.error = None;
        id
    }

    /// The session shown in the Session panel (the selected one, else the newest).
    #[must_use]
    pub fn current(&self) -> Option<&Session> {
        self.selected
            .as_deref()
            .and_then(|n| self.sessions.iter().find(|s| s.name == n))
            .or_else(|| self.sessions.last())
    }

    /// The shown session, if it is still live at `now`. keyfob never uses an expired one.
    #[must_use]
    pub fn live_session(&self, now: SystemTime) -> Option<&Session> {
        self.current().filter(|s| !s.is_expired(now))
    }

    /// The MFA session the form's role can be chained from, if one is live at `now`.
    #[must_use]
    pub fn chainable(&self, now: SystemTime) -> Option<&Session> {
        chain_parent_for(&self.form, &self.sessions, now)
    }

    /// Shows the session named `name`.
    pub fn select_session(&mut self, name: &str) {
        if self.sessions.iter().any(|s| s.name == name) {
            self.selected = Some(name.to_owned());
        }
    }

    /// Adds a session or replaces the one with its name, and shows it.
    fn upsert(&mut self, session: Session) {
        self.selected = Some(session.name.clone());
        match self.sessions.iter_mut().find(|s| s.name == session.name) {
            Some(slot) => *slot = session,
            None => self.sessions.push(session),
        }
    }

    fn keyring_usable(&self) -> bool {
        self.keyring.available == Some(true)
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
        let region = self.form.fields.region.trim();
        if !region.is_empty() && crate::validate::region(region).is_err() {
            self.attempted = true;
            return None;
        }
        let id = self.start(PendingKind::Detect);
        self.notice = None;
        let source = SourceCredentials::from(&self.form.fields.source);
        let region = Some(self.form.fields.region.trim().to_owned()).filter(|r| !r.is_empty());
        Some(Command::DetectMfa { id, source, region })
    }

    /// Stops the running request; its answer will be dropped.
    pub fn cancel(&mut self) -> Option<Command> {
        let p = self.pending.take()?;
        self.status = Some("Cancelled".to_owned());
        Some(Command::Cancel { id: p.id })
    }

    /// Renew: refill the form from the shown session, clear the code and put the cursor there.
    pub fn renew(&mut self) {
        if let Some(origin) = self.current().map(|s| s.origin.clone())
            && origin != SignInFields::default()
        {
            self.form.fill_from_origin(&origin);
        }
        self.form.code.clear();
        self.focus_code = true;
        self.attempted = false;
        self.error = None;
        self.status = Some("Enter a new code to renew the session".to_owned());
    }

    /// Forgets the shown session, in memory and in the keyring; clears the clipboard now if it
    /// holds keyfob's exports.
    pub fn sign_out(&mut self) -> Option<Command> {
        if let Some(name) = self.current().map(|s| s.name.clone()) {
            self.sessions.retain(|s| s.name != name);
            if self.keyring_usable() {
                self.outbox.push(Command::ForgetSession { name });
            }
        }
        self.selected = self.sessions.last().map(|s| s.name.clone());
        self.error = None;
        self.form.code.clear();
        self.status = Some("Signed out".to_owned());
        self.clipboard.take().map(|m| {
            Command::Watch(Watch::ClearClipboardNow {
                fingerprint: m.fingerprint,
            })
        })
    }

    /// What the session supervisor is to watch: every session and the one shown.
    #[must_use]
    pub fn watch(&self) -> Watch {
        Watch::Sessions {
            sessions: self
                .sessions
                .iter()
                .map(|s| Watched {
                    name: s.name.clone(),
                    who: s
                        .identity
                        .as_ref()
                        .map_or_else(|| s.name.clone(), |i| i.short_name().to_owned()),
                    expires_at: s.expires_at,
                })
                .collect(),
            shown: self.current().map(|s| s.name.clone()),
        }
    }

    /// The export text for the live session, and marks it for clearing. `None` (with a status
    /// message) when there is no live session or the format cannot express a value.
    pub fn copy_exports(&mut self, now: SystemTime) -> Option<Secret> {
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
                // The supervisor clears it on time, whether the window is shown or not.
                if let Some(m) = self.clipboard {
                    self.outbox.push(Command::Watch(Watch::Clipboard {
                        fingerprint: m.fingerprint,
                        clear_at: m.clear_at,
                    }));
                }
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

    /// Applies a worker event.
    pub fn apply(&mut self, event: Event, now: SystemTime) {
        match event {
            Event::Profiles(Ok(profiles)) => {
                self.profiles = profiles;
                self.profiles_error = None;
                // First start: pick AWS_PROFILE (or default) when the user has not chosen before.
                if self.form.fields.profile.is_none()
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
                        self.status = Some(format!("Signed in: {}", session.kind.describe()));
                        self.error = None;
                        if self.keyring_usable() {
                            self.outbox.push(Command::CacheSession {
                                session: session.clone(),
                            });
                        }
                        self.upsert(*session);
                        // Renewed from the browser: back to the same bucket and prefix (the
                        // browser sees the new credentials and lists them again).
                        if std::mem::take(&mut self.browser.return_after_renew) {
                            self.browser.shown = true;
                        }
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
                        self.form.fields.mfa_serial = found.serial;
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
            Event::Cache(Ok(contents)) => {
                self.keyring.available = Some(true);
                self.keyring.error = None;
                self.keyring.keys = contents.keys;
                self.keyring.problems = contents.problems;
                let mut restored = 0;
                for s in contents.sessions {
                    if !s.usable_for_cache(now) {
                        // Expired (or within the margin): drop it from the keyring too.
                        self.outbox.push(Command::ForgetSession { name: s.name });
                    } else if !self.sessions.iter().any(|x| x.name == s.name) {
                        self.sessions.push(s);
                        restored += 1;
                    }
                }
                if restored > 0 {
                    if self.selected.is_none() {
                        self.selected = self.sessions.last().map(|s| s.name.clone());
                    }
                    self.status = Some(format!(
                        "Restored {restored} live session{} from the keyring",
                        if restored == 1 { "" } else { "s" }
                    ));
                }
            }
            Event::Cache(Err(e)) => {
                self.keyring.available = Some(false);
                self.keyring.error = Some(format!(
                    "{e}. keyfob still works, but sessions are kept in memory only and long-term keys cannot be stored."
                ));
            }
            Event::Keys(Ok(keys)) => self.keyring.keys = keys,
            Event::Keys(Err(e)) => self.keyring.error = Some(e.to_string()),
            Event::KeyringFailed(e) => self.keyring.error = Some(e),
            Event::KeySaved {
                name,
                imported_from,
            } => {
                self.status = Some(format!("Keys {name} are in the keyring"));
                self.keyring.offer_remove = imported_from;
            }
            Event::ProfilePlanned(result) => self.cred_write.planned(result),
            Event::ProfileWritten(result) => {
                if let Some(text) = self.cred_write.written(result) {
                    self.status = Some(text);
                }
            }
            Event::Browse(e) => self.browser.apply(e),
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

    /// Checks the "add keys" form; returns the command, or leaves messages and sends nothing.
    pub fn add_key(&mut self) -> Option<Command> {
        let usable = self.keyring_usable();
        self.key_form.submit(usable)
    }

    /// Plans writing the shown session into the credentials file under the typed profile name.
    pub fn plan_profile_write(&mut self, now: SystemTime) -> Option<Command> {
        let session = self.live_session(now).cloned();
        self.cred_write.plan(session)
    }

    /// Writes the planned change.
    pub fn write_profile(&mut self) -> Option<Command> {
        self.cred_write.write()
    }

    /// The window title at `now`: the countdown mirrored to the minute. (Each title change costs
    /// the window two extra frames, so it changes once a minute rather than every second.)
    #[must_use]
    pub fn title(&self, now: SystemTime) -> String {
        match self.current() {
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
