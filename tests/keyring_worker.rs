//! The worker with the real keyring (scripts/test's gnome-keyring) and a real moto_server: keys are
//! imported from a profile of the credentials file into the keyring, the profile is then removed
//! from the file (leaving no backup that holds them, and scrubbing them from the backup an earlier
//! write made), a sign-in uses the keyring's keys, and the session is cached.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{Moto, request, seed};
use keyfob::aws::SourceCredentials;
use keyfob::aws::sts::{Flow, Mfa, SignInRequest};
use keyfob::keystore::Keystore;
use keyfob::message::{Command, Event};

fn next(events: &std::sync::mpsc::Receiver<Event>) -> Event {
    events
        .recv_timeout(Duration::from_secs(20))
        .expect("the worker answers")
}

#[test]
fn import_keys_remove_them_from_the_file_sign_in_with_them_and_cache_the_session() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let seed = rt.block_on(seed(&moto));
    let creds_path = moto.profile_files.credentials.clone().unwrap();
    let other = "# keep this comment\n[other]\nregion = eu-west-1\n";
    std::fs::write(
        &creds_path,
        format!(
            "[alice]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n{other}",
            seed.alice.access_key_id,
            seed.alice.secret_access_key.expose()
        ),
    )
    .unwrap();
    // A backup an earlier "Write profile" left: the whole old file, the long-term secret included
    // (what keyfob's write makes before it changes the file).
    let earlier = creds_path.with_file_name("credentials.keyfob-backup-2026-01-01T000000Z");
    std::fs::copy(&creds_path, &earlier).unwrap();
    let secret = seed.alice.secret_access_key.expose().to_owned();
    let holds = |p: &std::path::Path| std::fs::read_to_string(p).unwrap().contains(&secret);
    assert!(holds(&earlier));
    let platform = Keystore::platform().unwrap_or_else(|e| {
        panic!("{e}\nThis test needs a Secret Service: run scripts/test, which starts one")
    });
    let service = format!("keyfob-test-worker-{}", std::process::id());
    let ks = Keystore::with_store(keyring_core::get_default_store().unwrap(), &service);
    assert_ne!(platform.service(), ks.service());
    let channels = keyfob::worker::spawn(
        moto.env(),
        Ok(ks.clone()),
        keyfob::worker::Ports::headless(),
    )
    .unwrap();

    channels
        .commands
        .send(Command::ImportKey {
            profile: "alice".into(),
        })
        .unwrap();
    match next(&channels.events) {
        Event::Keys(Ok(keys)) => {
            assert_eq!(keys.len(), 1);
            assert_eq!(keys[0].access_key_id, seed.alice.access_key_id);
        }
        other => panic!("expected the key list, got {other:?}"),
    }
    assert!(matches!(
        next(&channels.events),
        Event::KeySaved { imported_from: Some(p), .. } if p == "alice"
    ));

    channels
        .commands
        .send(Command::RemoveProfileFromFile {
            profile: "alice".into(),
        })
        .unwrap();
    match next(&channels.events) {
        Event::ProfileWritten(Ok(message)) => {
            assert!(message.contains("Removed [alice]"), "{message}");
            assert!(
                message.contains("removed from 1 earlier backup")
                    && message.contains(&earlier.display().to_string()),
                "the scrubbed backup is named: {message}"
            );
        }
        other => panic!("expected the file written, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&creds_path).unwrap(), other);
    let backups = std::fs::read_dir(creds_path.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("credentials.keyfob-backup-")
        })
        .count();
    assert_eq!(backups, 1, "the removal made no backup of its own");
    assert!(
        !holds(&earlier),
        "the earlier backup no longer holds the secret"
    );
    assert_eq!(std::fs::read_to_string(&earlier).unwrap(), other);

    // Sign in with the keys that now live only in the keyring.
    let request = SignInRequest {
        name: "alice".into(),
        ..request(
            SourceCredentials::Keyring("alice".into()),
            Flow::SessionToken {
                mfa: Some(Mfa {
                    serial: seed.alice_mfa.clone(),
                    code: "123456".into(),
                }),
            },
        )
    };
    channels
        .commands
        .send(Command::SignIn {
            id: 1,
            request: Box::new(request),
        })
        .unwrap();
    let session = match next(&channels.events) {
        Event::SignedIn {
            id: 1,
            result: Ok(s),
        } => s,
        other => panic!("expected a session, got {other:?}"),
    };
    assert!(
        session
            .source_identity
            .as_ref()
            .is_some_and(|i| i.arn.ends_with(":user/alice")),
        "{:?}",
        session.source_identity
    );
    channels
        .commands
        .send(Command::CacheSession {
            session: session.clone(),
        })
        .unwrap();
    channels.commands.send(Command::LoadCache).unwrap();
    match next(&channels.events) {
        Event::Cache(Ok(contents)) => {
            assert_eq!(contents.sessions.len(), 1);
            assert_eq!(contents.sessions[0], *session);
        }
        other => panic!("expected the cache, got {other:?}"),
    }
    ks.delete_key("alice").unwrap();
    ks.delete_session("alice").unwrap();
}
