//! The Secret Service going away, for real: each test starts a private D-Bus session bus
//! (`dbus-daemon` with no service files, so nothing is started again behind the test's back) and
//! an unlocked `gnome-keyring-daemon` on it, with a throw-away data directory, and runs its
//! keyring side in a child process (this test binary again, the test marked ignored run alone)
//! whose `DBUS_SESSION_BUS_ADDRESS` names that bus: the keyring crate opens its store once per
//! process from that variable, which a test cannot change for itself while others run beside it.
//!
//! - gnome-keyring-daemon is killed (SIGKILL) between the entries of one write: an item split into
//!   parts (Windows Credential Manager's limit, applied here on the Secret Service) and replaced
//!   by another of the same size. After the daemon is started again on the same data, the item is
//!   the previous one or absent, or the new one, never a head joined with the other write's parts.
//!   The kill comes from a store wrapped around the real one, which kills the daemon before its
//!   k-th write (for every k) and then lets the write go to the dead service: only the moment is
//!   chosen by the test, the failure is the daemon's.
//! - The D-Bus session bus is killed: each keyring call (save, read, list) fails at once with one
//!   sentence, and through the worker a session to cache is answered with the failure (no hang).
//!
//! In every case no secret is left in plaintext in any file under the test's home and data
//! directories (gnome-keyring's own file is encrypted).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use keyfob::keystore::{Keystore, KeystoreError, parts};
use keyfob::secret::Secret;
use keyfob::session::Session;
use keyring_core::api::{Credential, CredentialApi, CredentialStore, CredentialStoreApi};
use keyring_core::{Entry, Result as KrResult};

#[path = "common/fixtures.rs"]
mod fixtures;

const PASSWORD: &str = "keyfob-faults";
/// The child's orders: which step, the pid to kill, before which write.
const STEP_ENV: &str = "KEYFOB_FAULTS_STEP";
const KILL_ENV: &str = "KEYFOB_FAULTS_KILL";
const AT_ENV: &str = "KEYFOB_FAULTS_AT";

// ---- the parent's side: a private bus and keyring ------------------------------------------

/// A private session bus and a gnome-keyring-daemon on it; both killed when dropped.
struct Bus {
    dir: tempfile::TempDir,
    address: String,
    bus: Child,
    keyring: Option<Child>,
}

