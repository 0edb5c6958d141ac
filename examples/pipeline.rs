//! zguide "Divide and conquer": a ventilator PUSHes tasks to a pool of workers, which PULL
//! them (load-balanced), do the work and PUSH results to a sink, which PULLs them from all
//! workers (fair-queued) and reports. The sink then tells the workers to stop (PUB/SUB).
//!
//! `cargo run --example pipeline`

use std::thread;
use std::time::{Duration, Instant};

use ringmq::{Context, Flags, SocketType};

const TASKS: u32 = 100;
const WORKERS: usize = 4;

fn main() -> ringmq::Result<()> {
    let ctx = Context::new()?;

    let mut ventilator = ctx.socket(SocketType::Push)?;
    ventilator.bind("tcp://127.0.0.1:*")?;
    let mut sink = ctx.socket(SocketType::Pull)?;
    sink.bind("tcp://127.0.0.1:*")?;
    let mut control = ctx.socket(SocketType::Pub)?;
    control.bind("tcp://127.0.0.1:*")?;
    let (tasks_at, results_at, control_at) = (
        ventilator.last_endpoint(),
        sink.last_endpoint(),
        control.last_endpoint(),
    );

    let workers: Vec<_> = (0..WORKERS)
        .map(|id| {
            let ctx = ctx.clone();
            let (tasks_at, results_at, control_at) =
                (tasks_at.clone(), results_at.clone(), control_at.clone());
            thread::spawn(move || -> ringmq::Result<u32> {
                let mut tasks = ctx.socket(SocketType::Pull)?;
                tasks.connect(&tasks_at)?;
                let mut results = ctx.socket(SocketType::Push)?;
                results.connect(&results_at)?;
                let mut stop = ctx.socket(SocketType::Sub)?;
                stop.set_subscribe(b"")?;
                stop.connect(&control_at)?;
                tasks.set_rcvtimeo(10)?;
                let mut done = 0;
                loop {
                    if stop.recv(Flags::DONTWAIT).is_ok() {
                        return Ok(done);
                    }
                    let Ok(task) = tasks.recv(Flags::NONE) else {
                        continue;
                    };
                    let millis = u64::from(task[0]);
                    thread::sleep(Duration::from_millis(millis));
                    results.send(format!("worker {id} slept {millis} ms"), Flags::NONE)?;
                    done += 1;
                }
            })
        })
        .collect();

    // Give the workers time to connect, so the first ones don't get all the tasks.
    thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let mut expected_ms = 0u64;
    for n in 0..TASKS {
        let workload = (n * 7 % 10 + 1) as u8;
        expected_ms += u64::from(workload);
        ventilator.send(&[workload][..], Flags::NONE)?;
    }
    for _ in 0..TASKS {
        sink.recv(Flags::NONE)?;
    }
    println!(
        "{TASKS} tasks, {expected_ms} ms of work, done in {} ms by {WORKERS} workers",
        started.elapsed().as_millis()
    );
    // Tell the workers to stop until they all have (a late subscriber misses the first).
    let mut per_worker = Vec::new();
    for w in workers {
        while !w.is_finished() {
            control.send("STOP", Flags::NONE)?;
            thread::sleep(Duration::from_millis(10));
        }
        per_worker.push(w.join().expect("worker thread")?);
    }
    println!("tasks per worker: {per_worker:?}");
    assert_eq!(per_worker.iter().sum::<u32>(), TASKS);
    Ok(())
}
