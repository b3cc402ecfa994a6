//! A full disk and a read-only home while keyfob writes `~/.aws/credentials` or a download, for
//! real: each test runs in a child process (this test binary again, the test marked ignored run
//! alone) inside user and mount namespaces of its own (`unshare -rm`), where a 256 KiB tmpfs is
//! mounted on a fresh directory: a filler file takes all its room, or all but a page, and the
//! disk is full (ENOSPC) as it would be at home; for the read-only home the tmpfs is remounted
//! read-only (EROFS). Nothing is mounted outside the child, and the mount ends with it.
//!
//! Where namespaces are not allowed, the child limits its own file size instead (`prlimit
//! --fsize`, RLIMIT_FSIZE: EFBIG rather than ENOSPC, the closest real fault without a mount), and
//! a read-only home is a 0555 folder (which does not stop root: such a machine needs namespaces).
//!
//! Each checks: one readable sentence, the credentials file byte for byte as before (or no
//! download at all), no temporary or backup file left behind, no secret in anything left, and a
//! retry once there is room again succeeds.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyfob::credfile::{CredFile, CredFileError};
use keyfob::secret::Secret;
use keyfob::session::{Credentials, Session, SessionKind};

use common::fixtures;

/// The directory (on the child's small file system) the child works in.
const DIR_ENV: &str = "KEYFOB_FAULTS_DIR";
/// How the child makes the fault: `tmpfs` (a full tmpfs of its own) or `fsize` (a file-size
/// limit).
const HOW_ENV: &str = "KEYFOB_FAULTS_HOW";
/// The filler that takes the room.
const FILLER: &str = "filler";
const PAGE: u64 = 4096;

/// Whether this machine lets an unprivileged process make user and mount namespaces
/// (`KEYFOB_FAULTS_NO_NAMESPACES=1` says no, to try the fallback).
fn namespaces_work() -> bool {
    if std::env::var_os("KEYFOB_FAULTS_NO_NAMESPACES").is_some() {
        return false;
    }
    Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the ignored test `name` of this binary in a child with a small file system of its own
/// (or a file-size limit), and fails with the child's output when it fails.
fn in_child(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut cmd = if namespaces_work() {
        let mut c = Command::new("unshare");
        c.args([
            "-rm",
            "sh",
            "-c",
            r#"mount -t tmpfs -o size=256k,mode=0700 keyfob-faults "$0" && exec "$@""#,
        ])
        .arg(dir.path())
        .arg(&exe);
        c.env(HOW_ENV, "tmpfs");
        c
    } else {
        // The limit raises SIGXFSZ, which would kill the child: ignored (and so inherited
        // ignored), the write fails with EFBIG instead.
        let mut c = Command::new("sh");
        c.args(["-c", r#"trap '' XFSZ; exec "$@""#, "sh"]).arg(&exe);
        c.env(HOW_ENV, "fsize");
        c
    };
    cmd.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(DIR_ENV, dir.path());
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{name} failed in its child:\n{text}");
    assert!(
        text.contains("1 passed"),
        "{name} did not run in its child:\n{text}"
    );
}

/// The child's side: its directory and how it makes the fault.
struct Small {
    dir: PathBuf,
    tmpfs: bool,
}

impl Small {
    fn here() -> Self {
        let dir = std::env::var_os(DIR_ENV)
            .map(PathBuf::from)
            .expect("run by its parent test (the one without `child_` in its name)");
        let tmpfs = std::env::var(HOW_ENV).unwrap() == "tmpfs";
        Self { dir, tmpfs }
    }

    /// Free pages of the file system (tmpfs: 4 KiB blocks).
    fn free_pages(&self) -> u64 {
        let out = Command::new("stat")
            .args(["-f", "-c", "%a"])
            .arg(&self.dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    /// Leaves room for `bytes` at most: on the tmpfs the filler takes all but that many pages
    /// (rounded up); under a file-size limit no file may grow past `bytes`.
    fn leave_room(&self, bytes: u64) {
        if self.tmpfs {
            let pages = bytes.div_ceil(PAGE);
            let path = self.dir.join(FILLER);
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .unwrap();
            let chunk = vec![0u8; PAGE as usize];
            let full = loop {
                if let Err(e) = f.write_all(&chunk) {
                    break e;
                }
            };
            assert_eq!(
                full.kind(),
                std::io::ErrorKind::StorageFull,
                "filling the tmpfs: {full}"
            );
            let len = f.metadata().unwrap().len();
            f.set_len((len / PAGE).saturating_sub(pages) * PAGE)
                .unwrap();
            assert_eq!(self.free_pages(), pages, "the room left on the tmpfs");
        } else {
            // The soft limit only: lifting it again needs no privilege.
            let limit = format!("--fsize={bytes}:");
            let pid = std::process::id().to_string();
            let ok = Command::new("prlimit")
                .args(["--pid", &pid, &limit])
                .status()
                .unwrap()
                .success();
            assert!(ok, "prlimit {limit} failed");
        }
    }

    /// Gives the room back (the filler removed, the limit lifted).
    fn make_room(&self) {
        if self.tmpfs {
            std::fs::remove_file(self.dir.join(FILLER)).unwrap();
        } else {
            let pid = std::process::id().to_string();
            let ok = Command::new("prlimit")
                .args(["--pid", &pid, "--fsize=unlimited:"])
                .status()
                .unwrap()
                .success();
            assert!(ok, "prlimit could not lift the limit");
        }
    }

    /// The file system becomes read-only (the tmpfs remounted; else the folder made 0555).
    fn read_only(&self) {
        if self.tmpfs {
            let ok = Command::new("mount")
                .args(["-o", "remount,ro"])
                .arg(&self.dir)
                .status()
                .unwrap()
                .success();
            assert!(ok, "remounting the tmpfs read-only failed");
        } else {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o555)).unwrap();
            let probe = self.dir.join("probe");
            assert!(
                std::fs::write(&probe, "x").is_err(),
                "root writes into a 0555 folder: this machine needs user namespaces (unshare -rm) for this test"
            );
        }
    }

    /// Every file's name in the directory, but the filler's, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != FILLER)
            .collect();
        names.sort();
        names
    }

    /// Fails when any file left in the directory holds `secret`.
    fn assert_nowhere(&self, secret: &str) {
        for name in self.names() {
            let path = self.dir.join(&name);
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!found, "{name} holds the secret");
            }
        }
    }
}

