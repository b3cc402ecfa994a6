//! Where keyfob reads the time: the system clock in the app, a settable one in tests. Every
//! expiry decision takes its `now` from one of these, so tests can move time.

use std::sync::Arc;
use std::time::SystemTime;

/// A source of the current time.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system clock.
#[must_use]
pub fn system() -> Clock {
    Arc::new(SystemTime::now)
}
