//! The S3 browser beyond browsing: a folder download counted and confirmed, a large deletion that
//! asks for the count (and says versions stay), a new folder and access denied, the preview panel
//! (text and image), and Back showing a folder at once while it is listed again.

use std::path::PathBuf;

use keyfob::aws::s3::{DeleteReport, Plan, PlannedFile, Preview, PreviewKind, Skipped};
use keyfob::message::BrowseCommand::{Bucket, ListObjects};
use keyfob::message::{BucketJob, Purpose};

use crate::browser::obj;
use crate::rig::*;

fn files(n: usize, prefix: &str) -> Vec<PlannedFile> {
    (0..n)
        .map(|i| PlannedFile {
            key: format!("{prefix}{i:05}.csv"),
            path: PathBuf::from(format!("{i:05}.csv")),
            size: 1000,
        })
        .collect()
}

/// Signed in, in bucket reports: folder 2026/ and two objects.
pub(crate) fn in_reports() -> Rig {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.sent();
    rig.click("Browse S3");
    let id = find_command!(rig, Command::Browse(keyfob::message::BrowseCommand::BucketPage { id, .. }) => *id);
    let buckets = vec![keyfob::aws::s3::BucketInfo {
        name: "reports".into(),
        created: Some(t(0)),
        region: Some("us-east-1".into()),
    }];
    let result = Ok(keyfob::aws::s3::BucketPage {
        buckets,
        next: None,
    });
    rig.reply(Event::Browse(BrowseEvent::BucketPage { id, result }));
    rig.click_label("reports");
    let id = find_command!(rig, Command::Browse(ListObjects { id, .. }) => *id);
    let page = keyfob::aws::s3::Page {
        folders: vec!["2026/".into()],
        objects: vec![obj("notes.txt", 5000), obj("chart.png", 900)],
        next: None,
    };
    rig.reply(Event::Browse(BrowseEvent::Page { id, page }));
    rig
}

/// The bucket job sent last: its id and job.
pub(crate) fn take_job(rig: &mut Rig) -> (RequestId, BucketJob) {
    let sent = rig.sent();
    let found = sent.into_iter().rev().find_map(|c| match c {
        Command::Browse(Bucket { id, job, .. }) => Some((id, job)),
        _ => None,
    });
    found.expect("a bucket job was sent")
}

#[test]
fn a_folder_download_is_counted_and_confirmed() {
    let mut rig = in_reports();
    rig.click_label("2026/");
    rig.click("Download…");
    let (id, job) = take_job(&mut rig);
    let BucketJob::Plan {
        base,
        picked,
        purpose,
    } = job
    else {
        panic!("counted first: {job:?}");
    };
    assert_eq!((base.as_str(), purpose), ("", Purpose::Download));
    assert_eq!(
        picked
            .iter()
            .map(|p| (p.key.as_str(), p.folder))
            .collect::<Vec<_>>(),
        [("2026/", true)]
    );
    rig.shows("Counting… 0 files so far");
    // The dialog is modal: the folder behind it takes no keys.
    rig.press(Key::ArrowDown);
    rig.expect_nothing_sent("the keys went to the folder behind the dialog");
    rig.reply(Event::Browse(BrowseEvent::Counting {
        id,
        files: 700,
        bytes: 2048,
    }));
    rig.shows("Counting… 700 files so far (2.0 KiB)");
    assert!(
        rig.button_disabled("Download"),
        "nothing to confirm while counting"
    );
    let plan = Plan {
        files: files(1204, "2026/"),
        folders: Vec::new(),
        skipped: vec![Skipped {
            name: "2026/../up.csv".into(),
            reason: "a .. in its path would leave the chosen folder".into(),
        }],
        bytes: 3_435_973_837,
    };
    rig.reply(Event::Browse(BrowseEvent::Planned {
        id,
        result: Ok((plan, None)),
    }));
    rig.shows("Download 1,204 files, 3.2 GiB?");
    rig.shows("1 will be left out:");
    rig.shows("2026/../up.csv: a .. in its path would leave the chosen folder");
    rig.click("Download");
    let (_, job) = take_job(&mut rig);
    let BucketJob::Download { plan, target: None } = job else {
        panic!("the plan runs, into a folder the dialog asks for: {job:?}");
    };
    assert_eq!(plan.files.len(), 1204);
    rig.hides("Download 1,204 files");

    // Escape while counting stops the count.
    rig.click("Download…");
    let (id, _) = take_job(&mut rig);
    rig.press(Key::Escape);
    expect_command!(rig, Command::Cancel { id: c } if *c == id);
    rig.hides("Counting…");
}

