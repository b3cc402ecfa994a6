//! Whole folders and selections: a plan is made first (every key under the picked folders, or
//! every file under the picked local folders, with the bytes in all and what is left out and
//! why), shown to the user, then run by [`super::batch`].
//!
//! A download writes only inside the chosen folder: a key whose path would leave it (`..`, a
//! leading `/`, a NUL byte, a name too long, an empty part) is skipped here with its reason.

use std::path::{Component, Path, PathBuf};

use aws_sdk_s3::Client;

use super::query::list_page;
use crate::aws::errors::AwsError;

/// The longest key S3 takes, in bytes.
const KEY_MAX: usize = 1024;

/// Something picked in the browser: an object, or a folder (everything under it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picked {
    /// The object's key, or the folder's prefix (ending in `/`).
    pub key: String,
    pub folder: bool,
    /// The object's size (0 for a folder).
    pub size: u64,
}

/// One file of a plan. A download: the key and the path relative to the chosen folder. An
/// upload: the local file and the key it becomes. A deletion: the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFile {
    pub key: String,
    pub path: PathBuf,
    pub size: u64,
}

/// Something left out or failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// What a batch will do, counted before it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub files: Vec<PlannedFile>,
    /// Folders: to create on disk (download), as marker keys (upload), or marker keys to delete
    /// (kept with the files for a deletion).
    pub folders: Vec<PlannedFile>,
    /// Left out before starting, each with its reason.
    pub skipped: Vec<Skipped>,
    /// Bytes of the files.
    pub bytes: u64,
}

impl Plan {
    fn add_file(&mut self, file: PlannedFile) {
        self.bytes += file.size;
        self.files.push(file);
    }

    pub(super) fn skip(&mut self, name: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            name: name.into(),
            reason: reason.into(),
        });
    }
}

/// Where `rel` (a key with the current folder taken off) goes under the chosen folder, or why it
/// may not be written there.
pub fn safe_relative(rel: &str) -> Result<PathBuf, String> {
    if rel.is_empty() {
        return Err("its name is empty".into());
    }
    if rel.contains('\0') {
        return Err("its name holds a NUL byte".into());
    }
    if rel.starts_with('/') {
        return Err("it starts with /, which would write from the top of the disk".into());
    }
    if rel.len() > 4096 {
        return Err("its path is longer than 4,096 bytes".into());
    }
    let mut path = PathBuf::new();
    for part in rel.split('/') {
        match part {
            "" => return Err("its path has an empty part (two / in a row)".into()),
            ".." => return Err("a .. in its path would leave the chosen folder".into()),
            "." => return Err("its path has a . part".into()),
            p if p.len() > 255 => return Err("a part of its path is longer than 255 bytes".into()),
            p if cfg!(windows) && p.contains(['\\', ':', '*', '?', '"', '<', '>', '|']) => {
                return Err("its name has a character Windows does not allow".into());
            }
            p => path.push(p),
        }
    }
    // Belt and braces: only plain names made it here.
    if path.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(path)
    } else {
        Err("its path is not a plain relative path".into())
    }
}

/// Every key under `prefix`, page after page; `counted` hears the running totals.
async fn each_key(
    client: &Client,
    bucket: &str,
    prefix: &str,
    mut add: impl FnMut(String, u64),
) -> Result<(), AwsError> {
    let mut token = None;
    loop {
        let page = list_page(client, bucket, prefix, false, token, None).await?;
        for o in page.objects {
            add(o.key, o.size);
        }
        token = page.next;
        if token.is_none() {
            return Ok(());
        }
    }
}

/// The plan of downloading `picked` from the folder `base`: each object's path is its key less
/// `base`; a folder brings every key under it, its folder markers (keys ending in `/`) becoming
/// folders on disk. `counted` hears the files and bytes found so far.
pub async fn plan_download(
    client: &Client,
    bucket: &str,
    base: &str,
    picked: &[Picked],
    counted: &(dyn Fn(usize, u64) + Send + Sync),
) -> Result<Plan, AwsError> {
    let mut plan = Plan::default();
    let add = |plan: &mut Plan, key: String, size: u64| {
        let rel = key.strip_prefix(base).unwrap_or(&key);
        if let Some(dir) = rel.strip_suffix('/') {
            match safe_relative(dir) {
                Ok(path) => plan.folders.push(PlannedFile { key, path, size }),
                // The picked folder's own marker is the chosen folder itself.
                Err(_) if dir.is_empty() => {}
                Err(reason) => plan.skip(key, reason),
            }
        } else {
            match safe_relative(rel) {
                Ok(path) => plan.add_file(PlannedFile { key, path, size }),
                Err(reason) => plan.skip(key, reason),
            }
        }
    };
    for p in picked {
        if p.folder {
            each_key(client, bucket, &p.key, |key, size| {
                add(&mut plan, key, size);
                counted(plan.files.len(), plan.bytes);
            })
            .await?;
        } else {
            add(&mut plan, p.key.clone(), p.size);
        }
    }
    Ok(plan)
}

