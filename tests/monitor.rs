//! Socket monitor events, scenario by scenario, beside libzmq's (through the `zmq` crate) for
//! the same scenario in the same test: the lists must match, except where
//! docs/monitor.md documents a difference.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{TIMEOUT_MS, ringmq_socket, zmq_socket};
use ringmq::{ALL_EVENTS, Context, EventKind, MonitorEvent, Socket, SocketType};

/// One event as compared: its name, its value where the scenario fixes it, and whether it
/// names the scenario's endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    name: &'static str,
    value: Option<u32>,
    endpoint: Endpoint,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Endpoint {
    /// The endpoint the scenario bound or connected to.
    Ours,
    /// None (MONITOR_STOPPED).
    Empty,
    Other(String),
}

fn seen(event: &MonitorEvent, endpoint: &str) -> Seen {
    // Descriptor numbers and retry delays differ from run to run; errnos and zeros do not.
    let fixed = !matches!(
        event.kind,
        EventKind::Connected
            | EventKind::Listening
            | EventKind::Accepted
            | EventKind::Closed
            | EventKind::Disconnected
            | EventKind::ConnectRetried
    );
    if !fixed {
        assert!(event.value > 0, "{event:?}: a descriptor or a delay");
    }
    Seen {
        name: event.kind.name(),
        value: fixed.then_some(event.value),
        endpoint: match event.endpoint.as_str() {
            "" => Endpoint::Empty,
            e if e == endpoint => Endpoint::Ours,
            e => Endpoint::Other(e.to_owned()),
        },
    }
}

/// A ringmq socket's monitor, read from a PAIR.
struct RingmqEvents(Socket);

impl RingmqEvents {
    fn start(ctx: &Context, socket: &mut Socket, name: &str) -> Self {
        let endpoint = format!("inproc://{name}");
        socket.monitor(&endpoint, ALL_EVENTS).unwrap();
        let mut pair = ringmq_socket(ctx, SocketType::Pair);
        pair.connect(&endpoint).unwrap();
        pair.set_rcvtimeo(20).unwrap();
        Self(pair)
    }

    /// Events until `until` says the list is complete, or `quiet` passes without one.
    fn collect(&mut self, endpoint: &str, quiet: Duration, until: impl Fn(&[Seen]) -> bool) -> Vec<Seen> {
        collect(|| self.0.recv_monitor_event().ok(), endpoint, quiet, until)
    }
}

/// A libzmq socket's monitor, read from a PAIR.
struct LibzmqEvents(zmq::Socket);

impl LibzmqEvents {
    fn start(ctx: &zmq::Context, socket: &zmq::Socket, name: &str) -> Self {
        let endpoint = format!("inproc://{name}");
        socket.monitor(&endpoint, ALL_EVENTS as i32).unwrap();
        let pair = zmq_socket(ctx, zmq::PAIR);
        pair.connect(&endpoint).unwrap();
        pair.set_rcvtimeo(20).unwrap();
        Self(pair)
    }

    fn collect(&mut self, endpoint: &str, quiet: Duration, until: impl Fn(&[Seen]) -> bool) -> Vec<Seen> {
        collect(
            || {
                let frames = self.0.recv_multipart(0).ok()?;
                let frames: Vec<ringmq::Msg> = frames.into_iter().map(ringmq::Msg::from).collect();
                Some(MonitorEvent::from_frames(&frames).expect("libzmq's monitor message"))
            },
            endpoint,
            quiet,
            until,
        )
    }
}

fn collect(
    mut next: impl FnMut() -> Option<MonitorEvent>,
    endpoint: &str,
    quiet: Duration,
    until: impl Fn(&[Seen]) -> bool,
) -> Vec<Seen> {
    let give_up = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    let mut last = Instant::now();
    let mut events = Vec::new();
    while Instant::now() < give_up && last.elapsed() < quiet && !until(&events) {
        if let Some(event) = next() {
            events.push(seen(&event, endpoint));
            last = Instant::now();
        }
    }
    events
}

fn names(events: &[Seen]) -> Vec<&'static str> {
    events.iter().map(|e| e.name).collect()
}

fn ends_with(name: &'static str) -> impl Fn(&[Seen]) -> bool {
    move |events| events.last().is_some_and(|e| e.name == name)
}

fn has(count: usize) -> impl Fn(&[Seen]) -> bool {
    move |events| events.len() >= count
}

