//! The eframe application. `logic` (which eframe runs even while the window is minimized or
//! occluded, whenever the worker or the session supervisor wakes it) drains the worker's events
//! into the state, tells the supervisor what to watch and keeps the title's countdown; `ui` draws
//! the panels and sends the commands they produce. Nothing time-driven happens in `ui`: it only
//! repaints once a second for the countdown on screen.

use std::io::Write as _;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, SystemTime};

use egui::{Key, KeyboardShortcut, Modifiers, RichText};

use crate::message::{Command, Event, Watch};
use crate::session::Session;
use crate::state::{AppState, Prefs};
use crate::ui::session::{RED, session_ui};
use crate::ui::sign_in::sign_in_ui;
use crate::worker::Channels;

pub use crate::clock::Clock;

/// The key of the preferences in eframe's storage.
pub const PREFS_KEY: &str = "keyfob.prefs";

const FOCUS_CODE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
const COPY_EXPORTS: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::C);

/// The keyfob window.
pub struct KeyfobApp {
    /// Everything shown; public so tests can inspect it.
    pub state: AppState,
    commands: Sender<Command>,
    events: Receiver<Event>,
    clock: Clock,
    title: String,
    /// What the supervisor was last told to watch.
    watched: Option<Watch>,
    /// Set by `keyfob --exit-after-first-frame` (the startup benchmark): when the process started.
    startup_probe: Option<std::time::Instant>,
}

impl std::fmt::Debug for KeyfobApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyfobApp")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl KeyfobApp {
    /// Creates the app on a running worker, restoring saved preferences, and asks for the profiles.
    #[must_use]
    pub fn new(cc: &eframe::CreationContext<'_>, channels: Channels, clock: Clock) -> Self {
        let prefs: Prefs = cc
            .storage
            .and_then(|s| eframe::get_value(s, PREFS_KEY))
            .unwrap_or_default();
        let app = Self {
            state: AppState::from_prefs(prefs),
            commands: channels.commands,
            events: channels.events,
            clock,
            title: String::new(),
            watched: None,
            startup_probe: None,
        };
        app.send(Command::LoadProfiles);
        app.send(Command::LoadCache);
        app
    }

    /// Makes the app print the time from `started` to its first painted frame on stdout, then
    /// close (for the startup benchmark).
    #[must_use]
    pub fn with_startup_probe(mut self, started: std::time::Instant) -> Self {
        self.startup_probe = Some(started);
        self
    }

    fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            tracing::error!("the worker has stopped; the request was not sent");
        }
    }

    /// The browser's keys when no text field has the keyboard: Up/Down move, Enter opens,
    /// Backspace goes up; files dropped on the window are uploaded into the folder.
    fn browser_keys(
        &mut self,
        ctx: &egui::Context,
        creds: &crate::session::SessionCreds,
    ) -> Vec<Command> {
        let b = &mut self.state.browser;
        let mut out = Vec::new();
        let dropped: Vec<std::path::PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            out.extend(b.upload(creds, Some(dropped)));
        }
        if ctx.egui_wants_keyboard_input() {
            return out;
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::ArrowDown)) {
            out.extend(b.step(creds, 1));
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::ArrowUp)) {
            out.extend(b.step(creds, -1));
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
            && let Some(c) = b.cursor
        {
            out.extend(b.activate(creds, c));
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Backspace)) {
            out.extend(b.up(creds));
        }
        out
    }

    fn flush_outbox(&mut self) {
        for c in std::mem::take(&mut self.state.outbox) {
            self.send(c);
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context, now: SystemTime) -> Option<crate::secret::Secret> {
        if ctx.input_mut(|i| i.consume_shortcut(&FOCUS_CODE)) {
            self.state.focus_code = true;
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F5)) {
            let creds = self.state.live_session(now).map(Session::creds);
            match creds {
                Some(c) if self.state.browser.shown => {
                    for cmd in self.state.browser.refresh(&c) {
                        self.send(cmd);
                    }
                }
                _ => {
                    self.send(Command::LoadProfiles);
                    self.state.status = Some("Reloading your AWS profiles".to_owned());
                }
            }
        }
        // Esc cancels a running request; otherwise it is left to popups and text fields.
        if self.state.pending.is_some()
            && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
            && let Some(c) = self.state.cancel()
        {
            self.send(c);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&COPY_EXPORTS)) {
            return self.state.copy_exports(now);
        }
        None
    }

    fn schedule_repaint(&self, ctx: &egui::Context, now: SystemTime) {
        let mut next: Option<Duration> = None;
        if let Some(s) = self.state.live_session(now) {
            // Wake just after the displayed second changes; no continuous repainting. (While the
            // window is hidden eframe skips `ui`, and with it this.)
            let left = s.remaining(now);
            let to_next_second =
                Duration::from_nanos(u64::from(left.subsec_nanos())) + Duration::from_millis(5);
            next = Some(to_next_second.min(left + Duration::from_millis(5)));
        }
        if let Some(d) = next {
            ctx.request_repaint_after(d);
        }
    }

    /// Tells the supervisor about a change in the sessions or in which one is shown.
    fn watch_sessions(&mut self) {
        let watch = self.state.watch();
        if self.watched.as_ref() != Some(&watch) {
            self.watched = Some(watch.clone());
            self.send(Command::Watch(watch));
        }
    }
}

