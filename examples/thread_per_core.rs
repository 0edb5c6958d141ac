//! Thread-per-core: two threads, each running as a shard of its own (attached mode), talk
//! REQ/REP over tcp. No I/O thread exists besides them: a blocking `recv` drives the
//! thread's own io_uring ring. A third pair of sockets, on an inproc pipe, hands the
//! server's count back to the main thread.
//!
//! `cargo run --example thread_per_core`

use std::time::Instant;

use ringmq::{Context, Flags, SocketType};

const ROUND_TRIPS: u32 = 2_000;

fn main() -> ringmq::Result<()> {
    // Zero shards: the context starts no thread of its own.
    let ctx = Context::builder().shards(0).build()?;
    let (endpoint_tx, endpoint_rx) = std::sync::mpsc::channel();

    let server = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            ctx.run_attached(|shard| -> ringmq::Result<()> {
                let mut rep = shard.socket(SocketType::Rep)?;
                rep.bind("tcp://127.0.0.1:*")?;
                endpoint_tx.send(rep.last_endpoint()).expect("main thread waits");
                let mut report = shard.socket(SocketType::Push)?;
                report.connect("inproc://report")?;
                for _ in 0..ROUND_TRIPS {
                    let request = rep.recv(Flags::NONE)?;
                    rep.send(request, Flags::NONE)?;
                }
                report.send(format!("server answered {ROUND_TRIPS} requests"), Flags::NONE)
            })?
        })
    };

    let endpoint = endpoint_rx.recv().expect("the server binds");
    let elapsed = ctx.run_attached(|shard| -> ringmq::Result<_> {
        let mut req = shard.socket(SocketType::Req)?;
        req.connect(&endpoint)?;
        let mut report = shard.socket(SocketType::Pull)?;
        report.bind("inproc://report")?;
        let start = Instant::now();
        for i in 0..ROUND_TRIPS {
            req.send(i.to_le_bytes().to_vec(), Flags::NONE)?;
            let reply = req.recv(Flags::NONE)?;
            assert_eq!(&reply[..], i.to_le_bytes());
        }
        let elapsed = start.elapsed();
        println!("{}", String::from_utf8_lossy(&report.recv(Flags::NONE)?));
        Ok(elapsed)
    })??;
    server.join().expect("server thread")?;
    println!(
        "client: {ROUND_TRIPS} round trips, {:.1} us on average",
        elapsed.as_secs_f64() * 1e6 / f64::from(ROUND_TRIPS)
    );
    Ok(())
}
