//! Sync between a folder on disk and a prefix in S3, either way: both sides are listed and compared
//! (by size and modification time, or by content: the object's checksum or ETag against the local
//! file's, hashed in parallel), the plan is shown, and only then run. Nothing on the other side is
//! deleted unless asked, and deletions run after every copy. Every write is guarded: an upload is
//! sent with `If-None-Match: *` (new) or `If-Match: <the ETag compared>` (changed), a download is
//! fetched with `If-Match` and put in place only while the local file is still the one compared,
//! and a deletion first checks that its object or file is still the one compared, so a change made
//! meanwhile by someone else is reported, not overwritten (a deletion's check and the deletion are
//! two steps: a change in the moment between them is not caught).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{ChecksumMode, ChecksumType};
use base64::Engine as _;
use md5::{Digest as _, Md5};

use super::Progress;
use super::batch::{BatchReport, Tally, in_parallel, make_dirs};
use super::download::{Existing, Object, download_if_match};
use super::tree::{Skipped, safe_relative};
use super::upload::{Guard, part_size, upload_guarded};
use super::verify::{by_kms, etag_of_parts, hex, is_md5, md5_of_file, read_chunks};
use crate::aws::errors::{AwsError, ErrorKind};
use crate::listing::thousands;

/// The longest key S3 takes, in bytes.
const KEY_MAX: usize = 1024;
/// Objects asked about (HeadObject) or files hashed at once while comparing by content.
pub const COMPARE_AT_ONCE: usize = 16;

/// Which way the files go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the folder into S3.
    Upload,
    /// From S3 into the folder.
    Download,
}

/// How a file present on both sides is judged the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compare {
    /// Same size, and the destination not older than the source (as `aws s3 sync`).
    #[default]
    SizeAndTime,
    /// Same size and the same content: the object's full-object checksum (CRC64NVME, SHA-256,
    /// CRC32, CRC32C, SHA-1) or its MD5 or multipart ETag, against the local file's.
    Checksum,
}

/// What to sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The folder on disk.
    pub local: PathBuf,
    pub bucket: String,
    /// The prefix in the bucket: empty (the whole bucket) or ending in `/`.
    pub prefix: String,
    pub direction: Direction,
    pub compare: Compare,
    /// Delete what is only at the destination.
    pub delete: bool,
}

/// A local file as it was when compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub modified: SystemTime,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        Self {
            size: meta.len(),
            modified: meta.modified().unwrap_or(UNIX_EPOCH),
        }
    }

    /// Whole seconds since 1970 (S3's times have no finer grain).
    fn secs(&self) -> i64 {
        self.modified
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// An object as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    pub size: u64,
    /// Last modified, seconds since 1970.
    pub modified: i64,
    /// Its ETag, quotes removed.
    pub etag: String,
}

/// What the sync does with one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Only at the source: copied.
    New,
    /// On both sides and not the same: the destination's replaced.
    Changed,
    /// Only at the destination, and deleting was asked for.
    Delete,
    /// Only at the destination: left as it is.
    OnlyThere,
}

impl Action {
    /// A short word for lists.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Changed => "changed",
            Self::Delete => "delete",
            Self::OnlyThere => "kept",
        }
    }
}

/// One path of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The path under the folder and the prefix, with `/` between parts.
    pub rel: String,
    pub action: Action,
    /// Why (for a change: "size differs", "newer on disk", "content differs" …).
    pub why: &'static str,
    /// The local file, when there is one.
    pub local: Option<Stamp>,
    /// The object, when there is one.
    pub remote: Option<Remote>,
}

impl Item {
    /// The bytes this item moves.
    #[must_use]
    pub fn bytes(&self, direction: Direction) -> u64 {
        match (self.action, direction) {
            (Action::New | Action::Changed, Direction::Upload) => self.local.map_or(0, |l| l.size),
            (Action::New | Action::Changed, Direction::Download) => {
                self.remote.as_ref().map_or(0, |r| r.size)
            }
            _ => 0,
        }
    }
}

