//! The S3 browser's state: the bucket list, where the user is (bucket and prefix, with Back), the
//! folder's rows as they stream in, the filter and sort, the selection, details, presigned links
//! and transfers. User actions return the [`Command`]s to send; worker events change it through
//! [`Browser::apply`]. Answers for a folder the user has left are dropped by request id.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::s3::{BucketInfo, ObjectDetails, Page};
use crate::browse::{Listing, SortKey};
use crate::message::{BrowseCommand, BrowseEvent, Command, RequestId, TransferUpdate, next_id};
use crate::secret::Secret;
use crate::session::{Session, SessionCreds};

/// Where the user is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The bucket.
    pub bucket: String,
    /// The prefix ("" for the bucket's top, else ending in `/`).
    pub prefix: String,
}

/// How the bucket list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BucketSort {
    /// By name.
    #[default]
    Name,
    /// Newest first.
    Newest,
}

/// A download or upload on screen.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// Its id (for Cancel).
    pub id: RequestId,
    /// What it is ("Downloading report.pdf").
    pub label: String,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all, when known.
    pub total: Option<u64>,
    /// When it started (for rate and ETA).
    pub started: Instant,
    /// `None` while running; the outcome after.
    pub outcome: Option<Result<String, String>>,
}

impl Transfer {
    /// Bytes per second so far.
    #[must_use]
    pub fn rate(&self) -> f64 {
        let secs = self.started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)] // display
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// Time left at the current rate.
    #[must_use]
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        let rate = self.rate();
        #[allow(clippy::cast_precision_loss)] // display
        (rate > 0.0).then(|| Duration::from_secs_f64(total.saturating_sub(self.done) as f64 / rate))
    }
}

/// A presigned link made for the selected object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presigned {
    /// The URL. Made with temporary credentials it carries the session token, so it is kept
    /// like one: redacted in `Debug`, never drawn, only copied.
    pub url: Secret,
    /// How long it is valid.
    pub valid: Duration,
    /// Whether it was shortened to the session's remaining life.
    pub shortened: bool,
}

/// The browser.
#[derive(Debug, Default)]
pub struct Browser {
    /// Whether the browser view is shown (instead of the sign-in view).
    pub shown: bool,
    /// The access key the browser works with; a change (renew, another session) reloads.
    creds_key: Option<String>,
    /// The buckets, or why not.
    pub buckets: Option<Result<Vec<BucketInfo>, AwsError>>,
    /// The bucket list request in flight.
    pub buckets_id: Option<RequestId>,
    /// The bucket filter.
    pub bucket_filter: String,
    /// The bucket order.
    pub bucket_sort: BucketSort,
    /// Known bucket regions.
    pub regions: HashMap<String, String>,
    /// Where the user is.
    pub location: Option<Location>,
    /// Earlier locations (Back).
    pub history: Vec<Location>,
    /// The rows loaded so far.
    pub listing: Listing,
    /// The rows shown: filtered and sorted row numbers.
    pub view: Vec<u32>,
    /// The filter typed (substring, any case, on what is loaded).
    pub filter: String,
    /// The column sorted by and whether ascending.
    pub sort: (SortKey, bool),
    /// The listing in flight.
    pub list_id: Option<RequestId>,
    /// The token to continue from (after Stop or a failure).
    pub next_token: Option<String>,
    /// Every page has arrived.
    pub complete: bool,
    /// Listing everything under the prefix (no folders): the server-side search.
    pub search: bool,
    /// The last failure of a listing, details or link.
    pub error: Option<AwsError>,
    /// Selected rows (row numbers in `listing`).
    pub selected: BTreeSet<u32>,
    /// The keyboard cursor: a position in `view`.
    pub cursor: Option<usize>,
    /// The table should scroll to the cursor on the next frame.
    pub scroll_to_cursor: bool,
    /// Details of the selected object.
    pub details: Option<ObjectDetails>,
    /// The details request in flight.
    pub details_id: Option<RequestId>,
    /// The link validity asked for, in minutes.
    pub presign_minutes: u32,
    /// The last link made.
    pub presigned: Option<Presigned>,
    /// The link just arrived and is still to be copied (see [`Browser::take_link_to_copy`]).
    copy_link: bool,
    /// Transfers, newest last.
    pub transfers: Vec<Transfer>,
    /// A one-line message (copied, stopped …).
    pub note: Option<String>,
    /// Rows per page asked for (None: S3's 1,000); small in tests to force many pages.
    pub page_size: Option<i32>,
    /// Renew was pressed here: come back to the browser after the next sign-in.
    pub return_after_renew: bool,
}

