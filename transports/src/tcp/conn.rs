//! One stream connection's I/O: its descriptor, the io_uring operations in flight on it and
//! the buffers they point into (the connect address, the write batch and its `msghdr`).
//!
//! Each operation's state is explicit ([`ConnectOp`], [`RecvOp`], [`SendOp`]): the
//! connection knows at any time which of its buffers the kernel may still touch, so a
//! connection that was replaced ("retired") is kept exactly until [`ConnIo::is_idle`].
//! Every tag carries the connection's generation, so completions of a retired connection are
//! told apart from the current one's.
//!
//! Knows nothing of ZMTP or pipes; the session decides what to send and when.

use std::os::fd::{AsRawFd, OwnedFd};

use io_uring::{opcode, types};
use ringmq_engine::task::OpTag;
use ringmq_engine::{ShardCx, TaskId};

use super::sys::{self, RawAddr};
use crate::stats::TransportStats;
use crate::zmtp::WriteBatch;

/// The operations a connection runs; the low [`OP_BITS`] of a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Connect = 1,
    Recv = 2,
    Send = 3,
    Cancel = 4,
    /// A receive straight into a large message's body.
    RecvBody = 5,
}

const OP_BITS: u32 = 4;
/// Bits of a generation in a tag: the rest of the engine's 24.
pub(super) const GENERATION_BITS: u32 = ringmq_engine::task::TAG_BITS - OP_BITS;
const GENERATION_MASK: u32 = (1 << GENERATION_BITS) - 1;

/// The tag of `op` on the connection of `generation`.
pub(super) fn tag(generation: u32, op: Op) -> OpTag {
    ((generation & GENERATION_MASK) << OP_BITS) | op as u32
}

/// A tag's generation and operation (`None` for a tag no connection made).
pub(super) fn untag(tag: OpTag) -> (u32, Option<Op>) {
    let op = match tag & ((1 << OP_BITS) - 1) {
        1 => Some(Op::Connect),
        2 => Some(Op::Recv),
        3 => Some(Op::Send),
        4 => Some(Op::Cancel),
        5 => Some(Op::RecvBody),
        _ => None,
    };
    (tag >> OP_BITS, op)
}

/// The connect operation.
#[derive(Debug)]
pub(super) enum ConnectOp {
    /// None in flight.
    Idle,
    /// In flight; the kernel reads this address until it completes.
    Pending(#[allow(dead_code, reason = "only the kernel reads it")] Box<RawAddr>),
}

/// The receive operation: multishot where the kernel has it, into the shard's provided
/// buffers, or a single receive straight into the body of a large message.
#[derive(Debug)]
pub(super) enum RecvOp {
    /// None in flight.
    Idle,
    /// Armed: completions arrive as data does.
    Armed,
    /// A cancellation was asked for; the final completion is still to come.
    Cancelling,
    /// A receive into the spare capacity of `body` is in flight: the kernel writes there
    /// until it completes, so the buffer is kept here (and the connection until it is
    /// idle), whatever becomes of the session meanwhile.
    IntoBody {
        body: Vec<u8>,
        /// A cancellation was asked for.
        cancelled: bool,
    },
}

/// Where the receive stands, as the session sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RecvState {
    /// None in flight.
    Idle,
    /// The multishot receive is armed.
    Armed,
    /// Something is in flight that the session waits for (a cancellation's final
    /// completion, or a receive into a body).
    Busy,
}

/// The send operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SendOp {
    /// None in flight: the batch may change.
    Idle,
    /// A `sendmsg` is in flight.
    Plain,
    /// A zero-copy send is in flight; it completes twice (its result, then the notification
    /// that the kernel no longer reads the batch), and holds its result in between.
    ZeroCopy(Option<i32>),
}

/// How a send completion left the send operation.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum SendDone {
    /// The kernel took this many octets (or failed with this negated errno); the batch may
    /// change now.
    Settled(i32),
    /// A zero-copy send's first completion: the kernel took the batch in place; wait for its
    /// notification.
    Pending,
    /// The socket refused zero-copy (EOPNOTSUPP: Unix-domain sockets do): send the same
    /// batch again, normally, as every later one will be.
    Refused,
}

/// Whether zero-copy sends are tried on this connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ZeroCopy {
    /// Where the kernel has it and the batch has a large enough body.
    Allowed,
    /// The socket refused it once (EOPNOTSUPP: Unix-domain sockets do): never again.
    Refused,
}

/// An ipc:// connection that sends a body at least this large grows its send buffer (see
/// [`IPC_LARGE_SNDBUF`]).
const IPC_LARGE_BODY: usize = 32 * 1024;

