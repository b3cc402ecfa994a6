//! Downloads and uploads: each file a cancellable job holding its credentials' lease, reporting its
//! start, throttled progress and end as transfer events.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{At, Task};
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::s3::{self, Store};
use crate::message::{BrowseEvent, Event, RequestId, TransferUpdate, next_id};
use crate::session::{EXPIRED_SENTENCE, signed_out_sentence};
use crate::worker::jobs::{JobKind, Jobs, Stop};
use crate::worker::lease::Lease;
use crate::worker::ports::FileDialogs;
use crate::worker::ports::Send_;

/// Progress events at most this often per transfer (the UI repaints on each).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Downloads objects, each as a transfer of its own, into `target` or where the save dialog says.
pub(super) async fn download(t: Task, at: At, items: Vec<(String, u64)>, target: Option<PathBuf>) {
    // A file chosen in the save dialog (one object) was confirmed there if it exists; anything
    // else is never replaced.
    let single = items.len() == 1;
    let (target, existing) = match target {
        Some(t) => (t, s3::Existing::Refuse),
        None => match ask_download_target(t.dialogs.as_ref(), &items).await {
            Some(t) if single => (t, s3::Existing::Replace),
            Some(t) => (t, s3::Existing::Refuse),
            None => return, // the dialog was closed
        },
    };
    // `client` refuses a session that ended while the dialog was open.
    let client = match t.client(&at).await {
        Ok(c) => c,
        Err(e) => {
            report_failure(&t.send, &format!("Downloading from {}", at.bucket), e);
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
        let (client, bucket) = (client.clone(), at.bucket.clone());
        let kept = Kept::new(&t, &client);
        let keep = kept.as_ref().map(|k| k.keep(&at));
        start_transfer(
            &t.jobs,
            next_id(),
            &at.lease,
            &t.send,
            (format!("Downloading {name}"), Some(size)),
            kept,
            move |progress| async move {
                let obj = s3::Object::current(&bucket, &key);
                match keep {
                    Some(keep) => {
                        s3::download_resumable(&client, obj, &dest, existing, progress, &keep).await
                    }
                    None => s3::download_object(&client, obj, &dest, existing, progress).await,
                }
                .map(|n| format!("Saved {} ({n} bytes, checked)", dest.display()))
            },
        );
    }
}

/// Uploads files into the folder `prefix`, each as a transfer of its own; `None` asks which.
pub(super) async fn upload(t: Task, at: At, prefix: String, files: Option<Vec<PathBuf>>) {
    let files = match files {
        Some(f) => f,
        None => match t.dialogs.pick_files().await {
            Some(f) => f,
            None => return, // the dialog was closed
        },
    };
    // `client` refuses a session that ended while the dialog was open.
    let client = match t.client(&at).await {
        Ok(c) => c,
        Err(e) => {
            report_failure(&t.send, &format!("Uploading to {}", at.bucket), e);
            return;
        }
    };
    for path in files {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let key = format!("{prefix}{name}");
        let size = std::fs::metadata(&path).ok().map(|m| m.len());
        let (client, bucket) = (client.clone(), at.bucket.clone());
        let kept = Kept::new(&t, &client);
        let keep = kept.as_ref().map(|k| k.keep(&at));
        start_transfer(
            &t.jobs,
            next_id(),
            &at.lease,
            &t.send,
            (format!("Uploading {name}"), size),
            kept,
            move |progress| async move {
                match keep {
                    Some(keep) => {
                        s3::upload_resumable(&client, &bucket, &key, &path, progress, &keep).await
                    }
                    None => s3::upload(&client, &bucket, &key, &path, progress).await,
                }
                .map(|n| format!("Uploaded {key} ({n} bytes)"))
            },
        );
    }
}

/// Asks where to save: a file for one object, a folder for several.
async fn ask_download_target(
    dialogs: &dyn FileDialogs,
    items: &[(String, u64)],
) -> Option<PathBuf> {
    if let [(key, _)] = items {
        dialogs.save_file(file_name_of(key)).await
    } else {
        dialogs.pick_folder().await
    }
}

pub(super) fn report_failure(send: &Send_, label: &str, error: AwsError) {
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

/// A resumable transfer's record and the client to discard it with.
#[derive(Clone)]
pub(super) struct Kept {
    pub(super) store: Arc<Store>,
    /// The record's id.
    pub(super) id: String,
    pub(super) client: aws_sdk_s3::Client,
}

impl Kept {
    /// A new record for a transfer of `at`, where transfers are kept.
    pub(super) fn new(t: &Task, client: &aws_sdk_s3::Client) -> Option<Self> {
        Some(Self {
            store: Arc::clone(t.transfers.as_ref()?),
            id: Store::new_id(),
            client: client.clone(),
        })
    }

    /// What the transfer functions write into the record.
    pub(super) fn keep(&self, at: &At) -> s3::Keep {
        s3::Keep {
            store: Arc::clone(&self.store),
            id: self.id.clone(),
            session: at.lease.name().to_owned(),
            region: at.region.clone(),
        }
    }

    /// How far the transfer got, when it has a record: "42 %".
    fn share_done(&self) -> Option<String> {
        let r = self.store.load(&self.id)?;
        Some(format!(
            "{} %",
            r.done().saturating_mul(100) / r.total.max(1)
        ))
    }
}

/// Sends the interrupted transfers as they are now.
pub(super) fn send_interrupted(send: &Send_, store: &Store) {
    send(Event::Browse(BrowseEvent::Interrupted(store.interrupted())));
}

/// Runs one transfer as a cancellable job `id` holding `lease`, that reports its start
/// (`(label, total)`), throttled progress and end. A `kept` (resumable) transfer stopped by the
/// end of its session, or failed, keeps its record and the interrupted list is sent again; the
/// user's Cancel discards it.
pub(super) fn start_transfer<F, Fut>(
    jobs: &Jobs,
    id: RequestId,
    lease: &Lease,
    send: &Send_,
    (label, total): (String, Option<u64>),
    kept: Option<Kept>,
    run: F,
) where
    F: FnOnce(s3::Progress) -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AwsError>> + Send + 'static,
{
    send(Event::Browse(BrowseEvent::Transfer {
        id,
        update: TransferUpdate::Started { label, total },
    }));
    // The first report always goes out (the bar moves at once), later ones at most every
    // PROGRESS_EVERY.
    let every = crate::clock::Throttle::new(PROGRESS_EVERY);
    let progress: s3::Progress = {
        let send = Arc::clone(send);
        Arc::new(move |done| {
            if every.ready() {
                send(Event::Browse(BrowseEvent::Transfer {
                    id,
                    update: TransferUpdate::Progress(done),
                }));
            }
        })
    };
    let send = Arc::clone(send);
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let registry = jobs.clone();
    let kept_after = kept.clone();
    if let Some(k) = &kept {
        k.store.set_running(&k.id, true);
    }
    let on_stop = stopper(
        Arc::clone(&send),
        id,
        lease.name().to_owned(),
        kept,
        rt.clone(),
    );
    let task = async move {
        let result = run(progress).await;
        // Out of the registry before the end is reported: a Cancel now finds nothing to stop.
        registry.finished(id);
        send(Event::Browse(BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(result),
        }));
        if let Some(k) = kept_after {
            k.store.set_running(&k.id, false);
            send_interrupted(&send, &k.store);
        }
    };
    jobs.spawn(
        &rt,
        id,
        JobKind::Transfer,
        Some(lease.clone()),
        task,
        on_stop,
    );
}

/// What a transfer does when stopped: says why (and how far a resumable one got, or that
/// nothing partial was left), and discards a resumable one the user cancelled.
fn stopper(
    stopped: Send_,
    id: RequestId,
    session: String,
    kept: Option<Kept>,
    spawner: tokio::runtime::Handle,
) -> impl FnOnce(Stop) + Send + 'static {
    move |why| {
        // How far a resumable transfer got; what an ended one left behind otherwise (the expiry
        // sentence stays as the browser shows it everywhere).
        let resumes = kept.as_ref().and_then(Kept::share_done);
        let ended = |kind, sentence: String, otherwise: Option<&str>| {
            let rest = match (&resumes, otherwise) {
                (Some(done), _) => Some(format!("it resumes from {done} when you sign in again")),
                (None, Some(o)) => Some(o.to_owned()),
                (None, None) => None,
            };
            AwsError::new(
                kind,
                rest.map_or_else(|| sentence.clone(), |r| format!("{sentence}; {r}")),
            )
        };
        let error = match why {
            Stop::Expired => ended(ErrorKind::Expired, EXPIRED_SENTENCE.to_owned(), None),
            Stop::SignedOut => ended(
                ErrorKind::Other,
                signed_out_sentence(&session),
                Some("no partial file was left behind"),
            ),
            Stop::Cancelled | Stop::Replaced => AwsError::new(
                ErrorKind::Other,
                "Cancelled: no partial file was left behind",
            ),
        };
        stopped(Event::Browse(BrowseEvent::Transfer {
            id,
            update: TransferUpdate::Finished(Err(error)),
        }));
        let Some(k) = kept else { return };
        k.store.set_running(&k.id, false);
        if matches!(why, Stop::Cancelled | Stop::Replaced) {
            spawner.spawn(async move {
                if let Some(record) = k.store.load(&k.id) {
                    s3::discard(Some(&k.client), &k.store, &record).await;
                }
                k.store.forget(&k.id);
                send_interrupted(&stopped, &k.store);
            });
        } else {
            send_interrupted(&stopped, &k.store);
        }
    }
}

/// The file name a key downloads to.
#[must_use]
pub fn file_name_of(key: &str) -> &str {
    Path::new(key.trim_end_matches('/'))
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("download")
}
