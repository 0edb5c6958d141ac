//! `poll` over several sockets: POLLIN and POLLOUT as libzmq means them, the timeout, and
//! ETERM when the context terminates. (Raw file descriptors are not pollable yet.)

mod common;

use std::time::{Duration, Instant};

use common::raw::free_port;
use common::*;
use ringmq::{Flags, PollEvents, PollItem, SocketType, poll};

#[test]
fn readiness_across_three_sockets() {
    let ctx = context();
    let mut a = ringmq_socket(&ctx, SocketType::Pull);
    a.bind("tcp://127.0.0.1:*").unwrap();
    let mut b = ringmq_socket(&ctx, SocketType::Router);
    b.bind("tcp://127.0.0.1:*").unwrap();
    // A PUSH with no peer at all has nowhere to send: not writable.
    let mut c = ringmq_socket(&ctx, SocketType::Push);

    {
        let mut items = [
            PollItem::new(&mut a, PollEvents::POLLIN),
            PollItem::new(&mut b, PollEvents::POLLIN | PollEvents::POLLOUT),
            PollItem::new(&mut c, PollEvents::POLLOUT),
        ];
        assert_eq!(poll(&mut items, 0).unwrap(), 1);
        assert_eq!(items[0].revents(), PollEvents::NONE);
        assert_eq!(
            items[1].revents(),
            PollEvents::POLLOUT,
            "a ROUTER can always send"
        );
        assert_eq!(items[2].revents(), PollEvents::NONE);
    }

    // A message for the ROUTER arrives while we wait.
    let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
    dealer.set_routing_id(&b"d"[..]).unwrap();
    dealer.connect(&b.last_endpoint()).unwrap();
    dealer.send("hi", Flags::NONE).unwrap();
    c.connect(&a.last_endpoint()).unwrap();
    let mut items = [
        PollItem::new(&mut a, PollEvents::POLLIN),
        PollItem::new(&mut b, PollEvents::POLLIN),
        PollItem::new(&mut c, PollEvents::POLLOUT),
    ];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(items[1].is_readable() && items[2].is_writable()) {
        assert!(Instant::now() < deadline, "never became ready");
        poll(&mut items, 10_000).unwrap();
    }
    assert!(!items[0].is_readable());
    // The frame poll looked at is the one recv returns.
    assert_eq!(recv_parts(items[1].socket()), [&b"d"[..], b"hi"]);
    items[2].socket().send("to a", Flags::NONE).unwrap();
    let n = poll(&mut items[..1], 10_000).unwrap();
    assert_eq!(n, 1);
    assert_eq!(items[0].socket().recv(Flags::NONE).unwrap(), "to a");
}

#[test]
fn req_and_rep_readiness_follows_their_state() {
    let ctx = context();
    let mut rep = ringmq_socket(&ctx, SocketType::Rep);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    req.connect(&rep.last_endpoint()).unwrap();
    let both = PollEvents::POLLIN | PollEvents::POLLOUT;
    {
        let mut items = [PollItem::new(&mut req, both)];
        poll(&mut items, 0).unwrap();
        assert_eq!(items[0].revents(), PollEvents::POLLOUT, "REQ: send first");
    }
    req.send("q", Flags::NONE).unwrap();
    {
        let mut items = [PollItem::new(&mut req, both), PollItem::new(&mut rep, both)];
        poll(&mut items, 10_000).unwrap();
        assert_eq!(items[0].revents(), PollEvents::NONE, "REQ waits for its reply");
        assert_eq!(
            items[1].revents(),
            PollEvents::POLLIN,
            "REP: a request, no reply yet"
        );
    }
    rep.recv(Flags::NONE).unwrap();
    let mut items = [PollItem::new(&mut rep, both)];
    poll(&mut items, 0).unwrap();
    assert_eq!(items[0].revents(), PollEvents::POLLOUT, "REP: the reply is due");
}

#[test]
fn the_timeout_is_honoured() {
    let ctx = context();
    let mut idle = ringmq_socket(&ctx, SocketType::Pull);
    idle.connect(&format!("tcp://127.0.0.1:{}", free_port())).unwrap();
    let started = Instant::now();
    let mut items = [PollItem::new(&mut idle, PollEvents::POLLIN)];
    assert_eq!(poll(&mut items, 150).unwrap(), 0);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(150), "returned early: {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let started = Instant::now();
    assert_eq!(poll(&mut items, 0).unwrap(), 0);
    assert!(started.elapsed() < Duration::from_secs(1), "0 only looks");
}

#[test]
fn term_interrupts_a_waiting_poll_with_eterm() {
    let ctx = context();
    let mut s = ringmq_socket(&ctx, SocketType::Pull);
    s.bind("tcp://127.0.0.1:*").unwrap();
    let waiter = std::thread::spawn(move || {
        let result = {
            let mut items = [PollItem::new(&mut s, PollEvents::POLLIN)];
            poll(&mut items, -1)
        };
        drop(s);
        result
    });
    std::thread::sleep(Duration::from_millis(100));
    term_within(ctx, Duration::from_secs(5));
    let err = waiter.join().unwrap().unwrap_err();
    assert_eq!(err.errno(), ringmq::errno::ETERM);
}
