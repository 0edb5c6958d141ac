//! Connection properties on received messages (`Msg::gets`, libzmq's `zmq_msg_gets`):
//! Socket-Type, Identity (and its alias Routing-Id), Peer-Address, User-Id from ZAP and the
//! peer's own properties, over tcp and ipc, with ringmq, libzmq and a hand-written peer on
//! the other side; none over inproc, as in libzmq. A reconnected peer's frames carry the new
//! connection's properties, and a peer cannot give itself a User-Id.

mod common;

use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use common::raw::{RawPeer, frame, greeting};
use common::*;
use ringmq::{Flags, Msg, SocketType};

/// A READY command with `properties` (RFC 37's layout).
fn ready_with(properties: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    for (name, value) in properties {
        body.push(name.len() as u8);
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(&(value.len() as u32).to_be_bytes());
        body.extend_from_slice(value);
    }
    frame(0x04, &body)
}

/// Accepts one connection on `listener` and completes a NULL handshake as a PUSH peer that
/// says `properties` about itself.
fn accept_raw_push(listener: &TcpListener, properties: &[(&str, &[u8])]) -> RawPeer {
    let (stream, _) = listener.accept().expect("accept");
    let mut peer = RawPeer::from_stream(stream);
    peer.send(&greeting(3, 1, b"NULL"));
    let theirs = peer.read_exact(64);
    assert_eq!(theirs[0], 0xff);
    let mut all = vec![("Socket-Type", &b"PUSH"[..])];
    all.extend_from_slice(properties);
    peer.send(&ready_with(&all));
    let (flags, body) = peer.read_frame();
    assert_eq!((flags & 0x04, &body[..6]), (0x04, &b"\x05READY"[..]));
    peer
}

fn recv_all(s: &mut ringmq::Socket) -> Vec<Msg> {
    s.recv_multipart(Flags::NONE).expect("recv_multipart")
}

#[test]
fn tcp_frames_carry_the_peers_socket_type_identity_and_address() {
    let ctx = context();
    let mut router = ringmq_socket(&ctx, SocketType::Router);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
    dealer.set_routing_id(&b"bob"[..]).unwrap();
    dealer.connect(&router.last_endpoint()).unwrap();
    dealer.send_multipart(["a", "b"], Flags::NONE).unwrap();
    let frames = recv_all(&mut router);
    assert_eq!(frames.len(), 3, "id frame and two parts");
    for f in &frames {
        assert_eq!(f.gets("Socket-Type"), Some("DEALER"), "{f:?}");
        assert_eq!(f.gets("Identity"), Some("bob"));
        assert_eq!(f.gets("routing-id"), Some("bob"), "the alias, any case");
        assert_eq!(f.gets("Peer-Address"), Some("127.0.0.1"));
        assert_eq!(f.gets("User-Id"), None, "no ZAP handler was asked");
    }
    assert!(frames[0].properties().is_some_and(|p| p.iter().count() == 3));
    // And the other way: a ROUTER without a routing id says an empty Identity, as libzmq's.
    router.send_multipart(["bob", "reply"], Flags::NONE).unwrap();
    let reply = dealer.recv(Flags::NONE).unwrap();
    assert_eq!(reply.gets("Socket-Type"), Some("ROUTER"));
    assert_eq!(reply.gets("Identity"), Some(""));
    drop((router, dealer));
    term_within(ctx, Duration::from_secs(10));
}

#[test]
fn ipc_frames_carry_the_peer_processes_credentials_and_inproc_frames_nothing() {
    let ctx = context();
    let path = std::env::temp_dir().join(format!("ringmq-metadata-{}.sock", std::process::id()));
    let endpoint = format!("ipc://{}", path.display());
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind(&endpoint).unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&endpoint).unwrap();
    push.send("over ipc", Flags::NONE).unwrap();
    let msg = pull.recv(Flags::NONE).unwrap();
    // SAFETY: getuid and getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let expected = format!("localhost:{uid}:{gid}:{}", std::process::id());
    assert_eq!(
        msg.gets("Peer-Address"),
        Some(expected.as_str()),
        "libzmq's form on Linux"
    );
    assert_eq!(msg.gets("Socket-Type"), Some("PUSH"));

    let mut inproc_pull = ringmq_socket(&ctx, SocketType::Pull);
    inproc_pull.bind("inproc://metadata").unwrap();
    let mut inproc_push = ringmq_socket(&ctx, SocketType::Push);
    inproc_push.connect("inproc://metadata").unwrap();
    inproc_push.send("over inproc", Flags::NONE).unwrap();
    let msg = inproc_pull.recv(Flags::NONE).unwrap();
    assert!(msg.properties().is_none());
    assert_eq!(msg.gets("Socket-Type"), None);
    drop((pull, push, inproc_pull, inproc_push));
    term_within(ctx, Duration::from_secs(10));
    let _ = std::fs::remove_file(path);
}

