//! The sign-in form: profiles, bad input, the code, failures, chaining, MFA detection, keys.

use keyfob::aws::sts::{DetectedMfa, Flow};
use keyfob::keystore::KeystoreError;
use keyfob::session::SourceChoice;

use crate::common::fake::{Behaviour, FakeServer};
use crate::rig::*;

#[test]
fn aws_profile_is_preselected_and_fills_every_field() {
    let mut rig = Rig::with_profiles();
    let fields = "MFA device, Role ARN, Session name, ExternalId, Duration, Region".split(", ");
    let values: Vec<String> = fields.map(|field| rig.input_value(field)).collect();
    let expected = [MFA, ROLE, "alice-admin", "tenant-42", "7200", "eu-west-1"];
    assert_eq!(values, expected);
    let source = &rig.state().sign_in.form.fields.source;
    let alice = SourceChoice::Profile("alice".into());
    assert_eq!(source, &alice, "source_profile becomes the source");
    rig.type_into("Region", "eu-central-1");
    assert_eq!(rig.input_value("Region"), "eu-central-1", "editable");
    rig.choose("Profile", "alice  (MFA)");
    assert_eq!(rig.input_value("Role ARN"), "", "refilled");
    assert_eq!(rig.input_value("Region"), "us-east-1");
    rig.shows("Will call: GetSessionToken with your MFA code");
}

/// One bad input a line: the field, the typed value and part of its message, separated by
/// " | "; a fourth column "no role" clears the role ARN first (a session token's limits apply).
const BAD_INPUTS: &str = "\
MFA device | arn:aws:iam::12345:mfa/alice | expected arn:aws:iam
MFA device | arn:aws:iam::123456789012:user/alice | should contain :mfa/
MFA device | arn:aws:iam::123456789012:mfa/ | device name after mfa/
MFA device | arn:aws:iam::123456789012:mfa/al ice | device name after mfa/
MFA device | GAHT 1234 | has no spaces
MFA device | abc | hardware serial
MFA device | arn:aws:sts::123456789012:mfa/alice | expected arn:aws:iam
Role ARN | admin | Not a role ARN
Role ARN | arn:aws:iam::123456789012:user/admin | should contain :role/
Role ARN | arn:aws:iam::123456789012:role/ | role name after role/
Role ARN | arn:aws:iam::1234567890123:role/a | Not a role ARN
Role ARN | arn:aws:iam::123456789012:role/a b | role name after role/
Session name | a | 2 to 64 characters
Session name | xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | 2 to 64 characters
Session name | with space | ' ' is not allowed
Session name | semi;colon | ';' is not allowed
Session name | slash/name | '/' is not allowed
ExternalId | x | 2 to 1224 characters
ExternalId | bad#id | '#' is not allowed
ExternalId | has space | ' ' is not allowed
Duration | 10 | at least 15 minutes
Duration | abc | Enter seconds
Duration | 1.5h | Enter seconds
Duration | -5 | Enter seconds
Duration | 50000 | A role session lasts at most 12 h
Duration | 37h | A session token lasts at most 36 h | no role
Duration | 99999999999 | far too long
Region | useast1 | Not a region
Region | US-EAST-1 | Not a region
Region | us-east | Not a region
Region | eu_west_1 | Not a region
Region | us-east-1a | Not a region";

#[test]
fn every_bad_input_shows_its_message_and_sends_nothing() {
    assert!(BAD_INPUTS.lines().count() >= 30);
    let mut rig = Rig::with_profiles();
    for line in BAD_INPUTS.lines() {
        let no_role = line.ends_with(" | no role");
        let columns: Vec<&str> = line.trim_end_matches(" | no role").split(" | ").collect();
        let [field, value, message] = columns[..] else {
            panic!("not a case: {line:?}")
        };
        let case = format!("{field} = {value:?}");
        rig.h.state_mut().state.select_profile("admin");
        if no_role {
            rig.h.state_mut().state.sign_in.form.fields.role_arn.clear();
        }
        rig.h.run();
        rig.type_into(field, value);
        assert!(rig.has_text(message), "{case}: no {message:?}");
        // A full code would sign in by itself if the form were good: it must not.
        rig.type_into("MFA code", "123456");
        assert!(rig.button_disabled("Sign in"), "{case}: Sign in enabled");
        rig.click("Sign in");
        let why = rig.button("Sign in").accesskit_node().description();
        let says_why = why.as_deref().is_some_and(|w| w.contains(message));
        assert!(says_why, "{case}: the button says why: {why:?}");
        rig.expect_nothing_sent(&case);
    }
    rig.select_profile("alice"); // and the code itself: five digits and Enter
    rig.type_into("MFA code", "12345");
    rig.press(Key::Enter);
    rig.shows("The code has 6 digits (5 so far)");
    rig.expect_nothing_sent("a five-digit code");
}

