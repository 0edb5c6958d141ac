//! Model checks of the SPSC frame queue under loom: every interleaving of a writer and a
//! reader, with chunk hand-over (chunks hold two frames under loom), atomic multipart
//! publication and the sleep/wake-up protocol in both directions.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test -p ringmq-engine --test loom_spsc --release`
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::Notify;
use loom::thread;
use ringmq_engine::spsc::{self, Frame};

#[derive(Debug, PartialEq)]
struct F(u32, bool);

impl Frame for F {
    fn has_more(&self) -> bool {
        self.1
    }
}

#[test]
fn multipart_messages_arrive_whole_and_in_order_across_chunks() {
    loom::model(|| {
        let (mut w, mut r) = spsc::channel::<F>(0);
        let writer = thread::spawn(move || {
            w.write(F(0, false));
            w.flush();
            w.write(F(1, true));
            w.write(F(2, true));
            w.write(F(3, false));
            w.flush();
            w.write(F(4, true));
            // Dropped mid-message: frame 4 must never be seen.
        });
        let mut seen = Vec::new();
        for _ in 0..3 {
            while let Some(f) = r.read() {
                // Frames of a message are published together: after a MORE frame the rest
                // must be readable at once.
                let more = f.1;
                seen.push(f.0);
                if more {
                    let next = r.read().expect("the rest of a published message is visible");
                    seen.push(next.0);
                    if next.1 {
                        seen.push(r.read().expect("last frame visible").0);
                    }
                }
            }
            thread::yield_now();
        }
        writer.join().unwrap();
        while let Some(f) = r.read() {
            seen.push(f.0);
        }
        assert_eq!(seen, vec![0, 1, 2, 3]);
    });
}

#[test]
fn a_sleeping_reader_is_always_woken() {
    loom::model(|| {
        let (mut w, mut r) = spsc::channel::<F>(0);
        let bell = Arc::new(Notify::new());
        let bell_w = bell.clone();
        let writer = thread::spawn(move || {
            for i in 0..2 {
                w.write(F(i, false));
                if w.flush() {
                    bell_w.notify();
                }
            }
        });
        let mut got = 0;
        while got < 2 {
            match r.read() {
                Some(f) => {
                    assert_eq!(f.0, got);
                    got += 1;
                }
                None => {
                    r.release();
                    if r.sleep() {
                        // A lost wake-up leaves this thread blocked forever: loom reports it.
                        bell.wait();
                    }
                }
            }
        }
        writer.join().unwrap();
    });
}

#[test]
fn a_writer_held_at_the_high_water_mark_is_always_woken() {
    // Both sides loop on spurious wake-ups, so bound preemptions to keep the search finite.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| {
        let (mut w, mut r) = spsc::channel::<F>(1);
        let to_writer = Arc::new(Notify::new());
        let to_reader = Arc::new(Notify::new());
        let (tw, tr) = (to_writer.clone(), to_reader.clone());
        let writer = thread::spawn(move || {
            let mut i = 0;
            while i < 2 {
                if !w.can_write() {
                    if w.sleep() {
                        tw.wait();
                    }
                    continue;
                }
                w.write(F(i, false));
                if w.flush() {
                    tr.notify();
                }
                i += 1;
            }
        });
        let mut got = 0;
        while got < 2 {
            match r.read() {
                Some(f) => {
                    assert_eq!(f.0, got);
                    got += 1;
                    if r.release() {
                        to_writer.notify();
                    }
                }
                None => {
                    if r.release() {
                        to_writer.notify();
                    }
                    if r.sleep() {
                        to_reader.wait();
                    }
                }
            }
        }
        writer.join().unwrap();
    });
}
