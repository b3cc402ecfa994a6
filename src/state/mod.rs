//! The app's plain state, one part per panel: [`SignIn`], [`Sessions`], the keyring
//! ([`KeyringState`], [`KeyForm`]), the credentials-file writer ([`CredWrite`]) and the S3
//! [`Browser`]. [`AppState`] composes them and handles what crosses parts (a sign-in's answer
//! touches the form, the session list, the keyring and the browser). Events change it through
//! [`AppState::apply`]; every user action and event leaves its commands in the one
//! [`Outbox`]. Time is always passed in.

pub mod browser;
mod cred_write;
mod keys;
mod renewal;
mod sessions;
mod sign_in;
mod sso_pick;
mod sso_pick_actions;
mod tools;

pub use browser::Browser;
pub use cred_write::CredWrite;
pub use keys::{KeyField, KeyForm, KeyringState};
pub use sessions::{ClipboardMark, Sessions};
pub use sign_in::{BrowserKind, Pending, PendingKind, SignIn};
pub use sso_pick::SsoPick;
pub use tools::{ToolAsk, ToolAsks};

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::aws::console::ConsoleError;
use crate::export::ExportFormat;
use crate::message::{Command, Event, Outbox, Watch};
use crate::notice::Notice;
use crate::session::{Session, SignInFields};
use crate::signin::{FieldErrors, SignInForm, chain_parent_for};

/// Non-secret preferences kept across runs in eframe's persistence file. This struct is the whole
/// of what is persisted, so no secret can end up there by accident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The last form, but for the code and the ExternalId (which some teams treat as a shared
    /// secret, so it stays off disk).
    pub form: SignInFields,
    pub export_format: ExportFormat,
    /// Seconds before the copied exports are cleared from the clipboard (0 = never).
    pub clear_clipboard_after: u64,
    /// Minutes before its end a chained role session renews itself (0 = never).
    pub renew_minutes: u64,
    /// Closing the window while sessions are live keeps keyfob in the tray (when one shows it).
    pub keep_in_tray: bool,
    /// The S3 browser's bookmarks and recent locations per account: bucket and folder names.
    pub places: browser::Places,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            form: SignInForm::default().fields,
            export_format: ExportFormat::Bash,
            clear_clipboard_after: 60,
            renew_minutes: 10,
            keep_in_tray: true,
            places: browser::Places::default(),
        }
    }
}

/// Everything the window shows.
#[derive(Debug, Default)]
pub struct AppState {
    /// Closing the window keeps keyfob in the tray while sessions are live (a preference).
    pub keep_in_tray: bool,
    pub sign_in: SignIn,
    pub sessions: Sessions,
    pub keyring: KeyringState,
    pub key_form: KeyForm,
    pub cred_write: CredWrite,
    pub browser: Browser,
    /// The one way out: commands for the worker and text for the clipboard.
    pub outbox: Outbox,
    /// Tools waiting for a code.
    pub tools: ToolAsks,
    /// The status line ("Copied 5 lines …").
    pub status: Option<Notice>,
    pub show_about: bool,
}

impl AppState {
    /// A fresh state from saved preferences.
    #[must_use]
    pub fn from_prefs(prefs: Prefs) -> Self {
        let mut state = Self {
            browser: Browser::new(),
            ..Self::default()
        };
        state.sign_in.form.fields = prefs.form;
        state.sessions.export_format = prefs.export_format;
        state.sessions.clear_clipboard_after = prefs.clear_clipboard_after;
        state.sessions.renew_minutes = prefs.renew_minutes;
        state.keep_in_tray = prefs.keep_in_tray;
        state.browser.reach.places = prefs.places;
        state
    }

    /// The preferences to persist.
    #[must_use]
    pub fn prefs(&self) -> Prefs {
        Prefs {
            form: SignInFields {
                external_id: String::new(),
                ..self.sign_in.form.fields.clone()
            },
            export_format: self.sessions.export_format,
            clear_clipboard_after: self.sessions.clear_clipboard_after,
            renew_minutes: self.sessions.renew_minutes,
            keep_in_tray: self.keep_in_tray,
            places: self.browser.reach.places.clone(),
        }
    }