#[test]
fn a_large_deletion_asks_for_the_count_and_says_versions_stay() {
    let mut rig = in_reports();
    rig.click_label("2026/");
    rig.click("Delete…");
    let (id, job) = take_job(&mut rig);
    assert!(
        matches!(
            job,
            BucketJob::Plan {
                purpose: Purpose::Delete,
                ..
            }
        ),
        "{job:?}"
    );
    let plan = Plan {
        files: files(2500, "2026/"),
        ..Plan::default()
    };
    rig.reply(Event::Browse(BrowseEvent::Planned {
        id,
        result: Ok((plan, Some(true))),
    }));
    rig.shows("Delete 2,500 objects (0 B) from s3://reports/?");
    rig.shows("2026/00000.csv");
    rig.shows("and 2,300 more");
    rig.shows("each object gets a delete marker and its older versions stay");
    assert!(rig.button_disabled("Delete"));
    rig.type_into("Type 2,500 to confirm", "2,499");
    assert!(rig.button_disabled("Delete"), "the wrong count");
    rig.type_into("Type 2,500 to confirm", "2500");
    rig.click("Delete");
    rig.shows("Deleting 2,500 objects…");
    let (del, job) = take_job(&mut rig);
    let BucketJob::Delete { keys } = job else {
        panic!("{job:?}")
    };
    assert_eq!(
        (keys.len(), keys.first().map(String::as_str)),
        (2500, Some("2026/00000.csv"))
    );
    let report = DeleteReport {
        deleted: 2500,
        requests: 3,
        failed: Vec::new(),
    };
    rig.reply(Event::Browse(BrowseEvent::Deleted {
        id: del,
        result: Ok(report),
    }));
    rig.shows("Deleted 2,500 objects");
    // The folder is listed again while its rows stay.
    let prefix = find_command!(rig, Command::Browse(ListObjects { prefix, .. }) => prefix.clone());
    assert_eq!(prefix, "");
    rig.shows("refreshing…");
    rig.shows("notes.txt");

    // Ten or fewer: no count to type; access denied is said plainly.
    rig.click_label("notes.txt");
    rig.click("Delete…");
    let (id, _) = take_job(&mut rig);
    let plan = Plan {
        files: files(1, ""),
        ..Plan::default()
    };
    rig.reply(Event::Browse(BrowseEvent::Planned {
        id,
        result: Ok((plan, Some(false))),
    }));
    rig.hides("to confirm");
    rig.hides("delete marker");
    rig.click("Delete");
    let (del, _) = take_job(&mut rig);
    rig.click("Stop deleting");
    // The deletion stops; the folder's refresh still running gives way to a new one.
    expect_command!(rig,
        Command::Cancel { id }, Command::Cancel { .. }, Command::Browse(ListObjects { .. })
        if *id == del);
    rig.shows("Deletion stopped: what was already deleted is gone");
    let denied = AwsError::new(ErrorKind::AccessDenied, "Access denied: Access Denied");
    rig.reply(Event::Browse(BrowseEvent::Deleted {
        id: del,
        result: Err(denied),
    }));
    rig.shows("Access denied: Access Denied");
}

#[test]
fn a_new_folder_is_named_checked_and_refused_plainly() {
    let mut rig = in_reports();
    rig.sent();
    rig.click("New folder…");
    rig.type_into("Folder name", "q4/bad");
    rig.click("Create folder");
    rig.shows("Enter a folder name without /");
    rig.expect_nothing_sent("a bad name sends nothing");
    rig.type_into("Folder name", "q4");
    rig.click("Create folder");
    let (id, job) = take_job(&mut rig);
    assert!(
        matches!(&job, BucketJob::NewFolder { prefix, name } if prefix.is_empty() && name == "q4"),
        "{job:?}"
    );
    let denied = AwsError::new(ErrorKind::AccessDenied, "Access denied: Access Denied");
    rig.reply(Event::Browse(BrowseEvent::FolderMade {
        id,
        result: Err(denied),
    }));
    rig.shows("Access denied: Access Denied");
    assert_eq!(rig.input_value("Folder name"), "q4", "what was typed stays");
    rig.click("Create folder");
    let (id, _) = take_job(&mut rig);
    rig.reply(Event::Browse(BrowseEvent::FolderMade {
        id,
        result: Ok("q4/".into()),
    }));
    rig.shows("Created the folder q4/");
    let prefix = find_command!(rig, Command::Browse(ListObjects { prefix, .. }) => prefix.clone());
    assert_eq!(prefix, "", "the folder is listed again");
}

