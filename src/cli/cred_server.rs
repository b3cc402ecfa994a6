//! The credential endpoint of `keyfob exec --server`: the container-credentials protocol the AWS
//! SDKs and CLI already read (`AWS_CONTAINER_CREDENTIALS_FULL_URI` on loopback, with
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`). Each request is answered with the session as the keyring
//! holds it *now*, so a long-running child keeps working across renewals made meanwhile by the
//! window or `keyfob signin`. It binds to 127.0.0.1 only, wants a random token compared in
//! constant time, answers well within the SDKs' 1-second timeout (it never waits on a person) and
//! stops with the child.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::secret::Secret;
use crate::session::Session;

/// Finds the live session for a request, or says why there is none.
pub type Lookup = Arc<dyn Fn() -> Result<Session, String> + Send + Sync>;

/// A running endpoint; dropping it stops it.
#[derive(Debug)]
pub struct CredServer {
    /// `http://127.0.0.1:PORT/creds`, for `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub url: String,
    /// For `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub token: Secret,
    stop: Arc<AtomicBool>,
    port: u16,
}

/// The longest request head read; the SDKs send a few hundred bytes.
const MAX_HEAD: usize = 8 * 1024;

/// The threads that answer requests, and how many accepted connections may wait for one.
const WORKERS: usize = 8;
const QUEUE: usize = 64;

impl CredServer {
    /// Binds a free loopback port and serves from threads of its own: one accepts, a fixed pool of
    /// [`WORKERS`] answers.
    ///
    /// # Errors
    /// When no port can be bound or no random token can be made.
    pub fn start(lookup: Lookup) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let token = Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let stop = Arc::new(AtomicBool::new(false));
        let (expected, stopping) = (token.clone(), Arc::clone(&stop));
        // A fixed pool answers the requests: a burst of clients waits in the queue (and then in
        // the kernel's backlog) instead of starting a thread each, so threads and memory stay
        // bounded however many come; a slow client holds up one worker, not the endpoint.
        let (queue, taken) = std::sync::mpsc::sync_channel::<TcpStream>(QUEUE);
        let taken = Arc::new(std::sync::Mutex::new(taken));
        for lookup in std::iter::repeat_n(lookup, WORKERS) {
            let (taken, expected) = (Arc::clone(&taken), expected.clone());
            std::thread::Builder::new()
                .name("keyfob-cred-worker".into())
                .spawn(move || {
                    loop {
                        // The lock is held only to take the next connection, never while serving.
                        let next = taken.lock().map(|rx| rx.recv());
                        let Ok(Ok(stream)) = next else { return };
                        serve(stream, expected.expose(), &lookup);
                    }
                })?;
        }
        std::thread::Builder::new()
            .name("keyfob-cred-server".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stopping.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    if queue.send(stream).is_err() {
                        break;
                    }
                }
                // The queue's sender goes with this thread: the workers end once it is empty.
            })?;
        Ok(Self {
            url: format!("http://127.0.0.1:{port}/creds"),
            token,
            stop,
            port,
        })
    }
}

impl Drop for CredServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(mut stream: TcpStream, token: &str, lookup: &Lookup) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(800)));
    let _ = stream.set_write_timeout(Some(Duration::from_millis(800)));
    let (status, body) = match read_head(&mut stream) {
        Some(head) => answer(&head, token, lookup),
        None => (400, error_json("BadRequest", "not an HTTP request")),
    };
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.expose().len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.expose().as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

/// The request line and headers, up to the blank line.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(chunk.get(..n)?);
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
    String::from_utf8(buf).ok()
}

/// The status and JSON body for a request head. Public for the fuzz target only.
#[doc(hidden)]
pub fn answer(head: &str, token: &str, lookup: &Lookup) -> (u16, Secret) {
    let mut lines = head.split("\r\n");
    let method = lines.next().and_then(|l| l.split(' ').next()).unwrap_or("");
    let auth = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("authorization")
            .then(|| value.trim())
    });
    match auth {
        None => return (401, error_json("Unauthorized", "no authorization token")),
        Some(given) if !same(given.as_bytes(), token.as_bytes()) => {
            return (403, error_json("Forbidden", "wrong authorization token"));
        }
        Some(_) => {}
    }
    if method != "GET" {
        return (405, error_json("MethodNotAllowed", "only GET"));
    }
    match lookup() {
        Ok(session) => (200, session.container_credentials_json()),
        Err(why) => (503, error_json("NoSession", &why)),
    }
}

/// Compares in time that depends on the lengths only, not on where the bytes differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn error_json(code: &str, message: &str) -> Secret {
    Secret::new(serde_json::json!({ "code": code, "message": message }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup_ok() -> Lookup {
        Arc::new(|| Ok(crate::session::sample_session("sekrit", "tok3n")))
    }

    #[test]
    fn the_token_decides_and_is_compared_whole() {
        let token = "abc123";
        let ask = |auth: &str| {
            let head = format!("GET /creds HTTP/1.1\r\nHost: x\r\n{auth}\r\n\r\n");
            answer(&head, token, &lookup_ok()).0
        };
        assert_eq!(ask("Authorization: abc123"), 200);
        assert_eq!(
            ask("authorization:abc123 "),
            200,
            "header names are case-blind"
        );
        assert_eq!(ask("Authorization: abc124"), 403);
        assert_eq!(
            ask("Authorization: abc12"),
            403,
            "a prefix is not the token"
        );
        assert_eq!(ask("X-Other: abc123"), 401);
        assert!(same(b"", b""));
        assert!(!same(b"a", b"ab"));
    }

    #[test]
    fn the_answer_has_the_sdk_field_names_and_no_session_is_a_503() {
        let head = "GET /creds HTTP/1.1\r\nAuthorization: t\r\n\r\n";
        let (status, body) = answer(head, "t", &lookup_ok());
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_str(body.expose()).unwrap();
        for field in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] {
            assert!(v.get(field).is_some(), "{field} in {v}");
        }
        let none: Lookup = Arc::new(|| Err("no session for dev".to_owned()));
        let (status, body) = answer(head, "t", &none);
        assert_eq!(status, 503);
        assert!(body.expose().contains("no session for dev"));
        let post = "POST /creds HTTP/1.1\r\nAuthorization: t\r\n\r\n";
        assert_eq!(answer(post, "t", &lookup_ok()).0, 405);
    }
}
