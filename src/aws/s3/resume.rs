//! Interrupted transfers kept on disk, so that a large upload or download stopped by quitting
//! keyfob, a kill, a lost network or the end of its session resumes from what was done: for a
//! multipart upload its id and the parts S3 has (with their ETags) and the file's size and
//! modification time; for a ranged download its hidden file and the ranges already in it. A record
//! holds no secret (names, paths, sizes, an upload id and ETags grant nothing without the
//! session's credentials). One small JSON file per transfer, written whole (a temporary file
//! renamed into place) in a directory only the user can read.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Objects up to this size come in one GET; larger ones in ranges of this size.
pub const RANGE_SIZE: u64 = 8 * 1024 * 1024;

/// The record format's version; a record of another is not read.
pub const RECORD_VERSION: u32 = 1;

/// One interrupted (or running) transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    /// Unique; also the record's file name and part of a download's hidden file name.
    pub id: String,
    /// The session it ran with (shown to the user; any live session may resume it).
    pub session: String,
    pub bucket: String,
    pub region: Option<String>,
    pub key: String,
    /// The transfer's bytes in all.
    pub total: u64,
    pub job: Job,
}

/// What kind of transfer, and how far it got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    Upload(UploadState),
    Download(DownloadState),
}

/// A multipart upload's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// The local file.
    pub path: PathBuf,
    /// Its size and modification time when the upload began: a file that changed since starts
    /// over.
    pub size: u64,
    pub modified: FileTime,
    pub part_size: u64,
    pub upload_id: String,
    /// The parts S3 has acknowledged: number → ETag.
    pub parts: BTreeMap<i32, String>,
}

/// A ranged download's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadState {
    /// Where the file goes when complete.
    pub dest: PathBuf,
    /// The hidden file the ranges are written into, beside `dest`.
    pub temp: PathBuf,
    /// The object's version (`None`: the current one) and its ETag: ranges are fetched pinned
    /// to it, so an object replaced meanwhile starts over.
    pub version: Option<String>,
    pub etag: String,
    /// The ETag when it is the content's MD5, checked when complete.
    pub md5: Option<String>,
    /// Whether `dest` may be replaced (the user chose it in a save dialog).
    pub replace: bool,
    /// The offsets of the ranges ([`RANGE_SIZE`] each) written and flushed.
    pub ranges: BTreeSet<u64>,
}

/// A file's modification time, to the nanosecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTime {
    pub secs: u64,
    pub nanos: u32,
}

impl FileTime {
    /// The time in `meta` (the epoch where the platform gives none).
    #[must_use]
    pub fn of(meta: &std::fs::Metadata) -> Self {
        let since = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .unwrap_or_default();
        Self {
            secs: since.as_secs(),
            nanos: since.subsec_nanos(),
        }
    }
}

/// The bytes of the chunk at `start` of a transfer of `total` bytes in chunks of `chunk`.
fn chunk_len(start: u64, chunk: u64, total: u64) -> u64 {
    chunk.min(total.saturating_sub(start))
}

impl Record {
    /// The bytes already done.
    #[must_use]
    pub fn done(&self) -> u64 {
        match &self.job {
            Job::Upload(u) => u
                .parts
                .keys()
                .filter_map(|&n| u64::try_from(n).ok())
                .map(|n| chunk_len((n.saturating_sub(1)) * u.part_size, u.part_size, self.total))
                .sum(),
            Job::Download(d) => d
                .ranges
                .iter()
                .map(|&start| chunk_len(start, RANGE_SIZE, self.total))
                .sum(),
        }
    }

    /// "Uploading report.pdf" / "Downloading report.pdf".
    #[must_use]
    pub fn label(&self) -> String {
        let name = self
            .key
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(&self.key);
        match &self.job {
            Job::Upload(_) => format!("Uploading {name}"),
            Job::Download(_) => format!("Downloading {name}"),
        }
    }

