//! The tokio side of the one-way flow: receives [`Command`]s, runs them against AWS (or the
//! clipboard) on a runtime of its own, sends [`Event`]s back and wakes the UI. Every cancellable
//! task is a job in [`jobs::Jobs`]; the [`supervisor`] watches the sessions on timers.

mod console;
mod context;
pub mod jobs;
mod keyring;
pub mod lease;
mod ports;
mod profile_file;
mod s3;
mod sts;
pub mod supervisor;
#[cfg(unix)]
mod tools;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::SystemTime;

use tokio::runtime::Runtime;

use context::Ctx;
use jobs::Jobs;
use keyring::Lane;
pub use keyring::OpenKeystore;
use lease::Leases;
pub use ports::{
    Answer, ClipboardFactory, DesktopBrowser, FileDialogs, NativeDialogs, NoBrowser, NoClipboard,
    NoDialogs, Ports, UrlOpener, Waker,
};
use ports::{Send_, sender};
pub use s3::file_name_of;

use crate::aws::AwsEnv;
use crate::clipboard;
use crate::keystore::{Keystore, KeystoreError};
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
    spawn_opening(env, Box::new(move || keystore), ports)
}

/// [`spawn`], with the keystore opened by `open` on the worker's keyring thread: the window's
/// first frame does not wait for D-Bus or the Secret Service.
pub fn spawn_opening(env: AwsEnv, open: OpenKeystore, ports: Ports) -> std::io::Result<Channels> {
    let Ports {
        waker,
        clipboard,
        clock,
        dialogs,
        tool_socket,
        browser,
        transfers,
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
            let leases = Leases::default();
            let (watch_tx, watch_rx) = tokio::sync::mpsc::unbounded_channel();
            let fx = Arc::new(WorkerEffects {
                send: send.clone(),
                leases: leases.clone(),
                clipboard,
                waker,
                rt: runtime.handle().clone(),
            });
            runtime.spawn(supervisor::run(watch_rx, Arc::clone(&clock), fx));
            #[cfg(unix)]
            let tools = tools::Waiting::default();
            #[cfg(unix)]
            if let Some(socket) = tool_socket {
                tools::listen(&runtime, &socket, send.clone(), tools.clone());
            }
            #[cfg(not(unix))]
            let _ = tool_socket;
            let ctx = Ctx {
                #[cfg(unix)]
                tools,
                env: Arc::new(env),
                s3: Arc::default(),
                lane: Lane::start(open),
                jobs,
                leases,
                clock,
                dialogs,
                browser,
                watch: watch_tx,
                transfers: transfers.map(|dir| Arc::new(crate::aws::s3::Store::new(dir))),
            };
            if let Some(store) = &ctx.transfers {
                runtime.spawn(s3::send_interrupted(Arc::clone(store), send.clone()));
            }
            dispatch(&runtime, &ctx, &cmd_rx, &send);
        })?;
    Ok(Channels {
        commands: cmd_tx,
        events: ev_rx,
    })
}

/// How the supervisor acts: notifications, ending the leases of credentials that expired (which
/// stops their jobs), the clipboard and the UI's wake-ups.
struct WorkerEffects {
    send: Send_,
    leases: Leases,
    clipboard: ClipboardFactory,
    waker: Waker,
    rt: tokio::runtime::Handle,
}

impl supervisor::Effects for WorkerEffects {
    fn notify(&self, summary: String, body: String) {
        self.rt
            .spawn_blocking(move || show_notification(&summary, &body));
    }

    fn expired(&self, name: &str, until: SystemTime) {
        // Each stopped job reports its own end (see `s3`), after its clean-up.
        let ended = self.leases.expire(name, until);
        tracing::info!(ended, "credentials of session {name} ended");
        (self.waker)();
    }

    fn renew(&self, name: &str) {
        (self.send)(Event::RenewDue {
            name: name.to_owned(),
        });
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

/// Hands each command to the part of the worker that runs it, until the window is gone.
fn dispatch(rt: &Runtime, ctx: &Ctx, commands: &Receiver<Command>, send: &Send_) {
    for command in commands {
        tracing::debug!(?command, "command");
        match command {
            Command::LoadProfiles => sts::load_profiles(rt, ctx, send),
            Command::SignIn { id, request } => sts::sign_in(rt, ctx, send, id, request),
            Command::BrowserSignIn { id, profile } => {
                sts::browser_sign_in(rt, ctx, send, id, profile);
            }
            Command::LoginAsProfile {
                id,
                profile,
                region,
            } => sts::login_as_profile(rt, ctx, send, id, profile, region),
            Command::SsoChoices {
                id,
                profile,
                account_id,
            } => sts::sso_choices(rt, ctx, send, id, profile, account_id),
            Command::SsoRole {
                id,
                profile,
                account_id,
                role,
            } => sts::sso_role(rt, ctx, send, id, profile, (account_id, role)),
            Command::SaveSsoProfile {
                id,
                from,
                name,
                account_id,
                role,
            } => sts::save_sso_profile(rt, ctx, send, id, (from, name), (account_id, role)),
            Command::Renew { request } => sts::renew(rt, ctx, send, request),
            Command::RenewFromCache { session } => sts::renew_from_cache(rt, ctx, send, *session),
            Command::KeyCode { id, account } => sts::key_code(rt, ctx, send, id, account),
            #[cfg(unix)]
            Command::AnswerTool { id, reply } => ctx.tools.answer(&ctx.lane, id, reply),
            #[cfg(not(unix))]
            Command::AnswerTool { .. } => {}
            Command::DetectMfa { id, source, region } => {
                sts::detect_mfa(rt, ctx, send, id, source, region);
            }
            Command::SignOut { name } => {
                // Each stopped job reports its own end (see `s3`), after its clean-up.
                let ended = ctx.leases.sign_out(&name);
                tracing::info!(ended, "signed out of session {name}");
            }
            Command::LoadCache => keyring::load(&ctx.lane, send),
            Command::CacheSession { session } => keyring::save_session(&ctx.lane, send, session),
            Command::ForgetSession { name } => keyring::forget_session(&ctx.lane, send, name),
            Command::SaveKey { key } => keyring::save_key(&ctx.lane, send, key),
            Command::DeleteKey { name } => keyring::delete_key(&ctx.lane, send, name),
            Command::ImportKey { profile } => {
                keyring::import_key(rt, &ctx.env, &ctx.lane, send, profile);
            }
            Command::PlanProfileWrite { profile, session } => {
                profile_file::plan(rt, &ctx.env, send, profile, session);
            }
            Command::WriteProfile {
                file,
                edit,
                confirm_long_term,
            } => profile_file::write(rt, send, *file, *edit, confirm_long_term),
            Command::RemoveProfileFromFile { profile } => {
                profile_file::remove(rt, &ctx.env, send, profile);
            }
            Command::Notify { summary, body } => {
                rt.spawn_blocking(move || show_notification(&summary, &body));
            }
            Command::Cancel { id } => {
                // A cancelled transfer says so itself, once its partial file is gone.
                ctx.jobs.cancel(id);
            }
            Command::Browse(browse) => s3::dispatch(rt, browse, send, ctx),
            Command::OpenConsole { session } => console::open(rt, ctx, send, session),
            Command::Watch(watch) => {
                if ctx.watch.send(watch).is_err() {
                    tracing::error!("the session supervisor has stopped");
                }
            }
        }
    }
}
