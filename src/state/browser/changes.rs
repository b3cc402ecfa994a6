//! Whole folders and changes: a download of folders or several objects, an upload of folders
//! (dialog or drop) and a deletion are counted first and confirmed in a dialog that says what
//! they cover (and, for a deletion of more than ten objects, asks to type the count); a new
//! folder by name. When one ends, the folder it changed is listed again in the background.

use std::path::PathBuf;

use super::{Browser, Location};
use crate::aws::errors::AwsError;
use crate::aws::s3::{DeleteReport, Picked, Plan};
use crate::listing::{human_size, thousands};
use crate::message::{
    BrowseCommand, BucketAt, BucketJob, Command, Outbox, Purpose, RequestId, next_id,
};
use crate::notice::Notice;

/// Deletions of more than this many objects ask to type the count.
pub const TYPE_COUNT_ABOVE: usize = 10;

/// A counted plan waiting for the user's yes (or still being counted).
#[derive(Debug)]
pub struct Confirm {
    /// The counting request (Cancel stops it).
    pub id: RequestId,
    pub purpose: Purpose,
    /// Where the user was.
    pub at: Location,
    /// Files and bytes found so far, while counting.
    pub counted: (usize, u64),
    /// The plan, once counted.
    pub plan: Option<Plan>,
    /// For a deletion: whether the bucket keeps versions (`None`: could not be read).
    pub versioned: Option<bool>,
    /// The count as typed, for a large deletion.
    pub typed: String,
    /// Why counting failed.
    pub error: Option<AwsError>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// "1 object", "2,500 objects".
#[must_use]
pub fn objects(n: usize) -> String {
    plural(n, "object", "objects")
}

impl Confirm {
    /// Everything the plan covers (files and folders).
    #[must_use]
    pub fn count(&self) -> usize {
        self.plan
            .as_ref()
            .map_or(0, |p| p.files.len() + p.folders.len())
    }

    /// A deletion of more than [`TYPE_COUNT_ABOVE`] objects asks to type the count.
    #[must_use]
    pub fn needs_typing(&self) -> bool {
        self.purpose == Purpose::Delete && self.count() > TYPE_COUNT_ABOVE
    }

    /// Whether the yes may be given: counted, something to do, the count typed when asked.
    #[must_use]
    pub fn ready(&self) -> bool {
        let typed: String = self.typed.chars().filter(char::is_ascii_digit).collect();
        self.count() > 0 && (!self.needs_typing() || typed == self.count().to_string())
    }

    /// "Download 1,204 files, 3.2 GB?" and the like; a sentence while counting.
    #[must_use]
    pub fn question(&self) -> String {
        let Some(plan) = &self.plan else {
            let (files, bytes) = self.counted;
            return format!(
                "Counting… {} so far ({})",
                plural(files, "file", "files"),
                human_size(bytes)
            );
        };
        let (files, bytes) = (plan.files.len(), human_size(plan.bytes));
        let place = self.at.uri();
        match self.purpose {
            Purpose::Download => format!("Download {}, {bytes}?", plural(files, "file", "files")),
            Purpose::Upload => format!(
                "Upload {}, {bytes}, into {place}?",
                plural(files, "file", "files")
            ),
            Purpose::Delete => format!(
                "Delete {} ({bytes}) from {place}?",
                plural(self.count(), "object", "objects")
            ),
        }
    }

    /// What a deletion does to a versioned bucket, when that matters.
    #[must_use]
    pub fn versioning_note(&self) -> Option<&'static str> {
        match (self.purpose, self.versioned) {
            (Purpose::Delete, Some(true)) => Some(
                "This bucket keeps versions: each object gets a delete marker and its older versions stay.",
            ),
            (Purpose::Delete, None) => Some(
                "keyfob could not read whether this bucket keeps versions; if it does, each object gets a delete marker.",
            ),
            _ => None,
        }
    }
}

/// A folder being named.
#[derive(Debug, Default)]
pub struct NewFolder {
    pub name: String,
    /// The request in flight.
    pub id: Option<RequestId>,
    /// Why it was refused.
    pub error: Option<String>,
}

