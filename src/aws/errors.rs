//! Turns an SDK error into one readable sentence plus a technical detail, including error bodies
//! the SDK could not parse (moto's STS auth errors put the code only in the raw body).

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// What went wrong, for choosing the sentence and for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The MFA code was wrong or already used.
    MfaRejected,
    /// The caller may not do this (role trust policy, IAM policy).
    AccessDenied,
    /// The source access key id is unknown or inactive.
    InvalidKey,
    /// The source secret key is wrong.
    BadSignature,
    /// The session token is invalid or forged.
    InvalidToken,
    /// The credentials have expired.
    Expired,
    /// No credentials could be found to sign the call.
    NoCredentials,
    /// The endpoint could not be reached (refused, DNS, TLS).
    Unreachable,
    /// The server did not answer in time.
    Timeout,
    /// AWS throttled the calls, even after retries.
    Throttled,
    /// The server failed (5xx), even after retries.
    ServerError,
    /// The request was refused as invalid (bad parameter the local checks missed).
    Invalid,
    /// The bucket or object does not exist.
    NotFound,
    /// The object (or local file) changed meanwhile: what was done no longer fits it.
    Changed,
    Other,
}

/// An AWS failure as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    pub kind: ErrorKind,
    /// One sentence for the user.
    pub message: String,
    /// The technical detail (error code, HTTP status, the SDK's error chain), behind a toggle.
    pub detail: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for AwsError {}

impl AwsError {
    /// An error keyfob itself raises.
    #[must_use]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            detail: String::new(),
        }
    }

    /// Maps an SDK error from `action` (e.g. "Signing in") to a readable error.
    pub fn from_sdk<E>(action: &str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let chain = DisplayErrorContext(err).to_string();
        match err {
            SdkError::ConstructionFailure(_) => {
                if chain.contains("credentials") || chain.contains("Credentials") {
                    Self {
                        kind: ErrorKind::NoCredentials,
                        message: "No source credentials were found: choose a profile with keys, or set up the default credential chain".to_owned(),
                        detail: chain,
                    }
                } else {
                    Self {
                        kind: ErrorKind::Other,
                        message: format!("{action} failed before anything was sent"),
                        detail: chain,
                    }
                }
            }
            SdkError::TimeoutError(_) => Self {
                kind: ErrorKind::Timeout,
                message: "The server did not answer in time; check your network and try again"
                    .to_owned(),
                detail: chain,
            },
            SdkError::DispatchFailure(d) if d.is_timeout() => Self {
                kind: ErrorKind::Timeout,
                message: "The connection timed out; check your network and try again".to_owned(),
                detail: chain,
            },
            SdkError::DispatchFailure(_) => Self {
                kind: ErrorKind::Unreachable,
                message: "Could not reach AWS; check your network (or AWS_ENDPOINT_URL)".to_owned(),
                detail: chain,
            },
            SdkError::ResponseError(r)
                if r.raw().status().is_success() && connection_lost(&chain) =>
            {
                Self {
                    kind: ErrorKind::Unreachable,
                    message: format!(
                        "{action} broke off: the connection was lost; check your network and try again"
                    ),
                    detail: chain,
                }
            }
            SdkError::ResponseError(r) => {
                // The answer could not be read: keep the SDK's reason in the detail.
                let mut e = Self::from_response(action, r.raw(), None, None);
                e.detail = format!("{}\n{chain}", e.detail);
                e
            }
            SdkError::ServiceError(s) => {
                Self::from_response(action, s.raw(), s.err().code(), s.err().message())
            }
            _ => Self {
                kind: ErrorKind::Other,
                message: format!("{action} failed"),
                detail: chain,
            },
        }
    }

    /// Maps an error response, taking the code and message the SDK parsed or else reading them
    /// from the raw body (moto's `<Errors>` envelope, HTML error pages).
    fn from_response(
        action: &str,
        raw: &HttpResponse,
        code: Option<&str>,
        message: Option<&str>,
    ) -> Self {
        let (body_code, body_message) = parse_body(raw.body().bytes().unwrap_or_default());
        let code = code.map(str::to_owned).or(body_code);
        let message = message.map(str::to_owned).or(body_message);
        let status = raw.status().as_u16();
        let mut extra = request_id(raw);
        if code.is_none() {
            // Nothing readable: show the start of what came back.
            let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default());
            let head: String = body.chars().take(300).collect();
            if !head.trim().is_empty() {
                extra = format!("{extra}\nbody: {head}");
            }
        }
        Self::from_code(action, code.as_deref(), message.as_deref(), status, &extra)
    }

    /// Maps an AWS error code (and message, HTTP status) to a sentence. `extra` ends the detail
    /// (the request id).
    fn from_code(
        action: &str,
        code: Option<&str>,
        message: Option<&str>,
        status: u16,
        extra: &str,
    ) -> Self {
        let msg = message.unwrap_or("");
        let detail = format!(
            "{} (HTTP {status}){}{}{}{extra}",
            code.unwrap_or("no error code"),
            if msg.is_empty() { "" } else { ": " },
            msg,
            if extra.is_empty() { "" } else { "\n" },
        );
        let code = code.unwrap_or("");
        let (kind, sentence) = credential_code(code, msg)
            .or_else(|| request_code(code, msg))
            .unwrap_or_else(|| unknown_code(action, code, msg, status));
        Self {
            kind,
            message: sentence,
            detail,
        }
    }
}

