//! The rules between one connection's codec and its pipe, as a sans-IO value ([`Flow`]):
//! how received octets become messages in the socket's queue (and wait when it is full),
//! and how queued messages and owed commands become the next batch to write. The session
//! (`tcp/session/`) applies them to what its io_uring operations bring; nothing here has a
//! descriptor, a ring or a clock, so the rules are unit-tested and fuzzed alone
//! (`fuzz/fuzz_targets/connection_flow.rs`, with a model pipe and a small output window).
//!
//! The rules:
//! - Input is decoded as it comes until the socket's queue reaches RCVHWM; then the rest
//!   waits undecoded in the [`Backlog`] and the driver stops receiving (TCP flow control
//!   pushes back on the peer) until the socket has drained the queue to half. Input is
//!   never stopped because output is blocked: two peers that write to each other without
//!   reading would deadlock; what input makes us owe the peer is bounded instead
//!   (`zmtp::MAX_OWED_OCTETS`).
//! - Whatever the codec owes the peer is written only between messages, so a command never
//!   lands inside a multipart message; a batch is at most `batch_limit` octets plus the rest
//!   of the message it ends in.
//! - While lingering, incoming messages are dropped: nobody reads them.

use std::time::Instant;

use crate::codec::Codec;
use crate::msg::Msg;
use crate::zmtp::{AuthRequest, BodyLoan, Event, PeerInfo, ProtocolError, WriteBatch};

/// The pipe toward the socket, as input sees it.
pub trait Inbound {
    /// Whether a new message may start (RCVHWM).
    fn can_write(&mut self) -> bool;
    /// Queues one frame.
    fn write(&mut self, msg: Msg);
    /// Publishes the whole messages queued.
    fn flush(&mut self);
    /// Declares the writer waits for room; `true` means it will be woken.
    fn sleep_writer(&mut self) -> bool;
}

/// The pipe from the socket, as output sees it.
pub trait Outbound {
    /// Takes the next frame to send.
    fn read(&mut self) -> Option<Msg>;
    /// Counts what was read against SNDHWM.
    fn release(&mut self);
    /// Declares the reader waits for frames; `true` means it will be woken.
    fn sleep_reader(&mut self) -> bool;
}

impl Inbound for crate::pipe::ShardPipe {
    #[inline]
    fn can_write(&mut self) -> bool {
        crate::pipe::ShardPipe::can_write(self)
    }
    #[inline]
    fn write(&mut self, msg: Msg) {
        crate::pipe::ShardPipe::write(self, msg);
    }
    fn flush(&mut self) {
        crate::pipe::ShardPipe::flush(self);
    }
    fn sleep_writer(&mut self) -> bool {
        crate::pipe::ShardPipe::sleep_writer(self)
    }
}

impl Outbound for crate::pipe::ShardPipe {
    #[inline]
    fn read(&mut self) -> Option<Msg> {
        crate::pipe::ShardPipe::read(self)
    }
    fn release(&mut self) {
        crate::pipe::ShardPipe::release(self);
    }
    fn sleep_reader(&mut self) -> bool {
        crate::pipe::ShardPipe::sleep_reader(self)
    }
}

/// Whether received octets are decoded as they come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Decoding as octets arrive.
    Flowing,
    /// The socket's queue is full: received octets wait undecoded in the backlog, and the
    /// driver stops receiving.
    HeldBack,
    /// Held back, and the connection ended meanwhile (the peer closed, or the receive
    /// failed): the backlog is delivered first, then the connection closes for this reason,
    /// as libzmq keeps its engine until its input is consumed.
    HeldBackThenEnd(InputEnd),
}

/// How a connection's input ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputEnd {
    /// The peer closed its end (a receive of 0 octets).
    PeerClosed,
    /// A receive failed with this errno.
    Failed(i32),
}

impl std::fmt::Display for InputEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputEnd::PeerClosed => f.write_str("connection closed by peer"),
            InputEnd::Failed(errno) => std::io::Error::from_raw_os_error(*errno).fmt(f),
        }
    }
}

/// What decoding a chunk did.
#[derive(Debug, PartialEq, Eq)]
pub struct Fed {
    /// Octets decoded. Fewer than given when the queue filled (the caller keeps the rest
    /// with [`Flow::hold`]), or when the handshake completed or waits for ZAP (the caller
    /// acts on it, then feeds the rest).
    pub used: usize,
    /// The handshake completed with this peer.
    pub ready: Option<PeerInfo>,
    /// The handshake waits for the ZAP handler's verdict on this (the caller asks it, and
    /// answers the codec with `Connection::authenticated`).
    pub authenticate: Option<AuthRequest>,
}

/// What filling a batch did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filled {
    /// The batch holds what there was (maybe nothing).
    Batch,
    /// STREAM: the socket sent an empty message, which closes the connection once the
    /// batch (what came before it) is written.
    StreamCloses,
}

