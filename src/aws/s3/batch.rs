//! Running a counted plan: [`FILES_AT_ONCE`] files at a time under one progress, each file's
//! failure its own. A download writes only inside the chosen folder (the plan refused unsafe
//! names; a folder on the way that is a symbolic link is not followed here), each file the checked,
//! atomic download of [`super::download`], never replacing a file that exists.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_s3::Client;

use super::Progress;
use super::change::put_marker;
use super::download::{Existing, download};
use super::tree::{Plan, PlannedFile, Skipped};
use super::upload::upload;
use crate::aws::errors::{AwsError, ErrorKind};

/// Files transferred at once in a batch.
pub const FILES_AT_ONCE: usize = 8;

/// How a batch went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Files done (folders made are not counted).
    pub done: usize,
    /// Bytes moved.
    pub bytes: u64,
    /// What failed, with why (the plan's skipped ones included).
    pub failed: Vec<Skipped>,
}

impl BatchReport {
    /// One sentence: all went well (`Ok`), or what failed and why (the first few).
    pub fn summary(&self, done_sentence: &str) -> Result<String, AwsError> {
        if self.failed.is_empty() {
            return Ok(done_sentence.to_owned());
        }
        let listed: Vec<String> = self
            .failed
            .iter()
            .take(3)
            .map(|s| format!("{}: {}", s.name, s.reason))
            .collect();
        let more = self.failed.len().saturating_sub(3);
        let more = if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        };
        Err(AwsError::new(
            ErrorKind::Other,
            format!(
                "{done_sentence}; {} left out: {}{more}",
                self.failed.len(),
                listed.join("; ")
            ),
        ))
    }
}

/// Adds each file's progress into one total for the batch.
#[derive(Clone)]
pub(super) struct Tally {
    total: Arc<AtomicU64>,
    progress: Progress,
}

impl Tally {
    pub(super) fn new(progress: Progress) -> Self {
        Self {
            total: Arc::default(),
            progress,
        }
    }

    /// A progress for one file: its reports (bytes of that file) become increments of the total.
    pub(super) fn for_file(&self) -> Progress {
        let (total, progress) = (Arc::clone(&self.total), Arc::clone(&self.progress));
        let last = AtomicU64::new(0);
        Arc::new(move |done| {
            let before = last.swap(done, Ordering::SeqCst);
            let now = total.fetch_add(done.saturating_sub(before), Ordering::SeqCst)
                + done.saturating_sub(before);
            progress(now);
        })
    }
}

/// What a batch calls a file in its report.
pub(super) trait Named {
    fn name(&self) -> String;
}

impl Named for PlannedFile {
    fn name(&self) -> String {
        self.key.clone()
    }
}

/// Runs `run` on every file, [`FILES_AT_ONCE`] at a time; a failure is the file's own and the
/// others go on. The files run inside this one future (not as spawned tasks), so dropping it
/// stops and cleans up every file before the drop returns: a cancelled batch leaves no partial
/// file by the time its stop is reported.
/// `failed` holds what failed before the files ran (skipped names, folders); it is reported first.
pub(super) async fn in_parallel<T, F, Fut>(
    files: Vec<T>,
    failed: Vec<Skipped>,
    run: F,
) -> BatchReport
where
    T: Named + Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<u64, AwsError>> + Send + 'static,
{
    let queue = Arc::new(Mutex::new(VecDeque::from(files)));
    let mut workers: Vec<std::pin::Pin<Box<dyn Future<Output = BatchReport> + Send>>> = (0
        ..FILES_AT_ONCE)
        .map(|_| {
            let (queue, run) = (Arc::clone(&queue), run.clone());
            let worker = async move {
                let mut report = BatchReport::default();
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .pop_front();
                    let Some(file) = next else { return report };
                    let name = file.name();
                    match run(file).await {
                        Ok(n) => {
                            report.done += 1;
                            report.bytes += n;
                        }
                        Err(e) => report.failed.push(Skipped {
                            name,
                            reason: e.message,
                        }),
                    }
                }
            };
            Box::pin(worker) as std::pin::Pin<Box<dyn Future<Output = BatchReport> + Send>>
        })
        .collect();
    let mut all = BatchReport {
        failed,
        ..BatchReport::default()
    };
    std::future::poll_fn(|cx| {
        workers.retain_mut(|w| match w.as_mut().poll(cx) {
            std::task::Poll::Ready(r) => {
                all.done += r.done;
                all.bytes += r.bytes;
                all.failed.extend(r.failed);
                false
            }
            std::task::Poll::Pending => true,
        });
        if workers.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    all
}

/// Makes the folders of `rel` under `root`, refusing any that exists as something other than a
/// real folder (a symbolic link would lead outside `root`).
pub(super) fn make_dirs(root: &Path, rel: &Path) -> Result<(), String> {
    let mut at = root.to_owned();
    for part in rel.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(format!(
                    "{} is in the way (not a folder, or a link keyfob does not follow)",
                    at.display()
                ));
            }
            Err(_) => match std::fs::create_dir(&at) {
                Ok(()) => {}
                // Made meanwhile by another file of the batch: checked again.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_dir()) {
                        return Err(format!("{} is in the way", at.display()));
                    }
                }
                Err(e) => return Err(format!("cannot create {}: {e}", at.display())),
            },
        }
    }
    Ok(())
}

