//! The clipboard clearing on a real Wayland clipboard (arboard with wlr-data-control, as the
//! app's runtime uses it), with wl-copy as the program that holds the clipboard (in the window's
//! place, or the user's). Needs a wlroots compositor: scripts/e2e-wayland runs it under headless
//! sway with `--ignored`; a plain `cargo test` skips it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::process::Command;
use std::time::Duration;

use keyfob::clipboard::{ClipboardAccess as _, SystemClipboard, clear_if_ours, fingerprint};

/// What wl-paste reads (None: nothing offered).
fn paste() -> Option<String> {
    let out = Command::new("wl-paste")
        .arg("--no-newline")
        .output()
        .expect("wl-paste runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Another program takes the clipboard with `text` (wl-copy serves it in the background).
fn copy(text: &str) {
    let ok = Command::new("wl-copy")
        .arg(text)
        .status()
        .expect("wl-copy runs");
    assert!(ok.success(), "wl-copy failed");
    for _ in 0..100 {
        if paste().as_deref() == Some(text) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("wl-copy did not take the clipboard");
}

#[test]
#[ignore = "needs a wlroots Wayland compositor: run by scripts/e2e-wayland"]
fn clears_only_what_keyfob_put_there_on_wayland() {
    assert!(
        std::env::var_os("DISPLAY").is_none(),
        "no X: this is about Wayland"
    );
    let ours = "export AWS_SESSION_TOKEN='clipboard-wayland-test-token'";
    copy(ours);
    assert_eq!(SystemClipboard.read().as_deref(), Some(ours));
    assert!(clear_if_ours(&mut SystemClipboard, fingerprint(ours)));
    let left = paste();
    assert!(
        left.as_deref().is_none_or(str::is_empty),
        "still on the clipboard: {left:?}"
    );
    // The user's text since: left alone.
    copy("the user's own text");
    assert!(!clear_if_ours(&mut SystemClipboard, fingerprint(ours)));
    assert_eq!(paste().as_deref(), Some("the user's own text"));
}
