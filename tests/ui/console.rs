//! Open AWS console: the button sends the shown session to the worker and shows its answer; a
//! session that cannot have a console, or has ended, disables it with the reason and sends
//! nothing.

use crate::rig::*;
use keyfob::aws::console::ConsoleError;

fn console_session(rig: &mut Rig) -> Session {
    expect_command!(rig, Command::OpenConsole { session } => (**session).clone())
}

#[test]
fn the_button_opens_the_console_through_the_worker_and_shows_its_answer() {
    let mut rig = Rig::signed_in(assumed_role());
    assert!(!rig.button_disabled("Open AWS console"));
    rig.click("Open AWS console");
    let sent = console_session(&mut rig);
    assert_eq!(
        &sent,
        rig.state().current().unwrap(),
        "the shown session, whole"
    );
    rig.shows("Opening the AWS console…");
    rig.reply(Event::ConsoleOpened(Ok(())));
    rig.shows("Opened the AWS console in your browser");

    rig.click("Open AWS console");
    let _ = console_session(&mut rig);
    let refused = AwsError::new(
        ErrorKind::AccessDenied,
        "The AWS sign-in service refused the session (HTTP 400)",
    );
    rig.reply(Event::ConsoleOpened(Err(ConsoleError::Aws(refused))));
    rig.shows("The AWS sign-in service refused the session (HTTP 400)");
    let none = keyfob::opener::OpenError::NotFound("xdg-open".into());
    rig.reply(Event::ConsoleOpened(Err(ConsoleError::Browser(none))));
    rig.shows("xdg-open was not found: install it, or set BROWSER to your browser's command");

    // An MFA session from a profile's keys can have one too (GetFederationToken in the worker).
    let mut rig = Rig::signed_in(MFA_TOKEN);
    rig.click("Open AWS console");
    assert_eq!(console_session(&mut rig).kind, MFA_TOKEN);
}

#[test]
fn a_session_that_cannot_have_a_console_disables_the_button_with_the_reason() {
    let mut rig = Rig::signed_in(SessionKind::SessionToken { mfa: false });
    assert!(rig.button_disabled("Open AWS console"));
    rig.button("Open AWS console").hover();
    rig.settle();
    rig.shows("this session token was made without MFA");
    rig.click("Open AWS console");
    rig.expect_nothing_sent("a disabled button");
    let now = rig.now();
    rig.h.state_mut().state.open_console(now); // even if asked directly
    rig.settle();
    rig.expect_nothing_sent("no console for a session token without MFA");
    rig.shows("this session token was made without MFA");

    let mut rig = Rig::signed_in(assumed_role());
    rig.set_now(t(3600));
    assert!(rig.button_disabled("Open AWS console"));
    rig.h.state_mut().state.open_console(t(3600));
    rig.settle();
    rig.expect_nothing_sent("an ended session");
    rig.shows("The session has expired: renew it to open the console");
}
