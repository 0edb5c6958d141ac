//! PUB/SUB and XPUB/XSUB against real libzmq, in both directions: prefix filtering, the empty
//! subscription, unsubscribing, XPUB seeing a libzmq SUB's subscriptions and cancellations,
//! XSUB subscriptions reaching a libzmq XPUB, and subscriptions sent again after the
//! publisher restarts.
//!
//! Subscriptions travel asynchronously, so each test first waits until a marker topic flows
//! (re-sending it until it arrives); subscriptions on one connection are applied in order,
//! so everything subscribed before the marker is in effect once it arrives. As in libzmq, a
//! socket takes in a newly accepted peer when the application next calls it, so the tests
//! keep both sides busy while they wait ([`eventually`]).

mod common;

use std::time::{Duration, Instant};

use common::*;
use ringmq::{Flags, SocketType};

/// Publishes `marker` through `publish` until `received` sees it (bounded by TIMEOUT_MS).
fn sync(mut publish: impl FnMut(&[u8]), mut received: impl FnMut() -> Option<Vec<u8>>, marker: &[u8]) {
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    loop {
        assert!(Instant::now() < deadline, "marker {marker:?} never arrived");
        publish(marker);
        std::thread::sleep(Duration::from_millis(5));
        while let Some(got) = received() {
            if got == marker {
                return;
            }
        }
    }
}