/// SO_SNDBUF of an ipc:// connection once it carries large bodies: the kernel doubles it and
/// caps it at `net.core.wmem_max`. A Unix-domain stream has no receive buffer of its own, so
/// this bounds what one connection has in flight (2 MiB at most, against 416 KiB by
/// default). Pinned, against the default: 64 KiB +6–11 %, 256 KiB +30 %, 1 MiB +22 %, with
/// less CPU on both sides; 8 B and 64 B messages gained nothing, so connections that carry
/// only small ones keep the default (docs/benchmarks.md).
const IPC_LARGE_SNDBUF: libc::c_int = 1 << 20;

/// Whether the connection's send buffer is still to be sized by what it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SendBuffer {
    /// As the socket's options (or the kernel's default) left it.
    AsSet,
    /// An ipc:// connection with no SNDBUF option: grows to [`IPC_LARGE_SNDBUF`] with its
    /// first large body.
    GrowForLargeBodies,
}

/// One stream connection's descriptor, operations and send buffers.
pub(super) struct ConnIo {
    generation: u32,
    fd: OwnedFd,
    connect: ConnectOp,
    recv: RecvOp,
    send: SendOp,
    zerocopy: ZeroCopy,
    send_buffer: SendBuffer,
    /// What to write next (the session fills it while no send is in flight).
    pub(super) out: WriteBatch,
    iovecs: Vec<libc::iovec>,
    msghdr: Box<libc::msghdr>,
}

impl std::fmt::Debug for ConnIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnIo")
            .field("generation", &self.generation)
            .field("connect", &matches!(self.connect, ConnectOp::Pending(_)))
            .field("recv", &self.recv)
            .field("send", &self.send)
            .finish_non_exhaustive()
    }
}

impl ConnIo {
    /// A connection on `fd` (accepted, or about to connect).
    pub(super) fn new(generation: u32, fd: OwnedFd) -> Self {
        // SAFETY: msghdr is plain data; all-zero is a valid empty header.
        let msghdr: libc::msghdr = unsafe { std::mem::zeroed() };
        Self {
            generation,
            fd,
            connect: ConnectOp::Idle,
            recv: RecvOp::Idle,
            send: SendOp::Idle,
            zerocopy: ZeroCopy::Allowed,
            send_buffer: SendBuffer::AsSet,
            out: WriteBatch::new(),
            iovecs: Vec::new(),
            msghdr: Box::new(msghdr),
        }
    }

    pub(super) fn generation(&self) -> u32 {
        self.generation
    }

    /// `true` once no operation of this connection is in flight: nothing the kernel may
    /// touch is left, and its descriptor may close.
    pub(super) fn is_idle(&self) -> bool {
        matches!(self.connect, ConnectOp::Idle)
            && matches!(self.recv, RecvOp::Idle)
            && self.send == SendOp::Idle
    }

    /// Where the receive stands.
    pub(super) fn recv_state(&self) -> RecvState {
        match self.recv {
            RecvOp::Idle => RecvState::Idle,
            RecvOp::Armed => RecvState::Armed,
            RecvOp::Cancelling | RecvOp::IntoBody { .. } => RecvState::Busy,
        }
    }

    /// `true` while a send (or a zero-copy send's notification) is outstanding.
    pub(super) fn is_sending(&self) -> bool {
        self.send != SendOp::Idle
    }

    /// Octets held in the write batch.
    pub(super) fn buffered_octets(&self) -> usize {
        self.out.len()
    }

    /// Starts connecting to `addr`.
    pub(super) fn submit_connect(&mut self, cx: &mut ShardCx<'_>, me: TaskId, addr: RawAddr) {
        debug_assert!(matches!(self.connect, ConnectOp::Idle));
        let addr = Box::new(addr);
        let entry = opcode::Connect::new(
            types::Fd(self.fd.as_raw_fd()),
            (&addr.storage as *const libc::sockaddr_storage).cast(),
            addr.len,
        )
        .build();
        // SAFETY: the address is boxed in `self.connect` until the connect completes
        // (`on_connect_done`), and the connection is kept until it is idle.
        unsafe { cx.submit(me, tag(self.generation, Op::Connect), entry) };
        self.connect = ConnectOp::Pending(addr);
    }

    /// The connect completed.
    pub(super) fn on_connect_done(&mut self) {
        self.connect = ConnectOp::Idle;
    }

    /// Arms the multishot receive unless a receive is in flight.
    pub(super) fn arm_recv(&mut self, cx: &mut ShardCx<'_>, me: TaskId) {
        self.arm_recv_with(cx, me, false);
    }

