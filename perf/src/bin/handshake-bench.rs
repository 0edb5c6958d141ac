//! `handshake-bench [count]`: connections per second (connect, one round trip, close), with
//! NULL and CURVE, ringmq beside libzmq (the system's libzmq5; `apt-get install libzmq5`).
//! Prints a markdown table.

use ringmq_perf::handshakes::ringmq_round_trips;
use ringmq_perf::libzmq_system::handshake_round_trips;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .map(|c| {
            c.parse()
                .unwrap_or_else(|_| ringmq_perf::die("count", "not a number"))
        })
        .unwrap_or(2000);
    println!("| mechanism | implementation | connections/s | vs libzmq |");
    println!("|---|---|---:|---:|");
    for curve in [false, true] {
        let name = if curve { "CURVE" } else { "NULL" };
        // Alternate, three rounds, and keep each one's best: a shared machine's noise only
        // ever slows a round down.
        let (mut ours, mut theirs) = (f64::MAX, f64::MAX);
        for _ in 0..3 {
            ours = ours.min(ringmq_round_trips(count, curve).as_secs_f64());
            theirs = theirs.min(handshake_round_trips(count, curve).as_secs_f64());
        }
        let (ours, theirs) = (count as f64 / ours, count as f64 / theirs);
        println!("| {name} | ringmq | {ours:.0} | {:.2}× |", ours / theirs);
        println!("| {name} | libzmq | {theirs:.0} | |");
    }
}
