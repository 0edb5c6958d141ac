//! PLAIN and CURVE handshakes under attack. Two modes, chosen by the first octet:
//!
//! - a server (PLAIN or CURVE) fed a valid greeting and then arbitrary bytes: junk HELLOs,
//!   INITIATEs, boxes and metadata;
//! - a real client and server run against each other, every piece of their traffic in
//!   either direction delivered whole, cut short, with an octet flipped, or replaced by a
//!   copy of an earlier piece (a replay), and every ZAP request answered with a verdict of
//!   the fuzzer's choosing; once both are ready, boxed traffic suffers the same.
//!
//! Neither side may panic, make no progress, or hold more than its stated bound; a side
//! that fails stops, as its connection would close.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ringmq_transports::security::{CurveKeyPair, Secret};
use ringmq_transports::zmtp::limits::MAX_COMMAND_SIZE;
use ringmq_transports::zmtp::{
    Connection, Event, MAX_OWED_OCTETS, Metadata, Security, Verdict, WriteBatch, ZmtpConfig, our_greeting,
};
use ringmq_transports::{Msg, SocketType};

/// The fuzzer's bytes, read one decision at a time (zero once used up).
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn next(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
}

fn verdict(choice: u8) -> Verdict {
    let status = match choice % 6 {
        0 | 1 => 200,
        2 => 300,
        3 => 400,
        4 => 500,
        _ => return Verdict::NoHandler,
    };
    Verdict::Reply {
        status,
        user_id: bytes::Bytes::from_static(b"user"),
        metadata: Metadata::new(),
    }
}

/// Feeds `input` to `c`, answering ZAP with the fuzzer's verdicts; `false` once `c` failed.
fn feed(c: &mut Connection, input: &[u8], now: Instant, choices: &mut Choices<'_>) -> bool {
    let mut rest = input;
    while !rest.is_empty() {
        match c.decode(rest, now) {
            Ok((used, event)) => {
                assert!(used <= rest.len());
                assert!(used > 0 || event.is_some(), "no progress");
                rest = &rest[used..];
                if let Some(Event::Authenticate(_)) = event {
                    if c.authenticated(verdict(choices.next()), now).is_err() {
                        return false;
                    }
                }
            }
            Err(_) => return false,
        }
        assert!(c.buffered_octets() <= MAX_OWED_OCTETS + MAX_COMMAND_SIZE as usize, "{} buffered, ready {}", c.buffered_octets(), c.is_ready());
    }
    true
}

fn take(c: &mut Connection) -> Vec<u8> {
    let mut out = WriteBatch::new();
    c.take_control(&mut out);
    out.to_vec()
}

fn configs(curve: bool) -> (ZmtpConfig, ZmtpConfig) {
    let mut client = ZmtpConfig::new(SocketType::Dealer);
    let mut server = ZmtpConfig::new(SocketType::Router);
    client.heartbeat_interval = Some(Duration::from_millis(5));
    // MAXMSGSIZE as large as the command cap, so one bound holds for both frames.
    client.max_msg_size = Some(MAX_COMMAND_SIZE);
    server.max_msg_size = Some(MAX_COMMAND_SIZE);
    if curve {
        let server_keys = CurveKeyPair::generate();
        client.security = Security::CurveClient {
            server_key: server_keys.public,
            keys: CurveKeyPair::generate(),
        };
        server.security = Security::CurveServer { keys: server_keys };
    } else {
        client.security = Security::PlainClient {
            username: bytes::Bytes::from_static(b"user"),
            password: Secret::new(b"password"),
        };
        server.security = Security::PlainServer;
    }
    (client, server)
}

/// `piece` as the attacker delivers it.
fn tamper(piece: Vec<u8>, seen: &[Vec<u8>], choices: &mut Choices<'_>) -> Vec<u8> {
    match choices.next() % 8 {
        0 if !piece.is_empty() => {
            let keep = usize::from(choices.next()) % piece.len();
            piece[..keep].to_vec()
        }
        1 if !piece.is_empty() => {
            let mut p = piece;
            let at = (usize::from(choices.next()) * 7 + usize::from(choices.next())) % p.len();
            p[at] ^= choices.next() | 1;
            p
        }
        2 if !seen.is_empty() => seen[usize::from(choices.next()) % seen.len()].clone(),
        _ => piece,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut choices = Choices(data);
    let mode = choices.next();
    let curve = mode & 1 == 1;
    let now = Instant::now();
    let (client_config, server_config) = configs(curve);
    let mut server = Connection::new(Arc::new(server_config), now);
    if mode & 2 == 0 {
        // A server fed a greeting, then whatever the fuzzer sends.
        let mut input = our_greeting(if curve { "CURVE" } else { "PLAIN" }, false).to_vec();
        input.extend_from_slice(choices.0);
        let mut choices = Choices(&[]);
        for piece in input.chunks(usize::from(mode >> 2).max(1) * 8) {
            if !feed(&mut server, piece, now, &mut choices) {
                return;
            }
            take(&mut server);
        }
        return;
    }
    let mut client = Connection::new(Arc::new(client_config), now);
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut alive = [true, true];
    let mut t = now;
    for round in 0..12 {
        // After the handshake, both sides send messages too.
        for (side, conn) in [(0, &mut client), (1, &mut server)] {
            if alive[side] && conn.is_ready() && round % 2 == 0 {
                let mut out = WriteBatch::new();
                conn.encode_message(&Msg::from(vec![round as u8; usize::from(choices.next())]), &mut out);
                conn.take_control(&mut out);
                seen.push(out.to_vec());
            }
        }
        let to_server = tamper(take(&mut client), &seen, &mut choices);
        let to_client = tamper(take(&mut server), &seen, &mut choices);
        seen.push(to_server.clone());
        seen.push(to_client.clone());
        if alive[1] {
            alive[1] = feed(&mut server, &to_server, t, &mut choices);
        }
        if alive[0] {
            alive[0] = feed(&mut client, &to_client, t, &mut choices);
        }
        t += Duration::from_millis(5);
        for (side, conn) in [(0, &mut client), (1, &mut server)] {
            if alive[side] && conn.on_timeout(t).is_err() {
                alive[side] = false;
            }
        }
        if alive == [false, false] {
            return;
        }
        // What was seen is bounded: old pieces are enough to replay.
        if seen.len() > 32 {
            seen.drain(..16);
        }
    }
});
