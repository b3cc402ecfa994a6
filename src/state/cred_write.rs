//! The credentials-file writer's state: a change is planned and shown before it is written.

use crate::credfile::{CredFile, CredFileError, Edit};
use crate::message::{Command, Outbox};
use crate::notice::Notice;
use crate::session::Session;
use crate::validate;

#[derive(Debug, Default)]
pub struct CredWrite {
    /// The profile name to write the session as.
    pub profile: String,
    /// A message next to the profile field.
    pub error: Option<Notice>,
    /// The planned change, waiting for Write.
    pub planned: Option<(Box<CredFile>, Box<Edit>)>,
    /// The user confirmed replacing long-term keys.
    pub confirm_long_term: bool,
    /// What happened last (written, backup path, or why not).
    pub outcome: Option<Notice>,
}

impl CredWrite {
    /// Plans writing `session` (the live one shown, if any) under the typed profile name.
    pub fn plan(&mut self, session: Option<Session>, out: &mut Outbox) {
        let name = self.profile.trim().to_owned();
        if let Err(e) = validate::key_name(&name) {
            self.error = Some(Notice::error(e));
            return;
        }
        let Some(session) = session else {
            self.error = Some(Notice::error("No live session to write: sign in first"));
            return;
        };
        self.error = None;
        self.outcome = None;
        out.send(Command::PlanProfileWrite {
            profile: name,
            session: Box::new(session),
        });
    }

    /// Writes the planned change, unless it replaces long-term keys the user has not confirmed.
    pub fn write(&mut self, out: &mut Outbox) {
        let Some((file, edit)) = self.planned.take() else {
            return;
        };
        if edit.replaces_long_term && !self.confirm_long_term {
            self.outcome = Some(Notice::error(format!(
                "[{}] holds long-term keys: tick the box to replace them",
                edit.profile
            )));
            self.planned = Some((file, edit));
            return;
        }
        out.send(Command::WriteProfile {
            file,
            edit,
            confirm_long_term: self.confirm_long_term,
        });
    }

    /// The plan arrived (or why there is none).
    pub fn planned(&mut self, result: Result<(Box<CredFile>, Box<Edit>), CredFileError>) {
        match result {
            Ok(plan) => {
                self.error = None;
                self.confirm_long_term = false;
                self.outcome = None;
                self.planned = Some(plan);
            }
            Err(e) => {
                self.planned = None;
                self.error = Some(Notice::from_error(&e));
            }
        }
    }

    /// The write ended; returns the sentence for the status line when it succeeded.
    pub fn written(&mut self, result: Result<String, CredFileError>) -> Option<String> {
        self.planned = None;
        match result {
            Ok(text) => {
                self.outcome = Some(Notice::success(text.clone()));
                Some(text)
            }
            Err(e) => {
                self.outcome = Some(Notice::from_error(&e));
                None
            }
        }
    }
}
