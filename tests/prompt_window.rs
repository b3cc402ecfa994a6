//! keyfob's own prompt window (`keyfob prompt`), driven through egui_kittest by role and label:
//! it names the profile, its role and the tool; six digits sign in off the UI thread; a failing
//! server's sentence is shown, the spent code cleared and the window stays for the next code;
//! Escape closes it as cancelled. (The whole path with the AWS CLI, a real window and moto is in
//! scripts/e2e-xvfb; here the server is a closed port, which moto cannot be.)
#![cfg(unix)]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyfob::cli::prompt::PROMPT_CANCELLED;
use keyfob::keystore::KeystoreError;
use keyfob::prompt::PromptApp;

const ROLE: &str = "arn:aws:iam::123456789012:role/admin";

fn prompt(dir: &std::path::Path) -> (Harness<'static, PromptApp>, Arc<AtomicU8>) {
    let config = format!(
        "[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\n[profile base]\nregion = us-east-1\n"
    );
    std::fs::write(dir.join("config"), config).unwrap();
    let keys = "[base]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = x\n";
    std::fs::write(dir.join("credentials"), keys).unwrap();
    let mut env = keyfob::aws::AwsEnv {
        // Nothing listens there: the sign-in fails as a network failure.
        endpoint_url: Some(format!("http://127.0.0.1:{}", common::free_port())),
        ..Default::default()
    };
    env.profile_files.config = Some(dir.join("config"));
    env.profile_files.credentials = Some(dir.join("credentials"));
    let ctx = keyfob::cli::Ctx {
        env,
        keystore: Err(KeystoreError::Unavailable("not used here".into())),
    };
    let outcome = Arc::new(AtomicU8::new(99));
    let shared = Arc::clone(&outcome);
    let h = Harness::builder()
        .with_size([460.0, 230.0])
        .build_eframe(move |cc| {
            PromptApp::new(
                &cc.egui_ctx,
                ctx,
                "admin".into(),
                "aws s3 ls (pid 42)".into(),
                shared,
            )
        });
    (h, outcome)
}

/// Runs frames until `done` holds (the sign-in thread answers in its own time), at most 20 s.
fn run_until(
    h: &mut Harness<'static, PromptApp>,
    what: &str,
    done: impl Fn(&Harness<PromptApp>) -> bool,
) {
    let start = Instant::now();
    while !done(h) {
        if start.elapsed() > Duration::from_secs(20) {
            let nodes = h.root().children_recursive();
            let texts: Vec<String> = nodes
                .map(|n| {
                    let n = n.accesskit_node();
                    format!(
                        "{}|{}",
                        n.label().unwrap_or_default(),
                        n.value().unwrap_or_default()
                    )
                })
                .collect();
            panic!("{what} did not happen in 20 s; the window shows {texts:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
        h.run_steps(1);
    }
}

fn shows(h: &Harness<PromptApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

#[test]
fn the_prompt_names_who_asks_and_a_failure_keeps_it_open_for_the_next_code() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, outcome) = prompt(dir.path());
    h.run_steps(2);
    assert_eq!(
        outcome.load(Ordering::SeqCst),
        PROMPT_CANCELLED,
        "cancelled until signed in"
    );
    run_until(&mut h, "the role shown", |h| {
        shows(h, &format!("Role: {ROLE}"))
    });
    assert!(shows(&h, "A code for admin"));
    assert!(shows(&h, "aws s3 ls (pid 42) needs AWS credentials."));
    let code = h.get_by_role_and_label(Role::TextInput, "MFA code");
    assert!(
        code.accesskit_node().is_focused(),
        "the code field has the focus from the start"
    );
    code.type_text("123456"); // six digits sign in by themselves
    run_until(&mut h, "the sign-in's failure shown", |h| {
        shows(h, "Could not reach")
    });
    let field = h.get_by_role_and_label(Role::TextInput, "MFA code");
    assert_eq!(
        field.value().unwrap_or_default(),
        "",
        "the spent code is cleared"
    );
    assert!(shows(&h, "Sign in"), "the window stays for the next code");
    assert_eq!(outcome.load(Ordering::SeqCst), PROMPT_CANCELLED);
}

#[test]
fn escape_closes_the_prompt_as_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, outcome) = prompt(dir.path());
    h.run_steps(2);
    // One key event, so the frame that handles it is the one whose output the harness keeps.
    h.event(egui::Event::Key {
        key: egui::Key::Escape,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
        repeat: false,
        physical_key: None,
    });
    h.step();
    let root = h.output().viewport_output.get(&egui::ViewportId::ROOT);
    let closing = root.is_some_and(|o| o.commands.contains(&egui::ViewportCommand::Close));
    assert!(closing, "Escape closes the window");
    assert_eq!(outcome.load(Ordering::SeqCst), PROMPT_CANCELLED);
}
