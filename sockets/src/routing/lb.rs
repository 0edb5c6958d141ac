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
        self.in_message.is_some() || self.dropping || self.next_with_room(pipes).is_some()
    }

    /// The next pipe in turn with room for a new message. Full pipes go to sleep (unless room
    /// appeared meanwhile) and leave the active set, as do pipes of gone peers.
    fn next_with_room(&mut self, pipes: &mut Pipes) -> Option<usize> {
        loop {
            let idx = self.set.current()?;
            let entry = pipes.get(idx);
            if entry.detached {
                self.set.deactivate_current();
                continue;
            }
            if entry.pipe.can_write() {
                return Some(idx);
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
        let idx = match self.in_message {
            Some(idx) => idx,
            None => match self.next_with_room(pipes) {
                Some(idx) => idx,
                None => return Err(msg),
            },
        };
        let p = &mut pipes.get(idx).pipe;
        p.write(msg);
        if more {
            self.in_message = Some(idx);
        } else {
            p.flush();
            self.in_message = None;
            self.set.advance();
        }
        Ok(())
    }
}
