//! ROUTER, DEALER and REQ options between ringmq sockets: ROUTER_MANDATORY (EHOSTUNREACH,
//! EAGAIN at the high-water mark), ROUTER_HANDOVER, PROBE_ROUTER, REQ_RELAXED with
//! REQ_CORRELATE; and fairness of DEALER round-robin and PULL fair-queuing over several peers.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use ringmq::{Flags, Socket, SocketType};

fn bound(ctx: &ringmq::Context, t: SocketType) -> Socket {
    let mut s = ringmq_socket(ctx, t);
    s.bind("tcp://127.0.0.1:*").unwrap();
    s
}

fn dealer_named(ctx: &ringmq::Context, name: &str, endpoint: &str) -> Socket {
    let mut d = ringmq_socket(ctx, SocketType::Dealer);
    d.set_routing_id(name.as_bytes().to_vec()).unwrap();
    d.connect(endpoint).unwrap();
    d
}

#[test]
fn router_drops_unroutable_messages_unless_mandatory() {
    let ctx = context();
    let mut router = bound(&ctx, SocketType::Router);
    let mut dealer = dealer_named(&ctx, "known", &router.last_endpoint());
    dealer.send("hi", Flags::NONE).unwrap();
    assert_eq!(recv_parts(&mut router), [&b"known"[..], b"hi"]);

    // Default: silently dropped, the socket goes on.
    router.send_multipart(["nobody", "lost"], Flags::NONE).unwrap();
    // A lone routing id frame is consumed too.
    router.send("known", Flags::NONE).unwrap();
    router.send_multipart(["known", "kept"], Flags::NONE).unwrap();
    assert_eq!(dealer.recv(Flags::NONE).unwrap(), "kept");

    router.set_router_mandatory(true).unwrap();
    let err = router.send("nobody", Flags::SNDMORE).unwrap_err();
    assert_eq!(err.errno(), libc::EHOSTUNREACH, "{err}");
    router
        .send_multipart(["known", "still works"], Flags::NONE)
        .unwrap();
    assert_eq!(dealer.recv(Flags::NONE).unwrap(), "still works");

    // Once the peer is gone its id is unroutable.
    drop(dealer);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match router.send("known", Flags::SNDMORE | Flags::DONTWAIT) {
            Err(e) if e.errno() == libc::EHOSTUNREACH => break,
            Ok(()) => router.send("x", Flags::NONE).unwrap(),
            Err(e) => panic!("{e}"),
        }
        assert!(std::time::Instant::now() < deadline, "the id stayed routable");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn mandatory_router_says_eagain_for_a_full_peer_and_drops_nothing() {
    let ctx = context();
    let mut router = ringmq_socket(&ctx, SocketType::Router);
    router.set_sndhwm(5).unwrap();
    router.set_router_mandatory(true).unwrap();
    router.bind("tcp://127.0.0.1:*").unwrap();
    let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
    dealer.set_routing_id(&b"slow"[..]).unwrap();
    dealer.set_rcvhwm(5).unwrap();
    dealer.connect(&router.last_endpoint()).unwrap();
    dealer.send("ready", Flags::NONE).unwrap();
    recv_parts(&mut router);
    let body = vec![7u8; 64 * 1024];
    let mut sent = 0u32;
    loop {
        match router.send("slow", Flags::SNDMORE | Flags::DONTWAIT) {
            Ok(()) => {
                let mut frame = sent.to_be_bytes().to_vec();
                frame.extend_from_slice(&body);
                router.send(frame, Flags::NONE).unwrap();
                sent += 1;
            }
            Err(e) => {
                assert_eq!(e.errno(), libc::EAGAIN, "{e}");
                break;
            }
        }
        assert!(sent < 100_000, "the peer never filled up");
    }
    assert!(sent >= 5, "at least SNDHWM messages fit: {sent}");
    // Everything accepted arrives, in order.
    for i in 0..sent {
        let m = dealer.recv(Flags::NONE).unwrap();
        assert_eq!(m[..4], i.to_be_bytes());
    }
    // Blocking send with a timeout waits for room rather than failing.
    router.set_sndtimeo(5000).unwrap();
    router.send_multipart(["slow", "after"], Flags::NONE).unwrap();
    assert_eq!(dealer.recv(Flags::NONE).unwrap(), "after");
}

#[test]
fn a_duplicate_routing_id_is_refused_unless_handover() {
    let ctx = context();
    let mut router = bound(&ctx, SocketType::Router);
    let endpoint = router.last_endpoint();
    let mut first = dealer_named(&ctx, "same", &endpoint);
    first.send("one", Flags::NONE).unwrap();
    assert_eq!(recv_parts(&mut router), [&b"same"[..], b"one"]);
    let mut second = dealer_named(&ctx, "same", &endpoint);
    second.send("two", Flags::NONE).unwrap();
    router.set_rcvtimeo(300).unwrap();
    assert_eq!(
        router.recv(Flags::NONE).unwrap_err().errno(),
        libc::EAGAIN,
        "refused"
    );
    router.send_multipart(["same", "to first"], Flags::NONE).unwrap();
    assert_eq!(first.recv(Flags::NONE).unwrap(), "to first");

    router.set_router_handover(true).unwrap();
    router.set_rcvtimeo(TIMEOUT_MS).unwrap();
    let mut third = dealer_named(&ctx, "same", &endpoint);
    third.send("three", Flags::NONE).unwrap();
    assert_eq!(recv_parts(&mut router), [&b"same"[..], b"three"]);
    router.send_multipart(["same", "to third"], Flags::NONE).unwrap();
    assert_eq!(third.recv(Flags::NONE).unwrap(), "to third");
    first.set_rcvtimeo(300).unwrap();
    assert!(first.recv(Flags::NONE).is_err(), "the old peer was handed over");
}

#[test]
fn probe_router_announces_a_new_peer_at_once() {
    let ctx = context();
    let mut router = bound(&ctx, SocketType::Router);
    let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
    dealer.set_probe_router(true).unwrap();
    dealer.set_routing_id(&b"prober"[..]).unwrap();
    dealer.connect(&router.last_endpoint()).unwrap();
    assert_eq!(recv_parts(&mut router), [&b"prober"[..], b""]);
    // The router can now talk first.
    router.send_multipart(["prober", "welcome"], Flags::NONE).unwrap();
    assert_eq!(dealer.recv(Flags::NONE).unwrap(), "welcome");
}

#[test]
fn relaxed_correlated_req_takes_only_the_reply_to_its_last_request() {
    let ctx = context();
    let mut router = bound(&ctx, SocketType::Router);
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    req.set_req_relaxed(true).unwrap();
    req.set_req_correlate(true).unwrap();
    req.connect(&router.last_endpoint()).unwrap();
    req.send("first", Flags::NONE).unwrap();
    req.send("second", Flags::NONE).unwrap();
    let first = recv_parts(&mut router);
    let second = recv_parts(&mut router);
    assert_eq!(first.len(), 4, "id, request id, delimiter, body");
    assert_eq!(first[3], b"first");
    assert_eq!(second[3], b"second");
    assert_ne!(first[1], second[1], "each request has its own id");
    // The late reply to the first request is dropped; the second's is returned.
    let reply_to = |envelope: &[Vec<u8>], body: &str| {
        let mut m = envelope[..3].to_vec();
        m.push(body.as_bytes().to_vec());
        m
    };
    router
        .send_multipart(reply_to(&first, "reply 1"), Flags::NONE)
        .unwrap();
    router
        .send_multipart(reply_to(&second, "reply 2"), Flags::NONE)
        .unwrap();
    assert_eq!(req.recv(Flags::NONE).unwrap(), "reply 2");
    // Strict REQ (the default) refuses the second send.
    let mut strict = ringmq_socket(&ctx, SocketType::Req);
    strict.connect(&router.last_endpoint()).unwrap();
    strict.send("a", Flags::NONE).unwrap();
    assert_eq!(
        strict.send("b", Flags::NONE).unwrap_err().errno(),
        ringmq::errno::EFSM
    );
}

#[test]
fn dealer_round_robin_is_exact_over_peers_with_room() {
    const PEERS: usize = 4;
    const PER_PEER: usize = 500;
    let ctx = context();
    let mut routers: Vec<Socket> = (0..PEERS).map(|_| bound(&ctx, SocketType::Router)).collect();
    let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
    dealer.set_sndhwm(0).unwrap();
    for r in &routers {
        dealer.connect(&r.last_endpoint()).unwrap();
    }
    for i in 0..(PEERS * PER_PEER) as u32 {
        dealer.send(&i.to_be_bytes(), Flags::NONE).unwrap();
    }
    // Tolerance: none. Every peer had room, so each gets exactly every PEERS-th message.
    for r in &mut routers {
        let mut got = Vec::new();
        for _ in 0..PER_PEER {
            let m = recv_parts(r);
            got.push(u32::from_be_bytes(m[1][..].try_into().unwrap()));
        }
        assert!(
            got.windows(2).all(|w| w[1] == w[0] + PEERS as u32),
            "{:?}",
            &got[..8]
        );
        r.set_rcvtimeo(100).unwrap();
        assert!(r.recv(Flags::NONE).is_err(), "no more than its share");
    }
}

#[test]
fn pull_fair_queues_backlogged_senders_within_ten_percent() {
    const SENDERS: u8 = 4;
    const EACH: u32 = 2_000;
    const SAMPLE: usize = 2_000;
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(EACH as i32).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let pushes: Vec<Socket> = (0..SENDERS)
        .map(|k| {
            let mut p = ringmq_socket(&ctx, SocketType::Push);
            p.set_sndhwm(0).unwrap();
            p.connect(&pull.last_endpoint()).unwrap();
            for i in 0..EACH {
                let mut m = vec![k];
                m.extend_from_slice(&i.to_be_bytes());
                p.send(m, Flags::NONE).unwrap();
            }
            p
        })
        .collect();
    // Let every sender's backlog reach the PULL's queues, then sample the first messages.
    std::thread::sleep(Duration::from_millis(500));
    let mut counts: HashMap<u8, usize> = HashMap::new();
    for _ in 0..SAMPLE {
        *counts.entry(pull.recv(Flags::NONE).unwrap()[0]).or_default() += 1;
    }
    let fair = SAMPLE / SENDERS as usize;
    for k in 0..SENDERS {
        let n = counts.get(&k).copied().unwrap_or(0);
        assert!(
            n.abs_diff(fair) <= fair / 10,
            "sender {k} got {n} of the first {SAMPLE} (fair share {fair}): {counts:?}"
        );
    }
    drop(pushes);
}
