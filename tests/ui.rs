//! The window driven through egui_kittest by AccessKit role and label: profiles fill the form,
//! every bad input shows its message and sends nothing, sign-in, the countdown at injected times,
//! export copying and clipboard clearing, failures, stale answers, sign-out, and no secret in the
//! accessibility tree, `Debug` output or the persistence file.
//!
//! The worker is replaced by channels here (the test plays the worker), except in
//! `the_ui_stays_responsive_while_a_server_hangs`, which runs the real worker.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyfob::app::{KeyfobApp, PREFS_KEY};
use keyfob::aws::errors::{AwsError, ErrorKind};
use keyfob::aws::profiles::{ProfileInfo, Profiles};
use keyfob::aws::sts::{DetectedMfa, Flow};
use keyfob::message::{BrowseCommand, Command, Event, Watch, Watched};
use keyfob::secret::Secret;
use keyfob::session::{Credentials, Identity, Session, SessionKind};
use keyfob::worker::Channels;

const MFA: &str = "arn:aws:iam::123456789012:mfa/alice";
const ROLE: &str = "arn:aws:iam::123456789012:role/admin";
const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYzSECRETKEY01";
const TOKEN: &str = "FwoGZXIvYXdzELrTOKENTOKENTOKENTOKENTOKEN0123456789";
/// 2026-11-22T12:00:00Z
const T0: u64 = 1_795_348_800;

struct Rig {
    h: Harness<'static, KeyfobApp>,
    commands: Receiver<Command>,
    events: Sender<Event>,
    now: Arc<Mutex<SystemTime>>,
    watched: std::cell::RefCell<Vec<Watch>>,
}

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + secs)
}

impl Rig {
    fn new() -> Self {
        Self::with_storage(None)
    }

    fn with_storage(prefs: Option<String>) -> Self {
        let (cmd_tx, cmd_rx) = channel();
        let (ev_tx, ev_rx) = channel();
        let now = Arc::new(Mutex::new(t(0)));
        let clock_now = Arc::clone(&now);
        let h = Harness::builder()
            .with_size([1200.0, 1000.0])
            .build_eframe(move |cc| {
                if let Some(p) = prefs {
                    let mut s = MemStorage::default();
                    s.0.insert(PREFS_KEY.to_owned(), p);
                    cc.storage = Some(Box::leak(Box::new(s)));
                }
                KeyfobApp::new(
                    cc,
                    Channels {
                        commands: cmd_tx,
                        events: ev_rx,
                    },
                    Arc::new(move || *clock_now.lock().unwrap()),
                )
            });
        let mut rig = Self {
            h,
            commands: cmd_rx,
            events: ev_tx,
            now,
            watched: std::cell::RefCell::default(),
        };
        rig.h.run();
        assert!(
            matches!(
                rig.sent().as_slice(),
                [Command::LoadProfiles, Command::LoadCache]
            ),
            "the app asks for profiles and the keyring's contents at start"
        );
        rig
    }

    fn with_profiles() -> Self {
        let rig = Self::new();
        rig.events.send(Event::Profiles(Ok(profiles()))).unwrap();
        let mut rig = rig;
        rig.h.run();
        rig
    }

    fn set_now(&mut self, at: SystemTime) {
        *self.now.lock().unwrap() = at;
        self.settle();
    }

    /// The commands sent since the last look, but for the session lists the window hands the
    /// supervisor (kept for [`Rig::watched`]).
    fn sent(&self) -> Vec<Command> {
        let mut out = Vec::new();
        for c in self.commands.try_iter() {
            match c {
                Command::Watch(w @ Watch::Sessions { .. }) => self.watched.borrow_mut().push(w),
                c => out.push(c),
            }
        }
        out
    }

    /// The session lists handed to the supervisor since the last look.
    fn watched(&self) -> Vec<Watch> {
        let _ = self.sent();
        std::mem::take(&mut *self.watched.borrow_mut())
    }

    /// The one command sent since the last look, which must be a sign-in.
    fn take_sign_in(&self) -> (keyfob::message::RequestId, keyfob::aws::sts::SignInRequest) {
        match self.sent().as_slice() {
            [Command::SignIn { id, request }] => (*id, (**request).clone()),
            other => panic!("expected one sign-in, got {other:?}"),
        }
    }

    fn input_value(&self, label: &str) -> String {
        self.h
            .get_by_role_and_label(Role::TextInput, label)
            .value()
            .unwrap_or_default()
    }

    fn clear_and_type(&mut self, label: &str, text: &str) {
        self.h.get_by_role_and_label(Role::TextInput, label).focus();
        self.h.run();
        self.h
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.h.key_press(egui::Key::Backspace);
        self.h
            .get_by_role_and_label(Role::TextInput, label)
            .type_text(text);
        self.settle();
    }

    /// Runs frames until the UI settles; while a request is pending the spinner repaints
    /// continuously, so then only a few frames are run.
    fn type_secret(&mut self, text: &str) {
        let field = || (Role::PasswordInput, "Secret access key");
        self.h.get_by_role_and_label(field().0, field().1).focus();
        self.h.run();
        self.h
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.h.key_press(egui::Key::Backspace);
        self.h
            .get_by_role_and_label(field().0, field().1)
            .type_text(text);
        self.settle();
    }

    fn settle(&mut self) {
        self.h.run_steps(2);
        let st = &self.h.state().state;
        let busy = st.sign_in.pending.is_some()
            || (st.browser.shown
                && (st.browser.buckets_id.is_some() || st.browser.list_id.is_some()));
        if !busy {
            self.h.run();
        }
    }

    /// Presses a shortcut as one key event, so the frame that handles it is the one whose output
    /// the harness keeps (it runs a frame per queued event).
    fn shortcut_frame(&mut self, modifiers: egui::Modifiers, key: egui::Key) {
        self.h.event(egui::Event::Key {
            key,
            pressed: true,
            modifiers,
            repeat: false,
            physical_key: None,
        });
        self.h.step();
    }

    fn has_text(&self, needle: &str) -> bool {
        self.h.query_all_by_label_contains(needle).next().is_some()
    }

    /// Every label and value in the accessibility tree.
    fn all_text(&self) -> String {
        let mut out = String::new();
        for node in self.h.root().children_recursive() {
            let n = node.accesskit_node();
            out.push_str(&n.label().unwrap_or_default());
            out.push('\n');
            out.push_str(&n.value().unwrap_or_default());
            out.push('\n');
        }
        out
    }

    fn signed_in(kind: SessionKind) -> Self {
        let mut rig = Self::with_profiles();
        rig.h.state_mut().state.select_profile("alice");
        rig.h.run();
        rig.clear_and_type("MFA code", "123456");
        let (id, request) = rig.take_sign_in();
        let mut s = session(kind, t(3600));
        s.name = request.name;
        s.origin = request.origin;
        rig.events
            .send(Event::SignedIn {
                id,
                result: Ok(Box::new(s)),
            })
            .unwrap();
        rig.h.run();
        rig
    }
}

#[derive(Default)]
struct MemStorage(HashMap<String, String>);

impl eframe::Storage for MemStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

fn profiles() -> Profiles {
    Profiles {
        list: vec![
            ProfileInfo {
                name: "admin".into(),
                mfa_serial: Some(MFA.into()),
                role_arn: Some(ROLE.into()),
                source_profile: Some("alice".into()),
                external_id: Some("tenant-42".into()),
                role_session_name: Some("alice-admin".into()),
                duration_seconds: Some("7200".into()),
                region: Some("eu-west-1".into()),
                has_keys: false,
            },
            ProfileInfo {
                name: "alice".into(),
                mfa_serial: Some(MFA.into()),
                region: Some("us-east-1".into()),
                has_keys: true,
                ..ProfileInfo::default()
            },
        ],
        selected: Some("admin".into()),
    }
}

