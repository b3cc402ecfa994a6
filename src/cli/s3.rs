//! `keyfob s3 sync`: a folder and an S3 prefix compared, the plan printed, then (asked, or with
//! `--yes`) run with the session of a profile, as the window's sync does.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use super::{Ask, Ctx, FAILED, OK};
use crate::aws::s3;
use crate::aws::s3::location::{self, S3Location};
use crate::aws::s3::sync::{self, Action, Compare, Direction, Spec, SyncPlan};
use crate::listing::human_size;

/// How `keyfob s3 sync` runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncOptions {
    /// Compare by content instead of size and time.
    pub checksum: bool,
    /// Delete what is only at the destination.
    pub delete: bool,
    /// Print the plan and stop.
    pub dry_run: bool,
    /// Run without asking.
    pub yes: bool,
}

/// Which end is which, from the two arguments: exactly one is an `s3://` location.
fn ends(src: &str, dst: &str) -> Result<(Direction, PathBuf, S3Location), String> {
    let is_s3 = |s: &str| s.starts_with("s3://");
    match (is_s3(src), is_s3(dst)) {
        (false, true) => Ok((Direction::Upload, PathBuf::from(src), location::parse(dst)?)),
        (true, false) => Ok((Direction::Download, PathBuf::from(dst), location::parse(src)?)),
        (true, true) => Err("one end must be a folder on this computer; copying from bucket to bucket is not offered".into()),
        (false, false) => Err("one end must be an S3 location such as s3://bucket/folder/".into()),
    }
}

/// The plan as lines: one per path that differs, then the sentence.
pub fn print_plan(plan: &SyncPlan, out: &mut dyn Write) {
    for item in &plan.items {
        say!(
            out,
            "{:<8} {}  ({})",
            item.action.word(),
            item.rel,
            item.why
        );
    }
    for s in &plan.skipped {
        say!(out, "{:<8} {}  ({})", "left out", s.name, s.reason);
    }
    say!(out, "{}", plan.summary());
}

/// `keyfob s3 sync SRC DST`: compares, prints the plan, asks on `ask` (a terminal; unless
/// `--yes`, and never without one), runs. Exit code 0 when every file went, 1 otherwise.
pub async fn sync(
    ctx: &Ctx,
    profile: &str,
    (src, dst): (&str, &str),
    options: SyncOptions,
    ask: Option<&mut dyn BufRead>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let (direction, local, at) = match ends(src, dst) {
        Ok(e) => e,
        Err(why) => {
            say!(err, "keyfob: {why}");
            return FAILED;
        }
    };
    // Refused before any keyring or AWS call.
    if let Err(e) = sync::local_root(&local, direction) {
        say!(err, "keyfob: {}", e.message);
        return FAILED;
    }
    let Some(session) = ctx.session_for_tool(profile, Ask::Person, err).await else {
        return FAILED;
    };
    let client = match client_for(ctx, &session, profile, &at.bucket).await {
        Ok(c) => c,
        Err(e) => {
            say!(err, "keyfob: {}", e.message);
            return FAILED;
        }
    };
    let spec = Spec {
        local,
        bucket: at.bucket,
        prefix: at.prefix,
        direction,
        compare: if options.checksum {
            Compare::Checksum
        } else {
            Compare::SizeAndTime
        },
        delete: options.delete,
    };
    let plan = match sync::plan(&client, spec, &|_| {}).await {
        Ok(p) => p,
        Err(e) => {
            say!(err, "keyfob: {}", e.message);
            return FAILED;
        }
    };
    print_plan(&plan, out);
    if options.dry_run || plan.is_empty() {
        return OK;
    }
    let interactive = ask.is_some();
    if !options.yes && !agreed(ask, out, err) {
        // A person's no is an answer; no terminal to ask is a failure.
        return if interactive { OK } else { FAILED };
    }
    let deletes: std::collections::HashSet<String> = plan
        .items
        .iter()
        .filter(|i| i.action == Action::Delete)
        .map(|i| i.rel.clone())
        .collect();
    let total = plan.bytes();
    let report = sync::run(&client, plan, progress_line(total)).await;
    let deleted = deletes.len()
        - report
            .failed
            .iter()
            .filter(|f| deletes.contains(&f.name))
            .count();
    for f in &report.failed {
        say!(err, "failed   {}  ({})", f.name, f.reason);
    }
    say!(
        out,
        "Copied {} files ({}), deleted {deleted}; {} failed",
        report.done.saturating_sub(deleted),
        human_size(report.bytes),
        report.failed.len()
    );
    if report.failed.is_empty() { OK } else { FAILED }
}

/// On a terminal, the bytes copied so far on one line of stderr, at most five times a second
/// (elsewhere nothing: a log gets the plan and the outcome only).
fn progress_line(total: u64) -> s3::Progress {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return std::sync::Arc::new(|_| {});
    }
    let every = crate::clock::Throttle::new(std::time::Duration::from_millis(200));
    std::sync::Arc::new(move |done| {
        // The last report always shows.
        if !every.ready() && done < total {
            return;
        }
        let line = format!("\rCopied {} of {}   ", human_size(done), human_size(total));
        let _ = std::io::stderr().write_all(line.as_bytes());
        if done >= total {
            let _ = std::io::stderr().write_all(b"\n");
        }
    })
}

/// A client for the bucket's own region (found with the session's), with the profile's S3
/// settings (an S3-compatible endpoint, path-style addressing, checksums).
async fn client_for(
    ctx: &Ctx,
    session: &crate::session::Session,
    profile: &str,
    bucket: &str,
) -> Result<aws_sdk_s3::Client, crate::aws::errors::AwsError> {
    let creds = &session.credentials;
    let probe = s3::client_in(&ctx.env, creds, session.region.as_deref(), Some(profile)).await;
    let region = s3::bucket_region(&probe, bucket).await?;
    Ok(if Some(region.as_str()) == session.region.as_deref() {
        probe
    } else {
        s3::client_in(&ctx.env, creds, Some(&region), Some(profile)).await
    })
}

/// Whether the person at the terminal says yes; with no terminal, says how to go ahead and no.
fn agreed(ask: Option<&mut dyn BufRead>, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let Some(input) = ask else {
        say!(
            err,
            "keyfob: nothing was changed; pass --yes to run the sync without asking, or --dry-run to only see the plan"
        );
        return false;
    };
    let _ = write!(out, "Go ahead? [y/N] ");
    let _ = out.flush();
    let mut answer = String::new();
    if input.read_line(&mut answer).is_err() || !answer.trim().eq_ignore_ascii_case("y") {
        say!(out, "Nothing was changed.");
        return false;
    }
    true
}
