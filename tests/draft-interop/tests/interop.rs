//! ringmq's draft socket types against libzmq 4.3.4 built with its draft API, in both
//! directions: CLIENT/SERVER, SCATTER/GATHER, CHANNEL, PEER, and RADIO/DISH over tcp and udp.

use std::time::{Duration, Instant};

use ringmq::{Context, Flags, Msg, Socket, SocketType};
use ringmq_draft_interop::{self as libzmq, kind};

fn ours(ctx: &Context, t: SocketType) -> Socket {
    let mut s = ctx.socket(t).unwrap();
    s.set_rcvtimeo(10_000).unwrap();
    s.set_sndtimeo(10_000).unwrap();
    s.set_linger(0).unwrap();
    s
}

#[test]
fn libzmq_client_with_ringmq_server_and_the_reverse() {
    let ctx = Context::new().unwrap();
    let zctx = libzmq::Context::new();
    // ringmq SERVER, libzmq CLIENT.
    let mut server = ours(&ctx, SocketType::Server);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let client = zctx.socket(kind::CLIENT);
    client.connect(&server.last_endpoint());
    client.send(b"hello", 0, None);
    let request = server.recv(Flags::NONE).unwrap();
    assert_eq!(request, "hello");
    assert_ne!(request.routing_id(), 0);
    server
        .send(
            Msg::from("world").with_routing_id(request.routing_id()),
            Flags::NONE,
        )
        .unwrap();
    assert_eq!(client.recv().body, b"world");

    // libzmq SERVER, ringmq CLIENT.
    let zserver = zctx.socket(kind::SERVER);
    let endpoint = zserver.bind("tcp://127.0.0.1:*");
    let mut our_client = ours(&ctx, SocketType::Client);
    our_client.connect(&endpoint).unwrap();
    our_client.send("ping", Flags::NONE).unwrap();
    let got = zserver.recv();
    assert_eq!(got.body, b"ping");
    zserver.send(b"pong", got.routing_id, None);
    assert_eq!(our_client.recv(Flags::NONE).unwrap(), "pong");
}

#[test]
fn scatter_gather_and_channel_both_ways() {
    let ctx = Context::new().unwrap();
    let zctx = libzmq::Context::new();
    let mut gather = ours(&ctx, SocketType::Gather);
    gather.bind("tcp://127.0.0.1:*").unwrap();
    let scatter = zctx.socket(kind::SCATTER);
    scatter.connect(&gather.last_endpoint());
    scatter.send(b"from libzmq", 0, None);
    assert_eq!(gather.recv(Flags::NONE).unwrap(), "from libzmq");

    let zgather = zctx.socket(kind::GATHER);
    let endpoint = zgather.bind("tcp://127.0.0.1:*");
    let mut our_scatter = ours(&ctx, SocketType::Scatter);
    our_scatter.connect(&endpoint).unwrap();
    our_scatter.send("from ringmq", Flags::NONE).unwrap();
    assert_eq!(zgather.recv().body, b"from ringmq");

    let zchannel = zctx.socket(kind::CHANNEL);
    let endpoint = zchannel.bind("tcp://127.0.0.1:*");
    let mut channel = ours(&ctx, SocketType::Channel);
    channel.connect(&endpoint).unwrap();
    channel.send("one", Flags::NONE).unwrap();
    assert_eq!(zchannel.recv().body, b"one");
    zchannel.send(b"two", 0, None);
    assert_eq!(channel.recv(Flags::NONE).unwrap(), "two");
}

