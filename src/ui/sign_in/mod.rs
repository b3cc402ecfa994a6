//! The Sign in panel: profile, source credentials, MFA device (with Detect), role fields, and the
//! six-digit code that signs in by itself on the sixth digit.

use std::time::SystemTime;

use egui::{RichText, TextEdit};

use crate::notice::Notice;
use crate::signin::{Field, FieldErrors, Plan};
use crate::state::{AppState, BrowserKind, PendingKind};
use crate::ui::theme::{self, Size, card_ui, heading_ui, icon, notice_ui, space};
use crate::validate;

mod fields;
mod sso_pick;
use fields::{
    error_ui, mfa_row_ui, options_ui, profile_row_ui, role_arn_row_ui, shown_error, source_row_ui,
};

const FIELD_WIDTH: f32 = 380.0;
/// The labels' column.
const LABEL_WIDTH: f32 = 130.0;
/// The code field: large digits, six of them and some room.
const CODE_SIZE: f32 = 26.0;
const CODE_WIDTH: f32 = 170.0;

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

/// Draws the Sign in panel: a card with the profile and the fields that choose what to call,
/// the optional ones folded under "More options", then the primary action — a large code field
/// and Sign in.
pub fn sign_in_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    card_ui(ui, "Sign in", state.current().is_none(), |ui| {
        heading_ui(ui, "Sign in");
        ui.add_space(space::S);
        crate::ui::tools::tool_asks_ui(ui, state);
        if let Some(kind) = state.sign_in.browser_kind() {
            egui::Grid::new("sign_in_grid")
                .num_columns(2)
                .spacing([space::M, space::S])
                .min_col_width(LABEL_WIDTH)
                .show(ui, |ui| profile_row_ui(ui, state));
            browser_ui(ui, state, kind);
            return;
        }
        let errors = state.form_errors(now);
        let plan = state.sign_in.form.plan(state.chainable(now));
        let busy = state.sign_in.pending.is_some();
        egui::Grid::new("sign_in_grid")
            .num_columns(2)
            .spacing([space::M, space::S])
            .min_col_width(LABEL_WIDTH)
            .show(ui, |ui| {
                profile_row_ui(ui, state);
                source_row_ui(ui, state);
                mfa_row_ui(ui, state, &errors, busy);
                role_arn_row_ui(ui, state, &errors);
            });
        chain_ui(ui, state, now);
        options_ui(ui, state, &errors, plan);
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
        ui.add_space(space::M);
        ui.separator();
        ui.add_space(space::S);
        code_ui(ui, state, &errors, plan, now);
        ui.add_space(space::XS);
        let will = format!("Will call: {}", plan.describe());
        ui.label(RichText::new(will).small().weak());
        login_offer_ui(ui, state);
    });
}

/// For someone with no six-digit code (a passkey, a security key): AWS Sign-In in the browser,
/// as a profile of its own (`default` when there is none yet).
fn login_offer_ui(ui: &mut egui::Ui, state: &mut AppState) {
    ui.add_space(space::M);
    ui.separator();
    ui.add_space(space::S);
    ui.label(RichText::new("No code? Your MFA is a passkey or a security key?").strong());
    let busy = state.sign_in.pending.is_some();
    let mut go = false;
    ui.horizontal(|ui| {
        let label = ui.label("Profile to sign in as");
        let hint = state.sign_in.login_name_or_default();
        ui.add(
            TextEdit::singleline(&mut state.sign_in.login_name)
                .hint_text(hint)
                .desired_width(140.0),
        )
        .labelled_by(label.id);
        go = ui
            .add_enabled(!busy, egui::Button::new("Sign in with AWS Sign-In"))
            .on_hover_text("Signs in to AWS in your browser with your password and passkey, security key or authenticator code (what `aws login` does), and keeps it as this profile")
            .clicked();
    });
    if go {
        state.sign_in.login_as_profile(&mut state.outbox);
    }
    let waiting = state.sign_in.login_pending.is_some()
        && state
            .sign_in
            .pending
            .is_some_and(|p| p.kind == PendingKind::Browser);
    if let (true, Some(w)) = (waiting, state.sign_in.browser.as_ref()) {
        browser_wait_ui(ui, w);
    }
}

