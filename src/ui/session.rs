//! The Session panel: who you are, the access key id, the live countdown, Renew, Sign out, and
//! the export lines (format, copy, masked preview, clipboard clearing).

use std::time::SystemTime;

use egui::{Color32, RichText};

use crate::message::Command;
use crate::session::{ExportFormat, Session, Urgency, countdown_text};
use crate::state::AppState;

/// Amber for under 15 minutes left.
pub const AMBER: Color32 = Color32::from_rgb(0xE0, 0x9A, 0x1B);
/// Red for under 5 minutes left and expired.
pub const RED: Color32 = Color32::from_rgb(0xE0, 0x3B, 0x2E);

/// What the session panel asks the app to do besides sending commands.
#[derive(Debug, Default)]
pub struct SessionActions {
    /// Commands for the worker.
    pub commands: Vec<Command>,
    /// Text to put on the clipboard.
    pub copy: Option<crate::secret::Secret>,
}

/// Draws the session panel (only when there is a session).
pub fn session_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) -> SessionActions {
    let mut actions = SessionActions::default();
    let Some(session) = state.session.clone() else {
        return actions;
    };
    ui.heading("Session");
    ui.add_space(4.0);
    identity_ui(ui, &session);
    ui.add_space(6.0);
    countdown_ui(ui, &session, now);
    ui.add_space(6.0);
    let expired = session.is_expired(now);
    ui.horizontal(|ui| {
        let renew = ui
            .button("Renew")
            .on_hover_text("Sign in again with a new code; every field is kept");
        if renew.clicked() {
            state.renew();
        }
        if ui
            .button("Sign out")
            .on_hover_text("Forget the session (keyfob keeps nothing on disk)")
            .clicked()
        {
            actions.commands.extend(state.sign_out());
        }
    });
    if state.session.is_none() {
        return actions;
    }
    ui.add_space(8.0);
    ui.separator();
    ui.label(RichText::new("Use the session in a terminal").strong());
    ui.horizontal(|ui| {
        let label = ui.label("Format");
        egui::ComboBox::from_id_salt("export_format")
            .selected_text(state.export_format.label())
            .show_ui(ui, |ui| {
                for f in ExportFormat::ALL {
                    ui.selectable_value(&mut state.export_format, f, f.label());
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("The shell (or .env file) the lines are for");
        let copy = ui
            .add_enabled(!expired, egui::Button::new("Copy export lines"))
            .on_hover_text("Copy the lines to the clipboard (Ctrl+Shift+C)")
            .on_disabled_hover_text("The session has expired: renew it first");
        if copy.clicked() {
            actions.copy = state.copy_exports(now);
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Clear the clipboard after (s, 0 = never)");
        ui.add(egui::DragValue::new(&mut state.clear_clipboard_after).range(0..=3600))
            .labelled_by(label.id)
            .on_hover_text(
                "keyfob empties the clipboard then, if it still holds the lines it copied",
            );
    });
    let preview = if expired {
        "(expired: nothing to export)".to_owned()
    } else {
        session.export_preview(state.export_format)
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(preview).monospace().size(11.0));
    });
    actions
}

fn identity_ui(ui: &mut egui::Ui, session: &Session) {
    egui::Grid::new("identity")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            if let Some(src) = &session.source_identity {
                ui.label("Signed in as");
                ui.label(&src.arn);
                ui.end_row();
            }
            ui.label("Session");
            match &session.identity {
                Some(id) => ui.label(RichText::new(&id.arn).strong()),
                None => ui.label("(GetCallerIdentity failed; the credentials may still work)"),
            };
            ui.end_row();
            if let Some(id) = &session.identity {
                ui.label("Account");
                ui.label(&id.account);
                ui.end_row();
            }
            ui.label("Kind");
            ui.label(session.kind.describe());
            ui.end_row();
            ui.label("Access key");
            ui.label(RichText::new(&session.credentials.access_key_id).monospace());
            ui.end_row();
            ui.label("Expires");
            ui.label(session.expiration_rfc3339());
            ui.end_row();
        });
}

fn countdown_ui(ui: &mut egui::Ui, session: &Session, now: SystemTime) {
    let urgency = session.urgency(now);
    let color = match urgency {
        Urgency::Calm => ui.visuals().text_color(),
        Urgency::Soon => AMBER,
        Urgency::Urgent | Urgency::Expired => RED,
    };
    let text = if urgency == Urgency::Expired {
        "Expired: keyfob no longer uses this session. Renew to sign in again.".to_owned()
    } else {
        format!("{} left", countdown_text(session.remaining(now)))
    };
    ui.label(RichText::new(text).size(22.0).color(color).monospace());
    let bar_color = if urgency == Urgency::Calm {
        ui.visuals().selection.bg_fill
    } else {
        color
    };
    ui.add(
        egui::ProgressBar::new(session.fraction_left(now))
            .fill(bar_color)
            .desired_width(360.0),
    )
    .on_hover_text("Share of the session's life left");
}
