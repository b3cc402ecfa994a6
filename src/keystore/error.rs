//! The keyring's failures as the window and the CLI word them.

use keyring_core::Error as KrError;

/// Why the keyring could not be used. Each message is one sentence for the window and the CLI.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    /// No store at all (no Secret Service on the session bus, or no session bus).
    #[error(
        "No keyring is available (no Secret Service such as GNOME Keyring or KeePassXC answered): {0}"
    )]
    Unavailable(String),
    /// The store is there but locked, or refused access.
    #[error("The keyring is locked or refused access; unlock it and try again ({0})")]
    Locked(String),
    #[error("The keyring failed: {0}")]
    Failed(String),
    /// An entry's content could not be read back.
    #[error("The keyring entry {0} is damaged and was ignored")]
    Corrupt(String),
}

impl KeystoreError {
    pub(super) fn from_keyring(e: &KrError) -> Self {
        match e {
            KrError::NoDefaultStore => Self::Unavailable("no store was set up".to_owned()),
            KrError::NoStorageAccess(inner) => Self::Locked(inner.to_string()),
            KrError::PlatformFailure(inner) => {
                let text = inner.to_string();
                // zbus answers this way when nothing owns org.freedesktop.secrets.
                let no_service = [
                    "ServiceUnknown",
                    "NameHasNoOwner",
                    "org.freedesktop.secrets",
                ]
                .iter()
                .any(|m| text.contains(m));
                // zbus's own I/O error: the connection to the bus broke (the bus went away).
                let bus_lost = text.contains("I/O error");
                if text.contains("Failed to connect") {
                    Self::Unavailable(format!("the D-Bus session bus cannot be reached ({text})"))
                } else if bus_lost {
                    Self::Unavailable(format!(
                        "the connection to the D-Bus session bus was lost ({text})"
                    ))
                } else if no_service {
                    Self::Unavailable(text)
                } else {
                    Self::Failed(text)
                }
            }
            other => Self::Failed(other.to_string()),
        }
    }
}
