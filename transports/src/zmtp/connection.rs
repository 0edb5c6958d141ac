//! One ZMTP connection as a state machine: greeting, the mechanism's handshake (NULL, PLAIN
//! or CURVE), traffic (boxed frame by frame after a CURVE handshake), heartbeats.
//!
//! Inputs: received bytes ([`Connection::decode`]) and the time ([`Connection::on_timeout`]).
//! Outputs: [`Event`]s, control bytes to send ([`Connection::take_control`]) and the next
//! deadline ([`Connection::next_timeout`]). Message frames are written by the driver with
//! [`Connection::encode_message`] once [`Connection::is_ready`].
//!
//! Control bytes (greeting, READY, PING, PONG, ERROR) are only ever taken by the driver
//! between messages, so a command never lands inside a multipart message on the wire. What
//! the connection owes its peer is bounded whatever the peer sends ([`owed`](super::owed)),
//! and so is every buffer the peer's bytes fill ([`limits`](super::limits)).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::batch::WriteBatch;
use super::body_pool::BodyPool;
use super::command::{Command, Metadata, encode_command};
use super::frame::{BodyLoan, DecodedFrame, FrameDecoder, FrameError};
use super::greeting::{Greeting, GreetingError, our_greeting};
use super::limits::{MAX_COMMAND_SIZE, MAX_IDENTITY_LEN};
use super::mechanism::{
    Accepted, AuthRequest, Mechanism, MessageCipher, Progress, Security, Verdict, ZapSettings,
    split_handshake_command,
};
use super::owed::Owed;
use crate::msg::Msg;
use crate::socket_type::SocketType;

/// What a connection needs to know about its socket.
#[derive(Clone, Debug)]
pub struct ZmtpConfig {
    /// Our socket type, announced as `Socket-Type` and checked against the peer's.
    pub socket_type: SocketType,
    /// Our routing id, announced as `Identity` by REQ, DEALER and ROUTER.
    pub routing_id: Bytes,
    /// MAXMSGSIZE: larger message frames close the connection. `None` = unlimited.
    pub max_msg_size: Option<u64>,
    /// HANDSHAKE_IVL: time allowed from connection to a completed handshake.
    pub handshake_timeout: Option<Duration>,
    /// HEARTBEAT_IVL: send a PING this often.
    pub heartbeat_interval: Option<Duration>,
    /// HEARTBEAT_TTL: announced in our PINGs (the peer may drop us after this silence).
    pub heartbeat_ttl: Option<Duration>,
    /// HEARTBEAT_TIMEOUT: close if nothing arrives this long after a PING.
    pub heartbeat_timeout: Option<Duration>,
    /// Copy bodies up to this size into the write batch; reference larger ones.
    pub copy_threshold: usize,
    /// The security mechanism and its credentials.
    pub security: Security,
    /// Where authentication is asked (ZAP_DOMAIN, ZAP_ENFORCE_DOMAIN).
    pub zap: ZapSettings,
}

impl ZmtpConfig {
    /// A configuration with libzmq's defaults for `socket_type`.
    pub fn new(socket_type: SocketType) -> Self {
        Self {
            socket_type,
            routing_id: Bytes::new(),
            max_msg_size: None,
            handshake_timeout: Some(Duration::from_secs(30)),
            heartbeat_interval: None,
            heartbeat_ttl: None,
            heartbeat_timeout: None,
            copy_threshold: 8 * 1024,
            security: Security::Null,
            zap: ZapSettings::default(),
        }
    }
}

/// What we learnt about the peer in the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket type.
    pub socket_type: SocketType,
    /// The peer's `Identity` property, if it sent one.
    pub routing_id: Option<Bytes>,
    /// The peer's (major, minor) ZMTP version.
    pub version: (u8, u8),
    /// All metadata properties the peer sent (in READY, or INITIATE for CURVE and PLAIN).
    pub metadata: Metadata,
    /// The User-Id the ZAP handler gave the peer, if one was asked.
    pub user_id: Option<Bytes>,
    /// The properties the ZAP handler added for the peer (its reply's metadata frame).
    pub zap_metadata: Metadata,
}

/// Something the connection reports to its driver.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// The handshake completed; messages may flow.
    Ready(PeerInfo),
    /// A message frame arrived.
    Message(Msg),
    /// A SUBSCRIBE command arrived (ZMTP 3.1 subscribers).
    Subscribe(Bytes),
    /// A CANCEL command arrived (ZMTP 3.1 subscribers).
    Cancel(Bytes),
    /// The handshake waits for the socket's ZAP handler: answer with
    /// [`Connection::authenticated`].
    Authenticate(AuthRequest),
}

/// Why a connection must be closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// The peer's greeting does not start with a ZMTP 2.0+ signature.
    BadSignature,
    /// The peer speaks ZMTP 1.0 or 2.0.
    UnsupportedVersion(u8),
    /// The peer's security mechanism differs from ours.
    MechanismMismatch {
        /// Our mechanism.
        ours: String,
        /// The peer's.
        theirs: String,
    },
    /// A malformed frame or command.
    Malformed(String),
    /// A message frame larger than MAXMSGSIZE.
    MessageTooLarge {
        /// Frame size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The peer's socket type cannot talk to ours.
    IncompatibleSocketType {
        /// Ours.
        ours: SocketType,
        /// The peer's, as sent.
        theirs: String,
    },
    /// The peer sent an ERROR command.
    PeerError(String),
    /// The handshake did not complete in time.
    HandshakeTimeout,
    /// No traffic arrived within the heartbeat timeout or the peer's TTL.
    HeartbeatTimeout,
    /// The ZAP handler refused the peer with this status code (300, 400 or 500).
    AuthenticationFailed(u16),
    /// The mechanism needs a ZAP handler and none is bound at `inproc://zeromq.zap.01`.
    NoZapHandler,
    /// A CURVE box did not open or a nonce was out of order (libzmq's
    /// ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC / INVALID_SEQUENCE): what failed.
    Cryptographic(&'static str),
    /// The ZAP handler's reply broke the ZAP protocol.
    BadZapReply(ZapFault),
}

/// How a ZAP reply broke the protocol (libzmq's ZMQ_PROTOCOL_ERROR_ZAP_* codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZapFault {
    /// Not seven frames, or no empty delimiter first.
    MalformedReply,
    /// Not the request id asked.
    BadRequestId,
    /// A version other than 1.0.
    BadVersion,
    /// A status code other than 200, 300, 400 and 500.
    InvalidStatusCode,
    /// Metadata that does not parse.
    InvalidMetadata,
}