/// The comparison, before anything moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncPlan {
    pub spec: Spec,
    /// Every path that differs, sorted.
    pub items: Vec<Item>,
    /// Paths on both sides judged the same.
    pub same: usize,
    /// Files compared by their content (the rest of `same` by size and time).
    pub by_content: usize,
    /// Left out, each with its reason (never copied, never deleted).
    pub skipped: Vec<Skipped>,
}

impl SyncPlan {
    /// How many items have `action`.
    #[must_use]
    pub fn count(&self, action: Action) -> usize {
        self.items.iter().filter(|i| i.action == action).count()
    }

    /// The bytes the sync moves.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.items
            .iter()
            .map(|i| i.bytes(self.spec.direction))
            .sum()
    }

    /// Whether running it would change anything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.iter().all(|i| i.action == Action::OnlyThere)
    }

    /// The plan in one sentence: "Upload 12 new files and 3 changed (4.1 MiB), delete 2; 1,988
    /// the same".
    #[must_use]
    pub fn summary(&self) -> String {
        let verb = match self.spec.direction {
            Direction::Upload => "upload",
            Direction::Download => "download",
        };
        let (new, changed) = (self.count(Action::New), self.count(Action::Changed));
        let (delete, kept) = (self.count(Action::Delete), self.count(Action::OnlyThere));
        let mut parts = Vec::new();
        if new + changed > 0 {
            parts.push(format!(
                "{verb} {} new and {} changed ({})",
                thousands(new),
                thousands(changed),
                crate::listing::human_size(self.bytes())
            ));
        }
        if delete > 0 {
            parts.push(format!("delete {}", thousands(delete)));
        }
        if parts.is_empty() {
            parts.push("nothing to copy".to_owned());
        }
        let mut s = capitalized(&parts.join(", "));
        s.push_str(&format!("; {} the same", thousands(self.same)));
        if kept > 0 {
            s.push_str(&format!(
                ", {} only at the destination (kept)",
                thousands(kept)
            ));
        }
        if !self.skipped.is_empty() {
            s.push_str(&format!(", {} left out", thousands(self.skipped.len())));
        }
        s
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Whether a local name is one of keyfob's own temporary files (a download in progress).
fn is_own_temp(name: &str) -> bool {
    name.starts_with(".keyfob-part-") || name.starts_with(".keyfob-sync-")
}

/// The local side of a sync, as walked.
#[derive(Debug, Default)]
pub struct LocalFiles {
    /// Every file, by its path with `/` between parts.
    pub files: BTreeMap<String, Stamp>,
    /// Left out, each with its reason.
    pub skipped: Vec<Skipped>,
    /// The paths left out (links, folders that cannot be read, keyfob's own temporary files):
    /// what is at or under them in S3 is left alone too, never deleted nor downloaded through
    /// them.
    pub left_out: Vec<String>,
}

impl LocalFiles {
    fn leave_out(&mut self, rel: &str, reason: Option<String>) {
        if let Some(reason) = reason {
            self.skipped.push(skip(rel, reason));
        }
        self.left_out.push(rel.to_owned());
    }

    /// Whether `rel` (a path in S3 under the prefix) is at or under a path left out here.
    #[must_use]
    pub fn shadows(&self, rel: &str) -> bool {
        self.left_out.iter().any(|l| {
            rel.strip_prefix(l.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

/// Whether `root` can be the folder's end of a sync going `direction`: a folder, or for a download
/// nothing yet (it is made); never a symbolic link (what it points to may be outside what the
/// user meant). Whether it exists (`Ok(false)`: not yet), or the refusal in one sentence.
pub fn local_root(root: &Path, direction: Direction) -> Result<bool, AwsError> {
    match std::fs::symlink_metadata(root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match direction {
            Direction::Download => Ok(false),
            Direction::Upload => Err(local_error(root, "does not exist")),
        },
        Err(e) => Err(local_error(root, &format!("cannot be read: {e}"))),
        Ok(m) if m.file_type().is_symlink() => Err(local_error(
            root,
            "is a symbolic link; give the folder it points to",
        )),
        Ok(m) if !m.is_dir() => Err(local_error(root, "is not a folder")),
        Ok(_) => Ok(true),
    }
}

/// Every file under `root` (see [`local_root`]; a folder not made yet is empty). Symbolic links
/// are not followed (each is left out with its reason, so nothing outside the folder is read or
/// written through one); names that are not UTF-8, and paths whose key would be over S3's 1,024
/// bytes, are left out too. Reads the disk: run it on a blocking thread.
pub fn local_files(
    root: &Path,
    prefix: &str,
    direction: Direction,
) -> Result<LocalFiles, AwsError> {
    let mut out = LocalFiles::default();
    if !local_root(root, direction)? {
        return Ok(out);
    }
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if rel.is_empty() => {
                return Err(local_error(root, &format!("cannot be read: {e}")));
            }
            Err(e) => {
                out.leave_out(&rel, Some(format!("cannot be read: {e}")));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let shown = if rel.is_empty() { "." } else { rel.as_str() };
                    out.skipped
                        .push(skip(shown, format!("cannot be read: {e}")));
                    continue;
                }
            };
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                // No key can have this name, so nothing in S3 is at it.
                out.skipped.push(skip(
                    path.display(),
                    "its name is not valid UTF-8, which S3 keys must be",
                ));
                continue;
            };
            let here = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if is_own_temp(&name) {
                out.leave_out(&here, None);
                continue;
            }
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    out.leave_out(&here, Some(format!("cannot be read: {e}")));
                    continue;
                }
            };
            if meta.file_type().is_symlink() {
                let why = "it is a symbolic link, which keyfob does not follow";
                out.leave_out(&here, Some(why.to_owned()));
            } else if meta.is_dir() {
                stack.push((path, here));
            } else if !meta.is_file() {
                out.leave_out(&here, Some("it is neither a file nor a folder".to_owned()));
            } else if prefix.len() + here.len() > KEY_MAX {
                let why = "its key would be longer than S3's 1,024 bytes";
                out.skipped.push(skip(here, why));
            } else {
                out.files.insert(here, Stamp::of(&meta));
            }
        }
    }
    Ok(out)
}

