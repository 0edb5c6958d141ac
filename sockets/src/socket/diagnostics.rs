//! What a socket's connections hold, read on their shard: for tests that hold ringmq to its
//! bounds, and for operators who want to see them.

use std::sync::mpsc;
use std::time::Duration;

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

    /// The socket's transport counters now: zero-copy sends and their notifications.
    pub fn stats(&self) -> StatsSnapshot {
        self.options.stats.snapshot()
    }
}
