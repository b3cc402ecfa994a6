//! What keyfob writes for other programs to read: the export lines and the `credential_process`
//! and container-credentials answers.

use std::time::{Duration, UNIX_EPOCH};

use super::{broken, fields, lossy, number, session};
use crate::export::ExportFormat;

/// The variables the export lines set, in keyfob's order.
const EXPORT_NAMES: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// The export lines ([`ExportFormat::render`]) in every format. The input is up to six values,
/// NUL-separated. bash, fish and PowerShell quote every value; cmd.exe and `.env` refuse exactly
/// the values holding a character they cannot quote, naming the first such variable. Read back
/// by the format's own quoting rules, the lines set exactly the variables given, one assignment
/// each: nothing is left unquoted, and no newline ends a value early.
pub fn export_quoting(data: &[u8]) {
    let vars: Vec<(&str, String)> = EXPORT_NAMES
        .iter()
        .zip(fields(data))
        .map(|(name, value)| (*name, lossy(value)))
        .collect();
    for format in ExportFormat::ALL {
        let forbidden = match format {
            ExportFormat::Cmd => "\"%\r\n",
            ExportFormat::DotEnv => "'\r\n",
            ExportFormat::Bash | ExportFormat::Fish | ExportFormat::PowerShell => "",
        };
        let refused = vars
            .iter()
            .find(|(_, v)| v.chars().any(|c| forbidden.contains(c)));
        match (format.render(&vars), refused) {
            (Ok(out), None) => {
                let back = read_back(format, &out);
                let given: Vec<(String, String)> = vars
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), v.clone()))
                    .collect();
                assert_eq!(back, Some(given), "{format} wrote {out:?}");
            }
            (Err(e), Some((name, _))) => {
                assert_eq!((e.name.as_str(), e.format), (*name, format.label()));
            }
            (rendered, _) => broken(&format!("{format} rendered {vars:?} as {rendered:?}")),
        }
    }
}

/// The assignments `out` makes, read by `format`'s quoting rules; `None` when a line is anything
/// else than one assignment of a fully quoted value.
fn read_back(format: ExportFormat, out: &str) -> Option<Vec<(String, String)>> {
    let mut vars = Vec::new();
    let mut rest = out;
    while !rest.is_empty() {
        let (name, after_name) = match format {
            ExportFormat::Bash => rest.strip_prefix("export ")?.split_once('=')?,
            ExportFormat::Fish => rest.strip_prefix("set -gx ")?.split_once(' ')?,
            ExportFormat::PowerShell => rest.strip_prefix("$Env:")?.split_once(" = ")?,
            ExportFormat::Cmd => rest.strip_prefix("set \"")?.split_once('=')?,
            ExportFormat::DotEnv => rest.split_once('=')?,
        };
        let (value, after) = match format {
            ExportFormat::Bash => posix_word(after_name)?,
            ExportFormat::Fish => fish_word(after_name)?,
            ExportFormat::PowerShell => powershell_word(after_name)?,
            ExportFormat::Cmd => delimited(after_name, None, '"', "%")?,
            ExportFormat::DotEnv => delimited(after_name, Some('\''), '\'', "")?,
        };
        vars.push((name.to_owned(), value));
        rest = after.strip_prefix('\n')?;
    }
    Some(vars)
}

/// A POSIX shell word made of `'…'` runs and `\'`, up to the newline that ends it.
fn posix_word(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    (_, '\'') => break,
                    (_, inner) => value.push(inner),
                }
            },
            '\\' => match chars.next()? {
                (_, '\'') => value.push('\''),
                _ => return None, // keyfob escapes nothing else outside quotes
            },
            '\n' => return Some((value, text.get(i..)?)),
            _ => return None, // unquoted: the shell would expand or split it
        }
    }
    None
}

/// A fish single-quoted word: inside, `\\` and `\'` are escapes and any other backslash is kept.
fn fish_word(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('\'')?.char_indices().peekable();
    let mut value = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            '\'' => {
                let end = chars.peek().map_or(text.len(), |(i, _)| i + 1);
                return Some((value, text.get(end..)?));
            }
            '\\' => match chars.peek() {
                Some(&(_, next @ ('\\' | '\''))) => {
                    value.push(next);
                    chars.next();
                }
                _ => value.push('\\'),
            },
            _ => value.push(c),
        }
    }
    None
}

