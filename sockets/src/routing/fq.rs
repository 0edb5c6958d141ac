//! Fair-queuing: messages are taken whole from each pipe in turn, skipping empty pipes
//! (libzmq's `fq`).

use ringmq_transports::Msg;

use crate::pipes::{ActiveSet, Pipes};

#[derive(Debug, Default)]
pub(crate) struct FairQueue {
    set: ActiveSet,
    /// The pipe the unfinished message comes from.
    in_message: Option<usize>,
    /// Pipes found detached and drained: the owner removes them.
    finished: Vec<usize>,
}

impl FairQueue {
    pub(crate) fn attach(&mut self, idx: usize) {
        self.set.insert(idx);
    }

    pub(crate) fn activate(&mut self, idx: usize) {
        self.set.activate(idx);
    }

    pub(crate) fn remove(&mut self, idx: usize) {
        if self.in_message == Some(idx) {
            self.in_message = None;
        }
        self.set.remove(idx);
    }

    /// Pipes that ended (peer gone, nothing left to read), for the owner to remove.
    pub(crate) fn take_finished(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.finished)
    }

    /// `true` if some pipe has a message to read (pipes found empty go to sleep, so a
    /// Readable event comes when that changes).
    pub(crate) fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.in_message.is_some() || self.next_with_input(pipes).is_some()
    }

    /// The next pipe in turn with a message waiting. Empty pipes go to sleep (unless input
    /// arrived meanwhile) and leave the active set; drained pipes of gone peers finish.
    fn next_with_input(&mut self, pipes: &mut Pipes) -> Option<usize> {
        let may_pause = pipes.writers_elsewhere;
        loop {
            let idx = self.set.current()?;
            let entry = pipes.get(idx);
            if entry.pipe.has_incoming() {
                return Some(idx);
            }
            if entry.detached {
                self.set.remove(idx);
                self.finished.push(idx);
                continue;
            }
            // With one inproc peer streaming to us, a brief pause batches its messages; with
            // many, others are likely to have input and pausing on each would add up. (A
            // session already writes what one receive brought as one batch.)
            if may_pause
                && self.set.active_len() == 1
                && entry.pipe.is_inproc()
                && entry.pipe.pause_for_incoming()
            {
                return Some(idx);
            }
            if entry.pipe.sleep_reader() {
                self.set.deactivate_current();
            }
        }
    }

    /// Receives one frame and the pipe it came from, or `None` if no pipe has a message.
    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Option<(usize, Msg)> {
        let idx = match self.in_message {
            Some(idx) => idx,
            None => self.next_with_input(pipes)?,
        };
        let p = &mut pipes.get(idx).pipe;
        let msg = p.read().expect("messages are published whole");
        if msg.more() {
            self.in_message = Some(idx);
        } else {
            p.release();
            self.in_message = None;
            self.set.advance();
        }
        Some((idx, msg))
    }
}
