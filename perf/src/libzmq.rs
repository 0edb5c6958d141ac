//! libzmq's perf tools reimplemented over the `zmq` crate (libzmq 4.3.4 built from source),
//! with the same command lines and output, so both libraries run the same benchmark.

use std::time::Instant;

use crate::{
    InprocArgs, PerfArgs, check_size, die, hold_while_asked, latency_histogram, print_latency,
    print_throughput,
};

/// libzmq's `local_thr`.
pub fn local_thr(args: &PerfArgs) {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::PULL).unwrap_or_else(|e| die("socket", e));
    s.bind(&args.address).unwrap_or_else(|e| die("bind", e));
    let mut msg = zmq::Message::new();
    s.recv(&mut msg, 0).unwrap_or_else(|e| die("recv", e));
    check_size(args.message_size, msg.len());
    let start = Instant::now();
    for _ in 1..args.count {
        s.recv(&mut msg, 0).unwrap_or_else(|e| die("recv", e));
        check_size(args.message_size, msg.len());
    }
    let elapsed = start.elapsed();
    print_throughput(args.message_size, args.count, elapsed);
}

/// libzmq's `remote_thr`.
pub fn remote_thr(args: &PerfArgs) {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::PUSH).unwrap_or_else(|e| die("socket", e));
    s.connect(&args.address).unwrap_or_else(|e| die("connect", e));
    for _ in 0..args.count {
        let msg = zmq::Message::with_size(args.message_size);
        s.send(msg, 0).unwrap_or_else(|e| die("send", e));
    }
    // libzmq's own PULL over ipc loses the end of a stream whose sender closes at once:
    // Linux reports the closed AF_UNIX peer as EPOLLHUP and libzmq's engine, its input
    // throttled by RCVHWM, stops on it with octets still unread. `ringmq-bench` therefore
    // keeps this side connected until the receiver has everything.
    hold_while_asked();
}

/// libzmq's `local_lat`.
pub fn local_lat(args: &PerfArgs) {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::REP).unwrap_or_else(|e| die("socket", e));
    s.bind(&args.address).unwrap_or_else(|e| die("bind", e));
    let mut msg = zmq::Message::new();
    for _ in 0..args.count {
        s.recv(&mut msg, 0).unwrap_or_else(|e| die("recv", e));
        check_size(args.message_size, msg.len());
        s.send(&msg[..], 0).unwrap_or_else(|e| die("send", e));
    }
}

/// libzmq's `remote_lat`.
pub fn remote_lat(args: &PerfArgs) {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::REQ).unwrap_or_else(|e| die("socket", e));
    s.connect(&args.address).unwrap_or_else(|e| die("connect", e));
    let payload = vec![0u8; args.message_size];
    let mut msg = zmq::Message::new();
    let mut histogram = latency_histogram();
    let start = Instant::now();
    for _ in 0..args.count {
        let t0 = Instant::now();
        s.send(&payload[..], 0).unwrap_or_else(|e| die("send", e));
        s.recv(&mut msg, 0).unwrap_or_else(|e| die("recv", e));
        check_size(args.message_size, msg.len());
        let _ = histogram.record(t0.elapsed().as_nanos() as u64);
    }
    let elapsed = start.elapsed();
    print_latency(args.message_size, args.count, elapsed, &histogram);
}

/// libzmq's `inproc_thr`.
pub fn inproc_thr(args: &InprocArgs) {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL).unwrap_or_else(|e| die("socket", e));
    pull.bind("inproc://thr_test").unwrap_or_else(|e| die("bind", e));
    let (size, count) = (args.message_size, args.count);
    let sender_ctx = ctx.clone();
    let sender = std::thread::spawn(move || {
        let push = sender_ctx.socket(zmq::PUSH).unwrap_or_else(|e| die("socket", e));
        push.connect("inproc://thr_test")
            .unwrap_or_else(|e| die("connect", e));
        for _ in 0..count {
            push.send(zmq::Message::with_size(size), 0)
                .unwrap_or_else(|e| die("send", e));
        }
    });
    let mut msg = zmq::Message::new();
    pull.recv(&mut msg, 0).unwrap_or_else(|e| die("recv", e));
    check_size(size, msg.len());
    let start = Instant::now();
    for _ in 1..count {
        pull.recv(&mut msg, 0).unwrap_or_else(|e| die("recv", e));
        check_size(size, msg.len());
    }
    print_throughput(size, count, start.elapsed());
    sender.join().unwrap_or_else(|_| die("sender", "panicked"));
}

/// libzmq's `inproc_lat`.
pub fn inproc_lat(args: &InprocArgs) {
    let ctx = zmq::Context::new();
    let rep = ctx.socket(zmq::REP).unwrap_or_else(|e| die("socket", e));
    rep.bind("inproc://lat_test").unwrap_or_else(|e| die("bind", e));
    let (size, count) = (args.message_size, args.count);
    let echo = std::thread::spawn(move || {
        let mut msg = zmq::Message::new();
        for _ in 0..count {
            rep.recv(&mut msg, 0).unwrap_or_else(|e| die("recv", e));
            rep.send(&msg[..], 0).unwrap_or_else(|e| die("send", e));
        }
    });
    let req = ctx.socket(zmq::REQ).unwrap_or_else(|e| die("socket", e));
    req.connect("inproc://lat_test")
        .unwrap_or_else(|e| die("connect", e));
    let payload = vec![0u8; size];
    let mut msg = zmq::Message::new();
    let mut histogram = latency_histogram();
    let start = Instant::now();
    for _ in 0..count {
        let t0 = Instant::now();
        req.send(&payload[..], 0).unwrap_or_else(|e| die("send", e));
        req.recv(&mut msg, 0).unwrap_or_else(|e| die("recv", e));
        check_size(size, msg.len());
        let _ = histogram.record(t0.elapsed().as_nanos() as u64);
    }
    print_latency(size, count, start.elapsed(), &histogram);
    echo.join().unwrap_or_else(|_| die("echo", "panicked"));
}

/// libzmq's twin of `idle_pull`: PULL, bind, print the endpoint, receive nothing until
/// standard input ends.
pub fn idle_pull(address: &str) {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::PULL).unwrap_or_else(|e| die("socket", e));
    s.bind(address).unwrap_or_else(|e| die("bind", e));
    let endpoint = s
        .get_last_endpoint()
        .ok()
        .and_then(|e| e.ok())
        .unwrap_or_default();
    println!("{endpoint}");
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}
