//! The supervisor run on tokio's paused clock (hours of timers in no time), and the title's ticks.

use super::*;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Did {
    Notify(String),
    /// The session's name and the end (seconds after t0) of the credentials that ended.
    Expired(String, u64),
    Renew(String),
    Clear(u64),
    Wake,
}

#[derive(Default)]
struct Log(
    Mutex<Vec<(Duration, Did)>>,
    Mutex<Option<(tokio::time::Instant, SystemTime)>>,
);

impl Log {
    fn at(&self) -> Duration {
        let base = self.1.lock().unwrap();
        let (start, _) = base.expect("the clock is set");
        tokio::time::Instant::now() - start
    }
    fn push(&self, d: Did) {
        let at = self.at();
        self.0.lock().unwrap().push((at, d));
    }
    fn take(&self) -> Vec<(Duration, Did)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Effects for Log {
    fn notify(&self, summary: String, _body: String) {
        self.push(Did::Notify(summary));
    }
    fn expired(&self, name: &str, until: SystemTime) {
        let t0 = self.1.lock().unwrap().expect("the clock is set").1;
        let until = until.duration_since(t0).unwrap().as_secs();
        self.push(Did::Expired(name.to_owned(), until));
    }
    fn renew(&self, name: &str) {
        self.push(Did::Renew(name.to_owned()));
    }
    fn clear_clipboard(&self, fingerprint: u64) {
        self.push(Did::Clear(fingerprint));
    }
    fn wake(&self) {
        self.push(Did::Wake);
    }
}

/// A supervisor on tokio's paused clock: the wall clock is tokio's time since the start.
fn start() -> (
    tokio::sync::mpsc::UnboundedSender<Watch>,
    Arc<Log>,
    SystemTime,
) {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let log = Arc::new(Log::default());
    *log.1.lock().unwrap() = Some((tokio::time::Instant::now(), t0));
    let start = tokio::time::Instant::now();
    let clock: Clock = Arc::new(move || t0 + (tokio::time::Instant::now() - start));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(run(rx, clock, log.clone() as Arc<dyn Effects>));
    (tx, log, t0)
}

fn watched(name: &str, t0: SystemTime, secs: u64) -> Watched {
    Watched {
        name: name.to_owned(),
        who: format!("{name}-user"),
        expires_at: t0 + Duration::from_secs(secs),
        renew_at: None,
    }
}

fn notes(log: &[(Duration, Did)]) -> Vec<(u64, Did)> {
    log.iter()
        .filter(|(_, d)| *d != Did::Wake)
        .map(|(t, d)| (t.as_secs(), d.clone()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn every_session_is_warned_at_15_and_5_minutes_and_ends_shown_or_not() {
    let (tx, log, t0) = start();
    tx.send(Watch::Sessions {
        sessions: vec![
            watched("shown", t0, 20 * 60),
            watched("hidden", t0, 16 * 60),
        ],
        shown: Some("shown".into()),
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(21 * 60)).await;
    let n = |s: &str| Did::Notify(s.to_owned());
    assert_eq!(
        notes(&log.take()),
        vec![
            (60, n("AWS session hidden ends in under 15 minutes")),
            (5 * 60, n("AWS session shown ends in under 15 minutes")),
            (11 * 60, n("AWS session hidden ends in under 5 minutes")),
            (15 * 60, n("AWS session shown ends in under 5 minutes")),
            (16 * 60, Did::Expired("hidden".into(), 16 * 60)),
            (20 * 60, Did::Expired("shown".into(), 20 * 60)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_session_restored_inside_5_minutes_gets_one_warning() {
    let (tx, log, t0) = start();
    tx.send(Watch::Sessions {
        sessions: vec![watched("late", t0, 3 * 60)],
        shown: None,
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(10 * 60)).await;
    assert_eq!(
        notes(&log.take()),
        vec![
            (
                0,
                Did::Notify("AWS session late ends in under 5 minutes".into())
            ),
            (180, Did::Expired("late".into(), 180)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_renewed_session_is_warned_again_its_old_credentials_end_on_time_and_a_removed_one_is_dropped()
 {
    let (tx, log, t0) = start();
    tx.send(Watch::Sessions {
        sessions: vec![watched("a", t0, 10 * 60), watched("gone", t0, 10 * 60)],
        shown: None,
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    // Renewed: a fresh hour from t0 + 60 s; "gone" was signed out.
    tx.send(Watch::Sessions {
        sessions: vec![watched("a", t0, 61 * 60)],
        shown: None,
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(62 * 60)).await;
    let got = notes(&log.take());
    assert_eq!(
        got,
        vec![
            (
                0,
                Did::Notify("AWS session a ends in under 15 minutes".into())
            ),
            (
                0,
                Did::Notify("AWS session gone ends in under 15 minutes".into())
            ),
            // The work still using the credentials the renewal replaced is stopped at their end;
            // "gone" was signed out (its work stopped then), so nothing more is said of it.
            (10 * 60, Did::Expired("a".into(), 10 * 60)),
            (
                46 * 60,
                Did::Notify("AWS session a ends in under 15 minutes".into())
            ),
            (
                56 * 60,
                Did::Notify("AWS session a ends in under 5 minutes".into())
            ),
            (61 * 60, Did::Expired("a".into(), 61 * 60)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_clipboard_is_cleared_at_its_deadline_or_at_once_on_sign_out() {
    let (tx, log, t0) = start();
    tx.send(Watch::Clipboard {
        fingerprint: 7,
        clear_at: t0 + Duration::from_secs(60),
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(notes(&log.take()), vec![(60, Did::Clear(7))]);

    tx.send(Watch::Clipboard {
        fingerprint: 8,
        clear_at: t0 + Duration::from_secs(240),
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    tx.send(Watch::ClearClipboardNow { fingerprint: 8 })
        .unwrap();
    tokio::time::sleep(Duration::from_secs(300)).await;
    assert_eq!(
        notes(&log.take()),
        vec![(130, Did::Clear(8))],
        "cleared at sign-out, and not again at the old deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn the_ui_is_woken_once_a_minute_for_the_shown_session_only() {
    let (tx, log, t0) = start();
    // 10 min 30 s left: the title says "10 min" until 30 s from now, then a tick a minute.
    tx.send(Watch::Sessions {
        sessions: vec![watched("shown", t0, 630), watched("other", t0, 3600)],
        shown: Some("shown".into()),
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(5 * 60)).await;
    let wakes: Vec<u64> = log
        .take()
        .iter()
        .filter(|(_, d)| *d == Did::Wake)
        .map(|(t, _)| t.as_secs())
        .collect();
    assert_eq!(wakes, vec![30, 90, 150, 210, 270]);
}

#[test]
fn the_title_holds_still_above_15_minutes_then_ticks_on_whole_minutes_left() {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
    let end = t0 + Duration::from_secs(2 * 3600 + 20);
    // Above 15 minutes the title names the end: its next change is the switch to counting.
    let next = title_changes_at(end, t0);
    assert_eq!(
        next,
        end - Duration::from_secs(15 * 60) + Duration::from_millis(1)
    );
    assert_eq!(
        title_changes_at(end, end - Duration::from_secs(15 * 60)),
        next
    );
    // Then a change a minute: 14 min 20 s left says "14 min" until 20 s on.
    let at = end - Duration::from_secs(14 * 60 + 20);
    let next = title_changes_at(end, at);
    assert_eq!(end.duration_since(next).unwrap().as_secs(), 14 * 60 - 1);
    assert_eq!(title_changes_at(end, end - Duration::from_secs(30)), end);
}

fn chained(name: &str, t0: SystemTime, secs: u64, renew_before: u64) -> Watched {
    let w = watched(name, t0, secs);
    let renew_at = w.expires_at.checked_sub(Duration::from_secs(renew_before));
    Watched { renew_at, ..w }
}

#[tokio::test(start_paused = true)]
async fn a_chained_role_is_renewed_before_its_warnings_and_each_renewal_is_asked_once() {
    let (tx, log, t0) = start();
    let watch = |sessions| Watch::Sessions {
        sessions,
        shown: None,
    };
    // Ends in an hour, renewed 10 min before: no 15-minute warning first.
    tx.send(watch(vec![chained("role", t0, 3600, 600)]))
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3000 + 120)).await;
    assert_eq!(notes(&log.take()), vec![(3000, Did::Renew("role".into()))]);
    // The window renewed it: a fresh hour from t0 + 50 min; asked again 10 min before its end.
    tx.send(watch(vec![chained("role", t0, 3000 + 3600, 600)]))
        .unwrap();
    tokio::time::sleep(Duration::from_secs(6060 - 3120)).await;
    assert_eq!(
        notes(&log.take()),
        vec![
            // What still used the first hour's credentials stops at their end.
            (3600, Did::Expired("role".into(), 3600)),
            (6000, Did::Renew("role".into())),
        ]
    );
    // Not renewed this time: the 15-minute threshold has passed unannounced, the 5-minute
    // warning and the end come on time.
    tokio::time::sleep(Duration::from_secs(1200)).await;
    assert_eq!(
        notes(&log.take()),
        vec![
            (
                6300,
                Did::Notify("AWS session role ends in under 5 minutes".into())
            ),
            (6600, Did::Expired("role".into(), 6600)),
        ]
    );
}

/// A supervisor whose wall clock the test sets forward or back (a suspend and resume, a clock
/// corrected by an hour): tokio's paused time, plus the shift. The log's times are tokio's.
fn start_shifting() -> (
    tokio::sync::mpsc::UnboundedSender<Watch>,
    Arc<Log>,
    SystemTime,
    Arc<std::sync::atomic::AtomicI64>,
) {
    use std::sync::atomic::{AtomicI64, Ordering};
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let log = Arc::new(Log::default());
    *log.1.lock().unwrap() = Some((tokio::time::Instant::now(), t0));
    let start = tokio::time::Instant::now();
    let shift = Arc::new(AtomicI64::new(0));
    let by = Arc::clone(&shift);
    let clock: Clock = Arc::new(move || {
        let t = t0 + (tokio::time::Instant::now() - start);
        let s = by.load(Ordering::SeqCst);
        let d = Duration::from_secs(s.unsigned_abs());
        if s >= 0 { t + d } else { t - d }
    });
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(run(rx, clock, log.clone() as Arc<dyn Effects>));
    (tx, log, t0, shift)
}

#[tokio::test(start_paused = true)]
async fn after_a_suspend_of_an_hour_what_fell_due_meanwhile_happens_within_a_recheck() {
    let (tx, log, t0, shift) = start_shifting();
    let n = |s: &str| Did::Notify(s.to_owned());
    tx.send(Watch::Sessions {
        sessions: vec![
            // Ends during the suspend.
            watched("a", t0, 50 * 60),
            // Is 14 minutes from its end on resume.
            watched("b", t0, 75 * 60),
            // A chained role due for renewal (10 minutes before its end) during the suspend.
            chained("c", t0, 70 * 60, 10 * 60),
        ],
        shown: None,
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(45)).await;
    assert_eq!(
        notes(&log.take()),
        vec![],
        "nothing due in the first minute"
    );
    // The machine sleeps for an hour: tokio's clock stood still, the wall clock did not.
    shift.store(3600, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(20 * 60)).await;
    let got = notes(&log.take());
    assert_eq!(
        got,
        vec![
            // At the next re-check after the resume (at most RECHECK, 30 s, after it, at
            // 45 s): the ended session is
            // stopped with no warning late, the one 14 minutes from its end is warned once,
            // and the renewal is asked for, its passed warnings not announced late.
            (60, Did::Expired("a".into(), 50 * 60)),
            (60, n("AWS session b ends in under 15 minutes")),
            (60, Did::Renew("c".into())),
            // Then on time by the wall clock: c's renewal never came.
            (300, n("AWS session c ends in under 5 minutes")),
            (600, n("AWS session b ends in under 5 minutes")),
            (600, Did::Expired("c".into(), 70 * 60)),
            (900, Did::Expired("b".into(), 75 * 60)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_wall_clock_set_back_an_hour_delays_no_clipboard_clearing_and_repeats_no_warning() {
    let (tx, log, t0, shift) = start_shifting();
    let n = |s: &str| Did::Notify(s.to_owned());
    tx.send(Watch::Sessions {
        sessions: vec![watched("s", t0, 20 * 60), watched("w", t0, 15 * 60 + 30)],
        shown: None,
    })
    .unwrap();
    // An export copied now, to be cleared in a minute.
    tx.send(Watch::Clipboard {
        fingerprint: 9,
        clear_at: t0 + Duration::from_secs(60),
    })
    .unwrap();
    tokio::time::sleep(Duration::from_secs(45)).await;
    // The wall clock is set back an hour.
    shift.store(-3600, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(5000)).await;
    assert_eq!(
        notes(&log.take()),
        vec![
            (30, n("AWS session w ends in under 15 minutes")),
            // A minute after the copy, as promised: not an hour and a minute.
            (60, Did::Clear(9)),
            // A session's end is a moment on the wall clock (AWS's): its warnings and its end
            // follow the clock as set, an hour later, and w's 15-minute warning, given before
            // the clock went back, is not given again when the clock reaches it a second time.
            (3900, n("AWS session s ends in under 15 minutes")),
            (4230, n("AWS session w ends in under 5 minutes")),
            (4500, n("AWS session s ends in under 5 minutes")),
            (4530, Did::Expired("w".into(), 15 * 60 + 30)),
            (4800, Did::Expired("s".into(), 20 * 60)),
        ]
    );
}
