//! "Now", in unix seconds: the one clock type. The conversation, the store and the
//! card's generation time all read it through a [`Clock`] passed in, so tests move time
//! by hand and nothing reads the system time behind their back.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The source of "now" in unix seconds. Tests inject one to move time forward.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The real time: unix seconds from the system time (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The system clock, as a [`Clock`].
pub fn system_clock() -> Clock {
    Arc::new(unix_now)
}
