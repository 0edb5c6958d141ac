//! Socket semantics at the API: state machines (EFSM), non-blocking and timed calls
//! (EAGAIN), high-water marks, PAIR's single peer, termination (ETERM), endpoint errors.

mod common;

use std::time::{Duration, Instant};

use common::raw::free_port;
use common::*;
use ringmq::errno::{EFSM, ETERM};
use ringmq::{Flags, Socket, SocketType};

fn connected_pair(ctx: &ringmq::Context, a: SocketType, b: SocketType) -> (Socket, Socket) {
    let mut x = ringmq_socket(ctx, a);
    x.bind("tcp://127.0.0.1:*").unwrap();
    let mut y = ringmq_socket(ctx, b);
    y.connect(&x.last_endpoint()).unwrap();
    (x, y)
}

#[test]
fn req_and_rep_enforce_strict_alternation() {
    let ctx = context();
    let (mut rep, mut req) = connected_pair(&ctx, SocketType::Rep, SocketType::Req);
    assert_eq!(
        req.recv(Flags::DONTWAIT).unwrap_err().errno(),
        EFSM,
        "REQ must send first"
    );
    assert_eq!(
        rep.send("x", Flags::NONE).unwrap_err().errno(),
        EFSM,
        "REP must receive first"
    );
    req.send("q1", Flags::NONE).unwrap();
    assert_eq!(
        req.send("q2", Flags::NONE).unwrap_err().errno(),
        EFSM,
        "REQ sends once per reply"
    );
    assert_eq!(rep.recv(Flags::NONE).unwrap(), "q1");
    assert_eq!(
        rep.recv(Flags::DONTWAIT).unwrap_err().errno(),
        EFSM,
        "REP replies before the next request"
    );
    rep.send("a1", Flags::NONE).unwrap();
    assert_eq!(req.recv(Flags::NONE).unwrap(), "a1");
    // The cycle starts over.
    req.send("q2", Flags::NONE).unwrap();
    assert_eq!(rep.recv(Flags::NONE).unwrap(), "q2");
    rep.send("a2", Flags::NONE).unwrap();
    assert_eq!(req.recv(Flags::NONE).unwrap(), "a2");
}

#[test]
fn req_round_robins_and_rep_answers_each_requester() {
    let ctx = context();
    let mut reps: Vec<Socket> = (0..3)
        .map(|_| {
            let mut r = ringmq_socket(&ctx, SocketType::Rep);
            r.bind("tcp://127.0.0.1:*").unwrap();
            r
        })
        .collect();
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    for r in &reps {
        req.connect(&r.last_endpoint()).unwrap();
    }
    // Let all three connect before counting.
    std::thread::sleep(Duration::from_millis(200));
    let mut served = [0usize; 3];
    for i in 0..30 {
        req.send(format!("q{i}"), Flags::NONE).unwrap();
        let (which, rep) = loop {
            if let Some(found) = reps
                .iter_mut()
                .enumerate()
                .find_map(|(k, r)| r.recv(Flags::DONTWAIT).ok().map(|m| (k, m)))
            {
                break found;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(rep, format!("q{i}").as_str());
        served[which] += 1;
        reps[which].send(format!("a{i}"), Flags::NONE).unwrap();
        assert_eq!(req.recv(Flags::NONE).unwrap(), format!("a{i}").as_str());
    }
    assert_eq!(served, [10, 10, 10], "strict round-robin over three peers");
}

#[test]
fn rep_serves_several_requesters_fairly() {
    let ctx = context();
    let mut rep = ringmq_socket(&ctx, SocketType::Rep);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = rep.last_endpoint();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let endpoint = endpoint.clone();
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let mut req = ringmq_socket(&ctx, SocketType::Req);
                req.connect(&endpoint).unwrap();
                for i in 0..200 {
                    let body = format!("{c}:{i}");
                    req.send(body.as_str(), Flags::NONE).unwrap();
                    assert_eq!(req.recv(Flags::NONE).unwrap(), format!("re {body}").as_str());
                }
            })
        })
        .collect();
    for _ in 0..800 {
        let q = rep.recv(Flags::NONE).unwrap();
        let text = String::from_utf8(q.to_vec()).unwrap();
        rep.send(format!("re {text}"), Flags::NONE).unwrap();
    }
    for c in clients {
        c.join().unwrap();
    }
}

