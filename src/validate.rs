//! The input rules of AWS STS (MFA serial, role ARN, code, session name, ExternalId, duration,
//! region), each returning the checked value or a message meant to sit next to the field.

/// Shortest session AWS grants, in seconds (GetSessionToken and AssumeRole alike).
pub const MIN_DURATION: u32 = 900;
/// Longest GetSessionToken session for an IAM user (36 h).
pub const MAX_SESSION_TOKEN_DURATION: u32 = 129_600;
/// Longest AssumeRole session any role can allow (12 h).
pub const MAX_ASSUME_ROLE_DURATION: u32 = 43_200;
/// AWS caps a role session assumed with session credentials (role chaining) at 1 h.
pub const MAX_CHAINED_DURATION: u32 = 3_600;

/// Checks an MFA device identifier: a virtual device ARN
/// (`arn:aws:iam::123456789012:mfa/NAME`, partitions and paths allowed) or a hardware serial.
pub fn mfa_serial(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Enter the MFA device ARN or serial number".to_owned());
    }
    if s.starts_with("arn:") {
        let resource = iam_arn_resource(s).ok_or_else(|| {
            "Not an MFA device ARN: expected arn:aws:iam::123456789012:mfa/NAME".to_owned()
        })?;
        let name = resource
            .strip_prefix("mfa/")
            .ok_or_else(|| "This ARN is not an MFA device: it should contain :mfa/".to_owned())?;
        if name.is_empty() || name.ends_with('/') || !name.split('/').all(is_iam_name) {
            return Err("The device name after mfa/ is not valid".to_owned());
        }
        if s.len() > 256 {
            return Err("An MFA serial is at most 256 characters".to_owned());
        }
        return Ok(s.to_owned());
    }
    if s.chars().any(char::is_whitespace) {
        return Err("An MFA serial has no spaces".to_owned());
    }
    if !(9..=256).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(
            "Not an MFA device: enter its ARN (arn:aws:iam::…:mfa/NAME) or a hardware serial such as GAHT12345678"
                .to_owned(),
        );
    }
    Ok(s.to_owned())
}

/// Checks a role ARN: `arn:aws:iam::123456789012:role/PATH/NAME`.
pub fn role_arn(input: &str) -> Result<String, String> {
    let s = input.trim();
    let resource = iam_arn_resource(s)
        .ok_or_else(|| "Not a role ARN: expected arn:aws:iam::123456789012:role/NAME".to_owned())?;
    let name = resource
        .strip_prefix("role/")
        .ok_or_else(|| "This ARN is not a role: it should contain :role/".to_owned())?;
    if name.is_empty()
        || name.ends_with('/')
        || name.len() > 512
        || !name.split('/').all(is_iam_name)
    {
        return Err("The role name after role/ is not valid".to_owned());
    }
    Ok(s.to_owned())
}

/// Checks a six-digit MFA code.
pub fn code(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Enter the 6-digit code".to_owned());
    }
    if !s.chars().all(|c| c.is_ascii_digit()) {
        return Err("The code has digits only".to_owned());
    }
    if s.len() != 6 {
        return Err(format!("The code has 6 digits ({} so far)", s.len()));
    }
    Ok(s.to_owned())
}

/// Keeps what a user typed or pasted into the code field as a code: digits only, at most six.
/// Spaces and dashes from a pasted "123 456" or "123-456" disappear.
#[must_use]
pub fn clean_code(input: &str) -> String {
    input.chars().filter(char::is_ascii_digit).take(6).collect()
}

/// Checks a role session name: 2–64 of `[\w+=,.@-]`.
pub fn session_name(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("A session name is needed to assume a role".to_owned());
    }
    word_chars(s, 64, "+=,.@-", "A session name")
}

/// Checks an ExternalId: 2–1224 of `[\w+=,.@:/-]`.
pub fn external_id(input: &str) -> Result<String, String> {
    word_chars(input.trim(), 1224, "+=,.@:/-", "An ExternalId")
}

