//! One TCP connection of a session: its descriptor, codec, write batch and the io_uring
//! operations in flight on it, tagged with the connection's generation so that completions
//! of a replaced connection are recognised (see `session.rs`).

use std::os::fd::{AsRawFd, OwnedFd};

use io_uring::{opcode, types};
use ringmq_engine::{ShardCx, TaskId};

use super::sys::{self, RawAddr};
use crate::codec::Codec;
use crate::zmtp::WriteBatch;

pub(super) const OP_CONNECT: u8 = 1;
pub(super) const OP_RECV: u8 = 2;
pub(super) const OP_SEND: u8 = 3;
pub(super) const OP_CANCEL: u8 = 4;

pub(super) fn tag(generation: u8, op: u8) -> u16 {
    (u16::from(generation) << 8) | u16::from(op)
}

pub(super) fn untag(tag: u16) -> (u8, u8) {
    ((tag >> 8) as u8, tag as u8)
}

/// Received octets waiting for room in the socket's queue, decoded from the front a queue's
/// worth at a time. The unread rest stays where it is: moving it down after every partial
/// decode cost a fifth of a receiving shard's time in 8-byte streams.
#[derive(Debug, Default)]
pub(super) struct Backlog {
    buf: Vec<u8>,
    start: usize,
}

impl Backlog {
    pub(super) fn is_empty(&self) -> bool {
        self.start == self.buf.len()
    }

    /// Appends octets received after the queue filled.
    pub(super) fn push(&mut self, data: &[u8]) {
        if self.is_empty() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The octets not yet decoded.
    pub(super) fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Marks `n` octets from the front as decoded.
    pub(super) fn consume(&mut self, n: usize) {
        self.start += n;
        debug_assert!(self.start <= self.buf.len());
        if self.is_empty() {
            self.buf.clear();
            self.start = 0;
        }
    }
}

/// One TCP connection of a session.
pub(super) struct Conn {
    pub(super) generation: u8,
    pub(super) fd: OwnedFd,
    /// The codec, once the TCP connection is established.
    pub(super) zmtp: Option<Codec>,
    pub(super) inflight: u32,
    pub(super) recv_armed: bool,
    pub(super) sending: bool,
    /// A zero-copy send's result, kept until its notification says the kernel is done
    /// with the batch (the send counts as in flight until then).
    pub(super) zerocopy_result: Option<i32>,
    /// The send in flight is zero-copy.
    pub(super) zerocopy_sending: bool,
    /// The socket refused a zero-copy send (EOPNOTSUPP: Unix-domain sockets do): send
    /// normally from then on.
    pub(super) zerocopy_refused: bool,
    pub(super) out: WriteBatch,
    pub(super) iovecs: Vec<libc::iovec>,
    pub(super) msghdr: Box<libc::msghdr>,
    /// Kept alive for the connect operation.
    pub(super) addr: Box<RawAddr>,
    /// Received octets not yet decoded because the socket's queue was full.
    pub(super) pending_input: Backlog,
    pub(super) input_stopped: bool,
    /// The peer closed (or the receive failed) while octets were held back: deliver them,
    /// then close for this reason.
    pub(super) input_ended: Option<String>,
}

impl Conn {
    pub(super) fn new(generation: u8, fd: OwnedFd, addr: RawAddr) -> Self {
        // SAFETY: msghdr is plain data; all-zero is a valid empty header.
        let msghdr: libc::msghdr = unsafe { std::mem::zeroed() };
        Self {
            generation,
            fd,
            zmtp: None,
            inflight: 0,
            recv_armed: false,
            sending: false,
            zerocopy_result: None,
            zerocopy_sending: false,
            zerocopy_refused: false,
            out: WriteBatch::new(),
            iovecs: Vec::new(),
            msghdr: Box::new(msghdr),
            addr: Box::new(addr),
            pending_input: Backlog::default(),
            input_stopped: false,
            input_ended: None,
        }
    }

    pub(super) fn is_ready(&self) -> bool {
        self.zmtp.as_ref().is_some_and(|z| z.is_ready())
    }

