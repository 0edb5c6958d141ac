//! The draft socket types between ringmq sockets and against the hand-written ZMTP peer in
//! `common/raw.rs` (byte-level checks): CLIENT/SERVER (RFC 41), SCATTER/GATHER (RFC 49),
//! CHANNEL (RFC 52), PEER (RFC 51), RADIO/DISH (RFC 48) over tcp and udp, and the
//! thread-safe `SharedSocket`. Interop with libzmq built with its draft API is in
//! `tests/draft-interop/` (its own crate: that libzmq must not meet the `zmq` crate's).

mod common;

use std::time::Duration;

use common::raw::{RawPeer, frame};
use common::*;
use ringmq::{Flags, Msg, SocketType};

#[test]
fn server_routes_replies_by_the_routing_id_of_each_client() {
    let ctx = context();
    let mut server = ringmq_socket(&ctx, SocketType::Server);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let mut clients: Vec<_> = (0..3)
        .map(|_| {
            let mut c = ringmq_socket(&ctx, SocketType::Client);
            c.connect(&server.last_endpoint()).unwrap();
            c
        })
        .collect();
    for (k, c) in clients.iter_mut().enumerate() {
        c.send(format!("hello from {k}"), Flags::NONE).unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        let request = server.recv(Flags::NONE).unwrap();
        assert_ne!(request.routing_id(), 0, "every message names its client");
        assert!(!seen.contains(&request.routing_id()), "one id per client");
        seen.push(request.routing_id());
        let reply = Msg::from(format!("re: {}", String::from_utf8_lossy(&request)))
            .with_routing_id(request.routing_id());
        server.send(reply, Flags::NONE).unwrap();
    }
    for (k, c) in clients.iter_mut().enumerate() {
        assert_eq!(
            c.recv(Flags::NONE).unwrap(),
            format!("re: hello from {k}").as_str()
        );
    }
    // Unknown peers and multipart messages are refused.
    let err = server
        .send(
            Msg::from("x").with_routing_id(seen.iter().max().unwrap().wrapping_add(1000)),
            Flags::NONE,
        )
        .unwrap_err();
    assert_eq!(err.errno(), libc::EHOSTUNREACH);
    assert_eq!(
        clients[0].send("a", Flags::SNDMORE).unwrap_err().errno(),
        libc::EINVAL
    );
    let first = Msg::from("x").with_routing_id(seen[0]);
    assert_eq!(
        server.send(first, Flags::SNDMORE).unwrap_err().errno(),
        libc::EINVAL
    );
}

#[test]
fn multipart_messages_from_a_peer_are_dropped_whole() {
    let ctx = context();
    let mut server = ringmq_socket(&ctx, SocketType::Server);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = RawPeer::connect(&server.last_endpoint());
    let ready = peer.handshake("CLIENT");
    assert!(
        ready.windows(6).any(|w| w == b"SERVER"),
        "the server announces itself as SERVER"
    );
    // A two-frame message (not allowed by RFC 41), then a single frame.
    peer.send(&frame(0x01, b"part one"));
    peer.send(&frame(0x00, b"part two"));
    peer.send(&frame(0x00, b"single"));
    assert_eq!(server.recv(Flags::NONE).unwrap(), "single");
    server.set_rcvtimeo(200).unwrap();
    assert!(server.recv(Flags::NONE).is_err());
}

#[test]
fn a_client_sends_single_frames_announced_as_client() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ctx = context();
    let mut client = ringmq_socket(&ctx, SocketType::Client);
    client.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    client.send("hi", Flags::NONE).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut peer = RawPeer::from_stream(stream);
    let ready = peer.handshake("SERVER");
    assert!(ready.windows(6).any(|w| w == b"CLIENT"), "announced as CLIENT");
    assert_eq!(peer.read_frame(), (0x00, b"hi".to_vec()), "one final frame");
    peer.send(&frame(0x00, b"back"));
    assert_eq!(client.recv(Flags::NONE).unwrap(), "back");
}

