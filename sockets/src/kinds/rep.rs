//! REP (RFC 28): fair-queues requests, strips and keeps their address envelope, and sends
//! the reply back, with the envelope, to the peer the request came from. Never blocks on
//! send: a reply to a peer that left, or whose queue is full, is dropped.

use ringmq_transports::{Error, Msg};

use super::{Origin, RecvError, SendError, SocketKind};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;

#[derive(Debug, Default)]
pub(crate) struct Rep {
    fq: FairQueue,
    /// A request was received; only a send is allowed now.
    sending_reply: bool,
    /// Inside a request body (its envelope was consumed).
    in_request: bool,
    /// The envelope of the request being answered, delimiter included.
    envelope: Vec<Msg>,
    /// Where the reply goes (`None` if that peer left).
    reply_pipe: Option<usize>,
    /// The reply is being dropped (peer gone or full).
    dropping_reply: bool,
    /// The reply's first frame has been written (envelope sent).
    reply_started: bool,
    finished: Vec<usize>,
}

impl SocketKind for Rep {
    fn attach(&mut self, _pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        self.fq.attach(idx);
        true
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if !self.sending_reply {
            return Err(SendError::Fail(Error::InvalidState(
                "REP socket must receive a request before sending a reply",
            )));
        }
        let more = msg.more();
        if !self.reply_started {
            self.reply_started = true;
            self.dropping_reply = true;
            if let Some(idx) = self.reply_pipe {
                let entry = pipes.get(idx);
                if !entry.detached && entry.pipe.can_write() {
                    self.dropping_reply = false;
                    for frame in self.envelope.drain(..) {
                        entry.pipe.write(frame);
                    }
                }
            }
            self.envelope.clear();
        }
        if !self.dropping_reply {
            let idx = self.reply_pipe.expect("a reply being sent has a pipe");
            let p = &mut pipes.get(idx).pipe;
            p.write(msg);
            if !more {
                p.flush();
            }
        }
        if !more {
            self.sending_reply = false;
            self.reply_started = false;
            self.dropping_reply = false;
            self.reply_pipe = None;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        if self.sending_reply {
            return Err(RecvError::Fail(Error::InvalidState(
                "REP socket must send the reply before receiving another request",
            )));
        }
        loop {
            let Some((idx, msg)) = self.fq.recv(pipes) else {
                self.collect_finished();
                return Err(RecvError::WouldBlock);
            };
            if !self.in_request {
                // Envelope: frames up to and including the empty delimiter.
                if !msg.more() {
                    // Malformed request without a delimiter: drop it.
                    self.envelope.clear();
                    continue;
                }
                let delimiter = msg.is_empty();
                self.envelope.push(msg);
                if delimiter {
                    self.in_request = true;
                    self.reply_pipe = Some(idx);
                }
                continue;
            }
            if !msg.more() {
                self.in_request = false;
                self.sending_reply = true;
            }
            return Ok(msg);
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        let _ = pipes;
        // A reply never blocks (it is dropped if its peer cannot take it).
        self.sending_reply
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> Option<bool> {
        Some(!self.sending_reply && self.fq.has_in(pipes))
    }

    fn take_finished(&mut self) -> Vec<usize> {
        self.collect_finished();
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.remove(idx);
        if self.reply_pipe == Some(idx) {
            self.reply_pipe = None;
        }
    }
}

impl Rep {
    fn collect_finished(&mut self) {
        for idx in self.fq.take_finished() {
            if self.reply_pipe == Some(idx) {
                self.reply_pipe = None;
            }
            self.finished.push(idx);
        }
    }
}
