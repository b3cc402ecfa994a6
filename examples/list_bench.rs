//! Benchmark helper: lists every key under a prefix with keyfob's own listing code (the `aws::s3`
//! and `listing` modules the browser uses) and exits. `scripts/bench-s3` times the whole process
//! from outside (hyperfine), as it times the AWS CLI. Usage:
//!
//! `list_bench BUCKET PREFIX [--first-page] [--expect ROWS]` with the AWS environment
//! (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID …) pointing at the server. `--first-page` stops after one
//! request (as the CLI's `--no-paginate`); `--expect ROWS` fails unless that many rows were
//! listed, so a benchmark never times a short listing. Prints every key as the AWS CLI's JSON
//! does — one JSON object a line with `Key`, `LastModified`, `Size` and `StorageClass`, then each
//! folder as `{"Prefix": …}` — so the two sides of the comparison do the same output work; then
//! `rows N pages M` on stderr.
//!
//! Seeding mode: with `KEYFOB_BENCH_SEED=N` it creates the bucket and N small objects under the
//! prefix instead, 64 requests at a time.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use keyfob::aws::{AwsEnv, SourceCredentials, s3};
use std::io::Write as _;

use keyfob::listing::{Listing, STORAGE_CLASSES};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut bucket = None;
    let mut prefix = None;
    let mut first_page = false;
    let mut expect = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--first-page" => first_page = true,
            "--expect" => {
                let n = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--expect needs a number"))?;
                expect = Some(n.parse::<usize>()?);
            }
            _ if bucket.is_none() => bucket = Some(a),
            _ if prefix.is_none() => prefix = Some(a),
            _ => anyhow::bail!("unexpected argument {a:?}"),
        }
    }
    let (Some(bucket), Some(prefix)) = (bucket, prefix) else {
        anyhow::bail!("usage: list_bench BUCKET PREFIX [--first-page] [--expect ROWS]");
    };
    let env = AwsEnv::default();
    let conf = env.sdk_config(&SourceCredentials::DefaultChain, None).await;
    let creds = {
        use aws_credential_types::provider::ProvideCredentials as _;
        let c = conf
            .credentials_provider()
            .ok_or_else(|| anyhow::anyhow!("no credentials"))?
            .provide_credentials()
            .await?;
        keyfob::session::Credentials {
            access_key_id: c.access_key_id().to_owned(),
            secret_access_key: keyfob::secret::Secret::new(c.secret_access_key()),
            session_token: c.session_token().map(keyfob::secret::Secret::new),
        }
    };
    let client = s3::client(&env, &creds, None).await;
    if let Some(n) = std::env::var("KEYFOB_BENCH_SEED")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        // Seeding mode: create the bucket and `n` small objects under the prefix, 64 at a time.
        let _ = client.create_bucket().bucket(&bucket).send().await;
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n {
            let (c, b, k) = (
                client.clone(),
                bucket.clone(),
                format!("{prefix}{i:07}.json"),
            );
            set.spawn(async move {
                c.put_object()
                    .bucket(b)
                    .key(k)
                    .body(b"{}".to_vec().into())
                    .send()
                    .await
                    .map(|_| ())
            });
            if set.len() >= 64
                && let Some(r) = set.join_next().await
            {
                r??;
            }
        }
        while let Some(r) = set.join_next().await {
            r??;
        }
        println!("seeded {n}");
        return Ok(());
    }
    let mut listing = Listing::default();
    let mut token = None;
    let mut pages = 0;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    loop {
        let page = s3::list_page(&client, &bucket, &prefix, true, token.take(), None).await?;
        for f in &page.folders {
            listing.push_folder(f);
            serde_json::to_writer(&mut out, &serde_json::json!({ "Prefix": f }))?;
            out.write_all(b"\n")?;
        }
        for o in &page.objects {
            listing.push_object(&o.key, o.size, o.modified, o.class);
            let modified = std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(u64::try_from(o.modified).unwrap_or(0));
            let line = serde_json::json!({
                "Key": o.key,
                "LastModified": keyfob::session::rfc3339(modified),
                "Size": o.size,
                "StorageClass": STORAGE_CLASSES.get(usize::from(o.class)).copied().unwrap_or(""),
            });
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n")?;
        }
        pages += 1;
        token = page.next;
        if token.is_none() || first_page {
            break;
        }
    }
    out.flush()?;
    eprintln!("rows {} pages {pages}", listing.len());
    if let Some(n) = expect
        && listing.len() != n
    {
        anyhow::bail!("listed {} rows, expected {n}", listing.len());
    }
    Ok(())
}
