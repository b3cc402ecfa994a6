//! The Session panel's state: every session of this run and those restored from the keyring, the
//! one shown, the export settings and the clipboard deadline.

use std::time::{Duration, SystemTime};

use crate::clipboard;
use crate::export::ExportFormat;
use crate::message::{Command, Outbox, Watch, Watched};
use crate::notice::Notice;
use crate::secret::Secret;
use crate::session::{Session, SessionKind, TITLE_COUNTS_BELOW};

/// keyfob put text on the clipboard and will clear it at `clear_at` if it is still there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClipboardMark {
    pub fingerprint: u64,
    pub clear_at: SystemTime,
}

#[derive(Debug, Default)]
pub struct Sessions {
    /// By name, each with its own countdown. Kept after expiry to say so, never used then.
    pub list: Vec<Session>,
    /// The name of the session shown in the Session panel.
    pub selected: Option<String>,
    pub export_format: ExportFormat,
    /// Seconds before copied exports are cleared (0 = never).
    pub clear_clipboard_after: u64,
    pub clipboard: Option<ClipboardMark>,
    /// Minutes before its end a role chained from an MFA session is chained afresh (0 = never).
    pub renew_minutes: u64,
}

impl Sessions {
    /// The session shown in the Session panel (the selected one, else the newest).
    #[must_use]
    pub fn current(&self) -> Option<&Session> {
        self.selected
            .as_deref()
            .and_then(|n| self.list.iter().find(|s| s.name == n))
            .or_else(|| self.list.last())
    }

    /// The shown session, if it is still live at `now`. keyfob never uses an expired one.
    #[must_use]
    pub fn live(&self, now: SystemTime) -> Option<&Session> {
        self.current().filter(|s| !s.is_expired(now))
    }

    /// Shows the session named `name`, if there is one.
    pub fn select(&mut self, name: &str) {
        if self.list.iter().any(|s| s.name == name) {
            self.selected = Some(name.to_owned());
        }
    }

    /// Adds a session or replaces the one with its name, and shows it.
    pub fn upsert(&mut self, session: Session) {
        self.selected = Some(session.name.clone());
        self.replace(session);
    }

    /// Adds a session or replaces the one with its name (a renewal), leaving the shown one shown.
    pub fn replace(&mut self, session: Session) {
        match self.list.iter_mut().find(|s| s.name == session.name) {
            Some(slot) => *slot = session,
            None => self.list.push(session),
        }
    }

    /// For a role chained from an MFA session: the MFA session behind it (made from the same
    /// source credentials; the one that lasts longest), live or not.
    #[must_use]
    pub fn mfa_behind(&self, s: &Session) -> Option<&Session> {
        if !matches!(s.kind, SessionKind::Chained { .. }) {
            return None;
        }
        let mfa = |p: &&Session| matches!(p.kind, SessionKind::SessionToken { mfa: true });
        let candidates = self.list.iter().filter(mfa);
        let same_source = candidates.filter(|p| p.origin.source == s.origin.source);
        same_source.max_by_key(|p| p.expires_at)
    }

    /// When the supervisor asks the window to renew `s`: a while before its end, if it renews
    /// itself (a role chained from an MFA session, a browser sign-in's) and renewal is on.
    fn renew_at(&self, s: &Session) -> Option<SystemTime> {
        let minutes = match s.kind {
            SessionKind::Chained { .. } | SessionKind::Sso { .. } => self.renew_minutes,
            // AWS Sign-In's credentials last 15 minutes and are renewed only in their last five
            // (the SDK's refresh window): asked earlier, the same credentials would come back.
            SessionKind::Login { .. } => self.renew_minutes.min(4),
            SessionKind::SessionToken { .. } | SessionKind::AssumedRole { .. } => 0,
        };
        (minutes > 0)
            .then(|| s.expires_at.checked_sub(Duration::from_secs(minutes * 60)))
            .flatten()
    }