#[test]
fn dontwait_and_timeouts_give_eagain() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.bind("tcp://127.0.0.1:*").unwrap();
    // No peer: a PUSH cannot send.
    assert_eq!(push.send("x", Flags::DONTWAIT).unwrap_err().errno(), libc::EAGAIN);
    push.set_sndtimeo(100).unwrap();
    let start = Instant::now();
    assert_eq!(push.send("x", Flags::NONE).unwrap_err().errno(), libc::EAGAIN);
    assert!(start.elapsed() >= Duration::from_millis(100));

    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    assert_eq!(pull.recv(Flags::DONTWAIT).unwrap_err().errno(), libc::EAGAIN);
    pull.set_rcvtimeo(100).unwrap();
    let start = Instant::now();
    assert_eq!(pull.recv(Flags::NONE).unwrap_err().errno(), libc::EAGAIN);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    pull.set_rcvtimeo(0).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap_err().errno(), libc::EAGAIN);
}

#[test]
fn wrong_direction_calls_are_not_supported() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    assert_eq!(push.recv(Flags::DONTWAIT).unwrap_err().errno(), libc::ENOTSUP);
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    assert_eq!(
        pull.send("x", Flags::DONTWAIT).unwrap_err().errno(),
        libc::ENOTSUP
    );
}

#[test]
fn sndhwm_bounds_what_a_push_queues_for_an_absent_peer() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_sndhwm(10).unwrap();
    push.connect(&format!("tcp://127.0.0.1:{}", free_port())).unwrap();
    for i in 0..10 {
        push.send(format!("{i}"), Flags::DONTWAIT).unwrap();
    }
    assert_eq!(
        push.send("11th", Flags::DONTWAIT).unwrap_err().errno(),
        libc::EAGAIN
    );
    // A multipart message counts once, and once begun is accepted whole.
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_sndhwm(1).unwrap();
    push.connect(&format!("tcp://127.0.0.1:{}", free_port())).unwrap();
    for part in 0..100 {
        push.send(format!("{part}"), Flags::DONTWAIT | Flags::SNDMORE)
            .unwrap();
    }
    push.send("last", Flags::DONTWAIT).unwrap();
    assert_eq!(
        push.send("next", Flags::DONTWAIT).unwrap_err().errno(),
        libc::EAGAIN
    );
}

#[test]
fn at_the_high_water_mark_push_dealer_pair_and_req_block_while_pub_and_router_drop() {
    let ctx = context();
    for t in [SocketType::Push, SocketType::Dealer, SocketType::Pair] {
        let mut s = ringmq_socket(&ctx, t);
        s.set_sndhwm(10).unwrap();
        s.connect(&format!("tcp://127.0.0.1:{}", free_port())).unwrap();
        for i in 0..10 {
            s.send(format!("{i}"), Flags::DONTWAIT).unwrap();
        }
        assert_eq!(
            s.send("11th", Flags::DONTWAIT).unwrap_err().errno(),
            libc::EAGAIN,
            "{t}"
        );
        s.set_sndtimeo(50).unwrap();
        let started = Instant::now();
        assert_eq!(
            s.send("blocked", Flags::NONE).unwrap_err().errno(),
            libc::EAGAIN,
            "{t}"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(50),
            "{t} waited SNDTIMEO"
        );
    }
    // A REQ with no peer at all has nowhere to send: it blocks too.
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    assert_eq!(req.send("q", Flags::DONTWAIT).unwrap_err().errno(), libc::EAGAIN);
    req.set_sndtimeo(50).unwrap();
    assert_eq!(req.send("q", Flags::NONE).unwrap_err().errno(), libc::EAGAIN);
    // PUB and ROUTER never block: what cannot be queued is dropped.
    let mut publisher = ringmq_socket(&ctx, SocketType::Pub);
    publisher.set_sndhwm(10).unwrap();
    publisher
        .connect(&format!("tcp://127.0.0.1:{}", free_port()))
        .unwrap();
    let mut router = ringmq_socket(&ctx, SocketType::Router);
    router.set_sndhwm(10).unwrap();
    for i in 0..1_000 {
        publisher.send(format!("{i}"), Flags::DONTWAIT).unwrap();
        router.send_multipart(["nobody", "x"], Flags::DONTWAIT).unwrap();
    }
}

