//! The credentials-file editor: exact byte preservation outside the edited section (a property
//! test over random INI-ish files, each result parsed by the SDK's own profile loader), atomic
//! 0600 writes with a backup (none when removing keys, and earlier backups scrubbed of the removed
//! secret: it is left in no file), and every
//! refusal (symlink, read-only, changed since read, malformed, duplicate, long-term keys without
//! confirmation).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, SystemTime};

use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::{Env, Fs};
use keyfob::credfile::{CredFile, CredFileError};
use keyfob::secret::Secret;
use keyfob::session::{Session, SessionKind};

#[path = "common/fixtures.rs"]
mod fixtures;
use proptest::prelude::*;

fn session(token: &str) -> Session {
    let (from, to) = (
        SystemTime::UNIX_EPOCH,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_352_400),
    );
    let mut s = fixtures::session("alice", SessionKind::SessionToken { mfa: true }, from, to);
    s.credentials.session_token = Some(Secret::new(token));
    s
}

/// The profiles and their properties, as the AWS SDK reads them.
fn sdk_parse(
    text: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    let files = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Credentials, text)
        .build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let set = rt
        .block_on(aws_config::profile::load(
            &Fs::from_slice(&[]),
            &Env::from_slice(&[]),
            &files,
            None,
        ))
        .expect("the SDK parses the file");
    let mut out = std::collections::BTreeMap::new();
    for name in set.profiles() {
        let p = set.get_profile(name).unwrap();
        let mut props = std::collections::BTreeMap::new();
        for key in [
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token",
            "region",
            "x",
        ] {
            if let Some(v) = p.get(key) {
                props.insert(key.to_owned(), v.to_owned());
            }
        }
        out.insert(name.to_owned(), props);
    }
    out
}

const FILE: &str = "# my keys\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n\n[work]\n; old session\naws_access_key_id = ASIAOLD\naws_secret_access_key = s2\naws_session_token = t2\n\n[other]\nregion = eu-west-1\n";

#[test]
fn replaces_one_section_and_keeps_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, FILE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan("work", &session("NEWTOKEN")).unwrap();
    assert!(edit.replaces && !edit.replaces_long_term);
    assert!(
        !edit.preview.contains("NEWTOKEN") && !edit.preview.contains(fixtures::SECRET),
        "{}",
        edit.preview
    );
    let backup = file
        .write(&edit, false, SystemTime::UNIX_EPOCH)
        .unwrap()
        .expect("backup");
    let new = std::fs::read_to_string(&path).unwrap();
    let start = FILE.find("[work]").unwrap();
    let end = FILE.find("[other]").unwrap();
    assert!(new.starts_with(&FILE[..start]), "{new}");
    assert!(new.ends_with(&FILE[end..]), "{new}");
    assert!(new.contains(
        "# Written by keyfob: temporary session credentials, valid until 2026-11-22T13:00:00Z"
    ));
    let parsed = sdk_parse(&new);
    assert_eq!(parsed["work"]["aws_session_token"], "NEWTOKEN");
    assert_eq!(parsed["default"]["aws_access_key_id"], "AKIADEFAULT");
    assert_eq!(parsed["other"]["region"], "eu-west-1");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        FILE,
        "the backup is the old file"
    );
    for p in [&path, &backup] {
        assert_eq!(
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600,
            "{p:?}"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temp file left: {leftovers:?}");
}

#[test]
fn adds_a_section_to_a_missing_or_unterminated_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aws").join("credentials");
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan("keyfob-dev", &session("T1")).unwrap();
    assert!(!edit.replaces);
    assert_eq!(
        file.write(&edit, false, SystemTime::UNIX_EPOCH).unwrap(),
        None,
        "no backup of nothing"
    );
    assert_eq!(
        sdk_parse(&std::fs::read_to_string(&path).unwrap())["keyfob-dev"]["aws_session_token"],
        "T1"
    );

    std::fs::write(&path, "[a]\nx = 1").unwrap();
    let file = CredFile::read(&path).unwrap();
    file.write(
        &file.plan("b", &session("T2")).unwrap(),
        false,
        SystemTime::UNIX_EPOCH,
    )
    .unwrap();
    let new = std::fs::read_to_string(&path).unwrap();
    assert!(new.starts_with("[a]\nx = 1\n\n[b]\n"), "{new}");
    assert_eq!(sdk_parse(&new)["a"]["x"], "1");
}

