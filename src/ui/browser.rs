//! The S3 browser view: buckets (filter, sort), breadcrumbs with Back and Up, the folder as a
//! table that lays out only the visible rows, the streaming "loaded N so far…" line with Stop and
//! Continue, details of the selected object, download/upload with progress and Cancel, the s3://
//! URI and presigned links.

use std::time::SystemTime;

use egui::{RichText, Sense};
use egui_extras::{Column, TableBuilder};

use crate::browse::{STORAGE_CLASSES, SortKey, crumbs, human_size, short_time};
use crate::message::Command;
use crate::secret::Secret;
use crate::state::AppState;
use crate::state::browser::BucketSort;
use crate::ui::session::{AMBER, RED};

/// Row height of the object table.
pub const ROW_HEIGHT: f32 = 20.0;

/// What the browser asks the app to do besides sending commands.
#[derive(Debug, Default)]
pub struct BrowserActions {
    /// Commands for the worker.
    pub commands: Vec<Command>,
    /// Text for the clipboard: an s3:// URI or a presigned link (not cleared later: it is what
    /// the user asked to share, and it dies with the session).
    pub copy: Option<Secret>,
    /// The user asked to renew the session.
    pub renew: bool,
}

/// Draws the browser; returns what the user asked for.
#[allow(clippy::too_many_lines)] // one view, top to bottom
pub fn browser_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) -> BrowserActions {
    let mut act = BrowserActions::default();
    let session = state.live_session(now).cloned();
    let creds = session.as_ref().map(crate::session::Session::creds);
    let b = &mut state.browser;

    ui.horizontal(|ui| {
        if ui
            .button("Session view")
            .on_hover_text("Back to the sign-in and session view")
            .clicked()
        {
            b.shown = false;
        }
        ui.separator();
        let Some(creds) = &creds else {
            ui.label(RichText::new(crate::session::EXPIRED_SENTENCE).color(RED));
            if ui
                .button("Renew")
                .on_hover_text("Sign in again with a new code")
                .clicked()
            {
                act.renew = true;
            }
            return;
        };
        let back = ui
            .add_enabled(!b.history.is_empty(), egui::Button::new("Back"))
            .on_hover_text("The previous folder");
        if back.clicked() {
            act.commands.extend(b.back(creds));
        }
        let up_ok = b.location.as_ref().is_some_and(|l| !l.prefix.is_empty());
        let up = ui
            .add_enabled(up_ok, egui::Button::new("Up"))
            .on_hover_text("One folder up (Backspace)");
        if up.clicked() {
            act.commands.extend(b.up(creds));
        }
        if ui
            .button("Refresh")
            .on_hover_text("List again (F5)")
            .clicked()
        {
            act.commands.extend(b.refresh(creds));
        }
        ui.separator();
        if let Some(loc) = b.location.clone() {
            if ui
                .link(format!("s3://{}/", loc.bucket))
                .on_hover_text("The bucket's top")
                .clicked()
            {
                act.commands.extend(b.open_prefix(creds, ""));
            }
            for (part, upto) in crumbs(&loc.prefix) {
                if ui
                    .link(part)
                    .on_hover_text(format!("Open {upto}"))
                    .clicked()
                {
                    let upto = upto.to_owned();
                    act.commands.extend(b.open_prefix(creds, &upto));
                }
            }
            if b.search {
                ui.label(RichText::new("(every key under this prefix)").weak());
            }
        } else {
            ui.label("Choose a bucket");
        }
    });
    let Some(creds) = creds else {
        return act;
    };
    let left = session
        .as_ref()
        .map_or(std::time::Duration::ZERO, |s| s.remaining(now));
    ui.separator();

    egui::Panel::left("buckets")
        .resizable(true)
        .default_size(230.0)
        .show(ui, |ui| {
            ui.heading("Buckets");
            let label = ui.label("Filter buckets");
            ui.add(egui::TextEdit::singleline(&mut b.bucket_filter).hint_text("part of a name"))
                .labelled_by(label.id)
                .on_hover_text("Shows the buckets whose name contains this, in any case");
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
                    ui.label(RichText::new(&e.message).color(RED));
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
                        ui.label(
                            RichText::new(format!("created {created} UTC · {region}"))
                                .small()
                                .weak(),
                        );
                        if r.clicked() {
                            open = Some(bucket.name.clone());
                        }
                    }
                });
            if let Some(name) = open {
                act.commands.extend(b.open_bucket(&creds, &name));
            }
        });

    // Tall enough for the buttons and the details grid (a resizable panel otherwise keeps the
    // height it had before anything was selected, hiding the details below a scroll bar).
    egui::Panel::bottom("object_actions")
        .resizable(true)
        .min_size(210.0)
        .default_size(230.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("actions_scroll")
                .show(ui, |ui| {
                    actions_ui(ui, b, &creds, left, &mut act);
                });
        });

    // The folder.
    ui.horizontal(|ui| {
        let label = ui.label("Filter");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut b.filter)
                    .hint_text("part of a name")
                    .desired_width(220.0),
            )
            .labelled_by(label.id)
            .on_hover_text("Shows the loaded rows whose name contains this, in any case");
        if r.changed() {
            b.refilter();
        }
        let search = ui
            .add_enabled(
                b.location.is_some(),
                egui::Button::new("Search this prefix on the server"),
            )
            .on_hover_text(
                "Lists every key that starts with the folder and what you typed, at any depth",
            );
        if search.clicked() {
            act.commands.extend(b.search_on_server(&creds));
        }
    });
    if b.location.is_some() {
        ui.horizontal(|ui| {
            ui.label(b.progress_line());
            if b.list_id.is_some() {
                ui.spinner();
                if ui
                    .button("Stop")
                    .on_hover_text("Stop loading; what is loaded stays")
                    .clicked()
                {
                    act.commands.extend(b.stop());
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
                    act.commands.extend(b.continue_listing(&creds));
                }
            }
            if let Some(n) = &b.note {
                ui.label(RichText::new(n).weak());
            }
        });
    }
    if let Some(e) = b.error.clone() {
        ui.horizontal(|ui| {
            ui.label(RichText::new(&e.message).color(RED));
            if b.needs_renewal()
                && ui
                    .button("Renew")
                    .on_hover_text("Sign in again; keyfob returns here")
                    .clicked()
            {
                act.renew = true;
            }
            if b.location.is_some()
                && b.next_token.is_none()
                && !b.complete
                && ui
                    .button("Retry")
                    .on_hover_text("List this folder again")
                    .clicked()
            {
                act.commands.extend(b.refresh(&creds));
            }
        });
    }
    if b.location.is_some() {
        table_ui(ui, b, &creds, &mut act);
    }
    act
}