fn local_error(path: &Path, what: &str) -> AwsError {
    AwsError::new(ErrorKind::Invalid, format!("{} {what}", path.display()))
}

fn skip(name: impl std::fmt::Display, reason: impl Into<String>) -> Skipped {
    Skipped {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// Every object under `prefix`, by its key less the prefix. Folder markers (keys ending in `/`)
/// are not files and are passed over; a key that could not be a path under the folder (`..`, an
/// empty part …) is left out with its reason, so it is neither downloaded nor deleted.
pub async fn remote_objects(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<(BTreeMap<String, Remote>, Vec<Skipped>), AwsError> {
    let mut objects = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Listing the objects to compare", &e))?;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            let rel = key.strip_prefix(prefix).unwrap_or(key);
            if rel.ends_with('/') {
                continue;
            }
            if let Err(reason) = safe_relative(rel) {
                skipped.push(skip(key, reason));
                continue;
            }
            objects.insert(
                rel.to_owned(),
                Remote {
                    size: u64::try_from(o.size().unwrap_or(0)).unwrap_or(0),
                    modified: o
                        .last_modified()
                        .map_or(0, aws_smithy_types::DateTime::secs),
                    etag: o.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
                },
            );
        }
        token = page
            .next_continuation_token()
            .filter(|_| page.is_truncated() == Some(true))
            .map(str::to_owned);
        if token.is_none() {
            return Ok((objects, skipped));
        }
    }
}

/// Compares both sides of `spec` and returns the plan; nothing is changed. `counted` hears how
/// many paths have been compared so far.
pub async fn plan(
    client: &Client,
    spec: Spec,
    counted: &(dyn Fn(usize) + Send + Sync),
) -> Result<SyncPlan, AwsError> {
    let (root, prefix, direction) = (spec.local.clone(), spec.prefix.clone(), spec.direction);
    let local = tokio::task::spawn_blocking(move || local_files(&root, &prefix, direction));
    let (remote, remote_skipped) = remote_objects(client, &spec.bucket, &spec.prefix).await?;
    let local = local
        .await
        .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))??;
    // What is in S3 at or under a path left out here is left alone too: an unreadable folder or
    // a link is not "only in S3", and a download never writes through one.
    let mut remote = remote;
    remote.retain(|rel, _| !local.shadows(rel));
    let mut skipped = local.skipped;
    skipped.extend(remote_skipped);
    let (mut items, mut same, to_hash) = match_up(&spec, local.files, remote, counted);
    let by_content = to_hash.len();
    let done_before = items.len() + same;
    let judged = compare_contents(client, &spec, to_hash, &|n| counted(done_before + n)).await?;
    for (rel, stamp, obj, verdict) in judged {
        match verdict {
            Err(reason) => skipped.push(skip(rel, reason)),
            Ok(Verdict::Same) => same += 1,
            Ok(Verdict::Differs(why)) => items.push(Item {
                rel,
                action: Action::Changed,
                why,
                local: Some(stamp),
                remote: Some(obj),
            }),
        }
    }
    items.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(SyncPlan {
        spec,
        items,
        same,
        by_content,
        skipped,
    })
}

