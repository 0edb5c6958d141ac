//! Attached mode starts no thread: a REQ/REP round trip over tcp with a context of zero
//! shards runs entirely on the test's thread. (Alone in its test binary, so that no other
//! test's threads come and go while the threads are counted.)

use ringmq::{Context, Flags, SocketType};

fn threads_of_this_process() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn a_round_trip_in_attached_mode_uses_no_other_thread() {
    let before = threads_of_this_process();
    let ctx = Context::builder().shards(0).build().unwrap();
    assert_eq!(ctx.shard_count(), 0);
    let counts = ctx
        .run_attached(|shard| {
            let mut rep = shard.socket(SocketType::Rep).unwrap();
            rep.bind("tcp://127.0.0.1:*").unwrap();
            let mut req = shard.socket(SocketType::Req).unwrap();
            req.connect(&rep.last_endpoint()).unwrap();
            let mut counts = Vec::new();
            for i in 0..50 {
                req.send(format!("{i}"), Flags::NONE).unwrap();
                let q = rep.recv(Flags::NONE).unwrap();
                rep.send(q, Flags::NONE).unwrap();
                assert_eq!(req.recv(Flags::NONE).unwrap(), format!("{i}").as_str());
                counts.push(threads_of_this_process());
            }
            counts
        })
        .unwrap();
    assert!(
        counts.iter().all(|&n| n == before),
        "threads: {before} before, {counts:?} during"
    );
    drop(ctx);
    assert_eq!(threads_of_this_process(), before);
}