/// The plan of deleting `picked`: the objects, and every key under each folder (its marker too).
pub async fn plan_delete(
    client: &Client,
    bucket: &str,
    picked: &[Picked],
    counted: &(dyn Fn(usize, u64) + Send + Sync),
) -> Result<Plan, AwsError> {
    let mut plan = Plan::default();
    for p in picked {
        if p.folder {
            each_key(client, bucket, &p.key, |key, size| {
                plan.add_file(PlannedFile {
                    key,
                    path: PathBuf::new(),
                    size,
                });
                counted(plan.files.len(), plan.bytes);
            })
            .await?;
        } else {
            plan.add_file(PlannedFile {
                key: p.key.clone(),
                path: PathBuf::new(),
                size: p.size,
            });
        }
    }
    Ok(plan)
}

/// The plan of uploading local `paths` (files and folders) into the folder `prefix`: a folder
/// keeps its structure as key prefixes, an empty folder becomes a folder marker. Symbolic links
/// are not followed and names that are not UTF-8 are skipped, each with its reason. Reads the
/// disk: run it on a blocking thread.
#[must_use]
pub fn plan_upload(paths: &[PathBuf], prefix: &str) -> Plan {
    let mut plan = Plan::default();
    for p in paths {
        add_local(&mut plan, p, prefix);
    }
    plan
}

fn add_local(plan: &mut Plan, path: &Path, prefix: &str) {
    let shown = path.display().to_string();
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        plan.skip(shown, "its name is not valid UTF-8, which S3 keys must be");
        return;
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return plan.skip(shown, format!("cannot be read: {e}")),
    };
    let key = format!("{prefix}{name}");
    if meta.file_type().is_symlink() {
        plan.skip(shown, "it is a symbolic link, which keyfob does not follow");
    } else if key.len() + usize::from(meta.is_dir()) > KEY_MAX {
        plan.skip(shown, "its key would be longer than S3's 1,024 bytes");
    } else if meta.is_file() {
        plan.add_file(PlannedFile {
            key,
            path: path.to_owned(),
            size: meta.len(),
        });
    } else if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return plan.skip(shown, format!("cannot be read: {e}")),
        };
        entries.sort();
        let folder = format!("{key}/");
        if entries.is_empty() {
            plan.folders.push(PlannedFile {
                key: folder,
                path: path.to_owned(),
                size: 0,
            });
            return;
        }
        for e in entries {
            add_local(plan, &e, &folder);
        }
    } else {
        plan.skip(shown, "it is neither a file nor a folder");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_are_refused_with_a_reason() {
        assert_eq!(
            safe_relative("a/b c/d.txt"),
            Ok(PathBuf::from("a/b c/d.txt"))
        );
        assert_eq!(safe_relative("ünï ✓.txt"), Ok(PathBuf::from("ünï ✓.txt")));
        for (bad, why) in [
            ("", "empty"),
            ("../up.txt", ".."),
            ("a/../../up.txt", ".."),
            ("/etc/passwd", "starts with /"),
            ("a//b", "empty part"),
            ("./a", ". part"),
            ("nul\0byte", "NUL"),
        ] {
            let reason = safe_relative(bad).expect_err(bad);
            assert!(reason.contains(why), "{bad:?}: {reason}");
        }
        let long = "x".repeat(256);
        assert!(safe_relative(&long).is_err_and(|r| r.contains("255")));
        let deep = vec!["d"; 2100].join("/");
        assert!(safe_relative(&deep).is_err_and(|r| r.contains("4,096")));
    }

    #[test]
    fn an_upload_plan_keeps_the_tree_and_skips_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("css/empty")).expect("dirs");
        std::fs::write(root.join("index.html"), "<p>hi</p>").expect("write");
        std::fs::write(root.join("css/a.css"), "").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc", root.join("link")).expect("symlink");
        let plan = plan_upload(&[root], "up/");
        let keys: Vec<&str> = plan.files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["up/site/css/a.css", "up/site/index.html"]);
        assert_eq!(plan.bytes, 9);
        assert_eq!(plan.folders.len(), 1);
        assert_eq!(
            plan.folders.first().map(|f| f.key.as_str()),
            Some("up/site/css/empty/")
        );
        #[cfg(unix)]
        assert!(
            plan.skipped
                .iter()
                .any(|s| s.name.ends_with("link") && s.reason.contains("symbolic link")),
            "{:?}",
            plan.skipped
        );
    }
}
