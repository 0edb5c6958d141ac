//! A typed monitor (`Socket::monitor_typed`): the socket's events as [`MonitorEvent`]
//! values, with the peer's address and the typed reason a connection ended, which libzmq's
//! two-frame messages cannot carry. Read them as a blocking iterator, with a timeout, or
//! `async` under any executor (wakers only, as `AsyncSocket`).
//!
//! Bound: at most [`TYPED_QUEUE`] unread events are kept; later ones are dropped and
//! counted ([`MonitorStream::dropped`]), so a monitor nobody reads costs the socket nothing
//! but that queue.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use ringmq_transports::Result;
use ringmq_transports::monitor::{EventKind, EventSink, MonitorEvent};

use super::Socket;
use super::monitor::{MonitorSink, check_events, wants_stopped};

/// Unread events a typed monitor keeps, at most.
pub const TYPED_QUEUE: usize = 1000;

/// How often a blocked reader looks whether its socket is gone without a MONITOR_STOPPED
/// (a context terminated before the socket's shard could send it).
const ORPHAN_CHECK: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Queue {
    events: VecDeque<MonitorEvent>,
    dropped: u64,
    /// MONITOR_STOPPED was queued (or the monitor stopped without asking for it).
    stopped: bool,
    waker: Option<Waker>,
}

/// The shared end: the hook delivers here, the stream reads.
#[derive(Default)]
struct QueueSink {
    queue: Mutex<Queue>,
    arrived: Condvar,
}

impl QueueSink {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, event: Option<MonitorEvent>) {
        let waker = {
            let mut queue = self.lock();
            match event {
                // An event racing with the stop (delivered after the hook let go) stays
                // out: MONITOR_STOPPED is the last.
                Some(_) if queue.stopped => {}
                Some(event) if queue.events.len() < TYPED_QUEUE => queue.events.push_back(event),
                Some(_) => queue.dropped += 1,
                None => {}
            }
            queue.waker.take()
        };
        self.arrived.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl EventSink for QueueSink {
    fn deliver(&self, event: MonitorEvent) {
        self.push(Some(event));
    }
}

impl MonitorSink for QueueSink {
    fn stop(&self, mask: u32) {
        let stopped = MonitorEvent::new(EventKind::MonitorStopped, 0, "");
        {
            let mut queue = self.lock();
            if wants_stopped(mask) {
                // Always kept, even over the bound: it is how the reader learns the end.
                queue.events.push_back(stopped);
            }
            queue.stopped = true;
        }
        self.push(None);
    }
}

/// A typed monitor's events (see [`Socket::monitor_typed`]). As an [`Iterator`] it blocks
/// for each event and ends after MONITOR_STOPPED, or once its socket is gone.
pub struct MonitorStream {
    sink: Arc<QueueSink>,
}

impl std::fmt::Debug for MonitorStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue = self.sink.lock();
        f.debug_struct("MonitorStream")
            .field("queued", &queue.events.len())
            .field("dropped", &queue.dropped)
            .finish()
    }
}

impl MonitorStream {
    /// The next event if one is queued, without waiting.
    pub fn try_next(&mut self) -> Option<MonitorEvent> {
        self.sink.lock().events.pop_front()
    }

    /// The next event, waiting up to `timeout`; `None` if none came, or the monitor ended.
    pub fn next_timeout(&mut self, timeout: Duration) -> Option<MonitorEvent> {
        self.wait(Some(Instant::now() + timeout))
    }

    /// Events dropped because [`TYPED_QUEUE`] were unread.
    pub fn dropped(&self) -> u64 {
        self.sink.lock().dropped
    }

    /// The next event, `async`; `None` once the monitor ended (after MONITOR_STOPPED).
    pub async fn next_event(&mut self) -> Option<MonitorEvent> {
        poll_fn(|cx| self.poll_next_event(cx)).await
    }

    /// Polls for the next event (the shape of `futures::Stream::poll_next`).
    pub fn poll_next_event(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<MonitorEvent>> {
        let mut queue = self.sink.lock();
        if let Some(event) = queue.events.pop_front() {
            return Poll::Ready(Some(event));
        }
        if queue.stopped || self.orphaned() {
            return Poll::Ready(None);
        }
        queue.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// `true` once nothing can deliver here any more: the socket, its sessions and its
    /// hook are gone.
    fn orphaned(&self) -> bool {
        Arc::strong_count(&self.sink) == 1
    }

    fn wait(&mut self, deadline: Option<Instant>) -> Option<MonitorEvent> {
        let mut queue = self.sink.lock();
        loop {
            if let Some(event) = queue.events.pop_front() {
                return Some(event);
            }
            if queue.stopped || self.orphaned() {
                return None;
            }
            let mut pause = ORPHAN_CHECK;
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                pause = pause.min(left);
            }
            queue = self
                .sink
                .arrived
                .wait_timeout(queue, pause)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Iterator for MonitorStream {
    type Item = MonitorEvent;

    fn next(&mut self) -> Option<MonitorEvent> {
        self.wait(None)
    }
}

impl Socket {
    /// Monitors this socket's events of the kinds in `events` (a mask of [`EventKind`]
    /// numbers; `ALL_EVENTS` for all) as typed values with the peer's address and the
    /// reason a connection ended, instead of libzmq's messages on a PAIR socket (replacing
    /// any monitor that runs, as [`monitor`](Self::monitor) does). At most [`TYPED_QUEUE`]
    /// unread events are kept.
    ///
    /// ```
    /// use ringmq_sockets::{Context, EventKind, SocketType, ALL_EVENTS};
    /// let ctx = Context::new()?;
    /// let mut pull = ctx.socket(SocketType::Pull)?;
    /// let mut events = pull.monitor_typed(ALL_EVENTS)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let mut push = ctx.socket(SocketType::Push)?;
    /// push.connect(&pull.last_endpoint())?;
    /// let kinds: Vec<EventKind> = events.by_ref().take(3).map(|e| e.kind).collect();
    /// assert_eq!(kinds, [EventKind::Listening, EventKind::Accepted, EventKind::HandshakeSucceeded]);
    /// drop(pull);
    /// // Then CLOSED and MONITOR_STOPPED, and the iterator ends.
    /// assert_eq!(events.last().map(|e| e.kind), Some(EventKind::MonitorStopped));
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn monitor_typed(&mut self, events: u32) -> Result<MonitorStream> {
        self.check_term()?;
        check_events(events)?;
        let sink = Arc::new(QueueSink::default());
        self.monitor.start(&self.options.events, events, sink.clone());
        Ok(MonitorStream { sink })
    }
}
