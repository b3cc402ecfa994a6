//! Reaching places in the browser: the location box (a good location opens its folder with no
//! bucket list; a bad one is refused beside the box and sends nothing), bookmarks (add, open,
//! rename, remove, kept per account in the preferences), recent locations, the bucket list a page
//! at a time (Load more) with its filters asked of the server, and a non-AWS endpoint shown.

use keyfob::aws::s3::{BucketInfo, BucketPage as Buckets};
use keyfob::message::BrowseCommand::{BucketPage, ListObjects};
use keyfob::state::browser::FILTER_PAUSE;

use crate::browser::obj;
use crate::rig::*;

/// Types `text` into the location box and presses Enter.
fn go_to(rig: &mut Rig, text: &str) {
    rig.type_into("Location", text);
    rig.press(Key::Enter);
}

/// Goes to `text` and answers the listing it sends with one object: the (bucket, prefix) listed.
fn reach(rig: &mut Rig, text: &str) -> (String, String) {
    go_to(rig, text);
    let (id, bucket, prefix) = find_command!(rig,
        Command::Browse(ListObjects { id, bucket, prefix, .. }) => (*id, bucket.clone(), prefix.clone()));
    rig.page(id, &[], vec![obj(&format!("{prefix}data.csv"), 10)], None);
    (bucket, prefix)
}

fn bucket(name: &str) -> BucketInfo {
    BucketInfo {
        name: name.into(),
        created: Some(t(0)),
        region: Some("us-east-1".into()),
    }
}

#[test]
fn the_location_box_opens_a_folder_and_refuses_bad_input_beside_it() {
    let mut rig = Rig::browsing();
    let refusals = [
        (
            "s3://Private_Data/x/",
            "'Private_Data' is not a bucket name: use only lowercase letters, digits, '.' and '-'",
        ),
        (
            "s3://logs/app/../etc/",
            "A location cannot contain a '..' folder",
        ),
        (
            "ftp://logs/app",
            "Only s3://, https:// and bucket/folder locations can be opened",
        ),
    ];
    for (text, sentence) in refusals {
        go_to(&mut rig, text);
        rig.shows(sentence);
        rig.expect_nothing_sent(text);
    }
    // Open works like Enter; the refusal goes as soon as the text changes.
    rig.type_into("Location", "private-data/2026/q1");
    rig.hides("Only s3://");
    rig.click("Open");
    // A bucket missing from the list (ListBuckets may be denied): no region yet, the worker finds it.
    let (id, bucket, prefix, region) = find_command!(rig,
        Command::Browse(ListObjects { id, bucket, prefix, region, .. })
            => (*id, bucket.clone(), prefix.clone(), region.clone()));
    assert_eq!(
        (bucket.as_str(), prefix.as_str(), region),
        ("private-data", "2026/q1/", None)
    );
    rig.page(id, &[], vec![obj("2026/q1/sales.csv", 2048)], None);
    rig.shows("sales.csv");
    rig.shows("s3://private-data/");
    // An S3 URL of an object opens the object's folder.
    let https = "https://private-data.s3.eu-west-1.amazonaws.com/2026/q2/a%20b.csv";
    assert_eq!(
        reach(&mut rig, https),
        ("private-data".into(), "2026/q2/".into())
    );
}

#[test]
fn bookmarks_are_added_opened_renamed_removed_and_kept_per_account() {
    let mut rig = Rig::browsing();
    assert!(
        rig.button_disabled("Bookmark this folder"),
        "nothing open yet"
    );
    reach(&mut rig, "s3://logs/app/2026/");
    rig.click("Bookmark this folder");
    rig.click("Bookmark this folder"); // the same folder once
    assert_eq!(rig.state().browser.reach.bookmarks().len(), 1);
    // Elsewhere, the bookmark opens its folder.
    reach(&mut rig, "s3://reports/");
    rig.click_label("Bookmark: 2026");
    let (id, bucket, prefix) = find_command!(rig,
        Command::Browse(ListObjects { id, bucket, prefix, .. }) => (*id, bucket.clone(), prefix.clone()));
    assert_eq!((bucket.as_str(), prefix.as_str()), ("logs", "app/2026/"));
    rig.page(id, &[], vec![obj("app/2026/jan.log", 10)], None);
    rig.shows("jan.log");
    rig.click("Rename");
    rig.type_into("New name", "App logs 2026");
    rig.click("Save");
    rig.shows("App logs 2026");
    // Saved in the preferences under the account and kind, with no secret.
    let mut storage = MemStorage::default();
    eframe::App::save(rig.h.state_mut(), &mut storage);
    let saved = storage
        .0
        .get(keyfob::app::PREFS_KEY)
        .expect("prefs saved")
        .clone();
    assert!(
        saved.contains("123456789012 user") && saved.contains("App logs 2026"),
        "{saved}"
    );
    for secret in [SECRET, TOKEN] {
        assert!(!saved.contains(secret), "{secret:?} saved in {saved}");
    }
    // The next start: offered to the same account, not to another.
    let same = Rig::with_storage(Some(saved.clone()))
        .given_profiles()
        .now_signed_in(MFA_TOKEN)
        .now_browsing();
    same.shows("App logs 2026");
    let mut other = Rig::with_storage(Some(saved)).given_profiles();
    other.select_profile("alice");
    let mut s = session(MFA_TOKEN, t(3600));
    s.identity.as_mut().unwrap().account = "210987654321".into();
    other.sign_in_with("123456", s);
    let other = other.now_browsing();
    other.hides("App logs 2026");
    // Removed.
    rig.click("Remove");
    rig.hides("App logs 2026");
    assert!(rig.state().browser.reach.bookmarks().is_empty());
    other.shows("Bookmarks");
}

