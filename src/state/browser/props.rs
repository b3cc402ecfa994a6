//! The properties panel (storage class, Content-Type, metadata and tags of one object or of a
//! selection, each field checked as typed), restoring a version, and the bucket inspector.
//!
//! For a selection the form shows what the objects have in common; what the user changes is
//! applied to each object (as edits, so metadata and tags the form does not show stay), each
//! guarded by what was read when the panel was filled.

use super::Browser;
use crate::aws::errors::AwsError;
use crate::aws::s3::{
    self, BucketSettings, METADATA_MAX, ObjectProps, PropsChange, TAGS_MAX, VersionInfo,
};
use crate::message::{BucketJob, Outbox, PropsAnswer, PropsJob, RequestId, next_id};
use crate::notice::Notice;

/// The most objects one properties panel reads.
pub const PROPS_MAX: usize = 1000;

/// One key and value as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pair {
    pub key: String,
    pub value: String,
}

/// The properties being edited.
#[derive(Debug, Default)]
pub struct PropsForm {
    pub keys: Vec<String>,
    /// The read under way.
    pub read_id: Option<RequestId>,
    /// What was read (`None` while reading).
    pub read: Option<Result<Vec<ObjectProps>, AwsError>>,
    /// The values the objects share, as the form started.
    start: Shared,
    /// A storage class, or "" to keep each object's.
    pub storage_class: String,
    /// The Content-Type; "" keeps each object's when they differ.
    pub content_type: String,
    pub metadata: Vec<Pair>,
    pub tags: Vec<Pair>,
    /// The change under way.
    pub apply_id: Option<RequestId>,
    /// How the last change went.
    pub outcome: Option<Notice>,
}

/// What every object read has alike.
#[derive(Debug, Default)]
struct Shared {
    storage_class: Option<String>,
    content_type: Option<String>,
    metadata: Vec<(String, String)>,
    tags: Vec<(String, String)>,
}

impl Shared {
    fn of(read: &[ObjectProps]) -> Self {
        let same = |f: &dyn Fn(&ObjectProps) -> Option<String>| {
            let first = read.first().and_then(f);
            read.iter()
                .all(|p| f(p) == first)
                .then_some(first)
                .flatten()
        };
        let common = |f: &dyn Fn(&ObjectProps) -> &Vec<(String, String)>| {
            let first = read.first().map(f).cloned().unwrap_or_default();
            first
                .into_iter()
                .filter(|pair| read.iter().all(|p| f(p).contains(pair)))
                .collect()
        };
        Self {
            storage_class: same(&|p| Some(p.storage_class.clone())),
            content_type: same(&|p| p.content_type.clone()),
            metadata: common(&|p| &p.metadata),
            tags: common(&|p| &p.tags),
        }
    }
}

/// What is wrong with the form, field by field (`None`: nothing).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Problems {
    pub content_type: Option<String>,
    /// One per metadata row.
    pub metadata: Vec<Option<String>>,
    /// About the metadata as a whole (its size).
    pub metadata_total: Option<String>,
    /// One per tag row.
    pub tags: Vec<Option<String>>,
    /// About the tags as a whole (their count).
    pub tags_total: Option<String>,
}

impl Problems {
    #[must_use]
    pub fn any(&self) -> bool {
        self.content_type.is_some()
            || self.metadata_total.is_some()
            || self.tags_total.is_some()
            || self.metadata.iter().chain(&self.tags).any(Option::is_some)
    }
}

/// Each row's problem: its key's, its value's, or a key used above.
fn row_problems(
    rows: &[Pair],
    key: fn(&str) -> Option<&'static str>,
    value: fn(&str) -> Option<&'static str>,
    fold: bool,
) -> Vec<Option<String>> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let k = if fold {
                r.key.to_lowercase()
            } else {
                r.key.clone()
            };
            let used = rows.iter().take(i).any(|o| {
                if fold {
                    o.key.to_lowercase() == k
                } else {
                    o.key == k
                }
            });
            key(&r.key)
                .or_else(|| value(&r.value))
                .map(str::to_owned)
                .or_else(|| used.then(|| "This key is already used above".to_owned()))
        })
        .collect()
}