fn session(kind: SessionKind, expires_at: SystemTime) -> Session {
    Session {
        name: "alice".into(),
        origin: keyfob::session::SignInFields::default(),
        credentials: Credentials {
            access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
            secret_access_key: Secret::new(SECRET),
            session_token: Some(Secret::new(TOKEN)),
        },
        issued_at: t(0),
        expires_at,
        identity: Some(Identity {
            account: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/admin/alice-admin".into(),
            user_id: "AROAEXAMPLE:alice-admin".into(),
        }),
        source_identity: Some(Identity {
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            user_id: "AIDAEXAMPLE".into(),
        }),
        kind,
        region: Some("eu-west-1".into()),
    }
}

#[test]
fn aws_profile_is_preselected_and_fills_every_field() {
    let mut rig = Rig::with_profiles();
    assert_eq!(rig.input_value("MFA device"), MFA);
    assert_eq!(rig.input_value("Role ARN"), ROLE);
    assert_eq!(rig.input_value("Session name"), "alice-admin");
    assert_eq!(rig.input_value("ExternalId"), "tenant-42");
    assert_eq!(rig.input_value("Duration"), "7200");
    assert_eq!(rig.input_value("Region"), "eu-west-1");
    assert_eq!(
        rig.h.state().state.sign_in.form.fields.source,
        keyfob::session::SourceChoice::Profile("alice".into()),
        "source_profile becomes the source"
    );
    // Fields stay editable.
    rig.clear_and_type("Region", "eu-central-1");
    assert_eq!(rig.input_value("Region"), "eu-central-1");
    // Choosing another profile through the combo box refills the form.
    rig.h
        .get_by_role_and_label(Role::ComboBox, "Profile")
        .click();
    rig.h.run();
    rig.h.get_by_label("alice  (MFA)").click();
    rig.h.run();
    assert_eq!(rig.input_value("Role ARN"), "");
    assert_eq!(rig.input_value("Region"), "us-east-1");
    assert!(rig.has_text("Will call: GetSessionToken with your MFA code"));
}

/// (field, typed value, message part, whether the case has no role)
const BAD_INPUTS: &[(&str, &str, &str, bool)] = &[
    (
        "MFA device",
        "arn:aws:iam::12345:mfa/alice",
        "expected arn:aws:iam",
        false,
    ),
    (
        "MFA device",
        "arn:aws:iam::123456789012:user/alice",
        "should contain :mfa/",
        false,
    ),
    (
        "MFA device",
        "arn:aws:iam::123456789012:mfa/",
        "device name after mfa/",
        false,
    ),
    (
        "MFA device",
        "arn:aws:iam::123456789012:mfa/al ice",
        "device name after mfa/",
        false,
    ),
    ("MFA device", "GAHT 1234", "has no spaces", false),
    ("MFA device", "abc", "hardware serial", false),
    (
        "MFA device",
        "arn:aws:sts::123456789012:mfa/alice",
        "expected arn:aws:iam",
        false,
    ),
    ("Role ARN", "admin", "Not a role ARN", false),
    (
        "Role ARN",
        "arn:aws:iam::123456789012:user/admin",
        "should contain :role/",
        false,
    ),
    (
        "Role ARN",
        "arn:aws:iam::123456789012:role/",
        "role name after role/",
        false,
    ),
    (
        "Role ARN",
        "arn:aws:iam::1234567890123:role/a",
        "Not a role ARN",
        false,
    ),
    (
        "Role ARN",
        "arn:aws:iam::123456789012:role/a b",
        "role name after role/",
        false,
    ),
    ("Session name", "a", "2 to 64 characters", false),
    (
        "Session name",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "2 to 64 characters",
        false,
    ),
    ("Session name", "with space", "' ' is not allowed", false),
    ("Session name", "semi;colon", "';' is not allowed", false),
    ("Session name", "slash/name", "'/' is not allowed", false),
    ("ExternalId", "x", "2 to 1224 characters", false),
    ("ExternalId", "bad#id", "'#' is not allowed", false),
    ("ExternalId", "has space", "' ' is not allowed", false),
    ("Duration", "10", "at least 15 minutes", false),
    ("Duration", "abc", "Enter seconds", false),
    ("Duration", "1.5h", "Enter seconds", false),
    ("Duration", "-5", "Enter seconds", false),
    (
        "Duration",
        "50000",
        "A role session lasts at most 12 h",
        false,
    ),
    (
        "Duration",
        "37h",
        "A session token lasts at most 36 h",
        true,
    ),
    ("Duration", "99999999999", "far too long", false),
    ("Region", "useast1", "Not a region", false),
    ("Region", "US-EAST-1", "Not a region", false),
    ("Region", "us-east", "Not a region", false),
    ("Region", "eu_west_1", "Not a region", false),
    ("Region", "us-east-1a", "Not a region", false),
];

#[test]
fn every_bad_input_shows_its_message_and_sends_nothing() {
    assert!(BAD_INPUTS.len() >= 30);
    let mut rig = Rig::with_profiles();
    for (field, value, message, no_role) in BAD_INPUTS {
        rig.h.state_mut().state.select_profile("admin");
        if *no_role {
            rig.h.state_mut().state.sign_in.form.fields.role_arn.clear();
        }
        rig.h.run();
        rig.clear_and_type(field, value);
        assert!(
            rig.has_text(message),
            "{field} = {value:?}: no message containing {message:?}"
        );
        // A full code would sign in by itself if the form were good: it must not.
        rig.clear_and_type("MFA code", "123456");
        let button = rig.h.get_by_role_and_label(Role::Button, "Sign in");
        assert!(
            button.accesskit_node().is_disabled(),
            "{field} = {value:?}: Sign in should be disabled"
        );
        button.click();
        rig.h.run();
        assert!(
            rig.has_text("Sign in is unavailable until"),
            "the button says why"
        );
        let sent = rig.sent();
        assert!(sent.is_empty(), "{field} = {value:?} sent {sent:?}");
    }
    // And the code itself: five digits and Enter.
    rig.h.state_mut().state.select_profile("alice");
    rig.h.run();
    rig.clear_and_type("MFA code", "12345");
    rig.h.key_press(egui::Key::Enter);
    rig.h.run();
    assert!(rig.has_text("The code has 6 digits (5 so far)"));
    assert!(rig.sent().is_empty());
}

#[test]
fn the_code_field_takes_a_pasted_code_and_signs_in_on_the_sixth_digit() {
    let mut rig = Rig::with_profiles();
    rig.clear_and_type("MFA code", "12 34");
    assert_eq!(rig.input_value("MFA code"), "1234", "spaces are stripped");
    assert!(rig.sent().is_empty());
    rig.h
        .get_by_role_and_label(Role::TextInput, "MFA code")
        .type_text("5x6");
    rig.h.run_steps(2);
    assert_eq!(rig.input_value("MFA code"), "123456", "letters are dropped");
    let (_, request) = rig.take_sign_in();
    let Flow::AssumeRole { role, mfa } = &request.flow else {
        panic!("{:?}", request.flow)
    };
    assert_eq!(role.role_arn, ROLE);
    assert_eq!(role.external_id.as_deref(), Some("tenant-42"));
    let mfa = mfa.as_ref().expect("mfa");
    assert_eq!((mfa.serial.as_str(), mfa.code.as_str()), (MFA, "123456"));
    assert_eq!(request.duration, Some(7200));
    assert_eq!(request.region.as_deref(), Some("eu-west-1"));
    // While it runs the button shows progress and cannot be pressed twice.
    let busy = rig.h.get_by_role_and_label(Role::Button, "Signing in…");
    assert!(busy.accesskit_node().is_disabled());
    busy.click();
    rig.h.run_steps(3);
    rig.h.key_press(egui::Key::Enter);
    rig.h.run_steps(3);
    assert!(rig.sent().is_empty(), "no second request while one runs");
}

