//! The S3 browser's state: the bucket list, where the user is (bucket and prefix, with Back), the
//! folder's rows as they stream in, the filter and sort. The selection with its details and links
//! is in [`selection`], downloads and uploads in [`transfers`]. Actions leave their commands in
//! the [`Outbox`]; worker events change the browser through [`Browser::apply`]. Answers for a
//! folder the user has left are dropped by request id.
//!
//! The browser keeps the credentials of the session it works with, handed over by
//! [`super::AppState`] when the shown session changes; the worker refuses them once that session
//! has ended, so holding them never extends their use.

mod cache;
mod changes;
mod inspect;
mod props;
mod reach;
mod selection;
mod sync_panel;
mod transfers;
mod view;

pub use crate::listing::thousands;
pub use cache::{Cached, ListingCache};
pub use changes::{Confirm, NewFolder, TYPE_COUNT_ABOVE, objects};
pub use inspect::Inspect;
pub use props::{PROPS_MAX, Pair, Problems, PropsForm, PropsPanels, Restoring, SettingsView};
pub use reach::{Bookmark, FILTER_PAUSE, Place, Places, RECENT_MAX, Reach, account_key};
pub use selection::Presigned;
pub use sync_panel::SyncPanel;
pub use transfers::{Transfer, UnfinishedUploads};

use std::collections::{BTreeSet, HashMap};

use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::s3::{BucketInfo, ObjectDetails, Page, Preview, VersionInfo};
use crate::listing::{Listing, SortKey};
use crate::message::{BrowseCommand, BrowseEvent, Command, Outbox, RequestId, next_id};
use crate::notice::Notice;
use crate::session::{Session, SessionCreds};

/// Where the user is.
pub use crate::aws::s3::location::S3Location as Location;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BucketSort {
    #[default]
    Name,
    Newest,
}

#[derive(Debug, Default)]
pub struct Browser {
    /// The browser view is shown instead of the sign-in view.
    pub shown: bool,
    /// The session the browser works with; another one (renewed, chosen) reloads.
    creds: Option<SessionCreds>,
    pub buckets: Option<Result<Vec<BucketInfo>, AwsError>>,
    pub buckets_id: Option<RequestId>,
    pub bucket_filter: String,
    pub bucket_sort: BucketSort,
    pub regions: HashMap<String, String>,
    pub location: Option<Location>,
    /// Earlier locations (Back).
    pub history: Vec<Location>,
    /// The rows loaded so far.
    pub listing: Listing,
    /// The rows shown: filtered and sorted row numbers.
    pub view: Vec<u32>,
    /// Substring, any case, on what is loaded.
    pub filter: String,
    /// The column sorted by and whether ascending.
    pub sort: (SortKey, bool),
    pub list_id: Option<RequestId>,
    /// The token to continue from (after Stop or a failure).
    pub next_token: Option<String>,
    /// Every page has arrived.
    pub complete: bool,
    /// Listing everything under the prefix (no folders): the server-side search.
    pub search: bool,
    /// The last failure of a listing, details or link; typed, as its kind decides on Renew.
    pub error: Option<AwsError>,
    /// Row numbers in `listing`.
    pub selected: BTreeSet<u32>,
    /// The keyboard cursor: a position in `view`.
    pub cursor: Option<usize>,
    /// The table scrolls to the cursor on the next frame.
    pub scroll_to_cursor: bool,
    pub details: Option<ObjectDetails>,
    pub details_id: Option<RequestId>,
    /// The link validity asked for, in minutes.
    pub presign_minutes: u32,
    pub presigned: Option<Presigned>,
    /// Newest last.
    pub transfers: Vec<Transfer>,
    /// Transfers interrupted (in this run or an earlier one) that can resume.
    pub interrupted: Vec<crate::aws::s3::Record>,
    /// The unfinished multipart uploads of a bucket, when shown.
    pub unfinished: Option<UnfinishedUploads>,
    /// A one-line message (copied, stopped …).
    pub note: Option<Notice>,
    /// Rows per page asked for (None: S3's 1,000); small in tests to force many pages.
    pub page_size: Option<i32>,
    /// Renew was pressed here: come back to the browser after the next sign-in.
    pub return_after_renew: bool,
    /// Folders recently left, for an instant Back.
    pub cache: ListingCache,
    /// A listing of the shown folder under way while its kept rows stay on screen; swapped in
    /// when complete.
    pub fresh: Option<Listing>,
    /// A counted plan waiting for a yes.
    pub confirm: Option<Confirm>,
    /// A folder being named.
    pub new_folder: Option<NewFolder>,
    /// Changes under way (transfers, deletions, new folders) and the folder each changes.
    pub changes: HashMap<RequestId, Location>,
    /// A deletion under way: its id and how many objects it deletes.
    pub deleting: Option<(RequestId, usize)>,
    pub preview: Option<Inspect<Preview>>,
    pub versions: Option<Inspect<Vec<VersionInfo>>>,
    /// The sync panel, when open.
    pub sync_panel: Option<SyncPanel>,
    /// Properties, a version being restored, the bucket's settings.
    pub props: PropsPanels,
    /// The location box, bookmarks, recent locations, the bucket list's pages.
    pub reach: Reach,
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

