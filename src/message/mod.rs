//! The two message types of the one-way flow: [`Command`] (UI → worker) and [`Event`]
//! (worker → UI). Requests carry an id so a newer request wins over an older one.

use crate::aws::SourceCredentials;
use crate::aws::console::ConsoleError;
use crate::aws::errors::AwsError;
use crate::aws::profiles::{ProfileError, Profiles};
use crate::aws::sts::{DetectedMfa, SignInRequest};
use crate::credfile::{CredFile, CredFileError, Edit};
use crate::keystore::{Contents, KeyInfo, KeystoreError, LongTermKey};
use crate::secret::Secret;
use crate::session::Session;
use std::time::SystemTime;

mod browse;
mod props;
pub use browse::{BrowseCommand, BrowseEvent, BucketAt, BucketJob, Purpose, TransferUpdate};
pub use props::{ApplyReport, PropsAnswer, PropsJob};

/// Tags a request so its answer can be matched, and dropped when a newer request replaced it.
pub type RequestId = u64;

/// A fresh request id, unique in the process.
pub fn next_id() -> RequestId {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The one way out of the state: every user action and every event that needs the worker or the
/// clipboard leaves its request here, and the app empties it after each pass (see
/// `app::KeyfobApp::flush`). Parts of the state take `&mut Outbox` rather than returning
/// commands, so the panels return nothing and no command is built in drawing code.
#[derive(Debug, Default)]
pub struct Outbox {
    commands: Vec<Command>,
    copy: Option<Secret>,
}

impl Outbox {
    pub fn send(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// Text for the clipboard (an export, an s3:// URI, a presigned link); a later copy in the
    /// same pass wins.
    pub fn copy(&mut self, text: Secret) {
        self.copy = Some(text);
    }

    /// Empties the box: the commands in the order they were sent, and the text to copy.
    pub fn take(&mut self) -> (Vec<Command>, Option<Secret>) {
        (std::mem::take(&mut self.commands), self.copy.take())
    }
}

/// What the UI asks the worker to do. Sending never blocks.
#[derive(Debug)]
pub enum Command {
    /// Read the profiles from the AWS config files.
    LoadProfiles,
    /// Make the STS call the request describes, then GetCallerIdentity; replaces a running sign-in.
    SignIn {
        /// The request's tag.
        id: RequestId,
        /// The checked request.
        request: Box<SignInRequest>,
    },
    /// Sign a profile in through the browser (AWS Sign-In, IAM Identity Center), or from its
    /// cached sign-in; answered like [`Command::SignIn`], after a [`Event::BrowserWaiting`] when
    /// the browser is needed.
    BrowserSignIn {
        /// The request's tag.
        id: RequestId,
        /// The profile.
        profile: String,
    },
    /// Sign in with AWS Sign-In in the browser as `profile` (made when missing, `login_session`
    /// written into it); answered like [`Command::SignIn`].
    LoginAsProfile {
        /// The request's tag.
        id: RequestId,
        /// The profile.
        profile: String,
        /// The region to sign in to when the profile names none.
        region: String,
    },
    /// List what the IAM Identity Center profile may choose: its accounts, or an account's roles
    /// (signing in in the browser first when no sign-in is cached); answered by
    /// [`Event::SsoChoices`].
    SsoChoices {
        /// The request's tag.
        id: RequestId,
        /// The profile with the IAM Identity Center settings.
        profile: String,
        /// The account whose roles to list; `None`: the accounts.
        account_id: Option<String>,
    },
    /// Sign in as a chosen role of a chosen account, through the profile's IAM Identity Center
    /// sign-in; answered like [`Command::SignIn`].
    SsoRole {
        /// The request's tag.
        id: RequestId,
        /// The profile with the IAM Identity Center settings.
        profile: String,
        /// The account.
        account_id: String,
        /// The role.
        role: String,
    },
    /// Write the chosen account and role as a profile of their own in the AWS config.
    SaveSsoProfile {
        /// The request's tag.
        id: RequestId,
        /// The profile whose IAM Identity Center settings the new one uses.
        from: String,
        /// The new profile's name.
        name: String,
        /// The account.
        account_id: String,
        /// The role.
        role: String,
    },
    /// Find the MFA device of the user behind `source`; replaces a running detection.
    DetectMfa {
        /// The request's tag.
        id: RequestId,
        /// Whose device.
        source: SourceCredentials,
        /// The region to call in.
        region: Option<String>,
    },
    /// Stop the running request with this id (its answer, if any, is dropped).
    Cancel {
        /// The request to stop.
        id: RequestId,
    },
    /// The user signed out of the session `name`: stop at once everything that uses any of its
    /// credentials (transfers remove their partial files and abort their multipart uploads, and
    /// each says it was stopped by the sign-out).
    SignOut {
        /// The session.
        name: String,
    },
    /// Read the sessions and keys kept in the keyring.
    LoadCache,
    /// Keep a session in the keyring (replacing one with its name).
    CacheSession {
        /// The session.
        session: Box<Session>,
    },
    /// Delete a cached session from the keyring.
    ForgetSession {
        /// Its name.
        name: String,
    },
    /// Store long-term keys in the keyring.
    SaveKey {
        /// The keys.
        key: Box<LongTermKey>,
    },
    /// Remove long-term keys from the keyring.
    DeleteKey {
        /// Their name.
        name: String,
    },
    /// Copy a profile's keys from the credentials file into the keyring, under the profile's name.
    ImportKey {
        /// The profile.
        profile: String,
    },
    /// Read the credentials file and plan writing `session` as `profile` (shown before writing).
    PlanProfileWrite {
        /// The profile name.
        profile: String,
        /// The session to write.
        session: Box<Session>,
    },
    /// Write a planned change into the credentials file.
    WriteProfile {
        /// The file as read when planning (a changed file is refused).
        file: Box<CredFile>,
        /// The change.
        edit: Box<Edit>,
        /// The user confirmed replacing long-term keys.
        confirm_long_term: bool,
    },
    /// Remove a profile's section from the credentials file (after importing its keys), with a
    /// backup.
    RemoveProfileFromFile {
        /// The profile.
        profile: String,
    },
    /// A browser command, run with a session's credentials.
    Browse(BrowseCommand),
    /// Open the AWS console for this session in the browser (refused once it has ended).
    OpenConsole {
        /// The session.
        session: Box<Session>,
    },
    /// Show a desktop notification.
    Notify {
        /// The title line.
        summary: String,
        /// The text.
        body: String,
    },
    /// Tell the session supervisor what to watch: sessions, the clipboard deadline, or clear the
    /// clipboard now (matched by fingerprint, so the text itself is not kept).
    Watch(Watch),
    /// Answer a tool that asked the window for a code (after the keyring's queued work, so a
    /// session just signed in is there when the tool looks).
    AnswerTool {
        /// The tool's request.
        id: RequestId,
        /// What to tell it.
        reply: ToolReply,
    },
    /// Ask the YubiKey (through `ykman`) for the current code of an OATH account.
    KeyCode {
        /// The request's tag.
        id: RequestId,
        /// The OATH account the profile names.
        account: String,
    },
    /// Chain a fresh role session from its MFA session, with no code (a renewal the supervisor
    /// asked for). Refused once the MFA session has ended.
    Renew {
        /// A [`crate::aws::sts::Flow::Chained`] request.
        request: Box<SignInRequest>,
    },
    /// A fresh session in the place of a browser sign-in's (AWS Sign-In, IAM Identity Center),
    /// from the sign-in cached on disk (a renewal the supervisor asked for).
    RenewFromCache {
        /// The session to replace.
        session: Box<Session>,
    },
}

/// The window's answer to another keyfob over the per-user channel (see `crate::ipc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolReply {
    /// The session is in the keyring now.
    SignedIn,
    /// The user said no: the tool is to fail.
    Cancelled,
    /// The window came forward.
    Shown,
}

/// A session the supervisor watches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    /// The session's name.
    pub name: String,
    /// Who it is, for the warning's text.
    pub who: String,
    /// When it ends.
    pub expires_at: SystemTime,
    /// For a role chained from an MFA session: when to chain a fresh one. Until then its expiry
    /// warnings wait (the renewal usually makes them moot).
    pub renew_at: Option<SystemTime>,
}

