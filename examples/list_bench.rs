//! Benchmark helper: lists every key under a prefix with keyfob's own listing code (the module the
//! browser uses), and prints the time to the first page, the wall time, the process CPU time and
//! the rows. Usage: `list_bench BUCKET PREFIX` with the AWS environment (AWS_ENDPOINT_URL,
//! AWS_ACCESS_KEY_ID …) pointing at the server.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use keyfob::aws::{AwsEnv, SourceCredentials, s3};
use keyfob::listing::Listing;

/// User + system CPU seconds of this process so far (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(") ").next().unwrap_or("").split(' ').collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let bucket = args.next().unwrap_or_default();
    let prefix = args.next().unwrap_or_default();
    let start = Instant::now();
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
    let mut first = None;
    let mut pages = 0;
    loop {
        let page = s3::list_page(&client, &bucket, &prefix, true, token.take(), None).await?;
        for f in &page.folders {
            listing.push_folder(f);
        }
        for o in &page.objects {
            listing.push_object(&o.key, o.size, o.modified, o.class);
        }
        pages += 1;
        first.get_or_insert_with(|| start.elapsed());
        token = page.next;
        if token.is_none() {
            break;
        }
    }
    println!(
        "rows {} pages {} first_page_ms {:.1} wall_ms {:.1} cpu_ms {:.1}",
        listing.len(),
        pages,
        first.unwrap_or_default().as_secs_f64() * 1000.0,
        start.elapsed().as_secs_f64() * 1000.0,
        cpu_seconds() * 1000.0
    );
    Ok(())
}