const QUIET: Duration = Duration::from_millis(500);

fn event(name: &'static str, value: Option<u32>) -> Seen {
    Seen {
        name,
        value,
        endpoint: Endpoint::Ours,
    }
}

#[test]
fn bind_connect_handshake_and_peer_disconnect_match_libzmq() {
    let ctx = Context::new().unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    let mut pull_events = RingmqEvents::start(&ctx, &mut pull, "r-pull");
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    let mut push_events = RingmqEvents::start(&ctx, &mut push, "r-push");
    push.connect(&ep).unwrap();
    let ours_connect = push_events.collect(&ep, QUIET, ends_with("HANDSHAKE_SUCCEEDED"));
    let ours_bind = pull_events.collect(&ep, QUIET, ends_with("HANDSHAKE_SUCCEEDED"));
    drop(push);
    let ours_connect_close = push_events.collect(&ep, QUIET, ends_with("MONITOR_STOPPED"));
    let ours_bind_lost = pull_events.collect(&ep, QUIET, ends_with("DISCONNECTED"));

    let zctx = zmq::Context::new();
    let zpull = zmq_socket(&zctx, zmq::PULL);
    let mut zpull_events = LibzmqEvents::start(&zctx, &zpull, "z-pull");
    zpull.bind("tcp://127.0.0.1:*").unwrap();
    let zep = common::zmq_endpoint(&zpull);
    let zpush = zmq_socket(&zctx, zmq::PUSH);
    let mut zpush_events = LibzmqEvents::start(&zctx, &zpush, "z-push");
    zpush.connect(&zep).unwrap();
    let theirs_connect = zpush_events.collect(&zep, QUIET, ends_with("HANDSHAKE_SUCCEEDED"));
    let theirs_bind = zpull_events.collect(&zep, QUIET, ends_with("HANDSHAKE_SUCCEEDED"));
    drop(zpush);
    let theirs_connect_close = zpush_events.collect(&zep, QUIET, ends_with("MONITOR_STOPPED"));
    let theirs_bind_lost = zpull_events.collect(&zep, QUIET, ends_with("DISCONNECTED"));

    let einprogress = Some(libc::EINPROGRESS as u32);
    assert_eq!(
        ours_connect,
        [
            event("CONNECT_DELAYED", einprogress),
            event("CONNECTED", None),
            event("HANDSHAKE_SUCCEEDED", Some(0))
        ]
    );
    assert_eq!(ours_connect, theirs_connect);
    assert_eq!(
        ours_bind,
        [
            event("LISTENING", None),
            event("ACCEPTED", None),
            event("HANDSHAKE_SUCCEEDED", Some(0))
        ]
    );
    assert_eq!(ours_bind, theirs_bind);
    let stopped = Seen {
        name: "MONITOR_STOPPED",
        value: Some(0),
        endpoint: Endpoint::Empty,
    };
    assert_eq!(ours_connect_close, std::slice::from_ref(&stopped));
    assert_eq!(ours_connect_close, theirs_connect_close);
    assert_eq!(ours_bind_lost, [event("DISCONNECTED", None)]);
    assert_eq!(ours_bind_lost, theirs_bind_lost);

    drop(pull);
    let ours_bind_close = pull_events.collect(&ep, QUIET, ends_with("MONITOR_STOPPED"));
    drop(zpull);
    let theirs_bind_close = zpull_events.collect(&zep, QUIET, ends_with("MONITOR_STOPPED"));
    assert_eq!(ours_bind_close, [event("CLOSED", None), stopped]);
    assert_eq!(ours_bind_close, theirs_bind_close);
}

