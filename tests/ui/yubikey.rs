//! A profile that names a YubiKey OATH account: an empty code is asked of the key (the window
//! says to touch it while it waits), the key's code signs in at once, a typed code still wins,
//! and each failure of the key is a sentence by the code field that sends nothing more. (ykman
//! itself is faked in src/oath.rs's tests, scripts/e2e-cli and the real window in
//! scripts/e2e-xvfb.)

use keyfob::aws::profiles::{ProfileInfo, Profiles};
use keyfob::aws::sts::Flow;
use keyfob::oath::OathError;
use keyfob::secret::Secret;

use crate::rig::*;

/// Profile yubi: alice's keys and MFA device, codes from OATH account "AWS:alice".
fn with_key() -> Rig {
    let yubi = ProfileInfo {
        name: "yubi".into(),
        mfa_serial: Some(MFA.into()),
        has_keys: true,
        oath_account: Some("AWS:alice".into()),
        ..ProfileInfo::default()
    };
    let mut rig = Rig::with_storage(None);
    let (list, selected) = (vec![yubi], Some("yubi".into()));
    rig.reply(Event::Profiles(Ok(Profiles { list, selected })));
    rig
}

#[test]
fn an_empty_code_is_asked_of_the_yubikey_and_its_code_signs_in() {
    let mut rig = with_key();
    rig.shows("Leave it empty: Sign in asks your YubiKey (OATH account AWS:alice)");
    assert!(!rig.button_disabled("Sign in"), "no code needed");
    rig.click("Sign in");
    let id =
        expect_command!(rig, Command::KeyCode { id, account } if account == "AWS:alice" => *id);
    rig.shows("Touch your YubiKey if it flashes…");
    assert!(rig.button_disabled("Waiting for your YubiKey…"));
    rig.press(Key::Enter);
    rig.expect_nothing_sent("one question to the key at a time");
    rig.reply(Event::KeyCode {
        id,
        result: Ok(Secret::new("987654")),
    });
    let (_, request) = rig.take_sign_in();
    let Flow::SessionToken { mfa: Some(mfa) } = &request.flow else {
        panic!("{:?}", request.flow)
    };
    assert_eq!((mfa.serial.as_str(), mfa.code.as_str()), (MFA, "987654"));
    rig.hides("Touch your YubiKey");
}

#[test]
fn a_typed_code_wins_and_each_failure_of_the_key_is_said_by_the_code_field() {
    let mut rig = with_key();
    let (_, request) = rig.submit_code("123456");
    let typed = matches!(&request.flow, Flow::SessionToken { mfa: Some(m) } if m.code == "123456");
    assert!(typed, "{:?}", request.flow);
    rig.press(Key::Escape);
    rig.sent();
    rig.type_into("MFA code", "");
    let failures = [
        (
            OathError::NoKey,
            "No YubiKey found: plug it in and try again",
        ),
        (
            OathError::TouchTimedOut,
            "The YubiKey was not touched in time",
        ),
        (OathError::NoYkman, "ykman is not installed"),
        (
            OathError::SeveralMatch("AWS:alice".into()),
            "Several OATH accounts match AWS:alice",
        ),
        (
            OathError::NoAccount("AWS:alice".into()),
            "The YubiKey has no OATH account matching",
        ),
    ];
    for (error, sentence) in failures {
        rig.click("Sign in");
        let id = expect_command!(rig, Command::KeyCode { id, .. } => *id);
        rig.reply(Event::KeyCode {
            id,
            result: Err(error),
        });
        rig.shows(sentence);
        rig.expect_nothing_sent(sentence);
        assert_eq!(
            rig.focused_label(),
            "MFA code",
            "{sentence}: ready for a typed code"
        );
    }
    // Cancelled while waiting: the key's late answer is dropped.
    rig.click("Sign in");
    let id = expect_command!(rig, Command::KeyCode { id, .. } => *id);
    rig.press(Key::Escape);
    expect_command!(rig, Command::Cancel { id: c } if *c == id);
    rig.reply(Event::KeyCode {
        id,
        result: Ok(Secret::new("111111")),
    });
    rig.expect_nothing_sent("a cancelled key's code");
}
