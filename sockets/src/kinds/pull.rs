//! PULL (RFC 30): fair-queues incoming messages from all peers.

use ringmq_transports::{Msg, SocketType};

use super::{Origin, RecvError, SendError, SocketKind, not_supported};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;

#[derive(Debug, Default)]
pub(crate) struct Pull {
    fq: FairQueue,
}

impl SocketKind for Pull {
    fn attach(&mut self, _pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        self.fq.attach(idx);
        true
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        // Read what is left; the queue drops the pipe once it is drained.
        self.fq.activate(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, _pipes: &mut Pipes, _msg: Msg) -> Result<(), SendError> {
        Err(SendError::Fail(not_supported(SocketType::Pull, "send")))
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        self.fq.recv(pipes).map(|(_, m)| m).ok_or(RecvError::WouldBlock)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        let _ = pipes;
        false
    }

    fn take_finished(&mut self) -> Vec<usize> {
        self.fq.take_finished()
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.remove(idx);
    }
}
