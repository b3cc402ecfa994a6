//! Export lines for each shell and file format, and the `credential_process` answer: the quoting
//! rules, and the masked preview shown on screen.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::session::Session;

impl Session {
    /// The variables a shell needs to use this session, in export order.
    #[must_use]
    pub fn export_vars(&self) -> Vec<(&'static str, ExportValue<'_>)> {
        let mut vars = vec![
            (
                "AWS_ACCESS_KEY_ID",
                ExportValue::Plain(self.credentials.access_key_id.clone()),
            ),
            (
                "AWS_SECRET_ACCESS_KEY",
                ExportValue::Secret(self.credentials.secret_access_key.expose()),
            ),
        ];
        if let Some(token) = &self.credentials.session_token {
            vars.push(("AWS_SESSION_TOKEN", ExportValue::Secret(token.expose())));
        }
        if let Some(region) = &self.region {
            // The SDKs and AWS CLI v2 read AWS_REGION; AWS CLI v1 and boto3 only AWS_DEFAULT_REGION.
            vars.push(("AWS_REGION", ExportValue::Plain(region.clone())));
            vars.push(("AWS_DEFAULT_REGION", ExportValue::Plain(region.clone())));
        }
        vars.push((
            "AWS_CREDENTIAL_EXPIRATION",
            ExportValue::Plain(self.expiration_rfc3339()),
        ));
        vars
    }

    /// The AWS `credential_process` answer (Version 1 JSON) for this session.
    #[must_use]
    pub fn credential_process_json(&self) -> Secret {
        let mut text = self.credentials_json(Some(1), "SessionToken");
        text.push('\n');
        Secret::new(text)
    }

    /// The container-credentials answer (what `AWS_CONTAINER_CREDENTIALS_FULL_URI` serves): the
    /// same fields, but `Token` for the session token and no version.
    #[must_use]
    pub fn container_credentials_json(&self) -> Secret {
        Secret::new(self.credentials_json(None, "Token"))
    }

    /// The keys, the token under `token_field`, the expiry, and `Version` when given.
    fn credentials_json(&self, version: Option<u8>, token_field: &str) -> String {
        let mut map = serde_json::Map::new();
        if let Some(v) = version {
            map.insert("Version".into(), v.into());
        }
        map.insert(
            "AccessKeyId".into(),
            self.credentials.access_key_id.clone().into(),
        );
        map.insert(
            "SecretAccessKey".into(),
            self.credentials.secret_access_key.expose().into(),
        );
        if let Some(token) = &self.credentials.session_token {
            map.insert(token_field.into(), token.expose().into());
        }
        map.insert("Expiration".into(), self.expiration_rfc3339().into());
        serde_json::Value::Object(map).to_string()
    }

    /// The export lines in `format`, ready for the clipboard.
    pub fn export(&self, format: ExportFormat) -> Result<Secret, ExportError> {
        let vars: Vec<(&str, String)> = self
            .export_vars()
            .into_iter()
            .map(|(k, v)| (k, v.reveal().to_owned()))
            .collect();
        format.render(&vars).map(Secret::new)
    }

    /// The export lines with the secret key and token masked, for an on-screen preview.
    #[must_use]
    pub fn export_preview(&self, format: ExportFormat) -> String {
        let vars: Vec<(&str, String)> = self
            .export_vars()
            .into_iter()
            .map(|(k, v)| (k, v.masked()))
            .collect();
        format
            .render(&vars)
            .unwrap_or_else(|e| format!("(cannot be written in this format: {e})"))
    }
}

/// A value to export: plain, or secret (masked in previews).
#[derive(Debug)]
pub enum ExportValue<'a> {
    /// Shown as is.
    Plain(String),
    /// Masked in previews.
    Secret(&'a str),
}

impl ExportValue<'_> {
    /// The value itself (for the clipboard, a file or a child's environment).
    #[must_use]
    pub fn reveal(&self) -> &str {
        match self {
            Self::Plain(s) => s,
            Self::Secret(s) => s,
        }
    }

    fn masked(&self) -> String {
        match self {
            Self::Plain(s) => s.clone(),
            Self::Secret(s) => {
                let head: String = s.chars().take(4).collect();
                format!(
                    "{head}…({} chars hidden)",
                    s.chars().count().saturating_sub(4)
                )
            }
        }
    }
}

/// The shells and files keyfob writes export lines for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ExportFormat {
    /// `export NAME='value'` for bash, zsh and other POSIX shells.
    #[default]
    Bash,
    /// `set -gx NAME 'value'`.
    Fish,
    /// `$Env:NAME = "value"`.
    PowerShell,
    /// `set "NAME=value"` for cmd.exe.
    Cmd,
    /// `NAME='value'` for `.env` files.
    DotEnv,
}

/// A value that a format cannot express safely.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name} holds a character ({found}) that {format} cannot quote safely")]
pub struct ExportError {
    /// The variable.
    pub name: String,
    /// The offending character, described.
    pub found: String,
    /// The format's name.
    pub format: &'static str,
}

impl ExportFormat {
    /// Every format, in menu order.
    pub const ALL: [Self; 5] = [
        Self::Bash,
        Self::Fish,
        Self::PowerShell,
        Self::Cmd,
        Self::DotEnv,
    ];

