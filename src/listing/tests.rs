//! The folder model: merging pages, filter, sort, and the small formatters.

use super::*;

fn sample() -> Listing {
    let mut l = Listing::default();
    l.push_folder("p/Zeta/");
    l.push_object("p/b.txt", 10, 300, 1);
    l.push_object("p/A.TXT", 2000, 100, 2);
    l.push_folder("p/alpha/");
    l.push_object("p/ünïcode file+%.csv", 5, 200, 1);
    l
}

proptest::proptest! {
    /// Pages merged into the view one by one give exactly what filtering and sorting all the
    /// rows at once gives, for every sort order and filter (names are unique, as S3's are).
    #[test]
    fn pages_merged_one_by_one_equal_a_full_sort(
        rows in proptest::collection::vec((proptest::bool::ANY, "[aBc/]{0,4}", 0u64..5, 0i64..5), 0..60),
        cuts in proptest::collection::vec(0usize..60, 0..6),
        key in proptest::sample::select(vec![SortKey::Name, SortKey::Size, SortKey::Modified]),
        ascending in proptest::bool::ANY,
        needle in proptest::sample::select(vec!["", "a", "B", "/", "cc", "0"]),
    ) {
        let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= rows.len()).collect();
        cuts.push(rows.len());
        cuts.sort_unstable();
        let mut l = Listing::default();
        let mut view = Vec::new();
        let mut done = 0;
        for cut in cuts {
            let from = u32::try_from(l.len()).unwrap_or(u32::MAX);
            for (i, (folder, name, size, modified)) in rows.iter().enumerate().take(cut).skip(done) {
                let name = format!("p/{name}{i}");
                if *folder { l.push_folder(&name) } else { l.push_object(&name, *size, *modified, 1) }
            }
            done = done.max(cut);
            l.extend_view(&mut view, from, "p/", needle, key, ascending);
        }
        let mut all = l.filter("p/", needle);
        l.sort(&mut all, key, ascending);
        proptest::prop_assert_eq!(view, all);
    }
}

#[test]
fn a_row_is_32_bytes() {
    assert_eq!(size_of::<Row>(), 32);
}

#[test]
fn filter_ignores_case_and_the_prefix() {
    let l = sample();
    assert_eq!(l.filter("p/", "TXT"), [1, 2]);
    assert_eq!(l.filter("p/", "a"), [0, 2, 3], "Zeta, A.TXT, alpha");
    assert_eq!(
        l.filter("p/", "p"),
        [3],
        "alpha; the p/ prefix itself does not count"
    );
    assert_eq!(l.filter("p/", "ÜNÏ"), [4]);
    assert_eq!(l.filter("p/", "+%"), [4]);
    assert_eq!(l.filter("p/", "").len(), 5);
    assert!(l.filter("p/", "nothing").is_empty());
}

#[test]
fn sort_puts_folders_first_in_both_directions() {
    let l = sample();
    let mut v = l.filter("p/", "");
    l.sort(&mut v, SortKey::Name, true);
    let names: Vec<&str> = v.iter().map(|&i| l.key(i)).collect();
    assert_eq!(
        names,
        [
            "p/Zeta/",
            "p/alpha/",
            "p/A.TXT",
            "p/b.txt",
            "p/ünïcode file+%.csv"
        ]
    );
    l.sort(&mut v, SortKey::Size, false);
    let names: Vec<&str> = v.iter().map(|&i| l.key(i)).collect();
    assert_eq!(
        names,
        [
            "p/alpha/",
            "p/Zeta/",
            "p/A.TXT",
            "p/b.txt",
            "p/ünïcode file+%.csv"
        ]
    );
    l.sort(&mut v, SortKey::Modified, true);
    assert_eq!(l.key(*v.last().unwrap()), "p/b.txt");
}

#[test]
fn sizes_times_and_crumbs() {
    assert_eq!(human_size(0), "0 B");
    assert_eq!(human_size(1023), "1023 B");
    assert_eq!(human_size(1536), "1.5 KiB");
    assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
    assert_eq!(short_time(1_795_348_800), "2026-11-22 12:00");
    assert_eq!(short_time(0), "");
    assert_eq!(crumbs("a/b c/"), [("a/", "a/"), ("b c/", "a/b c/")]);
    assert!(crumbs("").is_empty());
    assert_eq!(parent("a/b/"), "a/");
    assert_eq!(parent("a/"), "");
    assert_eq!(parent(""), "");
    assert_eq!(storage_class_code("GLACIER"), 5);
    assert_eq!(
        STORAGE_CLASSES[storage_class_code("NEW_CLASS") as usize],
        "OTHER"
    );
}

#[test]
fn relative_times() {
    let at = |s: i64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s.unsigned_abs());
    let t0 = 1_795_348_800; // 2026-11-22T12:00:00Z
    let now = at(t0);
    assert_eq!(relative_time(t0 - 5, now), "just now");
    assert_eq!(relative_time(t0 - 300, now), "5 min ago");
    assert_eq!(relative_time(t0 - 3 * 3600, now), "3 h ago");
    assert_eq!(relative_time(t0 - 30 * 3600, now), "yesterday");
    assert_eq!(relative_time(t0 - 12 * 86_400, now), "12 days ago");
    assert_eq!(relative_time(t0 - 90 * 86_400, now), "2026-08-24");
    assert_eq!(
        relative_time(t0 + 86_400, now),
        "2026-11-23",
        "a clock ahead: the date"
    );
}
