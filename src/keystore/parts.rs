//! Items too large for one keyring entry, split into parts. Windows Credential Manager refuses a
//! credential blob over 2,560 bytes, and its keyring store writes a password as UTF-16 (two bytes
//! a character), while a chained role session with session tags carries a token of about 2,000
//! characters: such an item is split there.
//!
//! An item that fits is stored as it is (its JSON starts with `{`), so items written before this
//! read unchanged. A split item is a head under the item's own name, `keyfob-parts:N\n` and the
//! first piece, and parts `NAME#2` … `NAME#N`, each `keyfob-part\n` and the next piece. Parts are
//! written before the head, so a reader never sees a head whose parts are missing from this write.

/// A limit on what one entry may hold, as the platform's store encodes it.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// The most bytes one stored entry may take.
    pub max_bytes: usize,
    /// The bytes the store takes for a text.
    pub encoded_len: fn(&str) -> usize,
}

/// Windows Credential Manager through keyring's Windows store: UTF-16, at most 2,560 bytes
/// (`CRED_MAX_CREDENTIAL_BLOB_SIZE`).
pub const WINDOWS: Limit = Limit {
    max_bytes: 2560,
    encoded_len: utf16_bytes,
};

/// The bytes of `text` as UTF-16 without a terminator (what the Windows store writes).
#[must_use]
pub fn utf16_bytes(text: &str) -> usize {
    text.encode_utf16().count() * 2
}

/// What the head of a split item starts with.
pub const HEAD: &str = "keyfob-parts:";
/// What every further part starts with.
pub const PART: &str = "keyfob-part\n";
/// The most entries a split item takes: the head's count has room for four digits.
pub const MAX_PARTS: usize = 9999;

/// The name of part `k` (2 and up) of the item `user`.
#[must_use]
pub fn part_name(user: &str, k: usize) -> String {
    format!("{user}#{k}")
}

/// The entries to write for `text`: one (the text itself) when it fits or there is no limit,
/// else the head first and then the parts 2, 3 … in order. A limit too small to hold a prefix,
/// or one that would take more than [`MAX_PARTS`] entries, also leaves the text whole: a head
/// [`head`] would not read loses the item, while the store refuses a text too large with an
/// error the user sees.
#[must_use]
pub fn split(text: &str, limit: Option<Limit>) -> Vec<String> {
    let whole = || vec![text.to_owned()];
    let Some(limit) = limit else {
        return whole();
    };
    if (limit.encoded_len)(text) <= limit.max_bytes {
        return whole();
    }
    // Room for the head's prefix with any count up to MAX_PARTS, and for a part's prefix.
    let head_prefix = (limit.encoded_len)(&format!("{HEAD}{MAX_PARTS}\n"));
    let rooms = (
        limit.max_bytes.checked_sub(head_prefix),
        limit.max_bytes.checked_sub((limit.encoded_len)(PART)),
    );
    let (Some(head_room), Some(part_room)) = rooms else {
        return whole();
    };
    let mut pieces: Vec<String> = Vec::new();
    let mut piece = String::new();
    let mut used = 0;
    for c in text.chars() {
        let room = if pieces.is_empty() {
            head_room
        } else {
            part_room
        };
        let mut buf = [0u8; 4];
        let size = (limit.encoded_len)(c.encode_utf8(&mut buf));
        // Every piece holds a character, even one wider than the room left by the prefix.
        if used + size > room && !piece.is_empty() {
            pieces.push(std::mem::take(&mut piece));
            used = 0;
        }
        piece.push(c);
        used += size;
    }
    pieces.push(piece);
    let n = pieces.len();
    if n > MAX_PARTS {
        return whole();
    }
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            if i == 0 {
                format!("{HEAD}{n}\n{p}")
            } else {
                format!("{PART}{p}")
            }
        })
        .collect()
}

/// A stored head: how many parts the item has and its first piece; `None` for a whole item.
#[must_use]
pub fn head(text: &str) -> Option<(usize, &str)> {
    let rest = text.strip_prefix(HEAD)?;
    let (count, piece) = rest.split_once('\n')?;
    let n: usize = count.parse().ok()?;
    (2..=MAX_PARTS).contains(&n).then_some((n, piece))
}

