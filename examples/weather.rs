//! zguide "Weather update": a PUB server publishes updates for random zip codes; a SUB client
//! subscribes to one zip code (a prefix filter, applied on the publisher's side) and
//! averages the temperature it receives.
//!
//! `cargo run --example weather`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use ringmq::{Context, Flags, SocketType};

/// A small deterministic generator, so the example needs no extra crate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn main() -> ringmq::Result<()> {
    let ctx = Context::new()?;
    let mut publisher = ctx.socket(SocketType::Pub)?;
    publisher.bind("tcp://127.0.0.1:*")?;
    let endpoint = publisher.last_endpoint();

    let done = Arc::new(AtomicBool::new(false));
    let server_done = done.clone();
    let server = thread::spawn(move || -> ringmq::Result<()> {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        // PUB never blocks: it publishes until the client has what it needs. (A subscriber
        // that joins late misses what was sent before: the "slow joiner".)
        while !server_done.load(Ordering::Relaxed) {
            // Mostly random zip codes, and every tenth update for the one the client watches.
            let zip = if rng.below(10) == 0 {
                10001
            } else {
                rng.below(100_000)
            };
            let temperature = rng.below(215) as i64 - 80;
            let humidity = rng.below(50) + 10;
            let update = format!("{zip:05} {temperature} {humidity}");
            publisher.send(update.as_str(), Flags::NONE)?;
        }
        Ok(())
    });

    let mut subscriber = ctx.socket(SocketType::Sub)?;
    subscriber.set_subscribe(b"10001 ")?;
    subscriber.connect(&endpoint)?;
    let mut total = 0i64;
    const UPDATES: i64 = 100;
    for _ in 0..UPDATES {
        let update = subscriber.recv(Flags::NONE)?;
        let text = String::from_utf8_lossy(&update);
        let mut fields = text.split_whitespace();
        assert_eq!(fields.next(), Some("10001"), "the filter lets only 10001 through");
        total += fields.next().and_then(|t| t.parse::<i64>().ok()).unwrap_or(0);
    }
    println!("average temperature for zip code 10001 was {}F", total / UPDATES);
    done.store(true, Ordering::Relaxed);
    server.join().expect("server thread")?;
    Ok(())
}
