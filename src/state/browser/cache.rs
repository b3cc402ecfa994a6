//! Recent folder listings, so Back, Up and the breadcrumbs show a folder at once (and refresh it
//! in the background). Bounded: at most [`MAX_FOLDERS`] folders and [`MAX_BYTES`] of listings,
//! the least recently used going first.

use std::collections::VecDeque;

use super::Location;
use crate::listing::Listing;

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