#[test]
fn recent_locations_are_the_last_ten_most_recent_first_without_repeats() {
    let mut rig = Rig::browsing();
    for i in 0..12 {
        reach(&mut rig, &format!("s3://logs/day-{i:02}/"));
    }
    reach(&mut rig, "s3://logs/day-05/"); // again: to the front, not twice
    let recent: Vec<String> = rig
        .state()
        .browser
        .reach
        .recent()
        .iter()
        .map(keyfob::state::browser::Place::uri)
        .collect();
    let mut expected = vec!["s3://logs/day-05/".to_owned()];
    expected.extend(
        [11, 10, 9, 8, 7, 6, 4, 3, 2]
            .iter()
            .map(|i| format!("s3://logs/day-{i:02}/")),
    );
    assert_eq!(recent, expected);
    // A location refused, or never answered, is not recent.
    go_to(&mut rig, "s3://no/");
    go_to(&mut rig, "s3://unanswered/");
    rig.sent();
    assert_eq!(rig.state().browser.reach.recent().len(), 10);
    // Listed, and opened by a click.
    rig.click_label("Recent: s3://logs/day-09/");
    let prefix = find_command!(rig, Command::Browse(ListObjects { prefix, .. }) => prefix.clone());
    assert_eq!(prefix, "day-09/");
}

#[test]
fn buckets_come_a_page_at_a_time_and_the_filters_are_asked_of_the_server() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.sent();
    rig.click("Browse S3");
    let id = expect_command!(rig, Command::Browse(BucketPage { id, query, .. })
        if query.token.is_none() && query.prefix.is_empty() => *id);
    let first = Buckets {
        buckets: vec![bucket("alpha"), bucket("beta")],
        next: Some("page-2".into()),
    };
    rig.reply(Event::Browse(BrowseEvent::BucketPage {
        id,
        result: Ok(first),
    }));
    rig.shows("beta");
    rig.click("Load more");
    let id = expect_command!(rig, Command::Browse(BucketPage { id, query, delay, .. })
        if query.token.as_deref() == Some("page-2") && delay.is_zero() => *id);
    let last = Buckets {
        buckets: vec![bucket("gamma")],
        next: None,
    };
    rig.reply(Event::Browse(BrowseEvent::BucketPage {
        id,
        result: Ok(last),
    }));
    rig.shows("alpha");
    rig.shows("gamma");
    assert!(
        rig.h
            .query_by_role_and_label(Role::Button, "Load more")
            .is_none()
    );
    // The filter: each change asks for the first page after a pause (on the worker's clock), and
    // cancels the query still waiting.
    rig.type_into("Filter buckets", "Gam");
    let sent = rig.sent();
    let pages: Vec<_> = sent
        .iter()
        .filter_map(|c| match c {
            Command::Browse(BucketPage {
                id, query, delay, ..
            }) => Some((*id, query.clone(), *delay)),
            _ => None,
        })
        .collect();
    let (last_id, query, delay) = pages.last().cloned().expect("a query");
    assert_eq!((query.prefix.as_str(), delay), ("gam", FILTER_PAUSE));
    for (id, ..) in &pages[..pages.len() - 1] {
        assert!(
            sent.iter()
                .any(|c| matches!(c, Command::Cancel { id: c } if c == id))
        );
    }
    rig.shows("gamma"); // the loaded list, filtered here meanwhile
    rig.hides("alpha");
    rig.type_into("Bucket region", "eu-west-1");
    let (id, query) = find_command!(rig, Command::Browse(BucketPage { id, query, .. })
        if query.region == "eu-west-1" => (*id, query.clone()));
    assert_eq!(query.prefix, "gam");
    // The older query's late answer is dropped; the newest one's shown.
    let stale = Buckets {
        buckets: vec![bucket("gamma-old")],
        next: None,
    };
    rig.reply(Event::Browse(BrowseEvent::BucketPage {
        id: last_id,
        result: Ok(stale),
    }));
    rig.hides("gamma-old");
    let eu = Buckets {
        buckets: vec![bucket("gamma-eu")],
        next: None,
    };
    rig.reply(Event::Browse(BrowseEvent::BucketPage {
        id,
        result: Ok(eu),
    }));
    rig.shows("gamma-eu");
    // A non-AWS endpoint is named in the header.
    rig.reply(Event::Browse(BrowseEvent::Endpoint(Some(
        "http://127.0.0.1:9000".into(),
    ))));
    rig.shows("S3 at http://127.0.0.1:9000");
}

#[test]
fn with_listbuckets_denied_the_list_says_so_and_a_location_still_opens() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.sent();
    rig.click("Browse S3");
    let id = expect_command!(rig, Command::Browse(BucketPage { id, .. }) => *id);
    let denied = AwsError::new(ErrorKind::AccessDenied, "Listing buckets: access denied");
    rig.reply(Event::Browse(BrowseEvent::BucketPage {
        id,
        result: Err(denied),
    }));
    rig.shows("Listing buckets: access denied");
    rig.shows("A bucket you may read still opens: type its location above");
    assert_eq!(
        reach(&mut rig, "team-data/reports"),
        ("team-data".into(), "reports/".into())
    );
    rig.shows("data.csv");
}
