//! The Material Symbols (outlined; Apache 2.0) keyfob draws, and the font they come from: the icons
//! crate's font cut down to these by `assets/fonts/subset-icons` (its 1.2 MB of glyphs were most of
//! keyfob's read-only data, and parsed into memory at start). Run that script after changing
//! [`ALL`]; a test fails while the font lacks an icon of the list.

use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
use egui::{FontData, FontFamily};
pub use egui_material_icons::MaterialIcon as Icon;
pub use egui_material_icons::icons::{
    ICON_ARROW_BACK, ICON_ARROW_UPWARD, ICON_AUDIO_FILE, ICON_BRIGHTNESS_AUTO, ICON_CLOSE,
    ICON_CODE, ICON_CONTENT_COPY, ICON_CREATE_NEW_FOLDER, ICON_DARK_MODE, ICON_DELETE,
    ICON_DESCRIPTION, ICON_DOWNLOAD, ICON_DRAFT, ICON_DRIVE_FOLDER_UPLOAD, ICON_FOLDER,
    ICON_FOLDER_OPEN, ICON_FOLDER_ZIP, ICON_HISTORY, ICON_IMAGE, ICON_INFO, ICON_LIGHT_MODE,
    ICON_LINK, ICON_LOGIN, ICON_LOGOUT, ICON_MOVIE, ICON_OPEN_IN_NEW, ICON_PICTURE_AS_PDF,
    ICON_REFRESH, ICON_SEARCH, ICON_TABLE, ICON_UPLOAD, ICON_VISIBILITY,
};

/// Every icon keyfob draws (only these are in the font).
pub const ALL: [Icon; 32] = [
    ICON_ARROW_BACK,
    ICON_ARROW_UPWARD,
    ICON_AUDIO_FILE,
    ICON_BRIGHTNESS_AUTO,
    ICON_CLOSE,
    ICON_CODE,
    ICON_CONTENT_COPY,
    ICON_CREATE_NEW_FOLDER,
    ICON_DARK_MODE,
    ICON_DELETE,
    ICON_DESCRIPTION,
    ICON_DOWNLOAD,
    ICON_DRAFT,
    ICON_DRIVE_FOLDER_UPLOAD,
    ICON_FOLDER,
    ICON_FOLDER_OPEN,
    ICON_FOLDER_ZIP,
    ICON_HISTORY,
    ICON_IMAGE,
    ICON_INFO,
    ICON_LIGHT_MODE,
    ICON_LINK,
    ICON_LOGIN,
    ICON_LOGOUT,
    ICON_MOVIE,
    ICON_OPEN_IN_NEW,
    ICON_PICTURE_AS_PDF,
    ICON_REFRESH,
    ICON_SEARCH,
    ICON_TABLE,
    ICON_UPLOAD,
    ICON_VISIBILITY,
];

/// The cut-down font.
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/material-symbols-keyfob.ttf");

/// Adds the icon font to egui: first in the icons' own families, last in the proportional one.
pub fn install(ctx: &egui::Context) {
    let mut data = FontData::from_static(FONT);
    // As the icons crate places its glyphs on a line of text.
    data.tweak.y_offset_factor = 0.05;
    let families = [
        egui_material_icons::FONT_FAMILY,
        egui_material_icons::FONT_FAMILY_OUTLINED,
    ];
    let mut into: Vec<InsertFontFamily> = families
        .into_iter()
        .map(|name| InsertFontFamily {
            family: FontFamily::Name(name.into()),
            priority: FontPriority::Highest,
        })
        .collect();
    into.push(InsertFontFamily {
        family: FontFamily::Proportional,
        priority: FontPriority::Lowest,
    });
    ctx.add_font(FontInsert::new("keyfob-icons", data, into));
}
