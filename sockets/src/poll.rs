//! `poll`: waiting on several sockets and file descriptors at once, with libzmq's POLLIN /
//! POLLOUT / POLLERR meaning (`zmq_poll`).
//!
//! Each socket's inbox wakes its own parker when an event arrives; while `poll` waits it
//! also wakes a waker shared by all the polled sockets (a parker, or an eventfd when file
//! descriptors are polled too, so that one `poll(2)` waits for both). Readiness is asked of
//! each socket after that waker is registered, and a socket that finds nothing to do leaves
//! its pipes asleep, so whatever changes afterwards posts an event and ends the wait: no
//! wake-up is lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::os::fd::{AsRawFd, RawFd};

use std::sync::atomic::{AtomicBool, Ordering};

use ringmq_engine::ShardRef;
use ringmq_engine::event_fd::EventFd;
use ringmq_engine::parker::{Parker, Wake};
use ringmq_transports::{Error, Result};

pub use crate::readiness::PollEvents;
use crate::socket::Socket;

/// What a [`PollItem`] polls.
#[derive(Debug)]
enum Target<'a> {
    Socket(&'a mut Socket),
    Fd(RawFd),
}

/// One socket or file descriptor to poll: the events of interest and, after [`poll`], those
/// that are ready.
#[derive(Debug)]
pub struct PollItem<'a> {
    target: Target<'a>,
    events: PollEvents,
    revents: PollEvents,
}

impl<'a> PollItem<'a> {
    /// Polls `socket` for `events`.
    pub fn new(socket: &'a mut Socket, events: PollEvents) -> Self {
        Self {
            target: Target::Socket(socket),
            events,
            revents: PollEvents::NONE,
        }
    }

    /// Polls a file descriptor (a pipe, a TCP socket of the application's own, …) for
    /// `events`, as `poll(2)` would.
    pub fn fd(fd: RawFd, events: PollEvents) -> Self {
        Self {
            target: Target::Fd(fd),
            events,
            revents: PollEvents::NONE,
        }
    }

    /// The events found ready by the last [`poll`].
    pub fn revents(&self) -> PollEvents {
        self.revents
    }

    /// `true` if the item was readable at the last [`poll`].
    pub fn is_readable(&self) -> bool {
        self.revents.contains(PollEvents::POLLIN)
    }

    /// `true` if the item was writable at the last [`poll`].
    pub fn is_writable(&self) -> bool {
        self.revents.contains(PollEvents::POLLOUT)
    }

    /// The polled socket.
    ///
    /// # Panics
    ///
    /// For an item made with [`PollItem::fd`].
    pub fn socket(&mut self) -> &mut Socket {
        match &mut self.target {
            Target::Socket(s) => s,
            Target::Fd(fd) => panic!("PollItem::socket on the file-descriptor item {fd}"),
        }
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
    if let Some(shard) = attached_shard(items) {
        return poll_attached(items, deadline, &shard);
    }
    if items.iter().any(|i| matches!(i.target, Target::Fd(_))) {
        return poll_with_fds(items, deadline);
    }
    let parker = Arc::new(Parker::new());
    let waker: Arc<dyn Wake> = parker.clone();
    watching(items, &waker, |items| {
        loop {
            let ready = check(items)?;
            if ready > 0 || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(ready);
            }
            parker.park(deadline);
        }
    })
}