/// The table: only the visible rows are laid out.
fn table_ui(
    ui: &mut egui::Ui,
    b: &mut crate::state::browser::Browser,
    creds: &crate::session::SessionCreds,
    act: &mut BrowserActions,
) {
    let prefix_len = b.location.as_ref().map_or(0, |l| l.prefix.len());
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
    let mut clicked: Option<(usize, bool, bool)> = None;
    table
        .header(ROW_HEIGHT, |mut h| {
            for (key, title) in [
                (Some(SortKey::Name), "Name"),
                (Some(SortKey::Size), "Size"),
                (Some(SortKey::Modified), "Modified"),
                (None, "Class"),
            ] {
                h.col(|ui| {
                    let arrow = match (key, b.sort) {
                        (Some(k), (s, asc)) if k == s => {
                            if asc {
                                ", ascending"
                            } else {
                                ", descending"
                            }
                        }
                        _ => "",
                    };
                    match key {
                        Some(k) => {
                            if ui
                                .button(format!("{title}{arrow}"))
                                .on_hover_text(format!("Sort by {}", title.to_lowercase()))
                                .clicked()
                            {
                                sort = Some(k);
                            }
                        }
                        None => {
                            ui.strong(title);
                        }
                    }
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, b.view.len(), |mut row| {
                let pos = row.index();
                let Some(&r) = b.view.get(pos) else { return };
                let Some(info) = b.listing.row(r).copied() else {
                    return;
                };
                row.set_selected(b.selected.contains(&r));
                let key = b.listing.key(r);
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
                    clicked = Some((pos, true, false));
                } else if resp.clicked() {
                    let toggle = resp.ctx.input(|i| i.modifiers.command);
                    clicked = Some((pos, false, toggle));
                }
            });
        });
    if let Some(k) = sort {
        b.sort_by(k);
    }
    if let Some((pos, open, toggle)) = clicked {
        act.commands.extend(if open {
            b.activate(creds, pos)
        } else {
            b.select(creds, pos, toggle)
        });
    }
}

fn actions_ui(
    ui: &mut egui::Ui,
    b: &mut crate::state::browser::Browser,
    creds: &crate::session::SessionCreds,
    session_left: std::time::Duration,
    act: &mut BrowserActions,
) {
    let objects = b.selected_objects();
    ui.horizontal_wrapped(|ui| {
        let dl = ui
            .add_enabled(!objects.is_empty(), egui::Button::new("Download…"))
            .on_hover_text("Save the selected objects (a folder is asked for when there are several)")
            .on_disabled_hover_text("Select one or more objects (Ctrl+click adds)");
        if dl.clicked() {
            act.commands.extend(b.download(creds));
        }
        let up = ui
            .add_enabled(b.location.is_some(), egui::Button::new("Upload…"))
            .on_hover_text("Upload files into this folder (or drop files on the window)");
        if up.clicked() {
            act.commands.extend(b.upload(creds, None));
        }
        if let (Some(loc), [(key, _)]) = (&b.location, objects.as_slice()) {
            if ui.button("Copy s3:// URI").on_hover_text("Copy s3://bucket/key").clicked() {
                act.copy = Some(Secret::new(format!("s3://{}/{key}", loc.bucket)));
                b.note = Some("Copied the s3:// URI".to_owned());
            }
            ui.separator();
            let label = ui.label("Link valid for (min)");
            ui.add(egui::DragValue::new(&mut b.presign_minutes).range(1..=10_080))
                .labelled_by(label.id)
                .on_hover_text("At most the session's remaining life: a link made with temporary credentials dies with them");
            if ui
                .button("Copy presigned link")
                .on_hover_text("A URL anyone can use to GET this object until it expires")
                .clicked()
            {
                act.commands.extend(b.presign(creds, session_left));
            }
        }
    });
    if let Some(p) = &b.presigned {
        let text = if p.shortened {
            format!(
                "Link valid for {} — shortened to the session's remaining life",
                crate::validate::human_duration(p.valid.as_secs())
            )
        } else {
            format!(
                "Link valid for {}",
                crate::validate::human_duration(p.valid.as_secs())
            )
        };
        ui.label(RichText::new(text).color(if p.shortened {
            AMBER
        } else {
            ui.visuals().text_color()
        }));
    }
    if let Some(d) = &b.details {
        egui::Grid::new("details").num_columns(2).show(ui, |ui| {
            for (k, v) in [
                ("Key", d.key.clone()),
                ("Size", format!("{} ({} bytes)", human_size(d.size), d.size)),
                ("Content type", d.content_type.clone().unwrap_or_default()),
                ("ETag", d.etag.clone().unwrap_or_default()),
                ("Storage class", d.storage_class.clone()),
                ("Last modified", d.modified.clone().unwrap_or_default()),
            ] {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            }
            for (k, v) in &d.metadata {
                ui.label(format!("x-amz-meta-{k}"));
                ui.label(v);
                ui.end_row();
            }
        });
    }
    let mut cancel = None;
    for t in b.transfers.iter().rev().take(6) {
        ui.horizontal(|ui| {
            ui.label(&t.label);
            match &t.outcome {
                None => {
                    #[allow(clippy::cast_precision_loss)] // display
                    let frac = t
                        .total
                        .filter(|&n| n > 0)
                        .map_or(0.0, |n| t.done as f32 / n as f32);
                    ui.add(
                        egui::ProgressBar::new(frac)
                            .desired_width(160.0)
                            .show_percentage(),
                    );
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // display
                    let rate = human_size(t.rate() as u64);
                    let eta = t.eta().map_or_else(String::new, |d| {
                        format!(
                            ", {} left",
                            crate::validate::human_duration(d.as_secs().max(1))
                        )
                    });
                    ui.label(format!("{} · {rate}/s{eta}", human_size(t.done)));
                    if ui
                        .button("Cancel")
                        .on_hover_text("Stop; nothing partial is left")
                        .clicked()
                    {
                        cancel = Some(t.id);
                    }
                }
                Some(Ok(text)) => {
                    ui.label(RichText::new(text).weak());
                }
                Some(Err(e)) => {
                    ui.label(RichText::new(e).color(RED));
                }
            }
        });
    }
    if let Some(id) = cancel {
        act.commands.push(Command::Cancel { id });
    }
}