#[test]
fn a_failed_bind_reports_its_errno() {
    let ctx = Context::new().unwrap();
    let mut first = ringmq_socket(&ctx, SocketType::Pull);
    first.bind("tcp://127.0.0.1:*").unwrap();
    let ep = first.last_endpoint();
    let mut second = ringmq_socket(&ctx, SocketType::Pull);
    let mut events = RingmqEvents::start(&ctx, &mut second, "r-bind-failed");
    assert_eq!(second.bind(&ep).unwrap_err().errno(), libc::EADDRINUSE);
    let ours = events.collect(&ep, QUIET, ends_with("BIND_FAILED"));

    let zctx = zmq::Context::new();
    let zsecond = zmq_socket(&zctx, zmq::PULL);
    let mut zevents = LibzmqEvents::start(&zctx, &zsecond, "z-bind-failed");
    assert_eq!(zsecond.bind(&ep).unwrap_err(), zmq::Error::EADDRINUSE);
    let theirs = zevents.collect(&ep, QUIET, ends_with("BIND_FAILED"));

    let addrinuse = Some(libc::EADDRINUSE as u32);
    assert_eq!(ours, [event("BIND_FAILED", addrinuse)]);
    // The documented difference: libzmq first reports closing the descriptor it could not
    // bind (with no endpoint), and names the address without its transport.
    let address = ep.trim_start_matches("tcp://").to_owned();
    assert_eq!(
        theirs,
        [
            Seen {
                name: "CLOSED",
                value: None,
                endpoint: Endpoint::Empty
            },
            Seen {
                name: "BIND_FAILED",
                value: addrinuse,
                endpoint: Endpoint::Other(address)
            }
        ]
    );
}

/// An endpoint nobody listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp://{}", listener.local_addr().unwrap())
}

#[test]
fn connecting_to_nothing_is_delayed_closed_and_retried_like_libzmq() {
    let ep = closed_port();
    let ctx = Context::new().unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    let mut events = RingmqEvents::start(&ctx, &mut push, "r-nothing");
    push.connect(&ep).unwrap();
    let ours = events.collect(&ep, Duration::from_secs(2), has(6));

    let zctx = zmq::Context::new();
    let zpush = zmq_socket(&zctx, zmq::PUSH);
    let mut zevents = LibzmqEvents::start(&zctx, &zpush, "z-nothing");
    zpush.connect(&ep).unwrap();
    let theirs = zevents.collect(&ep, Duration::from_secs(2), has(6));

    let cycle = [
        event("CONNECT_DELAYED", Some(libc::EINPROGRESS as u32)),
        event("CLOSED", None),
        event("CONNECT_RETRIED", None),
    ];
    assert_eq!(ours, [cycle.clone(), cycle].concat());
    assert_eq!(ours, theirs);
}

/// `true` once `events` are a lost connection, any number of failed attempts, and a new
/// connection's handshake.
fn is_reconnection(events: &[Seen]) -> bool {
    let n = names(events);
    if n.len() < 5 {
        return false;
    }
    let (head, middle, tail) = (&n[..2], &n[2..n.len() - 3], &n[n.len() - 3..]);
    head == ["DISCONNECTED", "CONNECT_RETRIED"]
        && tail == ["CONNECT_DELAYED", "CONNECTED", "HANDSHAKE_SUCCEEDED"]
        && middle.len() % 3 == 0
        && middle
            .chunks(3)
            .all(|c| c == ["CONNECT_DELAYED", "CLOSED", "CONNECT_RETRIED"])
}

#[test]
fn a_lost_server_is_retried_until_it_returns_like_libzmq() {
    let ctx = Context::new().unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    let mut events = RingmqEvents::start(&ctx, &mut push, "r-lost");
    push.connect(&ep).unwrap();
    events.collect(&ep, QUIET, ends_with("HANDSHAKE_SUCCEEDED"));
    drop(pull);
    std::thread::sleep(Duration::from_millis(250));
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind(&ep).unwrap();
    let ours = events.collect(&ep, Duration::from_secs(2), is_reconnection);

    let zctx = zmq::Context::new();
    let zpull = zmq_socket(&zctx, zmq::PULL);
    zpull.bind("tcp://127.0.0.1:*").unwrap();
    let zep = common::zmq_endpoint(&zpull);
    let zpush = zmq_socket(&zctx, zmq::PUSH);
    let mut zevents = LibzmqEvents::start(&zctx, &zpush, "z-lost");
    zpush.connect(&zep).unwrap();
    zevents.collect(&zep, QUIET, ends_with("HANDSHAKE_SUCCEEDED"));
    drop(zpull);
    std::thread::sleep(Duration::from_millis(250));
    let zpull = zmq_socket(&zctx, zmq::PULL);
    zpull.bind(&zep).unwrap();
    let theirs = zevents.collect(&zep, Duration::from_secs(2), is_reconnection);

    assert!(is_reconnection(&ours), "{:?}", names(&ours));
    assert!(is_reconnection(&theirs), "{:?}", names(&theirs));
    drop((pull, zpull));
}

