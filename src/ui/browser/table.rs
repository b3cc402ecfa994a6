//! The folder's table: only the visible rows are laid out, so a million rows cost what a screenful
//! does.

use egui::{RichText, Sense};
use egui_extras::{Column, TableBuilder};

use std::time::SystemTime;

use egui::accesskit::Role;

use crate::listing::{STORAGE_CLASSES, SortKey, human_size, relative_time, short_time};
use crate::state::AppState;
use crate::state::browser::Browser;
use crate::state::browser::thousands;
use crate::ui::theme::{Icon, describe, icon, palette};

/// Row height of the object table.
pub const ROW_HEIGHT: f32 = 24.0;

/// A click on a row: its view position, a double click (open), Ctrl held (toggle).
type Click = (usize, bool, bool);

/// The table, a Table for screen readers: a header row of column headers, then a Row per
/// visible object (named by its name and kind, selected when selected) of Cells.
pub(super) fn table_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let builder = egui::UiBuilder::new()
        .accessibility_role(Role::Table)
        .accessibility_label("Objects");
    ui.scope_builder(builder, |ui| {
        // Rows and their header buttons fit the row height.
        ui.spacing_mut().interact_size.y = ROW_HEIGHT - 2.0;
        ui.spacing_mut().button_padding.y = 2.0;
        let table_id = ui.unique_id();
        let rows = state.browser.view.len();
        ui.ctx().accesskit_node_builder(table_id, |n| {
            n.set_row_count(rows + 1);
            n.set_column_count(4);
        });
        objects_ui(ui, state, table_id, now);
    });
}

fn objects_ui(ui: &mut egui::Ui, state: &mut AppState, table_id: egui::Id, now: SystemTime) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    let mut table = TableBuilder::new(ui)
        .id_salt("objects")
        .striped(true)
        .sense(Sense::click())
        .column(Column::remainder().at_least(200.0).clip(true))
        .column(Column::exact(90.0))
        .column(Column::exact(130.0))
        .column(Column::exact(110.0));
    if b.scroll_to_cursor
        && let Some(c) = b.cursor
    {
        table = table.scroll_to_row(c, None);
        b.scroll_to_cursor = false;
    }
    let mut sort = None;
    let mut clicked: Option<Click> = None;
    table
        .header(ROW_HEIGHT, |mut h| {
            let mut row_id = None;
            for (key, title) in [
                (Some(SortKey::Name), "Name"),
                (Some(SortKey::Size), "Size"),
                (Some(SortKey::Modified), "Modified"),
                (None, "Class"),
            ] {
                h.col(|ui| {
                    let row =
                        *row_id.get_or_insert_with(|| a11y_row(ui, table_id, "Columns", 0, None));
                    a11y_cell(ui, row, Role::ColumnHeader, |ui| {
                        header_ui(ui, b.sort, key, title, &mut sort);
                    });
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, b.view.len(), |row| {
                if let Some(c) = row_ui(row, b, table_id, now) {
                    clicked = Some(c);
                }
            });
        });
    if let Some(k) = sort {
        b.sort_by(k);
    }
    match clicked {
        Some((pos, true, _)) => b.activate(out, pos),
        Some((pos, false, toggle)) => b.select(out, pos, toggle),
        None => {}
    }
}

/// A column title: a sort button saying the current order, or plain text.
fn header_ui(
    ui: &mut egui::Ui,
    current: (SortKey, bool),
    key: Option<SortKey>,
    title: &str,
    sort: &mut Option<SortKey>,
) {
    let Some(k) = key else {
        ui.strong(title);
        return;
    };
    let arrow = match current {
        (s, true) if s == k => ", ascending",
        (s, false) if s == k => ", descending",
        _ => "",
    };
    if ui
        .button(format!("{title}{arrow}"))
        .on_hover_text(format!("Sort by {}", title.to_lowercase()))
        .clicked()
    {
        *sort = Some(k);
    }
}

/// A Row node for screen readers, made in its first cell, a child of the table; its id.
fn a11y_row(
    ui: &mut egui::Ui,
    table: egui::Id,
    name: &str,
    index: usize,
    selected: Option<bool>,
) -> egui::Id {
    let builder = egui::UiBuilder::new()
        .id_salt(("a11y_row", index))
        .accessibility_parent(table)
        .accessibility_role(Role::Row)
        .accessibility_label(name);
    let row = ui.scope_builder(builder, |ui| ui.unique_id()).inner;
    ui.ctx().accesskit_node_builder(row, |n| {
        n.set_row_index(index);
        if let Some(s) = selected {
            n.set_selected(s);
        }
    });
    row
}

/// A cell's contents in a Cell (or ColumnHeader) node under `row`.
fn a11y_cell(ui: &mut egui::Ui, row: egui::Id, role: Role, add: impl FnOnce(&mut egui::Ui)) {
    let builder = egui::UiBuilder::new()
        .accessibility_parent(row)
        .accessibility_role(role)
        .layout(egui::Layout::left_to_right(egui::Align::Center));
    ui.scope_builder(builder, add);
}

/// The object's icon: a folder, an image, a document, an archive, code, or a file.
fn kind_icon(name: &str, folder: bool) -> (Icon, &'static str) {
    if folder {
        return (icon::ICON_FOLDER, "Folder");
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg" | "bmp" | "tif" | "tiff" => {
            (icon::ICON_IMAGE, "Image")
        }
        "pdf" => (icon::ICON_PICTURE_AS_PDF, "PDF"),
        "zip" | "gz" | "tgz" | "bz2" | "xz" | "zst" | "tar" | "7z" => {
            (icon::ICON_FOLDER_ZIP, "Archive")
        }
        "mp4" | "mov" | "mkv" | "webm" | "avi" => (icon::ICON_MOVIE, "Video"),
        "mp3" | "wav" | "flac" | "ogg" | "m4a" => (icon::ICON_AUDIO_FILE, "Audio"),
        "csv" | "tsv" | "parquet" | "xlsx" => (icon::ICON_TABLE, "Table"),
        "json" | "yaml" | "yml" | "toml" | "xml" | "html" | "js" | "ts" | "py" | "rs" | "go"
        | "java" | "sh" | "tf" => (icon::ICON_CODE, "Code"),
        "txt" | "md" | "log" | "doc" | "docx" | "rtf" => (icon::ICON_DESCRIPTION, "Text"),
        _ => (icon::ICON_DRAFT, "File"),
    }
}

