//! A signed-in session: countdown, expiry, export, sign-out, the supervisor, secrets kept out.

use keyfob::session::local_clock;

use crate::rig::*;

fn title(rig: &Rig) -> String {
    rig.state().title(rig.now())
}

#[test]
fn signed_in_shows_identity_and_a_countdown_that_changes_colour_band_and_expires() {
    let mut rig = Rig::signed_in(assumed_role());
    rig.shows("arn:aws:sts::123456789012:assumed-role/admin/alice-admin");
    rig.shows("arn:aws:iam::123456789012:user/alice"); // the source identity
    rig.shows("ASIAEXAMPLEEXAMPLE01"); // the access key id
    rig.shows("1 h left");
    // Above 15 minutes the title names the end, in local time, and holds still.
    let until = format!("keyfob — signed in until {}", local_clock(t(3600)));
    assert_eq!(title(&rig), until);
    rig.set_now(t(1) + Duration::from_millis(300));
    // 3,598.7 s left show "59 min" until 3,540 s are left: the next frame 58.7 s on.
    let delay = rig.repaint_delay();
    let (min, max) = (Duration::from_millis(58_700), Duration::from_millis(58_710));
    assert!(
        delay >= min && delay <= max,
        "at the next minute: {delay:?}"
    );
    rig.shows("59 min left");
    assert_eq!(
        title(&rig),
        until,
        "the card counts minutes, the title holds"
    );
    rig.set_now(t(3600 - 15 * 60) + Duration::from_millis(300));
    rig.shows("00:14:59 left"); // seconds in the last 15 minutes
    assert_eq!(
        title(&rig),
        "keyfob — 14 min left",
        "the title counts minutes now"
    );
    let delay = rig.repaint_delay();
    let (min, max) = (Duration::from_millis(700), Duration::from_millis(710));
    assert!(
        delay >= min && delay <= max,
        "at the next second: {delay:?}"
    );
    rig.set_now(t(3600 - 14 * 60));
    rig.shows("00:14:00 left");
    let urgency = rig.state().current().unwrap().urgency(rig.now());
    assert_eq!(urgency, keyfob::session::Urgency::Soon);
    rig.set_now(t(3600 - 4 * 60));
    rig.shows("00:04:00 left");
    assert_eq!(title(&rig), "keyfob — 4 min left");
    rig.set_now(t(3600 - 30));
    assert_eq!(title(&rig), "keyfob — under a minute left");
    rig.set_now(t(3600));
    rig.shows("Expired: keyfob no longer uses this session");
    assert_eq!(title(&rig), "keyfob — session expired");
    assert!(rig.button_disabled("Copy export lines"));
    rig.copy_shortcut();
    assert!(rig.copied().is_empty(), "expired: not exported");
    rig.click("Renew"); // keeps the fields, asks for a new code
    rig.shows("Enter a new code to renew the session");
    assert_eq!(rig.focused_label(), "MFA code");
    assert_eq!(rig.input_value("Region"), "us-east-1"); // (unfolds More options)
}

#[test]
fn copy_exports_in_the_chosen_format_then_the_clipboard_is_cleared() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.choose("Format", "fish");
    assert!(!rig.all_text().contains(SECRET), "masked in the preview");
    let first = "set -gx AWS_ACCESS_KEY_ID 'ASIAEXAMPLEEXAMPLE01'";
    rig.shows(first); // the preview shows the lines
    rig.button("Copy export lines").click();
    let copied = rig.step_copied();
    let text = format!(
        "{first}\nset -gx AWS_SECRET_ACCESS_KEY '{SECRET}'\nset -gx AWS_SESSION_TOKEN '{TOKEN}'\n\
         set -gx AWS_REGION 'eu-west-1'\nset -gx AWS_DEFAULT_REGION 'eu-west-1'\n\
         set -gx AWS_CREDENTIAL_EXPIRATION '2026-11-22T13:00:00Z'\n"
    );
    assert_eq!(copied, [text.as_str()], "every line for fish, in order");
    rig.h.run();
    rig.shows("clipboard is cleared in 60 s");
    // The supervisor clears it 60 s after the copy (its timers are tested in worker::supervisor).
    let fingerprint = keyfob::clipboard::fingerprint(&text);
    expect_command!(rig, Command::Watch(Watch::Clipboard { fingerprint: f, clear_at })
        if *f == fingerprint && *clear_at == t(60));
    rig.copy_shortcut(); // Ctrl+Shift+C copies too
    let status = &rig.state().status;
    assert_eq!(rig.copied().len(), 1, "status: {status:?}");
}

#[test]
fn visible_and_idle_with_more_than_an_hour_left_it_draws_only_when_a_minute_changes() {
    let mut rig = Rig::with_profiles();
    rig.select_profile("alice");
    rig.sign_in_with("123456", session(MFA_TOKEN, t(2 * 3600)));
    rig.set_now(t(7) + Duration::from_millis(250));
    // A minute's change is one frame for the countdown; the title, which names the end, does not
    // change (a window command costs two more frames), so: a frame a minute, where a countdown of
    // seconds drew 60.
    let frames = rig.idle_frames(Duration::from_secs(10 * 60));
    assert_eq!(frames, 10, "{frames} frames in 10 idle minutes");
    rig.shows("1 h 49 min left");
    // Over an hour, down to the last 15 minutes: still a frame a minute.
    let frames = rig.idle_frames(Duration::from_secs(60 * 60));
    assert_eq!(frames, 60, "{frames} frames in an idle hour");
    rig.shows("49 min left");
    // In the last 15 minutes, a frame a second.
    rig.set_now(t(2 * 3600 - 10 * 60));
    let frames = rig.idle_frames(Duration::from_secs(60));
    assert!((59..=63).contains(&frames), "{frames} frames in a minute");
    rig.shows("00:09:00 left");
}

