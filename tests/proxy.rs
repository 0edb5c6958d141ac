//! `proxy`: an XSUB/XPUB forwarder carries subscriptions up and messages down, copies every
//! frame to the capture socket, and ends with ETERM when the context terminates; a
//! ROUTER/DEALER proxy brokers requests to workers.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ringmq::{Flags, SocketType, proxy};

#[test]
fn a_forwarder_carries_subscriptions_and_messages_and_captures_them() {
    let ctx = context();
    let mut publisher = ringmq_socket(&ctx, SocketType::Pub);
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let mut capture_sink = ringmq_socket(&ctx, SocketType::Pull);
    capture_sink.bind("tcp://127.0.0.1:*").unwrap();

    let mut xsub = ringmq_socket(&ctx, SocketType::XSub);
    xsub.connect(&publisher.last_endpoint()).unwrap();
    let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let downstream = xpub.last_endpoint();
    let mut capture = ringmq_socket(&ctx, SocketType::Push);
    capture.connect(&capture_sink.last_endpoint()).unwrap();
    let forwarder = std::thread::spawn(move || {
        let result = proxy(&mut xpub, &mut xsub, Some(&mut capture));
        drop((xpub, xsub, capture));
        result
    });

    let mut sub = ringmq_socket(&ctx, SocketType::Sub);
    sub.set_subscribe(b"w").unwrap();
    sub.connect(&downstream).unwrap();
    // The subscription crosses the proxy before anything is delivered.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        publisher.send("w-sync", Flags::NONE).unwrap();
        if sub.recv(Flags::DONTWAIT).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "nothing came through the proxy");
        std::thread::sleep(Duration::from_millis(5));
    }
    publisher.send("x-filtered", Flags::NONE).unwrap();
    publisher.send_multipart(["w-1", "part"], Flags::NONE).unwrap();
    // Sync copies still on their way come first.
    let mut got = recv_parts(&mut sub);
    while got == [b"w-sync".to_vec()] {
        got = recv_parts(&mut sub);
    }
    assert_eq!(got, [&b"w-1"[..], b"part"]);
    // The capture saw the subscription going up and the message coming down, frame by frame.
    let mut captured = Vec::new();
    while captured.last().map(|f: &Vec<u8>| f.as_slice()) != Some(b"part") {
        captured.push(capture_sink.recv(Flags::NONE).unwrap().to_vec());
    }
    assert_eq!(captured[0], b"\x01w");
    assert!(captured.ends_with(&[b"w-1".to_vec(), b"part".to_vec()]));

    drop((publisher, sub, capture_sink));
    term_within(ctx, Duration::from_secs(5));
    let ended = forwarder.join().unwrap().unwrap_err();
    assert_eq!(ended.errno(), ringmq::errno::ETERM);
}

#[test]
fn a_router_dealer_proxy_brokers_requests() {
    let ctx = context();
    let mut frontend = ringmq_socket(&ctx, SocketType::Router);
    frontend.bind("tcp://127.0.0.1:*").unwrap();
    let mut backend = ringmq_socket(&ctx, SocketType::Dealer);
    backend.bind("tcp://127.0.0.1:*").unwrap();
    let (front, back) = (frontend.last_endpoint(), backend.last_endpoint());
    let broker = std::thread::spawn(move || {
        let result = proxy(&mut frontend, &mut backend, None);
        drop((frontend, backend));
        result
    });
    let mut worker = ringmq_socket(&ctx, SocketType::Rep);
    worker.connect(&back).unwrap();
    let mut client = ringmq_socket(&ctx, SocketType::Req);
    client.connect(&front).unwrap();
    for i in 0..50 {
        client.send(format!("q{i}"), Flags::NONE).unwrap();
        let q = worker.recv(Flags::NONE).unwrap();
        worker.send(q, Flags::NONE).unwrap();
        assert_eq!(client.recv(Flags::NONE).unwrap(), format!("q{i}").as_str());
    }
    drop((worker, client));
    term_within(ctx, Duration::from_secs(5));
    assert!(broker.join().unwrap().is_err());
}