/// The shard of the first attached socket among the items, if any.
fn attached_shard(items: &[PollItem<'_>]) -> Option<ShardRef> {
    items.iter().find_map(|item| match &item.target {
        Target::Socket(s) => s.attached_shard().cloned(),
        Target::Fd(_) => None,
    })
}

/// Set by any polled socket's event and read by the attached thread between ring turns;
/// it also rings the shard's doorbell, so that an event from another thread (a socket of
/// another shard, an inproc peer) ends the ring's wait.
#[derive(Debug)]
struct EventFlag {
    set: AtomicBool,
    shard: ShardRef,
}

impl Wake for EventFlag {
    fn wake(&self) {
        self.set.store(true, Ordering::Release);
        self.shard.ring_doorbell();
    }
}

/// The wait when an attached socket is polled on its shard's thread: the thread drives
/// the ring until an event or the deadline. Polled file descriptors and sockets of other
/// shards are looked at between turns of at most a millisecond, since the ring cannot
/// wait for them.
fn poll_attached(items: &mut [PollItem<'_>], deadline: Option<Instant>, shard: &ShardRef) -> Result<usize> {
    let flag = Arc::new(EventFlag {
        set: AtomicBool::new(false),
        shard: shard.clone(),
    });
    let waker: Arc<dyn Wake> = flag.clone();
    let slice_needed = items.iter().any(|item| match &item.target {
        Target::Socket(s) => s.attached_shard().is_none_or(|own| !own.same_shard(shard)),
        Target::Fd(_) => true,
    });
    watching(items, &waker, |items| {
        loop {
            flag.set.store(false, Ordering::Release);
            let ready = check(items)?;
            let now = Instant::now();
            if ready > 0 || deadline.is_some_and(|d| now >= d) {
                return Ok(ready);
            }
            let until = if slice_needed {
                let slice = now + Duration::from_millis(1);
                Some(deadline.map_or(slice, |d| d.min(slice)))
            } else {
                deadline
            };
            let ready = || flag.set.load(Ordering::Acquire);
            if ringmq_engine::attached::drive(shard, until, Duration::ZERO, &ready).is_none() {
                // Not on the shard's thread after all: nothing would drive it.
                return Err(Error::InvalidArgument(
                    "poll: an attached socket is polled off its shard's thread".into(),
                ));
            }
        }
    })
}

/// Runs `body` with `waker` registered on every polled socket.
fn watching<T>(
    items: &mut [PollItem<'_>],
    waker: &Arc<dyn Wake>,
    body: impl FnOnce(&mut [PollItem<'_>]) -> T,
) -> T {
    for item in items.iter() {
        if let Target::Socket(s) = &item.target {
            s.inbox().add_watcher(waker.clone());
        }
    }
    let result = body(items);
    for item in items.iter() {
        if let Target::Socket(s) = &item.target {
            s.inbox().remove_watcher(waker);
        }
    }
    result
}

/// Asks every item for its readiness now; returns how many are ready.
fn check(items: &mut [PollItem<'_>]) -> Result<usize> {
    let mut ready = 0;
    let mut fds = Vec::new();
    for item in items.iter_mut() {
        match &mut item.target {
            Target::Socket(s) => item.revents = s.readiness(item.events)?,
            Target::Fd(fd) => fds.push(pollfd(*fd, item.events)),
        }
    }
    if !fds.is_empty() {
        sys_poll(&mut fds, 0)?;
        let mut fd_results = fds.iter();
        for item in items.iter_mut() {
            if let Target::Fd(_) = item.target {
                let pfd = fd_results.next().expect("one pollfd per fd item");
                item.revents = from_poll_revents(pfd.revents, item.events);
            }
        }
    }
    for item in items.iter() {
        if !item.revents.is_empty() {
            ready += 1;
        }
    }
    Ok(ready)
}

fn pollfd(fd: RawFd, events: PollEvents) -> libc::pollfd {
    let mut wanted = 0;
    if events.contains(PollEvents::POLLIN) {
        wanted |= libc::POLLIN;
    }
    if events.contains(PollEvents::POLLOUT) {
        wanted |= libc::POLLOUT;
    }
    libc::pollfd {
        fd,
        events: wanted,
        revents: 0,
    }
}

fn from_poll_revents(revents: libc::c_short, wanted: PollEvents) -> PollEvents {
    let mut out = PollEvents::NONE;
    if revents & libc::POLLIN != 0 && wanted.contains(PollEvents::POLLIN) {
        out |= PollEvents::POLLIN;
    }
    if revents & libc::POLLOUT != 0 && wanted.contains(PollEvents::POLLOUT) {
        out |= PollEvents::POLLOUT;
    }
    // As libzmq: anything else (error, hang-up, invalid) is POLLERR, if asked for.
    if revents & !(libc::POLLIN | libc::POLLOUT) != 0 && wanted.contains(PollEvents::POLLERR) {
        out |= PollEvents::POLLERR;
    }
    out
}

/// `poll(2)`, retried on EINTR.
fn sys_poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> Result<()> {
    loop {
        // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfd entries.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        if rc >= 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(Error::io("poll", e));
        }
    }
}

/// The wait when file descriptors are polled too: the sockets wake an eventfd, and one
/// `poll(2)` waits for it and the descriptors.
fn poll_with_fds(items: &mut [PollItem<'_>], deadline: Option<Instant>) -> Result<usize> {
    let efd = Arc::new(EventFd::new().map_err(|e| Error::io("poll: eventfd", e))?);
    let waker: Arc<dyn Wake> = efd.clone();
    let mut wait_set: Vec<libc::pollfd> = items
        .iter()
        .filter_map(|i| match i.target {
            Target::Fd(fd) => Some(pollfd(fd, i.events)),
            Target::Socket(_) => None,
        })
        .collect();
    wait_set.push(pollfd(efd.as_raw_fd(), PollEvents::POLLIN));
    watching(items, &waker, |items| {
        loop {
            efd.reset();
            let ready = check(items)?;
            let now = Instant::now();
            if ready > 0 || deadline.is_some_and(|d| now >= d) {
                return Ok(ready);
            }
            let timeout = match deadline {
                None => -1,
                Some(d) => (d - now).as_millis().min(i32::MAX as u128) as i32 + 1,
            };
            sys_poll(&mut wait_set, timeout)?;
        }
    })
}
