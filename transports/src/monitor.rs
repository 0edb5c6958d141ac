//! Monitor events: what a socket's listeners and sessions report about its connections,
//! typed, with libzmq's event numbers and values (`zmq_socket_monitor`).
//!
//! This module owns the event types and the per-socket [`EventHook`] the sessions report
//! through. It only carries events to whoever installed a sink; turning them into monitor
//! messages on a PAIR socket belongs to `sockets/`. A socket without a monitor pays one
//! relaxed load per connection event and nothing on the data path.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::zmtp::{ProtocolError, ZapFault};

/// The kinds of monitor events, numbered as libzmq's `ZMQ_EVENT_*` (a bit each, so a set of
/// them is a mask).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum EventKind {
    /// A connect completed; value: the descriptor.
    Connected = 0x0001,
    /// A tcp:// connect is under way (libzmq: the non-blocking connect returned
    /// EINPROGRESS); value: that errno.
    ConnectDelayed = 0x0002,
    /// A failed or lost connection will be tried again; value: the delay in milliseconds.
    ConnectRetried = 0x0004,
    /// A bind succeeded; value: the listening descriptor.
    Listening = 0x0008,
    /// A bind failed; value: the errno.
    BindFailed = 0x0010,
    /// A listener accepted a connection; value: its descriptor.
    Accepted = 0x0020,
    /// An accept failed; value: the errno.
    AcceptFailed = 0x0040,
    /// A descriptor was closed: a listener's, or one whose connect failed; value: it.
    Closed = 0x0080,
    /// A close failed; value: the errno.
    CloseFailed = 0x0100,
    /// A connection broke (the peer closed it, an error, a rule broken); value: its
    /// descriptor.
    Disconnected = 0x0200,
    /// The monitor was stopped; value: 0. Always the last event of a monitor.
    MonitorStopped = 0x0400,
    /// A handshake failed for a reason that is not the peer's protocol; value: the errno.
    HandshakeFailedNoDetail = 0x0800,
    /// A handshake completed; value: 0.
    HandshakeSucceeded = 0x1000,
    /// A handshake failed on a protocol error; value: libzmq's ZMTP error code.
    HandshakeFailedProtocol = 0x2000,
    /// A handshake's authentication was refused; value: the ZAP status code.
    HandshakeFailedAuth = 0x4000,
}

/// Every event (`ZMQ_EVENT_ALL`).
pub const ALL_EVENTS: u32 = 0xFFFF;

impl EventKind {
    /// Every kind, in the order of their numbers.
    pub const ALL: [EventKind; 15] = [
        EventKind::Connected,
        EventKind::ConnectDelayed,
        EventKind::ConnectRetried,
        EventKind::Listening,
        EventKind::BindFailed,
        EventKind::Accepted,
        EventKind::AcceptFailed,
        EventKind::Closed,
        EventKind::CloseFailed,
        EventKind::Disconnected,
        EventKind::MonitorStopped,
        EventKind::HandshakeFailedNoDetail,
        EventKind::HandshakeSucceeded,
        EventKind::HandshakeFailedProtocol,
        EventKind::HandshakeFailedAuth,
    ];

    /// libzmq's number for it (`ZMQ_EVENT_CONNECTED` is 1, and so on).
    pub fn number(self) -> u16 {
        self as u16
    }

    /// Its place in [`EventKind::ALL`]: the bit its number sets.
    fn index(self) -> usize {
        self.number().trailing_zeros() as usize
    }

    /// The kind with libzmq's number `number`, if there is one.
    pub fn from_number(number: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.number() == number)
    }

    /// libzmq's name without its `ZMQ_EVENT_` prefix: `CONNECTED`, `HANDSHAKE_SUCCEEDED`…
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Connected => "CONNECTED",
            EventKind::ConnectDelayed => "CONNECT_DELAYED",
            EventKind::ConnectRetried => "CONNECT_RETRIED",
            EventKind::Listening => "LISTENING",
            EventKind::BindFailed => "BIND_FAILED",
            EventKind::Accepted => "ACCEPTED",
            EventKind::AcceptFailed => "ACCEPT_FAILED",
            EventKind::Closed => "CLOSED",
            EventKind::CloseFailed => "CLOSE_FAILED",
            EventKind::Disconnected => "DISCONNECTED",
            EventKind::MonitorStopped => "MONITOR_STOPPED",
            EventKind::HandshakeFailedNoDetail => "HANDSHAKE_FAILED_NO_DETAIL",
            EventKind::HandshakeSucceeded => "HANDSHAKE_SUCCEEDED",
            EventKind::HandshakeFailedProtocol => "HANDSHAKE_FAILED_PROTOCOL",
            EventKind::HandshakeFailedAuth => "HANDSHAKE_FAILED_AUTH",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One monitor event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonitorEvent {
    /// What happened.
    pub kind: EventKind,
    /// The value libzmq reports with it (see each [`EventKind`]).
    pub value: u32,
    /// The endpoint it concerns: the bound endpoint for listeners and accepted connections,
    /// the connect endpoint for connecting ones ("" for MONITOR_STOPPED).
    pub endpoint: String,
    /// The peer's address, for events about one connection (`192.0.2.7`, or for ipc://
    /// `localhost:UID:GID:PID`, as ZMTP's Peer-Address); only through a typed monitor
    /// (`Socket::monitor_typed`): libzmq's two-frame messages have no room for it.
    pub peer: Option<String>,
    /// Why a connection ended or a handshake failed; typed monitors only, like `peer`.
    pub reason: Option<Reason>,
}