    /// Works with `session` (live, shown): when it differs from the one the browser has (a
    /// renewal, another session chosen) the bucket list and the current folder are loaded again
    /// with it, so a renewal returns to the same bucket and prefix.
    pub fn sync(&mut self, session: Option<&Session>, out: &mut Outbox) {
        let Some(s) = session else { return };
        let same = self.creds.as_ref().is_some_and(|c| {
            c.session == s.name && c.credentials.access_key_id == s.credentials.access_key_id
        });
        if !same {
            self.creds = Some(s.creds());
            self.reach.account = account_key(s);
            self.cache.clear();
            self.refresh(out);
        }
    }

    /// The user signed out of the session `name`: if the browser works with it, it sends nothing
    /// more with those credentials (until another live session is shown).
    pub fn forget(&mut self, name: &str) {
        if self.creds.as_ref().is_some_and(|c| c.session == name) {
            self.creds = None;
        }
    }

    /// Sends `make`'s command with the browser's session; nothing without one.
    fn send(&self, out: &mut Outbox, make: impl FnOnce(SessionCreds) -> BrowseCommand) -> bool {
        let Some(creds) = self.creds.clone() else {
            return false;
        };
        out.send(Command::Browse(make(creds)));
        true
    }

    fn region_of(&self, bucket: &str) -> Option<String> {
        self.regions.get(bucket).cloned()
    }

    fn load_buckets(&mut self, out: &mut Outbox) {
        self.first_bucket_page(out, std::time::Duration::ZERO);
    }

    /// Starts listing `loc` from the beginning (or from `token`, continuing).
    fn list(&mut self, out: &mut Outbox, loc: Location, token: Option<String>) {
        if let Some(old) = self.list_id.take() {
            out.send(Command::Cancel { id: old });
        }
        self.fresh = None;
        if token.is_none() {
            self.listing = Listing::default();
            self.view.clear();
            self.forget_selection();
            self.complete = false;
            self.next_token = None;
        }
        self.error = None;
        let id = next_id();
        let (region, delimiter, page_size) =
            (self.region_of(&loc.bucket), !self.search, self.page_size);
        let (bucket, prefix) = (loc.bucket.clone(), loc.prefix.clone());
        let sent = self.send(out, |creds| BrowseCommand::ListObjects {
            id,
            creds,
            bucket,
            region,
            prefix,
            delimiter,
            token,
            page_size,
        });
        self.list_id = sent.then_some(id);
        self.location = Some(loc);
    }

    pub fn open_bucket(&mut self, out: &mut Outbox, bucket: &str) {
        let loc = Location {
            bucket: bucket.to_owned(),
            prefix: String::new(),
        };
        self.go(out, loc);
    }

    /// Opens a folder of the current bucket.
    pub fn open_prefix(&mut self, out: &mut Outbox, prefix: &str) {
        let Some(bucket) = self.location.as_ref().map(|l| l.bucket.clone()) else {
            return;
        };
        let loc = Location {
            bucket,
            prefix: prefix.to_owned(),
        };
        self.go(out, loc);
    }

    fn go(&mut self, out: &mut Outbox, loc: Location) {
        if let Some(cur) = self.location.clone()
            && cur != loc
        {
            self.history.push(cur);
        }
        self.show(out, loc);
    }

    /// One folder up (to the bucket's top, then nothing).
    pub fn up(&mut self, out: &mut Outbox) {
        let Some(loc) = self.location.clone().filter(|l| !l.prefix.is_empty()) else {
            return;
        };
        let parent = crate::listing::parent(&loc.prefix).to_owned();
        self.open_prefix(out, &parent);
    }

    /// Back to the previous location: at once when it is still kept.
    pub fn back(&mut self, out: &mut Outbox) {
        let Some(prev) = self.history.pop() else {
            return;
        };
        self.show(out, prev);
    }

    /// The bucket list and the current folder again from the start (F5).
    pub fn refresh(&mut self, out: &mut Outbox) {
        self.load_buckets(out);
        if let Some(loc) = self.location.clone() {
            self.list(out, loc, None);
        }
    }