    /// Submits an operation for this connection and counts it.
    ///
    /// # Safety
    ///
    /// As [`ShardCx::submit`]: what the entry points to must live until it completes; here
    /// that is this connection's boxed fields, which live until `inflight` is back to zero.
    pub(super) unsafe fn submit(
        &mut self,
        cx: &mut ShardCx<'_>,
        me: TaskId,
        op: u8,
        entry: io_uring::squeue::Entry,
    ) {
        self.inflight += 1;
        // SAFETY: forwarded from the caller.
        unsafe { cx.submit(me, tag(self.generation, op), entry) };
    }

    pub(super) fn cancel(&mut self, cx: &mut ShardCx<'_>, me: TaskId, op: u8) {
        self.inflight += 1;
        cx.cancel(me, tag(self.generation, op), tag(self.generation, OP_CANCEL));
    }

    pub(super) fn arm_recv(&mut self, cx: &mut ShardCx<'_>, me: TaskId) {
        if self.recv_armed || self.input_stopped || self.input_ended.is_some() {
            return;
        }
        let entry = cx.provided_buffer_recv(self.fd.as_raw_fd());
        // SAFETY: a provided-buffer receive points only into the shard's buffer ring, which
        // outlives every task.
        unsafe { self.submit(cx, me, OP_RECV, entry) };
        self.recv_armed = true;
    }

    /// Sends what `out` holds with one `sendmsg`, zero-copy (SEND_ZC) when the kernel has it
    /// and the batch holds a body of at least `zerocopy_threshold` octets.
    pub(super) fn submit_send(
        &mut self,
        cx: &mut ShardCx<'_>,
        me: TaskId,
        zerocopy_threshold: Option<usize>,
    ) {
        self.out.fill_iovecs(&mut self.iovecs);
        self.msghdr.msg_iov = self.iovecs.as_mut_ptr();
        self.msghdr.msg_iovlen = self.iovecs.len();
        let fd = types::Fd(self.fd.as_raw_fd());
        let zerocopy = cx.features().send_zc
            && !self.zerocopy_refused
            && zerocopy_threshold.is_some_and(|at_least| self.out.largest_shared() >= at_least);
        self.zerocopy_sending = zerocopy;
        let entry = if zerocopy {
            opcode::SendMsgZc::new(fd, &*self.msghdr)
                .flags(libc::MSG_NOSIGNAL as u32)
                .build()
        } else {
            opcode::SendMsg::new(fd, &*self.msghdr)
                .flags(libc::MSG_NOSIGNAL as u32)
                .build()
        };
        // SAFETY: the msghdr is boxed, the iovec array and the bytes it points to are owned by
        // `out`, and neither is touched until this send completes (`sending` guards them; a
        // zero-copy send completes with its notification, see `Session::on_send`).
        unsafe { self.submit(cx, me, OP_SEND, entry) };
        self.sending = true;
    }

    /// Stops the connection: a graceful stop sends FIN after what was written and cancels
    /// the receive; an abrupt one shuts the socket down, which completes pending sends and
    /// receives and aborts a pending connect (one to a peer that drops SYNs would otherwise
    /// wait minutes for the kernel's timeout), and cancels whatever is still in flight on it.
    /// The connection is dropped once its last operation has completed.
    pub(super) fn retire(&mut self, cx: &mut ShardCx<'_>, me: TaskId, graceful: bool) {
        if graceful {
            // SAFETY: shutdown on our own descriptor.
            unsafe { libc::shutdown(self.fd.as_raw_fd(), libc::SHUT_WR) };
            if self.recv_armed {
                self.cancel(cx, me, OP_RECV);
            }
        } else {
            sys::shutdown(self.fd.as_raw_fd());
            if self.inflight > 0 {
                self.inflight += 1;
                cx.cancel_fd(me, self.fd.as_raw_fd(), tag(self.generation, OP_CANCEL));
            }
        }
        self.input_stopped = true;
    }
}

#[cfg(test)]
mod tests {
    use super::Backlog;

    #[test]
    fn a_backlog_is_read_from_the_front_and_appended_at_the_back() {
        let mut b = Backlog::default();
        assert!(b.is_empty());
        b.push(b"abcdef");
        b.consume(2);
        assert_eq!(b.unread(), b"cdef");
        b.push(b"gh");
        assert_eq!(b.unread(), b"cdefgh");
        b.consume(6);
        assert!(b.is_empty() && b.unread().is_empty());
        b.push(b"xy");
        assert_eq!(b.unread(), b"xy");
    }
}