#[test]
fn sign_out_forgets_the_session_and_clears_our_clipboard() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.click("Copy export lines");
    rig.click("Sign out");
    assert!(rig.state().current().is_none());
    assert!(rig.state().sessions.list.is_empty());
    rig.hides("assumed-role/admin");
    let label = "Copy export lines";
    let copy = rig.h.query_by_role_and_label(Role::Button, label);
    assert!(copy.is_none(), "nothing left to copy");
    let fingerprint = rig.state().sessions.clipboard.map(|m| m.fingerprint);
    assert_eq!(fingerprint, None, "the deadline is dropped");
    // The worker is told to stop what still uses the session (a transfer, a listing) at once.
    expect_command!(
        rig,
        Command::Watch(Watch::Clipboard { .. }),
        Command::SignOut { name },
        Command::Watch(Watch::ClearClipboardNow { .. }) if name == "alice"
    );
    let watched = rig.watched();
    let last = watched.last();
    let stopped =
        matches!(last, Some(Watch::Sessions { sessions, shown: None }) if sessions.is_empty());
    assert!(stopped, "the supervisor stops watching: {watched:?}");
    assert_eq!(rig.input_value("MFA device"), MFA, "the form is kept");
}

#[test]
fn the_supervisor_is_told_every_session_and_the_one_on_screen() {
    // The warnings, the expiry and the clipboard run on the supervisor's timers (tested in
    // worker::supervisor, and minimized under Xvfb in scripts/e2e-xvfb); the window's part is to
    // tell it what it holds, at once and whenever that changes.
    let mut rig = Rig::signed_in(MFA_TOKEN);
    let watched = rig.watched();
    let alice = keyfob::message::Watched {
        name: "alice".into(),
        who: "admin/alice-admin".into(),
        expires_at: t(3600),
        renew_at: None,
    };
    let (sessions, shown) = (vec![alice], Some("alice".into()));
    let expected = Watch::Sessions { sessions, shown };
    assert_eq!(watched.last(), Some(&expected), "{watched:?}");
    rig.set_now(t(600));
    assert!(rig.watched().is_empty(), "nothing changed: nothing is sent");
    // A second session, restored from the keyring, is watched too while alice stays on screen.
    rig.reply(Event::Cache(Ok(contents(vec![named("bob", t(1800))]))));
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
    rig.shows("Use letters, digits");
    rig.expect_nothing_sent("a bad profile name");
    rig.type_into("Profile name", "mfa");
    rig.click("Show the change");
    let session = expect_command!(rig,
        Command::PlanProfileWrite { profile, session } if profile == "mfa" => session.clone());
    // Play the worker: read and plan for real.
    let file = keyfob::credfile::CredFile::read(&path).unwrap();
    let edit = file.plan("mfa", &session).unwrap();
    rig.reply(Event::ProfilePlanned(Ok((Box::new(file), Box::new(edit)))));
    rig.shows("Replace [mfa] in");
    rig.shows("aws_session_token = …(hidden)");
    assert!(!rig.all_text().contains(TOKEN), "masked in the preview");
    assert!(rig.button_disabled("Write profile"), "needs the tick");
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
    let debug = format!("{:?} {:#?}", rig.h.state(), rig.state());
    for secret in [SECRET, TOKEN] {
        assert!(!tree.contains(secret), "accessibility tree leaks a secret");
        assert!(!debug.contains(secret), "Debug leaks a secret");
    }
    // The ExternalId, which some teams treat as a shared secret, stays off disk too.
    rig.h.state_mut().state.sign_in.form.fields.external_id = "tenant-42".into();
    let mut storage = MemStorage::default();
    eframe::App::save(rig.h.state_mut(), &mut storage);
    let saved = storage.0.get(keyfob::app::PREFS_KEY).expect("prefs saved");
    assert!(saved.contains("alice"), "prefs are saved: {saved}");
    for secret in [SECRET, TOKEN, "123456\"", "tenant-42"] {
        assert!(!saved.contains(secret), "{secret:?} saved in {saved}");
    }
    let mut rig2 = Rig::with_storage(Some(saved.clone())); // the next start
    assert_eq!(rig2.input_value("MFA device"), MFA, "prefs restored");
}

#[test]
fn a_long_identity_is_shown_and_read_in_full() {
    // An IAM Identity Center role's ARN: longer than the window is wide.
    let long = "arn:aws:sts::123456789012:assumed-role/\
                AWSReservedSSO_PlatformEngineeringAdministratorAccess_0123456789abcdef/\
                alice.with-a-long-name@example.com";
    let mut s = session(assumed_role(), t(3600));
    s.identity.as_mut().unwrap().arn = long.into();
    let mut rig = Rig::with_profiles();
    rig.select_profile("alice");
    rig.sign_in_with("123456", s);
    rig.h.run();
    // The accessible name is the whole ARN, not an elided one.
    let node = rig.h.get_by_label(long);
    let width = f64::from(SIZE[0]);
    let bounds = node
        .accesskit_node()
        .bounding_box()
        .expect("the ARN has bounds");
    assert!(
        bounds.x1 <= width,
        "the ARN runs out of the {width} px window: {bounds:?}"
    );
    let elided = rig.h.query_all_by_label_contains("assumed-role/");
    let elided: Vec<_> = elided
        .filter_map(|n| n.accesskit_node().label())
        .filter(|l| l.contains('…'))
        .collect();
    assert!(elided.is_empty(), "elided identities: {elided:?}");
}