#[test]
fn signed_in_shows_identity_and_a_countdown_that_changes_colour_band_and_expires() {
    let mut rig = Rig::signed_in(SessionKind::AssumedRole {
        role_arn: ROLE.into(),
        mfa: true,
    });
    assert!(rig.has_text("arn:aws:sts::123456789012:assumed-role/admin/alice-admin"));
    assert!(
        rig.has_text("arn:aws:iam::123456789012:user/alice"),
        "source identity shown"
    );
    assert!(rig.has_text("ASIAEXAMPLEEXAMPLE01"), "access key id shown");
    assert!(rig.has_text("01:00:00 left"));
    let title = |rig: &Rig| rig.h.state().state.title(*rig.now.lock().unwrap());
    assert_eq!(title(&rig), "keyfob — 1 h left");
    // Repaints once a second, not every frame.
    rig.set_now(t(1) + Duration::from_millis(300));
    let delay = rig.h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    assert!(
        delay > Duration::from_millis(500) && delay <= Duration::from_millis(1010),
        "{delay:?}"
    );
    assert!(rig.has_text("00:59:58 left"));
    assert_eq!(
        title(&rig),
        "keyfob — 59 min left",
        "the title counts whole minutes"
    );
    rig.set_now(t(3600 - 14 * 60));
    assert!(rig.has_text("00:14:00 left"));
    assert_eq!(
        rig.h
            .state()
            .state
            .current()
            .unwrap()
            .urgency(t(3600 - 14 * 60)),
        keyfob::session::Urgency::Soon
    );
    rig.set_now(t(3600 - 4 * 60));
    assert!(rig.has_text("00:04:00 left"));
    assert_eq!(title(&rig), "keyfob — 4 min left");
    rig.set_now(t(3600 - 30));
    assert_eq!(title(&rig), "keyfob — under a minute left");
    rig.set_now(t(3600));
    assert!(rig.has_text("Expired: keyfob no longer uses this session"));
    assert_eq!(title(&rig), "keyfob — session expired");
    assert!(
        rig.h
            .get_by_role_and_label(Role::Button, "Copy export lines")
            .accesskit_node()
            .is_disabled()
    );
    rig.shortcut_frame(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::C,
    );
    assert!(
        !copied_texts(&rig).iter().any(|t| t.contains(SECRET)),
        "an expired session is never exported"
    );
    // Renew keeps the fields and asks for a new code.
    rig.h.get_by_role_and_label(Role::Button, "Renew").click();
    rig.h.run();
    assert!(rig.has_text("Enter a new code to renew the session"));
    assert_eq!(rig.input_value("Region"), "us-east-1");
    assert!(
        rig.h
            .get_by_role_and_label(Role::TextInput, "MFA code")
            .is_focused()
    );
}