    /// As [`arm_recv`](Self::arm_recv), or with `one_chunk` a single receive of one
    /// provided buffer.
    pub(super) fn arm_recv_with(&mut self, cx: &mut ShardCx<'_>, me: TaskId, one_chunk: bool) {
        if !matches!(self.recv, RecvOp::Idle) {
            return;
        }
        let fd = self.fd.as_raw_fd();
        let entry = if one_chunk {
            cx.provided_buffer_recv_once(fd)
        } else {
            cx.provided_buffer_recv(fd)
        };
        // SAFETY: a provided-buffer receive points only into the shard's buffer ring, which
        // outlives every task.
        unsafe { cx.submit(me, tag(self.generation, Op::Recv), entry) };
        self.recv = RecvOp::Armed;
    }

    /// Asks for the receive to stop (its final completion follows).
    pub(super) fn cancel_recv(&mut self, cx: &mut ShardCx<'_>, me: TaskId) {
        match &mut self.recv {
            RecvOp::Armed => {
                cx.cancel(
                    me,
                    tag(self.generation, Op::Recv),
                    tag(self.generation, Op::Cancel),
                );
                self.recv = RecvOp::Cancelling;
            }
            RecvOp::IntoBody { cancelled, .. } if !*cancelled => {
                cx.cancel(
                    me,
                    tag(self.generation, Op::RecvBody),
                    tag(self.generation, Op::Cancel),
                );
                *cancelled = true;
            }
            _ => {}
        }
    }

    /// Receives up to `want` octets straight into the spare capacity of `body` (which has
    /// some), with MSG_WAITALL when `wait_all`; its completion gives the body back
    /// ([`on_body_recv`](Self::on_body_recv)). The receive must be idle.
    pub(super) fn submit_body_recv(
        &mut self,
        cx: &mut ShardCx<'_>,
        me: TaskId,
        mut body: Vec<u8>,
        want: usize,
        wait_all: bool,
    ) {
        debug_assert!(matches!(self.recv, RecvOp::Idle));
        let spare = body.spare_capacity_mut();
        debug_assert!(!spare.is_empty() && want > 0);
        let len = spare.len().min(want).min(i32::MAX as usize) as u32;
        let into = spare.as_mut_ptr().cast::<u8>();
        let flags = if wait_all { libc::MSG_WAITALL } else { 0 };
        let entry = opcode::Recv::new(types::Fd(self.fd.as_raw_fd()), into, len)
            .flags(flags)
            .build();
        // SAFETY: `into..into + len` is spare capacity of `body`'s heap buffer, which moves
        // into `self.recv` below and stays there, neither read nor resized, until the
        // receive completes (`on_body_recv`); a Vec's buffer does not move with the Vec,
        // and the connection is kept until it is idle.
        unsafe { cx.submit(me, tag(self.generation, Op::RecvBody), entry) };
        self.recv = RecvOp::IntoBody {
            body,
            cancelled: false,
        };
    }

    /// The receive into a body completed with `result` (octets received, or a negated
    /// errno): the body, with what was received appended.
    pub(super) fn on_body_recv(&mut self, result: i32) -> Vec<u8> {
        let RecvOp::IntoBody { mut body, .. } = std::mem::replace(&mut self.recv, RecvOp::Idle) else {
            debug_assert!(false, "a body receive completed that was not in flight");
            return Vec::new();
        };
        if let Ok(received) = usize::try_from(result) {
            let len = body.len() + received;
            assert!(
                len <= body.capacity(),
                "the kernel received more than it was given room for"
            );
            // SAFETY: the kernel wrote `received` octets at the start of the spare capacity
            // (the receive was given at most that room, checked just above), so they are
            // initialized.
            unsafe { body.set_len(len) };
        }
        body
    }

    /// A receive completion arrived; `more` says whether the operation goes on.
    pub(super) fn on_recv_completion(&mut self, more: bool) {
        if !more && matches!(self.recv, RecvOp::Armed | RecvOp::Cancelling) {
            self.recv = RecvOp::Idle;
        }
    }