impl Browser {
    /// Where the user is, as a folder: in a server search (whose prefix ends in the text typed),
    /// the folder the search started from. Downloads, uploads and new folders work from here.
    #[must_use]
    pub fn here(&self) -> Option<Location> {
        let mut loc = self.location.clone()?;
        if self.search && !loc.prefix.is_empty() && !loc.prefix.ends_with('/') {
            loc.prefix = crate::listing::parent(&loc.prefix).to_owned();
        }
        Some(loc)
    }

    /// Sends a bucket job for the current bucket; false without a session or a bucket.
    pub(super) fn send_job(&self, out: &mut Outbox, id: RequestId, job: BucketJob) -> bool {
        let Some(loc) = &self.location else {
            return false;
        };
        let region = self.region_of(&loc.bucket);
        let bucket = loc.bucket.clone();
        self.send(out, |creds| BrowseCommand::Bucket {
            id,
            at: BucketAt {
                creds,
                bucket,
                region,
            },
            job,
        })
    }

    /// The selected rows, objects and folders.
    #[must_use]
    pub fn picked(&self) -> Vec<Picked> {
        self.selected
            .iter()
            .filter_map(|&r| {
                let row = self.listing.row(r)?;
                Some(Picked {
                    key: self.listing.key(r).to_owned(),
                    folder: row.folder,
                    size: row.size,
                })
            })
            .collect()
    }

    /// Counts `purpose` for the selection (download, delete) or `paths` (upload), then asks.
    fn ask(&mut self, out: &mut Outbox, purpose: Purpose, job: BucketJob) {
        let Some(at) = self.here() else {
            return;
        };
        // One question at a time: a count still running for an earlier one stops.
        self.dismiss(out);
        let id = next_id();
        if self.send_job(out, id, job) {
            self.confirm = Some(Confirm {
                id,
                purpose,
                at,
                counted: (0, 0),
                plan: None,
                versioned: None,
                typed: String::new(),
                error: None,
            });
        }
    }

    /// Downloads the selection: one object straight to a save dialog; folders or several objects
    /// counted first, then into a folder, keeping their structure.
    pub fn download(&mut self, out: &mut Outbox) {
        let picked = self.picked();
        if picked.is_empty() {
            self.note = Some(Notice::info("Select objects or folders to download"));
            return;
        }
        if let [one] = picked.as_slice()
            && !one.folder
        {
            return self.download_one(out, (one.key.clone(), one.size));
        }
        let base = self.here().map(|l| l.prefix).unwrap_or_default();
        let job = BucketJob::Plan {
            base,
            picked,
            purpose: Purpose::Download,
        };
        self.ask(out, Purpose::Download, job);
    }

    /// Uploads local files and folders (dropped on the window), or a folder chosen in a dialog
    /// (`None`), into the current folder, counted and asked first.
    pub fn upload_tree(&mut self, out: &mut Outbox, paths: Option<Vec<PathBuf>>) {
        let Some(loc) = self.here() else {
            self.note = Some(Notice::info("Open a bucket first, then upload into it"));
            return;
        };
        let job = BucketJob::PlanUpload {
            prefix: loc.prefix,
            paths,
        };
        self.ask(out, Purpose::Upload, job);
    }

    /// Deletes the selection (folders with everything under them), counted and confirmed first.
    pub fn delete(&mut self, out: &mut Outbox) {
        let picked = self.picked();
        if picked.is_empty() {
            self.note = Some(Notice::info("Select objects or folders to delete"));
            return;
        }
        let job = BucketJob::Plan {
            base: String::new(),
            picked,
            purpose: Purpose::Delete,
        };
        self.ask(out, Purpose::Delete, job);
    }

    /// The user said yes: the plan runs (a transfer, or the deletion).
    pub fn confirm(&mut self, out: &mut Outbox) {
        let Some(c) = self.confirm.take_if(|c| c.ready()) else {
            return;
        };
        let count = c.count();
        let (Some(plan), id) = (c.plan, next_id()) else {
            return;
        };
        let job = match c.purpose {
            Purpose::Download => BucketJob::Download { plan, target: None },
            Purpose::Upload => BucketJob::Upload { plan },
            Purpose::Delete => BucketJob::Delete {
                keys: plan
                    .files
                    .into_iter()
                    .chain(plan.folders)
                    .map(|f| f.key)
                    .collect(),
            },
        };
        // A download changes nothing in the bucket; the others have the folder listed again.
        if self.send_job(out, id, job) && c.purpose != Purpose::Download {
            self.changes.insert(id, c.at);
            if c.purpose == Purpose::Delete {
                self.deleting = Some((id, count));
            }
        }
    }

