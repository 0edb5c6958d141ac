//! Counters of what a socket's connections did, kept per socket and updated on its shard
//! with relaxed atomic adds (no ordering is promised between counters; each is exact).

use std::sync::atomic::{AtomicU64, Ordering};

/// A socket's transport counters (shared by the socket and its sessions).
#[derive(Debug, Default)]
pub struct TransportStats {
    zerocopy_sends: AtomicU64,
    zerocopy_notifications: AtomicU64,
}

/// The counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Batches the kernel took with SEND_ZC, in place (see `set_zerocopy_threshold`; a
    /// socket that refuses zero-copy, as Unix-domain ones do, counts none).
    pub zerocopy_sends: u64,
    /// SEND_ZC notifications received: the kernel let go of a zero-copy batch.
    pub zerocopy_notifications: u64,
}

impl TransportStats {
    /// The kernel took a batch with SEND_ZC.
    pub fn count_zerocopy_send(&self) {
        self.zerocopy_sends.fetch_add(1, Ordering::Relaxed);
    }

    /// A zero-copy send's notification arrived.
    pub fn count_zerocopy_notification(&self) {
        self.zerocopy_notifications.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            zerocopy_sends: self.zerocopy_sends.load(Ordering::Relaxed),
            zerocopy_notifications: self.zerocopy_notifications.load(Ordering::Relaxed),
        }
    }
}