/// For a profile that signs in through the browser (AWS Sign-In, IAM Identity Center): what will
/// happen, then the button; while it waits, the page (opened in the browser, and selectable here
/// to open by hand), the code that page must show in large type, and Cancel.
fn browser_ui(ui: &mut egui::Ui, state: &mut AppState, kind: BrowserKind) {
    let (what, how) = match kind {
        BrowserKind::Login => (
            "AWS Sign-In",
            "This profile signs in to AWS in your browser, with your password and passkey, security key or authenticator code. No code is typed here; the credentials renew themselves for up to 12 hours.",
        ),
        BrowserKind::Sso => (
            "IAM Identity Center",
            "This profile signs in through your organisation's IAM Identity Center, in your browser. No code is typed here; the role's credentials renew themselves while that sign-in lasts.",
        ),
    };
    ui.add_space(space::S);
    ui.add(egui::Label::new(how).wrap());
    ui.add_space(space::M);
    ui.separator();
    ui.add_space(space::S);
    let busy = state.sign_in.pending.is_some();
    let waiting = state
        .sign_in
        .pending
        .is_some_and(|p| p.kind == PendingKind::Browser);
    // An IAM Identity Center profile that names no role: choosing one is the way in.
    let choose_first = kind == BrowserKind::Sso && !state.sign_in.profile_names_sso_role();
    ui.horizontal(|ui| {
        let label = match (waiting, choose_first) {
            (true, _) => "Signing in…".to_owned(),
            (false, true) => "Choose an account and role".to_owned(),
            (false, false) => format!("Sign in with {what}"),
        };
        let button = theme::primary_button(ui, !busy, icon::ICON_OPEN_IN_NEW, &label)
            .on_hover_text("Opens the sign-in page in your browser (a sign-in still cached on this computer is used without it)");
        if button.clicked() {
            if choose_first {
                state.sign_in.list_sso_accounts(&mut state.outbox);
            } else {
                state.sign_in.sign_in_in_browser(&mut state.outbox);
            }
        }
        if kind == BrowserKind::Sso
            && !choose_first
            && !busy
            && ui
                .button("Choose another account or role")
                .on_hover_text("Lists the accounts and roles your IAM Identity Center sign-in may use")
                .clicked()
        {
            state.sign_in.list_sso_accounts(&mut state.outbox);
        }
        if busy {
            ui.spinner();
            if theme::icon_button(ui, true, icon::ICON_CLOSE, "Cancel")
                .on_hover_text("Stop waiting for the browser (Esc)")
                .clicked()
            {
                state.cancel();
            }
        }
    });
    if let (true, Some(w)) = (waiting, state.sign_in.browser.as_ref()) {
        browser_wait_ui(ui, w);
    }
    if kind == BrowserKind::Sso {
        sso_pick::pick_ui(ui, state);
    }
    ui.add_space(space::XS);
    let will = format!("Will sign in with: {what}");
    ui.label(RichText::new(will).small().weak());
}

/// While the browser is out: what to do there, the code the page must show (large), and the page
/// itself to open by hand.
fn browser_wait_ui(ui: &mut egui::Ui, w: &crate::aws::cached_sign_in::Waiting) {
    ui.add_space(space::S);
    ui.label(RichText::new("Finish signing in in your browser.").strong());
    if let Some(code) = &w.user_code {
        ui.add_space(space::XS);
        ui.label("The page must show this code:");
        ui.add(
            egui::Label::new(
                RichText::new(code)
                    .font(egui::FontId::monospace(CODE_SIZE))
                    .strong(),
            )
            .selectable(true),
        );
    }
    ui.add_space(space::XS);
    ui.label(
        RichText::new("No browser opened? Open this page yourself:")
            .small()
            .weak(),
    );
    ui.add(
        egui::Label::new(RichText::new(&w.url).small().monospace())
            .wrap()
            .selectable(true),
    );
}