    /// The menu label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Bash => "bash / zsh",
            Self::Fish => "fish",
            Self::PowerShell => "PowerShell",
            Self::Cmd => "cmd.exe",
            Self::DotEnv => ".env",
        }
    }

    /// Renders `NAME=value` pairs as lines of this format, one per variable, each ending in `\n`.
    pub fn render(self, vars: &[(&str, String)]) -> Result<String, ExportError> {
        let mut out = String::new();
        for (name, value) in vars {
            let line = match self {
                Self::Bash => format!("export {name}={}", posix_quote(value)),
                Self::Fish => format!("set -gx {name} {}", fish_quote(value)),
                Self::PowerShell => format!("$Env:{name} = {}", powershell_quote(value)),
                Self::Cmd => format!("set \"{name}={}\"", self.checked(name, value, "\"%\r\n")?),
                Self::DotEnv => format!("{name}='{}'", self.checked(name, value, "'\r\n")?),
            };
            out.push_str(&line);
            out.push('\n');
        }
        Ok(out)
    }

    /// The value itself, or an error if it holds one of `forbidden`.
    fn checked<'v>(
        self,
        name: &str,
        value: &'v str,
        forbidden: &str,
    ) -> Result<&'v str, ExportError> {
        match value.chars().find(|c| forbidden.contains(*c)) {
            None => Ok(value),
            Some(c) => Err(ExportError {
                name: name.to_owned(),
                found: format!("{c:?}"),
                format: self.label(),
            }),
        }
    }
}

/// POSIX single quotes: nothing inside expands; a `'` becomes `'\''`.
fn posix_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// fish single quotes: only `\\` and `\'` are escapes inside them.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// PowerShell double quotes: the backtick escapes `` ` ``, `$` and every double-quote character
/// (PowerShell also treats the typographic quotes “ ” „ as `"`).
fn powershell_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '`' | '$' | '"' | '\u{201C}' | '\u{201D}' | '\u{201E}') {
            out.push('`');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::sample_session;

    const TRICKY: &str = r#"a'b"c$d%e f\g`h"#;

    fn line(format: ExportFormat, value: &str) -> Result<String, ExportError> {
        format.render(&[("V", value.to_owned())])
    }

    #[test]
    fn bash_quotes_every_special_character() {
        assert_eq!(
            line(ExportFormat::Bash, TRICKY).as_deref(),
            Ok("export V='a'\\''b\"c$d%e f\\g`h'\n")
        );
    }

    #[test]
    fn fish_escapes_backslash_and_quote_only() {
        assert_eq!(
            line(ExportFormat::Fish, TRICKY).as_deref(),
            Ok("set -gx V 'a\\'b\"c$d%e f\\\\g`h'\n")
        );
    }

    #[test]
    fn powershell_escapes_dollar_quote_and_backtick() {
        assert_eq!(
            line(ExportFormat::PowerShell, TRICKY).as_deref(),
            Ok("$Env:V = \"a'b`\"c`$d%e f\\g``h\"\n")
        );
        assert_eq!(
            line(ExportFormat::PowerShell, "x\u{201C}y").as_deref(),
            Ok("$Env:V = \"x`\u{201C}y\"\n")
        );
    }

    #[test]
    fn cmd_keeps_spaces_and_refuses_what_it_cannot_quote() {
        assert_eq!(
            line(ExportFormat::Cmd, "a b$c'd&e").as_deref(),
            Ok("set \"V=a b$c'd&e\"\n")
        );
        for bad in ["50%", "say \"hi\"", "two\nlines"] {
            let err = line(ExportFormat::Cmd, bad).expect_err(bad);
            assert_eq!(err.format, "cmd.exe");
        }
    }

    #[test]
    fn dotenv_single_quotes_and_refuses_a_quote() {
        assert_eq!(
            line(ExportFormat::DotEnv, "a b\"c$d%e").as_deref(),
            Ok("V='a b\"c$d%e'\n")
        );
        assert!(line(ExportFormat::DotEnv, "it's").is_err());
    }

    #[test]
    fn export_has_every_variable_in_order() {
        let s = sample_session("wJalr/K7+secret", "FwoGZXIvYXdzEP//token=");
        let text = s.export(ExportFormat::Bash).expect("bash");
        let names: Vec<&str> = text
            .expose()
            .lines()
            .map(|l| {
                l.trim_start_matches("export ")
                    .split('=')
                    .next()
                    .unwrap_or("")
            })
            .collect();
        assert_eq!(
            names,
            [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_REGION",
                "AWS_DEFAULT_REGION",
                "AWS_CREDENTIAL_EXPIRATION"
            ]
        );
        assert!(
            text.expose()
                .contains("export AWS_SESSION_TOKEN='FwoGZXIvYXdzEP//token='")
        );
        assert!(
            text.expose()
                .contains("export AWS_CREDENTIAL_EXPIRATION='2026-11-18T"),
            "{}",
            text.expose()
        );
    }

    #[test]
    fn preview_masks_secrets() {
        let s = sample_session("wJalrSECRETSECRET", "FwoGTOKENTOKENTOKEN");
        for f in ExportFormat::ALL {
            let p = s.export_preview(f);
            assert!(
                !p.contains("SECRETSECRET") && !p.contains("TOKENTOKEN"),
                "{p}"
            );
            assert!(p.contains("ASIAEXAMPLE"), "{p}");
        }
    }
}
