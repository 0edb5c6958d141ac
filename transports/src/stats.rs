//! Counters of what a socket's connections did, kept per socket and updated on its shard
//! with relaxed atomic adds (no ordering is promised between counters; each is exact).

use std::sync::atomic::{AtomicU64, Ordering};

/// A socket's transport counters (shared by the socket and its sessions).
#[derive(Debug, Default)]
pub struct TransportStats {
    zerocopy_sends: AtomicU64,
    zerocopy_notifications: AtomicU64,
}

/// A socket's counters at one moment (`Socket::stats`). Each is exact; no ordering is
/// promised between them, as they are kept on different threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Messages the application sent (whole messages, however many frames).
    pub messages_sent: u64,
    /// Octets of the frames it sent.
    pub bytes_sent: u64,
    /// Messages the application received.
    pub messages_received: u64,
    /// Octets of the frames it received.
    pub bytes_received: u64,
    /// Messages a peer missed because its pipe was at SNDHWM (PUB, XPUB, RADIO, and ROUTER
    /// without ROUTER_MANDATORY drop then): one per peer that missed a message.
    pub dropped_at_hwm: u64,
    /// Connections a listener of this socket accepted.
    pub connections_accepted: u64,
    /// Connections this socket's connects completed.
    pub connections_made: u64,
    /// Connect attempts scheduled after a failed or lost connection (CONNECT_RETRIED).
    pub reconnects: u64,
    /// Connections that broke after or during their handshake (DISCONNECTED).
    pub disconnects: u64,
    /// Handshakes that failed on I/O or a timeout (HANDSHAKE_FAILED_NO_DETAIL).
    pub handshake_failures_no_detail: u64,
    /// Handshakes that failed on a protocol error (HANDSHAKE_FAILED_PROTOCOL).
    pub handshake_failures_protocol: u64,
    /// Handshakes refused by authentication (HANDSHAKE_FAILED_AUTH).
    pub handshake_failures_auth: u64,
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
            ..StatsSnapshot::default()
        }
    }
}
