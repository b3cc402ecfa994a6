//! The credentials-file writer's state: a change is planned and shown before it is written.

use crate::credfile::{CredFile, Edit};
use crate::message::Command;
use crate::session::Session;
use crate::validate;

/// The credentials-file writer's state: a planned change shown before it is written.
#[derive(Debug, Default)]
pub struct CredWrite {
    /// The profile name to write the session as.
    pub profile: String,
    /// A message next to the profile field.
    pub error: Option<String>,
    /// The planned change, waiting for Write.
    pub planned: Option<(Box<CredFile>, Box<Edit>)>,
    /// The user confirmed replacing long-term keys.
    pub confirm_long_term: bool,
    /// What happened last (written, backup path, or why not).
    pub outcome: Option<String>,
}

impl CredWrite {
    /// Plans writing `session` (the live one shown, if any) under the typed profile name.
    pub fn plan(&mut self, session: Option<Session>) -> Option<Command> {
        let name = self.profile.trim().to_owned();
        if let Err(e) = validate::key_name(&name) {
            self.error = Some(e);
            return None;
        }
        let Some(session) = session else {
            self.error = Some("No live session to write: sign in first".to_owned());
            return None;
        };
        self.error = None;
        self.outcome = None;
        Some(Command::PlanProfileWrite {
            profile: name,
            session: Box::new(session),
        })
    }

    /// Writes the planned change, unless it replaces long-term keys the user has not confirmed.
    pub fn write(&mut self) -> Option<Command> {
        let (file, edit) = self.planned.take()?;
        if edit.replaces_long_term && !self.confirm_long_term {
            self.outcome = Some(format!(
                "[{}] holds long-term keys: tick the box to replace them",
                edit.profile
            ));
            self.planned = Some((file, edit));
            return None;
        }
        Some(Command::WriteProfile {
            file,
            edit,
            confirm_long_term: self.confirm_long_term,
        })
    }

    /// The plan arrived (or why there is none).
    pub fn planned(&mut self, result: Result<(Box<CredFile>, Box<Edit>), String>) {
        match result {
            Ok(plan) => {
                self.error = None;
                self.confirm_long_term = false;
                self.outcome = None;
                self.planned = Some(plan);
            }
            Err(e) => {
                self.planned = None;
                self.error = Some(e);
            }
        }
    }

    /// The write ended; returns the sentence for the status line when it succeeded.
    pub fn written(&mut self, result: Result<String, String>) -> Option<String> {
        self.planned = None;
        match result {
            Ok(text) => {
                self.outcome = Some(text.clone());
                Some(text)
            }
            Err(e) => {
                self.outcome = Some(e);
                None
            }
        }
    }
}
