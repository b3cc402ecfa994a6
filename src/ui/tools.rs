//! The banner over the Sign in form while tools wait for a code: who asks, for which profile,
//! and a way to say no.

use egui::RichText;

use crate::state::AppState;

/// Draws the waiting tools (nothing when none waits).
pub fn tool_asks_ui(ui: &mut egui::Ui, state: &mut AppState) {
    if state.tools.list.is_empty() {
        return;
    }
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, ui.visuals().warn_fg_color))
        .show(ui, |ui| {
            let mut shown: Vec<(&str, &str)> = Vec::new();
            for ask in &state.tools.list {
                let key = (ask.asker.as_str(), ask.profile.as_str());
                if shown.contains(&key) {
                    continue; // several calls of one tool: one line
                }
                shown.push(key);
                let text = format!("{} needs a code for profile {}", ask.asker, ask.profile);
                ui.label(RichText::new(text).strong());
            }
            let n = state.tools.list.len();
            let calls = if n == 1 { "It waits" } else { "They wait" };
            ui.label(format!(
                "{calls}: sign in below and keyfob hands over the session."
            ));
            let cancel = ui
                .button("Cancel the tool's request")
                .on_hover_text("The tool gets an error saying the sign-in was cancelled");
            if cancel.clicked() {
                state.cancel_tools();
            }
        });
    ui.add_space(6.0);
}