    /// The session shown in the Session panel (the selected one, else the newest).
    #[must_use]
    pub fn current(&self) -> Option<&Session> {
        self.sessions.current()
    }

    /// The shown session, if it is still live at `now`. keyfob never uses an expired one.
    #[must_use]
    pub fn live_session(&self, now: SystemTime) -> Option<&Session> {
        self.sessions.live(now)
    }

    /// The MFA session the form's role can be chained from, if one is live at `now`.
    #[must_use]
    pub fn chainable(&self, now: SystemTime) -> Option<&Session> {
        chain_parent_for(&self.sign_in.form, &self.sessions.list, now)
    }

    /// The form's messages at `now`.
    #[must_use]
    pub fn form_errors(&self, now: SystemTime) -> FieldErrors {
        self.sign_in.errors(self.chainable(now))
    }

    pub fn select_profile(&mut self, name: &str) {
        self.sign_in.select_profile(name);
    }

    /// The window title at `now`.
    #[must_use]
    pub fn title(&self, now: SystemTime) -> String {
        self.sessions.title(now)
    }

    fn keyring_usable(&self) -> bool {
        self.keyring.available == Some(true)
    }

    /// Keeps the browser on the shown session while it is open (see [`Browser::sync`]).
    fn sync_browser(&mut self, now: SystemTime) {
        if self.browser.shown {
            self.browser.sync(self.sessions.live(now), &mut self.outbox);
        }
    }

    /// Shows the session named `name`.
    pub fn select_session(&mut self, name: &str, now: SystemTime) {
        self.sessions.select(name);
        self.sync_browser(now);
    }

    /// Opens the S3 browser on the shown session.
    pub fn open_browser(&mut self, now: SystemTime) {
        self.browser.shown = true;
        self.sync_browser(now);
    }

    /// Opens the AWS console for the shown session in the browser (the worker makes the sign-in
    /// URL and opens it); a session that has ended or cannot have a console sends nothing.
    pub fn open_console(&mut self, now: SystemTime) {
        let Some(session) = self.live_session(now) else {
            self.status = Some(Notice::error(
                "The session has expired: renew it to open the console",
            ));
            return;
        };
        if let Some(why) = crate::aws::console::why_not(session) {
            self.status = Some(Notice::error(why));
            return;
        }
        let session = Box::new(session.clone());
        self.outbox.send(Command::OpenConsole { session });
        self.status = Some(Notice::info("Opening the AWS console…"));
    }

    /// The user asked to sign in: checks the form and sends the request, or records the messages
    /// and sends nothing.
    pub fn submit(&mut self, now: SystemTime) {
        let parent = chain_parent_for(&self.sign_in.form, &self.sessions.list, now);
        if self.sign_in.submit(parent, &mut self.outbox) {
            self.status = None;
        }
    }

    /// The user asked to find the MFA device for the chosen source.
    pub fn detect(&mut self) {
        self.sign_in.detect(&mut self.outbox);
    }

    /// Stops the running request; its answer will be dropped.
    pub fn cancel(&mut self) {
        if self.sign_in.cancel(&mut self.outbox) {
            self.status = Some(Notice::info("Cancelled"));
        }
    }

    /// Renew: refill the form from the shown session, clear the code and put the cursor there.
    pub fn renew(&mut self) {
        let origin = self.current().map(|s| s.origin.clone());
        self.sign_in.renew(origin.as_ref());
        self.status = Some(Notice::info("Enter a new code to renew the session"));
    }

    /// Renew pressed in the browser: back to the form, and back here after the sign-in.
    pub fn renew_from_browser(&mut self) {
        self.browser.shown = false;
        self.browser.return_after_renew = true;
        self.renew();
    }