/// 2 to `max` characters, each a letter, digit, `_` or one of `extra`.
fn word_chars(s: &str, max: usize, extra: &str, what: &str) -> Result<String, String> {
    if !(2..=max).contains(&s.chars().count()) {
        return Err(format!("{what} has 2 to {max} characters"));
    }
    if let Some(bad) = s.chars().find(|c| !is_word(*c) && !extra.contains(*c)) {
        let allowed: Vec<String> = extra.chars().chain(['_']).map(String::from).collect();
        return Err(format!(
            "'{bad}' is not allowed: use letters, digits and {}",
            allowed.join(" ")
        ));
    }
    Ok(s.to_owned())
}

/// Parses a duration: plain seconds (`3600`) or with a unit (`90m`, `12h`, `1h30m`).
pub fn parse_duration(input: &str) -> Result<u32, String> {
    let s = input.trim().to_ascii_lowercase();
    let bad = || "Enter seconds (3600) or hours and minutes (1h, 90m, 1h30m)".to_owned();
    if s.is_empty() {
        return Err(bad());
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s
            .parse::<u32>()
            .map_err(|_| "That duration is far too long".to_owned());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut seen_unit = false;
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            'h' | 'm' | 's' => {
                let n: u64 = digits.parse().map_err(|_| bad())?;
                digits.clear();
                let scale = match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                total = total.saturating_add(n.saturating_mul(scale));
                seen_unit = true;
            }
            _ => return Err(bad()),
        }
    }
    if !digits.is_empty() || !seen_unit {
        return Err(bad());
    }
    u32::try_from(total).map_err(|_| "That duration is far too long".to_owned())
}

/// Checks a duration against a flow's limits.
pub fn duration_in(seconds: u32, max: u32, flow: &str) -> Result<u32, String> {
    if seconds < MIN_DURATION {
        return Err(format!("{flow} lasts at least 15 minutes (900 s)"));
    }
    if seconds > max {
        return Err(format!(
            "{flow} lasts at most {} ({max} s)",
            human_duration(u64::from(max))
        ));
    }
    Ok(seconds)
}

/// Checks a region name such as `us-east-1`, `eu-central-2` or `us-gov-west-1`.
pub fn region(input: &str) -> Result<String, String> {
    let s = input.trim();
    let parts: Vec<&str> = s.split('-').collect();
    let ok = parts.len() >= 3
        && parts
            .first()
            .is_some_and(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
        && parts.get(1..parts.len() - 1).is_some_and(|mid| {
            mid.iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        });
    if ok {
        Ok(s.to_owned())
    } else {
        Err("Not a region: expected a name such as us-east-1 or eu-central-1".to_owned())
    }
}

/// `1h 05m`, `12h`, `15m`: a duration as a person reads it.
#[must_use]
pub fn human_duration(seconds: u64) -> String {
    let h = seconds / 3600;
    let m = (seconds % 3600) / 60;
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// The resource part of an IAM ARN (`arn:PARTITION:iam::ACCOUNT:RESOURCE`), if the rest is right.
fn iam_arn_resource(s: &str) -> Option<&str> {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let partition_ok = partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|p| {
            !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        });
    let ok = arn == "arn"
        && partition_ok
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit());
    ok.then_some(resource)
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_iam_name(part: &str) -> bool {
    !part.is_empty() && part.chars().all(|c| is_word(c) || "+=,.@-".contains(c))
}

/// A name for keys in the keyring or a credentials-file profile: 1 to 64 of letters, digits and
/// `- _ . @ +`.
pub fn key_name(input: &str) -> Result<String, String> {
    let v = input.trim();
    if v.is_empty() {
        return Err("Give it a name".to_owned());
    }
    if v.chars().count() > 64 {
        return Err("At most 64 characters".to_owned());
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c))
    {
        return Err("Use letters, digits and - _ . @ + only".to_owned());
    }
    Ok(v.to_owned())
}

