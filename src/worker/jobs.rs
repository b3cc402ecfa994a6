//! The one registry of the worker's cancellable tasks: sign-ins, detections, listings and
//! transfers, each under its request id. A sign-in or detection replaces the running one of its
//! kind (the newest request wins); a task that uses a session's credentials is filed under that
//! session, so the session's expiry stops every one of them at once.
//!
//! A stopped task is dropped inside its own wrapper before its `on_stop` reports the stop, so
//! whatever its drop cleans up (a partial download, a multipart upload) is gone by the time the UI
//! hears of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

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
    /// Its session ended.
    Expired,
}

#[derive(Debug)]
struct Job {
    kind: JobKind,
    session: Option<String>,
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
    /// stopped before it ends. A sign-in or detection replaces the running one of its kind.
    pub fn spawn<F>(
        &self,
        rt: &Handle,
        id: RequestId,
        kind: JobKind,
        session: Option<String>,
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
            let why = {
                tokio::pin!(task);
                tokio::select! {
                    () = &mut task => None,
                    why = stopped => why.ok(),
                }
                // `task` is dropped here, before the stop is reported.
            };
            jobs.finished(id);
            if let Some(why) = why {
                on_stop(why);
            }
        });
        map.insert(
            id,
            Job {
                kind,
                session,
                stop,
            },
        );
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

    /// Stops every job that uses the session `name` (it has ended); returns their ids and kinds.
    pub fn cancel_session(&self, name: &str) -> Vec<(RequestId, JobKind)> {
        let mut map = self.map();
        let ids: Vec<RequestId> = map
            .iter()
            .filter(|(_, job)| job.session.as_deref() == Some(name))
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter()
            .filter_map(|id| map.remove(&id).map(|job| (id, job)))
            .map(|(id, job)| {
                let _ = job.stop.send(Stop::Expired); // an error: it ended meanwhile
                (id, job.kind)
            })
            .collect()
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
    use std::time::Duration;

    fn forever() -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(Duration::from_secs(3600))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_new_sign_in_replaces_the_running_one_but_not_other_kinds() {
        let jobs = Jobs::default();
        let rt = Handle::current();
        jobs.spawn(&rt, 1, JobKind::SignIn, None, forever(), |_| {});
        jobs.spawn(&rt, 2, JobKind::Detect, None, forever(), |_| {});
        jobs.spawn(
            &rt,
            3,
            JobKind::Listing,
            Some("a".into()),
            forever(),
            |_| {},
        );
        jobs.spawn(&rt, 4, JobKind::SignIn, None, forever(), |_| {});
        assert_eq!(jobs.len(), 3);
        assert_eq!(jobs.cancel(1), None, "the replaced sign-in is gone");
        assert_eq!(jobs.cancel(4), Some(JobKind::SignIn));
        assert_eq!(jobs.cancel(2), Some(JobKind::Detect));
        assert_eq!(jobs.cancel(3), Some(JobKind::Listing));
        assert!(jobs.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_session_expiry_stops_its_jobs_only_and_reports_after_the_drop() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let jobs = Jobs::default();
        let rt = Handle::current();
        // The task's guard marks its drop, which is where a transfer removes its partial file.
        struct Guard(Arc<AtomicBool>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = Guard(Arc::clone(&dropped));
        let (told_tx, told_rx) = oneshot::channel();
        let seen = Arc::clone(&dropped);
        jobs.spawn(
            &rt,
            10,
            JobKind::Transfer,
            Some("prod".into()),
            async move {
                let _guard = guard;
                forever().await;
            },
            move |why| {
                let _ = told_tx.send((why, seen.load(Ordering::SeqCst)));
            },
        );
        jobs.spawn(
            &rt,
            11,
            JobKind::Listing,
            Some("prod".into()),
            forever(),
            |_| {},
        );
        jobs.spawn(
            &rt,
            12,
            JobKind::Listing,
            Some("dev".into()),
            forever(),
            |_| {},
        );
        let mut stopped = jobs.cancel_session("prod");
        stopped.sort_by_key(|(id, _)| *id);
        assert_eq!(
            stopped,
            vec![(10, JobKind::Transfer), (11, JobKind::Listing)]
        );
        let told = tokio::time::timeout(Duration::from_secs(5), told_rx)
            .await
            .expect("the stop was reported")
            .expect("on_stop ran");
        assert_eq!(
            told,
            (Stop::Expired, true),
            "reported after the task was dropped"
        );
        assert_eq!(jobs.len(), 1, "dev's listing runs on");
        assert_eq!(jobs.cancel(12), Some(JobKind::Listing));
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
