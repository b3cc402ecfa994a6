//! Reaching what the session may read without listing the account's buckets: a location typed or
//! pasted, bookmarks and recent locations (kept per account and session kind in the preferences:
//! bucket and folder names only), and the bucket list a page at a time, filtered on the server.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Browser;
use crate::aws::errors::AwsError;
use crate::aws::s3::location;
use crate::aws::s3::{BucketPage, BucketQuery};
use crate::message::{BrowseCommand, Command, Outbox, RequestId, next_id};
use crate::session::{Session, SessionKind};

/// Recent locations kept per account.
pub const RECENT_MAX: usize = 10;

/// How long the bucket filter waits after a keystroke before asking the server.
pub const FILTER_PAUSE: Duration = Duration::from_millis(350);

/// A folder, as saved: names only.
pub use super::Location as Place;

/// A bookmarked folder and the name the user gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bookmark {
    pub name: String,
    pub place: Place,
}

/// Bookmarks and recent locations by account key ([`account_key`]). Persisted: names only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Places {
    pub bookmarks: BTreeMap<String, Vec<Bookmark>>,
    /// Most recent first, at most [`RECENT_MAX`], no location twice.
    pub recent: BTreeMap<String, Vec<Place>>,
}

/// The key a session's bookmarks are kept under: its account and the kind of session, so what
/// was saved with one account is never offered to another. `None` when the account is not known.
#[must_use]
pub fn account_key(s: &Session) -> Option<String> {
    let kind = match s.kind {
        SessionKind::SessionToken { .. } => "user",
        SessionKind::AssumedRole { .. } | SessionKind::Chained { .. } => "role",
        SessionKind::Sso { .. } => "sso",
        SessionKind::Login { .. } => "login",
    };
    let account = match &s.kind {
        SessionKind::Sso { account_id, .. } => Some(account_id.clone()),
        _ => s.identity.as_ref().map(|i| i.account.clone()),
    }?;
    Some(format!("{account} {kind}"))
}

/// The browser's part for reaching places.
#[derive(Debug, Default)]
pub struct Reach {
    /// The location box, as typed.
    pub text: String,
    /// Why the typed location was refused.
    pub error: Option<String>,
    pub places: Places,
    /// The shown session's account key.
    pub account: Option<String>,
    /// A bookmark being renamed: its position and the name as typed.
    pub renaming: Option<(usize, String)>,
    /// The region filter of the bucket list, as typed ("": any).
    pub bucket_region: String,
    /// The next page of buckets, when there is one.
    pub bucket_next: Option<String>,
    /// A "Load more" under way.
    pub more_id: Option<RequestId>,
    /// Why loading more buckets failed (what was loaded stays).
    pub more_error: Option<AwsError>,
    /// The S3 endpoint when it is not AWS's.
    pub endpoint: Option<String>,
    /// Buckets per page (`None`: the worker's default); small in tests.
    pub bucket_page_size: Option<i32>,
}

impl Reach {
    /// This account's bookmarks.
    #[must_use]
    pub fn bookmarks(&self) -> &[Bookmark] {
        self.account
            .as_ref()
            .and_then(|a| self.places.bookmarks.get(a))
            .map_or(&[], Vec::as_slice)
    }

    /// This account's recent locations, most recent first.
    #[must_use]
    pub fn recent(&self) -> &[Place] {
        self.account
            .as_ref()
            .and_then(|a| self.places.recent.get(a))
            .map_or(&[], Vec::as_slice)
    }

    fn bookmarks_mut(&mut self) -> Option<&mut Vec<Bookmark>> {
        let account = self.account.clone()?;
        Some(self.places.bookmarks.entry(account).or_default())
    }
}

impl Browser {
    /// Opens the location in the box, or says why not (and sends nothing).
    pub fn open_typed(&mut self, out: &mut Outbox) {
        match location::parse(&self.reach.text) {
            Ok(at) => {
                self.reach.error = None;
                self.go(out, at);
            }
            Err(why) => self.reach.error = Some(why),
        }
    }

    /// Opens a bookmark or a recent location.
    pub fn open_place(&mut self, out: &mut Outbox, place: &Place) {
        self.go(out, place.clone());
    }