#[test]
fn refusals_leave_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, FILE).unwrap();

    // Long-term keys need an explicit confirmation.
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan("default", &session("T")).unwrap();
    assert!(edit.replaces_long_term);
    assert_eq!(
        file.write(&edit, false, SystemTime::UNIX_EPOCH),
        Err(CredFileError::LongTermKeys("default".into()))
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE);

    // Changed by another program since it was read.
    std::fs::write(&path, format!("{FILE}\n[late]\nx = 1\n")).unwrap();
    assert_eq!(
        file.write(&edit, true, SystemTime::UNIX_EPOCH),
        Err(CredFileError::ChangedSinceRead(path.clone()))
    );
    std::fs::write(&path, FILE).unwrap();

    // Read-only.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan("work", &session("T")).unwrap();
    assert_eq!(
        file.write(&edit, false, SystemTime::UNIX_EPOCH),
        Err(CredFileError::ReadOnly(path.clone()))
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE);

    // A symlink.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    assert_eq!(
        CredFile::read(&link).err(),
        Some(CredFileError::Symlink(link.clone()))
    );

    // Malformed, duplicated, bad names.
    for (text, line) in [
        ("x = 1\n", 1),
        ("[a]\nnot a setting\n", 2),
        ("[a\nx = 1\n", 1),
        ("[a]\n  sub = 1\n", 2),
        ("[a]\nx = 1\n# note\n  sub = 1\n", 4),
    ] {
        std::fs::write(&path, text).unwrap();
        assert!(
            matches!(CredFile::read(&path), Err(CredFileError::Malformed { line: l, .. }) if l == line),
            "{text:?}"
        );
    }
    std::fs::write(&path, "[a]\nx = 1\n[a]\ny = 2\n").unwrap();
    let file = CredFile::read(&path).unwrap();
    assert_eq!(
        file.plan("a", &session("T")).err(),
        Some(CredFileError::Duplicate("a".into()))
    );
    assert_eq!(
        file.plan("has space", &session("T")).err(),
        Some(CredFileError::BadName("has space".into()))
    );
    assert!(
        !format!("{file:?}").contains("x = 1"),
        "Debug does not show the file's content"
    );
}

fn section_strategy() -> impl Strategy<Value = (String, Vec<String>)> {
    let name = prop::sample::select(vec!["default", "dev", "prod", "a.b", "x-y", "keyfob"]);
    let line = prop_oneof![
        "[a-z_]{1,8} = [A-Za-z0-9/+=]{0,12}".prop_map(|s| s),
        Just(String::new()),
        "# [ -~]{0,20}".prop_map(|s| s),
        "; [a-z ]{0,10}".prop_map(|s| s),
        Just("  sub = 1".to_owned()),
    ];
    (
        name.prop_map(str::to_owned),
        prop::collection::vec(line, 0..5),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_byte_outside_the_section_is_kept(
        head in prop::collection::vec(prop_oneof![Just(String::new()), "# [ -~]{0,16}".prop_map(|s| s)], 0..3),
        sections in prop::collection::vec(section_strategy(), 0..6),
        target in prop::sample::select(vec!["default", "dev", "prod", "a.b", "x-y", "keyfob", "new"]),
        crlf in any::<bool>(),
        trailing_newline in any::<bool>(),
    ) {
        // Distinct section names (a duplicate is refused, tested above); a `  sub` line that would
        // continue nothing is dropped (the SDK refuses such a file, and so does keyfob, above).
        let mut seen = std::collections::BTreeSet::new();
        let mut lines: Vec<String> = head;
        for (name, body) in sections {
            if !seen.insert(name.clone()) { continue; }
            lines.push(format!("[{name}]"));
            // A `  sub` line continues a property only right after one, as in the SDK's grammar.
            let mut after_property = false;
            for l in body {
                if l.starts_with("  ") && !after_property { continue; }
                // A comment holding " = " is no property.
                after_property = l.contains(" = ") && !l.starts_with(['#', ';']);
                lines.push(l);
            }
        }
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(eol);
        if trailing_newline && !text.is_empty() { text.push_str(eol); }

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, &text).unwrap();
        let before = sdk_parse(&text);
        let file = CredFile::read(&path).unwrap();
        let edit = file.plan(target, &session("PROPTOKEN")).unwrap();
        file.write(&edit, true, SystemTime::UNIX_EPOCH).unwrap();
        let new = std::fs::read_to_string(&path).unwrap();

        let header = format!("[{target}]");
        let start = text.lines().scan(0usize, |off, l| { let s = *off; *off += l.len() + eol.len(); Some((s, l)) })
            .find(|(_, l)| l.trim() == header).map(|(s, _)| s);
        match start {
            Some(start) => {
                prop_assert!(new.starts_with(&text[..start]));
                let after = text[start + header.len()..].find("\n[").map(|i| start + header.len() + i + 1);
                if let Some(end) = after { prop_assert!(new.ends_with(&text[end..]), "{:?} -> {:?}", text, new); }
            }
            None => prop_assert!(new.starts_with(&text), "{:?} -> {:?}", text, new),
        }
        let after = sdk_parse(&new);
        prop_assert_eq!(&after[target]["aws_session_token"], "PROPTOKEN");
        for (name, props) in &before {
            if name != target { prop_assert_eq!(Some(props), after.get(name)); }
        }
    }
}

