//! Proof of possession (DPoP, RFC 9449) for AWS Sign-In's token calls: a JSON Web Token naming the
//! request (method, URL, time, a one-time id), signed with ES256 by a P-256 key made for the
//! sign-in, whose public half rides in the token's header. The same key, kept in the cache as a
//! SEC1 PEM, proves every renewal.

use std::time::SystemTime;

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;

use super::B64URL;
use crate::secret::Secret;

/// The sign-in's private key.
#[derive(Clone)]
pub struct Key(p256::SecretKey);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// Why a key could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the OS gave no random bytes: {0}")]
    Random(getrandom::Error),
    #[error("the key could not be written as PEM")]
    Pem,
}

impl Key {
    /// A new key from the OS's randomness.
    ///
    /// # Errors
    /// The OS gave no random bytes.
    pub fn generate() -> Result<Self, KeyError> {
        loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(KeyError::Random)?;
            // Almost every 32 bytes are a valid scalar; zero or one past the group order is not.
            if let Ok(k) = p256::SecretKey::from_slice(&bytes) {
                return Ok(Self(k));
            }
        }
    }

    /// The key as the cache keeps it: SEC1 ("EC PRIVATE KEY") PEM naming the curve and holding
    /// the public key, as the AWS CLI writes it (the CRT that botocore uses refuses a key without
    /// the curve's name, which is how the `sec1` crate writes it).
    ///
    /// # Errors
    /// Never in practice: the point of a valid key always has both coordinates.
    pub fn pem(&self) -> Result<Secret, KeyError> {
        // ECPrivateKey (RFC 5915): version 1, the 32-byte scalar, [0] prime256v1, [1] the point.
        const HEAD: [u8; 7] = [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
        const CURVE: [u8; 16] = [
            0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44,
            0x03, 0x42,
        ];
        let point = self.0.public_key().to_encoded_point(false);
        if point.as_bytes().len() != 65 {
            return Err(KeyError::Pem);
        }
        let scalar = zeroize::Zeroizing::new(self.0.to_bytes());
        let mut der = zeroize::Zeroizing::new(Vec::with_capacity(121));
        der.extend_from_slice(&HEAD);
        der.extend_from_slice(&scalar);
        der.extend_from_slice(&CURVE);
        der.push(0x00); // no unused bits in the BIT STRING
        der.extend_from_slice(point.as_bytes());
        let body = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*der));
        let mut pem = String::from("-----BEGIN EC PRIVATE KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END EC PRIVATE KEY-----\n");
        Ok(Secret::new(pem))
    }

    /// The `DPoP` header's value for a `method` request to `url` at `now`.
    ///
    /// # Errors
    /// The OS gave no random bytes for the proof's id.
    pub fn proof(&self, method: &str, url: &str, now: SystemTime) -> Result<String, KeyError> {
        let point = self.0.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            // An uncompressed point always has both coordinates.
            return Err(KeyError::Pem);
        };
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": "ES256",
            "jwk": {"kty": "EC", "crv": "P-256", "x": B64URL.encode(x), "y": B64URL.encode(y)},
        });
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti).map_err(KeyError::Random)?;
        let iat = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let payload = serde_json::json!({
            "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "htm": method,
            "htu": url,
            "iat": iat,
        });
        let signing_input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(payload.to_string())
        );
        let signing_key = p256::ecdsa::SigningKey::from(&self.0);
        let signature: p256::ecdsa::Signature = signing_key.sign(signing_input.as_bytes());
        Ok(format!(
            "{signing_input}.{}",
            B64URL.encode(signature.to_bytes())
        ))
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Verifier as _;

    use super::*;

    #[test]
    fn a_proof_verifies_with_the_key_in_its_header_and_names_the_request() {
        let key = Key::generate().unwrap();
        let proof = key
            .proof(
                "POST",
                "https://signin.example/v1/token",
                SystemTime::UNIX_EPOCH,
            )
            .unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(parts[0]).unwrap()).unwrap();
        let payload: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(payload["htu"], "https://signin.example/v1/token");
        assert_eq!(payload["htm"], "POST");
        assert_eq!(payload["iat"], 0);
        // The public key rebuilt from the header verifies the signature.
        let mut sec1 = vec![4u8];
        sec1.extend(B64URL.decode(header["jwk"]["x"].as_str().unwrap()).unwrap());
        sec1.extend(B64URL.decode(header["jwk"]["y"].as_str().unwrap()).unwrap());
        let public = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        let sig = p256::ecdsa::Signature::from_slice(&B64URL.decode(parts[2]).unwrap()).unwrap();
        public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
        // A second proof has its own id.
        let again = key
            .proof(
                "POST",
                "https://signin.example/v1/token",
                SystemTime::UNIX_EPOCH,
            )
            .unwrap();
        assert_ne!(again.split('.').nth(1), Some(parts[1]));
        // The PEM reads back as the same key.
        let pem = key.pem().unwrap();
        assert!(pem.expose().starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
        let back = p256::SecretKey::from_sec1_pem(pem.expose()).unwrap();
        assert_eq!(back.public_key(), key.0.public_key());
        // It names the curve (prime256v1), as the AWS CLI's keys do.
        let der = base64::engine::general_purpose::STANDARD
            .decode(
                pem.expose()
                    .lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            )
            .unwrap();
        assert_eq!(der.len(), 121);
        assert!(
            der.windows(10)
                .any(|w| w == [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])
        );
    }
}
