//! The bottom panel: Download, Upload, the s3:// URI and presigned links for the selection, the
//! object's details, and the transfers with progress and Cancel.

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
    let up_dir = icon_button(ui, here, icon::ICON_DRIVE_FOLDER_UPLOAD, "Upload folder…")
        .on_hover_text("Upload a folder with everything in it, keeping its structure");
    if up_dir.clicked() {
        b.upload_tree(out, None);
    }
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
