//! `plain_remote_lat <address> <message-size> <roundtrip-count>`: `remote_lat` over plain blocking stream sockets (tcp:// or ipc://) (the floor a library is measured against).

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("plain_remote_lat", "address", "roundtrip-count");
    ringmq_perf::plain::remote_lat(&args);
}
