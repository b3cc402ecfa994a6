//! The Sign in panel: profile, source credentials, MFA device (with Detect), role fields, and the
//! six-digit code that signs in by itself on the sixth digit.

use std::time::SystemTime;

use egui::{RichText, TextEdit};

use crate::notice::Notice;
use crate::session::SourceChoice;
use crate::signin::{Field, FieldErrors, Plan};
use crate::state::{AppState, PendingKind};
use crate::ui::theme::{Size, notice_ui};
use crate::validate;

const FIELD_WIDTH: f32 = 380.0;

/// A field's width: 380 points, less when the column is narrower (two-column layout).
fn field_width(ui: &egui::Ui) -> f32 {
    (ui.available_width() - 8.0).clamp(160.0, FIELD_WIDTH)
}

/// Above the form: the last failure (with its detail behind a toggle), an unusable keyring, and
/// notes about the form.
pub fn messages_ui(ui: &mut egui::Ui, state: &AppState) {
    let keyring_down = state.keyring.available == Some(false);
    let notices = [
        state
            .sign_in
            .error
            .as_ref()
            .map(|e| (Notice::from(e), Size::Boxed)),
        state
            .keyring
            .error
            .clone()
            .filter(|_| keyring_down)
            .map(|n| (n, Size::Small)),
        state.sign_in.notice.clone().map(|n| (n, Size::Normal)),
    ];
    for (notice, size) in notices.into_iter().flatten() {
        notice_ui(ui, &notice, size);
        ui.add_space(6.0);
    }
}

/// Draws the Sign in panel.
pub fn sign_in_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    ui.heading("Sign in");
    ui.add_space(4.0);
    crate::ui::tools::tool_asks_ui(ui, state);
    let errors = state.form_errors(now);
    let plan = state.sign_in.form.plan(state.chainable(now));
    egui::Grid::new("sign_in_grid")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let busy = state.sign_in.pending.is_some();
            profile_row_ui(ui, state);
            source_row_ui(ui, state);
            mfa_row_ui(ui, state, &errors, busy);
            role_rows_ui(ui, state, &errors, plan, now);
            code_row_ui(ui, state, &errors, plan, now);
        });
    if plan == Plan::Chained
        && errors.contains_key(&Field::Duration)
        && ui
            .button("Assume the role directly with a new code instead")
            .on_hover_text(
                "AssumeRole with your MFA device allows up to 12 h, the role permitting.",
            )
            .clicked()
    {
        state.sign_in.form.chain = false;
        state.sign_in.focus_code = true;
    }
    ui.add_space(6.0);
    ui.label(RichText::new(format!("Will call: {}", plan.describe())).weak());
    buttons_ui(ui, state, &errors, now);
}

/// The role, session name, ExternalId, duration and region rows, and "use my MFA session".
fn role_rows_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    errors: &FieldErrors,
    plan: Plan,
    now: SystemTime,
) {
    let attempted = state.sign_in.attempted;
    let chainable = state.chainable(now).is_some();
    let f = &mut state.sign_in.form.fields;
    let show = |field: Field, value: &str| shown_error(errors, field, value, attempted);
    let e = show(Field::RoleArn, &f.role_arn);
    text_row_ui(
        ui,
        Field::RoleArn,
        &mut f.role_arn,
        "arn:aws:iam::123456789012:role/NAME (optional)",
        "The role to assume. Leave empty for a plain MFA session (GetSessionToken).",
        e.as_deref(),
    );
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
    if has_role && chainable {
        ui.label("");
        ui.checkbox(&mut state.sign_in.form.chain, "Use my MFA session (no new code; AWS caps it at 1 hour)")
            .on_hover_text("Assume the role with the credentials of your live MFA session: one code serves many roles.");
        ui.end_row();
    }
}

/// Sign in (with why it is unavailable) and Cancel.
fn buttons_ui(ui: &mut egui::Ui, state: &mut AppState, errors: &FieldErrors, now: SystemTime) {
    let busy = state.sign_in.pending.is_some();
    ui.horizontal(|ui| {
        let signing_in = state
            .sign_in
            .pending
            .is_some_and(|p| p.kind == PendingKind::SignIn);
        let waiting_for_key = state
            .sign_in
            .pending
            .is_some_and(|p| p.kind == PendingKind::KeyCode);
        let label = match (signing_in, waiting_for_key) {
            (true, _) => "Signing in…",
            (_, true) => "Waiting for your YubiKey…",
            _ => "Sign in",
        };
        let button = ui
            .add_enabled(!busy && errors.is_empty(), egui::Button::new(label))
            .on_hover_text(
                "Call AWS STS with these settings (Enter in the code field does the same)",
            );
        let button = match disabled_reason(errors, busy, waiting_for_key) {
            Some(reason) => button.on_disabled_hover_text(reason),
            None => button,
        };
        // The cursor was sent to the code field, which this sign-in does not need (a role chained
        // from the MFA session): Sign in takes it instead, so Enter goes on.
        if state.sign_in.focus_code && button.enabled() {
            button.request_focus();
            state.sign_in.focus_code = false;
        }
        if button.clicked() {
            state.submit(now);
        }
        if busy {
            ui.spinner();
            if ui
                .button("Cancel")
                .on_hover_text("Stop waiting for AWS (Esc)")
                .clicked()
            {
                state.cancel();
            }
        }
    });
    if let Some(reason) = disabled_reason(errors, busy, false).filter(|_| !busy) {
        ui.label(RichText::new(reason).small().weak());
    }
}

