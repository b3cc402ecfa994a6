//! Choosing an account and a role through an IAM Identity Center profile: the accounts listed once
//! (every page), filtered as the user types — a 2,000-account organisation included: the filter
//! runs once per change of the text, not per frame — then the chosen account's roles, then signing
//! in as that role or saving the pair as a profile of its own.

use crate::aws::cached_sign_in::SsoChoices;
use crate::aws::errors::AwsError;
use crate::aws::sso::Account;
use crate::message::{Command, Outbox, RequestId, next_id};

use super::sign_in::{PendingKind, SignIn};

/// The picker's state, for one profile.
#[derive(Debug, Default)]
pub struct SsoPick {
    /// The profile whose IAM Identity Center sign-in lists and signs in.
    pub profile: String,
    /// Every account, in the portal's order; `None` until listed.
    pub accounts: Option<Vec<Account>>,
    /// The filter as typed.
    pub filter: String,
    /// The accounts the filter keeps (indices into `accounts`), and the filter they were made for.
    shown: Vec<usize>,
    shown_for: Option<String>,
    /// The chosen account, and its roles once listed.
    pub account: Option<String>,
    pub roles: Option<Vec<String>>,
    /// The chosen role.
    pub role: Option<String>,
    /// The name to save the pair under, as typed.
    pub save_name: String,
    /// Why the pair could not be saved (shown by the name field).
    pub save_error: Option<String>,
    /// The save in flight.
    saving: Option<RequestId>,
}

impl SsoPick {
    /// The accounts the filter keeps, as indices into `accounts` (recomputed only when the filter
    /// or the list changed).
    pub fn shown(&mut self) -> &[usize] {
        let filter = self.filter.trim().to_lowercase();
        if self.shown_for.as_deref() != Some(filter.as_str()) {
            let list = self.accounts.as_deref().unwrap_or_default();
            self.shown = list
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    filter.is_empty()
                        || a.id.contains(&filter)
                        || a.name.to_lowercase().contains(&filter)
                        || a.email.to_lowercase().contains(&filter)
                })
                .map(|(i, _)| i)
                .collect();
            self.shown_for = Some(filter);
        }
        &self.shown
    }

    /// The chosen account's record.
    #[must_use]
    pub fn chosen_account(&self) -> Option<&Account> {
        let id = self.account.as_deref()?;
        self.accounts.as_deref()?.iter().find(|a| a.id == id)
    }

    /// A name to save the chosen pair under: the account's name and the role, in the characters a
    /// profile name may have.
    fn suggested_name(&self) -> String {
        let account = self.chosen_account().map_or_else(
            || self.account.clone().unwrap_or_default(),
            |a| a.name.clone(),
        );
        let raw = format!("{account}-{}", self.role.as_deref().unwrap_or_default());
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.@+".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    }
}

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
        self.pick = Some(SsoPick {
            profile: profile.clone(),
            ..SsoPick::default()
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(n: usize) -> Vec<Account> {
        (0..n)
            .map(|i| Account {
                id: format!("{:012}", 100_000_000_000 + i),
                name: format!("team-{i}"),
                email: format!("aws+{i}@example.com"),
            })
            .collect()
    }

    #[test]
    fn the_filter_matches_name_id_and_email_and_is_computed_once_per_text() {
        let mut pick = SsoPick {
            accounts: Some(accounts(2_000)),
            ..SsoPick::default()
        };
        assert_eq!(pick.shown().len(), 2_000);
        pick.filter = "TEAM-199".into();
        assert_eq!(pick.shown().len(), 11, "team-199 and team-1990…1999");
        pick.filter = "100000001999".into();
        assert_eq!(pick.shown(), &[1_999]);
        pick.filter = "aws+7@".into();
        assert_eq!(pick.shown(), &[7]);
        pick.filter = "nobody".into();
        assert!(pick.shown().is_empty());
        assert_eq!(pick.shown_for.as_deref(), Some("nobody"));
    }

    #[test]
    fn the_suggested_name_is_a_usable_profile_name() {
        let pick = SsoPick {
            accounts: Some(vec![Account {
                id: "111111111111".into(),
                name: "Prod (EU)".into(),
                email: String::new(),
            }]),
            account: Some("111111111111".into()),
            role: Some("ReadOnlyAccess".into()),
            ..SsoPick::default()
        };
        assert_eq!(pick.suggested_name(), "Prod--EU--ReadOnlyAccess");
    }
}
