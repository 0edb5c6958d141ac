//! The same pattern tests over every transport that carries them (a matrix, not copies):
//! tcp://, ipc:// and inproc://.

mod common;

use common::*;
use ringmq::{Flags, Socket, SocketType};

/// Where to bind, per transport (wildcards: the resolved endpoint is read back).
/// (inproc names get a unique suffix per pair, as inproc has no wildcard.)
const TRANSPORTS: [&str; 3] = ["tcp://127.0.0.1:*", "ipc://*", "inproc://matrix"];

/// A bound socket of type `a` and a connected one of type `b`, over `transport`.
fn pair(ctx: &ringmq::Context, transport: &str, a: SocketType, b: SocketType) -> (Socket, Socket) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut x = ringmq_socket(ctx, a);
    if transport.starts_with("inproc://") {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        x.bind(&format!("{transport}-{n}")).unwrap();
    } else {
        x.bind(transport).unwrap();
    }
    let mut y = ringmq_socket(ctx, b);
    y.connect(&x.last_endpoint()).unwrap();
    (x, y)
}

fn messages() -> Vec<Vec<Vec<u8>>> {
    vec![
        vec![b"single".to_vec()],
        vec![Vec::new()],
        vec![b"multi".to_vec(), Vec::new(), pattern(300, 1)],
        vec![pattern(1 << 20, 2)],
    ]
}

#[test]
fn push_pull_carries_every_message_whole() {
    for transport in TRANSPORTS {
        let ctx = context();
        let (mut pull, mut push) = pair(&ctx, transport, SocketType::Pull, SocketType::Push);
        for m in messages() {
            push.send_multipart(m.iter().map(|p| &p[..]), Flags::NONE)
                .unwrap();
            assert_eq!(recv_parts(&mut pull), m, "{transport}");
        }
    }
}

#[test]
fn req_rep_and_dealer_router_round_trips() {
    for transport in TRANSPORTS {
        let ctx = context();
        let (mut rep, mut req) = pair(&ctx, transport, SocketType::Rep, SocketType::Req);
        echo_round_trips(&mut req, &mut rep, 100, transport);
        let (mut router, mut dealer) = pair(&ctx, transport, SocketType::Router, SocketType::Dealer);
        dealer.send_multipart(["x", "y"], Flags::NONE).unwrap();
        let got = recv_parts(&mut router);
        assert_eq!(&got[1..], [&b"x"[..], b"y"], "{transport}");
        router
            .send_multipart([&got[0][..], b"back"], Flags::NONE)
            .unwrap();
        assert_eq!(dealer.recv(Flags::NONE).unwrap(), "back", "{transport}");
    }
}

#[test]
fn pub_sub_filters_and_pair_talks_both_ways() {
    for transport in TRANSPORTS {
        let ctx = context();
        let (mut xpub, mut sub) = pair(&ctx, transport, SocketType::XPub, SocketType::Sub);
        sub.set_subscribe(b"a").unwrap();
        assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01a"[..], "{transport}");
        xpub.send("b-dropped", Flags::NONE).unwrap();
        xpub.send("a-kept", Flags::NONE).unwrap();
        assert_eq!(sub.recv(Flags::NONE).unwrap(), "a-kept", "{transport}");

        let (mut a, mut b) = pair(&ctx, transport, SocketType::Pair, SocketType::Pair);
        b.send("ping", Flags::NONE).unwrap();
        assert_eq!(a.recv(Flags::NONE).unwrap(), "ping", "{transport}");
        a.send("pong", Flags::NONE).unwrap();
        assert_eq!(b.recv(Flags::NONE).unwrap(), "pong", "{transport}");
    }
}

#[test]
fn a_stream_of_ten_thousand_keeps_its_order() {
    for transport in TRANSPORTS {
        let ctx = context();
        let (mut pull, push) = pair(&ctx, transport, SocketType::Pull, SocketType::Push);
        let sender = std::thread::spawn(move || {
            let mut push = push;
            for i in 0..10_000u32 {
                push.send(&i.to_be_bytes()[..], Flags::NONE).unwrap();
            }
            push
        });
        for i in 0..10_000u32 {
            assert_eq!(
                pull.recv(Flags::NONE).unwrap(),
                &i.to_be_bytes()[..],
                "{transport}"
            );
        }
        drop(sender.join().unwrap());
    }
}