    /// Forgets the shown session and returns its name; the newest left is shown.
    pub fn remove_current(&mut self) -> Option<String> {
        let name = self.current().map(|s| s.name.clone());
        if let Some(name) = &name {
            self.list.retain(|s| &s.name != name);
        }
        self.selected = self.list.last().map(|s| s.name.clone());
        name
    }

    /// Takes in the sessions the keyring kept: the live ones are added (unless one of this run
    /// has the name), the others are forgotten there too. Returns how many were added.
    pub fn restore(&mut self, kept: Vec<Session>, now: SystemTime, out: &mut Outbox) -> usize {
        let mut restored = 0;
        for s in kept {
            if !s.usable_for_cache(now) {
                out.send(Command::ForgetSession { name: s.name });
            } else if !self.list.iter().any(|x| x.name == s.name) {
                self.list.push(s);
                restored += 1;
            }
        }
        if restored > 0 && self.selected.is_none() {
            self.selected = self.list.last().map(|s| s.name.clone());
        }
        restored
    }

    /// What the session supervisor is to watch: every session and the one shown.
    #[must_use]
    pub fn watch(&self) -> Watch {
        Watch::Sessions {
            sessions: self
                .list
                .iter()
                .map(|s| Watched {
                    name: s.name.clone(),
                    who: s
                        .identity
                        .as_ref()
                        .map_or_else(|| s.name.clone(), |i| i.short_name().to_owned()),
                    expires_at: s.expires_at,
                    renew_at: self.renew_at(s),
                })
                .collect(),
            shown: self.current().map(|s| s.name.clone()),
        }
    }

    /// Copies the live session's export lines and hands the clearing deadline to the supervisor,
    /// which clears them on time whether the window is shown or not. Returns the status line.
    pub fn copy_exports(&mut self, now: SystemTime, out: &mut Outbox) -> Notice {
        let Some(session) = self.live(now) else {
            return Notice::error("No live session to export: sign in first");
        };
        let text: Secret = match session.export(self.export_format) {
            Ok(text) => text,
            Err(e) => return Notice::from_error(&e),
        };
        let lines = text.expose().lines().count();
        let label = self.export_format.label();
        self.clipboard = (self.clear_clipboard_after > 0).then(|| ClipboardMark {
            fingerprint: clipboard::fingerprint(text.expose()),
            clear_at: now + Duration::from_secs(self.clear_clipboard_after),
        });
        out.copy(text);
        match self.clipboard {
            Some(m) => {
                out.send(Command::Watch(Watch::Clipboard {
                    fingerprint: m.fingerprint,
                    clear_at: m.clear_at,
                }));
                Notice::success(format!(
                    "Copied {lines} {label} lines; the clipboard is cleared in {} s",
                    self.clear_clipboard_after
                ))
            }
            None => Notice::success(format!("Copied {lines} {label} lines")),
        }
    }

    /// The window title at `now`. While [`TITLE_COUNTS_BELOW`] or more are left it names the end
    /// in local time ("signed in until 14:32"), which stays put; below that it counts whole minutes
    /// down. (egui answers every window command with two extra frames: a title that counted every
    /// minute tripled an idle window's frames.)
    #[must_use]
    pub fn title(&self, now: SystemTime) -> String {
        match self.current() {
            Some(s) if s.is_expired(now) => "keyfob — session expired".to_owned(),
            Some(s) if s.remaining(now) < Duration::from_secs(60) => {
                "keyfob — under a minute left".to_owned()
            }
            Some(s) if s.remaining(now) >= TITLE_COUNTS_BELOW => format!(
                "keyfob — signed in until {}",
                crate::session::local_clock(s.expires_at)
            ),
            Some(s) => format!(
                "keyfob — {} left",
                crate::validate::human_duration(s.remaining(now).as_secs())
            ),
            None => "keyfob".to_owned(),
        }
    }
}
