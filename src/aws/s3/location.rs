//! A place in S3 typed by a person: `s3://bucket/prefix/`, checked before any request.

/// A bucket and a prefix in it (empty, or ending in `/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub bucket: String,
    pub prefix: String,
}

/// The longest key S3 takes, in bytes.
const KEY_MAX: usize = 1024;

impl Location {
    /// Parses `s3://bucket` or `s3://bucket/prefix` (a prefix is taken as a folder: `/` is added
    /// when missing), or says in one sentence why it is not one.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{text} is not an S3 location (s3://bucket/folder/)"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        bucket_name(bucket)?;
        let mut prefix = prefix.to_owned();
        if prefix.contains('\0') {
            return Err("the folder holds a NUL byte".into());
        }
        if prefix.split('/').any(|p| p == "..") {
            return Err(
                "the folder has a .. part, which S3 keys cannot be copied to or from safely".into(),
            );
        }
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        if prefix.len() > KEY_MAX {
            return Err("the folder is longer than S3's 1,024 bytes".into());
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix,
        })
    }
}

/// Whether `name` can be a bucket's name (S3's rules for general purpose buckets), or why not.
pub fn bucket_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{name:?} is not a bucket name: {why}"));
    if name.is_empty() {
        return Err("the bucket's name is missing (s3://bucket/folder/)".into());
    }
    if !(3..=63).contains(&name.len()) {
        return bad("it must be 3 to 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return bad("only lowercase letters, digits, dots and hyphens are allowed");
    }
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !edge(name.bytes().next()) || !edge(name.bytes().last()) {
        return bad("it must begin and end with a letter or a digit");
    }
    if name.contains("..") {
        return bad("two dots in a row are not allowed");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return bad("it must not look like an IP address");
    }
    if name.starts_with("xn--") || name.ends_with("-s3alias") || name.ends_with("--ol-s3") {
        return bad("that beginning or ending is reserved by S3");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_or_say_why_not() {
        let at = Location::parse("s3://my-bucket/site/css").expect("good");
        assert_eq!(
            (at.bucket.as_str(), at.prefix.as_str()),
            ("my-bucket", "site/css/")
        );
        assert_eq!(Location::parse("s3://b12").expect("bucket").prefix, "");
        for (bad, why) in [
            ("my-bucket/x", "not an S3 location"),
            ("s3://", "missing"),
            ("s3://My_Bucket/", "lowercase"),
            ("s3://ab/", "3 to 63"),
            ("s3://-ab/", "begin and end"),
            ("s3://a..b/", "two dots"),
            ("s3://192.168.1.1/", "IP address"),
            ("s3://xn--abc/", "reserved"),
            ("s3://bucket/a/../b", ".."),
            ("s3://bucket/a\0b", "NUL"),
        ] {
            let e = Location::parse(bad).expect_err(bad);
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let long = format!("s3://bucket/{}", "k".repeat(1030));
        assert!(Location::parse(&long).is_err_and(|e| e.contains("1,024")));
    }
}
