//! The S3 folder model ([`Listing`]).

use std::collections::HashSet;
use std::time::{Duration, UNIX_EPOCH};

use super::{fields, lossy};
use crate::listing::{Listing, SortKey, crumbs, parent, relative_time, short_time};

/// What a listing target's input asks for.
struct ListingInput {
    prefix: String,
    needle: String,
    key: SortKey,
    ascending: bool,
}

/// The S3 folder model ([`Listing`]) with arbitrary UTF-8 keys. The input is the folder's prefix,
/// NUL, the filter, NUL, the sort (`n`, `s` or `m` for name, size or time, `-` for descending),
/// then one field per event: `f NAME` a folder, `o SIZE:TIME:CLASS:NAME` an object, `|` the end
/// of a page, anything else an object of that name. Rows read back as pushed; the view built page
/// by page equals filtering and sorting all rows at once; the filter keeps every row whose name
/// holds the filter text as it is (and, for ASCII text, exactly those holding it in any case);
/// breadcrumbs and the parent folder agree; times format without panicking.
pub fn listing(data: &[u8]) {
    let values = fields(data);
    let field = |i: usize| values.get(i).map(|p| lossy(p)).unwrap_or_default();
    let sort = field(2);
    let input = ListingInput {
        prefix: field(0),
        needle: field(1),
        key: match sort.chars().next() {
            Some('s') => SortKey::Size,
            Some('m') => SortKey::Modified,
            _ => SortKey::Name,
        },
        ascending: !sort.contains('-'),
    };
    let mut l = Listing::default();
    let mut view = Vec::new();
    let mut from = 0u32;
    let mut pushed: Vec<(String, bool, u64, i64)> = Vec::new();
    let mut seen = HashSet::new();
    let extend = |l: &Listing, view: &mut Vec<u32>, from: u32| {
        let (p, n) = (&input.prefix, &input.needle);
        l.extend_view(view, from, p, n, input.key, input.ascending);
    };
    for event in values.get(3..).unwrap_or_default() {
        if *event == b"|" {
            extend(&l, &mut view, from);
            from = u32::try_from(l.len()).unwrap_or(u32::MAX);
            continue;
        }
        let (key, folder, size, modified, class) = listing_event(&input.prefix, event);
        // S3 lists each key once.
        if !seen.insert(key.clone()) {
            continue;
        }
        if folder {
            l.push_folder(&key);
        } else {
            l.push_object(&key, size, modified, class);
        }
        pushed.push((key, folder, size, modified));
    }
    extend(&l, &mut view, from);
    listing_holds(&l, &input, &pushed, &view);
    for key in std::iter::once(input.prefix.as_str()).chain(pushed.iter().map(|p| p.0.as_str())) {
        crumbs_agree(key);
    }
}

/// One pushed row: its key, whether a folder, size, time and storage class.
fn listing_event(prefix: &str, event: &[u8]) -> (String, bool, u64, i64, u8) {
    match event.split_first() {
        Some((b'f', name)) => {
            let mut key = format!("{prefix}{}", lossy(name.trim_ascii_start()));
            if !key.ends_with('/') {
                key.push('/');
            }
            (key, true, 0, 0, 0)
        }
        Some((b'o', rest)) => {
            let rest = lossy(rest.trim_ascii_start());
            let mut it = rest.splitn(4, ':');
            let mut next = || it.next().unwrap_or_default().to_owned();
            let (size, modified, class, name) = (next(), next(), next(), next());
            (
                format!("{prefix}{name}"),
                false,
                size.parse().unwrap_or(0),
                modified.parse().unwrap_or(0),
                class.parse().unwrap_or(1),
            )
        }
        _ => (
            format!("{prefix}{}", lossy(event)),
            false,
            event.len() as u64,
            0,
            1,
        ),
    }
}

fn listing_holds(
    l: &Listing,
    input: &ListingInput,
    pushed: &[(String, bool, u64, i64)],
    view: &[u32],
) {
    assert_eq!(l.len(), pushed.len());
    let folders = pushed.iter().filter(|p| p.1).count();
    assert_eq!(l.counts(), (pushed.len() - folders, folders));
    let now = UNIX_EPOCH + Duration::from_secs(1_795_348_800);
    for (i, (key, folder, size, modified)) in (0u32..).zip(pushed) {
        assert_eq!(l.key(i), key);
        let row = l.row(i).map(|r| (r.folder, r.size, r.modified));
        assert_eq!(row, Some((*folder, *size, *modified)));
        let _ = (short_time(*modified), relative_time(*modified, now));
    }
    let mut all = l.filter(&input.prefix, &input.needle);
    assert!(
        all.windows(2).all(|w| w.first() < w.last()),
        "the filter's rows are out of order"
    );
    let kept: HashSet<u32> = all.iter().copied().collect();
    for (i, (key, ..)) in (0u32..).zip(pushed) {
        let name = key.get(input.prefix.len()..).unwrap_or_default();
        if name.contains(&input.needle) {
            assert!(
                kept.contains(&i),
                "{key:?} holds {:?} but was filtered out",
                input.needle
            );
        }
        if input.needle.is_ascii() {
            let any_case = name
                .to_ascii_lowercase()
                .contains(&input.needle.to_ascii_lowercase());
            assert_eq!(
                kept.contains(&i),
                any_case,
                "{key:?} and {:?}",
                input.needle
            );
        }
    }
    l.sort(&mut all, input.key, input.ascending);
    assert_eq!(
        view,
        all.as_slice(),
        "the view merged page by page differs from a full sort"
    );
}

/// The breadcrumbs of `prefix` spell it up to its last `/`, and its parent is the crumb before
/// the last one.
fn crumbs_agree(prefix: &str) {
    let c = crumbs(prefix);
    let mut upto = String::new();
    for (part, whole) in &c {
        assert!(
            part.ends_with('/') && part.matches('/').count() == 1,
            "crumb {part:?}"
        );
        upto.push_str(part);
        assert_eq!(&upto, whole);
    }
    let spelled = prefix
        .rfind('/')
        .map_or("", |i| prefix.get(..=i).unwrap_or_default());
    assert_eq!(upto, spelled);
    let up = if prefix.ends_with('/') {
        c.len().checked_sub(2)
    } else {
        c.len().checked_sub(1)
    };
    let expected = up.and_then(|i| c.get(i)).map_or("", |(_, whole)| *whole);
    assert_eq!(parent(prefix), expected, "the parent of {prefix:?}");
}