fn pairs(rows: &[Pair]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r.key.clone(), r.value.clone()))
        .collect()
}

/// The set/remove edits that turn `start` into `now`.
fn edits(
    start: &[(String, String)],
    now: &[(String, String)],
) -> (Vec<(String, String)>, Vec<String>) {
    let set = now.iter().filter(|p| !start.contains(p)).cloned().collect();
    let remove = start
        .iter()
        .filter(|(k, _)| !now.iter().any(|(n, _)| n == k))
        .map(|(k, _)| k.clone())
        .collect();
    (set, remove)
}

impl PropsForm {
    /// A read or a change is under way (a change waits for the read that guards it).
    #[must_use]
    pub fn busy(&self) -> bool {
        self.read_id.is_some() || self.apply_id.is_some()
    }

    /// Whether the objects differ in Content-Type (then "" keeps each one's).
    #[must_use]
    pub fn mixed_content_type(&self) -> bool {
        self.start.content_type.is_none()
    }

    /// The problems of what is typed now.
    #[must_use]
    pub fn problems(&self) -> Problems {
        let ct = self.content_type.trim();
        let content_type = if ct.is_empty() && self.mixed_content_type() {
            None
        } else {
            s3::content_type_problem(ct).map(str::to_owned)
        };
        // Metadata keys are case-insensitive on S3 (they travel as headers).
        let metadata = row_problems(
            &self.metadata,
            s3::metadata_key_problem,
            s3::metadata_value_problem,
            true,
        );
        let bytes = s3::metadata_bytes(&pairs(&self.metadata));
        let metadata_total = (bytes > METADATA_MAX)
            .then(|| format!("Metadata is {bytes} bytes; S3 allows at most {METADATA_MAX} (2 KB)"));
        let tags = row_problems(
            &self.tags,
            s3::tag_key_problem,
            s3::tag_value_problem,
            false,
        );
        let tags_total = (self.tags.len() > TAGS_MAX).then(|| {
            format!(
                "At most {TAGS_MAX} tags; remove {}",
                self.tags.len() - TAGS_MAX
            )
        });
        Problems {
            content_type,
            metadata,
            metadata_total,
            tags,
            tags_total,
        }
    }

    /// The change the form asks for (empty when nothing was changed).
    #[must_use]
    pub fn change(&self) -> PropsChange {
        let class = Some(self.storage_class.clone()).filter(|c| !c.is_empty());
        let ct = Some(self.content_type.trim().to_owned()).filter(|c| !c.is_empty());
        let (metadata_set, metadata_remove) = edits(&self.start.metadata, &pairs(&self.metadata));
        let (tags_set, tags_remove) = edits(&self.start.tags, &pairs(&self.tags));
        PropsChange {
            storage_class: class.filter(|c| Some(c) != self.start.storage_class.as_ref()),
            content_type: ct.filter(|c| Some(c) != self.start.content_type.as_ref()),
            metadata_set,
            metadata_remove,
            tags_set,
            tags_remove,
        }
    }