    /// Lists every key under the current prefix (no folders): the typed filter becomes a prefix
    /// search on the server.
    pub fn search_on_server(&mut self, out: &mut Outbox) {
        let Some(mut loc) = self.location.clone() else {
            return;
        };
        loc.prefix = format!("{}{}", loc.prefix, self.filter.trim());
        self.search = true;
        self.filter.clear();
        self.list(out, loc, None);
    }

    /// Stops the listing; what was loaded stays, Continue goes on from there. A background
    /// refresh stops with the kept rows shown.
    pub fn stop(&mut self, out: &mut Outbox) {
        if self.fresh.take().is_some()
            && let Some(id) = self.list_id.take()
        {
            out.send(Command::Cancel { id });
            return;
        }
        if let Some(id) = self.list_id.take() {
            self.note = Some(Notice::info(format!(
                "Stopped after {} rows",
                self.listing.len()
            )));
            out.send(Command::Cancel { id });
        }
    }

    /// Continues an interrupted listing from the last token.
    pub fn continue_listing(&mut self, out: &mut Outbox) {
        let (Some(loc), Some(token)) = (self.location.clone(), self.next_token.clone()) else {
            return;
        };
        self.note = None;
        self.list(out, loc, Some(token));
    }

    /// Applies a worker event for the browser.
    pub fn apply(&mut self, event: BrowseEvent, out: &mut Outbox) {
        match event {
            BrowseEvent::Buckets { id, result } => {
                if self.buckets_id != Some(id) {
                    return;
                }
                self.buckets_id = None;
                for b in result.iter().flatten() {
                    if let Some(r) = &b.region {
                        self.regions.insert(b.name.clone(), r.clone());
                    }
                }
                self.buckets = Some(result);
            }
            BrowseEvent::BucketPage { id, result } => self.bucket_page_arrived(id, result),
            BrowseEvent::Endpoint(endpoint) => self.reach.endpoint = endpoint,
            BrowseEvent::Region { bucket, region } => {
                self.regions.insert(bucket, region);
            }
            BrowseEvent::Page { id, page } if self.list_id == Some(id) => {
                if !self.search {
                    self.reached();
                }
                self.add_page(&page);
            }
            BrowseEvent::ListFailed { id, error } if self.list_id == Some(id) => {
                self.list_id = None;
                // A background refresh that fails leaves the kept rows (and their token) as
                // they were.
                self.fresh = None;
                self.error = Some(error);
            }
            BrowseEvent::Page { .. } | BrowseEvent::ListFailed { .. } => {} // a folder left
            BrowseEvent::Details { id, result } => self.details_arrived(id, result),
            BrowseEvent::Presigned(result) => self.link_arrived(result, out),
            BrowseEvent::Transfer { id, update } => {
                let ended = matches!(update, crate::message::TransferUpdate::Finished(_));
                self.transfer(id, update);
                if ended {
                    self.changed(id, out);
                }
            }
            BrowseEvent::Counting { id, files, bytes } => {
                if !self.sync_counting(id, files) {
                    self.counting(id, files, bytes);
                }
            }
            BrowseEvent::SyncPlanned { id, result } => self.sync_planned(id, result),
            BrowseEvent::Planned { id, result } => self.planned(id, result),
            BrowseEvent::Deleted { id, result } => self.deleted(id, result, out),
            BrowseEvent::FolderMade { id, result } => self.folder_made(id, result, out),
            BrowseEvent::Versions { id, result } => self.versions_arrived(id, result),
            BrowseEvent::Preview { id, result } => self.preview_arrived(id, result),
            BrowseEvent::Interrupted(records) => self.interrupted = records,
            BrowseEvent::Unfinished { id, result } => self.unfinished_arrived(id, result),
            BrowseEvent::Props { id, answer } => self.props_arrived(id, answer, out),
        }
    }

    fn add_page(&mut self, page: &Page) {
        if let Some(fresh) = self.fresh.as_mut() {
            for f in &page.folders {
                fresh.push_folder(f);
            }
            for o in &page.objects {
                fresh.push_object(&o.key, o.size, o.modified, o.class);
            }
            if page.next.is_none() {
                self.list_id = None;
                if let Some(fresh) = self.fresh.take() {
                    self.swap_in_fresh(fresh);
                }
            }
            return;
        }
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

    /// Whether the error means the session is no longer good (offer Renew).
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
        if self.fresh.is_some() {
            format!("Showing {what} as they were; refreshing…")
        } else if self.list_id.is_some() {
            format!("Loaded {what} so far…")
        } else if self.complete {
            format!("All {what} loaded")
        } else {
            format!("Loaded {what}; more are on the server")
        }
    }
}
