//! The Session panel: who you are, the access key id, the live countdown, Renew, Sign out, and
//! the export lines (format, copy, masked preview, clipboard clearing).

use std::time::SystemTime;

use egui::RichText;

use crate::export::ExportFormat;
use crate::session::{Session, Urgency, countdown_text};
use crate::state::AppState;
use crate::ui::theme::{tinted, urgency_color};

/// Draws the session panel (only when there is a session).
pub fn session_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let Some(session) = state.current().cloned() else {
        return;
    };
    ui.heading("Session");
    ui.add_space(4.0);
    if state.sessions.list.len() > 1 {
        session_list_ui(ui, state, now);
        ui.add_space(6.0);
    }
    identity_ui(ui, &session);
    ui.add_space(6.0);
    let mfa = state.sessions.mfa_behind(&session).cloned();
    countdown_ui(ui, &session, mfa.as_ref(), now);
    if mfa.is_some() && !session.is_expired(now) {
        renewal_ui(ui, state, mfa.as_ref(), now);
    }
    ui.add_space(6.0);
    actions_ui(ui, state, &session, now);
    if state.current().map(|s| &s.name) != Some(&session.name) {
        return;
    }
    export_ui(ui, state, &session, now);
    if !session.is_expired(now) {
        ui.add_space(8.0);
        crate::ui::cred_write::cred_write_ui(ui, state, now);
    }
}

/// Renew, Sign out, Browse S3 and Open AWS console.
fn actions_ui(ui: &mut egui::Ui, state: &mut AppState, session: &Session, now: SystemTime) {
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
            .on_hover_text("Forget this session, here and in the keyring")
            .clicked()
        {
            state.sign_out(now);
        }
        let browse = ui
            .add_enabled(!expired, egui::Button::new("Browse S3"))
            .on_hover_text("Buckets, folders and objects with this session")
            .on_disabled_hover_text("The session has expired: renew it first");
        if browse.clicked() {
            state.open_browser(now);
        }
        let why_not = if expired {
            Some("The session has expired: renew it first")
        } else {
            crate::aws::console::why_not(session)
        };
        let console = ui
            .add_enabled(why_not.is_none(), egui::Button::new("Open AWS console"))
            .on_hover_text(
                "Sign in to the AWS Management Console in your browser with this session",
            )
            .on_disabled_hover_text(why_not.unwrap_or_default());
        if console.clicked() {
            state.open_console(now);
        }
    });
}

/// "Use the session in a terminal": the format, Copy, the clipboard delay and a masked preview.
fn export_ui(ui: &mut egui::Ui, state: &mut AppState, session: &Session, now: SystemTime) {
    let expired = session.is_expired(now);
    ui.add_space(8.0);
    ui.separator();
    ui.label(RichText::new("Use the session in a terminal").strong());
    ui.horizontal(|ui| {
        let label = ui.label("Format");
        egui::ComboBox::from_id_salt("export_format")
            .selected_text(state.sessions.export_format.label())
            .show_ui(ui, |ui| {
                for f in ExportFormat::ALL {
                    ui.selectable_value(&mut state.sessions.export_format, f, f.label());
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
            state.copy_exports(now);
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Clear the clipboard after (s, 0 = never)");
        ui.add(egui::DragValue::new(&mut state.sessions.clear_clipboard_after).range(0..=3600))
            .labelled_by(label.id)
            .on_hover_text(
                "keyfob empties the clipboard then, if it still holds the lines it copied",
            );
    });
    let preview = if expired {
        "(expired: nothing to export)".to_owned()
    } else {
        session.export_preview(state.sessions.export_format)
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(preview).monospace().size(11.0));
    });
}

/// Every session with its own countdown; a click shows it.
fn session_list_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let mut pick = None;
    egui::Grid::new("sessions")
        .num_columns(3)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            for s in &state.sessions.list {
                let selected = state.current().is_some_and(|c| c.name == s.name);
                let r = ui
                    .selectable_label(selected, &s.name)
                    .on_hover_text("Show this session");
                if r.clicked() {
                    pick = Some(s.name.clone());
                }
                ui.label(s.identity.as_ref().map_or("?", |i| i.account.as_str()));
                let urgency = s.urgency(now);
                let text = if urgency == Urgency::Expired {
                    "expired".to_owned()
                } else {
                    countdown_text(s.remaining(now))
                };
                ui.label(tinted(
                    RichText::new(text).monospace(),
                    urgency_color(urgency),
                ));
                ui.end_row();
            }
        });
    if let Some(name) = pick {
        state.select_session(&name, now);
    }
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

/// The time left; for a role chained from an MFA session, both lives ("role 00:58:12 · MFA
/// 11:02:40"), since the role renews itself while the MFA session lasts.
fn countdown_ui(ui: &mut egui::Ui, session: &Session, mfa: Option<&Session>, now: SystemTime) {
    let urgency = session.urgency(now);
    let color = urgency_color(urgency).unwrap_or_else(|| ui.visuals().text_color());
    let left = |s: &Session| {
        if s.is_expired(now) {
            "ended".to_owned()
        } else {
            countdown_text(s.remaining(now))
        }
    };
    let text = match mfa {
        _ if urgency == Urgency::Expired => {
            "Expired: keyfob no longer uses this session. Renew to sign in again.".to_owned()
        }
        Some(m) => format!("role {} · MFA {}", left(session), left(m)),
        None => format!("{} left", left(session)),
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

/// Whether and when a chained role renews itself, and the setting.
fn renewal_ui(ui: &mut egui::Ui, state: &mut AppState, mfa: Option<&Session>, now: SystemTime) {
    let minutes = state.sessions.renew_minutes;
    let live = mfa.is_some_and(|m| !m.is_expired(now));
    let text = match (minutes, live) {
        (0, _) => "Renewing itself is off: Renew with a new code when it ends".to_owned(),
        (_, false) => "Will not renew itself: the MFA session behind it has ended".to_owned(),
        (m, true) => format!("Renews itself from the MFA session {m} min before it ends, no code"),
    };
    ui.label(RichText::new(text).small());
    ui.horizontal(|ui| {
        let label = ui.label("Renew chained roles this many minutes before the end (0 = never)");
        ui.add(egui::DragValue::new(&mut state.sessions.renew_minutes).range(0..=55))
            .labelled_by(label.id)
            .on_hover_text("AWS caps a role chained from an MFA session at 1 hour");
    });
}