/// Calls `attempt` until it gives something (bounded by TIMEOUT_MS).
fn eventually<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    loop {
        if let Some(v) = attempt() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn ours_try_recv(s: &mut ringmq::Socket) -> Option<Vec<u8>> {
    s.recv(Flags::DONTWAIT).ok().map(|m| m.to_vec())
}

fn theirs_try_recv(s: &zmq::Socket) -> Option<Vec<u8>> {
    s.recv_bytes(zmq::DONTWAIT).ok()
}

#[test]
fn ringmq_pub_filters_for_libzmq_sub() {
    for ringmq_binds in [true, false] {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut publisher = ringmq_socket(&ctx, SocketType::Pub);
        let sub = zmq_socket(&zctx, zmq::SUB);
        sub.set_subscribe(b"a").unwrap();
        sub.set_subscribe(b"sync").unwrap();
        join_libzmq(ringmq_binds, &mut publisher, &sub);
        sync(
            |m| publisher.send(m, Flags::NONE).unwrap(),
            || theirs_try_recv(&sub),
            b"sync",
        );
        for topic in ["b1", "a1", "c1", "ab", "", "a"] {
            publisher.send(topic, Flags::NONE).unwrap();
        }
        publisher
            .send_multipart(["a-multi", "", "part"], Flags::NONE)
            .unwrap();
        assert_eq!(sub.recv_bytes(0).unwrap(), b"a1");
        assert_eq!(sub.recv_bytes(0).unwrap(), b"ab");
        assert_eq!(sub.recv_bytes(0).unwrap(), b"a");
        assert_eq!(sub.recv_multipart(0).unwrap(), [&b"a-multi"[..], b"", b"part"]);

        // Unsubscribe "a"; subscribe everything (the empty prefix) from then on.
        sub.set_unsubscribe(b"a").unwrap();
        sub.set_subscribe(b"").unwrap();
        sync(
            |m| publisher.send(m, Flags::NONE).unwrap(),
            || theirs_try_recv(&sub),
            b"sync",
        );
        sub.set_unsubscribe(b"").unwrap();
        sub.set_subscribe(b"sync2").unwrap();
        sync(
            |m| publisher.send(m, Flags::NONE).unwrap(),
            || theirs_try_recv(&sub),
            b"sync2",
        );
        publisher.send("a2", Flags::NONE).unwrap();
        publisher.send("sync", Flags::NONE).unwrap();
        assert_eq!(sub.recv_bytes(0).unwrap(), b"sync", "a2 was filtered out");
    }
}

#[test]
fn libzmq_pub_to_ringmq_sub() {
    for ringmq_binds in [true, false] {
        let ctx = context();
        let zctx = zmq::Context::new();
        let publisher = zmq_socket(&zctx, zmq::PUB);
        let mut sub = ringmq_socket(&ctx, SocketType::Sub);
        sub.set_subscribe(b"x").unwrap();
        sub.set_subscribe(b"sync").unwrap();
        join_libzmq(ringmq_binds, &mut sub, &publisher);
        sync(
            |m| publisher.send(m, 0).unwrap(),
            || ours_try_recv(&mut sub),
            b"sync",
        );
        for topic in ["y", "x1", "z", "xx"] {
            publisher.send(topic, 0).unwrap();
        }
        assert_eq!(sub.recv(Flags::NONE).unwrap(), "x1");
        assert_eq!(sub.recv(Flags::NONE).unwrap(), "xx");
        sub.set_unsubscribe(b"x").unwrap();
        sub.set_subscribe(b"sync2").unwrap();
        sync(
            |m| publisher.send(m, 0).unwrap(),
            || ours_try_recv(&mut sub),
            b"sync2",
        );
        publisher.send("x2", 0).unwrap();
        publisher.send("sync", 0).unwrap();
        assert_eq!(sub.recv(Flags::NONE).unwrap(), "sync", "x2 was filtered out");
    }
}

#[test]
fn ringmq_xpub_sees_a_libzmq_subs_subscriptions() {
    for ringmq_binds in [true, false] {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
        let sub = zmq_socket(&zctx, zmq::SUB);
        join_libzmq(ringmq_binds, &mut xpub, &sub);
        sub.set_subscribe(b"prices.").unwrap();
        let first = eventually("the first subscription", || {
            let _ = theirs_try_recv(&sub);
            ours_try_recv(&mut xpub)
        });
        assert_eq!(first, b"\x01prices.", "ringmq binds: {ringmq_binds}");
        sub.set_subscribe(b"").unwrap();
        assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01"[..]);
        xpub.send("prices.eur", Flags::NONE).unwrap();
        assert_eq!(sub.recv_bytes(0).unwrap(), b"prices.eur");
        sub.set_unsubscribe(b"prices.").unwrap();
        assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x00prices."[..]);
        // A subscriber that disconnects from us cancels what it still had. (One we connected
        // to may come back: its subscriptions go when the new connection starts.)
        drop(sub);
        if ringmq_binds {
            assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x00"[..]);
        }
    }
}

#[test]
fn ringmq_xsub_subscribes_at_a_libzmq_xpub() {
    for ringmq_binds in [true, false] {
        let ctx = context();
        let zctx = zmq::Context::new();
        let xpub = zmq_socket(&zctx, zmq::XPUB);
        let mut xsub = ringmq_socket(&ctx, SocketType::XSub);
        join_libzmq(ringmq_binds, &mut xsub, &xpub);
        xsub.send(&b"\x01news"[..], Flags::NONE).unwrap();
        let first = eventually("the subscription", || {
            let _ = ours_try_recv(&mut xsub);
            theirs_try_recv(&xpub)
        });
        assert_eq!(first, b"\x01news", "ringmq binds: {ringmq_binds}");
        xpub.send("news: up", 0).unwrap();
        xpub.send("weather: down", 0).unwrap();
        xpub.send("news: flat", 0).unwrap();
        assert_eq!(xsub.recv(Flags::NONE).unwrap(), "news: up");
        assert_eq!(xsub.recv(Flags::NONE).unwrap(), "news: flat");
        xsub.send(&b"\x00news"[..], Flags::NONE).unwrap();
        assert_eq!(xpub.recv_bytes(0).unwrap(), b"\x00news");
    }
}

#[test]
fn ringmq_sub_subscribes_again_after_a_libzmq_pub_restarts() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let first = zmq_socket(&zctx, zmq::PUB);
    first.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = zmq_endpoint(&first);
    let mut sub = ringmq_socket(&ctx, SocketType::Sub);
    sub.set_reconnect_ivl(20).unwrap();
    sub.set_subscribe(b"t").unwrap();
    sub.connect(&endpoint).unwrap();
    sync(|m| first.send(m, 0).unwrap(), || ours_try_recv(&mut sub), b"t-1");
    drop(first);
    // A new publisher on the same port knows nothing of the subscriber until it subscribes
    // again; libzmq's PUB filters, so "t-2" arriving proves the subscription was re-sent.
    let second = zmq_socket(&zctx, zmq::PUB);
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    loop {
        match second.bind(&endpoint) {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("rebinding {endpoint}: {e}"),
        }
    }
    sync(|m| second.send(m, 0).unwrap(), || ours_try_recv(&mut sub), b"t-2");
}
