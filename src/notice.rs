//! One way to tell the user something: a [`Notice`] with a [`Level`]. State keeps typed errors
//! where its logic needs their kind (a rejected code is cleared, an expired session offers Renew)
//! and turns them into notices only to show them; `ui::theme::notice_ui` draws every notice the
//! same way, so a colour or a screen-reader label changes in one place.

use crate::aws::errors::AwsError;

/// How a notice is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    /// The user should act soon (an unusable keyring, a shortened link).
    Warning,
    Error,
}

/// A sentence for the user, with optional technical detail shown behind a toggle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    pub detail: Option<String>,
}

impl Notice {
    fn new(level: Level, text: impl Into<String>) -> Self {
        Self {
            level,
            text: text.into(),
            detail: None,
        }
    }

    #[must_use]
    pub fn info(text: impl Into<String>) -> Self {
        Self::new(Level::Info, text)
    }

    #[must_use]
    pub fn success(text: impl Into<String>) -> Self {
        Self::new(Level::Success, text)
    }

    #[must_use]
    pub fn warning(text: impl Into<String>) -> Self {
        Self::new(Level::Warning, text)
    }

    #[must_use]
    pub fn error(text: impl Into<String>) -> Self {
        Self::new(Level::Error, text)
    }

    /// Any error type's message as an error notice.
    #[must_use]
    pub fn from_error(e: &dyn std::error::Error) -> Self {
        Self::error(e.to_string())
    }
}

impl From<&AwsError> for Notice {
    fn from(e: &AwsError) -> Self {
        Self {
            level: Level::Error,
            text: e.message.clone(),
            detail: (!e.detail.is_empty()).then(|| e.detail.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::errors::ErrorKind;

    #[test]
    fn an_aws_error_keeps_its_detail_and_an_empty_detail_is_none() {
        let mut e = AwsError::new(ErrorKind::Expired, "The session has expired");
        assert_eq!(Notice::from(&e).detail, None);
        e.detail = "ExpiredToken (HTTP 400)".to_owned();
        let n = Notice::from(&e);
        assert_eq!(n.level, Level::Error);
        assert_eq!(n.text, "The session has expired");
        assert_eq!(n.detail.as_deref(), Some("ExpiredToken (HTTP 400)"));
    }
}
