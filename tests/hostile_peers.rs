//! Peers that attack on purpose. In every case the victim's connection buffers stay under a
//! stated bound (read from the shard with `Socket::buffered_bytes`, not inferred from
//! timing) while a legitimate libzmq peer on the same socket goes on being served, with
//! nothing lost or torn.
//!
//! The bounds are named by ringmq's own limits: a connection owes its peer at most
//! `MAX_OWED_OCTETS` (greeting, READY, one PING, one PONG, one ERROR), its write batch then
//! holds at most that much control on top, and a frame being received that is not a
//! message is at most `MAX_COMMAND_SIZE`.

mod common;

use std::io::{ErrorKind, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::raw::{RawPeer, frame, greeting};
use common::victim::Victim;
use common::*;
use ringmq::{Flags, SocketType};
use ringmq_transports::zmtp::MAX_OWED_OCTETS;
use ringmq_transports::zmtp::limits::{MAX_COMMAND_SIZE, MAX_PROPERTIES};

const CLOSE_WITHIN: Duration = Duration::from_secs(5);

/// What one hostile connection may make the victim hold: what it owes the peer, the same
/// again in a write batch the peer does not read, and one command frame being received.
const PER_CONNECTION: usize = 2 * MAX_OWED_OCTETS + MAX_COMMAND_SIZE as usize;

/// A PING command with a 16-octet context (25 octets on the wire).
fn ping(i: u32) -> Vec<u8> {
    let mut body = vec![4];
    body.extend_from_slice(b"PING");
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&[0; 12]);
    body.extend_from_slice(&i.to_be_bytes());
    frame(0x04, &body)
}

/// A READY announcing PUSH with the given extra properties.
fn ready_with(properties: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    for (name, value) in [(&b"Socket-Type"[..], &b"PUSH"[..])].iter().chain(properties) {
        body.push(name.len() as u8);
        body.extend_from_slice(name);
        body.extend_from_slice(&(value.len() as u32).to_be_bytes());
        body.extend_from_slice(value);
    }
    frame(0x04, &body)
}

#[test]
fn a_ping_flood_from_a_peer_that_never_reads_is_owed_one_pong() {
    // Small kernel buffers on both sides, so the victim's sends stall soon (not so small
    // that loopback TCP, with its 64 KiB segments, stalls by itself).
    let mut victim = Victim::new(|pull| pull.set_sndbuf(16 * 1024).unwrap());
    let mut attacker = RawPeer::connect_with_rcvbuf(&victim.endpoint(), 64 * 1024);
    attacker.handshake("PUSH");
    // 100 000 PINGs (2.5 MB) would be owed 2.3 MB of PONGs; the attacker reads none.
    for burst in 0..20u32 {
        let pings: Vec<u8> = (0..5_000).flat_map(|i| ping(burst * 5_000 + i)).collect();
        attacker.send(&pings);
        victim.check_service();
        victim.assert_buffered_at_most(PER_CONNECTION, "PING flood");
    }
    victim.check_service();
    victim.assert_buffered_at_most(PER_CONNECTION, "after the PING flood");
}

#[test]
fn a_100_mib_command_is_refused_from_its_header() {
    let mut victim = Victim::new(|_| {});
    let mut attacker = RawPeer::connect(&victim.endpoint());
    attacker.handshake("PUSH");
    let mut header = vec![0x06];
    header.extend_from_slice(&(100u64 << 20).to_be_bytes());
    attacker.send(&header);
    // A first MiB of its body, in case the victim were buffering it.
    let _ = attacker.stream.write_all(&vec![0; 1 << 20]);
    attacker.expect_closed(CLOSE_WITHIN);
    victim.check_service();
    victim.assert_buffered_at_most(PER_CONNECTION, "100 MiB command");
}

#[test]
fn a_ready_with_200_000_properties_is_refused_before_any_is_read() {
    let mut victim = Victim::new(|_| {});
    let mut attacker = RawPeer::connect(&victim.endpoint());
    attacker.send(&greeting(3, 1, b"NULL"));
    let _ = attacker.read_exact(64);
    let property: (&[u8], &[u8]) = (b"a", b"");
    let many = vec![property; 200_000];
    let _ = attacker.stream.write_all(&ready_with(&many));
    attacker.expect_closed(CLOSE_WITHIN);
    victim.check_service();
    victim.assert_buffered_at_most(PER_CONNECTION, "200 000 properties");
    // Within the size cap, more properties than ringmq accepts are refused too.
    let mut attacker = RawPeer::connect(&victim.endpoint());
    attacker.send(&greeting(3, 1, b"NULL"));
    let _ = attacker.read_exact(64);
    attacker.send(&ready_with(&vec![property; MAX_PROPERTIES + 1]));
    attacker.expect_closed(CLOSE_WITHIN);
    victim.check_service();
}

#[test]
fn a_300_octet_identity_is_refused() {
    let ctx = context();
    let mut router = ringmq_socket(&ctx, SocketType::Router);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let identity = vec![b'i'; 300];
    let mut attacker = RawPeer::connect(&router.last_endpoint());
    attacker.send(&greeting(3, 1, b"NULL"));
    let _ = attacker.read_exact(64);
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    for (name, value) in [(&b"Socket-Type"[..], &b"DEALER"[..]), (b"Identity", &identity)] {
        body.push(name.len() as u8);
        body.extend_from_slice(name);
        body.extend_from_slice(&(value.len() as u32).to_be_bytes());
        body.extend_from_slice(value);
    }
    attacker.send(&frame(0x04, &body));
    attacker.expect_closed(CLOSE_WITHIN);
    // A DEALER with a 255-octet identity is fine, and the ROUTER knows it by it.
    let zctx = zmq::Context::new();
    let dealer = zmq_socket(&zctx, zmq::DEALER);
    dealer.set_identity(&[b'j'; 255]).unwrap();
    dealer.connect(&router.last_endpoint()).unwrap();
    dealer.send("hi", 0).unwrap();
    assert_eq!(recv_parts(&mut router), vec![vec![b'j'; 255], b"hi".to_vec()]);
    assert!(router.buffered_bytes().unwrap() <= PER_CONNECTION);
}