#[test]
fn a_blocked_push_loses_nothing_when_the_consumer_is_slow() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(5).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    const N: u32 = 3_000;
    let sender = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let mut push = ringmq_socket(&ctx, SocketType::Push);
            push.set_sndhwm(5).unwrap();
            push.connect(&endpoint).unwrap();
            for i in 0..N {
                push.send_multipart([i.to_be_bytes().to_vec(), pattern(2000, i as u64)], Flags::NONE)
                    .unwrap();
            }
            push
        })
    };
    for i in 0..N {
        if i % 500 == 0 {
            // Stall so every queue on the way fills up.
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            recv_parts(&mut pull),
            vec![i.to_be_bytes().to_vec(), pattern(2000, i as u64)]
        );
    }
    drop(sender.join().unwrap());
}

#[test]
fn push_round_robins_and_pull_fair_queues() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.bind("tcp://127.0.0.1:*").unwrap();
    let mut pulls: Vec<Socket> = (0..3)
        .map(|_| {
            let mut p = ringmq_socket(&ctx, SocketType::Pull);
            p.connect(&push.last_endpoint()).unwrap();
            p
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    for i in 0..300u32 {
        push.send(&i.to_be_bytes(), Flags::NONE).unwrap();
    }
    for p in &mut pulls {
        let mut last = None;
        for _ in 0..100 {
            let v = u32::from_be_bytes(p.recv(Flags::NONE).unwrap()[..].try_into().unwrap());
            if let Some(l) = last {
                assert_eq!(v, l + 3, "each PULL gets every third message");
            }
            last = Some(v);
        }
    }

    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let pushes: Vec<Socket> = (0..3u8)
        .map(|k| {
            let mut p = ringmq_socket(&ctx, SocketType::Push);
            p.connect(&pull.last_endpoint()).unwrap();
            for i in 0..100u8 {
                p.send(&[k, i], Flags::NONE).unwrap();
            }
            p
        })
        .collect();
    let mut next = [0u8; 3];
    for _ in 0..300 {
        let m = pull.recv(Flags::NONE).unwrap();
        let (k, i) = (m[0] as usize, m[1]);
        assert_eq!(i, next[k], "per-peer order is kept");
        next[k] += 1;
    }
    assert_eq!(next, [100, 100, 100]);
    drop(pushes);
}

#[test]
fn pair_accepts_one_peer_only() {
    let ctx = context();
    let (mut a, mut b) = connected_pair(&ctx, SocketType::Pair, SocketType::Pair);
    b.send("hello", Flags::NONE).unwrap();
    assert_eq!(a.recv(Flags::NONE).unwrap(), "hello");
    let mut intruder = ringmq_socket(&ctx, SocketType::Pair);
    intruder.connect(&a.last_endpoint()).unwrap();
    intruder.send("intrusion", Flags::NONE).unwrap();
    b.send("still b", Flags::NONE).unwrap();
    assert_eq!(a.recv(Flags::NONE).unwrap(), "still b");
    a.set_rcvtimeo(200).unwrap();
    assert_eq!(
        a.recv(Flags::NONE).unwrap_err().errno(),
        libc::EAGAIN,
        "the intruder is not heard"
    );
    a.send("to b", Flags::NONE).unwrap();
    assert_eq!(b.recv(Flags::NONE).unwrap(), "to b");
}

#[test]
fn term_interrupts_blocking_calls_with_eterm() {
    let ctx = ringmq::Context::builder().shards(1).build().unwrap();
    let mut pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let waiter = std::thread::spawn(move || {
        let err = pull.recv(Flags::NONE).unwrap_err();
        // Closing the socket lets term finish.
        drop(pull);
        err.errno()
    });
    std::thread::sleep(Duration::from_millis(100));
    term_within(ctx.clone(), Duration::from_secs(5));
    assert_eq!(waiter.join().unwrap(), ETERM);
    assert_eq!(ctx.socket(SocketType::Push).unwrap_err().errno(), ETERM);
}

#[test]
fn endpoint_errors_are_clear_and_leave_the_socket_usable() {
    let ctx = context();
    let mut a = ringmq_socket(&ctx, SocketType::Pull);
    a.bind("tcp://127.0.0.1:*").unwrap();
    let taken = a.last_endpoint();
    let mut b = ringmq_socket(&ctx, SocketType::Pull);
    let err = b.bind(&taken).unwrap_err();
    assert_eq!(err.errno(), libc::EADDRINUSE);
    assert!(err.to_string().contains(&taken), "{err}");
    assert_eq!(
        b.bind("tcp://no-such-interface0:5555").unwrap_err().errno(),
        libc::ENODEV
    );
    assert_eq!(
        b.bind("pgm://eth0;239.1.1.1:5555").unwrap_err().errno(),
        libc::EPROTONOSUPPORT
    );
    assert_eq!(
        b.bind("udp://127.0.0.1:5555").unwrap_err().errno(),
        libc::ENOTSUP,
        "udp:// is for RADIO and DISH"
    );
    assert_eq!(b.bind("tcp://127.0.0.1").unwrap_err().errno(), libc::EINVAL);
    assert_eq!(b.connect("tcp://127.0.0.1:*").unwrap_err().errno(), libc::EINVAL);
    assert_eq!(b.unbind("tcp://127.0.0.1:1").unwrap_err().errno(), libc::ENOENT);
    assert_eq!(
        b.disconnect("tcp://127.0.0.1:1").unwrap_err().errno(),
        libc::ENOENT
    );
    // After all that the socket still binds and receives.
    b.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&b.last_endpoint()).unwrap();
    push.send("fine", Flags::NONE).unwrap();
    assert_eq!(b.recv(Flags::NONE).unwrap(), "fine");
}

