//! The pipeline of `pipeline.rs`, as tokio tasks: a ventilator task PUSHes work over
//! inproc to worker tasks, which PUSH results to a sink task. `AsyncSocket` needs no
//! runtime of its own; tokio here is just the executor (glommio and others work alike).
//!
//! `cargo run --example async_pipeline`

use ringmq::{AsyncSocket, Context, SocketType};

const TASKS: u32 = 1_000;
const WORKERS: usize = 4;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ringmq::Result<()> {
    let ctx = Context::new()?;
    let socket = |t| ctx.socket(t).and_then(AsyncSocket::new);

    let mut ventilator = socket(SocketType::Push)?;
    ventilator.bind("inproc://tasks")?;
    let mut sink = socket(SocketType::Pull)?;
    sink.bind("inproc://results")?;

    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let mut tasks = socket(SocketType::Pull)?;
        tasks.connect("inproc://tasks")?;
        let mut results = socket(SocketType::Push)?;
        results.connect("inproc://results")?;
        workers.push(tokio::spawn(async move {
            loop {
                let task = tasks.recv().await?;
                if task.is_empty() {
                    return Ok::<_, ringmq::Error>(());
                }
                let n = u32::from_le_bytes(task[..].try_into().expect("4-byte task"));
                results.send((n * n).to_le_bytes().to_vec(), false).await?;
            }
        }));
    }

    let ventilate = tokio::spawn(async move {
        for n in 0..TASKS {
            ventilator.send(n.to_le_bytes().to_vec(), false).await?;
        }
        // An empty task tells a worker to stop.
        for _ in 0..WORKERS {
            ventilator.send(Vec::new(), false).await?;
        }
        Ok::<_, ringmq::Error>(())
    });

    let mut total = 0u64;
    for _ in 0..TASKS {
        let result = sink.recv().await?;
        total += u64::from(u32::from_le_bytes(result[..].try_into().expect("4-byte result")));
    }
    ventilate.await.expect("ventilator task")?;
    for worker in workers {
        worker.await.expect("worker task")?;
    }
    let expected: u64 = (0..u64::from(TASKS)).map(|n| n * n).sum();
    assert_eq!(total, expected);
    println!("sink: {TASKS} results, sum of squares {total}");
    Ok(())
}
