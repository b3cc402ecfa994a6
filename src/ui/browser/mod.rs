//! The S3 browser view: buckets (filter, sort), breadcrumbs with Back and Up, the folder as a
//! table that lays out only the visible rows ([`table`]), the streaming "loaded N so far…" line
//! with Stop and Continue, and the selection's actions, details and transfers ([`actions`]).

mod actions;
mod confirm;
mod inspect;
mod props;
mod reach;
mod sync_panel;
mod table;

pub use table::ROW_HEIGHT;

use std::time::SystemTime;

use egui::RichText;

use crate::listing::{crumbs, short_time};
use crate::notice::Notice;
use crate::state::AppState;
use crate::state::browser::BucketSort;
use crate::ui::theme::{self, Size, icon, notice_ui};

/// Draws the browser.
pub fn browser_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let live = state.live_session(now).is_some();
    ui.horizontal(|ui| toolbar_ui(ui, state, live));
    if !live {
        return;
    }
    ui.horizontal(|ui| reach::location_ui(ui, state));
    ui.separator();
    egui::Panel::left("buckets")
        .resizable(true)
        .default_size(230.0)
        .show(ui, |ui| {
            theme::name_panel(ui, "Buckets");
            reach::places_ui(ui, state);
            buckets_ui(ui, state);
        });
    // Tall enough for the buttons and the details grid (a resizable panel otherwise keeps the
    // height it had before anything was selected, hiding the details below a scroll bar).
    egui::Panel::bottom("object_actions")
        .resizable(true)
        .min_size(210.0)
        .default_size(230.0)
        .show(ui, |ui| {
            theme::name_panel(ui, "Selection");
            egui::ScrollArea::vertical()
                .id_salt("actions_scroll")
                .show(ui, |ui| actions::actions_ui(ui, state, now));
        });
    folder_bar_ui(ui, state);
    if state.browser.location.is_some() {
        table::table_ui(ui, state, now);
    }
    confirm::confirm_ui(&ui.ctx().clone(), state);
    sync_panel::sync_ui(&ui.ctx().clone(), state);
    props::props_windows_ui(&ui.ctx().clone(), state);
}

/// Session view, Back, Up, Refresh and the breadcrumbs; Renew instead once the session ended.
fn toolbar_ui(ui: &mut egui::Ui, state: &mut AppState, live: bool) {
    if theme::icon_button(ui, true, icon::ICON_ARROW_BACK, "Session view")
        .on_hover_text("Back to the sign-in and session view")
        .clicked()
    {
        state.browser.shown = false;
    }
    ui.separator();
    if !live {
        notice_ui(
            ui,
            &Notice::error(crate::session::EXPIRED_SENTENCE),
            Size::Normal,
        );
        if theme::icon_button(ui, true, icon::ICON_REFRESH, "Renew")
            .on_hover_text("Sign in again with a new code")
            .clicked()
        {
            state.renew_from_browser();
        }
        return;
    }
    let (b, out) = (&mut state.browser, &mut state.outbox);
    let back = theme::icon_button(ui, !b.history.is_empty(), icon::ICON_ARROW_BACK, "Back")
        .on_hover_text("The previous folder");
    if back.clicked() {
        b.back(out);
    }
    let up_ok = b.location.as_ref().is_some_and(|l| !l.prefix.is_empty());
    let up = theme::icon_button(ui, up_ok, icon::ICON_ARROW_UPWARD, "Up")
        .on_hover_text("One folder up (Backspace)");
    if up.clicked() {
        b.up(out);
    }
    if theme::icon_button(ui, true, icon::ICON_REFRESH, "Refresh")
        .on_hover_text("List again (F5)")
        .clicked()
    {
        b.refresh(out);
    }
    ui.separator();
    let Some(loc) = b.location.clone() else {
        ui.label("Choose a bucket");
        return;
    };
    if ui
        .link(format!("s3://{}/", loc.bucket))
        .on_hover_text("The bucket's top")
        .clicked()
    {
        b.open_prefix(out, "");
    }
    for (part, upto) in crumbs(&loc.prefix) {
        if ui
            .link(part)
            .on_hover_text(format!("Open {upto}"))
            .clicked()
        {
            b.open_prefix(out, upto);
        }
    }
    if b.search {
        ui.label(RichText::new("(every key under this prefix)").weak());
    }
}

