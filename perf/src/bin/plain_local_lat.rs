//! `plain_local_lat <address> <message-size> <roundtrip-count>`: `local_lat` over plain blocking stream sockets (tcp:// or ipc://) (the floor a library is measured against).

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("plain_local_lat", "address", "roundtrip-count");
    ringmq_perf::plain::local_lat(&args);
}
