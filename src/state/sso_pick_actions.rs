//! What the form does with the IAM Identity Center picker ([`super::sso_pick`]): list, choose,
//! sign in as the chosen role, save the pair as a profile, and take in the answers.

use crate::aws::cached_sign_in::SsoChoices;
use crate::aws::errors::AwsError;
use crate::message::{Command, Outbox, RequestId, next_id};

use super::sign_in::{PendingKind, SignIn};
use super::sso_pick::SsoPick;

impl SignIn {
    /// Lists the accounts of the chosen IAM Identity Center profile (signing in in the browser
    /// first when no sign-in is cached).
    pub fn list_sso_accounts(&mut self, out: &mut Outbox) {
        let Some(profile) = self.form.fields.profile.clone() else {
            return;
        };
        if self.pending.is_some() {
            return;
        }
        self.pick = Some(SsoPick::new(&profile));
        self.browser = None;
        let id = self.start(PendingKind::Browser);
        out.send(Command::SsoChoices {
            id,
            profile,
            account_id: None,
        });
    }

    /// Chooses an account and lists its roles.
    pub fn choose_sso_account(&mut self, account_id: &str, out: &mut Outbox) {
        if self.pending.is_some() {
            return;
        }
        let Some(pick) = self.pick.as_mut() else {
            return;
        };
        pick.account = Some(account_id.to_owned());
        (pick.roles, pick.role, pick.save_error) = (None, None, None);
        let profile = pick.profile.clone();
        let id = self.start(PendingKind::Browser);
        out.send(Command::SsoChoices {
            id,
            profile,
            account_id: Some(account_id.to_owned()),
        });
    }

    /// Chooses a role of the chosen account.
    pub fn choose_sso_role(&mut self, role: &str) {
        if let Some(pick) = self.pick.as_mut() {
            pick.role = Some(role.to_owned());
            pick.save_error = None;
            pick.save_name = pick.suggested_name();
        }
    }

    /// Signs in as the chosen role of the chosen account.
    pub fn sign_in_as_sso_role(&mut self, out: &mut Outbox) -> bool {
        let Some(pick) = self.pick.as_ref() else {
            return false;
        };
        let (Some(account_id), Some(role)) = (pick.account.clone(), pick.role.clone()) else {
            return false;
        };
        if self.pending.is_some() {
            return false;
        }
        let profile = pick.profile.clone();
        self.browser = None;
        let id = self.start(PendingKind::Browser);
        out.send(Command::SsoRole {
            id,
            profile,
            account_id,
            role,
        });
        true
    }

    /// Saves the chosen pair as a profile named as typed; a bad or taken name is said by the field
    /// and nothing is sent.
    pub fn save_sso_profile(&mut self, out: &mut Outbox) {
        let taken = |name: &str| self.profiles.get(name).is_some();
        let Some(pick) = self.pick.as_ref() else {
            return;
        };
        let (Some(account_id), Some(role)) = (pick.account.clone(), pick.role.clone()) else {
            return;
        };
        let name = pick.save_name.trim().to_owned();
        let problem = if name.is_empty() {
            Some("Name the profile".to_owned())
        } else if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c))
        {
            Some("A profile name has letters, digits and - _ . @ + only".to_owned())
        } else if taken(&name) {
            Some(format!(
                "A profile {name} exists already: choose another name"
            ))
        } else {
            None
        };
        let from = pick.profile.clone();
        let Some(pick) = self.pick.as_mut() else {
            return;
        };
        if let Some(p) = problem {
            pick.save_error = Some(p);
            return;
        }
        let id = next_id();
        pick.saving = Some(id);
        pick.save_error = None;
        out.send(Command::SaveSsoProfile {
            id,
            from,
            name,
            account_id,
            role,
        });
    }

    /// Whether a save is in flight.
    #[must_use]
    pub fn saving_sso_profile(&self) -> bool {
        self.pick.as_ref().is_some_and(|p| p.saving.is_some())
    }

    /// The accounts or roles arrived (or why not).
    pub fn sso_choices(&mut self, id: RequestId, result: Result<SsoChoices, AwsError>) {
        if !self.take_pending(id) {
            return;
        }
        let Some(pick) = self.pick.as_mut() else {
            return;
        };
        match result {
            Ok(SsoChoices::Accounts(list)) => {
                pick.accounts = Some(list);
                pick.shown_for = None;
            }
            Ok(SsoChoices::Roles { account_id, roles }) => {
                if pick.account.as_deref() == Some(account_id.as_str()) {
                    pick.roles = Some(roles);
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// The pair was saved as profile `name` (the profiles are read again and it is chosen), or
    /// why not. Returns the name saved.
    pub fn sso_profile_saved(
        &mut self,
        id: RequestId,
        result: Result<String, AwsError>,
    ) -> Option<String> {
        let pick = self.pick.as_mut().filter(|p| p.saving == Some(id))?;
        pick.saving = None;
        match result {
            Ok(name) => {
                self.select_after_load = Some(name.clone());
                Some(name)
            }
            Err(e) => {
                pick.save_error = Some(e.message);
                None
            }
        }
    }
}