/// An access key id: `AKIA` (long-term) or `ASIA` (temporary) and 16 more capital letters or
/// digits.
pub fn access_key_id(input: &str) -> Result<String, String> {
    let v = input.trim();
    let shape = v.len() == 20
        && (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if shape {
        Ok(v.to_owned())
    } else {
        Err("An access key id is AKIA or ASIA and 16 more capital letters or digits".to_owned())
    }
}

/// A secret access key: 40 characters of letters, digits, `/`, `+` and `=`.
pub fn secret_access_key(input: &str) -> Result<String, String> {
    let v = input.trim();
    let shape = v.chars().count() == 40
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/+=".contains(c));
    if shape {
        Ok(v.to_owned())
    } else {
        Err(format!(
            "A secret access key is 40 letters, digits, / + or = (this has {})",
            v.chars().count()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_values_pass() {
        for ok in [
            "arn:aws:iam::123456789012:mfa/alice",
            "arn:aws:iam::123456789012:mfa/path/to/alice.phone",
            "arn:aws-us-gov:iam::123456789012:mfa/bob",
            "GAHT12345678",
        ] {
            assert_eq!(mfa_serial(ok).as_deref(), Ok(ok), "{ok}");
        }
        assert!(role_arn("arn:aws:iam::123456789012:role/admin").is_ok());
        assert!(role_arn("arn:aws-cn:iam::123456789012:role/ops/deploy-bot").is_ok());
        assert_eq!(code(" 123456 ").as_deref(), Ok("123456"));
        assert!(session_name("alice@example.com").is_ok());
        assert!(external_id("tenant:42/prod").is_ok());
        assert!(region("us-gov-west-1").is_ok());
        assert!(region("ap-southeast-2").is_ok());
    }

    #[test]
    fn bad_values_say_why() {
        let cases: Vec<(Result<String, String>, &str)> = vec![
            (mfa_serial(""), "Enter the MFA"),
            (
                mfa_serial("arn:aws:iam::12345:mfa/a"),
                "expected arn:aws:iam",
            ),
            (mfa_serial("arn:aws:iam::123456789012:user/a"), ":mfa/"),
            (mfa_serial("arn:aws:iam::123456789012:mfa/"), "device name"),
            (
                mfa_serial("arn:aws:iam::123456789012:mfa/a b"),
                "device name",
            ),
            (mfa_serial("arn:aws:s3::123456789012:mfa/a"), "expected arn"),
            (
                mfa_serial("arn:aws:iam:us-east-1:123456789012:mfa/a"),
                "expected arn",
            ),
            (mfa_serial("GAHT 1234 5678"), "no spaces"),
            (mfa_serial("short"), "hardware serial"),
            (role_arn("admin"), "Not a role ARN"),
            (role_arn("arn:aws:iam::123456789012:user/admin"), ":role/"),
            (role_arn("arn:aws:iam::123456789012:role/"), "role name"),
            (role_arn("arn:aws:iam::123456789012:role/a/"), "role name"),
            (
                role_arn("arn:aws:iam::abcdefghijkl:role/a"),
                "Not a role ARN",
            ),
            (code(""), "6-digit"),
            (code("12345"), "5 so far"),
            (code("1234567"), "7 so far"),
            (code("12a456"), "digits only"),
            (session_name(""), "needed"),
            (session_name("a"), "2 to 64"),
            (session_name(&"x".repeat(65)), "2 to 64"),
            (session_name("has space"), "' ' is not allowed"),
            (session_name("semi;colon"), "';' is not allowed"),
            (external_id("x"), "2 to 1224"),
            (external_id(&"x".repeat(1225)), "2 to 1224"),
            (external_id("bad#id"), "'#' is not allowed"),
            (region("useast1"), "Not a region"),
            (region("US-EAST-1"), "Not a region"),
            (region("us-east-"), "Not a region"),
            (region("us--1"), "Not a region"),
        ];
        for (i, (result, needle)) in cases.iter().enumerate() {
            let msg = result.as_ref().expect_err(&format!("case {i} should fail"));
            assert!(msg.contains(needle), "case {i}: {msg:?} lacks {needle:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3600"), Ok(3600));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("90m"), Ok(5400));
        assert_eq!(parse_duration("12H"), Ok(43200));
        for bad in ["", "h", "1.5h", "1h30", "-5", "abc", "99999999999"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(duration_in(899, 3600, "x").is_err());
        assert!(duration_in(3601, 3600, "x").is_err());
        assert_eq!(duration_in(900, 3600, "x"), Ok(900));
    }

    #[test]
    fn clean_code_keeps_six_digits() {
        assert_eq!(clean_code("123 456"), "123456");
        assert_eq!(clean_code(" 12-34 56 78"), "123456");
        assert_eq!(clean_code("abc"), "");
    }
}
