//! The `udp://` transport for RADIO and DISH, as libzmq has it, unicast or to an IPv4
//! multicast group (`udp://iface;239.1.2.3:5555`): each datagram is one message,
//! `group-length (1 octet) | group | body`, with no handshake. A RADIO connects and sends
//! every message to that address (no JOIN travels over UDP, so a DISH filters by its own
//! groups); a DISH binds and receives from any radio. Datagrams are at most
//! [`MAX_DATAGRAM`] octets (libzmq's limit): larger messages are dropped, like any message a
//! lossy transport cannot carry.
//!
//! Both ends are shard tasks over io_uring: the sender sends one datagram at a time from its
//! pipe; the receiver keeps a multishot receive armed on the shard's provided buffers and
//! turns each datagram into a `[group, body]` message, dropping it if the socket's queue is
//! full (RADIO/DISH never block, RFC 48).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use io_uring::{opcode, types};
use ringmq_engine::task::{Completion, OpTag};
use ringmq_engine::{ShardCx, Task, TaskId};

use crate::msg::Msg;
use crate::pipe::ShardPipe;
use crate::tcp::sys;

/// The largest datagram sent or received (libzmq's `MAX_UDP_MSG`).
pub const MAX_DATAGRAM: usize = 8192;

const OP_SEND: OpTag = 1;
const OP_RECV: OpTag = 2;
const OP_CANCEL: OpTag = 3;

/// Creates a UDP socket bound to `addr` (a DISH's endpoint); returns it and the address it
/// got (with the port filled in when `addr` asked for any port).
pub fn bind(addr: SocketAddr) -> std::io::Result<(OwnedFd, SocketAddr)> {
    let socket = UdpSocket::bind(addr)?;
    socket.set_nonblocking(true)?;
    let local = socket.local_addr()?;
    Ok((socket.into(), local))
}

/// Creates a UDP socket that receives the multicast `group` on `port`, joined on the
/// interface with address `iface` (unspecified: the kernel's choice). Several sockets may
/// bind the same group and port (SO_REUSEADDR), as several dishes on one host expect.
pub fn bind_multicast(group: Ipv4Addr, port: u16, iface: Ipv4Addr) -> std::io::Result<(OwnedFd, SocketAddr)> {
    // SAFETY: socket() has no memory preconditions.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    sys::set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    sys::bind(&fd, &SocketAddr::from((group, port)))?;
    let socket = UdpSocket::from(fd);
    socket.join_multicast_v4(&group, &iface)?;
    socket.set_nonblocking(true)?;
    let local = SocketAddr::from((group, socket.local_addr()?.port()));
    Ok((socket.into(), local))
}

