//! The Sign in panel's rows: profile, source credentials, MFA device (with Detect), the role and
//! its options, each with its label, its hint and its message.

use egui::{RichText, TextEdit};

use super::{LABEL_WIDTH, field_width};
use crate::notice::Notice;
use crate::session::SourceChoice;
use crate::signin::{Field, FieldErrors, Plan};
use crate::state::{AppState, PendingKind};
use crate::ui::theme::{self, Size, icon, notice_ui, space};
use crate::validate;

/// The role ARN row (the role decides which options exist).
pub(super) fn role_arn_row_ui(ui: &mut egui::Ui, state: &mut AppState, errors: &FieldErrors) {
    let attempted = state.sign_in.attempted;
    let f = &mut state.sign_in.form.fields;
    let e = shown_error(errors, Field::RoleArn, &f.role_arn, attempted);
    text_row_ui(
        ui,
        Field::RoleArn,
        &mut f.role_arn,
        "arn:aws:iam::123456789012:role/NAME (optional)",
        "The role to assume. Leave empty for a plain MFA session (GetSessionToken).",
        e.as_deref(),
    );
}

/// "More options": session name, ExternalId, duration and region, folded away with a summary of
/// their values; unfolded by itself when one of them has something to fix.
pub(super) fn options_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    errors: &FieldErrors,
    plan: Plan,
) {
    let option_fields = [
        Field::SessionName,
        Field::ExternalId,
        Field::Duration,
        Field::Region,
    ];
    let f = &state.sign_in.form.fields;
    let attempted = state.sign_in.attempted;
    let value = |field: Field| match field {
        Field::SessionName => f.session_name.as_str(),
        Field::ExternalId => f.external_id.as_str(),
        Field::Duration => f.duration.as_str(),
        _ => f.region.as_str(),
    };
    let needs_fixing = option_fields
        .iter()
        .any(|&field| shown_error(errors, field, value(field), attempted).is_some());
    let summary = options_summary(state);
    let fold = egui::CollapsingHeader::new(RichText::new("More options").strong())
        .id_salt("sign_in_options")
        .default_open(false)
        .open(needs_fixing.then_some(true))
        .show(ui, |ui| {
            egui::Grid::new("sign_in_options_grid")
                .num_columns(2)
                .spacing([space::M, space::S])
                .min_col_width(LABEL_WIDTH - 20.0)
                .show(ui, |ui| role_rows_ui(ui, state, errors, plan));
        });
    fold.header_response
        .on_hover_text("Session name, ExternalId, duration and region");
    if fold.body_response.is_none() && !summary.is_empty() {
        ui.label(RichText::new(summary).small().weak());
    }
}

/// What the folded options hold, in one line ("alice-admin · 2 h · eu-west-1").
pub(super) fn options_summary(state: &AppState) -> String {
    let f = &state.sign_in.form.fields;
    let has_role = !f.role_arn.trim().is_empty();
    let duration = (!f.duration.trim().is_empty())
        .then(|| validate::parse_duration(&f.duration).ok())
        .flatten()
        .map(|s| validate::human_duration(u64::from(s)));
    let parts = [
        has_role.then(|| f.session_name.trim().to_owned()),
        has_role
            .then(|| (!f.external_id.trim().is_empty()).then(|| "ExternalId set".to_owned()))
            .flatten(),
        duration,
        Some(f.region.trim().to_owned()),
    ];
    let parts: Vec<String> = parts
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    parts.join(" · ")
}

/// The role, session name, ExternalId, duration and region rows, and "use my MFA session".
fn role_rows_ui(ui: &mut egui::Ui, state: &mut AppState, errors: &FieldErrors, plan: Plan) {
    let attempted = state.sign_in.attempted;
    let f = &mut state.sign_in.form.fields;
    let show = |field: Field, value: &str| shown_error(errors, field, value, attempted);
    let has_role = !f.role_arn.trim().is_empty();
    if has_role {
        let e = show(Field::SessionName, &f.session_name);
        text_row_ui(
            ui,
            Field::SessionName,
            &mut f.session_name,
            "keyfob",
            "RoleSessionName: 2 to 64 of letters, digits and + = , . @ _ -. It shows up in CloudTrail.",
            e.as_deref(),
        );
        let e = show(Field::ExternalId, &f.external_id);
        text_row_ui(
            ui,
            Field::ExternalId,
            &mut f.external_id,
            "optional",
            "Only when the role's trust policy asks for an ExternalId.",
            e.as_deref(),
        );
    }
    let e = show(Field::Duration, &f.duration);
    let hint = match plan {
        Plan::SessionToken { .. } => "default 12 h (900 s to 36 h)",
        Plan::AssumeRole { .. } => "default 1 h (900 s to the role's maximum)",
        Plan::Chained => "default 1 h (at most 1 h)",
    };
    text_row_ui(
        ui,
        Field::Duration,
        &mut f.duration,
        hint,
        "Seconds (3600) or hours and minutes (1h, 90m, 1h30m). Empty: AWS's default.",
        e.as_deref(),
    );
    let e = show(Field::Region, &f.region);
    text_row_ui(
        ui,
        Field::Region,
        &mut f.region,
        "default from your config, else us-east-1",
        "The region for STS and for the exported AWS_REGION.",
        e.as_deref(),
    );
}

/// The message to show for `field`: always for a non-empty bad value, for an empty one only
/// after the user tried to sign in.
pub(super) fn shown_error(
    errors: &FieldErrors,
    field: Field,
    value: &str,
    attempted: bool,
) -> Option<String> {
    errors
        .get(&field)
        .filter(|_| attempted || !value.trim().is_empty())
        .cloned()
}