#[test]
fn the_code_field_takes_a_pasted_code_and_signs_in_on_the_sixth_digit() {
    let mut rig = Rig::with_profiles();
    rig.type_into("MFA code", "12 34");
    assert_eq!(rig.input_value("MFA code"), "1234", "spaces are stripped");
    rig.expect_nothing_sent("four digits");
    let code = rig.h.get_by_role_and_label(Role::TextInput, "MFA code");
    code.type_text("5x6");
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
    assert!(rig.button_disabled("Signing in…"), "disabled while it runs");
    rig.button("Signing in…").click();
    rig.h.run_steps(3);
    rig.h.key_press(Key::Enter);
    rig.h.run_steps(3);
    rig.expect_nothing_sent("no second request while one runs");
}

#[test]
fn a_rejected_code_keeps_the_form_and_offers_details() {
    let mut rig = Rig::with_profiles();
    let rejected = "That code was rejected — wait for the next one";
    let mut error = AwsError::new(ErrorKind::MfaRejected, rejected);
    error.detail = "AccessDenied (HTTP 403): MultiFactorAuthentication failed".into();
    let (id, _) = rig.submit_code("123456");
    rig.answer(id, Err(error));
    rig.shows(rejected);
    assert_eq!(rig.focused_label(), "MFA code", "ready for the next code");
    rig.hides("MultiFactorAuthentication failed"); // the detail is folded
    rig.click("Show details");
    rig.shows("AccessDenied (HTTP 403): MultiFactorAuthentication failed");
    assert_eq!(rig.input_value("Role ARN"), ROLE);
    assert_eq!(rig.input_value("ExternalId"), "tenant-42");
    assert_eq!(rig.input_value("MFA code"), "", "codes are single-use");
}

#[test]
fn a_network_failure_keeps_even_the_code() {
    let mut rig = Rig::with_profiles();
    let message = "Could not reach AWS; check your network (or AWS_ENDPOINT_URL)";
    let (id, _) = rig.submit_code("123456");
    rig.answer(id, Err(AwsError::new(ErrorKind::Unreachable, message)));
    rig.shows("Could not reach AWS");
    assert_eq!(rig.input_value("MFA code"), "123456");
    rig.click("Sign in"); // retry with the same code
    expect_command!(rig, Command::SignIn { .. });
}

#[test]
fn cancel_drops_the_answer_and_a_newer_request_wins() {
    let mut rig = Rig::with_profiles();
    let (first, _) = rig.submit_code("123456");
    rig.press(Key::Escape);
    expect_command!(rig, Command::Cancel { id } if *id == first);
    rig.click("Sign in");
    let (second, _) = rig.take_sign_in();
    assert_ne!(first, second);
    rig.answer(first, Ok(session(MFA_TOKEN, t(900))));
    assert!(rig.state().current().is_none(), "stale answer dropped");
    rig.answer(second, Ok(session(assumed_role(), t(3600))));
    rig.shows("1 h left");
}

#[test]
fn chaining_needs_no_code_and_offers_the_direct_flow_above_one_hour() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    assert!(rig.state().chainable(t(0)).is_some(), "MFA session chains");
    rig.select_profile("admin");
    rig.shows("Will call: AssumeRole from your MFA session");
    rig.shows("AWS caps a role assumed from an MFA session at 1 hour"); // the profile's 2 h
    assert!(rig.button_disabled("Sign in"));
    rig.type_into("Duration", "3600");
    rig.click("Sign in");
    let (_, request) = rig.take_sign_in();
    let flow = &request.flow;
    let chained = matches!(flow, Flow::Chained { role, .. } if role.role_arn == ROLE);
    assert!(chained, "{flow:?}");
    rig.press(Key::Escape);
    expect_command!(rig, Command::Cancel { .. });
    // Longer than an hour: take the offered direct flow, which wants a code.
    rig.type_into("Duration", "2h");
    rig.click("Assume the role directly with a new code instead");
    rig.shows("Will call: AssumeRole with your MFA code");
    let (_, request) = rig.submit_code("654321");
    let flow = &request.flow;
    let direct = matches!(flow, Flow::AssumeRole { mfa: Some(m), .. } if m.code == "654321");
    assert!(direct, "{flow:?}");
    assert_eq!(request.duration, Some(7200));
}

#[test]
fn detect_fills_the_device_and_marks_a_guess() {
    let mut rig = Rig::with_profiles();
    rig.select_profile("alice");
    rig.type_into("MFA device", "");
    rig.click("Detect");
    let alice = keyfob::aws::SourceCredentials::Profile("alice".into());
    let id = expect_command!(rig, Command::DetectMfa { id, source, .. } if *source == alice => *id);
    let bob = "arn:aws:iam::123456789012:mfa/bob";
    let result = Ok(DetectedMfa {
        serial: bob.into(),
        guessed: true,
    });
    rig.reply(Event::MfaDetected { id, result });
    assert_eq!(rig.input_value("MFA device"), bob);
    rig.shows("Guessed from your user name: check it");
}

