//! A signed-in session: identity and countdown at injected times, expiry and renewal, export
//! copying and clipboard clearing, sign-out, what the supervisor is told, writing a profile, and
//! no secret in the accessibility tree, `Debug` output or the persistence file.

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use keyfob::app::PREFS_KEY;
use keyfob::keystore::Contents;
use keyfob::message::{Command, Event, Watch, Watched};
use keyfob::session::Session;

use crate::rig::{
    MFA, MFA_TOKEN, MemStorage, Rig, SECRET, TOKEN, assumed_role, expect_command, session, t,
};

/// The window's title at the rig's time.
fn title(rig: &Rig) -> String {
    rig.h.state().state.title(rig.now())
}

#[test]
fn signed_in_shows_identity_and_a_countdown_that_changes_colour_band() {
    let mut rig = Rig::signed_in(assumed_role());
    assert!(rig.has_text("arn:aws:sts::123456789012:assumed-role/admin/alice-admin"));
    let source = rig.has_text("arn:aws:iam::123456789012:user/alice");
    assert!(source, "source identity shown");
    assert!(rig.has_text("ASIAEXAMPLEEXAMPLE01"), "access key id shown");
    assert!(rig.has_text("01:00:00 left"));
    assert_eq!(title(&rig), "keyfob — 1 h left");
    // Repaints once a second, not every frame.
    rig.set_now(t(1) + Duration::from_millis(300));
    let delay = rig.h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    let (min, max) = (Duration::from_millis(500), Duration::from_millis(1010));
    assert!(delay > min && delay <= max, "{delay:?}");
    assert!(rig.has_text("00:59:58 left"));
    let whole = "the title counts whole minutes";
    assert_eq!(title(&rig), "keyfob — 59 min left", "{whole}");
    rig.set_now(t(3600 - 14 * 60));
    assert!(rig.has_text("00:14:00 left"));
    let urgency = rig.h.state().state.current().unwrap().urgency(rig.now());
    assert_eq!(urgency, keyfob::session::Urgency::Soon);
    rig.set_now(t(3600 - 4 * 60));
    assert!(rig.has_text("00:04:00 left"));
    assert_eq!(title(&rig), "keyfob — 4 min left");
    rig.set_now(t(3600 - 30));
    assert_eq!(title(&rig), "keyfob — under a minute left");
}

#[test]
fn an_expired_session_is_never_exported_and_renew_asks_for_a_new_code() {
    let mut rig = Rig::signed_in(assumed_role());
    rig.set_now(t(3600));
    assert!(rig.has_text("Expired: keyfob no longer uses this session"));
    assert_eq!(title(&rig), "keyfob — session expired");
    assert!(rig.button_disabled("Copy export lines"));
    rig.copy_shortcut();
    assert!(
        !rig.copied().iter().any(|t| t.contains(SECRET)),
        "an expired session is never exported"
    );
    // Renew keeps the fields and asks for a new code.
    rig.click("Renew");
    assert!(rig.has_text("Enter a new code to renew the session"));
    assert_eq!(rig.input_value("Region"), "us-east-1");
    assert!(rig.code_focused());
}

#[test]
fn copy_exports_in_the_chosen_format_then_the_clipboard_is_cleared() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.choose("Format", "fish");
    let masked = !rig.all_text().contains(SECRET);
    assert!(masked, "the preview masks the secret");
    let first = "set -gx AWS_ACCESS_KEY_ID 'ASIAEXAMPLEEXAMPLE01'";
    assert!(rig.has_text(first), "preview shows the lines");
    rig.button("Copy export lines").click();
    rig.h.step();
    let copied = rig.copied();
    let [text] = copied.as_slice() else {
        panic!("{copied:?}")
    };
    assert!(text.starts_with(&format!("{first}\n")), "{text}");
    for line in [
        format!("set -gx AWS_SECRET_ACCESS_KEY '{SECRET}'\n"),
        format!("set -gx AWS_SESSION_TOKEN '{TOKEN}'\n"),
        "set -gx AWS_REGION 'eu-west-1'\n".to_owned(),
        "set -gx AWS_DEFAULT_REGION 'eu-west-1'\n".to_owned(),
        "set -gx AWS_CREDENTIAL_EXPIRATION '2026-11-22T13:00:00Z'\n".to_owned(),
    ] {
        assert!(text.contains(&line), "{line:?} is missing from {text}");
    }
    rig.h.run();
    assert!(rig.has_text("clipboard is cleared in 60 s"));
    // The supervisor clears it on time (its timers are tested in worker::supervisor).
    let (fingerprint, clear_at) = expect_command!(
        rig,
        Command::Watch(Watch::Clipboard { fingerprint, clear_at }) => (*fingerprint, *clear_at)
    );
    assert_eq!(fingerprint, keyfob::clipboard::fingerprint(text));
    assert_eq!(clear_at, t(60), "60 s after the copy");
    // Ctrl+Shift+C copies too.
    rig.copy_shortcut();
    let status = &rig.h.state().state.status;
    assert_eq!(rig.copied().len(), 1, "status: {status:?}");
}

