//! ROUTER and DEALER against real libzmq, in both directions: routing ids announced and
//! generated, envelopes through REQ and DEALER, ROUTER to ROUTER with CONNECT_ROUTING_ID, and a
//! 10 000-message stream checked for order and content.

mod common;

use common::*;
use ringmq::{Flags, SocketType};

#[test]
fn libzmq_dealers_to_ringmq_router_with_announced_and_generated_ids() {
    for ringmq_binds in [true, false] {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut router = ringmq_socket(&ctx, SocketType::Router);
        let named = zmq_socket(&zctx, zmq::DEALER);
        named.set_identity(b"dealer-1").unwrap();
        join_libzmq(ringmq_binds, &mut router, &named);
        named.send_multipart(["hello", "", "world"], 0).unwrap();
        assert_eq!(
            recv_parts(&mut router),
            [&b"dealer-1"[..], b"hello", b"", b"world"],
            "ringmq binds: {ringmq_binds}"
        );
        router
            .send_multipart(["dealer-1", "reply", ""], Flags::NONE)
            .unwrap();
        assert_eq!(named.recv_multipart(0).unwrap(), [&b"reply"[..], b""]);

        // A dealer without an identity gets a generated 5-byte id starting with a zero.
        let anonymous = zmq_socket(&zctx, zmq::DEALER);
        if ringmq_binds {
            anonymous.connect(&router.last_endpoint()).unwrap();
        } else {
            let endpoint = zmq_endpoint(&named);
            // A second libzmq dealer can't share the bound one's port: bind its own.
            anonymous.bind("tcp://127.0.0.1:*").unwrap();
            router.connect(&zmq_endpoint(&anonymous)).unwrap();
            assert!(!endpoint.is_empty());
        }
        anonymous.send("who am i", 0).unwrap();
        let got = recv_parts(&mut router);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), 5, "generated id: {:?}", got[0]);
        assert_eq!(got[0][0], 0);
        assert_eq!(got[1], b"who am i");
        router
            .send_multipart([&got[0][..], b"you are you"], Flags::NONE)
            .unwrap();
        assert_eq!(anonymous.recv_bytes(0).unwrap(), b"you are you");
    }
}

#[test]
fn ringmq_dealer_to_libzmq_router() {
    for ringmq_binds in [true, false] {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
        dealer.set_routing_id(&b"our-dealer"[..]).unwrap();
        let router = zmq_socket(&zctx, zmq::ROUTER);
        join_libzmq(ringmq_binds, &mut dealer, &router);
        dealer.send_multipart(["", "request", "x"], Flags::NONE).unwrap();
        let got = router.recv_multipart(0).unwrap();
        assert_eq!(got, [&b"our-dealer"[..], b"", b"request", b"x"]);
        router.send_multipart(["our-dealer", "", "answer"], 0).unwrap();
        assert_eq!(recv_parts(&mut dealer), [&b""[..], b"answer"]);
    }
}

#[test]
fn libzmq_req_through_ringmq_router_and_ringmq_req_through_libzmq_router() {
    for ringmq_binds in [true, false] {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut router = ringmq_socket(&ctx, SocketType::Router);
        let req = zmq_socket(&zctx, zmq::REQ);
        req.set_identity(b"client").unwrap();
        join_libzmq(ringmq_binds, &mut router, &req);
        for i in 0..20 {
            req.send(format!("q{i}").as_bytes(), 0).unwrap();
            let got = recv_parts(&mut router);
            assert_eq!(
                got,
                [b"client".to_vec(), Vec::new(), format!("q{i}").into_bytes()]
            );
            router
                .send_multipart([&b"client"[..], b"", format!("a{i}").as_bytes()], Flags::NONE)
                .unwrap();
            assert_eq!(req.recv_bytes(0).unwrap(), format!("a{i}").into_bytes());
        }

        // And the other way: our REQ (with correlation ids) through libzmq's ROUTER.
        let zrouter = zmq_socket(&zctx, zmq::ROUTER);
        let mut our_req = ringmq_socket(&ctx, SocketType::Req);
        our_req.set_req_correlate(true).unwrap();
        join_libzmq(ringmq_binds, &mut our_req, &zrouter);
        for i in 0..20 {
            our_req.send(format!("r{i}").as_str(), Flags::NONE).unwrap();
            let envelope = zrouter.recv_multipart(0).unwrap();
            assert_eq!(envelope.len(), 4, "id, request id, delimiter, body");
            assert_eq!(envelope[1].len(), 4);
            assert!(envelope[2].is_empty());
            let mut reply = envelope[..3].to_vec();
            reply.push(format!("s{i}").into_bytes());
            zrouter.send_multipart(reply, 0).unwrap();
            assert_eq!(our_req.recv(Flags::NONE).unwrap(), format!("s{i}").as_str());
        }
    }
}

#[test]
fn ringmq_router_to_libzmq_router_with_connect_routing_id() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let server = zmq_socket(&zctx, zmq::ROUTER);
    server.set_identity(b"server").unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = ringmq_socket(&ctx, SocketType::Router);
    client.set_routing_id(&b"client"[..]).unwrap();
    client.set_router_mandatory(true).unwrap();
    client.set_connect_routing_id(&b"srv"[..]).unwrap();
    client.connect(&zmq_endpoint(&server)).unwrap();
    // The alias is routable at once: the message waits in the pipe for the connection.
    client.send_multipart(["srv", "ping"], Flags::NONE).unwrap();
    assert_eq!(server.recv_multipart(0).unwrap(), [&b"client"[..], b"ping"]);
    server.send_multipart(["client", "pong"], 0).unwrap();
    assert_eq!(recv_parts(&mut client), [&b"srv"[..], b"pong"]);
}

#[test]
fn ten_thousand_messages_from_libzmq_dealer_keep_order_through_ringmq_router() {
    for ringmq_binds in [true, false] {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut router = ringmq_socket(&ctx, SocketType::Router);
        // The dealer reads its echoes only after sending everything, and a ROUTER drops what
        // exceeds SNDHWM (as libzmq's does): lift the mark so this test sees every echo.
        router.set_sndhwm(0).unwrap();
        let dealer = zmq_socket(&zctx, zmq::DEALER);
        dealer.set_identity(b"d").unwrap();
        join_libzmq(ringmq_binds, &mut router, &dealer);
        let sender = std::thread::spawn(move || {
            for i in 0..10_000u64 {
                dealer
                    .send_multipart([i.to_be_bytes().to_vec(), pattern((i % 200) as usize, i)], 0)
                    .unwrap();
            }
            let mut echoed = 0u64;
            while echoed < 10_000 {
                let got = dealer.recv_multipart(0).unwrap();
                assert_eq!(got[0], echoed.to_be_bytes());
                echoed += 1;
            }
        });
        for i in 0..10_000u64 {
            let got = recv_parts(&mut router);
            assert_eq!(got[0], b"d");
            assert_eq!(got[1], i.to_be_bytes());
            assert_eq!(got[2], pattern((i % 200) as usize, i));
            router
                .send_multipart([&got[0][..], &got[1][..]], Flags::NONE)
                .unwrap();
        }
        sender.join().unwrap();
    }
}
