//! The eframe application. `logic` (which eframe runs even while the window is minimized or
//! occluded, whenever the worker or the session supervisor wakes it) drains the worker's events
//! into the state, tells the supervisor what to watch and keeps the title's countdown; `ui` draws
//! the panels and sends the commands they produce. Nothing time-driven happens in `ui`: it only
//! repaints once a second for the countdown on screen.

use std::io::Write as _;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, SystemTime};

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::message::{Command, Event, Watch};
use crate::state::{AppState, Prefs};
use crate::tray::{Tray, TrayAction, TraySession};
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
    /// The tray item, and what its menu asks.
    tray: Option<(Tray, Receiver<TrayAction>)>,
    /// Quit was chosen: the next close request closes.
    quitting: bool,
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
        crate::ui::theme::install(&cc.egui_ctx);
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
            tray: None,
            quitting: false,
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

    /// Gives the window a tray item (see [`crate::tray`]) and the channel its menu answers on.
    #[must_use]
    pub fn with_tray(mut self, tray: Tray, actions: Receiver<TrayAction>) -> Self {
        self.tray = Some((tray, actions));
        self
    }

    /// What the tray's menu asked, and the sessions it shows.
    fn tray_logic(&mut self, ctx: &egui::Context, now: SystemTime) {
        let Some((tray, actions)) = &self.tray else {
            return;
        };
        let asked: Vec<TrayAction> = actions.try_iter().collect();
        let shown = self.state.sessions.list.iter().map(|s| TraySession {
            name: s.name.clone(),
            expires_at: s.expires_at,
        });
        tray.show(shown.collect());
        for action in asked {
            match action {
                TrayAction::Copy(name) => self.state.copy_exports_of(&name, now),
                TrayAction::Renew(name) => {
                    self.state.renew_of(&name, now);
                    self.state.tools.raise = true;
                }
                TrayAction::Open => self.state.tools.raise = true,
                TrayAction::SignOut(name) => self.state.sign_out_of(&name, now),
                TrayAction::Quit => {
                    self.quitting = true;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }

    /// Closing the window while sessions are live and a tray shows keyfob hides it instead
    /// (unless the preference is off, or Quit was chosen); the first time, a notification says so.
    fn close_to_tray(&mut self, ctx: &egui::Context, now: SystemTime) {
        if !ctx.input(|i| i.viewport().close_requested()) || self.quitting {
            return;
        }
        let Some((tray, _)) = &mut self.tray else {
            return;
        };
        let live = self.state.sessions.list.iter().any(|s| !s.is_expired(now));
        if !(live && tray.hosted() && self.state.keep_in_tray) {
            return;
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        ctx.send_viewport_cmd(egui::ViewportCommand::Visible(false));
        if !std::mem::replace(&mut tray.told, true) {
            self.state.outbox.send(Command::Notify {
                summary: "keyfob is still running in the tray".to_owned(),
                body: "It keeps watching your sessions. Quit from the tray's menu; About → \
                       \"Keep running in the tray\" turns this off."
                    .to_owned(),
            });
        }
    }

    fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            tracing::error!("the worker has stopped; the request was not sent");
        }
    }

    /// The browser's keys when no text field has the keyboard: Up/Down move, Enter opens,
    /// Backspace goes up; files dropped on the window are uploaded into the folder.
    fn browser_keys(&mut self, ctx: &egui::Context) {
        let (b, out) = (&mut self.state.browser, &mut self.state.outbox);
        // The confirmation dialog is modal: the folder behind it takes no keys and no drops.
        if b.confirm.is_some() {
            return;
        }
        let dropped: Vec<std::path::PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            b.upload_tree(out, Some(dropped));
        }
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let key = |k: Key| ctx.input_mut(|i| i.consume_key(Modifiers::NONE, k));
        if key(Key::ArrowDown) {
            b.step(out, 1);
        }
        if key(Key::ArrowUp) {
            b.step(out, -1);
        }
        if key(Key::Enter) {
            b.activate_cursor(out);
        }
        if key(Key::Backspace) {
            b.up(out);
        }
    }

    /// Empties the state's outbox: commands to the worker, text to the clipboard. The one place
    /// commands leave; run after events are applied and after the panels are drawn.
    fn flush(&mut self, ctx: &egui::Context) {
        let (commands, copy) = self.state.outbox.take();
        for c in commands {
            self.send(c);
        }
        if let Some(text) = copy {
            ctx.copy_text(text.expose().to_owned());
        }
        self.watch_sessions();
    }

    fn shortcuts(&mut self, ctx: &egui::Context, now: SystemTime) {
        if ctx.input_mut(|i| i.consume_shortcut(&FOCUS_CODE)) {
            self.state.sign_in.focus_code = true;
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F5)) {
            self.state.reload(now);
        }
        // Esc cancels a running request; otherwise it is left to popups and text fields.
        if self.state.sign_in.pending.is_some()
            && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
        {
            self.state.cancel();
        }
        if ctx.input_mut(|i| i.consume_shortcut(&COPY_EXPORTS)) {
            self.state.copy_exports(now);
        }
    }

    fn schedule_repaint(&self, ctx: &egui::Context, now: SystemTime) {
        let mut next: Option<Duration> = None;
        // Wake just after a countdown on screen changes what it shows (a minute apart until the
        // last 15 minutes, then a second); no continuous repainting. (While the window is hidden
        // eframe skips `ui`, and with it this.)
        let shown = self
            .state
            .sessions
            .list
            .iter()
            .filter(|s| !s.is_expired(now));
        for s in shown {
            let left = s.remaining(now);
            let change = crate::session::countdown_unchanged_for(left) + Duration::from_millis(5);
            next = Some(next.map_or(change, |n| n.min(change)));
        }
        if let Some(d) = next {
            ctx.request_repaint_after(d);
        }
    }

    /// Tells the supervisor about a change in the sessions or in which one is shown.
    fn watch_sessions(&mut self) {
        let watch = self.state.sessions.watch();
        if self.watched.as_ref() != Some(&watch) {
            self.watched = Some(watch.clone());
            self.send(Command::Watch(watch));
        }
    }
}