#[test]
fn peers_address_each_other_by_routing_id() {
    let ctx = Context::new().unwrap();
    let zctx = libzmq::Context::new();
    let zpeer = zctx.socket(kind::PEER);
    let endpoint = zpeer.bind("tcp://127.0.0.1:*");
    let mut peer = ours(&ctx, SocketType::Peer);
    let them = peer.connect_peer(&endpoint).unwrap();
    peer.send(Msg::from("hi").with_routing_id(them), Flags::NONE)
        .unwrap();
    let got = zpeer.recv();
    assert_eq!(got.body, b"hi");
    zpeer.send(b"hi back", got.routing_id, None);
    let back = peer.recv(Flags::NONE).unwrap();
    assert_eq!((back.routing_id(), &back[..]), (them, &b"hi back"[..]));

    // And libzmq connecting to ours.
    let mut bound = ours(&ctx, SocketType::Peer);
    bound.bind("tcp://127.0.0.1:*").unwrap();
    let zconnecting = zctx.socket(kind::PEER);
    let us = zconnecting.connect_peer(&bound.last_endpoint());
    zconnecting.send(b"knock", us, None);
    let knock = bound.recv(Flags::NONE).unwrap();
    assert_eq!(knock, "knock");
    bound
        .send(Msg::from("who").with_routing_id(knock.routing_id()), Flags::NONE)
        .unwrap();
    assert_eq!(zconnecting.recv().body, b"who");
}

/// Sends with `send` until `received` gives something (JOINs travel asynchronously).
fn until_received<T>(mut send: impl FnMut(), mut received: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "nothing arrived");
        send();
        std::thread::sleep(Duration::from_millis(5));
        if let Some(v) = received() {
            return v;
        }
    }
}

#[test]
fn radio_and_dish_over_tcp_both_ways() {
    let ctx = Context::new().unwrap();
    let zctx = libzmq::Context::new();
    // libzmq RADIO, ringmq DISH: our JOIN reaches libzmq, its group frames reach us.
    let zradio = zctx.socket(kind::RADIO);
    let endpoint = zradio.bind("tcp://127.0.0.1:*");
    let mut dish = ours(&ctx, SocketType::Dish);
    dish.join("news").unwrap();
    dish.connect(&endpoint).unwrap();
    let (group, body) = until_received(
        || {
            zradio.send(b"other group", 0, Some("sports"));
            zradio.send(b"headline", 0, Some("news"));
        },
        || dish.recv_group(Flags::DONTWAIT).ok(),
    );
    assert_eq!((&group[..], &body[..]), (&b"news"[..], &b"headline"[..]));

    // ringmq RADIO, libzmq DISH.
    let mut radio = ours(&ctx, SocketType::Radio);
    radio.bind("tcp://127.0.0.1:*").unwrap();
    let zdish = zctx.socket(kind::DISH);
    zdish.join("weather");
    zdish.connect(&radio.last_endpoint());
    let got = until_received(
        || {
            radio.send_group("sports", "score", Flags::NONE).unwrap();
            radio.send_group("weather", "rain", Flags::NONE).unwrap();
        },
        || zdish.try_recv(),
    );
    assert_eq!((got.group.as_str(), &got.body[..]), ("weather", &b"rain"[..]));
}

#[test]
fn radio_and_dish_over_udp_both_ways() {
    let ctx = Context::new().unwrap();
    let zctx = libzmq::Context::new();
    // ringmq RADIO -> libzmq DISH (libzmq's udp needs a concrete port).
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let zdish = zctx.socket(kind::DISH);
    zdish.join("g");
    zdish.bind(&format!("udp://127.0.0.1:{port}"));
    let mut radio = ours(&ctx, SocketType::Radio);
    radio.connect(&format!("udp://127.0.0.1:{port}")).unwrap();
    // libzmq opens the DISH's UDP socket in its I/O thread, after zmq_bind returns: a
    // datagram sent before that is lost, as UDP allows. Send until one arrives.
    let got = until_received(
        || {
            radio
                .send_group("x", "filtered by the dish", Flags::NONE)
                .unwrap();
            radio.send_group("g", "datagram", Flags::NONE).unwrap();
        },
        || zdish.try_recv(),
    );
    assert_eq!((got.group.as_str(), &got.body[..]), ("g", &b"datagram"[..]));

    // libzmq RADIO -> ringmq DISH.
    let mut dish = ours(&ctx, SocketType::Dish);
    dish.join("h").unwrap();
    dish.bind("udp://127.0.0.1:*").unwrap();
    let zradio = zctx.socket(kind::RADIO);
    zradio.connect(&dish.last_endpoint());
    zradio.send(b"skip", 0, Some("other"));
    zradio.send(b"keep", 0, Some("h"));
    let (group, body) = dish.recv_group(Flags::NONE).unwrap();
    assert_eq!((&group[..], &body[..]), (&b"h"[..], &b"keep"[..]));
}
