//! Distribution: one message to many pipes (libzmq's `dist`), for publishers. The caller
//! marks the pipes a message goes to; a pipe at its high-water mark either misses the whole
//! message (lossy, the PUB default) or holds the send back (XPUB_NODROP). A message goes to
//! the same pipes from its first frame to its last, so nobody gets a torn message.

use ringmq_transports::Msg;

use crate::pipes::Pipes;

#[derive(Debug, Default)]
pub(crate) struct Distributor {
    pipes: Vec<usize>,
    /// Per pipe slot: the round in which it was last marked.
    marks: Vec<u64>,
    round: u64,
    /// The pipes marked in this round.
    matching: Vec<usize>,
    /// The pipes the current message goes to (set at its first frame).
    targets: Vec<usize>,
    in_message: bool,
}

impl Distributor {
    pub(crate) fn attach(&mut self, idx: usize) {
        if !self.pipes.contains(&idx) {
            self.pipes.push(idx);
        }
        if self.marks.len() <= idx {
            self.marks.resize(idx + 1, 0);
        }
    }

    pub(crate) fn remove(&mut self, idx: usize) {
        self.pipes.retain(|&p| p != idx);
        self.targets.retain(|&p| p != idx);
        self.matching.retain(|&p| p != idx);
        if let Some(m) = self.marks.get_mut(idx) {
            *m = 0;
        }
    }

    #[cfg(test)]
    fn pipes(&self) -> &[usize] {
        &self.pipes
    }

    /// `true` between the first and the last frame of a message.
    pub(crate) fn in_message(&self) -> bool {
        self.in_message
    }

    /// Starts choosing the pipes of a new message: none is marked.
    pub(crate) fn begin_matching(&mut self) {
        self.round += 1;
        self.matching.clear();
    }

    /// Marks a pipe for the message being chosen (marking twice is harmless).
    #[inline]
    pub(crate) fn mark(&mut self, idx: usize) {
        if let Some(m) = self.marks.get_mut(idx) {
            if *m != self.round {
                *m = self.round;
                self.matching.push(idx);
            }
        }
    }

    /// Swaps the marked and unmarked pipes (INVERT_MATCHING).
    pub(crate) fn invert(&mut self) {
        let round = self.round;
        self.matching = self
            .pipes
            .iter()
            .copied()
            .filter(|&p| self.marks[p] != round)
            .collect();
        self.round += 1;
        for &p in &self.matching {
            self.marks[p] = self.round;
        }
    }

    /// Sends one frame to the marked pipes (at the first frame) or to the pipes the message
    /// already goes to. With `lossy`, full pipes miss the message; otherwise a full pipe
    /// hands the frame back (the caller waits for a Writable event and retries).
    pub(crate) fn send(&mut self, pipes: &mut Pipes, msg: Msg, lossy: bool) -> Result<(), Msg> {
        if !self.in_message {
            self.targets.clear();
            for &idx in &self.matching {
                let entry = pipes.get(idx);
                if entry.detached {
                    continue;
                }
                if lossy {
                    if entry.pipe.can_write() {
                        self.targets.push(idx);
                    } else {
                        pipes.count_hwm_drop();
                    }
                } else if entry.pipe.writable_or_sleep() {
                    self.targets.push(idx);
                } else {
                    self.targets.clear();
                    return Err(msg);
                }
            }
        }
        let more = msg.more();
        if let Some((&last, rest)) = self.targets.split_last() {
            for &idx in rest {
                let p = &mut pipes.get(idx).pipe;
                p.write(msg.clone());
                if !more {
                    p.flush();
                }
            }
            let p = &mut pipes.get(last).pipe;
            p.write(msg);
            if !more {
                p.flush();
            }
        }
        self.in_message = more;
        if !more {
            self.targets.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marking_dedups_and_inverting_swaps_the_sets() {
        let mut d = Distributor::default();
        for i in [0, 2, 5] {
            d.attach(i);
        }
        d.begin_matching();
        d.mark(2);
        d.mark(2);
        assert_eq!(d.matching, [2]);
        d.invert();
        assert_eq!(d.matching, [0, 5]);
        d.begin_matching();
        d.invert();
        assert_eq!(d.matching, [0, 2, 5], "nothing marked, inverted: all");
        d.remove(2);
        assert_eq!(d.pipes(), [0, 5]);
    }
}
