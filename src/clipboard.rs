//! Clearing what keyfob copied: a fingerprint of the copied text (so the text is not kept) and
//! the system clipboard access used to check and clear it, off the UI thread.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

/// A keyed hash of `text`, random per process: equal texts match, the text cannot be recovered.
#[must_use]
pub fn fingerprint(text: &str) -> u64 {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    KEY.get_or_init(RandomState::new).hash_one(text)
}

/// Read and clear access to the system clipboard.
pub trait ClipboardAccess: Send {
    /// The clipboard's text, if any can be read.
    fn read(&mut self) -> Option<String>;
    /// Empties the clipboard; true on success.
    fn clear(&mut self) -> bool;
}

/// Clears the clipboard if it still holds exactly the text whose fingerprint is given; true if
/// cleared. Anything else is the user's: other text, an image (which cannot be read as text), or
/// a clipboard that cannot be read at all is left alone.
pub fn clear_if_ours(access: &mut dyn ClipboardAccess, fingerprint_of_ours: u64) -> bool {
    match access.read() {
        Some(text) if fingerprint(&text) == fingerprint_of_ours => access.clear(),
        Some(_) | None => false,
    }
}

/// The system clipboard through arboard.
#[derive(Debug, Default)]
pub struct SystemClipboard;

impl ClipboardAccess for SystemClipboard {
    fn read(&mut self) -> Option<String> {
        arboard::Clipboard::new().ok()?.get_text().ok()
    }

    fn clear(&mut self) -> bool {
        arboard::Clipboard::new()
            .and_then(|mut c| c.clear())
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in clipboard: the unit tests have no display server (the Xvfb test uses the real one).
    struct Fake(Option<String>);
    impl ClipboardAccess for Fake {
        fn read(&mut self) -> Option<String> {
            self.0.clone()
        }
        fn clear(&mut self) -> bool {
            self.0 = Some(String::new());
            true
        }
    }

    #[test]
    fn clears_only_our_text() {
        let ours = fingerprint("export AWS_SECRET_ACCESS_KEY='x'");
        let mut c = Fake(Some("export AWS_SECRET_ACCESS_KEY='x'".to_owned()));
        assert!(clear_if_ours(&mut c, ours));
        assert_eq!(c.0.as_deref(), Some(""));
        let mut c = Fake(Some("something the user copied since".to_owned()));
        assert!(!clear_if_ours(&mut c, ours));
        assert_eq!(c.0.as_deref(), Some("something the user copied since"));
    }

    #[test]
    fn leaves_a_clipboard_it_cannot_read_as_text_alone() {
        // An image, or no clipboard at all: `read` gives nothing, and nothing is cleared.
        let mut c = Fake(None);
        assert!(!clear_if_ours(&mut c, fingerprint("ours")));
        assert_eq!(c.0, None, "not cleared");
    }
}