/// The sentence for a code that says the caller or its credentials were refused.
fn credential_code(code: &str, msg: &str) -> Option<(ErrorKind, String)> {
    Some(match code {
        "AccessDenied" | "AccessDeniedException" if msg.contains("MultiFactorAuthentication") => (
            ErrorKind::MfaRejected,
            "That code was rejected — wait for the next one".to_owned(),
        ),
        "AccessDenied" | "AccessDeniedException" => (
            ErrorKind::AccessDenied,
            format!(
                "Access denied: {}",
                if msg.is_empty() {
                    "you are not allowed to do this"
                } else {
                    msg
                }
            ),
        ),
        "InvalidClientTokenId" | "InvalidAccessKeyId" | "UnrecognizedClientException" => (
            ErrorKind::InvalidKey,
            "The source access key is not valid (unknown or deactivated)".to_owned(),
        ),
        "SignatureDoesNotMatch" | "IncompleteSignature" => (
            ErrorKind::BadSignature,
            "The source secret key is wrong: AWS could not verify the signature".to_owned(),
        ),
        "InvalidToken" => (
            ErrorKind::InvalidToken,
            "The session token is not valid".to_owned(),
        ),
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => (
            ErrorKind::Expired,
            "The credentials have expired: sign in again".to_owned(),
        ),
        _ => return None,
    })
}

/// The sentence for a code about the request itself: what it names is missing, it came too often,
/// or it was invalid.
fn request_code(code: &str, msg: &str) -> Option<(ErrorKind, String)> {
    Some(match code {
        "NoSuchBucket" => (
            ErrorKind::NotFound,
            "That bucket does not exist (it may have been deleted)".to_owned(),
        ),
        "NoSuchKey" | "NotFound" => (
            ErrorKind::NotFound,
            "That object does not exist (it may have been deleted)".to_owned(),
        ),
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "SlowDown" => (
            ErrorKind::Throttled,
            "AWS is throttling requests; wait a minute and try again".to_owned(),
        ),
        "ValidationError"
        | "InvalidParameterValue"
        | "MalformedPolicyDocument"
        | "RegionDisabledException" => (
            ErrorKind::Invalid,
            format!(
                "AWS refused the request: {}",
                if msg.is_empty() {
                    "invalid parameters"
                } else {
                    msg
                }
            ),
        ),
        _ => return None,
    })
}

/// Whether an answer that began well (2xx) was cut off by the connection rather than unreadable
/// as sent: the SDK's error chain names an I/O failure of the body.
fn connection_lost(chain: &str) -> bool {
    let chain = chain.to_lowercase();
    [
        "connection",
        "incomplete",
        "unexpected eof",
        "reset by peer",
        "broken pipe",
        "error reading a body",
    ]
    .iter()
    .any(|sign| chain.contains(sign))
}

