//! The one registry of the worker's cancellable tasks: sign-ins, detections, listings and
//! transfers, each under its request id. A sign-in or detection replaces the running one of its
//! kind (the newest request wins); a task that uses a session's credentials holds the
//! [`Lease`] on them and stops when it ends: at the credentials' expiry, or at once when the user
//! signs out (a renewal in place leaves the old generation's jobs running until their own end).
//!
//! A stopped task is dropped inside its own wrapper before its `on_stop` reports the stop, so
//! whatever its drop cleans up (a partial download, a multipart upload) is gone by the time the UI
//! hears of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::lease::{End, Lease};
use crate::message::RequestId;

/// What a job does: decides what replacing or cancelling it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// A sign-in: at most one runs.
    SignIn,
    /// An MFA-device detection: at most one runs.
    Detect,
    /// A code asked of the YubiKey: at most one runs.
    KeyCode,
    /// A folder listing.
    Listing,
    /// A download or upload.
    Transfer,
}

impl JobKind {
    fn single(self) -> bool {
        matches!(self, Self::SignIn | Self::Detect | Self::KeyCode)
    }
}

/// Why a job was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The user cancelled it.
    Cancelled,
    /// A newer request of its kind replaced it.
    Replaced,
    /// The credentials it used expired.
    Expired,
    /// The user signed out of its session.
    SignedOut,
}

impl From<End> for Stop {
    fn from(end: End) -> Self {
        match end {
            End::Expired => Self::Expired,
            End::SignedOut => Self::SignedOut,
        }
    }
}

#[derive(Debug)]
struct Job {
    kind: JobKind,
    stop: oneshot::Sender<Stop>,
}

/// The running jobs; cheap to clone (one shared map).
#[derive(Clone, Debug, Default)]
pub struct Jobs(Arc<Mutex<HashMap<RequestId, Job>>>);

impl Jobs {
    fn map(&self) -> MutexGuard<'_, HashMap<RequestId, Job>> {
        // A panic elsewhere must not stop cancellation from working.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `task` on `rt` as job `id`; `on_stop` runs (after `task` is dropped) if the job is
    /// stopped before it ends: cancelled, replaced, or its `lease` ended (a lease that has ended
    /// already stops it at once). A sign-in or detection replaces the running one of its kind.
    pub fn spawn<F>(
        &self,
        rt: &Handle,
        id: RequestId,
        kind: JobKind,
        lease: Option<Lease>,
        task: F,
        on_stop: impl FnOnce(Stop) + Send + 'static,
    ) where
        F: Future<Output = ()> + Send + 'static,
    {
        let jobs = self.clone();
        let (stop, stopped) = oneshot::channel();
        // Held while spawning, so a task that ends at once cannot leave before it was filed.
        let mut map = self.map();
        if kind.single() {
            let replaced: Vec<RequestId> = map
                .iter()
                .filter(|(_, job)| job.kind == kind)
                .map(|(id, _)| *id)
                .collect();
            for old in replaced {
                if let Some(job) = map.remove(&old) {
                    let _ = job.stop.send(Stop::Replaced);
                }
            }
        }
        rt.spawn(async move {
            let ended = async {
                match &lease {
                    Some(lease) => Stop::from(lease.until_ended().await),
                    None => std::future::pending().await,
                }
            };
            let why = {
                tokio::pin!(task);
                tokio::select! {
                    biased; // a lease already ended stops the task before its first step
                    why = ended => Some(why),
                    why = stopped => why.ok(),
                    () = &mut task => None,
                }
                // `task` is dropped here, before the stop is reported.
            };
            jobs.finished(id);
            if let Some(why) = why {
                on_stop(why);
            }
        });
        map.insert(id, Job { kind, stop });
    }

    /// Forgets job `id` without stopping it (it has ended, or is about to report its end).
    pub fn finished(&self, id: RequestId) {
        self.map().remove(&id);
    }

    /// Stops job `id` (the user cancelled it); returns its kind, or `None` when it is not running.
    pub fn cancel(&self, id: RequestId) -> Option<JobKind> {
        let job = self.map().remove(&id)?;
        let _ = job.stop.send(Stop::Cancelled); // an error: it ended meanwhile
        Some(job.kind)
    }

