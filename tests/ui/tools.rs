//! A tool's `credential-process` waiting on the window for a code (over the per-user socket,
//! played here by the test): the window comes forward on the profile with the cursor in the code
//! field, says who asks, and answers once the session is in the keyring, or when the user
//! cancels. (The socket itself is tested in src/ipc and tests/tool_socket.rs; the AWS CLI through
//! it in scripts/e2e-xvfb.)

use keyfob::message::ToolReply;

use crate::rig::*;

fn asked(rig: &mut Rig, id: RequestId, profile: &str) {
    let (profile, asker) = (profile.into(), "aws s3 ls (pid 4242)".into());
    rig.send(Event::ToolWantsCode { id, profile, asker });
    rig.h.step(); // the frame that applies it
}

fn raised(rig: &Rig) -> bool {
    let root = rig.h.output().viewport_output.get(&egui::ViewportId::ROOT);
    let commands = &root.expect("the root viewport's output").commands;
    commands.contains(&egui::ViewportCommand::Focus)
        && commands.contains(&egui::ViewportCommand::Minimized(false))
}

#[test]
fn a_tool_brings_the_window_forward_on_its_profile_and_gets_its_answer_after_the_keyring() {
    let mut rig = Rig::with_profiles();
    rig.reply(Event::Cache(Ok(contents(Vec::new()))));
    rig.select_profile("alice");
    asked(&mut rig, 501, "admin");
    assert!(raised(&rig), "the window asks to come forward");
    rig.settle();
    rig.shows("aws s3 ls (pid 4242) needs a code for profile admin");
    assert_eq!(
        rig.input_value("Role ARN"),
        ROLE,
        "the tool's profile is chosen"
    );
    assert_eq!(rig.focused_label(), "MFA code");
    let (id, request) = rig.submit_code("123456");
    assert_eq!(request.name, "admin");
    let mut s = session(assumed_role(), t(3600));
    (s.name, s.origin) = (request.name, request.origin);
    rig.answer(id, Ok(s));
    // Kept first, answered after: the worker runs both in the keyring's order.
    expect_command!(rig,
        Command::CacheSession { session },
        Command::AnswerTool { id: 501, reply: ToolReply::SignedIn } if session.name == "admin");
    rig.hides("needs a code for profile admin");
}

#[test]
fn cancel_tells_every_waiting_tool_no_and_a_tool_that_left_is_forgotten() {
    let mut rig = Rig::with_profiles();
    asked(&mut rig, 601, "admin");
    asked(&mut rig, 602, "admin");
    asked(&mut rig, 603, "alice");
    rig.settle();
    rig.reply(Event::ToolGone { id: 603 });
    rig.hides("needs a code for profile alice");
    rig.shows("aws s3 ls (pid 4242) needs a code for profile admin");
    rig.click("Cancel the tool's request");
    expect_command!(
        rig,
        Command::AnswerTool {
            id: 601,
            reply: ToolReply::Cancelled
        },
        Command::AnswerTool {
            id: 602,
            reply: ToolReply::Cancelled
        }
    );
    rig.hides("needs a code for profile admin");
    rig.shows("Cancelled: the tools that asked get an error");
}

#[test]
fn without_a_keyring_the_tool_is_told_no_and_an_unknown_profile_is_said() {
    let mut rig = Rig::with_profiles();
    rig.reply(Event::Cache(Err(
        keyfob::keystore::KeystoreError::Unavailable("no bus".into()),
    )));
    asked(&mut rig, 701, "nosuch");
    rig.settle();
    rig.shows("needs profile nosuch, which is not in your AWS config");
    asked(&mut rig, 702, "alice");
    rig.settle();
    rig.sign_in_with("123456", session(MFA_TOKEN, t(3600)));
    // The tool reads the keyring, which is not there: it is told no rather than left waiting.
    expect_command!(
        rig,
        Command::AnswerTool {
            id: 702,
            reply: ToolReply::Cancelled
        }
    );
    rig.shows("aws s3 ls (pid 4242) needs a code for profile nosuch");
    rig.reply(Event::ShowWindow);
    rig.send(Event::ShowWindow);
    rig.h.step();
    assert!(
        raised(&rig),
        "a second window's start brings this one forward"
    );
}