#[test]
fn the_preview_panel_shows_text_and_images() {
    let mut rig = in_reports();
    rig.click_label("notes.txt");
    rig.click("Preview");
    let (id, job) = take_job(&mut rig);
    assert!(
        matches!(&job, BucketJob::Preview { key, size: 5000, kind: PreviewKind::Text, version: None } if key == "notes.txt"),
        "{job:?}"
    );
    rig.shows("Reading the preview…");
    let text = "first line\nsecond line\n".to_owned();
    let preview = Preview::Text {
        text,
        shown: 1024 * 1024,
        total: 50 * 1024 * 1024,
    };
    rig.reply(Event::Browse(BrowseEvent::Preview {
        id,
        result: Ok(preview),
    }));
    rig.shows("The first 1.0 MiB of 50.0 MiB");
    rig.shows("second line");

    rig.click_label("chart.png");
    rig.hides("second line");
    rig.click("Preview");
    let (id, job) = take_job(&mut rig);
    assert!(
        matches!(
            job,
            BucketJob::Preview {
                kind: PreviewKind::Image,
                ..
            }
        ),
        "{job:?}"
    );
    let preview = Preview::Image {
        width: 4,
        height: 2,
        rgba: vec![255; 4 * 2 * 4],
        original: (2400, 1200),
    };
    rig.reply(Event::Browse(BrowseEvent::Preview {
        id,
        result: Ok(preview),
    }));
    rig.shows("2400 × 1200 pixels");
    assert!(
        rig.h
            .query_by_role_and_label(Role::Image, "Preview of chart.png")
            .is_some(),
        "the image is named for screen readers"
    );
}

#[test]
fn back_shows_the_folder_at_once_and_lists_it_again() {
    let mut rig = in_reports();
    rig.press(Key::ArrowDown);
    rig.press(Key::Enter);
    let id = find_command!(rig, Command::Browse(ListObjects { id, prefix, .. }) if prefix == "2026/" => *id);
    let page = keyfob::aws::s3::Page {
        folders: vec![],
        objects: vec![obj("2026/jan.csv", 1)],
        next: None,
    };
    rig.reply(Event::Browse(BrowseEvent::Page { id, page }));
    rig.shows("jan.csv");
    rig.click("Back");
    // At once, before any page: the rows kept, while the folder is listed again.
    rig.shows("notes.txt");
    rig.shows("Showing 2 objects and 1 folder as they were; refreshing…");
    let id = find_command!(rig, Command::Browse(ListObjects { id, prefix, .. }) if prefix.is_empty() => *id);
    let page = keyfob::aws::s3::Page {
        folders: vec!["2026/".into()],
        objects: vec![obj("notes.txt", 5000), obj("new.txt", 1)],
        next: None,
    };
    rig.reply(Event::Browse(BrowseEvent::Page { id, page }));
    rig.shows("new.txt");
    rig.hides("chart.png");
    rig.shows("All 2 objects and 1 folder loaded");
}

#[test]
fn in_a_server_search_new_folders_go_in_the_folder_searched() {
    let mut rig = in_reports();
    rig.type_into("Filter", "no");
    rig.click("Search this prefix on the server");
    let (id, prefix) = find_command!(rig, Command::Browse(ListObjects { id, prefix, .. }) => (*id, prefix.clone()));
    assert_eq!(prefix, "no");
    let page = keyfob::aws::s3::Page {
        folders: vec![],
        objects: vec![obj("notes.txt", 5000)],
        next: None,
    };
    rig.reply(Event::Browse(BrowseEvent::Page { id, page }));
    rig.click("New folder…");
    rig.type_into("Folder name", "q4");
    rig.click("Create folder");
    let (_, job) = take_job(&mut rig);
    assert!(
        matches!(&job, BucketJob::NewFolder { prefix, name } if prefix.is_empty() && name == "q4"),
        "in the bucket's top, not under the search text: {job:?}"
    );
}