/// Creates a UDP socket that sends to the multicast `group` through the interface with
/// address `iface`, with `hops` as TTL and `loopback` saying whether this host's own members
/// get the datagrams (ZMQ_MULTICAST_HOPS, ZMQ_MULTICAST_LOOP).
pub fn connect_multicast(
    target: SocketAddrV4,
    iface: Ipv4Addr,
    hops: u32,
    loopback: bool,
) -> std::io::Result<OwnedFd> {
    let socket = UdpSocket::bind(SocketAddr::from(([0, 0, 0, 0], 0)))?;
    if !iface.is_unspecified() {
        let addr = libc::in_addr {
            s_addr: u32::from_ne_bytes(iface.octets()),
        };
        // SAFETY: `addr` is a valid in_addr for the duration of the call.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_MULTICAST_IF,
                (&addr as *const libc::in_addr).cast(),
                std::mem::size_of::<libc::in_addr>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    socket.set_multicast_ttl_v4(hops)?;
    socket.set_multicast_loop_v4(loopback)?;
    socket.connect(target)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Creates a UDP socket that sends to `target` (a RADIO's endpoint).
pub fn connect(target: SocketAddr) -> std::io::Result<OwnedFd> {
    let any: SocketAddr = if target.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(any)?;
    socket.connect(target)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Encodes `[group, body]` as a datagram into `out` (cleared first); `false` if it cannot be
/// one (no group frame, a group over 255 octets, or too large).
pub fn encode_datagram(group: &[u8], body: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    if group.len() > 255 || 1 + group.len() + body.len() > MAX_DATAGRAM {
        return false;
    }
    out.push(group.len() as u8);
    out.extend_from_slice(group);
    out.extend_from_slice(body);
    true
}

/// Splits a datagram into group and body; `None` if it is malformed.
pub fn decode_datagram(datagram: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = datagram.split_first()?;
    let len = usize::from(len);
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Sends a RADIO's messages as datagrams (see the module documentation).
pub struct UdpSender {
    me: TaskId,
    fd: OwnedFd,
    pipe: ShardPipe,
    datagram: Vec<u8>,
    /// The group frame of the message being read from the pipe.
    group: Option<Msg>,
    sending: bool,
    closing: bool,
    done: bool,
}

impl std::fmt::Debug for UdpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpSender")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl UdpSender {
    /// Spawns the sender for `pipe` over the connected socket `fd`.
    pub fn spawn(cx: &mut ShardCx<'_>, fd: OwnedFd, pipe: ShardPipe) -> TaskId {
        let id = cx.spawn_with(|me| {
            pipe.bind_session(me);
            Box::new(UdpSender {
                me,
                fd,
                pipe,
                datagram: Vec::with_capacity(MAX_DATAGRAM),
                group: None,
                sending: false,
                closing: false,
                done: false,
            })
        });
        // The socket may have let go before this task existed to be woken.
        cx.with_task::<UdpSender, _>(id, |s, cx| s.pump(cx));
        id
    }

    /// Sends the next whole message from the pipe, if any and if no send is in flight.
    fn pump(&mut self, cx: &mut ShardCx<'_>) {
        if self.done || self.sending {
            return;
        }
        if self.pipe.socket_gone().is_some() {
            // Closing: what is queued still goes (a datagram costs nothing to wait for).
            self.closing = true;
        }
        loop {
            let Some(frame) = self.pipe.read() else {
                self.pipe.release();
                if self.closing {
                    self.done = true;
                    return;
                }
                if self.pipe.sleep_reader() {
                    return;
                }
                continue;
            };
            let Some(group) = self.group.take() else {
                if frame.more() {
                    self.group = Some(frame);
                }
                // A lone frame is not a RADIO message: skipped.
                continue;
            };
            if frame.more() {
                // Not [group, body]: skip to the end of this message.
                continue;
            }
            if !encode_datagram(&group, &frame, &mut self.datagram) {
                continue;
            }
            let entry = opcode::Send::new(
                types::Fd(self.fd.as_raw_fd()),
                self.datagram.as_ptr(),
                self.datagram.len() as u32,
            )
            .build();
            // SAFETY: the datagram buffer is owned by this task and not touched until the send
            // completes (`sending` guards it); the task lives until then (`is_done` waits).
            unsafe { cx.submit(self.me, OP_SEND, entry) };
            self.sending = true;
            return;
        }
    }
}

impl Task for UdpSender {
    fn on_completion(&mut self, cx: &mut ShardCx<'_>, _me: TaskId, c: Completion) {
        if c.tag == OP_SEND {
            // A datagram the network refused (no route, ECONNREFUSED from an earlier ICMP)
            // is lost, as UDP allows; the next one is tried all the same.
            self.sending = false;
            self.pump(cx);
        }
    }

    fn on_wake(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        self.pump(cx);
    }

    fn on_shard_stop(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId) {
        self.closing = true;
        if !self.sending {
            self.done = true;
        }
    }

    fn is_done(&self) -> bool {
        self.done && !self.sending
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

/// Receives a DISH's datagrams (see the module documentation).
pub struct UdpReceiver {
    me: TaskId,
    fd: OwnedFd,
    pipe: ShardPipe,
    recv_armed: bool,
    cancel_pending: bool,
    stopping: bool,
    done: bool,
}

impl std::fmt::Debug for UdpReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpReceiver")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl UdpReceiver {
    /// Spawns the receiver for `pipe` over the bound socket `fd`.
    pub fn spawn(cx: &mut ShardCx<'_>, fd: OwnedFd, pipe: ShardPipe) -> TaskId {
        let id = cx.spawn_with(|me| {
            pipe.bind_session(me);
            Box::new(UdpReceiver {
                me,
                fd,
                pipe,
                recv_armed: false,
                cancel_pending: false,
                stopping: false,
                done: false,
            })
        });
        cx.with_task::<UdpReceiver, _>(id, |r, cx| r.on_wake(cx, id));
        id
    }

    fn arm(&mut self, cx: &mut ShardCx<'_>) {
        if self.recv_armed || self.stopping {
            return;
        }
        let entry = cx.provided_buffer_recv(self.fd.as_raw_fd());
        // SAFETY: a provided-buffer receive points only into the shard's buffer ring, which
        // outlives every task.
        unsafe { cx.submit(self.me, OP_RECV, entry) };
        self.recv_armed = true;
    }

    fn deliver(&mut self, datagram: &[u8]) {
        let Some((group, body)) = decode_datagram(datagram) else {
            return;
        };
        // Lossy, as RFC 48 wants: a full queue drops the datagram.
        if !self.pipe.can_write() {
            return;
        }
        self.pipe.write(Msg::copy_from_slice(group).with_more(true));
        self.pipe.write(Msg::copy_from_slice(body));
        self.pipe.flush();
    }
}

impl Task for UdpReceiver {
    fn on_completion(&mut self, cx: &mut ShardCx<'_>, _me: TaskId, c: Completion) {
        if c.tag == OP_CANCEL {
            self.cancel_pending = false;
            self.done = self.stopping && !self.recv_armed;
            return;
        }
        if c.tag != OP_RECV {
            return;
        }
        if !c.more() {
            self.recv_armed = false;
        }
        if c.result >= 0 {
            if let Some(bid) = c.buffer_id() {
                self.deliver(cx.buffers().buffer(bid, c.result as usize));
                cx.buffers().recycle(bid);
            }
        }
        if self.stopping {
            self.done = !self.recv_armed && !self.cancel_pending;
            return;
        }
        // ENOBUFS (buffers come back within the turn) and errors a peer's ICMP can cause
        // end the multishot receive: arm it again.
        self.arm(cx);
    }

    fn on_wake(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        if self.done {
            return;
        }
        if self.pipe.socket_gone().is_some() {
            self.on_shard_stop(cx, self.me);
            return;
        }
        // A DISH writes its joins into the pipe; over UDP they go nowhere.
        while self.pipe.read().is_some() {}
        self.pipe.sleep_reader();
        self.arm(cx);
    }

    fn on_shard_stop(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        if self.recv_armed {
            cx.cancel(self.me, OP_RECV, OP_CANCEL);
            self.cancel_pending = true;
        } else {
            self.done = true;
        }
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_carry_group_and_body() {
        let mut out = Vec::new();
        assert!(encode_datagram(b"grp", b"hello", &mut out));
        assert_eq!(out, b"\x03grphello");
        assert_eq!(decode_datagram(&out), Some((&b"grp"[..], &b"hello"[..])));
        assert_eq!(decode_datagram(b"\x05ab"), None, "group longer than the datagram");
        assert_eq!(decode_datagram(b""), None);
        assert!(!encode_datagram(&[b'g'; 256], b"", &mut out));
        assert!(!encode_datagram(b"g", &vec![0; MAX_DATAGRAM], &mut out));
    }
}
