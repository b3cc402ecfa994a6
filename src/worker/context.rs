//! What every task of the worker may need.

use std::sync::Arc;

use super::jobs::Jobs;
use super::keyring::Lane;
use super::lease::Leases;
use super::ports::{FileDialogs, UrlOpener};
use super::supervisor;
use crate::aws::AwsEnv;
use crate::aws::s3::{Clients, Store};
use crate::clock::Clock;

/// What every task may need.
pub(super) struct Ctx {
    pub(super) env: Arc<AwsEnv>,
    pub(super) s3: Arc<Clients>,
    pub(super) lane: Lane,
    pub(super) jobs: Jobs,
    /// The leases on sessions' credentials that the jobs hold.
    pub(super) leases: Leases,
    pub(super) clock: Clock,
    pub(super) dialogs: Arc<dyn FileDialogs>,
    pub(super) browser: Arc<dyn UrlOpener>,
    pub(super) watch: tokio::sync::mpsc::UnboundedSender<supervisor::Watch>,
    /// Where resumable transfers keep their records; none: transfers do not resume.
    pub(super) transfers: Option<Arc<Store>>,
    /// Tools waiting for the window's answer.
    #[cfg(unix)]
    pub(super) tools: super::tools::Waiting,
}
