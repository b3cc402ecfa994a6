//! Profiles that sign in through the browser (AWS Sign-In's `login_session`, IAM Identity
//! Center's `sso_session`): the form offers one button instead of a code, the page and the code it
//! must show are on screen (the code large, named for screen readers) while the browser is out,
//! Cancel stops the wait, and the answer is a session like any other. (The sign-in itself runs
//! against the loopback fakes in tests/login.rs, tests/sso.rs and scripts/e2e-login.)

use keyfob::aws::cached_sign_in::{SsoChoices, Waiting};
use keyfob::aws::profiles::{ProfileInfo, Profiles};
use keyfob::aws::sso::{Account, SsoSettings};

use crate::rig::*;

const USER: &str = "arn:aws:iam::123456789012:user/passkey-user";

/// The rig with a profile of each browser kind beside the code profiles.
fn rig() -> Rig {
    let mut rig = Rig::with_profiles();
    let passkey = ProfileInfo {
        name: "passkey".into(),
        region: Some("eu-west-1".into()),
        login_session: Some(USER.into()),
        ..ProfileInfo::default()
    };
    let org = ProfileInfo {
        name: "org".into(),
        region: Some("eu-west-1".into()),
        sso: Some(Ok(SsoSettings {
            session: Some("corp".into()),
            start_url: "https://d-9067c1a2b3.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            account_id: Some("111111111111".into()),
            role_name: Some("ReadOnlyAccess".into()),
            scopes: vec!["sso:account:access".into()],
        })),
        ..ProfileInfo::default()
    };
    let mut list = rig.state().sign_in.profiles.list.clone();
    list.extend([passkey, org]);
    rig.reply(Event::Profiles(Ok(Profiles {
        list,
        selected: Some("admin".into()),
    })));
    rig
}

#[test]
fn an_aws_sign_in_profile_signs_in_in_the_browser_with_no_code() {
    let mut rig = rig();
    rig.shows("MFA code");
    rig.select_profile("passkey");
    rig.shows("This profile signs in to AWS in your browser");
    rig.hides("MFA code");
    rig.click("Sign in with AWS Sign-In");
    let (id, profile) =
        expect_command!(rig, Command::BrowserSignIn { id, profile } => (*id, profile.clone()));
    assert_eq!(profile, "passkey");
    assert!(rig.button_disabled("Signing in…"), "one sign-in at a time");
    let url = "https://eu-west-1.signin.aws.amazon.com/v1/authorize?response_type=code&state=s";
    rig.reply(Event::BrowserWaiting {
        id,
        waiting: Waiting {
            url: url.into(),
            user_code: None,
        },
    });
    rig.shows("Finish signing in in your browser.");
    rig.shows(url);
    let mut s = session(
        SessionKind::Login {
            session_arn: USER.into(),
        },
        t(900),
    );
    s.name = "passkey".into();
    s.credentials.access_key_id = "ASIALOGINLOGINLOGIN1".into();
    rig.answer(id, Ok(s));
    rig.hides("Finish signing in in your browser.");
    rig.shows("ASIALOGINLOGINLOGIN1");
    rig.shows("AWS Sign-In (console sign-in)");
    rig.shows("Renews itself from your AWS Sign-In (up to 12 h) 4 min before it ends");
}

#[test]
fn an_identity_center_profile_shows_the_code_large_and_cancel_stops_the_wait() {
    let mut rig = rig();
    rig.select_profile("org");
    rig.shows("IAM Identity Center");
    rig.click("Sign in with IAM Identity Center");
    let id = expect_command!(rig, Command::BrowserSignIn { id, .. } => *id);
    rig.reply(Event::BrowserWaiting {
        id,
        waiting: Waiting {
            url: "https://device.sso.eu-west-1.amazonaws.com/?user_code=WDKX-QBTL".into(),
            user_code: Some("WDKX-QBTL".into()),
        },
    });
    rig.shows("The page must show this code:");
    // The code is a label of its own (read out as one thing, right after what it is).
    rig.h.get_by_label("WDKX-QBTL");
    rig.click("Cancel");
    let cancelled = expect_command!(rig, Command::Cancel { id } => *id);
    assert_eq!(cancelled, id);
    rig.shows("Cancelled");
    rig.hides("The page must show this code:");
    // A late answer to the cancelled sign-in is dropped; the button is back.
    let late = AwsError::new(ErrorKind::Timeout, "late");
    rig.answer(id, Err(late));
    rig.hides("late");
    assert!(!rig.button_disabled("Sign in with IAM Identity Center"));
}

#[test]
fn a_failed_browser_sign_in_says_why_and_can_be_tried_again() {
    let mut rig = rig();
    rig.select_profile("passkey");
    rig.click("Sign in with AWS Sign-In");
    let id = expect_command!(rig, Command::BrowserSignIn { id, .. } => *id);
    let declined = AwsError::new(
        ErrorKind::AccessDenied,
        "The sign-in page said no: The user cancelled the sign-in",
    );
    rig.answer(id, Err(declined));
    rig.shows("The sign-in page said no: The user cancelled the sign-in");
    rig.click("Sign in with AWS Sign-In");
    expect_command!(rig, Command::BrowserSignIn { .. });
}

