//! The Keyring panel: long-term keys kept in the OS keyring (add, list by id, remove, import from a
//! profile and offer to take them out of the credentials file), and why the keyring cannot be used
//! when it cannot.

use egui::{RichText, TextEdit};

use crate::notice::Notice;
use crate::state::{AppState, KeyField};
use crate::ui::theme::{Size, notice_ui};

/// Draws the panel.
pub fn keys_ui(ui: &mut egui::Ui, state: &mut AppState) {
    egui::CollapsingHeader::new("Long-term keys in the keyring")
        .id_salt("keyring_keys")
        .show(ui, |ui| {
            if let Some(e) = &state.keyring.error {
                notice_ui(ui, e, Size::Normal);
            }
            for p in &state.keyring.problems {
                notice_ui(ui, &Notice::error(p.clone()), Size::Small);
            }
            if state.keyring.available != Some(true) {
                return;
            }
            if state.keyring.keys.is_empty() {
                ui.label(RichText::new("No keys stored yet").weak());
            }
            let mut remove = None;
            egui::Grid::new("keys_list").num_columns(3).show(ui, |ui| {
                for k in &state.keyring.keys {
                    ui.label(&k.name);
                    ui.label(RichText::new(&k.access_key_id).monospace());
                    let r = ui
                        .small_button(format!("Remove {}", k.name))
                        .on_hover_text("Delete these keys from the keyring");
                    if r.clicked() {
                        remove = Some(k.name.clone());
                    }
                    ui.end_row();
                }
            });
            if let Some(name) = remove {
                state.keyring.delete_key(&mut state.outbox, name);
            }
            ui.add_space(6.0);
            add_form_ui(ui, state);
            ui.add_space(6.0);
            import_row_ui(ui, state);
        });
}

fn add_form_ui(ui: &mut egui::Ui, state: &mut AppState) {
    ui.label(RichText::new("Add keys").strong());
    egui::Grid::new("key_form").num_columns(2).show(ui, |ui| {
        let f = &mut state.key_form;
        let label = ui.label("Key name");
        field_ui(
            ui,
            TextEdit::singleline(&mut f.name).hint_text("work"),
            label.id,
            f.errors.get(&KeyField::Name).map(String::as_str),
            "What the keys are called in the Source credentials list",
        );
        ui.end_row();
        let label = ui.label("Access key id");
        field_ui(
            ui,
            TextEdit::singleline(&mut f.access_key_id).hint_text("AKIA…"),
            label.id,
            f.errors.get(&KeyField::AccessKeyId).map(String::as_str),
            "AKIA… (or ASIA…) and 16 more capital letters or digits",
        );
        ui.end_row();
        let label = ui.label("Secret access key");
        let mut secret = f.secret.expose().to_owned();
        let edit = TextEdit::singleline(&mut secret)
            .password(true)
            .hint_text("40 characters");
        let changed = field_ui(
            ui,
            edit,
            label.id,
            f.errors.get(&KeyField::Secret).map(String::as_str),
            "Stored only in the OS keyring; never shown again",
        );
        if changed {
            f.secret = crate::secret::Secret::new(secret);
        } else {
            zeroize::Zeroize::zeroize(&mut secret);
        }
        ui.end_row();
    });
    if ui
        .button("Store keys")
        .on_hover_text("Put the keys in the OS keyring")
        .clicked()
    {
        state.add_key();
    }
}

/// A text field with its message under it; whether the text changed.
fn field_ui(
    ui: &mut egui::Ui,
    edit: TextEdit<'_>,
    label: egui::Id,
    error: Option<&str>,
    tip: &str,
) -> bool {
    ui.vertical(|ui| {
        let r = ui
            .add(edit.desired_width(280.0))
            .labelled_by(label)
            .on_hover_text(tip);
        if let Some(e) = error {
            notice_ui(ui, &Notice::error(e), Size::Small);
        }
        r.changed()
    })
    .inner
}

fn import_row_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let with_keys: Vec<String> = state
        .sign_in
        .profiles
        .with_keys()
        .map(|p| p.name.clone())
        .collect();
    if !with_keys.is_empty() {
        ui.horizontal(|ui| {
            let label = ui.label("Import from profile");
            let chosen = state.key_form.import_profile.clone();
            egui::ComboBox::from_id_salt("import_profile")
                .selected_text(chosen.clone().unwrap_or_else(|| "choose…".to_owned()))
                .show_ui(ui, |ui| {
                    for name in &with_keys {
                        ui.selectable_value(
                            &mut state.key_form.import_profile,
                            Some(name.clone()),
                            name,
                        );
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("Copy a profile's keys from ~/.aws/credentials into the keyring");
            let import = ui
                .add_enabled(chosen.is_some(), egui::Button::new("Import"))
                .on_hover_text(
                    "The file is not changed; keyfob offers to remove the keys afterwards",
                );
            if import.clicked()
                && let Some(profile) = chosen
            {
                state.keyring.import_key(&mut state.outbox, profile);
            }
        });
    }
    if let Some(profile) = state.keyring.offer_remove.clone() {
        ui.horizontal(|ui| {
            ui.label(format!("[{profile}]'s keys are now in the keyring."));
            let remove = ui
                .button(format!("Remove [{profile}] from the credentials file"))
                .on_hover_text("Every other profile is kept; no backup is made, so the keys are left in no file");
            if remove.clicked() {
                state.keyring.answer_remove_offer(&mut state.outbox, true);
            }
            if ui
                .button("Keep it")
                .on_hover_text("Leave the file as it is")
                .clicked()
            {
                state.keyring.answer_remove_offer(&mut state.outbox, false);
            }
        });
    }
}