impl Browser {
    /// A browser with the default link validity (60 minutes).
    #[must_use]
    pub fn new() -> Self {
        Self {
            presign_minutes: 60,
            sort: (SortKey::Name, true),
            ..Self::default()
        }
    }

    /// Keeps the browser on the shown session: when its credentials change (a renewal, another
    /// session chosen) the bucket list and the current folder are loaded again with the new ones,
    /// so a renewal returns to the same bucket and prefix.
    pub fn sync(&mut self, session: Option<&Session>, now: SystemTime) -> Vec<Command> {
        let Some(s) = session.filter(|s| !s.is_expired(now)) else {
            return Vec::new();
        };
        if self.creds_key.as_deref() == Some(s.credentials.access_key_id.as_str()) {
            return Vec::new();
        }
        let first = self.creds_key.is_none();
        self.creds_key = Some(s.credentials.access_key_id.clone());
        if !first && !self.shown && self.location.is_none() {
            self.buckets = None;
        }
        let creds = s.creds();
        let mut out = vec![self.load_buckets(&creds)];
        if let Some(loc) = self.location.clone() {
            out.extend(self.list(&creds, loc, None));
        }
        out
    }

    fn load_buckets(&mut self, creds: &SessionCreds) -> Command {
        let id = next_id();
        self.buckets_id = Some(id);
        Command::Browse(BrowseCommand::ListBuckets {
            id,
            creds: creds.clone(),
        })
    }

    /// Starts listing `loc` from the beginning (or from `token`, continuing).
    fn list(&mut self, creds: &SessionCreds, loc: Location, token: Option<String>) -> Vec<Command> {
        let mut out = Vec::new();
        if let Some(old) = self.list_id.take() {
            out.push(Command::Cancel { id: old });
        }
        if token.is_none() {
            self.listing = Listing::default();
            self.view.clear();
            self.selected.clear();
            self.cursor = None;
            self.details = None;
            self.presigned = None;
            self.complete = false;
            self.next_token = None;
        }
        self.error = None;
        let id = next_id();
        self.list_id = Some(id);
        out.push(Command::Browse(BrowseCommand::ListObjects {
            id,
            creds: creds.clone(),
            bucket: loc.bucket.clone(),
            region: self.regions.get(&loc.bucket).cloned(),
            prefix: loc.prefix.clone(),
            delimiter: !self.search,
            token,
            page_size: self.page_size,
        }));
        self.location = Some(loc);
        out
    }

    /// Opens `bucket` at its top.
    pub fn open_bucket(&mut self, creds: &SessionCreds, bucket: &str) -> Vec<Command> {
        self.go(
            creds,
            Location {
                bucket: bucket.to_owned(),
                prefix: String::new(),
            },
        )
    }

    /// Opens a folder of the current bucket.
    pub fn open_prefix(&mut self, creds: &SessionCreds, prefix: &str) -> Vec<Command> {
        let Some(bucket) = self.location.as_ref().map(|l| l.bucket.clone()) else {
            return Vec::new();
        };
        self.go(
            creds,
            Location {
                bucket,
                prefix: prefix.to_owned(),
            },
        )
    }

    fn go(&mut self, creds: &SessionCreds, loc: Location) -> Vec<Command> {
        if let Some(cur) = self.location.take()
            && cur != loc
        {
            self.history.push(cur);
        }
        self.search = false;
        self.filter.clear();
        self.list(creds, loc, None)
    }

