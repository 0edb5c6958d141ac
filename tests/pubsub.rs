//! PUB/SUB and XPUB/XSUB between ringmq sockets: high-water marks (a stalled subscriber loses
//! messages and the others lose none; XPUB_NODROP), the XPUB options (VERBOSE, VERBOSER,
//! MANUAL, WELCOME_MSG), INVERT_MATCHING, counted subscriptions, subscriptions re-sent after a
//! reconnect, and thousands of subscriptions.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ringmq::{Flags, Socket, SocketType};

fn bound(ctx: &ringmq::Context, t: SocketType) -> Socket {
    let mut s = ringmq_socket(ctx, t);
    s.bind("tcp://127.0.0.1:*").unwrap();
    s
}

fn subscriber(ctx: &ringmq::Context, endpoint: &str, prefixes: &[&[u8]]) -> Socket {
    let mut s = ringmq_socket(ctx, SocketType::Sub);
    for p in prefixes {
        s.set_subscribe(p).unwrap();
    }
    s.connect(endpoint).unwrap();
    s
}

/// Publishes `marker` until every subscriber in `subs` has received it (bounded).
fn sync(publisher: &mut Socket, subs: &mut [&mut Socket], marker: &[u8]) {
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    let mut synced = vec![false; subs.len()];
    while !synced.iter().all(|&s| s) {
        assert!(
            Instant::now() < deadline,
            "marker {marker:?} never reached everyone"
        );
        publisher.send(marker, Flags::NONE).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        for (s, done) in subs.iter_mut().zip(&mut synced) {
            while let Ok(m) = s.recv(Flags::DONTWAIT) {
                *done |= m == marker;
            }
        }
    }
    // Drain marker copies still in flight.
    std::thread::sleep(Duration::from_millis(50));
    for s in subs.iter_mut() {
        while s.recv(Flags::DONTWAIT).is_ok() {}
    }
}

