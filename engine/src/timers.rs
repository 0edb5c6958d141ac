//! The shard's timer queue: a binary heap of deadlines. The shard sleeps in `io_uring_enter`
//! with the nearest deadline as its timeout, so timers cost no SQE and cancelling is free: a
//! task ignores a timer whose tag it no longer expects.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::task::TaskId;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    at: Instant,
    seq: u64,
    task_index: u32,
    task_generation: u32,
    tag: u64,
}

/// Deadlines ordered soonest first; ties keep insertion order.
#[derive(Debug, Default)]
pub struct TimerQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl TimerQueue {
    /// Schedules `tag` for `task` at `at`.
    pub fn schedule(&mut self, at: Instant, task: TaskId, tag: u64) {
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            at,
            seq: self.seq,
            task_index: task.index,
            task_generation: task.generation,
            tag,
        }));
    }

    /// The soonest deadline, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// Removes and returns one timer due at `now`, if any.
    pub fn pop_due(&mut self, now: Instant) -> Option<(TaskId, u64)> {
        if self.heap.peek()?.0.at > now {
            return None;
        }
        let Reverse(e) = self.heap.pop()?;
        Some((
            TaskId {
                index: e.task_index,
                generation: e.task_generation,
            },
            e.tag,
        ))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_timers_pop_in_deadline_then_insertion_order() {
        let t0 = Instant::now();
        let task = TaskId {
            index: 1,
            generation: 0,
        };
        let mut q = TimerQueue::default();
        q.schedule(t0 + Duration::from_millis(30), task, 3);
        q.schedule(t0 + Duration::from_millis(10), task, 1);
        q.schedule(t0 + Duration::from_millis(10), task, 2);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_millis(10)));
        assert_eq!(q.pop_due(t0), None);
        let later = t0 + Duration::from_millis(20);
        assert_eq!(q.pop_due(later), Some((task, 1)));
        assert_eq!(q.pop_due(later), Some((task, 2)));
        assert_eq!(q.pop_due(later), None);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_millis(30)));
    }
}
