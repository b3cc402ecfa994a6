//! Recent folder listings, so Back, Up and the breadcrumbs show a folder at once, and the
//! background refresh that then lists it again. Bounded: at most [`MAX_FOLDERS`] folders and
//! [`MAX_BYTES`] of listings, the least recently used going first.

use std::collections::{HashSet, VecDeque};

use super::{Browser, Location};
use crate::listing::Listing;
use crate::message::{BrowseCommand, Command, Outbox, next_id};

/// Folders kept.
pub const MAX_FOLDERS: usize = 16;
/// Bytes of listings kept in all (a listing of 1,000,000 keys of 40 bytes is about 72 MB, so a
/// folder that large is not kept).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A folder as it was when left.
#[derive(Debug)]
pub struct Cached {
    pub listing: Listing,
    /// Every page had arrived.
    pub complete: bool,
    /// Where an interrupted listing would go on.
    pub next_token: Option<String>,
}

/// The folders kept, most recently left last.
#[derive(Debug, Default)]
pub struct ListingCache {
    entries: VecDeque<(Location, bool, Cached)>,
}

impl ListingCache {
    /// Keeps `cached` for `loc` (a server search is kept apart from the folder itself), replacing
    /// what was kept for it, then drops the oldest until within the bounds.
    pub fn keep(&mut self, loc: Location, search: bool, cached: Cached) {
        self.entries
            .retain(|(l, s, _)| !(l == &loc && *s == search));
        if cached.listing.memory_bytes() > MAX_BYTES {
            return;
        }
        self.entries.push_back((loc, search, cached));
        while self.entries.len() > MAX_FOLDERS || self.bytes() > MAX_BYTES {
            self.entries.pop_front();
        }
    }

    /// Takes what is kept for `loc`, if anything.
    pub fn take(&mut self, loc: &Location, search: bool) -> Option<Cached> {
        let i = self
            .entries
            .iter()
            .position(|(l, s, _)| l == loc && *s == search)?;
        self.entries.remove(i).map(|(_, _, c)| c)
    }

    /// Forgets everything (another session: its permissions may differ).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Bytes held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.entries
            .iter()
            .map(|(_, _, c)| c.listing.memory_bytes())
            .sum()
    }

    /// Folders held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Browser {
    /// Shows `loc`: at once from the cache (then listed again in the background), else listed.
    /// The folder left is kept in the cache.
    pub(super) fn show(&mut self, out: &mut Outbox, loc: Location) {
        if let Some(cur) = self.location.clone().filter(|c| *c != loc || self.search) {
            let cached = Cached {
                listing: std::mem::take(&mut self.listing),
                complete: self.complete,
                next_token: self.next_token.take(),
            };
            // A folder half listed is kept too: Continue goes on from its token.
            if !cached.listing.is_empty() && self.fresh.is_none() {
                self.cache.keep(cur, self.search, cached);
            }
        }
        self.search = false;
        self.filter.clear();
        match self.cache.take(&loc, false) {
            Some(c) => {
                if let Some(old) = self.list_id.take() {
                    out.send(Command::Cancel { id: old });
                }
                self.fresh = None;
                self.forget_selection();
                self.error = None;
                self.listing = c.listing;
                self.complete = c.complete;
                self.next_token = c.next_token;
                self.location = Some(loc);
                self.refilter();
                self.revalidate(out);
            }
            None => self.list(out, loc, None),
        }
    }

    pub(super) fn forget_selection(&mut self) {
        self.selected.clear();
        self.cursor = None;
        self.details = None;
        self.presigned = None;
        self.preview = None;
        self.versions = None;
    }

    /// Lists the shown folder again from the start while its rows stay on screen; the new rows
    /// replace them when every page has arrived (the selection and cursor kept by key).
    pub fn revalidate(&mut self, out: &mut Outbox) {
        let Some(loc) = self.location.clone() else {
            return;
        };
        if let Some(old) = self.list_id.take() {
            out.send(Command::Cancel { id: old });
        }
        let id = next_id();
        let (region, delimiter, page_size) =
            (self.region_of(&loc.bucket), !self.search, self.page_size);
        let sent = self.send(out, |creds| BrowseCommand::ListObjects {
            id,
            creds,
            bucket: loc.bucket,
            region,
            prefix: loc.prefix,
            delimiter,
            token: None,
            page_size,
        });
        if sent {
            self.list_id = Some(id);
            self.fresh = Some(Listing::default());
        }
    }

    /// The fresh listing is complete: it replaces the rows shown.
    pub(super) fn swap_in_fresh(&mut self, fresh: Listing) {
        let selected: HashSet<String> = self
            .selected
            .iter()
            .map(|&r| self.listing.key(r).to_owned())
            .collect();
        let cursor: Option<String> = self
            .cursor
            .and_then(|c| self.view.get(c))
            .map(|&r| self.listing.key(r).to_owned());
        self.listing = fresh;
        self.complete = true;
        self.next_token = None;
        self.selected = (0..u32::try_from(self.listing.len()).unwrap_or(u32::MAX))
            .filter(|&r| selected.contains(self.listing.key(r)))
            .collect();
        let had_cursor = self.cursor.is_some();
        self.refilter();
        self.cursor = self
            .view
            .iter()
            .position(|&r| cursor.as_deref() == Some(self.listing.key(r)))
            .filter(|_| had_cursor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(prefix: &str) -> Location {
        Location {
            bucket: "b".into(),
            prefix: prefix.into(),
        }
    }

    fn listing(keys: usize) -> Cached {
        let mut listing = Listing::default();
        for i in 0..keys {
            listing.push_object(&format!("k{i:06}"), 1, 0, 1);
        }
        Cached {
            listing,
            complete: true,
            next_token: None,
        }
    }

    #[test]
    fn keeps_recent_folders_within_its_bounds() {
        let mut cache = ListingCache::default();
        for i in 0..(MAX_FOLDERS + 4) {
            cache.keep(loc(&format!("f{i}/")), false, listing(3));
        }
        assert_eq!(cache.len(), MAX_FOLDERS, "the oldest went first");
        assert!(cache.take(&loc("f0/"), false).is_none());
        let last = cache.take(&loc(&format!("f{}/", MAX_FOLDERS + 3)), false);
        assert_eq!(last.map(|c| c.listing.len()), Some(3));
        assert!(
            cache.take(&loc("f5/"), true).is_none(),
            "a search is not the folder"
        );
        // A listing over the byte bound is not kept at all.
        let huge = listing(MAX_BYTES / 30);
        assert!(huge.listing.memory_bytes() > MAX_BYTES);
        cache.keep(loc("huge/"), false, huge);
        assert!(cache.take(&loc("huge/"), false).is_none());
        assert!(cache.bytes() <= MAX_BYTES);
    }
}