/// The new session's secret and token: they must land in the file whole or not at all.
const NEW_SECRET: &str = "NEWsecretNEWsecretNEWsecretNEWsecret0042";
const NEW_TOKEN: &str = "NEWtokenNEWtokenNEWtokenNEWtokenNEWtoken0042";

fn new_session() -> Session {
    let mut s = fixtures::session(
        "work",
        SessionKind::SessionToken { mfa: true },
        SystemTime::UNIX_EPOCH,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_352_400),
    );
    s.credentials.secret_access_key = Secret::new(NEW_SECRET);
    s.credentials.session_token = Some(Secret::new(NEW_TOKEN));
    s
}

/// A file whose `[work]` section is shorter than the one keyfob writes for it.
const OLD: &str = "# mine\n[default]\naws_access_key_id = AKIAOLDOLDOLD\naws_secret_access_key = oldsecret\n\n[work]\nregion = eu-west-1\n\n[other]\nregion = us-east-1\n";

/// Writes the session into a credentials file on a disk with room for `room` bytes; checks the
/// refusal, the file, what is left beside it; then writes again with room and checks that.
fn credentials_on_a_full_disk(room: u64) {
    let small = Small::here();
    let path = small.dir.join("credentials");
    std::fs::write(&path, OLD).unwrap();
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan("work", &new_session()).unwrap();
    small.leave_room(room);

    let err = file
        .write(&edit, false, SystemTime::now())
        .expect_err("nothing can be written");
    let CredFileError::NotWritten { path: named, why } = &err else {
        panic!("not the write's failure: {err:?}")
    };
    assert_eq!(named, &path, "the sentence names the credentials file");
    let expected = if small.tmpfs {
        "the disk is full"
    } else {
        "the file is larger than keyfob may write"
    };
    assert!(why.starts_with(expected), "{why}");
    let sentence = err.to_string();
    assert!(!sentence.contains('\n'), "one line: {sentence}");
    assert!(sentence.contains("was left as it was"), "{sentence}");

    assert_eq!(std::fs::read_to_string(&path).unwrap(), OLD, "the file");
    assert_eq!(
        small.names(),
        ["credentials"],
        "no temporary or backup file"
    );
    small.assert_nowhere(NEW_SECRET);
    small.assert_nowhere(NEW_TOKEN);

    // With room again, the same edit goes through (nothing of the failed write is in the way).
    small.make_room();
    let backup = file
        .write(&edit, false, SystemTime::now())
        .unwrap()
        .expect("a backup");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(NEW_SECRET) && text.contains(NEW_TOKEN));
    assert_eq!(std::fs::read_to_string(backup).unwrap(), OLD);
}

#[test]
#[ignore = "run by credentials_on_a_full_disk_are_left_as_they_were, in a namespace"]
fn child_credentials_no_room() {
    credentials_on_a_full_disk(0);
}