#[test]
fn a_stalled_subscriber_loses_messages_and_the_others_lose_none() {
    const COUNT: u32 = 20_000;
    let ctx = context();
    let mut publisher = ringmq_socket(&ctx, SocketType::Pub);
    publisher.set_sndhwm(200).unwrap();
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = publisher.last_endpoint();
    let mut stalled = ringmq_socket(&ctx, SocketType::Sub);
    stalled.set_rcvhwm(10).unwrap();
    stalled.set_subscribe(b"").unwrap();
    stalled.connect(&endpoint).unwrap();
    let mut reader = subscriber(&ctx, &endpoint, &[b""]);
    sync(&mut publisher, &mut [&mut reader, &mut stalled], b"sync");

    // 1 KiB messages: 20 MB in all, far more than the kernel buffers the stalled one by.
    let body = vec![0xabu8; 1024];
    for burst in 0..COUNT / 100 {
        for i in burst * 100..(burst + 1) * 100 {
            publisher
                .send_multipart([&i.to_be_bytes()[..], &body], Flags::NONE)
                .unwrap();
        }
        // The reader keeps up, so its queue never reaches the high-water mark.
        for i in burst * 100..(burst + 1) * 100 {
            let m = recv_parts(&mut reader);
            assert_eq!(m[0], i.to_be_bytes(), "the reading subscriber lost nothing");
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut got = Vec::new();
    while let Ok(m) = stalled.recv_multipart(Flags::DONTWAIT) {
        assert_eq!(m.len(), 2, "whole messages only");
        got.push(u32::from_be_bytes(m[0][..].try_into().unwrap()));
    }
    assert!(
        !got.is_empty() && got.len() < COUNT as usize,
        "the stalled subscriber got some but not all: {}",
        got.len()
    );
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order, gaps only");
}

#[test]
fn xpub_nodrop_holds_the_publisher_back_instead_of_dropping() {
    let ctx = context();
    let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
    xpub.set_sndhwm(5).unwrap();
    xpub.set_xpub_nodrop(true).unwrap();
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let mut sub = ringmq_socket(&ctx, SocketType::Sub);
    sub.set_rcvhwm(5).unwrap();
    sub.set_subscribe(b"").unwrap();
    sub.connect(&xpub.last_endpoint()).unwrap();
    assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01"[..]);
    let body = vec![1u8; 64 * 1024];
    let mut sent = 0u32;
    loop {
        let mut m = sent.to_be_bytes().to_vec();
        m.extend_from_slice(&body);
        match xpub.send(m, Flags::DONTWAIT) {
            Ok(()) => sent += 1,
            Err(e) => {
                assert_eq!(e.errno(), libc::EAGAIN);
                break;
            }
        }
        assert!(sent < 100_000, "never held back");
    }
    for i in 0..sent {
        assert_eq!(
            sub.recv(Flags::NONE).unwrap()[..4],
            i.to_be_bytes(),
            "nothing dropped"
        );
    }
}

#[test]
fn xpub_reports_subscriptions_plain_verbose_and_verboser() {
    let ctx = context();
    for (verbose, verboser) in [(false, false), (true, false), (false, true)] {
        let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
        xpub.set_xpub_verbose(verbose).unwrap();
        xpub.set_xpub_verboser(verboser).unwrap();
        xpub.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = xpub.last_endpoint();
        let mut a = subscriber(&ctx, &endpoint, &[b"t"]);
        assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01t"[..]);
        let mut b = subscriber(&ctx, &endpoint, &[b"t"]);
        xpub.set_rcvtimeo(300).unwrap();
        let repeat = xpub.recv(Flags::NONE);
        if verbose || verboser {
            assert_eq!(repeat.unwrap(), &b"\x01t"[..], "verbose: repeats too");
        } else {
            assert!(repeat.is_err(), "only new subscriptions by default");
        }
        a.set_unsubscribe(b"t").unwrap();
        let first_cancel = xpub.recv(Flags::NONE);
        if verboser {
            assert_eq!(first_cancel.unwrap(), &b"\x00t"[..], "verboser: every cancel");
        } else {
            assert!(first_cancel.is_err(), "b still wants t");
        }
        b.set_unsubscribe(b"t").unwrap();
        assert_eq!(
            xpub.recv(Flags::NONE).unwrap(),
            &b"\x00t"[..],
            "the last one leaves"
        );
        drop((a, b));
    }
}

#[test]
fn xpub_manual_applies_only_what_the_application_subscribes() {
    let ctx = context();
    let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
    xpub.set_xpub_manual(true).unwrap();
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let mut sub = subscriber(&ctx, &xpub.last_endpoint(), &[b"asked"]);
    assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01asked"[..]);
    // Instead of what it asked for, subscribe it to something else.
    xpub.set_subscribe(b"given").unwrap();
    xpub.send("asked: not applied", Flags::NONE).unwrap();
    xpub.send("given: applied", Flags::NONE).unwrap();
    // SUB filters too, so subscribe it locally to see what the XPUB sent.
    sub.set_subscribe(b"given").unwrap();
    assert_eq!(sub.recv(Flags::NONE).unwrap(), "given: applied");
    let mut plain = ringmq_socket(&ctx, SocketType::XPub);
    assert_eq!(
        plain.set_subscribe(b"x").unwrap_err().errno(),
        libc::EINVAL,
        "SUBSCRIBE on XPUB needs XPUB_MANUAL"
    );
}

#[test]
fn xpub_welcomes_each_new_subscriber() {
    let ctx = context();
    let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
    xpub.set_xpub_welcome_msg(b"WELCOME").unwrap();
    xpub.set_xpub_verbose(true).unwrap();
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let mut subs = Vec::new();
    for _ in 0..2 {
        let mut sub = subscriber(&ctx, &xpub.last_endpoint(), &[b"WELCOME"]);
        // Like libzmq's, the XPUB takes in the new peer (and welcomes it) when next called.
        assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01WELCOME"[..]);
        assert_eq!(sub.recv(Flags::NONE).unwrap(), "WELCOME");
        subs.push(sub);
    }
}

#[test]
fn invert_matching_delivers_what_does_not_match() {
    let ctx = context();
    let mut publisher = ringmq_socket(&ctx, SocketType::Pub);
    publisher.set_invert_matching(true).unwrap();
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let mut sub = ringmq_socket(&ctx, SocketType::Sub);
    sub.set_invert_matching(true).unwrap();
    sub.set_subscribe(b"noise").unwrap();
    sub.connect(&publisher.last_endpoint()).unwrap();
    sync(&mut publisher, &mut [&mut sub], b"signal-sync");
    for m in ["noise.1", "signal.1", "noise.2", "signal.2"] {
        publisher.send(m, Flags::NONE).unwrap();
    }
    assert_eq!(sub.recv(Flags::NONE).unwrap(), "signal.1");
    assert_eq!(sub.recv(Flags::NONE).unwrap(), "signal.2");
}

#[test]
fn subscriptions_are_counted_and_re_sent_after_the_publisher_restarts() {
    let ctx = context();
    let mut publisher = bound(&ctx, SocketType::Pub);
    let endpoint = publisher.last_endpoint();
    let mut sub = ringmq_socket(&ctx, SocketType::Sub);
    sub.set_reconnect_ivl(20).unwrap();
    sub.set_subscribe(b"k").unwrap();
    sub.set_subscribe(b"k").unwrap();
    sub.connect(&endpoint).unwrap();
    sync(&mut publisher, &mut [&mut sub], b"k-sync");
    // Subscribed twice: one unsubscribe leaves it subscribed.
    sub.set_unsubscribe(b"k").unwrap();
    sub.set_subscribe(b"z").unwrap();
    sync(&mut publisher, &mut [&mut sub], b"z-sync");
    publisher.send("k-still", Flags::NONE).unwrap();
    assert_eq!(sub.recv(Flags::NONE).unwrap(), "k-still");

    // A new publisher on the same port filters with what the subscriber sends it again.
    drop(publisher);
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    let mut publisher = loop {
        let mut p = ringmq_socket(&ctx, SocketType::Pub);
        if p.bind(&endpoint).is_ok() {
            break p;
        }
        assert!(Instant::now() < deadline, "could not bind {endpoint} again");
        std::thread::sleep(Duration::from_millis(20));
    };
    sync(&mut publisher, &mut [&mut sub], b"k-again");
    publisher.send("other", Flags::NONE).unwrap();
    publisher.send("z-last", Flags::NONE).unwrap();
    assert_eq!(sub.recv(Flags::NONE).unwrap(), "z-last");
}

#[test]
fn thousands_of_subscriptions_filter_exactly() {
    let ctx = context();
    let mut publisher = ringmq_socket(&ctx, SocketType::Pub);
    // No high-water marks: this test is about filtering, not about dropping.
    publisher.set_sndhwm(0).unwrap();
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let mut sub = ringmq_socket(&ctx, SocketType::Sub);
    sub.set_rcvhwm(0).unwrap();
    for i in (0..5_000).step_by(2) {
        sub.set_subscribe(format!("sym{i:05}").as_bytes()).unwrap();
    }
    sub.set_subscribe(b"sync").unwrap();
    sub.connect(&publisher.last_endpoint()).unwrap();
    sync(&mut publisher, &mut [&mut sub], b"sync");
    for i in 0..5_000 {
        publisher
            .send(format!("sym{i:05}.px").as_str(), Flags::NONE)
            .unwrap();
    }
    publisher.send("sync-end", Flags::NONE).unwrap();
    for i in (0..5_000).step_by(2) {
        assert_eq!(sub.recv(Flags::NONE).unwrap(), format!("sym{i:05}.px").as_str());
    }
    assert_eq!(sub.recv(Flags::NONE).unwrap(), "sync-end");
}

#[test]
fn xsub_forwards_subscriptions_and_upstream_messages_to_xpub() {
    let ctx = context();
    let mut xpub = bound(&ctx, SocketType::XPub);
    let mut xsub = ringmq_socket(&ctx, SocketType::XSub);
    xsub.connect(&xpub.last_endpoint()).unwrap();
    xsub.send(&b"\x01abc"[..], Flags::NONE).unwrap();
    assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01abc"[..]);
    xsub.send_multipart(["hello", "upstream"], Flags::NONE).unwrap();
    assert_eq!(recv_parts(&mut xpub), [&b"hello"[..], b"upstream"]);
    xpub.send("abc!", Flags::NONE).unwrap();
    assert_eq!(xsub.recv(Flags::NONE).unwrap(), "abc!");
    let mut pub_only = bound(&ctx, SocketType::Pub);
    assert_eq!(pub_only.recv(Flags::DONTWAIT).unwrap_err().errno(), libc::ENOTSUP);
}
