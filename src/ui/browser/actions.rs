//! The bottom panel: Download, Upload, the s3:// URI and presigned links for the selection, the
//! object's details, the transfers with progress and Cancel, the interrupted ones with Resume and
//! Discard, and the bucket's unfinished uploads.

use std::time::SystemTime;

use crate::listing::human_size;
use crate::notice::Notice;
use crate::state::AppState;
use crate::state::browser::Transfer;
use crate::ui::theme::{Size, icon, icon_button, notice_ui};
use crate::validate::human_duration;

pub(super) fn actions_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    ui.horizontal_wrapped(|ui| buttons_ui(ui, state, now));
    super::confirm::new_folder_ui(ui, state);
    if let Some((_, n)) = state.browser.deleting {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("Deleting {}…", crate::state::browser::objects(n)));
            if ui
                .button("Stop deleting")
                .on_hover_text("Stop; what was already deleted is gone")
                .clicked()
            {
                state.browser.stop_deleting(&mut state.outbox);
            }
        });
    }
    let b = &state.browser;
    if let Some(p) = &b.presigned {
        let valid = human_duration(p.valid.as_secs());
        let notice = if p.shortened {
            Notice::warning(format!(
                "Link valid for {valid} — shortened to the session's remaining life"
            ))
        } else {
            Notice::info(format!("Link valid for {valid}"))
        };
        notice_ui(ui, &notice, Size::Normal);
    }
    if let Some(d) = &b.details {
        egui::Grid::new("details").num_columns(2).show(ui, |ui| {
            for (k, v) in [
                ("Key", d.key.clone()),
                ("Size", format!("{} ({} bytes)", human_size(d.size), d.size)),
                ("Content type", d.content_type.clone().unwrap_or_default()),
                ("ETag", d.etag.clone().unwrap_or_default()),
                ("Storage class", d.storage_class.clone()),
                ("Last modified", d.modified.clone().unwrap_or_default()),
            ] {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            }
            for (k, v) in &d.metadata {
                ui.label(format!("x-amz-meta-{k}"));
                ui.label(v);
                ui.end_row();
            }
        });
    }
    super::inspect::preview_ui(ui, state);
    super::inspect::versions_ui(ui, state);
    let mut cancel = None;
    for t in state.browser.transfers.iter().rev().take(6) {
        ui.horizontal(|ui| {
            if transfer_ui(ui, t) {
                cancel = Some(t.id);
            }
        });
    }
    if let Some(id) = cancel {
        state.browser.cancel_transfer(&mut state.outbox, id);
    }
    interrupted_ui(ui, state);
    unfinished_ui(ui, state, now);
}

/// The interrupted transfers, each with Resume and Discard.
fn interrupted_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (mut resume, mut discard) = (None, None);
    for r in &state.browser.interrupted {
        ui.horizontal_wrapped(|ui| {
            let share = r.done().saturating_mul(100) / r.total.max(1);
            ui.label(format!(
                "{} — interrupted at {share} % ({} of {}), s3://{}/{}",
                r.label(),
                human_size(r.done()),
                human_size(r.total),
                r.bucket,
                r.key
            ));
            if ui
                .button("Resume")
                .on_hover_text("Go on from what was done, with this session")
                .clicked()
            {
                resume = Some(r.id.clone());
            }
            if ui
                .button("Discard")
                .on_hover_text("Drop what was done: the partial file, or the parts on S3")
                .clicked()
            {
                discard = Some(r.id.clone());
            }
        });
    }
    let (b, out) = (&mut state.browser, &mut state.outbox);
    if let Some(id) = resume {
        b.resume(out, &id);
    }
    if let Some(id) = discard {
        b.discard(out, &id);
    }
}

/// The shown bucket's unfinished multipart uploads, each with Abort, and Abort all.
fn unfinished_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let Some(u) = &state.browser.unfinished else {
        return;
    };
    let mut abort: Option<Vec<(String, String)>> = None;
    let mut close = false;
    ui.separator();
    ui.horizontal(|ui| {
        ui.strong(format!("Unfinished uploads in {}", u.bucket));
        close = ui.button("Close").clicked();
    });
    match &u.result {
        None => {
            ui.label("Listing the unfinished uploads…");
        }
        Some(Err(e)) => {
            notice_ui(ui, &Notice::error(e.message.clone()), Size::Normal);
        }
        Some(Ok(list)) if list.is_empty() => {
            ui.label("No unfinished uploads: nothing here is billed for parts");
        }
        Some(Ok(list)) => {
            ui.label(format!(
                "{} unfinished upload{}: S3 keeps (and bills) their parts until they are aborted",
                list.len(),
                if list.len() == 1 { "" } else { "s" }
            ));
            egui::Grid::new("unfinished").num_columns(3).show(ui, |ui| {
                for one in list {
                    ui.label(&one.key);
                    ui.label(one.initiated.map_or_else(String::new, |t| {
                        let ago = now.duration_since(t).unwrap_or_default();
                        format!("started {} ago", human_duration(ago.as_secs().max(60)))
                    }));
                    if ui
                        .button("Abort")
                        .on_hover_text("Delete its parts")
                        .clicked()
                    {
                        abort = Some(vec![(one.key.clone(), one.upload_id.clone())]);
                    }
                    ui.end_row();
                }
            });
            if ui.button("Abort all").clicked() {
                abort = Some(
                    list.iter()
                        .map(|one| (one.key.clone(), one.upload_id.clone()))
                        .collect(),
                );
            }
        }
    }
    let (b, out) = (&mut state.browser, &mut state.outbox);
    if let Some(uploads) = abort {
        b.abort_unfinished(out, uploads);
    }
    if close {
        b.unfinished = None;
    }
}