    /// Fills the fields from what was read.
    fn fill(&mut self, read: &[ObjectProps]) {
        self.start = Shared::of(read);
        let to_rows = |p: &[(String, String)]| {
            p.iter()
                .map(|(k, v)| Pair {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect()
        };
        self.storage_class = self.start.storage_class.clone().unwrap_or_default();
        self.content_type = self.start.content_type.clone().unwrap_or_default();
        self.metadata = to_rows(&self.start.metadata);
        self.tags = to_rows(&self.start.tags);
    }
}

/// The bucket inspector.
#[derive(Debug)]
pub struct SettingsView {
    pub id: RequestId,
    pub bucket: String,
    /// `None` while reading.
    pub result: Option<Result<BucketSettings, AwsError>>,
}

/// A version being restored, or how it went.
#[derive(Debug)]
pub struct Restoring {
    pub id: RequestId,
    pub key: String,
    /// `None` while it runs.
    pub outcome: Option<Notice>,
}

/// The panels of this file.
#[derive(Debug, Default)]
pub struct PropsPanels {
    pub form: Option<PropsForm>,
    pub settings: Option<SettingsView>,
    pub restoring: Option<Restoring>,
}

impl Browser {
    /// Opens the properties of the selected objects (folders left out), reading them first.
    pub fn open_props(&mut self, out: &mut Outbox) {
        let keys: Vec<String> = self
            .selected_objects()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        if keys.is_empty() {
            return;
        }
        if keys.len() > PROPS_MAX {
            self.note = Some(Notice::warning(format!(
                "Select at most {PROPS_MAX} objects to change their properties"
            )));
            return;
        }
        let id = next_id();
        let job = BucketJob::Props(PropsJob::Read { keys: keys.clone() });
        if self.send_job(out, id, job) {
            self.props.form = Some(PropsForm {
                keys,
                read_id: Some(id),
                ..PropsForm::default()
            });
        }
    }

    /// Applies the form's change; nothing is sent while a field is wrong or nothing changed.
    pub fn apply_props(&mut self, out: &mut Outbox) {
        let Some(form) = self.props.form.as_ref() else {
            return;
        };
        let Some(Ok(read)) = &form.read else { return };
        let change = form.change();
        if form.busy() || form.problems().any() || change.is_empty() {
            return;
        }
        let id = next_id();
        let job = BucketJob::Props(PropsJob::Apply {
            read: read.clone(),
            change: Box::new(change),
        });
        if self.send_job(out, id, job) {
            if let Some(here) = self.here() {
                self.changes.insert(id, here);
            }
            if let Some(form) = self.props.form.as_mut() {
                form.apply_id = Some(id);
                form.outcome = None;
            }
        }
    }

    /// Opens the inspector of the current bucket.
    pub fn open_settings(&mut self, out: &mut Outbox) {
        let Some(bucket) = self.location.as_ref().map(|l| l.bucket.clone()) else {
            return;
        };
        let id = next_id();
        if self.send_job(out, id, BucketJob::Props(PropsJob::Settings)) {
            self.props.settings = Some(SettingsView {
                id,
                bucket,
                result: None,
            });
        }
    }

    /// Makes `version` of the object whose versions are shown its current version again.
    pub fn restore_version(&mut self, out: &mut Outbox, version: &VersionInfo) {
        let Some(v) = self.versions.as_ref() else {
            return;
        };
        let latest = match &v.result {
            Some(Ok(list)) => list
                .iter()
                .find(|x| x.latest && !x.delete_marker)
                .map(|x| x.version_id.clone()),
            _ => None,
        };
        let key = v.key.clone();
        let id = next_id();
        let job = BucketJob::Props(PropsJob::Restore {
            key: key.clone(),
            version: version.version_id.clone(),
            latest,
        });
        if self.send_job(out, id, job) {
            if let Some(here) = self.here() {
                self.changes.insert(id, here);
            }
            self.props.restoring = Some(Restoring {
                id,
                key,
                outcome: None,
            });
        }
    }

    pub(super) fn props_arrived(&mut self, id: RequestId, answer: PropsAnswer, out: &mut Outbox) {
        match answer {
            PropsAnswer::Read(result) => {
                if let Some(form) = self.props.form.as_mut().filter(|f| f.read_id == Some(id)) {
                    form.read_id = None;
                    if let Ok(read) = &result {
                        form.fill(read);
                    }
                    form.read = Some(result);
                }
            }
            PropsAnswer::Applied(result) => self.applied(id, result, out),
            PropsAnswer::Restored(result) => {
                self.changed(id, out);
                let Some(r) = self.props.restoring.as_mut().filter(|r| r.id == id) else {
                    return;
                };
                r.outcome = Some(match &result {
                    Ok(sentence) => Notice::success(sentence.clone()),
                    Err(e) => Notice::from(e),
                });
                // The list of versions again, with the new one on top.
                if result.is_ok() && self.versions.as_ref().is_some_and(|v| v.key == r.key) {
                    self.show_versions(out);
                }
            }
            PropsAnswer::Settings(result) => {
                if let Some(s) = self.props.settings.as_mut().filter(|s| s.id == id) {
                    s.result = Some(result);
                }
            }
        }
    }

    /// A change ended: the outcome shown; when anything changed, the objects are read again (new
    /// ETags for the next change) and the folder refreshed. When nothing changed the form keeps
    /// what was typed.
    fn applied(
        &mut self,
        id: RequestId,
        result: Result<crate::message::ApplyReport, AwsError>,
        out: &mut Outbox,
    ) {
        self.changed(id, out);
        let Some(form) = self.props.form.as_mut().filter(|f| f.apply_id == Some(id)) else {
            return;
        };
        form.apply_id = None;
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                form.outcome = Some(Notice::from(&e));
                return;
            }
        };
        let sentence = report.summary();
        form.outcome = Some(
            match (report.changed.is_empty(), report.failed.is_empty()) {
                (_, true) => Notice::success(sentence),
                (true, false) => Notice::error(sentence),
                (false, false) => Notice::warning(sentence),
            },
        );
        if report.changed.is_empty() {
            return;
        }
        let read_id = next_id();
        let job = BucketJob::Props(PropsJob::Read {
            keys: form.keys.clone(),
        });
        form.read_id = Some(read_id);
        self.send_job(out, read_id, job);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(key: &str, ct: &str, meta: &[(&str, &str)]) -> ObjectProps {
        ObjectProps {
            key: key.into(),
            storage_class: "STANDARD".into(),
            content_type: Some(ct.into()),
            metadata: meta
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..ObjectProps::default()
        }
    }

    #[test]
    fn a_selection_shows_what_it_shares_and_changes_only_what_was_edited() {
        let mut form = PropsForm::default();
        form.fill(&[
            props("a", "text/plain", &[("team", "x"), ("only-a", "1")]),
            props("b", "text/csv", &[("team", "x")]),
        ]);
        assert!(form.mixed_content_type());
        assert_eq!(form.content_type, "");
        assert_eq!(
            form.metadata,
            [Pair {
                key: "team".into(),
                value: "x".into()
            }]
        );
        assert!(form.change().is_empty());
        assert!(
            !form.problems().any(),
            "an empty Content-Type keeps each one's"
        );
        form.metadata.push(Pair {
            key: "owner".into(),
            value: "ops".into(),
        });
        let change = form.change();
        assert_eq!(
            change.metadata_set,
            [("owner".to_owned(), "ops".to_owned())]
        );
        assert!(change.metadata_remove.is_empty() && change.content_type.is_none());
    }

    #[test]
    fn bad_fields_are_named_row_by_row() {
        let mut form = PropsForm::default();
        form.fill(&[props("a", "text/plain", &[])]);
        form.content_type = "plain".into();
        form.metadata = vec![
            Pair {
                key: "my key".into(),
                value: "v".into(),
            },
            Pair {
                key: "ok".into(),
                value: "v".into(),
            },
            Pair {
                key: "OK".into(),
                value: "w".into(),
            },
        ];
        form.tags = (0..11)
            .map(|i| Pair {
                key: format!("k{i}"),
                value: String::new(),
            })
            .collect();
        let p = form.problems();
        assert!(p.content_type.is_some());
        assert_eq!(
            p.metadata[0].as_deref(),
            Some("A key cannot contain spaces")
        );
        assert_eq!(p.metadata[1], None);
        assert_eq!(
            p.metadata[2].as_deref(),
            Some("This key is already used above")
        );
        assert_eq!(p.tags_total.as_deref(), Some("At most 10 tags; remove 1"));
        form.content_type = String::new();
        assert!(
            form.problems().content_type.is_some(),
            "one object: a type is needed"
        );
    }
}
