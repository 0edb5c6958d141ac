//! REQ (RFC 28): sends a request (prefixed with an empty delimiter) round-robin, then accepts
//! exactly one reply, from the peer it sent to; send/recv must alternate (EFSM otherwise).

use ringmq_transports::{Error, Msg};

use super::{RecvError, SendError, SocketKind};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;
use crate::routing::lb::LoadBalancer;

#[derive(Debug, Default)]
pub(crate) struct Req {
    lb: LoadBalancer,
    fq: FairQueue,
    /// A request was sent; only a receive is allowed now.
    receiving_reply: bool,
    /// The next frame sent starts a request (and needs the delimiter).
    sending_body: bool,
    /// The peer the last request went to: only its reply is accepted.
    reply_pipe: Option<usize>,
    /// Inside an accepted reply (the delimiter was seen).
    in_reply: bool,
    /// Skipping the rest of a message that is not our reply.
    discarding: bool,
    finished: Vec<usize>,
}

impl SocketKind for Req {
    fn attach(&mut self, _pipes: &mut Pipes, idx: usize) -> bool {
        self.lb.attach(idx);
        self.fq.attach(idx);
        true
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.lb.remove(idx);
        self.fq.activate(idx);
        if self.reply_pipe == Some(idx) {
            // As libzmq: the reply can never come; the caller's recv blocks (use a timeout).
            self.reply_pipe = None;
        }
    }

    fn readable(&mut self, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, idx: usize) {
        self.lb.activate(idx);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if self.receiving_reply {
            return Err(SendError::Fail(Error::InvalidState(
                "REQ socket must receive the reply before sending another request",
            )));
        }
        if !self.sending_body {
            // Start of a request: the empty delimiter picks the peer for the whole request.
            if let Err(_delimiter) = self.lb.send(pipes, Msg::new().with_more(true)) {
                return Err(SendError::WouldBlock(msg));
            }
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
                if msg.is_empty() && msg.more() {
                    self.in_reply = true;
                    continue;
                }
                // A reply must start with the empty delimiter; drop malformed ones.
                self.discarding = msg.more();
                continue;
            }
            if !msg.more() {
                self.receiving_reply = false;
                self.in_reply = false;
            }
            return Ok(msg);
        }
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
}

impl Req {
    fn collect_finished(&mut self) {
        for idx in self.fq.take_finished() {
            self.lb.remove(idx);
            self.finished.push(idx);
        }
    }
}
