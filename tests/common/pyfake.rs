//! The loopback fakes of what moto lacks — IAM Identity Center (`scripts/lib/sso_fake.py`: its OIDC
//! and portal APIs) and AWS Sign-In (`scripts/lib/signin_fake.py`: the authorize page and the token
//! API) — speaking the wire protocol the SDK's clients read. Started on a free port, stopped on
//! drop; their pages are "clicked" over HTTP.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use super::{crate_path, free_port, http};

/// A running fake.
pub struct PyFake {
    pub url: String,
    pub port: u16,
    child: Child,
}

impl Drop for PyFake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PyFake {
    /// Starts the IAM Identity Center fake with extra arguments (`--accounts N`,
    /// `--device-seconds S`, …).
    pub fn sso(args: &[&str]) -> Self {
        Self::start("scripts/lib/sso_fake.py", args)
    }

    /// Starts the AWS Sign-In fake with extra arguments (`--credential-seconds S`, …).
    pub fn signin(args: &[&str]) -> Self {
        Self::start("scripts/lib/signin_fake.py", args)
    }

    fn start(script: &str, args: &[&str]) -> Self {
        let script = crate_path(script);
        let port = free_port();
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--port", &port.to_string()])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 {}: {e}", script.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the fake's first line");
        assert!(
            line.starts_with("ready "),
            "the fake did not start: {line:?}"
        );
        Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            child,
        }
    }

    /// What the user does on the approval page: approve (or deny) the code.
    pub fn answer(&self, user_code: &str, action: &str) {
        let body = format!("user_code={user_code}&action={action}");
        let (status, text) = http(self.port, "POST", "/device", &body).expect("the approval page");
        assert_eq!(status, 200, "{text}");
    }

    /// A test control: `revoke`, `remove-role`, `counts` (IAM Identity Center); `browse`,
    /// `revoke`, `counts` (AWS Sign-In).
    pub fn control(&self, what: &str, body: &str) -> String {
        let (status, text) =
            http(self.port, "POST", &format!("/_control/{what}"), body).expect("control");
        assert_eq!(status, 200, "{text}");
        text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned()
    }
}
