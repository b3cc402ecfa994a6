//! The clipboard clearing on a real X11 clipboard (arboard, as the app uses it), with xclip as
//! the other program that owns the clipboard after keyfob. Needs a display: scripts/e2e-xvfb runs
//! it under Xvfb with `--ignored`; a plain `cargo test` skips it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use keyfob::clipboard::{ClipboardAccess as _, SystemClipboard, clear_if_ours, fingerprint};

fn xclip_out(target: &str) -> (bool, String) {
    let out = Command::new("xclip")
        .args(["-selection", "clipboard", "-o", "-t", target])
        .output()
        .expect("xclip runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Another program takes the clipboard with `data` as `target` (xclip serves it in the
/// background until the clipboard changes hands again).
fn xclip_in(target: &str, data: &[u8]) {
    let mut child = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", target, "-i"])
        .stdin(Stdio::piped())
        // xclip stays behind to serve the clipboard: it must not hold the test's output open.
        .stdout(Stdio::null())
        .spawn()
        .expect("xclip starts");
    child.stdin.take().unwrap().write_all(data).unwrap();
    assert!(child.wait().unwrap().success(), "xclip -i failed");
    // The clipboard has changed hands once the new owner offers its target.
    for _ in 0..100 {
        let (ok, targets) = xclip_out("TARGETS");
        if ok && targets.lines().any(|t| t == target) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("xclip did not take the clipboard with {target}");
}

fn set_ours(text: &str) -> arboard::Clipboard {
    let mut c = arboard::Clipboard::new().expect("a display (run under Xvfb)");
    c.set_text(text).unwrap();
    c
}

#[test]
#[ignore = "needs an X display: run by scripts/e2e-xvfb"]
fn clears_only_what_keyfob_put_there() {
    let ours = "export AWS_SESSION_TOKEN='clipboard-x11-test-token'";

    // Still ours: cleared.
    let _owner = set_ours(ours);
    assert_eq!(SystemClipboard.read().as_deref(), Some(ours));
    assert!(clear_if_ours(&mut SystemClipboard, fingerprint(ours)));
    let (_, left) = xclip_out("UTF8_STRING");
    assert!(
        !left.contains("clipboard-x11-test-token"),
        "still there: {left}"
    );

    // The user copied other text since: left alone.
    let _owner = set_ours(ours);
    xclip_in("UTF8_STRING", b"the user's own text");
    assert!(!clear_if_ours(&mut SystemClipboard, fingerprint(ours)));
    assert_eq!(
        xclip_out("UTF8_STRING"),
        (true, "the user's own text".to_owned())
    );

    // The user copied an image since: not text, not ours, left alone.
    let _owner = set_ours(ours);
    let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/icon-16.png")).unwrap();
    xclip_in("image/png", &png);
    assert_eq!(SystemClipboard.read(), None, "an image is not text");
    assert!(!clear_if_ours(&mut SystemClipboard, fingerprint(ours)));
    let (ok, targets) = xclip_out("TARGETS");
    assert!(
        ok && targets.contains("image/png"),
        "the image is gone: {targets}"
    );
}
