//! `plain_remote_thr <address> <message-size> <message-count>`: `remote_thr` over a plain blocking stream socket (tcp:// or ipc://), one write per message.

fn main() {
    let args = ringmq_perf::PerfArgs::from_env("plain_remote_thr", "address", "message-count");
    ringmq_perf::plain::remote_thr(&args);
}