#[test]
fn unbind_frees_the_port_and_closes_accepted_connections() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    let push = zmq_socket(&zctx, zmq::PUSH);
    push.connect(&endpoint).unwrap();
    push.send("one", 0).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "one");
    pull.unbind(&endpoint).unwrap();
    assert_eq!(pull.unbind(&endpoint).unwrap_err().errno(), libc::ENOENT);
    // The port can be bound again (by this or another socket) at once.
    let mut again = ringmq_socket(&ctx, SocketType::Pull);
    let mut bound = false;
    for _ in 0..50 {
        if again.bind(&endpoint).is_ok() {
            bound = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(bound, "the port was released");
    // libzmq reconnects to the new binder. (A message it sends before noticing the old
    // connection closed goes to that dead connection, as between two libzmq peers, so keep
    // sending until one arrives.)
    again.set_rcvtimeo(50).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let got = loop {
        assert!(Instant::now() < deadline, "libzmq never reached the new binder");
        let _ = push.send("two", zmq::DONTWAIT);
        if let Ok(m) = again.recv(Flags::NONE) {
            break m;
        }
    };
    assert_eq!(got, "two");
}

#[test]
fn disconnect_stops_sending_to_that_peer() {
    let ctx = context();
    let mut a = ringmq_socket(&ctx, SocketType::Pull);
    a.bind("tcp://127.0.0.1:*").unwrap();
    let mut b = ringmq_socket(&ctx, SocketType::Pull);
    b.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&a.last_endpoint()).unwrap();
    push.connect(&b.last_endpoint()).unwrap();
    push.disconnect(&a.last_endpoint()).unwrap();
    for i in 0..10u8 {
        push.send(&[i], Flags::NONE).unwrap();
    }
    for i in 0..10u8 {
        assert_eq!(b.recv(Flags::NONE).unwrap()[..], [i]);
    }
    a.set_rcvtimeo(100).unwrap();
    assert_eq!(a.recv(Flags::NONE).unwrap_err().errno(), libc::EAGAIN);
}

