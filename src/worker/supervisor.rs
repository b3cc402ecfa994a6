//! Watches every live session while nobody looks: the 15- and 5-minute warnings, the renewal of
//! chained role sessions, the expiry (of a renewed session's earlier credentials too, which work
//! started with them uses until then), the clipboard deadline and the title's minute ticks run on
//! tokio timers here, never in the frame loop (eframe does not draw a minimized or occluded
//! window). The UI tells the supervisor what it holds; the supervisor acts through [`Effects`]
//! and wakes the UI (for the title's changes, and through the events it sends).
//!
//! Timers sleep at most [`RECHECK`] at a time and compare deadlines with the wall clock: tokio's
//! clock stops while the machine is suspended, a session's expiry does not. A session's end is a
//! moment on the wall clock (AWS's), and is watched on it, whichever way the clock is set. The
//! clipboard's deadline is a delay after the copy instead: it is kept on both clocks and met on
//! whichever comes first, so a wall clock set back an hour does not leave an export on the
//! clipboard for that hour.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::clock::Clock;
pub use crate::message::{Watch, Watched};
use crate::session::TITLE_COUNTS_BELOW;

/// Minutes before expiry at which a desktop notification is sent.
pub const WARN_AT_MINUTES: [u64; 2] = [15, 5];

/// The longest single sleep: deadlines are checked against the wall clock at least this often
/// while anything is watched.
pub const RECHECK: Duration = Duration::from_secs(30);

/// What the supervisor does to the world.
pub trait Effects: Send + Sync {
    /// Shows a desktop notification.
    fn notify(&self, summary: String, body: String);
    /// The credentials of session `name` that end at or before `until` have ended: stop
    /// everything that uses them (a renewed session's new credentials live on).
    fn expired(&self, name: &str, until: SystemTime);
    /// The chained role session `name` is due for renewal: the window chains a fresh one from
    /// its MFA session (its logic runs even while the window is hidden).
    fn renew(&self, name: &str);
    /// Clears the clipboard if it still holds the text with this fingerprint.
    fn clear_clipboard(&self, fingerprint: u64);
    /// The title changes now: let the UI run (its logic runs even while the window is hidden).
    fn wake(&self);
}

#[derive(Debug)]
struct Entry {
    watched: Watched,
    /// The lowest threshold (minutes) announced so far.
    warned: Option<u64>,
    /// Whether the renewal was asked for (once per expiry).
    renew_asked: bool,
    ended: bool,
}

impl Entry {
    /// The renewal not yet asked for, if any: until then the warnings wait.
    fn renewal_pending(&self) -> Option<SystemTime> {
        self.watched.renew_at.filter(|_| !self.renew_asked)
    }
}

/// The supervisor's state, separate from its timer loop so the rules can be tested at any `now`.
#[derive(Debug, Default)]
pub struct Supervisor {
    sessions: HashMap<String, Entry>,
    /// Older generations of renewed sessions, by name and end: work started with them runs on
    /// until they end, and is stopped then.
    retired: Vec<(String, SystemTime)>,
    shown: Option<String>,
    clipboard: Option<Clip>,
    /// When the shown session's title next changes.
    title_at: Option<SystemTime>,
}

/// Text keyfob put on the clipboard: its fingerprint, and when to clear it on the wall clock and
/// on tokio's (monotonic) clock.
#[derive(Clone, Copy, Debug)]
struct Clip {
    fingerprint: u64,
    at: SystemTime,
    by: tokio::time::Instant,
}

impl Clip {
    /// Whether it is due at `now` (wall) or by the monotonic clock.
    fn due(&self, now: SystemTime) -> bool {
        now >= self.at || tokio::time::Instant::now() >= self.by
    }

    /// The earlier deadline, as a moment on the wall clock read at `now`.
    fn next(&self, now: SystemTime) -> SystemTime {
        let left = self
            .by
            .saturating_duration_since(tokio::time::Instant::now());
        self.at.min(now + left)
    }
}

impl Supervisor {
    /// Takes one message from the UI.
    pub fn handle(&mut self, watch: Watch, now: SystemTime, fx: &dyn Effects) {
        match watch {
            Watch::Sessions { sessions, shown } => {
                let mut old = std::mem::take(&mut self.sessions);
                for w in sessions {
                    // A renewed session (new expiry) is warned about afresh; the credentials it
                    // replaced are watched until their own end.
                    let entry = match old.remove(&w.name) {
                        Some(e) if e.watched.expires_at == w.expires_at => {
                            Entry { watched: w, ..e }
                        }
                        previous => {
                            if let Some(p) = previous.filter(|p| !p.ended) {
                                self.retired.push((p.watched.name, p.watched.expires_at));
                            }
                            Entry {
                                watched: w,
                                warned: None,
                                renew_asked: false,
                                ended: false,
                            }
                        }
                    };
                    self.sessions.insert(entry.watched.name.clone(), entry);
                }
                // A session that left the list was signed out: the sign-out stopped its work,
                // every generation's.
                let listed = &self.sessions;
                self.retired.retain(|(name, _)| listed.contains_key(name));
                if shown != self.shown {
                    self.shown = shown;
                    self.title_at = None;
                }
                self.arm_title(now);
            }
            Watch::Clipboard {
                fingerprint,
                clear_at,
            } => {
                let after = clear_at.duration_since(now).unwrap_or_default();
                self.clipboard = Some(Clip {
                    fingerprint,
                    at: clear_at,
                    by: tokio::time::Instant::now() + after,
                });
            }
            Watch::ClearClipboardNow { fingerprint } => {
                if self.clipboard.is_some_and(|c| c.fingerprint == fingerprint) {
                    self.clipboard = None;
                }
                fx.clear_clipboard(fingerprint);
            }
        }
    }

