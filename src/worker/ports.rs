//! What the worker reaches besides AWS and the keyring: the window to wake, the clipboard to
//! clear, the clock that decides expiry, the file dialogs and the browser. The app passes the desktop's own;
//! tests pass ones they control (a dialog answered after the session ended, a clock moved past
//! expiry), which real parts cannot produce on cue.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::Sender;

use crate::clipboard::{ClipboardAccess, SystemClipboard};
use crate::clock::{self, Clock};
use crate::message::Event;
use crate::opener::{self, OpenError};
use crate::secret::Secret;

/// Wakes the UI after an event was sent (`egui::Context::request_repaint` in the app).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Makes a clipboard accessor for each check (the system clipboard in the app).
pub type ClipboardFactory = Arc<dyn Fn() -> Box<dyn ClipboardAccess> + Send + Sync>;

/// A dialog's answer when it closes: `None` when the user cancelled it.
pub type Answer<T> = Pin<Box<dyn Future<Output = Option<T>> + Send>>;

/// The file dialogs a transfer opens, off the UI thread.
pub trait FileDialogs: Send + Sync {
    /// Where to save one object; `name` is offered.
    fn save_file(&self, name: &str) -> Answer<PathBuf>;
    /// The folder to download several objects into.
    fn pick_folder(&self) -> Answer<PathBuf>;
    /// The files to upload.
    fn pick_files(&self) -> Answer<Vec<PathBuf>>;
    /// A folder to upload (with everything in it).
    fn pick_upload_folder(&self) -> Answer<PathBuf>;
}

/// The desktop's dialogs (rfd: the XDG portal or GTK on Linux).
#[derive(Debug, Default)]
pub struct NativeDialogs;

impl FileDialogs for NativeDialogs {
    fn pick_upload_folder(&self) -> Answer<PathBuf> {
        let dialog = rfd::AsyncFileDialog::new().set_title("Upload a folder into S3");
        Box::pin(async move { dialog.pick_folder().await.map(|h| h.path().to_path_buf()) })
    }

    fn save_file(&self, name: &str) -> Answer<PathBuf> {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Save the object as")
            .set_file_name(name);
        Box::pin(async move { dialog.save_file().await.map(|h| h.path().to_path_buf()) })
    }

    fn pick_folder(&self) -> Answer<PathBuf> {
        let dialog = rfd::AsyncFileDialog::new().set_title("Download the objects into");
        Box::pin(async move { dialog.pick_folder().await.map(|h| h.path().to_path_buf()) })
    }

    fn pick_files(&self) -> Answer<Vec<PathBuf>> {
        let dialog = rfd::AsyncFileDialog::new().set_title("Upload into S3");
        Box::pin(async move {
            dialog
                .pick_files()
                .await
                .map(|hs| hs.iter().map(|h| h.path().to_path_buf()).collect())
        })
    }
}

/// Dialogs for a worker without a window: every one is closed at once.
#[derive(Debug, Default)]
pub struct NoDialogs;

impl FileDialogs for NoDialogs {
    fn pick_upload_folder(&self) -> Answer<PathBuf> {
        Box::pin(async { None })
    }
    fn save_file(&self, _name: &str) -> Answer<PathBuf> {
        Box::pin(async { None })
    }
    fn pick_folder(&self) -> Answer<PathBuf> {
        Box::pin(async { None })
    }
    fn pick_files(&self) -> Answer<Vec<PathBuf>> {
        Box::pin(async { None })
    }
}

/// A clipboard that holds nothing keyfob can read, so nothing is ever cleared.
#[derive(Debug, Default)]
pub struct NoClipboard;

impl ClipboardAccess for NoClipboard {
    fn read(&mut self) -> Option<String> {
        None
    }
    fn clear(&mut self) -> bool {
        false
    }
}

/// Opens a URL (a console sign-in link, a secret) in a browser. Blocks: the worker calls it on a
/// blocking thread.
pub trait UrlOpener: Send + Sync {
    /// Opens `url`, or says why not.
    ///
    /// # Errors
    /// The browser could not be started or said it failed.
    fn open(&self, url: &Secret) -> Result<(), OpenError>;

    /// Whether a browser can be started at all, asked before a URL that is a secret is made.
    ///
    /// # Errors
    /// There is no browser to start.
    fn check(&self) -> Result<(), OpenError>;
}

/// The desktop's browser ([`opener::open`]: `BROWSER`, else `xdg-open` / `open`).
#[derive(Debug, Default)]
pub struct DesktopBrowser;

impl UrlOpener for DesktopBrowser {
    fn open(&self, url: &Secret) -> Result<(), OpenError> {
        opener::open(url)
    }

    fn check(&self) -> Result<(), OpenError> {
        opener::check()
    }
}

/// No browser (a worker without a window): every URL is refused.
#[derive(Debug, Default)]
pub struct NoBrowser;

impl UrlOpener for NoBrowser {
    fn open(&self, _url: &Secret) -> Result<(), OpenError> {
        self.check()
    }

    fn check(&self) -> Result<(), OpenError> {
        Err(OpenError::NotFound("A browser".to_owned()))
    }
}

/// Everything outside the process the worker touches, apart from AWS and the keyring.
#[derive(Clone)]
pub struct Ports {
    pub waker: Waker,
    pub clipboard: ClipboardFactory,
    pub clock: Clock,
    pub dialogs: Arc<dyn FileDialogs>,
    /// Where tools reach the window (see [`crate::ipc`]); none for a worker without a window.
    pub tool_socket: Option<PathBuf>,
    pub browser: Arc<dyn UrlOpener>,
    /// Where interrupted transfers are kept to resume (see [`crate::aws::s3::Store`]); none: no
    /// transfer is resumable.
    pub transfers: Option<PathBuf>,
}

impl Ports {
    /// The desktop's clock, clipboard and dialogs; `waker` wakes the window. (The tools' socket
    /// is set by the caller, once it knows no other window owns it.)
    #[must_use]
    pub fn desktop(waker: Waker) -> Self {
        Self {
            waker,
            clipboard: Arc::new(|| Box::new(SystemClipboard)),
            clock: clock::system(),
            dialogs: Arc::new(NativeDialogs),
            tool_socket: None,
            browser: Arc::new(DesktopBrowser),
            transfers: crate::aws::s3::Store::default_dir(),
        }
    }

    /// No window: nothing to wake, no clipboard, dialogs closed at once, no browser, the system
    /// clock.
    #[must_use]
    pub fn headless() -> Self {
        Self {
            waker: Arc::new(|| {}),
            clipboard: Arc::new(|| Box::new(NoClipboard)),
            clock: clock::system(),
            dialogs: Arc::new(NoDialogs),
            tool_socket: None,
            browser: Arc::new(NoBrowser),
            transfers: None,
        }
    }
}

impl fmt::Debug for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ports { .. }")
    }
}

/// Sends an event to the UI and wakes it; a closed window is not an error.
pub(crate) type Send_ = Arc<dyn Fn(Event) + Send + Sync>;

pub(super) fn sender(events: &Sender<Event>, waker: &Waker) -> Send_ {
    let events = events.clone();
    let waker = Arc::clone(waker);
    Arc::new(move |event: Event| {
        if events.send(event).is_ok() {
            waker();
        }
    })
}
