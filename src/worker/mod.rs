//! The tokio side of the one-way flow: receives [`Command`]s, runs them against AWS (or the
//! clipboard) on a runtime of its own, sends [`Event`]s back and wakes the UI. Every cancellable
//! task is a job in [`jobs::Jobs`]; the [`supervisor`] watches the sessions on timers.

pub mod jobs;
mod ports;
mod s3;
pub mod supervisor;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use tokio::runtime::Runtime;

use std::time::SystemTime;

use crate::clock::Clock;
use jobs::{JobKind, Jobs};
pub use ports::{
    Answer, ClipboardFactory, FileDialogs, NativeDialogs, NoClipboard, NoDialogs, Ports, Waker,
};
pub use s3::file_name_of;

use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::{AwsEnv, SourceCredentials, profiles, sts};
use crate::clipboard;
use crate::credfile::{CredFile, Edit};
use crate::keystore::{self, Keystore, KeystoreError, LongTermKey};
use crate::message::{Command, Event};

/// The UI's ends of the channels to a running worker.
#[derive(Debug)]
pub struct Channels {
    /// Commands to the worker.
    pub commands: Sender<Command>,
    /// Events from the worker.
    pub events: Receiver<Event>,
}

/// Starts the worker on its own thread with its own tokio runtime. It stops when the command
/// sender is dropped. `ports.clock` decides when sessions have ended.
pub fn spawn(
    env: AwsEnv,
    keystore: Result<Keystore, KeystoreError>,
    ports: Ports,
) -> std::io::Result<Channels> {
    let Ports {
        waker,
        clipboard,
        clock,
        dialogs,
    } = ports;
    let (cmd_tx, cmd_rx) = std::sync::mpsc::channel::<Command>();
    let (ev_tx, ev_rx) = std::sync::mpsc::channel::<Event>();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("keyfob-worker")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("keyfob-dispatch".to_owned())
        .spawn(move || {
            let send = sender(&ev_tx, &waker);
            let jobs = Jobs::default();
            let (watch_tx, watch_rx) = tokio::sync::mpsc::unbounded_channel();
            let fx = Arc::new(WorkerEffects {
                send: send.clone(),
                jobs: jobs.clone(),
                clipboard,
                waker,
                rt: runtime.handle().clone(),
            });
            runtime.spawn(supervisor::run(watch_rx, Arc::clone(&clock), fx));
            let ctx = Ctx {
                env: Arc::new(env),
                lane: Lane::start(keystore),
                jobs,
                clock,
                dialogs,
                watch: watch_tx,
            };
            dispatch(&runtime, &ctx, &cmd_rx, &send);
        })?;
    Ok(Channels {
        commands: cmd_tx,
        events: ev_rx,
    })
}

/// What every task may need.
struct Ctx {
    env: Arc<AwsEnv>,
    lane: Lane,
    jobs: Jobs,
    clock: Clock,
    dialogs: Arc<dyn FileDialogs>,
    watch: tokio::sync::mpsc::UnboundedSender<supervisor::Watch>,
}

/// Sends an event to the UI and wakes it; a closed window is not an error.
pub(crate) type Send_ = Arc<dyn Fn(Event) + Send + Sync>;

fn sender(events: &Sender<Event>, waker: &Waker) -> Send_ {
    let events = events.clone();
    let waker = Arc::clone(waker);
    Arc::new(move |event: Event| {
        if events.send(event).is_ok() {
            waker();
        }
    })
}

/// How the supervisor acts: notifications, stopping an ended session's jobs, the clipboard and
/// the UI's wake-ups.
struct WorkerEffects {
    send: Send_,
    jobs: Jobs,
    clipboard: ClipboardFactory,
    waker: Waker,
    rt: tokio::runtime::Handle,
}

impl supervisor::Effects for WorkerEffects {
    fn notify(&self, summary: String, body: String) {
        self.rt
            .spawn_blocking(move || show_notification(&summary, &body));
    }

    fn expired(&self, name: &str) {
        // Each stopped job reports its own end (see `s3`), after its clean-up.
        for (id, kind) in self.jobs.cancel_session(name) {
            tracing::info!(id, ?kind, "stopped at the end of session {name}");
        }
        (self.waker)();
    }

    fn clear_clipboard(&self, fingerprint: u64) {
        let send = Arc::clone(&self.send);
        let make = Arc::clone(&self.clipboard);
        self.rt.spawn_blocking(move || {
            let cleared = clipboard::clear_if_ours(make().as_mut(), fingerprint);
            send(Event::ClipboardChecked { cleared });
        });
    }

    fn wake(&self) {
        (self.waker)();
    }
}

