//! When an event's delivery is tried again: Svix's schedule (<https://docs.svix.com/retries>), immediately, then
//! 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure; `WXGATE_EVENTS_SCHEDULE` may set another.

/// The waits before each attempt, in seconds; the first is the first attempt's (0: at once).
pub const SVIX: [u64; 8] = [
    0,
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    10 * 3600,
];

/// The delivery schedule: how long to wait before each attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(Vec<u64>);

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule(SVIX.to_vec())
    }
}

impl Schedule {
    /// A schedule of these waits; none if empty.
    pub fn new(waits: Vec<u64>) -> Option<Schedule> {
        (!waits.is_empty()).then_some(Schedule(waits))
    }

    /// The wait before the next attempt after `attempts` have failed, or `None` when the schedule is spent.
    pub fn wait_after(&self, attempts: i64) -> Option<i64> {
        let next = usize::try_from(attempts).ok()?;
        self.0
            .get(next)
            .map(|seconds| i64::try_from(*seconds).unwrap_or(i64::MAX))
    }

    /// How many attempts the schedule makes.
    pub fn attempts(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_svix_and_ends_after_eight_attempts() {
        let schedule = Schedule::default();
        assert_eq!(schedule.attempts(), 8);
        assert_eq!(schedule.wait_after(1), Some(5));
        assert_eq!(schedule.wait_after(2), Some(300));
        assert_eq!(schedule.wait_after(7), Some(36_000));
        assert_eq!(schedule.wait_after(8), None);
        assert_eq!(Schedule::new(Vec::new()), None);
    }
}
