//! The worker's S3 side: runs the browser's commands on the runtime, streams a folder page by page
//! (each page an event, so the first is on screen after one round trip), finds bucket regions,
//! and runs downloads and uploads as cancellable tasks with progress. File dialogs (rfd) open
//! here, off the UI thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::aws::AwsEnv;
use crate::aws::errors::AwsError;
use crate::aws::s3;
use crate::message::{BrowseEvent, Command, Event, TransferUpdate, next_id};
use crate::session::Credentials;
use crate::worker::{Tasks, lock};

/// Progress events at most this often per transfer (the UI repaints on each).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Runs one browser command.
pub(crate) fn dispatch(
    rt: &Runtime,
    env: &Arc<AwsEnv>,
    command: Command,
    send: &(impl Fn(Event) + Clone + Send + Sync + 'static),
    tasks: &Tasks,
) {
    let env = Arc::clone(env);
    let send = send.clone();
    match command {
        Command::ListBuckets { id, creds } => {
            rt.spawn(async move {
                let client = s3::client(&env, &creds, None).await;
                let result = s3::list_buckets(&client).await;
                send(Event::Browse(BrowseEvent::Buckets { id, result }));
            });
        }
        Command::ListObjects {
            id,
            creds,
            bucket,
            region,
            prefix,
            delimiter,
            token,
            page_size,
        } => {
            let tasks2 = Arc::clone(tasks);
            let task = rt.spawn(async move {
                let result = async {
                    let client = client_for(&env, &creds, &bucket, region, &send).await?;
                    let mut token = token;
                    loop {
                        let page = s3::list_page(
                            &client,
                            &bucket,
                            &prefix,
                            delimiter,
                            token.take(),
                            page_size,
                        )
                        .await?;
                        token.clone_from(&page.next);
                        let last = page.next.is_none();
                        send(Event::Browse(BrowseEvent::Page { id, page }));
                        if last {
                            return Ok(());
                        }
                    }
                }
                .await;
                lock(&tasks2).remove(&id);
                if let Err(error) = result {
                    send(Event::Browse(BrowseEvent::ListFailed { id, error }));
                }
            });
            lock(tasks).insert(id, (task.abort_handle(), false));
        }
        Command::HeadObject {
            id,
            creds,
            bucket,
            region,
            key,
        } => {
            rt.spawn(async move {
                let result = async {
                    let client = client_for(&env, &creds, &bucket, region, &send).await?;
                    s3::head_object(&client, &bucket, &key).await
                }
                .await;
                send(Event::Browse(BrowseEvent::Details { id, result }));
            });
        }
        Command::Presign {
            creds,
            bucket,
            region,
            key,
            wanted,
            session_left,
        } => {
            rt.spawn(async move {
                let result = async {
                    let client = client_for(&env, &creds, &bucket, region, &send).await?;
                    s3::presign_get(&client, &bucket, &key, wanted, session_left).await
                }
                .await
                .map(|(url, valid)| (url, valid, wanted));
                send(Event::Browse(BrowseEvent::Presigned(result)));
            });
        }
        Command::Download {
            creds,
            bucket,
            region,
            items,
            target,
        } => {
            let tasks = Arc::clone(tasks);
            rt.spawn(async move {
                // A file chosen in the save dialog (one object) was confirmed there if it
                // exists; anything else is never replaced.
                let single = items.len() == 1;
                let (target, existing) = match target {
                    Some(t) => (t, s3::Existing::Refuse),
                    None => match ask_download_target(&items).await {
                        Some(t) if single => (t, s3::Existing::Replace),
                        Some(t) => (t, s3::Existing::Refuse),
                        None => return, // the dialog was closed
                    },
                };
                let client = match client_for(&env, &creds, &bucket, region, &send).await {
                    Ok(c) => c,
                    Err(e) => {
                        report_failure(&send, &format!("Downloading from {bucket}"), e);
                        return;
                    }
                };
                for (key, size) in items {
                    let name = file_name_of(&key).to_owned();
                    let dest = if single {
                        target.clone()
                    } else {
                        target.join(&name)
                    };
                    let (client, bucket) = (client.clone(), bucket.clone());
                    start_transfer(
                        &tasks,
                        &send,
                        format!("Downloading {name}"),
                        Some(size),
                        move |progress| async move {
                            s3::download(&client, &bucket, &key, &dest, existing, progress)
                                .await
                                .map(|n| format!("Saved {} ({n} bytes, checked)", dest.display()))
                        },
                    );
                }
            });
        }
        Command::Upload {
            creds,
            bucket,
            region,
            prefix,
            files,
        } => {
            let tasks = Arc::clone(tasks);
            rt.spawn(async move {
                let files = match files {
                    Some(f) => f,
                    None => match rfd::AsyncFileDialog::new()
                        .set_title("Upload into S3")
                        .pick_files()
                        .await
                    {
                        Some(h) => h.into_iter().map(|h| h.path().to_path_buf()).collect(),
                        None => return,
                    },
                };
                let client = match client_for(&env, &creds, &bucket, region, &send).await {
                    Ok(c) => c,
                    Err(e) => {
                        report_failure(&send, &format!("Uploading to {bucket}"), e);
                        return;
                    }
                };
                for path in files {
                    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned())
                    else {
                        continue;
                    };
                    let key = format!("{prefix}{name}");
                    let size = std::fs::metadata(&path).ok().map(|m| m.len());
                    let (client, bucket) = (client.clone(), bucket.clone());
                    start_transfer(
                        &tasks,
                        &send,
                        format!("Uploading {name}"),
                        size,
                        move |progress| async move {
                            s3::upload(&client, &bucket, &key, &path, progress)
                                .await
                                .map(|n| format!("Uploaded {key} ({n} bytes)"))
                        },
                    );
                }
            });
        }
        _ => {}
    }
}

