//! Hostile CURVE handshakes against a real ringmq server, over tcp: junk HELLOs, commands out
//! of order, a size that lies, and a recorded session replayed byte for byte. Each closes
//! that connection only: a good client keeps being served throughout, and a replay delivers
//! nothing.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::raw::{RawPeer, frame, greeting};
use common::*;
use ringmq::{CurveKeyPair, Flags, Socket, SocketType};

fn curve_server(ctx: &ringmq::Context, keys: &CurveKeyPair) -> Socket {
    let mut pull = ringmq_socket(ctx, SocketType::Pull);
    pull.set_curve_server(true).unwrap();
    pull.set_curve_secretkey(keys.secret.expose()).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    pull
}

fn curve_client(ctx: &ringmq::Context, server_key: &CurveKeyPair, endpoint: &str) -> Socket {
    let mut push = ringmq_socket(ctx, SocketType::Push);
    push.set_curve_serverkey(server_key.public.as_bytes()).unwrap();
    push.connect(endpoint).unwrap();
    push
}

/// A raw peer that has sent the CURVE client greeting and read the server's.
fn raw_curve_peer(endpoint: &str) -> RawPeer {
    let mut peer = RawPeer::connect(endpoint);
    peer.send(&greeting(3, 1, b"CURVE"));
    let theirs = peer.read_exact(64);
    assert_eq!(&theirs[12..17], b"CURVE");
    assert_eq!(theirs[32], 1, "the server's as-server bit");
    peer
}

fn command(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    frame(0x04, &body)
}

#[test]
fn junk_and_out_of_order_handshakes_close_only_their_connection() {
    let ctx = context();
    let keys = CurveKeyPair::generate();
    let mut pull = curve_server(&ctx, &keys);
    let endpoint = pull.last_endpoint();
    let mut good = curve_client(&ctx, &keys, &endpoint);
    let mut sent = 0;
    let mut check_good_client = |pull: &mut Socket, good: &mut Socket| {
        good.send(format!("good {sent}"), Flags::NONE).unwrap();
        assert_eq!(pull.recv(Flags::NONE).unwrap(), format!("good {sent}").as_bytes());
        sent += 1;
    };
    check_good_client(&mut pull, &mut good);

    let mut long_hello = vec![0x06];
    long_hello.extend_from_slice(&(100u64 << 20).to_be_bytes());
    let attacks: [(&str, Vec<u8>); 6] = [
        ("a HELLO of random octets", command("HELLO", &pattern(194, 1))),
        ("a short HELLO", command("HELLO", &[1, 0, 0, 0])),
        ("a HELLO of version 2.0", {
            let mut data = pattern(194, 2);
            data[..2].copy_from_slice(&[2, 0]);
            command("HELLO", &data)
        }),
        ("INITIATE before HELLO", command("INITIATE", &pattern(400, 3))),
        ("a message frame before the handshake", frame(0x00, b"hello")),
        ("a HELLO announcing 100 MiB", long_hello),
    ];
    for (what, bytes) in attacks {
        let mut peer = raw_curve_peer(&endpoint);
        peer.send(&bytes);
        let said = peer.expect_closed(Duration::from_secs(5));
        // No WELCOME, no ERROR: a HELLO the server cannot open is closed without a word.
        assert!(said.is_empty(), "{what}: the server answered {said:?}");
        check_good_client(&mut pull, &mut good);
    }
    drop((pull, good));
    term_within(ctx, Duration::from_secs(10));
}

/// A relay between a client and `server` that records what the client sends.
fn recording_relay(server: String) -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let record = recorded.clone();
    thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let upstream = TcpStream::connect(server.trim_start_matches("tcp://")).unwrap();
        let (mut client_in, mut upstream_out) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = client_in.read(&mut buf) {
                if n == 0 || upstream_out.write_all(&buf[..n]).is_err() {
                    break;
                }
                record.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let (mut upstream_in, mut client_out) = (upstream, client);
        let mut buf = [0u8; 4096];
        while let Ok(n) = upstream_in.read(&mut buf) {
            if n == 0 || client_out.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    (endpoint, recorded)
}

#[test]
fn a_recorded_session_replayed_delivers_nothing() {
    let ctx = context();
    let keys = CurveKeyPair::generate();
    let mut pull = curve_server(&ctx, &keys);
    let (relay, recorded) = recording_relay(pull.last_endpoint());
    let mut client = curve_client(&ctx, &keys, &relay);
    for i in 0..5 {
        client.send(format!("secret {i}"), Flags::NONE).unwrap();
        assert_eq!(pull.recv(Flags::NONE).unwrap(), format!("secret {i}").as_bytes());
    }
    let recorded = recorded.lock().unwrap().clone();
    assert!(
        !recorded.windows(6).any(|w| w == b"secret"),
        "the recorded traffic holds nothing in clear"
    );
    // The attacker replays the whole recording: greeting, HELLO, INITIATE, MESSAGEs. The
    // replayed HELLO gets a fresh cookie (its WELCOME may not even be written: the old
    // INITIATE after it, whose cookie does not open, closes the connection at once).
    let mut attacker = RawPeer::connect(&pull.last_endpoint());
    attacker.send(&recorded);
    let said = attacker.expect_closed(Duration::from_secs(5));
    assert_eq!(said[0], 0xff, "the server's greeting");
    assert!(
        said.len() == 64 || said[66..73] == *b"WELCOME",
        "nothing but a WELCOME: {said:?}"
    );
    pull.set_rcvtimeo(500).unwrap();
    assert!(
        pull.recv(Flags::NONE).is_err(),
        "a replayed message was delivered"
    );
    // The genuine client is still served.
    client.send("after", Flags::NONE).unwrap();
    pull.set_rcvtimeo(TIMEOUT_MS).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), &b"after"[..]);
    drop((pull, client));
    term_within(ctx, Duration::from_secs(10));
}
