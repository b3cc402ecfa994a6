//! The Session panel: who you are, the access key id, the live countdown, Renew, Sign out, and
//! the export lines (format, copy, masked preview, clipboard clearing).

use std::time::SystemTime;

use egui::RichText;

use crate::export::ExportFormat;
use crate::session::{Session, SessionKind, Urgency, countdown_shown};
use crate::state::AppState;
use crate::ui::theme::{
    card_ui, heading_ui, icon, icon_button, live, name, palette, space, tinted, urgency_color,
};

/// A session card's width in the list.
const CARD_WIDTH: f32 = 200.0;

/// Draws the session panel (only when there is a session): the other live sessions as cards,
/// then the shown one's card — who, the countdown with its band, the actions — and under it the
/// tools that use it (export lines, the credentials file).
pub fn session_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let Some(session) = state.current().cloned() else {
        return;
    };
    if state.sessions.list.len() > 1 {
        heading_ui(ui, "Sessions");
        ui.add_space(space::S);
        session_list_ui(ui, state, now);
        ui.add_space(space::M);
    }
    card_ui(ui, "Session", true, |ui| {
        heading_ui(ui, "Session");
        ui.add_space(space::S);
        identity_ui(ui, &session, now);
        ui.add_space(space::M);
        let mfa = state.sessions.mfa_behind(&session).cloned();
        countdown_ui(ui, &session, mfa.as_ref(), now);
        if mfa.is_some() && !session.is_expired(now) {
            renewal_ui(ui, state, mfa.as_ref(), now);
        }
        if !session.is_expired(now) {
            browser_renewal_ui(ui, &session, state.sessions.renew_minutes);
        }
        ui.add_space(space::M);
        actions_ui(ui, state, &session, now);
    });
    if state.current().map(|s| &s.name) != Some(&session.name) {
        return;
    }
    ui.add_space(space::M);
    card_ui(ui, "Use the session", false, |ui| {
        heading_ui(ui, "Use the session");
        ui.add_space(space::S);
        export_ui(ui, state, &session, now);
        if !session.is_expired(now) {
            ui.add_space(space::S);
            crate::ui::cred_write::cred_write_ui(ui, state, now);
        }
    });
}

/// Renew, Sign out, Browse S3 and Open AWS console.
fn actions_ui(ui: &mut egui::Ui, state: &mut AppState, session: &Session, now: SystemTime) {
    let expired = session.is_expired(now);
    ui.horizontal(|ui| {
        let renew = icon_button(ui, true, icon::ICON_REFRESH, "Renew")
            .on_hover_text("Sign in again with a new code; every field is kept");
        if renew.clicked() {
            state.renew();
        }
        if icon_button(ui, true, icon::ICON_LOGOUT, "Sign out")
            .on_hover_text("Forget this session, here and in the keyring")
            .clicked()
        {
            state.sign_out(now);
        }
        let browse = icon_button(ui, !expired, icon::ICON_FOLDER_OPEN, "Browse S3")
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
        let console = icon_button(
            ui,
            why_not.is_none(),
            icon::ICON_OPEN_IN_NEW,
            "Open AWS console",
        )
        .on_hover_text("Sign in to the AWS Management Console in your browser with this session")
        .on_disabled_hover_text(why_not.unwrap_or_default());
        if console.clicked() {
            state.open_console(now);
        }
    });
}

/// "Use the session in a terminal": the format, Copy, the clipboard delay and a masked preview.
fn export_ui(ui: &mut egui::Ui, state: &mut AppState, session: &Session, now: SystemTime) {
    let expired = session.is_expired(now);
    ui.label(RichText::new("Export lines for a terminal").strong());
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
        let copy = icon_button(ui, !expired, icon::ICON_CONTENT_COPY, "Copy export lines")
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
    egui::Frame::new()
        .fill(ui.visuals().extreme_bg_color)
        .corner_radius(6)
        .inner_margin(space::S)
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.label(RichText::new(preview).monospace().size(11.5));
        });
}

