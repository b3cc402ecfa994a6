//! The keyring against a real Secret Service (scripts/test starts a D-Bus session with an unlocked
//! gnome-keyring): sessions and keys round-trip, listing, a damaged entry is reported and skipped,
//! deleting. Each test files its items under a service name of its own.
//!
//! The in-memory mock store is used once, for a locked keyring: an unlocked gnome-keyring started
//! for tests cannot be made to refuse access on demand.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use keyfob::keystore::{Keystore, KeystoreError, LongTermKey};
use keyfob::secret::Secret;
use keyfob::session::SourceChoice;
use keyfob::session::{Credentials, Session, SignInFields};
use keyring_core::api::CredentialStoreApi as _;

#[path = "common/fixtures.rs"]
mod fixtures;
use fixtures::{MFA, ROLE, SECRET, TOKEN};

/// A keystore on the real platform store with a fresh service name. Fails (it does not skip)
/// when there is no Secret Service: run the tests through scripts/test.
fn real(tag: &str) -> Keystore {
    static N: AtomicU32 = AtomicU32::new(0);
    let platform = Keystore::platform().unwrap_or_else(|e| {
        panic!("{e}\nThe keyring tests need a Secret Service: run scripts/test, which starts one")
    });
    let service = format!(
        "keyfob-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let store = keyring_core::get_default_store().expect("the platform store is set up");
    let ks = Keystore::with_store(store, service);
    assert_ne!(ks.service(), platform.service());
    ks
}

fn session(name: &str, expires_in: u64) -> Session {
    // Whole seconds: the cache keeps second precision.
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let expires_at = now + Duration::from_secs(expires_in);
    Session {
        origin: SignInFields {
            profile: Some(name.to_owned()),
            source: SourceChoice::Profile("base".into()),
            mfa_serial: MFA.into(),
            role_arn: ROLE.into(),
            session_name: "alice".into(),
            ..SignInFields::default()
        },
        ..fixtures::session(name, fixtures::assumed_role(), now, expires_at)
    }
}

#[test]
fn sessions_round_trip_list_and_delete() {
    let ks = real("sessions");
    assert!(ks.load_all().unwrap().sessions.is_empty());
    let a = session("admin", 3600);
    let b = session("arn:aws:iam::123456789012:role/readonly", 900);
    ks.save_session(&a).unwrap();
    ks.save_session(&b).unwrap();
    assert_eq!(ks.session("admin").unwrap().as_ref(), Some(&a));
    let all = ks.load_all().unwrap();
    assert_eq!(all.sessions.len(), 2);
    assert!(all.problems.is_empty(), "{:?}", all.problems);
    // Replacing keeps one item per name.
    let mut renewed = a.clone();
    renewed.credentials.access_key_id = "ASIARENEWEDRENEWED01".into();
    ks.save_session(&renewed).unwrap();
    let all = ks.load_all().unwrap();
    assert_eq!(all.sessions.len(), 2);
    assert_eq!(
        ks.session("admin")
            .unwrap()
            .unwrap()
            .credentials
            .access_key_id,
        "ASIARENEWEDRENEWED01"
    );
    assert!(ks.delete_session("admin").unwrap());
    assert!(!ks.delete_session("admin").unwrap(), "already gone");
    assert_eq!(ks.session("admin").unwrap(), None);
    assert!(ks.delete_session(&b.name).unwrap());
    assert!(ks.load_all().unwrap().sessions.is_empty());
}

#[test]
fn keys_round_trip_and_the_list_shows_no_secret() {
    let ks = real("keys");
    let key = LongTermKey {
        name: "work".into(),
        credentials: Credentials {
            access_key_id: "AKIAEXAMPLEEXAMPLE01".into(),
            secret_access_key: Secret::new(SECRET),
            session_token: None,
        },
    };
    ks.save_key(&key).unwrap();
    assert_eq!(ks.key("work").unwrap(), Some(key.clone()));
    let all = ks.load_all().unwrap();
    assert_eq!(all.keys.len(), 1);
    assert_eq!(all.keys[0].access_key_id, "AKIAEXAMPLEEXAMPLE01");
    assert!(!format!("{all:?}").contains(SECRET));
    assert!(!format!("{key:?}").contains(SECRET), "Debug redacts");
    let resolved = keyfob::keystore::resolve_source(
        Some(&ks),
        &keyfob::aws::SourceCredentials::Keyring("work".into()),
    )
    .unwrap();
    assert_eq!(
        resolved,
        keyfob::aws::SourceCredentials::Static(key.credentials.clone())
    );
    let missing = keyfob::keystore::resolve_source(
        Some(&ks),
        &keyfob::aws::SourceCredentials::Keyring("nope".into()),
    )
    .unwrap_err();
    assert!(
        missing.message.contains("no keys named nope"),
        "{missing:?}"
    );
    assert!(ks.delete_key("work").unwrap());
    assert!(ks.load_all().unwrap().keys.is_empty());
}

#[test]
fn a_damaged_entry_is_reported_and_the_others_still_load() {
    let ks = real("corrupt");
    ks.save_session(&session("good", 3600)).unwrap();
    // Another program (or a crash mid-write) left something that is not keyfob's JSON.
    let store = keyring_core::get_default_store().unwrap();
    store
        .build(ks.service(), "session:broken", None)
        .unwrap()
        .set_password("{\"type\":\"session\",\"version\":1,\"name\":")
        .unwrap();
    let all = ks.load_all().unwrap();
    assert_eq!(all.sessions.len(), 1);
    assert_eq!(all.sessions[0].name, "good");
    assert_eq!(all.problems.len(), 1, "{:?}", all.problems);
    assert!(all.problems[0].contains("damaged"));
    assert!(matches!(
        ks.session("broken"),
        Err(KeystoreError::Corrupt(_))
    ));
    ks.delete_session("good").unwrap();
    ks.delete_session("broken").unwrap();
}

#[test]
fn a_locked_keyring_gives_a_readable_error() {
    // Mock store: the failure a real, unlocked test keyring cannot produce on demand.
    let store = keyring_core::mock::Store::new().unwrap();
    let ks = Keystore::with_store(store.clone(), "keyfob-test-locked");
    let entry = store
        .build("keyfob-test-locked", "session:admin", None)
        .unwrap();
    let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(keyring_core::Error::NoStorageAccess(
        "the collection is locked".into(),
    ));
    let err = ks.session("admin").unwrap_err();
    assert!(matches!(err, KeystoreError::Locked(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("The keyring is locked"),
        "{err}"
    );
}

/// A session for `name` whose expiry is `offset` seconds from now (negative: in the past), issued
/// an hour before it, in whole seconds.
fn session_ending(name: &str, offset: i64) -> Session {
    let mut s = session(name, 0);
    let now = s.expires_at;
    s.expires_at = if offset < 0 {
        now - Duration::from_secs(offset.unsigned_abs())
    } else {
        now + Duration::from_secs(offset.unsigned_abs())
    };
    s.issued_at = s.expires_at - Duration::from_secs(3600);
    s
}

/// Runs the real keyfob binary with `args` on the keystore's service, a throw-away HOME and AWS
/// config, and no terminal on stdin (so it cannot ask for anything). Returns (exit code, stdout,
/// stderr).
fn keyfob(ks: &Keystore, home: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_keyfob"));
    cmd.args(args)
        .env(keyfob::keystore::SERVICE_ENV, ks.service())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .stdin(std::process::Stdio::null());
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "KEYFOB_LOG",
        // Headless: with a display a missing session would be asked for in a window.
        "DISPLAY",
        "WAYLAND_DISPLAY",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("the keyfob binary runs");
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn export_and_credential_process_refuse_expired_and_nearly_expired_sessions() {
    let ks = real("cli");
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config"),
        "[profile p]\nregion = eu-west-1\n\n[profile q]\nregion = eu-west-1\n\n[profile r]\nregion = eu-west-1\n",
    )
    .unwrap();
    let expired = session_ending("p", -600);
    let ending = session_ending("q", 180);
    let live = session_ending("r", 2 * 3600);
    for s in [&expired, &ending, &live] {
        ks.save_session(s).unwrap();
    }

    // The sentences README.md gives for each case.
    let expired_at = keyfob::session::rfc3339(expired.expires_at);
    let ending_at = keyfob::session::rfc3339(ending.expires_at);
    let cases = [
        (
            "p",
            format!(
                "keyfob: the session for p expired at {expired_at}: run `keyfob signin --profile p`"
            ),
        ),
        (
            "q",
            format!(
                "keyfob: the session for q ends within 5 minutes, at {ending_at}: run `keyfob signin --profile q`"
            ),
        ),
    ];
    for (profile, sentence) in &cases {
        for args in [
            ["export", "--profile", profile],
            ["credential-process", "--profile", profile],
        ] {
            let (code, stdout, stderr) = keyfob(&ks, home.path(), &args);
            assert_eq!(code, Some(1), "{args:?}: {stderr}");
            assert_eq!(stdout, "", "{args:?}: nothing on stdout");
            assert!(stderr.contains(sentence.as_str()), "{args:?}: {stderr}");
            assert!(!stderr.contains(SECRET) && !stderr.contains(TOKEN));
        }
    }

    // Control: two hours left is handed out.
    let (code, stdout, stderr) = keyfob(&ks, home.path(), &["export", "--profile", "r"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("export AWS_ACCESS_KEY_ID='ASIAEXAMPLEEXAMPLE01'"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("export AWS_SECRET_ACCESS_KEY='{SECRET}'")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("export AWS_SESSION_TOKEN='{TOKEN}'")),
        "{stdout}"
    );
    let (code, stdout, stderr) =
        keyfob(&ks, home.path(), &["credential-process", "--profile", "r"]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["Version"], 1);
    assert_eq!(json["SessionToken"], TOKEN);

    for s in [&expired, &ending, &live] {
        ks.delete_session(&s.name).unwrap();
    }
}

/// The largest session keyfob stores: a chained role session with session tags (its token about
/// 2,100 characters), a role with a path and a 64-character name, a 64-character session name and
/// the longest ExternalId AWS allows (1,224 characters) in the fields it was made from.
fn largest_session(name: &str) -> Session {
    let mut s = session(name, 3600);
    let token = format!("IQoJb3JpZ2luX2VjE{}", "Ab1+/".repeat(420));
    assert!(token.len() > 2_100);
    s.credentials.session_token = Some(Secret::new(token));
    let (role, who) = ("r".repeat(64), "s".repeat(64));
    s.origin.role_arn = format!("arn:aws:iam::123456789012:role/team/platform/ops/{role}");
    s.origin.session_name = who.clone();
    s.origin.external_id = "e".repeat(1_224);
    s.identity.as_mut().unwrap().arn =
        format!("arn:aws:sts::123456789012:assumed-role/{role}/{who}");
    s
}

#[test]
#[allow(clippy::print_stderr)] // the measured sizes, for the README
fn a_session_too_large_for_windows_is_split_into_entries_that_fit_and_read_back() {
    use keyfob::keystore::parts::{WINDOWS, utf16_bytes};
    // The real Secret Service, with Windows Credential Manager's limit (2,560 bytes of UTF-16 an
    // entry), so the split items go through a real store's search and attributes.
    let ks = real("split").with_limit(Some(WINDOWS));
    let store = keyring_core::get_default_store().unwrap();
    let entries = |ks: &Keystore| {
        let spec = HashMap::from([("service", ks.service())]);
        let found = store.search(&spec).unwrap();
        let mut sizes: Vec<(String, usize)> = found
            .iter()
            .map(|e| {
                let user = e.get_specifiers().unwrap().1;
                (user, utf16_bytes(&e.get_password().unwrap()))
            })
            .collect();
        sizes.sort();
        sizes
    };
    let big = largest_session("prod-admin");
    // Without a limit (the Secret Service, the Keychain) it is one entry, too large for Windows.
    let unlimited = real("whole");
    unlimited.save_session(&big).unwrap();
    let one = entries(&unlimited);
    assert_eq!(one.len(), 1);
    let whole = one[0].1;
    assert!(
        whole > 2560,
        "the item must not fit on Windows: {whole} bytes of UTF-16"
    );
    assert_eq!(
        unlimited.session("prod-admin").unwrap().as_ref(),
        Some(&big)
    );
    unlimited.delete_session("prod-admin").unwrap();
    ks.save_session(&big).unwrap();
    let stored = entries(&ks);
    assert!(stored.len() >= 3, "split: {stored:?}");
    for (user, bytes) in &stored {
        assert!(*bytes <= 2560, "{user}: {bytes} bytes of UTF-16");
    }
    eprintln!("the largest session: {whole} bytes of UTF-16 as one item; split: {stored:?}");
    assert_eq!(ks.session("prod-admin").unwrap().as_ref(), Some(&big));
    let all = ks.load_all().unwrap();
    assert_eq!(
        all.sessions,
        vec![big.clone()],
        "parts are not listed as sessions"
    );
    assert!(all.problems.is_empty(), "{:?}", all.problems);
    // Replaced by a small one: one entry, no part left behind.
    let small = session("prod-admin", 900);
    ks.save_session(&small).unwrap();
    let after = entries(&ks);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].0, "session:prod-admin");
    assert_eq!(ks.session("prod-admin").unwrap().as_ref(), Some(&small));
    // Split again, then a missing part: reported, not misread.
    ks.save_session(&big).unwrap();
    store
        .build(ks.service(), "session:prod-admin#2", None)
        .unwrap()
        .delete_credential()
        .unwrap();
    assert!(matches!(
        ks.session("prod-admin"),
        Err(KeystoreError::Corrupt(_))
    ));
    let all = ks.load_all().unwrap();
    assert!(all.sessions.is_empty());
    assert_eq!(all.problems.len(), 1, "{:?}", all.problems);
    // Deleting removes the head and every part.
    assert!(ks.delete_session("prod-admin").unwrap());
    assert!(entries(&ks).is_empty(), "{:?}", entries(&ks));
}

/// A keyring command with every crate logging at trace level ends. The log writes to stderr from
/// zbus's own thread while the command's thread waits on a D-Bus call; a command that held
/// stderr's lock for its whole run (as `keyfob sessions` once did) hung there for ever.
#[test]
fn a_keyring_command_with_trace_logging_ends() {
    real("trace"); // fails with its reason when there is no Secret Service
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyfob"))
        .arg("sessions")
        .env("HOME", home.path())
        .env("KEYFOB_LOG", "trace")
        .env(
            "KEYFOB_KEYRING_SERVICE",
            format!("keyfob-test-trace-cli-{}", std::process::id()),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("keyfob starts");
    use std::io::Read as _;
    // Drained on threads of their own, so a full pipe never stalls the child.
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut r) = r {
                let _ = r.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(child.stdout.take().map(|r| Box::new(r) as _));
    let err = drain(child.stderr.take().map(|r| Box::new(r) as _));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            let log = err.join().unwrap();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            panic!("keyfob sessions with KEYFOB_LOG=trace hung; its log ends: {tail:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, log) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.success(), "{status}: {out}\n{log}");
    assert!(log.contains("zbus"), "zbus logged at trace level: {log}");
}