fn copied_texts(rig: &Rig) -> Vec<String> {
    rig.h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn copy_exports_in_the_chosen_format_then_the_clipboard_is_cleared() {
    let mut rig = Rig::signed_in(SessionKind::SessionToken { mfa: true });
    rig.h
        .get_by_role_and_label(Role::ComboBox, "Format")
        .click();
    rig.h.run();
    rig.h.get_by_label("fish").click();
    rig.h.run();
    assert!(
        !rig.all_text().contains(SECRET),
        "the preview masks the secret"
    );
    assert!(
        rig.has_text("set -gx AWS_ACCESS_KEY_ID 'ASIAEXAMPLEEXAMPLE01'"),
        "preview shows the lines"
    );
    rig.h
        .get_by_role_and_label(Role::Button, "Copy export lines")
        .click();
    rig.h.step();
    let copied = copied_texts(&rig);
    let [text] = copied.as_slice() else {
        panic!("{copied:?}")
    };
    assert!(
        text.starts_with("set -gx AWS_ACCESS_KEY_ID 'ASIAEXAMPLEEXAMPLE01'\n"),
        "{text}"
    );
    assert!(text.contains(&format!("set -gx AWS_SECRET_ACCESS_KEY '{SECRET}'\n")));
    assert!(text.contains(&format!("set -gx AWS_SESSION_TOKEN '{TOKEN}'\n")));
    assert!(text.contains("set -gx AWS_REGION 'eu-west-1'\n"));
    assert!(text.contains("set -gx AWS_DEFAULT_REGION 'eu-west-1'\n"));
    assert!(text.contains("set -gx AWS_CREDENTIAL_EXPIRATION '2026-11-22T13:00:00Z'\n"));
    rig.h.run();
    assert!(rig.has_text("clipboard is cleared in 60 s"));
    // The supervisor clears it on time (its timers are tested in worker::supervisor).
    let cmds = rig.sent();
    let [
        Command::Watch(Watch::Clipboard {
            fingerprint,
            clear_at,
        }),
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*fingerprint, keyfob::clipboard::fingerprint(text));
    assert_eq!(*clear_at, t(60), "60 s after the copy");
    // Ctrl+Shift+C copies too.
    rig.shortcut_frame(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::C,
    );
    assert_eq!(
        copied_texts(&rig).len(),
        1,
        "status: {:?}",
        rig.h.state().state.status
    );
}

#[test]
fn sign_out_forgets_the_session_and_clears_our_clipboard() {
    let mut rig = Rig::signed_in(SessionKind::SessionToken { mfa: true });
    rig.h
        .get_by_role_and_label(Role::Button, "Copy export lines")
        .click();
    rig.h.run();
    rig.h
        .get_by_role_and_label(Role::Button, "Sign out")
        .click();
    rig.h.run();
    assert!(rig.h.state().state.current().is_none());
    assert!(rig.h.state().state.sessions.list.is_empty());
    assert!(!rig.has_text("assumed-role/admin"));
    assert!(
        rig.h
            .query_by_role_and_label(Role::Button, "Copy export lines")
            .is_none()
    );
    let fingerprint = rig
        .h
        .state()
        .state
        .sessions
        .clipboard
        .map(|m| m.fingerprint);
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
fn a_rejected_code_keeps_the_form_and_offers_details() {
    let mut rig = Rig::with_profiles();
    rig.clear_and_type("MFA code", "123456");
    let (id, _) = rig.take_sign_in();
    let err = AwsError {
        kind: ErrorKind::MfaRejected,
        message: "That code was rejected — wait for the next one".into(),
        detail: "AccessDenied (HTTP 403): MultiFactorAuthentication failed".into(),
    };
    rig.events
        .send(Event::SignedIn {
            id,
            result: Err(err),
        })
        .unwrap();
    rig.h.run();
    assert!(rig.has_text("That code was rejected — wait for the next one"));
    assert!(
        rig.h
            .get_by_role_and_label(Role::TextInput, "MFA code")
            .is_focused(),
        "ready for the next code"
    );
    assert!(
        !rig.has_text("MultiFactorAuthentication failed"),
        "detail folded"
    );
    rig.h
        .get_by_role_and_label(Role::Button, "Show details")
        .click();
    rig.h.run();
    assert!(rig.has_text("AccessDenied (HTTP 403): MultiFactorAuthentication failed"));
    assert_eq!(rig.input_value("Role ARN"), ROLE);
    assert_eq!(rig.input_value("ExternalId"), "tenant-42");
    assert_eq!(
        rig.input_value("MFA code"),
        "",
        "a rejected code is cleared: codes are single-use"
    );
}

#[test]
fn a_network_failure_keeps_even_the_code() {
    let mut rig = Rig::with_profiles();
    rig.clear_and_type("MFA code", "123456");
    let (id, _) = rig.take_sign_in();
    let err = AwsError::new(
        ErrorKind::Unreachable,
        "Could not reach AWS; check your network (or AWS_ENDPOINT_URL)",
    );
    rig.events
        .send(Event::SignedIn {
            id,
            result: Err(err),
        })
        .unwrap();
    rig.h.run();
    assert!(rig.has_text("Could not reach AWS"));
    assert_eq!(rig.input_value("MFA code"), "123456");
    // Retrying with the same code works from the button.
    rig.h.get_by_role_and_label(Role::Button, "Sign in").click();
    rig.h.run_steps(2);
    assert!(matches!(rig.sent().as_slice(), [Command::SignIn { .. }]));
}

#[test]
fn cancel_drops_the_answer_and_a_newer_request_wins() {
    let mut rig = Rig::with_profiles();
    rig.clear_and_type("MFA code", "123456");
    let first = match rig.sent().as_slice() {
        [Command::SignIn { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    rig.h.key_press(egui::Key::Escape);
    rig.h.run();
    assert!(matches!(rig.sent().as_slice(), [Command::Cancel { id }] if *id == first));
    rig.h.get_by_role_and_label(Role::Button, "Sign in").click();
    rig.h.run_steps(2);
    let second = match rig.sent().as_slice() {
        [Command::SignIn { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    assert_ne!(first, second);
    rig.events
        .send(Event::SignedIn {
            id: first,
            result: Ok(Box::new(session(
                SessionKind::SessionToken { mfa: true },
                t(900),
            ))),
        })
        .unwrap();
    rig.h.run_steps(2);
    assert!(
        rig.h.state().state.current().is_none(),
        "the stale answer is dropped"
    );
    rig.events
        .send(Event::SignedIn {
            id: second,
            result: Ok(Box::new(session(
                SessionKind::AssumedRole {
                    role_arn: ROLE.into(),
                    mfa: true,
                },
                t(3600),
            ))),
        })
        .unwrap();
    rig.h.run();
    assert!(rig.has_text("01:00:00 left"));
}

#[test]
fn chaining_needs_no_code_and_offers_the_direct_flow_above_one_hour() {
    let mut rig = Rig::signed_in(SessionKind::SessionToken { mfa: true });
    assert!(
        rig.h.state().state.chainable(t(0)).is_some(),
        "an MFA session can chain"
    );
    rig.h.state_mut().state.select_profile("admin");
    rig.h.run();
    assert!(rig.has_text("Will call: AssumeRole from your MFA session"));
    // 7200 s from the profile is over the 1 h chaining cap.
    assert!(rig.has_text("AWS caps a role assumed from an MFA session at 1 hour"));
    assert!(
        rig.h
            .get_by_role_and_label(Role::Button, "Sign in")
            .accesskit_node()
            .is_disabled()
    );
    rig.clear_and_type("Duration", "3600");
    rig.h.get_by_role_and_label(Role::Button, "Sign in").click();
    rig.h.run_steps(2);
    let (_, request) = rig.take_sign_in();
    assert!(matches!(&request.flow, Flow::Chained { role, .. } if role.role_arn == ROLE));
    rig.h.key_press(egui::Key::Escape);
    rig.h.run();
    rig.sent();
    // Longer than an hour: take the offered direct flow, which wants a code.
    rig.clear_and_type("Duration", "2h");
    rig.h
        .get_by_role_and_label(
            Role::Button,
            "Assume the role directly with a new code instead",
        )
        .click();
    rig.h.run();
    assert!(rig.has_text("Will call: AssumeRole with your MFA code"));
    rig.clear_and_type("MFA code", "654321");
    let (_, request) = rig.take_sign_in();
    assert!(matches!(&request.flow, Flow::AssumeRole { mfa: Some(m), .. } if m.code == "654321"));
    assert_eq!(request.duration, Some(7200));
}

#[test]
fn detect_fills_the_device_and_marks_a_guess() {
    let mut rig = Rig::with_profiles();
    rig.h.state_mut().state.select_profile("alice");
    rig.clear_and_type("MFA device", "");
    rig.h.get_by_role_and_label(Role::Button, "Detect").click();
    rig.h.run_steps(2);
    let cmds = rig.sent();
    let [Command::DetectMfa { id, source, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        *source,
        keyfob::aws::SourceCredentials::Profile("alice".into())
    );
    rig.events
        .send(Event::MfaDetected {
            id: *id,
            result: Ok(DetectedMfa {
                serial: "arn:aws:iam::123456789012:mfa/bob".into(),
                guessed: true,
            }),
        })
        .unwrap();
    rig.h.run();
    assert_eq!(
        rig.input_value("MFA device"),
        "arn:aws:iam::123456789012:mfa/bob"
    );
    assert!(rig.has_text("Guessed from your user name: check it"));
}

#[test]
fn no_secret_in_the_ui_tree_debug_output_or_persistence() {
    let mut rig = Rig::signed_in(SessionKind::SessionToken { mfa: true });
    rig.h
        .get_by_role_and_label(Role::Button, "Copy export lines")
        .click();
    rig.h.run();
    let tree = rig.all_text();
    assert!(tree.contains("ASIAEXAMPLEEXAMPLE01"));
    assert!(
        !tree.contains(SECRET) && !tree.contains(TOKEN),
        "accessibility tree leaks a secret"
    );
    let debug = format!("{:?} {:#?}", rig.h.state(), rig.h.state().state);
    assert!(
        !debug.contains(SECRET) && !debug.contains(TOKEN),
        "Debug leaks a secret"
    );
    // The ExternalId, which some teams treat as a shared secret, stays off disk too.
    rig.h.state_mut().state.sign_in.form.fields.external_id = "tenant-42".into();
    let mut storage = MemStorage::default();
    eframe::App::save(rig.h.state_mut(), &mut storage);
    let saved = storage.0.get(PREFS_KEY).expect("prefs saved").clone();
    assert!(saved.contains("alice"), "prefs are saved: {saved}");
    assert!(
        !saved.contains(SECRET)
            && !saved.contains(TOKEN)
            && !saved.contains("123456\"")
            && !saved.contains("tenant-42"),
        "{saved}"
    );
    // And they come back on the next start.
    let rig2 = Rig::with_storage(Some(saved));
    assert_eq!(rig2.input_value("MFA device"), MFA);
}

#[test]
fn the_ui_stays_responsive_while_a_server_hangs() {
    use common::fake::{Behaviour, FakeServer};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeServer::start(Behaviour::Silent));
    let mut env = keyfob::aws::AwsEnv {
        endpoint_url: Some(server.url.clone()),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    env.profile_files.config = Some(dir.path().join("config"));
    env.profile_files.credentials = Some(dir.path().join("credentials"));
    std::fs::write(
        dir.path().join("credentials"),
        "[hang]\naws_access_key_id = AKIAHANGHANGHANGHANG\naws_secret_access_key = x\n",
    )
    .unwrap();
    let now = Arc::new(Mutex::new(t(0)));
    let clock = Arc::clone(&now);
    let clock2 = Arc::clone(&now);
    let mut h = Harness::builder()
        .with_size([1200.0, 1000.0])
        .build_eframe(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let channels = keyfob::worker::spawn(
                env,
                Err(keyfob::keystore::KeystoreError::Unavailable(
                    "not used here".into(),
                )),
                keyfob::worker::Ports {
                    waker: Arc::new(move || ctx.request_repaint()),
                    clock: Arc::new(move || *clock.lock().unwrap()),
                    ..keyfob::worker::Ports::headless()
                },
            )
            .expect("worker");
            KeyfobApp::new(cc, channels, Arc::new(move || *clock2.lock().unwrap()))
        });
    h.run_steps(5);
    h.state_mut().state.sign_in.form.fields.source =
        keyfob::session::SourceChoice::Profile("hang".into());
    h.state_mut().state.sign_in.form.fields.mfa_serial = MFA.into();
    h.state_mut().state.sign_in.form.code = "123456".into();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Sign in").click();
    // Frames keep coming while the request hangs: the UI thread never waits for the network.
    for _ in 0..30 {
        h.step();
    }
    assert!(
        h.query_by_role_and_label(Role::Button, "Signing in…")
            .is_some()
    );
    h.key_press(egui::Key::Escape);
    h.run_steps(3);
    assert!(h.state().state.sign_in.pending.is_none());
    assert!(h.query_by_role_and_label(Role::Button, "Sign in").is_some());
    assert_eq!(
        h.state().state.sign_in.form.fields.mfa_serial,
        MFA,
        "the form is kept"
    );
    drop(server);
}

/// The label of the focused widget.
fn focused_label(rig: &Rig) -> Option<String> {
    rig.h
        .root()
        .children_recursive()
        .find(|n| n.accesskit_node().is_focused())
        .and_then(|n| n.accesskit_node().label())
}

#[test]
fn tab_reaches_every_field_in_reading_order() {
    let mut rig = Rig::with_profiles();
    let mut order = Vec::new();
    for _ in 0..12 {
        rig.h.key_press(egui::Key::Tab);
        rig.h.run();
        order.push(focused_label(&rig).unwrap_or_else(|| "(nothing)".to_owned()));
    }
    assert_eq!(
        order,
        [
            "Profile",
            "Source credentials",
            "MFA device",
            "Detect",
            "Role ARN",
            "Session name",
            "ExternalId",
            "Duration",
            "Region",
            "MFA code",
            "Long-term keys in the keyring",
            "About keyfob",
        ]
    );
}

#[test]
fn arrow_keys_change_the_focused_profile() {
    let mut rig = Rig::with_profiles();
    assert_eq!(
        rig.h.state().state.sign_in.form.fields.profile.as_deref(),
        Some("admin")
    );
    rig.h.key_press(egui::Key::Tab);
    rig.h.run();
    assert_eq!(focused_label(&rig).as_deref(), Some("Profile"));
    rig.h.key_press(egui::Key::ArrowDown);
    rig.h.run();
    assert_eq!(
        rig.h.state().state.sign_in.form.fields.profile.as_deref(),
        Some("alice")
    );
    assert_eq!(rig.input_value("Role ARN"), "");
    assert_eq!(
        focused_label(&rig).as_deref(),
        Some("Profile"),
        "focus stays"
    );
    rig.h.key_press(egui::Key::ArrowDown);
    rig.h.run();
    assert_eq!(
        rig.h.state().state.sign_in.form.fields.profile.as_deref(),
        Some("alice"),
        "stops at the end"
    );
    rig.h.key_press(egui::Key::ArrowUp);
    rig.h.run();
    assert_eq!(
        rig.h.state().state.sign_in.form.fields.profile.as_deref(),
        Some("admin")
    );
    assert_eq!(rig.input_value("Role ARN"), ROLE);
}

#[test]
fn f5_reloads_profiles_and_about_shows_version_and_licence() {
    let mut rig = Rig::with_profiles();
    rig.h.key_press(egui::Key::F5);
    rig.h.run();
    assert!(matches!(rig.sent().as_slice(), [Command::LoadProfiles]));
    assert!(rig.has_text("Reloading your AWS profiles"));
    rig.h
        .get_by_role_and_label(Role::Button, "About keyfob")
        .click();
    rig.h.run();
    assert!(rig.has_text(concat!("keyfob ", env!("CARGO_PKG_VERSION"))));
    assert!(rig.has_text("Licence: MIT"));
    rig.h.get_by_role_and_label(Role::Button, "Close").click();
    rig.h.run();
    assert!(!rig.has_text("Licence: MIT"));
}

fn contents(sessions: Vec<Session>) -> keyfob::keystore::Contents {
    keyfob::keystore::Contents {
        sessions,
        keys: vec![keyfob::keystore::KeyInfo {
            name: "work".into(),
            access_key_id: "AKIAEXAMPLEEXAMPLE01".into(),
        }],
        problems: vec![
            "A keyring entry of keyfob is damaged (not a session or key record) and was ignored"
                .into(),
        ],
    }
}

fn named(name: &str, arn: &str, expires_at: SystemTime) -> Session {
    let mut s = session(SessionKind::SessionToken { mfa: true }, expires_at);
    s.name = name.into();
    s.identity.as_mut().unwrap().arn = arn.into();
    s
}

#[test]
fn live_sessions_are_restored_from_the_keyring_and_each_has_its_countdown() {
    let mut rig = Rig::with_profiles();
    rig.events
        .send(Event::Cache(Ok(contents(vec![
            named(
                "dev",
                "arn:aws:sts::123456789012:assumed-role/dev/a",
                t(7200),
            ),
            named(
                "prod",
                "arn:aws:sts::123456789012:assumed-role/prod/a",
                t(1800),
            ),
            // Within 5 minutes of expiry: counts as expired, dropped from the keyring too.
            named(
                "old",
                "arn:aws:sts::123456789012:assumed-role/old/a",
                t(240),
            ),
        ]))))
        .unwrap();
    rig.settle();
    let state = &rig.h.state().state;
    let names: Vec<&str> = state
        .sessions
        .list
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["dev", "prod"]);
    assert!(matches!(
        rig.sent().as_slice(),
        [Command::ForgetSession { name }] if name == "old"
    ));
    assert!(rig.has_text("Restored 2 live sessions from the keyring"));
    assert!(rig.has_text("02:00:00"), "dev's countdown in the list");
    assert!(rig.has_text("00:30:00"), "prod's countdown in the list");
    // A click shows the other session.
    assert!(rig.has_text("assumed-role/prod/a"));
    assert!(!rig.has_text("assumed-role/dev/a"));
    rig.h.get_by_label("dev").click();
    rig.settle();
    assert!(rig.has_text("assumed-role/dev/a"));
    assert_eq!(
        rig.h.state().state.sessions.selected.as_deref(),
        Some("dev")
    );
    rig.h.get_by_label("prod").click();
    rig.settle();
    assert!(rig.has_text("assumed-role/prod/a"));
    // Sign out forgets the shown one only, in the keyring too.
    rig.h
        .get_by_role_and_label(Role::Button, "Sign out")
        .click();
    rig.settle();
    let cmds = rig.sent();
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::ForgetSession { name } if name == "prod")),
        "{cmds:?}"
    );
    let names: Vec<String> = rig
        .h
        .state()
        .state
        .sessions
        .list
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(names, ["dev"]);
}

#[test]
fn a_new_session_is_kept_in_the_keyring_and_replaces_one_of_its_name() {
    let mut rig = Rig::with_profiles();
    rig.events
        .send(Event::Cache(Ok(contents(Vec::new()))))
        .unwrap();
    rig.settle();
    rig.h.state_mut().state.select_profile("alice");
    rig.h.run();
    for round in 0..2 {
        rig.clear_and_type("MFA code", "123456");
        let (id, request) = rig.take_sign_in();
        assert_eq!(request.name, "alice");
        let mut s = session(SessionKind::SessionToken { mfa: true }, t(3600 + round));
        s.name = request.name;
        rig.events
            .send(Event::SignedIn {
                id,
                result: Ok(Box::new(s)),
            })
            .unwrap();
        rig.settle();
        assert!(matches!(
            rig.sent().as_slice(),
            [Command::CacheSession { session }] if session.name == "alice"
        ));
    }
    assert_eq!(
        rig.h.state().state.sessions.list.len(),
        1,
        "renewed in place"
    );
}

#[test]
fn without_a_keyring_the_window_says_so_and_keeps_sessions_in_memory() {
    let mut rig = Rig::with_profiles();
    rig.events
        .send(Event::Cache(Err(
            keyfob::keystore::KeystoreError::Unavailable("there is no D-Bus session bus".into()),
        )))
        .unwrap();
    rig.settle();
    assert!(rig.has_text("No keyring is available"));
    assert!(rig.has_text("sessions are kept in memory only"));
    rig.h.state_mut().state.select_profile("alice");
    rig.h.run();
    rig.clear_and_type("MFA code", "123456");
    let (id, _) = rig.take_sign_in();
    rig.events
        .send(Event::SignedIn {
            id,
            result: Ok(Box::new(session(
                SessionKind::SessionToken { mfa: true },
                t(3600),
            ))),
        })
        .unwrap();
    rig.settle();
    assert!(rig.has_text("01:00:00 left"), "signed in all the same");
    assert!(
        rig.sent().is_empty(),
        "nothing is sent to a keyring that is not there"
    );
}

#[test]
fn the_supervisor_is_told_every_session_and_the_one_on_screen() {
    // The warnings, the expiry and the clipboard run on the supervisor's timers (tested in
    // worker::supervisor, and minimized under Xvfb in scripts/e2e-xvfb); the window's part is to
    // tell it what it holds, at once and whenever that changes.
    let mut rig = Rig::signed_in(SessionKind::SessionToken { mfa: true });
    let watched = rig.watched();
    let alice = Watched {
        name: "alice".into(),
        who: "admin/alice-admin".into(),
        expires_at: t(3600),
    };
    assert_eq!(
        watched.last(),
        Some(&Watch::Sessions {
            sessions: vec![alice.clone()],
            shown: Some("alice".into()),
        }),
        "{watched:?}"
    );
    rig.set_now(t(600));
    assert!(rig.watched().is_empty(), "nothing changed: nothing is sent");
    // A second session, restored from the keyring, is watched too while alice stays on screen.
    let mut bob = session(SessionKind::SessionToken { mfa: true }, t(1800));
    bob.name = "bob".into();
    rig.events
        .send(Event::Cache(Ok(keyfob::keystore::Contents {
            sessions: vec![bob],
            keys: Vec::new(),
            problems: Vec::new(),
        })))
        .unwrap();
    rig.settle();
    let watched = rig.watched();
    let Some(Watch::Sessions { sessions, shown }) = watched.last() else {
        panic!("{watched:?}")
    };
    assert_eq!(shown.as_deref(), Some("alice"));
    let names: Vec<&str> = sessions.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
}

#[test]
fn keys_form_checks_every_field_and_sends_only_good_keys() {
    let mut rig = Rig::with_profiles();
    rig.events
        .send(Event::Cache(Ok(contents(Vec::new()))))
        .unwrap();
    rig.settle();
    rig.h.get_by_label("Long-term keys in the keyring").click();
    rig.settle();
    assert!(rig.has_text("AKIAEXAMPLEEXAMPLE01"), "the list shows ids");
    let cases = [
        ("", "AKIAEXAMPLEEXAMPLE02", SECRET, "Give it a name"),
        (
            "bad name!",
            "AKIAEXAMPLEEXAMPLE02",
            SECRET,
            "Use letters, digits",
        ),
        ("w", "AKIA123", SECRET, "An access key id is AKIA or ASIA"),
        (
            "w",
            "akiaexampleexample02",
            SECRET,
            "An access key id is AKIA or ASIA",
        ),
        (
            "w",
            "AKIAEXAMPLEEXAMPLE02",
            "short",
            "A secret access key is 40",
        ),
        (
            "w",
            "AKIAEXAMPLEEXAMPLE02",
            "wJalrXUtnFEMIK7MDENGbPxRfiCYzSECRETKEY0!",
            "A secret access key is 40",
        ),
    ];
    for (name, id, secret, message) in cases {
        rig.clear_and_type("Key name", name);
        rig.clear_and_type("Access key id", id);
        rig.type_secret(secret);
        rig.h
            .get_by_role_and_label(Role::Button, "Store keys")
            .click();
        rig.settle();
        assert!(rig.has_text(message), "{name}/{id}: expected '{message}'");
        assert!(rig.sent().is_empty(), "{name}/{id} sent a request");
    }
    rig.clear_and_type("Key name", "personal");
    rig.clear_and_type("Access key id", "AKIAEXAMPLEEXAMPLE02");
    rig.type_secret(SECRET);
    rig.h
        .get_by_role_and_label(Role::Button, "Store keys")
        .click();
    rig.settle();
    let cmds = rig.sent();
    let [Command::SaveKey { key }] = cmds.as_slice() else {
        panic!("expected SaveKey, got {cmds:?}");
    };
    assert_eq!(key.name, "personal");
    assert_eq!(key.credentials.secret_access_key.expose(), SECRET);
    assert!(
        rig.h.state().state.key_form.secret.is_empty(),
        "the secret is wiped from the form"
    );
    assert!(!rig.all_text().contains(SECRET));
    rig.h.get_by_label("Remove work").click();
    rig.settle();
    assert!(matches!(rig.sent().as_slice(), [Command::DeleteKey { name }] if name == "work"));
}

#[test]
fn writing_a_profile_shows_the_change_first_and_long_term_keys_need_a_tick() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(
        &path,
        "[mfa]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = x\n",
    )
    .unwrap();
    let mut rig = Rig::signed_in(SessionKind::SessionToken { mfa: true });
    rig.sent();
    rig.h.get_by_label("Write into ~/.aws/credentials").click();
    rig.settle();
    rig.clear_and_type("Profile name", "bad name");
    rig.h
        .get_by_role_and_label(Role::Button, "Show the change")
        .click();
    rig.settle();
    assert!(rig.has_text("Use letters, digits"));
    assert!(rig.sent().is_empty());
    rig.clear_and_type("Profile name", "mfa");
    rig.h
        .get_by_role_and_label(Role::Button, "Show the change")
        .click();
    rig.settle();
    let cmds = rig.sent();
    let [Command::PlanProfileWrite { profile, session }] = cmds.as_slice() else {
        panic!("expected a plan, got {cmds:?}");
    };
    assert_eq!(profile, "mfa");
    // Play the worker: read and plan for real.
    let file = keyfob::credfile::CredFile::read(&path).unwrap();
    let edit = file.plan(profile, session).unwrap();
    rig.events
        .send(Event::ProfilePlanned(Ok((Box::new(file), Box::new(edit)))))
        .unwrap();
    rig.settle();
    assert!(rig.has_text("Replace [mfa] in"));
    assert!(rig.has_text("aws_session_token = …(hidden)"));
    assert!(
        !rig.all_text().contains(TOKEN),
        "the preview masks the token"
    );
    let write = rig.h.get_by_role_and_label(Role::Button, "Write profile");
    assert!(
        write.accesskit_node().is_disabled(),
        "long-term keys need the tick"
    );
    rig.h
        .get_by_label("Replace the long-term keys in this profile")
        .click();
    rig.settle();
    rig.h
        .get_by_role_and_label(Role::Button, "Write profile")
        .click();
    rig.settle();
    assert!(matches!(
        rig.sent().as_slice(),
        [Command::WriteProfile {
            confirm_long_term: true,
            ..
        }]
    ));
}

// ---- The S3 browser ----

use keyfob::aws::s3::{BucketInfo, ObjectDetails, ObjectEntry, Page};
use keyfob::message::BrowseEvent;

fn browse(rig: &Rig, e: BrowseEvent) {
    rig.events.send(Event::Browse(e)).unwrap();
}

fn obj(key: &str, size: u64) -> ObjectEntry {
    ObjectEntry {
        key: key.into(),
        size,
        modified: (T0 - 86_400) as i64,
        class: 1,
    }
}

/// Signed in, browser open, buckets listed; returns the rig.
fn browsing() -> Rig {
    let mut rig = Rig::signed_in(SessionKind::SessionToken { mfa: true });
    rig.sent();
    rig.h
        .get_by_role_and_label(Role::Button, "Browse S3")
        .click();
    rig.settle();
    let cmds = rig.sent();
    let [Command::Browse(BrowseCommand::ListBuckets { id, creds })] = cmds.as_slice() else {
        panic!("expected ListBuckets, got {cmds:?}");
    };
    assert_eq!(
        creds.credentials.access_key_id, "ASIAEXAMPLEEXAMPLE01",
        "the session's keys"
    );
    assert_eq!(
        (creds.session.as_str(), creds.expires_at),
        ("alice", t(3600)),
        "named and dated, so the worker can refuse them after the end"
    );
    browse(
        &rig,
        BrowseEvent::Buckets {
            id: *id,
            result: Ok(["reports", "logs", "archive-2019"]
                .iter()
                .enumerate()
                .map(|(i, n)| BucketInfo {
                    name: (*n).into(),
                    created: Some(t(i as u64)),
                    region: Some("us-east-1".into()),
                })
                .collect()),
        },
    );
    rig.settle();
    rig
}

/// Sends one page of a listing to the app, as the worker would.
fn send_page(
    rig: &Rig,
    id: u64,
    folders: Vec<String>,
    objects: Vec<ObjectEntry>,
    next: Option<String>,
) {
    browse(
        rig,
        BrowseEvent::Page {
            id,
            page: Page {
                folders,
                objects,
                next,
            },
        },
    );
}

fn take_list(rig: &Rig) -> (u64, String, String, Option<String>) {
    let cmds = rig.sent();
    let found = cmds.iter().find_map(|c| match c {
        Command::Browse(BrowseCommand::ListObjects {
            id,
            bucket,
            prefix,
            token,
            ..
        }) => Some((*id, bucket.clone(), prefix.clone(), token.clone())),
        _ => None,
    });
    found.unwrap_or_else(|| panic!("expected ListObjects, got {cmds:?}"))
}

#[test]
fn browse_buckets_folders_breadcrumbs_back_and_stale_pages() {
    let mut rig = browsing();
    assert!(rig.has_text("archive-2019"));
    // Each bucket shows its creation date and region.
    assert!(
        rig.has_text(&format!(
            "created {} UTC · us-east-1",
            keyfob::browse::short_time(T0 as i64 + 2)
        )),
        "{}",
        rig.all_text()
    );
    rig.clear_and_type("Filter buckets", "LOG");
    assert!(
        rig.has_text("logs") && !rig.has_text("archive-2019"),
        "bucket filter"
    );
    rig.h.get_by_label("logs").click();
    rig.settle();
    let (id, bucket, prefix, token) = take_list(&rig);
    assert_eq!(
        (bucket.as_str(), prefix.as_str(), token),
        ("logs", "", None)
    );
    send_page(
        &rig,
        id,
        vec!["app/".into()],
        vec![obj("README.txt", 1536)],
        None,
    );
    rig.settle();
    assert!(rig.has_text("All 1 object and 1 folder loaded"));
    assert!(rig.has_text("1.5 KiB"));
    // Keyboard: Down selects the first row (folders first), Enter opens it.
    rig.h.key_press(egui::Key::ArrowDown);
    rig.settle();
    rig.h.key_press(egui::Key::Enter);
    rig.settle();
    let (id2, _, prefix, _) = take_list(&rig);
    assert_eq!(prefix, "app/");
    // A late page for the folder the user left is dropped.
    send_page(&rig, id, vec![], vec![obj("stale.txt", 1)], None);
    // Pages stream in: the first is shown while more load; Stop keeps them; Continue goes on.
    send_page(
        &rig,
        id2,
        vec![],
        (0..50)
            .map(|i| obj(&format!("app/{i:03}.log"), i))
            .collect(),
        Some("token-1".into()),
    );
    rig.settle();
    assert!(!rig.has_text("stale.txt"));
    assert!(rig.has_text("Loaded 50 objects and 0 folders so far…"));
    rig.h.get_by_role_and_label(Role::Button, "Stop").click();
    rig.settle();
    assert!(matches!(rig.sent().as_slice(), [Command::Cancel { id }] if *id == id2));
    assert!(rig.has_text("Stopped after 50 rows"));
    rig.h
        .get_by_role_and_label(Role::Button, "Continue")
        .click();
    rig.settle();
    let (_, _, prefix, token) = take_list(&rig);
    assert_eq!(
        (prefix.as_str(), token.as_deref()),
        ("app/", Some("token-1"))
    );
    // Breadcrumbs and Back.
    rig.h.get_by_label("s3://logs/").click();
    rig.settle();
    let (_, _, prefix, _) = take_list(&rig);
    assert_eq!(prefix, "");
    rig.h.get_by_role_and_label(Role::Button, "Back").click();
    rig.settle();
    let (_, _, prefix, _) = take_list(&rig);
    assert_eq!(prefix, "app/");
}

#[test]
fn filter_sort_details_presign_and_uri() {
    let mut rig = browsing();
    rig.h.get_by_label("reports").click();
    rig.settle();
    let (id, ..) = take_list(&rig);
    send_page(
        &rig,
        id,
        vec!["2026/".into()],
        vec![
            obj("Summary.PDF", 300),
            obj("details.csv", 20),
            obj("a b+c%.txt", 5000),
        ],
        None,
    );
    rig.settle();
    rig.clear_and_type("Filter", "pdf");
    assert!(rig.has_text("Summary.PDF") && !rig.has_text("details.csv"));
    assert!(!rig.has_text("2026/"));
    rig.clear_and_type("Filter", "");
    // Sort by size, largest first: folders stay on top.
    rig.h.get_by_role_and_label(Role::Button, "Size").click();
    rig.settle();
    rig.h
        .get_by_role_and_label(Role::Button, "Size, ascending")
        .click();
    rig.settle();
    let b = &rig.h.state().state.browser;
    let names: Vec<&str> = b.view.iter().map(|&i| b.listing.key(i)).collect();
    assert_eq!(names, ["2026/", "a b+c%.txt", "Summary.PDF", "details.csv"]);
    // Select the odd key: details are asked for.
    rig.h.get_by_label("a b+c%.txt").click();
    rig.settle();
    let cmds = rig.sent();
    let Some((hid, key)) = cmds.iter().find_map(|c| match c {
        Command::Browse(BrowseCommand::HeadObject { id, key, .. }) => Some((*id, key.clone())),
        _ => None,
    }) else {
        panic!("expected HeadObject, got {cmds:?}");
    };
    assert_eq!(key, "a b+c%.txt");
    browse(
        &rig,
        BrowseEvent::Details {
            id: hid,
            result: Ok(ObjectDetails {
                bucket: "reports".into(),
                key: key.clone(),
                size: 5000,
                content_type: Some("text/plain".into()),
                etag: Some("0123".into()),
                storage_class: "STANDARD".into(),
                modified: Some("2026-11-21T12:00:00Z".into()),
                metadata: vec![("owner".into(), "alice".into())],
            }),
        },
    );
    rig.settle();
    assert!(rig.has_text("x-amz-meta-owner") && rig.has_text("text/plain"));
    rig.h
        .get_by_role_and_label(Role::Button, "Copy s3:// URI")
        .click();
    rig.h.run_steps(1);
    assert_eq!(copied_texts(&rig), ["s3://reports/a b+c%.txt"]);
    rig.settle();
    // A link for 2 h from a session with 1 h left is capped.
    rig.h
        .get_by_role_and_label(Role::Button, "Copy presigned link")
        .click();
    rig.settle();
    let cmds = rig.sent();
    let Some((wanted, left)) = cmds.iter().find_map(|c| match c {
        Command::Browse(BrowseCommand::Presign {
            wanted,
            session_left,
            ..
        }) => Some((*wanted, *session_left)),
        _ => None,
    }) else {
        panic!("expected Presign, got {cmds:?}");
    };
    assert_eq!(wanted, Duration::from_secs(3600));
    assert_eq!(left, Duration::from_secs(3600));
    browse(
        &rig,
        BrowseEvent::Presigned(Ok((
            Secret::new("http://127.0.0.1/reports/a%20b%2Bc%25.txt?X-Amz-Expires=1800"),
            Duration::from_secs(1800),
            Duration::from_secs(3600),
        ))),
    );
    // The frame that takes the link copies it.
    rig.h.run_steps(1);
    assert_eq!(
        copied_texts(&rig),
        ["http://127.0.0.1/reports/a%20b%2Bc%25.txt?X-Amz-Expires=1800"],
        "the link is on the clipboard"
    );
    rig.settle();
    assert!(rig.has_text("shortened to the session's remaining life"));
    assert!(rig.has_text("Copied the presigned link"));
    assert!(
        !rig.has_text("X-Amz-Expires"),
        "the link itself is never drawn"
    );
    assert!(
        !format!("{:?}", rig.h.state().state.browser).contains("X-Amz-Expires"),
        "nor shown by Debug"
    );

    // A link asked for just before leaving the browser is copied when it arrives, and not again
    // on coming back (it would overwrite what the user copied since).
    rig.h
        .get_by_role_and_label(Role::Button, "Copy presigned link")
        .click();
    rig.settle();
    assert!(
        rig.sent()
            .iter()
            .any(|c| matches!(c, Command::Browse(BrowseCommand::Presign { .. })))
    );
    rig.h
        .get_by_role_and_label(Role::Button, "Session view")
        .click();
    rig.settle();
    browse(
        &rig,
        BrowseEvent::Presigned(Ok((
            Secret::new("http://127.0.0.1/reports/second?X-Amz-Expires=1800"),
            Duration::from_secs(1800),
            Duration::from_secs(3600),
        ))),
    );
    rig.h.run_steps(1);
    assert_eq!(
        copied_texts(&rig),
        ["http://127.0.0.1/reports/second?X-Amz-Expires=1800"],
        "copied on arrival, in the session view"
    );
    rig.settle();
    rig.h
        .get_by_role_and_label(Role::Button, "Browse S3")
        .click();
    rig.h.run_steps(1);
    assert!(copied_texts(&rig).is_empty(), "not copied again on return");
    rig.settle();
    assert!(copied_texts(&rig).is_empty(), "not copied again on return");
}

#[test]
fn an_expired_session_mid_browse_offers_renew_and_returns_to_the_same_folder() {
    let mut rig = browsing();
    rig.h.get_by_label("logs").click();
    rig.settle();
    let (id, ..) = take_list(&rig);
    send_page(&rig, id, vec!["app/".into()], vec![], None);
    rig.settle();
    rig.h.key_press(egui::Key::ArrowDown);
    rig.h.key_press(egui::Key::Enter);
    rig.settle();
    let (id, _, prefix, _) = take_list(&rig);
    assert_eq!(prefix, "app/");
    browse(
        &rig,
        BrowseEvent::ListFailed {
            id,
            error: AwsError::new(
                ErrorKind::Expired,
                "The credentials have expired: sign in again",
            ),
        },
    );
    rig.settle();
    assert!(rig.has_text("The credentials have expired"));
    rig.h.get_by_role_and_label(Role::Button, "Renew").click();
    rig.settle();
    assert!(!rig.h.state().state.browser.shown, "to the code field");
    rig.clear_and_type("MFA code", "654321");
    let (sid, request) = rig.take_sign_in();
    let mut s = session(SessionKind::SessionToken { mfa: true }, t(7200));
    s.name = request.name;
    s.credentials.access_key_id = "ASIARENEWEDRENEWED01".into();
    rig.events
        .send(Event::SignedIn {
            id: sid,
            result: Ok(Box::new(s)),
        })
        .unwrap();
    rig.settle();
    assert!(rig.h.state().state.browser.shown, "back in the browser");
    let cmds = rig.sent();
    let again = cmds.iter().find_map(|c| match c {
        Command::Browse(BrowseCommand::ListObjects {
            bucket,
            prefix,
            creds,
            ..
        }) => Some((
            bucket.clone(),
            prefix.clone(),
            creds.credentials.access_key_id.clone(),
        )),
        _ => None,
    });
    assert_eq!(
        again,
        Some(("logs".into(), "app/".into(), "ASIARENEWEDRENEWED01".into())),
        "{cmds:?}"
    );
}

#[test]
fn with_the_clock_past_expiry_the_browser_sends_nothing_and_offers_renew() {
    let mut rig = browsing();
    rig.h.get_by_label("logs").click();
    rig.settle();
    let (id, ..) = take_list(&rig);
    send_page(&rig, id, vec!["app/".into()], vec![obj("a.txt", 3)], None);
    rig.settle();
    rig.set_now(t(3600));
    assert!(rig.has_text(keyfob::session::EXPIRED_SENTENCE));
    // Keys that would list, open or refresh with the session do nothing now.
    for key in [
        egui::Key::ArrowDown,
        egui::Key::Enter,
        egui::Key::Backspace,
        egui::Key::F5,
    ] {
        rig.h.key_press(key);
        rig.settle();
    }
    let sent = rig.sent();
    assert!(
        !sent.iter().any(|c| matches!(
            c,
            Command::Browse(BrowseCommand::ListBuckets { .. })
                | Command::Browse(BrowseCommand::ListObjects { .. })
                | Command::Browse(BrowseCommand::HeadObject { .. })
                | Command::Browse(BrowseCommand::Download { .. })
        )),
        "nothing is asked with an ended session: {sent:?}"
    );
    rig.h.get_by_role_and_label(Role::Button, "Renew").click();
    rig.settle();
    assert!(!rig.h.state().state.browser.shown, "to the code field");
    assert!(rig.has_text("Enter a new code to renew the session"));
}

#[test]
fn a_lost_connection_keeps_the_loaded_rows_and_access_denied_leaves_other_buckets_usable() {
    let mut rig = browsing();
    rig.h.get_by_label("logs").click();
    rig.settle();
    let (id, ..) = take_list(&rig);
    send_page(
        &rig,
        id,
        vec![],
        (0..30)
            .map(|i| obj(&format!("part-{i:02}.log"), i))
            .collect(),
        Some("after-part-29".into()),
    );
    // The connection drops before the second page.
    browse(
        &rig,
        BrowseEvent::ListFailed {
            id,
            error: AwsError::new(
                ErrorKind::Unreachable,
                "Cannot reach the server: connection refused",
            ),
        },
    );
    rig.settle();
    assert!(rig.has_text("Cannot reach the server"));
    assert!(rig.has_text("part-00.log"), "what was loaded stays");
    assert_eq!(rig.h.state().state.browser.listing.len(), 30);
    rig.h.get_by_role_and_label(Role::Button, "Retry").click();
    rig.settle();
    let (id, bucket, _, token) = take_list(&rig);
    assert_eq!(
        (bucket.as_str(), token.as_deref()),
        ("logs", Some("after-part-29")),
        "Retry goes on from the last token"
    );
    send_page(&rig, id, vec![], vec![obj("part-30.log", 30)], None);
    rig.settle();
    assert!(rig.has_text("All 31 objects and 0 folders loaded"));
    assert!(
        !rig.has_text("Cannot reach the server"),
        "the error is gone"
    );

    // One bucket refuses; another still opens.
    rig.h.get_by_label("reports").click();
    rig.settle();
    let (id, bucket, ..) = take_list(&rig);
    assert_eq!(bucket, "reports");
    browse(
        &rig,
        BrowseEvent::ListFailed {
            id,
            error: AwsError::new(ErrorKind::AccessDenied, "Access denied: Access Denied"),
        },
    );
    rig.settle();
    assert!(rig.has_text("Access denied: Access Denied"));
    rig.h.get_by_label("archive-2019").click();
    rig.settle();
    let (id, bucket, prefix, token) = take_list(&rig);
    assert_eq!(
        (bucket.as_str(), prefix.as_str(), token),
        ("archive-2019", "", None)
    );
    send_page(&rig, id, vec!["2019/".into()], vec![], None);
    rig.settle();
    assert!(!rig.has_text("Access denied"));
    assert!(rig.has_text("All 0 objects and 1 folder loaded"));
}

#[test]
fn a_million_rows_render_without_laying_out_every_row() {
    let mut rig = browsing();
    rig.h.get_by_label("logs").click();
    rig.settle();
    let (id, ..) = take_list(&rig);
    let mut page = Page::default();
    for i in 0..1_000_000 {
        page.objects
            .push(obj(&format!("logs/2026/11/22/host-{i:07}.json.gz"), i));
    }
    browse(&rig, BrowseEvent::Page { id, page });
    rig.settle();
    assert!(rig.has_text("All 1000000 objects and 0 folders loaded"));
    let rows = rig.h.query_all_by_label_contains("host-").count();
    assert!(
        rows > 5 && rows < 200,
        "only the visible rows are laid out: {rows}"
    );
    rig.clear_and_type("Filter", "host-0999999");
    assert_eq!(rig.h.state().state.browser.view.len(), 1);
    assert!(rig.has_text("logs/2026/11/22/host-0999999.json.gz"));
}
