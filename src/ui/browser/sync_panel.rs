//! The sync dialog: which way, the local folder, how to compare, whether to delete; then the plan
//! (a sentence, what is left out, and every path that differs in a list that lays out only its
//! visible rows) and Sync now.

use egui::RichText;

use crate::aws::s3::sync::{Action, Compare, Direction};
use crate::notice::Notice;
use crate::state::AppState;
use crate::state::browser::{SyncPanel, thousands};
use crate::ui::theme::{Size, notice_ui};

const ROW: f32 = 18.0;

/// Draws the sync dialog when it is open.
pub(super) fn sync_ui(ctx: &egui::Context, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    let Some(p) = b.sync_panel.as_mut() else {
        return;
    };
    let (mut compare, mut go, mut close, mut changed) = (false, false, false, false);
    let modal = egui::Modal::new(egui::Id::unique("sync_dialog")).show(ctx, |ui| {
        ui.set_max_width(620.0);
        crate::ui::theme::heading_ui(ui, "Sync");
        ui.label(format!("S3 folder: {}", p.place()));
        changed = choices_ui(ui, p);
        ui.horizontal(|ui| {
            let label = ui.label("Local folder");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut p.local)
                        .hint_text("empty: choose in a dialog")
                        .desired_width(360.0),
                )
                .labelled_by(label.id);
            changed |= field.changed();
        });
        if let Some(why) = &p.local_error {
            notice_ui(ui, &Notice::error(why.clone()), Size::Normal);
        }
        ui.horizontal(|ui| {
            compare = ui
                .add_enabled(p.id.is_none(), egui::Button::new("Compare"))
                .on_hover_text("List both sides and show what a sync would do; nothing changes yet")
                .clicked();
            if p.id.is_some() {
                ui.spinner();
                ui.label(format!("Compared {} so far…", thousands(p.counted)));
            }
        });
        if let Some(e) = &p.error {
            notice_ui(ui, &Notice::from(e), Size::Normal);
        }
        plan_ui(ui, p);
        ui.horizontal(|ui| {
            go = ui
                .add_enabled(p.ready(), egui::Button::new("Sync now"))
                .on_disabled_hover_text(if p.plan.is_some() {
                    "Nothing to do"
                } else {
                    "Compare first"
                })
                .clicked();
            close = ui.button("Close").clicked();
        });
    });
    if changed {
        b.sync_choices_changed(out);
    }
    if compare {
        b.compare_sync(out);
    } else if go {
        b.run_sync(out);
    } else if close || modal.should_close() {
        b.close_sync(out);
    }
}

/// Direction, comparison and deletion; whether one changed.
fn choices_ui(ui: &mut egui::Ui, p: &mut SyncPanel) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        changed |= ui
            .radio_value(
                &mut p.direction,
                Direction::Upload,
                "Upload: the local folder into S3",
            )
            .changed();
        changed |= ui
            .radio_value(
                &mut p.direction,
                Direction::Download,
                "Download: S3 into the local folder",
            )
            .changed();
    });
    ui.horizontal(|ui| {
        changed |= ui
            .radio_value(&mut p.compare, Compare::SizeAndTime, "Compare size and time")
            .changed();
        changed |= ui
            .radio_value(&mut p.compare, Compare::Checksum, "Compare content (checksums)")
            .on_hover_text(
                "Files of the same size are hashed and checked against the object's checksum or ETag",
            )
            .changed();
    });
    changed |= ui
        .checkbox(&mut p.delete, "Delete what is only at the destination")
        .changed();
    changed
}

/// The plan: its sentence, what is left out, and the paths that differ.
fn plan_ui(ui: &mut egui::Ui, p: &SyncPanel) {
    let Some(plan) = &p.plan else { return };
    ui.separator();
    ui.label(RichText::new(plan.summary()).strong());
    if let Some(counts) = p.counts() {
        let line: Vec<String> = counts
            .iter()
            .map(|(a, n)| format!("{}: {}", a.word(), thousands(*n)))
            .collect();
        ui.label(line.join(" · "));
    }
    if !plan.skipped.is_empty() {
        let n = plan.skipped.len();
        notice_ui(
            ui,
            &Notice::warning(format!("{} left out:", thousands(n))),
            Size::Normal,
        );
        for s in plan.skipped.iter().take(5) {
            ui.label(RichText::new(format!("{}: {}", s.name.escape_debug(), s.reason)).small());
        }
    }
    let rows = plan.items.len();
    egui::ScrollArea::vertical()
        .id_salt("sync_plan")
        .max_height(240.0)
        .show_rows(ui, ROW, rows, |ui, range| {
            for item in plan.items.get(range).unwrap_or_default() {
                let word = match item.action {
                    Action::Delete => {
                        RichText::new(item.action.word()).color(ui.visuals().error_fg_color)
                    }
                    _ => RichText::new(item.action.word()),
                };
                ui.horizontal(|ui| {
                    ui.add_sized([64.0, ROW], egui::Label::new(word.monospace()));
                    ui.label(RichText::new(item.rel.escape_debug().to_string()).monospace());
                    ui.label(RichText::new(item.why).small().weak());
                });
            }
        });
}
