//! Choosing an account and a role through an IAM Identity Center profile: the accounts listed once
//! (every page), filtered as the user types — a 2,000-account organisation included: the filter
//! runs once per change of the text, not per frame — then the chosen account's roles, then signing
//! in as that role or saving the pair as a profile of its own.

use crate::aws::sso::Account;
use crate::message::RequestId;

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
    pub(super) shown_for: Option<String>,
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
    pub(super) saving: Option<RequestId>,
}

impl SsoPick {
    /// A picker for `profile`, nothing listed yet.
    #[must_use]
    pub fn new(profile: &str) -> Self {
        Self {
            profile: profile.to_owned(),
            ..Self::default()
        }
    }

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
    pub(super) fn suggested_name(&self) -> String {
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