/// A stored part's piece; `None` if `text` is not a part.
#[must_use]
pub fn piece(text: &str) -> Option<&str> {
    text.strip_prefix(PART)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_that_fits_is_stored_as_it_is() {
        let json = r#"{"type":"session","name":"a"}"#;
        assert_eq!(split(json, Some(WINDOWS)), vec![json.to_owned()]);
        let long = "x".repeat(10_000);
        assert_eq!(
            split(&long, None),
            vec![long.clone()],
            "no limit: one entry"
        );
    }

    #[test]
    fn a_long_text_splits_under_the_limit_and_joins_back() {
        // Non-ASCII too: a character is never cut, and UTF-16 sizes count.
        let text = format!("{{\"t\":\"{}\"}}", "aé€𝄞".repeat(900));
        let stored = split(&text, Some(WINDOWS));
        assert!(stored.len() >= 2);
        assert!(stored.iter().skip(1).all(|s| s.starts_with(PART)));
        for s in &stored {
            assert!(utf16_bytes(s) <= 2560, "{} bytes", utf16_bytes(s));
        }
        let (n, first) = head(&stored[0]).expect("a head");
        assert_eq!(n, stored.len());
        let mut joined = first.to_owned();
        for s in &stored[1..] {
            joined.push_str(piece(s).expect("a part"));
        }
        assert_eq!(joined, text);
    }

    #[test]
    fn a_limit_that_cannot_split_the_text_leaves_it_whole() {
        // Smaller than the head's prefix: the fuzz input
        // `fuzz/regressions/keyring_parts/limit-below-the-head-prefix` (a limit of 1 byte and the
        // text "1") made the room's subtraction overflow.
        let tiny = Limit {
            max_bytes: 1,
            encoded_len: utf16_bytes,
        };
        assert_eq!(split("1", Some(tiny)), vec!["1".to_owned()]);
        // Room for the prefixes, 2 characters in the head and 8 in each part: 100,000
        // characters would take 12,501 entries, more than a head can count.
        let narrow = Limit {
            max_bytes: 40,
            encoded_len: utf16_bytes,
        };
        let long = "x".repeat(100_000);
        assert_eq!(split(&long, Some(narrow)), vec![long.clone()]);
        // 50,000 take 6,251, which a head counts.
        let text = "x".repeat(50_000);
        let stored = split(&text, Some(narrow));
        assert_eq!(stored.len(), 6_251);
        assert_eq!(head(&stored[0]).map(|(n, _)| n), Some(6_251));
        assert!(stored.iter().all(|s| utf16_bytes(s) <= 40));
    }

    #[test]
    fn a_character_wider_than_the_room_still_makes_a_piece() {
        // The head's prefix (36 bytes) leaves 2 of 38: the head still takes one character of 4
        // (a surrogate pair) rather than none.
        let limit = Limit {
            max_bytes: 38,
            encoded_len: utf16_bytes,
        };
        let text = "\u{1D11E}".repeat(10);
        let stored = split(&text, Some(limit));
        let (n, first) = head(&stored[0]).expect("a head");
        assert_eq!(n, stored.len());
        assert!(!first.is_empty());
        assert!(
            stored[1..]
                .iter()
                .all(|p| piece(p).is_some_and(|p| !p.is_empty()))
        );
        let joined: String = std::iter::once(first)
            .chain(stored[1..].iter().filter_map(|p| piece(p)))
            .collect();
        assert_eq!(joined, text);
    }

    #[test]
    fn json_is_never_taken_for_a_head_or_a_part() {
        assert_eq!(head(r#"{"type":"key"}"#), None);
        assert_eq!(piece(r#"{"type":"key"}"#), None);
        assert_eq!(head("keyfob-parts:1\nx"), None, "one part is not split");
        assert_eq!(head("keyfob-parts:two\nx"), None);
    }
}
