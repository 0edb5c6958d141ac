//! Printing a socket's monitor events, one a line, exactly
//! `event=NAME endpoint=ENDPOINT value=N` (NAME without libzmq's `ZMQ_EVENT_` prefix).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use ringmq::{ALL_EVENTS, MonitorEvent, Socket};

use crate::error::CliResult;

/// Where the lines go.
#[derive(Clone, Copy, Debug)]
pub enum Sink {
    /// `--monitor` of send, recv: beside the messages on stdout.
    Stderr,
    /// `ringmq monitor`: the events are the output.
    Stdout,
}

/// A thread printing a socket's events until MONITOR_STOPPED (the socket closed) or
/// `count` of them.
pub struct MonitorLines {
    thread: JoinHandle<()>,
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

impl MonitorLines {
    /// Monitors `socket` (before its binds and connects, so none of its events is missed).
    pub fn start(socket: &mut Socket, sink: Sink, count: Option<u64>) -> CliResult<Self> {
        let events = socket.monitor_typed(ALL_EVENTS)?;
        let printed = Arc::new(AtomicU64::new(0));
        let counter = printed.clone();
        let thread = std::thread::spawn(move || {
            // Ends after MONITOR_STOPPED, or once the socket is gone without one.
            for event in events.take(count.map_or(usize::MAX, |c| c as usize)) {
                let text = line(&event);
                let _ = match sink {
                    Sink::Stderr => writeln!(std::io::stderr().lock(), "{text}"),
                    Sink::Stdout => writeln!(std::io::stdout().lock(), "{text}"),
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Self { thread, printed })
    }

    /// Events printed so far.
    pub fn printed(&self) -> u64 {
        self.printed.load(Ordering::Relaxed)
    }

    /// `true` once the thread stopped (MONITOR_STOPPED, or `count` reached).
    pub fn is_done(&self) -> bool {
        self.thread.is_finished()
    }

    /// Waits for the last events of a closed socket (CLOSED, MONITOR_STOPPED).
    pub fn finish(self) {
        let _ = self.thread.join();
    }
}
