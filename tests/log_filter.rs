//! KEYFOB_LOG, read by the real binary: a filter it cannot read is said once, and the default
//! filter is used.

#![allow(clippy::expect_used)]

use std::process::Command;

fn completions_with_log(filter: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keyfob"))
        .args(["completions", "bash"])
        .env("KEYFOB_LOG", filter)
        .output()
        .expect("keyfob runs");
    (
        out.status.success() && !out.stdout.is_empty(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_log_filter_that_is_no_filter_is_said_and_the_default_used() {
    let (ok, log) = completions_with_log("keyfob=loud");
    assert!(ok, "the command still runs: {log}");
    assert!(
        log.contains("KEYFOB_LOG is not a log filter")
            && log.contains("logging with warn,winit=error,keyfob=info"),
        "{log}"
    );
    // Every level reaches the filter: a debug line appears where asked for, and only there.
    for (filter, shown) in [
        ("debug", true),
        ("warn,keyfob=debug", true),
        ("trace", true),
        ("keyfob=info", false),
        ("", false),
    ] {
        let (ok, log) = completions_with_log(filter);
        assert!(ok, "KEYFOB_LOG={filter:?}: {log}");
        let lines: Vec<&str> = log.lines().collect();
        let starting = lines
            .iter()
            .any(|l| l.contains("DEBUG") && l.contains("keyfob starting"));
        assert_eq!(starting, shown, "KEYFOB_LOG={filter:?}: {log}");
        assert!(
            lines.iter().all(|l| l.contains("keyfob starting")),
            "nothing else is logged by completions: {log}"
        );
    }
}
