//! REQ (RFC 28): sends a request (prefixed with an empty delimiter) round-robin, then accepts
//! exactly one reply, from the peer it sent to; send/recv must alternate (EFSM otherwise).
//!
//! REQ_RELAXED lifts the alternation: a new request may be sent before the reply, which then
//! is never returned. REQ_CORRELATE puts a request id before the delimiter and accepts only a
//! reply carrying the id of the last request, so a late reply to an earlier one is dropped.

use ringmq_transports::{Error, Msg};

use super::{Origin, RecvError, SendError, SocketKind, TypeOption};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;
use crate::routing::lb::LoadBalancer;

#[derive(Debug)]
pub(crate) struct Req {
    lb: LoadBalancer,
    fq: FairQueue,
    /// A request was sent; only a receive is allowed now (unless relaxed).
    receiving_reply: bool,
    /// The next frame sent starts a request (and needs the delimiter).
    sending_body: bool,
    /// The peer the last request went to: only its reply is accepted.
    reply_pipe: Option<usize>,
    /// REQ_CORRELATE: the reply's request id was seen.
    id_seen: bool,
    /// Inside an accepted reply (the delimiter was seen).
    in_reply: bool,
    /// Skipping the rest of a message that is not our reply.
    discarding: bool,
    /// `false` with REQ_RELAXED.
    strict: bool,
    correlate: bool,
    request_id: u32,
    finished: Vec<usize>,
}

impl Default for Req {
    fn default() -> Self {
        // Ids only need to differ between requests; start somewhere arbitrary, as libzmq does.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Self {
            lb: LoadBalancer::default(),
            fq: FairQueue::default(),
            receiving_reply: false,
            sending_body: false,
            reply_pipe: None,
            id_seen: false,
            in_reply: false,
            discarding: false,
            strict: true,
            correlate: false,
            request_id: start,
            finished: Vec::new(),
        }
    }
}

impl SocketKind for Req {
    fn attach(&mut self, _pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        self.lb.attach(idx);
        self.fq.attach(idx);
        true
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        // Nothing more can be sent there, but the reply may be in the pipe already (a peer
        // that replies and closes at once): it stays the reply pipe until it is drained.
        // If the reply never came, the caller's recv blocks, as with libzmq (use a timeout,
        // or REQ_RELAXED to send again).
        self.lb.remove(idx);
        self.fq.activate(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.lb.activate(idx);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if self.receiving_reply {
            if self.strict {
                return Err(SendError::Fail(Error::InvalidState(
                    "REQ socket must receive the reply before sending another request",
                )));
            }
            // Relaxed: the pending reply is abandoned.
            self.receiving_reply = false;
            self.reply_pipe = None;
        }
        if !self.sending_body {
            // Start of a request: its first frame picks the peer for the whole request.
            let request_id = self.request_id.wrapping_add(1);
            let envelope = if self.correlate {
                let id = Msg::copy_from_slice(&request_id.to_ne_bytes()).with_more(true);
                self.lb.send(pipes, id)
            } else {
                self.lb.send(pipes, Msg::new().with_more(true))
            };
            if envelope.is_err() {
                return Err(SendError::WouldBlock(msg));
            }
            if self.correlate {
                self.lb
                    .send(pipes, Msg::new().with_more(true))
                    .expect("frames after the first always go to the same pipe");
            }
            self.request_id = request_id;
            self.reply_pipe = self.lb.current_message_pipe();
            self.sending_body = true;
        }
        let more = msg.more();
        self.lb
            .send(pipes, msg)
            .expect("frames after the first always go to the same pipe");
        if !more {
            self.sending_body = false;
            self.receiving_reply = true;
            self.in_reply = false;
            self.id_seen = false;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        if !self.receiving_reply {
            return Err(RecvError::Fail(Error::InvalidState(
                "REQ socket must send a request before receiving",
            )));
        }
        loop {
            let Some((idx, msg)) = self.fq.recv(pipes) else {
                self.collect_finished();
                return Err(RecvError::WouldBlock);
            };
            if self.discarding {
                self.discarding = msg.more();
                continue;
            }
            if Some(idx) != self.reply_pipe {
                // Not from the peer we asked: drop the whole message.
                self.discarding = msg.more();
                continue;
            }
            if !self.in_reply {
                if self.correlate && !self.id_seen {
                    if msg.more() && msg[..] == self.request_id.to_ne_bytes() {
                        self.id_seen = true;
                    } else {
                        // A reply to another request, or malformed.
                        self.discarding = msg.more();
                    }
                    continue;
                }
                if msg.is_empty() && msg.more() {
                    self.in_reply = true;
                    continue;
                }
                // A reply must start with the empty delimiter; drop malformed ones.
                self.discarding = msg.more();
                self.id_seen = false;
                continue;
            }
            if !msg.more() {
                self.receiving_reply = false;
                self.in_reply = false;
            }
            return Ok(msg);
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        (!self.receiving_reply || !self.strict) && (self.sending_body || self.lb.has_out(pipes))
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> Option<bool> {
        // As libzmq: a message is waiting while a reply is expected (one from another peer,
        // which recv would drop, counts too).
        Some(self.receiving_reply && self.fq.has_in(pipes))
    }

    fn take_finished(&mut self) -> Vec<usize> {
        self.collect_finished();
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.lb.remove(idx);
        self.fq.remove(idx);
        if self.reply_pipe == Some(idx) {
            self.reply_pipe = None;
        }
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        match option {
            TypeOption::ReqCorrelate(on) => self.correlate = on,
            TypeOption::ReqRelaxed(on) => self.strict = !on,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "{} does not apply to REQ sockets",
                    other.name()
                )));
            }
        }
        Ok(())
    }
}

impl Req {
    fn collect_finished(&mut self) {
        for idx in self.fq.take_finished() {
            self.lb.remove(idx);
            if self.reply_pipe == Some(idx) {
                self.reply_pipe = None;
            }
            self.finished.push(idx);
        }
    }
}
