//! What several test crates build the same way: alice, her MFA device, the admin role, and a
//! session of hers with every field filled. (Each crate uses a part: the rest is not dead.)
#![allow(dead_code)]

use std::time::SystemTime;

use keyfob::secret::Secret;
use keyfob::session::{Credentials, Identity, Session, SessionKind, SignInFields};

pub const MFA: &str = "arn:aws:iam::123456789012:mfa/alice";
pub const ROLE: &str = "arn:aws:iam::123456789012:role/admin";
pub const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYzSECRETKEY01";
pub const TOKEN: &str = "FwoGZXIvYXdzELrTOKENTOKENTOKENTOKENTOKEN0123456789";

/// alice's session `name` of `kind` as the admin role, in eu-west-1, from `issued_at` to
/// `expires_at`.
pub fn session(
    name: &str,
    kind: SessionKind,
    issued_at: SystemTime,
    expires_at: SystemTime,
) -> Session {
    let id = |arn: &str, user_id: &str| Identity {
        account: "123456789012".into(),
        arn: arn.into(),
        user_id: user_id.into(),
    };
    Session {
        name: name.into(),
        origin: SignInFields::default(),
        credentials: Credentials {
            access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
            secret_access_key: Secret::new(SECRET),
            session_token: Some(Secret::new(TOKEN)),
        },
        issued_at,
        expires_at,
        identity: Some(id(
            "arn:aws:sts::123456789012:assumed-role/admin/alice-admin",
            "AROAEXAMPLE:alice-admin",
        )),
        source_identity: Some(id("arn:aws:iam::123456789012:user/alice", "AIDAEXAMPLE")),
        kind,
        region: Some("eu-west-1".into()),
    }
}

/// The admin role, assumed with MFA.
pub fn assumed_role() -> SessionKind {
    SessionKind::AssumedRole {
        role_arn: ROLE.into(),
        mfa: true,
    }
}