/// Pairs the two sides' paths: what is only on one side, what differs by size (and, compared by
/// size and time, by time), what is the same; the pairs left to compare by content come back.
fn match_up(
    spec: &Spec,
    local: BTreeMap<String, Stamp>,
    mut remote: BTreeMap<String, Remote>,
    counted: &(dyn Fn(usize) + Send + Sync),
) -> (Vec<Item>, usize, Vec<(String, Stamp, Remote)>) {
    let kept = if spec.delete {
        Action::Delete
    } else {
        Action::OnlyThere
    };
    let (local_only, remote_only) = match spec.direction {
        Direction::Upload => (Action::New, kept),
        Direction::Download => (kept, Action::New),
    };
    let mut items = Vec::new();
    let mut same = 0;
    let mut to_hash = Vec::new();
    for (rel, stamp) in local {
        match remote.remove(&rel) {
            None => items.push(Item {
                why: why_only(local_only),
                rel,
                action: local_only,
                local: Some(stamp),
                remote: None,
            }),
            Some(obj) => {
                let differs = if stamp.size != obj.size {
                    Some("size differs")
                } else {
                    match (spec.compare, spec.direction) {
                        (Compare::Checksum, _) => {
                            to_hash.push((rel, stamp, obj));
                            continue;
                        }
                        (Compare::SizeAndTime, Direction::Upload) => {
                            (stamp.secs() > obj.modified).then_some("newer on disk")
                        }
                        (Compare::SizeAndTime, Direction::Download) => {
                            (obj.modified > stamp.secs()).then_some("newer in S3")
                        }
                    }
                };
                match differs {
                    Some(why) => items.push(Item {
                        rel,
                        action: Action::Changed,
                        why,
                        local: Some(stamp),
                        remote: Some(obj),
                    }),
                    None => same += 1,
                }
            }
        }
        counted(items.len() + same);
    }
    for (rel, obj) in remote {
        items.push(Item {
            why: why_only(remote_only),
            rel,
            action: remote_only,
            local: None,
            remote: Some(obj),
        });
    }
    (items, same, to_hash)
}

fn why_only(action: Action) -> &'static str {
    match action {
        Action::New => "not at the destination",
        Action::Delete => "only at the destination: deleted as asked",
        Action::OnlyThere | Action::Changed => "only at the destination",
    }
}

/// Whether two files of the same size hold the same bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Same,
    Differs(&'static str),
}

/// Each pair with its verdict, or why it could not be compared.
type Judged = Vec<(String, Stamp, Remote, Result<Verdict, String>)>;

/// Whether an error is the session's, not one path's.
fn ends_all(e: &AwsError) -> bool {
    matches!(
        e.kind,
        ErrorKind::Expired | ErrorKind::InvalidToken | ErrorKind::AccessDenied
    )
}