#[test]
fn properties_travel_between_ringmq_and_libzmq_both_ways() {
    let ctx = context();
    let zctx = zmq::Context::new();
    // libzmq DEALER → ringmq ROUTER.
    let mut router = ringmq_socket(&ctx, SocketType::Router);
    let dealer = zmq_socket(&zctx, zmq::DEALER);
    dealer.set_identity(b"zdealer").unwrap();
    join_libzmq(true, &mut router, &dealer);
    dealer.send("from libzmq", 0).unwrap();
    for f in recv_all(&mut router) {
        assert_eq!(f.gets("Socket-Type"), Some("DEALER"));
        assert_eq!(f.gets("Identity"), Some("zdealer"));
        assert_eq!(f.gets("Peer-Address"), Some("127.0.0.1"));
    }
    // ringmq DEALER → libzmq ROUTER: libzmq sees what ringmq's READY said.
    let zrouter = zmq_socket(&zctx, zmq::ROUTER);
    let mut ours = ringmq_socket(&ctx, SocketType::Dealer);
    ours.set_routing_id(&b"rdealer"[..]).unwrap();
    join_libzmq(false, &mut ours, &zrouter);
    ours.send("from ringmq", Flags::NONE).unwrap();
    let mut id = zrouter.recv_msg(0).unwrap();
    assert_eq!(&id[..], b"rdealer");
    assert_eq!(id.gets("Socket-Type"), Some("DEALER"));
    assert_eq!(id.gets("Identity"), Some("rdealer"));
    let mut body = zrouter.recv_msg(0).unwrap();
    assert_eq!(body.gets("Peer-Address"), Some("127.0.0.1"));
    drop((router, ours));
    term_within(ctx, Duration::from_secs(10));
}

/// The peer's own properties are shown, except the ones only ZAP and the transport may set.
#[test]
fn a_peers_own_properties_are_shown_but_not_a_user_id_it_gives_itself() {
    let ctx = context();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.connect(&format!("tcp://{}", listener.local_addr().unwrap()))
        .unwrap();
    let mut peer = accept_raw_push(
        &listener,
        &[
            ("X-Desk", b"rates"),
            ("User-Id", b"root"),
            ("Peer-Address", b"10.9.9.9"),
            ("X-Binary", &[0xff, 0x00]),
        ],
    );
    peer.send(&frame(0, b"tick"));
    let msg = pull.recv(Flags::NONE).unwrap();
    assert_eq!(&msg[..], b"tick");
    assert_eq!(msg.gets("x-desk"), Some("rates"));
    assert_eq!(msg.gets("User-Id"), None, "a peer cannot vouch for itself");
    assert_eq!(msg.gets("Peer-Address"), Some("127.0.0.1"));
    assert_eq!(msg.gets("X-Binary"), None, "not text");
    assert_eq!(msg.property("X-Binary"), Some(&[0xff, 0x00][..]));
    drop((pull, peer));
    term_within(ctx, Duration::from_secs(10));
}

/// A connecting socket keeps its pipe across reconnects: frames queued from the first
/// connection keep its properties, and frames of the next carry the next one's.
#[test]
fn frames_after_a_reconnect_carry_the_new_connections_properties() {
    for conflate in [false, true] {
        let ctx = context();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        pull.set_conflate(conflate).unwrap();
        pull.set_reconnect_ivl(20).unwrap();
        pull.connect(&format!("tcp://{}", listener.local_addr().unwrap()))
            .unwrap();
        let mut first = accept_raw_push(&listener, &[("X-Connection", b"first")]);
        first.send(&frame(0, b"one"));
        let msg = pull.recv(Flags::NONE).unwrap();
        assert_eq!((&msg[..], msg.gets("X-Connection")), (&b"one"[..], Some("first")));
        if !conflate {
            // Queued before the connection goes, read after the next one is up.
            first.send(&frame(0, b"two"));
            thread::sleep(Duration::from_millis(100));
        }
        drop(first);
        let mut second = accept_raw_push(&listener, &[("X-Connection", b"second")]);
        if !conflate {
            let msg = pull.recv(Flags::NONE).unwrap();
            assert_eq!((&msg[..], msg.gets("X-Connection")), (&b"two"[..], Some("first")));
        }
        second.send(&frame(0, b"three"));
        let msg = pull.recv(Flags::NONE).unwrap();
        assert_eq!(
            (&msg[..], msg.gets("X-Connection")),
            (&b"three"[..], Some("second")),
            "conflate {conflate}"
        );
        drop((pull, second));
        term_within(ctx, Duration::from_secs(10));
    }
}

/// A ZAP handler's User-Id and the properties of its reply are on every frame of the peers
/// it admitted.
#[test]
fn user_id_and_properties_from_zap_are_on_every_frame() {
    let ctx = context();
    let mut zap = ringmq_socket(&ctx, SocketType::Rep);
    zap.bind("inproc://zeromq.zap.01").unwrap();
    let handler = thread::spawn(move || {
        let request = recv_all(&mut zap);
        let mut zap_metadata = Vec::new();
        for (name, value) in [("X-Role", "trader"), ("X-Desk", "fx")] {
            zap_metadata.push(name.len() as u8);
            zap_metadata.extend_from_slice(name.as_bytes());
            zap_metadata.extend_from_slice(&(value.len() as u32).to_be_bytes());
            zap_metadata.extend_from_slice(value.as_bytes());
        }
        let reply: [&[u8]; 6] = [&request[0], &request[1], b"200", b"OK", b"alice", &zap_metadata];
        zap.send_multipart(reply, Flags::NONE).unwrap();
        zap
    });
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_plain_server(true).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_plain_username("alice").unwrap();
    push.set_plain_password("pw").unwrap();
    push.connect(&pull.last_endpoint()).unwrap();
    push.send_multipart(["first", "second"], Flags::NONE).unwrap();
    let frames = recv_all(&mut pull);
    assert_eq!(frames.len(), 2);
    for f in &frames {
        assert_eq!(f.gets("User-Id"), Some("alice"));
        assert_eq!(f.gets("X-Role"), Some("trader"));
        assert_eq!(f.gets("x-desk"), Some("fx"));
        assert_eq!(f.gets("Socket-Type"), Some("PUSH"));
        assert_eq!(f.gets("Peer-Address"), Some("127.0.0.1"));
    }
    let zap = handler.join().unwrap();
    drop((pull, push, zap));
    term_within(ctx, Duration::from_secs(10));
}