#[test]
fn a_greeting_sent_one_byte_every_100_ms_times_out() {
    let mut victim = Victim::new(|pull| pull.set_handshake_ivl(500).unwrap());
    let attacker = RawPeer::connect(&victim.endpoint());
    let mut writer = attacker.stream.try_clone().unwrap();
    let dripping = thread::spawn(move || {
        let mut sent = 0;
        for &b in &greeting(3, 1, b"NULL") {
            if writer.write_all(&[b]).is_err() {
                break;
            }
            sent += 1;
            thread::sleep(Duration::from_millis(100));
        }
        sent
    });
    let mut attacker = attacker;
    attacker.expect_closed(CLOSE_WITHIN);
    victim.check_service();
    victim.assert_buffered_at_most(PER_CONNECTION, "slow greeting");
    let sent = dripping.join().unwrap();
    assert!(
        sent < 64,
        "the handshake timeout closed the connection before the greeting was in ({sent} octets)"
    );
}

#[test]
fn frames_with_reserved_flag_bits_are_refused_and_tear_nothing() {
    let mut victim = Victim::new(|_| {});
    for reserved in [0x08u8, 0x10, 0x20, 0x40, 0x80] {
        let mut attacker = RawPeer::connect(&victim.endpoint());
        attacker.handshake("PUSH");
        attacker.send(&frame(0x01, b"first part"));
        attacker.send(&frame(reserved, b"x"));
        attacker.expect_closed(CLOSE_WITHIN);
        // The orphaned first part is never delivered: the next message is the good peer's.
        victim.check_service();
        victim.assert_buffered_at_most(PER_CONNECTION, "reserved flags");
    }
}

/// Raises the soft limit on descriptors as far as the hard limit allows, and returns it.
fn descriptor_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a live struct.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max.min(65_536);
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur as usize
}

#[test]
fn thousands_of_garbage_connections_do_not_disturb_a_million_message_stream() {
    // Each garbage connection costs two descriptors here (ours and the victim's).
    let attackers = 2_000.min(descriptor_limit().saturating_sub(512) / 2);
    assert!(
        attackers >= 500,
        "too few descriptors for the test: {attackers} connections"
    );
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    const MESSAGES: u64 = 1_000_000;
    let streamer = {
        let endpoint = endpoint.clone();
        thread::spawn(move || {
            let zctx = zmq::Context::new();
            let push = zmq_socket(&zctx, zmq::PUSH);
            push.set_sndhwm(0).unwrap();
            push.connect(&endpoint).unwrap();
            for i in 0..MESSAGES {
                push.send(&i.to_be_bytes()[..], 0).unwrap();
            }
            // Linger delivers the rest when the socket closes.
            push.set_linger(30_000).unwrap();
        })
    };
    let garbage = thread::spawn(move || {
        let mut open = Vec::new();
        for i in 0..attackers {
            let Ok(mut stream) = std::net::TcpStream::connect(address(&endpoint)) else {
                continue;
            };
            let _ = stream.write_all(&pattern(200 + i % 300, i as u64));
            open.push(stream);
        }
        open
    });
    let started = Instant::now();
    for i in 0..MESSAGES {
        let msg = pull.recv(Flags::NONE).unwrap();
        assert_eq!(&msg[..], &i.to_be_bytes()[..], "message {i} of the stream");
        if i % 250_000 == 0 {
            // Mid-attack: each connection, garbage or good, within its own bound.
            let held = pull.buffered_bytes().unwrap();
            assert!(
                held <= (attackers + 1) * PER_CONNECTION,
                "{held} octets held at message {i}"
            );
        }
    }
    streamer.join().unwrap();
    let garbage = garbage.join().unwrap();
    assert!(
        garbage.len() >= attackers / 2,
        "{} garbage connections were made",
        garbage.len()
    );
    // Every garbage connection is closed by the victim (none of them spoke ZMTP).
    let deadline = Instant::now() + Duration::from_secs(20);
    for mut stream in garbage {
        stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let mut buf = [0u8; 512];
        loop {
            match std::io::Read::read(&mut stream, &mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    assert!(Instant::now() < deadline, "a garbage connection stayed open");
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert!(pull.buffered_bytes().unwrap() <= PER_CONNECTION);
    eprintln!(
        "{attackers} garbage connections beside {MESSAGES} messages, received in {:?}",
        started.elapsed()
    );
}

/// The raw peer's address helper, for plain streams.
fn address(endpoint: &str) -> String {
    common::raw::address(endpoint)
}

#[test]
fn a_ping_before_the_handshake_completes_is_refused_not_answered() {
    let mut victim = Victim::new(|_| {});
    let mut attacker = RawPeer::connect(&victim.endpoint());
    attacker.send(&greeting(3, 1, b"NULL"));
    let _ = attacker.read_exact(64);
    let _ = attacker.stream.write_all(&ping(1));
    attacker.expect_closed(CLOSE_WITHIN);
    victim.check_service();
    victim.assert_buffered_at_most(PER_CONNECTION, "PING before READY");
}
