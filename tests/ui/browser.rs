//! The S3 browser: listings, paging, navigation, details, links, an ended session, failures.

use keyfob::aws::s3::BucketPage as Buckets;
use keyfob::aws::s3::{BucketInfo, ObjectDetails, ObjectEntry, Page};
use keyfob::message::BrowseCommand::{
    BucketPage, Download, HeadObject, ListBuckets, ListObjects, Presign,
};
use keyfob::secret::Secret;

use crate::rig::*;

/// A listed object, modified a day before the rig's start.
pub(crate) fn obj(key: &str, size: u64) -> ObjectEntry {
    ObjectEntry {
        key: key.into(),
        size,
        modified: (T0 - 86_400) as i64,
        class: 1,
    }
}

pub(crate) struct List {
    pub(crate) id: RequestId,
    bucket: String,
    prefix: String,
    token: Option<String>,
}

impl Rig {
    /// Signed in, browser open, buckets listed.
    pub(crate) fn browsing() -> Self {
        Self::signed_in(MFA_TOKEN).now_browsing()
    }

    /// This signed-in rig with the browser open and the buckets listed.
    pub(crate) fn now_browsing(self) -> Self {
        let mut rig = self;
        rig.sent();
        rig.click("Browse S3");
        // The session's keys, named and dated so that the worker can refuse them after its end.
        let id = expect_command!(rig, Command::Browse(BucketPage { id, creds, query, delay })
            if creds.credentials.access_key_id == "ASIAEXAMPLEEXAMPLE01"
                && (creds.session.as_str(), creds.expires_at) == ("alice", t(3600))
                && query.token.is_none() && delay.is_zero() => *id);
        let names = ["reports", "logs", "archive-2019"].into_iter().enumerate();
        let buckets = names.map(|(i, name)| BucketInfo {
            name: name.into(),
            created: Some(t(i as u64)),
            region: Some("us-east-1".into()),
        });
        let result = Ok(Buckets {
            buckets: buckets.collect(),
            next: None,
        });
        rig.reply(Event::Browse(BrowseEvent::BucketPage { id, result }));
        rig
    }

    /// Hands the app one page of the listing `id` and lets it settle.
    pub(crate) fn page(
        &mut self,
        id: u64,
        folders: &[&str],
        objects: Vec<ObjectEntry>,
        next: Option<&str>,
    ) {
        let page = Page {
            folders: folders.iter().map(|f| (*f).to_owned()).collect(),
            objects,
            next: next.map(str::to_owned),
        };
        self.reply(Event::Browse(BrowseEvent::Page { id, page }));
    }

    fn list_failed(&mut self, id: u64, kind: ErrorKind, message: &str) {
        let error = AwsError::new(kind, message);
        self.reply(Event::Browse(BrowseEvent::ListFailed { id, error }));
    }

    pub(crate) fn take_list(&mut self) -> List {
        find_command!(self, Command::Browse(ListObjects { id, bucket, prefix, token, .. }) => {
            let (bucket, prefix, token) = (bucket.clone(), prefix.clone(), token.clone());
            List { id: *id, bucket, prefix, token }
        })
    }

    /// Clicks the row (a bucket, a breadcrumb) with this label: the listing it asks for.
    pub(crate) fn open(&mut self, label: &str) -> List {
        self.click_label(label);
        self.take_list()
    }
}

/// From the bucket list: bucket logs listed (folder app/ and README.txt), then app/ opened with
/// the keyboard; hands back the rig and the ids of both listings.
fn in_app_folder(mut rig: Rig) -> (Rig, u64, u64) {
    let logs = rig.open("logs");
    let listed = (logs.bucket.as_str(), logs.prefix.as_str(), logs.token);
    assert_eq!(listed, ("logs", "", None));
    rig.page(logs.id, &["app/"], vec![obj("README.txt", 1536)], None);
    rig.shows("All 1 object and 1 folder loaded");
    rig.shows("1.5 KiB");
    // Keyboard: Down selects the first row (folders first), Enter opens it.
    rig.press(Key::ArrowDown);
    rig.press(Key::Enter);
    let app = rig.take_list();
    assert_eq!(app.prefix, "app/");
    (rig, logs.id, app.id)
}