/// Why a connection ended or a handshake failed (a typed monitor's `MonitorEvent::reason`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The peer closed the connection.
    PeerClosed,
    /// A receive, send or connect failed with this errno.
    Io(i32),
    /// The peer broke a protocol rule, or a handshake or heartbeat rule ran out.
    Protocol(ProtocolError),
    /// This side let go of the peer during its handshake (a disconnect, an unbind).
    Abandoned,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::PeerClosed => f.write_str("connection closed by peer"),
            Reason::Io(errno) => std::io::Error::from_raw_os_error(*errno).fmt(f),
            Reason::Protocol(e) => e.fmt(f),
            Reason::Abandoned => f.write_str("given up during the handshake"),
        }
    }
}

impl MonitorEvent {
    /// An event with no peer and no reason.
    pub fn new(kind: EventKind, value: u32, endpoint: impl Into<String>) -> Self {
        Self {
            kind,
            value,
            endpoint: endpoint.into(),
            peer: None,
            reason: None,
        }
    }

    /// The event as libzmq's monitor message: its number (16 bits) and value (32 bits) in
    /// host byte order, then the endpoint.
    pub fn to_frames(&self) -> [Msg; 2] {
        let mut head = [0u8; 6];
        head[..2].copy_from_slice(&self.kind.number().to_ne_bytes());
        head[2..].copy_from_slice(&self.value.to_ne_bytes());
        [
            Msg::from(head.to_vec()).with_more(true),
            Msg::from(self.endpoint.clone().into_bytes()),
        ]
    }

    /// Reads a monitor message (ringmq's or libzmq's); EINVAL if `frames` are not one.
    pub fn from_frames(frames: &[Msg]) -> Result<Self> {
        let bad = |what: &str| Error::InvalidArgument(format!("not a monitor message: {what}"));
        let [head, endpoint] = frames else {
            return Err(bad("it needs two frames"));
        };
        let head: &[u8] = head.as_ref();
        let Ok(head) = <[u8; 6]>::try_from(head) else {
            return Err(bad("the first frame is not 6 octets"));
        };
        let number = u16::from_ne_bytes([head[0], head[1]]);
        let kind =
            EventKind::from_number(number).ok_or_else(|| bad(&format!("unknown event {number:#x}")))?;
        let value = u32::from_ne_bytes([head[2], head[3], head[4], head[5]]);
        let endpoint =
            String::from_utf8(endpoint.as_ref().to_vec()).map_err(|_| bad("the endpoint is not UTF-8"))?;
        Ok(MonitorEvent::new(kind, value, endpoint))
    }
}

/// Where a socket's events go once a monitor is installed.
pub trait EventSink: Send + Sync {
    /// Takes one event. Called on whichever thread the event happened (a shard, or the
    /// socket's thread for binds); must not block.
    fn deliver(&self, event: MonitorEvent);
}

/// A socket's monitor hook, shared by the socket and everything that reports for it. It
/// also counts every event, monitored or not (the connection counters of `Socket::stats`).
#[derive(Default)]
pub struct EventHook {
    /// The kinds the installed sink wants; 0 without a sink.
    mask: AtomicU32,
    sink: Mutex<Option<Arc<dyn EventSink>>>,
    /// Events reported, by kind (in the order of [`EventKind::ALL`]).
    counts: [AtomicU64; EventKind::ALL.len()],
}

