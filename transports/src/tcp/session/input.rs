//! Input: received octets through the codec into the pipe, published once per received
//! chunk, and the back-pressure of a full socket queue.
//!
//! When the socket's queue reaches RCVHWM the session stops decoding, keeps the undecoded
//! octets ([`Backlog`](crate::tcp::conn::Backlog)), stops its receive (TCP flow control then
//! pushes back on the peer) and resumes when the socket has drained the queue to half. It
//! never stops reading because output is blocked: two peers that write to each other
//! without reading would deadlock, and what input makes us owe the peer is bounded
//! ([`owed`](crate::zmtp)) instead.

use std::time::Instant;

use ringmq_engine::ShardCx;
use ringmq_engine::task::Completion;

use super::{Link, Session};
use crate::msg::Msg;
use crate::zmtp::Event;

/// Whether received octets are decoded as they come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Input {
    /// Decoding as octets arrive.
    Flowing,
    /// The socket's queue is full: received octets wait undecoded in the backlog, and the
    /// receive is stopped.
    HeldBack,
    /// Held back, and the connection ended meanwhile (the peer closed, or the receive
    /// failed): the backlog is delivered first, then the connection closes for this reason,
    /// as libzmq keeps its engine until its input is consumed.
    HeldBackThenEnd(String),
}

impl Session {
    pub(super) fn on_recv(&mut self, cx: &mut ShardCx<'_>, c: Completion) {
        let now = cx.now();
        if let Some(io) = self.link.io() {
            io.on_recv_completion(c.more());
        }
        if let Link::Draining { io, .. } = &mut self.link {
            // Half-closed: what the peer still sends is dropped, and its end ends the wait.
            match c.result {
                n if n > 0 => {
                    if let Some(bid) = c.buffer_id() {
                        cx.buffers().recycle(bid);
                    }
                    io.arm_recv(cx, self.me);
                }
                e if e == -libc::ENOBUFS => io.arm_recv(cx, self.me),
                _ => self.finish_draining(cx),
            }
            return;
        }
        if c.result > 0 {
            let bid = c.buffer_id().expect("a provided-buffer receive names its buffer");
            if self.link.open_conn().is_none() {
                // Closing: nothing is read any more.
                cx.buffers().recycle(bid);
                return;
            }
            let outcome = {
                let data = cx.buffers().buffer(bid, c.result as usize);
                self.feed(data, now).map(|used| {
                    if let Some(conn) = self.link.open_conn().filter(|_| used < data.len()) {
                        conn.backlog.push(&data[used..]);
                    }
                })
            };
            cx.buffers().recycle(bid);
            match outcome {
                Err(reason) => self.fail(cx, &reason),
                Ok(()) => self.after_input(cx),
            }
            return;
        }
        let reason = match c.result {
            // ENOBUFS: the shard's buffers ran out; they come back within the turn.
            // ECANCELED: we stopped the receive ourselves.
            e if e == -libc::ENOBUFS || e == -libc::ECANCELED => return self.after_input(cx),
            0 => "connection closed by peer".to_string(),
            e => std::io::Error::from_raw_os_error(-e).to_string(),
        };
        if let Some(conn) = self.link.open_conn() {
            if conn.input == Input::HeldBack {
                // Octets received before the end are held back for a full queue: they are
                // delivered first, and the connection closes once they are.
                conn.input = Input::HeldBackThenEnd(reason);
                return;
            }
        }
        self.fail(cx, &reason);
    }

    /// Decodes received octets into the pipe, publishing once at the end, and returns how
    /// many it took. When the socket's queue is full it stops: the caller keeps the rest in
    /// the backlog until the queue has room.
    fn feed(&mut self, data: &[u8], now: Instant) -> Result<usize, String> {
        let mut pos = 0;
        while pos < data.len() {
            let up = self.link.is_up();
            let Some(conn) = self.link.open_conn() else {
                // The connection closed under the decoding (a refused peer): drop the rest.
                return Ok(data.len());
            };
            if conn.input != Input::Flowing {
                conn.codec.saw_traffic();
                break;
            }
            if up {
                if let Some(p) = self.pipe.as_mut() {
                    if !p.can_write() {
                        p.flush();
                        if p.sleep_writer() {
                            conn.input = Input::HeldBack;
                        }
                        continue;
                    }
                }
            }
            let (used, event) = conn.codec.decode(&data[pos..], now).map_err(|e| e.to_string())?;
            pos += used;
            let lingering = self.is_lingering();
            match event {
                None => {}
                // While lingering nobody reads incoming messages: they are dropped.
                Some(Event::Message(_) | Event::Subscribe(_) | Event::Cancel(_)) if lingering => {}
                Some(Event::Message(msg)) => {
                    if let Some(p) = self.pipe.as_mut() {
                        p.write(msg);
                    }
                }
                Some(Event::Ready(peer)) => self.on_handshake_done(peer)?,
                // Publishers see every subscription in the message form, whichever way the
                // peer sent it (RFC 29 / RFC 37).
                Some(Event::Subscribe(topic)) => {
                    if let Some(p) = self.pipe.as_mut() {
                        p.write(Msg::subscription(true, &topic));
                    }
                }
                Some(Event::Cancel(topic)) => {
                    if let Some(p) = self.pipe.as_mut() {
                        p.write(Msg::subscription(false, &topic));
                    }
                }
            }
        }
        if let Some(p) = self.pipe.as_mut() {
            p.flush();
        }
        Ok(pos)
    }

    /// After input was handled: stop the receive if the socket's queue is full, otherwise
    /// keep it armed; send what the codec produced (PONG) and re-arm its timers.
    pub(super) fn after_input(&mut self, cx: &mut ShardCx<'_>) {
        let me = self.me;
        let up = self.link.is_up();
        let Some(conn) = self.link.open_conn() else {
            return;
        };
        if conn.input == Input::Flowing {
            conn.io.arm_recv(cx, me);
        } else {
            // The cancellation's final completion leaves the receive idle.
            conn.io.cancel_recv(cx, me);
        }
        if conn.codec.has_control() || up {
            self.request_flush(cx);
        }
        self.rearm_timer(cx);
    }

    /// The socket made room: decode what was held back and start receiving again.
    pub(super) fn resume_input(&mut self, cx: &mut ShardCx<'_>) {
        let Some(conn) = self.link.open_conn() else {
            return;
        };
        if conn.input == Input::Flowing {
            return;
        }
        if let Some(p) = self.pipe.as_mut() {
            if !p.can_write() && p.sleep_writer() {
                return;
            }
        }
        let ended = match std::mem::replace(&mut conn.input, Input::Flowing) {
            Input::HeldBackThenEnd(reason) => Some(reason),
            _ => None,
        };
        let mut backlog = std::mem::take(&mut conn.backlog);
        match self.feed(backlog.unread(), cx.now()) {
            Err(reason) => return self.fail(cx, &reason),
            Ok(used) => backlog.consume(used),
        }
        let Some(conn) = self.link.open_conn() else {
            return;
        };
        // Nothing can have been added meanwhile: only a receive completion adds to it.
        debug_assert!(conn.backlog.is_empty());
        conn.backlog = backlog;
        match (ended, conn.input == Input::Flowing) {
            // Everything held back is delivered: now the connection ends.
            (Some(reason), true) => self.fail(cx, &reason),
            (ended, _) => {
                if let Some(reason) = ended {
                    // Still held back: the end waits for the rest.
                    conn.input = Input::HeldBackThenEnd(reason);
                }
                self.after_input(cx);
            }
        }
    }
}
