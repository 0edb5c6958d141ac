//! `inproc_lat <message-size> <roundtrip-count>`: runs REQ/REP round trips over inproc:// and prints the latency (like libzmq's `inproc_lat`).

fn main() {
    let args = ringmq_perf::InprocArgs::from_env("inproc_lat", "roundtrip-count");
    ringmq_perf::ringmq_tools::inproc_lat(&args);
}