#[test]
fn after_a_sign_out_a_change_that_ends_sends_nothing_with_the_old_keys() {
    let mut rig = in_reports();
    rig.sent();
    rig.click("New folder…");
    rig.type_into("Folder name", "q4");
    rig.click("Create folder");
    let (id, _) = take_job(&mut rig);
    rig.click("Session view");
    rig.click("Sign out");
    find_command!(rig, Command::SignOut { name } if name == "alice");
    // The folder was made just before the sign-out reached the worker: the folder it changed
    // would be listed again with the signed-out session's keys, were the browser still holding
    // them.
    rig.reply(Event::Browse(BrowseEvent::FolderMade {
        id,
        result: Ok("q4/".into()),
    }));
    rig.expect_nothing_sent("nothing is sent with a signed-out session's keys");
}

/// An upload interrupted at 2 of 3 parts, as the worker reports it.
fn interrupted_upload() -> keyfob::aws::s3::Record {
    use keyfob::aws::s3::{FileTime, Job, RECORD_VERSION, Record, UploadState};
    Record {
        version: RECORD_VERSION,
        id: "rec-1".into(),
        session: "alice".into(),
        bucket: "reports".into(),
        region: Some("us-east-1".into()),
        key: "big/disk.iso".into(),
        total: 12 * 1024 * 1024,
        job: Job::Upload(UploadState {
            path: PathBuf::from("/home/alice/disk.iso"),
            size: 12 * 1024 * 1024,
            modified: FileTime { secs: 1, nanos: 0 },
            part_size: 5 * 1024 * 1024,
            upload_id: "up-1".into(),
            parts: [(1, "e1".to_owned()), (2, "e2".to_owned())].into(),
        }),
    }
}

#[test]
fn an_interrupted_transfer_is_offered_to_resume_or_discard() {
    let mut rig = in_reports();
    rig.sent();
    rig.reply(Event::Browse(BrowseEvent::Interrupted(vec![
        interrupted_upload(),
        keyfob::aws::s3::Record {
            id: "rec-2".into(),
            key: "big/other.iso".into(),
            ..interrupted_upload()
        },
    ])));
    rig.shows("Uploading disk.iso — interrupted at 83 % (10.0 MiB of 12.0 MiB), s3://reports/big/disk.iso");
    rig.h
        .get_all_by_role_and_label(Role::Button, "Resume")
        .next()
        .unwrap()
        .click();
    rig.settle();
    let (_, job) = take_job(&mut rig);
    assert!(
        matches!(&job, BucketJob::Resume { record } if record == "rec-1"),
        "{job:?}"
    );
    rig.hides("disk.iso — interrupted");
    rig.click("Discard");
    let (_, job) = take_job(&mut rig);
    assert!(
        matches!(&job, BucketJob::Discard { record } if record == "rec-2"),
        "{job:?}"
    );
    rig.hides("interrupted at");
}

#[test]
fn unfinished_uploads_are_listed_and_aborted_one_or_all() {
    let mut rig = in_reports();
    rig.sent();
    rig.click("Unfinished uploads…");
    let (id, job) = take_job(&mut rig);
    assert!(matches!(job, BucketJob::Unfinished), "{job:?}");
    rig.shows("Listing the unfinished uploads…");
    let listed = vec![
        keyfob::aws::s3::Unfinished {
            key: "a.bin".into(),
            upload_id: "u-a".into(),
            initiated: Some(t(0)),
        },
        keyfob::aws::s3::Unfinished {
            key: "b.bin".into(),
            upload_id: "u-b".into(),
            initiated: None,
        },
    ];
    rig.reply(Event::Browse(BrowseEvent::Unfinished {
        id,
        result: Ok(listed),
    }));
    rig.shows("2 unfinished uploads: S3 keeps (and bills) their parts until they are aborted");
    rig.h
        .get_all_by_role_and_label(Role::Button, "Abort")
        .next()
        .unwrap()
        .click();
    rig.settle();
    let (id, job) = take_job(&mut rig);
    assert!(
        matches!(&job, BucketJob::AbortUnfinished { uploads } if uploads == &[("a.bin".to_owned(), "u-a".to_owned())]),
        "{job:?}"
    );
    rig.reply(Event::Browse(BrowseEvent::Unfinished {
        id,
        result: Ok(vec![]),
    }));
    rig.shows("No unfinished uploads: nothing here is billed for parts");
    rig.click("Close");
    rig.hides("Unfinished uploads in reports");
}
