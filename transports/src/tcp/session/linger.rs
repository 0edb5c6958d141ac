//! Once the socket has let go of the pipe (close, disconnect, unbind or refusal): LINGER
//! decides how long the session goes on delivering what was queued, and the session ends
//! once that is sent, or at once when nothing is queued or the connection is not up.

use ringmq_engine::ShardCx;

use super::{Life, Link, Session};
use crate::pipe::Linger;

impl Session {
    /// The socket let go of the pipe: → Lingering, or ended at once.
    pub(super) fn check_socket_gone(&mut self, cx: &mut ShardCx<'_>) {
        if self.life != Life::Serving {
            return;
        }
        let Some(linger) = self.pipe.as_ref().and_then(|p| p.socket_gone()) else {
            return;
        };
        self.enter_lingering(linger);
        if matches!(linger, Linger::Until(at) if at <= cx.now()) {
            return self.abort(cx);
        }
        if !self.link.is_up() && !self.has_queued_output() {
            return self.abort(cx);
        }
        self.request_flush(cx);
        self.rearm_timer(cx);
    }

    /// Lingering, and everything queued is written: close gracefully and end.
    pub(super) fn check_linger_done(&mut self, cx: &mut ShardCx<'_>) {
        if !self.is_lingering() {
            return;
        }
        let drained = match &self.link {
            Link::Up(conn) => !conn.io.is_sending() && conn.io.out.is_empty(),
            _ => false,
        };
        if drained && !self.has_queued_output() {
            self.close_delivered(cx);
        }
    }

    /// The listener that accepted this session was closed (unbind or socket close).
    pub(crate) fn on_listener_closed(&mut self, cx: &mut ShardCx<'_>) {
        if self.pipe.is_none() {
            // Still handshaking: no socket knows this peer yet.
            self.abort(cx);
        }
    }
}
