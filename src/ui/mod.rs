//! Drawing: one file per part of the state (`ui::X` draws `state::X`), each `fn …_ui(ui, &mut
//! state, now)`. Actions call the state, which leaves its commands in the outbox; nothing here
//! returns commands, does I/O or waits. Colours and notices come from [`theme`].

pub mod browser;
pub mod cred_write;
pub mod icons;
pub mod keys;
pub mod sessions;
pub mod sign_in;
pub mod theme;
pub mod tools;

use std::time::SystemTime;

use egui::RichText;

use crate::notice::Notice;
use crate::state::AppState;
use theme::{Size, notice_ui, space};

/// The sign-in view, centred in the window: messages, then the Sign in card and the session's
/// cards (side by side when there is room), the keyring panel and About.
pub fn main_view_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let has_session = state.current().is_some();
    let max = if has_session { 1120.0 } else { 580.0 };
    let width = (ui.available_width() - 2.0 * space::L).clamp(200.0, max);
    let margin = ((ui.available_width() - width) / 2.0).max(0.0);
    ui.add_space(space::L);
    ui.horizontal_top(|ui| {
        ui.add_space(margin);
        ui.vertical(|ui| {
            ui.set_width(width);
            column_ui(ui, state, now);
        });
    });
}

fn column_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    sign_in::messages_ui(ui, state);
    let wide = ui.available_width() > 900.0 && state.current().is_some();
    if wide {
        ui.columns(2, |cols| {
            if let [left, right] = cols {
                sign_in::sign_in_ui(left, state, now);
                sessions::session_ui(right, state, now);
            }
        });
    } else {
        sign_in::sign_in_ui(ui, state, now);
        ui.add_space(space::M);
        sessions::session_ui(ui, state, now);
    }
    ui.add_space(space::M);
    keys::keys_ui(ui, state);
    ui.add_space(space::L);
    let about = theme::icon_button(ui, true, theme::icon::ICON_INFO, "About keyfob")
        .on_hover_text("Version, licence and keys");
    if about.clicked() {
        state.show_about = true;
    }
    ui.add_space(space::L);
}

/// The status line and the version.
pub fn status_bar_ui(ui: &mut egui::Ui, state: &AppState) {
    ui.horizontal(|ui| {
        let ready = Notice::info("Ready");
        let status = notice_ui(ui, state.status.as_ref().unwrap_or(&ready), Size::Small);
        // The status line is where results are said ("Copied…", "Signed in…"): announced.
        theme::live(&status, false);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let version = concat!("keyfob ", env!("CARGO_PKG_VERSION"));
            ui.label(RichText::new(version).small().weak());
        });
    });
}

/// The About box.
pub fn about_ui(ctx: &egui::Context, state: &mut AppState) {
    let modal = egui::Modal::new(egui::Id::unique("keyfob.about")).show(ctx, |ui| {
        theme::heading_ui(ui, concat!("keyfob ", env!("CARGO_PKG_VERSION")));
        ui.label(env!("CARGO_PKG_DESCRIPTION"));
        ui.label("Licence: MIT");
        ui.add_space(6.0);
        ui.label(
            "Keys: Ctrl+L code field · Enter sign in · Esc cancel · Ctrl+Shift+C copy exports · F5 reload profiles",
        );
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label("Appearance");
            theme::theme_switch_ui(ui);
        });
        ui.checkbox(
            &mut state.keep_in_tray,
            "Keep running in the tray when the window is closed",
        )
        .on_hover_text("While a session is live and a tray shows keyfob; Quit in the tray's menu ends it");
        ui.add_space(6.0);
        ui.button("Close").on_hover_text("Close this box (Esc)").clicked()
    });
    if modal.inner || modal.should_close() {
        state.show_about = false;
    }
}