#[test]
fn scatter_round_robins_and_gather_fair_queues() {
    let ctx = context();
    let mut scatter = ringmq_socket(&ctx, SocketType::Scatter);
    scatter.bind("tcp://127.0.0.1:*").unwrap();
    let mut gathers: Vec<_> = (0..2)
        .map(|_| {
            let mut g = ringmq_socket(&ctx, SocketType::Gather);
            g.connect(&scatter.last_endpoint()).unwrap();
            g
        })
        .collect();
    // Wait until both are connected so the round-robin covers them.
    std::thread::sleep(Duration::from_millis(200));
    for i in 0..10u8 {
        scatter.send(&[i][..], Flags::NONE).unwrap();
    }
    for g in &mut gathers {
        let got: Vec<u8> = (0..5).map(|_| g.recv(Flags::NONE).unwrap()[0]).collect();
        assert!(got.windows(2).all(|w| w[1] == w[0] + 2), "{got:?}");
    }
    assert_eq!(
        scatter.send("x", Flags::SNDMORE).unwrap_err().errno(),
        libc::EINVAL
    );
    assert_eq!(
        gathers[0].send("x", Flags::NONE).unwrap_err().errno(),
        libc::ENOTSUP
    );
}

#[test]
fn channel_is_an_exclusive_single_part_pair() {
    let ctx = context();
    let mut a = ringmq_socket(&ctx, SocketType::Channel);
    a.bind("tcp://127.0.0.1:*").unwrap();
    let mut b = ringmq_socket(&ctx, SocketType::Channel);
    b.connect(&a.last_endpoint()).unwrap();
    b.send("ping", Flags::NONE).unwrap();
    assert_eq!(a.recv(Flags::NONE).unwrap(), "ping");
    a.send("pong", Flags::NONE).unwrap();
    assert_eq!(b.recv(Flags::NONE).unwrap(), "pong");
    assert_eq!(a.send("x", Flags::SNDMORE).unwrap_err().errno(), libc::EINVAL);
}

#[test]
fn a_shared_server_is_served_by_several_threads_at_once() {
    const CLIENTS: usize = 4;
    const REQUESTS: usize = 500;
    let ctx = context();
    let server = ctx.shared_socket(SocketType::Server).unwrap();
    server.with(|s| s.set_rcvtimeo(TIMEOUT_MS)).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = server.last_endpoint();
    // Four threads receive from and reply on the same SERVER.
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let server = server.clone();
            std::thread::spawn(move || {
                let mut served = 0;
                loop {
                    let request = match server.recv(Flags::NONE) {
                        Ok(m) => m,
                        Err(e) if e.errno() == ringmq::errno::ETERM => return served,
                        Err(e) => panic!("{e}"),
                    };
                    let reply = Msg::from(&request[..]).with_routing_id(request.routing_id());
                    server.send(reply, Flags::NONE).unwrap();
                    served += 1;
                }
            })
        })
        .collect();
    // One shared CLIENT used by several threads too: each gets whole replies.
    let client = ctx.shared_socket(SocketType::Client).unwrap();
    client.with(|s| s.set_rcvtimeo(TIMEOUT_MS)).unwrap();
    client.connect(&endpoint).unwrap();
    let askers: Vec<_> = (0..CLIENTS)
        .map(|k| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..REQUESTS {
                    client.send(format!("{k}:{i}"), Flags::NONE).unwrap();
                }
                let mut replies = Vec::new();
                for _ in 0..REQUESTS {
                    replies.push(String::from_utf8(client.recv(Flags::NONE).unwrap().to_vec()).unwrap());
                }
                replies
            })
        })
        .collect();
    let mut all: Vec<String> = askers.into_iter().flat_map(|a| a.join().unwrap()).collect();
    all.sort();
    let mut expected: Vec<String> = (0..CLIENTS)
        .flat_map(|k| (0..REQUESTS).map(move |i| format!("{k}:{i}")))
        .collect();
    expected.sort();
    assert_eq!(all, expected, "every reply exactly once, whole");
    assert_eq!(
        client.send("x", Flags::SNDMORE).unwrap_err().errno(),
        libc::EINVAL
    );
    assert_eq!(
        ctx.shared_socket(SocketType::Dealer).unwrap_err().errno(),
        libc::EINVAL,
        "DEALER is not thread-safe"
    );
    drop((client, server));
    // Termination wakes every thread waiting in recv with ETERM.
    term_within(ctx, Duration::from_secs(5));
    let served: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(served, CLIENTS * REQUESTS);
}

