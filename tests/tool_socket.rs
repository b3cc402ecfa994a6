//! The window's end of the per-user socket, through the real worker: a tool's request for a
//! code reaches the window as an event and the window's answer reaches the tool; a second
//! window's "show" is answered at once; a tool that leaves first is taken off the window; the
//! socket file is private.
#![cfg(unix)]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::time::Duration;

use keyfob::ipc::{self, Reply, Request};
use keyfob::keystore::KeystoreError;
use keyfob::message::{Command, Event, ToolReply};
use keyfob::worker::{Channels, Ports};

/// A worker listening for tools in a private directory of its own (kept while the tempdir lives).
fn window() -> (tempfile::TempDir, PathBuf, Channels) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keyfob");
    ipc::private_dir(&dir).unwrap();
    let ports = Ports {
        tool_socket: Some(ipc::window_socket(&dir)),
        ..Ports::headless()
    };
    let unused = Err(KeystoreError::Unavailable("not used here".into()));
    let ch = keyfob::worker::spawn(keyfob::aws::AwsEnv::default(), unused, ports).unwrap();
    for _ in 0..100 {
        if ipc::window_socket(&dir).exists() {
            return (tmp, dir, ch);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the worker did not listen");
}

fn next(ch: &Channels) -> Event {
    ch.events
        .recv_timeout(Duration::from_secs(10))
        .expect("an event")
}

#[test]
fn a_tool_asks_the_window_and_gets_its_answer() {
    let (_tmp, dir, ch) = window();
    let mode = std::fs::metadata(ipc::window_socket(&dir))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is the user's only");

    let asking = dir.clone();
    let tool = std::thread::spawn(move || {
        let request = Request::Code {
            profile: "prod".into(),
            asker: "aws (pid 9)".into(),
        };
        ipc::ask_window(&asking, &request, Duration::from_secs(10))
    });
    let Event::ToolWantsCode { id, profile, asker } = next(&ch) else {
        panic!("not a code request")
    };
    assert_eq!((profile.as_str(), asker.as_str()), ("prod", "aws (pid 9)"));
    ch.commands
        .send(Command::AnswerTool {
            id,
            reply: ToolReply::SignedIn,
        })
        .unwrap();
    assert_eq!(tool.join().unwrap().unwrap(), Reply::SignedIn);

    let shown = ipc::ask_window(&dir, &Request::Show, Duration::from_secs(10)).unwrap();
    assert_eq!(shown, Reply::Shown);
    assert!(matches!(next(&ch), Event::ShowWindow));
}

#[test]
fn a_tool_that_leaves_before_the_answer_is_taken_off_the_window() {
    use std::io::Write as _;
    let (_tmp, dir, ch) = window();
    let mut stream = std::os::unix::net::UnixStream::connect(ipc::window_socket(&dir)).unwrap();
    stream
        .write_all(b"{\"code\":{\"profile\":\"prod\",\"asker\":\"x\"}}\n")
        .unwrap();
    let Event::ToolWantsCode { id, .. } = next(&ch) else {
        panic!("not a code request")
    };
    drop(stream);
    let Event::ToolGone { id: gone } = next(&ch) else {
        panic!("the window was not told")
    };
    assert_eq!(gone, id);
    // Garbage is dropped without an event; the socket keeps serving.
    let mut junk = std::os::unix::net::UnixStream::connect(ipc::window_socket(&dir)).unwrap();
    junk.write_all(b"not json\n").unwrap();
    drop(junk);
    let shown = ipc::ask_window(&dir, &Request::Show, Duration::from_secs(10)).unwrap();
    assert_eq!(shown, Reply::Shown);
    assert!(
        matches!(next(&ch), Event::ShowWindow),
        "no event for the garbage"
    );
}
