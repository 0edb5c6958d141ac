//! libzmq's perf tools over rzmq (the `rzmq` crate, pure Rust on tokio with an optional
//! io_uring backend), with the same command lines and output, so the report puts rzmq
//! beside ringmq and libzmq.
//!
//! Each tool runs on a default multi-threaded tokio runtime, as rzmq's examples do. With
//! `uring`, the io_uring backend is initialised with its defaults (multishot receive on,
//! zero-copy send off) and every socket's tcp sessions run on it; rzmq uses it for tcp
//! only. Every send is a fresh message copied from the application's buffer, as in the
//! other tools; HWMs and linger are rzmq's defaults (1000, and libzmq's linger -1).

use std::time::Instant;

use rzmq::{Context, Msg, SocketType};

use crate::{
    InprocArgs, PerfArgs, check_size, die, hold_while_asked, latency_histogram, print_latency,
    print_throughput,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die("tokio runtime", e))
}

/// A context, with the io_uring backend under its sockets if `uring` says so.
fn context(uring: bool) -> Context {
    if uring {
        rzmq::uring::initialize_uring_backend(rzmq::uring::UringConfig::default())
            .unwrap_or_else(|e| die("rzmq io_uring backend", e));
    }
    let ctx = Context::new().unwrap_or_else(|e| die("Context::new", e));
    if uring {
        ctx.with_io_uring_sessions(true)
    } else {
        ctx
    }
}

/// Runs `body` with a context on a runtime, then ends the context (which waits for queued
/// messages, rzmq's linger being -1) and, with `uring`, the backend.
fn run<F: std::future::Future<Output = ()>>(uring: bool, body: impl FnOnce(Context) -> F) {
    runtime().block_on(async {
        let ctx = context(uring);
        body(ctx.clone()).await;
        ctx.term().await.unwrap_or_else(|e| die("term", e));
        if uring {
            rzmq::uring::shutdown_uring_backend()
                .await
                .unwrap_or_else(|e| die("rzmq io_uring backend", e));
        }
    });
}

/// A fresh message holding a copy of `payload`.
fn message(payload: &[u8]) -> Msg {
    Msg::from_vec(payload.to_vec())
}

/// `local_thr`: PULL, bind, receive `count` messages.
pub fn local_thr(uring: bool, args: &PerfArgs) {
    run(uring, |ctx| async move {
        let s = ctx.socket(SocketType::Pull).unwrap_or_else(|e| die("socket", e));
        s.bind(&args.address).await.unwrap_or_else(|e| die("bind", e));
        let first = s.recv().await.unwrap_or_else(|e| die("recv", e));
        check_size(args.message_size, first.size());
        let start = Instant::now();
        for _ in 1..args.count {
            let m = s.recv().await.unwrap_or_else(|e| die("recv", e));
            check_size(args.message_size, m.size());
        }
        print_throughput(args.message_size, args.count, start.elapsed());
    });
}

/// `remote_thr`: PUSH, connect, send `count` messages.
pub fn remote_thr(uring: bool, args: &PerfArgs) {
    run(uring, |ctx| async move {
        let s = ctx.socket(SocketType::Push).unwrap_or_else(|e| die("socket", e));
        s.connect(&args.address)
            .await
            .unwrap_or_else(|e| die("connect", e));
        let payload = vec![0u8; args.message_size];
        for _ in 0..args.count {
            s.send(message(&payload)).await.unwrap_or_else(|e| die("send", e));
        }
        tokio::task::spawn_blocking(hold_while_asked)
            .await
            .unwrap_or_else(|e| die("hold", e));
    });
}

/// `local_lat`: REP, bind, echo `count` messages.
pub fn local_lat(uring: bool, args: &PerfArgs) {
    run(uring, |ctx| async move {
        let s = ctx.socket(SocketType::Rep).unwrap_or_else(|e| die("socket", e));
        s.bind(&args.address).await.unwrap_or_else(|e| die("bind", e));
        for _ in 0..args.count {
            let m = s.recv().await.unwrap_or_else(|e| die("recv", e));
            check_size(args.message_size, m.size());
            s.send(m).await.unwrap_or_else(|e| die("send", e));
        }
    });
}