#[test]
fn removing_a_profile_keeps_the_rest_and_a_backup_only_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, FILE).unwrap();
    let file = CredFile::read(&path).unwrap();
    assert_eq!(
        file.plan_remove("nope").err(),
        Some(CredFileError::NoSuchProfile("nope".into()))
    );
    let edit = file.plan_remove("default").unwrap();
    assert!(
        edit.replaces_long_term,
        "removing long-term keys needs the confirmation"
    );
    assert!(!edit.keeps_backup, "no backup keeps the removed keys");
    assert_eq!(
        file.write(&edit, false, SystemTime::UNIX_EPOCH),
        Err(CredFileError::LongTermKeys("default".into()))
    );
    assert_eq!(file.write(&edit, true, SystemTime::UNIX_EPOCH), Ok(None));
    let new = std::fs::read_to_string(&path).unwrap();
    let start = FILE.find("[default]").unwrap();
    let end = FILE.find("[work]").unwrap();
    assert_eq!(new, format!("{}{}", &FILE[..start], &FILE[end..]));
    let parsed = sdk_parse(&new);
    assert!(!parsed.contains_key("default"));
    assert_eq!(parsed["work"]["aws_session_token"], "t2");

    // A section with settings only holds no secret: its removal keeps the usual backup.
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan_remove("other").unwrap();
    assert!(edit.keeps_backup && !edit.replaces_long_term);
    let backup = file
        .write(&edit, false, SystemTime::UNIX_EPOCH)
        .unwrap()
        .expect("backup");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), new);
    assert!(!sdk_parse(&std::fs::read_to_string(&path).unwrap()).contains_key("other"));
}

