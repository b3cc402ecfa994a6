//! Benchmark helper (P6): one transfer with keyfob's own transfer code (the functions the browser's
//! worker runs), then exit, so the whole process can be timed from outside against `aws s3 cp`.
//! Credentials and endpoint from the environment, as `list_bench`.
//!
//! ```text
//! transfer_bench get BUCKET KEY FILE         one object (parallel ranges when large)
//! transfer_bench put FILE BUCKET KEY         one file (parallel multipart parts when large)
//! transfer_bench get-tree BUCKET PREFIX DIR  every key under PREFIX into DIR, as `cp --recursive`
//! transfer_bench put-tree DIR BUCKET PREFIX  everything in DIR under PREFIX, as `cp --recursive`
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::sync::Arc;

use keyfob::aws::s3::{self, Picked};
use keyfob::aws::{AwsEnv, SourceCredentials};

async fn client(env: &AwsEnv) -> anyhow::Result<aws_sdk_s3::Client> {
    use aws_credential_types::provider::ProvideCredentials as _;
    let conf = env.sdk_config(&SourceCredentials::DefaultChain, None).await;
    let c = conf
        .credentials_provider()
        .ok_or_else(|| anyhow::anyhow!("no credentials in the environment"))?
        .provide_credentials()
        .await?;
    let creds = keyfob::session::Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: keyfob::secret::Secret::new(c.secret_access_key()),
        session_token: c.session_token().map(keyfob::secret::Secret::new),
    };
    Ok(s3::client(env, &creds, None).await)
}

fn fail_on(report: &s3::BatchReport) -> anyhow::Result<()> {
    report
        .summary("")
        .map(drop)
        .map_err(|e| anyhow::anyhow!("{}", e.message))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env = AwsEnv::default();
    let client = client(&env).await?;
    let none: s3::Progress = Arc::new(|_| {});
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["get", bucket, key, file] => {
            let dest = PathBuf::from(file);
            s3::download(&client, bucket, key, &dest, s3::Existing::Refuse, none).await?;
        }
        ["put", file, bucket, key] => {
            s3::upload(&client, bucket, key, &PathBuf::from(file), none).await?;
        }
        ["get-tree", bucket, prefix, dir] => {
            let folder = Picked {
                key: (*prefix).to_owned(),
                folder: true,
                size: 0,
            };
            let plan = s3::plan_download(&client, bucket, prefix, &[folder], &|_, _| {}).await?;
            std::fs::create_dir_all(dir)?;
            let report = s3::download_plan(&client, bucket, plan, &PathBuf::from(dir), none).await;
            fail_on(&report)?;
        }
        ["put-tree", dir, bucket, prefix] => {
            // The folder's contents go under the prefix, as `aws s3 cp --recursive` puts them.
            let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            let plan = s3::plan_upload(&entries, prefix);
            let report = s3::upload_plan(&client, bucket, plan, none).await;
            fail_on(&report)?;
        }
        _ => anyhow::bail!(
            "usage: transfer_bench get BUCKET KEY FILE | put FILE BUCKET KEY | get-tree BUCKET PREFIX DIR | put-tree DIR BUCKET PREFIX"
        ),
    }
    Ok(())
}
