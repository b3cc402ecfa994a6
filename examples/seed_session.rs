//! Stores a made-up but well-formed session in the keyring, so the window restores it at start
//! (`scripts/e2e-xvfb` seeds sessions that cross the 15- and 5-minute warnings while it watches).
//! Usage: `seed_session NAME SECONDS_LEFT [IDENTITY_ARN]` (the identity defaults to an IAM user;
//! `scripts/e2e-atspi` gives a long assumed-role ARN, to hear it read in full). The item goes where the app looks: the platform's
//! keyring under the service `KEYFOB_KEYRING_SERVICE` names (else the app id). The credentials
//! are fresh random text in the shapes AWS issues (ASIA… id, 40-character secret, a token); they
//! work nowhere. Prints nothing secret: read them back with `keyfob export --profile NAME`.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::io::Write as _;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use keyfob::keystore::Keystore;
use keyfob::secret::Secret;
use keyfob::session::SourceChoice;
use keyfob::session::{Credentials, Identity, Session, SessionKind, SignInFields};

const ACCOUNT: &str = "123456789012";
const USER: &str = "demo-user";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(left), arn, None) = (args.next(), args.next(), args.next(), args.next())
    else {
        anyhow::bail!("usage: seed_session NAME SECONDS_LEFT [IDENTITY_ARN]");
    };
    let left: u64 = left
        .parse()
        .with_context(|| format!("SECONDS_LEFT must be a whole number of seconds, not {left:?}"))?;
    let now = SystemTime::now();
    let expires_at = now + Duration::from_secs(left);
    // An hour-long session that has been running for a while (never issued in the future).
    let issued_at = expires_at
        .checked_sub(Duration::from_secs(3600))
        .map_or(now, |t| t.min(now));
    let session = Session {
        name: name.clone(),
        origin: SignInFields {
            profile: Some(name.clone()),
            source: SourceChoice::Profile("demo".to_owned()),
            mfa_serial: format!("arn:aws:iam::{ACCOUNT}:mfa/{USER}"),
            region: "us-east-1".to_owned(),
            ..SignInFields::default()
        },
        credentials: Credentials {
            access_key_id: format!("ASIA{}", random_text(UPPER_DIGITS, 16)),
            secret_access_key: Secret::new(random_text(BASE64ISH, 40)),
            session_token: Some(Secret::new(format!(
                "IQoJb3JpZ2luX2VjE{}",
                random_text(BASE64ISH, 300)
            ))),
        },
        issued_at,
        expires_at,
        identity: Some(Identity {
            account: ACCOUNT.to_owned(),
            arn: arn.unwrap_or_else(|| format!("arn:aws:iam::{ACCOUNT}:user/{USER}")),
            user_id: format!("AIDA{}", random_text(UPPER_DIGITS, 17)),
        }),
        source_identity: None,
        kind: SessionKind::SessionToken { mfa: true },
        region: Some("us-east-1".to_owned()),
    };
    let keystore = Keystore::platform().context("opening the keyring")?;
    keystore
        .save_session(&session)
        .with_context(|| format!("storing the session {name} in the keyring"))?;
    writeln!(
        std::io::stdout(),
        "stored session {name} ({}) under the service {}, expiring in {left} s",
        session.credentials.access_key_id,
        keystore.service()
    )?;
    Ok(())
}

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64ISH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `len` characters of `alphabet`, from the standard library's randomly keyed hasher (no random
/// number crate needed for text that only has to differ from run to run).
fn random_text(alphabet: &[u8], len: usize) -> String {
    let state = RandomState::new();
    (0..len)
        .map(|i| {
            let n = state.hash_one(i);
            // `alphabet` is never empty; the fallback only satisfies the no-indexing lint.
            let k = usize::try_from(n % alphabet.len() as u64).unwrap_or(0);
            char::from(alphabet.get(k).copied().unwrap_or(b'A'))
        })
        .collect()
}