/// Every file under `dir`, at any depth (hidden ones included).
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            out.extend(files_under(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

/// Whether the file at `f` holds `secret` anywhere in its bytes.
fn holds(f: &std::path::Path, secret: &str) -> bool {
    let bytes = std::fs::read(f).unwrap();
    bytes.windows(secret.len()).any(|w| w == secret.as_bytes())
}

#[test]
fn removing_imported_keys_leaves_the_secret_in_no_file_earlier_backups_included() {
    use std::os::unix::fs::MetadataExt as _;
    // A distinctive long-term secret, found nowhere else in the file.
    const SECRET: &str = "imporTEDlongTERMsecretXYZ0123456789abcdE";
    let other = "# the CI's profile\n[ci]\naws_access_key_id = AKIACIKEEPME\naws_secret_access_key = ci-secret-kept\nregion = eu-west-1\n";
    let text = format!(
        "[imported]\naws_access_key_id = AKIAIMPORTEDIMPORTED\naws_secret_access_key = {SECRET}\nregion = us-east-1\n\n{other}"
    );
    let dir = tempfile::tempdir().unwrap();
    let aws = dir.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    let path = aws.join("credentials");
    std::fs::write(&path, &text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    // A backup of a time before [imported] existed: it never held the secret and stays untouched.
    let unrelated = aws.join("credentials.keyfob-backup-2026-01-01T000000Z");
    std::fs::write(&unrelated, other).unwrap();
    let unrelated_inode = std::fs::metadata(&unrelated).unwrap().ino();
    // The realistic case: a session written as [work] while the long-term keys were still in
    // the file. That write's backup is the whole old file, the secret included.
    let file = CredFile::read(&path).unwrap();
    let edit = file
        .plan("work", &session("earlier-session-token"))
        .unwrap();
    let earlier = file
        .write(&edit, false, SystemTime::now())
        .unwrap()
        .expect("a write-profile keeps a backup");
    assert!(
        holds(&earlier, SECRET),
        "the earlier backup held the secret"
    );
    let with_work = std::fs::read_to_string(&path).unwrap();
    let inode_before = std::fs::metadata(&path).unwrap().ino();

    // The same calls the worker's RemoveProfileFromFile makes.
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan_remove("imported").unwrap();
    assert!(!edit.preview.contains(SECRET), "{}", edit.preview);
    let secret = file.secret_of("imported").expect("the section's secret");
    assert_eq!(secret.expose(), SECRET);
    let backup = file.write(&edit, true, SystemTime::now()).unwrap();
    assert_eq!(backup, None, "a removal of keys keeps no backup");
    let scrubbed = file.scrub_backups(&secret);
    assert_eq!(scrubbed.cleaned, vec![earlier.clone()]);
    assert!(scrubbed.left.is_empty(), "{:?}", scrubbed.left);
    let said = scrubbed.sentence();
    assert!(
        said.contains("removed from 1 earlier backup")
            && said.contains(&earlier.display().to_string()),
        "{said}"
    );

    // The secret is in no file under the directory, backups and temporary files included.
    let files = files_under(dir.path());
    assert_eq!(
        files.len(),
        3,
        "only the file and the two backups: {files:?}"
    );
    for f in &files {
        assert!(!holds(f, SECRET), "{f:?} still holds the removed secret");
    }
    // The earlier backup keeps everything else it held, byte for byte, at 0600; the unrelated
    // one was not even rewritten.
    assert_eq!(std::fs::read_to_string(&earlier).unwrap(), other);
    let mode = std::fs::metadata(&earlier).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&unrelated).unwrap(), other);
    assert_eq!(
        std::fs::metadata(&unrelated).unwrap().ino(),
        unrelated_inode
    );
    // The other profiles' bytes are kept exactly, and the SDK still reads them.
    let now = std::fs::read_to_string(&path).unwrap();
    assert_eq!(now, with_work.replacen(&text.replace(other, ""), "", 1));
    let parsed = sdk_parse(&now);
    assert_eq!(parsed["ci"]["aws_access_key_id"], "AKIACIKEEPME");
    assert!(parsed.contains_key("work"));
    assert!(!parsed.contains_key("imported"));
    // Atomic: a new file (temporary file + rename, so a new inode) with mode 0600, no temporary
    // file left behind.
    let meta = std::fs::metadata(&path).unwrap();
    assert_ne!(
        meta.ino(),
        inode_before,
        "written through a rename, not in place"
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_backup_that_cannot_be_scrubbed_is_named_and_left_as_it_was() {
    const SECRET: &str = "anoTHERlongTERMsecretXYZ0123456789abcdE";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    let text = format!(
        "[imported]\naws_access_key_id = AKIAIMPORTEDIMPORTED\naws_secret_access_key = {SECRET}\n"
    );
    std::fs::write(&path, &text).unwrap();
    // Edited by hand after keyfob wrote it: the secret also sits in a comment, which keyfob does
    // not rewrite.
    let odd = dir
        .path()
        .join("credentials.keyfob-backup-2026-02-02T000000Z");
    let odd_text = format!("# old key: {SECRET}\n{text}");
    std::fs::write(&odd, &odd_text).unwrap();
    let file = CredFile::read(&path).unwrap();
    let secret = file.secret_of("imported").unwrap();
    let edit = file.plan_remove("imported").unwrap();
    file.write(&edit, true, SystemTime::now()).unwrap();
    let scrubbed = file.scrub_backups(&secret);
    assert!(scrubbed.cleaned.is_empty());
    assert_eq!(scrubbed.left.len(), 1, "{:?}", scrubbed.left);
    assert_eq!(scrubbed.left[0].0, odd);
    let said = scrubbed.sentence();
    assert!(
        said.contains("still hold its secret key, delete them")
            && said.contains(&odd.display().to_string()),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(&odd).unwrap(),
        odd_text,
        "left as it was"
    );
}

#[test]
fn comments_above_the_next_section_stay_with_it() {
    let text =
        "[a]\nx = 1\n; about a\n\n# the b profile is for the CI\n[b]\ny = 2\n# trailing note\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, text).unwrap();
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan("a", &session("T")).unwrap();
    file.write(&edit, true, SystemTime::UNIX_EPOCH).unwrap();
    let new = std::fs::read_to_string(&path).unwrap();
    assert!(
        new.ends_with(
            "\n; about a\n\n# the b profile is for the CI\n[b]\ny = 2\n# trailing note\n"
        ),
        "{new}"
    );
    let file = CredFile::read(&path).unwrap();
    let edit = file.plan_remove("b").unwrap();
    file.write(&edit, true, SystemTime::UNIX_EPOCH).unwrap();
    let new = std::fs::read_to_string(&path).unwrap();
    assert!(
        new.ends_with("\n; about a\n\n# the b profile is for the CI\n# trailing note\n"),
        "{new}"
    );
    assert!(!sdk_parse(&new).contains_key("b"));
}