#[test]
fn options_are_validated_and_read_back() {
    let ctx = context();
    let mut s = ctx.socket(SocketType::Req).unwrap();
    assert_eq!(
        (s.sndhwm(), s.rcvhwm(), s.linger()),
        (1000, 1000, -1),
        "libzmq defaults"
    );
    assert_eq!((s.reconnect_ivl(), s.reconnect_ivl_max()), (100, 0));
    assert_eq!(s.set_sndhwm(-1).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(s.set_linger(-2).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(s.set_routing_id(Vec::new()).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(
        s.set_routing_id(vec![1u8; 256]).unwrap_err().errno(),
        libc::EINVAL
    );
    s.set_routing_id(&b"client-1"[..]).unwrap();
    assert_eq!(&s.routing_id()[..], b"client-1");
    s.set_linger(0).unwrap();
    assert_eq!(s.linger(), 0);
    assert_eq!(
        s.set_subscribe(b"x").unwrap_err().errno(),
        libc::EINVAL,
        "an option of another socket type"
    );
    s.set_req_correlate(true).unwrap();
    assert_eq!(
        ctx.socket(SocketType::Dgram).unwrap_err().errno(),
        libc::ENOTSUP,
        "a type not built yet says so"
    );
}

#[test]
fn routing_id_is_announced_to_the_peer() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let router = zmq_socket(&zctx, zmq::ROUTER);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    req.set_routing_id(&b"client-7"[..]).unwrap();
    req.connect(&zmq_endpoint(&router)).unwrap();
    req.send("hi", Flags::NONE).unwrap();
    let request = router.recv_multipart(0).unwrap();
    assert_eq!(request, vec![b"client-7".to_vec(), Vec::new(), b"hi".to_vec()]);
    router
        .send_multipart([&b"client-7"[..], b"", b"hello client-7"], 0)
        .unwrap();
    assert_eq!(req.recv(Flags::NONE).unwrap(), "hello client-7");
}

#[test]
fn ipv6_loopback_works_both_ways() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://[::1]:*").unwrap();
    assert!(
        pull.last_endpoint().starts_with("tcp://[::1]:"),
        "{}",
        pull.last_endpoint()
    );
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&pull.last_endpoint()).unwrap();
    push.send("over v6", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "over v6");
    // A dual-stack wildcard bind accepts IPv4 peers too.
    let mut dual = ringmq_socket(&ctx, SocketType::Pull);
    dual.set_ipv6(true).unwrap();
    dual.bind("tcp://*:*").unwrap();
    let port = dual.last_endpoint().rsplit(':').next().unwrap().to_string();
    let mut v4 = ringmq_socket(&ctx, SocketType::Push);
    v4.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    v4.send("v4 to dual", Flags::NONE).unwrap();
    assert_eq!(dual.recv(Flags::NONE).unwrap(), "v4 to dual");
}

#[test]
fn interface_names_bind_and_source_addresses_connect() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://lo:*").unwrap();
    assert!(pull.last_endpoint().starts_with("tcp://127.0.0.1:"));
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    let port = pull.last_endpoint().rsplit(':').next().unwrap().to_string();
    push.connect(&format!("tcp://127.0.0.1:0;localhost:{port}"))
        .unwrap();
    push.send("via source", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "via source");
}