/// Compares each pair's content, [`COMPARE_AT_ONCE`] at a time.
async fn compare_contents(
    client: &Client,
    spec: &Spec,
    pairs: Vec<(String, Stamp, Remote)>,
    counted: &(dyn Fn(usize) + Send + Sync),
) -> Result<Judged, AwsError> {
    let gate = Arc::new(tokio::sync::Semaphore::new(COMPARE_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for (rel, stamp, obj) in pairs {
        let (client, gate) = (client.clone(), Arc::clone(&gate));
        let path = spec.local.join(&rel);
        let key = format!("{}{rel}", spec.prefix);
        let bucket = spec.bucket.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let verdict = match same_content(&client, &bucket, &key, &obj, &path).await {
                Ok(v) => Ok(v),
                // The session cannot read S3 any more: the whole comparison stops.
                Err(e) if ends_all(&e) => return Err(e),
                // One path that cannot be compared (a file unreadable, an object gone since the
                // listing) is left out with its reason; the others go on.
                Err(e) => Err(e.message),
            };
            Ok((rel, stamp, obj, verdict))
        });
    }
    let mut out = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        let judged = joined.map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))??;
        out.push(judged);
        counted(out.len());
    }
    Ok(out)
}

/// Whether the object and the local file of the same size hold the same bytes: the MD5 against a
/// plain ETag first (no request), else the object's full-object checksum (HeadObject), else its
/// multipart ETag for the part sizes keyfob and the AWS CLI use. With none of them comparable
/// the file counts as changed.
async fn same_content(
    client: &Client,
    bucket: &str,
    key: &str,
    obj: &Remote,
    path: &Path,
) -> Result<Verdict, AwsError> {
    let plain_md5 = is_md5(&obj.etag);
    if plain_md5 && md5_hex(path).await? == obj.etag {
        return Ok(Verdict::Same);
    }
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Reading the object's checksum", &e))?;
    let whole = head.checksum_type() != Some(&ChecksumType::Composite);
    let sums = [
        ("crc64nvme", head.checksum_crc64_nvme()),
        ("sha256", head.checksum_sha256()),
        ("crc32", head.checksum_crc32()),
        ("crc32c", head.checksum_crc32_c()),
        ("sha1", head.checksum_sha1()),
    ];
    if let Some((algorithm, expected)) = sums
        .into_iter()
        .find_map(|(a, v)| v.filter(|v| whole && !v.contains('-')).map(|v| (a, v)))
    {
        return Ok(if checksum_of(path, algorithm).await? == expected {
            Verdict::Same
        } else {
            Verdict::Differs("content differs")
        });
    }
    let encrypted =
        by_kms(head.server_side_encryption()) || head.sse_customer_algorithm().is_some();
    if plain_md5 && !encrypted {
        // The ETag is the object's MD5, and it differed.
        return Ok(Verdict::Differs("content differs"));
    }
    if let Some(parts) = multipart_parts(&obj.etag)
        && !encrypted
    {
        for size in [part_size(obj.size), 8 << 20, 16 << 20] {
            if obj.size.div_ceil(size) == parts {
                let tag = multipart_etag(path, size).await?;
                if tag == obj.etag {
                    return Ok(Verdict::Same);
                }
            }
        }
        return Ok(Verdict::Differs("content differs or parts of another size"));
    }
    Ok(Verdict::Differs("no checksum to compare"))
}

/// The part count of a multipart ETag (`<hex>-<parts>`).
fn multipart_parts(etag: &str) -> Option<u64> {
    let (hash, parts) = etag.split_once('-')?;
    is_md5(hash).then(|| parts.parse().ok()).flatten()
}

/// The file's MD5 in hex.
async fn md5_hex(path: &Path) -> Result<String, AwsError> {
    Ok(hex(&md5_of_file(path).await?.finalize()))
}

/// The ETag S3 gives an object uploaded in parts of `part` bytes: the MD5 of the parts' MD5s,
/// then `-` and the part count.
async fn multipart_etag(path: &Path, part: u64) -> Result<String, AwsError> {
    struct Parts {
        part: u64,
        in_part: u64,
        md5: Md5,
        /// The finished parts' MD5s, one after the other.
        digests: Vec<u8>,
    }
    let start = Parts {
        part,
        in_part: 0,
        md5: Md5::new(),
        digests: Vec::new(),
    };
    let mut parts = read_chunks(path, start, |p, mut bytes| {
        while !bytes.is_empty() {
            let room = usize::try_from(p.part - p.in_part).unwrap_or(usize::MAX);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            p.md5.update(now);
            p.in_part += now.len() as u64;
            if p.in_part == p.part {
                let full = std::mem::replace(&mut p.md5, Md5::new());
                p.digests.extend_from_slice(&full.finalize());
                p.in_part = 0;
            }
            bytes = rest;
        }
    })
    .await?;
    if parts.in_part > 0 {
        parts.digests.extend_from_slice(&parts.md5.finalize());
    }
    let count = parts.digests.len() / 16;
    Ok(etag_of_parts(&parts.digests, count))
}