#[test]
#[ignore = "run by credentials_on_a_full_disk_are_left_as_they_were, in a namespace"]
fn child_credentials_room_for_the_backup_only() {
    // The backup (the old file) fits, the new file does not: the backup goes again.
    credentials_on_a_full_disk(OLD.len() as u64);
}

/// ENOSPC (or EFBIG) on the backup, and on the new file after the backup was written.
#[test]
fn credentials_on_a_full_disk_are_left_as_they_were() {
    in_child("child_credentials_no_room");
    in_child("child_credentials_room_for_the_backup_only");
}

#[test]
#[ignore = "run by credentials_in_a_read_only_home_are_left_as_they_were, in a namespace"]
fn child_credentials_read_only_home() {
    let small = Small::here();
    let path = small.dir.join("credentials");
    std::fs::write(&path, OLD).unwrap();
    // The file itself stays 0600 (writable): only its file system is read-only.
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan("work", &new_session()).unwrap();
    small.read_only();
    let err = file
        .write(&edit, false, SystemTime::now())
        .expect_err("a read-only home");
    let CredFileError::NotWritten { path: named, why } = &err else {
        panic!("not the write's failure: {err:?}")
    };
    assert_eq!(named, &path);
    let expected = if small.tmpfs {
        "its file system is read-only"
    } else {
        "keyfob may not write in its folder"
    };
    assert!(why.starts_with(expected), "{why}");
    assert!(!err.to_string().contains('\n'));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), OLD);
    assert_eq!(small.names(), ["credentials"]);

    // A new credentials file in a read-only home: nothing appears.
    let fresh = small.dir.join("new-credentials");
    let file = CredFile::read(&fresh).unwrap();
    let edit = file.plan("work", &new_session()).unwrap();
    let err = file
        .write(&edit, false, SystemTime::now())
        .expect_err("a read-only home");
    assert!(
        matches!(&err, CredFileError::NotWritten { path, .. } if path == &fresh),
        "{err:?}"
    );
    assert_eq!(small.names(), ["credentials"]);
}

/// EROFS while writing the credentials file (the file itself writable).
#[test]
fn credentials_in_a_read_only_home_are_left_as_they_were() {
    in_child("child_credentials_read_only_home");
}

#[test]
#[ignore = "run by a_download_into_a_full_disk_leaves_no_file, in a namespace"]
fn child_download_into_a_full_disk() {
    use keyfob::aws::s3::{self, Existing};
    let small = Small::here();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = common::Moto::start();
    // 200 KiB that cannot be mistaken for the filler's zeros.
    let body: Vec<u8> = (0..200 * 1024u32).map(|i| (i % 251) as u8 + 1).collect();
    let creds = Credentials {
        access_key_id: "AKIAFAULTSFAULTS0001".into(),
        secret_access_key: Secret::new("faults-secret"),
        session_token: None,
    };
    let client = rt.block_on(async {
        let client = s3::client(&moto.env(), &creds, Some("us-east-1")).await;
        client.create_bucket().bucket("full").send().await.unwrap();
        client
            .put_object()
            .bucket("full")
            .key("big.bin")
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
        client
    });
    let dest = small.dir.join("big.bin");
    small.leave_room(64 * 1024);
    let progress: s3::Progress = Arc::new(|_| {});
    let result = rt.block_on(s3::download(
        &client,
        "full",
        "big.bin",
        &dest,
        Existing::Refuse,
        Arc::clone(&progress),
    ));
    let err = result.expect_err("the disk is full");
    let expected = if small.tmpfs {
        "No space left on device"
    } else {
        "File too large"
    };
    assert!(err.message.contains(expected), "{err:?}");
    assert!(!err.message.contains('\n'), "{err:?}");
    assert_eq!(small.names(), Vec::<String>::new(), "no partial file");

    // With room again the download completes, byte for byte.
    small.make_room();
    let n = rt
        .block_on(s3::download(
            &client,
            "full",
            "big.bin",
            &dest,
            Existing::Refuse,
            progress,
        ))
        .unwrap();
    assert_eq!(n, body.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert_eq!(small.names(), ["big.bin"]);
}

/// ENOSPC (or EFBIG) half-way through a download from moto.
#[test]
fn a_download_into_a_full_disk_leaves_no_file() {
    in_child("child_download_into_a_full_disk");
}

/// The helpers themselves: a tmpfs-full child really is full (guards against a fault that
/// silently stopped being one).
#[test]
#[ignore = "run by the_small_disk_is_really_full, in a namespace"]
fn child_the_small_disk_is_full() {
    let small = Small::here();
    small.leave_room(0);
    let err = std::fs::write(small.dir.join("x"), "y").expect_err("a full disk");
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge
        ),
        "{err}"
    );
}

#[test]
fn the_small_disk_is_really_full() {
    in_child("child_the_small_disk_is_full");
}