#[test]
fn sign_out_forgets_the_session_and_clears_our_clipboard() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.click("Copy export lines");
    rig.click("Sign out");
    assert!(rig.h.state().state.current().is_none());
    assert!(rig.h.state().state.sessions.is_empty());
    assert!(!rig.has_text("assumed-role/admin"));
    let copy = rig
        .h
        .query_by_role_and_label(Role::Button, "Copy export lines");
    assert!(copy.is_none(), "nothing left to copy");
    let fingerprint = rig.h.state().state.clipboard.map(|m| m.fingerprint);
    assert_eq!(fingerprint, None, "the deadline is dropped");
    let sent = rig.sent();
    assert!(
        matches!(
            sent.as_slice(),
            [
                Command::Watch(Watch::Clipboard { .. }),
                Command::Watch(Watch::ClearClipboardNow { .. })
            ]
        ),
        "{sent:?}"
    );
    let watched = rig.watched();
    assert!(
        matches!(watched.last(), Some(Watch::Sessions { sessions, shown: None }) if sessions.is_empty()),
        "the supervisor stops watching the session: {watched:?}"
    );
    assert_eq!(rig.input_value("MFA device"), MFA, "the form is kept");
}

#[test]
fn the_supervisor_is_told_every_session_and_the_one_on_screen() {
    // The warnings, the expiry and the clipboard run on the supervisor's timers (tested in
    // worker::supervisor, and minimized under Xvfb in scripts/e2e-xvfb); the window's part is to
    // tell it what it holds, at once and whenever that changes.
    let mut rig = Rig::signed_in(MFA_TOKEN);
    let watched = rig.watched();
    let alice = Watched {
        name: "alice".into(),
        who: "admin/alice-admin".into(),
        expires_at: t(3600),
    };
    let expected = Watch::Sessions {
        sessions: vec![alice],
        shown: Some("alice".into()),
    };
    assert_eq!(watched.last(), Some(&expected), "{watched:?}");
    rig.set_now(t(600));
    assert!(rig.watched().is_empty(), "nothing changed: nothing is sent");
    // A second session, restored from the keyring, is watched too while alice stays on screen.
    let bob = Session {
        name: "bob".into(),
        ..session(MFA_TOKEN, t(1800))
    };
    rig.reply(Event::Cache(Ok(Contents {
        sessions: vec![bob],
        ..Contents::default()
    })));
    let watched = rig.watched();
    let Some(Watch::Sessions { sessions, shown }) = watched.last() else {
        panic!("{watched:?}")
    };
    assert_eq!(shown.as_deref(), Some("alice"));
    let names: Vec<&str> = sessions.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
}

#[test]
fn writing_a_profile_shows_the_change_first_and_long_term_keys_need_a_tick() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    let keys = "[mfa]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = x\n";
    std::fs::write(&path, keys).unwrap();
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.sent();
    rig.click_label("Write into ~/.aws/credentials");
    rig.type_into("Profile name", "bad name");
    rig.click("Show the change");
    assert!(rig.has_text("Use letters, digits"));
    rig.expect_nothing_sent("a bad profile name");
    rig.type_into("Profile name", "mfa");
    rig.click("Show the change");
    let (profile, session) = expect_command!(
        rig,
        Command::PlanProfileWrite { profile, session } => (profile.clone(), session.clone())
    );
    assert_eq!(profile, "mfa");
    // Play the worker: read and plan for real.
    let file = keyfob::credfile::CredFile::read(&path).unwrap();
    let edit = file.plan(&profile, &session).unwrap();
    rig.reply(Event::ProfilePlanned(Ok((Box::new(file), Box::new(edit)))));
    assert!(rig.has_text("Replace [mfa] in"));
    assert!(rig.has_text("aws_session_token = …(hidden)"));
    let masked = !rig.all_text().contains(TOKEN);
    assert!(masked, "the preview masks the token");
    let needs_tick = rig.button_disabled("Write profile");
    assert!(needs_tick, "long-term keys need the tick");
    rig.click_label("Replace the long-term keys in this profile");
    rig.click("Write profile");
    expect_command!(rig, Command::WriteProfile { confirm_long_term, .. } if *confirm_long_term);
}

#[test]
fn no_secret_in_the_ui_tree_debug_output_or_persistence() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.click("Copy export lines");
    let tree = rig.all_text();
    assert!(tree.contains("ASIAEXAMPLEEXAMPLE01"));
    for secret in [SECRET, TOKEN] {
        assert!(!tree.contains(secret), "accessibility tree leaks a secret");
        let debug = format!("{:?} {:#?}", rig.h.state(), rig.h.state().state);
        assert!(!debug.contains(secret), "Debug leaks a secret");
    }
    // The ExternalId, which some teams treat as a shared secret, stays off disk too.
    rig.h.state_mut().state.form.fields.external_id = "tenant-42".into();
    let mut storage = MemStorage::default();
    eframe::App::save(rig.h.state_mut(), &mut storage);
    let saved = storage.0.get(PREFS_KEY).expect("prefs saved").clone();
    assert!(saved.contains("alice"), "prefs are saved: {saved}");
    for secret in [SECRET, TOKEN, "123456\"", "tenant-42"] {
        assert!(!saved.contains(secret), "{secret:?} saved in {saved}");
    }
    // And they come back on the next start.
    let rig2 = Rig::with_storage(Some(saved));
    assert_eq!(rig2.input_value("MFA device"), MFA);
}