    /// One folder up (to the bucket's top, then nothing).
    pub fn up(&mut self, creds: &SessionCreds) -> Vec<Command> {
        let Some(loc) = self.location.clone() else {
            return Vec::new();
        };
        if loc.prefix.is_empty() {
            return Vec::new();
        }
        let parent = crate::browse::parent(&loc.prefix).to_owned();
        self.open_prefix(creds, &parent)
    }

    /// Back to the previous location.
    pub fn back(&mut self, creds: &SessionCreds) -> Vec<Command> {
        let Some(prev) = self.history.pop() else {
            return Vec::new();
        };
        self.search = false;
        self.filter.clear();
        self.list(creds, prev, None)
    }

    /// Lists the current folder again from the start (F5).
    pub fn refresh(&mut self, creds: &SessionCreds) -> Vec<Command> {
        let mut out = vec![self.load_buckets(creds)];
        if let Some(loc) = self.location.clone() {
            out.extend(self.list(creds, loc, None));
        }
        out
    }

    /// Lists every key under the current prefix (no folders): the typed filter becomes a prefix
    /// search on the server.
    pub fn search_on_server(&mut self, creds: &SessionCreds) -> Vec<Command> {
        let Some(mut loc) = self.location.clone() else {
            return Vec::new();
        };
        loc.prefix = format!("{}{}", loc.prefix, self.filter.trim());
        self.search = true;
        self.filter.clear();
        self.list(creds, loc, None)
    }

    /// Stops the listing; what was loaded stays, Continue goes on from there.
    pub fn stop(&mut self) -> Option<Command> {
        let id = self.list_id.take()?;
        self.note = Some(format!("Stopped after {} rows", self.listing.len()));
        Some(Command::Cancel { id })
    }

    /// Continues an interrupted listing from the last token.
    pub fn continue_listing(&mut self, creds: &SessionCreds) -> Vec<Command> {
        let (Some(loc), Some(token)) = (self.location.clone(), self.next_token.clone()) else {
            return Vec::new();
        };
        self.note = None;
        self.list(creds, loc, Some(token))
    }

    /// Recomputes the shown rows after a filter, sort or new page.
    pub fn refilter(&mut self) {
        let prefix = self.location.as_ref().map_or("", |l| l.prefix.as_str());
        self.view = self.listing.filter(prefix, &self.filter);
        self.listing.sort(&mut self.view, self.sort.0, self.sort.1);
        if let Some(c) = self.cursor {
            self.cursor = (!self.view.is_empty()).then(|| c.min(self.view.len() - 1));
        }
    }

    /// Sorts by `key` (again: reverses).
    pub fn sort_by(&mut self, key: SortKey) {
        self.sort = if self.sort.0 == key {
            (key, !self.sort.1)
        } else {
            (key, true)
        };
        self.refilter();
    }

    /// The buckets to show: filtered and sorted.
    #[must_use]
    pub fn shown_buckets(&self) -> Vec<&BucketInfo> {
        let Some(Ok(list)) = &self.buckets else {
            return Vec::new();
        };
        let needle = self.bucket_filter.trim().to_lowercase();
        let mut out: Vec<&BucketInfo> = list
            .iter()
            .filter(|b| needle.is_empty() || b.name.to_lowercase().contains(&needle))
            .collect();
        match self.bucket_sort {
            BucketSort::Name => out.sort_by(|a, b| a.name.cmp(&b.name)),
            BucketSort::Newest => out.sort_by_key(|b| std::cmp::Reverse(b.created)),
        }
        out
    }