/// Where the connection stands between its socket and its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The handshake completed: messages flow.
    pub up: bool,
    /// The socket let go of the pipe: incoming messages are dropped.
    pub lingering: bool,
}

/// One connection's codec with its input state and held-back octets.
#[derive(Debug)]
pub struct Flow {
    codec: Codec,
    input: Input,
    backlog: Backlog,
}

impl Flow {
    /// A connection's flow around its codec.
    pub fn new(codec: Codec) -> Self {
        Self {
            codec,
            input: Input::Flowing,
            backlog: Backlog::default(),
        }
    }

    /// The codec.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// The codec, to drive its timers.
    pub fn codec_mut(&mut self) -> &mut Codec {
        &mut self.codec
    }

    /// Whether input is decoded as it comes.
    pub fn input(&self) -> &Input {
        &self.input
    }

    /// Octets held besides queued messages: the codec's, and the backlog's.
    pub fn buffered_octets(&self) -> usize {
        self.codec.buffered_octets() + self.backlog.buffered_octets()
    }

    /// Decodes `data` into `pipe`, publishing at the end. Stops early when the socket's
    /// queue is full (→ [`Input::HeldBack`]) or the handshake completes (see [`Fed`]).
    pub fn feed<P: Inbound + ?Sized>(
        &mut self,
        data: &[u8],
        now: Instant,
        stage: Stage,
        mut pipe: Option<&mut P>,
    ) -> Result<Fed, ProtocolError> {
        let mut used = 0;
        let mut ready = None;
        let mut authenticate = None;
        if stage.up && !stage.lingering && self.input == Input::Flowing {
            if let Some(p) = pipe.as_deref_mut() {
                // The common case, whole message frames in the clear, straight into the
                // pipe while it has room; anything else (a command, a split frame, a full
                // queue) in the loop below.
                if p.can_write() {
                    used = self.codec.decode_messages(data, |msg| {
                        p.write(msg);
                        p.can_write()
                    })?;
                }
            }
        }
        // A frame received in place may be whole with no octets left to decode.
        while used < data.len() || self.codec.has_whole_frame() {
            if self.input != Input::Flowing {
                self.codec.saw_traffic();
                break;
            }
            if let Some(p) = pipe.as_deref_mut().filter(|_| stage.up) {
                if !p.can_write() {
                    p.flush();
                    if p.sleep_writer() {
                        self.input = Input::HeldBack;
                    }
                    continue;
                }
            }
            let (n, event) = self.codec.decode(&data[used..], now)?;
            used += n;
            let message = match event {
                // Nothing taken: a body lent to the driver waits for its octets.
                None if n == 0 => break,
                None => continue,
                Some(Event::Ready(peer)) => {
                    ready = Some(peer);
                    break;
                }
                Some(Event::Authenticate(request)) => {
                    authenticate = Some(request);
                    break;
                }
                // While lingering nobody reads incoming messages: they are dropped.
                Some(_) if stage.lingering => continue,
                Some(Event::Message(msg)) => msg,
                // Publishers see every subscription in the message form, whichever way the
                // peer sent it (RFC 29 / RFC 37).
                Some(Event::Subscribe(topic)) => Msg::subscription(true, &topic),
                Some(Event::Cancel(topic)) => Msg::subscription(false, &topic),
            };
            if let Some(p) = pipe.as_deref_mut() {
                p.write(message);
            }
        }
        if let Some(p) = pipe {
            p.flush();
        }
        Ok(Fed {
            used,
            ready,
            authenticate,
        })
    }

    /// Octets the message frame being received still wants, when its body may be lent
    /// (see [`lend_body`](Self::lend_body)).
    pub fn body_wanted(&self) -> Option<usize> {
        self.may_lend().then(|| self.codec.body_wanted()).flatten()
    }

    /// Lends the body of the large message frame being received to the driver, which
    /// receives its next octets straight into it (see [`BodyLoan`] and `may_lend`).
    pub fn lend_body(&mut self, at_least: usize) -> Option<BodyLoan> {
        self.may_lend().then(|| self.codec.lend_body(at_least)).flatten()
    }

    /// A body may be lent only while input flows and nothing is held back, so octets are
    /// decoded in the order they came.
    fn may_lend(&self) -> bool {
        self.input == Input::Flowing && self.backlog.is_empty()
    }

    /// Takes back a lent body with what the driver received into it and, if that completed
    /// its frame, delivers the frame into `pipe` (held back, as any input, while the queue
    /// is full). A failed receive gives the body back unchanged.
    pub fn return_body<P: Inbound + ?Sized>(
        &mut self,
        body: Vec<u8>,
        now: Instant,
        stage: Stage,
        pipe: Option<&mut P>,
    ) -> Result<Fed, ProtocolError> {
        self.codec.return_body(body);
        self.feed(&[], now, stage, pipe)
    }

