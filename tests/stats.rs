//! `Socket::stats`: traffic, HWM drops and connection counters against what the test did.

mod common;

use std::time::{Duration, Instant};

use common::{TIMEOUT_MS, ringmq_socket};
use ringmq::{Context, Flags, Socket, SocketType, StatsSnapshot};

/// Polls `stats` of `socket` until `done` holds (bounded by the test timeout).
fn stats_until(socket: &Socket, done: impl Fn(&StatsSnapshot) -> bool) -> StatsSnapshot {
    let give_up = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    loop {
        let stats = socket.stats();
        if done(&stats) || Instant::now() > give_up {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn hwm_drops_of_a_pub_equal_what_its_stalled_subscriber_missed() {
    let ctx = Context::new().unwrap();
    let mut publisher = ringmq_socket(&ctx, SocketType::Pub);
    publisher.set_sndhwm(10).unwrap();
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let mut subscriber = ringmq_socket(&ctx, SocketType::Sub);
    subscriber.set_rcvhwm(10).unwrap();
    subscriber.set_subscribe(b"").unwrap();
    subscriber.connect(&publisher.last_endpoint()).unwrap();

    // Until the subscription is in, the publisher filters messages out (not an HWM drop).
    let give_up = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    let mut probes = 0u64;
    loop {
        publisher.send("probe", Flags::NONE).unwrap();
        probes += 1;
        std::thread::sleep(Duration::from_millis(2));
        if subscriber.recv(Flags::DONTWAIT).is_ok() {
            break;
        }
        assert!(Instant::now() < give_up, "the subscription never arrived");
    }
    subscriber.set_rcvtimeo(200).unwrap();
    while subscriber.recv(Flags::NONE).is_ok() {}
    let before = publisher.stats();

    // The subscriber stalls while the publisher sends far more than the pipes hold.
    let sent = 20_000u64;
    for i in 0..sent {
        publisher.send(format!("m{i}"), Flags::NONE).unwrap();
    }
    subscriber.set_rcvtimeo(1_000).unwrap();
    let mut received = 0u64;
    while subscriber.recv(Flags::NONE).is_ok() {
        received += 1;
    }

    let after = publisher.stats();
    let dropped = after.dropped_at_hwm - before.dropped_at_hwm;
    assert!(
        received > 0 && dropped > 0,
        "received {received}, dropped {dropped}"
    );
    assert_eq!(dropped, sent - received);
    assert_eq!(after.messages_sent, probes + sent);
}

#[test]
fn traffic_counts_messages_and_octets_on_both_sides() {
    let ctx = Context::new().unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&pull.last_endpoint()).unwrap();
    for _ in 0..10 {
        push.send_multipart(["header", "a body of 17 octs"], Flags::NONE)
            .unwrap();
    }
    for _ in 0..10 {
        assert_eq!(pull.recv_multipart(Flags::NONE).unwrap().len(), 2);
    }
    let (sent, received) = (push.stats(), pull.stats());
    assert_eq!((sent.messages_sent, sent.bytes_sent), (10, 230));
    assert_eq!((sent.messages_received, sent.bytes_received), (0, 0));
    assert_eq!((received.messages_received, received.bytes_received), (10, 230));
    assert_eq!(sent.dropped_at_hwm, 0);
}

#[test]
fn connection_counters_follow_connects_losses_and_failed_handshakes() {
    let ctx = Context::new().unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_reconnect_ivl(20).unwrap();
    push.connect(&ep).unwrap();
    push.send("hello", Flags::NONE).unwrap();
    pull.recv(Flags::NONE).unwrap();
    assert_eq!(
        stats_until(&pull, |s| s.connections_accepted == 1).connections_accepted,
        1
    );
    assert_eq!(push.stats().connections_made, 1);

    drop(pull);
    let lost = stats_until(&push, |s| s.reconnects >= 2);
    assert_eq!(lost.disconnects, 1);
    assert!(lost.reconnects >= 2, "{lost:?}");
    assert_eq!(lost.connections_made, 1);

    // A PLAIN client to a NULL server: both handshakes fail on the protocol.
    let mut server = ringmq_socket(&ctx, SocketType::Pull);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = ringmq_socket(&ctx, SocketType::Push);
    client.set_plain_username("u").unwrap();
    client.set_plain_password("p").unwrap();
    client.connect(&server.last_endpoint()).unwrap();
    let refused = stats_until(&client, |s| s.handshake_failures_protocol == 1);
    assert_eq!(refused.handshake_failures_protocol, 1);
    assert_eq!(
        stats_until(&server, |s| s.handshake_failures_protocol == 1).handshake_failures_protocol,
        1
    );
    assert_eq!(
        (
            refused.handshake_failures_auth,
            refused.handshake_failures_no_detail
        ),
        (0, 0)
    );
}
