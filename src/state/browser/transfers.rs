//! Downloads and uploads: asking for them, their progress on screen, Cancel; interrupted ones
//! resumed or discarded, and a bucket's unfinished uploads listed and aborted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::Browser;
use crate::aws::errors::AwsError;
use crate::aws::s3::Unfinished;
use crate::message::{
    BrowseCommand, BucketAt, BucketJob, Command, Outbox, RequestId, TransferUpdate, next_id,
};
use crate::notice::Notice;

/// A bucket's unfinished multipart uploads, asked for and perhaps arrived.
#[derive(Debug)]
pub struct UnfinishedUploads {
    pub id: RequestId,
    pub bucket: String,
    /// `None` while waiting.
    pub result: Option<Result<Vec<Unfinished>, AwsError>>,
}

/// A download or upload on screen.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// Cancel's id.
    pub id: RequestId,
    /// "Downloading report.pdf".
    pub label: String,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all, when known.
    pub total: Option<u64>,
    /// For the rate and the time left.
    pub started: Instant,
    /// `None` while running.
    pub outcome: Option<Notice>,
}

impl Transfer {
    /// Bytes per second so far.
    #[must_use]
    pub fn rate(&self) -> f64 {
        let secs = self.started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)] // display
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// Time left at the current rate.
    #[must_use]
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        let rate = self.rate();
        #[allow(clippy::cast_precision_loss)] // display
        (rate > 0.0).then(|| Duration::from_secs_f64(total.saturating_sub(self.done) as f64 / rate))
    }

    /// The done share, 0 when the size is not known.
    #[must_use]
    pub fn fraction(&self) -> f32 {
        #[allow(clippy::cast_precision_loss)] // display
        self.total
            .filter(|&n| n > 0)
            .map_or(0.0, |n| self.done as f32 / n as f32)
    }
}

impl Browser {
    /// Downloads one object; the worker asks where with a save dialog.
    pub(super) fn download_one(&mut self, out: &mut Outbox, item: (String, u64)) {
        let Some(loc) = self.location.clone() else {
            return;
        };
        let items = vec![item];
        let region = self.region_of(&loc.bucket);
        self.send(out, |creds| BrowseCommand::Download {
            creds,
            bucket: loc.bucket,
            region,
            items,
            target: None,
        });
    }

    /// Uploads `files` (dropped on the window: `Some`) into the current folder; `None` asks with
    /// a file dialog first.
    pub fn upload(&mut self, out: &mut Outbox, files: Option<Vec<PathBuf>>) {
        let Some(loc) = self.here() else {
            self.note = Some(Notice::info("Open a bucket first, then upload into it"));
            return;
        };
        let region = self.region_of(&loc.bucket);
        self.send(out, |creds| BrowseCommand::Upload {
            creds,
            bucket: loc.bucket,
            region,
            prefix: loc.prefix,
            files,
        });
    }

    /// Sends `job` on `bucket` (not necessarily the one shown).
    fn send_on(
        &self,
        out: &mut Outbox,
        id: RequestId,
        bucket: &str,
        region: Option<String>,
        job: BucketJob,
    ) -> bool {
        let region = region.or_else(|| self.region_of(bucket));
        let bucket = bucket.to_owned();
        self.send(out, |creds| BrowseCommand::Bucket {
            id,
            at: BucketAt {
                creds,
                bucket,
                region,
            },
            job,
        })
    }

    /// Resumes the interrupted transfer `record` with the browser's session; it leaves the list
    /// (it comes back if it is interrupted again).
    pub fn resume(&mut self, out: &mut Outbox, record: &str) {
        let Some(r) = self.interrupted.iter().find(|r| r.id == record) else {
            return;
        };
        let job = BucketJob::Resume {
            record: record.to_owned(),
        };
        if self.send_on(out, next_id(), &r.bucket.clone(), r.region.clone(), job) {
            self.interrupted.retain(|r| r.id != record);
        }
    }

    /// Drops the interrupted transfer `record`: its hidden file, or its parts on S3.
    pub fn discard(&mut self, out: &mut Outbox, record: &str) {
        let Some(r) = self.interrupted.iter().find(|r| r.id == record) else {
            return;
        };
        let job = BucketJob::Discard {
            record: record.to_owned(),
        };
        if self.send_on(out, next_id(), &r.bucket.clone(), r.region.clone(), job) {
            self.interrupted.retain(|r| r.id != record);
        }
    }

    /// Lists the unfinished multipart uploads of the bucket shown.
    pub fn show_unfinished(&mut self, out: &mut Outbox) {
        let Some(bucket) = self.location.as_ref().map(|l| l.bucket.clone()) else {
            return;
        };
        let id = next_id();
        if self.send_on(out, id, &bucket, None, BucketJob::Unfinished) {
            self.unfinished = Some(UnfinishedUploads {
                id,
                bucket,
                result: None,
            });
        }
    }

    /// Aborts `uploads` (key, upload id) of the bucket whose unfinished uploads are shown.
    pub fn abort_unfinished(&mut self, out: &mut Outbox, uploads: Vec<(String, String)>) {
        let Some(bucket) = self.unfinished.as_ref().map(|u| u.bucket.clone()) else {
            return;
        };
        let id = next_id();
        if self.send_on(
            out,
            id,
            &bucket,
            None,
            BucketJob::AbortUnfinished { uploads },
        ) {
            self.unfinished = Some(UnfinishedUploads {
                id,
                bucket,
                result: None,
            });
        }
    }

    pub(super) fn unfinished_arrived(
        &mut self,
        id: RequestId,
        result: Result<Vec<Unfinished>, AwsError>,
    ) {
        if let Some(u) = self.unfinished.as_mut().filter(|u| u.id == id) {
            u.result = Some(result);
        }
    }

    /// Stops a transfer; nothing partial is left.
    pub fn cancel_transfer(&self, out: &mut Outbox, id: RequestId) {
        out.send(Command::Cancel { id });
    }

    pub(super) fn transfer(&mut self, id: RequestId, update: TransferUpdate) {
        match update {
            TransferUpdate::Started { label, total } => self.transfers.push(Transfer {
                id,
                label,
                done: 0,
                total,
                started: Instant::now(),
                outcome: None,
            }),
            TransferUpdate::Progress(done) => {
                if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
                    t.done = done;
                }
            }
            TransferUpdate::Finished(result) => {
                if result.is_ok() {
                    self.note = Some(Notice::success("Transfer finished"));
                }
                if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
                    t.outcome = Some(match &result {
                        Ok(text) => Notice::info(text.clone()),
                        Err(e) => Notice::error(e.message.clone()),
                    });
                }
            }
        }
    }
}