#[test]
fn peers_connect_with_a_known_routing_id_and_talk_both_ways() {
    let ctx = context();
    let mut b = ringmq_socket(&ctx, SocketType::Peer);
    b.bind("tcp://127.0.0.1:*").unwrap();
    let mut a = ringmq_socket(&ctx, SocketType::Peer);
    let b_here = a.connect_peer(&b.last_endpoint()).unwrap();
    assert_ne!(b_here, 0);
    // Addressable at once: the message waits for the connection.
    a.send(Msg::from("hi b").with_routing_id(b_here), Flags::NONE)
        .unwrap();
    let got = b.recv(Flags::NONE).unwrap();
    assert_eq!(got, "hi b");
    let a_there = got.routing_id();
    b.send(Msg::from("hi a").with_routing_id(a_there), Flags::NONE)
        .unwrap();
    let back = a.recv(Flags::NONE).unwrap();
    assert_eq!((back.routing_id(), &back[..]), (b_here, &b"hi a"[..]));
    let mut server = ringmq_socket(&ctx, SocketType::Server);
    assert_eq!(
        server.connect_peer(&b.last_endpoint()).unwrap_err().errno(),
        libc::ENOTSUP
    );
}

#[test]
fn radio_sends_each_group_only_to_the_dishes_that_joined_it() {
    let ctx = context();
    let mut radio = ringmq_socket(&ctx, SocketType::Radio);
    radio.bind("tcp://127.0.0.1:*").unwrap();
    let mut weather = ringmq_socket(&ctx, SocketType::Dish);
    weather.join("weather").unwrap();
    weather.connect(&radio.last_endpoint()).unwrap();
    let mut sports = ringmq_socket(&ctx, SocketType::Dish);
    sports.join("sports").unwrap();
    sports.connect(&radio.last_endpoint()).unwrap();
    // Joins travel asynchronously: send until each dish has had one message.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let (mut w_ok, mut s_ok) = (false, false);
    while !(w_ok && s_ok) {
        assert!(std::time::Instant::now() < deadline, "joins never arrived");
        radio.send_group("weather", "sync", Flags::NONE).unwrap();
        radio.send_group("sports", "sync", Flags::NONE).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        w_ok |= weather.recv_group(Flags::DONTWAIT).is_ok();
        s_ok |= sports.recv_group(Flags::DONTWAIT).is_ok();
    }
    for i in 0..10 {
        radio.send_group("weather", format!("w{i}"), Flags::NONE).unwrap();
        radio.send_group("sports", format!("s{i}"), Flags::NONE).unwrap();
        radio.send_group("news", "nobody listens", Flags::NONE).unwrap();
    }
    for (dish, group, prefix) in [(&mut weather, "weather", "w"), (&mut sports, "sports", "s")] {
        let mut bodies = Vec::new();
        while bodies.len() < 10 {
            let (g, body) = dish.recv_group(Flags::NONE).unwrap();
            assert_eq!(&g[..], group.as_bytes(), "only its own group");
            if body != "sync" {
                bodies.push(String::from_utf8(body.to_vec()).unwrap());
            }
        }
        let expected: Vec<String> = (0..10).map(|i| format!("{prefix}{i}")).collect();
        assert_eq!(bodies, expected);
    }
    // libzmq's rules for groups and joins.
    assert_eq!(weather.join("weather").unwrap_err().errno(), libc::EINVAL);
    assert_eq!(weather.leave("news").unwrap_err().errno(), libc::EINVAL);
    assert_eq!(weather.join("bad\0group").unwrap_err().errno(), libc::EINVAL);
    assert_eq!(weather.join(&"x".repeat(256)).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(
        radio.send("no group", Flags::NONE).unwrap_err().errno(),
        libc::EINVAL
    );
    assert_eq!(weather.send("x", Flags::NONE).unwrap_err().errno(), libc::ENOTSUP);
    weather.leave("weather").unwrap();
}

#[test]
fn radio_and_dish_speak_join_and_group_frames_on_the_wire() {
    // DISH side: it sends JOIN commands and reads [group, body] frames.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ctx = context();
    let mut dish = ringmq_socket(&ctx, SocketType::Dish);
    dish.join("g1").unwrap();
    dish.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut radio_peer = RawPeer::from_stream(stream);
    let ready = radio_peer.handshake("RADIO");
    assert!(ready.windows(4).any(|w| w == b"DISH"));
    assert_eq!(
        radio_peer.read_frame(),
        (0x04, b"\x04JOINg1".to_vec()),
        "RFC 37 JOIN"
    );
    radio_peer.send(&frame(0x01, b"g1"));
    radio_peer.send(&frame(0x00, b"payload"));
    let (group, body) = dish.recv_group(Flags::NONE).unwrap();
    assert_eq!((&group[..], &body[..]), (&b"g1"[..], &b"payload"[..]));

    // RADIO side: it applies a JOIN command and sends the group as a first frame.
    let mut radio = ringmq_socket(&ctx, SocketType::Radio);
    radio.bind("tcp://127.0.0.1:*").unwrap();
    let mut dish_peer = RawPeer::connect(&radio.last_endpoint());
    dish_peer.handshake("DISH");
    let mut join = vec![4u8];
    join.extend_from_slice(b"JOINg2");
    dish_peer.send(&frame(0x04, &join));
    dish_peer
        .stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut head = [0u8; 2];
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing for the joined group"
        );
        radio.send_group("g2", "hello", Flags::NONE).unwrap();
        use std::io::Read;
        if dish_peer.stream.read_exact(&mut head).is_ok() {
            break;
        }
    }
    dish_peer
        .stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(head, [0x01, 2], "group frame: MORE, 2 octets");
    assert_eq!(dish_peer.read_exact(2), b"g2");
    assert_eq!(dish_peer.read_frame(), (0x00, b"hello".to_vec()));
}

