//! The rig: the app in an egui_kittest harness, channels in place of the worker and an injected
//! clock, with short helpers for what the tests do over and over (click by role and label, type,
//! answer as the worker, expect a command) and the fixtures they share.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use keyfob::aws::profiles::{ProfileInfo, Profiles};
use keyfob::aws::sts::SignInRequest;
use keyfob::keystore::{Contents, KeyInfo};

// What most tests name, so that they need little more than `use crate::rig::*`.
pub use egui::Key;
pub use egui::accesskit::Role;
pub use egui_kittest::Harness;
pub use egui_kittest::kittest::{NodeT as _, Queryable as _};
pub use keyfob::app::KeyfobApp;
pub use keyfob::aws::errors::{AwsError, ErrorKind};
pub use keyfob::message::{BrowseEvent, Command, Event, RequestId, Watch};
pub use keyfob::session::{Session, SessionKind};
pub use std::time::{Duration, SystemTime};

pub use crate::common::fixtures::{MFA, ROLE, SECRET, TOKEN, assumed_role};
/// 2026-11-22T12:00:00Z
pub const T0: u64 = 1_795_348_800;
pub const SIZE: [f32; 2] = [1200.0, 1000.0];
/// The snapshots' window: the app's default size.
pub const SNAPSHOT_SIZE: [f32; 2] = [1000.0, 700.0];
pub const MFA_TOKEN: SessionKind = SessionKind::SessionToken { mfa: true };

/// Asserts that exactly these commands were sent since the last look, in this order, and that
/// they match the patterns (and guard); evaluates to the expression after `=>`, which may use the
/// patterns' bindings (to unit without one). The panic lists what was sent instead.
macro_rules! expect_command {
    ($rig:expr, $($pat:pat),+ $(if $guard:expr)? $(=> $out:expr)?) => {{
        let sent = $rig.sent();
        match sent.as_slice() {
            [$($pat),+] $(if $guard)? => { $($out)? }
            other => panic!("expected [{}], sent {other:?}", stringify!($($pat),+ $(if $guard)?)),
        }
    }};
}
pub(crate) use expect_command;

/// Like [`expect_command!`], but other commands may have been sent too: the first that matches.
macro_rules! find_command {
    ($rig:expr, $pat:pat $(if $guard:expr)? $(=> $out:expr)?) => {{
        let sent = $rig.sent();
        let found = sent.iter().find_map(|c| match c {
            $pat $(if $guard)? => Some({ $($out)? }),
            _ => None,
        });
        found.unwrap_or_else(|| {
            panic!("expected a {} among {sent:?}", stringify!($pat $(if $guard)?))
        })
    }};
}
pub(crate) use find_command;

pub fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + secs)
}

/// The app with the test playing its worker.
pub struct Rig {
    pub h: Harness<'static, KeyfobApp>,
    commands: Receiver<Command>,
    events: Sender<Event>,
    now: Arc<Mutex<SystemTime>>,
    watched: Vec<Watch>,
}

impl Rig {
    /// The app with `prefs` as its saved preferences, on a clock the test sets (at `t(0)` to
    /// start with).
    pub fn with_storage(prefs: Option<String>) -> Self {
        Self::build(prefs, Harness::builder().with_size(SIZE))
    }

    /// The app in `theme`, rendered (with wgpu) so that snapshots can be taken.
    pub fn rendered(theme: egui::Theme) -> Self {
        let builder = Harness::builder()
            .with_size(SNAPSHOT_SIZE)
            .with_theme(theme)
            .wgpu();
        Self::build(None, builder)
    }

