//! DEALER (RFC 28): round-robin out, fair-queue in, no envelope of its own; blocks when no
//! peer can take a message. With PROBE_ROUTER, each new peer first gets an empty message.

use ringmq_transports::{Error, Msg};

use super::{Origin, RecvError, SendError, SocketKind, TypeOption, write_control};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;
use crate::routing::lb::LoadBalancer;

#[derive(Debug, Default)]
pub(crate) struct Dealer {
    lb: LoadBalancer,
    fq: FairQueue,
    probe_router: bool,
    finished: Vec<usize>,
}

impl SocketKind for Dealer {
    fn attach(&mut self, pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        if self.probe_router {
            write_control(pipes, idx, Msg::new());
        }
        self.lb.attach(idx);
        self.fq.attach(idx);
        true
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.lb.remove(idx);
        // Read what is left; the queue reports the pipe finished once it is drained.
        self.fq.activate(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.lb.activate(idx);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        self.lb.send(pipes, msg).map_err(SendError::WouldBlock)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        match self.fq.recv(pipes) {
            Some((_, msg)) => Ok(msg),
            None => {
                self.finished.extend(self.fq.take_finished());
                Err(RecvError::WouldBlock)
            }
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }

    fn take_finished(&mut self) -> Vec<usize> {
        self.finished.extend(self.fq.take_finished());
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.lb.remove(idx);
        self.fq.remove(idx);
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        match option {
            TypeOption::ProbeRouter(on) => self.probe_router = on,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "{} does not apply to DEALER sockets",
                    other.name()
                )));
            }
        }
        Ok(())
    }
}