fn show_notification(summary: &str, body: &str) {
    let shown = notify_rust::Notification::new()
        .appname("keyfob")
        .summary(summary)
        .body(body)
        .icon(crate::APP_ID)
        .show();
    if let Err(e) = shown {
        // No notification daemon is not worth more than a log line.
        tracing::info!("desktop notification not shown: {e}");
    }
}

/// A keyring job: runs with the keystore, or the reason there is none.
type Job = Box<dyn FnOnce(Result<&Keystore, &KeystoreError>) + Send>;

/// The one thread that talks to the keyring. Jobs run in the order they were sent, so a sign-out
/// that follows a sign-in always deletes what the sign-in stored; the Secret Service calls block,
/// and block only this thread.
#[derive(Clone)]
struct Lane(Sender<Job>);

impl Lane {
    fn start(keystore: Result<Keystore, KeystoreError>) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("keyfob-keyring".to_owned())
            .spawn(move || {
                for job in rx {
                    job(keystore.as_ref());
                }
            });
        if let Err(e) = spawned {
            tracing::error!("the keyring thread could not start: {e}");
        }
        Self(tx)
    }

    /// Queues `job`.
    fn run(&self, job: impl FnOnce(Result<&Keystore, &KeystoreError>) + Send + 'static) {
        if self.0.send(Box::new(job)).is_err() {
            tracing::error!("the keyring thread has stopped");
        }
    }

    /// Queues `job` and waits (asynchronously) for its answer.
    async fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(Result<&Keystore, &KeystoreError>) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.run(move |k| {
            let _ = tx.send(job(k));
        });
        rx.await.ok()
    }
}

#[allow(clippy::too_many_lines)] // one arm per command
fn dispatch(rt: &Runtime, ctx: &Ctx, commands: &Receiver<Command>, send: &Send_) {
    let env = Arc::clone(&ctx.env);
    for command in commands {
        tracing::debug!(?command, "command");
        match command {
            Command::LoadProfiles => {
                let env = Arc::clone(&env);
                let send = send.clone();
                rt.spawn(async move {
                    send(Event::Profiles(profiles::load(&env.profile_files).await));
                });
            }
            Command::SignIn { id, mut request } => {
                let env = Arc::clone(&env);
                let send = send.clone();
                let lane = ctx.lane.clone();
                ctx.jobs.spawn(
                    rt.handle(),
                    id,
                    JobKind::SignIn,
                    None,
                    async move {
                        let result = async {
                            if matches!(request.source, SourceCredentials::Keyring(_)) {
                                let source = request.source.clone();
                                request.source = lane
                                    .call(move |k| keystore::resolve_source(k.ok(), &source))
                                    .await
                                    .ok_or_else(|| {
                                        AwsError::new(
                                            ErrorKind::Other,
                                            "the keyring thread stopped",
                                        )
                                    })??;
                            }
                            sts::sign_in(&env, &request).await.map(Box::new)
                        }
                        .await;
                        send(Event::SignedIn { id, result });
                    },
                    |_| {},
                );
            }
            Command::DetectMfa { id, source, region } => {
                let env = Arc::clone(&env);
                let send = send.clone();
                ctx.jobs.spawn(
                    rt.handle(),
                    id,
                    JobKind::Detect,
                    None,
                    async move {
                        let result = sts::detect_mfa(&env, &source, region.as_deref()).await;
                        send(Event::MfaDetected { id, result });
                    },
                    |_| {},
                );
            }
            Command::LoadCache => {
                let send = send.clone();
                ctx.lane.run(move |k| {
                    send(Event::Cache(match k {
                        Ok(k) => k.load_all(),
                        Err(e) => Err(e.clone()),
                    }));
                });
            }
            Command::CacheSession { session } => {
                with_keystore(ctx, send, move |k| {
                    k.save_session(&session)
                        .err()
                        .map(|e| format!("The session was not saved in the keyring: {e}"))
                });
            }
            Command::ForgetSession { name } => {
                with_keystore(ctx, send, move |k| {
                    k.delete_session(&name)
                        .err()
                        .map(|e| format!("The session could not be removed from the keyring: {e}"))
                });
            }
            Command::SaveKey { key } => {
                keys_changed(ctx, send, move |k| {
                    k.save_key(&key)?;
                    Ok(Some((key.name.clone(), None)))
                });
            }
            Command::DeleteKey { name } => {
                keys_changed(ctx, send, move |k| k.delete_key(&name).map(|_| None));
            }
            Command::ImportKey { profile } => {
                let env = Arc::clone(&env);
                let send = send.clone();
                let lane = ctx.lane.clone();
                rt.spawn(async move {
                    match profiles::long_term_keys(&env, &profile).await {
                        Ok(credentials) => {
                            let key = LongTermKey {
                                name: profile.clone(),
                                credentials,
                            };
                            let saved = lane
                                .call(move |k| {
                                    let k = k.map_err(Clone::clone)?;
                                    k.save_key(&key).and_then(|()| k.load_all())
                                })
                                .await;
                            match saved {
                                Some(Ok(contents)) => {
                                    send(Event::Keys(Ok(contents.keys)));
                                    send(Event::KeySaved {
                                        name: profile.clone(),
                                        imported_from: Some(profile),
                                    });
                                }
                                Some(Err(e)) => send(Event::KeyringFailed(e.to_string())),
                                None => send(Event::KeyringFailed(
                                    "the keyring thread stopped".to_owned(),
                                )),
                            }
                        }
                        Err(e) => send(Event::KeyringFailed(e)),
                    }
                });
            }
            Command::PlanProfileWrite { profile, session } => {
                let send = send.clone();
                let path = env.credentials_path();
                rt.spawn_blocking(move || {
                    let result = read_credentials_file(path).and_then(|file| {
                        let edit = file.plan(&profile, &session).map_err(|e| e.to_string())?;
                        Ok((Box::new(file), Box::new(edit)))
                    });
                    send(Event::ProfilePlanned(result));
                });
            }
            Command::WriteProfile {
                file,
                edit,
                confirm_long_term,
            } => {
                let send = send.clone();
                rt.spawn_blocking(move || {
                    let result = file
                        .write(&edit, confirm_long_term, SystemTime::now())
                        .map(|backup| written_message(&file, &edit, backup.as_deref()))
                        .map_err(|e| e.to_string());
                    send(Event::ProfileWritten(result));
                });
            }
            Command::RemoveProfileFromFile { profile } => {
                let send = send.clone();
                let path = env.credentials_path();
                rt.spawn_blocking(move || {
                    let result = read_credentials_file(path).and_then(|file| {
                        let edit = file.plan_remove(&profile).map_err(|e| e.to_string())?;
                        let backup = file
                            .write(&edit, true, SystemTime::now())
                            .map_err(|e| e.to_string())?;
                        Ok(format!(
                            "Removed [{profile}] from {}{}",
                            file.path().display(),
                            backup.map_or_else(String::new, |b| format!(
                                "; the old file is kept as {}",
                                b.display()
                            ))
                        ))
                    });
                    send(Event::ProfileWritten(result));
                });
            }
            Command::Notify { summary, body } => {
                rt.spawn_blocking(move || show_notification(&summary, &body));
            }
            Command::Cancel { id } => {
                // A cancelled transfer says so itself, once its partial file is gone.
                ctx.jobs.cancel(id);
            }
            Command::Browse(browse) => s3::dispatch(rt, browse, send, ctx),
            Command::Watch(watch) => {
                if ctx.watch.send(watch).is_err() {
                    tracing::error!("the session supervisor has stopped");
                }
            }
        }
    }
}

