//! A role chained from an MFA session renews itself: the countdown shows both lives, the
//! supervisor's call chains a fresh role from the MFA session with no code (the shown session
//! stays shown), and once the MFA session has ended the window says it cannot, here and on the
//! desktop. (The timers are tested in worker::supervisor, the chaining against moto in
//! tests/renew_worker.rs.)

use keyfob::aws::sts::Flow;

use crate::rig::*;

/// alice's MFA session ending at `t(mfa_ends)`, and role admin chained from it ending at
/// `t(3600)`.
fn chained(mfa_ends: u64) -> Rig {
    let mut rig = Rig::with_profiles();
    rig.select_profile("alice");
    rig.sign_in_with("123456", session(MFA_TOKEN, t(mfa_ends)));
    rig.select_profile("admin");
    rig.type_into("Duration", "3600");
    rig.click("Sign in"); // no code: chained
    let (id, request) = rig.take_sign_in();
    let role = SessionKind::Chained {
        role_arn: ROLE.into(),
    };
    let mut s = session(role, t(3600));
    (s.name, s.origin) = (request.name, request.origin);
    s.credentials.access_key_id = "ASIAROLEROLEROLE0001".into();
    rig.answer(id, Ok(s));
    rig
}

#[test]
fn a_chained_role_shows_both_lives_and_is_watched_for_renewal() {
    let mut rig = chained(5000);
    rig.shows("role 1 h · MFA 1 h 23 min");
    rig.shows("Renews itself from the MFA session 10 min before it ends, no code");
    let watched = rig.watched();
    let Some(Watch::Sessions { sessions, .. }) = watched.last() else {
        panic!("{watched:?}")
    };
    let renew_at: Vec<_> = sessions
        .iter()
        .map(|w| (w.name.as_str(), w.renew_at))
        .collect();
    assert_eq!(renew_at, [("alice", None), ("admin", Some(t(3000)))]);
    rig.type_in(
        Role::SpinButton,
        "Renew chained roles this many minutes before the end (0 = never)",
        "0",
    );
    rig.shows("Renewing itself is off");
    let watched = rig.watched();
    let Some(Watch::Sessions { sessions, .. }) = watched.last() else {
        panic!("{watched:?}")
    };
    assert!(
        sessions.iter().all(|w| w.renew_at.is_none()),
        "{sessions:?}"
    );
}

#[test]
fn the_supervisors_call_chains_a_fresh_role_with_no_code_and_keeps_the_shown_session() {
    let mut rig = chained(5000);
    rig.reply(Event::Cache(Ok(contents(Vec::new())))); // a keyring: the renewal is kept there
    rig.click_label("alice");
    rig.set_now(t(3000));
    rig.reply(Event::RenewDue {
        name: "admin".into(),
    });
    let request = expect_command!(rig, Command::Renew { request } => request.clone());
    let Flow::Chained { role, parent } = &request.flow else {
        panic!("{:?}", request.flow)
    };
    assert_eq!(
        (role.role_arn.as_str(), parent.name.as_str()),
        (ROLE, "alice")
    );
    assert_eq!(request.name, "admin");
    let role = SessionKind::Chained {
        role_arn: ROLE.into(),
    };
    let mut fresh = session(role, t(6600));
    (fresh.name, fresh.origin, fresh.issued_at) = ("admin".into(), request.origin, t(3000));
    fresh.credentials.access_key_id = "ASIAROLEROLEROLE0002".into();
    rig.reply(Event::Renewed {
        name: "admin".into(),
        result: Ok(Box::new(fresh)),
    });
    rig.shows("Renewed admin from your MFA session, with no code: 1 h left");
    expect_command!(rig, Command::CacheSession { session }
        if session.credentials.access_key_id == "ASIAROLEROLEROLE0002");
    assert_eq!(
        rig.state().current().map(|s| s.name.as_str()),
        Some("alice"),
        "still shown"
    );
    rig.click_label("admin");
    rig.shows("ASIAROLEROLEROLE0002");
    rig.shows("role 1 h · MFA 33 min");
}

#[test]
fn once_the_mfa_session_has_ended_the_role_says_it_will_not_renew() {
    let mut rig = chained(2000);
    rig.set_now(t(3000));
    rig.shows("role 00:10:00 · MFA ended");
    rig.shows("Will not renew itself: the MFA session behind it has ended");
    rig.reply(Event::RenewDue {
        name: "admin".into(),
    });
    let summary = expect_command!(rig, Command::Notify { summary, .. } => summary.clone());
    assert_eq!(summary, "AWS session admin will not renew itself");
    rig.shows("admin could not renew itself: the MFA session behind it has ended");
    // A refusal from the worker (or AWS) says so the same way.
    let error = AwsError::new(ErrorKind::AccessDenied, "Access denied: not authorized");
    rig.reply(Event::Renewed {
        name: "admin".into(),
        result: Err(error),
    });
    rig.shows("admin could not renew itself: Access denied: not authorized");
    expect_command!(rig, Command::Notify { .. });
}