#[test]
fn browse_buckets_folders_breadcrumbs_back_and_stale_pages() {
    let mut rig = Rig::browsing();
    rig.shows("archive-2019");
    let created = keyfob::listing::short_time(T0 as i64 + 2);
    rig.shows(&format!("created {created} UTC · us-east-1")); // each bucket's date and region
    rig.type_into("Filter buckets", "LOG");
    rig.shows("logs"); // the bucket filter
    rig.hides("archive-2019");
    let (mut rig, logs, app) = in_app_folder(rig);
    rig.page(logs, &[], vec![obj("stale.txt", 1)], None); // late, for a folder left: dropped
    // Pages stream in: the first is shown while more load; Stop keeps them; Continue goes on.
    let objects = (0..50).map(|i| obj(&format!("app/{i:03}.log"), i));
    rig.page(app, &[], objects.collect(), Some("token-1"));
    rig.hides("stale.txt");
    rig.shows("Loaded 50 objects and 0 folders so far…");
    rig.click("Stop");
    expect_command!(rig, Command::Cancel { id } if *id == app);
    rig.shows("Stopped after 50 rows");
    rig.click("Continue");
    let more = rig.take_list();
    let continued = (more.prefix.as_str(), more.token.as_deref());
    assert_eq!(continued, ("app/", Some("token-1")));
    assert_eq!(rig.open("s3://logs/").prefix, ""); // a breadcrumb
    rig.click("Back");
    assert_eq!(rig.take_list().prefix, "app/");
}

/// Bucket reports listed: folder 2026/ and three objects, one with an awkward key.
fn in_reports() -> Rig {
    let mut rig = Rig::browsing();
    let reports = rig.open("reports");
    let objects = vec![
        obj("Summary.PDF", 300),
        obj("details.csv", 20),
        obj("a b+c%.txt", 5000),
    ];
    rig.page(reports.id, &["2026/"], objects, None);
    rig
}

#[test]
fn filter_and_sort_keep_folders_on_top() {
    let mut rig = in_reports();
    rig.type_into("Filter", "pdf");
    rig.shows("Summary.PDF");
    rig.hides("details.csv");
    rig.hides("2026/");
    rig.type_into("Filter", "");
    // Sort by size, largest first: folders stay on top.
    rig.click("Size");
    rig.click("Size, ascending");
    let b = &rig.state().browser;
    let names: Vec<&str> = b.view.iter().map(|&i| b.listing.key(i)).collect();
    assert_eq!(names, ["2026/", "a b+c%.txt", "Summary.PDF", "details.csv"]);
}

/// In bucket reports, the awkward key selected (details are asked for) and its details shown.
fn with_details() -> Rig {
    let mut rig = in_reports();
    rig.click_label("a b+c%.txt");
    let (id, key) = find_command!(rig,
        Command::Browse(HeadObject { id, key, .. }) => (*id, key.clone()));
    assert_eq!(key, "a b+c%.txt");
    let result = Ok(ObjectDetails {
        bucket: "reports".into(),
        key,
        size: 5000,
        content_type: Some("text/plain".into()),
        etag: Some("0123".into()),
        storage_class: "STANDARD".into(),
        modified: Some("2026-11-21T12:00:00Z".into()),
        metadata: vec![("owner".into(), "alice".into())],
    });
    rig.reply(Event::Browse(BrowseEvent::Details { id, result }));
    rig
}

#[test]
fn details_show_the_metadata_and_copy_the_uri() {
    let mut rig = with_details();
    rig.shows("x-amz-meta-owner");
    rig.shows("text/plain");
    rig.button("Copy s3:// URI").click();
    assert_eq!(rig.step_copied(), ["s3://reports/a b+c%.txt"]);
}

/// A presigned link valid for 30 min, from a session with an hour left.
fn presigned(url: &str) -> Event {
    let (valid, left) = (Duration::from_secs(1800), Duration::from_secs(3600));
    Event::Browse(BrowseEvent::Presigned(Ok((Secret::new(url), valid, left))))
}

#[test]
fn presigned_links_are_capped_copied_on_arrival_and_never_drawn() {
    let mut rig = with_details();
    // A link for 2 h from a session with 1 h left is capped.
    rig.click("Copy presigned link");
    let hour = Duration::from_secs(3600);
    find_command!(rig, Command::Browse(Presign { wanted, session_left, .. })
        if *wanted == hour && *session_left == hour);
    let link = "http://127.0.0.1/reports/a%20b%2Bc%25.txt?X-Amz-Expires=1800";
    rig.send(presigned(link));
    assert_eq!(rig.step_copied(), [link], "copied on arrival");
    rig.settle();
    rig.shows("shortened to the session's remaining life");
    rig.shows("Copied the presigned link");
    rig.hides("X-Amz-Expires"); // the link itself is never drawn
    let debug = format!("{:?}", rig.state().browser);
    assert!(!debug.contains("X-Amz-Expires"), "nor shown by Debug");

    // A link asked for just before leaving the browser is copied when it arrives, and not again
    // on coming back (it would overwrite what the user copied since).
    rig.click("Copy presigned link");
    find_command!(rig, Command::Browse(Presign { .. }));
    rig.click("Session view");
    let link = "http://127.0.0.1/reports/second?X-Amz-Expires=1800";
    rig.send(presigned(link));
    assert_eq!(rig.step_copied(), [link], "copied in the session view");
    rig.settle();
    rig.button("Browse S3").click();
    assert!(rig.step_copied().is_empty(), "not copied again on return");
    rig.settle();
    assert!(rig.copied().is_empty(), "not copied again on return");
}

