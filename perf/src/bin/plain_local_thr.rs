//! `plain_local_thr <address> <message-size> <message-count>`: `local_thr` over a plain blocking stream socket (tcp:// or ipc://), one read per message: the stream a library is measured against.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("plain_local_thr", "address", "message-count");
    ringmq_perf::plain::local_thr(&args);
}
