//! The tray item: what it says (the nearest expiry, each live session's time left, the band) and
//! what its menu asks the window to do. This part knows no platform; [`linux`] puts it on the
//! session bus as a StatusNotifierItem (ksni: pure Rust, no GTK). On macOS and Windows the
//! `tray-icon` crate would carry the same model; nothing is built there yet ([`start`] says so).
//!
//! The tray keeps its own time: the app hands it the sessions' names and ends when they change,
//! and the tray's timer (on its own runtime thread) redraws the text every 20 s, so it keeps
//! counting while the window is hidden and eframe draws nothing.

#[cfg(target_os = "linux")]
mod linux;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use crate::session::Urgency;

/// One live session as the tray shows it: no credentials, only its name and end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraySession {
    pub name: String,
    pub expires_at: SystemTime,
}

/// What a menu item asks the window to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrayAction {
    /// Copy this session's export lines (in the format chosen in the window).
    Copy(String),
    /// Renew this session: the window comes forward on its form, asking for a new code.
    Renew(String),
    /// Show the window.
    Open,
    /// Sign out of this session.
    SignOut(String),
    /// Quit keyfob.
    Quit,
}

/// The band of a session ending at `end`, at `now` (the window's bands).
#[must_use]
pub fn band(end: SystemTime, now: SystemTime) -> Urgency {
    match end.duration_since(now) {
        Err(_) => Urgency::Expired,
        Ok(d) if d.is_zero() => Urgency::Expired,
        Ok(d) if d < Duration::from_secs(5 * 60) => Urgency::Urgent,
        Ok(d) if d < Duration::from_secs(15 * 60) => Urgency::Soon,
        Ok(_) => Urgency::Calm,
    }
}

/// "42 min", "2 h 05 min", "under a minute", "ended".
#[must_use]
pub fn left_text(end: SystemTime, now: SystemTime) -> String {
    match end.duration_since(now) {
        Ok(d) if d >= Duration::from_secs(60) => crate::validate::human_duration(d.as_secs()),
        Ok(d) if !d.is_zero() => "under a minute".to_owned(),
        _ => "ended".to_owned(),
    }
}

/// The live sessions at `now`, nearest end first.
#[must_use]
pub fn live(sessions: &[TraySession], now: SystemTime) -> Vec<&TraySession> {
    let mut live: Vec<&TraySession> = sessions.iter().filter(|s| s.expires_at > now).collect();
    live.sort_by_key(|s| s.expires_at);
    live
}

/// The title: the nearest end ("prod-admin 42 min"), or that there is none.
#[must_use]
pub fn title(sessions: &[TraySession], now: SystemTime) -> String {
    match live(sessions, now).first() {
        Some(s) => format!("{} {}", s.name, left_text(s.expires_at, now)),
        None => "keyfob — no session".to_owned(),
    }
}

/// The band of the nearest end (Calm with no session).
#[must_use]
pub fn nearest_band(sessions: &[TraySession], now: SystemTime) -> Urgency {
    live(sessions, now)
        .first()
        .map_or(Urgency::Calm, |s| band(s.expires_at, now))
}

/// The tooltip's lines: each live session with its time left and band in words.
#[must_use]
pub fn tooltip(sessions: &[TraySession], now: SystemTime) -> String {
    let live = live(sessions, now);
    if live.is_empty() {
        return "No live session: open keyfob to sign in".to_owned();
    }
    let lines: Vec<String> = live
        .iter()
        .map(|s| {
            let left = left_text(s.expires_at, now);
            let words = match band(s.expires_at, now) {
                Urgency::Calm => "",
                Urgency::Soon => " (ends soon)",
                Urgency::Urgent => " (ends very soon)",
                Urgency::Expired => " (expired)",
            };
            format!("{}: {left} left{words}", s.name)
        })
        .collect();
    lines.join("\n")
}

/// The app's side of a running tray: where to send the sessions, whether a tray host shows it.
#[derive(Debug)]
pub struct Tray {
    sessions: tokio::sync::watch::Sender<Vec<TraySession>>,
    hosted: Arc<AtomicBool>,
    /// Whether the user was told once that closing keeps keyfob in the tray.
    pub told: bool,
}

impl Tray {
    /// Hands the tray the live sessions (only when they changed).
    pub fn show(&self, sessions: Vec<TraySession>) {
        self.sessions.send_if_modified(|old| {
            let changed = *old != sessions;
            if changed {
                *old = sessions;
            }
            changed
        });
    }

    /// Whether a tray host (a StatusNotifierWatcher) shows the item now: only then may closing
    /// the window keep keyfob running.
    #[must_use]
    pub fn hosted(&self) -> bool {
        self.hosted.load(Ordering::SeqCst)
    }
}

/// Starts the tray on a thread of its own with its own small runtime; its menu's choices come
/// back through `actions`, each followed by `wake` (a repaint, so the window's `logic` runs even
/// while it is hidden). `None` where there is no tray (not Linux, or `KEYFOB_TRAY=0`).
#[must_use]
pub fn start(
    actions: std::sync::mpsc::Sender<TrayAction>,
    wake: Arc<dyn Fn() + Send + Sync>,
    clock: crate::clock::Clock,
) -> Option<Tray> {
    if std::env::var("KEYFOB_TRAY").is_ok_and(|v| v == "0") {
        return None;
    }
    let (tx, rx) = tokio::sync::watch::channel(Vec::new());
    let hosted = Arc::new(AtomicBool::new(false));
    #[cfg(target_os = "linux")]
    {
        linux::spawn(rx, actions, wake, clock, Arc::clone(&hosted));
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (rx, actions, wake, clock);
        tracing::info!("no tray on this platform yet");
        return None;
    }
    #[allow(unreachable_code)]
    Some(Tray {
        sessions: tx,
        hosted,
        told: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_348_800 + secs)
    }

    fn s(name: &str, end: u64) -> TraySession {
        TraySession {
            name: name.to_owned(),
            expires_at: at(end),
        }
    }

    #[test]
    fn the_title_is_the_nearest_end() {
        let list = [s("dev", 3 * 3600), s("prod-admin", 42 * 60), s("old", 0)];
        assert_eq!(title(&list, at(0)), "prod-admin 42 min");
        assert_eq!(title(&list, at(42 * 60 - 30)), "prod-admin under a minute");
        assert_eq!(
            title(&list, at(42 * 60)),
            "dev 2 h 18 min",
            "an ended one is skipped"
        );
        assert_eq!(title(&[], at(0)), "keyfob — no session");
    }

    #[test]
    fn bands_follow_the_window_and_are_said_in_the_tooltip() {
        let list = [s("prod-admin", 14 * 60), s("dev", 3600)];
        assert_eq!(nearest_band(&list, at(0)), Urgency::Soon);
        assert_eq!(nearest_band(&list, at(10 * 60)), Urgency::Urgent);
        assert_eq!(
            nearest_band(&list, at(20 * 60)),
            Urgency::Calm,
            "dev is next"
        );
        assert_eq!(nearest_band(&[], at(0)), Urgency::Calm);
        assert_eq!(
            tooltip(&list, at(0)),
            "prod-admin: 14 min left (ends soon)\ndev: 1 h left"
        );
        assert_eq!(
            tooltip(&[], at(0)),
            "No live session: open keyfob to sign in"
        );
    }
}
