//! The S3 folder listing as the window holds it: a compact row model that stays small and fast at
//! millions of objects. Every key lives in one shared `String`; a row is 32 bytes (offset, length,
//! size, time, class, kind); the view is a `Vec<u32>` of row numbers, filtered and sorted without
//! touching the rows. No egui and no I/O here.

use std::cmp::Ordering;

/// S3 storage classes, one byte each in a row.
pub const STORAGE_CLASSES: [&str; 10] = [
    "",
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "REDUCED_REDUNDANCY",
    "OTHER",
];

/// The byte for a storage class name.
#[must_use]
pub fn storage_class_code(name: &str) -> u8 {
    STORAGE_CLASSES
        .iter()
        .position(|c| *c == name)
        .map_or(9, |i| u8::try_from(i).unwrap_or(9))
}

/// One folder or object. 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// Object size in bytes (0 for folders).
    pub size: u64,
    /// Last modified, seconds since 1970 (0 for folders or when unknown).
    pub modified: i64,
    off: u32,
    len: u32,
    /// Index into [`STORAGE_CLASSES`].
    pub class: u8,
    /// A common prefix (folder) rather than an object.
    pub folder: bool,
}

/// What a column sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The key, byte order (S3's own order).
    #[default]
    Name,
    /// Object size.
    Size,
    /// Last modified.
    Modified,
}

/// The rows of one folder, in arrival order.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    names: String,
    rows: Vec<Row>,
}

impl Listing {
    /// An empty listing with room for `rows` rows of `name_bytes` key bytes in all.
    #[must_use]
    pub fn with_capacity(rows: usize, name_bytes: usize) -> Self {
        Self {
            names: String::with_capacity(name_bytes),
            rows: Vec::with_capacity(rows),
        }
    }

    fn push(&mut self, key: &str, size: u64, modified: i64, class: u8, folder: bool) {
        // Past 4 GiB of key bytes a listing stops growing rather than wrapping (that is about
        // 40 million keys of 100 bytes).
        let (Ok(off), Ok(len)) = (u32::try_from(self.names.len()), u32::try_from(key.len())) else {
            return;
        };
        if off.checked_add(len).is_none() {
            return;
        }
        self.names.push_str(key);
        self.rows.push(Row {
            size,
            modified,
            off,
            len,
            class,
            folder,
        });
    }

    /// Adds a folder (a common prefix, with its trailing delimiter).
    pub fn push_folder(&mut self, prefix: &str) {
        self.push(prefix, 0, 0, 0, true);
    }

