//! `poll`: waiting on several sockets at once, with libzmq's POLLIN / POLLOUT meaning
//! (`zmq_poll`).
//!
//! Each socket's inbox wakes its own parker when an event arrives; while `poll` waits it
//! also wakes a parker shared by all the polled sockets. Readiness is asked of each socket
//! after that parker is registered, and a socket that finds nothing to do leaves its pipes
//! asleep, so whatever changes afterwards posts an event and ends the wait: no wake-up is
//! lost.

use std::ops::{BitOr, BitOrAssign};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringmq_engine::parker::Parker;
use ringmq_transports::Result;

use crate::socket::Socket;

/// Poll events, with libzmq's values (`ZMQ_POLLIN` = 1, `ZMQ_POLLOUT` = 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PollEvents(u16);

impl PollEvents {
    /// Nothing.
    pub const NONE: PollEvents = PollEvents(0);
    /// ZMQ_POLLIN: a message can be received without blocking.
    pub const POLLIN: PollEvents = PollEvents(1);
    /// ZMQ_POLLOUT: a message can be sent without blocking.
    pub const POLLOUT: PollEvents = PollEvents(2);

    /// `true` if every event in `other` is set.
    pub fn contains(self, other: PollEvents) -> bool {
        self.0 & other.0 == other.0
    }

    /// `true` if no event is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for PollEvents {
    type Output = PollEvents;
    fn bitor(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 | rhs.0)
    }
}

impl BitOrAssign for PollEvents {
    fn bitor_assign(&mut self, rhs: PollEvents) {
        self.0 |= rhs.0;
    }
}

/// One socket to poll: the events of interest and, after [`poll`], those that are ready.
#[derive(Debug)]
pub struct PollItem<'a> {
    socket: &'a mut Socket,
    events: PollEvents,
    revents: PollEvents,
}

impl<'a> PollItem<'a> {
    /// Polls `socket` for `events`.
    pub fn new(socket: &'a mut Socket, events: PollEvents) -> Self {
        Self {
            socket,
            events,
            revents: PollEvents::NONE,
        }
    }

    /// The events found ready by the last [`poll`].
    pub fn revents(&self) -> PollEvents {
        self.revents
    }

    /// `true` if the socket was readable at the last [`poll`].
    pub fn is_readable(&self) -> bool {
        self.revents.contains(PollEvents::POLLIN)
    }

    /// `true` if the socket was writable at the last [`poll`].
    pub fn is_writable(&self) -> bool {
        self.revents.contains(PollEvents::POLLOUT)
    }

    /// The polled socket.
    pub fn socket(&mut self) -> &mut Socket {
        self.socket
    }
}

/// Waits until at least one item is ready or `timeout_ms` passes (libzmq's convention: -1 =
/// forever, 0 = just look), and returns how many items are ready; each item's
/// [`revents`](PollItem::revents) says what. Fails with ETERM when the context terminates.
///
/// ```
/// use ringmq_sockets::{Context, Flags, PollEvents, PollItem, SocketType, poll};
/// let ctx = Context::new()?;
/// let mut a = ctx.socket(SocketType::Pull)?;
/// a.bind("tcp://127.0.0.1:*")?;
/// let mut b = ctx.socket(SocketType::Pull)?;
/// b.bind("tcp://127.0.0.1:*")?;
/// let mut push = ctx.socket(SocketType::Push)?;
/// push.connect(&b.last_endpoint())?;
/// push.send("to b", Flags::NONE)?;
///
/// let mut items = [PollItem::new(&mut a, PollEvents::POLLIN), PollItem::new(&mut b, PollEvents::POLLIN)];
/// assert_eq!(poll(&mut items, 5_000)?, 1);
/// assert!(!items[0].is_readable() && items[1].is_readable());
/// assert_eq!(items[1].socket().recv(Flags::NONE)?, "to b");
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
pub fn poll(items: &mut [PollItem<'_>], timeout_ms: i64) -> Result<usize> {
    let deadline = (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
    let parker = Arc::new(Parker::new());
    let previous: Vec<_> = items
        .iter()
        .map(|item| item.socket.inbox().set_watcher(Some(parker.clone())))
        .collect();
    let result = (|| loop {
        let mut ready = 0;
        for item in items.iter_mut() {
            item.revents = item.socket.readiness(item.events)?;
            if !item.revents.is_empty() {
                ready += 1;
            }
        }
        if ready > 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(ready);
        }
        parker.park(deadline);
    })();
    for (item, watcher) in items.iter().zip(previous) {
        item.socket.inbox().set_watcher(watcher);
    }
    result
}
