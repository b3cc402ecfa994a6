//! Role sessions that renew themselves, on moto through the real worker and its supervisor, with
//! the window's state driven as the app drives it and a clock the test moves: one code signs in,
//! a role is chained from the MFA session, then the supervisor's timer has the role chained afresh
//! three times in a row with no code; once the MFA session has ended the next renewal stops with a
//! warning (in the window and as a desktop notification), and the worker refuses a renewal signed
//! by an ended MFA session.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{Moto, seed};
use keyfob::aws::errors::ErrorKind;
use keyfob::clock::Clock;
use keyfob::keystore::KeystoreError;
use keyfob::message::{Command, Event, Watch};
use keyfob::session::{Session, SessionKind, SourceChoice};
use keyfob::signin::SignInForm;
use keyfob::state::{AppState, Prefs};
use keyfob::worker::{Channels, Ports};

/// The window's state with the real worker behind it, as `app.rs` wires them.
struct App {
    state: AppState,
    ch: Channels,
    clock: Clock,
    watched: Option<Watch>,
    /// What the state asked of the worker, by kind ("SignIn", "Renew", …).
    asked: Vec<&'static str>,
    /// The desktop notifications' titles (not shown: there is no notification daemon here).
    notified: Vec<String>,
}

impl App {
    /// Sends the state's commands and, when it changed, what the supervisor is to watch.
    fn flush(&mut self) {
        let (commands, _) = self.state.outbox.take();
        for c in commands {
            self.asked.push(match &c {
                Command::SignIn { .. } => "SignIn",
                Command::Renew { .. } => "Renew",
                Command::Notify { .. } => "Notify",
                _ => "other",
            });
            if let Command::Notify { summary, .. } = c {
                self.notified.push(summary);
            } else {
                self.ch.commands.send(c).unwrap();
            }
        }
        let watch = self.state.sessions.watch();
        if self.watched.as_ref() != Some(&watch) {
            self.watched = Some(watch.clone());
            self.ch.commands.send(Command::Watch(watch)).unwrap();
        }
    }

    /// Applies the worker's events until one that `wanted` picks out has been applied.
    fn until(&mut self, what: &str, wanted: impl Fn(&Event) -> bool) {
        loop {
            let event = self.ch.events.recv_timeout(Duration::from_secs(30));
            let status = &self.state.status;
            let event = event.unwrap_or_else(|e| panic!("no {what} in 30 s ({e}); {status:?}"));
            let hit = wanted(&event);
            self.state.apply(event, (self.clock)());
            self.flush();
            if hit {
                return;
            }
        }
    }

    /// Sets the clock and tells the supervisor again what it watches, so that it looks at the
    /// clock now rather than at its next 30-second check.
    fn set_clock(&mut self, frozen: &Mutex<Option<SystemTime>>, at: SystemTime) {
        *frozen.lock().unwrap() = Some(at);
        self.watched = None;
        self.flush();
    }

    fn submit(&mut self) {
        self.state.submit((self.clock)());
        self.flush();
        self.until("a sign-in", |e| matches!(e, Event::SignedIn { .. }));
    }

    fn role(&self) -> Session {
        let chained = |s: &&Session| matches!(s.kind, SessionKind::Chained { .. });
        self.state
            .sessions
            .list
            .iter()
            .find(chained)
            .expect("a role session")
            .clone()
    }
}

