//! `AsyncSocket`: `async` send and receive for any executor, built on wakers only.
//!
//! A socket's inbox wakes its watchers on every event; an `AsyncSocket` registers one
//! watcher that holds the waker of the task now waiting on it. Each poll first stores the
//! waker, then tries the operation without blocking: a socket that finds nothing to do
//! leaves its pipes asleep, so whatever changes afterwards posts an event and wakes the
//! task. No runtime, reactor or thread of its own is involved.
//!
//! Cancellation is safe: a receive takes a message (all its frames) in a single poll or
//! nothing, so dropping a pending `recv` loses nothing; a dropped pending `send` sends
//! nothing, and a multipart message is either sent whole or not begun.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};

use ringmq_engine::parker::Wake;
use ringmq_transports::pipe::SocketInbox;
use ringmq_transports::{Error, Msg, Result};

use crate::flags::Flags;
use crate::socket::Socket;

/// The waker of the task waiting on the socket, woken by the socket's events.
#[derive(Debug, Default)]
struct TaskWaker(Mutex<Option<Waker>>);

impl TaskWaker {
    fn register(&self, waker: &Waker) {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match &*slot {
            Some(current) if current.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }
}

impl Wake for TaskWaker {
    fn wake(&self) {
        let waker = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A [`Socket`] with `async` send and receive, usable under any executor (tokio, glommio,
/// async-std, a hand-written one). Everything else — bind, connect, options — is the
/// socket's own, through `Deref`. RCVTIMEO and SNDTIMEO do not apply: time out with the
/// runtime's own timer, which cancels safely.
///
/// ```
/// use ringmq_sockets::{AsyncSocket, Context, SocketType};
/// let ctx = Context::new()?;
/// let mut pull = AsyncSocket::new(ctx.socket(SocketType::Pull)?)?;
/// pull.bind("tcp://127.0.0.1:*")?;
/// let mut push = AsyncSocket::new(ctx.socket(SocketType::Push)?)?;
/// push.connect(&pull.last_endpoint())?;
/// // Any executor will do; this one is a trivial blocking one for the example.
/// let got = block_on(async {
///     push.send_multipart(vec!["two".into(), "parts".into()]).await?;
///     pull.recv_multipart().await
/// })?;
/// assert_eq!(got, ["two", "parts"]);
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     struct Unpark(std::thread::Thread);
/// #     impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
/// #     let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
/// #     let mut cx = std::task::Context::from_waker(&waker);
/// #     let mut f = std::pin::pin!(f);
/// #     loop {
/// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
/// #         std::thread::park();
/// #     }
/// # }
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
#[derive(Debug)]
pub struct AsyncSocket {
    socket: Socket,
    waker: Arc<TaskWaker>,
    _registration: Registration,
}

/// The waker's place among the socket's watchers, given up when dropped.
#[derive(Debug)]
struct Registration {
    inbox: Arc<SocketInbox>,
    watcher: Arc<dyn Wake>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.inbox.remove_watcher(&self.watcher);
    }
}

impl AsyncSocket {
    /// Wraps `socket`. An attached socket (made inside `Context::run_attached`) is refused
    /// with EINVAL: its ring is driven by blocking calls on its own thread, which an
    /// executor's reactor would never make.
    pub fn new(socket: Socket) -> Result<Self> {
        if socket.attached_shard().is_some() {
            return Err(Error::InvalidArgument(
                "an attached socket cannot be used asynchronously: its thread drives its ring".into(),
            ));
        }
        let waker = Arc::new(TaskWaker::default());
        let watcher: Arc<dyn Wake> = waker.clone();
        socket.inbox().add_watcher(watcher.clone());
        let registration = Registration {
            inbox: socket.inbox().clone(),
            watcher,
        };
        Ok(Self {
            socket,
            waker,
            _registration: registration,
        })
    }

    /// Unwraps the socket.
    pub fn into_inner(self) -> Socket {
        self.socket
    }

    /// Runs `attempt` (which must not block) until it is ready, sleeping between tries
    /// until the socket's next event.
    fn poll_with<T>(
        &mut self,
        cx: &mut TaskContext<'_>,
        attempt: impl FnOnce(&mut Socket) -> Result<Option<T>>,
    ) -> Poll<Result<T>> {
        // Registered before trying: an event after the try finds the waker.
        self.waker.register(cx.waker());
        match attempt(&mut self.socket) {
            Ok(Some(value)) => Poll::Ready(Ok(value)),
            Ok(None) => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    /// Receives one frame ([`Msg::more`] tells whether more of its message follow).
    pub async fn recv(&mut self) -> Result<Msg> {
        poll_fn(|cx| self.poll_with(cx, |s| again_is_none(s.recv(Flags::DONTWAIT)))).await
    }

    /// Receives one monitor message (on a PAIR connected to a monitor's endpoint) and reads
    /// it as an event, as [`Socket::recv_monitor_event`] does.
    pub async fn recv_monitor_event(&mut self) -> Result<ringmq_transports::monitor::MonitorEvent> {
        ringmq_transports::monitor::MonitorEvent::from_frames(&self.recv_multipart().await?)
    }

    /// Receives a whole message.
    pub async fn recv_multipart(&mut self) -> Result<Vec<Msg>> {
        poll_fn(|cx| self.poll_with(cx, |s| again_is_none(s.recv_multipart(Flags::DONTWAIT)))).await
    }

    /// Sends one frame; `more` says whether more frames of the message follow.
    pub async fn send(&mut self, msg: impl Into<Msg>, more: bool) -> Result<()> {
        let mut pending = Some(msg.into().with_more(more));
        poll_fn(|cx| {
            self.poll_with(cx, |s| {
                let msg = pending.take().expect("polled again after completion");
                match s.send_now(msg)? {
                    Ok(()) => Ok(Some(())),
                    Err(back) => {
                        pending = Some(back);
                        Ok(None)
                    }
                }
            })
        })
        .await
    }

    /// Sends a whole message, one frame per item: all of it, or (if cancelled while
    /// waiting) none of it.
    pub async fn send_multipart(&mut self, frames: Vec<Msg>) -> Result<()> {
        let count = frames.len();
        if count == 0 {
            return Err(Error::InvalidArgument(
                "send_multipart needs at least one frame".into(),
            ));
        }
        let mut frames = frames.into_iter();
        let first = frames.next().expect("checked above");
        // Once its first frame is taken, a message is always taken whole.
        self.send(first, count > 1).await?;
        for (i, frame) in frames.enumerate() {
            let more = if i + 2 < count {
                Flags::SNDMORE
            } else {
                Flags::NONE
            };
            self.socket.send(frame, more | Flags::DONTWAIT)?;
        }
        Ok(())
    }
}

/// EAGAIN means "not yet".
fn again_is_none<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::Again) => Ok(None),
        Err(e) => Err(e),
    }
}

impl std::ops::Deref for AsyncSocket {
    type Target = Socket;
    fn deref(&self) -> &Socket {
        &self.socket
    }
}

impl std::ops::DerefMut for AsyncSocket {
    fn deref_mut(&mut self) -> &mut Socket {
        &mut self.socket
    }
}