/// The file's checksum by an S3 algorithm name, base64 as S3 gives it.
async fn checksum_of(path: &Path, algorithm: &str) -> Result<String, AwsError> {
    let algorithm = aws_smithy_checksums::ChecksumAlgorithm::from_str(algorithm)
        .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?;
    let sum = read_chunks(path, algorithm.into_impl(), |c, b| c.update(b)).await?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sum.finalize()))
}

/// One path to sync, as the batch runs it.
struct Job {
    item: Item,
    spec: Arc<Spec>,
}

impl super::batch::Named for Job {
    fn name(&self) -> String {
        self.item.rel.clone()
    }
}

/// Runs a plan: its new and changed files copied (8 at a time, large ones in parallel parts or
/// ranges), then, when asked, what is only at the destination deleted (after every copy). Every write is guarded
/// (see the module's note); a path that changed since the comparison is reported with the others
/// that failed and left as it is. Returns how it went (the plan's left-out paths are not in it).
pub async fn run(client: &Client, plan: SyncPlan, progress: Progress) -> BatchReport {
    let tally = Tally::new(progress);
    let spec = Arc::new(plan.spec);
    if spec.direction == Direction::Download
        && let Err(e) = std::fs::create_dir_all(&spec.local)
    {
        return BatchReport {
            failed: vec![skip(
                spec.local.display(),
                format!("cannot be created: {e}"),
            )],
            ..BatchReport::default()
        };
    }
    let (deletes, copies): (Vec<Item>, Vec<Item>) = plan
        .items
        .into_iter()
        .filter(|i| i.action != Action::OnlyThere)
        .partition(|i| i.action == Action::Delete);
    let jobs = |items: Vec<Item>| -> Vec<Job> {
        items
            .into_iter()
            .map(|item| Job {
                item,
                spec: Arc::clone(&spec),
            })
            .collect()
    };
    let client = client.clone();
    let run_one = move |job: Job| {
        let (client, progress) = (client.clone(), tally.for_file());
        async move {
            match job.spec.direction {
                Direction::Upload => put(&client, &job, progress).await,
                Direction::Download => fetch(&client, &job, progress).await,
            }
        }
    };
    // What the plan left out was shown with it; the report is about what ran. Deletions come
    // after every copy, so a sync stopped halfway has deleted nothing it was still to copy over.
    let mut report = in_parallel(jobs(copies), Vec::new(), run_one.clone()).await;
    if !deletes.is_empty() {
        let deleted = in_parallel(jobs(deletes), Vec::new(), run_one).await;
        report.done += deleted.done;
        report.failed.extend(deleted.failed);
    }
    report
}

/// One path of an upload.
async fn put(client: &Client, job: &Job, progress: Progress) -> Result<u64, AwsError> {
    let (spec, item) = (&job.spec, &job.item);
    let key = format!("{}{}", spec.prefix, item.rel);
    let path = spec.local.join(&item.rel);
    let guard = match (&item.action, &item.remote) {
        (Action::Delete, Some(obj)) => {
            return delete_if_same(client, &spec.bucket, &key, obj).await;
        }
        (Action::Changed, Some(obj)) => Guard::Etag(obj.etag.clone()),
        _ => Guard::Absent,
    };
    // A local path that became a link since the comparison (the file, or a folder on its way)
    // is not followed.
    if !plain_all_the_way(&spec.local, &item.rel) {
        return Err(AwsError::new(
            ErrorKind::Changed,
            "is no longer a plain file in a plain folder; left out",
        ));
    }
    upload_guarded(client, &spec.bucket, &key, &path, progress, &guard).await
}