/// An IAM Identity Center profile that names no role: its accounts listed (2,000 of them, the
/// filter narrowing them as typed), an account's roles, then Sign in as the role, and Save as
/// profile with a taken name refused by the field before anything is sent.
#[test]
fn an_identity_center_profile_with_no_role_lets_you_choose_among_2000_accounts() {
    let mut rig = rig();
    let mut list = rig.state().sign_in.profiles.list.clone();
    list.push(ProfileInfo {
        name: "pick".into(),
        region: Some("eu-west-1".into()),
        sso: Some(Ok(SsoSettings {
            session: Some("corp".into()),
            start_url: "https://d-9067c1a2b3.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            account_id: None,
            role_name: None,
            scopes: vec!["sso:account:access".into()],
        })),
        ..ProfileInfo::default()
    });
    rig.reply(Event::Profiles(Ok(Profiles {
        list,
        selected: Some("admin".into()),
    })));
    rig.select_profile("pick");
    rig.click("Choose an account and role");
    let (id, account) = expect_command!(rig, Command::SsoChoices { id, profile, account_id }
        if profile == "pick" => (*id, account_id.clone()));
    assert_eq!(account, None);
    let accounts = (0..2_000)
        .map(|i| Account {
            id: format!("{:012}", 100_000_000_000_u64 + i),
            name: format!("team-{i}"),
            email: format!("aws+{i}@example.com"),
        })
        .collect();
    rig.reply(Event::SsoChoices {
        id,
        result: Ok(SsoChoices::Accounts(accounts)),
    });
    rig.shows("2000 of 2000 accounts");
    rig.type_into("Filter accounts", "team-1999");
    rig.shows("1 of 2000 accounts");
    rig.click_label("team-1999 · 100000001999 · aws+1999@example.com");
    let (id, account) = expect_command!(rig, Command::SsoChoices { id, account_id, .. }
        => (*id, account_id.clone()));
    assert_eq!(account.as_deref(), Some("100000001999"));
    rig.reply(Event::SsoChoices {
        id,
        result: Ok(SsoChoices::Roles {
            account_id: "100000001999".into(),
            roles: vec!["AdministratorAccess".into(), "ReadOnlyAccess".into()],
        }),
    });
    rig.shows("Roles in team-1999");
    rig.click("ReadOnlyAccess");
    assert_eq!(
        rig.input_value("Save as profile"),
        "team-1999-ReadOnlyAccess"
    );

    // A taken name: said by the field, nothing sent.
    rig.type_into("Save as profile", "admin");
    rig.click("Save");
    rig.shows("A profile admin exists already: choose another name");
    rig.expect_nothing_sent("a taken name");
    rig.type_into("Save as profile", "team-ro");
    rig.click("Save");
    let id = expect_command!(rig, Command::SaveSsoProfile { id, from, name, account_id, role }
        if from == "pick" && name == "team-ro" && account_id == "100000001999" && role == "ReadOnlyAccess" => *id);
    rig.reply(Event::SsoProfileSaved {
        id,
        result: Ok("team-ro".into()),
    });
    rig.shows("Saved profile team-ro in your AWS config");
    expect_command!(rig, Command::LoadProfiles);

    rig.click("Sign in as ReadOnlyAccess");
    let id = expect_command!(rig, Command::SsoRole { id, profile, account_id, role }
        if profile == "pick" && account_id == "100000001999" && role == "ReadOnlyAccess" => *id);
    let kind = SessionKind::Sso {
        account_id: "100000001999".into(),
        role_name: "ReadOnlyAccess".into(),
    };
    let mut s = session(kind, t(3600));
    s.name = "ReadOnlyAccess@100000001999".into();
    s.credentials.access_key_id = "ASIASSOSSOSSOSSO0001".into();
    rig.answer(id, Ok(s));
    rig.shows("ASIASSOSSOSSOSSO0001");
    rig.shows("IAM Identity Center role");
}

/// Someone whose MFA is a passkey has no code to type: the code form offers AWS Sign-In as a
/// profile of its own (`default` when there is none), the page is shown while the browser is out,
/// and once signed in the profiles are read again and the new profile chosen; a name that is no
/// profile name is said and nothing is sent.
#[test]
fn with_no_code_an_aws_sign_in_makes_a_profile_of_its_own() {
    let mut rig = Rig::with_profiles();
    rig.shows("No code? Your MFA is a passkey or a security key?");
    rig.type_into("Profile to sign in as", "my laptop");
    rig.click("Sign in with AWS Sign-In");
    rig.shows("'my laptop' is not a usable profile name (letters, digits and - _ . @ +)");
    rig.expect_nothing_sent("a bad profile name");
    rig.type_into("Profile to sign in as", "");
    rig.click("Sign in with AWS Sign-In");
    let (id, profile, region) = expect_command!(rig, Command::LoginAsProfile { id, profile, region }
        => (*id, profile.clone(), region.clone()));
    assert_eq!(profile, "default", "no default profile yet");
    assert!(!region.is_empty());
    rig.reply(Event::BrowserWaiting {
        id,
        waiting: Waiting {
            url: "https://us-east-1.signin.aws.amazon.com/v1/authorize?state=s".into(),
            user_code: None,
        },
    });
    rig.shows("Finish signing in in your browser.");
    let mut s = session(
        SessionKind::Login {
            session_arn: USER.into(),
        },
        t(900),
    );
    s.name = "default".into();
    rig.answer(id, Ok(s));
    expect_command!(rig, Command::LoadProfiles);
    rig.shows("AWS Sign-In (console sign-in)");
    let mut list = rig.state().sign_in.profiles.list.clone();
    list.push(ProfileInfo {
        name: "default".into(),
        region: Some(region),
        login_session: Some(USER.into()),
        ..ProfileInfo::default()
    });
    rig.reply(Event::Profiles(Ok(Profiles {
        list,
        selected: Some("admin".into()),
    })));
    rig.shows("This profile signs in to AWS in your browser");
}
