//! A ZMTP connection fed arbitrary bytes (after an optional valid greeting and READY, so the
//! fuzzer reaches traffic): it must never panic, and timers must never panic either.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ringmq_transports::SocketType;
use ringmq_transports::zmtp::{Connection, WriteBatch, ZmtpConfig, encode_command, our_greeting};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let now = Instant::now();
    let mut config = ZmtpConfig::new(SocketType::Pull);
    config.max_msg_size = Some(4096);
    config.heartbeat_interval = Some(Duration::from_millis(10));
    let mut c = Connection::new(Arc::new(config), now);
    let mut stream = Vec::new();
    if mode & 1 == 1 {
        stream.extend_from_slice(&our_greeting("NULL", false));
        let mut ready = vec![11u8];
        ready.extend_from_slice(b"Socket-Type");
        ready.extend_from_slice(&4u32.to_be_bytes());
        ready.extend_from_slice(b"PUSH");
        encode_command("READY", &ready, &mut stream);
    }
    stream.extend_from_slice(input);
    let cut = usize::from(mode >> 1).max(1);
    let mut t = now;
    'outer: for piece in stream.chunks(cut) {
        let mut rest = piece;
        while !rest.is_empty() {
            match c.decode(rest, t) {
                Ok((used, event)) => {
                    assert!(used <= rest.len());
                    assert!(used > 0 || event.is_some(), "no progress");
                    rest = &rest[used..];
                }
                Err(_) => break 'outer,
            }
        }
        let mut out = WriteBatch::new();
        c.take_control(&mut out);
        t += Duration::from_millis(3);
        if c.on_timeout(t).is_err() {
            break;
        }
    }
});
