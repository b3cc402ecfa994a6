//! The properties window (one object, a selection, bad input refused next to its field with
//! nothing sent, a failing server keeping what was typed), restoring a version, and the bucket
//! settings window.

use keyfob::aws::s3::{BucketSettings, LifecycleSummary, ObjectProps, Setting, VersionInfo};
use keyfob::message::BrowseCommand::{Bucket, ListObjects};
use keyfob::message::{ApplyReport, BucketJob, PropsAnswer, PropsJob};

use crate::browser::obj;
use crate::rig::*;

/// Browsing bucket reports: notes.txt and data.csv.
fn in_reports() -> Rig {
    let mut rig = Rig::browsing();
    let list = rig.open("reports");
    rig.page(
        list.id,
        &[],
        vec![obj("notes.txt", 5000), obj("data.csv", 900)],
        None,
    );
    rig
}

/// The properties jobs sent since the last look. A listing of the folder sent with them (its
/// refresh after a change) is answered with the folder's rows.
fn props_jobs(rig: &mut Rig) -> Vec<(RequestId, PropsJob)> {
    let (mut jobs, mut lists) = (Vec::new(), Vec::new());
    for c in rig.sent() {
        match c {
            Command::Browse(Bucket {
                id,
                job: BucketJob::Props(job),
                ..
            }) => jobs.push((id, job)),
            Command::Browse(ListObjects { id, .. }) => lists.push(id),
            _ => {}
        }
    }
    for id in lists {
        rig.page(
            id,
            &[],
            vec![obj("notes.txt", 5000), obj("data.csv", 900)],
            None,
        );
    }
    jobs
}

fn one_job(rig: &mut Rig) -> (RequestId, PropsJob) {
    let mut jobs = props_jobs(rig);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.remove(0)
}

fn read_of(key: &str, content_type: &str, metadata: &[(&str, &str)]) -> ObjectProps {
    ObjectProps {
        key: key.into(),
        etag: format!("\"etag-{key}\""),
        size: 10,
        storage_class: "STANDARD".into(),
        content_type: Some(content_type.into()),
        metadata: metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..ObjectProps::default()
    }
}

fn answer(rig: &mut Rig, id: RequestId, answer: PropsAnswer) {
    rig.reply(Event::Browse(BrowseEvent::Props { id, answer }));
}

/// notes.txt selected, its properties opened and read (text/plain, team=blue).
fn notes_open() -> Rig {
    let mut rig = in_reports();
    rig.click_label("notes.txt");
    rig.sent();
    rig.click("Properties…");
    let (id, job) = one_job(&mut rig);
    let PropsJob::Read { keys } = job else {
        panic!("{job:?}")
    };
    assert_eq!(keys, ["notes.txt"]);
    rig.shows("Reading the properties…");
    let read = read_of("notes.txt", "text/plain", &[("team", "blue")]);
    answer(&mut rig, id, PropsAnswer::Read(Ok(vec![read])));
    rig
}

#[test]
fn one_objects_properties_are_changed_guarded_by_what_was_read() {
    let mut rig = notes_open();
    rig.shows("Properties of notes.txt");
    assert_eq!(rig.input_value("Content type"), "text/plain");
    assert_eq!(rig.input_value("Metadata key 1"), "team");
    assert!(rig.button_disabled("Apply"), "nothing changed yet");
    rig.type_into("Content type", "text/markdown");
    rig.type_into("Metadata value 1", "green");
    rig.click("Add tag");
    rig.type_into("Tag key 1", "env");
    rig.type_into("Tag value 1", "prod");
    rig.choose("Storage class", "STANDARD_IA");
    rig.click("Apply");
    let (id, job) = one_job(&mut rig);
    let PropsJob::Apply { read, change } = job else {
        panic!("{job:?}")
    };
    assert_eq!(
        read[0].etag, "\"etag-notes.txt\"",
        "guarded by the ETag read"
    );
    assert_eq!(change.content_type.as_deref(), Some("text/markdown"));
    assert_eq!(change.storage_class.as_deref(), Some("STANDARD_IA"));
    assert_eq!(
        change.metadata_set,
        [("team".to_owned(), "green".to_owned())]
    );
    assert_eq!(change.tags_set, [("env".to_owned(), "prod".to_owned())]);
    let report = ApplyReport {
        changed: vec!["notes.txt".into()],
        failed: Vec::new(),
    };
    answer(&mut rig, id, PropsAnswer::Applied(Ok(report)));
    rig.shows("Changed 1 object");
    // Read again for the next change's guard.
    let (_, job) = one_job(&mut rig);
    assert!(matches!(job, PropsJob::Read { .. }), "{job:?}");
}

