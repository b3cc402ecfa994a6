//! What other programs send keyfob: lines on the per-user channel, ykman's output, requests to the
//! credential endpoint of `keyfob exec --server`, and AWS error bodies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use super::{broken, fields, lossy, session};
use crate::cli::cred_server::{Lookup, answer};
use crate::oath::OathError;

/// The IPC line codec (`ipc::read_line`, `from_line`, `to_line`). The input is what a peer sends.
/// `read_line` takes exactly the first line when it is short enough and UTF-8, however the
/// reader's buffer cuts the bytes; and every request or reply read is written back as one line
/// that reads as the same message (and fits the channel's limit when the line read did).
#[cfg(unix)]
pub fn ipc_line(data: &[u8]) {
    use crate::ipc::{MAX_LINE, Reply, Request, read_line};
    use std::io::BufReader;
    let mut whole: &[u8] = data;
    let read = read_line(&mut whole).ok();
    let cut = read_line(&mut BufReader::with_capacity(3, data)).ok();
    assert_eq!(read, cut, "the reader's buffer size changed the line read");
    let expected = data
        .iter()
        .position(|&b| b == b'\n')
        .filter(|&end| end < MAX_LINE)
        .and_then(|end| std::str::from_utf8(data.get(..end)?).ok());
    assert_eq!(read.as_deref(), expected);
    if let Some(line) = &read {
        message_round_trips::<Request>(line);
        message_round_trips::<Reply>(line);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        message_round_trips::<Request>(text);
        message_round_trips::<Reply>(text);
    }
}

#[cfg(unix)]
fn message_round_trips<T>(line: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    use crate::ipc::{MAX_LINE, from_line, read_line, to_line};
    let Ok(message) = from_line::<T>(line) else {
        return;
    };
    let out = to_line(&message)
        .unwrap_or_else(|e| broken(&format!("{message:?} cannot be written: {e}")));
    let Some(body) = out.strip_suffix('\n').filter(|b| !b.contains('\n')) else {
        broken(&format!("{message:?} was written as {out:?}, not one line"))
    };
    match from_line::<T>(body) {
        Ok(back) => assert_eq!(back, message, "{line:?} was written as {out:?}"),
        Err(e) => broken(&format!(
            "{out:?} written for {message:?} does not read: {e}"
        )),
    }
    if line.len() < MAX_LINE {
        let again = read_line(&mut out.as_bytes()).ok();
        assert_eq!(again.as_deref(), Some(body), "the peer cannot read {out:?}");
    }
}

// ykman's output

/// ykman's output as keyfob reads it when no code came (`oath::failure`). The input is the
/// account, NUL, ykman's stderr, NUL, its stdout. The error names the account asked for, and a
/// message taken from ykman is one line of at most 200 characters.
pub fn ykman_output(data: &[u8]) {
    let values = fields(data);
    let field = |i: usize| values.get(i).map(|p| lossy(p)).unwrap_or_default();
    let (account, stderr, stdout) = (field(0), field(1), field(2));
    // `oath::code` hands over stdout trimmed.
    let error = crate::oath::failure(&account, &stderr, stdout.trim());
    assert!(!error.to_string().is_empty());
    match &error {
        OathError::SeveralMatch(a) | OathError::NoAccount(a) => assert_eq!(a, &account),
        OathError::Failed(said) => {
            assert!(said.chars().count() <= 200, "{said:?}");
            assert!(
                !said.contains('\n'),
                "the message is not one line: {said:?}"
            );
        }
        OathError::NoYkman | OathError::NoKey | OathError::TouchTimedOut => {}
    }
}

/// The token the fuzzed endpoint wants.
const SERVER_TOKEN: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/// The secret key of the session it serves.
const SERVER_SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYFUZZSECRET01";

/// The request head the credential endpoint of `keyfob exec --server` answers
/// (`cli::cred_server::answer`): what any local process can send to its loopback port. The input
/// is the head (an odd length: the keyring has no session). The answer is always a JSON body
/// with one of the endpoint's statuses; a request that does not hold the token is refused before
/// the session is looked up; credentials come only with a 200, for a `GET` with the token.
pub fn cred_server_request(data: &[u8]) {
    // `read_head` passes on only UTF-8.
    let Ok(head) = std::str::from_utf8(data) else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let no_session = data.len() % 2 == 1;
    let lookup: Lookup = Arc::new(move || {
        counted.fetch_add(1, Ordering::Relaxed);
        if no_session {
            return Err("no session for fuzz".to_owned());
        }
        let expires = UNIX_EPOCH + Duration::from_secs(1_795_352_400);
        Ok(session(
            "ASIAFUZZEXAMPLE",
            SERVER_SECRET,
            Some("FuzzToken"),
            expires,
        ))
    });
    let (status, body) = answer(head, SERVER_TOKEN, &lookup);
    let body = body.expose();
    let json: serde_json::Map<String, serde_json::Value> = serde_json::from_str(body)
        .unwrap_or_else(|e| {
            broken(&format!(
                "status {status} with a body that is not JSON: {e}"
            ))
        });
    assert!(
        [200, 401, 403, 405, 503].contains(&status),
        "status {status}"
    );
    if !head.contains(SERVER_TOKEN) {
        assert!(
            matches!(status, 401 | 403),
            "status {status} without the token"
        );
        assert_eq!(
            calls.load(Ordering::Relaxed),
            0,
            "looked up without the token"
        );
    }
    if status == 200 {
        assert!(head.starts_with("GET"), "credentials for {head:?}");
        let secret = json
            .get("SecretAccessKey")
            .and_then(serde_json::Value::as_str);
        assert_eq!(secret, Some(SERVER_SECRET));
    } else {
        assert!(
            !body.contains(SERVER_SECRET),
            "status {status} with the secret"
        );
    }
}

/// How XML escapes text.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The error code and message keyfob finds in an AWS error body (`aws::errors::parse_body`): from
/// any server an endpoint URL names, S3-compatible ones included. The input is a body; it is also
/// read as a code, NUL, a message. Any body reads without panicking, the code never keeps a
/// `#`-qualified prefix; and a code and message written into an XML error, or (without characters
/// JSON escapes) into a JSON one, read back as they were.
pub fn aws_error_body(data: &[u8]) {
    let (code, _) = crate::aws::errors::parse_body(data);
    if let Some(code) = code {
        assert!(!code.contains('#'), "code {code:?}");
    }
    let values = fields(data);
    let field = |i: usize| values.get(i).map(|p| lossy(p)).unwrap_or_default();
    let (code, message) = (field(0), field(1));
    let usable = |t: &str| !t.is_empty() && t.trim() == t;
    if !usable(&code) || !usable(&message) || code.contains('#') {
        return;
    }
    let xml = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>1</RequestId></ErrorResponse>",
        xml_escape(&code),
        xml_escape(&message)
    );
    let expected = (Some(code.clone()), Some(message.clone()));
    assert_eq!(
        crate::aws::errors::parse_body(xml.as_bytes()),
        expected,
        "{xml}"
    );
    let plain =
        |t: &str| !t.contains(|c: char| c == '"' || c == '\\' || c.is_control() || c == '<');
    if plain(&code) && plain(&message) {
        let json =
            serde_json::json!({ "__type": format!("com.amazon.coral#{code}"), "message": message });
        let json = json.to_string();
        assert_eq!(
            crate::aws::errors::parse_body(json.as_bytes()),
            expected,
            "{json}"
        );
    }
}