    /// Adds an object.
    pub fn push_object(&mut self, key: &str, size: u64, modified: i64, class: u8) {
        self.push(key, size, modified, class, false);
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i`.
    #[must_use]
    pub fn row(&self, i: u32) -> Option<&Row> {
        self.rows.get(i as usize)
    }

    /// The full key (or prefix) of row `i`.
    #[must_use]
    pub fn key(&self, i: u32) -> &str {
        self.rows
            .get(i as usize)
            .and_then(|r| self.names.get(r.off as usize..(r.off + r.len) as usize))
            .unwrap_or("")
    }

    /// How many objects and folders.
    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        let folders = self.rows.iter().filter(|r| r.folder).count();
        (self.rows.len() - folders, folders)
    }

    /// Bytes held beyond the keys themselves (rows and spare capacity), for the benchmark.
    #[must_use]
    pub fn overhead_bytes(&self) -> usize {
        self.rows.capacity() * size_of::<Row>() + (self.names.capacity() - self.names.len())
    }

    /// Bytes the listing holds in all (keys, rows, spare capacity).
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.rows.capacity() * size_of::<Row>() + self.names.capacity()
    }

    /// The rows whose name (the key after `prefix`) contains `needle`, ignoring case, in listing
    /// order. An empty needle keeps every row.
    #[must_use]
    pub fn filter(&self, prefix: &str, needle: &str) -> Vec<u32> {
        self.filter_from(0, prefix, needle)
    }

    /// Like [`Listing::filter`], over rows `from..` only (the ones a new page added).
    fn filter_from(&self, from: u32, prefix: &str, needle: &str) -> Vec<u32> {
        let all = from..u32::try_from(self.rows.len()).unwrap_or(u32::MAX);
        if needle.is_empty() {
            return all.collect();
        }
        if needle.is_ascii() {
            let needle = needle.as_bytes();
            all.filter(|&i| {
                let name = self.key(i).as_bytes();
                let name = name.get(prefix.len()..).unwrap_or(name);
                contains_ascii_ci(name, needle)
            })
            .collect()
        } else {
            let needle = needle.to_lowercase();
            all.filter(|&i| {
                let name = self.key(i);
                name.get(prefix.len()..)
                    .unwrap_or(name)
                    .to_lowercase()
                    .contains(&needle)
            })
            .collect()
        }
    }

    /// The order of rows `a` and `b` when sorted by `key`: folders first, names break ties.
    fn order(&self, a: u32, b: u32, key: SortKey, ascending: bool) -> Ordering {
        let none = Row {
            size: 0,
            modified: 0,
            off: 0,
            len: 0,
            class: 0,
            folder: false,
        };
        let ra = self.rows.get(a as usize).copied().unwrap_or(none);
        let rb = self.rows.get(b as usize).copied().unwrap_or(none);
        let by = match key {
            SortKey::Name => Ordering::Equal,
            SortKey::Size => ra.size.cmp(&rb.size),
            SortKey::Modified => ra.modified.cmp(&rb.modified),
        };
        let by = by.then_with(|| self.key(a).cmp(self.key(b)));
        rb.folder
            .cmp(&ra.folder)
            .then(if ascending { by } else { by.reverse() })
    }

    /// Sorts `view` by `key`, folders first; names break ties.
    pub fn sort(&self, view: &mut [u32], key: SortKey, ascending: bool) {
        view.sort_unstable_by(|&a, &b| self.order(a, b, key, ascending));
    }

    /// Adds the rows from `from` on (those a new page brought) that pass `needle` to `view`, which
    /// holds the earlier rows filtered and sorted the same way, and keeps it sorted. Only the new
    /// rows are filtered and sorted; each then finds its place by binary search, and the shown rows
    /// move once. In S3's own order (by name, ascending) a page lands after the rows before it and
    /// is simply appended. A page into a million loaded rows so costs about a millisecond, where
    /// filtering and sorting everything again cost a hundred.
    pub fn extend_view(
        &self,
        view: &mut Vec<u32>,
        from: u32,
        prefix: &str,
        needle: &str,
        key: SortKey,
        ascending: bool,
    ) {
        let mut new = self.filter_from(from, prefix, needle);
        self.sort(&mut new, key, ascending);
        let after = |shown: u32, n: u32| self.order(shown, n, key, ascending) == Ordering::Greater;
        match (view.last(), new.first()) {
            (_, None) => return,
            (None, _) => {
                *view = new;
                return;
            }
            (Some(&last), Some(&first)) if !after(last, first) => {
                view.extend(new);
                return;
            }
            _ => {}
        }
        // From the back: the old rows after the i-th new row (and so after every new row before
        // it) move right by i + 1 places; the new row goes just before them.
        let old = view.len();
        view.resize(old + new.len(), 0);
        let mut end = old;
        for (i, &n) in new.iter().enumerate().rev() {
            let pos = view
                .get(..end)
                .map_or(0, |shown| shown.partition_point(|&v| !after(v, n)));
            view.copy_within(pos..end, pos + i + 1);
            if let Some(slot) = view.get_mut(pos + i) {
                *slot = n;
            }
            end = pos;
        }
    }
}

/// Whether `hay` contains `needle`, ASCII letters compared without case.
fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    if needle.len() > hay.len() {
        return false;
    }
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let first = first.to_ascii_lowercase();
    hay.windows(needle.len()).any(|w| {
        w.first().is_some_and(|c| c.to_ascii_lowercase() == first)
            && w.get(1..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(rest))
    })
}

/// `1204` → "1,204".
#[must_use]
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: `0 B`, `999 B`, `1.0 KiB`, `12.3 MiB` …
#[must_use]
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)] // a display value
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS.get(unit).copied().unwrap_or("EiB"))
}

/// `YYYY-MM-DD HH:MM` (UTC) for a row's time; empty for 0.
#[must_use]
pub fn short_time(secs: i64) -> String {
    if secs == 0 {
        return String::new();
    }
    let t = aws_smithy_types::DateTime::from_secs(secs);
    t.fmt(aws_smithy_types::date_time::Format::DateTime)
        .map(|s| s.get(..16).unwrap_or(&s).replacen('T', " ", 1))
        .unwrap_or_default()
}

/// How long ago `secs` (seconds since 1970) was, in words: "just now", "5 min ago", "3 h ago",
/// "yesterday", "12 days ago", then the date. In the future (a clock ahead): the date.
#[must_use]
pub fn relative_time(secs: i64, now: std::time::SystemTime) -> String {
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0);
    let ago = now - secs;
    match ago {
        i64::MIN..0 => short_time(secs).get(..10).unwrap_or_default().to_owned(),
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", ago / 60),
        3600..86_400 => format!("{} h ago", ago / 3600),
        86_400..172_800 => "yesterday".to_owned(),
        172_800..2_592_000 => format!("{} days ago", ago / 86_400),
        _ => short_time(secs).get(..10).unwrap_or_default().to_owned(),
    }
}

/// The parts of a prefix for breadcrumbs: `("a/", "a/"), ("b/", "a/b/")`.
#[must_use]
pub fn crumbs(prefix: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in prefix.char_indices() {
        if c == '/' {
            if let (Some(part), Some(upto)) = (prefix.get(start..=i), prefix.get(..=i)) {
                out.push((part, upto));
            }
            start = i + 1;
        }
    }
    out
}

/// The prefix one level up: `a/b/` → `a/`, `a/` → ``.
#[must_use]
pub fn parent(prefix: &str) -> &str {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    trimmed
        .rfind('/')
        .map_or("", |i| prefix.get(..=i).unwrap_or(""))
}

#[cfg(test)]
mod tests;
