//! What the browser shows of what it holds: the folder's rows filtered and sorted, and the
//! bucket list filtered and sorted.

use super::{Browser, BucketSort};
use crate::aws::s3::BucketInfo;
use crate::listing::SortKey;

impl Browser {
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
            .filter(|b| b.name.to_lowercase().starts_with(&needle))
            .collect();
        match self.bucket_sort {
            BucketSort::Name => out.sort_by(|a, b| a.name.cmp(&b.name)),
            BucketSort::Newest => out.sort_by_key(|b| std::cmp::Reverse(b.created)),
        }
        out
    }
}
