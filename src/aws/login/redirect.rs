//! Where the browser comes back: a one-shot HTTP listener on 127.0.0.1 (same-device sign-in), or
//! the code the sign-in page shows, pasted by the user (cross-device).

use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::aws::errors::{AwsError, ErrorKind};
use crate::secret::Secret;

/// What the browser brought back.
#[derive(Debug)]
pub struct Callback {
    /// The one-time authorization code.
    pub code: Secret,
    /// The state the sign-in was started with (checked before the code is used).
    pub state: String,
}

const PATH: &str = "/oauth/callback";
const MAX_REQUEST: usize = 16 * 1024;

/// A listener on a free loopback port, for one sign-in.
#[derive(Debug)]
pub struct Loopback {
    listener: tokio::net::TcpListener,
    port: u16,
}

impl Loopback {
    /// Listens on 127.0.0.1, on a port the OS picks.
    ///
    /// # Errors
    /// The OS refused a loopback socket.
    pub async fn bind() -> Result<Self, AwsError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| {
                AwsError::new(
                    ErrorKind::Other,
                    format!("keyfob could not listen on 127.0.0.1 for the browser: {e}"),
                )
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| {
                AwsError::new(
                    ErrorKind::Other,
                    format!("keyfob could not listen on 127.0.0.1 for the browser: {e}"),
                )
            })?
            .port();
        Ok(Self { listener, port })
    }

    /// The address the sign-in page sends the browser back to.
    #[must_use]
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{PATH}", self.port)
    }

    /// Waits up to `limit` for the browser to come back with a code (other requests, such as a
    /// favicon, are answered 404 and ignored).
    ///
    /// # Errors
    /// The sign-in page reported an error (the user declined), or nothing came in time.
    pub async fn wait(self, limit: Duration) -> Result<Callback, AwsError> {
        tokio::time::timeout(limit, self.serve())
            .await
            .map_err(|_| {
                AwsError::new(
                    ErrorKind::Timeout,
                    format!(
                        "The browser did not come back within {} minutes; sign in again",
                        limit.as_secs() / 60
                    ),
                )
            })?
    }

    async fn serve(self) -> Result<Callback, AwsError> {
        loop {
            let Ok((mut stream, _)) = self.listener.accept().await else {
                continue;
            };
            let Some(target) = read_target(&mut stream).await else {
                let _ = respond(
                    &mut stream,
                    "400 Bad Request",
                    "keyfob did not understand this request.",
                )
                .await;
                continue;
            };
            let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
            if path != PATH {
                let _ = respond(&mut stream, "404 Not Found", "Nothing here.").await;
                continue;
            }
            let params = parse_query(query);
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            if let Some(error) = get("error") {
                let why = get("error_description").unwrap_or_else(|| error.clone());
                let _ = respond(
                    &mut stream,
                    "200 OK",
                    "The sign-in did not finish. You can close this tab.",
                )
                .await;
                return Err(AwsError::new(
                    ErrorKind::AccessDenied,
                    format!("The sign-in page said no: {why}"),
                ));
            }
            match (get("code"), get("state")) {
                (Some(code), Some(state)) if !code.is_empty() => {
                    let _ = respond(
                        &mut stream,
                        "200 OK",
                        "Signed in. keyfob has what it needs: you can close this tab.",
                    )
                    .await;
                    return Ok(Callback {
                        code: Secret::new(code),
                        state,
                    });
                }
                _ => {
                    let _ = respond(
                        &mut stream,
                        "400 Bad Request",
                        "This address needs a code and a state.",
                    )
                    .await;
                }
            }
        }
    }
}

/// The code the cross-device sign-in page shows: base64 of `state=…&code=…`.
///
/// # Errors
/// Not base64, or no code or state in it.
pub fn parse_pasted_code(text: &str) -> Result<Callback, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| "That is not the code the sign-in page shows (it is not base64)".to_owned())?;
    let decoded = String::from_utf8(bytes)
        .map_err(|_| "That is not the code the sign-in page shows".to_owned())?;
    let params = parse_query(&decoded);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match (get("code"), get("state")) {
        (Some(code), Some(state)) if !code.is_empty() => Ok(Callback {
            code: Secret::new(code),
            state,
        }),
        _ => Err("That code has no authorization code and state in it".to_owned()),
    }
}

async fn read_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 || buf.len() + n > MAX_REQUEST {
            return None;
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let head = String::from_utf8_lossy(&buf);
    let mut words = head.lines().next()?.split_whitespace();
    (words.next()? == "GET").then_some(())?;
    words.next().map(str::to_owned)
}

async fn respond(
    stream: &mut tokio::net::TcpStream,
    status: &str,
    text: &str,
) -> std::io::Result<()> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>keyfob</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>keyfob</h1><p id=\"result\">{text}</p></body></html>"
    );
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex: Vec<u8> = bytes.clone().take(2).collect();
                match std::str::from_utf8(&hex)
                    .ok()
                    .filter(|h| h.len() == 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        bytes.nth(1);
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_code_gives_its_code_and_state_and_nonsense_is_refused() {
        let pasted = base64::engine::general_purpose::STANDARD.encode("state=abc&code=x%2By");
        let c = parse_pasted_code(&format!("  {pasted}\n")).unwrap();
        assert_eq!((c.code.expose(), c.state.as_str()), ("x+y", "abc"));
        assert!(parse_pasted_code("not base64!").is_err());
        let no_code = base64::engine::general_purpose::STANDARD.encode("state=abc");
        assert!(parse_pasted_code(&no_code).is_err());
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(
            parse_query("a=1%202&b=x+y&c=%zz&d"),
            vec![
                ("a".into(), "1 2".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "%zz".into()),
                ("d".into(), String::new())
            ]
        );
    }

    #[tokio::test]
    async fn the_browser_coming_back_gives_the_code_and_other_paths_are_ignored() {
        let lb = Loopback::bind().await.unwrap();
        let uri = lb.redirect_uri();
        let port: u16 = uri
            .split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let waiter = tokio::spawn(lb.wait(Duration::from_secs(10)));
        for target in ["/favicon.ico", "/oauth/callback?code=c0de&state=s%31"] {
            let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).await.unwrap();
            assert!(
                reply.starts_with(if target.contains("code") {
                    "HTTP/1.1 200"
                } else {
                    "HTTP/1.1 404"
                }),
                "{reply}"
            );
        }
        let cb = waiter.await.unwrap().unwrap();
        assert_eq!((cb.code.expose(), cb.state.as_str()), ("c0de", "s1"));
    }
}
