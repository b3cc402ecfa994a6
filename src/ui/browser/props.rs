//! The properties window (storage class, Content-Type, metadata, tags; each field's problem shown
//! next to it and Apply disabled while there is one) and the bucket settings window.

use egui::RichText;

use crate::aws::s3::{STORAGE_CLASS_CHOICES, Setting, VersionInfo};
use crate::message::Outbox;
use crate::notice::Notice;
use crate::state::AppState;
use crate::state::browser::{Browser, Pair, PropsForm};
use crate::ui::theme::{self, Size, notice_ui};

/// Properties… (for the selected objects) and Bucket settings… in the selection's buttons.
pub(super) fn props_buttons_ui(
    ui: &mut egui::Ui,
    b: &mut Browser,
    out: &mut Outbox,
    objects: bool,
) {
    let here = b.location.is_some();
    let props = ui
        .add_enabled(here && objects, egui::Button::new("Properties…"))
        .on_hover_text("Storage class, content type, metadata and tags of the selected objects")
        .on_disabled_hover_text("Select objects (folders are left out)");
    if props.clicked() {
        b.open_props(out);
    }
    if ui
        .add_enabled(here, egui::Button::new("Bucket settings…"))
        .on_hover_text("Versioning, encryption, lifecycle, policy, Object Lock, public access")
        .clicked()
    {
        b.open_settings(out);
    }
}

/// Restore for a version that is not the current one; whether it was pressed.
pub(super) fn restore_button_ui(ui: &mut egui::Ui, ver: &VersionInfo) -> bool {
    if ver.latest {
        ui.label("");
        return false;
    }
    let r = ui.button("Restore this version").on_hover_text(
        "Copy this version over the current one (the current one stays as an older version)",
    );
    theme::name(&r, &format!("Restore version {}", ver.version_id));
    r.clicked()
}

/// How restoring a version of `key` goes.
pub(super) fn restoring_ui(ui: &mut egui::Ui, b: &Browser, key: &str) {
    let Some(r) = b.props.restoring.as_ref().filter(|r| r.key == key) else {
        return;
    };
    match &r.outcome {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Restoring…");
            });
        }
        Some(n) => {
            notice_ui(ui, n, Size::Normal);
        }
    }
}

/// Draws the windows of this file that are open.
pub(super) fn props_windows_ui(ctx: &egui::Context, state: &mut AppState) {
    properties_window_ui(ctx, state);
    settings_window_ui(ctx, state);
}

fn field_error_ui(ui: &mut egui::Ui, field: &egui::Response, problem: Option<&String>) {
    if let Some(p) = problem {
        let msg = notice_ui(ui, &Notice::error(p.clone()), Size::Small);
        theme::invalid(field, &msg, p);
    }
}

fn properties_window_ui(ctx: &egui::Context, state: &mut AppState) {
    let Some(form) = state.browser.props.form.as_mut() else {
        return;
    };
    let title = match form.keys.as_slice() {
        [one] => format!("Properties of {one}"),
        keys => format!("Properties of {} objects", keys.len()),
    };
    let (mut open, mut apply) = (true, false);
    egui::Window::new("Properties")
        .id(egui::Id::unique("props_window"))
        .open(&mut open)
        .default_size([480.0, 640.0])
        .vscroll(true)
        .show(ctx, |ui| {
            theme::heading_ui(ui, &title);
            match &form.read {
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Reading the properties…");
                    });
                }
                Some(Err(e)) => {
                    notice_ui(ui, &Notice::from(e), Size::Normal);
                }
                Some(Ok(_)) => {}
            }
            if form.read.as_ref().is_some_and(Result::is_ok) {
                apply = form_ui(ui, form);
            }
        });
    let (b, out) = (&mut state.browser, &mut state.outbox);
    if apply {
        b.apply_props(out);
    }
    if !open {
        b.props.form = None;
    }
}

/// The fields; whether Apply was pressed.
fn form_ui(ui: &mut egui::Ui, form: &mut PropsForm) -> bool {
    let problems = form.problems();
    let several = form.keys.len() > 1;
    egui::Grid::new("props_grid").num_columns(2).show(ui, |ui| {
        let label = ui.label("Storage class");
        let shown = if form.storage_class.is_empty() {
            "(each keeps its own)".to_owned()
        } else {
            form.storage_class.clone()
        };
        let combo = egui::ComboBox::from_id_salt("props_class")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                if several {
                    ui.selectable_value(
                        &mut form.storage_class,
                        String::new(),
                        "(each keeps its own)",
                    );
                }
                for c in STORAGE_CLASS_CHOICES {
                    ui.selectable_value(&mut form.storage_class, c.to_owned(), c);
                }
            });
        combo.response.labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Content type");
        ui.vertical(|ui| {
            let hint = if form.mixed_content_type() {
                "(they differ: each keeps its own)"
            } else {
                "type/subtype"
            };
            let field = ui
                .add(egui::TextEdit::singleline(&mut form.content_type).hint_text(hint))
                .labelled_by(label.id);
            field_error_ui(ui, &field, problems.content_type.as_ref());
        });
        ui.end_row();
    });
    ui.separator();
    theme::heading_ui(ui, "Metadata (x-amz-meta-*)");
    if several {
        ui.label(RichText::new("Shown: what every object has alike; the rest is kept").weak());
    }
    pairs_ui(ui, &mut form.metadata, "Metadata", &problems.metadata);
    if let Some(p) = &problems.metadata_total {
        notice_ui(ui, &Notice::error(p.clone()), Size::Small);
    }
    ui.separator();
    theme::heading_ui(ui, "Tags");
    pairs_ui(ui, &mut form.tags, "Tag", &problems.tags);
    if let Some(p) = &problems.tags_total {
        notice_ui(ui, &Notice::error(p.clone()), Size::Small);
    }
    ui.separator();
    if let Some(o) = &form.outcome {
        notice_ui(ui, o, Size::Normal);
    }
    let ready = !problems.any() && !form.change().is_empty() && !form.busy();
    ui.horizontal(|ui| {
        if form.busy() {
            ui.spinner();
        }
        ui.add_enabled(ready, egui::Button::new("Apply"))
            .on_hover_text(
                "Copy each object onto itself with the new properties (tags are set in place)",
            )
            .on_disabled_hover_text("Change a field, and fix what is marked")
            .clicked()
    })
    .inner
}

