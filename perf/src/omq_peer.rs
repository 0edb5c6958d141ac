//! libzmq's perf tools over omq.rs (the `omq-tokio` crate, pure Rust on tokio), with the same
//! command lines and output, so the report puts omq.rs beside ringmq and libzmq.
//!
//! Two modes, as omq.rs offers them to users:
//! - [`OmqMode::IoThread`]: omq's blocking API with its own I/O thread (a `current_thread`
//!   tokio runtime on a thread of its own), the application on the caller's thread: the
//!   shape of ringmq's detached mode and libzmq's.
//! - [`OmqMode::CurrentThread`]: omq's async API on a `current_thread` runtime the tool
//!   drives itself, the sockets' I/O and the application on one thread: the shape of
//!   ringmq's attached mode.
//!
//! Every send is a fresh message copied from the application's buffer, as in ringmq's and
//! libzmq's tools; HWMs are omq's defaults (1000, as libzmq's).

use std::time::Instant;

use omq_tokio::{Context, Message, Options, SocketType, TrySendError, blocking};

use crate::{
    InprocArgs, PerfArgs, check_size, die, hold_while_asked, latency_histogram, print_latency,
    print_throughput,
};

/// How an omq.rs tool runs (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OmqMode {
    IoThread,
    CurrentThread,
}

/// The body length of a one-part message.
fn body_len(msg: &Message) -> usize {
    msg.part_slice(0).map_or(0, <[u8]>::len)
}

/// omq's default linger is zero; a sender must not drop what it queued.
fn sender_options() -> Options {
    Options::default().linger_forever()
}

/// Runs `body` on a `current_thread` runtime with a context borrowing it.
fn on_current_thread<F: std::future::Future<Output = ()>>(body: impl FnOnce(Context) -> F) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die("tokio runtime", e));
    rt.block_on(async {
        let ctx = Context::current();
        body(ctx).await;
    });
}

/// [`hold_while_asked`] without stopping a runtime whose thread also does the I/O.
async fn hold_async() {
    tokio::task::spawn_blocking(hold_while_asked)
        .await
        .unwrap_or_else(|e| die("hold", e));
}

/// Sends on the fast path omq's own benchmarks use, falling back to a blocking send when
/// the pipe is full.
fn send_blocking(s: &blocking::Socket, msg: Message) {
    match s.try_send(msg) {
        Ok(()) => {}
        Err(TrySendError::Full(msg)) => s.send(msg).unwrap_or_else(|e| die("send", e)),
        Err(e) => die("send", e),
    }
}

/// `local_thr`: PULL, bind, receive `count` messages.
pub fn local_thr(mode: OmqMode, args: &PerfArgs) {
    let (size, count) = (args.message_size, args.count);
    match mode {
        OmqMode::IoThread => {
            let ctx = Context::new();
            let s = ctx.blocking_socket(SocketType::Pull, Options::default());
            s.bind(args.address.as_str()).unwrap_or_else(|e| die("bind", e));
            check_size(size, body_len(&s.recv().unwrap_or_else(|e| die("recv", e))));
            let start = Instant::now();
            for _ in 1..count {
                check_size(size, body_len(&s.recv().unwrap_or_else(|e| die("recv", e))));
            }
            print_throughput(size, count, start.elapsed());
        }
        OmqMode::CurrentThread => on_current_thread(|ctx| async move {
            let s = ctx.socket(SocketType::Pull, Options::default());
            s.bind(args.address.as_str())
                .await
                .unwrap_or_else(|e| die("bind", e));
            check_size(size, body_len(&s.recv().await.unwrap_or_else(|e| die("recv", e))));
            let start = Instant::now();
            for _ in 1..count {
                check_size(size, body_len(&s.recv().await.unwrap_or_else(|e| die("recv", e))));
            }
            print_throughput(size, count, start.elapsed());
        }),
    }
}

/// `remote_thr`: PUSH, connect, send `count` messages.
pub fn remote_thr(mode: OmqMode, args: &PerfArgs) {
    let payload = vec![0u8; args.message_size];
    match mode {
        OmqMode::IoThread => {
            let ctx = Context::new();
            let s = ctx.blocking_socket(SocketType::Push, sender_options());
            s.connect(args.address.as_str())
                .unwrap_or_else(|e| die("connect", e));
            for _ in 0..args.count {
                send_blocking(&s, Message::from_slice(&payload));
            }
            hold_while_asked();
            s.close().unwrap_or_else(|e| die("close", e));
        }
        OmqMode::CurrentThread => on_current_thread(|ctx| async move {
            let s = ctx.socket(SocketType::Push, sender_options());
            s.connect(args.address.as_str())
                .await
                .unwrap_or_else(|e| die("connect", e));
            for _ in 0..args.count {
                s.send(Message::from_slice(&payload))
                    .await
                    .unwrap_or_else(|e| die("send", e));
            }
            hold_async().await;
            s.close().await.unwrap_or_else(|e| die("close", e));
        }),
    }
}

