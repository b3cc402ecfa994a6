//! The keyring's records and the parts an item is split into for a store with a per-entry limit.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::{broken, fields, lossy, number, session};
use crate::keystore::parts::{self, Limit};
use crate::keystore::{Keystore, LongTermKey};
use crate::secret::Secret;
use crate::session::Credentials;

/// The keyring service the fuzz targets' mock store files items under.
const SERVICE: &str = "keyfob-fuzz";

/// The keyring's record decoder and split items, through [`Keystore`] on keyring-core's mock
/// store. The input is an entry limit in UTF-16 bytes (empty: none), then pairs of an entry's
/// user (`session:NAME`, `key:NAME`, `session:NAME#2` …) and the bytes it holds, all
/// NUL-separated. Whatever the entries hold, reading them never fails as a whole (a damaged entry
/// is a problem, or `Corrupt`). Then a session and long-term keys built from the input, saved
/// under the limit over those entries, read back equal, alone and in the full listing.
pub fn keyring_record(data: &[u8]) {
    let values = fields(data);
    let limit = values
        .first()
        .and_then(|p| number::<usize>(p))
        .map(|max_bytes| Limit {
            max_bytes,
            encoded_len: parts::utf16_bytes,
        });
    let Ok(store) = keyring_core::mock::Store::new() else {
        broken("the mock store cannot be made")
    };
    let store: Arc<keyring_core::CredentialStore> = store;
    let ks = Keystore::with_store(Arc::clone(&store), SERVICE).with_limit(limit);
    let entries: Vec<(String, &[u8])> = values
        .get(1..)
        .unwrap_or_default()
        .chunks(2)
        .map(|pair| match pair {
            [user, bytes] => (lossy(user), *bytes),
            _ => (pair.first().map(|u| lossy(u)).unwrap_or_default(), &[][..]),
        })
        .collect();
    for (user, bytes) in &entries {
        let stored = store
            .build(SERVICE, user, None)
            .and_then(|entry| entry.set_secret(bytes));
        assert!(
            stored.is_ok(),
            "the mock store refused {user:?}: {stored:?}"
        );
    }
    if let Err(e) = ks.load_all() {
        broken(&format!("listing damaged entries failed as a whole: {e}"));
    }
    for (user, _) in &entries {
        if let Some(name) = user.strip_prefix("session:") {
            let _ = ks.session(name);
        }
        if let Some(name) = user.strip_prefix("key:") {
            let _ = ks.key(name);
        }
    }
    saved_items_read_back(&ks, data, &entries);
}

/// Saves a session and long-term keys made of the input and reads them back.
fn saved_items_read_back(ks: &Keystore, data: &[u8], entries: &[(String, &[u8])]) {
    let first = entries.first();
    let name = first.map_or_else(|| "fuzz".to_owned(), |(user, _)| user.clone());
    let secret = first.map(|(_, bytes)| lossy(bytes)).unwrap_or_default();
    // The whole input as the token: long enough to be split under most limits.
    let token = lossy(data);
    let nanos = u32::try_from(data.len()).unwrap_or(0) % 1_000_000_000;
    let expires = UNIX_EPOCH + Duration::new(1_795_352_400, nanos);
    let mut s = session("ASIAFUZZEXAMPLE", &secret, Some(&token), expires);
    s.name.clone_from(&name);
    if let Err(e) = ks.save_session(&s) {
        broken(&format!("the session could not be saved: {e}"));
    }
    match ks.session(&name) {
        Ok(Some(back)) => assert!(back == s, "the session read back differs"),
        other => broken(&format!("the session saved read back as {other:?}")),
    }
    let key = LongTermKey {
        name: name.clone(),
        credentials: Credentials {
            access_key_id: "AKIAFUZZEXAMPLE".to_owned(),
            secret_access_key: Secret::new(token),
            session_token: None,
        },
    };
    if let Err(e) = ks.save_key(&key) {
        broken(&format!("the keys could not be saved: {e}"));
    }
    match ks.key(&name) {
        Ok(Some(back)) => assert!(back == key, "the keys read back differ"),
        other => broken(&format!("the keys saved read back as {other:?}")),
    }
    match ks.load_all() {
        Ok(all) => assert!(
            all.sessions.contains(&s) && all.keys.iter().any(|k| k.name == name),
            "the full listing misses what was saved: {:?}",
            all.problems
        ),
        Err(e) => broken(&format!("the full listing failed: {e}")),
    }
}

/// Splitting an item for a store with a per-entry limit (`keystore::parts::split`, `head`,
/// `piece`). The input is the limit in bytes (empty: none), NUL, `bytes` to count UTF-8 bytes
/// (else UTF-16 bytes, as the Windows store does), NUL, the text, NUL, how many times to repeat
/// it (up to 16). The entries join back to the text as the keystore joins them, whatever the
/// limit; and each entry fits the limit wherever it can hold a part's prefix and a character.
pub fn keyring_parts(data: &[u8]) {
    let values = fields(data);
    let max_bytes = values.first().and_then(|p| number::<usize>(p));
    let encoded_len: fn(&str) -> usize = match values.get(1) {
        Some(kind) if *kind == b"bytes" => str::len,
        _ => parts::utf16_bytes,
    };
    let repeat = values
        .get(3)
        .and_then(|p| number::<usize>(p))
        .unwrap_or(1)
        .min(16);
    let text = values
        .get(2)
        .map(|p| lossy(p))
        .unwrap_or_default()
        .repeat(repeat);
    let limit = max_bytes.map(|max_bytes| Limit {
        max_bytes,
        encoded_len,
    });
    let entries = parts::split(&text, limit);
    // A text that itself looks like a head or a part is never stored: items are JSON.
    if parts::head(&text).is_some() || parts::piece(&text).is_some() {
        return;
    }
    let joined = match entries.split_first() {
        Some((whole, [])) => Some(whole.clone()),
        Some((head, rest)) => parts::head(head).and_then(|(n, first)| {
            assert_eq!(n, entries.len(), "the head counts {n} entries");
            rest.iter()
                .map(|p| parts::piece(p))
                .collect::<Option<Vec<&str>>>()
                .map(|pieces| format!("{first}{}", pieces.concat()))
        }),
        None => None,
    };
    assert!(
        joined.as_deref() == Some(text.as_str()),
        "the entries do not join back"
    );
    if let (Some(max), [_, _, ..]) = (max_bytes, entries.as_slice()) {
        let room = encoded_len(&format!("{}9999\n", parts::HEAD)) + encoded_len("\u{10FFFF}");
        if max >= room {
            for e in &entries {
                assert!(
                    encoded_len(e) <= max,
                    "an entry of {} bytes",
                    encoded_len(e)
                );
            }
        }
    }
}