#[test]
fn one_code_then_the_role_renews_itself_until_the_mfa_session_ends() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let keys = format!(
        "[alice]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        seed.alice.access_key_id,
        seed.alice.secret_access_key.expose()
    );
    std::fs::write(moto.profile_files.credentials.as_ref().unwrap(), keys).unwrap();
    // The test's clock: the system's until the test sets a time, which then stands still (so
    // each renewal happens when the test moves it, not when the system clock drifts there).
    let frozen: Arc<Mutex<Option<SystemTime>>> = Arc::default();
    let at = Arc::clone(&frozen);
    let clock: Clock = Arc::new(move || at.lock().unwrap().unwrap_or_else(SystemTime::now));
    let ports = Ports {
        clock: Arc::clone(&clock),
        ..Ports::headless()
    };
    let unused = Err(KeystoreError::Unavailable("not used here".into()));
    let ch = keyfob::worker::spawn(moto.env(), unused, ports).unwrap();
    let state = AppState::from_prefs(Prefs::default()); // renewal 10 min before the end
    let mut app = App {
        state,
        ch,
        clock,
        watched: None,
        asked: vec![],
        notified: vec![],
    };

    // One code: an MFA session of 55 minutes, so that it ends after the role's renewal (10 min
    // before the role's end) but before the role itself.
    let fields = &mut app.state.sign_in.form.fields;
    fields.source = SourceChoice::Profile("alice".into());
    fields.mfa_serial.clone_from(&seed.alice_mfa);
    fields.duration = "3300".into();
    app.state.sign_in.form.code = "123456".into();
    app.submit();
    let mfa = app.state.current().expect("the MFA session").clone();
    assert_eq!(mfa.kind, SessionKind::SessionToken { mfa: true });
    // The role, chained from it with no code, for an hour.
    let fields = &mut app.state.sign_in.form.fields;
    fields.role_arn.clone_from(&seed.admin_role);
    fields.duration = "3600".into();
    app.submit();
    let first = app.role();
    assert_eq!(app.asked, ["SignIn", "SignIn"]);

    // The clock to the role's renewal time, 10 minutes before its end: the supervisor's timer
    // asks for it, the state chains a fresh role from the MFA session. Three times.
    let mut keys = vec![first.credentials.access_key_id.clone()];
    for round in 1..=3 {
        let renew_at = app.role().expires_at - Duration::from_secs(600);
        app.set_clock(&frozen, renew_at);
        app.until("a renewal", |e| matches!(e, Event::Renewed { .. }));
        let role = app.role();
        assert_eq!(role.name, first.name, "round {round}: renewed in place");
        assert!(
            !keys.contains(&role.credentials.access_key_id),
            "round {round}: fresh keys"
        );
        keys.push(role.credentials.access_key_id.clone());
    }
    assert_eq!(
        app.asked,
        ["SignIn", "SignIn", "Renew", "Renew", "Renew"],
        "no code after the first"
    );
    assert!(app.notified.is_empty(), "{:?}", app.notified);

    // The MFA session ends before the fourth renewal: it stops, with a warning.
    app.set_clock(&frozen, mfa.expires_at + Duration::from_secs(1));
    assert!(
        app.role().expires_at > (app.clock)(),
        "the role itself is still live"
    );
    app.until("the fourth renewal's call", |e| {
        matches!(e, Event::RenewDue { .. })
    });
    assert_eq!(
        app.notified,
        [format!("AWS session {} will not renew itself", first.name)]
    );
    let status = app
        .state
        .status
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        status.contains("could not renew itself: the MFA session behind it has ended"),
        "{status}"
    );
    assert_eq!(
        app.asked.iter().filter(|a| **a == "Renew").count(),
        3,
        "no fourth renewal sent"
    );

    // Where the credentials are used: the worker refuses a renewal signed by the ended session.
    let mut form = SignInForm::default();
    form.fill_from_origin(&first.origin);
    let request = Box::new(form.check(Some(&mfa)).expect("a chained request"));
    let id = keyfob::message::next_id();
    let sign_in = Command::SignIn {
        id,
        request: request.clone(),
    };
    app.ch.commands.send(Command::Renew { request }).unwrap();
    let event = app.ch.events.recv_timeout(Duration::from_secs(30));
    let Ok(Event::Renewed { result: Err(e), .. }) = event else {
        panic!("not refused: {event:?}")
    };
    assert_eq!(e.kind, ErrorKind::Expired);
    assert!(
        e.message.starts_with("The MFA session behind it has ended"),
        "{}",
        e.message
    );
    // And so is a sign-in chained from it (the same check, in the worker's sign-in).
    app.ch.commands.send(sign_in).unwrap();
    let event = app.ch.events.recv_timeout(Duration::from_secs(30));
    let Ok(Event::SignedIn { result: Err(e), .. }) = event else {
        panic!("not refused: {event:?}")
    };
    assert_eq!(e.kind, ErrorKind::Expired);
}
