//! `local_thr <bind-to> <message-size> <message-count>`: receives messages on a PULL socket and prints the throughput, like libzmq's `local_thr`.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("local_thr", "bind-to", "message-count");
    ringmq_perf::ringmq_tools::local_thr(&args);
}
