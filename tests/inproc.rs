//! inproc:// beyond the shared pattern matrix (tests/transports.rs): connect before bind,
//! many producers, closing while the peer sends, depth (HWM), names and their errors.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use ringmq::{Error, Flags, SocketType};

#[test]
fn connect_before_bind_delivers_what_was_sent_before() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect("inproc://early").unwrap();
    for i in 0..50 {
        push.send_multipart([format!("m{i}"), "tail".into()], Flags::NONE)
            .unwrap();
    }
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("inproc://early").unwrap();
    for i in 0..50 {
        assert_eq!(
            recv_parts(&mut pull),
            [format!("m{i}").into_bytes(), b"tail".to_vec()]
        );
    }
    // The pipe works both before and after the bind.
    push.send("after", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "after");
}

#[test]
fn routing_ids_cross_inproc_in_either_order() {
    let ctx = context();
    // Connect first: the ROUTER learns the DEALER's id at its bind.
    let mut early = ringmq_socket(&ctx, SocketType::Dealer);
    early.set_routing_id(&b"early"[..]).unwrap();
    early.connect("inproc://ids").unwrap();
    early.send("from early", Flags::NONE).unwrap();
    let mut router = ringmq_socket(&ctx, SocketType::Router);
    router.bind("inproc://ids").unwrap();
    // Bound first.
    let mut late = ringmq_socket(&ctx, SocketType::Dealer);
    late.set_routing_id(&b"late"[..]).unwrap();
    late.connect("inproc://ids").unwrap();
    late.send("from late", Flags::NONE).unwrap();
    let mut seen = HashMap::new();
    for _ in 0..2 {
        let parts = recv_parts(&mut router);
        seen.insert(parts[0].clone(), parts[1].clone());
    }
    assert_eq!(seen[&b"early"[..]], b"from early");
    assert_eq!(seen[&b"late"[..]], b"from late");
    router.send_multipart(["late", "reply"], Flags::NONE).unwrap();
    assert_eq!(late.recv(Flags::NONE).unwrap(), "reply");

    // A binder that wants no routing id skips the one a connector wrote before the bind.
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    req.set_routing_id(&b"ignored"[..]).unwrap();
    req.connect("inproc://rep").unwrap();
    req.send("ping", Flags::NONE).unwrap();
    let mut rep = ringmq_socket(&ctx, SocketType::Rep);
    rep.bind("inproc://rep").unwrap();
    assert_eq!(recv_parts(&mut rep), [b"ping".to_vec()]);
    rep.send("pong", Flags::NONE).unwrap();
    assert_eq!(req.recv(Flags::NONE).unwrap(), "pong");
}

#[test]
fn subscriptions_made_before_the_bind_reach_the_publisher() {
    let ctx = context();
    let mut sub = ringmq_socket(&ctx, SocketType::Sub);
    sub.set_subscribe(b"k").unwrap();
    sub.connect("inproc://feed").unwrap();
    let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
    xpub.bind("inproc://feed").unwrap();
    assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01k"[..]);
    xpub.send("other", Flags::NONE).unwrap();
    xpub.send("kept", Flags::NONE).unwrap();
    assert_eq!(sub.recv(Flags::NONE).unwrap(), "kept");
}

#[test]
fn many_producers_on_many_threads_lose_and_tear_nothing() {
    const PRODUCERS: usize = 8;
    const EACH: usize = 5_000;
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_rcvtimeo(10_000).unwrap();
    // Half the producers connect before the bind.
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let ctx = ctx.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        producers.push((
            std::thread::spawn(move || {
                let mut push = ringmq_socket(&ctx, SocketType::Push);
                push.set_sndhwm(10).unwrap();
                push.connect("inproc://sink").unwrap();
                ready_tx.send(()).unwrap();
                for i in 0..EACH {
                    let body = pattern(1 + (i * 7 + p) % 300, (p * EACH + i) as u64);
                    push.send_multipart(
                        [p.to_le_bytes().to_vec(), i.to_le_bytes().to_vec(), body],
                        Flags::NONE,
                    )
                    .unwrap();
                }
            }),
            ready_rx,
        ));
        if p == PRODUCERS / 2 {
            pull.bind("inproc://sink").unwrap();
        }
    }
    let mut next = [0usize; PRODUCERS];
    for _ in 0..PRODUCERS * EACH {
        let parts = recv_parts(&mut pull);
        assert_eq!(parts.len(), 3, "a message arrived torn");
        let p = usize::from_le_bytes(parts[0].clone().try_into().unwrap());
        let i = usize::from_le_bytes(parts[1].clone().try_into().unwrap());
        assert_eq!(i, next[p], "producer {p} out of order");
        assert_eq!(parts[2], pattern(1 + (i * 7 + p) % 300, (p * EACH + i) as u64));
        next[p] += 1;
    }
    for (t, _) in producers {
        t.join().unwrap();
    }
    assert_eq!(next, [EACH; PRODUCERS]);
    assert!(matches!(pull.recv(Flags::DONTWAIT), Err(Error::Again)));
}