    /// Selects the row at view position `pos` (alone, or added/removed with `toggle`) and asks
    /// for its details when it is one object.
    pub fn select(&mut self, creds: &SessionCreds, pos: usize, toggle: bool) -> Vec<Command> {
        let Some(&row) = self.view.get(pos) else {
            return Vec::new();
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
        let only = (self.selected.len() == 1)
            .then(|| self.selected.first().copied())
            .flatten();
        match (only, self.location.clone()) {
            (Some(r), Some(loc)) if self.listing.row(r).is_some_and(|x| !x.folder) => {
                let id = next_id();
                self.details_id = Some(id);
                vec![Command::Browse(BrowseCommand::HeadObject {
                    id,
                    creds: creds.clone(),
                    region: self.regions.get(&loc.bucket).cloned(),
                    bucket: loc.bucket,
                    key: self.listing.key(r).to_owned(),
                })]
            }
            _ => Vec::new(),
        }
    }

    /// Opens the row at view position `pos` when it is a folder (double-click, Enter); selects it
    /// otherwise.
    pub fn activate(&mut self, creds: &SessionCreds, pos: usize) -> Vec<Command> {
        let Some(&row) = self.view.get(pos) else {
            return Vec::new();
        };
        if self.listing.row(row).is_some_and(|r| r.folder) {
            let prefix = self.listing.key(row).to_owned();
            self.open_prefix(creds, &prefix)
        } else {
            self.select(creds, pos, false)
        }
    }

    /// Moves the keyboard cursor by `step` rows and selects there.
    pub fn step(&mut self, creds: &SessionCreds, step: isize) -> Vec<Command> {
        if self.view.is_empty() {
            return Vec::new();
        }
        let pos = self.cursor.map_or(0, |c| {
            c.saturating_add_signed(step).min(self.view.len() - 1)
        });
        self.scroll_to_cursor = true;
        self.select(creds, pos, false)
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

    /// Asks for a presigned link for the one selected object, for the chosen minutes, never
    /// longer than the session has left.
    pub fn presign(&mut self, creds: &SessionCreds, session_left: Duration) -> Option<Command> {
        let loc = self.location.clone()?;
        let [(key, _)] = self.selected_objects().try_into().ok()?;
        Some(Command::Browse(BrowseCommand::Presign {
            creds: creds.clone(),
            region: self.regions.get(&loc.bucket).cloned(),
            bucket: loc.bucket,
            key,
            wanted: Duration::from_secs(u64::from(self.presign_minutes) * 60),
            session_left,
        }))
    }

    /// The presigned link that has just arrived, once: the frame that takes it copies it,
    /// whichever view is shown, so a link asked for before leaving the browser is copied then
    /// and never later over something the user has copied since.
    pub fn take_link_to_copy(&mut self) -> Option<Secret> {
        if !std::mem::take(&mut self.copy_link) {
            return None;
        }
        self.presigned.as_ref().map(|p| p.url.clone())
    }

    /// Asks where to save the selected objects, then downloads them.
    pub fn download(&mut self, creds: &SessionCreds) -> Option<Command> {
        let loc = self.location.clone()?;
        let items = self.selected_objects();
        if items.is_empty() {
            self.note = Some("Select one or more objects to download".to_owned());
            return None;
        }
        Some(Command::Browse(BrowseCommand::Download {
            creds: creds.clone(),
            region: self.regions.get(&loc.bucket).cloned(),
            bucket: loc.bucket,
            items,
            target: None,
        }))
    }

    /// Uploads `files` (chosen, or dropped on the window: `Some`) into the current folder; `None`
    /// asks with a file dialog first.
    pub fn upload(&mut self, creds: &SessionCreds, files: Option<Vec<PathBuf>>) -> Option<Command> {
        let Some(loc) = self.location.clone() else {
            self.note = Some("Open a bucket first, then upload into it".to_owned());
            return None;
        };
        Some(Command::Browse(BrowseCommand::Upload {
            creds: creds.clone(),
            region: self.regions.get(&loc.bucket).cloned(),
            bucket: loc.bucket,
            prefix: loc.prefix,
            files,
        }))
    }

    /// Applies a worker event for the browser.
    pub fn apply(&mut self, event: BrowseEvent) {
        match event {
            BrowseEvent::Buckets { id, result } => {
                if self.buckets_id != Some(id) {
                    return;
                }
                self.buckets_id = None;
                if let Ok(list) = &result {
                    for b in list {
                        if let Some(r) = &b.region {
                            self.regions.insert(b.name.clone(), r.clone());
                        }
                    }
                }
                self.buckets = Some(result);
            }
            BrowseEvent::Region { bucket, region } => {
                self.regions.insert(bucket, region);
            }
            BrowseEvent::Page { id, page } => {
                if self.list_id != Some(id) {
                    return; // a folder the user has left
                }
                self.add_page(&page);
            }
            BrowseEvent::ListFailed { id, error } => {
                if self.list_id != Some(id) {
                    return;
                }
                self.list_id = None;
                self.error = Some(error);
            }
            BrowseEvent::Details { id, result } => {
                if self.details_id != Some(id) {
                    return;
                }
                self.details_id = None;
                match result {
                    Ok(d) => self.details = Some(d),
                    Err(e) => self.error = Some(e),
                }
            }
            BrowseEvent::Presigned(result) => match result {
                Ok((url, valid, wanted)) => {
                    self.presigned = Some(Presigned {
                        url,
                        valid,
                        shortened: valid < wanted,
                    });
                    self.copy_link = true;
                }
                Err(e) => self.error = Some(e),
            },
            BrowseEvent::Transfer { id, update } => self.transfer(id, update),
        }
    }

    fn add_page(&mut self, page: &Page) {
        let from = u32::try_from(self.listing.len()).unwrap_or(u32::MAX);
        for f in &page.folders {
            self.listing.push_folder(f);
        }
        for o in &page.objects {
            self.listing
                .push_object(&o.key, o.size, o.modified, o.class);
        }
        self.next_token.clone_from(&page.next);
        if page.next.is_none() {
            self.complete = true;
            self.list_id = None;
        }
        // Only the new rows are filtered and merged in: a page costs the same at row 1,000,000
        // as at row 1,000. The cursor stays on its row when rows land before it.
        let cursor_row = self.cursor.and_then(|c| self.view.get(c).copied());
        let prefix = self.location.as_ref().map_or("", |l| l.prefix.as_str());
        let (key, ascending) = self.sort;
        self.listing
            .extend_view(&mut self.view, from, prefix, &self.filter, key, ascending);
        if let (Some(c), Some(row)) = (self.cursor, cursor_row)
            && self.view.get(c) != Some(&row)
        {
            self.cursor = self.view.iter().position(|&r| r == row);
        }
    }

    fn transfer(&mut self, id: RequestId, update: TransferUpdate) {
        match update {
            TransferUpdate::Started { label, total } => self.transfers.push(Transfer {
                id,
                label,
                done: 0,
                total,
                started: Instant::now(),
                outcome: None,
            }),
            TransferUpdate::Progress(done) => {
                if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
                    t.done = done;
                }
            }
            TransferUpdate::Finished(result) => {
                let refresh = result.is_ok();
                if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
                    t.outcome = Some(result.map_err(|e| e.message));
                }
                if refresh {
                    self.note = Some("Transfer finished".to_owned());
                }
            }
        }
    }

    /// Whether an error means the session is no longer good (offer Renew).
    #[must_use]
    pub fn needs_renewal(&self) -> bool {
        self.error.as_ref().is_some_and(|e| {
            matches!(
                e.kind,
                ErrorKind::Expired | ErrorKind::InvalidToken | ErrorKind::AccessDenied
            )
        })
    }

    /// The "loaded N so far… / all N loaded" line.
    #[must_use]
    pub fn progress_line(&self) -> String {
        let (objects, folders) = self.listing.counts();
        let what = format!(
            "{objects} object{} and {folders} folder{}",
            if objects == 1 { "" } else { "s" },
            if folders == 1 { "" } else { "s" }
        );
        if self.list_id.is_some() {
            format!("Loaded {what} so far…")
        } else if self.complete {
            format!("All {what} loaded")
        } else {
            format!("Loaded {what}; more are on the server")
        }
    }
}