/// `zmq_socket_monitor(socket, NULL, 0)`, which the `zmq` crate does not offer.
fn stop_libzmq_monitor(socket: &mut zmq::Socket) {
    unsafe extern "C" {
        // libzmq's, linked into this test through the `zmq` crate.
        fn zmq_socket_monitor(
            socket: *mut std::ffi::c_void,
            addr: *const std::ffi::c_char,
            events: i32,
        ) -> i32;
    }
    // SAFETY: the pointer is a live libzmq socket owned by `socket`; a null address is how
    // libzmq's API stops a monitor.
    let rc = unsafe { zmq_socket_monitor(socket.as_mut_ptr(), std::ptr::null(), 0) };
    assert_eq!(rc, 0);
}

#[test]
fn stopping_a_monitor_publishes_monitor_stopped_and_nothing_after() {
    let ctx = Context::new().unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    let mut events = RingmqEvents::start(&ctx, &mut pull, "r-stop");
    pull.stop_monitor();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ours = events.collect("", QUIET, |_| false);

    let zctx = zmq::Context::new();
    let mut zpull = zmq_socket(&zctx, zmq::PULL);
    let mut zevents = LibzmqEvents::start(&zctx, &zpull, "z-stop");
    stop_libzmq_monitor(&mut zpull);
    zpull.bind("tcp://127.0.0.1:*").unwrap();
    let theirs = zevents.collect("", QUIET, |_| false);

    assert_eq!(
        ours,
        [Seen {
            name: "MONITOR_STOPPED",
            value: Some(0),
            endpoint: Endpoint::Empty
        }]
    );
    assert_eq!(ours, theirs);
}

#[test]
fn a_monitor_takes_inproc_endpoints_only_and_one_name_once() {
    let ctx = Context::new().unwrap();
    let mut a = ringmq_socket(&ctx, SocketType::Pull);
    assert_eq!(
        a.monitor("tcp://127.0.0.1:5555", ALL_EVENTS).unwrap_err().errno(),
        libc::EPROTONOSUPPORT
    );
    assert_eq!(
        a.monitor("inproc://m", 1 << 16).unwrap_err().errno(),
        libc::EINVAL
    );
    a.monitor("inproc://taken", ALL_EVENTS).unwrap();
    let mut b = ringmq_socket(&ctx, SocketType::Pull);
    assert_eq!(
        b.monitor("inproc://taken", ALL_EVENTS).unwrap_err().errno(),
        libc::EADDRINUSE
    );
    // Monitoring again replaces the first monitor, freeing its name.
    a.monitor("inproc://other", ALL_EVENTS).unwrap();
    b.monitor("inproc://taken", ALL_EVENTS).unwrap();
}

#[test]
fn an_unread_monitor_costs_the_socket_nothing() {
    let ctx = Context::new().unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    // Nobody ever connects to read these.
    pull.monitor("inproc://unread", ALL_EVENTS).unwrap();
    let ep = closed_port();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_reconnect_ivl(1).unwrap();
    push.monitor("inproc://unread-push", ALL_EVENTS).unwrap();
    push.connect(&ep).unwrap();
    for _ in 0..50 {
        pull.bind("tcp://127.0.0.1:*").unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    // Thousands of events went nowhere; both sockets still work.
    let ep = pull.last_endpoint();
    let mut sender = ringmq_socket(&ctx, SocketType::Push);
    sender.connect(&ep).unwrap();
    sender.send("still here", ringmq::Flags::NONE).unwrap();
    assert_eq!(pull.recv(ringmq::Flags::NONE).unwrap(), "still here");
}

#[test]
fn a_peer_of_the_wrong_type_is_disconnected_like_libzmq() {
    let ctx = Context::new().unwrap();
    let mut bound = ringmq_socket(&ctx, SocketType::Pull);
    let mut bound_events = RingmqEvents::start(&ctx, &mut bound, "r-wrong-bound");
    bound.bind("tcp://127.0.0.1:*").unwrap();
    let ep = bound.last_endpoint();
    let mut connecting = ringmq_socket(&ctx, SocketType::Pull);
    let mut connecting_events = RingmqEvents::start(&ctx, &mut connecting, "r-wrong-connecting");
    connecting.connect(&ep).unwrap();
    let ours_connecting = connecting_events.collect(&ep, QUIET, |_| false);
    let ours_bound = bound_events.collect(&ep, QUIET, |_| false);

    let zctx = zmq::Context::new();
    let zbound = zmq_socket(&zctx, zmq::PULL);
    let mut zbound_events = LibzmqEvents::start(&zctx, &zbound, "z-wrong-bound");
    zbound.bind("tcp://127.0.0.1:*").unwrap();
    let zep = common::zmq_endpoint(&zbound);
    let zconnecting = zmq_socket(&zctx, zmq::PULL);
    let mut zconnecting_events = LibzmqEvents::start(&zctx, &zconnecting, "z-wrong-connecting");
    zconnecting.connect(&zep).unwrap();
    let theirs_connecting = zconnecting_events.collect(&zep, QUIET, |_| false);
    let theirs_bound = zbound_events.collect(&zep, QUIET, |_| false);

    // libzmq reports no handshake failure here, and does not try again.
    assert_eq!(
        names(&theirs_connecting),
        ["CONNECT_DELAYED", "CONNECTED", "DISCONNECTED"]
    );
    assert_eq!(ours_connecting, theirs_connecting);
    assert_eq!(names(&theirs_bound), ["LISTENING", "ACCEPTED", "DISCONNECTED"]);
    assert_eq!(ours_bound, theirs_bound);
}

/// Both ends of a handshake: (bound side's events, connecting side's events), each until
/// it reports DISCONNECTED (or QUIET passes).
type Sides = (Vec<Seen>, Vec<Seen>);

/// A ZAP handler that refuses every request with 400, until nothing comes for 3 s.
fn refuse_all(
    mut next: impl FnMut() -> Option<Vec<Vec<u8>>> + Send + 'static,
    mut reply: impl FnMut(Vec<Vec<u8>>) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while let Some(request) = next() {
            reply(vec![
                request[0].clone(),
                request[1].clone(),
                b"400".to_vec(),
                b"No".to_vec(),
                vec![],
                vec![],
            ]);
        }
    })
}

