//! The keyring: sessions restored and kept, a window without one, the long-term keys panel.

use keyfob::keystore::KeystoreError;

use crate::rig::*;

fn session_names(rig: &Rig) -> Vec<String> {
    let sessions = &rig.state().sessions.list;
    sessions.iter().map(|s| s.name.clone()).collect()
}

#[test]
fn live_sessions_are_restored_from_the_keyring_and_each_has_its_countdown() {
    let mut rig = Rig::with_profiles();
    rig.reply(Event::Cache(Ok(contents(vec![
        named("dev", t(7200)),
        named("prod", t(1800)),
        // Within 5 minutes of expiry: counts as expired, dropped from the keyring too.
        named("old", t(240)),
    ]))));
    assert_eq!(session_names(&rig), ["dev", "prod"]);
    expect_command!(rig, Command::ForgetSession { name } if name == "old");
    rig.shows("Restored 2 live sessions from the keyring");
    rig.shows("2 h left"); // dev's countdown in the list
    rig.shows("30 min left"); // prod's countdown
    rig.shows("assumed-role/prod/a");
    rig.hides("assumed-role/dev/a");
    rig.click_label("dev"); // a click shows the other session
    rig.shows("assumed-role/dev/a");
    assert_eq!(rig.state().sessions.selected.as_deref(), Some("dev"));
    rig.click_label("prod");
    rig.shows("assumed-role/prod/a");
    rig.click("Sign out"); // forgets the shown one only, in the keyring too
    find_command!(rig, Command::ForgetSession { name } if name == "prod");
    assert_eq!(session_names(&rig), ["dev"]);
}

#[test]
fn a_new_session_is_kept_in_the_keyring_and_replaces_one_of_its_name() {
    let mut rig = Rig::with_profiles();
    rig.reply(Event::Cache(Ok(contents(Vec::new()))));
    rig.select_profile("alice");
    for round in 0..2 {
        rig.sign_in_with("123456", session(MFA_TOKEN, t(3600 + round)));
        expect_command!(rig, Command::CacheSession { session } if session.name == "alice");
    }
    assert_eq!(rig.state().sessions.list.len(), 1, "renewed in place");
}

#[test]
fn without_a_keyring_the_window_says_so_and_keeps_sessions_in_memory() {
    let mut rig = Rig::with_profiles();
    let no_bus = KeystoreError::Unavailable("there is no D-Bus session bus".into());
    rig.reply(Event::Cache(Err(no_bus)));
    rig.shows("No keyring is available");
    rig.shows("sessions are kept in memory only");
    rig.select_profile("alice");
    rig.sign_in_with("123456", session(MFA_TOKEN, t(3600)));
    rig.shows("1 h left"); // signed in all the same
    rig.expect_nothing_sent("nothing is sent to a keyring that is not there");
}

fn store_keys(rig: &mut Rig, name: &str, id: &str, secret: &str) {
    rig.type_into("Key name", name);
    rig.type_into("Access key id", id);
    rig.type_in(Role::PasswordInput, "Secret access key", secret);
    rig.click("Store keys");
}

#[test]
fn keys_form_checks_every_field_and_sends_only_good_keys() {
    let mut rig = Rig::with_profiles();
    rig.reply(Event::Cache(Ok(contents(Vec::new()))));
    rig.click_label("Long-term keys in the keyring");
    rig.shows("AKIAEXAMPLEEXAMPLE01"); // the list shows ids
    let id = "AKIAEXAMPLEEXAMPLE02";
    let not_akia = "An access key id is AKIA or ASIA";
    let forty = "A secret access key is 40";
    let bad_secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYzSECRETKEY0!";
    let cases = [
        ("", id, SECRET, "Give it a name"),
        ("bad name!", id, SECRET, "Use letters, digits"),
        ("w", "AKIA123", SECRET, not_akia),
        ("w", "akiaexampleexample02", SECRET, not_akia),
        ("w", id, "short", forty),
        ("w", id, bad_secret, forty),
    ];
    for (name, id, secret, message) in cases {
        store_keys(&mut rig, name, id, secret);
        assert!(rig.has_text(message), "{name}/{id}: expected '{message}'");
        rig.expect_nothing_sent(&format!("{name}/{id}"));
    }
    store_keys(&mut rig, "personal", id, SECRET);
    expect_command!(rig, Command::SaveKey { key }
        if key.name == "personal" && key.credentials.secret_access_key.expose() == SECRET);
    assert!(rig.state().key_form.secret.is_empty(), "secret wiped");
    assert!(!rig.all_text().contains(SECRET));
    rig.click_label("Remove work");
    expect_command!(rig, Command::DeleteKey { name } if name == "work");
}
