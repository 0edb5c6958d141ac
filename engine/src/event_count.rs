//! An event count: any number of threads wait for "something happened since I looked", any
//! thread announces it. For sockets shared by several application threads, where a parker
//! (one waiter) does not do.
//!
//! A waiter reads the [`epoch`](EventCount::epoch) *before* checking for work, then waits for
//! it to change; a notification between the two changes it, so the wait returns at once and
//! nothing is missed. Notifying costs a syscall only while somebody waits.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use crate::futex;
use crate::parker::Wake;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct EventCount {
    epoch: AtomicU32,
    waiters: AtomicU32,
}

impl EventCount {
    /// A new event count.
    pub const fn new() -> Self {
        Self {
            epoch: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
        }
    }

    /// The current epoch: read it before looking for work, then [`wait`](Self::wait) on it.
    pub fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Waits until the epoch differs from `seen` or `deadline` passes; `false` on timeout.
    pub fn wait(&self, seen: u32, deadline: Option<Instant>) -> bool {
        // SeqCst pairs with `notify_all`: either it sees this waiter, or we see its epoch.
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let changed = loop {
            if self.epoch.load(Ordering::SeqCst) != seen {
                break true;
            }
            let timeout = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => break self.epoch.load(Ordering::SeqCst) != seen,
                },
            };
            futex::wait(&self.epoch, seen, timeout);
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        changed
    }

    /// Announces an event to every waiter.
    pub fn notify_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            futex::wake_all(&self.epoch);
        }
    }
}

impl Wake for EventCount {
    fn wake(&self) {
        self.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_notification_after_looking_is_not_missed() {
        let ec = EventCount::new();
        let seen = ec.epoch();
        ec.notify_all();
        assert!(ec.wait(seen, None), "returns at once");
        let seen = ec.epoch();
        assert!(!ec.wait(seen, Some(Instant::now() + Duration::from_millis(10))));
    }

    #[test]
    fn every_waiter_is_woken() {
        let ec = Arc::new(EventCount::new());
        let seen = ec.epoch();
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let ec = ec.clone();
                std::thread::spawn(move || ec.wait(seen, None))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        ec.notify_all();
        for w in waiters {
            assert!(w.join().unwrap());
        }
    }
}