/// Reads the user's credentials file (`path` as the SDK finds it), or says why not.
fn read_credentials_file(path: Option<PathBuf>) -> Result<CredFile, String> {
    let path =
        path.ok_or_else(|| "No home directory: set AWS_SHARED_CREDENTIALS_FILE".to_owned())?;
    CredFile::read(&path).map_err(|e| e.to_string())
}

fn written_message(file: &CredFile, edit: &Edit, backup: Option<&std::path::Path>) -> String {
    let mut text = format!(
        "Wrote profile [{}] to {} (temporary credentials: they expire with the session)",
        edit.profile,
        file.path().display()
    );
    if let Some(b) = backup {
        text.push_str(&format!("; the old file is kept as {}", b.display()));
    }
    text
}

/// Queues a keyring write (nothing when there is no keyring); reports a failure (the message `f`
/// returns) as an event.
fn with_keystore<F>(ctx: &Ctx, send: &Send_, f: F)
where
    F: FnOnce(&Keystore) -> Option<String> + Send + 'static,
{
    let send = Arc::clone(send);
    ctx.lane.run(move |k| {
        if let Ok(k) = k
            && let Some(message) = f(k)
        {
            tracing::warn!("{message}");
            send(Event::KeyringFailed(message));
        }
    });
}

/// Queues a change to the stored keys, then reports the new list (and what was saved).
fn keys_changed<F>(ctx: &Ctx, send: &Send_, f: F)
where
    F: FnOnce(&Keystore) -> Result<Option<(String, Option<String>)>, KeystoreError>
        + Send
        + 'static,
{
    let send = Arc::clone(send);
    ctx.lane.run(move |k| {
        let result = k
            .map_err(Clone::clone)
            .and_then(|k| Ok((f(k)?, k.load_all()?)));
        match result {
            Ok((saved, contents)) => {
                send(Event::Keys(Ok(contents.keys)));
                if let Some((name, imported_from)) = saved {
                    send(Event::KeySaved {
                        name,
                        imported_from,
                    });
                }
            }
            Err(e) => send(Event::KeyringFailed(e.to_string())),
        }
    });
}
