//! Printing a socket's monitor events, one a line, exactly
//! `event=NAME endpoint=ENDPOINT value=N` (NAME without libzmq's `ZMQ_EVENT_` prefix).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ringmq::{ALL_EVENTS, Context, EventKind, MonitorEvent, Socket, SocketType};

use crate::error::CliResult;

/// Where the lines go.
#[derive(Clone, Copy, Debug)]
pub enum Sink {
    /// `--monitor` of send, recv: beside the messages on stdout.
    Stderr,
    /// `ringmq monitor`: the events are the output.
    Stdout,
}

/// How long a closing socket's last events (CLOSED, MONITOR_STOPPED) may take to arrive.
const LAST_EVENTS: Duration = Duration::from_secs(2);

/// A thread printing a socket's events until MONITOR_STOPPED or `count` of them.
pub struct MonitorLines {
    thread: JoinHandle<()>,
    closing: Arc<AtomicBool>,
    printed: Arc<AtomicU64>,
}

/// One event as a line.
pub fn line(event: &MonitorEvent) -> String {
    format!(
        "event={} endpoint={} value={}",
        event.kind.name(),
        event.endpoint,
        event.value
    )
}

static NEXT_MONITOR: AtomicU64 = AtomicU64::new(0);

impl MonitorLines {
    /// Monitors `socket` (before its binds and connects, so none of its events is missed).
    pub fn start(ctx: &Context, socket: &mut Socket, sink: Sink, count: Option<u64>) -> CliResult<Self> {
        let endpoint = format!(
            "inproc://ringmq-cli-monitor-{}-{}",
            std::process::id(),
            NEXT_MONITOR.fetch_add(1, Ordering::Relaxed)
        );
        socket.monitor(&endpoint, ALL_EVENTS)?;
        let mut reader = ctx.socket(SocketType::Pair)?;
        reader.connect(&endpoint)?;
        reader.set_rcvtimeo(100)?;
        let closing = Arc::new(AtomicBool::new(false));
        let printed = Arc::new(AtomicU64::new(0));
        let (closing_seen, printed_here) = (closing.clone(), printed.clone());
        let thread =
            std::thread::spawn(move || print_events(reader, sink, count, &closing_seen, &printed_here));
        Ok(Self {
            thread,
            closing,
            printed,
        })
    }

    /// Events printed so far.
    pub fn printed(&self) -> u64 {
        self.printed.load(Ordering::Relaxed)
    }

    /// `true` once the thread stopped (MONITOR_STOPPED, or `count` reached).
    pub fn is_done(&self) -> bool {
        self.thread.is_finished()
    }

    /// Waits for the last events of a closed socket, then for the thread.
    pub fn finish(self) {
        self.closing.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

fn print_events(
    mut reader: Socket,
    sink: Sink,
    count: Option<u64>,
    closing: &AtomicBool,
    printed: &AtomicU64,
) {
    let mut closing_since = None;
    loop {
        match reader.recv_monitor_event() {
            Ok(event) => {
                let text = line(&event);
                let _ = match sink {
                    Sink::Stderr => writeln!(std::io::stderr().lock(), "{text}"),
                    Sink::Stdout => writeln!(std::io::stdout().lock(), "{text}"),
                };
                let n = printed.fetch_add(1, Ordering::Relaxed) + 1;
                if event.kind == EventKind::MonitorStopped || count.is_some_and(|c| n >= c) {
                    break;
                }
            }
            Err(_) if closing.load(Ordering::Relaxed) => {
                let since = *closing_since.get_or_insert_with(Instant::now);
                if since.elapsed() > LAST_EVENTS {
                    break;
                }
            }
            Err(_) => {}
        }
    }
}
