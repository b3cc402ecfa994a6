//! Opens a URL in the desktop's browser: the program `BROWSER` names when it is set (the first of
//! a `:`-separated list; a `%s` in it stands for the URL), else `xdg-open` (Linux and the BSDs),
//! `open` (macOS) or `url.dll` (Windows). The URL is a secret (a console sign-in link): it is
//! handed to the program as an argument, the only way these openers take one, and never logged.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zeroize::Zeroize;

use crate::secret::Secret;

/// How long keyfob waits for the opener to say it failed. `xdg-open` and `open` hand the URL to
/// the browser and exit at once; a browser started directly (`BROWSER=firefox`) may keep running,
/// which counts as opened.
const SETTLE: Duration = Duration::from_secs(5);

/// Why the browser was not opened, one sentence each.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("{0} was not found: install it, or set BROWSER to your browser's command")]
    NotFound(String),
    #[error("{0} could not be started: {1}")]
    Spawn(String, String),
    #[error("{0} could not open the page (it exited with {1})")]
    Failed(String, String),
}

/// Opens `url` with the desktop's browser. Blocks for up to a few seconds: call it from a blocking
/// thread, never from the UI thread.
///
/// # Errors
/// The opener is missing, could not be started, or exited with a failure.
pub fn open(url: &Secret) -> Result<(), OpenError> {
    let browser = std::env::var("BROWSER").ok();
    let (program, mut args) = command_for(browser.as_deref(), url.expose());
    let mut child = Command::new(&program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => OpenError::NotFound(program.clone()),
            _ => OpenError::Spawn(program.clone(), e.to_string()),
        })?;
    args.iter_mut().for_each(Zeroize::zeroize); // the URL's copies
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(OpenError::Failed(program, status.to_string())),
            Ok(None) if started.elapsed() >= SETTLE => {
                // A browser in the foreground: reaped when it ends, on a thread of its own.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(OpenError::Spawn(program, e.to_string())),
        }
    }
}

/// Whether the browser [`open`] would start can be found (an existing, executable program named
/// by `BROWSER` or the platform's opener), without starting it: asked before anything secret is
/// made for it, so a console sign-in token is never requested when it could not be used.
///
/// # Errors
/// [`OpenError::NotFound`] naming the program.
pub fn check() -> Result<(), OpenError> {
    let browser = std::env::var("BROWSER").ok();
    let (program, _) = command_for(browser.as_deref(), "");
    // Windows' opener is part of the system.
    if cfg!(windows) || on_path(&program) {
        Ok(())
    } else {
        Err(OpenError::NotFound(program))
    }
}

/// Whether `program` (a path, or a name looked up in `PATH` as the system does) is an executable
/// file.
fn on_path(program: &str) -> bool {
    let path = std::path::Path::new(program);
    if path.components().count() > 1 {
        return executable(path);
    }
    std::env::var_os("PATH")
        .is_some_and(|dirs| std::env::split_paths(&dirs).any(|d| executable(&d.join(program))))
}

fn executable(path: &std::path::Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// The program and its arguments: `BROWSER`'s first entry (split on blanks, `%s` replaced by the
/// URL, else the URL appended), or the platform's opener.
fn command_for(browser: Option<&str>, url: &str) -> (String, Vec<String>) {
    let chosen = browser
        .and_then(|b| b.split(':').map(str::trim).find(|c| !c.is_empty()))
        .map(|c| c.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
    let Some((program, rest)) = chosen.as_ref().and_then(|words| words.split_first()) else {
        let (program, mut args) = platform_opener();
        args.push(url.to_owned());
        return (program.to_owned(), args);
    };
    let mut args: Vec<String> = rest.iter().map(|a| a.replace("%s", url)).collect();
    if !rest.iter().any(|a| a.contains("%s")) {
        args.push(url.to_owned());
    }
    (program.clone(), args)
}

fn platform_opener() -> (&'static str, Vec<String>) {
    if cfg!(target_os = "macos") {
        ("open", Vec::new())
    } else if cfg!(windows) {
        ("rundll32", vec!["url.dll,FileProtocolHandler".to_owned()])
    } else {
        ("xdg-open", Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_program_is_found_by_path_or_on_path_only_when_executable() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("my-browser");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let path = script.to_str().unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(!on_path(path), "not executable");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(on_path(path));
        assert!(!on_path(
            dir.path().join("no-such-browser").to_str().unwrap()
        ));
        assert!(
            !on_path(dir.path().to_str().unwrap()),
            "a directory is no program"
        );
        // A bare name is looked up in PATH (sh is on every PATH this runs with).
        assert!(on_path("sh"));
        assert!(!on_path("keyfob-no-such-browser-anywhere"));
    }

    #[test]
    fn browser_entries_and_the_platform_opener() {
        let url = "https://signin.example/federation?Action=login&SigninToken=t";
        let own = |p: &str, a: &[&str]| (p.to_owned(), a.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(command_for(Some("firefox"), url), own("firefox", &[url]));
        assert_eq!(
            command_for(Some(" :chromium --new-window:firefox"), url),
            own("chromium", &["--new-window", url])
        );
        assert_eq!(
            command_for(Some("w3m -o x=1 %s"), url),
            own("w3m", &["-o", "x=1", url])
        );
        let (program, args) = command_for(Some("  "), url);
        assert_eq!(
            (program.as_str(), args.last()),
            (platform_opener().0, Some(&url.to_owned()))
        );
        assert_eq!(command_for(None, url).0, platform_opener().0);
    }

    #[test]
    fn a_missing_or_failing_opener_is_one_sentence() {
        let err = OpenError::NotFound("no-such-browser".into());
        assert_eq!(
            err.to_string(),
            "no-such-browser was not found: install it, or set BROWSER to your browser's command"
        );
        let failed = OpenError::Failed("xdg-open".into(), "exit status: 3".into());
        assert_eq!(
            failed.to_string(),
            "xdg-open could not open the page (it exited with exit status: 3)"
        );
    }
}
