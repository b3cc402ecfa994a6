//! One sign-in through keyfob's own STS code, for `scripts/bench` to time against the AWS CLI:
//! GetSessionToken with the profile's MFA device and the given code, then GetCallerIdentity, as
//! the window does. Usage: `signin_once PROFILE CODE` (honours AWS_CONFIG_FILE, AWS_ENDPOINT_URL).

use keyfob::aws::{AwsEnv, SourceCredentials, profiles, sts};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(profile), Some(code)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: signin_once PROFILE CODE");
    };
    let env = AwsEnv::default();
    let all = profiles::load(&env.profile_files)
        .await
        .map_err(anyhow::Error::msg)?;
    let info = all
        .get(&profile)
        .ok_or_else(|| anyhow::anyhow!("no profile {profile}"))?;
    let request = sts::SignInRequest {
        name: "test".into(),
        origin: keyfob::session::SignInFields::default(),
        source: SourceCredentials::Profile(profile.clone()),
        region: info.region.clone(),
        duration: None,
        flow: sts::Flow::SessionToken {
            mfa: info
                .mfa_serial
                .clone()
                .map(|serial| sts::Mfa { serial, code }),
        },
    };
    let session = sts::sign_in(&env, &request).await?;
    let who = session.identity.map(|i| i.arn).unwrap_or_default();
    std::io::Write::write_all(&mut std::io::stdout(), format!("{who}\n").as_bytes())?;
    Ok(())
}
