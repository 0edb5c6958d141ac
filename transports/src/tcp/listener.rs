//! A listener: accepts connections on a bound socket with a multishot accept and starts a
//! session for each.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use io_uring::{opcode, types};
use ringmq_engine::task::{Completion, OpTag};
use ringmq_engine::{ShardCx, Task, TaskId};

use super::TcpOptions;
use super::conn::known_peer_address;
use super::session::Session;
use super::sys;
use crate::monitor::{EventKind, event_value};
use crate::pipe::SocketInbox;

const OP_ACCEPT: OpTag = 1;
const OP_CANCEL: OpTag = 2;

/// Delay before accepting again after a resource error (EMFILE and friends), as libzmq
/// backs off rather than spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Accepts connections for one bound endpoint of a socket.
pub struct Listener {
    fd: OwnedFd,
    endpoint: String,
    options: Arc<TcpOptions>,
    inbox: Arc<SocketInbox>,
    /// Shared with the sessions it started: set when the listener closes, so a session still
    /// handshaking does not attach to a socket that no longer has this endpoint.
    closed: Arc<AtomicBool>,
    sessions: Vec<TaskId>,
    accept_armed: bool,
    done: bool,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Listener {
    pub(crate) fn spawn(
        cx: &mut ShardCx<'_>,
        fd: OwnedFd,
        endpoint: String,
        options: Arc<TcpOptions>,
        inbox: Arc<SocketInbox>,
    ) -> TaskId {
        let id = cx.spawn_with(|_| {
            Box::new(Listener {
                fd,
                endpoint,
                options,
                inbox,
                closed: Arc::new(AtomicBool::new(false)),
                sessions: Vec::new(),
                accept_armed: false,
                done: false,
            })
        });
        cx.with_task::<Listener, _>(id, |l, cx| l.arm(cx, id));
        id
    }

    fn arm(&mut self, cx: &mut ShardCx<'_>, me: TaskId) {
        if self.accept_armed || self.done {
            return;
        }
        let fd = types::Fd(self.fd.as_raw_fd());
        let entry = if cx.features().multishot_accept {
            opcode::AcceptMulti::new(fd).flags(libc::SOCK_CLOEXEC).build()
        } else {
            opcode::Accept::new(fd, std::ptr::null_mut(), std::ptr::null_mut())
                .flags(libc::SOCK_CLOEXEC)
                .build()
        };
        // SAFETY: accept without an address buffer references no memory of ours.
        unsafe { cx.submit(me, OP_ACCEPT, entry) };
        self.accept_armed = true;
    }

    /// Reports an event of this listener; for an accepted connection `peer_of` is its
    /// descriptor, whose peer address typed monitors get.
    fn report(&self, kind: EventKind, value: u32, peer_of: Option<RawFd>) {
        tracing::debug!(endpoint = %self.endpoint, event = kind.name(), value, "ringmq: listener event");
        let detail = || (peer_of.and_then(known_peer_address), None);
        self.options
            .events
            .emit_detailed(kind, value, &self.endpoint, detail);
    }

    /// The sessions this listener started (some may have ended).
    pub(crate) fn sessions(&self) -> &[TaskId] {
        &self.sessions
    }

    /// Stops accepting and closes the connections still handshaking; those already attached
    /// to the socket are closed by the socket dropping their pipes.
    pub(crate) fn close(&mut self, cx: &mut ShardCx<'_>, me: TaskId) {
        if self.done {
            return;
        }
        self.done = true;
        self.closed.store(true, Ordering::Release);
        // The descriptor closes when the task is gone, right after this.
        self.report(EventKind::Closed, event_value(self.fd.as_raw_fd()), None);
        if self.accept_armed {
            cx.cancel(me, OP_ACCEPT, OP_CANCEL);
        }
        for id in std::mem::take(&mut self.sessions) {
            cx.with_task::<Session, _>(id, |s, cx| s.on_listener_closed(cx));
        }
    }

    fn on_accepted(&mut self, cx: &mut ShardCx<'_>, fd: OwnedFd) {
        if self.done {
            return;
        }
        let raw = fd.as_raw_fd();
        self.report(EventKind::Accepted, event_value(raw), Some(raw));
        if sys::tune(fd.as_raw_fd(), &self.options.tuning).is_err() {
            return;
        }
        self.sessions.retain(|id| cx.task_exists(*id));
        let id = Session::spawn_accepted(
            cx,
            fd,
            self.options.clone(),
            self.inbox.clone(),
            self.endpoint.clone(),
            self.closed.clone(),
        );
        self.sessions.push(id);
    }
}

impl Task for Listener {
    fn on_completion(&mut self, cx: &mut ShardCx<'_>, me: TaskId, c: Completion) {
        if c.tag != OP_ACCEPT {
            return;
        }
        if !c.more() {
            self.accept_armed = false;
        }
        if c.result >= 0 {
            // SAFETY: a successful accept returns a new descriptor that we now own.
            let fd = unsafe { OwnedFd::from_raw_fd(c.result) };
            self.on_accepted(cx, fd);
            if !self.accept_armed {
                self.arm(cx, me);
            }
            return;
        }
        if self.done || c.result == -libc::ECANCELED {
            return;
        }
        self.report(EventKind::AcceptFailed, event_value(c.result), None);
        // Out of descriptors or memory, or a connection reset before we took it: try again,
        // after a pause for resource errors.
        let pause = matches!(
            -c.result,
            libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM
        );
        if !self.accept_armed {
            if pause {
                let at = cx.now() + ACCEPT_RETRY;
                cx.set_timer(me, at, 0);
            } else {
                self.arm(cx, me);
            }
        }
    }

    fn on_timer(&mut self, cx: &mut ShardCx<'_>, me: TaskId, _tag: u64) {
        self.arm(cx, me);
    }

    fn on_shard_stop(&mut self, cx: &mut ShardCx<'_>, me: TaskId) {
        self.close(cx, me);
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
