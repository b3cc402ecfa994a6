//! Where keyfob reads the time: the system clock in the app, a settable one in tests. Every
//! expiry decision takes its `now` from one of these, so tests can move time.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// A source of the current time.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system clock.
#[must_use]
pub fn system() -> Clock {
    Arc::new(SystemTime::now)
}

/// Lets something happen at most once per interval (the first time at once): progress and
/// counting reports, which would otherwise flood the window or the terminal.
#[derive(Debug)]
pub struct Throttle {
    every: Duration,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    #[must_use]
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            last: Mutex::new(None),
        }
    }

    /// Whether it may happen now (and, if so, it counts as having happened).
    pub fn ready(&self) -> bool {
        // A panic while the lock was held leaves only a time behind: use it as it is.
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_some_and(|t| t.elapsed() < self.every) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_lets_the_first_through_then_waits() {
        let hour = Throttle::new(Duration::from_secs(3600));
        assert!(hour.ready());
        assert!(!hour.ready());
        let never = Throttle::new(Duration::ZERO);
        assert!(never.ready() && never.ready());
    }
}
