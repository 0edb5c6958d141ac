//! `inproc_thr <message-size> <message-count>`: sends messages from a PUSH thread to a PULL over inproc:// and prints the throughput (like libzmq's `inproc_thr`).

fn main() {
    let args = ringmq_perf::InprocArgs::from_env("inproc_thr", "message-count");
    ringmq_perf::ringmq_tools::inproc_thr(&args);
}
