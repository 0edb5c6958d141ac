//! `local_lat <bind-to> <message-size> <roundtrip-count>`: echoes messages on a REP socket, like libzmq's `local_lat`.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("local_lat", "bind-to", "roundtrip-count");
    ringmq_perf::ringmq_tools::local_lat(&args);
}