#[test]
fn a_host_name_binds_its_address_as_libzmq_does() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://localhost:*").unwrap();
    let ours = pull.last_endpoint();
    assert!(ours.starts_with("tcp://127.0.0.1:"), "{ours}");
    // libzmq 4.3.5 (pyzmq's) resolves the name to the same address; 4.3.4 refused it
    // (ENODEV: it looked bind addresses up in DNS only from 4.3.5 on).
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import zmq; s = zmq.Context().socket(zmq.PULL); s.bind('tcp://localhost:*'); \
             print(zmq.zmq_version(), s.last_endpoint.decode())",
        ])
        .output()
        .expect("python3 with pyzmq (the README's test command installs it)");
    let theirs = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pyzmq: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(theirs.contains(" tcp://127.0.0.1:"), "pyzmq bound {theirs}");
    // And a connect by name reaches it, looked up when the connection is made.
    let port = ours.rsplit(':').next().unwrap().to_string();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&format!("tcp://localhost:{port}")).unwrap();
    push.send("by name", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "by name");
}

#[test]
fn a_connect_to_a_name_that_does_not_resolve_is_accepted_and_retried() {
    // libzmq checks only the syntax at connect; the lookup fails at each attempt, which is
    // retried. The socket stays usable meanwhile.
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_reconnect_ivl(10).unwrap();
    push.connect("tcp://no-such-host.invalid:5555").unwrap();
    assert!(
        matches!(push.send("x", Flags::DONTWAIT), Ok(())),
        "queued for when it resolves"
    );
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    push.disconnect("tcp://no-such-host.invalid:5555").unwrap();
    push.connect(&pull.last_endpoint()).unwrap();
    push.send("fine", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "fine");
}

#[test]
fn hundreds_of_reconnects_keep_each_connection_apart() {
    // Every attempt is a new connection generation; far more attempts than an 8-bit
    // generation had before the server comes, then traffic flows on the newest one.
    let ctx = context();
    let port = common::raw::free_port();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_reconnect_ivl(1).unwrap();
    push.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind(&format!("tcp://127.0.0.1:{port}")).unwrap();
    for i in 0..100u32 {
        push.send(i.to_be_bytes().to_vec(), Flags::NONE).unwrap();
    }
    for i in 0..100u32 {
        assert_eq!(&pull.recv(Flags::NONE).unwrap()[..], &i.to_be_bytes()[..]);
    }
}

#[test]
fn both_ring_setups_carry_traffic() {
    for plain in [false, true] {
        let ctx = ringmq::Context::builder()
            .shards(1)
            .plain_ring(plain)
            .build()
            .unwrap();
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let mut push = ringmq_socket(&ctx, SocketType::Push);
        push.connect(&pull.last_endpoint()).unwrap();
        for i in 0..1000u32 {
            push.send(&i.to_be_bytes(), Flags::NONE).unwrap();
        }
        for i in 0..1000u32 {
            assert_eq!(
                pull.recv(Flags::NONE).unwrap()[..],
                i.to_be_bytes(),
                "plain ring: {plain}"
            );
        }
    }
}

#[test]
fn immediate_queues_only_to_completed_connections() {
    let ctx = context();
    let mut live = ringmq_socket(&ctx, SocketType::Pull);
    live.bind("tcp://127.0.0.1:*").unwrap();
    let dead = format!("tcp://127.0.0.1:{}", free_port());

    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_immediate(true).unwrap();
    assert!(push.immediate());
    push.connect(&dead).unwrap();
    assert_eq!(
        push.send("nowhere", Flags::DONTWAIT).unwrap_err().errno(),
        libc::EAGAIN,
        "no completed connection, no queue"
    );
    push.connect(&live.last_endpoint()).unwrap();
    // The first send waits for the live connection; then every message goes there, none
    // to the endpoint that never answers.
    for i in 0..100u32 {
        push.send(&i.to_be_bytes(), Flags::NONE).unwrap();
    }
    for i in 0..100u32 {
        assert_eq!(live.recv(Flags::NONE).unwrap(), &i.to_be_bytes()[..]);
    }

    // Without IMMEDIATE the dead endpoint gets its round-robin share, queued.
    let mut eager = ringmq_socket(&ctx, SocketType::Push);
    eager.connect(&dead).unwrap();
    eager.connect(&live.last_endpoint()).unwrap();
    for i in 0..10u32 {
        eager.send(&i.to_be_bytes(), Flags::NONE).unwrap();
    }
    let mut got = 0;
    live.set_rcvtimeo(300).unwrap();
    while live.recv(Flags::NONE).is_ok() {
        got += 1;
    }
    assert_eq!(got, 5, "half went to the queue of the absent peer");

    // A peer that goes away takes its pipe with it: sends wait for a live one again.
    drop(live);
    push.set_sndtimeo(200).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match push.send("after", Flags::NONE) {
            Err(e) if e.errno() == libc::EAGAIN => break,
            Ok(()) => assert!(Instant::now() < deadline, "the pipe outlived its connection"),
            Err(e) => panic!("{e}"),
        }
    }
    // Disconnecting while it retries ends the session; the context terminates promptly.
    push.disconnect(&dead).unwrap();
    drop((push, eager));
    term_within(ctx, Duration::from_secs(5));
}