/// An S3 client for the bucket's region, finding (and reporting) the region first when unknown.
async fn client_for(
    env: &AwsEnv,
    creds: &Credentials,
    bucket: &str,
    region: Option<String>,
    send: &impl Fn(Event),
) -> Result<aws_sdk_s3::Client, AwsError> {
    let region = match region {
        Some(r) => r,
        None => {
            let probe = s3::client(env, creds, None).await;
            let r = s3::bucket_region(&probe, bucket).await?;
            send(Event::Browse(BrowseEvent::Region {
                bucket: bucket.to_owned(),
                region: r.clone(),
            }));
            r
        }
    };
    Ok(s3::client(env, creds, Some(&region)).await)
}

/// Asks where to save: a file for one object, a folder for several.
async fn ask_download_target(items: &[(String, u64)]) -> Option<PathBuf> {
    if let [(key, _)] = items {
        let name = file_name_of(key);
        rfd::AsyncFileDialog::new()
            .set_title("Save the object as")
            .set_file_name(name)
            .save_file()
            .await
            .map(|h| h.path().to_path_buf())
    } else {
        rfd::AsyncFileDialog::new()
            .set_title("Download the objects into")
            .pick_folder()
            .await
            .map(|h| h.path().to_path_buf())
    }
}

fn report_failure(send: &impl Fn(Event), label: &str, error: AwsError) {
    let id = next_id();
    send(Event::Browse(BrowseEvent::Transfer {
        id,
        update: TransferUpdate::Started {
            label: label.to_owned(),
            total: None,
        },
    }));
    send(Event::Browse(BrowseEvent::Transfer {
        id,
        update: TransferUpdate::Finished(Err(error)),
    }));
}

/// Runs one transfer as a cancellable task that reports its start, throttled progress and end.
fn start_transfer<F, Fut>(
    tasks: &Tasks,
    send: &(impl Fn(Event) + Clone + Send + Sync + 'static),
    label: String,
    total: Option<u64>,
    run: F,
) where
    F: FnOnce(s3::Progress) -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AwsError>> + Send + 'static,
{
    let id = next_id();
    send(Event::Browse(BrowseEvent::Transfer {
        id,
        update: TransferUpdate::Started { label, total },
    }));
    // The first report always goes out (the bar moves at once), later ones at most every
    // PROGRESS_EVERY.
    let last: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let progress: s3::Progress = {
        let send = send.clone();
        Arc::new(move |done| {
            let mut at = last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if at.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                *at = Some(Instant::now());
                send(Event::Browse(BrowseEvent::Transfer {
                    id,
                    update: TransferUpdate::Progress(done),
                }));
            }
        })
    };
    let send = send.clone();
    let tasks2 = Arc::clone(tasks);
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let task = rt.spawn(async move {
        let result = run(progress).await;
        lock(&tasks2).remove(&id);
        if let Ok(text) = &result {
            tracing::info!("{text}");
        }
        send(Event::Browse(BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(result),
        }));
    });
    lock(tasks).insert(id, (task.abort_handle(), true));
}

/// The file name a key downloads to.
#[must_use]
pub fn file_name_of(key: &str) -> &str {
    Path::new(key.trim_end_matches('/'))
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("download")
}