impl Drop for Bus {
    fn drop(&mut self) {
        for c in [Some(&mut self.bus), self.keyring.as_mut()]
            .into_iter()
            .flatten()
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Bus {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["data", "home", "run", "config"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        let conf = dir.path().join("bus.conf");
        std::fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().join("bus").display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (package dbus-daemon) runs");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "the bus said {address:?}");
        let mut me = Self {
            dir,
            address,
            bus,
            keyring: None,
        };
        me.start_keyring();
        me
    }

    /// The environment of a process on this bus and in this home.
    fn env(&self, cmd: &mut Command) {
        let d = self.dir.path();
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", d.join("home"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_RUNTIME_DIR", d.join("run"))
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    }

    /// Starts (or starts again, on the same data) an unlocked gnome-keyring-daemon, and waits
    /// until it owns org.freedesktop.secrets.
    fn start_keyring(&mut self) {
        let mut cmd = Command::new("gnome-keyring-daemon");
        cmd.args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.env(&mut cmd);
        let mut child = cmd
            .spawn()
            .expect("gnome-keyring-daemon (package gnome-keyring) runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(PASSWORD.as_bytes())
            .unwrap();
        self.keyring = Some(child);
        let start = Instant::now();
        while !self.has_secrets() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "gnome-keyring-daemon did not take org.freedesktop.secrets"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn has_secrets(&self) -> bool {
        let mut cmd = Command::new("dbus-send");
        cmd.args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ]);
        self.env(&mut cmd);
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    fn keyring_pid(&self) -> u32 {
        self.keyring.as_ref().unwrap().id()
    }

    /// Waits for the killed daemon (so it is not left a zombie).
    fn reap_keyring(&mut self) {
        if let Some(mut c) = self.keyring.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Runs the ignored test `name` in a child on this bus with `env`; fails with its output.
    fn child(&self, name: &str, service: &str, env: &[(&str, String)]) {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(keyfob::keystore::SERVICE_ENV, service);
        self.env(&mut cmd);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{name} failed in its child:\n{text}");
        assert!(text.contains("1 passed"), "{name} did not run:\n{text}");
    }

    /// Fails when any file under the test's directories holds one of `secrets` in plaintext.
    fn assert_no_plaintext(&self, secrets: &[&str]) {
        for file in files_in(self.dir.path()) {
            let Ok(bytes) = std::fs::read(&file) else {
                continue; // a socket
            };
            for s in secrets {
                let found = bytes.windows(s.len()).any(|w| w == s.as_bytes());
                assert!(!found, "{} holds a secret in plaintext", file.display());
            }
        }
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_in(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn service(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "keyfob-faults-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

// ---- the child's side ----------------------------------------------------------------------

/// Kills `pid` (SIGKILL) and waits until it is gone.
fn kill(pid: &str) {
    let ok = Command::new("kill")
        .args(["-KILL", pid])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {pid}");
    let start = Instant::now();
    while Command::new("kill")
        .args(["-0", pid])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
    {
        // Still there (or a zombie, until its parent reaps it): enough once it no longer
        // answers on the bus, which a killed process cannot.
        if start.elapsed() > Duration::from_millis(500) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// When the hooked store kills the daemon: before its `at`-th write (from 0) once armed.
#[derive(Default)]
struct Hook {
    armed: Mutex<Option<(usize, String)>>,
    writes: AtomicUsize,
}

impl Hook {
    fn before_write(&self) {
        let n = self.writes.fetch_add(1, Ordering::SeqCst);
        let mut armed = self.armed.lock().unwrap();
        if let Some((at, pid)) = armed.as_ref()
            && *at == n
        {
            kill(pid);
            *armed = None;
        }
    }
}

/// The real store, with [`Hook`] run before each write.
struct Hooked {
    inner: Arc<CredentialStore>,
    hook: Arc<Hook>,
}

struct HookedEntry {
    inner: Entry,
    hook: Arc<Hook>,
}

impl CredentialApi for HookedEntry {
    fn set_password(&self, password: &str) -> KrResult<()> {
        self.hook.before_write();
        self.inner.set_password(password)
    }
    fn set_secret(&self, secret: &[u8]) -> KrResult<()> {
        self.hook.before_write();
        self.inner.set_secret(secret)
    }
    fn get_password(&self) -> KrResult<String> {
        self.inner.get_password()
    }
    fn get_secret(&self) -> KrResult<Vec<u8>> {
        self.inner.get_secret()
    }
    fn get_attributes(&self) -> KrResult<HashMap<String, String>> {
        self.inner.get_attributes()
    }
    fn delete_credential(&self) -> KrResult<()> {
        self.inner.delete_credential()
    }
    fn get_credential(&self) -> KrResult<Option<Arc<Credential>>> {
        self.inner.get_credential().map(|_| None)
    }
    fn get_specifiers(&self) -> Option<(String, String)> {
        self.inner.get_specifiers()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn debug_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HookedEntry")
    }
}

impl Hooked {
    fn wrap(&self, inner: Entry) -> Entry {
        Entry::new_with_credential(Arc::new(HookedEntry {
            inner,
            hook: Arc::clone(&self.hook),
        }))
    }
}

impl CredentialStoreApi for Hooked {
    fn vendor(&self) -> String {
        self.inner.vendor()
    }
    fn id(&self) -> String {
        self.inner.id()
    }
    fn build(
        &self,
        service: &str,
        user: &str,
        modifiers: Option<&HashMap<&str, &str>>,
    ) -> KrResult<Entry> {
        Ok(self.wrap(self.inner.build(service, user, modifiers)?))
    }
    fn search(&self, spec: &HashMap<&str, &str>) -> KrResult<Vec<Entry>> {
        Ok(self
            .inner
            .search(spec)?
            .into_iter()
            .map(|e| self.wrap(e))
            .collect())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn debug_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooked")
    }
}

/// The keystore of this child: the platform's (on the parent's private bus), split into parts
/// as on Windows, with the hook.
fn child_keystore() -> (Keystore, Arc<Hook>) {
    let platform = Keystore::platform().unwrap_or_else(|e| panic!("no keyring: {e}"));
    let hook = Arc::new(Hook::default());
    let store: Arc<CredentialStore> = Arc::new(Hooked {
        inner: keyring_core::get_default_store().unwrap(),
        hook: Arc::clone(&hook),
    });
    let ks = Keystore::with_store(store, platform.service()).with_limit(Some(parts::WINDOWS));
    (ks, hook)
}

/// A session named "split" whose record takes several entries under Windows's limit; `which`
/// makes its secret and token (old and new are the same length, so their parts line up).
fn long_session(which: char) -> Session {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut s = fixtures::session(
        "split",
        fixtures::assumed_role(),
        now,
        now + Duration::from_secs(3600),
    );
    s.credentials.secret_access_key = Secret::new(secret_of(which));
    s.credentials.session_token = Some(Secret::new(token_of(which)));
    s
}

fn secret_of(which: char) -> String {
    format!("{which}secret").repeat(5)
}

fn token_of(which: char) -> String {
    format!("{which}token-").repeat(500)
}

/// One sentence: one line, no debug dump.
fn assert_sentence(e: &KeystoreError) {
    let text = e.to_string();
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(text.len() < 400, "one sentence: {text}");
    assert!(
        !text.contains("Error {") && !text.contains("Os {"),
        "{text}"
    );
}

/// How many writes saving the long session makes (counted through the hook, on the mock store).
fn writes_of_a_long_session() -> usize {
    let hook = Arc::new(Hook::default());
    let store: Arc<CredentialStore> = Arc::new(Hooked {
        inner: keyring_core::mock::Store::new().unwrap(),
        hook: Arc::clone(&hook),
    });
    let ks = Keystore::with_store(store, "count").with_limit(Some(parts::WINDOWS));
    ks.save_session(&long_session('o')).unwrap();
    hook.writes.load(Ordering::SeqCst)
}

#[test]
#[ignore = "run by a_keyring_killed_mid_write_leaves_the_old_item_or_the_new, with its own bus"]
fn child_write_then_die() {
    let (ks, hook) = child_keystore();
    let old = long_session('o');
    ks.save_session(&old).unwrap();
    assert_eq!(ks.session("split").unwrap().as_ref(), Some(&old));
    let at: usize = std::env::var(AT_ENV).unwrap().parse().unwrap();
    let before = hook.writes.load(Ordering::SeqCst);
    *hook.armed.lock().unwrap() = Some((before + at, std::env::var(KILL_ENV).unwrap()));
    let saved = ks.save_session(&long_session('n'));
    let writes = hook.writes.load(Ordering::SeqCst) - before;
    let err = saved.expect_err(&format!(
        "the Secret Service was killed before write {at} of {writes}"
    ));
    assert_sentence(&err);
    assert!(
        matches!(err, KeystoreError::Unavailable(_)),
        "the service is gone, said as such: {err:?}"
    );
    assert!(
        hook.armed.lock().unwrap().is_none(),
        "the daemon was killed during this write"
    );
    // Reads fail the same way, with a sentence, and do not hang.
    let read = ks.session("split").expect_err("no service to read from");
    assert_sentence(&read);
}

#[test]
#[ignore = "run by a_keyring_killed_mid_write_leaves_the_old_item_or_the_new, with its own bus"]
#[allow(clippy::print_stdout)] // what the restart found, for whoever reads the output
fn child_read_after_restart() {
    let (ks, _) = child_keystore();
    let got = ks
        .session("split")
        .unwrap_or_else(|e| panic!("the item is damaged (torn between two writes): {e}"));
    let (old, new) = (long_session('o'), long_session('n'));
    let at = std::env::var(AT_ENV).unwrap();
    assert!(
        got.is_none() || got.as_ref() == Some(&old) || got.as_ref() == Some(&new),
        "killed before write {at}: the item is neither the old one, the new one nor absent \
         (a head joined with the other write's parts)"
    );
    let all = ks.load_all().unwrap();
    assert_eq!(
        all.problems,
        Vec::<String>::new(),
        "nothing reported damaged"
    );
    // A write now succeeds and reads back, whatever the broken one left.
    ks.save_session(&new).unwrap();
    assert_eq!(ks.session("split").unwrap(), Some(new));
    assert_eq!(ks.load_all().unwrap().problems, Vec::<String>::new());
    println!(
        "after the restart: {}",
        match got {
            None => "absent",
            Some(s) if s == old => "the old item",
            Some(_) => "the new item",
        }
    );
}

/// SIGKILL of gnome-keyring-daemon before each entry of a split write in turn.
#[test]
fn a_keyring_killed_mid_write_leaves_the_old_item_or_the_new() {
    let n = writes_of_a_long_session();
    assert!(n >= 3, "the session must take several entries: {n}");
    for at in 0..n {
        let mut bus = Bus::start();
        let service = service("torn");
        let env = [
            (STEP_ENV, "write".to_owned()),
            (KILL_ENV, bus.keyring_pid().to_string()),
            (AT_ENV, at.to_string()),
        ];
        bus.child("child_write_then_die", &service, &env);
        bus.reap_keyring();
        bus.start_keyring();
        bus.child(
            "child_read_after_restart",
            &service,
            &[(AT_ENV, at.to_string())],
        );
        bus.assert_no_plaintext(&[&secret_of('o'), &secret_of('n'), &token_of('n')[..40]]);
    }
}

#[test]
#[ignore = "run by a_session_bus_that_dies_is_one_sentence_and_no_hang, with its own bus"]
fn child_bus_dies() {
    use keyfob::message::{Command, Event, KeyringFailure};
    let ks = Keystore::platform().unwrap_or_else(|e| panic!("no keyring: {e}"));
    let session = long_session('b');
    ks.save_session(&session).unwrap();
    let ch = keyfob::worker::spawn(
        keyfob::aws::AwsEnv::default(),
        Ok(ks.clone()),
        keyfob::worker::Ports::headless(),
    )
    .unwrap();

    kill(&std::env::var(KILL_ENV).unwrap());
    let started = Instant::now();
    let save = ks.save_session(&long_session('c')).expect_err("no bus");
    let read = ks.session("split").expect_err("no bus");
    let list = ks.load_all().expect_err("no bus");
    for e in [&save, &read, &list] {
        assert_sentence(e);
        assert!(
            matches!(e, KeystoreError::Unavailable(why) if why.contains("D-Bus")),
            "the bus is gone, said as such: {e}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");

    // Through the worker: the session to cache is answered with the failure.
    ch.commands
        .send(Command::CacheSession {
            session: Box::new(long_session('d')),
        })
        .unwrap();
    let failure = loop {
        match ch.events.recv_timeout(Duration::from_secs(10)) {
            Ok(Event::KeyringFailed(f)) => break f,
            Ok(_) => {}
            Err(e) => panic!("no answer from the keyring's thread in 10 s: {e}"),
        }
    };
    assert!(
        matches!(failure, KeyringFailure::SaveSession(_)),
        "{failure:?}"
    );
    let text = failure.to_string();
    assert!(
        text.starts_with("The session was not saved in the keyring: No keyring is available"),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

/// The session bus itself killed (SIGKILL of dbus-daemon) under a keyfob that was using it.
#[test]
fn a_session_bus_that_dies_is_one_sentence_and_no_hang() {
    let bus = Bus::start();
    let env = [
        (STEP_ENV, "bus".to_owned()),
        (KILL_ENV, bus.bus.id().to_string()),
    ];
    bus.child("child_bus_dies", &service("bus"), &env);
    bus.assert_no_plaintext(&[&secret_of('b'), &secret_of('c'), &secret_of('d')]);
}
