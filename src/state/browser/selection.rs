//! The selection: which rows are picked (mouse, Ctrl+click, the keyboard cursor), the details of
//! one object, its s3:// URI and presigned links.

use std::time::{Duration, SystemTime};

use super::Browser;
use crate::aws::errors::AwsError;
use crate::aws::s3::ObjectDetails;
use crate::message::{BrowseCommand, Outbox, RequestId, next_id};
use crate::notice::Notice;
use crate::secret::Secret;

/// A presigned link made for the selected object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presigned {
    /// Made with temporary credentials it carries the session token, so it is kept like one:
    /// redacted in `Debug`, never drawn, only copied.
    pub url: Secret,
    pub valid: Duration,
    /// Shortened to the session's remaining life.
    pub shortened: bool,
}

impl Browser {
    /// Selects the row at view position `pos` (alone, or added/removed with `toggle`) and asks
    /// for its details when it is one object.
    pub fn select(&mut self, out: &mut Outbox, pos: usize, toggle: bool) {
        let Some(&row) = self.view.get(pos) else {
            return;
        };
        self.cursor = Some(pos);
        if toggle {
            if !self.selected.remove(&row) {
                self.selected.insert(row);
            }
        } else {
            self.selected.clear();
            self.selected.insert(row);
        }
        self.presigned = None;
        self.details = None;
        self.preview = None;
        self.versions = None;
        let only = (self.selected.len() == 1)
            .then(|| self.selected.first().copied())
            .flatten()
            .filter(|&r| self.listing.row(r).is_some_and(|x| !x.folder));
        let (Some(r), Some(loc)) = (only, self.location.clone()) else {
            return;
        };
        let id = next_id();
        let key = self.listing.key(r).to_owned();
        let region = self.region_of(&loc.bucket);
        if self.send(out, |creds| BrowseCommand::HeadObject {
            id,
            creds,
            bucket: loc.bucket,
            region,
            key,
        }) {
            self.details_id = Some(id);
        }
    }

    /// Opens the row at view position `pos` when it is a folder (double-click, Enter); selects it
    /// otherwise.
    pub fn activate(&mut self, out: &mut Outbox, pos: usize) {
        let Some(&row) = self.view.get(pos) else {
            return;
        };
        if self.listing.row(row).is_some_and(|r| r.folder) {
            let prefix = self.listing.key(row).to_owned();
            self.open_prefix(out, &prefix);
        } else {
            self.select(out, pos, false);
        }
    }

    /// Opens the row under the keyboard cursor (Enter).
    pub fn activate_cursor(&mut self, out: &mut Outbox) {
        if let Some(c) = self.cursor {
            self.activate(out, c);
        }
    }

    /// Moves the keyboard cursor by `step` rows and selects there.
    pub fn step(&mut self, out: &mut Outbox, step: isize) {
        if self.view.is_empty() {
            return;
        }
        let pos = self.cursor.map_or(0, |c| {
            c.saturating_add_signed(step).min(self.view.len() - 1)
        });
        self.scroll_to_cursor = true;
        self.select(out, pos, false);
    }

    /// The selected objects (not folders): key and size.
    #[must_use]
    pub fn selected_objects(&self) -> Vec<(String, u64)> {
        self.selected
            .iter()
            .filter_map(|&r| {
                let row = self.listing.row(r)?;
                (!row.folder).then(|| (self.listing.key(r).to_owned(), row.size))
            })
            .collect()
    }

    /// The one selected object's key.
    fn only_object(&self) -> Option<String> {
        let [(key, _)] = self.selected_objects().try_into().ok()?;
        Some(key)
    }

    /// Copies s3://bucket/key of the one selected object (not cleared later: it is what the user
    /// asked to share, and it holds no secret).
    pub fn copy_uri(&mut self, out: &mut Outbox) {
        let (Some(loc), Some(key)) = (&self.location, self.only_object()) else {
            return;
        };
        out.copy(Secret::new(format!("s3://{}/{key}", loc.bucket)));
        self.note = Some(Notice::success("Copied the s3:// URI"));
    }

    /// Asks for a presigned link for the one selected object, for the chosen minutes, never
    /// longer than the session has left at `now`.
    pub fn presign(&mut self, out: &mut Outbox, now: SystemTime) {
        let (Some(loc), Some(key)) = (self.location.clone(), self.only_object()) else {
            return;
        };
        let region = self.region_of(&loc.bucket);
        let wanted = Duration::from_secs(u64::from(self.presign_minutes) * 60);
        self.send(out, |creds| BrowseCommand::Presign {
            session_left: creds.expires_at.duration_since(now).unwrap_or_default(),
            creds,
            bucket: loc.bucket,
            region,
            key,
            wanted,
        });
    }

    /// The link arrived: it is copied at once, whichever view is shown (the app empties the
    /// outbox even while the window is hidden), and never later over something copied since.
    pub(super) fn link_arrived(
        &mut self,
        result: Result<(Secret, Duration, Duration), AwsError>,
        out: &mut Outbox,
    ) {
        match result {
            Ok((url, valid, wanted)) => {
                out.copy(url.clone());
                self.presigned = Some(Presigned {
                    url,
                    valid,
                    shortened: valid < wanted,
                });
                self.note = Some(Notice::success("Copied the presigned link"));
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub(super) fn details_arrived(
        &mut self,
        id: RequestId,
        result: Result<ObjectDetails, AwsError>,
    ) {
        if self.details_id != Some(id) {
            return;
        }
        self.details_id = None;
        match result {
            Ok(d) => self.details = Some(d),
            Err(e) => self.error = Some(e),
        }
    }
}