    /// The user said no, or closed the dialog: counting stops.
    pub fn dismiss(&mut self, out: &mut Outbox) {
        if let Some(c) = self.confirm.take()
            && c.plan.is_none()
        {
            out.send(Command::Cancel { id: c.id });
        }
    }

    /// Makes the folder named in [`NewFolder`] inside the current folder.
    pub fn create_folder(&mut self, out: &mut Outbox) {
        let (Some(loc), Some(nf)) = (self.here(), self.new_folder.as_mut()) else {
            return;
        };
        let name = nf.name.trim().to_owned();
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            nf.error = Some("Enter a folder name without /".into());
            return;
        }
        let id = next_id();
        nf.error = None;
        let job = BucketJob::NewFolder {
            prefix: loc.prefix.clone(),
            name,
        };
        if self.send_job(out, id, job) {
            if let Some(nf) = self.new_folder.as_mut() {
                nf.id = Some(id);
            }
            self.changes.insert(id, loc);
        }
    }

    pub(super) fn counting(&mut self, id: RequestId, files: usize, bytes: u64) {
        if let Some(c) = self.confirm.as_mut().filter(|c| c.id == id) {
            c.counted = (files, bytes);
        }
    }

    pub(super) fn planned(
        &mut self,
        id: RequestId,
        result: Result<(Plan, Option<bool>), AwsError>,
    ) {
        let Some(c) = self.confirm.as_mut().filter(|c| c.id == id) else {
            return;
        };
        match result {
            // An upload whose folder dialog was closed: nothing to ask.
            Ok((plan, _)) if c.purpose == Purpose::Upload && plan == Plan::default() => {
                self.confirm = None;
            }
            Ok((plan, versioned)) => {
                c.plan = Some(plan);
                c.versioned = versioned;
            }
            Err(e) => c.error = Some(e),
        }
    }

    /// Stops the deletion under way; what was deleted is gone, the folder is listed again.
    pub fn stop_deleting(&mut self, out: &mut Outbox) {
        if let Some((id, _)) = self.deleting.take() {
            out.send(Command::Cancel { id });
            self.note = Some(Notice::warning(
                "Deletion stopped: what was already deleted is gone",
            ));
            self.changed(id, out);
        }
    }

    pub(super) fn deleted(
        &mut self,
        id: RequestId,
        result: Result<DeleteReport, AwsError>,
        out: &mut Outbox,
    ) {
        if self.deleting.is_some_and(|(d, _)| d == id) {
            self.deleting = None;
        }
        self.changed(id, out);
        self.note = Some(match result {
            Ok(r) if r.failed.is_empty() => Notice::success(format!(
                "Deleted {}",
                plural(r.deleted, "object", "objects")
            )),
            Ok(r) => {
                let first = r
                    .failed
                    .first()
                    .map(|s| format!("{}: {}", s.name, s.reason))
                    .unwrap_or_default();
                Notice::error(format!(
                    "Deleted {}; {} could not be deleted (first: {first})",
                    plural(r.deleted, "object", "objects"),
                    thousands(r.failed.len())
                ))
            }
            Err(e) => Notice::from(&e),
        });
    }

    pub(super) fn folder_made(
        &mut self,
        id: RequestId,
        result: Result<String, AwsError>,
        out: &mut Outbox,
    ) {
        if self.new_folder.as_ref().is_none_or(|nf| nf.id != Some(id)) {
            return;
        }
        match result {
            Ok(key) => {
                self.new_folder = None;
                self.note = Some(Notice::success(format!("Created the folder {key}")));
                self.changed(id, out);
            }
            Err(e) => {
                self.changes.remove(&id);
                if let Some(nf) = self.new_folder.as_mut() {
                    nf.id = None;
                    nf.error = Some(e.message);
                }
            }
        }
    }

    /// A change `id` ended: the folder it changed is listed again, in the background, when shown.
    pub(super) fn changed(&mut self, id: RequestId, out: &mut Outbox) {
        if let Some(at) = self.changes.remove(&id)
            && self.here().as_ref() == Some(&at)
        {
            self.revalidate(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(2_500_000), "2,500,000");
    }
}
