//! The window's end of the per-user channel ([`crate::ipc`]): another keyfob (a tool's
//! `credential-process`, or a second window) connects, asks, and waits. A request for a code
//! reaches the window as [`Event::ToolWantsCode`]; its answer comes back as
//! [`crate::message::Command::AnswerTool`] and is written only after the keyring has kept the
//! session (it goes through the keyring's ordered lane), so the tool finds it there.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::oneshot;

use super::keyring::Lane;
use super::ports::Send_;
use crate::ipc::{self, Reply, Request};
use crate::message::{Event, RequestId, next_id};

/// The tools waiting for an answer, by request.
#[derive(Clone, Default)]
pub(super) struct Waiting(Arc<Mutex<HashMap<RequestId, oneshot::Sender<Reply>>>>);

impl Waiting {
    /// Answers request `id` once the keyring has done what was asked before.
    pub(super) fn answer(&self, lane: &Lane, id: RequestId, reply: Reply) {
        let waiting = self.clone();
        lane.run(move |_| {
            let tx = waiting.0.lock().ok().and_then(|mut m| m.remove(&id));
            if let Some(tx) = tx {
                let _ = tx.send(reply);
            }
        });
    }

    fn forget(&self, id: RequestId) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&id);
        }
    }

    fn add(&self, id: RequestId) -> Option<oneshot::Receiver<Reply>> {
        let (tx, rx) = oneshot::channel();
        self.0.lock().ok()?.insert(id, tx);
        Some(rx)
    }
}

/// Listens at `socket` (mode 0600, in the private runtime directory) until the runtime stops.
pub(super) fn listen(rt: &tokio::runtime::Runtime, socket: &Path, send: Send_, waiting: Waiting) {
    let _guard = rt.enter();
    let listener = match bind(socket) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("tools cannot reach this window ({}): {e}", socket.display());
            return;
        }
    };
    rt.spawn(async move {
        let Ok(uid) = ipc::own_uid() else { return };
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let same_user = stream.peer_cred().is_ok_and(|c| c.uid() == uid);
            if !same_user {
                tracing::warn!("refused a connection from another user");
                continue;
            }
            tokio::spawn(serve(stream, Arc::clone(&send), waiting.clone()));
        }
    });
}

/// Binds the socket, replacing a stale one (no window answers there: the caller checked).
fn bind(socket: &Path) -> std::io::Result<UnixListener> {
    match std::fs::remove_file(socket) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(socket)?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// One connection: one request, one answer. A tool that goes away before the answer (killed,
/// or its own timeout) takes its request off the window.
async fn serve(stream: UnixStream, send: Send_, waiting: Waiting) {
    let (read, mut write) = stream.into_split();
    let mut reader = tokio::io::BufReader::new(read.take(ipc::MAX_LINE as u64 + 1));
    let mut line = String::new();
    let first = reader.read_line(&mut line);
    let request = match tokio::time::timeout(Duration::from_secs(5), first).await {
        Ok(Ok(_)) => parse(&line),
        _ => None,
    };
    let reply = match request {
        Some(Request::Show) => {
            send(Event::ShowWindow);
            Reply::Shown
        }
        Some(Request::Code { profile, asker }) => {
            let id = next_id();
            let Some(rx) = waiting.add(id) else { return };
            send(Event::ToolWantsCode { id, profile, asker });
            let mut rest = [0_u8; 1];
            tokio::select! {
                answer = rx => answer.unwrap_or(Reply::Cancelled), // Err: the window is closing
                _ = reader.read(&mut rest) => {
                    waiting.forget(id);
                    send(Event::ToolGone { id });
                    return;
                }
            }
        }
        None => return,
    };
    if let Ok(text) = ipc::to_line(&reply) {
        let _ = write.write_all(text.as_bytes()).await;
    }
}

/// The request a read line carries: at most [`ipc::MAX_LINE`] bytes with its newline, as
/// [`ipc::read_line`] takes them on the other side.
fn parse(line: &str) -> Option<Request> {
    let line = line
        .strip_suffix('\n')
        .filter(|_| line.len() <= ipc::MAX_LINE)?;
    ipc::from_line(line).ok()
}
