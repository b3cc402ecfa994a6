//! The keyring panel's state: what the keyring holds (ids only) and the "add long-term keys"
//! form, whose secret is held only until it is sent.

use crate::keystore::{KeyInfo, LongTermKey};
use crate::message::Command;
use crate::secret::Secret;
use crate::session::Credentials;
use crate::validate;

/// What keyfob knows about the OS keyring.
#[derive(Debug, Default)]
pub struct KeyringState {
    /// Whether it has answered: `None` until the first answer.
    pub available: Option<bool>,
    /// Why it cannot be used (shown in the window), or what went wrong last.
    pub error: Option<String>,
    /// The long-term keys kept there (ids only).
    pub keys: Vec<KeyInfo>,
    /// Damaged entries reported at start.
    pub problems: Vec<String>,
    /// A profile whose keys were just imported: offer to remove them from the credentials file.
    pub offer_remove: Option<String>,
}

/// The "add long-term keys" form. The secret is held only until it is sent to the keyring.
#[derive(Debug, Default)]
pub struct KeyForm {
    /// The name to file the keys under.
    pub name: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key (wiped after sending).
    pub secret: Secret,
    /// Messages per field after a try: name, id, secret.
    pub errors: [Option<String>; 3],
    /// The profile to import keys from.
    pub import_profile: Option<String>,
}

impl KeyForm {
    /// Checks the form; returns the command (and empties the form), or leaves messages and sends
    /// nothing. `keyring_usable`: whether keys can be stored at all.
    pub fn submit(&mut self, keyring_usable: bool) -> Option<Command> {
        let name = validate::key_name(&self.name);
        let id = validate::access_key_id(&self.access_key_id);
        let secret = validate::secret_access_key(self.secret.expose());
        self.errors = [
            name.as_ref().err().cloned(),
            id.as_ref().err().cloned(),
            secret.as_ref().err().cloned(),
        ];
        if !keyring_usable {
            self.errors[0] = Some("The keyring is not available: keys cannot be stored".to_owned());
            return None;
        }
        let (Ok(name), Ok(id), Ok(secret)) = (name, id, secret) else {
            return None;
        };
        self.secret = Secret::default();
        self.access_key_id.clear();
        self.name.clear();
        Some(Command::SaveKey {
            key: Box::new(LongTermKey {
                name,
                credentials: Credentials {
                    access_key_id: id,
                    secret_access_key: Secret::new(secret),
                    session_token: None,
                },
            }),
        })
    }
}
