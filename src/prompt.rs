//! `keyfob prompt --profile P --asker A`: the small window a tool's `credential-process` opens
//! when it needs a code and no keyfob window runs. It names the profile, its role and the tool,
//! signs in as `keyfob signin --code` does (off the UI thread), keeps the session in the keyring
//! and closes; its exit code tells the waiting command what happened (see
//! [`crate::cli::prompt`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use egui::{Key, RichText, TextEdit};

use crate::cli::prompt::{PROMPT_CANCELLED, PROMPT_SIGNED_IN};
use crate::cli::{Ctx, OK};

/// What the sign-in thread reports.
#[derive(Debug)]
enum Answer {
    /// The profile's role, if it names one.
    Role(Option<String>),
    SignedIn,
    /// Why not, in keyfob's words.
    Failed(String),
}

/// The prompt window.
#[derive(Debug)]
pub struct PromptApp {
    profile: String,
    asker: String,
    role: Option<String>,
    code: String,
    busy: bool,
    error: Option<String>,
    focused: bool,
    codes: Sender<String>,
    answers: Receiver<Answer>,
    outcome: Arc<AtomicU8>,
}

impl PromptApp {
    /// The window for `profile`, asked by `asker`; `outcome` receives the exit code (cancelled
    /// until a sign-in succeeds). The sign-in thread starts here and wakes the window on answers.
    #[must_use]
    pub fn new(
        ctx: &egui::Context,
        cli: Ctx,
        profile: String,
        asker: String,
        outcome: Arc<AtomicU8>,
    ) -> Self {
        outcome.store(PROMPT_CANCELLED, Ordering::SeqCst);
        crate::ui::theme::install(ctx);
        let (codes, code_rx) = channel::<String>();
        let (answer_tx, answers) = channel();
        let (egui_ctx, name) = (ctx.clone(), profile.clone());
        let spawned = std::thread::Builder::new()
            .name("keyfob-prompt".to_owned())
            .spawn(move || sign_in_thread(&cli, &name, &code_rx, &answer_tx, &egui_ctx));
        if let Err(e) = spawned {
            tracing::error!("the sign-in thread could not start: {e}");
        }
        Self {
            profile,
            asker,
            role: None,
            code: String::new(),
            busy: false,
            error: None,
            focused: false,
            codes,
            answers,
            outcome,
        }
    }

    fn submit(&mut self) {
        if self.busy {
            return;
        }
        if let Err(e) = crate::validate::code(&self.code) {
            self.error = Some(e);
            return;
        }
        self.busy = self.codes.send(self.code.clone()).is_ok();
        self.error = None;
    }

    fn close(&self, ctx: &egui::Context, outcome: u8) {
        self.outcome.store(outcome, Ordering::SeqCst);
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    fn take_answers(&mut self, ctx: &egui::Context) {
        while let Ok(answer) = self.answers.try_recv() {
            match answer {
                Answer::Role(role) => self.role = role,
                Answer::SignedIn => self.close(ctx, PROMPT_SIGNED_IN),
                Answer::Failed(why) => {
                    self.busy = false;
                    self.code.clear(); // a rejected code is spent; type the next one
                    self.error = Some(why);
                    self.focused = false;
                }
            }
        }
    }

    fn code_ui(&mut self, ui: &mut egui::Ui) {
        let label = ui.label("MFA code");
        let before = self.code.clone();
        // A fixed id: the role's line appears when the profile has been read, and an automatic id
        // would change with it, taking the focus away.
        let field = TextEdit::singleline(&mut self.code)
            .id_salt("prompt-code")
            .hint_text("6 digits")
            .desired_width(170.0)
            .font(egui::FontId::monospace(24.0));
        let response = ui.add_enabled(!self.busy, field).labelled_by(label.id);
        if !self.focused && !self.busy {
            response.request_focus();
            self.focused = true;
        }
        if response.changed() {
            self.code = crate::validate::clean_code(&self.code);
            if self.code.len() == 6 && self.code != before {
                self.submit();
            }
        }
        if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            self.submit();
        }
    }
}

impl eframe::App for PromptApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.take_answers(&ctx);
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Escape)) {
            self.close(&ctx, PROMPT_CANCELLED);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            crate::ui::theme::heading_ui(ui, &format!("A code for {}", self.profile));
            ui.label(format!("{} needs AWS credentials.", self.asker));
            if let Some(role) = &self.role {
                ui.label(RichText::new(format!("Role: {role}")).weak());
            }
            ui.add_space(8.0);
            self.code_ui(ui);
            if let Some(e) = &self.error {
                ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let label = if self.busy {
                    "Signing in…"
                } else {
                    "Sign in"
                };
                if ui
                    .add_enabled(!self.busy, egui::Button::new(label))
                    .clicked()
                {
                    self.submit();
                }
                if ui
                    .button("Cancel")
                    .on_hover_text("The tool gets an error (Esc)")
                    .clicked()
                {
                    self.close(&ctx, PROMPT_CANCELLED);
                }
                if self.busy {
                    ui.spinner();
                }
            });
        });
    }
}

/// Reads the profile's role, then signs in with each code sent until one works.
fn sign_in_thread(
    cli: &Ctx,
    profile: &str,
    codes: &Receiver<String>,
    answers: &Sender<Answer>,
    ctx: &egui::Context,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let rt = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            let _ = answers.send(Answer::Failed(format!("keyfob could not start: {e}")));
            return;
        }
    };
    let profiles = rt.block_on(crate::aws::profiles::load(&cli.env.profile_files));
    let role = profiles
        .ok()
        .and_then(|p| p.get(profile).and_then(|i| i.role_arn.clone()));
    let _ = answers.send(Answer::Role(role));
    ctx.request_repaint();
    for code in codes {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = rt.block_on(crate::cli::signin(
            cli,
            profile,
            Some(&code),
            &mut out,
            &mut err,
        ));
        let answer = if status == OK {
            Answer::SignedIn
        } else {
            let text = String::from_utf8_lossy(&err);
            let first = text.lines().next().unwrap_or("The sign-in failed");
            Answer::Failed(first.trim_start_matches("keyfob: ").to_owned())
        };
        let done = matches!(answer, Answer::SignedIn);
        let _ = answers.send(answer);
        ctx.request_repaint();
        if done {
            return;
        }
    }
}