#[test]
fn a_sender_that_closes_mid_stream_leaves_whole_messages() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("inproc://closing-sender").unwrap();
    let sender = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let mut push = ringmq_socket(&ctx, SocketType::Push);
            push.connect("inproc://closing-sender").unwrap();
            let mut sent = 0usize;
            let stop = Instant::now() + Duration::from_millis(200);
            while Instant::now() < stop {
                push.send_multipart(
                    [sent.to_le_bytes().to_vec(), pattern(100, sent as u64)],
                    Flags::NONE,
                )
                .unwrap();
                sent += 1;
            }
            sent // the socket closes here, with messages still queued
        })
    };
    // Read slowly while it sends, then everything left after it closed.
    let mut got = 0usize;
    pull.set_rcvtimeo(500).unwrap();
    loop {
        match pull.recv_multipart(Flags::NONE) {
            Ok(parts) => {
                assert_eq!(parts.len(), 2);
                assert_eq!(&parts[0][..], got.to_le_bytes());
                assert_eq!(&parts[1][..], pattern(100, got as u64));
                got += 1;
                if got % 1000 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Err(Error::Again) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, sender.join().unwrap());
}

#[test]
fn a_receiver_that_closes_does_not_block_or_break_its_sender() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.bind("inproc://closing-receiver").unwrap();
    push.set_sndtimeo(200).unwrap();
    let receiver = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let mut pull = ringmq_socket(&ctx, SocketType::Pull);
            pull.connect("inproc://closing-receiver").unwrap();
            for _ in 0..100 {
                pull.recv(Flags::NONE).unwrap();
            }
        })
    };
    let mut sent = 0;
    let give_up = Instant::now() + Duration::from_secs(10);
    loop {
        match push.send("x", Flags::NONE) {
            Ok(()) => sent += 1,
            // Its only peer is gone: no peer to send to, like libzmq's PUSH.
            Err(Error::Again) if receiver.is_finished() => break,
            Err(Error::Again) => {}
            Err(e) => panic!("{e}"),
        }
        assert!(Instant::now() < give_up, "the sender never noticed");
    }
    receiver.join().unwrap();
    assert!(sent >= 100);
    // A new receiver takes over and gets new messages.
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.connect("inproc://closing-receiver").unwrap();
    push.send("again", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "again");
}

#[test]
fn depth_is_the_senders_sndhwm_plus_the_receivers_rcvhwm() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(7).unwrap();
    pull.bind("inproc://depth").unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_sndhwm(5).unwrap();
    push.connect("inproc://depth").unwrap();
    let mut sent = 0;
    while push.send("m", Flags::DONTWAIT).is_ok() {
        sent += 1;
        assert!(sent <= 1000, "no limit");
    }
    assert_eq!(sent, 12);
    // Reading makes room again (past the low-water mark, as in libzmq).
    for _ in 0..12 {
        pull.recv(Flags::NONE).unwrap();
    }
    push.send("m", Flags::DONTWAIT).unwrap();
}

#[test]
fn names_bind_once_and_unbind() {
    let ctx = context();
    let mut a = ringmq_socket(&ctx, SocketType::Pull);
    a.bind("inproc://name").unwrap();
    let mut b = ringmq_socket(&ctx, SocketType::Pull);
    let err = b.bind("inproc://name").unwrap_err();
    assert_eq!(err.errno(), libc::EADDRINUSE, "{err}");
    assert_eq!(b.bind("inproc://").unwrap_err().errno(), libc::EINVAL);
    let mut stream = ringmq_socket(&ctx, SocketType::Stream);
    assert_eq!(stream.bind("inproc://raw").unwrap_err().errno(), libc::ENOTSUP);
    a.unbind("inproc://name").unwrap();
    b.bind("inproc://name").unwrap();
    // Closing frees the name too.
    drop(b);
    let mut c = ringmq_socket(&ctx, SocketType::Pull);
    c.bind("inproc://name").unwrap();
    // Names belong to their context.
    let other = context();
    let mut d = ringmq_socket(&other, SocketType::Pull);
    d.bind("inproc://name").unwrap();
}

#[test]
fn disconnect_before_the_bind_cancels_the_waiting_connection() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect("inproc://gone").unwrap();
    push.send("lost with the connection", Flags::NONE).unwrap();
    push.disconnect("inproc://gone").unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("inproc://gone").unwrap();
    assert!(matches!(pull.recv(Flags::DONTWAIT), Err(Error::Again)));
    push.connect("inproc://gone").unwrap();
    push.send("new", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "new");
}

#[test]
fn immediate_holds_the_pipe_back_until_the_bind() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_immediate(true).unwrap();
    push.connect("inproc://later").unwrap();
    assert!(matches!(push.send("x", Flags::DONTWAIT), Err(Error::Again)));
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("inproc://later").unwrap();
    push.send("y", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "y");
}
