//! The one palette and the one way to draw a [`Notice`]: every panel's messages, the countdown's
//! urgency and the "guessed" hint use these colours, so they change in one place.

use egui::{Color32, RichText};

use crate::notice::{Level, Notice};
use crate::session::Urgency;

/// Under 15 minutes left, warnings, guesses to check.
pub const AMBER: Color32 = Color32::from_rgb(0xE0, 0x9A, 0x1B);
/// Under 5 minutes left, expired, errors.
pub const RED: Color32 = Color32::from_rgb(0xE0, 0x3B, 0x2E);

/// A level's colour; `None` for the theme's text colour.
#[must_use]
pub fn level_color(level: Level) -> Option<Color32> {
    match level {
        Level::Info | Level::Success => None,
        Level::Warning => Some(AMBER),
        Level::Error => Some(RED),
    }
}

/// The countdown's colour at an urgency; `None` for the theme's text colour.
#[must_use]
pub fn urgency_color(urgency: Urgency) -> Option<Color32> {
    match urgency {
        Urgency::Calm => None,
        Urgency::Soon => Some(AMBER),
        Urgency::Urgent | Urgency::Expired => Some(RED),
    }
}

/// `text` in `color`, or as it is.
#[must_use]
pub fn tinted(text: RichText, color: Option<Color32>) -> RichText {
    match color {
        Some(c) => text.color(c),
        None => text,
    }
}

/// How much room a notice takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// In a line of its own.
    Normal,
    /// Under a field, in the status bar.
    Small,
    /// Framed, above the form, with its detail behind "Show details".
    Boxed,
}

/// Draws a notice.
pub fn notice_ui(ui: &mut egui::Ui, notice: &Notice, size: Size) {
    let color = level_color(notice.level);
    let text = tinted(RichText::new(&notice.text), color);
    match size {
        Size::Normal => {
            ui.label(text);
        }
        Size::Small => {
            ui.label(text.small());
        }
        Size::Boxed => {
            egui::Frame::group(ui.style())
                .stroke(egui::Stroke::new(1.0, color.unwrap_or(AMBER)))
                .show(ui, |ui| {
                    ui.label(text.strong());
                    if let Some(detail) = &notice.detail {
                        detail_ui(ui, notice, detail);
                    }
                });
        }
    }
}

/// "Show details" / "Hide details", remembered per notice for the window's life.
fn detail_ui(ui: &mut egui::Ui, notice: &Notice, detail: &str) {
    let id = ui.make_persistent_id(("notice_detail", &notice.text, detail));
    let mut open = ui.data(|d| d.get_temp::<bool>(id).unwrap_or(false));
    let label = if open { "Hide details" } else { "Show details" };
    if ui
        .small_button(label)
        .on_hover_text("The error code and the SDK's message")
        .clicked()
    {
        open = !open;
        ui.data_mut(|d| d.insert_temp(id, open));
    }
    if open {
        ui.label(RichText::new(detail).monospace().small());
    }
}