/// A field's error message, under it; its response ties it to the field.
pub(super) fn error_ui(ui: &mut egui::Ui, error: &str) -> egui::Response {
    notice_ui(ui, &Notice::error(error), Size::Small)
}

fn text_row_ui(
    ui: &mut egui::Ui,
    field: Field,
    value: &mut String,
    hint: &str,
    tip: &str,
    error: Option<&str>,
) -> egui::Response {
    let label = ui.label(field.label());
    let response = ui
        .vertical(|ui| {
            let r = ui
                .add(
                    TextEdit::singleline(value)
                        .hint_text(hint)
                        .desired_width(field_width(ui)),
                )
                .labelled_by(label.id)
                .on_hover_text(tip);
            if let Some(e) = error {
                let msg = error_ui(ui, e);
                theme::invalid(&r, &msg, e);
            }
            r
        })
        .inner;
    ui.end_row();
    response
}

pub(super) fn profile_row_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let label = ui.label("Profile");
    ui.vertical(|ui| {
        let current = state.sign_in.form.fields.profile.clone().unwrap_or_else(|| "(none: type the fields)".to_owned());
        let mut chosen = None;
        let combo = egui::ComboBox::from_id_salt("profile")
            .selected_text(current)
            .width(field_width(ui))
            .show_ui(ui, |ui| {
                for p in &state.sign_in.profiles.list {
                    let mut text = p.name.clone();
                    if p.role_arn.is_some() {
                        text.push_str("  (role)");
                    } else if p.mfa_serial.is_some() {
                        text.push_str("  (MFA)");
                    }
                    if ui.selectable_label(state.sign_in.form.fields.profile.as_deref() == Some(p.name.as_str()), text).clicked() {
                        chosen = Some(p.name.clone());
                    }
                }
            });
        if combo.response.has_focus() {
            // Up/Down change the profile, as on a native combo box, instead of moving focus.
            let id = combo.response.id;
            let filter = egui::EventFilter { vertical_arrows: true, ..Default::default() };
            ui.memory_mut(|m| m.set_focus_lock_filter(id, filter));
            let (down, up) = ui.input_mut(|i| {
                (
                    i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                    i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                )
            });
            if down {
                state.sign_in.step_profile(1);
            } else if up {
                state.sign_in.step_profile(-1);
            }
        }
        combo
            .response
            .labelled_by(label.id)
            .on_hover_text("A profile from your AWS config: choosing one fills the fields below, which stay editable. Up/Down change it.");
        if let Some(name) = chosen {
            state.select_profile(&name);
        }
        if let Some(e) = &state.sign_in.profiles_error {
            notice_ui(ui, e, Size::Small);
        } else if state.sign_in.profiles.list.is_empty() {
            ui.label(RichText::new("No profiles found in your AWS config").small().weak());
        }
    });
    ui.end_row();
}

pub(super) fn source_row_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let label = ui.label(Field::Source.label());
    let text = match &state.sign_in.form.fields.source {
        SourceChoice::DefaultChain => "Default credential chain".to_owned(),
        SourceChoice::Profile(p) => format!("Keys of profile {p}"),
        SourceChoice::Keyring(k) => format!("Keyring keys {k}"),
    };
    let combo = egui::ComboBox::from_id_salt("source")
        .selected_text(text)
        .width(field_width(ui))
        .show_ui(ui, |ui| {
            ui.selectable_value(
                &mut state.sign_in.form.fields.source,
                SourceChoice::DefaultChain,
                "Default credential chain",
            );
            for p in state.sign_in.profiles.with_keys() {
                ui.selectable_value(
                    &mut state.sign_in.form.fields.source,
                    SourceChoice::Profile(p.name.clone()),
                    format!("Keys of profile {}", p.name),
                );
            }
            for k in &state.keyring.keys {
                ui.selectable_value(
                    &mut state.sign_in.form.fields.source,
                    SourceChoice::Keyring(k.name.clone()),
                    format!("Keyring keys {}", k.name),
                );
            }
        });
    combo.response.labelled_by(label.id).on_hover_text(
        "The long-term credentials that sign the STS call: the SDK's default chain (environment, files, SSO…), a profile's keys, or keys kept in the OS keyring.",
    );
    ui.end_row();
}

pub(super) fn mfa_row_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    errors: &FieldErrors,
    busy: bool,
) {
    let label = ui.label(Field::MfaSerial.label());
    ui.vertical(|ui| {
        let field = ui.horizontal(|ui| {
            let field = ui
                .add(
                    TextEdit::singleline(&mut state.sign_in.form.fields.mfa_serial)
                        .hint_text("arn:aws:iam::123456789012:mfa/NAME or serial")
                        .desired_width(field_width(ui) - 70.0),
                )
                .labelled_by(label.id)
                .on_hover_text("Your MFA device's ARN (virtual devices) or serial number (hardware). Empty: no MFA.");
            if field.changed() {
                state.sign_in.form.mfa_guessed = false;
            }
            let detecting = state.sign_in.pending.is_some_and(|p| p.kind == PendingKind::Detect);
            let detect = theme::icon_button(ui, !busy, icon::ICON_SEARCH, if detecting { "Detecting…" } else { "Detect" })
                .on_hover_text("Find your MFA device with the source credentials (IAM ListMFADevices, else a guess from your user name)");
            if detect.clicked() {
                state.detect();
            }
            field
        }).inner;
        if state.sign_in.form.mfa_guessed {
            notice_ui(ui, &Notice::warning("Guessed from your user name: check it"), Size::Small);
        }
        if let Some(e) = shown_error(errors, Field::MfaSerial, &state.sign_in.form.fields.mfa_serial, state.sign_in.attempted) {
            let msg = error_ui(ui, &e);
            theme::invalid(&field, &msg, &e);
        }
    });
    ui.end_row();
}