    /// Bookmarks the folder shown, named after its last part (or the bucket); once per folder (not
    /// a server search, which is no folder).
    pub fn bookmark_here(&mut self) {
        let Some(loc) = self.location.clone().filter(|_| !self.search) else {
            return;
        };
        let place = loc.clone();
        let name = crate::listing::parent(&loc.prefix);
        let last = loc.prefix.get(name.len()..).unwrap_or_default();
        let name = last.trim_end_matches('/');
        let name = if name.is_empty() { &loc.bucket } else { name }.to_owned();
        if let Some(list) = self.reach.bookmarks_mut()
            && !list.iter().any(|b| b.place == place)
        {
            list.push(Bookmark { name, place });
        }
    }

    /// Removes the bookmark at `i`.
    pub fn remove_bookmark(&mut self, i: usize) {
        if let Some(list) = self.reach.bookmarks_mut()
            && i < list.len()
        {
            list.remove(i);
        }
        self.reach.renaming = None;
    }

    /// Renames the bookmark at `i` (an empty name is refused by keeping the old one).
    pub fn rename_bookmark(&mut self, i: usize, name: &str) {
        let name = name.trim();
        if let Some(b) = self.reach.bookmarks_mut().and_then(|l| l.get_mut(i))
            && !name.is_empty()
        {
            name.clone_into(&mut b.name);
        }
        self.reach.renaming = None;
    }

    /// The folder `loc` answered its first page: it goes first among the recent locations.
    pub(super) fn reached(&mut self) {
        let (Some(account), Some(loc)) = (self.reach.account.clone(), self.location.as_ref())
        else {
            return;
        };
        let place = loc.clone();
        let list = self.reach.places.recent.entry(account).or_default();
        list.retain(|p| *p != place);
        list.insert(0, place);
        list.truncate(RECENT_MAX);
    }

    /// The first page of buckets for the filters as they are, after `delay`; what is shown stays
    /// until it arrives.
    pub(super) fn first_bucket_page(&mut self, out: &mut Outbox, delay: Duration) {
        for id in [self.buckets_id.take(), self.reach.more_id.take()]
            .into_iter()
            .flatten()
        {
            out.send(Command::Cancel { id });
        }
        self.reach.more_error = None;
        let id = next_id();
        let query = self.bucket_query(None);
        if self.send(out, |creds| BrowseCommand::BucketPage {
            id,
            creds,
            query,
            delay,
        }) {
            self.buckets_id = Some(id);
        }
    }

    /// The filter or region was typed: asked of the server once typing pauses.
    pub fn bucket_filter_changed(&mut self, out: &mut Outbox) {
        self.first_bucket_page(out, FILTER_PAUSE);
    }

    /// The next page of buckets.
    pub fn load_more_buckets(&mut self, out: &mut Outbox) {
        let Some(token) = self.reach.bucket_next.clone() else {
            return;
        };
        if self.reach.more_id.is_some() {
            return;
        }
        self.reach.more_error = None;
        let id = next_id();
        let query = self.bucket_query(Some(token));
        if self.send(out, |creds| BrowseCommand::BucketPage {
            id,
            creds,
            query,
            delay: Duration::ZERO,
        }) {
            self.reach.more_id = Some(id);
        }
    }

    fn bucket_query(&self, token: Option<String>) -> BucketQuery {
        // Bucket names are lowercase; the server's prefix is exact.
        BucketQuery {
            prefix: self.bucket_filter.trim().to_lowercase(),
            region: self.reach.bucket_region.trim().to_owned(),
            token,
            page_size: self.reach.bucket_page_size,
        }
    }

    /// A page of buckets arrived: the first replaces the list, the next ones add to it.
    pub(super) fn bucket_page_arrived(
        &mut self,
        id: RequestId,
        result: Result<BucketPage, AwsError>,
    ) {
        if self.buckets_id == Some(id) {
            self.buckets_id = None;
            self.reach.bucket_next = result.as_ref().ok().and_then(|p| p.next.clone());
            self.buckets = Some(result.map(|p| p.buckets));
        } else if self.reach.more_id == Some(id) {
            self.reach.more_id = None;
            match (result, self.buckets.as_mut()) {
                (Ok(page), Some(Ok(list))) => {
                    self.reach.bucket_next = page.next;
                    list.extend(page.buckets);
                }
                (Err(e), _) => self.reach.more_error = Some(e),
                (Ok(_), _) => {}
            }
        } else {
            return;
        }
        for b in self.buckets.iter().flatten().flatten() {
            if let Some(r) = &b.region {
                self.regions.insert(b.name.clone(), r.clone());
            }
        }
    }
}