impl std::fmt::Display for ZapFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ZapFault::MalformedReply => "not seven frames after an empty delimiter",
            ZapFault::BadRequestId => "not the request id asked",
            ZapFault::BadVersion => "version is not 1.0",
            ZapFault::InvalidStatusCode => "status code other than 200, 300, 400, 500",
            ZapFault::InvalidMetadata => "malformed metadata",
        })
    }
}

impl ProtocolError {
    /// `true` if a new connection to the same peer would fail the same way: it speaks
    /// another protocol, version or mechanism, is of a socket type ours cannot talk to, or
    /// refused us with ERROR. A connecting session stops there, as libzmq's does on these.
    pub fn rules_out_the_peer(&self) -> bool {
        matches!(
            self,
            Self::BadSignature
                | Self::UnsupportedVersion(_)
                | Self::MechanismMismatch { .. }
                | Self::IncompatibleSocketType { .. }
                | Self::PeerError(_)
        )
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadSignature => f.write_str("peer did not send a ZMTP signature"),
            Self::UnsupportedVersion(v) => write!(f, "peer speaks ZMTP {v}.x; ringmq needs 3.0 or later"),
            Self::MechanismMismatch { ours, theirs } => {
                write!(f, "security mechanism mismatch: ours {ours}, peer's {theirs}")
            }
            Self::Malformed(what) => write!(f, "malformed input: {what}"),
            Self::MessageTooLarge { size, max } => {
                write!(f, "message frame of {size} octets exceeds MAXMSGSIZE {max}")
            }
            Self::IncompatibleSocketType { ours, theirs } => {
                write!(f, "a {theirs} peer cannot connect to a {ours} socket")
            }
            Self::PeerError(reason) => write!(f, "peer sent ERROR: {reason}"),
            Self::HandshakeTimeout => f.write_str("handshake timed out"),
            Self::HeartbeatTimeout => f.write_str("heartbeat timed out"),
            Self::AuthenticationFailed(status) => write!(f, "the ZAP handler refused the peer ({status})"),
            Self::NoZapHandler => f.write_str("no ZAP handler is bound at inproc://zeromq.zap.01"),
            Self::Cryptographic(what) => write!(f, "CURVE: {what}"),
            Self::BadZapReply(fault) => write!(f, "ZAP reply: {fault}"),
        }
    }
}

impl std::error::Error for ProtocolError {}

impl From<FrameError> for ProtocolError {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::MessageTooLarge { size, max } => ProtocolError::MessageTooLarge { size, max },
            other => ProtocolError::Malformed(format!("{other:?}")),
        }
    }
}

