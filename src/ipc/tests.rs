//! The channel's rules on real sockets and files in a temporary directory.

use super::*;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixListener;

fn dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keyfob");
    private_dir(&dir).unwrap();
    (tmp, dir)
}

#[test]
fn the_directory_is_made_private_and_an_open_one_is_refused() {
    let (_tmp, dir) = dir();
    let mode = fs::metadata(&dir).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o700);
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let refused = private_dir(&dir);
    assert!(
        matches!(refused, Err(IpcError::NotPrivate(_))),
        "{refused:?}"
    );
}

#[test]
fn a_request_and_its_answer_travel_as_one_json_line_each() {
    let (_tmp, dir) = dir();
    let none = ask_window(&dir, &Request::Show, Duration::from_secs(1));
    assert!(matches!(none, Err(IpcError::NoWindow)), "{none:?}");
    let listener = UnixListener::bind(window_socket(&dir)).unwrap();
    let window = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let line = read_line(&mut reader).unwrap();
        let mut stream = stream;
        stream.write_all(b"\"signed_in\"\n").unwrap();
        line
    });
    let request = Request::Code {
        profile: "prod".into(),
        asker: "aws s3 ls (pid 7)".into(),
    };
    let reply = ask_window(&dir, &request, Duration::from_secs(5)).unwrap();
    assert_eq!(reply, Reply::SignedIn);
    let sent = window.join().unwrap();
    assert_eq!(
        sent,
        r#"{"code":{"profile":"prod","asker":"aws s3 ls (pid 7)"}}"#
    );
}

#[test]
fn a_window_that_closes_without_answering_is_an_error_not_a_hang() {
    let (_tmp, dir) = dir();
    let listener = UnixListener::bind(window_socket(&dir)).unwrap();
    let window = std::thread::spawn(move || drop(listener.accept().unwrap()));
    let reply = ask_window(&dir, &Request::Show, Duration::from_secs(5));
    window.join().unwrap();
    assert!(
        matches!(reply, Err(IpcError::Broken(_) | IpcError::Io(_))),
        "{reply:?}"
    );
}

#[test]
fn an_overlong_line_is_refused() {
    let long = vec![b'x'; MAX_LINE + 10];
    let read = read_line(&mut &long[..]);
    assert!(
        matches!(read, Err(IpcError::Broken(ref m)) if m.contains("too long")),
        "{read:?}"
    );
    let ok = read_line(&mut &b"\"shown\"\n"[..]).unwrap();
    assert_eq!(ok, "\"shown\"");
}

#[test]
fn one_call_per_profile_at_a_time_and_a_refusal_reaches_those_who_waited() {
    let (_tmp, dir) = dir();
    let held = lock_profile(&dir, "prod", Duration::ZERO).unwrap();
    let other = lock_profile(&dir, "dev", Duration::ZERO);
    assert!(other.is_ok(), "another profile has its own lock");
    let busy = lock_profile(&dir, "prod", Duration::from_millis(120));
    assert!(matches!(busy, Err(IpcError::Broken(_))), "{busy:?}");
    let waiting_since = SystemTime::now() - Duration::from_secs(1);
    assert_eq!(refused_since(&dir, "prod", waiting_since), None);
    mark_refused(&dir, "prod", "keyfob: the sign-in for prod was cancelled").unwrap();
    drop(held);
    let _next = lock_profile(&dir, "prod", Duration::from_secs(1)).unwrap();
    assert_eq!(
        refused_since(&dir, "prod", waiting_since).as_deref(),
        Some("keyfob: the sign-in for prod was cancelled"),
        "the waiter gets the same sentence"
    );
    let later = SystemTime::now() + Duration::from_secs(1);
    assert_eq!(
        refused_since(&dir, "prod", later),
        None,
        "a later call tries anew"
    );
    assert_eq!(refused_since(&dir, "dev", waiting_since), None);
}

#[test]
fn the_asker_names_a_process() {
    let asker = asker();
    let ppid = std::os::unix::process::parent_id();
    assert!(
        asker.ends_with(&format!("(pid {ppid})")) || asker == format!("process {ppid}"),
        "{asker}"
    );
}