    /// The multipart upload's id, for an upload.
    #[must_use]
    pub fn upload_id(&self) -> Option<&str> {
        match &self.job {
            Job::Upload(u) => Some(&u.upload_id),
            Job::Download(_) => None,
        }
    }
}

/// Records forgotten in this process: a write still on its way for one of them is dropped, so a
/// cancelled transfer cannot come back.
static FORGOTTEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Whether `id` is one keyfob made: letters, digits and dashes (it names files).
#[must_use]
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The directory of records, and which of them belong to transfers running in this process.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    running: Mutex<HashSet<String>>,
}

impl Store {
    #[must_use]
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            running: Mutex::default(),
        }
    }

    /// Marks record `id` as a running transfer's (`true`) or not: [`Self::interrupted`] leaves
    /// the running ones out.
    pub fn set_running(&self, id: &str, running: bool) {
        let mut set = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if running {
            set.insert(id.to_owned());
        } else {
            set.remove(id);
        }
    }

    /// The records of transfers not running now: the ones to offer for resuming.
    #[must_use]
    pub fn interrupted(&self) -> Vec<Record> {
        let mut records = self.all();
        let set = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        records.retain(|r| !set.contains(&r.id));
        records
    }

    /// `$XDG_STATE_HOME/keyfob/transfers`, else `~/.local/state/keyfob/transfers`.
    #[must_use]
    pub fn default_dir() -> Option<PathBuf> {
        let state = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state"))
            })?;
        Some(state.join("keyfob").join("transfers"))
    }

    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new record id: the time, the process and a counter.
    #[must_use]
    pub fn new_id() -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        format!("{now:x}-{:x}-{n}", std::process::id())
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes `record` whole (replacing its earlier state); nothing for a record forgotten
    /// meanwhile.
    pub fn save(&self, record: &Record) -> std::io::Result<()> {
        if !valid_id(&record.id) {
            return Err(std::io::Error::other("not a transfer record's id"));
        }
        let forgotten = FORGOTTEN.lock().unwrap_or_else(PoisonError::into_inner);
        if forgotten.as_ref().is_some_and(|f| f.contains(&record.id)) {
            return Ok(());
        }
        let text = serde_json::to_vec_pretty(record).map_err(std::io::Error::other)?;
        make_private_dir(&self.dir)?;
        let tmp = self.dir.join(format!(".{}.tmp", record.id));
        write_private(&tmp, &text)?;
        std::fs::rename(&tmp, self.path(&record.id)).inspect_err(|_| {
            drop(std::fs::remove_file(&tmp));
        })
    }

    /// The record `id`, if there is one that reads.
    #[must_use]
    pub fn load(&self, id: &str) -> Option<Record> {
        if !valid_id(id) {
            return None;
        }
        let text = std::fs::read(self.path(id)).ok()?;
        serde_json::from_slice::<Record>(&text)
            .ok()
            .filter(|r| r.version == RECORD_VERSION && r.id == id)
    }

    /// Every record that reads, oldest first; a file that does not read is skipped (and logged).
    #[must_use]
    pub fn all(&self) -> Vec<Record> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut records: Vec<Record> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".json")?.to_owned();
                let record = self.load(&id);
                if record.is_none() {
                    tracing::warn!("skipped a transfer record that does not read: {name}");
                }
                record
            })
            .collect();
        records.sort_by(|a, b| a.id.cmp(&b.id));
        records
    }

    /// Removes record `id` for good (a later save of it in this process is dropped).
    pub fn forget(&self, id: &str) {
        if !valid_id(id) {
            return;
        }
        let mut forgotten = FORGOTTEN.lock().unwrap_or_else(PoisonError::into_inner);
        forgotten
            .get_or_insert_with(HashSet::new)
            .insert(id.to_owned());
        if let Err(e) = std::fs::remove_file(self.path(id))
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("could not remove the transfer record {id}: {e}");
        }
    }
}

