//! Input: received chunks through the connection's flow rules ([`Flow`](crate::flow::Flow):
//! decoding, RCVHWM back-pressure, held-back octets) into the pipe, and the receive
//! operation that follows them: armed while input flows, stopped while it is held back.
//!
//! A large message body is received in place: once its header is in and at least
//! [`IN_PLACE_BODY_MIN`] octets of it are still to come, the multishot receive stops and
//! single receives write straight into the body's buffer (lent by the codec), which saves
//! copying every octet out of the shard's provided buffers. After such a frame the
//! connection receives one chunk at a time ([`RecvMode::LargeBodies`]) until a chunk brings
//! no large body: stopping a multishot receive takes a while, and its completions carry
//! part of the body meanwhile.

use std::time::Instant;

use ringmq_engine::task::Completion;
use ringmq_engine::{ShardCx, TaskId};

use super::{Conn, Failure, Link, Session};
use crate::flow::{Input, InputEnd};
use crate::tcp::conn::RecvState;

/// A message body with at least this many octets still to come is received in place.
/// Below it, stopping the multishot receive and arming it again costs more than the copy
/// out of provided buffers it saves (the shard's buffers are 32 KiB each).
pub(super) const IN_PLACE_BODY_MIN: usize = 128 << 10;

/// How the receive is armed when no large body wants one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum RecvMode {
    /// Multishot: frames that fit in provided buffers come as a stream.
    #[default]
    Stream,
    /// The last frame was received in place: one chunk at a time, so the next large body
    /// is received in place right after its header.
    LargeBodies,
}