/// The message to show for `field`: always for a non-empty bad value, for an empty one only
/// after the user tried to sign in.
fn shown_error(errors: &FieldErrors, field: Field, value: &str, attempted: bool) -> Option<String> {
    errors
        .get(&field)
        .filter(|_| attempted || !value.trim().is_empty())
        .cloned()
}

fn disabled_reason(errors: &FieldErrors, busy: bool, key: bool) -> Option<String> {
    if busy {
        let waiting = if key { "your YubiKey" } else { "AWS" };
        return Some(format!("Waiting for {waiting}…"));
    }
    errors.iter().next().map(|(field, msg)| {
        format!(
            "Sign in is unavailable until {} is fixed: {msg}",
            field.label()
        )
    })
}

fn error_ui(ui: &mut egui::Ui, error: Option<&str>) {
    if let Some(e) = error {
        notice_ui(ui, &Notice::error(e), Size::Small);
    }
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
            error_ui(ui, error);
            r
        })
        .inner;
    ui.end_row();
    response
}

fn profile_row_ui(ui: &mut egui::Ui, state: &mut AppState) {
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

fn source_row_ui(ui: &mut egui::Ui, state: &mut AppState) {
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

fn mfa_row_ui(ui: &mut egui::Ui, state: &mut AppState, errors: &FieldErrors, busy: bool) {
    let label = ui.label(Field::MfaSerial.label());
    ui.vertical(|ui| {
        ui.horizontal(|ui| {
            let r = ui
                .add(
                    TextEdit::singleline(&mut state.sign_in.form.fields.mfa_serial)
                        .hint_text("arn:aws:iam::123456789012:mfa/NAME or serial")
                        .desired_width(field_width(ui) - 70.0),
                )
                .labelled_by(label.id)
                .on_hover_text("Your MFA device's ARN (virtual devices) or serial number (hardware). Empty: no MFA.");
            if r.changed() {
                state.sign_in.form.mfa_guessed = false;
            }
            let detecting = state.sign_in.pending.is_some_and(|p| p.kind == PendingKind::Detect);
            let detect = ui
                .add_enabled(!busy, egui::Button::new(if detecting { "Detecting…" } else { "Detect" }))
                .on_hover_text("Find your MFA device with the source credentials (IAM ListMFADevices, else a guess from your user name)");
            if detect.clicked() {
                state.detect();
            }
        });
        if state.sign_in.form.mfa_guessed {
            notice_ui(ui, &Notice::warning("Guessed from your user name: check it"), Size::Small);
        }
        error_ui(ui, shown_error(errors, Field::MfaSerial, &state.sign_in.form.fields.mfa_serial, state.sign_in.attempted).as_deref());
    });
    ui.end_row();
}

fn code_row_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    errors: &FieldErrors,
    plan: Plan,
    now: SystemTime,
) {
    let label = ui.label(Field::Code.label());
    ui.vertical(|ui| {
        let needs = plan.needs_code();
        let hint = match (needs, &state.sign_in.oath_account) {
            (false, _) => "not needed for this sign-in",
            (true, Some(_)) => "from your YubiKey",
            (true, None) => "6 digits",
        };
        let before = state.sign_in.form.code.clone();
        let response = ui
            .add_enabled(
                needs,
                TextEdit::singleline(&mut state.sign_in.form.code)
                    .hint_text(hint)
                    .desired_width(120.0)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id)
            .on_hover_text("The code your MFA device shows now. Paste works; keyfob signs in on the sixth digit. Ctrl+L jumps here.");
        if state.sign_in.focus_code && needs {
            response.request_focus();
            state.sign_in.focus_code = false;
        }
        if response.changed() {
            state.sign_in.form.code = validate::clean_code(&state.sign_in.form.code);
            if state.sign_in.form.code.len() == 6 && before != state.sign_in.form.code {
                state.submit(now);
            }
        }
        if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            state.submit(now);
        }
        error_ui(ui, shown_error(errors, Field::Code, &state.sign_in.form.code, state.sign_in.attempted).as_deref());
        if needs {
            key_ui(ui, state);
        }
    });
    ui.end_row();
}

/// For a profile that names a YubiKey OATH account: where the code comes from, the wait for a
/// touch, and why the key gave none.
fn key_ui(ui: &mut egui::Ui, state: &AppState) {
    let Some(account) = &state.sign_in.oath_account else {
        return;
    };
    let waiting = state
        .sign_in
        .pending
        .is_some_and(|p| p.kind == PendingKind::KeyCode);
    if waiting {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(RichText::new("Touch your YubiKey if it flashes…").strong());
        });
    } else if state.sign_in.uses_key() {
        let text = format!("Leave it empty: Sign in asks your YubiKey (OATH account {account})");
        ui.label(RichText::new(text).small().weak());
    }
    error_ui(ui, state.sign_in.key_error.as_deref());
}
