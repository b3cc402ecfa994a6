//! The worker's side of the credentials-file writer: plans and writes run on blocking threads.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::runtime::Runtime;

use super::ports::Send_;
use crate::aws::AwsEnv;
use crate::credfile::{CredFile, CredFileError, Edit};
use crate::message::Event;
use crate::session::Session;

/// Reads the file and plans writing `session` as `profile` (shown before anything is written).
pub(super) fn plan(
    rt: &Runtime,
    env: &AwsEnv,
    send: &Send_,
    profile: String,
    session: Box<Session>,
) {
    let send = Arc::clone(send);
    let path = env.credentials_path();
    rt.spawn_blocking(move || {
        let result = read_credentials_file(path).and_then(|file| {
            let edit = file.plan(&profile, &session)?;
            Ok((Box::new(file), Box::new(edit)))
        });
        send(Event::ProfilePlanned(result));
    });
}

/// Writes a planned change.
pub(super) fn write(
    rt: &Runtime,
    send: &Send_,
    file: CredFile,
    edit: Edit,
    confirm_long_term: bool,
) {
    let send = Arc::clone(send);
    rt.spawn_blocking(move || {
        let result = file
            .write(&edit, confirm_long_term, SystemTime::now())
            .map(|backup| written_message(&file, &edit, backup.as_deref()));
        send(Event::ProfileWritten(result));
    });
}

/// Removes a profile's section (after its keys went into the keyring), then scrubs its secret
/// key from the backups keyfob made of the file before.
pub(super) fn remove(rt: &Runtime, env: &AwsEnv, send: &Send_, profile: String) {
    let send = Arc::clone(send);
    let path = env.credentials_path();
    rt.spawn_blocking(move || {
        let result = read_credentials_file(path).and_then(|file| {
            let edit = file.plan_remove(&profile)?;
            let secret = file.secret_of(&profile);
            let backup = file.write(&edit, true, SystemTime::now())?;
            let scrubbed = secret.map(|s| file.scrub_backups(&s)).unwrap_or_default();
            Ok(format!(
                "Removed [{profile}] from {}{}{}",
                file.path().display(),
                backup.map_or_else(String::new, |b| format!(
                    "; the old file is kept as {}",
                    b.display()
                )),
                scrubbed.sentence()
            ))
        });
        send(Event::ProfileWritten(result));
    });
}

/// Reads the user's credentials file (`path` as the SDK finds it), or says why not.
fn read_credentials_file(path: Option<PathBuf>) -> Result<CredFile, CredFileError> {
    CredFile::read(&path.ok_or(CredFileError::NoHome)?)
}

fn written_message(file: &CredFile, edit: &Edit, backup: Option<&std::path::Path>) -> String {
    let mut text = format!(
        "Wrote profile [{}] to {} (temporary credentials: they expire with the session)",
        edit.profile,
        file.path().display()
    );
    if let Some(b) = backup {
        text.push_str(&format!("; the old file is kept as {}", b.display()));
    }
    text
}
