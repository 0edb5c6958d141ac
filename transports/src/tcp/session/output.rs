//! Output: owed commands and queued messages drained into the connection's write batch by
//! its flow rules ([`Flow::fill`](crate::flow::Flow::fill)) at the end of the loop turn, one
//! `sendmsg` (or zero-copy send) per connection per turn, one send in flight at a time.
//! While a send is in flight nothing is added, so batches grow exactly when the peer or the
//! kernel is slow.

use ringmq_engine::ShardCx;
use ringmq_engine::task::Completion;

use super::{AfterClose, Failure, Link, Session};
use crate::flow::Filled;
use crate::tcp::conn::SendDone;

impl Session {
    /// Moves control octets and queued messages into the write batch and starts a send.
    pub(super) fn flush_output(&mut self, cx: &mut ShardCx<'_>) {
        let zerocopy = self.options.zerocopy_threshold;
        if let Link::Closing { conn, .. } = &mut self.link {
            // Only what the codec still owes goes out now; then the connection closes.
            if conn.io.is_sending() {
                return;
            }
            conn.flow.fill_owed(&mut conn.io.out);
            if conn.io.out.is_empty() {
                return self.finish_close(cx, true);
            }
            return conn.io.submit_send(cx, self.me, zerocopy);
        }
        let batch_limit = self.options.batch_limit;
        let stage = self.stage();
        let Some(conn) = self.link.open_conn() else {
            return;
        };
        if conn.io.is_sending() {
            return;
        }
        let pipe = self.pipe.as_mut();
        let filled = conn.flow.fill(&mut conn.io.out, stage, pipe, batch_limit);
        if filled == Filled::StreamCloses {
            // Everything before the empty message goes out, then a graceful close; the
            // socket already forgot this peer.
            return self.begin_close(cx, None, AfterClose::End);
        }
        if !conn.io.out.is_empty() {
            conn.io.submit_send(cx, self.me, zerocopy);
        }
    }

    pub(super) fn on_send(&mut self, cx: &mut ShardCx<'_>, c: Completion) {
        let me = self.me;
        let zerocopy = self.options.zerocopy_threshold;
        let closing = matches!(self.link, Link::Closing { .. });
        let Some(io) = self.link.io() else {
            return;
        };
        let result = match io.on_send_completion(c.result, c.more(), c.is_notification(), &self.options.stats)
        {
            SendDone::Pending => return,
            SendDone::Refused => return io.submit_send(cx, me, zerocopy),
            SendDone::Settled(r) if r == -libc::EAGAIN || r == -libc::EINTR => {
                return io.submit_send(cx, me, zerocopy);
            }
            SendDone::Settled(r) => r,
        };
        if result < 0 {
            if closing {
                return self.finish_close(cx, false);
            }
            return self.fail(cx, Failure::Io(-result));
        }
        io.out.consume(result as usize);
        if !io.out.is_empty() {
            return io.submit_send(cx, me, zerocopy);
        }
        self.flush_output(cx);
        self.check_linger_done(cx);
    }
}
