//! libzmq's `remote_lat <connect-to> <message-size> <roundtrip-count>` over the `zmq` crate (libzmq 4.3.4), for
//! side-by-side runs with ringmq's `remote_lat`.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("libzmq_remote_lat", "connect-to", "roundtrip-count");
    ringmq_perf::libzmq::remote_lat(&args);
}
