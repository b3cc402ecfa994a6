//! Test support: a real `moto_server` on 127.0.0.1 (a free port, stopped on drop), seeded with an
//! IAM user, her keys and MFA device, roles and buckets, through the same SDK keyfob uses.
#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod fake;
pub mod fixtures;
pub mod pyfake;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_iam::Client as IamClient;
use keyfob::aws::sts::{Flow, SignInRequest};
use keyfob::aws::{AwsEnv, NetConfig, ProfileFilesSpec, SourceCredentials};
use keyfob::secret::Secret;
use keyfob::session::Credentials;

/// The account moto uses.
pub const ACCOUNT: &str = "123456789012";
/// Buckets every seeded server has.
pub const BUCKETS: [&str; 2] = ["keyfob-demo-reports", "keyfob-demo-logs"];

/// A running moto_server, killed when dropped.
pub struct Moto {
    pub url: String,
    pub port: u16,
    child: Child,
    /// Empty profile files so tests never read the developer's ~/.aws.
    _dir: tempfile::TempDir,
    pub profile_files: ProfileFilesSpec,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Moto {
    /// Starts moto_server and waits until it answers.
    pub fn start() -> Self {
        Self::start_with_env(&[])
    }

    /// Starts moto_server with extra environment variables.
    pub fn start_with_env(env: &[(&str, &str)]) -> Self {
        let bin = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".to_owned());
        for _ in 0..3 {
            let port = free_port();
            let mut cmd = Command::new(&bin);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            for (k, v) in env {
                cmd.env(k, v);
            }
            let child = cmd.spawn().unwrap_or_else(|e| {
                panic!("cannot start {bin} ({e}): run scripts/test, which installs moto")
            });
            let dir = tempfile::tempdir().unwrap();
            let profile_files = ProfileFilesSpec {
                config: Some(dir.path().join("config")),
                credentials: Some(dir.path().join("credentials")),
            };
            let mut moto = Self {
                url: format!("http://127.0.0.1:{port}"),
                port,
                child,
                _dir: dir,
                profile_files,
            };
            if moto.wait_ready(Duration::from_secs(30)) {
                return moto;
            }
            let _ = moto.child.kill();
        }
        panic!("moto_server did not start");
    }

    fn wait_ready(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if http(self.port, "GET", "/moto-api/", "").is_some_and(|(status, _)| status == 200) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Where keyfob should reach this server, with short timeouts for tests.
    pub fn env(&self) -> AwsEnv {
        AwsEnv {
            endpoint_url: Some(self.url.clone()),
            profile_files: self.profile_files.clone(),
            net: NetConfig {
                connect_timeout: Duration::from_secs(2),
                attempt_timeout: Duration::from_secs(10),
                operation_timeout: Duration::from_secs(20),
                max_attempts: 2,
                initial_backoff: Duration::from_millis(50),
            },
            federation_url: None,
            sso_endpoint_url: None,
            signin_endpoint_url: None,
            sso_cache_dir: None,
        }
    }

    /// Switches moto's request authentication on (after seeding).
    pub fn enable_auth(&self) {
        let (status, body) =
            http(self.port, "POST", "/moto-api/reset-auth", "0").expect("reset-auth");
        assert_eq!(status, 200, "{body}");
    }
}

/// A tiny HTTP/1.1 client for moto's control API (loopback only).
pub fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, out))
}

