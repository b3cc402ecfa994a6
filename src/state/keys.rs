//! The keyring panel's state: what the keyring holds (ids only) and the "add long-term keys"
//! form, whose secret is held only until it is sent.

use std::collections::BTreeMap;

use crate::keystore::{KeyInfo, KeystoreError, LongTermKey};
use crate::message::{Command, Outbox};
use crate::notice::Notice;
use crate::secret::Secret;
use crate::session::Credentials;
use crate::validate;

/// What keyfob knows about the OS keyring.
#[derive(Debug, Default)]
pub struct KeyringState {
    /// `None` until the keyring first answers.
    pub available: Option<bool>,
    /// Why it cannot be used, or what went wrong last.
    pub error: Option<Notice>,
    /// Ids only.
    pub keys: Vec<KeyInfo>,
    /// Damaged entries reported at start.
    pub problems: Vec<String>,
    /// A profile whose keys were just imported: offer to remove them from the credentials file.
    pub offer_remove: Option<String>,
}

impl KeyringState {
    pub fn loaded(&mut self, keys: Vec<KeyInfo>, problems: Vec<String>) {
        self.available = Some(true);
        self.error = None;
        self.keys = keys;
        self.problems = problems;
    }

    pub fn unavailable(&mut self, e: &KeystoreError) {
        self.available = Some(false);
        self.error = Some(Notice::warning(format!(
            "{e}. keyfob still works, but sessions are kept in memory only and long-term keys cannot be stored."
        )));
    }

    pub fn delete_key(&self, out: &mut Outbox, name: String) {
        out.send(Command::DeleteKey { name });
    }

    /// Copies a profile's keys from the credentials file into the keyring.
    pub fn import_key(&self, out: &mut Outbox, profile: String) {
        out.send(Command::ImportKey { profile });
    }

    /// Takes the just-imported profile out of the credentials file (or, with `remove` false,
    /// leaves the file as it is); either way the offer is answered.
    pub fn answer_remove_offer(&mut self, out: &mut Outbox, remove: bool) {
        if let Some(profile) = self.offer_remove.take().filter(|_| remove) {
            out.send(Command::RemoveProfileFromFile { profile });
        }
    }

    pub fn keys_changed(&mut self, result: Result<Vec<KeyInfo>, KeystoreError>) {
        match result {
            Ok(keys) => self.keys = keys,
            Err(e) => self.error = Some(Notice::from_error(&e)),
        }
    }
}

/// A field of the "add keys" form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyField {
    Name,
    AccessKeyId,
    Secret,
}

/// The "add long-term keys" form. The secret is held only until it is sent to the keyring.
#[derive(Debug, Default)]
pub struct KeyForm {
    /// The name to file the keys under.
    pub name: String,
    pub access_key_id: String,
    /// Wiped once sent.
    pub secret: Secret,
    /// Each field's message after a try.
    pub errors: BTreeMap<KeyField, String>,
    /// The profile to import keys from.
    pub import_profile: Option<String>,
}

impl KeyForm {
    /// Checks the form; sends the keys (and empties the form), or leaves messages and sends
    /// nothing. `keyring_usable`: whether keys can be stored at all.
    pub fn submit(&mut self, keyring_usable: bool, out: &mut Outbox) {
        let name = validate::key_name(&self.name);
        let id = validate::access_key_id(&self.access_key_id);
        let secret = validate::secret_access_key(self.secret.expose());
        self.errors.clear();
        for (field, result) in [
            (KeyField::Name, &name),
            (KeyField::AccessKeyId, &id),
            (KeyField::Secret, &secret),
        ] {
            if let Err(e) = result {
                self.errors.insert(field, e.clone());
            }
        }
        if !keyring_usable {
            self.errors.insert(
                KeyField::Name,
                "The keyring is not available: keys cannot be stored".to_owned(),
            );
            return;
        }
        let (Ok(name), Ok(id), Ok(secret)) = (name, id, secret) else {
            return;
        };
        self.secret = Secret::default();
        self.access_key_id.clear();
        self.name.clear();
        out.send(Command::SaveKey {
            key: Box::new(LongTermKey {
                name,
                credentials: Credentials {
                    access_key_id: id,
                    secret_access_key: Secret::new(secret),
                    session_token: None,
                },
            }),
        });
    }
}