/// "Use my MFA session" when a role could be chained from a live MFA session.
fn chain_ui(ui: &mut egui::Ui, state: &mut AppState, now: SystemTime) {
    let has_role = !state.sign_in.form.fields.role_arn.trim().is_empty();
    if has_role && state.chainable(now).is_some() {
        ui.checkbox(&mut state.sign_in.form.chain, "Use my MFA session (no new code; AWS caps it at 1 hour)")
            .on_hover_text("Assume the role with the credentials of your live MFA session: one code serves many roles.");
    }
}

fn disabled_reason(errors: &FieldErrors, busy: bool, key: bool) -> Option<String> {
    if busy {
        let waiting = if key { "your YubiKey" } else { "AWS" };
        return Some(format!("Waiting for {waiting}…"));
    }
    // The code's own message when that is all that is missing; else the first field's, named.
    errors.iter().next().map(|(field, msg)| match field {
        Field::Code => msg.clone(),
        _ => format!("{}: {msg}", field.label()),
    })
}

/// The primary action: "MFA code" in large digits, Sign in beside it (accent-filled), the
/// spinner and Cancel while waiting, and why Sign in is unavailable (also its description for
/// screen readers).
fn code_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    errors: &FieldErrors,
    plan: Plan,
    now: SystemTime,
) {
    let label = ui.label(RichText::new(Field::Code.label()).strong());
    let needs = plan.needs_code();
    let busy = state.sign_in.pending.is_some();
    let shown = shown_error(
        errors,
        Field::Code,
        &state.sign_in.form.code,
        state.sign_in.attempted,
    );
    let (field, button) = ui
        .horizontal(|ui| {
            let hint = match (needs, &state.sign_in.oath_account) {
                (false, _) => "not needed",
                (true, Some(_)) => "YubiKey",
                (true, None) => "000000",
            };
            let before = state.sign_in.form.code.clone();
            let response = ui
                .add_enabled(
                    needs,
                    TextEdit::singleline(&mut state.sign_in.form.code)
                        .hint_text(hint)
                        .desired_width(CODE_WIDTH)
                        .char_limit(12)
                        .align(egui::Align2::CENTER_CENTER)
                        .font(egui::FontId::monospace(CODE_SIZE))
                        .margin(egui::vec2(space::S, space::XS)),
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
            ui.add_space(space::S);
            let button = sign_in_button_ui(ui, state, errors, now);
            (response, button)
        })
        .inner;
    if let Some(e) = shown.as_deref() {
        let msg = error_ui(ui, e);
        theme::invalid(&field, &msg, e);
    }
    if needs {
        key_ui(ui, state);
    }
    let waiting_for_key = state
        .sign_in
        .pending
        .is_some_and(|p| p.kind == PendingKind::KeyCode);
    if let Some(reason) = disabled_reason(errors, busy, waiting_for_key) {
        theme::describe(&button, &reason);
        if !busy && shown.as_deref() != Some(reason.as_str()) {
            ui.label(RichText::new(reason).small().weak());
        }
    }
}

/// Sign in (or "Signing in…"), and Cancel while a request runs.
fn sign_in_button_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    errors: &FieldErrors,
    now: SystemTime,
) -> egui::Response {
    let busy = state.sign_in.pending.is_some();
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
    let button = theme::primary_button(ui, !busy && errors.is_empty(), icon::ICON_LOGIN, label)
        .on_hover_text("Call AWS STS with these settings (Enter in the code field does the same)");
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
        if theme::icon_button(ui, true, icon::ICON_CLOSE, "Cancel")
            .on_hover_text("Stop waiting for AWS (Esc)")
            .clicked()
        {
            state.cancel();
        }
    }
    button
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
    if let Some(e) = state.sign_in.key_error.as_deref() {
        error_ui(ui, e);
    }
}