impl eframe::App for KeyfobApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let now = (self.clock)();
        while let Ok(event) = self.events.try_recv() {
            self.state.apply(event, now);
        }
        self.flush_outbox();
        self.watch_sessions();
        if let Some(link) = self.state.browser.take_link_to_copy() {
            self.state.browser.note = Some("Copied the presigned link".to_owned());
            ctx.copy_text(link.expose().to_owned());
        }
        let title = self.state.title(now);
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let now = (self.clock)();
        tracing::trace!(frame = ctx.cumulative_frame_nr(), "frame");
        let mut copy = self.shortcuts(&ctx, now);

        let mut commands = Vec::new();
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let text = self
                    .state
                    .status
                    .clone()
                    .unwrap_or_else(|| "Ready".to_owned());
                ui.label(RichText::new(text).small());
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.label(
                        RichText::new(concat!("keyfob ", env!("CARGO_PKG_VERSION")))
                            .small()
                            .weak(),
                    );
                });
            });
        });
        if self.state.browser.shown {
            let creds = self.state.live_session(now).map(Session::creds);
            let session = self.state.live_session(now).cloned();
            let synced = self.state.browser.sync(session.as_ref(), now);
            commands.extend(synced);
            if let Some(creds) = &creds {
                commands.extend(self.browser_keys(&ctx, creds));
            }
            let actions = egui::CentralPanel::default()
                .show(ui, |ui| {
                    crate::ui::browser::browser_ui(ui, &mut self.state, now)
                })
                .inner;
            commands.extend(actions.commands);
            copy = copy.take().or(actions.copy);
            if actions.renew {
                self.state.browser.shown = false;
                self.state.browser.return_after_renew = true;
                self.state.renew();
            }
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        self.messages_ui(ui);
                        let wide = ui.available_width() > 900.0 && self.state.current().is_some();
                        if wide {
                            ui.columns(2, |cols| {
                                if let [left, right] = cols {
                                    commands.extend(sign_in_ui(left, &mut self.state, now));
                                    let actions = session_ui(right, &mut self.state, now);
                                    commands.extend(actions.commands);
                                    copy = copy.take().or(actions.copy);
                                }
                            });
                        } else {
                            commands.extend(sign_in_ui(ui, &mut self.state, now));
                            ui.add_space(12.0);
                            let actions = session_ui(ui, &mut self.state, now);
                            commands.extend(actions.commands);
                            copy = copy.take().or(actions.copy);
                        }
                        ui.add_space(12.0);
                        commands.extend(crate::ui::keys::keys_ui(ui, &mut self.state));
                        ui.add_space(16.0);
                        let about = ui
                            .small_button("About keyfob")
                            .on_hover_text("Version, licence and keys");
                        if about.clicked() {
                            self.state.show_about = true;
                        }
                    });
            });
        }
        if self.state.show_about {
            self.about_ui(&ctx);
        }
        if let Some(text) = copy {
            ctx.copy_text(text.expose().to_owned());
        }
        for c in commands {
            self.send(c);
        }
        self.flush_outbox();
        self.watch_sessions();
        self.schedule_repaint(&ctx, now);
        if let Some(started) = self.startup_probe
            && ctx.cumulative_frame_nr() >= 1
        {
            // Frame 0 has been painted: report and close.
            self.startup_probe = None;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let _ = writeln!(std::io::stdout(), "first-frame-ms {ms:.1}");
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.state.prefs());
    }
}

impl KeyfobApp {
    fn about_ui(&mut self, ctx: &egui::Context) {
        let modal = egui::Modal::new(egui::Id::unique("keyfob.about")).show(ctx, |ui| {
            ui.heading(concat!("keyfob ", env!("CARGO_PKG_VERSION")));
            ui.label(env!("CARGO_PKG_DESCRIPTION"));
            ui.label("Licence: MIT");
            ui.add_space(6.0);
            ui.label(
                "Keys: Ctrl+L code field · Enter sign in · Esc cancel · Ctrl+Shift+C copy exports · F5 reload profiles",
            );
            ui.add_space(6.0);
            ui.button("Close").on_hover_text("Close this box (Esc)").clicked()
        });
        if modal.inner || modal.should_close() {
            self.state.show_about = false;
        }
    }

    fn messages_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(err) = &self.state.error {
            let mut toggle = false;
            egui::Frame::group(ui.style())
                .stroke(egui::Stroke::new(1.0, RED))
                .show(ui, |ui| {
                    ui.label(RichText::new(&err.message).color(RED).strong());
                    if !err.detail.is_empty() {
                        let label = if self.state.show_error_detail {
                            "Hide details"
                        } else {
                            "Show details"
                        };
                        toggle = ui
                            .small_button(label)
                            .on_hover_text("The error code and the SDK's message")
                            .clicked();
                        if self.state.show_error_detail {
                            ui.label(RichText::new(&err.detail).monospace().small());
                        }
                    }
                });
            if toggle {
                self.state.show_error_detail = !self.state.show_error_detail;
            }
            ui.add_space(6.0);
        }
        if self.state.keyring.available == Some(false)
            && let Some(e) = &self.state.keyring.error
        {
            ui.label(RichText::new(e).small().color(crate::ui::session::AMBER));
            ui.add_space(6.0);
        }
        if let Some(note) = &self.state.notice {
            ui.label(RichText::new(note).italics());
            ui.add_space(6.0);
        }
    }
}
