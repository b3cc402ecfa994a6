//! The sync dialog: a relative path refused next to the field with nothing sent; the choices sent
//! with the comparison; the count while comparing; the plan (sentence, counts, every path with its
//! reason, what is left out); Sync now sending that plan as one job; a failed comparison keeping
//! what was typed; a plan with nothing to do leaving Sync now disabled.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use keyfob::aws::s3::Skipped;
use keyfob::aws::s3::sync::{Action, Compare, Direction, Item, Remote, Spec, Stamp, SyncPlan};
use keyfob::message::BucketJob;

use crate::bucket::{in_reports, take_job};
use crate::rig::*;

pub(crate) fn item(rel: &str, action: Action, why: &'static str) -> Item {
    let stamp = Stamp {
        size: 100,
        modified: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    };
    let remote = Remote {
        size: 90,
        modified: 1_700_000_000,
        etag: "0123456789abcdef0123456789abcdef".into(),
    };
    let (local, remote) = match action {
        Action::New => (Some(stamp), None),
        Action::Changed => (Some(stamp), Some(remote)),
        Action::Delete | Action::OnlyThere => (None, Some(remote)),
    };
    Item {
        rel: rel.into(),
        action,
        why,
        local,
        remote,
    }
}

pub(crate) fn spec(compare: Compare, delete: bool) -> Spec {
    Spec {
        local: PathBuf::from("/home/me/site"),
        bucket: "reports".into(),
        prefix: String::new(),
        direction: Direction::Upload,
        compare,
        delete,
    }
}

#[test]
fn a_sync_is_compared_shown_and_run() {
    let mut rig = in_reports();
    rig.click("Sync…");
    rig.shows("S3 folder: s3://reports/");
    assert!(rig.button_disabled("Sync now"), "nothing compared yet");
    // A relative path: the message next to the field, nothing sent.
    rig.type_into("Local folder", "site");
    rig.sent();
    rig.click("Compare");
    rig.shows("Give the folder's full path");
    rig.expect_nothing_sent("a relative local folder");

    rig.type_into("Local folder", "/home/me/site");
    rig.click_label("Compare content (checksums)");
    rig.click_label("Delete what is only at the destination");
    rig.click("Compare");
    rig.hides("Give the folder's full path");
    let (id, job) = take_job(&mut rig);
    let BucketJob::PlanSync {
        prefix,
        local,
        direction,
        compare,
        delete,
    } = job
    else {
        panic!("a comparison: {job:?}");
    };
    assert_eq!(prefix, "");
    assert_eq!(local, Some(PathBuf::from("/home/me/site")));
    assert_eq!(
        (direction, compare, delete),
        (Direction::Upload, Compare::Checksum, true)
    );
    rig.reply(Event::Browse(BrowseEvent::Counting {
        id,
        files: 1_500,
        bytes: 0,
    }));
    rig.shows("Compared 1,500 so far…");

    let plan = SyncPlan {
        spec: spec(Compare::Checksum, true),
        items: vec![
            item("a.txt", Action::New, "not at the destination"),
            item("b.txt", Action::Changed, "content differs"),
            item(
                "old.txt",
                Action::Delete,
                "only at the destination: deleted as asked",
            ),
        ],
        same: 1_997,
        by_content: 1_998,
        skipped: vec![Skipped {
            name: "link".into(),
            reason: "it is a symbolic link, which keyfob does not follow".into(),
        }],
    };
    rig.reply(Event::Browse(BrowseEvent::SyncPlanned {
        id,
        result: Ok(plan.clone()),
    }));
    rig.shows("Upload 1 new and 1 changed (200 B), delete 1; 1,997 the same, 1 left out");
    rig.shows("new: 1 · changed: 1 · delete: 1 · kept: 0");
    rig.shows("content differs");
    rig.shows("old.txt");
    rig.shows("link: it is a symbolic link, which keyfob does not follow");
    assert!(!rig.button_disabled("Sync now"));
    rig.click("Sync now");
    let (_, job) = take_job(&mut rig);
    let BucketJob::Sync { plan: sent } = job else {
        panic!("the plan runs: {job:?}");
    };
    assert_eq!(*sent, plan);
    rig.hides("S3 folder: s3://reports/");
}

#[test]
fn a_failed_comparison_keeps_the_form_and_an_empty_plan_cannot_run() {
    let mut rig = in_reports();
    rig.click("Sync…");
    rig.click_label("Download: S3 into the local folder");
    rig.type_into("Local folder", "/home/me/copy");
    rig.click("Compare");
    let (id, job) = take_job(&mut rig);
    assert!(
        matches!(
            job,
            BucketJob::PlanSync {
                direction: Direction::Download,
                compare: Compare::SizeAndTime,
                delete: false,
                ..
            }
        ),
        "{job:?}"
    );
    let error = AwsError::new(ErrorKind::AccessDenied, "Access denied: s3:ListBucket");
    rig.reply(Event::Browse(BrowseEvent::SyncPlanned {
        id,
        result: Err(error),
    }));
    rig.shows("Access denied: s3:ListBucket");
    assert_eq!(rig.input_value("Local folder"), "/home/me/copy");
    assert!(rig.button_disabled("Sync now"));

    rig.click("Compare");
    let (id, _) = take_job(&mut rig);
    let mut nothing = SyncPlan {
        spec: spec(Compare::SizeAndTime, false),
        items: vec![item(
            "mine.txt",
            Action::OnlyThere,
            "only at the destination",
        )],
        same: 12,
        by_content: 0,
        skipped: Vec::new(),
    };
    nothing.spec.direction = Direction::Download;
    rig.reply(Event::Browse(BrowseEvent::SyncPlanned {
        id,
        result: Ok(nothing),
    }));
    rig.shows("Nothing to copy; 12 the same, 1 only at the destination (kept)");
    assert!(rig.button_disabled("Sync now"));
    rig.click("Close");
    rig.hides("S3 folder: s3://reports/");
}

#[test]
fn a_choice_changed_while_comparing_stops_the_comparison() {
    let mut rig = in_reports();
    rig.click("Sync…");
    rig.type_into("Local folder", "/home/me/site");
    rig.click_label("Delete what is only at the destination");
    rig.click("Compare");
    let (id, job) = take_job(&mut rig);
    assert!(
        matches!(job, BucketJob::PlanSync { delete: true, .. }),
        "{job:?}"
    );
    // Deleting is unticked while the comparison runs: it stops, and its late answer is dropped.
    rig.click_label("Delete what is only at the destination");
    let cancelled = rig
        .sent()
        .into_iter()
        .any(|c| matches!(c, Command::Cancel { id: c } if c == id));
    assert!(cancelled, "the comparison for the old choices is cancelled");
    rig.reply(Event::Browse(BrowseEvent::SyncPlanned {
        id,
        result: Ok(SyncPlan {
            spec: spec(Compare::SizeAndTime, true),
            items: vec![item(
                "old.txt",
                Action::Delete,
                "only at the destination: deleted as asked",
            )],
            same: 0,
            by_content: 0,
            skipped: Vec::new(),
        }),
    }));
    rig.hides("old.txt");
    assert!(rig.button_disabled("Sync now"));
}
