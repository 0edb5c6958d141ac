//! Model checks of the conflating slot under loom: the reader only ever sees whole messages,
//! newer than what it saw before, ends with the newest, and a sleeping reader is always woken.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test -p ringmq-engine --test loom_latest --release`
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::Notify;
use loom::thread;
use ringmq_engine::latest;
use ringmq_engine::spsc::Frame;

#[derive(Debug, PartialEq)]
struct F(u32, bool);

impl Frame for F {
    fn has_more(&self) -> bool {
        self.1
    }
}

#[test]
fn the_reader_sees_whole_messages_newest_last_and_is_never_left_asleep() {
    loom::model(|| {
        let (mut w, mut r) = latest::channel::<F>();
        let doorbell = Arc::new(Notify::new());
        let ring = doorbell.clone();
        let writer = thread::spawn(move || {
            for i in 0..3 {
                w.write(F(i * 10, true));
                w.write(F(i * 10 + 1, false));
                if w.flush() {
                    ring.notify();
                }
            }
        });
        let mut last_seen = None;
        loop {
            match r.read() {
                Some(first) => {
                    assert!(first.1, "a message starts with its first frame");
                    let second = r.read().expect("the whole message was taken");
                    assert_eq!(second.0, first.0 + 1, "frames of one message");
                    assert!(last_seen.is_none_or(|l| first.0 > l), "never older");
                    last_seen = Some(first.0);
                    if first.0 == 20 {
                        break;
                    }
                }
                None => {
                    if r.sleep() {
                        // Without this wake-up the model would deadlock: loom reports it.
                        doorbell.wait();
                    }
                }
            }
        }
        writer.join().unwrap();
    });
}