/// Whether every folder from `root` down to `rel`'s file is a real folder and the file a real
/// file (no symbolic link anywhere on the way).
fn plain_all_the_way(root: &Path, rel: &str) -> bool {
    let mut at = root.to_owned();
    let parts: Vec<&str> = rel.split('/').collect();
    let last = parts.len().saturating_sub(1);
    parts.iter().enumerate().all(|(i, part)| {
        at.push(part);
        std::fs::symlink_metadata(&at)
            .is_ok_and(|m| if i == last { m.is_file() } else { m.is_dir() })
    })
}

/// Deletes `key` if it is still the object compared. S3 has no condition on a general purpose
/// bucket's DeleteObject that every S3-compatible server takes, so the ETag is checked by a
/// HeadObject just before (a change in the moment between the two is not caught).
async fn delete_if_same(
    client: &Client,
    bucket: &str,
    key: &str,
    obj: &Remote,
) -> Result<u64, AwsError> {
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .if_match(format!("\"{}\"", obj.etag))
        .send()
        .await;
    if let Err(e) = head {
        let status = e.raw_response().map(|r| r.status().as_u16());
        return Err(match status {
            Some(412) => changed_in_s3(),
            // Gone already: nothing to delete.
            Some(404) => return Ok(0),
            _ => AwsError::from_sdk("Checking the object before deleting it", &e),
        });
    }
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Deleting", &e))?;
    Ok(0)
}

fn changed_in_s3() -> AwsError {
    AwsError::new(
        ErrorKind::Changed,
        "changed in S3 since it was compared; left as it is",
    )
}

fn changed_on_disk() -> AwsError {
    AwsError::new(
        ErrorKind::Changed,
        "changed on disk since it was compared; left as it is",
    )
}

/// Whether the local file at `path` is still the one compared.
fn still(path: &Path, stamp: Option<Stamp>) -> bool {
    let now = std::fs::symlink_metadata(path).ok();
    match (now, stamp) {
        (None, None) => true,
        (Some(m), Some(s)) => m.is_file() && Stamp::of(&m) == s,
        _ => false,
    }
}

/// One path of a download.
async fn fetch(client: &Client, job: &Job, progress: Progress) -> Result<u64, AwsError> {
    let (spec, item) = (&job.spec, &job.item);
    let rel = safe_relative(&item.rel).map_err(|r| AwsError::new(ErrorKind::Invalid, r))?;
    let dest = spec.local.join(&rel);
    if let Some(parent) = rel.parent() {
        make_dirs(&spec.local, parent).map_err(|r| AwsError::new(ErrorKind::Invalid, r))?;
    }
    let Some(obj) = &item.remote else {
        // Only on disk, deleting asked for.
        if !still(&dest, item.local) {
            return Err(changed_on_disk());
        }
        std::fs::remove_file(&dest)
            .map_err(|e| AwsError::new(ErrorKind::Other, format!("cannot delete: {e}")))?;
        return Ok(0);
    };
    let key = format!("{}{}", spec.prefix, item.rel);
    let object = Object::current(&spec.bucket, &key);
    let written = if item.action == Action::New {
        // Hard-linked into place: a file that appeared meanwhile is kept and reported.
        download_if_match(client, object, &obj.etag, &dest, Existing::Refuse, progress)
            .await
            .map_err(|e| {
                if e.kind == ErrorKind::Invalid && dest.exists() {
                    changed_on_disk()
                } else {
                    e
                }
            })?
    } else {
        let temp = sync_temp(&dest);
        let mut guard = RemoveOnDrop(Some(temp.clone()));
        let n =
            download_if_match(client, object, &obj.etag, &temp, Existing::Refuse, progress).await?;
        if !still(&dest, item.local) {
            return Err(changed_on_disk());
        }
        std::fs::rename(&temp, &dest).map_err(|e| {
            AwsError::new(
                ErrorKind::Other,
                format!("cannot replace {}: {e}", dest.display()),
            )
        })?;
        guard.0 = None;
        n
    };
    // As `aws s3 sync` does: the file takes the object's time, so the next comparison by size
    // and time finds them the same.
    let when = UNIX_EPOCH + Duration::from_secs(u64::try_from(obj.modified).unwrap_or(0));
    if let Ok(f) = std::fs::File::options().write(true).open(&dest) {
        drop(f.set_modified(when));
    }
    Ok(written)
}

