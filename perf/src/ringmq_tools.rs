//! ringmq's perf tools, as functions the binaries (and `ringmq-bench`) call.

use std::time::Instant;

use ringmq::{Authenticator, Context, Flags, Msg, PollEvents, PollItem, Socket, SocketType, poll};

use crate::security::ToolSecurity;
use crate::{InprocArgs, PerfArgs, check_size, die, latency_histogram, print_latency, print_throughput};

/// How the tools run ringmq: `RINGMQ_MODE=attached` in the environment runs the tool's
/// socket in attached mode (a context of zero shards, the tool's thread driving the ring);
/// anything else, or nothing, is the default detached mode.
pub fn attached_mode() -> bool {
    std::env::var("RINGMQ_MODE").is_ok_and(|m| m == "attached")
}

/// `RINGMQ_ZEROCOPY_THRESHOLD=<octets>` in the environment sets the tools' sockets'
/// `set_zerocopy_threshold` (SEND_ZC for batches with a body that large); unset, the
/// default (never).
fn zerocopy_threshold() -> Option<i32> {
    let value = std::env::var("RINGMQ_ZEROCOPY_THRESHOLD").ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| die("RINGMQ_ZEROCOPY_THRESHOLD", format!("'{value}' is not a number"))),
    )
}

/// Applies the security the environment asks for ([`crate::security`]); a PLAIN server gets
/// an authenticator on `ctx` admitting that user, to keep while the socket serves.
fn secure(ctx: &Context, s: &mut Socket, bind: bool) -> Option<Authenticator> {
    let fail = |e| die("security option", e);
    match ToolSecurity::from_env(bind) {
        ToolSecurity::Null => None,
        ToolSecurity::CurveServer { secret_z85 } => {
            s.set_curve_server(true).unwrap_or_else(fail);
            s.set_curve_secretkey(secret_z85.as_bytes()).unwrap_or_else(fail);
            None
        }
        ToolSecurity::CurveClient { server_key_z85 } => {
            // No key pair of its own: the socket makes a fresh one.
            s.set_curve_serverkey(server_key_z85.as_bytes())
                .unwrap_or_else(fail);
            None
        }
        ToolSecurity::PlainClient { user, password } => {
            s.set_plain_username(&user).unwrap_or_else(fail);
            s.set_plain_password(&password).unwrap_or_else(fail);
            None
        }
        ToolSecurity::PlainServer { user, password } => {
            if attached_mode() {
                die(
                    "RINGMQ_PLAIN",
                    "a PLAIN server's ZAP handler needs a shard thread: run the binding side detached",
                );
            }
            s.set_plain_server(true).unwrap_or_else(fail);
            let auth = Authenticator::start(ctx).unwrap_or_else(|e| die("Authenticator::start", e));
            auth.configure_plain("*", [(user, password)].into());
            Some(auth)
        }
    }
}

/// `RINGMQ_TRACING=LEVEL` (error, warn, info, debug, trace) in the environment installs a
/// `tracing` subscriber at that level writing to stderr, to measure what ringmq's events
/// cost with one installed.
fn install_tracing() {
    let Ok(level) = std::env::var("RINGMQ_TRACING") else {
        return;
    };
    let level: tracing_subscriber::filter::LevelFilter = level
        .parse()
        .unwrap_or_else(|_| die("RINGMQ_TRACING", format!("'{level}' is not a level")));
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
}

/// `RINGMQ_MONITOR=1` in the environment: the tool's socket runs a monitor of every event,
/// read by a thread that counts them (detached mode only: the reader needs a shard).
fn start_monitor(ctx: &Context, s: &mut Socket) -> Option<std::thread::JoinHandle<u64>> {
    std::env::var_os("RINGMQ_MONITOR")?;
    if attached_mode() {
        die(
            "RINGMQ_MONITOR",
            "the monitor's reader needs a shard thread: run detached",
        );
    }
    let endpoint = format!("inproc://perf-monitor-{}", std::process::id());
    s.monitor(&endpoint, ringmq::ALL_EVENTS)
        .unwrap_or_else(|e| die("monitor", e));
    let mut reader = ctx.socket(SocketType::Pair).unwrap_or_else(|e| die("socket", e));
    reader.connect(&endpoint).unwrap_or_else(|e| die("connect", e));
    Some(std::thread::spawn(move || {
        let mut events = 0;
        while let Ok(event) = reader.recv_monitor_event() {
            events += 1;
            if event.kind == ringmq::EventKind::MonitorStopped {
                break;
            }
        }
        events
    }))
}