impl Conn {
    /// While input flows: receives the large body being received in place (stopping the
    /// multishot receive first), or keeps the multishot receive armed.
    pub(super) fn keep_receiving(&mut self, cx: &mut ShardCx<'_>, me: TaskId) {
        let in_place = self.flow.body_wanted().is_some_and(|n| n >= IN_PLACE_BODY_MIN);
        match self.io.recv_state() {
            RecvState::Busy => {}
            RecvState::Armed if in_place => self.io.cancel_recv(cx, me),
            RecvState::Armed => {}
            RecvState::Idle => match self.flow.lend_body(IN_PLACE_BODY_MIN) {
                Some(loan) => {
                    // Waiting for the whole body in one receive is only right when nothing
                    // watches for the peer's silence meanwhile (heartbeats, a TTL).
                    let wait_all = !self.flow.codec().watches_for_silence();
                    self.io.submit_body_recv(cx, me, loan.body, loan.want, wait_all);
                    self.recv_mode = RecvMode::LargeBodies;
                }
                None => {
                    let one_chunk = self.recv_mode == RecvMode::LargeBodies;
                    self.recv_mode = RecvMode::Stream;
                    self.io.arm_recv_with(cx, me, one_chunk);
                }
            },
        }
    }
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
                // Out of buffers for a moment, or the receive that input held back was
                // cancelled: receive again.
                e if e == -libc::ENOBUFS || e == -libc::ECANCELED => io.arm_recv(cx, self.me),
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
                        conn.flow.hold(&data[used..]);
                    }
                })
            };
            cx.buffers().recycle(bid);
            match outcome {
                Err(why) => self.fail(cx, why),
                Ok(()) => self.after_input(cx),
            }
            return;
        }
        self.on_recv_failed(cx, c.result);
    }

    /// A receive ended without data (`result` is 0 or a negated errno): receive again
    /// after a passing shortage, otherwise the connection ends.
    fn on_recv_failed(&mut self, cx: &mut ShardCx<'_>, result: i32) {
        let end = match result {
            // ENOBUFS: the shard's buffers ran out; they come back within the turn.
            // ECANCELED: we stopped the receive ourselves. EINTR: try again.
            e if e == -libc::ENOBUFS || e == -libc::ECANCELED || e == -libc::EINTR => {
                return self.after_input(cx);
            }
            0 => InputEnd::PeerClosed,
            e => InputEnd::Failed(-e),
        };
        // Octets received before the end and held back for a full queue are delivered
        // first; the connection closes once they are.
        let waits = self
            .link
            .open_conn()
            .is_some_and(|conn| conn.flow.end_after_backlog(end));
        if !waits {
            self.fail(cx, Failure::Input(end));
        }
    }

    /// A receive into a lent body completed: the body goes back to the codec with what
    /// arrived, and a frame it completed to the pipe.
    pub(super) fn on_body_recv(&mut self, cx: &mut ShardCx<'_>, c: Completion) {
        let me = self.me;
        let Some(io) = self.link.io() else {
            return;
        };
        let body = io.on_body_recv(c.result);
        if let Link::Draining { io, .. } = &mut self.link {
            // The body of a message nobody reads any more: dropped; draining goes on.
            drop(body);
            return match c.result {
                n if n > 0 || n == -libc::ECANCELED || n == -libc::EINTR => io.arm_recv(cx, me),
                _ => self.finish_draining(cx),
            };
        }
        let stage = self.stage();
        let Some(conn) = self.link.open_conn() else {
            // Closing: nothing is read any more.
            return;
        };
        let pipe = self.pipe.as_mut();
        match conn.flow.return_body(body, cx.now(), stage, pipe) {
            Err(e) => self.fail(cx, Failure::Protocol(e)),
            Ok(_) if c.result > 0 => self.after_input(cx),
            Ok(_) => self.on_recv_failed(cx, c.result),
        }
    }

    /// Decodes received octets into the pipe and returns how many it took; completes the
    /// handshake on the way if it ends in them. When the socket's queue is full it stops:
    /// the caller holds the rest back until the queue has room.
    fn feed(&mut self, data: &[u8], now: Instant) -> Result<usize, Failure> {
        let mut used = 0;
        loop {
            let stage = self.stage();
            let Some(conn) = self.link.open_conn() else {
                // The connection closed under the decoding (a refused peer): drop the rest.
                return Ok(data.len());
            };
            let pipe = self.pipe.as_mut();
            let fed = match conn.flow.feed(&data[used..], now, stage, pipe) {
                Ok(fed) => fed,
                Err(e) => {
                    if e.rules_out_the_peer() {
                        // As libzmq: a peer that refused us, or one we cannot talk to, is
                        // not tried again (neither it nor our credentials will change).
                        if let Some(dialer) = self.dialer() {
                            dialer.stop_reconnecting();
                        }
                    }
                    return Err(Failure::Protocol(e));
                }
            };
            used += fed.used;
            match (fed.ready, fed.authenticate) {
                (Some(peer), _) => self.on_handshake_done(peer).map_err(Failure::Abandoned)?,
                (None, Some(request)) => self.ask_zap(request, now)?,
                (None, None) => return Ok(used),
            }
        }
    }

    /// After input was handled: stop the receive if the socket's queue is full, otherwise
    /// keep it armed; send what the codec produced (PONG) and re-arm its timers.
    pub(super) fn after_input(&mut self, cx: &mut ShardCx<'_>) {
        let me = self.me;
        let up = self.link.is_up();
        let Some(conn) = self.link.open_conn() else {
            return;
        };
        if conn.flow.input() == &Input::Flowing {
            conn.keep_receiving(cx, me);
        } else {
            // The cancellation's final completion leaves the receive idle.
            conn.io.cancel_recv(cx, me);
        }
        if conn.flow.codec().has_control() || up {
            self.request_flush(cx);
        }
        self.rearm_timer(cx);
    }

    /// The socket made room: decode what was held back and start receiving again (or
    /// close, if the connection ended while it was held back and all of it is delivered).
    pub(super) fn resume_input(&mut self, cx: &mut ShardCx<'_>) {
        let stage = self.stage();
        let Some(conn) = self.link.open_conn() else {
            return;
        };
        if conn.flow.input() == &Input::Flowing {
            return;
        }
        let pipe = self.pipe.as_mut();
        match conn.flow.resume(cx.now(), stage, pipe) {
            Err(e) => self.fail(cx, Failure::Protocol(e)),
            Ok(Some(ended)) => self.fail(cx, Failure::Input(ended)),
            Ok(None) => self.after_input(cx),
        }
    }
}
