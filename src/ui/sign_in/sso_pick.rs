//! The account and role picker of an IAM Identity Center profile: a filter over the accounts (the
//! rows drawn are only those in view, so 2,000 accounts scroll as lightly as 20), the chosen
//! account's roles, then Sign in as the role or Save as profile.

use egui::RichText;

use crate::state::AppState;
use crate::ui::theme::{self, icon, space};

use super::fields::error_ui;

/// The list's height: about eight rows.
const LIST_HEIGHT: f32 = 200.0;

/// Draws the picker when one is open.
pub fn pick_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let busy = state.sign_in.pending.is_some();
    let Some(pick) = state.sign_in.pick.as_mut() else {
        return;
    };
    let Some(total) = pick.accounts.as_ref().map(Vec::len) else {
        return;
    };
    ui.add_space(space::M);
    ui.label(RichText::new("Account").strong());
    let label = ui.label("Filter accounts");
    ui.add(
        egui::TextEdit::singleline(&mut pick.filter)
            .hint_text("name, id or e-mail")
            .desired_width(300.0),
    )
    .labelled_by(label.id);
    let shown = pick.shown().to_vec();
    ui.label(
        RichText::new(format!("{} of {total} accounts", shown.len()))
            .small()
            .weak(),
    );
    let mut chosen_account = None;
    let row_height = ui.spacing().interact_size.y;
    egui::ScrollArea::vertical()
        .id_salt("sso_accounts")
        .max_height(LIST_HEIGHT)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, shown.len(), |ui, rows| {
            let list = pick.accounts.as_deref().unwrap_or_default();
            for i in rows {
                let Some(a) = shown.get(i).and_then(|&n| list.get(n)) else {
                    continue;
                };
                let selected = pick.account.as_deref() == Some(a.id.as_str());
                let text = format!("{} · {} · {}", a.name, a.id, a.email);
                if ui
                    .add_enabled(!busy, egui::Button::selectable(selected, text))
                    .clicked()
                {
                    chosen_account = Some(a.id.clone());
                }
            }
        });
    let mut chosen_role = None;
    if let (Some(account), Some(roles)) = (pick.chosen_account(), pick.roles.as_ref()) {
        ui.add_space(space::S);
        ui.label(RichText::new(format!("Roles in {}", account.name)).strong());
        if roles.is_empty() {
            ui.label("You have no role in this account.");
        }
        ui.horizontal_wrapped(|ui| {
            for r in roles {
                let selected = pick.role.as_deref() == Some(r.as_str());
                if ui
                    .add_enabled(!busy, egui::Button::selectable(selected, r))
                    .clicked()
                {
                    chosen_role = Some(r.clone());
                }
            }
        });
    }
    if let Some(id) = chosen_account {
        state.sign_in.choose_sso_account(&id, &mut state.outbox);
    }
    if let Some(role) = chosen_role {
        state.sign_in.choose_sso_role(&role);
    }
    role_actions_ui(ui, state, busy);
}

/// With a role chosen: Sign in as it, or save the pair as a profile of its own.
fn role_actions_ui(ui: &mut egui::Ui, state: &mut AppState, busy: bool) {
    let saving = state.sign_in.saving_sso_profile();
    let Some(pick) = state.sign_in.pick.as_mut() else {
        return;
    };
    let Some(role) = pick.role.clone() else {
        return;
    };
    ui.add_space(space::S);
    let mut sign_in = false;
    let mut save = false;
    ui.horizontal(|ui| {
        sign_in = theme::primary_button(ui, !busy, icon::ICON_LOGIN, &format!("Sign in as {role}"))
            .clicked();
    });
    ui.horizontal(|ui| {
        let label = ui.label("Save as profile");
        let field = ui
            .add(egui::TextEdit::singleline(&mut pick.save_name).desired_width(220.0))
            .labelled_by(label.id);
        save = ui
            .add_enabled(!saving, egui::Button::new("Save"))
            .on_hover_text("Writes the account and role as a profile in your AWS config, as `aws configure sso` does")
            .clicked();
        if let Some(e) = pick.save_error.as_deref() {
            let msg = error_ui(ui, e);
            theme::invalid(&field, &msg, e);
        }
    });
    if sign_in {
        state.sign_in.sign_in_as_sso_role(&mut state.outbox);
    }
    if save {
        state.sign_in.save_sso_profile(&mut state.outbox);
    }
}