/// `local_lat`: REP, bind, echo `count` messages.
pub fn local_lat(mode: OmqMode, args: &PerfArgs) {
    let (size, count) = (args.message_size, args.count);
    match mode {
        OmqMode::IoThread => {
            let ctx = Context::new();
            let s = ctx.blocking_socket(SocketType::Rep, sender_options());
            s.bind(args.address.as_str()).unwrap_or_else(|e| die("bind", e));
            for _ in 0..count {
                let m = s.recv().unwrap_or_else(|e| die("recv", e));
                check_size(size, body_len(&m));
                s.send(m).unwrap_or_else(|e| die("send", e));
            }
            s.close().unwrap_or_else(|e| die("close", e));
        }
        OmqMode::CurrentThread => on_current_thread(|ctx| async move {
            let s = ctx.socket(SocketType::Rep, sender_options());
            s.bind(args.address.as_str())
                .await
                .unwrap_or_else(|e| die("bind", e));
            for _ in 0..count {
                let m = s.recv().await.unwrap_or_else(|e| die("recv", e));
                check_size(size, body_len(&m));
                s.send(m).await.unwrap_or_else(|e| die("send", e));
            }
            s.close().await.unwrap_or_else(|e| die("close", e));
        }),
    }
}

/// `remote_lat`: REQ, connect, `count` round trips.
pub fn remote_lat(mode: OmqMode, args: &PerfArgs) {
    let (size, count) = (args.message_size, args.count);
    let payload = vec![0u8; size];
    let mut histogram = latency_histogram();
    match mode {
        OmqMode::IoThread => {
            let ctx = Context::new();
            let s = ctx.blocking_socket(SocketType::Req, Options::default());
            s.connect(args.address.as_str())
                .unwrap_or_else(|e| die("connect", e));
            let start = Instant::now();
            for _ in 0..count {
                let t0 = Instant::now();
                s.send(Message::from_slice(&payload))
                    .unwrap_or_else(|e| die("send", e));
                check_size(size, body_len(&s.recv().unwrap_or_else(|e| die("recv", e))));
                let _ = histogram.record(t0.elapsed().as_nanos() as u64);
            }
            print_latency(size, count, start.elapsed(), &histogram);
        }
        OmqMode::CurrentThread => on_current_thread(|ctx| async move {
            let s = ctx.socket(SocketType::Req, Options::default());
            s.connect(args.address.as_str())
                .await
                .unwrap_or_else(|e| die("connect", e));
            let start = Instant::now();
            for _ in 0..count {
                let t0 = Instant::now();
                s.send(Message::from_slice(&payload))
                    .await
                    .unwrap_or_else(|e| die("send", e));
                check_size(size, body_len(&s.recv().await.unwrap_or_else(|e| die("recv", e))));
                let _ = histogram.record(t0.elapsed().as_nanos() as u64);
            }
            print_latency(size, count, start.elapsed(), &histogram);
        }),
    }
}

/// `inproc_thr` with omq's I/O thread: a PULL bound to `inproc://thr_test`, a PUSH thread
/// sending `count` messages; throughput from the first message on, as libzmq's.
pub fn inproc_thr(args: &InprocArgs) {
    let (size, count) = (args.message_size, args.count);
    let ctx = Context::new();
    let pull = ctx.blocking_socket(SocketType::Pull, Options::default());
    pull.bind("inproc://thr_test").unwrap_or_else(|e| die("bind", e));
    let sender_ctx = ctx.clone();
    let sender = std::thread::spawn(move || {
        let push = sender_ctx.blocking_socket(SocketType::Push, sender_options());
        push.connect("inproc://thr_test")
            .unwrap_or_else(|e| die("connect", e));
        let payload = vec![0u8; size];
        for _ in 0..count {
            send_blocking(&push, Message::from_slice(&payload));
        }
        push.close().unwrap_or_else(|e| die("close", e));
    });
    check_size(size, body_len(&pull.recv().unwrap_or_else(|e| die("recv", e))));
    let start = Instant::now();
    for _ in 1..count {
        check_size(size, body_len(&pull.recv().unwrap_or_else(|e| die("recv", e))));
    }
    print_throughput(size, count, start.elapsed());
    sender.join().unwrap_or_else(|_| die("sender", "panicked"));
}

/// `inproc_lat` with omq's I/O thread: a REP echoing on a thread, a REQ doing `count`
/// round trips.
pub fn inproc_lat(args: &InprocArgs) {
    let (size, count) = (args.message_size, args.count);
    let ctx = Context::new();
    let rep = ctx.blocking_socket(SocketType::Rep, sender_options());
    rep.bind("inproc://lat_test").unwrap_or_else(|e| die("bind", e));
    let echo = std::thread::spawn(move || {
        for _ in 0..count {
            let m = rep.recv().unwrap_or_else(|e| die("recv", e));
            rep.send(m).unwrap_or_else(|e| die("send", e));
        }
    });
    let req = ctx.blocking_socket(SocketType::Req, Options::default());
    req.connect("inproc://lat_test")
        .unwrap_or_else(|e| die("connect", e));
    let payload = vec![0u8; size];
    let mut histogram = latency_histogram();
    let start = Instant::now();
    for _ in 0..count {
        let t0 = Instant::now();
        req.send(Message::from_slice(&payload))
            .unwrap_or_else(|e| die("send", e));
        check_size(size, body_len(&req.recv().unwrap_or_else(|e| die("recv", e))));
        let _ = histogram.record(t0.elapsed().as_nanos() as u64);
    }
    print_latency(size, count, start.elapsed(), &histogram);
    echo.join().unwrap_or_else(|_| die("echo", "panicked"));
}
