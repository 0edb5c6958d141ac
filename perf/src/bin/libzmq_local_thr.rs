//! libzmq's `local_thr <bind-to> <message-size> <message-count>` over the `zmq` crate (libzmq 4.3.4), for
//! side-by-side runs with ringmq's `local_thr`.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("libzmq_local_thr", "bind-to", "message-count");
    ringmq_perf::libzmq::local_thr(&args);
}