    fn build(prefs: Option<String>, builder: egui_kittest::HarnessBuilder<KeyfobApp>) -> Self {
        let (commands, cmd_rx) = channel();
        let (ev_tx, events) = channel();
        let now = Arc::new(Mutex::new(t(0)));
        let at = Arc::clone(&now);
        let clock: keyfob::clock::Clock = Arc::new(move || *at.lock().unwrap());
        let h = builder.build_eframe(move |cc| {
            if let Some(p) = prefs {
                let key = keyfob::app::PREFS_KEY.to_owned();
                let storage = MemStorage(HashMap::from([(key, p)]));
                cc.storage = Some(Box::leak(Box::new(storage)));
            }
            KeyfobApp::new(cc, keyfob::worker::Channels { commands, events }, clock)
        });
        let mut rig = Self {
            h,
            commands: cmd_rx,
            events: ev_tx,
            now,
            watched: Vec::new(),
        };
        rig.h.run();
        // At start the app asks for the profiles and the keyring's contents.
        expect_command!(rig, Command::LoadProfiles, Command::LoadCache);
        rig
    }

    /// With profiles admin (a role assumed with alice's MFA, preselected) and alice (keys and MFA).
    pub fn with_profiles() -> Self {
        Self::with_storage(None).given_profiles()
    }

    /// This rig handed the profiles of [`Rig::with_profiles`].
    pub fn given_profiles(mut self) -> Self {
        let admin = ProfileInfo {
            name: "admin".into(),
            mfa_serial: Some(MFA.into()),
            role_arn: Some(ROLE.into()),
            source_profile: Some("alice".into()),
            external_id: Some("tenant-42".into()),
            role_session_name: Some("alice-admin".into()),
            duration_seconds: Some("7200".into()),
            region: Some("eu-west-1".into()),
            ..ProfileInfo::default()
        };
        let alice = ProfileInfo {
            name: "alice".into(),
            mfa_serial: Some(MFA.into()),
            region: Some("us-east-1".into()),
            has_keys: true,
            ..ProfileInfo::default()
        };
        let (list, selected) = (vec![admin, alice], Some("admin".into()));
        self.reply(Event::Profiles(Ok(Profiles { list, selected })));
        self
    }

    /// Signed in from profile alice to a session of `kind` that ends in an hour.
    pub fn signed_in(kind: SessionKind) -> Self {
        Self::with_profiles().now_signed_in(kind)
    }

    /// This rig (with the profiles) signed in as [`Rig::signed_in`] does.
    pub fn now_signed_in(mut self, kind: SessionKind) -> Self {
        self.select_profile("alice");
        self.sign_in_with("123456", session(kind, t(3600)));
        self
    }

    /// Types a full code and answers the sign-in it sends with `s`, named and with the request's
    /// origin (as the worker does).
    pub fn sign_in_with(&mut self, code: &str, mut s: Session) {
        let (id, request) = self.submit_code(code);
        (s.name, s.origin) = (request.name, request.origin);
        self.answer(id, Ok(s));
    }

    /// Types a full code, which signs in by itself: the sign-in it sends.
    pub fn submit_code(&mut self, code: &str) -> (RequestId, SignInRequest) {
        self.type_into("MFA code", code);
        self.take_sign_in()
    }

    pub fn take_sign_in(&mut self) -> (RequestId, SignInRequest) {
        expect_command!(self, Command::SignIn { id, request } => (*id, (**request).clone()))
    }

    pub fn answer(&mut self, id: RequestId, result: Result<Session, AwsError>) {
        let result = result.map(Box::new);
        self.reply(Event::SignedIn { id, result });
    }

    pub fn state(&self) -> &keyfob::state::AppState {
        &self.h.state().state
    }

    pub fn select_profile(&mut self, name: &str) {
        self.h.state_mut().state.select_profile(name);
        self.h.run();
    }

    pub fn set_now(&mut self, at: SystemTime) {
        *self.now.lock().unwrap() = at;
        self.settle();
    }

    pub fn now(&self) -> SystemTime {
        *self.now.lock().unwrap()
    }

    /// Hands the app an event, as the worker would, without running a frame.
    pub fn send(&self, event: Event) {
        self.events.send(event).expect("the app holds the receiver");
    }

    pub fn reply(&mut self, event: Event) {
        self.send(event);
        self.settle();
    }