/// The bucket list with its filter and order.
fn buckets_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    theme::heading_ui(ui, "Buckets");
    let label = ui.label("Filter buckets");
    let typed = ui
        .add(egui::TextEdit::singleline(&mut b.bucket_filter).hint_text("start of a name"))
        .labelled_by(label.id)
        .on_hover_text("Shows the buckets whose name begins with this (asked of S3 as you type)");
    if typed.changed() {
        b.bucket_filter_changed(out);
    }
    reach::region_filter_ui(ui, b, out);
    ui.horizontal(|ui| {
        ui.selectable_value(&mut b.bucket_sort, BucketSort::Name, "A to Z")
            .on_hover_text("Sort by name");
        ui.selectable_value(&mut b.bucket_sort, BucketSort::Newest, "Newest")
            .on_hover_text("Newest first");
    });
    match &b.buckets {
        None => {
            ui.spinner();
        }
        Some(Err(e)) => {
            notice_ui(ui, &Notice::from(e), Size::Normal);
        }
        Some(Ok(list)) if list.is_empty() => {
            ui.label(RichText::new("No buckets in this account").weak());
        }
        Some(Ok(_)) => {}
    }
    let mut open = None;
    egui::ScrollArea::vertical()
        .id_salt("bucket_scroll")
        .show(ui, |ui| {
            for bucket in b.shown_buckets() {
                let here = b.location.as_ref().is_some_and(|l| l.bucket == bucket.name);
                let created = bucket
                    .created
                    .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .and_then(|d| i64::try_from(d.as_secs()).ok())
                    .map_or_else(String::new, short_time);
                let region = b
                    .regions
                    .get(&bucket.name)
                    .map_or("region not known yet", String::as_str);
                let r = ui
                    .selectable_label(here, &bucket.name)
                    .on_hover_text(format!("Open {}", bucket.name));
                let line = format!("created {created} UTC · {region}");
                ui.label(RichText::new(line).small().weak());
                if r.clicked() {
                    open = Some(bucket.name.clone());
                }
            }
            reach::more_buckets_ui(ui, b, out);
        });
    if let Some(name) = open {
        b.open_bucket(out, &name);
    }
}

/// The folder's filter and server search, the loading line with Stop/Continue, and its error.
fn folder_bar_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    ui.horizontal(|ui| {
        let label = ui.label("Filter");
        let filter = egui::TextEdit::singleline(&mut b.filter)
            .hint_text("part of a name")
            .desired_width(220.0);
        let r = ui
            .add(filter)
            .labelled_by(label.id)
            .on_hover_text("Shows the loaded rows whose name contains this, in any case");
        if r.changed() {
            b.refilter();
        }
        let search = theme::icon_button(
            ui,
            b.location.is_some(),
            icon::ICON_SEARCH,
            "Search this prefix on the server",
        )
        .on_hover_text(
            "Lists every key that starts with the folder and what you typed, at any depth",
        );
        if search.clicked() {
            b.search_on_server(out);
        }
    });
    if b.location.is_some() {
        ui.horizontal(|ui| progress_ui(ui, state));
    }
    if let Some(e) = state.browser.error.clone() {
        ui.horizontal(|ui| folder_error_ui(ui, state, &e));
    }
}

fn progress_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (b, out) = (&mut state.browser, &mut state.outbox);
    ui.label(b.progress_line());
    if b.list_id.is_some() {
        ui.spinner();
        if ui
            .button("Stop")
            .on_hover_text("Stop loading; what is loaded stays")
            .clicked()
        {
            b.stop(out);
        }
    } else if !b.complete && b.next_token.is_some() {
        let label = if b.error.is_some() {
            "Retry"
        } else {
            "Continue"
        };
        if ui
            .button(label)
            .on_hover_text("Go on from where the listing stopped")
            .clicked()
        {
            b.continue_listing(out);
        }
    }
    if let Some(n) = &b.note {
        notice_ui(ui, n, Size::Normal);
    }
}

fn folder_error_ui(ui: &mut egui::Ui, state: &mut AppState, e: &crate::aws::errors::AwsError) {
    notice_ui(ui, &Notice::from(e), Size::Normal);
    let b = &state.browser;
    if b.needs_renewal()
        && ui
            .button("Renew")
            .on_hover_text("Sign in again; keyfob returns here")
            .clicked()
    {
        state.renew_from_browser();
        return;
    }
    if b.location.is_some()
        && b.next_token.is_none()
        && !b.complete
        && ui
            .button("Retry")
            .on_hover_text("List this folder again")
            .clicked()
    {
        state.browser.refresh(&mut state.outbox);
    }
}