fn buttons_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let picked = !state.browser.selected.is_empty();
    let here = state.browser.location.is_some();
    let (b, out) = (&mut state.browser, &mut state.outbox);
    let objects = b.selected_objects();
    let dl = icon_button(ui, picked, icon::ICON_DOWNLOAD, "Download…")
        .on_hover_text(
            "Save the selection; folders come with everything in them, keeping their structure",
        )
        .on_disabled_hover_text("Select objects or folders (Ctrl+click adds)");
    if dl.clicked() {
        b.download(out);
    }
    let up = icon_button(ui, here, icon::ICON_UPLOAD, "Upload files…")
        .on_hover_text("Upload files into this folder (or drop files and folders on the window)");
    if up.clicked() {
        b.upload(out, None);
    }
    folder_buttons_ui(ui, b, out, here);
    let new_folder = icon_button(
        ui,
        here && b.new_folder.is_none(),
        icon::ICON_CREATE_NEW_FOLDER,
        "New folder…",
    )
    .on_hover_text("Make a folder here");
    let delete = icon_button(ui, picked, icon::ICON_DELETE, "Delete…")
        .on_hover_text("Delete the selection (folders with everything in them); asks first")
        .on_disabled_hover_text("Select objects or folders (Ctrl+click adds)");
    if delete.clicked() {
        b.delete(out);
    }
    super::props::props_buttons_ui(ui, b, out, !objects.is_empty());
    if new_folder.clicked() {
        super::confirm::start_new_folder(state);
        return;
    }
    let (b, out) = (&mut state.browser, &mut state.outbox);
    if !here || objects.len() != 1 {
        return;
    }
    if icon_button(ui, true, icon::ICON_VISIBILITY, "Preview")
        .on_hover_text("Show the start of a text file, or an image")
        .clicked()
    {
        b.preview(out, None);
    }
    if icon_button(ui, true, icon::ICON_HISTORY, "Versions")
        .on_hover_text("The object's versions, on a bucket that keeps them")
        .clicked()
    {
        b.show_versions(out);
    }
    if icon_button(ui, true, icon::ICON_CONTENT_COPY, "Copy s3:// URI")
        .on_hover_text("Copy s3://bucket/key")
        .clicked()
    {
        b.copy_uri(out);
    }
    ui.separator();
    let label = ui.label("Link valid for (min)");
    ui.add(egui::DragValue::new(&mut b.presign_minutes).range(1..=10_080))
        .labelled_by(label.id)
        .on_hover_text("At most the session's remaining life: a link made with temporary credentials dies with them");
    if icon_button(ui, true, icon::ICON_LINK, "Copy presigned link")
        .on_hover_text("A URL anyone can use to GET this object until it expires")
        .clicked()
    {
        b.presign(out, now);
    }
}

/// The buttons that work on the whole folder: upload a folder, sync, unfinished uploads.
fn folder_buttons_ui(
    ui: &mut egui::Ui,
    b: &mut crate::state::browser::Browser,
    out: &mut crate::message::Outbox,
    here: bool,
) {
    let up_dir = icon_button(ui, here, icon::ICON_DRIVE_FOLDER_UPLOAD, "Upload folder…")
        .on_hover_text("Upload a folder with everything in it, keeping its structure");
    if up_dir.clicked() {
        b.upload_tree(out, None);
    }
    let sync = icon_button(ui, here, icon::ICON_REFRESH, "Sync…")
        .on_hover_text("Compare this folder with a local one and copy what differs, either way; shows the plan first");
    if sync.clicked() {
        b.open_sync(out);
    }
    let unfinished = icon_button(ui, here, icon::ICON_DRAFT, "Unfinished uploads…")
        .on_hover_text("Multipart uploads of this bucket never completed; list and abort them");
    if unfinished.clicked() {
        b.show_unfinished(out);
    }
}

/// One transfer's line; whether Cancel was pressed.
fn transfer_ui(ui: &mut egui::Ui, t: &Transfer) -> bool {
    ui.label(&t.label);
    if let Some(outcome) = &t.outcome {
        notice_ui(ui, outcome, Size::Normal);
        return false;
    }
    ui.add(
        egui::ProgressBar::new(t.fraction())
            .desired_width(160.0)
            .show_percentage(),
    );
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // display
    let rate = human_size(t.rate() as u64);
    let eta = t.eta().map_or_else(String::new, |d| {
        format!(", {} left", human_duration(d.as_secs().max(1)))
    });
    ui.label(format!("{} · {rate}/s{eta}", human_size(t.done)));
    ui.button("Cancel")
        .on_hover_text("Stop; nothing partial is left")
        .clicked()
}