/// Runs `body` with a socket of type `t` bound to or connected to `address`, in the mode
/// [`attached_mode`] says, with the security the environment asks for.
fn with_socket(t: SocketType, bind: bool, address: &str, body: impl FnOnce(&mut Socket)) {
    install_tracing();
    let setup = |ctx: &Context, s: &mut Socket| {
        let auth = secure(ctx, s, bind);
        if let Some(threshold) = zerocopy_threshold() {
            s.set_zerocopy_threshold(threshold)
                .unwrap_or_else(|e| die("set_zerocopy_threshold", e));
        }
        if bind {
            s.bind(address).unwrap_or_else(|e| die("bind", e));
        } else {
            s.connect(address).unwrap_or_else(|e| die("connect", e));
        }
        auth
    };
    if attached_mode() {
        let ctx = Context::builder()
            .shards(0)
            .build()
            .unwrap_or_else(|e| die("Context::new", e));
        ctx.run_attached(|shard| {
            let mut s = shard.socket(t).unwrap_or_else(|e| die("socket", e));
            let auth = setup(&ctx, &mut s);
            body(&mut s);
            drop(auth);
        })
        .unwrap_or_else(|e| die("run_attached", e));
        let _ = ctx.term();
    } else {
        let ctx = Context::new().unwrap_or_else(|e| die("Context::new", e));
        let mut s = ctx.socket(t).unwrap_or_else(|e| die("socket", e));
        let monitor = start_monitor(&ctx, &mut s);
        let auth = setup(&ctx, &mut s);
        body(&mut s);
        drop((s, auth));
        if let Some(reader) = monitor {
            let events = reader.join().unwrap_or(0);
            eprintln!("monitor events: {events}");
        }
        let _ = ctx.term();
    }
}

/// `local_thr`: PULL, bind, receive `count` messages, print the throughput.
pub fn local_thr(args: &PerfArgs) {
    with_socket(SocketType::Pull, true, &args.address, |s| {
        let first = s.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e));
        check_size(args.message_size, first.len());
        let start = Instant::now();
        for _ in 1..args.count {
            check_size(
                args.message_size,
                s.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e)).len(),
            );
        }
        print_throughput(args.message_size, args.count, start.elapsed());
    });
}

/// `RINGMQ_BODY=shared` in the environment: `remote_thr` sends one application-owned
/// `Bytes` body again and again (each send a reference to it, written out by iovec from
/// where it lies), instead of a fresh copy per message.
pub fn shared_body() -> bool {
    std::env::var("RINGMQ_BODY").is_ok_and(|m| m == "shared")
}

/// `remote_thr`: PUSH, connect, send `count` messages of `message_size` bytes, each a new
/// message copied from the application's buffer (`zmq_send`'s semantics). Sharing one
/// `Bytes` body skips the allocation and the copy, and inproc would then move no data at
/// all: the report compares libraries moving fresh messages, and shows the shared body
/// ([`shared_body`]) beside them over tcp and ipc only, as what the zero-copy API gives.
pub fn remote_thr(args: &PerfArgs) {
    with_socket(SocketType::Push, false, &args.address, |s| {
        let payload = vec![0u8; args.message_size];
        if shared_body() {
            let body = ringmq::Bytes::from(payload);
            for _ in 0..args.count {
                s.send(Msg::from(body.clone()), Flags::NONE)
                    .unwrap_or_else(|e| die("send", e));
            }
            return hold_driving(s);
        }
        for _ in 0..args.count {
            s.send(&payload[..], Flags::NONE)
                .unwrap_or_else(|e| die("send", e));
        }
        // As libzmq's twin: with RINGMQ_HOLD the connection stays until the receiver is done.
        hold_driving(s);
    });
}

/// [`hold_while_asked`](crate::hold_while_asked) for a socket that may be attached.
fn hold_driving(s: &mut Socket) {
    if std::env::var_os("RINGMQ_HOLD").is_some() {
        wait_for_stdin_end(s);
    }
}

