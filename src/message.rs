//! The two message types of the one-way flow: [`Command`] (UI → worker) and [`Event`]
//! (worker → UI). Requests carry an id so a newer request wins over an older one.

use crate::aws::SourceCredentials;
use crate::aws::errors::AwsError;
use crate::aws::profiles::Profiles;
use crate::aws::sts::{DetectedMfa, SignInRequest};
use crate::session::Session;

/// Tags a request so its answer can be matched, and dropped when a newer request replaced it.
pub type RequestId = u64;

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
    /// Clear the system clipboard if it still holds the text keyfob put there (matched by
    /// fingerprint, so the text itself is not kept).
    ClearClipboard {
        /// [`crate::clipboard::fingerprint`] of what keyfob copied.
        fingerprint: u64,
    },
}

/// What the worker reports back.
#[derive(Debug)]
pub enum Event {
    /// The profiles, or why they could not be read.
    Profiles(Result<Profiles, String>),
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
    /// The clipboard check ran.
    ClipboardChecked {
        /// Whether keyfob's text was still there and has been cleared.
        cleared: bool,
    },
}