    /// Sends what `out` holds with one `sendmsg`: zero-copy (SEND_ZC) when the kernel has it
    /// and the batch holds a body of at least `zerocopy_threshold` octets.
    pub(super) fn submit_send(
        &mut self,
        cx: &mut ShardCx<'_>,
        me: TaskId,
        zerocopy_threshold: Option<usize>,
    ) {
        debug_assert!(self.send == SendOp::Idle && !self.out.is_empty());
        self.size_send_buffer_for_batch();
        self.out.fill_iovecs(&mut self.iovecs);
        self.msghdr.msg_iov = self.iovecs.as_mut_ptr();
        self.msghdr.msg_iovlen = self.iovecs.len();
        let fd = types::Fd(self.fd.as_raw_fd());
        let zerocopy = cx.features().send_zc
            && self.zerocopy == ZeroCopy::Allowed
            && zerocopy_threshold.is_some_and(|at_least| self.out.largest_shared() >= at_least);
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
        // `out`, and neither changes until the send is settled (`send` is not `Idle` until
        // then, and the connection is kept until it is idle).
        unsafe { cx.submit(me, tag(self.generation, Op::Send), entry) };
        self.send = if zerocopy {
            SendOp::ZeroCopy(None)
        } else {
            SendOp::Plain
        };
    }

    /// A send completion arrived; zero-copy sends the kernel took in place, and their
    /// notifications, are counted in `stats`.
    pub(super) fn on_send_completion(
        &mut self,
        result: i32,
        more: bool,
        notification: bool,
        stats: &TransportStats,
    ) -> SendDone {
        let (settled, zero_copy) = match self.send {
            SendOp::ZeroCopy(held) if notification => {
                let settled = held.unwrap_or(result);
                if settled >= 0 {
                    stats.count_zerocopy_notification();
                }
                (settled, true)
            }
            SendOp::ZeroCopy(_) if more => {
                if result >= 0 {
                    stats.count_zerocopy_send();
                }
                self.send = SendOp::ZeroCopy(Some(result));
                return SendDone::Pending;
            }
            SendOp::ZeroCopy(_) => (result, true),
            _ => (result, false),
        };
        self.send = SendOp::Idle;
        if zero_copy && settled == -libc::EOPNOTSUPP {
            self.zerocopy = ZeroCopy::Refused;
            return SendDone::Refused;
        }
        SendDone::Settled(settled)
    }

    /// The peer's address as libzmq gives it in ZAP requests and the `Peer-Address`
    /// property: the IP address for tcp (no port), `localhost:UID:GID:PID` for ipc (the
    /// credentials of the peer process, as libzmq on Linux), "" if unknown.
    pub(super) fn peer_address(&self) -> String {
        peer_address(self.fd.as_raw_fd())
    }

    /// The descriptor's number, as monitor events report it.
    pub(super) fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// `true` for an ipc:// (Unix-domain) connection.
    pub(super) fn is_unix(&self) -> bool {
        sys::is_unix_socket(self.fd.as_raw_fd())
    }

    /// Lets an ipc:// connection grow its send buffer with its first large body, unless
    /// `tuning` sets SNDBUF (which then stays as the user chose).
    pub(super) fn size_send_buffer_by_use(&mut self, tuning: &sys::TcpTuning) {
        if tuning.sndbuf.is_none() && self.is_unix() {
            self.send_buffer = SendBuffer::GrowForLargeBodies;
        }
    }

    /// Grows the send buffer if it is still to be sized and the batch about to go out holds
    /// a large body.
    fn size_send_buffer_for_batch(&mut self) {
        if self.send_buffer == SendBuffer::GrowForLargeBodies && self.out.largest_shared() >= IPC_LARGE_BODY {
            self.send_buffer = SendBuffer::AsSet;
            // Best effort, as libzmq's SNDBUF: a refusal leaves the default, which works.
            let _ = sys::set_int_option(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                IPC_LARGE_SNDBUF,
            );
        }
    }

    /// Sends FIN after what was written and keeps receiving: the peer sees its input end,
    /// and its end of the connection stays up until it closes it.
    pub(super) fn half_close(&mut self) {
        // SAFETY: shutdown on our own descriptor.
        unsafe { libc::shutdown(self.fd.as_raw_fd(), libc::SHUT_WR) };
    }

    /// Stops the connection. A graceful stop sends FIN after what was written and cancels
    /// the receive; an abrupt one shuts the socket down both ways, which completes pending
    /// sends and receives and aborts a pending connect (one to a peer that drops SYNs would
    /// otherwise wait minutes for the kernel's timeout), and cancels whatever is still in
    /// flight on it. The caller keeps the connection until [`is_idle`](Self::is_idle).
    pub(super) fn retire(&mut self, cx: &mut ShardCx<'_>, me: TaskId, graceful: bool) {
        if graceful {
            self.half_close();
            self.cancel_recv(cx, me);
        } else {
            sys::shutdown(self.fd.as_raw_fd());
            if !self.is_idle() {
                cx.cancel_fd(me, self.fd.as_raw_fd(), tag(self.generation, Op::Cancel));
                match &mut self.recv {
                    RecvOp::Armed => self.recv = RecvOp::Cancelling,
                    RecvOp::IntoBody { cancelled, .. } => *cancelled = true,
                    RecvOp::Idle | RecvOp::Cancelling => {}
                }
            }
        }
    }
}

