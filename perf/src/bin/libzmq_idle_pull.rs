//! libzmq's twin of `idle_pull <bind-to>` over the `zmq` crate, for `rss-bench`.

fn main() {
    let address = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: libzmq_idle_pull <bind-to>");
        std::process::exit(1);
    });
    ringmq_perf::libzmq::idle_pull(&address);
}
