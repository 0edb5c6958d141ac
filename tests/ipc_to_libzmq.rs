//! Issue 14, finding 11: a ringmq sender over ipc:// must not make a libzmq receiver lose
//! the end of a stream. libzmq's engine, when RCVHWM holds its input back, stops reading for
//! good on a hang-up (EPOLLHUP, which a Unix socket closed outright is to its peer) and
//! drops what is still in its socket buffer. ringmq half-closes a delivered ipc connection
//! and keeps it until the peer closes its end, so the peer reads to the end of its input.
//!
//! Numbered 64-octet messages to a pyzmq PULL (libzmq 4.3.5), 200 000 per run, five runs,
//! the sender closing its socket as soon as the last message is queued: none may be missing.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use ringmq::{Flags, SocketType};

const MESSAGES: u32 = 200_000;

fn run(round: u32, hold: bool) {
    let dir = std::env::temp_dir().join(format!("ringmq-ipc-libzmq-{}-{round}-{hold}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let endpoint = format!("ipc://{}/pull", dir.display());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyzmq/ipc_count.py");
    let mut child = Command::new("python3")
        .args([script, &endpoint, &MESSAGES.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 with pyzmq (the README's test command installs it)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready", "pyzmq did not bind");
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(-1).unwrap();
    push.connect(&endpoint).unwrap();
    for i in 0..MESSAGES {
        let mut body = [0u8; 64];
        body[..4].copy_from_slice(&i.to_be_bytes());
        push.send(&body[..], Flags::NONE).unwrap();
    }
    let report = if hold {
        // The connection stays while the receiver counts.
        let report = lines.next().unwrap().unwrap();
        drop(push);
        report
    } else {
        // Closed at once: LINGER delivers the rest, then the half-close waits for the peer.
        drop(push);
        lines.next().unwrap().unwrap()
    };
    assert!(child.wait().unwrap().success());
    let numbers: Vec<i64> = report.split(' ').map(|n| n.parse().unwrap()).collect();
    assert_eq!(
        numbers,
        [i64::from(MESSAGES), 0, -1],
        "round {round} (hold {hold}): received, missing, first missing"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_libzmq_pull_over_ipc_gets_every_message_when_the_sender_closes_at_once() {
    for round in 0..5 {
        run(round, false);
    }
}

#[test]
fn a_libzmq_pull_over_ipc_gets_every_message_while_the_sender_holds_its_connection() {
    run(0, true);
}
