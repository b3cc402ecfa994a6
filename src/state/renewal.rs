//! Self-renewing sessions: when the supervisor says one is due, a chained role gets a fresh one
//! chained from the live MFA session behind it with no code, and a browser sign-in's session (AWS
//! Sign-In, IAM Identity Center) a fresh one from its cached sign-in; or the user is told (in the
//! window and on the desktop) why it cannot renew itself.

use std::time::SystemTime;

use super::AppState;
use crate::aws::errors::AwsError;
use crate::aws::sts::Flow;
use crate::message::Command;
use crate::notice::Notice;
use crate::session::{Session, SessionKind};
use crate::signin::{SignInForm, chain_parent_for};

impl AppState {
    /// The supervisor's call to renew the chained role session `name`: chain a fresh one from the
    /// live MFA session behind it, or say (here and on the desktop) why it cannot renew itself.
    pub(super) fn renew_due(&mut self, name: &str, now: SystemTime) {
        let Some(s) = self.sessions.list.iter().find(|s| s.name == name) else {
            return; // signed out meanwhile
        };
        if matches!(s.kind, SessionKind::Login { .. } | SessionKind::Sso { .. }) {
            self.outbox.send(Command::RenewFromCache {
                session: Box::new(s.clone()),
            });
            return;
        }
        let mut form = SignInForm::default();
        form.fill_from_origin(&s.origin);
        let chained = matches!(s.kind, SessionKind::Chained { .. });
        let parent = chain_parent_for(&form, &self.sessions.list, now).filter(|_| chained);
        let Some(parent) = parent else {
            return self.renewal_stopped(name, "the MFA session behind it has ended", None);
        };
        let mut request = match form.check(Some(parent)) {
            Ok(r) if matches!(r.flow, Flow::Chained { .. }) => r,
            _ => return self.renewal_stopped(name, "its role can no longer be chained", None),
        };
        name.clone_into(&mut request.name); // the renewal takes the old one's place
        self.outbox.send(Command::Renew {
            request: Box::new(request),
        });
    }

    pub(super) fn renewed(&mut self, name: &str, result: Result<Box<Session>, AwsError>) {
        match result {
            // Signed out while the renewal ran: it is dropped, not brought back.
            Ok(_) if !self.sessions.list.iter().any(|s| s.name == name) => {
                tracing::debug!("dropping the renewal of {name}, signed out meanwhile");
            }
            Ok(session) => {
                let left = crate::session::countdown_shown(session.remaining(session.issued_at));
                let from = match session.kind {
                    SessionKind::Login { .. } => "your AWS Sign-In",
                    SessionKind::Sso { .. } => "your IAM Identity Center sign-in",
                    _ => "your MFA session",
                };
                self.status = Some(Notice::success(format!(
                    "Renewed {name} from {from}, with no code: {left} left"
                )));
                self.keep(&session);
                self.sessions.replace(*session);
            }
            Err(e) => {
                let kind = self
                    .sessions
                    .list
                    .iter()
                    .find(|s| s.name == name)
                    .map(|s| s.kind.clone());
                self.renewal_stopped(name, &e.message, kind.as_ref());
            }
        }
    }

    /// A renewal that cannot happen: a warning in the window and on the desktop (the window may
    /// be hidden), with what to do.
    fn renewal_stopped(&mut self, name: &str, why: &str, kind: Option<&SessionKind>) {
        let how = match kind {
            Some(SessionKind::Login { .. } | SessionKind::Sso { .. }) => {
                "Sign in again in the browser"
            }
            _ => "Renew it with a new code",
        };
        let why = why.trim_end_matches('.');
        let text = format!("{name} could not renew itself: {why}. {how}.");
        self.status = Some(Notice::warning(text.clone()));
        self.outbox.send(Command::Notify {
            summary: format!("AWS session {name} will not renew itself"),
            body: text,
        });
    }
}