/// The sentence for any other code, or none (`""`): a 5xx status says the service failed,
/// otherwise the code itself is shown.
fn unknown_code(action: &str, code: &str, msg: &str, status: u16) -> (ErrorKind, String) {
    match code {
        _ if status >= 500 => (
            ErrorKind::ServerError,
            format!("The AWS service failed (HTTP {status}); try again in a moment"),
        ),
        "" => (
            ErrorKind::Other,
            format!(
                "{action} failed: the server answered HTTP {status} with no error keyfob could read"
            ),
        ),
        other => (
            ErrorKind::Other,
            format!(
                "{action} failed: {other}{}{msg}",
                if msg.is_empty() { "" } else { ": " }
            ),
        ),
    }
}

/// `request id: …` from the response headers, for reports to AWS support.
fn request_id(raw: &HttpResponse) -> String {
    raw.headers()
        .get("x-amzn-requestid")
        .or_else(|| raw.headers().get("x-amz-request-id"))
        .map(|id| format!("request id: {id}"))
        .unwrap_or_default()
}

/// Finds `<Code>` and `<Message>` in an XML error body, or `__type`/`code` and `message` in JSON,
/// whatever the envelope (`<ErrorResponse><Error>` or moto's `<ErrorResponse><Errors><Error>`).
#[must_use]
pub fn parse_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(body);
    let code = xml_tag(&text, "Code")
        .or_else(|| json_field(&text, "__type"))
        .or_else(|| json_field(&text, "code"));
    let code = code.map(|c| c.rsplit('#').next().unwrap_or(&c).to_owned());
    let message = xml_tag(&text, "Message").or_else(|| json_field(&text, "message"));
    (code, message)
}

fn xml_tag(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text.get(start..)?.find(&close)? + start;
    let value = text.get(start..end)?.trim();
    (!value.is_empty()).then(|| unescape_xml(value))
}

fn json_field(text: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    let after = text.get(text.find(&key)? + key.len()..)?;
    let after = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let end = after.find('"')?;
    Some(after.get(..end)?.to_owned())
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_moto_and_aws_envelopes() {
        let moto = br#"<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>"#;
        assert_eq!(
            parse_body(moto),
            (
                Some("InvalidClientTokenId".to_owned()),
                Some("The security token included in the request is invalid.".to_owned())
            )
        );
        let aws = br#"<ErrorResponse xmlns="x"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>a &amp; b</Message></Error></ErrorResponse>"#;
        assert_eq!(
            parse_body(aws),
            (Some("AccessDenied".to_owned()), Some("a & b".to_owned()))
        );
        let json = br#"{"__type":"com.amazon#ThrottlingException","message":"Rate exceeded"}"#;
        assert_eq!(
            parse_body(json),
            (
                Some("ThrottlingException".to_owned()),
                Some("Rate exceeded".to_owned())
            )
        );
        assert_eq!(parse_body(b"<html>502 Bad Gateway</html>"), (None, None));
    }

    #[test]
    fn codes_become_sentences() {
        let e = AwsError::from_code(
            "Signing in",
            Some("AccessDenied"),
            Some("MultiFactorAuthentication failed with invalid MFA one time pass code."),
            403,
            "",
        );
        assert_eq!(e.kind, ErrorKind::MfaRejected);
        assert_eq!(e.message, "That code was rejected — wait for the next one");
        let e = AwsError::from_code("Signing in", None, None, 503, "");
        assert_eq!(e.kind, ErrorKind::ServerError);
        let e = AwsError::from_code("Signing in", Some("SignatureDoesNotMatch"), None, 403, "");
        assert_eq!(e.kind, ErrorKind::BadSignature);
        let e = AwsError::from_code("Signing in", None, None, 418, "");
        assert!(e.message.contains("HTTP 418"), "{}", e.message);
    }
}