/// Key/value rows named "{what} key N" / "{what} value N", each with Remove, and Add.
fn pairs_ui(ui: &mut egui::Ui, rows: &mut Vec<Pair>, what: &str, problems: &[Option<String>]) {
    let mut remove = None;
    for (i, row) in rows.iter_mut().enumerate() {
        let n = i + 1;
        ui.horizontal(|ui| {
            let key = ui.add(
                egui::TextEdit::singleline(&mut row.key)
                    .hint_text("key")
                    .desired_width(150.0),
            );
            theme::name(&key, &format!("{what} key {n}"));
            let value = ui.add(
                egui::TextEdit::singleline(&mut row.value)
                    .hint_text("value")
                    .desired_width(200.0),
            );
            theme::name(&value, &format!("{what} value {n}"));
            let r = ui.button("Remove");
            theme::name(&r, &format!("Remove {} {n}", what.to_lowercase()));
            if r.clicked() {
                remove = Some(i);
            }
            field_error_ui(ui, &key, problems.get(i).and_then(Option::as_ref));
        });
    }
    if let Some(i) = remove {
        rows.remove(i);
    }
    let add = ui.button(format!("Add {}", what.to_lowercase()));
    if add.clicked() {
        rows.push(Pair::default());
    }
}

fn settings_window_ui(ctx: &egui::Context, state: &mut AppState) {
    let Some(view) = state.browser.props.settings.as_ref() else {
        return;
    };
    let mut open = true;
    egui::Window::new("Bucket settings")
        .id(egui::Id::unique("bucket_settings_window"))
        .open(&mut open)
        .default_width(520.0)
        .vscroll(true)
        .show(ctx, |ui| {
            theme::heading_ui(ui, &format!("Settings of {}", view.bucket));
            match &view.result {
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Reading the bucket's settings…");
                    });
                }
                Some(Err(e)) => {
                    notice_ui(ui, &Notice::from(e), Size::Normal);
                }
                Some(Ok(s)) => settings_ui(ui, s),
            }
        });
    if !open {
        state.browser.props.settings = None;
    }
}

/// A setting's row: its value drawn by `value`, or what stands in for it.
fn setting_ui<T>(
    ui: &mut egui::Ui,
    name: &str,
    s: &Setting<T>,
    value: impl FnOnce(&mut egui::Ui, &T),
) {
    ui.label(RichText::new(name).strong());
    ui.vertical(|ui| match s {
        Setting::Value(v) => value(ui, v),
        Setting::None => {
            ui.label("None");
        }
        Setting::NotAllowed => {
            notice_ui(ui, &Notice::warning("Not allowed to read"), Size::Normal);
        }
        Setting::Failed(why) => {
            notice_ui(ui, &Notice::error(why.clone()), Size::Normal);
        }
    });
    ui.end_row();
}

fn settings_ui(ui: &mut egui::Ui, s: &crate::aws::s3::BucketSettings) {
    egui::Grid::new("bucket_settings")
        .num_columns(2)
        .show(ui, |ui| {
            setting_ui(ui, "Versioning", &s.versioning, |ui, v| {
                ui.label(v);
            });
            setting_ui(ui, "Default encryption", &s.encryption, |ui, lines| {
                for l in lines {
                    ui.label(l);
                }
            });
            setting_ui(ui, "Lifecycle rules", &s.lifecycle, |ui, rules| {
                ui.label(format!(
                    "{} rule{}",
                    rules.len(),
                    if rules.len() == 1 { "" } else { "s" }
                ));
                for r in rules {
                    let prefix = if r.prefix.is_empty() {
                        "the whole bucket"
                    } else {
                        &r.prefix
                    };
                    ui.label(format!(
                        "{} ({}) on {prefix}: {}",
                        r.id, r.status, r.summary
                    ));
                }
            });
            setting_ui(ui, "Object Lock", &s.object_lock, |ui, v| {
                ui.label(v);
            });
            setting_ui(
                ui,
                "Public access block",
                &s.public_access,
                |ui, switches| {
                    for (name, on) in switches {
                        ui.label(format!("{name}: {}", if *on { "on" } else { "off" }));
                    }
                },
            );
            setting_ui(ui, "Policy", &s.policy, |ui, text| {
                egui::ScrollArea::both()
                    .id_salt("bucket_policy")
                    .max_height(240.0)
                    .show(ui, |ui| {
                        ui.add(
                            egui::Label::new(RichText::new(text).monospace())
                                .wrap_mode(egui::TextWrapMode::Extend),
                        );
                    });
            });
        });
}
