//! The selected object's preview (text laid out a screenful of lines at a time, or an image
//! uploaded once as a texture) and its versions, each with Download and Preview.

use egui::RichText;

use crate::aws::s3::{Preview, VersionInfo};
use crate::listing::{human_size, short_time};
use crate::notice::Notice;
use crate::state::AppState;
use crate::ui::theme::{Size, notice_ui};

/// The preview's height on screen.
const PREVIEW_HEIGHT: f32 = 240.0;
/// Characters of one line shown in a text preview.
const LINE_MAX: usize = 2000;

pub(super) fn preview_ui(ui: &mut egui::Ui, state: &AppState) {
    let Some(p) = &state.browser.preview else {
        return;
    };
    let which = p
        .version
        .as_ref()
        .map_or_else(String::new, |v| format!(" (version {v})"));
    ui.strong(format!("Preview of {}{which}", p.key));
    match &p.result {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the preview…");
            });
        }
        Some(Err(e)) => {
            notice_ui(ui, &Notice::from(e), Size::Normal);
        }
        Some(Ok(Preview::Text { text, shown, total })) => {
            if shown < total {
                ui.label(
                    RichText::new(format!(
                        "The first {} of {}",
                        human_size(*shown),
                        human_size(*total)
                    ))
                    .weak(),
                );
            }
            text_ui(ui, text);
        }
        Some(Ok(Preview::Image {
            width,
            height,
            rgba,
            original,
        })) => {
            // One texture at a time, tagged with its preview: a new preview replaces (and frees)
            // the last one.
            let slot = egui::Id::unique("preview_texture");
            let kept: Option<(u64, egui::TextureHandle)> = ui.data(|d| d.get_temp(slot));
            let tex = match kept {
                Some((id, tex)) if id == p.id => tex,
                _ => {
                    let size = [*width as usize, *height as usize];
                    let image = egui::ColorImage::from_rgba_unmultiplied(size, rgba);
                    let tex = ui.ctx().load_texture(
                        format!("preview-{}", p.id),
                        image,
                        egui::TextureOptions::LINEAR,
                    );
                    ui.data_mut(|d| d.insert_temp(slot, (p.id, tex.clone())));
                    tex
                }
            };
            ui.label(RichText::new(format!("{} × {} pixels", original.0, original.1)).weak());
            ui.add(
                egui::Image::new(&tex)
                    .max_height(PREVIEW_HEIGHT)
                    .max_width(ui.available_width())
                    .alt_text(format!("Preview of {}", p.key)),
            );
        }
    }
}

/// Text in a monospace scroll area that lays out only the lines in view.
fn text_ui(ui: &mut egui::Ui, text: &str) {
    let lines = text.lines().count().max(1);
    let row = ui.text_style_height(&egui::TextStyle::Monospace);
    egui::ScrollArea::both()
        .id_salt("preview_text")
        .max_height(PREVIEW_HEIGHT)
        .auto_shrink([false, true])
        .show_rows(ui, row, lines, |ui, range| {
            for line in text.lines().skip(range.start).take(range.len()) {
                // A very long line (minified JSON) is cut: laying out a MiB every frame would not
                // keep the window fluid.
                let shown = match line.char_indices().nth(LINE_MAX) {
                    Some((at, _)) => format!("{}…", line.get(..at).unwrap_or(line)),
                    None => line.to_owned(),
                };
                ui.add(
                    egui::Label::new(RichText::new(shown).monospace())
                        .wrap_mode(egui::TextWrapMode::Extend),
                );
            }
        });
}

pub(super) fn versions_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    let Some(v) = &b.versions else { return };
    let key = v.key.clone();
    ui.strong(format!("Versions of {key}"));
    super::props::restoring_ui(ui, b, &key);
    let list = match &v.result {
        None => {
            ui.spinner();
            return;
        }
        Some(Err(e)) => {
            notice_ui(ui, &Notice::from(e), Size::Normal);
            return;
        }
        Some(Ok(list)) if list.is_empty() => {
            ui.label("No versions: this bucket does not keep them");
            return;
        }
        Some(Ok(list)) => list.clone(),
    };
    let mut chosen: Option<(VersionInfo, bool)> = None;
    let mut restore: Option<VersionInfo> = None;
    egui::Grid::new("versions").num_columns(6).show(ui, |ui| {
        for ver in &list {
            ui.label(short_time(ver.modified));
            ui.label(if ver.delete_marker {
                "delete marker".to_owned()
            } else {
                human_size(ver.size)
            });
            let tag = if ver.latest { " (latest)" } else { "" };
            ui.label(RichText::new(format!("{}{tag}", ver.version_id)).monospace());
            if ver.delete_marker {
                ui.label("");
                ui.label("");
            } else {
                if ui
                    .button("Download…")
                    .on_hover_text(format!("Save version {}", ver.version_id))
                    .clicked()
                {
                    chosen = Some((ver.clone(), true));
                }
                if ui
                    .button("Preview")
                    .on_hover_text(format!("Preview version {}", ver.version_id))
                    .clicked()
                {
                    chosen = Some((ver.clone(), false));
                }
                if super::props::restore_button_ui(ui, ver) {
                    restore = Some(ver.clone());
                }
            }
            ui.end_row();
        }
    });
    if let Some(ver) = restore {
        b.restore_version(out, &ver);
    }
    match chosen {
        Some((ver, true)) => b.download_version(out, &ver),
        Some((ver, false)) => b.preview(out, Some((ver.version_id, ver.size))),
        None => {}
    }
}