fn ringmq_handshake(
    ctx: &Context,
    name: &str,
    server: impl Fn(&mut Socket),
    client: impl Fn(&mut Socket),
) -> Sides {
    let mut bound = ringmq_socket(ctx, SocketType::Pull);
    server(&mut bound);
    let mut bound_events = RingmqEvents::start(ctx, &mut bound, &format!("{name}-bound"));
    bound.bind("tcp://127.0.0.1:*").unwrap();
    let ep = bound.last_endpoint();
    let mut connecting = ringmq_socket(ctx, SocketType::Push);
    client(&mut connecting);
    let mut connecting_events = RingmqEvents::start(ctx, &mut connecting, &format!("{name}-connecting"));
    connecting.connect(&ep).unwrap();
    (
        bound_events.collect(&ep, QUIET, ends_with("DISCONNECTED")),
        connecting_events.collect(&ep, QUIET, ends_with("DISCONNECTED")),
    )
}

fn libzmq_handshake(
    ctx: &zmq::Context,
    name: &str,
    server: impl Fn(&zmq::Socket),
    client: impl Fn(&zmq::Socket),
) -> Sides {
    let bound = zmq_socket(ctx, zmq::PULL);
    server(&bound);
    let mut bound_events = LibzmqEvents::start(ctx, &bound, &format!("{name}-bound"));
    bound.bind("tcp://127.0.0.1:*").unwrap();
    let ep = common::zmq_endpoint(&bound);
    let connecting = zmq_socket(ctx, zmq::PUSH);
    client(&connecting);
    let mut connecting_events = LibzmqEvents::start(ctx, &connecting, &format!("{name}-connecting"));
    connecting.connect(&ep).unwrap();
    (
        bound_events.collect(&ep, QUIET, ends_with("DISCONNECTED")),
        connecting_events.collect(&ep, QUIET, ends_with("DISCONNECTED")),
    )
}

#[test]
fn a_mechanism_mismatch_fails_both_handshakes_like_libzmq() {
    let ctx = Context::new().unwrap();
    let ours = ringmq_handshake(
        &ctx,
        "r-mismatch",
        |_| {},
        |c| {
            c.set_plain_username("u").unwrap();
            c.set_plain_password("p").unwrap();
        },
    );
    let zctx = zmq::Context::new();
    let theirs = libzmq_handshake(
        &zctx,
        "z-mismatch",
        |_| {},
        |c| {
            c.set_plain_username(Some("u")).unwrap();
            c.set_plain_password(Some("p")).unwrap();
        },
    );
    let mismatch = Some(0x1100_0002);
    assert_eq!(
        ours.0,
        [
            event("LISTENING", None),
            event("ACCEPTED", None),
            event("HANDSHAKE_FAILED_PROTOCOL", mismatch),
            event("DISCONNECTED", None)
        ]
    );
    assert_eq!(
        ours.1,
        [
            event("CONNECT_DELAYED", Some(libc::EINPROGRESS as u32)),
            event("CONNECTED", None),
            event("HANDSHAKE_FAILED_PROTOCOL", mismatch),
            event("DISCONNECTED", None)
        ]
    );
    assert_eq!(ours, theirs);
}