fn early_message() -> ProtocolError {
    ProtocolError::Malformed("message frame before the handshake completed".into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Handshake,
    Traffic,
}

/// The ZMTP state machine of one connection.
#[derive(Debug)]
pub struct Connection {
    config: Arc<ZmtpConfig>,
    phase: Phase,
    greeting: Greeting,
    decoder: FrameDecoder,
    mechanism: Mechanism,
    /// CURVE's boxing of the traffic, once its handshake is done.
    cipher: Option<MessageCipher>,
    owed: Owed,
    peer_version: (u8, u8),
    handshake_deadline: Option<Instant>,
    next_ping: Option<Instant>,
    ping_deadline: Option<Instant>,
    ttl_deadline: Option<Instant>,
}

impl Connection {
    /// A new connection; our greeting is queued as control bytes at once (we send the whole
    /// greeting immediately, which RFC 37 allows when not detecting ZMTP 1.0/2.0 peers).
    pub fn new(config: Arc<ZmtpConfig>, now: Instant) -> Self {
        Self::with_body_pool(config, now, BodyPool::default())
    }

    /// As [`new`](Self::new), with large received bodies from `bodies` (its shard's pool).
    pub fn with_body_pool(config: Arc<ZmtpConfig>, now: Instant, bodies: BodyPool) -> Self {
        let mut owed = Owed::default();
        owed.handshake(&our_greeting(
            config.security.mechanism_name(),
            config.security.as_server(),
        ));
        let mechanism = Mechanism::new(&config.security, &config.zap);
        let handshake_deadline = config.handshake_timeout.map(|t| now + t);
        Self {
            // No message frame may come before the handshake is done: one is refused from
            // its header (a MAXMSGSIZE of 0 until then), before any of its body is held.
            decoder: FrameDecoder::with_pool(Some(0), MAX_COMMAND_SIZE, bodies),
            mechanism,
            cipher: None,
            config,
            phase: Phase::Greeting,
            greeting: Greeting::default(),
            owed,
            peer_version: (0, 0),
            handshake_deadline,
            next_ping: None,
            ping_deadline: None,
            ttl_deadline: None,
        }
    }

    /// `true` once the handshake completed.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Traffic
    }

    /// The peer's ZMTP version, once its greeting is in.
    pub fn peer_version(&self) -> (u8, u8) {
        self.peer_version
    }

    /// `true` if there are control bytes to send.
    pub fn has_control(&self) -> bool {
        !self.owed.is_empty()
    }

    /// `true` after a failure for which the peer is owed an ERROR that was not written yet:
    /// the driver should write it before it closes.
    pub fn owes_error(&self) -> bool {
        self.owed.error_due()
    }

    /// Moves pending control bytes into `batch`. Call only between messages.
    pub fn take_control(&mut self, batch: &mut WriteBatch) {
        self.owed.write_into(batch, self.cipher.as_mut());
    }

    /// Octets this connection holds besides the messages it was given: control bytes owed
    /// to the peer and the frame being received.
    pub fn buffered_octets(&self) -> usize {
        self.owed.len() + self.decoder.buffered_octets()
    }

    /// Frames one message frame into `batch`.
    #[inline]
    pub fn encode_message(&mut self, msg: &Msg, batch: &mut WriteBatch) {
        debug_assert!(self.is_ready());
        // SUBSCRIBE's body: name size, name, topic (the frame without its first octet).
        let fits_a_command = msg.len() as u64 + 9 <= MAX_COMMAND_SIZE;
        if msg.is_subscription() && self.peer_version >= (3, 1) && !msg.is_empty() && fits_a_command {
            // RFC 37: ZMTP 3.1 subscribers send SUBSCRIBE / CANCEL commands; 3.0 peers only
            // understand the message form, which is what the frame holds. A topic too long
            // for a command (see `limits`) keeps the message form, which 3.1 peers accept too.
            let name = match (self.config.socket_type, msg[0]) {
                (SocketType::Dish, 1) => "JOIN",
                (SocketType::Dish, _) => "LEAVE",
                (_, 1) => "SUBSCRIBE",
                _ => "CANCEL",
            };
            if let Some(cipher) = &mut self.cipher {
                cipher.seal_command(name, &msg[1..], batch);
                return;
            }
            let mut command = Vec::with_capacity(msg.len() + 16);
            encode_command(name, &msg[1..], &mut command);
            batch.push_copy(&command);
            return;
        }
        match &mut self.cipher {
            Some(cipher) => cipher.seal_message(msg, batch),
            None => batch.push_message_frame(msg, self.config.copy_threshold),
        }
    }

    /// `true` when no frame is half-received.
    pub fn at_frame_boundary(&self) -> bool {
        self.decoder.at_frame_boundary()
    }

    /// Once messages flow in the clear, decodes the whole message frames at the front of
    /// `input` into `deliver` (see [`FrameDecoder::decode_messages`]) and returns the
    /// octets used; 0 for anything else (use [`decode`](Self::decode)).
    #[inline]
    pub fn decode_messages(
        &mut self,
        input: &[u8],
        deliver: impl FnMut(Msg) -> bool,
    ) -> Result<usize, ProtocolError> {
        if self.phase != Phase::Traffic || self.cipher.is_some() {
            return Ok(0);
        }
        let used = self.decoder.decode_messages(input, deliver)?;
        if used > 0 {
            self.saw_traffic();
        }
        Ok(used)
    }

    /// Octets the message frame being received in the clear still wants (see
    /// [`FrameDecoder::body_wanted`]); `None` for CURVE traffic, which is not lent.
    pub fn body_wanted(&self) -> Option<usize> {
        if self.phase != Phase::Traffic || self.cipher.is_some() {
            return None;
        }
        self.decoder.body_wanted()
    }

    /// Lends the body of the message frame being received when it still wants at least
    /// `at_least` octets (see [`FrameDecoder::lend_body`]); only for frames the traffic
    /// carries in the clear (a CURVE box is opened whole, from where it was gathered).
    pub fn lend_body(&mut self, at_least: usize) -> Option<BodyLoan> {
        if self.phase != Phase::Traffic || self.cipher.is_some() {
            return None;
        }
        self.decoder.lend_body(at_least)
    }

    /// Takes a lent body back (see [`FrameDecoder::return_body`]); octets received into it
    /// are traffic, as any others.
    pub fn return_body(&mut self, body: Vec<u8>) {
        if self.decoder.return_body(body) > 0 {
            self.saw_traffic();
        }
    }

    /// `true` when a silence from the peer would end the connection (heartbeats are on, or
    /// the peer gave a TTL): the driver must then report octets as they come, not only
    /// once a large body is whole.
    pub fn watches_for_silence(&self) -> bool {
        self.config.heartbeat_interval.is_some()
            || self.ttl_deadline.is_some()
            || self.ping_deadline.is_some()
    }

    /// `true` when a frame received in place is whole: the next `decode` returns it, even
    /// from empty input.
    pub fn has_whole_frame(&self) -> bool {
        self.decoder.has_whole_frame()
    }

    /// Consumes received octets: returns how many were used and at most one event. When it
    /// returns no event, all of `input` was used.
    pub fn decode(&mut self, input: &[u8], now: Instant) -> Result<(usize, Option<Event>), ProtocolError> {
        match self.phase {
            Phase::Greeting => self.decode_greeting(input, now),
            Phase::Handshake => self.decode_handshake(input, now),
            Phase::Traffic => {
                if !input.is_empty() {
                    self.saw_traffic();
                }
                self.decode_traffic(input, now)
            }
        }
    }

    /// Octets arrived (decoded now or held back by the driver): any traffic is a sign of
    /// life (RFC 37), so pending heartbeat deadlines are cleared.
    pub fn saw_traffic(&mut self) {
        if self.phase == Phase::Traffic {
            self.ping_deadline = None;
            self.ttl_deadline = None;
        }
    }

    fn decode_greeting(
        &mut self,
        input: &[u8],
        now: Instant,
    ) -> Result<(usize, Option<Event>), ProtocolError> {
        let used = self.greeting.feed(input).map_err(|e| match e {
            GreetingError::BadSignature => ProtocolError::BadSignature,
            GreetingError::OldVersion(v) => ProtocolError::UnsupportedVersion(v),
        })?;
        if !self.greeting.is_complete() {
            return Ok((used, None));
        }
        self.peer_version = self.greeting.version();
        let ours = self.config.security.mechanism_name();
        if self.greeting.mechanism_field() != &our_greeting(ours, false)[12..32] {
            return Err(ProtocolError::MechanismMismatch {
                ours: ours.into(),
                theirs: String::from_utf8_lossy(self.greeting.mechanism()).into_owned(),
            });
        }
        self.phase = Phase::Handshake;
        let ours = self.our_metadata();
        let progress = self.mechanism.start(&mut self.owed, &ours)?;
        let event = self.progress(progress, now)?;
        Ok((used, event))
    }

    /// The metadata we announce: `Socket-Type`, and `Identity` for the types that have one.
    fn our_metadata(&self) -> Metadata {
        let mut metadata = Metadata::new();
        metadata.push(
            "Socket-Type",
            Bytes::from_static(self.config.socket_type.name().as_bytes()),
        );
        if self.config.socket_type.announces_identity() {
            metadata.push("Identity", self.config.routing_id.clone());
        }
        metadata
    }

    fn decode_handshake(
        &mut self,
        input: &[u8],
        now: Instant,
    ) -> Result<(usize, Option<Event>), ProtocolError> {
        let (used, frame) = self.decoder.decode(input).map_err(|e| match e {
            FrameError::MessageTooLarge { .. } => early_message(),
            other => other.into(),
        })?;
        let Some(frame) = frame else {
            return Ok((used, None));
        };
        let DecodedFrame::Command(body) = frame else {
            return Err(early_message());
        };
        let (name, data) = split_handshake_command(&body)?;
        let ours = self.our_metadata();
        let progress = self.mechanism.on_command(name, data, &mut self.owed, &ours)?;
        let event = self.progress(progress, now)?;
        Ok((used, event))
    }

    /// The ZAP handler's verdict on the request of [`Event::Authenticate`] (or that no
    /// handler is bound): the handshake goes on, completes (the event), or fails.
    pub fn authenticated(&mut self, verdict: Verdict, now: Instant) -> Result<Option<Event>, ProtocolError> {
        let ours = self.our_metadata();
        let progress = self.mechanism.on_verdict(verdict, &mut self.owed, &ours)?;
        self.progress(progress, now)
    }

    /// What a mechanism step means for the connection.
    fn progress(&mut self, progress: Progress, now: Instant) -> Result<Option<Event>, ProtocolError> {
        match progress {
            Progress::Continue => Ok(None),
            Progress::Authenticate(request) => Ok(Some(Event::Authenticate(request))),
            Progress::Ready {
                metadata,
                zap,
                cipher,
            } => {
                let peer = self.check_peer(metadata, zap)?;
                self.cipher = cipher;
                self.decoder.set_max_msg_size(self.config.max_msg_size);
                self.phase = Phase::Traffic;
                self.handshake_deadline = None;
                self.next_ping = self.config.heartbeat_interval.map(|ivl| now + ivl);
                Ok(Some(Event::Ready(peer)))
            }
        }
    }

    fn check_peer(&mut self, metadata: Metadata, zap: Accepted) -> Result<PeerInfo, ProtocolError> {
        let ours = self.config.socket_type;
        let Some(raw_type) = metadata.get("Socket-Type") else {
            return Err(ProtocolError::Malformed("READY without a Socket-Type".into()));
        };
        let theirs = String::from_utf8_lossy(raw_type).into_owned();
        let socket_type = SocketType::from_name(raw_type)
            .filter(|t| ours.is_compatible_with(*t))
            .ok_or_else(|| {
                // RFC 37: answer an invalid socket type with ERROR, then disconnect.
                self.owed.error(b"Invalid socket type");
                ProtocolError::IncompatibleSocketType {
                    ours,
                    theirs: theirs.clone(),
                }
            })?;
        let routing_id = metadata.get("Identity").cloned();
        if routing_id.as_ref().is_some_and(|id| id.len() > MAX_IDENTITY_LEN) {
            return Err(ProtocolError::Malformed(
                "an Identity longer than 255 octets (RFC 23/37)".into(),
            ));
        }
        Ok(PeerInfo {
            socket_type,
            routing_id,
            version: self.peer_version,
            metadata,
            user_id: zap.user_id,
            zap_metadata: zap.metadata,
        })
    }

    fn decode_traffic(
        &mut self,
        input: &[u8],
        now: Instant,
    ) -> Result<(usize, Option<Event>), ProtocolError> {
        let mut used = 0;
        loop {
            let (n, frame) = self.next_traffic_frame(&input[used..])?;
            used += n;
            let Some(frame) = frame else {
                return Ok((used, None));
            };
            match frame {
                DecodedFrame::Message(msg) => return Ok((used, Some(Event::Message(msg)))),
                DecodedFrame::Command(body) => {
                    if let Some(event) = self.on_command(&body, now)? {
                        return Ok((used, Some(event)));
                    }
                    if used == input.len() {
                        return Ok((used, None));
                    }
                }
            }
        }
    }

    /// The next frame of the traffic. After a CURVE handshake each frame is a boxed
    /// MESSAGE, opened straight from the receive buffer when it is whole there (no copy of
    /// the box), else once the decoder has gathered it.
    fn next_traffic_frame(&mut self, input: &[u8]) -> Result<(usize, Option<DecodedFrame>), ProtocolError> {
        let Some(cipher) = &mut self.cipher else {
            return Ok(self.decoder.decode(input)?);
        };
        if let Some(whole) = self.decoder.whole_frame(input)? {
            return Ok((whole.len, Some(cipher.open(whole.body)?.into())));
        }
        let (n, frame) = self.decoder.decode(input)?;
        let opened = match frame {
            None => None,
            Some(DecodedFrame::Message(boxed)) => Some(cipher.open(&boxed)?.into()),
            Some(DecodedFrame::Command(boxed)) => Some(cipher.open(&boxed)?.into()),
        };
        Ok((n, opened))
    }

    fn on_command(&mut self, body: &Bytes, now: Instant) -> Result<Option<Event>, ProtocolError> {
        match Command::parse(body).map_err(|e| ProtocolError::Malformed(e.into()))? {
            Command::Ping {
                ttl_deciseconds,
                context,
            } => {
                if ttl_deciseconds > 0 && self.ttl_deadline.is_none() {
                    self.ttl_deadline = Some(now + Duration::from_millis(u64::from(ttl_deciseconds) * 100));
                }
                // One PONG owed at most, for the latest PING (a flood is owed one).
                self.owed.pong(context);
                Ok(None)
            }
            Command::Pong { .. } => Ok(None),
            // A JOIN is a subscription to one exact group, a LEAVE its cancellation: the
            // socket above tells them apart by its type (RADIO).
            Command::Subscribe(topic) | Command::Join(topic) => {
                Ok(Some(Event::Subscribe(Bytes::copy_from_slice(topic))))
            }
            Command::Cancel(topic) | Command::Leave(topic) => {
                Ok(Some(Event::Cancel(Bytes::copy_from_slice(topic))))
            }
            Command::Error(reason) => Err(ProtocolError::PeerError(reason)),
            // Unknown commands (and a stray READY) are ignored, as libzmq does.
            Command::Ready(_) | Command::Unknown(_) => Ok(None),
        }
    }

    /// The earliest time [`on_timeout`](Self::on_timeout) has something to do.
    pub fn next_timeout(&self) -> Option<Instant> {
        [
            self.handshake_deadline,
            self.next_ping,
            self.ping_deadline,
            self.ttl_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advances the timers to `now`: may queue a PING, or fail on a handshake or heartbeat
    /// timeout.
    pub fn on_timeout(&mut self, now: Instant) -> Result<(), ProtocolError> {
        if self.handshake_deadline.is_some_and(|d| d <= now) {
            return Err(ProtocolError::HandshakeTimeout);
        }
        if self.ping_deadline.is_some_and(|d| d <= now) || self.ttl_deadline.is_some_and(|d| d <= now) {
            return Err(ProtocolError::HeartbeatTimeout);
        }
        if let (Some(at), Some(ivl)) = (self.next_ping, self.config.heartbeat_interval) {
            if at <= now {
                self.next_ping = Some(now + ivl);
                // ZMTP 3.0 peers do not know PING; heartbeats are a 3.1 feature.
                if self.peer_version >= (3, 1) {
                    let ttl = self
                        .config
                        .heartbeat_ttl
                        .map_or(0, |t| (t.as_millis() / 100).min(u128::from(u16::MAX)) as u16);
                    self.owed.ping(ttl);
                    if self.ping_deadline.is_none() {
                        let timeout = self.config.heartbeat_timeout.unwrap_or(ivl);
                        self.ping_deadline = Some(now + timeout);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::mechanism::{AuthRequest, Security, Verdict};
    use super::super::test_support::{accept, control, feed, pump};
    use super::*;
    use crate::zmtp::greeting::GREETING_LEN;

    fn config(t: SocketType) -> Arc<ZmtpConfig> {
        Arc::new(ZmtpConfig::new(t))
    }

    /// Runs two connections against each other until both are ready.
    fn pair(a_type: SocketType, b_type: SocketType) -> (Connection, Connection, Instant) {
        let now = Instant::now();
        let mut a = Connection::new(config(a_type), now);
        let mut b = Connection::new(config(b_type), now);
        for _ in 0..3 {
            let to_b = control(&mut a);
            let to_a = control(&mut b);
            feed(&mut b, &to_b, now).unwrap();
            feed(&mut a, &to_a, now).unwrap();
        }
        assert!(a.is_ready() && b.is_ready());
        (a, b, now)
    }

    #[test]
    fn handshake_sends_greeting_then_ready_with_socket_type_and_identity() {
        let now = Instant::now();
        let mut cfg = ZmtpConfig::new(SocketType::Req);
        cfg.routing_id = Bytes::from_static(b"me");
        let mut c = Connection::new(Arc::new(cfg), now);
        let out = control(&mut c);
        assert_eq!(out, our_greeting("NULL", false));
        // Nothing more until the peer's greeting is in.
        feed(&mut c, &our_greeting("NULL", false)[..40], now).unwrap();
        assert!(!c.has_control());
        feed(&mut c, &our_greeting("NULL", false)[40..], now).unwrap();
        let ready = control(&mut c);
        let mut expected = vec![0x04, 0, 5];
        expected.extend_from_slice(b"READY\x0bSocket-Type\0\0\0\x03REQ\x08Identity\0\0\0\x02me");
        expected[1] = (expected.len() - 2) as u8;
        assert_eq!(ready, expected);
    }

    #[test]
    fn two_connections_complete_the_handshake_and_exchange_messages() {
        let (mut a, mut b, now) = pair(SocketType::Push, SocketType::Pull);
        let mut batch = WriteBatch::new();
        a.encode_message(&Msg::from("one").with_more(true), &mut batch);
        a.encode_message(&Msg::from("two"), &mut batch);
        let events = feed(&mut b, &batch.to_vec(), now).unwrap();
        assert_eq!(
            events,
            vec![
                Event::Message(Msg::from("one").with_more(true)),
                Event::Message(Msg::from("two")),
            ]
        );
    }

    #[test]
    fn ready_reports_the_peer() {
        let now = Instant::now();
        let mut a = Connection::new(config(SocketType::Rep), now);
        let mut peer_cfg = ZmtpConfig::new(SocketType::Req);
        peer_cfg.routing_id = Bytes::from_static(b"client-7");
        let mut b = Connection::new(Arc::new(peer_cfg), now);
        let to_b = control(&mut a);
        feed(&mut b, &to_b, now).unwrap();
        let to_a = control(&mut b);
        let events = feed(&mut a, &to_a, now).unwrap();
        match &events[..] {
            [Event::Ready(peer)] => {
                assert_eq!(peer.socket_type, SocketType::Req);
                assert_eq!(peer.routing_id.as_deref(), Some(&b"client-7"[..]));
                assert_eq!(peer.version, (3, 1));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn incompatible_socket_types_get_an_error_command_and_fail() {
        let now = Instant::now();
        let mut a = Connection::new(config(SocketType::Push), now);
        let mut b = Connection::new(config(SocketType::Push), now);
        let to_b = control(&mut a);
        feed(&mut b, &to_b, now).unwrap();
        let to_a = control(&mut b);
        let err = feed(&mut a, &to_a, now).unwrap_err();
        assert_eq!(
            err,
            ProtocolError::IncompatibleSocketType {
                ours: SocketType::Push,
                theirs: "PUSH".into()
            }
        );
        let out = control(&mut a);
        assert!(out.windows(19).any(|w| w == b"Invalid socket type"), "ERROR sent");
    }

    #[test]
    fn mechanism_mismatch_and_early_messages_fail() {
        let now = Instant::now();
        let mut c = Connection::new(config(SocketType::Pull), now);
        let mut g = our_greeting("PLAIN", false);
        g[32] = 0;
        assert!(matches!(
            feed(&mut c, &g, now),
            Err(ProtocolError::MechanismMismatch { .. })
        ));
        let mut c = Connection::new(config(SocketType::Pull), now);
        let mut input = our_greeting("NULL", false).to_vec();
        input.extend_from_slice(&[0x00, 1, b'x']);
        assert!(matches!(
            feed(&mut c, &input, now),
            Err(ProtocolError::Malformed(_))
        ));
    }

    #[test]
    fn zmtp_3_0_peers_are_accepted() {
        let now = Instant::now();
        let mut c = Connection::new(config(SocketType::Pull), now);
        let mut g = our_greeting("NULL", false);
        g[11] = 0;
        feed(&mut c, &g, now).unwrap();
        assert_eq!(c.peer_version(), (3, 0));
        assert_eq!(GREETING_LEN, 64);
    }

    #[test]
    fn ping_is_answered_with_pong_echoing_the_context() {
        let (_a, mut b, now) = pair(SocketType::Pair, SocketType::Pair);
        let mut ping = Vec::new();
        encode_command("PING", &[0, 0, b'h', b'b'], &mut ping);
        assert!(feed(&mut b, &ping, now).unwrap().is_empty());
        let mut pong = Vec::new();
        encode_command("PONG", b"hb", &mut pong);
        assert_eq!(control(&mut b), pong);
    }

    #[test]
    fn heartbeats_ping_on_interval_and_time_out_on_silence() {
        let now = Instant::now();
        let mut cfg = ZmtpConfig::new(SocketType::Pair);
        cfg.heartbeat_interval = Some(Duration::from_millis(100));
        cfg.heartbeat_ttl = Some(Duration::from_millis(2500));
        cfg.heartbeat_timeout = Some(Duration::from_millis(300));
        let mut a = Connection::new(Arc::new(cfg), now);
        let mut b = Connection::new(config(SocketType::Pair), now);
        for _ in 0..3 {
            let to_b = control(&mut a);
            let to_a = control(&mut b);
            feed(&mut b, &to_b, now).unwrap();
            feed(&mut a, &to_a, now).unwrap();
        }
        assert_eq!(a.next_timeout(), Some(now + Duration::from_millis(100)));
        let t1 = now + Duration::from_millis(100);
        a.on_timeout(t1).unwrap();
        let mut ping = Vec::new();
        encode_command("PING", &25u16.to_be_bytes(), &mut ping);
        assert_eq!(control(&mut a), ping, "TTL sent in deciseconds");
        // b answers; any traffic clears the timeout.
        feed(&mut b, &ping, t1).unwrap();
        let pong = control(&mut b);
        feed(&mut a, &pong, t1 + Duration::from_millis(10)).unwrap();
        a.on_timeout(t1 + Duration::from_millis(350)).unwrap();
        // Silence after the next PING: timeout 300 ms after it.
        let t2 = t1 + Duration::from_millis(350);
        control(&mut a);
        assert_eq!(
            a.on_timeout(t2 + Duration::from_millis(300)),
            Err(ProtocolError::HeartbeatTimeout)
        );
        // The receiver of a PING with a TTL drops the connection after that much silence.
        assert_eq!(
            b.on_timeout(t1 + Duration::from_millis(2500)),
            Err(ProtocolError::HeartbeatTimeout)
        );
    }

    #[test]
    fn subscriptions_are_commands_for_zmtp_3_1_peers_and_messages_for_3_0() {
        let (mut sub, mut publisher, now) = pair(SocketType::Sub, SocketType::Pub);
        let mut batch = WriteBatch::new();
        sub.encode_message(&Msg::subscription(true, b"ab"), &mut batch);
        sub.encode_message(&Msg::subscription(false, b""), &mut batch);
        // RFC 37: a SUBSCRIBE command with the topic as data, a CANCEL with an empty one.
        let mut expected = vec![0x04, 12, 9];
        expected.extend_from_slice(b"SUBSCRIBEab");
        expected.extend_from_slice(&[0x04, 7, 6]);
        expected.extend_from_slice(b"CANCEL");
        assert_eq!(batch.to_vec(), expected);
        let events = feed(&mut publisher, &expected, now).unwrap();
        assert_eq!(
            events,
            vec![
                Event::Subscribe(Bytes::from_static(b"ab")),
                Event::Cancel(Bytes::new())
            ]
        );

        // A 3.0 peer gets the message form.
        let mut old_peer = Connection::new(config(SocketType::Sub), now);
        let mut g = our_greeting("NULL", false);
        g[11] = 0;
        feed(&mut old_peer, &g, now).unwrap();
        let mut ready = Vec::new();
        let mut metadata = Metadata::new();
        metadata.push("Socket-Type", Bytes::from_static(b"PUB"));
        let mut data = Vec::new();
        metadata.encode(&mut data);
        encode_command("READY", &data, &mut ready);
        feed(&mut old_peer, &ready, now).unwrap();
        assert!(old_peer.is_ready());
        let mut batch = WriteBatch::new();
        old_peer.encode_message(&Msg::subscription(true, b"ab"), &mut batch);
        assert_eq!(batch.to_vec(), [0x00, 3, 1, b'a', b'b']);
    }

    #[test]
    fn dish_joins_and_leaves_with_join_and_leave_commands() {
        let (mut dish, mut radio, now) = pair(SocketType::Dish, SocketType::Radio);
        let mut batch = WriteBatch::new();
        dish.encode_message(&Msg::subscription(true, b"g"), &mut batch);
        dish.encode_message(&Msg::subscription(false, b"g"), &mut batch);
        let mut expected = vec![0x04, 6, 4];
        expected.extend_from_slice(b"JOINg");
        expected.extend_from_slice(&[0x04, 7, 5]);
        expected.extend_from_slice(b"LEAVEg");
        assert_eq!(batch.to_vec(), expected);
        let events = feed(&mut radio, &expected, now).unwrap();
        assert_eq!(
            events,
            vec![
                Event::Subscribe(Bytes::from_static(b"g")),
                Event::Cancel(Bytes::from_static(b"g"))
            ]
        );
        // A group with a zero octet breaks RFC 37's grammar: the connection fails.
        let mut bad = Vec::new();
        encode_command("JOIN", b"a\0b", &mut bad);
        assert!(matches!(
            feed(&mut radio, &bad, now),
            Err(ProtocolError::Malformed(_))
        ));
    }

    #[test]
    fn handshake_times_out() {
        let now = Instant::now();
        let mut c = Connection::new(config(SocketType::Pull), now);
        assert_eq!(c.next_timeout(), Some(now + Duration::from_secs(30)));
        assert_eq!(
            c.on_timeout(now + Duration::from_secs(30)),
            Err(ProtocolError::HandshakeTimeout)
        );
    }

    #[test]
    fn a_ping_flood_is_owed_one_pong_and_holds_a_bounded_buffer() {
        let (_a, mut b, now) = pair(SocketType::Pull, SocketType::Push);
        let mut flood = Vec::new();
        for i in 0..50_000u32 {
            let mut data = vec![0, 0];
            data.extend_from_slice(&i.to_be_bytes());
            encode_command("PING", &data, &mut flood);
        }
        // Fed in pieces, as receives arrive, without the driver ever taking the PONGs.
        for piece in flood.chunks(4096) {
            feed(&mut b, piece, now).unwrap();
            assert!(b.buffered_octets() <= Owed::MAX_OCTETS + MAX_COMMAND_SIZE as usize);
        }
        assert!(b.buffered_octets() <= Owed::MAX_OCTETS);
        let mut pong = Vec::new();
        encode_command("PONG", &49_999u32.to_be_bytes(), &mut pong);
        assert_eq!(control(&mut b), pong);
    }

    #[test]
    fn commands_above_the_cap_are_refused_from_their_header_in_handshake_and_traffic() {
        let now = Instant::now();
        let mut header = vec![0x06];
        header.extend_from_slice(&(MAX_COMMAND_SIZE + 1).to_be_bytes());
        // A READY of 200 000 properties is far above the cap: refused before any is read.
        let mut c = Connection::new(config(SocketType::Pull), now);
        let mut input = our_greeting("NULL", false).to_vec();
        input.extend_from_slice(&header);
        assert!(feed(&mut c, &input, now).is_err());
        assert_eq!(c.buffered_octets(), c.owed.len());
        // After the handshake, a 100 MiB command is refused the same way, MAXMSGSIZE or not.
        let (_a, mut b, now) = pair(SocketType::Pull, SocketType::Push);
        let mut big = vec![0x06];
        big.extend_from_slice(&(100u64 << 20).to_be_bytes());
        assert!(feed(&mut b, &big, now).is_err());
        // At the cap, a command is read (and an unknown one ignored).
        let (_a, mut b, now) = pair(SocketType::Pull, SocketType::Push);
        let mut at_cap = Vec::new();
        encode_command("X-PAD", &vec![0; MAX_COMMAND_SIZE as usize - 6], &mut at_cap);
        assert!(feed(&mut b, &at_cap, now).unwrap().is_empty());
    }

    #[test]
    fn a_message_frame_in_the_handshake_is_refused_from_its_header() {
        // A peer announcing a 100 MiB message before READY is refused at once: nothing of
        // it is held (it used to reserve up to 8 MiB ahead of its bytes).
        let now = Instant::now();
        let mut c = Connection::new(config(SocketType::Pull), now);
        let mut input = our_greeting("NULL", false).to_vec();
        input.push(0x02);
        input.extend_from_slice(&(100u64 << 20).to_be_bytes());
        input.extend_from_slice(&[0; 1000]);
        assert_eq!(feed(&mut c, &input, now), Err(early_message()));
        assert_eq!(c.buffered_octets(), c.owed.len());
        // After the handshake MAXMSGSIZE is the socket's again (unlimited here).
        let (mut a, mut b, now) = pair(SocketType::Push, SocketType::Pull);
        let mut batch = WriteBatch::new();
        a.encode_message(&Msg::from(vec![1u8; 100_000]), &mut batch);
        assert!(
            matches!(&feed(&mut b, &batch.to_vec(), now).unwrap()[..], [Event::Message(m)] if m.len() == 100_000)
        );
    }

    #[test]
    fn an_identity_longer_than_255_octets_is_refused() {
        let now = Instant::now();
        let ready_with_identity = |len: usize| {
            let mut metadata = Metadata::new();
            metadata.push("Socket-Type", Bytes::from_static(b"DEALER"));
            metadata.push("Identity", vec![b'i'; len]);
            let mut data = Vec::new();
            metadata.encode(&mut data);
            let mut input = our_greeting("NULL", false).to_vec();
            encode_command("READY", &data, &mut input);
            input
        };
        let mut c = Connection::new(config(SocketType::Router), now);
        let events = feed(&mut c, &ready_with_identity(255), now).unwrap();
        assert!(matches!(&events[..], [Event::Ready(p)] if p.routing_id.as_ref().unwrap().len() == 255));
        let mut c = Connection::new(config(SocketType::Router), now);
        assert!(matches!(
            feed(&mut c, &ready_with_identity(300), now),
            Err(ProtocolError::Malformed(_))
        ));
    }

    #[test]
    fn a_subscription_too_long_for_a_command_travels_as_a_message() {
        let (mut sub, mut publisher, now) = pair(SocketType::Sub, SocketType::Pub);
        let longest = vec![b't'; MAX_COMMAND_SIZE as usize - 10];
        let too_long = vec![b't'; MAX_COMMAND_SIZE as usize - 9];
        let mut batch = WriteBatch::new();
        sub.encode_message(&Msg::subscription(true, &longest), &mut batch);
        sub.encode_message(&Msg::subscription(true, &too_long), &mut batch);
        let wire = batch.to_vec();
        assert_eq!(wire[0], 0x06, "a SUBSCRIBE command");
        let events = feed(&mut publisher, &wire, now).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0], Event::Subscribe(Bytes::from(longest)));
        match &events[1] {
            Event::Message(m) => assert!(m.len() == too_long.len() + 1 && m[0] == 1),
            other => panic!("{other:?}"),
        }
    }

    fn plain_client(user: &str, password: &str) -> ZmtpConfig {
        let mut cfg = ZmtpConfig::new(SocketType::Push);
        cfg.security = Security::PlainClient {
            username: Bytes::copy_from_slice(user.as_bytes()),
            password: crate::security::Secret::new(password.as_bytes()),
        };
        cfg
    }

    fn plain_server() -> ZmtpConfig {
        let mut cfg = ZmtpConfig::new(SocketType::Pull);
        cfg.security = Security::PlainServer;
        cfg
    }

    #[test]
    fn plain_hello_welcome_initiate_ready_with_the_zap_verdict() {
        let now = Instant::now();
        let mut client = Connection::new(Arc::new(plain_client("admin", "secret")), now);
        let mut server = Connection::new(Arc::new(plain_server()), now);
        // The greeting says PLAIN, and the server's its as-server bit.
        let greeting = control(&mut client);
        assert_eq!(&greeting[12..17], b"PLAIN");
        assert_eq!(greeting[32], 0);
        let server_greeting = control(&mut server);
        assert_eq!(server_greeting[32], 1);
        feed(&mut server, &greeting, now).unwrap();
        // RFC 24's HELLO: username and password, each after its length.
        let events = feed(&mut client, &server_greeting, now).unwrap();
        assert!(events.is_empty());
        let hello = control(&mut client);
        assert_eq!(hello, [&[0x04, 19][..], b"\x05HELLO\x05admin\x06secret"].concat());
        let mut asked = Vec::new();
        let events = feed(&mut server, &hello, now).unwrap();
        match &events[..] {
            [Event::Authenticate(request)] => asked.push(request.clone()),
            other => panic!("{other:?}"),
        }
        assert_eq!(asked[0].mechanism, "PLAIN");
        assert_eq!(
            asked[0].credentials,
            [Bytes::from_static(b"admin"), Bytes::from_static(b"secret")]
        );
        assert!(
            !format!("{:?}", asked[0]).contains("secret"),
            "credentials never shown"
        );
        assert!(!format!("{:?}", plain_client("admin", "secret")).contains("secret"));
        assert!(
            server
                .authenticated(accept("admin")(&asked[0]), now)
                .unwrap()
                .is_none()
        );
        let [client_side, server_side] = pump(&mut client, &mut server, now, |_| panic!("asked twice"));
        assert!(client_side.1.is_none() && server_side.1.is_none());
        match (&client_side.0[..], &server_side.0[..]) {
            ([Event::Ready(theirs)], [Event::Ready(peer)]) => {
                assert_eq!(theirs.socket_type, SocketType::Pull);
                assert_eq!(peer.socket_type, SocketType::Push);
                assert_eq!(peer.user_id.as_deref(), Some(&b"admin"[..]));
                assert_eq!(peer.zap_metadata.get("X-Role").map(|v| &v[..]), Some(&b"ops"[..]));
                assert!(theirs.user_id.is_none());
            }
            other => panic!("{other:?}"),
        }
        assert!(client.is_ready() && server.is_ready());
    }

    #[test]
    fn a_refusal_is_an_error_with_its_status_and_300_closes_without_one() {
        for status in [300u16, 400, 500] {
            let now = Instant::now();
            let mut client = Connection::new(Arc::new(plain_client("admin", "wrong")), now);
            let mut server = Connection::new(Arc::new(plain_server()), now);
            let refuse = |_: &AuthRequest| Verdict::Reply {
                status,
                user_id: Bytes::new(),
                metadata: Metadata::new(),
            };
            let [client_side, server_side] = pump(&mut client, &mut server, now, refuse);
            assert_eq!(server_side.1, Some(ProtocolError::AuthenticationFailed(status)));
            assert!(server_side.0.is_empty() && client_side.0.is_empty());
            // 400 and 500 reach the client as an ERROR with the status as its reason; a
            // temporary failure (300) gets none: the connection only closes.
            let expected = (status != 300).then(|| ProtocolError::PeerError(status.to_string()));
            assert_eq!(client_side.1, expected);
            assert!(control(&mut server).is_empty(), "nothing after the ERROR");
        }
    }

    #[test]
    fn a_plain_server_without_a_zap_handler_refuses_as_libzmq_does() {
        let now = Instant::now();
        let mut client = Connection::new(Arc::new(plain_client("u", "p")), now);
        let mut server = Connection::new(Arc::new(plain_server()), now);
        let [_, server_side] = pump(&mut client, &mut server, now, |_| Verdict::NoHandler);
        assert_eq!(server_side.1, Some(ProtocolError::NoZapHandler));
    }

    #[test]
    fn null_asks_zap_only_with_a_domain_and_waits_for_it_before_ready() {
        let now = Instant::now();
        let mut cfg = ZmtpConfig::new(SocketType::Pull);
        cfg.zap.domain = Bytes::from_static(b"global");
        let cfg = Arc::new(cfg);
        // The peer's READY comes before the verdict: it waits.
        let mut server = Connection::new(cfg.clone(), now);
        let mut client = Connection::new(config(SocketType::Push), now);
        let greeting = control(&mut client);
        let events = feed(&mut server, &greeting, now).unwrap();
        let request = match &events[..] {
            [Event::Authenticate(r)] => r.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!((request.mechanism, request.credentials.len()), ("NULL", 0));
        assert_eq!(control(&mut server).len(), 64, "the greeting, and no READY yet");
        feed(&mut client, &our_greeting("NULL", false), now).unwrap();
        let ready = control(&mut client);
        assert!(feed(&mut server, &ready, now).unwrap().is_empty());
        match server.authenticated(accept("anonymous")(&request), now).unwrap() {
            Some(Event::Ready(peer)) => assert_eq!(peer.user_id.as_deref(), Some(&b"anonymous"[..])),
            other => panic!("{other:?}"),
        }
        assert_eq!(&control(&mut server)[3..8], b"READY");
        // Without a handler NULL accepts, unless the domain is enforced.
        for (enforce, accepted) in [(false, true), (true, false)] {
            let mut cfg = ZmtpConfig::new(SocketType::Pull);
            cfg.zap.domain = Bytes::from_static(b"global");
            cfg.zap.enforce_domain = enforce;
            let mut server = Connection::new(Arc::new(cfg), now);
            let mut client = Connection::new(config(SocketType::Push), now);
            let [_, server_side] = pump(&mut client, &mut server, now, |_| Verdict::NoHandler);
            assert_eq!(server_side.1.is_none(), accepted, "enforce {enforce}");
            assert_eq!(server.is_ready(), accepted);
        }
        // Without a domain, NULL never asks.
        let (_a, _b, _) = pair(SocketType::Push, SocketType::Pull);
    }

    #[test]
    fn malformed_and_unexpected_plain_commands_fail_the_handshake() {
        let now = Instant::now();
        let mut hello_with_extra = our_greeting("PLAIN", false).to_vec();
        encode_command("HELLO", b"\x01u\x01pX", &mut hello_with_extra);
        let mut cut_hello = our_greeting("PLAIN", false).to_vec();
        encode_command("HELLO", b"\x05us", &mut cut_hello);
        let mut initiate_first = our_greeting("PLAIN", false).to_vec();
        encode_command("INITIATE", b"", &mut initiate_first);
        for input in [hello_with_extra, cut_hello, initiate_first] {
            let mut server = Connection::new(Arc::new(plain_server()), now);
            assert!(matches!(
                feed(&mut server, &input, now),
                Err(ProtocolError::Malformed(_))
            ));
        }
        // A client must not be asked to judge anyone, and a NULL peer cannot talk to PLAIN.
        let mut client = Connection::new(Arc::new(plain_client("u", "p")), now);
        let mut welcome_early = our_greeting("PLAIN", true).to_vec();
        encode_command("READY", b"", &mut welcome_early);
        assert!(feed(&mut client, &welcome_early, now).is_err());
        let mut server = Connection::new(Arc::new(plain_server()), now);
        assert!(matches!(
            feed(&mut server, &our_greeting("NULL", false), now),
            Err(ProtocolError::MechanismMismatch { .. })
        ));
    }
}
