//! Looking into one object: its preview (text or image, read by the worker) and its versions,
//! each of which can be previewed or downloaded.

use super::Browser;
use crate::aws::errors::AwsError;
use crate::aws::s3::{Preview, VersionInfo, preview_kind};
use crate::message::{BucketJob, Outbox, RequestId, next_id};

/// An answer about one object (a version of it), asked for and perhaps arrived.
#[derive(Debug)]
pub struct Inspect<T> {
    pub id: RequestId,
    pub key: String,
    pub version: Option<String>,
    /// `None` while waiting.
    pub result: Option<Result<T, AwsError>>,
}

impl Browser {
    /// The one selected object: key and size.
    fn one_object(&self) -> Option<(String, u64)> {
        let [one] = self.selected_objects().try_into().ok()?;
        Some(one)
    }

    /// Asks for a preview of the one selected object, or of `version` of it (id and size).
    pub fn preview(&mut self, out: &mut Outbox, version: Option<(String, u64)>) {
        let Some((key, size)) = self.one_object() else {
            return;
        };
        let (version, size) = match version {
            Some((v, s)) => (Some(v), s),
            None => (None, size),
        };
        let content_type = self
            .details
            .as_ref()
            .filter(|d| d.key == key)
            .and_then(|d| d.content_type.clone());
        let id = next_id();
        let job = BucketJob::Preview {
            key: key.clone(),
            version: version.clone(),
            size,
            kind: preview_kind(&key, content_type.as_deref()),
        };
        if self.send_job(out, id, job) {
            self.preview = Some(Inspect {
                id,
                key,
                version,
                result: None,
            });
        }
    }

    /// Lists the versions of the one selected object.
    pub fn show_versions(&mut self, out: &mut Outbox) {
        let Some((key, _)) = self.one_object() else {
            return;
        };
        let id = next_id();
        if self.send_job(out, id, BucketJob::Versions { key: key.clone() }) {
            self.versions = Some(Inspect {
                id,
                key,
                version: None,
                result: None,
            });
        }
    }

    /// Downloads one version of the object whose versions are shown (a save dialog asks where).
    pub fn download_version(&mut self, out: &mut Outbox, version: &VersionInfo) {
        let Some(key) = self.versions.as_ref().map(|v| v.key.clone()) else {
            return;
        };
        let job = BucketJob::DownloadVersion {
            key,
            version: version.version_id.clone(),
            size: version.size,
            target: None,
        };
        self.send_job(out, next_id(), job);
    }

    pub(super) fn preview_arrived(&mut self, id: RequestId, result: Result<Preview, AwsError>) {
        if let Some(p) = self.preview.as_mut().filter(|p| p.id == id) {
            p.result = Some(result);
        }
    }

    pub(super) fn versions_arrived(
        &mut self,
        id: RequestId,
        result: Result<Vec<VersionInfo>, AwsError>,
    ) {
        if let Some(v) = self.versions.as_mut().filter(|v| v.id == id) {
            v.result = Some(result);
        }
    }
}