/// Every live session as a card — name, role or kind, account, time left in its band's colour
/// and a bar — the shown one outlined; a click on the name shows it.
fn session_list_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let mut pick = None;
    ui.horizontal_wrapped(|ui| {
        for s in &state.sessions.list {
            let selected = state.current().is_some_and(|c| c.name == s.name);
            let card_name = format!("Session {}", s.name);
            card_ui(ui, &card_name, selected, |ui| {
                ui.set_width(CARD_WIDTH);
                let r = ui
                    .selectable_label(selected, RichText::new(&s.name).strong())
                    .on_hover_text("Show this session");
                name(&r, &s.name);
                if r.clicked() {
                    pick = Some(s.name.clone());
                }
                let account = s.identity.as_ref().map_or("?", |i| i.account.as_str());
                let what = format!("{} · {account}", s.kind.describe());
                ui.label(RichText::new(what).small().weak());
                let urgency = s.urgency(now);
                let color = urgency_color(ui.visuals(), urgency);
                let text = if urgency == Urgency::Expired {
                    "expired".to_owned()
                } else {
                    format!("{} left", countdown_shown(s.remaining(now)))
                };
                ui.label(tinted(RichText::new(text).monospace(), color));
                band_bar_ui(ui, s, color, CARD_WIDTH, now);
            });
        }
    });
    if let Some(name) = pick {
        state.select_session(&name, now);
    }
}

/// The share of a session's life left, in its band's colour (the accent while calm).
fn band_bar_ui(
    ui: &mut egui::Ui,
    s: &Session,
    color: Option<egui::Color32>,
    width: f32,
    now: SystemTime,
) {
    let fill = color.unwrap_or_else(|| palette(ui).accent);
    ui.add(
        egui::ProgressBar::new(s.fraction_left(now))
            .fill(fill)
            .desired_width(width)
            .desired_height(6.0),
    )
    .on_hover_text("Share of the session's life left");
}

fn identity_ui(ui: &mut egui::Ui, session: &Session, now: SystemTime) {
    // Rows with a fixed name column rather than a Grid: a Grid sizes its columns from last
    // frame's contents, so the relative time's changing width ("in 1 h 9 min", "in 59 min") would
    // cost an extra pass each time it changes. An ARN (an IAM Identity Center role's is long)
    // wraps in the rest of the row rather than being cut: it stays selectable, and its accessible
    // name is the whole ARN.
    let key = |ui: &mut egui::Ui, text: &str| ui.label(RichText::new(text).weak());
    let row = |ui: &mut egui::Ui, name: &str, value: &mut dyn FnMut(&mut egui::Ui)| {
        ui.horizontal(|ui| {
            let size = egui::vec2(KEY_WIDTH, ui.spacing().interact_size.y);
            ui.allocate_ui_with_layout(
                size,
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_min_size(size);
                    key(ui, name);
                },
            );
            value(ui);
        });
    };
    if let Some(src) = &session.source_identity {
        row(ui, "Signed in as", &mut |ui| {
            arn_ui(ui, RichText::new(&src.arn));
        });
    }
    row(ui, "Session", &mut |ui| match &session.identity {
        Some(id) => arn_ui(ui, RichText::new(&id.arn).strong()),
        None => {
            ui.label("(GetCallerIdentity failed; the credentials may still work)");
        }
    });
    if let Some(id) = &session.identity {
        row(ui, "Account", &mut |ui| {
            ui.label(&id.account);
        });
    }
    row(ui, "Kind", &mut |ui| {
        ui.label(session.kind.describe());
    });
    row(ui, "Access key", &mut |ui| {
        ui.label(RichText::new(&session.credentials.access_key_id).monospace());
    });
    row(ui, "Expires", &mut |ui| {
        let exact = session.expiration_rfc3339();
        ui.label(format!("{} ({})", exact, relative(session, now)))
            .on_hover_text(format!("Exactly {exact}"));
    });
}