#[test]
fn a_zap_refusal_fails_both_handshakes_with_its_status_like_libzmq() {
    let ctx = Context::new().unwrap();
    let mut handler = ctx.socket(SocketType::Rep).unwrap();
    handler.set_rcvtimeo(3_000).unwrap();
    handler.bind("inproc://zeromq.zap.01").unwrap();
    let handler = std::sync::Arc::new(std::sync::Mutex::new(handler));
    let (h1, h2) = (handler.clone(), handler);
    let ours_zap = refuse_all(
        move || {
            let frames = h1.lock().unwrap().recv_multipart(ringmq::Flags::NONE).ok()?;
            Some(frames.into_iter().map(|m| m.to_vec()).collect())
        },
        move |reply| {
            h2.lock()
                .unwrap()
                .send_multipart(reply, ringmq::Flags::NONE)
                .unwrap()
        },
    );
    let ours = ringmq_handshake(
        &ctx,
        "r-zap",
        |s| s.set_plain_server(true).unwrap(),
        |c| {
            c.set_plain_username("u").unwrap();
            c.set_plain_password("p").unwrap();
        },
    );

    let zctx = zmq::Context::new();
    let zhandler = zctx.socket(zmq::REP).unwrap();
    zhandler.set_rcvtimeo(3_000).unwrap();
    zhandler.bind("inproc://zeromq.zap.01").unwrap();
    let zhandler = std::sync::Arc::new(std::sync::Mutex::new(zhandler));
    let (z1, z2) = (zhandler.clone(), zhandler);
    let theirs_zap = refuse_all(
        move || z1.lock().unwrap().recv_multipart(0).ok(),
        move |reply| z2.lock().unwrap().send_multipart(reply, 0).unwrap(),
    );
    let theirs = libzmq_handshake(
        &zctx,
        "z-zap",
        |s| s.set_plain_server(true).unwrap(),
        |c| {
            c.set_plain_username(Some("u")).unwrap();
            c.set_plain_password(Some("p")).unwrap();
        },
    );

    let refused = Some(400);
    assert_eq!(
        names(&ours.0),
        ["LISTENING", "ACCEPTED", "HANDSHAKE_FAILED_AUTH", "DISCONNECTED"]
    );
    assert_eq!(ours.0[2].value, refused);
    assert_eq!(
        names(&ours.1),
        [
            "CONNECT_DELAYED",
            "CONNECTED",
            "HANDSHAKE_FAILED_AUTH",
            "DISCONNECTED"
        ]
    );
    assert_eq!(ours.1[2].value, refused);
    assert_eq!(ours, theirs);
    ours_zap.join().unwrap();
    theirs_zap.join().unwrap();
}

/// A bound PULL's events while a raw TCP client connects and then `behave`s.
fn raw_client_events(
    mut events: impl FnMut(&str) -> Vec<Seen>,
    ep: &str,
    behave: impl FnOnce(std::net::TcpStream),
) -> Vec<Seen> {
    let stream = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    behave(stream);
    events(ep)
}