/// The peer's address on connection `fd`, as ZMTP's Peer-Address property has it: the IP
/// for tcp://, `localhost:UID:GID:PID` for ipc://, "" if unknown.
pub(super) fn peer_address(fd: std::os::fd::RawFd) -> String {
    if let Some(addr) = sys::peer_addr(fd) {
        return addr.ip().to_string();
    }
    match sys::peer_credentials(fd) {
        Some((uid, gid, pid)) if sys::is_unix_socket(fd) => format!("localhost:{uid}:{gid}:{pid}"),
        _ => String::new(),
    }
}

/// [`peer_address`], `None` where it is unknown (as monitor events carry it).
pub(super) fn known_peer_address(fd: std::os::fd::RawFd) -> Option<String> {
    Some(peer_address(fd)).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_carry_wide_generations_and_the_operation() {
        for generation in [0, 1, 255, 256, 65_535, 65_536, GENERATION_MASK] {
            for op in [Op::Connect, Op::Recv, Op::Send, Op::Cancel, Op::RecvBody] {
                let t = tag(generation, op);
                assert!(t <= ringmq_engine::task::MAX_TAG);
                assert_eq!(untag(t), (generation, Some(op)));
            }
        }
        assert_eq!(untag(0).1, None);
    }

    fn stream_pair(domain: libc::c_int) -> (OwnedFd, OwnedFd) {
        use std::os::fd::FromRawFd;
        if domain == libc::AF_UNIX {
            let mut fds = [0; 2];
            // SAFETY: socketpair writes two descriptors into `fds`, which we then own.
            let rc = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()) };
            assert_eq!(rc, 0);
            // SAFETY: both descriptors are fresh and owned by nobody else.
            return unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (b, _) = listener.accept().unwrap();
        (a.into(), b.into())
    }

    fn sndbuf(io: &ConnIo) -> libc::c_int {
        sys::int_option(io.fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF).unwrap()
    }

    /// What SO_SNDBUF reads after [`IPC_LARGE_SNDBUF`] is set: doubled, within wmem_max.
    fn grown_sndbuf() -> libc::c_int {
        let wmem_max: libc::c_int = std::fs::read_to_string("/proc/sys/net/core/wmem_max")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        2 * IPC_LARGE_SNDBUF.min(wmem_max)
    }

    fn batch_with_body(io: &mut ConnIo, len: usize) {
        io.out.clear();
        io.out
            .push_message_frame(&crate::msg::Msg::from(vec![7u8; len]), 8 * 1024);
    }

    #[test]
    fn an_ipc_connection_grows_its_send_buffer_with_its_first_large_body() {
        let (fd, _peer) = stream_pair(libc::AF_UNIX);
        let mut io = ConnIo::new(1, fd);
        io.size_send_buffer_by_use(&sys::TcpTuning::default());
        let default = sndbuf(&io);
        batch_with_body(&mut io, IPC_LARGE_BODY - 1);
        io.size_send_buffer_for_batch();
        assert_eq!(
            sndbuf(&io),
            default,
            "a body below the threshold leaves the buffer"
        );
        batch_with_body(&mut io, IPC_LARGE_BODY);
        io.size_send_buffer_for_batch();
        assert_eq!(sndbuf(&io), grown_sndbuf());
        assert_eq!(io.send_buffer, SendBuffer::AsSet, "sized once");
    }

    #[test]
    fn a_chosen_sndbuf_and_tcp_connections_keep_their_send_buffer() {
        let (fd, _peer) = stream_pair(libc::AF_UNIX);
        let mut chosen = ConnIo::new(1, fd);
        sys::set_int_option(chosen.fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF, 65_536).unwrap();
        chosen.size_send_buffer_by_use(&sys::TcpTuning {
            sndbuf: Some(65_536),
            ..Default::default()
        });
        let (fd, _peer) = stream_pair(libc::AF_INET);
        let mut tcp = ConnIo::new(1, fd);
        tcp.size_send_buffer_by_use(&sys::TcpTuning::default());
        for io in [&mut chosen, &mut tcp] {
            let before = sndbuf(io);
            batch_with_body(io, 1 << 20);
            io.size_send_buffer_for_batch();
            assert_eq!(sndbuf(io), before);
        }
    }
}