    /// The commands sent since the last look, but for the session lists the window hands the
    /// supervisor (kept for [`Rig::watched`]).
    pub fn sent(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        for c in self.commands.try_iter() {
            match c {
                Command::Watch(w @ Watch::Sessions { .. }) => self.watched.push(w),
                c => out.push(c),
            }
        }
        out
    }

    #[track_caller]
    pub fn expect_nothing_sent(&mut self, why: &str) {
        let sent = self.sent();
        assert!(sent.is_empty(), "{why}: sent {sent:?}");
    }

    pub fn watched(&mut self) -> Vec<Watch> {
        let _ = self.sent();
        std::mem::take(&mut self.watched)
    }

    /// Clicks the button with this label and lets the app settle.
    pub fn click(&mut self, label: &str) {
        self.button(label).click();
        self.settle();
    }

    /// Clicks the widget with this label (a list row, a checkbox, a link) and lets it settle.
    pub fn click_label(&mut self, label: &str) {
        self.h.get_by_label(label).click();
        self.settle();
    }

    pub fn choose(&mut self, combo: &str, item: &str) {
        self.h.get_by_role_and_label(Role::ComboBox, combo).click();
        self.h.run();
        self.click_label(item);
    }

    pub fn button<'a>(&'a self, label: &'a str) -> egui_kittest::Node<'a> {
        self.h.get_by_role_and_label(Role::Button, label)
    }

    pub fn button_disabled(&self, label: &str) -> bool {
        self.button(label).accesskit_node().is_disabled()
    }

    pub fn press(&mut self, key: Key) {
        self.h.key_press(key);
        self.settle();
    }

    /// Unfolds "More options" when the field `label` is folded away in it.
    pub fn unfold_for(&mut self, role: Role, label: &str) {
        if self.h.query_by_role_and_label(role, label).is_none()
            && self.h.query_by_label("More options").is_some()
        {
            self.h.get_by_label("More options").click();
            self.settle();
        }
    }

    pub fn input_value(&mut self, label: &str) -> String {
        self.unfold_for(Role::TextInput, label);
        let input = self.h.get_by_role_and_label(Role::TextInput, label);
        input.value().unwrap_or_default()
    }

    pub fn type_into(&mut self, label: &str, text: &str) {
        self.type_in(Role::TextInput, label, text);
    }

