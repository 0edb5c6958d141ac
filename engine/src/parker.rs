//! A parker for application threads: one thread waits, any thread may wake it.
//!
//! A wake-up that arrives before the wait is remembered, so a waiter that checks its work,
//! finds none, and parks cannot miss a wake-up sent in between.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::futex;

const EMPTY: u32 = 0;
const PARKED: u32 = 1;
const NOTIFIED: u32 = 2;

/// Something a waiting thread can be woken through (a [`Parker`], an
/// [`EventCount`](crate::event_count::EventCount)).
pub trait Wake: Send + Sync + std::fmt::Debug {
    /// Wakes the waiter(s).
    fn wake(&self);
}

impl Wake for Parker {
    fn wake(&self) {
        self.unpark();
    }
}

/// A one-waiter, many-wakers parking spot on a futex.
#[derive(Debug, Default)]
pub struct Parker {
    state: AtomicU32,
}

impl Parker {
    /// A parker with no pending wake-up.
    pub const fn new() -> Self {
        Self {
            state: AtomicU32::new(EMPTY),
        }
    }

    /// Waits until [`unpark`](Self::unpark) is called (or was called since the last park
    /// returned) or `deadline` passes. Returns `false` on timeout. Only one thread may park
    /// on a given parker at a time.
    pub fn park(&self, deadline: Option<Instant>) -> bool {
        self.park_after_spin(deadline, Duration::ZERO)
    }

    /// Like [`park`](Self::park), but first watches for the wake-up without sleeping for up
    /// to `spin` (never past `deadline`): a wake-up that comes within it then costs neither
    /// side a syscall, at the price of that much CPU time.
    pub fn park_after_spin(&self, deadline: Option<Instant>, spin: Duration) -> bool {
        if !spin.is_zero() && self.state.load(Ordering::Relaxed) != NOTIFIED {
            let start = Instant::now();
            let until = deadline.map_or(start + spin, |d| d.min(start + spin));
            'spin: loop {
                // Look often, read the clock seldom.
                for _ in 0..16 {
                    if self.state.load(Ordering::Relaxed) == NOTIFIED {
                        break 'spin;
                    }
                    std::hint::spin_loop();
                }
                if Instant::now() >= until {
                    break;
                }
            }
        }
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return true;
        }
        if self
            .state
            .compare_exchange(EMPTY, PARKED, Ordering::Acquire, Ordering::Acquire)
            .is_err()
        {
            // Only a waker could have changed EMPTY, to NOTIFIED.
            self.state.store(EMPTY, Ordering::Release);
            return true;
        }
        loop {
            let timeout = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => {
                        // Timed out; a racing unpark leaves NOTIFIED, which we consume.
                        return self.state.swap(EMPTY, Ordering::Acquire) == NOTIFIED;
                    }
                },
            };
            futex::wait(&self.state, PARKED, timeout);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return true;
            }
        }
    }

    /// Wakes the parked thread, or makes its next [`park`](Self::park) return at once.
    /// Costs a syscall only when the thread is actually parked.
    #[inline]
    pub fn unpark(&self) {
        if self.state.swap(NOTIFIED, Ordering::Release) == PARKED {
            futex::wake_one(&self.state);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn an_early_unpark_is_remembered() {
        let p = Parker::new();
        p.unpark();
        assert!(p.park(Some(Instant::now() + Duration::from_secs(5))));
    }

    #[test]
    fn a_wake_up_during_the_spin_is_taken_without_sleeping() {
        let p = Arc::new(Parker::new());
        let p2 = p.clone();
        let t = std::thread::spawn(move || p2.unpark());
        assert!(p.park_after_spin(
            Some(Instant::now() + Duration::from_secs(5)),
            Duration::from_millis(50)
        ));
        t.join().unwrap();
        // Spinning never outlasts the deadline.
        let start = Instant::now();
        assert!(!p.park_after_spin(Some(start + Duration::from_millis(5)), Duration::from_secs(5)));
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn park_times_out() {
        let p = Parker::new();
        let start = Instant::now();
        assert!(!p.park(Some(start + Duration::from_millis(20))));
        assert!(start.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn unpark_from_another_thread_wakes_the_parked_one() {
        let p = Arc::new(Parker::new());
        let p2 = p.clone();
        let t = std::thread::spawn(move || {
            for _ in 0..if cfg!(miri) { 50 } else { 1000 } {
                p2.park(None);
            }
        });
        // Every unpark is consumed by at most one park; keep unparking until the thread ends.
        while !t.is_finished() {
            p.unpark();
            std::thread::yield_now();
        }
        t.join().unwrap();
    }
}
