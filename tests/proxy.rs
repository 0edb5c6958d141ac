//! `proxy`: an XSUB/XPUB forwarder carries subscriptions up and messages down, copies every
//! frame to the capture socket, and ends with ETERM when the context terminates; a
//! ROUTER/DEALER proxy brokers requests to workers; a steerable proxy pauses, resumes,
//! terminates and counts what it moved as its control socket says; one socket as both
//! ends echoes back out of itself; a capture socket that cannot send ends the proxy with
//! its error, as libzmq's does.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ringmq::{Flags, SocketType, proxy, proxy_single, proxy_steerable};

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

/// The eight counters of a STATISTICS reply.
fn statistics(control: &mut ringmq::Socket) -> Vec<u64> {
    control.send("STATISTICS", Flags::NONE).unwrap();
    let frames = control.recv_multipart(Flags::NONE).unwrap();
    assert_eq!(frames.len(), 8);
    frames
        .iter()
        .map(|f| u64::from_ne_bytes(f[..].try_into().expect("8 octets")))
        .collect()
}

#[test]
fn a_steerable_proxy_pauses_resumes_counts_and_terminates() {
    let ctx = context();
    let mut frontend = ringmq_socket(&ctx, SocketType::Router);
    frontend.bind("tcp://127.0.0.1:*").unwrap();
    let mut backend = ringmq_socket(&ctx, SocketType::Dealer);
    backend.bind("tcp://127.0.0.1:*").unwrap();
    let mut control = ringmq_socket(&ctx, SocketType::Pair);
    control.bind("inproc://steer").unwrap();
    let (front_ep, back_ep) = (frontend.last_endpoint(), backend.last_endpoint());
    let device = std::thread::spawn(move || proxy_steerable(&mut frontend, &mut backend, None, &mut control));
    let mut steer = ringmq_socket(&ctx, SocketType::Pair);
    steer.connect("inproc://steer").unwrap();

    let mut client = ringmq_socket(&ctx, SocketType::Req);
    client.connect(&front_ep).unwrap();
    let mut worker = ringmq_socket(&ctx, SocketType::Rep);
    worker.connect(&back_ep).unwrap();
    // Ten round trips of a 7-octet request and a 5-octet reply.
    for _ in 0..10 {
        client.send("request", Flags::NONE).unwrap();
        assert_eq!(worker.recv(Flags::NONE).unwrap(), "request");
        worker.send("reply", Flags::NONE).unwrap();
        assert_eq!(client.recv(Flags::NONE).unwrap(), "reply");
    }
    // Through ROUTER and DEALER a request is [routing id, empty, body] and a reply
    // [empty, body] plus the id: messages count once, octets count every frame.
    let counters = statistics(&mut steer);
    let id_len = (counters[1] - 10 * 7) / 10;
    assert_eq!(
        counters,
        [
            10,
            10 * (id_len + 7),
            10,
            10 * (id_len + 5),
            10,
            10 * (id_len + 5),
            10,
            10 * (id_len + 7)
        ]
    );

    // Paused, a request waits in the proxy's queues until it resumes.
    steer.send("PAUSE", Flags::NONE).unwrap();
    assert_eq!(
        statistics(&mut steer)[0],
        10,
        "the pause is in before the request"
    );
    client.send("request", Flags::NONE).unwrap();
    worker.set_rcvtimeo(300).unwrap();
    assert_eq!(worker.recv(Flags::NONE).unwrap_err().errno(), libc::EAGAIN);
    steer.send("RESUME", Flags::NONE).unwrap();
    worker.set_rcvtimeo(TIMEOUT_MS).unwrap();
    assert_eq!(worker.recv(Flags::NONE).unwrap(), "request");
    assert_eq!(statistics(&mut steer)[0], 11);

    // An unknown command changes nothing; TERMINATE ends the proxy cleanly.
    steer.send("REBOOT", Flags::NONE).unwrap();
    steer.send("TERMINATE", Flags::NONE).unwrap();
    device.join().unwrap().unwrap();
}

#[test]
fn a_single_socket_proxy_echoes_to_each_sender_captures_and_obeys_its_control() {
    let ctx = context();
    let mut echo = ringmq_socket(&ctx, SocketType::Router);
    echo.bind("tcp://127.0.0.1:*").unwrap();
    let mut capture_sink = ringmq_socket(&ctx, SocketType::Pull);
    capture_sink.bind("inproc://single-capture").unwrap();
    let mut capture = ringmq_socket(&ctx, SocketType::Push);
    capture.connect("inproc://single-capture").unwrap();
    let mut control = ringmq_socket(&ctx, SocketType::Pair);
    control.bind("inproc://single-steer").unwrap();
    let endpoint = echo.last_endpoint();
    let device = std::thread::spawn(move || proxy_single(&mut echo, Some(&mut capture), Some(&mut control)));
    let mut steer = ringmq_socket(&ctx, SocketType::Pair);
    steer.connect("inproc://single-steer").unwrap();

    let mut clients: Vec<_> = (0..2)
        .map(|_| {
            let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
            dealer.connect(&endpoint).unwrap();
            dealer
        })
        .collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client
            .send_multipart([format!("hello {i}"), "tail".into()], Flags::NONE)
            .unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate() {
        assert_eq!(
            recv_parts(client),
            [format!("hello {i}").into_bytes(), b"tail".to_vec()]
        );
    }
    // The capture saw each message whole: [routing id, body, tail].
    for _ in 0..2 {
        let parts = recv_parts(&mut capture_sink);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], b"tail");
    }
    steer.send("TERMINATE", Flags::NONE).unwrap();
    device.join().unwrap().unwrap();
}

#[test]
fn a_capture_socket_that_cannot_send_ends_the_proxy_with_its_error() {
    let ctx = context();
    let mut frontend = ringmq_socket(&ctx, SocketType::Pull);
    frontend.bind("inproc://capture-fails-in").unwrap();
    let mut backend = ringmq_socket(&ctx, SocketType::Push);
    backend.bind("inproc://capture-fails-out").unwrap();
    // A SUB cannot send: libzmq's proxy returns that send's error instead of going on.
    let mut capture = ringmq_socket(&ctx, SocketType::Sub);
    let device = std::thread::spawn(move || proxy(&mut frontend, &mut backend, Some(&mut capture)));
    let mut producer = ringmq_socket(&ctx, SocketType::Push);
    producer.connect("inproc://capture-fails-in").unwrap();
    producer.send("copied first", Flags::NONE).unwrap();
    let ended = device.join().unwrap().unwrap_err();
    assert_eq!(ended.errno(), libc::ENOTSUP);
}
