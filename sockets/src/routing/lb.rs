//! Load-balancing: each message goes whole to the next pipe, round-robin, skipping pipes at
//! their high-water mark (libzmq's `lb`).

use ringmq_transports::Msg;

use crate::pipes::{ActiveSet, Pipes};

#[derive(Debug, Default)]
pub(crate) struct LoadBalancer {
    set: ActiveSet,
    /// The pipe the unfinished message goes to (frames of one message never split).
    in_message: Option<usize>,
    /// The pipe went away mid-message: drop the rest of that message.
    dropping: bool,
}

impl LoadBalancer {
    pub(crate) fn attach(&mut self, idx: usize) {
        self.set.insert(idx);
    }

    pub(crate) fn activate(&mut self, idx: usize) {
        self.set.activate(idx);
    }

    pub(crate) fn remove(&mut self, idx: usize) {
        if self.in_message == Some(idx) {
            self.in_message = None;
            self.dropping = true;
        }
        self.set.remove(idx);
    }

    /// The pipe the unfinished message is going to.
    pub(crate) fn current_message_pipe(&self) -> Option<usize> {
        self.in_message
    }

    /// `true` if a frame can be sent now: inside a message, or some pipe has room (full pipes
    /// go to sleep, so a Writable event comes when that changes).
    pub(crate) fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.in_message.is_some() || self.dropping {
            return true;
        }
        loop {
            let Some(idx) = self.set.current() else {
                return false;
            };
            let entry = pipes.get(idx);
            if entry.detached {
                self.set.deactivate_current();
                continue;
            }
            if entry.pipe.can_write() {
                return true;
            }
            if entry.pipe.sleep_writer() {
                self.set.deactivate_current();
            }
        }
    }

    /// Sends one frame. Hands the frame back if no pipe can take a new message now.
    pub(crate) fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), Msg> {
        let more = msg.more();
        if self.dropping {
            self.dropping = more;
            return Ok(());
        }
        if let Some(idx) = self.in_message {
            let p = &mut pipes.get(idx).pipe;
            p.write(msg);
            if !more {
                p.flush();
                self.in_message = None;
                self.set.advance();
            }
            return Ok(());
        }
        let idx = loop {
            let Some(idx) = self.set.current() else {
                return Err(msg);
            };
            let entry = pipes.get(idx);
            if entry.detached {
                self.set.deactivate_current();
                continue;
            }
            if entry.pipe.can_write() {
                break idx;
            }
            // Full: wait for it to drain, unless room appeared meanwhile.
            if entry.pipe.sleep_writer() {
                self.set.deactivate_current();
            }
        };
        let p = &mut pipes.get(idx).pipe;
        p.write(msg);
        if more {
            self.in_message = Some(idx);
        } else {
            p.flush();
            self.set.advance();
        }
        Ok(())
    }
}