impl fmt::Debug for EventHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventHook")
            .field("mask", &self.mask.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl EventHook {
    /// `true` if a sink wants events of `kind` (a relaxed load: an event racing with
    /// installing or removing a sink may or may not be delivered).
    pub fn wants(&self, kind: EventKind) -> bool {
        self.mask.load(Ordering::Relaxed) & u32::from(kind.number()) != 0
    }

    /// How many events of `kind` were reported so far.
    pub fn count(&self, kind: EventKind) -> u64 {
        self.counts[kind.index()].load(Ordering::Relaxed)
    }

    /// Counts an event and reports it, if a sink wants its kind.
    pub fn emit(&self, kind: EventKind, value: u32, endpoint: &str) {
        self.emit_detailed(kind, value, endpoint, || (None, None));
    }

    /// As [`emit`](Self::emit), with the peer's address and a reason, which `detail`
    /// computes only if a sink wants the event.
    pub fn emit_detailed(
        &self,
        kind: EventKind,
        value: u32,
        endpoint: &str,
        detail: impl FnOnce() -> (Option<String>, Option<Reason>),
    ) {
        self.counts[kind.index()].fetch_add(1, Ordering::Relaxed);
        if !self.wants(kind) {
            return;
        }
        let sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(sink) = sink {
            let (peer, reason) = detail();
            let mut event = MonitorEvent::new(kind, value, endpoint);
            event.peer = peer;
            event.reason = reason;
            sink.deliver(event);
        }
    }

    /// Sends events of the kinds in `mask` to `sink` from now on; returns the sink it
    /// replaces.
    pub fn install(&self, mask: u32, sink: Arc<dyn EventSink>) -> Option<Arc<dyn EventSink>> {
        let mut slot = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        let old = slot.replace(sink);
        self.mask.store(mask & ALL_EVENTS, Ordering::Relaxed);
        old
    }

    /// Removes the sink (events are dropped from now on) and returns it.
    pub fn remove(&self) -> Option<Arc<dyn EventSink>> {
        let mut slot = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        self.mask.store(0, Ordering::Relaxed);
        slot.take()
    }
}

/// libzmq's `ZMQ_PROTOCOL_ERROR_*` codes ringmq reports.
pub mod protocol_error_codes {
    /// ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED.
    pub const ZMTP_UNSPECIFIED: u32 = 0x1000_0000;
    /// ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED.
    pub const ZMTP_MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
    /// ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC.
    pub const ZMTP_CRYPTOGRAPHIC: u32 = 0x1100_0001;
    /// ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH.
    pub const ZMTP_MECHANISM_MISMATCH: u32 = 0x1100_0002;
    /// ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED.
    pub const ZAP_UNSPECIFIED: u32 = 0x2000_0000;
    /// ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY.
    pub const ZAP_MALFORMED_REPLY: u32 = 0x2000_0001;
    /// ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID.
    pub const ZAP_BAD_REQUEST_ID: u32 = 0x2000_0002;
    /// ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION.
    pub const ZAP_BAD_VERSION: u32 = 0x2000_0003;
    /// ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE.
    pub const ZAP_INVALID_STATUS_CODE: u32 = 0x2000_0004;
    /// ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA.
    pub const ZAP_INVALID_METADATA: u32 = 0x2000_0005;
}

/// The event a protocol error in the handshake reports before DISCONNECTED, as libzmq's
/// (`None` where libzmq reports none: a socket type ours cannot talk to, an ERROR whose
/// reason is not a ZAP status code).
pub fn handshake_failure(error: &ProtocolError) -> Option<(EventKind, u32)> {
    use protocol_error_codes as code;
    let protocol = |value| Some((EventKind::HandshakeFailedProtocol, value));
    match error {
        ProtocolError::BadSignature | ProtocolError::UnsupportedVersion(_) => {
            protocol(code::ZMTP_UNSPECIFIED)
        }
        ProtocolError::MechanismMismatch { .. } => protocol(code::ZMTP_MECHANISM_MISMATCH),
        ProtocolError::Malformed(_) | ProtocolError::MessageTooLarge { .. } => {
            protocol(code::ZMTP_MALFORMED_COMMAND_UNSPECIFIED)
        }
        ProtocolError::Cryptographic(_) => protocol(code::ZMTP_CRYPTOGRAPHIC),
        ProtocolError::BadZapReply(fault) => protocol(match fault {
            ZapFault::MalformedReply => code::ZAP_MALFORMED_REPLY,
            ZapFault::BadRequestId => code::ZAP_BAD_REQUEST_ID,
            ZapFault::BadVersion => code::ZAP_BAD_VERSION,
            ZapFault::InvalidStatusCode => code::ZAP_INVALID_STATUS_CODE,
            ZapFault::InvalidMetadata => code::ZAP_INVALID_METADATA,
        }),
        ProtocolError::AuthenticationFailed(status) => {
            Some((EventKind::HandshakeFailedAuth, u32::from(*status)))
        }
        // libzmq reads an ERROR whose reason is a ZAP status code as that refusal.
        ProtocolError::PeerError(reason) => match reason.as_bytes() {
            [first @ b'3'..=b'5', b'0', b'0'] => {
                Some((EventKind::HandshakeFailedAuth, u32::from(first - b'0') * 100))
            }
            _ => None,
        },
        ProtocolError::IncompatibleSocketType { .. } => None,
        ProtocolError::HandshakeTimeout => {
            Some((EventKind::HandshakeFailedNoDetail, event_value(libc::EAGAIN)))
        }
        ProtocolError::HeartbeatTimeout => {
            Some((EventKind::HandshakeFailedNoDetail, event_value(libc::ETIMEDOUT)))
        }
        ProtocolError::NoZapHandler => protocol(code::ZAP_UNSPECIFIED),
    }
}

/// An errno or a descriptor as an event's value (both are never negative).
pub fn event_value(n: i32) -> u32 {
    n.unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Mutex<Vec<MonitorEvent>>);

    impl EventSink for Collect {
        fn deliver(&self, event: MonitorEvent) {
            self.0.lock().unwrap().push(event);
        }
    }

    #[test]
    fn numbers_and_names_are_libzmqs() {
        assert_eq!(EventKind::Connected.number(), 1);
        assert_eq!(EventKind::Listening.number(), 8);
        assert_eq!(EventKind::Disconnected.number(), 0x200);
        assert_eq!(EventKind::MonitorStopped.number(), 0x400);
        assert_eq!(EventKind::HandshakeFailedAuth.number(), 0x4000);
        let mut all = 0u32;
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_number(kind.number()), Some(kind));
            assert_eq!(kind.number().count_ones(), 1, "{kind}");
            all |= u32::from(kind.number());
        }
        assert_eq!(all, 0x7FFF);
        assert_eq!(EventKind::from_number(0x8000), None);
        for (i, kind) in EventKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), i);
        }
        assert_eq!(
            EventKind::HandshakeFailedNoDetail.to_string(),
            "HANDSHAKE_FAILED_NO_DETAIL"
        );
    }

    #[test]
    fn frames_are_libzmqs_layout_and_read_back() {
        let event = MonitorEvent::new(EventKind::ConnectRetried, 183, "tcp://127.0.0.1:1");
        let frames = event.to_frames();
        let mut head = 4u16.to_ne_bytes().to_vec();
        head.extend(183u32.to_ne_bytes());
        assert_eq!(frames[0].as_ref(), &head[..]);
        assert!(frames[0].more() && !frames[1].more());
        assert_eq!(MonitorEvent::from_frames(&frames).unwrap(), event);
        assert!(MonitorEvent::from_frames(&frames[..1]).is_err());
        let unknown = [Msg::from(0x8000u16.to_ne_bytes().repeat(3)), Msg::from("x")];
        assert!(MonitorEvent::from_frames(&unknown).is_err());
        let short = [Msg::from(vec![1u8; 5]), Msg::from("x")];
        assert!(MonitorEvent::from_frames(&short).is_err());
    }

    #[test]
    fn only_wanted_kinds_reach_the_sink_and_nothing_after_removal() {
        let hook = EventHook::default();
        hook.emit(EventKind::Connected, 7, "tcp://a:1");
        let sink = Arc::new(Collect::default());
        let mask = u32::from(EventKind::Connected.number() | EventKind::Closed.number());
        assert!(hook.install(mask, sink.clone()).is_none());
        hook.emit(EventKind::Connected, 7, "tcp://a:1");
        hook.emit(EventKind::Listening, 8, "tcp://a:1");
        hook.emit(EventKind::Closed, 9, "tcp://a:1");
        assert!(hook.remove().is_some());
        hook.emit(EventKind::Closed, 10, "tcp://a:1");
        // Counted whether or not a sink wanted them.
        assert_eq!(hook.count(EventKind::Connected), 2);
        assert_eq!(hook.count(EventKind::Listening), 1);
        assert_eq!(hook.count(EventKind::Closed), 2);
        assert_eq!(hook.count(EventKind::Accepted), 0);
        let got: Vec<_> = sink.0.lock().unwrap().iter().map(|e| (e.kind, e.value)).collect();
        assert_eq!(got, [(EventKind::Connected, 7), (EventKind::Closed, 9)]);
    }
}