/// A hidden name beside `dest` for a replacement being fetched.
fn sync_temp(dest: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dest.with_file_name(format!(".keyfob-sync-{}-{n}", std::process::id()))
}

/// Removes a file when dropped, unless disarmed.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            drop(std::fs::remove_file(p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etags_and_counts() {
        assert_eq!(
            multipart_parts("d41d8cd98f00b204e9800998ecf8427e-3"),
            Some(3)
        );
        assert_eq!(multipart_parts("d41d8cd98f00b204e9800998ecf8427e"), None);
        assert_eq!(multipart_parts("nothex-3"), None);
        assert!(is_md5("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!is_md5("d41d8cd98f00b204e9800998ecf8427e-1"));
    }

    #[tokio::test]
    async fn the_multipart_etag_is_the_md5_of_the_parts_md5s() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcdefghij").expect("write");
        // Parts of 4 bytes: "abcd", "efgh", "ij".
        let mut joined = Vec::new();
        for part in [&b"abcd"[..], b"efgh", b"ij"] {
            joined.extend_from_slice(&Md5::digest(part));
        }
        let want = format!("{}-3", hex(&Md5::digest(&joined)));
        assert_eq!(multipart_etag(&path, 4).await.expect("etag"), want);
        assert_eq!(
            md5_hex(&path).await.expect("md5"),
            hex(&Md5::digest(b"abcdefghij"))
        );
        // CRC32 of "abcdefghij" is 0x3981703a.
        assert_eq!(
            checksum_of(&path, "crc32").await.expect("crc32"),
            base64::engine::general_purpose::STANDARD.encode(0x3981_703a_u32.to_be_bytes())
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_swapped_for_a_link_is_not_read_through() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("a")).expect("dirs");
        std::fs::write(root.join("a/f.txt"), "f").expect("write");
        assert!(plain_all_the_way(&root, "a/f.txt"));
        let elsewhere = dir.path().join("elsewhere");
        std::fs::rename(root.join("a"), &elsewhere).expect("move");
        std::os::unix::fs::symlink(&elsewhere, root.join("a")).expect("symlink");
        assert!(root.join("a/f.txt").is_file(), "reachable through the link");
        assert!(!plain_all_the_way(&root, "a/f.txt"));
    }

    #[test]
    fn the_local_walk_passes_over_links_and_own_temporaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("a/b")).expect("dirs");
        std::fs::write(root.join("a/b/c.txt"), "c").expect("write");
        std::fs::write(root.join("top.txt"), "top").expect("write");
        std::fs::write(root.join(".keyfob-part-1-2"), "partial").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc", root.join("out")).expect("symlink");
        let walked = local_files(&root, "p/", Direction::Upload).expect("walk");
        let (files, skipped) = (&walked.files, &walked.skipped);
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(names, ["a/b/c.txt", "top.txt"]);
        #[cfg(unix)]
        assert!(
            skipped
                .iter()
                .any(|s| s.name == "out" && s.reason.contains("symbolic link")),
            "{skipped:?}"
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&root, dir.path().join("link")).expect("symlink");
            let e = local_files(&dir.path().join("link"), "", Direction::Download)
                .expect_err("a linked root");
            assert!(e.message.contains("symbolic link"), "{}", e.message);
        }
        #[cfg(unix)]
        assert!(walked.shadows("out") && walked.shadows("out/x.txt"));
        assert!(walked.shadows(".keyfob-part-1-2") && !walked.shadows("outside.txt"));
        let absent = dir.path().join("absent");
        let none = local_files(&absent, "", Direction::Download).expect("absent is empty");
        assert!(none.files.is_empty());
        let e = local_files(&absent, "", Direction::Upload).expect_err("nothing to upload");
        assert!(e.message.contains("does not exist"), "{}", e.message);
    }
}
