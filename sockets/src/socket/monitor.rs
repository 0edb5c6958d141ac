//! The socket monitor, `zmq_socket_monitor`'s contract: a PAIR socket of the same context,
//! bound at an inproc endpoint, publishes the monitored socket's events as libzmq's
//! two-frame messages (16-bit event number and 32-bit value in host byte order, then the
//! endpoint), so code that reads libzmq's monitors (pyzmq's `zmq.utils.monitor`) reads
//! these; [`Socket::recv_monitor_event`] reads them back typed.
//!
//! This module owns the PAIR socket and the event encoding; the events themselves come from
//! the transports' [`EventHook`]. It never blocks whoever reports: an event that finds no
//! reader connected, or SNDHWM (1 000) events unread, is dropped, as an unread monitor must
//! cost the monitored socket nothing.

use std::sync::{Arc, Mutex, PoisonError};

use ringmq_transports::monitor::{ALL_EVENTS, EventHook, EventKind, EventSink, MonitorEvent};
use ringmq_transports::{Error, Result, SocketType};

use super::Socket;
use crate::flags::Flags;

/// The monitor's PAIR socket, taking events from the hook.
struct PairSink {
    pair: Mutex<Option<Socket>>,
}

impl PairSink {
    fn publish(&self, event: &MonitorEvent) {
        let mut pair = self.pair.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pair) = pair.as_mut() {
            // Dropped if nobody reads; a message's frames go together or not at all.
            let _ = pair.send_multipart(event.to_frames(), Flags::DONTWAIT);
        }
    }
}

impl EventSink for PairSink {
    fn deliver(&self, event: MonitorEvent) {
        self.publish(&event);
    }
}

/// What a running monitor is: a sink that can be stopped.
pub(super) trait MonitorSink: EventSink {
    /// Takes MONITOR_STOPPED if `mask` wants it, then no more events.
    fn stop(&self, mask: u32);
}

/// EINVAL for a mask beyond libzmq's 16 event bits.
pub(super) fn check_events(events: u32) -> Result<()> {
    if events & !ALL_EVENTS != 0 {
        return Err(Error::InvalidArgument(format!(
            "monitor events {events:#x}: only the 16 bits of libzmq's first event version exist"
        )));
    }
    Ok(())
}

/// `true` if `mask` asks for MONITOR_STOPPED.
pub(super) fn wants_stopped(mask: u32) -> bool {
    mask & u32::from(EventKind::MonitorStopped.number()) != 0
}

impl MonitorSink for PairSink {
    /// Publishes MONITOR_STOPPED if asked for, and closes the PAIR socket.
    fn stop(&self, mask: u32) {
        if wants_stopped(mask) {
            self.publish(&MonitorEvent::new(EventKind::MonitorStopped, 0, ""));
        }
        let pair = self.pair.lock().unwrap_or_else(PoisonError::into_inner).take();
        // A PAIR socket's drop only posts to its own shard and never waits.
        drop(pair);
    }
}

/// A socket's monitor, while one runs.
#[derive(Default)]
pub(crate) struct Monitor {
    running: Option<(Arc<dyn MonitorSink>, u32)>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("mask", &self.running.as_ref().map(|(_, mask)| *mask))
            .finish()
    }
}

impl Monitor {
    /// Stops the monitor now: no more events reach it, then MONITOR_STOPPED.
    fn stop(&mut self, hook: &EventHook) {
        if let Some((sink, mask)) = self.running.take() {
            hook.remove();
            sink.stop(mask);
        }
    }

    /// Starts `sink` for the kinds in `mask`, stopping the monitor that ran.
    pub(super) fn start(&mut self, hook: &EventHook, mask: u32, sink: Arc<dyn MonitorSink>) {
        self.stop(hook);
        let as_events: Arc<dyn EventSink> = sink.clone();
        hook.install(mask, as_events);
        self.running = Some((sink, mask));
    }

    /// Stops the monitor once everything the socket's shard was asked to do before has
    /// been done (closing its listeners reports CLOSED first, as libzmq's do).
    pub(crate) fn stop_after_shard_work(&mut self, hook: &Arc<EventHook>, shard: &ringmq_engine::ShardRef) {
        if let Some((sink, mask)) = self.running.take() {
            let hook = hook.clone();
            shard.run(move |_| {
                hook.remove();
                sink.stop(mask);
            });
        }
    }
}

impl Socket {
    /// Publishes this socket's events of the kinds in `events` (a mask of
    /// [`EventKind`] numbers, [`ALL_EVENTS`] for all) on a PAIR socket bound at `endpoint`,
    /// which must be `inproc://` (EPROTONOSUPPORT otherwise), as `zmq_socket_monitor` does.
    /// Connect a PAIR socket there and read each event with
    /// [`recv_monitor_event`](Self::recv_monitor_event). A monitor already running is
    /// stopped first (it publishes MONITOR_STOPPED). Events nobody reads are dropped
    /// after 1 000 (SNDHWM), and so are those before a reader connects.
    ///
    /// ```
    /// use ringmq_sockets::{Context, EventKind, SocketType, ALL_EVENTS};
    /// let ctx = Context::new()?;
    /// let mut pull = ctx.socket(SocketType::Pull)?;
    /// pull.monitor("inproc://pull-events", ALL_EVENTS)?;
    /// let mut events = ctx.socket(SocketType::Pair)?;
    /// events.connect("inproc://pull-events")?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let event = events.recv_monitor_event()?;
    /// assert_eq!(event.kind, EventKind::Listening);
    /// assert_eq!(event.endpoint, pull.last_endpoint());
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn monitor(&mut self, endpoint: &str, events: u32) -> Result<()> {
        self.check_term()?;
        if !endpoint.starts_with("inproc://") {
            return Err(Error::ProtocolNotSupported(format!(
                "'{endpoint}': a monitor publishes on inproc:// endpoints only"
            )));
        }
        check_events(events)?;
        // Before the new PAIR binds: monitoring again on the same name must find it free.
        self.stop_monitor();
        let id = self.home.next_socket_id();
        let context = self.context.clone();
        let mut pair = Socket::open(
            &self.home,
            context,
            id,
            SocketType::Pair,
            self.shard.clone(),
            false,
        )?;
        pair.set_linger(0)?;
        pair.bind(endpoint)?;
        let sink = Arc::new(PairSink {
            pair: Mutex::new(Some(pair)),
        });
        self.monitor.start(&self.options.events, events, sink);
        Ok(())
    }

    /// Stops this socket's monitor, if one runs: it publishes MONITOR_STOPPED (if asked
    /// for) and closes its PAIR socket (`zmq_socket_monitor(socket, NULL, 0)`).
    pub fn stop_monitor(&mut self) {
        self.monitor.stop(&self.options.events);
    }

    /// Receives one monitor message on this socket (a PAIR connected to a monitor's
    /// endpoint) and reads it as an event; blocks as [`recv`](Self::recv) does.
    pub fn recv_monitor_event(&mut self) -> Result<MonitorEvent> {
        MonitorEvent::from_frames(&self.recv_multipart(Flags::NONE)?)
    }
}