    pub fn type_in(&mut self, role: Role, label: &str, text: &str) {
        self.unfold_for(role, label);
        self.h.get_by_role_and_label(role, label).focus();
        self.h.run();
        self.h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A); // select all
        self.h.key_press(Key::Backspace);
        self.h.get_by_role_and_label(role, label).type_text(text);
        self.settle();
    }

    /// Runs frames until the UI settles; while a request is pending the spinner repaints
    /// continuously, so then only a few frames are run.
    /// The repaint delay the app asked for in its last frame.
    pub fn repaint_delay(&self) -> Duration {
        let root = self.h.output().viewport_output.get(&egui::ViewportId::ROOT);
        root.expect("the root viewport's output").repaint_delay
    }

    /// The frames the app draws over `span` while nobody touches it, as eframe runs them: the
    /// clock moves to each repaint the app asks for and one frame runs there.
    pub fn idle_frames(&mut self, span: Duration) -> usize {
        let end = self.now() + span;
        let mut frames = 0;
        loop {
            let next = self.now() + self.repaint_delay();
            if next > end {
                return frames;
            }
            *self.now.lock().unwrap() = next;
            self.h.step();
            frames += 1;
        }
    }

    pub fn settle(&mut self) {
        self.h.run_steps(2);
        let st = self.state();
        let b = &st.browser;
        let waiting = b
            .confirm
            .as_ref()
            .is_some_and(|c| c.plan.is_none() && c.error.is_none())
            || b.preview.as_ref().is_some_and(|p| p.result.is_none())
            || b.versions.as_ref().is_some_and(|v| v.result.is_none())
            || b.new_folder.as_ref().is_some_and(|n| n.id.is_some())
            || b.sync_panel.as_ref().is_some_and(|p| p.id.is_some())
            || b.deleting.is_some()
            || b.props
                .form
                .as_ref()
                .is_some_and(|f| f.read_id.is_some() || f.apply_id.is_some())
            || b.props
                .settings
                .as_ref()
                .is_some_and(|s| s.result.is_none())
            || b.props
                .restoring
                .as_ref()
                .is_some_and(|r| r.outcome.is_none());
        let busy = st.sign_in.pending.is_some()
            || (b.shown
                && (b.buckets_id.is_some()
                    || b.reach.more_id.is_some()
                    || b.list_id.is_some()
                    || waiting));
        if !busy {
            self.h.run();
        }
    }

    /// Presses Ctrl+Shift+C as one key event, so the frame that handles it is the one whose
    /// output the harness keeps (it runs a frame per queued event).
    pub fn copy_shortcut(&mut self) {
        self.h.event(egui::Event::Key {
            key: Key::C,
            pressed: true,
            modifiers: egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
            repeat: false,
            physical_key: None,
        });
        self.h.step();
    }

    /// Runs one frame: the texts it put on the clipboard.
    pub fn step_copied(&mut self) -> Vec<String> {
        self.h.step();
        self.copied()
    }

    /// The texts the last frame put on the clipboard.
    pub fn copied(&self) -> Vec<String> {
        let commands = &self.h.output().platform_output.commands;
        let texts = commands.iter().filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        });
        texts.collect()
    }

    pub fn has_text(&self, needle: &str) -> bool {
        self.h.query_all_by_label_contains(needle).next().is_some()
    }

    #[track_caller]
    pub fn shows(&self, needle: &str) {
        let shown = self.has_text(needle);
        assert!(shown, "no {needle:?} in the window:\n{}", self.all_text());
    }

    #[track_caller]
    pub fn hides(&self, needle: &str) {
        assert!(!self.has_text(needle), "{needle:?} is in the window");
    }

    pub fn all_text(&self) -> String {
        let nodes = self.h.root().children_recursive();
        let texts = nodes.map(|n| {
            let n = n.accesskit_node();
            let (label, value) = (n.label().unwrap_or_default(), n.value().unwrap_or_default());
            format!("{label}\n{value}\n")
        });
        texts.collect()
    }

    /// The label of the focused widget, or "(nothing)".
    pub fn focused_label(&self) -> String {
        let mut nodes = self.h.root().children_recursive();
        let focused = nodes.find(|n| n.accesskit_node().is_focused());
        let label = focused.and_then(|n| n.accesskit_node().label());
        label.unwrap_or_else(|| "(nothing)".to_owned())
    }
}

/// eframe's storage in memory: what the app saves, and the preferences it starts from.
#[derive(Default)]
pub struct MemStorage(pub HashMap<String, String>);

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

/// alice's session as admin, issued at `t(0)`.
pub fn session(kind: SessionKind, expires_at: SystemTime) -> Session {
    crate::common::fixtures::session("alice", kind, t(0), expires_at)
}

/// A session of this name, as role `name` (its identity's ARN is `…:assumed-role/{name}/a`).
pub fn named(name: &str, expires_at: SystemTime) -> Session {
    let mut s = session(MFA_TOKEN, expires_at);
    s.name = name.into();
    let arn = format!("arn:aws:sts::123456789012:assumed-role/{name}/a");
    s.identity.as_mut().unwrap().arn = arn;
    s
}

/// The keyring holding these sessions, the keys "work" and one damaged entry.
pub fn contents(sessions: Vec<Session>) -> Contents {
    let work = KeyInfo {
        name: "work".into(),
        access_key_id: "AKIAEXAMPLEEXAMPLE01".into(),
    };
    let damaged =
        "A keyring entry of keyfob is damaged (not a session or key record) and was ignored";
    Contents {
        sessions,
        keys: vec![work],
        problems: vec![damaged.into()],
    }
}
