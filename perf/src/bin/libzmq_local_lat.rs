//! libzmq's `local_lat <bind-to> <message-size> <roundtrip-count>` over the `zmq` crate (libzmq 4.3.4), for
//! side-by-side runs with ringmq's `local_lat`.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("libzmq_local_lat", "bind-to", "roundtrip-count");
    ringmq_perf::libzmq::local_lat(&args);
}
