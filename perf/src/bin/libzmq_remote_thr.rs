//! libzmq's `remote_thr <connect-to> <message-size> <message-count>` over the `zmq` crate (libzmq 4.3.4), for
//! side-by-side runs with ringmq's `remote_thr`.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("libzmq_remote_thr", "connect-to", "message-count");
    ringmq_perf::libzmq::remote_thr(&args);
}
