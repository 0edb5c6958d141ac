//! Interoperability with pyzmq (its wheel bundles libzmq 4.3.5): PUSH/PULL, REQ/REP,
//! ROUTER/DEALER and PUB/SUB/XPUB in both directions, with the peer in its own process. The test command installs pyzmq when
//! it is missing; if it still cannot be imported these tests fail, never skip.

mod common;

use std::process::Command;

use common::*;
use ringmq::{Flags, SocketType};

const COUNT: usize = 2_000;

/// What peer.py's message `i` is.
fn message(i: usize) -> Vec<Vec<u8>> {
    vec![
        i.to_string().into_bytes(),
        Vec::new(),
        (0..i % 300).map(|k| ((i * 7 + k) % 256) as u8).collect(),
    ]
}

#[test]
fn pyzmq_is_importable() {
    let out = Command::new("python3")
        .args(["-c", "import zmq; print(zmq.zmq_version())"])
        .output()
        .expect("python3 must be installed");
    assert!(
        out.status.success(),
        "pyzmq is missing: run the README's test command, which installs it ({})",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn join(role: &str, peer_binds: bool, ours: &mut ringmq::Socket) -> common::pyzmq::Peer {
    common::pyzmq::join(role, peer_binds, ours, COUNT, &[])
}

#[test]
fn pyzmq_push_to_ringmq_pull_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        let peer = join("push", peer_binds, &mut pull);
        for i in 0..COUNT {
            assert_eq!(recv_parts(&mut pull), message(i), "peer binds: {peer_binds}");
        }
        peer.finish();
    }
}

#[test]
fn ringmq_push_to_pyzmq_pull_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut push = ringmq_socket(&ctx, SocketType::Push);
        let peer = join("pull", peer_binds, &mut push);
        for i in 0..COUNT {
            push.send_multipart(message(i), Flags::NONE).unwrap();
        }
        peer.finish();
    }
}

#[test]
fn pyzmq_req_to_ringmq_rep_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut rep = ringmq_socket(&ctx, SocketType::Rep);
        let peer = join("req", peer_binds, &mut rep);
        for i in 0..COUNT {
            let request = recv_parts(&mut rep);
            assert_eq!(request, message(i), "peer binds: {peer_binds}");
            rep.send_multipart(request.into_iter().rev(), Flags::NONE)
                .unwrap();
        }
        peer.finish();
    }
}

#[test]
fn ringmq_req_to_pyzmq_rep_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut req = ringmq_socket(&ctx, SocketType::Req);
        let peer = join("rep", peer_binds, &mut req);
        for i in 0..COUNT {
            req.send_multipart(message(i), Flags::NONE).unwrap();
            let mut expected = message(i);
            expected.reverse();
            match req.recv_multipart(Flags::NONE) {
                Ok(got) => {
                    let got: Vec<Vec<u8>> = got.iter().map(|m| m.to_vec()).collect();
                    assert_eq!(got, expected, "peer binds: {peer_binds}");
                }
                // Say where, should this ever fail (it did once under heavy artificial load).
                Err(e) => panic!("reply {i} (peer binds: {peer_binds}): {e}; {req:?}"),
            }
        }
        peer.finish();
    }
}

#[test]
fn pyzmq_dealer_to_ringmq_router_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut router = ringmq_socket(&ctx, SocketType::Router);
        let peer = join("dealer", peer_binds, &mut router);
        for i in 0..COUNT {
            let mut request = recv_parts(&mut router);
            assert_eq!(request[0], b"py-dealer", "routing id");
            assert_eq!(request[1..], message(i), "peer binds: {peer_binds}");
            let mut reply = vec![request.remove(0)];
            reply.extend(request.into_iter().rev());
            router.send_multipart(reply, Flags::NONE).unwrap();
        }
        peer.finish();
    }
}

#[test]
fn ringmq_dealer_to_pyzmq_router_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
        let peer = join("router", peer_binds, &mut dealer);
        for i in 0..COUNT {
            dealer.send_multipart(message(i), Flags::NONE).unwrap();
            let mut expected = message(i);
            expected.reverse();
            assert_eq!(recv_parts(&mut dealer), expected, "peer binds: {peer_binds}");
        }
        peer.finish();
    }
}

#[test]
fn ringmq_xpub_filters_for_a_pyzmq_sub_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut xpub = ringmq_socket(&ctx, SocketType::XPub);
        // A publisher drops at the high-water mark; this test counts every message.
        xpub.set_sndhwm(0).unwrap();
        let peer = join("sub", peer_binds, &mut xpub);
        // The XPUB sees the subscription; from then on it is in effect.
        assert_eq!(xpub.recv(Flags::NONE).unwrap(), &b"\x01keep"[..]);
        for i in 0..COUNT {
            let seq = i.to_string();
            xpub.send_multipart(["drop", &seq], Flags::NONE).unwrap();
            xpub.send_multipart(["keep", &seq], Flags::NONE).unwrap();
        }
        peer.finish();
    }
}

#[test]
fn pyzmq_xpub_to_ringmq_sub_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut sub = ringmq_socket(&ctx, SocketType::Sub);
        sub.set_rcvhwm(0).unwrap();
        sub.set_subscribe(b"keep").unwrap();
        let peer = join("xpub", peer_binds, &mut sub);
        for i in 0..COUNT {
            assert_eq!(
                recv_parts(&mut sub),
                [b"keep".to_vec(), i.to_string().into_bytes()],
                "peer binds: {peer_binds}"
            );
        }
        peer.finish();
    }
}

#[test]
fn z85_agrees_with_pyzmq_both_ways() {
    // Data of every length pyzmq accepts up to 64 octets, from a fixed pattern.
    let samples: Vec<Vec<u8>> = (0..=16).map(|n| pattern(n * 4, n as u64 + 7)).collect();
    let hex: Vec<String> = samples
        .iter()
        .map(|s| s.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let script =
        "import sys, zmq.utils.z85 as z\nfor h in sys.argv[1:]: print(z.encode(bytes.fromhex(h)).decode())";
    let mut args = vec!["-c", script];
    args.extend(hex.iter().filter(|h| !h.is_empty()).map(String::as_str));
    let out = Command::new("python3").args(&args).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let ours: Vec<&Vec<u8>> = samples.iter().filter(|s| !s.is_empty()).collect();
    assert_eq!(theirs.len(), ours.len());
    for (data, text) in ours.into_iter().zip(&theirs) {
        assert_eq!(&ringmq::z85_encode(data).unwrap(), text);
        assert_eq!(&ringmq::z85_decode(text).unwrap(), data);
    }
}