    /// Does everything due at `now`.
    pub fn fire(&mut self, now: SystemTime, fx: &dyn Effects) {
        let mut names: Vec<&String> = self.sessions.keys().collect();
        names.sort(); // the same order every run
        let names: Vec<String> = names.into_iter().cloned().collect();
        for name in names {
            let Some(e) = self.sessions.get_mut(&name) else {
                continue;
            };
            if e.ended {
                continue;
            }
            if now >= e.watched.expires_at {
                e.ended = true;
                fx.expired(&name, e.watched.expires_at);
                continue;
            }
            let left = e.watched.expires_at.duration_since(now).unwrap_or_default();
            match e.renewal_pending() {
                Some(at) if now >= at => {
                    // The thresholds already passed are not announced late: should the renewal
                    // fail, the next warning is the next threshold.
                    e.renew_asked = true;
                    e.warned = crossed(left).into_iter().chain(e.warned).min();
                    fx.renew(&name);
                    continue;
                }
                Some(_) => continue,
                None => {}
            }
            // The lowest threshold crossed: a session restored with 3 minutes left gets one
            // warning, not two.
            let due = crossed(left).filter(|m| e.warned.is_none_or(|w| *m < w));
            if let Some(m) = due {
                e.warned = Some(m);
                fx.notify(
                    format!("AWS session {name} ends in under {m} minutes"),
                    format!(
                        "{}: {} left. Open keyfob and press Renew to sign in with a new code.",
                        e.watched.who,
                        crate::session::countdown_text(left)
                    ),
                );
            }
        }
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.retired)
            .into_iter()
            .partition(|(_, end)| now >= *end);
        self.retired = later;
        for (name, end) in due {
            fx.expired(&name, end);
        }
        if let Some(clip) = self.clipboard
            && clip.due(now)
        {
            self.clipboard = None;
            fx.clear_clipboard(clip.fingerprint);
        }
        if self.title_at.is_some_and(|t| now >= t) {
            self.title_at = None;
            fx.wake();
        }
        self.arm_title(now);
    }

    /// The next moment something is due, if any.
    #[must_use]
    pub fn next_due(&self, now: SystemTime) -> Option<SystemTime> {
        let sessions = self.sessions.values().filter(|e| !e.ended).filter_map(|e| {
            let end = e.watched.expires_at;
            if let Some(at) = e.renewal_pending() {
                return Some(at.max(now).min(end));
            }
            WARN_AT_MINUTES
                .iter()
                .filter(|m| e.warned.is_none_or(|w| **m < w))
                .filter_map(|m| end.checked_sub(minutes(*m)))
                .chain(std::iter::once(end))
                .filter(|t| *t > now)
                .min()
        });
        sessions
            .chain(self.retired.iter().map(|(_, end)| *end))
            .chain(self.clipboard.map(|c| c.next(now)))
            .chain(self.title_at)
            .min()
    }

    /// Whether nothing is left to watch (while something is, the loop re-checks the wall clock every
    /// [`RECHECK`]).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.sessions.values().all(|e| e.ended)
            && self.retired.is_empty()
            && self.clipboard.is_none()
    }

    fn arm_title(&mut self, now: SystemTime) {
        if self.title_at.is_some() {
            return;
        }
        let end = self
            .shown
            .as_ref()
            .and_then(|n| self.sessions.get(n))
            .filter(|e| !e.ended)
            .map(|e| e.watched.expires_at);
        self.title_at = end.map(|end| title_changes_at(end, now));
    }
}

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

/// The lowest warning threshold (minutes) that `left` is within.
fn crossed(left: Duration) -> Option<u64> {
    let crossed = WARN_AT_MINUTES.iter().copied();
    crossed.filter(|m| left <= minutes(*m)).min()
}

/// When the title next changes for a session ending at `end`: it names the end until
/// [`TITLE_COUNTS_BELOW`] is left, then shows whole minutes left ("14 min left", then "under a
/// minute left").
#[must_use]
pub fn title_changes_at(end: SystemTime, now: SystemTime) -> SystemTime {
    let left = end.duration_since(now).unwrap_or_default();
    if left >= TITLE_COUNTS_BELOW {
        return end
            .checked_sub(TITLE_COUNTS_BELOW)
            .map_or(end, |t| t + Duration::from_millis(1));
    }
    let left = left.as_secs();
    if left < 60 {
        return end;
    }
    // "m min" is shown while whole seconds left >= 60 m; one past that it is "m - 1 min".
    let m = left / 60;
    end.checked_sub(Duration::from_secs(m * 60))
        .map_or(end, |t| t + Duration::from_millis(1))
}

/// Runs the supervisor until the UI's sender is dropped.
pub async fn run(mut rx: UnboundedReceiver<Watch>, clock: Clock, fx: Arc<dyn Effects>) {
    let mut s = Supervisor::default();
    loop {
        let now = clock();
        s.fire(now, fx.as_ref());
        let wait = s
            .next_due(now)
            .map(|at| at.duration_since(now).unwrap_or_default());
        let wait = match wait {
            Some(w) => Some(w.min(RECHECK)),
            None if !s.is_idle() => Some(RECHECK),
            None => None,
        };
        let message = match wait {
            Some(w) => match tokio::time::timeout(w, rx.recv()).await {
                Ok(m) => m,
                Err(_elapsed) => continue,
            },
            None => rx.recv().await,
        };
        match message {
            Some(m) => s.handle(m, clock(), fx.as_ref()),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests;
