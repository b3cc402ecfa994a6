//! The profile reader ([`load_with_env`]).

use super::{Scratch, broken, fields, lossy, write_file};
use crate::aws::ProfileFilesSpec;
use crate::aws::profiles::{Profiles, load_with_env};

thread_local! {
    /// A runtime for the async profile loader (built once per thread).
    static RUNTIME: Option<tokio::runtime::Runtime> =
        tokio::runtime::Builder::new_current_thread().enable_all().build().ok();
}

fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.with(|rt| match rt {
        Some(rt) => rt.block_on(future),
        None => broken("no tokio runtime could be built"),
    })
}

/// The `aws_secret_access_key` values in `text` that can be looked for in `Debug` output: 12 or
/// more ASCII letters and digits with a digit among them, not starting with a letter that an
/// escape (`\n`, `\t`, `\r`, `\0`) ends in.
fn distinctive_secrets(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            let distinct = key.trim() == "aws_secret_access_key"
                && value.len() >= 12
                && value.bytes().all(|b| b.is_ascii_alphanumeric())
                && value.bytes().any(|b| b.is_ascii_digit())
                && !value.starts_with(['n', 't', 'r', '0']);
            distinct.then_some(value)
        })
        .collect()
}

/// The profile reader ([`load_with_env`], around aws-config's loader). The input is the config
/// file, NUL, the credentials file, NUL, `AWS_PROFILE` (each may be left out). Whatever the files
/// hold: the profiles are sorted by name, each once; every setting read is trimmed and not empty;
/// the selected profile exists (and is `default` when it exists and `AWS_PROFILE` is unset); and
/// no secret key shows in the profiles' `Debug` output.
pub fn profiles(data: &[u8]) {
    let values = fields(data);
    let scratch = Scratch::new();
    let spec = ProfileFilesSpec {
        config: Some(scratch.file("config")),
        credentials: Some(scratch.file("credentials")),
    };
    for (bytes, path) in values.iter().zip([&spec.config, &spec.credentials]) {
        if let Some(path) = path {
            write_file(path, bytes);
        }
    }
    let selected = values.get(2).map(|p| lossy(p));
    let vars: Vec<(&str, &str)> = selected
        .iter()
        .map(|s| ("AWS_PROFILE", s.as_str()))
        .collect();
    let env = aws_types::os_shim_internal::Env::from_slice(&vars);
    let Ok(profiles) = block_on(load_with_env(&spec, &env)) else {
        return;
    };
    profiles_hold(&profiles, selected.as_deref());
    let texts: Vec<String> = values.iter().take(2).map(|p| lossy(p)).collect();
    let all = texts.concat();
    let shown = format!("{profiles:?}");
    for secret in texts.iter().flat_map(|t| distinctive_secrets(t)) {
        if all.matches(secret).count() == 1 {
            assert!(!shown.contains(secret), "a secret key shows in {shown}");
        }
    }
}

fn profiles_hold(profiles: &Profiles, aws_profile: Option<&str>) {
    for pair in profiles.list.windows(2) {
        if let [a, b] = pair {
            assert!(a.name < b.name, "{} listed before {}", a.name, b.name);
        }
    }
    for p in &profiles.list {
        let settings = [
            &p.mfa_serial,
            &p.role_arn,
            &p.source_profile,
            &p.external_id,
            &p.role_session_name,
            &p.duration_seconds,
            &p.region,
            &p.oath_account,
        ];
        for value in settings.into_iter().flatten() {
            assert!(
                !value.is_empty() && value.trim() == value,
                "{value:?} in {p:?}"
            );
        }
    }
    if let Some(s) = &profiles.selected {
        assert!(profiles.get(s).is_some(), "{s} is selected but not listed");
    }
    if aws_profile.is_none() && profiles.get("default").is_some() {
        assert_eq!(profiles.selected.as_deref(), Some("default"));
    }
}