#[test]
fn a_peer_that_leaves_or_stays_silent_in_the_handshake_reports_no_detail_like_libzmq() {
    let ctx = Context::new().unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_handshake_ivl(200).unwrap();
    let mut events = RingmqEvents::start(&ctx, &mut pull, "r-raw");
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint();
    events.collect(&ep, QUIET, ends_with("LISTENING"));
    let leave = |s: std::net::TcpStream| drop(s);
    let silent = |s: std::net::TcpStream| {
        std::thread::sleep(Duration::from_millis(400));
        drop(s);
    };
    let ours_leave = raw_client_events(
        |ep| events.collect(ep, QUIET, ends_with("DISCONNECTED")),
        &ep,
        leave,
    );
    let ours_silent = raw_client_events(
        |ep| events.collect(ep, QUIET, ends_with("DISCONNECTED")),
        &ep,
        silent,
    );

    let zctx = zmq::Context::new();
    let zpull = zmq_socket(&zctx, zmq::PULL);
    zpull.set_handshake_ivl(200).unwrap();
    let mut zevents = LibzmqEvents::start(&zctx, &zpull, "z-raw");
    zpull.bind("tcp://127.0.0.1:*").unwrap();
    let zep = common::zmq_endpoint(&zpull);
    zevents.collect(&zep, QUIET, ends_with("LISTENING"));
    let theirs_leave = raw_client_events(
        |ep| zevents.collect(ep, QUIET, ends_with("DISCONNECTED")),
        &zep,
        leave,
    );
    let theirs_silent = raw_client_events(
        |ep| zevents.collect(ep, QUIET, ends_with("DISCONNECTED")),
        &zep,
        silent,
    );

    let expected = ["ACCEPTED", "HANDSHAKE_FAILED_NO_DETAIL", "DISCONNECTED"];
    for list in [&ours_leave, &ours_silent, &theirs_leave, &theirs_silent] {
        assert_eq!(names(list), expected);
    }
    // The errno of a peer that left depends on how it left; a timeout is EAGAIN in both.
    assert_eq!(ours_silent[1].value, Some(libc::EAGAIN as u32));
    assert_eq!(ours_silent, theirs_silent);
}

/// libzmq 4.3.5 (pyzmq 27.3.0's, on this machine; the `zmq` crate's libzmq has no CURVE)
/// reports these for a CURVE client with the wrong server key; docs/monitor.md.
#[test]
fn a_curve_client_with_the_wrong_server_key_fails_as_with_libzmq() {
    let ctx = Context::new().unwrap();
    let server_keys = ringmq::CurveKeyPair::generate();
    let wrong = ringmq::CurveKeyPair::generate();
    let (bound, connecting) = ringmq_handshake(
        &ctx,
        "r-curve",
        |s| {
            s.set_curve_server(true).unwrap();
            s.set_curve_secretkey(server_keys.secret.expose()).unwrap();
        },
        |c| c.set_curve_serverkey(wrong.public.as_bytes()).unwrap(),
    );
    assert_eq!(
        bound,
        [
            event("LISTENING", None),
            event("ACCEPTED", None),
            event("HANDSHAKE_FAILED_PROTOCOL", Some(0x1100_0001)),
            event("DISCONNECTED", None)
        ]
    );
    assert_eq!(
        names(&connecting),
        [
            "CONNECT_DELAYED",
            "CONNECTED",
            "HANDSHAKE_FAILED_NO_DETAIL",
            "DISCONNECTED"
        ]
    );
}

#[test]
fn a_typed_monitor_carries_peer_addresses_and_reasons() {
    let ctx = Context::new().unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    let mut events = pull.monitor_typed(ALL_EVENTS).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&ep).unwrap();
    let next = |events: &mut ringmq::MonitorStream| {
        events
            .next_timeout(Duration::from_millis(TIMEOUT_MS as u64))
            .expect("an event")
    };
    let listening = next(&mut events);
    assert_eq!(
        (listening.kind, listening.peer.as_deref()),
        (EventKind::Listening, None)
    );
    for kind in [EventKind::Accepted, EventKind::HandshakeSucceeded] {
        let event = next(&mut events);
        assert_eq!(event.kind, kind);
        assert_eq!(event.endpoint, ep);
        assert_eq!(event.peer.as_deref(), Some("127.0.0.1"), "{event:?}");
        assert_eq!(event.reason, None);
    }
    // A message through means both handshakes are done and nothing is left unread on
    // either side: the peer's close is the end of the stream (not a reset).
    push.send("through", ringmq::Flags::NONE).unwrap();
    assert_eq!(pull.recv(ringmq::Flags::NONE).unwrap(), "through");
    drop(push);
    let lost = next(&mut events);
    assert_eq!(lost.kind, EventKind::Disconnected);
    assert_eq!(lost.reason, Some(ringmq::Reason::PeerClosed));
    drop(pull);
    let rest: Vec<EventKind> = events.map(|e| e.kind).collect();
    assert_eq!(rest, [EventKind::Closed, EventKind::MonitorStopped]);
}

