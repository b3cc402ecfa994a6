//! A loopback HTTP server that answers every request the same canned way, for failures a real
//! moto_server cannot produce (5xx, throttling, a rejected MFA code, silence). It counts requests,
//! so tests can see the SDK's retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the fake server answers.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// An HTTP response with this status and body.
    Respond(u16, &'static str),
    /// Accept the connection, read the request, never answer.
    Silent,
    /// A 200 that promises this many bytes, sends the body given, and hangs up (a connection lost
    /// mid-transfer).
    Truncated(u64, &'static str),
    /// A 200 that promises this many bytes, sends the body given, then keeps the connection open
    /// and sends nothing more (a transfer that is running when something stops it).
    Stalled(u64, &'static str),
    /// A 200 that promises this many bytes and sends one every 100 ms: a slow transfer that is
    /// still moving (so the SDK's stalled-stream protection, which ends a body that brings under
    /// a byte a second for 5 s, leaves it running) when something stops it.
    Trickling(u64),
}

/// A running fake server.
pub struct FakeServer {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// Starts on a free port of 127.0.0.1 (call inside a tokio runtime).
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let count = Arc::clone(&count);
                let behaviour = behaviour.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut read = 0;
                    // Read the head and the body (Content-Length) of one request.
                    loop {
                        let Ok(n) = sock.read(&mut buf[read..]).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        read += n;
                        let text = String::from_utf8_lossy(&buf[..read]).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if read >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    match behaviour {
                        Behaviour::Respond(status, body) => {
                            let ctype = if body.starts_with('{') {
                                "application/json"
                            } else {
                                "text/xml"
                            };
                            let resp = format!(
                                "HTTP/1.1 {status} Status\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nx-amzn-RequestId: fake-1\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = sock.write_all(resp.as_bytes()).await;
                        }
                        Behaviour::Truncated(declared, body) => {
                            let resp = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: binary/octet-stream\r\nContent-Length: {declared}\r\nETag: \"0123456789abcdef0123456789abcdef\"\r\n\r\n{body}"
                            );
                            let _ = sock.write_all(resp.as_bytes()).await;
                            let _ = sock.shutdown().await;
                        }
                        Behaviour::Stalled(declared, body) => {
                            let resp = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: binary/octet-stream\r\nContent-Length: {declared}\r\nETag: \"0123456789abcdef0123456789abcdef\"\r\n\r\n{body}"
                            );
                            let _ = sock.write_all(resp.as_bytes()).await;
                            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        }
                        Behaviour::Trickling(declared) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: binary/octet-stream\r\nContent-Length: {declared}\r\nETag: \"0123456789abcdef0123456789abcdef\"\r\n\r\n"
                            );
                            if sock.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            for _ in 0..declared {
                                if sock.write_all(b"x").await.is_err() {
                                    return; // the client went away
                                }
                                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                            }
                        }
                        Behaviour::Silent => {
                            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        }
                    }
                });
            }
        });
        Self {
            url,
            requests,
            task,
        }
    }

    /// Requests received so far.
    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// A fake server that answers every request with S3's AccessDenied, and an S3 client (with a
/// session's fake keys) pointed at it. The server stops when the first value is dropped.
pub async fn denying_s3() -> (FakeServer, aws_sdk_s3::Client) {
    let server = FakeServer::start(Behaviour::Respond(
        403,
        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>r1</RequestId></Error>",
    ))
    .await;
    let env = keyfob::aws::AwsEnv {
        endpoint_url: Some(server.url.clone()),
        ..keyfob::aws::AwsEnv::default()
    };
    let creds = keyfob::session::Credentials {
        access_key_id: "ASIAFAKEFAKEFAKEFAKE".into(),
        secret_access_key: keyfob::secret::Secret::new("fake"),
        session_token: Some(keyfob::secret::Secret::new("token")),
    };
    let client = keyfob::aws::s3::client(&env, &creds, Some("us-east-1")).await;
    (server, client)
}
