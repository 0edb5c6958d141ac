//! `SocketHome`: what a context gives its sockets, and all a socket may see of it: the table
//! of open sockets (so that termination reaches every one), socket ids, the `inproc://`
//! names, and how long a waiting socket spins. A socket holds this and an opaque reference
//! that keeps its context's shards alive; it never reaches the context itself. This module
//! knows nothing of `Socket` or `Context`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use ringmq_transports::inproc::InprocRegistry;
use ringmq_transports::pipe::SocketInbox;
use ringmq_transports::tcp::SocketId;
use ringmq_transports::{Error, Result};

/// A context's sockets, as its sockets see them.
#[derive(Debug)]
pub(crate) struct SocketHome {
    /// Each open socket's inbox, to interrupt at termination.
    sockets: Mutex<HashMap<SocketId, Arc<SocketInbox>>>,
    sockets_closed: Condvar,
    terminating: AtomicBool,
    next_socket_id: AtomicU64,
    /// The context's `inproc://` names.
    pub(crate) inproc: Arc<InprocRegistry>,
    /// How long a waiting socket spins before it sleeps.
    pub(crate) spin_before_sleep: Duration,
    /// How long an attached socket drives its ring without blocking before it waits.
    pub(crate) busy_poll: Duration,
}

impl SocketHome {
    pub(crate) fn new(spin_before_sleep: Duration, busy_poll: Duration) -> Self {
        Self {
            sockets: Mutex::new(HashMap::new()),
            sockets_closed: Condvar::new(),
            terminating: AtomicBool::new(false),
            next_socket_id: AtomicU64::new(1),
            inproc: Arc::default(),
            spin_before_sleep,
            busy_poll,
        }
    }

    /// A fresh socket id.
    pub(crate) fn next_socket_id(&self) -> SocketId {
        self.next_socket_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn is_terminating(&self) -> bool {
        self.terminating.load(Ordering::Acquire)
    }

    /// Registers a new socket and returns its inbox; ETERM once termination began. Done
    /// under the lock termination takes, so a socket is either refused or seen (and
    /// interrupted) by it.
    pub(crate) fn register(&self, id: SocketId) -> Result<Arc<SocketInbox>> {
        let mut sockets = self.open_sockets();
        if self.is_terminating() {
            return Err(Error::Terminated);
        }
        let inbox = SocketInbox::new();
        sockets.insert(id, inbox.clone());
        Ok(inbox)
    }

    /// Called by a socket as it closes.
    pub(crate) fn socket_closed(&self, id: SocketId) {
        let mut sockets = self.open_sockets();
        sockets.remove(&id);
        if sockets.is_empty() {
            self.sockets_closed.notify_all();
        }
    }

    /// From now on sockets see ETERM; blocked calls are interrupted.
    pub(crate) fn begin_termination(&self) {
        self.terminating.store(true, Ordering::Release);
        for inbox in self.open_sockets().values() {
            inbox.interrupt();
        }
    }

    /// `true` if no socket is open.
    pub(crate) fn is_empty(&self) -> bool {
        self.open_sockets().is_empty()
    }

    /// Blocks until every socket is closed.
    pub(crate) fn wait_until_empty(&self) {
        let mut sockets = self.open_sockets();
        while !sockets.is_empty() {
            sockets = self
                .sockets_closed
                .wait(sockets)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open_sockets(&self) -> MutexGuard<'_, HashMap<SocketId, Arc<SocketInbox>>> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }
}