#[test]
fn conflate_keeps_only_the_newest_message_in_each_direction() {
    let ctx = context();
    // Incoming: a conflating PULL only ever returns newer messages and ends with the last.
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_conflate(true).unwrap();
    assert!(pull.conflate());
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&pull.last_endpoint()).unwrap();
    for i in 0..1_000u32 {
        push.send_multipart([&i.to_be_bytes()[..], b"whole"], Flags::NONE)
            .unwrap();
    }
    let mut last = None;
    while last != Some(999) {
        let m = recv_parts(&mut pull);
        assert_eq!(m[1], b"whole", "a multipart message is kept whole");
        let seq = u32::from_be_bytes(m[0][..].try_into().unwrap());
        assert!(last.is_none_or(|l| seq > l), "never older: {seq} after {last:?}");
        last = Some(seq);
    }
    assert_eq!(pull.recv(Flags::DONTWAIT).unwrap_err().errno(), libc::EAGAIN);

    // Outgoing: a conflating PUSH never blocks, and a late peer gets only the newest.
    let port = free_port();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_sndhwm(1).unwrap();
    push.set_conflate(true).unwrap();
    push.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    for i in 0..100u32 {
        push.send(&i.to_be_bytes(), Flags::DONTWAIT).unwrap();
    }
    let mut late = ringmq_socket(&ctx, SocketType::Pull);
    late.bind(&format!("tcp://127.0.0.1:{port}")).unwrap();
    assert_eq!(late.recv(Flags::NONE).unwrap(), &99u32.to_be_bytes()[..]);
    late.set_rcvtimeo(200).unwrap();
    assert!(late.recv(Flags::NONE).is_err(), "only the newest was kept");
}

#[test]
fn a_conflating_sub_still_sends_every_subscription() {
    let ctx = context();
    let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let mut sub = ringmq_socket(&ctx, SocketType::Sub);
    sub.set_conflate(true).unwrap();
    for topic in [&b"a"[..], b"b", b"c"] {
        sub.set_subscribe(topic).unwrap();
    }
    sub.connect(&xpub.last_endpoint()).unwrap();
    let mut seen: Vec<Vec<u8>> = (0..3).map(|_| xpub.recv(Flags::NONE).unwrap().to_vec()).collect();
    seen.sort();
    assert_eq!(seen, [b"\x01a".to_vec(), b"\x01b".to_vec(), b"\x01c".to_vec()]);
}

#[test]
fn a_reply_sent_just_before_the_peer_closes_still_reaches_req() {
    use common::raw::{RawPeer, frame};
    let ctx = context();
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    req.bind("tcp://127.0.0.1:*").unwrap();
    let mut rep = RawPeer::connect(&req.last_endpoint());
    rep.handshake("REP");
    req.send("question", Flags::NONE).unwrap();
    assert_eq!(rep.read_frame(), (0x01, Vec::new()), "the delimiter");
    assert_eq!(rep.read_frame(), (0x00, b"question".to_vec()));
    // Reply, and close at once (as a peer that answers its last request and exits does).
    rep.send(&frame(0x01, b""));
    rep.send(&frame(0x00, b"answer"));
    drop(rep);
    // Let the reply and the disconnection both arrive before REQ looks.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(req.recv(Flags::NONE).unwrap(), "answer");
}
