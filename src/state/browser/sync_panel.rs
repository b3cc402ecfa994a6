//! Sync with a preview: the shown S3 folder and a local folder compared (either way, by size and
//! time or by content), the plan shown — new, changed, only at the destination — and run only
//! when the user says so, as one transfer. When it ends, the folder is listed again.

use std::path::PathBuf;

use super::{Browser, Location};
use crate::aws::errors::AwsError;
use crate::aws::s3::sync::{Action, Compare, Direction, SyncPlan};
use crate::message::{BucketJob, Command, Outbox, RequestId, next_id};

/// The sync panel: its choices, then the comparison and its plan.
#[derive(Debug)]
pub struct SyncPanel {
    /// The S3 folder (where the browser was when the panel opened).
    pub at: Location,
    /// The local folder as typed (empty: a folder dialog asks).
    pub local: String,
    pub direction: Direction,
    pub compare: Compare,
    /// Delete what is only at the destination.
    pub delete: bool,
    /// Why the typed folder cannot be used (shown next to it; nothing is sent).
    pub local_error: Option<String>,
    /// The comparison under way (Cancel stops it) …
    pub id: Option<RequestId>,
    /// … and how many paths it has compared so far.
    pub counted: usize,
    /// The plan, once compared.
    pub plan: Option<SyncPlan>,
    /// Why comparing failed.
    pub error: Option<AwsError>,
}

impl SyncPanel {
    fn new(at: Location) -> Self {
        Self {
            at,
            local: String::new(),
            direction: Direction::Upload,
            compare: Compare::SizeAndTime,
            delete: false,
            local_error: None,
            id: None,
            counted: 0,
            plan: None,
            error: None,
        }
    }

    /// The folder typed, checked: empty (ask with a dialog), or a full path.
    fn local_path(&self) -> Result<Option<PathBuf>, String> {
        let typed = self.local.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        if typed.contains('\0') {
            return Err("A folder's path cannot hold a NUL character".into());
        }
        let path = PathBuf::from(typed);
        if path.is_absolute() {
            Ok(Some(path))
        } else {
            Err(
                "Give the folder's full path (starting with /), or leave it empty to choose one"
                    .into(),
            )
        }
    }

    /// The plan may run: compared, and something to do.
    #[must_use]
    pub fn ready(&self) -> bool {
        self.plan.as_ref().is_some_and(|p| !p.is_empty())
    }

    /// The S3 end, as the user reads it.
    #[must_use]
    pub fn place(&self) -> String {
        self.at.uri()
    }

    /// The plan's rows by action, for the counts line.
    #[must_use]
    pub fn counts(&self) -> Option<[(Action, usize); 4]> {
        let p = self.plan.as_ref()?;
        Some(
            [
                Action::New,
                Action::Changed,
                Action::Delete,
                Action::OnlyThere,
            ]
            .map(|a| (a, p.count(a))),
        )
    }
}

impl Browser {
    /// Opens the sync panel on the shown folder.
    pub fn open_sync(&mut self, out: &mut Outbox) {
        self.close_sync(out);
        if let Some(at) = self.here() {
            self.sync_panel = Some(SyncPanel::new(at));
        }
    }

    /// Compares the folder with the local one (a dialog asks when none was typed). A path that
    /// cannot be one is refused next to the field and nothing is sent.
    pub fn compare_sync(&mut self, out: &mut Outbox) {
        let Some(p) = self.sync_panel.as_mut() else {
            return;
        };
        let local = match p.local_path() {
            Ok(l) => l,
            Err(why) => {
                p.local_error = Some(why);
                return;
            }
        };
        p.local_error = None;
        if let Some(old) = p.id.take() {
            out.send(Command::Cancel { id: old });
        }
        p.plan = None;
        p.error = None;
        p.counted = 0;
        let id = next_id();
        let job = BucketJob::PlanSync {
            prefix: p.at.prefix.clone(),
            local,
            direction: p.direction,
            compare: p.compare,
            delete: p.delete,
        };
        if self.send_job(out, id, job)
            && let Some(p) = self.sync_panel.as_mut()
        {
            p.id = Some(id);
        }
    }

    /// Runs the plan shown, as one transfer; the panel closes and the folder is listed again
    /// when it ends.
    pub fn run_sync(&mut self, out: &mut Outbox) {
        let Some(p) = self.sync_panel.take_if(|p| p.ready()) else {
            return;
        };
        let (Some(plan), id) = (p.plan, next_id()) else {
            return;
        };
        // Syncing into a local folder changes nothing in the bucket.
        let uploads = plan.spec.direction == Direction::Upload;
        if self.send_job(
            out,
            id,
            BucketJob::Sync {
                plan: Box::new(plan),
            },
        ) && uploads
        {
            self.changes.insert(id, p.at);
        }
    }

    /// A choice changed: the plan shown no longer answers it, and a comparison under way for the
    /// old choices stops (its answer would be dropped).
    pub fn sync_choices_changed(&mut self, out: &mut Outbox) {
        let Some(p) = self.sync_panel.as_mut() else {
            return;
        };
        p.plan = None;
        p.local_error = None;
        if let Some(id) = p.id.take() {
            out.send(Command::Cancel { id });
        }
    }

    /// Closes the panel; a comparison under way stops.
    pub fn close_sync(&mut self, out: &mut Outbox) {
        if let Some(id) = self.sync_panel.take().and_then(|p| p.id) {
            out.send(Command::Cancel { id });
        }
    }

    pub(super) fn sync_counting(&mut self, id: RequestId, n: usize) -> bool {
        match self.sync_panel.as_mut() {
            Some(p) if p.id == Some(id) => {
                p.counted = n;
                true
            }
            _ => false,
        }
    }

    pub(super) fn sync_planned(&mut self, id: RequestId, result: Result<SyncPlan, AwsError>) {
        let Some(p) = self.sync_panel.as_mut().filter(|p| p.id == Some(id)) else {
            return;
        };
        p.id = None;
        match result {
            Ok(plan) => {
                p.local = plan.spec.local.display().to_string();
                p.plan = Some(plan);
            }
            Err(e) => p.error = Some(e),
        }
    }
}