fn row_ui(
    mut row: egui_extras::TableRow<'_, '_>,
    b: &Browser,
    table: egui::Id,
    now: SystemTime,
) -> Option<Click> {
    let pos = row.index();
    let r = *b.view.get(pos)?;
    let info = b.listing.row(r).copied()?;
    let selected = b.selected.contains(&r);
    row.set_selected(selected);
    let key = b.listing.key(r);
    let prefix_len = b.location.as_ref().map_or(0, |l| l.prefix.len());
    let name = key
        .get(prefix_len..)
        .filter(|n| !n.is_empty())
        .unwrap_or(key);
    let (glyph, kind) = kind_icon(name, info.folder);
    // Plain, non-selectable labels: a click goes to the row.
    let cell = |ui: &mut egui::Ui, text: RichText| ui.add(egui::Label::new(text).selectable(false));
    let mut row_id = None;
    row.col(|ui| {
        let id = a11y_row(
            ui,
            table,
            &format!("{name}, {kind}"),
            pos + 1,
            Some(selected),
        );
        row_id = Some(id);
        a11y_cell(ui, id, Role::Cell, |ui| {
            ui.scope(|ui| {
                let weak = ui.visuals().weak_text_color();
                let color = if info.folder {
                    palette(ui).accent
                } else {
                    weak
                };
                cell(ui, glyph.rich_text().color(color));
                let text = RichText::new(name);
                let r = cell(ui, if info.folder { text.strong() } else { text });
                describe(&r, kind);
            });
        });
    });
    let row_id = row_id?;
    row.col(|ui| {
        a11y_cell(ui, row_id, Role::Cell, |ui| {
            if !info.folder {
                cell(ui, RichText::new(human_size(info.size))).on_hover_text(format!(
                    "{} bytes",
                    thousands(usize::try_from(info.size).unwrap_or(usize::MAX))
                ));
            }
        });
    });
    row.col(|ui| {
        a11y_cell(ui, row_id, Role::Cell, |ui| {
            if info.modified != 0 {
                cell(ui, RichText::new(relative_time(info.modified, now)))
                    .on_hover_text(format!("{} UTC", short_time(info.modified)));
            }
        });
    });
    row.col(|ui| {
        let class = STORAGE_CLASSES
            .get(info.class as usize)
            .copied()
            .unwrap_or("");
        a11y_cell(ui, row_id, Role::Cell, |ui| {
            cell(ui, RichText::new(class));
        });
    });
    let resp = row.response();
    if resp.double_clicked() {
        Some((pos, true, false))
    } else if resp.clicked() {
        Some((pos, false, resp.ctx.input(|i| i.modifiers.command)))
    } else {
        None
    }
}