    /// How many jobs are running.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no job is running.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::session::{Credentials, SessionCreds};
    use crate::worker::lease::Leases;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, SystemTime};

    fn forever() -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(Duration::from_secs(3600))
    }

    fn creds(name: &str, expires_at: SystemTime) -> SessionCreds {
        SessionCreds {
            session: name.into(),
            expires_at,
            credentials: Credentials {
                access_key_id: "ASIAJOBSTEST00000001".into(),
                secret_access_key: Secret::new("jobs-test-secret"),
                session_token: None,
            },
            profile: None,
        }
    }

    /// Marks its drop, which is where a transfer removes its partial file.
    struct Guard(Arc<AtomicBool>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// A job that runs until stopped and tells `(why, dropped before the report)`.
    fn watched_job(
        jobs: &Jobs,
        id: RequestId,
        lease: Option<Lease>,
    ) -> oneshot::Receiver<(Stop, bool)> {
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = Guard(Arc::clone(&dropped));
        let (told_tx, told_rx) = oneshot::channel();
        jobs.spawn(
            &Handle::current(),
            id,
            JobKind::Transfer,
            lease,
            async move {
                let _guard = guard;
                forever().await;
            },
            move |why| {
                let _ = told_tx.send((why, dropped.load(Ordering::SeqCst)));
            },
        );
        told_rx
    }

    async fn told(rx: oneshot::Receiver<(Stop, bool)>) -> (Stop, bool) {
        tokio::time::timeout(Duration::from_secs(5), rx)
            .await
            .expect("the stop was reported")
            .expect("on_stop ran")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_new_sign_in_replaces_the_running_one_but_not_other_kinds() {
        let jobs = Jobs::default();
        let rt = Handle::current();
        jobs.spawn(&rt, 1, JobKind::SignIn, None, forever(), |_| {});
        jobs.spawn(&rt, 2, JobKind::Detect, None, forever(), |_| {});
        jobs.spawn(&rt, 3, JobKind::Listing, None, forever(), |_| {});
        jobs.spawn(&rt, 4, JobKind::SignIn, None, forever(), |_| {});
        assert_eq!(jobs.len(), 3);
        assert_eq!(jobs.cancel(1), None, "the replaced sign-in is gone");
        assert_eq!(jobs.cancel(4), Some(JobKind::SignIn));
        assert_eq!(jobs.cancel(2), Some(JobKind::Detect));
        assert_eq!(jobs.cancel(3), Some(JobKind::Listing));
        assert!(jobs.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn an_expiry_stops_its_generation_only_and_reports_after_the_drop() {
        let jobs = Jobs::default();
        let leases = Leases::default();
        let t = SystemTime::now() + Duration::from_secs(600);
        let renewed = t + Duration::from_secs(3600);
        let old = watched_job(&jobs, 10, Some(leases.take(&creds("prod", t))));
        let mut new = watched_job(&jobs, 11, Some(leases.take(&creds("prod", renewed))));
        let mut dev = watched_job(&jobs, 12, Some(leases.take(&creds("dev", t))));
        assert_eq!(leases.expire("prod", t), 1);
        assert_eq!(
            told(old).await,
            (Stop::Expired, true),
            "reported after the drop"
        );
        assert!(new.try_recv().is_err(), "the renewed generation runs on");
        assert!(dev.try_recv().is_err(), "another session runs on");
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs.cancel(11), Some(JobKind::Transfer));
        assert_eq!(jobs.cancel(12), Some(JobKind::Transfer));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_sign_out_stops_every_generation_and_a_job_started_after_it_at_once() {
        let jobs = Jobs::default();
        let leases = Leases::default();
        let t = SystemTime::now() + Duration::from_secs(600);
        let old_lease = leases.take(&creds("prod", t));
        let old = watched_job(&jobs, 20, Some(old_lease.clone()));
        let new = watched_job(
            &jobs,
            21,
            Some(leases.take(&creds("prod", t + Duration::from_secs(3600)))),
        );
        assert_eq!(leases.sign_out("prod"), 2);
        assert_eq!(told(old).await, (Stop::SignedOut, true));
        assert_eq!(told(new).await, (Stop::SignedOut, true));
        // A task that held the lease across a file dialog starts its transfer after the sign-out.
        let late = watched_job(&jobs, 22, Some(old_lease));
        assert_eq!(told(late).await, (Stop::SignedOut, true));
        assert!(jobs.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_finished_job_leaves_the_registry() {
        let jobs = Jobs::default();
        let (tx, rx) = oneshot::channel::<()>();
        jobs.spawn(
            &Handle::current(),
            7,
            JobKind::Listing,
            None,
            async move {
                let _ = tx.send(());
            },
            |_| panic!("not stopped"),
        );
        rx.await.expect("the task ran");
        for _ in 0..100 {
            if jobs.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(jobs.is_empty());
        assert_eq!(jobs.cancel(7), None);
    }
}