/// The width of the identity rows' names ("Access key" and a margin).
const KEY_WIDTH: f32 = 88.0;

/// An ARN wrapped at the available width (where it has no dash or slash to break at, anywhere),
/// selectable like every label.
fn arn_ui(ui: &mut egui::Ui, text: RichText) {
    ui.add(egui::Label::new(text).wrap());
}

/// "in 59 min", "2 h ago".
fn relative(session: &Session, now: SystemTime) -> String {
    match session.expires_at.duration_since(now) {
        Ok(left) => format!(
            "in {}",
            crate::validate::human_duration(left.as_secs().max(60))
        ),
        Err(e) => format!(
            "{} ago",
            crate::validate::human_duration(e.duration().as_secs().max(60))
        ),
    }
}

/// The countdown's band in words: shown as a badge, and a live region, so a screen reader
/// announces the change to amber, red and expired.
#[must_use]
pub fn band_words(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Calm => "Active",
        Urgency::Soon => "Ends soon: under 15 minutes left",
        Urgency::Urgent => "Ends very soon: under 5 minutes left",
        Urgency::Expired => "Expired",
    }
}

/// The time left (whole minutes until the last 15); for a role chained from an MFA session, both
/// lives ("role 58 min · MFA 11 h 02 min"), since the role renews itself while the MFA session
/// lasts. Above it the band's badge, a live region.
fn countdown_ui(ui: &mut egui::Ui, session: &Session, mfa: Option<&Session>, now: SystemTime) {
    let urgency = session.urgency(now);
    let band = urgency_color(ui.visuals(), urgency);
    let color = band.unwrap_or_else(|| ui.visuals().text_color());
    let badge_color = band.unwrap_or_else(|| palette(ui).green);
    let words = RichText::new(band_words(urgency))
        .small()
        .color(badge_color);
    let badge = ui
        .horizontal(|ui| {
            egui::Frame::new()
                .fill(badge_color.gamma_multiply(0.15))
                .stroke(egui::Stroke::new(1.0, badge_color))
                .corner_radius(10)
                .inner_margin(egui::Margin::symmetric(8, 2))
                .show(ui, |ui| ui.label(words))
                .inner
        })
        .inner;
    live(
        &badge,
        matches!(urgency, Urgency::Urgent | Urgency::Expired),
    );
    let left = |s: &Session| {
        if s.is_expired(now) {
            "ended".to_owned()
        } else {
            countdown_shown(s.remaining(now))
        }
    };
    let text = match mfa {
        _ if urgency == Urgency::Expired => {
            "Expired: keyfob no longer uses this session. Renew to sign in again.".to_owned()
        }
        Some(m) => format!("role {} · MFA {}", left(session), left(m)),
        None => format!("{} left", left(session)),
    };
    let size = if urgency == Urgency::Expired {
        16.0
    } else {
        26.0
    };
    ui.label(RichText::new(text).size(size).color(color).monospace());
    let width = ui.available_width().min(420.0);
    band_bar_ui(ui, session, band, width, now);
}

/// Whether and when a browser sign-in's session renews itself (from the cached sign-in).
fn browser_renewal_ui(ui: &mut egui::Ui, session: &Session, minutes: u64) {
    let (from, minutes) = match session.kind {
        // AWS hands out new credentials only in their last five minutes.
        SessionKind::Login { .. } => ("your AWS Sign-In (up to 12 h)", minutes.min(4)),
        SessionKind::Sso { .. } => ("your IAM Identity Center sign-in", minutes),
        _ => return,
    };
    let text = if minutes == 0 {
        "Renewing itself is off: sign in again in the browser when it ends".to_owned()
    } else {
        format!("Renews itself from {from} {minutes} min before it ends")
    };
    ui.label(RichText::new(text).small());
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