#[test]
fn radio_and_dish_over_udp() {
    let ctx = context();
    let mut dish = ringmq_socket(&ctx, SocketType::Dish);
    dish.join("g").unwrap();
    dish.bind("udp://127.0.0.1:*").unwrap();
    let endpoint = dish.last_endpoint();
    assert!(endpoint.starts_with("udp://127.0.0.1:"), "{endpoint}");
    let mut radio = ringmq_socket(&ctx, SocketType::Radio);
    radio.connect(&endpoint).unwrap();
    // No JOIN travels over UDP: the radio sends every group and the dish filters.
    radio.send_group("g", "a", Flags::NONE).unwrap();
    radio.send_group("other", "b", Flags::NONE).unwrap();
    radio.send_group("g", "c", Flags::NONE).unwrap();
    for expected in ["a", "c"] {
        let (group, body) = dish.recv_group(Flags::NONE).unwrap();
        assert_eq!((&group[..], &body[..]), (&b"g"[..], expected.as_bytes()));
    }

    // The datagram format is libzmq's: group length, group, body. Malformed ones are dropped.
    let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let raw = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    raw.send_to(b"\x09ab", ("127.0.0.1", port)).unwrap();
    raw.send_to(b"\x01graw", ("127.0.0.1", port)).unwrap();
    let (group, body) = dish.recv_group(Flags::NONE).unwrap();
    assert_eq!((&group[..], &body[..]), (&b"g"[..], &b"raw"[..]));

    // udp:// is for RADIO (connect) and DISH (bind) only.
    let mut publisher = ringmq_socket(&ctx, SocketType::Pub);
    assert_eq!(
        publisher.bind("udp://127.0.0.1:*").unwrap_err().errno(),
        libc::ENOTSUP
    );
    assert_eq!(
        radio.bind("udp://127.0.0.1:*").unwrap_err().errno(),
        libc::ENOTSUP
    );
    assert_eq!(
        dish.bind("udp://[ff02::1]:5555").unwrap_err().errno(),
        libc::EPROTONOSUPPORT,
        "IPv6 multicast is not built yet, and says so"
    );
}

#[test]
fn radio_multicasts_to_every_dish_in_the_group() {
    // A free UDP port and a group of our own, so concurrent runs do not hear each other.
    let port = std::net::UdpSocket::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pid = std::process::id();
    let endpoint = format!(
        "udp://127.0.0.1;239.255.{}.{}:{port}",
        (pid >> 8) & 0xff,
        pid & 0xff
    );
    let ctx = context();
    let mut dishes: Vec<_> = (0..2)
        .map(|_| {
            let mut d = ringmq_socket(&ctx, SocketType::Dish);
            d.join("tick").unwrap();
            d.bind(&endpoint).unwrap();
            d
        })
        .collect();
    let mut radio = ringmq_socket(&ctx, SocketType::Radio);
    assert_eq!((radio.multicast_hops(), radio.multicast_loop()), (1, true));
    radio.connect(&endpoint).unwrap();
    for i in 0..5 {
        radio.send_group("tick", format!("t{i}"), Flags::NONE).unwrap();
    }
    for d in &mut dishes {
        for i in 0..5 {
            let (group, body) = d.recv_group(Flags::NONE).unwrap();
            assert_eq!(
                (&group[..], &body[..]),
                (&b"tick"[..], format!("t{i}").as_bytes())
            );
        }
    }
}