#[test]
fn a_typed_monitor_names_the_protocol_error_of_a_failed_handshake() {
    let ctx = Context::new().unwrap();
    let mut server = ringmq_socket(&ctx, SocketType::Pull);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = ringmq_socket(&ctx, SocketType::Push);
    client.set_plain_username("u").unwrap();
    client.set_plain_password("p").unwrap();
    let mut events = client
        .monitor_typed(EventKind::HandshakeFailedProtocol.number().into())
        .unwrap();
    client.connect(&server.last_endpoint()).unwrap();
    let failed = events
        .next_timeout(Duration::from_millis(TIMEOUT_MS as u64))
        .expect("the failure");
    assert_eq!(
        (failed.kind, failed.value),
        (EventKind::HandshakeFailedProtocol, 0x1100_0002)
    );
    match failed.reason {
        Some(ringmq::Reason::Protocol(e)) => assert!(e.to_string().contains("mechanism"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(failed.peer.as_deref(), Some("127.0.0.1"));
}

#[test]
fn a_typed_monitor_is_read_async_and_bounded_when_unread() {
    let ctx = Context::new().unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_reconnect_ivl(1).unwrap();
    let mut events = push.monitor_typed(ALL_EVENTS).unwrap();
    push.connect(&closed_port()).unwrap();
    // Any executor will do: a parking one here.
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark()
        }
    }
    let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
    let mut cx = std::task::Context::from_waker(&waker);
    let first = {
        let mut next = std::pin::pin!(events.next_event());
        loop {
            if let std::task::Poll::Ready(event) = next.as_mut().poll(&mut cx) {
                break event;
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
    };
    assert_eq!(first.map(|e| e.kind), Some(EventKind::ConnectDelayed));
    // Nobody reads now: three events a millisecond pile up to the bound, then are dropped.
    let give_up = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    while events.dropped() == 0 {
        assert!(Instant::now() < give_up, "the queue never filled");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut queued = 0;
    while events.try_next().is_some() {
        queued += 1;
    }
    assert!(
        (ringmq::TYPED_QUEUE..ringmq::TYPED_QUEUE + 50).contains(&queued),
        "{queued}"
    );
    // The socket itself kept working all along.
    push.send("queued while down", ringmq::Flags::DONTWAIT).unwrap();
}

/// A unique ipc path for this test run.
fn ipc_endpoint(name: &str) -> String {
    format!("ipc:///tmp/ringmq-monitor-{}-{name}.ipc", std::process::id())
}

#[test]
fn ipc_connects_complete_at_once_and_retries_close_like_libzmq() {
    let ctx = Context::new().unwrap();
    let ep = ipc_endpoint("ours");
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind(&ep).unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    let mut events = RingmqEvents::start(&ctx, &mut push, "r-ipc");
    push.connect(&ep).unwrap();
    let ours = events.collect(&ep, QUIET, ends_with("HANDSHAKE_SUCCEEDED"));
    let nothing = ipc_endpoint("ours-nothing");
    let mut lonely = ringmq_socket(&ctx, SocketType::Push);
    let mut lonely_events = RingmqEvents::start(&ctx, &mut lonely, "r-ipc-nothing");
    lonely.connect(&nothing).unwrap();
    let ours_nothing = lonely_events.collect(&nothing, Duration::from_secs(2), has(4));

    let zctx = zmq::Context::new();
    let zep = ipc_endpoint("theirs");
    let zpull = zmq_socket(&zctx, zmq::PULL);
    zpull.bind(&zep).unwrap();
    let zpush = zmq_socket(&zctx, zmq::PUSH);
    let mut zevents = LibzmqEvents::start(&zctx, &zpush, "z-ipc");
    zpush.connect(&zep).unwrap();
    let theirs = zevents.collect(&zep, QUIET, ends_with("HANDSHAKE_SUCCEEDED"));
    let znothing = ipc_endpoint("theirs-nothing");
    let zlonely = zmq_socket(&zctx, zmq::PUSH);
    let mut zlonely_events = LibzmqEvents::start(&zctx, &zlonely, "z-ipc-nothing");
    zlonely.connect(&znothing).unwrap();
    let theirs_nothing = zlonely_events.collect(&znothing, Duration::from_secs(2), has(4));

    assert_eq!(names(&ours), ["CONNECTED", "HANDSHAKE_SUCCEEDED"]);
    assert_eq!(ours, theirs);
    assert_eq!(
        names(&ours_nothing),
        ["CLOSED", "CONNECT_RETRIED", "CLOSED", "CONNECT_RETRIED"]
    );
    assert_eq!(ours_nothing, theirs_nothing);
}
