//! The pieces of an OAuth 2.0 authorization-code sign-in with PKCE (RFC 7636) that AWS Sign-In
//! and IAM Identity Center share: the verifier, its S256 challenge and the random state.

use base64::Engine as _;
use sha2::Digest as _;

/// 64 characters of the PKCE alphabet (RFC 7636: unreserved characters), from the OS.
///
/// # Errors
/// The OS gave no random bytes.
pub fn verifier() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut out = String::with_capacity(64);
    while out.len() < 64 {
        let mut buf = [0u8; 64];
        getrandom::fill(&mut buf)?;
        // 66 characters: bytes from 198 up are dropped so every character is equally likely.
        for b in buf.iter().filter(|b| usize::from(**b) < ALPHABET.len() * 3) {
            if let Some(c) = ALPHABET.get(usize::from(*b) % ALPHABET.len())
                && out.len() < 64
            {
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}

/// The S256 challenge of `verifier`: base64url (no padding) of its SHA-256.
#[must_use]
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// A fresh `state`: 16 random bytes in hex.
///
/// # Errors
/// The OS gave no random bytes.
pub fn state() -> Result<String, getrandom::Error> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_and_verifiers_differ() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let (a, b) = (verifier().unwrap(), verifier().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c))
        );
        assert_eq!(state().unwrap().len(), 32);
    }
}
