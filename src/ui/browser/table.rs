//! The folder's table: only the visible rows are laid out, so a million rows cost what a screenful
//! does.

use egui::{RichText, Sense};
use egui_extras::{Column, TableBuilder};

use crate::listing::{STORAGE_CLASSES, SortKey, human_size, short_time};
use crate::state::AppState;
use crate::state::browser::Browser;

/// Row height of the object table.
pub const ROW_HEIGHT: f32 = 20.0;

/// A click on a row: its view position, a double click (open), Ctrl held (toggle).
type Click = (usize, bool, bool);

pub(super) fn table_ui(ui: &mut egui::Ui, state: &mut AppState) {
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
            for (key, title) in [
                (Some(SortKey::Name), "Name"),
                (Some(SortKey::Size), "Size"),
                (Some(SortKey::Modified), "Modified"),
                (None, "Class"),
            ] {
                h.col(|ui| header_ui(ui, b.sort, key, title, &mut sort));
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, b.view.len(), |row| {
                if let Some(c) = row_ui(row, b) {
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

fn row_ui(mut row: egui_extras::TableRow<'_, '_>, b: &Browser) -> Option<Click> {
    let pos = row.index();
    let r = *b.view.get(pos)?;
    let info = b.listing.row(r).copied()?;
    row.set_selected(b.selected.contains(&r));
    let key = b.listing.key(r);
    let prefix_len = b.location.as_ref().map_or(0, |l| l.prefix.len());
    let name = key
        .get(prefix_len..)
        .filter(|n| !n.is_empty())
        .unwrap_or(key);
    // Plain, non-selectable labels: a click goes to the row.
    let cell = |ui: &mut egui::Ui, text: RichText| {
        ui.add(egui::Label::new(text).selectable(false));
    };
    row.col(|ui| {
        let text = RichText::new(name);
        cell(ui, if info.folder { text.strong() } else { text });
    });
    row.col(|ui| {
        if !info.folder {
            cell(ui, RichText::new(human_size(info.size)));
        }
    });
    row.col(|ui| cell(ui, RichText::new(short_time(info.modified))));
    row.col(|ui| {
        let class = STORAGE_CLASSES
            .get(info.class as usize)
            .copied()
            .unwrap_or("");
        cell(ui, RichText::new(class));
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
