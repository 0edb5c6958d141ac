//! `remote_lat <connect-to> <message-size> <roundtrip-count>`: ping-pongs on a REQ socket and prints the latency (average, then round-trip percentiles), like libzmq's `remote_lat`.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("remote_lat", "connect-to", "roundtrip-count");
    ringmq_perf::ringmq_tools::remote_lat(&args);
}