/// The widest texture egui may make: the font atlas is as wide as this, and grows in rows of
/// glyphs across its whole width. llvmpipe allows 16,384 pixels, where one row of text cost 1.3 MB
/// of atlas (four bytes a pixel, kept by egui and again by the driver); keyfob's glyphs fit in a
/// fraction of a 2,048-wide one.
pub const MAX_TEXTURE_SIDE: usize = 2048;

impl eframe::App for KeyfobApp {
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        raw_input.max_texture_side = raw_input
            .max_texture_side
            .map(|side| side.min(MAX_TEXTURE_SIDE));
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let now = (self.clock)();
        while let Ok(event) = self.events.try_recv() {
            self.state.apply(event, now);
        }
        self.tray_logic(ctx, now);
        self.close_to_tray(ctx, now);
        self.flush(ctx);
        if std::mem::take(&mut self.state.tools.raise) {
            // A tool waits for a code (or a second window was started): un-minimize, show, and
            // ask for the focus (a window manager may only mark the window as wanting it).
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Visible(true));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
            ctx.request_repaint();
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
        // The window's accessible name is its title, countdown included (screen readers read it;
        // egui leaves the root node unnamed).
        let title = self.title.clone();
        ctx.accesskit_node_builder(egui::accesskit_root_id(), |root| root.set_label(title));
        self.shortcuts(&ctx, now);
        egui::Panel::bottom("status").show(ui, |ui| {
            crate::ui::theme::name_panel(ui, "Status");
            crate::ui::status_bar_ui(ui, &self.state);
        });
        if self.state.browser.shown {
            if self.state.live_session(now).is_some() {
                self.browser_keys(&ctx);
            }
            egui::CentralPanel::default().show(ui, |ui| {
                crate::ui::theme::name_panel(ui, "S3 browser");
                crate::ui::browser::browser_ui(ui, &mut self.state, now);
            });
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                crate::ui::theme::name_panel(ui, "Sign in and sessions");
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| crate::ui::main_view_ui(ui, &mut self.state, now));
            });
        }
        if self.state.show_about {
            crate::ui::about_ui(&ctx, &mut self.state);
        }
        self.flush(&ctx);
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
