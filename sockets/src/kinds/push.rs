//! PUSH (RFC 30): round-robin to available peers; blocks when none can take a message.

use ringmq_transports::{Msg, SocketType};

use super::{Origin, RecvError, SendError, SocketKind, not_supported};
use crate::pipes::Pipes;
use crate::routing::lb::LoadBalancer;

#[derive(Debug, Default)]
pub(crate) struct Push {
    lb: LoadBalancer,
    finished: Vec<usize>,
}

impl SocketKind for Push {
    fn attach(&mut self, _pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        self.lb.attach(idx);
        true
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        // Nothing is ever read from a PUSH pipe: drop it at once with what it queued.
        self.lb.remove(idx);
        self.finished.push(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn writable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.lb.activate(idx);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        self.lb.send(pipes, msg).map_err(SendError::WouldBlock)
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg, RecvError> {
        Err(RecvError::Fail(not_supported(SocketType::Push, "receive")))
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }

    fn take_finished(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.lb.remove(idx);
    }
}