    /// Forgets the shown session, in memory and in the keyring, and stops everything still using
    /// its credentials (the transfers say so themselves); clears the clipboard now if it holds
    /// keyfob's exports.
    pub fn sign_out(&mut self, now: SystemTime) {
        if let Some(name) = self.sessions.remove_current() {
            self.browser.forget(&name);
            self.outbox.send(Command::SignOut { name: name.clone() });
            if self.keyring_usable() {
                self.outbox.send(Command::ForgetSession { name });
            }
        }
        self.sign_in.error = None;
        self.sign_in.form.code.clear();
        self.status = Some(Notice::info("Signed out"));
        if let Some(m) = self.sessions.clipboard.take() {
            self.outbox.send(Command::Watch(Watch::ClearClipboardNow {
                fingerprint: m.fingerprint,
            }));
        }
        self.sync_browser(now);
    }

    /// Copies the live session's export lines (Ctrl+Shift+C, the Copy button).
    pub fn copy_exports(&mut self, now: SystemTime) {
        self.status = Some(self.sessions.copy_exports(now, &mut self.outbox));
    }

    /// The tray's "Copy export lines" for the session `name`: copied as from the window, and the
    /// session shown before stays shown.
    pub fn copy_exports_of(&mut self, name: &str, now: SystemTime) {
        let shown = self.sessions.selected.clone();
        self.sessions.select(name);
        self.copy_exports(now);
        self.sessions.selected = shown;
    }

    /// The tray's "Sign out" for the session `name`.
    pub fn sign_out_of(&mut self, name: &str, now: SystemTime) {
        self.select_session(name, now);
        self.sign_out(now);
    }

    /// The tray's "Renew…" for the session `name`: its form, asking for a new code.
    pub fn renew_of(&mut self, name: &str, now: SystemTime) {
        self.select_session(name, now);
        self.browser.shown = false;
        self.renew();
        self.sign_in.focus_code = true;
    }

    /// The "add keys" form: checks it and sends the keys, or leaves messages and sends nothing.
    pub fn add_key(&mut self) {
        let usable = self.keyring_usable();
        self.key_form.submit(usable, &mut self.outbox);
    }

    /// Plans writing the shown session into the credentials file under the typed profile name.
    pub fn plan_profile_write(&mut self, now: SystemTime) {
        let session = self.live_session(now).cloned();
        self.cred_write.plan(session, &mut self.outbox);
    }

    /// Writes the planned change.
    pub fn write_profile(&mut self) {
        self.cred_write.write(&mut self.outbox);
    }

    /// F5: the browser's lists when it is open on a live session, else the AWS profiles.
    pub fn reload(&mut self, now: SystemTime) {
        if self.browser.shown && self.live_session(now).is_some() {
            self.browser.refresh(&mut self.outbox);
        } else {
            self.outbox.send(Command::LoadProfiles);
            self.status = Some(Notice::info("Reloading your AWS profiles"));
        }
    }

    /// A sign-in's answer (STS, or through the browser).
    fn sign_in_answered(
        &mut self,
        id: crate::message::RequestId,
        result: Result<Box<Session>, crate::aws::errors::AwsError>,
    ) {
        if !self.sign_in.take_pending(id) {
            tracing::debug!(id, "dropping the answer to a replaced sign-in");
            return;
        }
        // An AWS Sign-In from the code form wrote its profile: read the profiles again
        // and choose it.
        if let Some((_, name)) = self.sign_in.login_pending.take().filter(|(p, _)| *p == id)
            && result.is_ok()
        {
            self.sign_in.select_after_load = Some(name);
            self.outbox.send(Command::LoadProfiles);
        }
        match result {
            Ok(session) => self.signed_in(*session),
            Err(e) => self.sign_in.failed(e),
        }
    }

