//! A location typed or pasted by the user — `s3://bucket/folder/`, `bucket/folder`, or an
//! `https://` URL of S3 in either addressing style — checked before any request is sent, so a
//! user who may read a bucket but not list the account's buckets can still go straight to it.
//! Every refusal is one sentence, shown next to the box.

/// The longest key (and so key prefix) S3 accepts, in bytes.
pub const KEY_MAX: usize = 1024;

/// A bucket and a folder in it: where the browser is, a bookmark or recent place (kept in the
/// preferences: names only), a location typed and checked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct S3Location {
    /// A valid bucket name.
    pub bucket: String,
    /// "" for the bucket's top, else ending in `/`.
    pub prefix: String,
}

impl S3Location {
    /// As the AWS CLI writes it: `s3://bucket/folder/`.
    #[must_use]
    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Why `name` is not a bucket name S3 accepts today (general purpose buckets' rules), or `None`.
#[must_use]
pub fn bucket_name_problem(name: &str) -> Option<String> {
    let why = |s: &str| Some(format!("'{name}' is not a bucket name: {s}"));
    if name.len() < 3 || name.len() > 63 {
        return why("bucket names are 3 to 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return why("use only lowercase letters, digits, '.' and '-'");
    }
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    if !edge(name.bytes().next()) || !edge(name.bytes().last()) {
        return why("it must begin and end with a letter or a digit");
    }
    if name.contains("..") {
        return why("two periods cannot be next to each other");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return why("it cannot look like an IP address");
    }
    for reserved in ["xn--", "sthree-"] {
        if name.starts_with(reserved) {
            return why(&format!("names cannot begin with '{reserved}'"));
        }
    }
    for reserved in ["-s3alias", "--ol-s3"] {
        if name.ends_with(reserved) {
            return why(&format!("names cannot end with '{reserved}'"));
        }
    }
    None
}

/// Why `prefix` cannot be opened, or `None`.
fn prefix_problem(prefix: &str) -> Option<String> {
    if prefix.contains('\0') {
        return Some("A location cannot contain a NUL character".to_owned());
    }
    if prefix.split('/').any(|part| part == "..") {
        return Some("A location cannot contain a '..' folder".to_owned());
    }
    if prefix.len() > KEY_MAX {
        return Some(format!(
            "A folder path is at most {KEY_MAX} bytes long; this one is {}",
            prefix.len()
        ));
    }
    None
}

/// Reads a location as typed or pasted. `s3://bucket/path` and `bucket/path` name a folder (a
/// missing final `/` is added); an `https://` URL usually names an object, so it opens the
/// folder the object is in.
///
/// # Errors
/// The sentence to show next to the box.
pub fn parse(text: &str) -> Result<S3Location, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Type a location, such as s3://bucket/folder/".to_owned());
    }
    let lower = text.to_ascii_lowercase();
    let (bucket, path, object) = if lower.starts_with("s3://") {
        let rest = text.get(5..).unwrap_or_default();
        let (b, p) = rest.split_once('/').unwrap_or((rest, ""));
        (b.to_owned(), p.to_owned(), false)
    } else if lower.starts_with("https://") || lower.starts_with("http://") {
        let (b, p) = from_url(text)?;
        (b, p, true)
    } else if text.contains("://") {
        return Err("Only s3://, https:// and bucket/folder locations can be opened".to_owned());
    } else {
        let (b, p) = text.split_once('/').unwrap_or((text, ""));
        (b.to_owned(), p.to_owned(), false)
    };
    if bucket.is_empty() {
        return Err("The location names no bucket".to_owned());
    }
    if let Some(why) = bucket_name_problem(&bucket) {
        return Err(why);
    }
    let prefix = if path.is_empty() || path.ends_with('/') {
        path
    } else if object {
        path.rfind('/').map_or_else(String::new, |i| {
            path.get(..=i).unwrap_or_default().to_owned()
        })
    } else {
        format!("{path}/")
    };
    if let Some(why) = prefix_problem(&prefix) {
        return Err(why);
    }
    Ok(S3Location { bucket, prefix })
}

/// The bucket and the decoded key of an S3 URL: virtual-hosted (`bucket.s3.region.amazonaws.com`,
/// `bucket.s3-region…`, `bucket.s3.amazonaws.com`) or path style (`s3.region.amazonaws.com/bucket`).
fn from_url(url: &str) -> Result<(String, String), String> {
    let not_s3 = || "That URL is not an Amazon S3 address".to_owned();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let path = decode(path).ok_or_else(|| "The URL's path is not valid UTF-8".to_owned())?;
    let base = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
        .ok_or_else(not_s3)?;
    let is_s3 = |h: &str| h == "s3" || h.starts_with("s3.") || h.starts_with("s3-");
    if is_s3(base) {
        let (b, p) = path.split_once('/').unwrap_or((&path, ""));
        return Ok((b.to_owned(), p.to_owned()));
    }
    // Virtual-hosted: the bucket is everything before the last ".s3." or ".s3-" part.
    let at = base
        .rmatch_indices(".s3")
        .map(|(i, _)| i)
        .find(|&i| base.get(i + 1..).is_some_and(is_s3))
        .ok_or_else(not_s3)?;
    Ok((base.get(..at).unwrap_or_default().to_owned(), path))
}

/// Percent-decodes a URL's path (`+` stays `+`, as in S3's paths); `None` when the bytes are not
/// UTF-8. A `%` not followed by two hex digits is kept as it is.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (String, String) {
        let l = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (l.bucket, l.prefix)
    }

    fn pair(b: &str, p: &str) -> (String, String) {
        (b.to_owned(), p.to_owned())
    }

    #[test]
    fn the_forms_accepted() {
        assert_eq!(ok("s3://reports/2026/q1/"), pair("reports", "2026/q1/"));
        assert_eq!(ok("  S3://reports  "), pair("reports", ""));
        assert_eq!(ok("s3://reports/"), pair("reports", ""));
        assert_eq!(ok("s3://reports/2026"), pair("reports", "2026/"));
        assert_eq!(ok("reports/2026/q1"), pair("reports", "2026/q1/"));
        assert_eq!(ok("my.logs-1"), pair("my.logs-1", ""));
        assert_eq!(
            ok("https://reports.s3.eu-west-1.amazonaws.com/2026/a%20b%2Bc.csv?versionId=1"),
            pair("reports", "2026/")
        );
        assert_eq!(
            ok("https://my.bucket.s3.amazonaws.com/top.txt"),
            pair("my.bucket", "")
        );
        assert_eq!(
            ok("https://reports.s3-us-west-2.amazonaws.com/x/y/"),
            pair("reports", "x/y/")
        );
        assert_eq!(
            ok("https://s3.eu-central-1.amazonaws.com/reports/%C3%BC/file"),
            pair("reports", "ü/")
        );
        assert_eq!(ok("https://s3.amazonaws.com/reports"), pair("reports", ""));
        // A key's other characters stay as typed.
        assert_eq!(ok("s3://reports/a b/+/%/"), pair("reports", "a b/+/%/"));
    }

    #[test]
    fn bad_bucket_names_each_with_their_reason() {
        let cases = [
            ("ab", "3 to 63"),
            (&"a".repeat(64), "3 to 63"),
            ("Reports", "lowercase"),
            ("my_bucket", "lowercase"),
            ("-reports", "begin and end"),
            ("reports.", "begin and end"),
            ("my..bucket", "two periods"),
            ("192.168.5.4", "IP address"),
            ("xn--bucket", "'xn--'"),
            ("sthree-bucket", "'sthree-'"),
            ("bucket-s3alias", "'-s3alias'"),
            ("bucket--ol-s3", "'--ol-s3'"),
        ];
        for (name, why) in cases {
            let e = parse(&format!("s3://{name}/x/")).expect_err(name);
            assert!(e.contains(why), "{name}: {e}");
            assert!(!e.contains('\n'), "one sentence: {e}");
        }
        // Near misses that are valid.
        for name in ["abc", "1.2.3", "192.168.5.4x", "a-b.c-d", &"a".repeat(63)] {
            assert_eq!(bucket_name_problem(name), None, "{name}");
        }
    }

    #[test]
    fn bad_prefixes_and_forms() {
        let cases = [
            ("s3://reports/a/../b/", "'..'"),
            ("s3://reports/..", "'..'"),
            ("reports/a\0b/", "NUL"),
            ("", "Type a location"),
            ("s3:///folder/", "no bucket"),
            ("/folder", "no bucket"),
            ("ftp://reports/a", "Only s3://"),
            ("https://example.com/reports/a", "not an Amazon S3"),
        ];
        for (text, why) in cases {
            let e = parse(text).expect_err(text);
            assert!(e.contains(why), "{text}: {e}");
        }
        let long = format!("s3://reports/{}/", "k".repeat(KEY_MAX));
        assert!(parse(&long).expect_err("long").contains("1024 bytes"));
        let longest = format!("s3://reports/{}/", "k".repeat(KEY_MAX - 1));
        assert_eq!(ok(&longest).1.len(), KEY_MAX);
        // ".." inside a name is no path part.
        assert_eq!(ok("s3://reports/a..b/").1, "a..b/");
    }

    proptest::proptest! {
        /// Whatever is typed, the parser answers without panicking, and what it accepts keeps every
        /// rule; a valid bucket and folder written as s3:// come back exactly.
        #[test]
        fn accepted_locations_keep_the_rules(text in "\\PC{0,80}") {
            if let Ok(l) = parse(&text) {
                proptest::prop_assert_eq!(bucket_name_problem(&l.bucket), None);
                proptest::prop_assert!(l.prefix.len() <= KEY_MAX);
                proptest::prop_assert!(!l.prefix.split('/').any(|p| p == ".."));
                proptest::prop_assert!(l.prefix.is_empty() || l.prefix.ends_with('/'));
            }
        }

        #[test]
        fn round_trips(
            bucket in "[a-z0-9][a-z0-9-]{1,20}[a-z0-9]",
            parts in proptest::collection::vec("[^/\\x00]{1,12}", 0..5),
        ) {
            proptest::prop_assume!(bucket_name_problem(&bucket).is_none());
            proptest::prop_assume!(parts.iter().all(|p| p != ".."));
            let prefix: String = parts.iter().map(|p| format!("{p}/")).collect();
            let l = parse(&format!("s3://{bucket}/{prefix}"));
            proptest::prop_assert_eq!(l, Ok(S3Location { bucket: bucket.clone(), prefix: prefix.clone() }));
            proptest::prop_assert_eq!(parse(&format!("{bucket}/{prefix}")).map(|l| l.prefix), Ok(prefix));
        }
    }
}