/// `remote_lat`: REQ, connect, `count` round trips.
pub fn remote_lat(uring: bool, args: &PerfArgs) {
    run(uring, |ctx| async move {
        let s = ctx.socket(SocketType::Req).unwrap_or_else(|e| die("socket", e));
        s.connect(&args.address)
            .await
            .unwrap_or_else(|e| die("connect", e));
        let payload = vec![0u8; args.message_size];
        let mut histogram = latency_histogram();
        let start = Instant::now();
        for _ in 0..args.count {
            let t0 = Instant::now();
            s.send(message(&payload)).await.unwrap_or_else(|e| die("send", e));
            let m = s.recv().await.unwrap_or_else(|e| die("recv", e));
            check_size(args.message_size, m.size());
            let _ = histogram.record(t0.elapsed().as_nanos() as u64);
        }
        print_latency(args.message_size, args.count, start.elapsed(), &histogram);
    });
}

/// `inproc_thr`: a PULL bound to `inproc://thr_test`, a PUSH task sending `count` messages;
/// throughput from the first message on, as libzmq's.
pub fn inproc_thr(args: &InprocArgs) {
    let (size, count) = (args.message_size, args.count);
    run(false, |ctx| async move {
        let pull = ctx.socket(SocketType::Pull).unwrap_or_else(|e| die("socket", e));
        pull.bind("inproc://thr_test")
            .await
            .unwrap_or_else(|e| die("bind", e));
        let push = ctx.socket(SocketType::Push).unwrap_or_else(|e| die("socket", e));
        let sender = tokio::spawn(async move {
            push.connect("inproc://thr_test")
                .await
                .unwrap_or_else(|e| die("connect", e));
            let payload = vec![0u8; size];
            for _ in 0..count {
                push.send(message(&payload))
                    .await
                    .unwrap_or_else(|e| die("send", e));
            }
        });
        check_size(size, pull.recv().await.unwrap_or_else(|e| die("recv", e)).size());
        let start = Instant::now();
        for _ in 1..count {
            check_size(size, pull.recv().await.unwrap_or_else(|e| die("recv", e)).size());
        }
        print_throughput(size, count, start.elapsed());
        sender.await.unwrap_or_else(|e| die("sender", e));
    });
}

/// `inproc_lat`: a REP task echoing, a REQ doing `count` round trips.
pub fn inproc_lat(args: &InprocArgs) {
    let (size, count) = (args.message_size, args.count);
    run(false, |ctx| async move {
        let rep = ctx.socket(SocketType::Rep).unwrap_or_else(|e| die("socket", e));
        rep.bind("inproc://lat_test")
            .await
            .unwrap_or_else(|e| die("bind", e));
        let echo = tokio::spawn(async move {
            for _ in 0..count {
                let m = rep.recv().await.unwrap_or_else(|e| die("recv", e));
                rep.send(m).await.unwrap_or_else(|e| die("send", e));
            }
        });
        let req = ctx.socket(SocketType::Req).unwrap_or_else(|e| die("socket", e));
        req.connect("inproc://lat_test")
            .await
            .unwrap_or_else(|e| die("connect", e));
        let payload = vec![0u8; size];
        let mut histogram = latency_histogram();
        let start = Instant::now();
        for _ in 0..count {
            let t0 = Instant::now();
            req.send(message(&payload))
                .await
                .unwrap_or_else(|e| die("send", e));
            check_size(size, req.recv().await.unwrap_or_else(|e| die("recv", e)).size());
            let _ = histogram.record(t0.elapsed().as_nanos() as u64);
        }
        print_latency(size, count, start.elapsed(), &histogram);
        echo.await.unwrap_or_else(|e| die("echo", e));
    });
}