/// Downloads a plan into the folder `into` (which must exist): its folders, then its files, each
/// checked and atomic, never replacing a file. Returns how it went; the plan's skipped names are
/// reported as failed.
pub async fn download_plan(
    client: &Client,
    bucket: &str,
    plan: Plan,
    into: &Path,
    progress: Progress,
) -> BatchReport {
    let tally = Tally::new(progress);
    let mut failed = plan.skipped;
    for f in &plan.folders {
        if let Err(reason) = make_dirs(into, &f.path) {
            failed.push(Skipped {
                name: f.key.clone(),
                reason,
            });
        }
    }
    let (client, bucket, into) = (client.clone(), bucket.to_owned(), into.to_owned());
    in_parallel(plan.files, failed, move |f: PlannedFile| {
        let (client, bucket, into, progress) = (
            client.clone(),
            bucket.clone(),
            into.clone(),
            tally.for_file(),
        );
        async move {
            if let Some(parent) = f.path.parent() {
                make_dirs(&into, parent).map_err(|r| AwsError::new(ErrorKind::Invalid, r))?;
            }
            let dest = into.join(&f.path);
            download(&client, &bucket, &f.key, &dest, Existing::Refuse, progress).await
        }
    })
    .await
}

/// Uploads a plan: its empty folders as markers, then its files (multipart when large). Returns
/// how it went; the plan's skipped names are reported as failed.
pub async fn upload_plan(
    client: &Client,
    bucket: &str,
    plan: Plan,
    progress: Progress,
) -> BatchReport {
    let tally = Tally::new(progress);
    let mut failed = plan.skipped;
    for f in &plan.folders {
        if let Err(e) = put_marker(client, bucket, &f.key).await {
            failed.push(Skipped {
                name: f.key.clone(),
                reason: e.message,
            });
        }
    }
    let (client, bucket) = (client.clone(), bucket.to_owned());
    in_parallel(plan.files, failed, move |f: PlannedFile| {
        let (client, bucket, progress) = (client.clone(), bucket.clone(), tally.for_file());
        async move { upload(&client, &bucket, &f.key, &f.path, progress).await }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_on_the_way_must_be_real_folders() {
        let dir = tempfile::tempdir().expect("tempdir");
        make_dirs(dir.path(), Path::new("a/b")).expect("made");
        assert!(dir.path().join("a/b").is_dir());
        std::fs::write(dir.path().join("f"), "").expect("write");
        assert!(make_dirs(dir.path(), Path::new("f/g")).is_err());
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().expect("tempdir");
            std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).expect("symlink");
            let err = make_dirs(dir.path(), Path::new("out/x")).expect_err("a link is refused");
            assert!(err.contains("link"), "{err}");
            assert!(!outside.path().join("x").exists());
        }
    }
}