/// The characters PowerShell takes for a double quote.
const POWERSHELL_QUOTES: [char; 4] = ['"', '\u{201C}', '\u{201D}', '\u{201E}'];

/// A PowerShell double-quoted string. A backtick before a letter of an escape sequence (`` `n ``,
/// `` `u{…} ``) or an unescaped `$` would change the value, and a quote right after the closing
/// one would continue it: all refused.
fn powershell_word(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut chars = body.char_indices();
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '`' => match chars.next()? {
                (_, '0' | 'a' | 'b' | 'e' | 'f' | 'n' | 'r' | 't' | 'u' | 'v') => return None,
                (_, escaped) => value.push(escaped),
            },
            '$' => return None,
            q if POWERSHELL_QUOTES.contains(&q) => {
                let after = body.get(i + q.len_utf8()..)?;
                return (!after.starts_with(POWERSHELL_QUOTES)).then_some((value, after));
            }
            _ => value.push(c),
        }
    }
    None
}

/// A value after `open` (if any) up to `close`, with no escapes; `None` if it holds one of
/// `refused`.
fn delimited<'t>(
    text: &'t str,
    open: Option<char>,
    close: char,
    refused: &str,
) -> Option<(String, &'t str)> {
    let inner = match open {
        Some(open) => text.strip_prefix(open)?,
        None => text,
    };
    let (value, after) = inner.split_once(close)?;
    (!value.contains(|c| refused.contains(c))).then(|| (value.to_owned(), after))
}

// ---------------------------------------------------------------------------------------------
// The credential_process answer

/// The `credential_process` and container-credentials JSON keyfob writes
/// (`Session::credential_process_json`, `container_credentials_json`), read back with serde_json.
/// The input is the access key id, NUL, the secret key, NUL, the session token (none when the
/// field is missing), NUL, the expiry in seconds since 1970 and NUL, its nanoseconds. Each answer
/// is one line of JSON holding exactly the fields the SDKs read, each value as given, and an
/// `Expiration` that reads as the session's end (to the second).
pub fn credential_process_json(data: &[u8]) {
    let values = fields(data);
    let field = |i: usize| values.get(i).map(|p| lossy(p));
    let (key_id, secret, token) = (
        field(0).unwrap_or_default(),
        field(1).unwrap_or_default(),
        field(2),
    );
    // Up to the last second of year 9999, the range RFC 3339 writes.
    let secs = values
        .get(3)
        .and_then(|p| number::<u64>(p))
        .unwrap_or(1_795_352_400)
        % 253_402_300_800;
    let nanos = values.get(4).and_then(|p| number::<u32>(p)).unwrap_or(0) % 1_000_000_000;
    let expires = UNIX_EPOCH + Duration::new(secs, nanos);
    let s = session(&key_id, &secret, token.as_deref(), expires);
    let process = s.credential_process_json();
    let Some(line) = process.expose().strip_suffix('\n') else {
        broken("the credential_process answer does not end its line")
    };
    let mut expected = serde_json::Map::new();
    expected.insert("Version".into(), 1.into());
    expected.insert("AccessKeyId".into(), key_id.clone().into());
    expected.insert("SecretAccessKey".into(), secret.clone().into());
    let mut container = expected.clone();
    container.remove("Version");
    if let Some(t) = &token {
        expected.insert("SessionToken".into(), t.clone().into());
        container.insert("Token".into(), t.clone().into());
    }
    answer_holds(line, expected, secs);
    answer_holds(s.container_credentials_json().expose(), container, secs);
}

/// `answer` is one line of JSON with the fields `expected` and an `Expiration` at `secs`.
fn answer_holds(answer: &str, mut expected: serde_json::Map<String, serde_json::Value>, secs: u64) {
    assert!(!answer.contains('\n'), "not one line: {answer:?}");
    let mut read: serde_json::Map<String, serde_json::Value> = serde_json::from_str(answer)
        .unwrap_or_else(|e| broken(&format!("{answer:?} is not a JSON object: {e}")));
    let expiration = read.remove("Expiration");
    let at = expiration
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .and_then(|t| {
            aws_smithy_types::DateTime::from_str(t, aws_smithy_types::date_time::Format::DateTime)
                .ok()
        })
        .map(|t| t.secs());
    assert_eq!(at, i64::try_from(secs).ok(), "Expiration {expiration:?}");
    expected.remove("Expiration");
    assert_eq!(read, expected);
}