#[test]
fn an_expired_session_mid_browse_offers_renew_and_returns_to_the_same_folder() {
    let (mut rig, _, app) = in_app_folder(Rig::browsing());
    let expired = "The credentials have expired: sign in again";
    rig.list_failed(app, ErrorKind::Expired, expired);
    rig.shows("The credentials have expired");
    rig.click("Renew");
    assert!(!rig.state().browser.shown, "to the code field");
    let mut s = session(MFA_TOKEN, t(7200));
    s.credentials.access_key_id = "ASIARENEWEDRENEWED01".into();
    rig.sign_in_with("654321", s);
    assert!(rig.state().browser.shown, "back in the browser");
    let again = find_command!(rig, Command::Browse(ListObjects { bucket, prefix, creds, .. }) => {
        (bucket.clone(), prefix.clone(), creds.credentials.access_key_id.clone())
    });
    let renewed = ("logs".into(), "app/".into(), "ASIARENEWEDRENEWED01".into());
    assert_eq!(again, renewed, "the same folder with the new keys");
}

#[test]
fn with_the_clock_past_expiry_the_browser_sends_nothing_and_offers_renew() {
    let mut rig = Rig::browsing();
    let logs = rig.open("logs");
    rig.page(logs.id, &["app/"], vec![obj("a.txt", 3)], None);
    rig.set_now(t(3600));
    rig.shows(keyfob::session::EXPIRED_SENTENCE);
    // Keys that would list, open or refresh with the session do nothing now.
    for key in [Key::ArrowDown, Key::Enter, Key::Backspace, Key::F5] {
        rig.press(key);
    }
    for c in rig.sent() {
        let Command::Browse(b) = &c else { continue };
        let lists = matches!(
            b,
            ListBuckets { .. } | BucketPage { .. } | ListObjects { .. }
        );
        let reads = matches!(b, HeadObject { .. } | Download { .. });
        assert!(!lists && !reads, "asked with an ended session: {c:?}");
    }
    rig.click("Renew");
    assert!(!rig.state().browser.shown, "to the code field");
    rig.shows("Enter a new code to renew the session");
}

#[test]
fn a_lost_connection_keeps_the_loaded_rows_and_access_denied_leaves_other_buckets_usable() {
    let mut rig = Rig::browsing();
    let logs = rig.open("logs");
    let parts = (0..30).map(|i| obj(&format!("part-{i:02}.log"), i));
    rig.page(logs.id, &[], parts.collect(), Some("after-part-29"));
    let refused = "Cannot reach the server: connection refused";
    rig.list_failed(logs.id, ErrorKind::Unreachable, refused); // before the second page
    rig.shows("Cannot reach the server");
    rig.shows("part-00.log"); // what was loaded stays
    assert_eq!(rig.state().browser.listing.len(), 30);
    rig.click("Retry");
    let retry = rig.take_list();
    let from = (retry.bucket.as_str(), retry.token.as_deref());
    assert_eq!(from, ("logs", Some("after-part-29")), "from the last token");
    rig.page(retry.id, &[], vec![obj("part-30.log", 30)], None);
    rig.shows("All 31 objects and 0 folders loaded");
    rig.hides("Cannot reach the server"); // the error is gone

    // One bucket refuses; another still opens.
    let reports = rig.open("reports");
    assert_eq!(reports.bucket, "reports");
    let denied = "Access denied: Access Denied";
    rig.list_failed(reports.id, ErrorKind::AccessDenied, denied);
    rig.shows(denied);
    let archive = rig.open("archive-2019");
    assert_eq!(archive.bucket, "archive-2019");
    assert_eq!((archive.prefix.as_str(), archive.token), ("", None));
    rig.page(archive.id, &["2019/"], vec![], None);
    rig.hides("Access denied");
    rig.shows("All 0 objects and 1 folder loaded");
}

#[test]
fn a_million_rows_render_without_laying_out_every_row() {
    let mut rig = Rig::browsing();
    let logs = rig.open("logs");
    let key = |i: u64| format!("logs/2026/11/22/host-{i:07}.json.gz");
    let objects = (0..1_000_000).map(|i| obj(&key(i), i)).collect();
    rig.page(logs.id, &[], objects, None);
    rig.shows("All 1000000 objects and 0 folders loaded");
    let rows = rig.h.query_all_by_label_contains("host-").count();
    assert!(rows > 5 && rows < 200, "only the visible rows: {rows}");
    rig.type_into("Filter", "host-0999999");
    assert_eq!(rig.state().browser.view.len(), 1);
    rig.shows("logs/2026/11/22/host-0999999.json.gz");
}