/// What the UI tells the session supervisor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Watch {
    /// The sessions the window holds now, and the one it shows (whose countdown is in the title).
    Sessions {
        /// Every session, live or not.
        sessions: Vec<Watched>,
        /// The shown session's name.
        shown: Option<String>,
    },
    /// keyfob put text with this fingerprint on the clipboard: clear it at `clear_at` if it is
    /// still there.
    Clipboard {
        /// [`crate::clipboard::fingerprint`] of the text.
        fingerprint: u64,
        /// When.
        clear_at: SystemTime,
    },
    /// Clear keyfob's text from the clipboard now (sign-out), and forget the deadline.
    ClearClipboardNow {
        /// [`crate::clipboard::fingerprint`] of the text.
        fingerprint: u64,
    },
}

/// Why a keyring action failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyringFailure {
    #[error("The session was not saved in the keyring: {0}")]
    SaveSession(KeystoreError),
    #[error("The session could not be removed from the keyring: {0}")]
    ForgetSession(KeystoreError),
    #[error("{0}")]
    Store(#[from] KeystoreError),
    /// Importing: the profile's keys could not be read.
    #[error("{0}")]
    Import(#[from] ProfileError),
    #[error("The keyring thread stopped")]
    Stopped,
}

/// What the worker reports back.
#[derive(Debug)]
pub enum Event {
    /// The profiles, or why they could not be read.
    Profiles(Result<Profiles, ProfileError>),
    /// A sign-in finished.
    SignedIn {
        /// The request's tag.
        id: RequestId,
        /// The new session or the reason.
        result: Result<Box<Session>, AwsError>,
    },
    /// An MFA detection finished.
    MfaDetected {
        /// The request's tag.
        id: RequestId,
        /// The device or the reason.
        result: Result<DetectedMfa, AwsError>,
    },
    /// Something for the S3 browser.
    Browse(BrowseEvent),
    /// What the keyring holds, or why it cannot be used.
    Cache(Result<Contents, KeystoreError>),
    /// The keys in the keyring after a change.
    Keys(Result<Vec<KeyInfo>, KeystoreError>),
    /// Keys were stored; `imported_from` names the profile they came from.
    KeySaved {
        /// Their name.
        name: String,
        /// The credentials-file profile they were imported from.
        imported_from: Option<String>,
    },
    /// A keyring operation failed.
    KeyringFailed(KeyringFailure),
    /// A credentials-file change was planned (or why not).
    ProfilePlanned(Result<(Box<CredFile>, Box<Edit>), CredFileError>),
    /// A credentials-file change was written (what to tell the user) or refused.
    ProfileWritten(Result<String, CredFileError>),
    /// The console was opened in the browser, or why not (the URL itself never comes back).
    ConsoleOpened(Result<(), ConsoleError>),
    /// The clipboard check ran.
    ClipboardChecked {
        /// Whether keyfob's text was still there and has been cleared.
        cleared: bool,
    },
    /// A tool (its `credential-process`) needs a session for `profile` and waits for this window.
    ToolWantsCode {
        /// The tool's request, to answer with [`Command::AnswerTool`].
        id: RequestId,
        /// The profile.
        profile: String,
        /// Who is asking ("aws s3 ls (pid 4242)").
        asker: String,
    },
    /// The tool that made request `id` went away before its answer.
    ToolGone {
        /// The request.
        id: RequestId,
    },
    /// Another keyfob window was started: come forward instead.
    ShowWindow,
    /// The YubiKey answered.
    KeyCode {
        /// The request's tag.
        id: RequestId,
        /// The code, or why there is none.
        result: Result<Secret, crate::oath::OathError>,
    },
    /// What the IAM Identity Center profile may choose, or why it could not be listed.
    SsoChoices {
        /// The request's tag.
        id: RequestId,
        /// The accounts, or an account's roles.
        result: Result<crate::aws::cached_sign_in::SsoChoices, AwsError>,
    },
    /// The chosen account and role were written as a profile (its name), or why not.
    SsoProfileSaved {
        /// The request's tag.
        id: RequestId,
        /// The new profile's name, or why it was not written.
        result: Result<String, AwsError>,
    },
    /// A browser sign-in waits for the user: the page opened, and the code it must show.
    BrowserWaiting {
        /// The request's tag.
        id: RequestId,
        /// The page and code.
        waiting: crate::aws::cached_sign_in::Waiting,
    },
    /// The supervisor says it is time to renew the chained role session `name`.
    RenewDue {
        /// The session.
        name: String,
    },
    /// A renewal finished.
    Renewed {
        /// The session renewed.
        name: String,
        /// The fresh session, or why not.
        result: Result<Box<Session>, AwsError>,
    },
}
