//! The socket's table of pipes, and the active-set bookkeeping its routing strategies share.

use std::collections::HashMap;

use ringmq_transports::Msg;
use ringmq_transports::pipe::{PipeId, SocketPipe};

/// One pipe of the socket.
#[derive(Debug)]
pub(crate) struct PipeEntry {
    pub(crate) pipe: SocketPipe,
    /// The peer is gone for good; what is left in the pipe may still be read.
    pub(crate) detached: bool,
}

/// Pipes by dense slot index (what routing code stores) and by id (what events carry).
#[derive(Debug, Default)]
pub(crate) struct Pipes {
    slots: Vec<Option<PipeEntry>>,
    free: Vec<usize>,
    by_id: HashMap<PipeId, usize>,
    /// The writers run on other threads, so pausing for their input can pay (see
    /// `SocketPipe::pause_for_incoming`). Not so for an attached socket, whose sessions
    /// run on its own thread and cannot write while it pauses.
    pub(crate) writers_elsewhere: bool,
    /// How many of the pipes are inproc.
    inproc: usize,
    /// Messages a peer missed at SNDHWM (see `StatsSnapshot::dropped_at_hwm`).
    hwm_drops: u64,
}

impl Pipes {
    /// An empty table; `writers_elsewhere` as the field says.
    pub(crate) fn new(writers_elsewhere: bool) -> Self {
        Self {
            writers_elsewhere,
            ..Self::default()
        }
    }

    /// A peer missed a message: its pipe was at SNDHWM.
    pub(crate) fn count_hwm_drop(&mut self) {
        self.hwm_drops += 1;
    }

    pub(crate) fn hwm_drops(&self) -> u64 {
        self.hwm_drops
    }

    pub(crate) fn insert(&mut self, pipe: SocketPipe) -> usize {
        let id = pipe.id();
        self.inproc += usize::from(pipe.is_inproc());
        let entry = PipeEntry {
            pipe,
            detached: false,
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(entry);
                i
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        };
        self.by_id.insert(id, idx);
        idx
    }

    pub(crate) fn index_of(&self, id: PipeId) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    #[inline]
    pub(crate) fn get(&mut self, idx: usize) -> &mut PipeEntry {
        self.slots[idx]
            .as_mut()
            .expect("routing refers only to live pipes")
    }

    pub(crate) fn remove(&mut self, idx: usize) -> SocketPipe {
        let entry = self.slots[idx].take().expect("removing a live pipe");
        self.by_id.remove(&entry.pipe.id());
        self.inproc -= usize::from(entry.pipe.is_inproc());
        self.free.push(idx);
        entry.pipe
    }

    pub(crate) fn indices(&self) -> Vec<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|_| i))
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// `true` if some pipe is inproc: its peer is another application thread, whose
    /// answer may come within a spin.
    pub(crate) fn has_inproc(&self) -> bool {
        self.inproc > 0
    }

    /// The next whole message waiting in pipe `idx`, counted as read. `None` once the pipe
    /// is empty, and then it sleeps (a Readable event comes with the next message) unless
    /// its peer is gone.
    pub(crate) fn next_message(&mut self, idx: usize) -> Option<Vec<Msg>> {
        let entry = self.get(idx);
        loop {
            let Some(first) = entry.pipe.read() else {
                if entry.detached || entry.pipe.sleep_reader() {
                    return None;
                }
                continue;
            };
            let mut frames = vec![first];
            while frames.last().is_some_and(Msg::more) {
                frames.push(entry.pipe.read().expect("messages are published whole"));
            }
            entry.pipe.release();
            return Some(frames);
        }
    }
}

/// A set of pipe slots split into an active prefix and an inactive rest, with a round-robin
/// cursor over the active ones — the structure under libzmq's `lb` and `fq`. Positions are
/// indexed by slot, so activating or removing a pipe is O(1).
#[derive(Debug, Default)]
pub(crate) struct ActiveSet {
    items: Vec<usize>,
    /// Position of each slot in `items` (`usize::MAX` when absent).
    pos: Vec<usize>,
    active: usize,
    current: usize,
}

impl ActiveSet {
    fn position(&self, idx: usize) -> Option<usize> {
        self.pos.get(idx).copied().filter(|&p| p != usize::MAX)
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.items.swap(a, b);
        self.pos[self.items[a]] = a;
        self.pos[self.items[b]] = b;
    }

    /// Adds a pipe as active.
    pub(crate) fn insert(&mut self, idx: usize) {
        if self.position(idx).is_some() {
            return;
        }
        if self.pos.len() <= idx {
            self.pos.resize(idx + 1, usize::MAX);
        }
        self.items.push(idx);
        let at = self.items.len() - 1;
        self.pos[idx] = at;
        self.swap(at, self.active);
        self.active += 1;
    }

    /// Moves a known pipe back into the active part.
    pub(crate) fn activate(&mut self, idx: usize) {
        if let Some(p) = self.position(idx) {
            if p >= self.active {
                self.swap(p, self.active);
                self.active += 1;
            }
        }
    }

    /// Moves the current pipe to the inactive part.
    pub(crate) fn deactivate_current(&mut self) {
        self.active -= 1;
        self.swap(self.current, self.active);
        if self.current == self.active {
            self.current = 0;
        }
    }

    /// Forgets a pipe.
    pub(crate) fn remove(&mut self, idx: usize) {
        let Some(mut p) = self.position(idx) else {
            return;
        };
        if p < self.active {
            self.active -= 1;
            self.swap(p, self.active);
            if self.current == self.active {
                self.current = 0;
            }
            p = self.active;
        }
        let last = self.items.len() - 1;
        self.swap(p, last);
        self.items.pop();
        self.pos[idx] = usize::MAX;
    }

    /// The pipe the cursor is on, if any pipe is active.
    #[inline]
    pub(crate) fn current(&self) -> Option<usize> {
        (self.active > 0).then(|| self.items[self.current])
    }

    /// Moves the cursor to the next active pipe.
    #[inline]
    pub(crate) fn advance(&mut self) {
        if self.active > 0 {
            self.current = (self.current + 1) % self.active;
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, idx: usize) -> bool {
        self.position(idx).is_some()
    }

    pub(crate) fn active_len(&self) -> usize {
        self.active
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_over_active_pipes_with_o1_moves() {
        let mut s = ActiveSet::default();
        for i in [3, 5, 7] {
            s.insert(i);
        }
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(s.current().unwrap());
            s.advance();
        }
        seen.sort();
        assert_eq!(seen, [3, 5, 7]);
        // Deactivate whatever is current; the others keep rotating.
        let gone = s.current().unwrap();
        s.deactivate_current();
        assert_eq!(s.active_len(), 2);
        for _ in 0..4 {
            assert_ne!(s.current().unwrap(), gone);
            s.advance();
        }
        s.activate(gone);
        assert_eq!(s.active_len(), 3);
        s.remove(5);
        assert!(!s.contains(5));
        assert_eq!(s.len(), 2);
        s.remove(3);
        s.remove(7);
        assert_eq!(s.current(), None);
    }
}