#[test]
fn the_ui_stays_responsive_while_a_server_hangs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeServer::start(Behaviour::Silent));
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    let keys = "[hang]\naws_access_key_id = AKIAHANGHANGHANGHANG\naws_secret_access_key = x\n";
    std::fs::write(&credentials, keys).unwrap();
    let mut env = keyfob::aws::AwsEnv {
        endpoint_url: Some(server.url.clone()),
        ..Default::default()
    };
    env.profile_files.config = Some(dir.path().join("config"));
    env.profile_files.credentials = Some(credentials);
    let mut h = Harness::builder().with_size(SIZE).build_eframe(move |cc| {
        let ctx = cc.egui_ctx.clone();
        let mut ports = keyfob::worker::Ports::headless();
        ports.waker = std::sync::Arc::new(move || ctx.request_repaint());
        let keystore = Err(KeystoreError::Unavailable("not used here".into()));
        let channels = keyfob::worker::spawn(env, keystore, ports).expect("worker");
        KeyfobApp::new(cc, channels, keyfob::clock::system())
    });
    h.run_steps(5);
    h.state_mut().state.sign_in.form.fields.source = SourceChoice::Profile("hang".into());
    h.state_mut().state.sign_in.form.fields.mfa_serial = MFA.into();
    h.state_mut().state.sign_in.form.code = "123456".into();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Sign in").click();
    // Frames keep coming while the request hangs: the UI thread never waits for the network.
    h.run_steps(30);
    let busy = h.query_by_role_and_label(Role::Button, "Signing in…");
    assert!(busy.is_some(), "the button shows the request running");
    h.key_press(Key::Escape);
    h.run_steps(3);
    assert!(h.state().state.sign_in.pending.is_none());
    assert!(h.query_by_role_and_label(Role::Button, "Sign in").is_some());
    let mfa_serial = &h.state().state.sign_in.form.fields.mfa_serial;
    assert_eq!(mfa_serial, MFA, "the form is kept");
}

#[test]
fn tab_reaches_every_field_in_reading_order() {
    let tabs = |rig: &mut Rig, n: usize| {
        let mut order = Vec::new();
        for _ in 0..n {
            rig.press(Key::Tab);
            order.push(rig.focused_label());
        }
        order.join(", ")
    };
    // The options folded: the code comes right after "More options".
    let mut rig = Rig::with_profiles();
    let expected = "Profile, Source credentials, MFA device, Detect, Role ARN, More options, \
        MFA code, Profile to sign in as, Sign in with AWS Sign-In, Long-term keys in the keyring";
    assert_eq!(tabs(&mut rig, 10), expected);
    // Unfolded: its fields, in reading order, then the code.
    let mut rig = Rig::with_profiles();
    rig.h.get_by_label("More options").click();
    rig.settle();
    let expected = "Profile, Source credentials, MFA device, Detect, Role ARN, More options, \
        Session name, ExternalId, Duration, Region, MFA code";
    assert_eq!(tabs(&mut rig, 11), expected);
}

#[test]
fn arrow_keys_change_the_focused_profile() {
    let mut rig = Rig::with_profiles();
    let profile = |rig: &Rig| rig.state().sign_in.form.fields.profile.clone();
    assert_eq!(profile(&rig).as_deref(), Some("admin"));
    rig.press(Key::Tab);
    assert_eq!(rig.focused_label(), "Profile");
    rig.press(Key::ArrowDown);
    assert_eq!(profile(&rig).as_deref(), Some("alice"));
    assert_eq!(rig.input_value("Role ARN"), "");
    assert_eq!(rig.focused_label(), "Profile", "focus stays");
    rig.press(Key::ArrowDown);
    assert_eq!(profile(&rig).as_deref(), Some("alice"), "stops at the end");
    rig.press(Key::ArrowUp);
    assert_eq!(profile(&rig).as_deref(), Some("admin"));
    assert_eq!(rig.input_value("Role ARN"), ROLE);
}

#[test]
fn f5_reloads_profiles_and_about_shows_version_and_licence() {
    let mut rig = Rig::with_profiles();
    rig.press(Key::F5);
    expect_command!(rig, Command::LoadProfiles);
    rig.shows("Reloading your AWS profiles");
    rig.click("About keyfob");
    rig.shows(concat!("keyfob ", env!("CARGO_PKG_VERSION")));
    rig.shows("Licence: MIT");
    rig.click("Close");
    rig.hides("Licence: MIT");
}