    /// Keeps received octets the queue had no room for, to decode when it has.
    pub fn hold(&mut self, rest: &[u8]) {
        self.backlog.push(rest);
    }

    /// The connection ended (peer closed, receive failed) while input was held back:
    /// `true` if it was, so the end waits until the backlog is delivered.
    pub fn end_after_backlog(&mut self, reason: InputEnd) -> bool {
        if self.input == Input::HeldBack {
            self.input = Input::HeldBackThenEnd(reason);
            true
        } else {
            false
        }
    }

    /// The socket made room: decodes what was held back. Returns the reason to close now if
    /// the connection had ended and everything held back is delivered.
    pub fn resume<P: Inbound + ?Sized>(
        &mut self,
        now: Instant,
        stage: Stage,
        mut pipe: Option<&mut P>,
    ) -> Result<Option<InputEnd>, ProtocolError> {
        if self.input == Input::Flowing {
            return Ok(None);
        }
        if let Some(p) = pipe.as_deref_mut() {
            if !p.can_write() && p.sleep_writer() {
                return Ok(None);
            }
        }
        let ended = match std::mem::replace(&mut self.input, Input::Flowing) {
            Input::HeldBackThenEnd(reason) => Some(reason),
            _ => None,
        };
        let mut backlog = std::mem::take(&mut self.backlog);
        let fed = self.feed(backlog.unread(), now, stage, pipe)?;
        // Octets are held back only once the handshake is done.
        debug_assert!(fed.ready.is_none());
        backlog.consume(fed.used);
        debug_assert!(self.backlog.is_empty());
        self.backlog = backlog;
        match ended {
            Some(reason) if self.input == Input::Flowing => Ok(Some(reason)),
            Some(reason) => {
                // Still held back: the end waits for the rest.
                self.input = Input::HeldBackThenEnd(reason);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Fills `out` with what the codec owes the peer and, once `stage.up`, queued messages
    /// from `pipe`, taking owed commands only between messages; sleeps on the pipe when it
    /// has nothing.
    pub fn fill<P: Outbound + ?Sized>(
        &mut self,
        out: &mut WriteBatch,
        stage: Stage,
        mut pipe: Option<&mut P>,
        batch_limit: usize,
    ) -> Filled {
        loop {
            self.codec.take_control(out);
            let Some(p) = pipe.as_deref_mut().filter(|_| stage.up) else {
                return Filled::Batch;
            };
            let mut mid_message = false;
            let mut stream_closes = false;
            while mid_message || out.len() < batch_limit {
                match p.read() {
                    Some(msg) if msg.is_empty() && self.codec.is_raw() => {
                        stream_closes = true;
                        break;
                    }
                    Some(msg) => {
                        mid_message = msg.more();
                        self.codec.encode_message(&msg, out);
                    }
                    None => break,
                }
            }
            p.release();
            if stream_closes {
                return Filled::StreamCloses;
            }
            if !out.is_empty() || stage.lingering {
                return Filled::Batch;
            }
            // Idle: sleep on the pipe unless something arrived meanwhile.
            if p.sleep_reader() {
                return Filled::Batch;
            }
        }
    }

    /// Fills `out` with what the codec still owes the peer, and nothing else (a closing
    /// connection).
    pub fn fill_owed(&mut self, out: &mut WriteBatch) {
        self.codec.take_control(out);
    }
}

/// Received octets waiting for room in the socket's queue, decoded from the front a queue's
/// worth at a time. The unread rest stays where it is: moving it down after every partial
/// decode cost a fifth of a receiving shard's time in 8-byte streams.
///
/// Bounded by what the receive delivers between the queue filling and the receive stopping:
/// at most the shard's provided buffers (128 × 32 KiB by default), since a stopped receive is
/// not re-armed until the backlog is decoded.
#[derive(Debug, Default)]
pub struct Backlog {
    buf: Vec<u8>,
    start: usize,
}

impl Backlog {
    /// `true` if nothing waits.
    pub fn is_empty(&self) -> bool {
        self.start == self.buf.len()
    }

    /// Appends octets received after the queue filled.
    pub fn push(&mut self, data: &[u8]) {
        if self.is_empty() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The octets not yet decoded.
    pub fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Marks `n` octets from the front as decoded; an emptied backlog gives its memory back.
    pub fn consume(&mut self, n: usize) {
        self.start += n;
        debug_assert!(self.start <= self.buf.len());
        if self.is_empty() {
            self.buf = Vec::new();
            self.start = 0;
        }
    }

    /// Octets held (the buffer's capacity).
    pub fn buffered_octets(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket_type::SocketType;
    use crate::zmtp::{BodyPool, ZmtpConfig, encode_command, our_greeting};
    use std::sync::Arc;

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
        assert_eq!(b.buffered_octets(), 0, "an emptied backlog holds no memory");
        b.push(b"xy");
        assert_eq!(b.unread(), b"xy");
    }

    /// A queue toward the socket holding at most `hwm` messages.
    #[derive(Default)]
    struct Queue {
        hwm: usize,
        frames: Vec<Msg>,
        published: usize,
    }

    impl Inbound for Queue {
        fn can_write(&mut self) -> bool {
            self.frames.iter().filter(|m| !m.more()).count() < self.hwm
        }
        fn write(&mut self, msg: Msg) {
            self.frames.push(msg);
        }
        fn flush(&mut self) {
            self.published = self.frames.len();
        }
        fn sleep_writer(&mut self) -> bool {
            true
        }
    }

    fn up_flow() -> (Flow, Instant) {
        let now = Instant::now();
        let codec = Codec::new(
            Arc::new(ZmtpConfig::new(SocketType::Pull)),
            now,
            &BodyPool::default(),
        );
        let mut flow = Flow::new(codec);
        let mut handshake = our_greeting("NULL", false).to_vec();
        let mut ready = vec![11];
        ready.extend_from_slice(b"Socket-Type\0\0\0\x04PUSH");
        encode_command("READY", &ready, &mut handshake);
        let fed = flow
            .feed(
                &handshake,
                now,
                Stage {
                    up: false,
                    lingering: false,
                },
                None::<&mut Queue>,
            )
            .unwrap();
        assert_eq!(fed.used, handshake.len());
        assert!(fed.ready.is_some());
        (flow, now)
    }

    #[test]
    fn a_full_queue_holds_input_back_and_room_resumes_it_in_order() {
        let (mut flow, now) = up_flow();
        let stage = Stage {
            up: true,
            lingering: false,
        };
        let wire: Vec<u8> = (0..10u8).flat_map(|i| [0x00, 1, i]).collect();
        let mut queue = Queue {
            hwm: 4,
            ..Queue::default()
        };
        let fed = flow.feed(&wire, now, stage, Some(&mut queue)).unwrap();
        assert_eq!((fed.used, queue.published), (12, 4));
        assert_eq!(flow.input(), &Input::HeldBack);
        flow.hold(&wire[fed.used..]);
        // The peer closes meanwhile: the end waits for what is held back.
        assert!(flow.end_after_backlog(InputEnd::PeerClosed));
        queue.hwm = 100;
        let ended = flow.resume(now, stage, Some(&mut queue)).unwrap();
        assert_eq!(ended, Some(InputEnd::PeerClosed));
        let bodies: Vec<u8> = queue.frames.iter().map(|m| m[0]).collect();
        assert_eq!(bodies, (0..10).collect::<Vec<u8>>());
        assert_eq!(flow.buffered_octets(), flow.codec().buffered_octets());
    }

    #[test]
    fn a_body_received_in_place_waits_for_room_like_any_input() {
        let (mut flow, now) = up_flow();
        let stage = Stage {
            up: true,
            lingering: false,
        };
        let len = 200_000usize;
        let mut wire = vec![0x00, 1, b'a'];
        wire.extend_from_slice(&[0x02]);
        wire.extend_from_slice(&(len as u64).to_be_bytes());
        let body_at = wire.len();
        wire.extend((0..len).map(|k| k as u8));
        let mut queue = Queue {
            hwm: 2,
            ..Queue::default()
        };
        // One small message, then the header of the large one and a bit of its body.
        let fed = flow
            .feed(&wire[..body_at + 10], now, stage, Some(&mut queue))
            .unwrap();
        assert_eq!((fed.used, queue.published), (body_at + 10, 1));
        // The socket reads nothing meanwhile, and its queue shrinks to one message.
        queue.hwm = 1;
        assert_eq!(flow.body_wanted(), Some(len - 10));
        let mut loan = flow.lend_body(1000).unwrap();
        loan.body.extend_from_slice(&wire[body_at + 10..]);
        // The queue is full: the whole frame waits in the codec, input is held back.
        let fed = flow.return_body(loan.body, now, stage, Some(&mut queue)).unwrap();
        assert_eq!(fed.used, 0);
        assert_eq!(flow.input(), &Input::HeldBack);
        assert_eq!(queue.frames.len(), 1);
        assert!(flow.body_wanted().is_none() && flow.lend_body(1).is_none());
        queue.hwm = 10;
        assert_eq!(flow.resume(now, stage, Some(&mut queue)).unwrap(), None);
        assert_eq!(flow.input(), &Input::Flowing);
        assert_eq!(queue.frames.len(), 2);
        let big = &queue.frames[1];
        assert_eq!(big.len(), len);
        assert!(big.iter().enumerate().all(|(k, &b)| b == k as u8));
    }
}