    /// Applies a worker event.
    pub fn apply(&mut self, event: Event, now: SystemTime) {
        match event {
            Event::Profiles(result) => self.sign_in.profiles_loaded(result),
            Event::SignedIn { id, result } => self.sign_in_answered(id, result),
            Event::MfaDetected { id, result } => self.sign_in.detected(id, result),
            Event::BrowserWaiting { id, waiting } => self.sign_in.browser_waiting(id, waiting),
            Event::SsoChoices { id, result } => self.sign_in.sso_choices(id, result),
            Event::SsoProfileSaved { id, result } => {
                if let Some(name) = self.sign_in.sso_profile_saved(id, result) {
                    self.status = Some(Notice::success(format!(
                        "Saved profile {name} in your AWS config"
                    )));
                    self.outbox.send(Command::LoadProfiles);
                }
            }
            Event::KeyCode { id, result } => {
                if self.sign_in.key_answered(id, result) {
                    self.submit(now);
                }
            }
            Event::Cache(Ok(contents)) => {
                self.keyring.loaded(contents.keys, contents.problems);
                let restored = self
                    .sessions
                    .restore(contents.sessions, now, &mut self.outbox);
                if restored > 0 {
                    let s = if restored == 1 { "" } else { "s" };
                    self.status = Some(Notice::info(format!(
                        "Restored {restored} live session{s} from the keyring"
                    )));
                }
            }
            Event::Cache(Err(e)) => self.keyring.unavailable(&e),
            Event::Keys(result) => self.keyring.keys_changed(result),
            Event::KeyringFailed(e) => self.keyring.error = Some(Notice::from_error(&e)),
            Event::KeySaved {
                name,
                imported_from,
            } => {
                self.status = Some(Notice::success(format!("Keys {name} are in the keyring")));
                self.keyring.offer_remove = imported_from;
            }
            Event::ProfilePlanned(result) => self.cred_write.planned(result),
            Event::ProfileWritten(result) => {
                if let Some(text) = self.cred_write.written(result) {
                    self.status = Some(Notice::success(text));
                }
            }
            Event::Browse(e) => self.browser.apply(e, &mut self.outbox),
            Event::ConsoleOpened(result) => {
                self.status = Some(match result {
                    Ok(()) => Notice::success("Opened the AWS console in your browser"),
                    Err(ConsoleError::Aws(e)) => Notice::from(&e),
                    Err(e) => Notice::from_error(&e),
                });
            }
            Event::ClipboardChecked { cleared } => {
                if cleared {
                    self.status = Some(Notice::info("Clipboard cleared"));
                }
            }
            Event::ToolWantsCode { id, profile, asker } => {
                self.tool_wants_code(ToolAsk { id, profile, asker });
            }
            Event::ToolGone { id } => self.tools.gone(id),
            Event::ShowWindow => self.tools.raise = true,
            Event::RenewDue { name } => self.renew_due(&name, now),
            Event::Renewed { name, result } => self.renewed(&name, result),
        }
        self.sync_browser(now);
    }

    /// A tool needs a session for a profile: the form for that profile, the cursor in the code
    /// field, the sign-in view, and the window forward.
    fn tool_wants_code(&mut self, ask: ToolAsk) {
        let known = self.sign_in.profiles.get(&ask.profile).is_some();
        if known {
            self.sign_in.select_profile(&ask.profile);
        }
        self.sign_in.focus_code = true;
        self.browser.shown = false;
        self.status = Some(if known {
            Notice::info(format!("{} needs a session for {}", ask.asker, ask.profile))
        } else {
            let p = &ask.profile;
            Notice::warning(format!(
                "{} needs profile {p}, which is not in your AWS config",
                ask.asker
            ))
        });
        self.tools.wanted(ask);
    }

    /// The user declined the tools' requests: they fail with keyfob's sentence.
    pub fn cancel_tools(&mut self) {
        self.tools.cancel(&mut self.outbox);
        self.status = Some(Notice::info("Cancelled: the tools that asked get an error"));
    }

    /// Keeps a new session in the keyring when there is one; whether it was sent there.
    fn keep(&mut self, session: &Session) -> bool {
        let usable = self.keyring_usable();
        if usable {
            self.outbox.send(Command::CacheSession {
                session: Box::new(session.clone()),
            });
        }
        usable
    }

    fn signed_in(&mut self, session: Session) {
        self.sign_in.succeeded();
        self.status = Some(Notice::success(format!(
            "Signed in: {}",
            session.kind.describe()
        )));
        let kept = self.keep(&session);
        self.tools.signed_in(&session.name, kept, &mut self.outbox);
        self.sessions.upsert(session);
        // Renewed from the browser: back to the same bucket and prefix (the browser sees the new
        // credentials and lists them again).
        if std::mem::take(&mut self.browser.return_after_renew) {
            self.browser.shown = true;
        }
    }
}
