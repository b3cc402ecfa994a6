//! The fuzz targets' saved inputs as a regression test on stable Rust: every file under
//! `fuzz/corpus/NAME/` and `fuzz/regressions/NAME/` goes through `keyfob::fuzzing::NAME`, the body
//! of the fuzz target NAME (`scripts/fuzz` runs the fuzzer itself, on nightly). A target without
//! a corpus, a corpus without a target, or a target missing from the list at the end fails, so the
//! test can never pass by testing nothing.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use keyfob::fuzzing;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The names of the entries of `dir` (files without `.rs` for `fuzz_targets`), sorted; none
/// when it does not exist.
fn names_in(dir: &Path, strip: &str) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .map(|n| n.strip_suffix(strip).map_or(n.clone(), str::to_owned))
        .collect()
}

/// The input files in `dir`, sorted (none when it does not exist).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_is_listed_and_has_a_corpus() {
    let listed: BTreeSet<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    let mut built = names_in(&fuzz_dir().join("fuzz_targets"), ".rs");
    if cfg!(not(unix)) {
        built.remove("ipc_line");
    }
    assert_eq!(
        listed, built,
        "fuzz/fuzz_targets and this test's TARGETS differ"
    );
    let corpora = names_in(&fuzz_dir().join("corpus"), "");
    let stale: Vec<&String> = corpora.difference(&built).collect();
    assert!(
        stale.is_empty(),
        "corpus directories of no target: {stale:?}"
    );
    for (name, _) in TARGETS {
        let corpus = fuzz_dir().join("corpus").join(name);
        assert!(
            !inputs(&corpus).is_empty(),
            "{} is missing or empty",
            corpus.display()
        );
    }
    let regressions = names_in(&fuzz_dir().join("regressions"), "");
    let stale: Vec<&String> = regressions.difference(&built).collect();
    assert!(
        stale.is_empty(),
        "regression directories of no target: {stale:?}"
    );
}

/// Runs every saved input of `name` through `body`; fails naming each input that panicked.
fn replay(name: &str, body: fn(&[u8])) {
    let corpus = inputs(&fuzz_dir().join("corpus").join(name));
    assert!(!corpus.is_empty(), "fuzz/corpus/{name} is missing or empty");
    let regressions = inputs(&fuzz_dir().join("regressions").join(name));
    let mut failed = Vec::new();
    for file in corpus.iter().chain(&regressions) {
        let data = std::fs::read(file).unwrap();
        if std::panic::catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{name}: these inputs panicked (messages above):\n{}",
        failed.join("\n")
    );
}

/// One test per target replaying its inputs, and [`TARGETS`]: every target and its body.
macro_rules! targets {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        const TARGETS: &[(&str, fn(&[u8]))] = &[
            $($(#[$attr])* (stringify!($name), fuzzing::$name),)*
        ];
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                replay(stringify!($name), fuzzing::$name);
            }
        )*
    };
}

targets!(
    aws_error_body,
    cred_server_request,
    credential_process_json,
    credfile,
    export_quoting,
    #[cfg(unix)]
    ipc_line,
    keyring_parts,
    keyring_record,
    listing,
    profiles,
    ykman_output,
);
