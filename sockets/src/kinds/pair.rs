//! PAIR (RFC 31): exactly one peer; further peers are refused while it is there.

use ringmq_transports::Msg;

use super::{Origin, RecvError, SendError, SocketKind};
use crate::pipes::Pipes;

#[derive(Debug, Default)]
pub(crate) struct Pair {
    pipe: Option<usize>,
    finished: Vec<usize>,
}

impl SocketKind for Pair {
    fn attach(&mut self, _pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        if self.pipe.is_some() {
            return false;
        }
        self.pipe = Some(idx);
        true
    }

    fn detached(&mut self, pipes: &mut Pipes, idx: usize) {
        // Keep the pipe until what it holds is read; outgoing messages to it are lost.
        if self.pipe == Some(idx) && !pipes.get(idx).pipe.has_incoming() {
            self.pipe = None;
            self.finished.push(idx);
        }
    }

    fn readable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        let Some(idx) = self.pipe else {
            return Err(SendError::WouldBlock(msg));
        };
        let entry = pipes.get(idx);
        if entry.detached {
            return Err(SendError::WouldBlock(msg));
        }
        let p = &mut entry.pipe;
        if !p.writable_or_sleep() {
            return Err(SendError::WouldBlock(msg));
        }
        let more = msg.more();
        p.write(msg);
        if !more {
            p.flush();
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        let Some(idx) = self.pipe else {
            return Err(RecvError::WouldBlock);
        };
        let entry = pipes.get(idx);
        loop {
            if let Some(msg) = entry.pipe.read() {
                if !msg.more() {
                    entry.pipe.release();
                }
                return Ok(msg);
            }
            if entry.detached {
                self.pipe = None;
                self.finished.push(idx);
                return Err(RecvError::WouldBlock);
            }
            if entry.pipe.sleep_reader() {
                return Err(RecvError::WouldBlock);
            }
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        match self.pipe {
            Some(idx) => {
                let entry = pipes.get(idx);
                !entry.detached && entry.pipe.writable_or_sleep()
            }
            None => false,
        }
    }

    fn take_finished(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        if self.pipe == Some(idx) {
            self.pipe = None;
        }
    }
}
