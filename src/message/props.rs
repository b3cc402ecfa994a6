//! The properties panel's and the bucket inspector's side of the message flow: what they ask of
//! the worker (as a [`super::BucketJob::Props`]) and what comes back (as a
//! [`super::BrowseEvent::Props`]).

use crate::aws::errors::AwsError;
use crate::aws::s3::{BucketSettings, ObjectProps, PropsChange};

/// Work on objects' properties, a version or the bucket's settings.
#[derive(Debug)]
pub enum PropsJob {
    /// Read the properties (HeadObject, tags) of these keys.
    Read { keys: Vec<String> },
    /// Apply `change` to each object as it was read (each guarded by what was read).
    Apply {
        read: Vec<ObjectProps>,
        /// Boxed: it is the largest of the browser's commands.
        change: Box<PropsChange>,
    },
    /// Make `version` of `key` its current version again; `latest` is the version the user saw
    /// as the newest (nothing is copied when another one is newest now).
    Restore {
        key: String,
        version: String,
        latest: Option<String>,
    },
    /// Read the bucket's settings.
    Settings,
}

/// The answers.
#[derive(Debug)]
pub enum PropsAnswer {
    Read(Result<Vec<ObjectProps>, AwsError>),
    Applied(Result<ApplyReport, AwsError>),
    /// The sentence to show, or why not.
    Restored(Result<String, AwsError>),
    Settings(Result<BucketSettings, AwsError>),
}

/// How a change to a selection went: each object on its own.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Keys changed.
    pub changed: Vec<String>,
    /// Keys not changed, and why.
    pub failed: Vec<(String, AwsError)>,
}

impl ApplyReport {
    /// One sentence: how many changed, and the first failure's reason.
    #[must_use]
    pub fn summary(&self) -> String {
        let total = self.changed.len() + self.failed.len();
        let objects = |n: usize| format!("{n} object{}", if n == 1 { "" } else { "s" });
        match self.failed.first() {
            None => format!("Changed {}", objects(total)),
            Some((_, e)) if total == 1 => e.message.clone(),
            Some((_, e)) => format!(
                "Changed {} of {}; {} failed ({}{})",
                self.changed.len(),
                objects(total),
                self.failed.len(),
                e.message,
                if self.failed.len() > 1 { ", …" } else { "" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::errors::ErrorKind;

    #[test]
    fn one_summary_sentence() {
        let mut r = ApplyReport {
            changed: vec!["a".into(), "b".into()],
            failed: Vec::new(),
        };
        assert_eq!(r.summary(), "Changed 2 objects");
        let e = AwsError::new(
            ErrorKind::Changed,
            "c changed since you opened it; not overwritten",
        );
        r.failed.push(("c".into(), e));
        assert_eq!(
            r.summary(),
            "Changed 2 of 3 objects; 1 failed (c changed since you opened it; not overwritten)"
        );
        r.changed.clear();
        r.failed.truncate(1);
        assert_eq!(
            r.summary(),
            "c changed since you opened it; not overwritten"
        );
    }
}