#[test]
fn bad_input_is_refused_next_to_its_field_and_nothing_is_sent() {
    let mut rig = notes_open();
    rig.type_into("Content type", "markdown");
    rig.shows("A content type looks like type/subtype, e.g. text/plain");
    rig.type_into("Metadata key 1", "my key");
    rig.shows("A key cannot contain spaces");
    assert!(rig.button_disabled("Apply"));
    rig.button("Apply").click();
    rig.settle();
    rig.expect_nothing_sent("Apply is disabled while a field is wrong");
    // Fixed, both messages go; eleven tags are one too many.
    rig.type_into("Content type", "text/markdown");
    rig.type_into("Metadata key 1", "team");
    rig.hides("A content type looks like");
    rig.hides("A key cannot contain spaces");
    for i in 1..=11 {
        rig.click("Add tag");
        rig.type_into(&format!("Tag key {i}"), &format!("k{i}"));
    }
    rig.shows("At most 10 tags; remove 1");
    assert!(rig.button_disabled("Apply"));
    rig.click("Remove tag 11");
    rig.type_into("Tag key 2", "k1");
    rig.shows("This key is already used above");
    assert!(rig.button_disabled("Apply"));
    rig.type_into("Tag key 2", "k2");
    assert!(!rig.button_disabled("Apply"));
    rig.expect_nothing_sent("typing sends nothing");
}

#[test]
fn a_selection_changes_each_object_and_a_failure_keeps_what_was_typed() {
    let mut rig = in_reports();
    rig.click_label("notes.txt");
    rig.h
        .get_by_label("data.csv")
        .click_modifiers(egui::Modifiers::COMMAND);
    rig.settle();
    rig.sent();
    rig.click("Properties…");
    let (id, job) = one_job(&mut rig);
    let PropsJob::Read { mut keys } = job else {
        panic!("{job:?}")
    };
    keys.sort();
    assert_eq!(keys, ["data.csv", "notes.txt"]);
    let read = vec![
        read_of(
            "notes.txt",
            "text/plain",
            &[("team", "blue"), ("only", "notes")],
        ),
        read_of("data.csv", "text/csv", &[("team", "blue")]),
    ];
    answer(&mut rig, id, PropsAnswer::Read(Ok(read)));
    rig.shows("Properties of 2 objects");
    assert_eq!(rig.input_value("Content type"), "", "they differ");
    assert_eq!(rig.input_value("Metadata key 1"), "team");
    assert!(
        rig.h.query_by_label("Metadata key 2").is_none(),
        "metadata not shared is not shown (and is kept)"
    );
    rig.click("Add metadata");
    rig.type_into("Metadata key 2", "owner");
    rig.type_into("Metadata value 2", "ops");
    rig.click("Apply");
    let (id, job) = one_job(&mut rig);
    let PropsJob::Apply { read, change } = job else {
        panic!("{job:?}")
    };
    assert_eq!(read.len(), 2);
    assert_eq!(
        change.metadata_set,
        [("owner".to_owned(), "ops".to_owned())]
    );
    assert!(change.content_type.is_none() && change.metadata_remove.is_empty());
    let changed = AwsError::new(
        ErrorKind::Changed,
        "data.csv changed since you opened it; not overwritten",
    );
    let report = ApplyReport {
        changed: vec!["notes.txt".into()],
        failed: vec![("data.csv".into(), changed)],
    };
    answer(&mut rig, id, PropsAnswer::Applied(Ok(report)));
    rig.shows(
        "Changed 1 of 2 objects; 1 failed (data.csv changed since you opened it; not overwritten)",
    );

    // A server that fails the whole change: the sentence, and the form as typed.
    let (id, _) = one_job(&mut rig); // the re-read
    answer(
        &mut rig,
        id,
        PropsAnswer::Read(Ok(vec![
            read_of("notes.txt", "text/plain", &[("team", "blue")]),
            read_of("data.csv", "text/csv", &[("team", "blue")]),
        ])),
    );
    rig.type_into("Metadata value 1", "red");
    rig.click("Apply");
    let (id, _) = one_job(&mut rig);
    let down = AwsError::new(
        ErrorKind::ServerError,
        "The AWS service failed (HTTP 500); try again in a moment",
    );
    answer(&mut rig, id, PropsAnswer::Applied(Err(down)));
    rig.shows("The AWS service failed (HTTP 500); try again in a moment");
    assert_eq!(rig.input_value("Metadata value 1"), "red");
    assert!(
        props_jobs(&mut rig).is_empty(),
        "no re-read when nothing changed"
    );
}

