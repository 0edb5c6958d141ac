//! `idle_pull <bind-to>`: a ringmq PULL that binds, prints the endpoint it got, and never
//! receives until standard input ends: the victim of `rss-bench` (a peer flooding it, or a
//! sender filling it while it does not read).

fn main() {
    let address = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: idle_pull <bind-to>");
        std::process::exit(1);
    });
    ringmq_perf::ringmq_tools::idle_pull(&address);
}
