//! What a socket's connections hold, read on their shard: for tests that hold ringmq to its
//! bounds, and for operators who want to see them.

use std::sync::mpsc;
use std::time::Duration;

use ringmq_transports::monitor::EventKind;
use ringmq_transports::stats::StatsSnapshot;
use ringmq_transports::transport::buffered_octets;
use ringmq_transports::{Error, Result};

use super::Socket;

/// How long a detached socket waits for its shard to answer.
const SHARD_ANSWER: Duration = Duration::from_secs(5);

impl Socket {
    /// Octets this socket's tcp:// and ipc:// connections hold on their shard besides the
    /// messages queued for or from them (those are bounded by SNDHWM and RCVHWM): what the
    /// protocol owes each peer (greeting, handshake commands, one PONG at most, an ERROR),
    /// the frame being received, input held back while the socket's queue is full, and write
    /// batches. Every part has a bound no peer can move (docs/architecture.md, "Bounds"), so
    /// a peer that floods commands, never reads or lies about sizes cannot make this grow
    /// past them.
    ///
    /// ```
    /// use ringmq_sockets::{Context, SocketType};
    /// let ctx = Context::new()?;
    /// let mut pull = ctx.socket(SocketType::Pull)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// assert_eq!(pull.buffered_bytes()?, 0);
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn buffered_bytes(&mut self) -> Result<usize> {
        self.check_term()?;
        let socket = self.id;
        if self.attached.is_some() {
            return ringmq_engine::attached::run_now(&self.shard, |cx| buffered_octets(cx, socket))
                .ok_or(Error::InvalidState(super::OUTSIDE_ITS_SHARD));
        }
        let (answer, answered) = mpsc::sync_channel(1);
        self.shard.run(move |cx| {
            let _ = answer.send(buffered_octets(cx, socket));
        });
        answered.recv_timeout(SHARD_ANSWER).map_err(|_| Error::Again)
    }

    /// The socket's counters now: messages and octets sent and received, messages peers
    /// missed at SNDHWM, connections accepted and made, reconnect attempts, disconnects,
    /// failed handshakes by kind, and zero-copy sends. Counted whether or not a monitor runs.
    ///
    /// ```
    /// use ringmq_sockets::{Context, Flags, SocketType};
    /// let ctx = Context::new()?;
    /// let mut pull = ctx.socket(SocketType::Pull)?;
    /// pull.bind("inproc://counted")?;
    /// let mut push = ctx.socket(SocketType::Push)?;
    /// push.connect("inproc://counted")?;
    /// push.send_multipart(["two", "frames"], Flags::NONE)?;
    /// pull.recv_multipart(Flags::NONE)?;
    /// let (sent, received) = (push.stats(), pull.stats());
    /// assert_eq!((sent.messages_sent, sent.bytes_sent), (1, 9));
    /// assert_eq!((received.messages_received, received.bytes_received), (1, 9));
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn stats(&self) -> StatsSnapshot {
        let events = &self.options.events;
        let mut stats = self.options.stats.snapshot();
        stats.messages_sent = self.traffic.messages_sent;
        stats.bytes_sent = self.traffic.bytes_sent;
        stats.messages_received = self.traffic.messages_received;
        stats.bytes_received = self.traffic.bytes_received;
        stats.dropped_at_hwm = self.pipes.hwm_drops();
        stats.connections_accepted = events.count(EventKind::Accepted);
        stats.connections_made = events.count(EventKind::Connected);
        stats.reconnects = events.count(EventKind::ConnectRetried);
        stats.disconnects = events.count(EventKind::Disconnected);
        stats.handshake_failures_no_detail = events.count(EventKind::HandshakeFailedNoDetail);
        stats.handshake_failures_protocol = events.count(EventKind::HandshakeFailedProtocol);
        stats.handshake_failures_auth = events.count(EventKind::HandshakeFailedAuth);
        stats
    }
}

/// What the application moved through the socket, counted on its own thread.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    messages_sent: u64,
    bytes_sent: u64,
    messages_received: u64,
    bytes_received: u64,
}

impl Traffic {
    /// A frame of `len` octets went out; the message ends with it unless `more`.
    pub(crate) fn sent(&mut self, len: usize, more: bool) {
        self.bytes_sent += len as u64;
        self.messages_sent += u64::from(!more);
    }

    /// A frame of `len` octets came in; the message ends with it unless `more`.
    pub(crate) fn received(&mut self, len: usize, more: bool) {
        self.bytes_received += len as u64;
        self.messages_received += u64::from(!more);
    }
}
