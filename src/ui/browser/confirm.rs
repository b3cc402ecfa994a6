//! The dialog that asks before a batch runs ("Download 1,204 files, 3.2 GB?"), with what is left
//! out and why, the keys a deletion removes, and the typed count for a large deletion; and the
//! line that names a new folder.

use egui::RichText;

use crate::message::Purpose;
use crate::notice::Notice;
use crate::state::AppState;
use crate::state::browser::{Confirm, NewFolder, thousands};
use crate::ui::theme::{Size, notice_ui};

/// Keys a deletion dialog lists (the rest are counted).
const LISTED: usize = 200;

/// Draws the confirmation dialog when one is open.
pub(super) fn confirm_ui(ctx: &egui::Context, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    let Some(c) = b.confirm.as_mut() else { return };
    let (mut yes, mut no) = (false, false);
    let title = match c.purpose {
        Purpose::Download => "Download",
        Purpose::Upload => "Upload",
        Purpose::Delete => "Delete",
    };
    let modal = egui::Modal::new(egui::Id::unique("confirm_batch")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        crate::ui::theme::heading_ui(ui, title);
        ui.label(c.question());
        if let Some(e) = &c.error {
            notice_ui(ui, &Notice::from(e), Size::Normal);
        } else if c.plan.is_none() {
            ui.spinner();
        }
        plan_ui(ui, c);
        if let Some(note) = c.versioning_note() {
            notice_ui(ui, &Notice::info(note), Size::Normal);
        }
        if c.needs_typing() {
            let label = ui.label(format!("Type {} to confirm", thousands(c.count())));
            ui.add(egui::TextEdit::singleline(&mut c.typed).desired_width(120.0))
                .labelled_by(label.id);
        }
        ui.horizontal(|ui| {
            let action = match c.purpose {
                Purpose::Download => "Download",
                Purpose::Upload => "Upload",
                Purpose::Delete => "Delete",
            };
            let go = ui
                .add_enabled(c.ready(), egui::Button::new(action))
                .on_disabled_hover_text(if c.plan.is_none() {
                    "Still counting"
                } else if c.count() == 0 {
                    "Nothing to do"
                } else {
                    "Type the count first"
                });
            yes = go.clicked();
            no = ui.button("Cancel").clicked();
        });
    });
    if yes {
        b.confirm(out);
    } else if no || modal.should_close() {
        b.dismiss(out);
    }
}

/// What a counted plan leaves out, and the keys a deletion removes.
fn plan_ui(ui: &mut egui::Ui, c: &Confirm) {
    let Some(plan) = &c.plan else { return };
    if !plan.skipped.is_empty() {
        let n = plan.skipped.len();
        notice_ui(
            ui,
            &Notice::warning(format!("{} will be left out:", thousands(n))),
            Size::Normal,
        );
        for s in plan.skipped.iter().take(5) {
            ui.label(RichText::new(format!("{}: {}", s.name.escape_debug(), s.reason)).small());
        }
        if n > 5 {
            ui.label(RichText::new(format!("and {} more", thousands(n - 5))).small());
        }
    }
    if c.purpose == Purpose::Delete {
        egui::ScrollArea::vertical()
            .id_salt("delete_list")
            .max_height(160.0)
            .show(ui, |ui| {
                for f in plan.files.iter().chain(&plan.folders).take(LISTED) {
                    ui.label(RichText::new(&f.key).monospace());
                }
            });
        let more = c.count().saturating_sub(LISTED);
        if more > 0 {
            ui.label(format!("and {} more", thousands(more)));
        }
    }
}

/// The "Folder name" line under the buttons while a folder is being named.
pub(super) fn new_folder_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    let Some(nf) = b.new_folder.as_mut() else {
        return;
    };
    let (mut create, mut cancel) = (false, false);
    ui.horizontal(|ui| {
        let label = ui.label("Folder name");
        let r = ui
            .add(egui::TextEdit::singleline(&mut nf.name).desired_width(200.0))
            .labelled_by(label.id);
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            create = true;
        }
        let waiting = nf.id.is_some();
        create |= ui
            .add_enabled(!waiting, egui::Button::new("Create folder"))
            .clicked();
        cancel = ui.button("Cancel").clicked();
        if waiting {
            ui.spinner();
        }
    });
    if let Some(e) = &nf.error {
        notice_ui(ui, &Notice::error(e.clone()), Size::Normal);
    }
    if create {
        b.create_folder(out);
    } else if cancel {
        b.new_folder = None;
    }
}

/// Starts naming a new folder.
pub(super) fn start_new_folder(state: &mut AppState) {
    state
        .browser
        .new_folder
        .get_or_insert_with(NewFolder::default);
}
