//! What keyfob asks the operating system about itself.

/// This process's user id, as the kernel sees it: the owner of a file it has just made (in the
/// temporary directory, removed at once). No `unsafe` call to `getuid` is needed.
///
/// # Errors
/// The probe file cannot be made.
#[cfg(unix)]
pub fn own_uid() -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt as _;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!(".keyfob-uid-{}-{nanos}", std::process::id());
    let path = std::env::temp_dir().join(name);
    let made = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&path);
    let uid = made.and_then(|f| f.metadata()).map(|m| m.uid());
    let _ = std::fs::remove_file(&path);
    uid
}
