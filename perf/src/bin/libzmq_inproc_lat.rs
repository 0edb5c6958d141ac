//! `libzmq_inproc_lat <message-size> <roundtrip-count>`: runs REQ/REP round trips over inproc:// and prints the latency (libzmq's own, through the zmq crate, for comparison: `inproc_lat`).

fn main() {
    let args = ringmq_perf::InprocArgs::from_env("libzmq_inproc_lat", "roundtrip-count");
    ringmq_perf::libzmq::inproc_lat(&args);
}