#[test]
fn an_older_version_is_restored() {
    let mut rig = in_reports();
    rig.click_label("notes.txt");
    rig.click("Versions");
    let sent = rig.sent();
    let id = sent
        .iter()
        .find_map(|c| match c {
            Command::Browse(Bucket {
                id,
                job: BucketJob::Versions { .. },
                ..
            }) => Some(*id),
            _ => None,
        })
        .expect("the versions asked for");
    let v = |id: &str, latest| VersionInfo {
        version_id: id.into(),
        size: 5,
        modified: T0 as i64,
        latest,
        delete_marker: false,
    };
    let result = Ok(vec![v("v2", true), v("v1", false)]);
    rig.reply(Event::Browse(BrowseEvent::Versions { id, result }));
    assert!(
        rig.h.query_by_label("Restore version v2").is_none(),
        "the current version has no Restore"
    );
    rig.click("Restore version v1");
    let (id, job) = one_job(&mut rig);
    let PropsJob::Restore {
        key,
        version,
        latest,
    } = job
    else {
        panic!("{job:?}")
    };
    assert_eq!(
        (key.as_str(), version.as_str(), latest.as_deref()),
        ("notes.txt", "v1", Some("v2"))
    );
    let done = Ok("Restored version v1 of notes.txt".to_owned());
    answer(&mut rig, id, PropsAnswer::Restored(done));
    rig.shows("Restored version v1 of notes.txt");
}

#[test]
fn bucket_settings_are_shown_row_by_row() {
    let mut rig = in_reports();
    rig.sent();
    rig.click("Bucket settings…");
    let (id, job) = one_job(&mut rig);
    assert!(matches!(job, PropsJob::Settings), "{job:?}");
    rig.shows("Reading the bucket's settings…");
    let settings = BucketSettings {
        versioning: Setting::Value("Enabled".into()),
        encryption: Setting::Value(vec!["aws:kms with key alias/data".into()]),
        lifecycle: Setting::Value(vec![LifecycleSummary {
            id: "expire-logs".into(),
            status: "Enabled".into(),
            prefix: "logs/".into(),
            summary: "expire after 30 days".into(),
        }]),
        policy: Setting::Value("{\n  \"Version\": \"2012-10-17\"\n}".into()),
        object_lock: Setting::None,
        public_access: Setting::NotAllowed,
    };
    answer(&mut rig, id, PropsAnswer::Settings(Ok(settings)));
    rig.shows("Settings of reports");
    rig.shows("aws:kms with key alias/data");
    rig.shows("1 rule");
    rig.shows("expire-logs (Enabled) on logs/: expire after 30 days");
    rig.shows("\"Version\": \"2012-10-17\"");
    rig.shows("None");
    rig.shows("Not allowed to read");
}
