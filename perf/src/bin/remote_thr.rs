//! `remote_thr <connect-to> <message-size> <message-count>`: sends messages on a PUSH socket, like libzmq's `remote_thr`.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("remote_thr", "connect-to", "message-count");
    ringmq_perf::ringmq_tools::remote_thr(&args);
}