/// Where a resumable transfer keeps its record, and what the record names.
#[derive(Clone, Debug)]
pub struct Keep {
    pub store: Arc<Store>,
    /// The record's id ([`Store::new_id`]).
    pub id: String,
    /// The session it runs with, and the bucket's region.
    pub session: String,
    pub region: Option<String>,
}

/// How a resumed transfer went: bytes sent now, bytes S3 (or the disk) already had, and why it
/// started over when it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resumed {
    pub sent: u64,
    pub reused: u64,
    pub restarted: Option<String>,
}

/// Writes the parts acknowledged so far into the record (a failed write is logged: the upload
/// goes on, and a resume asks S3 which parts it has).
pub(super) fn save_parts(store: &Store, record: &mut Record, parts: &BTreeMap<i32, String>) {
    if let Job::Upload(u) = &mut record.job {
        u.parts.clone_from(parts);
    }
    if let Err(e) = store.save(record) {
        tracing::warn!("could not update the upload's record: {e}");
    }
}

/// Writes the ranges done so far into the record (a failed write is logged: the download goes
/// on; a resume then fetches those ranges again).
pub(super) fn save_ranges(store: &Store, record: &mut Record, ranges: &BTreeSet<u64>) {
    if let Job::Download(d) = &mut record.job {
        d.ranges.clone_from(ranges);
    }
    if let Err(e) = store.save(record) {
        tracing::warn!("could not update the download's record: {e}");
    }
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(id: &str) -> Record {
        Record {
            version: RECORD_VERSION,
            id: id.to_owned(),
            session: "alice".to_owned(),
            bucket: "b".to_owned(),
            region: Some("eu-west-1".to_owned()),
            key: "dir/big.iso".to_owned(),
            total: 12 * 1024 * 1024,
            job: Job::Upload(UploadState {
                path: PathBuf::from("/tmp/big.iso"),
                size: 12 * 1024 * 1024,
                modified: FileTime { secs: 1, nanos: 2 },
                part_size: 5 * 1024 * 1024,
                upload_id: "up-1".to_owned(),
                parts: BTreeMap::from([(1, "e1".to_owned()), (3, "e3".to_owned())]),
            }),
        }
    }

    #[test]
    fn records_round_trip_privately_and_forgotten_ones_stay_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("transfers"));
        let record = upload(&Store::new_id());
        store.save(&record).unwrap();
        assert_eq!(store.load(&record.id), Some(record.clone()));
        assert_eq!(store.all(), vec![record.clone()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(store.dir()), 0o700);
            assert_eq!(mode(&store.path(&record.id)), 0o600);
        }
        // Part 1 (5 MiB) and part 3 (the last 2 MiB).
        assert_eq!(record.done(), 7 * 1024 * 1024);
        assert_eq!(record.label(), "Uploading big.iso");
        store.set_running(&record.id, true);
        assert_eq!(
            store.interrupted(),
            vec![],
            "a running transfer is not offered"
        );
        store.set_running(&record.id, false);
        assert_eq!(store.interrupted(), vec![record.clone()]);
        store.forget(&record.id);
        assert_eq!(store.load(&record.id), None);
        store.save(&record).unwrap();
        assert_eq!(
            store.all(),
            vec![],
            "a forgotten record is not written again"
        );
        let leftovers: Vec<_> = std::fs::read_dir(store.dir()).unwrap().collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn ids_that_could_name_another_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_owned());
        for id in ["../x", "a/b", "", ".hidden", "x.json"] {
            assert!(!valid_id(id), "{id}");
            assert!(store.save(&upload(id)).is_err(), "{id}");
            assert_eq!(store.load(id), None);
        }
        // A file whose record names another id is not read.
        let mut other = upload("one");
        store.save(&other).unwrap();
        std::fs::rename(store.path("one"), store.path("two")).unwrap();
        assert_eq!(store.load("two"), None);
        other.version = RECORD_VERSION + 1;
        other.id = "three".to_owned();
        store.save(&other).unwrap();
        assert_eq!(store.all(), vec![], "another version is not read");
    }
}
