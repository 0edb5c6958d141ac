//! `libzmq_inproc_thr <message-size> <message-count>`: sends messages from a PUSH thread to a PULL over inproc:// and prints the throughput (libzmq's own, through the zmq crate, for comparison: `inproc_thr`).

fn main() {
    let args = ringmq_perf::InprocArgs::from_env("libzmq_inproc_thr", "message-count");
    ringmq_perf::libzmq::inproc_thr(&args);
}
