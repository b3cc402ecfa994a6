//! "Write into ~/.aws/credentials" under the Session panel: the profile name, the change shown
//! first, the long-term-keys confirmation, then Write.

use std::time::SystemTime;

use egui::RichText;

use crate::state::AppState;
use crate::ui::theme::{Size, notice_ui};

/// "Write as a profile in ~/.aws/credentials": name, the change shown first, then Write.
pub fn cred_write_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    egui::CollapsingHeader::new("Write into ~/.aws/credentials")
        .id_salt("cred_write")
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Profile name");
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut state.cred_write.profile)
                            .hint_text("e.g. mfa")
                            .desired_width(160.0),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("The [section] the session is written as; other profiles are left untouched");
                if r.changed() {
                    state.cred_write.planned = None;
                }
                let show = ui
                    .button("Show the change")
                    .on_hover_text("Read the file and show what would be written, before writing");
                if show.clicked() {
                    state.plan_profile_write(now);
                }
            });
            if let Some(e) = &state.cred_write.error {
                notice_ui(ui, e, Size::Small);
            }
            if let Some((file, edit)) = &state.cred_write.planned {
                let verb = if edit.replaces { "Replace" } else { "Add" };
                ui.label(format!("{verb} [{}] in {}:", edit.profile, file.path().display()));
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.label(RichText::new(&edit.preview).monospace().size(11.0));
                });
                let long_term = edit.replaces_long_term;
                if long_term {
                    ui.checkbox(
                        &mut state.cred_write.confirm_long_term,
                        "Replace the long-term keys in this profile",
                    )
                    .on_hover_text("They are kept in the backup file keyfob makes first");
                }
                let can = !long_term || state.cred_write.confirm_long_term;
                let write = ui
                    .add_enabled(can, egui::Button::new("Write profile"))
                    .on_hover_text("Atomic write, 0600, after a timestamped backup of the old file")
                    .on_disabled_hover_text("Confirm replacing the long-term keys first");
                if write.clicked() {
                    state.write_profile();
                }
            }
            if let Some(o) = &state.cred_write.outcome {
                notice_ui(ui, o, Size::Small);
            }
        });
}