/// Waits for standard input to end in a `poll` that also has the socket, so an attached
/// socket's ring goes on running meanwhile (blocking in a read of stdin would stop it).
fn wait_for_stdin_end(s: &mut Socket) {
    let mut buf = [0u8; 512];
    loop {
        // The end of a pipe is POLLHUP, reported as POLLERR.
        let stdin = PollItem::fd(0, PollEvents::POLLIN | PollEvents::POLLERR);
        let mut items = [PollItem::new(s, PollEvents::POLLIN), stdin];
        poll(&mut items, -1).unwrap_or_else(|e| die("poll", e));
        if items[1].revents().is_empty() {
            continue;
        }
        match std::io::Read::read(&mut std::io::stdin(), &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// `local_lat`: REP, bind, echo `count` messages.
pub fn local_lat(args: &PerfArgs) {
    with_socket(SocketType::Rep, true, &args.address, |s| {
        for _ in 0..args.count {
            let m = s.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e));
            check_size(args.message_size, m.len());
            s.send(m, Flags::NONE).unwrap_or_else(|e| die("send", e));
        }
    });
}

/// `remote_lat`: REQ, connect, `count` round trips; prints average and percentiles.
pub fn remote_lat(args: &PerfArgs) {
    with_socket(SocketType::Req, false, &args.address, |s| {
        let payload = Msg::from(vec![0u8; args.message_size]);
        let mut histogram = latency_histogram();
        let start = Instant::now();
        for _ in 0..args.count {
            let t0 = Instant::now();
            s.send(payload.clone(), Flags::NONE)
                .unwrap_or_else(|e| die("send", e));
            let m = s.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e));
            check_size(args.message_size, m.len());
            let _ = histogram.record(t0.elapsed().as_nanos() as u64);
        }
        print_latency(args.message_size, args.count, start.elapsed(), &histogram);
    });
}

/// `inproc_thr`: one context, a PULL bound to `inproc://thr_test` and a PUSH thread
/// sending `count` messages; prints the throughput from the first message on, as libzmq's.
pub fn inproc_thr(args: &InprocArgs) {
    let ctx = Context::new().unwrap_or_else(|e| die("Context::new", e));
    let mut pull = ctx.socket(SocketType::Pull).unwrap_or_else(|e| die("socket", e));
    pull.bind("inproc://thr_test").unwrap_or_else(|e| die("bind", e));
    let (size, count) = (args.message_size, args.count);
    let sender_ctx = ctx.clone();
    let sender = std::thread::spawn(move || {
        let mut push = sender_ctx
            .socket(SocketType::Push)
            .unwrap_or_else(|e| die("socket", e));
        push.connect("inproc://thr_test")
            .unwrap_or_else(|e| die("connect", e));
        // A fresh message per send, as in `remote_thr`.
        let payload = vec![0u8; size];
        for _ in 0..count {
            push.send(&payload[..], Flags::NONE)
                .unwrap_or_else(|e| die("send", e));
        }
    });
    let first = pull.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e));
    check_size(size, first.len());
    let start = Instant::now();
    for _ in 1..count {
        check_size(
            size,
            pull.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e)).len(),
        );
    }
    print_throughput(size, count, start.elapsed());
    sender.join().unwrap_or_else(|_| die("sender", "panicked"));
}

/// `inproc_lat`: a REP bound to `inproc://lat_test` echoing on a thread, and a REQ doing
/// `count` round trips; prints the average and the round-trip percentiles.
pub fn inproc_lat(args: &InprocArgs) {
    let ctx = Context::new().unwrap_or_else(|e| die("Context::new", e));
    let mut rep = ctx.socket(SocketType::Rep).unwrap_or_else(|e| die("socket", e));
    rep.bind("inproc://lat_test").unwrap_or_else(|e| die("bind", e));
    let (size, count) = (args.message_size, args.count);
    let echo = std::thread::spawn(move || {
        for _ in 0..count {
            let m = rep.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e));
            rep.send(m, Flags::NONE).unwrap_or_else(|e| die("send", e));
        }
    });
    let mut req = ctx.socket(SocketType::Req).unwrap_or_else(|e| die("socket", e));
    req.connect("inproc://lat_test")
        .unwrap_or_else(|e| die("connect", e));
    let payload = Msg::from(vec![0u8; size]);
    let mut histogram = latency_histogram();
    let start = Instant::now();
    for _ in 0..count {
        let t0 = Instant::now();
        req.send(payload.clone(), Flags::NONE)
            .unwrap_or_else(|e| die("send", e));
        let m = req.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e));
        check_size(size, m.len());
        let _ = histogram.record(t0.elapsed().as_nanos() as u64);
    }
    print_latency(size, count, start.elapsed(), &histogram);
    echo.join().unwrap_or_else(|_| die("echo", "panicked"));
}

/// `idle_pull`: PULL, bind, print the endpoint, then receive nothing until standard input
/// ends (the victim of `rss-bench`).
pub fn idle_pull(address: &str) {
    with_socket(SocketType::Pull, true, address, |s| {
        println!("{}", s.last_endpoint());
        wait_for_stdin_end(s);
    });
}
