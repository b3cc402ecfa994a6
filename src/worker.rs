//! The tokio side of the one-way flow: receives [`Command`]s, runs them against AWS (or the
//! clipboard) on a runtime of its own, sends [`Event`]s back and wakes the UI. A new sign-in or
//! detection aborts the one it replaces.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use tokio::runtime::Runtime;
use tokio::task::AbortHandle;

use crate::aws::{AwsEnv, profiles, sts};
use crate::clipboard::{self, ClipboardAccess};
use crate::message::{Command, Event, RequestId};

/// Wakes the UI after an event was sent (`egui::Context::request_repaint` in the app).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Makes a clipboard accessor for each check (the system clipboard in the app).
pub type ClipboardFactory = Arc<dyn Fn() -> Box<dyn ClipboardAccess> + Send + Sync>;

/// The UI's ends of the channels to a running worker.
#[derive(Debug)]
pub struct Channels {
    /// Commands to the worker.
    pub commands: Sender<Command>,
    /// Events from the worker.
    pub events: Receiver<Event>,
}

/// Starts the worker on its own thread with its own tokio runtime. It stops when the command
/// sender is dropped.
pub fn spawn(env: AwsEnv, waker: Waker, clipboard: ClipboardFactory) -> std::io::Result<Channels> {
    let (cmd_tx, cmd_rx) = std::sync::mpsc::channel::<Command>();
    let (ev_tx, ev_rx) = std::sync::mpsc::channel::<Event>();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("keyfob-worker")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("keyfob-dispatch".to_owned())
        .spawn(move || dispatch(&runtime, &env, &cmd_rx, &ev_tx, &waker, &clipboard))?;
    Ok(Channels {
        commands: cmd_tx,
        events: ev_rx,
    })
}

fn dispatch(
    rt: &Runtime,
    env: &AwsEnv,
    commands: &Receiver<Command>,
    events: &Sender<Event>,
    waker: &Waker,
    clipboard: &ClipboardFactory,
) {
    let env = Arc::new(env.clone());
    // At most one running task per kind of request, so a newer one replaces an older one.
    let mut running: HashMap<&'static str, (RequestId, AbortHandle)> = HashMap::new();
    let send = {
        let events = events.clone();
        let waker = Arc::clone(waker);
        move |event: Event| {
            // The UI may be gone (window closed): nothing to tell then.
            if events.send(event).is_ok() {
                waker();
            }
        }
    };
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
            Command::SignIn { id, request } => {
                let env = Arc::clone(&env);
                let send = send.clone();
                let task = rt.spawn(async move {
                    let result = sts::sign_in(&env, &request).await.map(Box::new);
                    send(Event::SignedIn { id, result });
                });
                replace(&mut running, "signin", id, task.abort_handle());
            }
            Command::DetectMfa { id, source, region } => {
                let env = Arc::clone(&env);
                let send = send.clone();
                let task = rt.spawn(async move {
                    let result = sts::detect_mfa(&env, &source, region.as_deref()).await;
                    send(Event::MfaDetected { id, result });
                });
                replace(&mut running, "detect", id, task.abort_handle());
            }
            Command::Cancel { id } => {
                running.retain(|_, (rid, handle)| {
                    if *rid == id {
                        handle.abort();
                    }
                    *rid != id
                });
            }
            Command::ClearClipboard { fingerprint } => {
                let send = send.clone();
                let make = Arc::clone(clipboard);
                rt.spawn_blocking(move || {
                    let cleared = clipboard::clear_if_ours(make().as_mut(), fingerprint);
                    send(Event::ClipboardChecked { cleared });
                });
            }
        }
    }
}

fn replace(
    running: &mut HashMap<&'static str, (RequestId, AbortHandle)>,
    kind: &'static str,
    id: RequestId,
    handle: AbortHandle,
) {
    if let Some((_, old)) = running.insert(kind, (id, handle)) {
        old.abort();
    }
}