#[test]
fn a_renewal_that_arrives_after_a_sign_out_is_dropped() {
    let mut rig = chained(5000);
    rig.reply(Event::Cache(Ok(contents(Vec::new())))); // a keyring: a renewal would be kept there
    rig.set_now(t(3000));
    rig.reply(Event::RenewDue {
        name: "admin".into(),
    });
    let request = expect_command!(rig, Command::Renew { request } => request.clone());
    rig.click_label("admin");
    rig.click("Sign out");
    find_command!(rig, Command::SignOut { name } if name == "admin");
    let role = SessionKind::Chained {
        role_arn: ROLE.into(),
    };
    let mut fresh = session(role, t(6600));
    (fresh.name, fresh.origin) = ("admin".into(), request.origin);
    rig.reply(Event::Renewed {
        name: "admin".into(),
        result: Ok(Box::new(fresh)),
    });
    let names: Vec<&str> = rig
        .state()
        .sessions
        .list
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["alice"], "the signed-out role stays out");
    rig.expect_nothing_sent("nothing goes back to the keyring");
}

/// Sessions of a sign-in made in the browser (AWS Sign-In, IAM Identity Center) renew from the
/// cached sign-in: the supervisor is asked in time (an AWS Sign-In session in its last four
/// minutes, when the SDK renews it), the worker is asked for a fresh one from the cache, and a
/// sign-in that has ended says to sign in again in the browser, not to type a code.
#[test]
fn a_browser_sign_ins_session_renews_from_its_cached_sign_in() {
    let mut rig = Rig::with_profiles();
    let user = "arn:aws:iam::123456789012:user/passkey-user";
    let login = SessionKind::Login {
        session_arn: user.into(),
    };
    let mut s = session(login.clone(), t(900));
    s.name = "passkey".into();
    let sso = SessionKind::Sso {
        account_id: "111111111111".into(),
        role_name: "ReadOnlyAccess".into(),
    };
    let mut org = session(sso, t(3600));
    org.name = "org".into();
    rig.reply(Event::Cache(Ok(contents(vec![s.clone(), org]))));
    let watch = rig.state().sessions.watch();
    let Watch::Sessions { sessions, .. } = watch else {
        panic!("{watch:?}")
    };
    let renew_at = |name: &str| sessions.iter().find(|w| w.name == name).unwrap().renew_at;
    assert_eq!(renew_at("passkey"), Some(t(900 - 4 * 60)));
    assert_eq!(renew_at("org"), Some(t(3600 - 10 * 60)));

    rig.set_now(t(700));
    rig.reply(Event::RenewDue {
        name: "passkey".into(),
    });
    let asked = expect_command!(rig, Command::RenewFromCache { session } => session.clone());
    assert_eq!((asked.name.as_str(), &asked.kind), ("passkey", &login));
    let mut fresh = s.clone();
    (fresh.issued_at, fresh.expires_at) = (t(700), t(1600));
    fresh.credentials.access_key_id = "ASIALOGINLOGINLOGIN2".into();
    rig.reply(Event::Renewed {
        name: "passkey".into(),
        result: Ok(Box::new(fresh)),
    });
    rig.shows("Renewed passkey from your AWS Sign-In, with no code: 15 min left");
    expect_command!(rig, Command::CacheSession { session }
        if session.credentials.access_key_id == "ASIALOGINLOGINLOGIN2");
    rig.click_label("passkey");
    rig.shows("ASIALOGINLOGINLOGIN2");

    rig.set_now(t(1400));
    rig.reply(Event::RenewDue {
        name: "passkey".into(),
    });
    expect_command!(rig, Command::RenewFromCache { .. });
    let ended = AwsError::new(
        ErrorKind::Expired,
        "Your AWS Sign-In session for passkey has ended or was revoked: run `keyfob login --profile passkey`",
    );
    rig.reply(Event::Renewed {
        name: "passkey".into(),
        result: Err(ended),
    });
    rig.shows("passkey could not renew itself: Your AWS Sign-In session for passkey has ended or was revoked");
    rig.shows("Sign in again in the browser.");
    let summary = expect_command!(rig, Command::Notify { summary, .. } => summary.clone());
    assert_eq!(summary, "AWS session passkey will not renew itself");
}
