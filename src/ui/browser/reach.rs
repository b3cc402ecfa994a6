//! The location box (with its refusal beside it), the bookmarks and recent locations, the bucket
//! list's region filter and Load more, and the endpoint when it is not AWS's.

use egui::RichText;

use crate::aws::errors::ErrorKind;
use crate::message::Outbox;
use crate::notice::Notice;
use crate::state::AppState;
use crate::state::browser::{Browser, Place};
use crate::ui::theme::{self, Size, icon, notice_ui};

/// The location box: Enter or Open goes there; a refusal is shown beside it.
pub(super) fn location_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    let label = ui.label("Location");
    let edit = egui::TextEdit::singleline(&mut b.reach.text)
        .hint_text("s3://bucket/folder/")
        .desired_width(260.0);
    let r = ui.add(edit).labelled_by(label.id).on_hover_text(
        "A bucket and folder to open, as s3://bucket/folder/, bucket/folder or an S3 URL",
    );
    if r.changed() {
        b.reach.error = None;
    }
    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let open = ui
        .button("Open")
        .on_hover_text("Open this location (no bucket list needed)")
        .clicked();
    if enter || open {
        b.open_typed(out);
    }
    if let Some(why) = b.reach.error.clone() {
        let m = notice_ui(ui, &Notice::error(why.clone()), Size::Normal);
        theme::invalid(&r, &m, &why);
    }
    if let Some(endpoint) = &b.reach.endpoint {
        ui.label(RichText::new(format!("S3 at {endpoint}")).weak())
            .on_hover_text("This profile's S3 calls go to this S3-compatible endpoint");
    }
}

/// Bookmarks (open, rename, remove; bookmark the folder shown) and recent locations.
pub(super) fn places_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    if b.reach.account.is_none() {
        return;
    }
    theme::heading_ui(ui, "Bookmarks");
    let here = b.location.is_some() && !b.search;
    if ui
        .add_enabled(here, egui::Button::new("Bookmark this folder"))
        .on_hover_text("Keep this folder in the list below, for this account")
        .clicked()
    {
        b.bookmark_here();
    }
    let mut open: Option<Place> = None;
    let (mut remove, mut rename) = (None, None);
    let bookmarks = b.reach.bookmarks().to_vec();
    for (i, bm) in bookmarks.iter().enumerate() {
        ui.horizontal(|ui| {
            if let Some((at, name)) = b.reach.renaming.as_mut().filter(|(at, _)| *at == i) {
                let label = ui.label("New name");
                let r = ui
                    .add(egui::TextEdit::singleline(name).desired_width(120.0))
                    .labelled_by(label.id);
                let enter = r.lost_focus() && ui.input(|inp| inp.key_pressed(egui::Key::Enter));
                if ui.button("Save").clicked() || enter {
                    rename = Some((*at, name.clone()));
                }
                return;
            }
            let link = ui.link(bm.name.as_str()).on_hover_text(bm.place.uri());
            theme::name(&link, &format!("Bookmark: {}", bm.name));
            if link.clicked() {
                open = Some(bm.place.clone());
            }
            if ui.small_button("Rename").clicked() {
                b.reach.renaming = Some((i, bm.name.clone()));
            }
            if theme::icon_button(ui, true, icon::ICON_DELETE, "Remove")
                .on_hover_text(format!("Remove the bookmark {}", bm.name))
                .clicked()
            {
                remove = Some(i);
            }
        });
    }
    if let Some((i, name)) = rename {
        b.rename_bookmark(i, &name);
    }
    if let Some(i) = remove {
        b.remove_bookmark(i);
    }
    let recent = b.reach.recent().to_vec();
    if !recent.is_empty() {
        theme::heading_ui(ui, "Recent");
        for place in recent {
            let link = ui.link(place.uri()).on_hover_text("Open again");
            theme::name(&link, &format!("Recent: {}", place.uri()));
            if link.clicked() {
                open = Some(place);
            }
        }
    }
    if let Some(place) = open {
        b.open_place(out, &place);
    }
    ui.separator();
}

/// The region filter, beside the name filter; both ask the server once typing pauses.
pub(super) fn region_filter_ui(ui: &mut egui::Ui, b: &mut Browser, out: &mut Outbox) {
    let label = ui.label("Bucket region");
    let r = ui
        .add(egui::TextEdit::singleline(&mut b.reach.bucket_region).hint_text("any region"))
        .labelled_by(label.id)
        .on_hover_text("Only the buckets in this region, such as eu-west-1");
    if r.changed() {
        b.bucket_filter_changed(out);
    }
}

/// "Load more" under the bucket list while S3 has more pages, and why loading more failed.
pub(super) fn more_buckets_ui(ui: &mut egui::Ui, b: &mut Browser, out: &mut Outbox) {
    if let Some(e) = &b.reach.more_error {
        notice_ui(ui, &Notice::from(e), Size::Normal);
    }
    if let Some(Err(e)) = &b.buckets
        && e.kind == ErrorKind::AccessDenied
    {
        ui.label(
            RichText::new("A bucket you may read still opens: type its location above").weak(),
        );
    }
    if b.reach.more_id.is_some() {
        ui.spinner();
    } else if b.reach.bucket_next.is_some()
        && ui
            .button("Load more")
            .on_hover_text("The next page of buckets")
            .clicked()
    {
        b.load_more_buckets(out);
    }
}