/// What seeding created.
#[derive(Debug)]
pub struct Seed {
    pub alice: Credentials,
    pub alice_mfa: String,
    pub bob: Credentials,
    pub admin_role: String,
    pub readonly_role: String,
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
const USER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:*","s3:ListAllMyBuckets","iam:ListMFADevices"],"Resource":"*"}]}"#;
const ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","sts:GetCallerIdentity"],"Resource":"*"}]}"#;

/// Seeds users alice (keys + enabled virtual MFA device) and bob (keys, no device), roles admin
/// and readonly, and two buckets.
pub async fn seed(moto: &Moto) -> Seed {
    let conf = admin_config(moto).await;
    let iam = IamClient::new(&conf);
    let alice = user_with_keys(&iam, "alice").await;
    let bob = user_with_keys(&iam, "bob").await;
    let dev = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice")
        .send()
        .await
        .expect("create mfa device");
    let alice_mfa = dev.virtual_mfa_device.expect("device").serial_number;
    iam.enable_mfa_device()
        .user_name("alice")
        .serial_number(&alice_mfa)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .expect("enable mfa");
    let mut roles = Vec::new();
    for name in ["admin", "readonly"] {
        let r = iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(TRUST)
            .max_session_duration(43_200)
            .send()
            .await
            .expect("create role");
        iam.put_role_policy()
            .role_name(name)
            .policy_name("all")
            .policy_document(ROLE_POLICY)
            .send()
            .await
            .expect("role policy");
        roles.push(r.role.expect("role").arn);
    }
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    for b in BUCKETS {
        s3.create_bucket()
            .bucket(b)
            .send()
            .await
            .expect("create bucket");
    }
    let [admin_role, readonly_role]: [String; 2] = roles.try_into().expect("two roles");
    Seed {
        alice,
        alice_mfa,
        bob,
        admin_role,
        readonly_role,
    }
}

async fn user_with_keys(iam: &IamClient, name: &str) -> Credentials {
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .expect("create user");
    iam.put_user_policy()
        .user_name(name)
        .policy_name("mfa-user")
        .policy_document(USER_POLICY)
        .send()
        .await
        .expect("user policy");
    access_key(iam, name).await
}

/// The SDK settings of the account's seeding admin, in us-east-1.
pub async fn admin_config(moto: &Moto) -> aws_config::SdkConfig {
    let admin = SourceCredentials::Static(Credentials {
        access_key_id: "AKIASEEDSEEDSEEDSEED".to_owned(),
        secret_access_key: Secret::new("seed"),
        session_token: None,
    });
    moto.env().sdk_config(&admin, Some("us-east-1")).await
}

/// New access keys for the IAM user `name`.
pub async fn access_key(iam: &IamClient, name: &str) -> Credentials {
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("access key")
        .access_key
        .expect("key");
    Credentials {
        access_key_id: key.access_key_id,
        secret_access_key: Secret::new(key.secret_access_key),
        session_token: None,
    }
}

/// Lists bucket names with the given credentials (the seed's last step).
pub async fn list_buckets(env: &AwsEnv, creds: &Credentials) -> Result<Vec<String>, String> {
    let conf = env
        .sdk_config(&SourceCredentials::Static(creds.clone()), Some("us-east-1"))
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let out = s3
        .list_buckets()
        .send()
        .await
        .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())?;
    let mut names: Vec<String> = out
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

/// A path inside the crate (for fixtures).
pub fn crate_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A sign-in of `flow` signed by `source`, named "test", in the default region and for AWS's
/// default duration; a test sets the rest with `SignInRequest { region: …, ..request(…) }`.
pub fn request(source: SourceCredentials, flow: Flow) -> SignInRequest {
    SignInRequest {
        name: "test".into(),
        origin: keyfob::session::SignInFields::default(),
        source,
        region: None,
        duration: None,
        flow,
    }
}

/// The next event for the S3 browser (others are passed over), or a panic after 30 s.
pub fn next_browse(
    events: &std::sync::mpsc::Receiver<keyfob::message::Event>,
) -> keyfob::message::BrowseEvent {
    loop {
        match events.recv_timeout(Duration::from_secs(30)) {
            Ok(keyfob::message::Event::Browse(e)) => return e,
            Ok(_) => {}
            Err(e) => panic!("no browser event in 30 s: {e}"),
        }
    }
}

/// `credentials` as alice's session, for another hour, from no profile.
pub fn live_session(credentials: &Credentials) -> keyfob::session::SessionCreds {
    keyfob::session::SessionCreds {
        session: "alice".into(),
        expires_at: std::time::SystemTime::now() + Duration::from_secs(3600),
        credentials: credentials.clone(),
        profile: None,
    }
}

/// The real worker reaching `env`, with no keyring and headless ports (the browser's tests).
pub fn browse_worker(env: AwsEnv) -> keyfob::worker::Channels {
    keyfob::worker::spawn(
        env,
        Err(keyfob::keystore::KeystoreError::Unavailable(
            "not used here".into(),
        )),
        keyfob::worker::Ports::headless(),
    )
    .unwrap()
}
