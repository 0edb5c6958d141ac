//! What a connection speaks: ZMTP (every socket type but STREAM), or raw bytes (STREAM, whose
//! peers are plain TCP programs). One interface for the session, so the rest of the data path
//! is the same for both.

use std::sync::Arc;
use std::time::Instant;

use crate::msg::Msg;
use crate::zmtp::{BodyLoan, BodyPool, Connection, Event, ProtocolError, Verdict, WriteBatch, ZmtpConfig};

/// A connection's protocol state.
// One per connection, inside the session: boxing the ZMTP state would only add a pointer
// chase on every frame to save memory in the rare raw case.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Codec {
    /// ZMTP 3.x (see [`crate::zmtp`]).
    Zmtp(Connection),
    /// Raw TCP: received bytes become messages as they come; a message's bytes are sent as they
    /// are, without framing.
    Raw,
}

impl Codec {
    /// The codec for a new connection of a socket configured by `config`; large received
    /// bodies come from `bodies`, its shard's pool.
    pub fn new(config: Arc<ZmtpConfig>, now: Instant, bodies: &BodyPool) -> Self {
        if config.socket_type.is_raw() {
            Codec::Raw
        } else {
            Codec::Zmtp(Connection::with_body_pool(config, now, bodies.clone()))
        }
    }

    /// `true` for raw connections.
    pub fn is_raw(&self) -> bool {
        matches!(self, Codec::Raw)
    }

    /// `true` once messages may flow (at once for raw connections).
    pub fn is_ready(&self) -> bool {
        match self {
            Codec::Zmtp(z) => z.is_ready(),
            Codec::Raw => true,
        }
    }

    /// See [`Connection::saw_traffic`].
    pub fn saw_traffic(&mut self) {
        if let Codec::Zmtp(z) = self {
            z.saw_traffic();
        }
    }

    /// Consumes received octets (see [`Connection::decode`]); a raw connection turns all of
    /// them into one message.
    pub fn decode(&mut self, input: &[u8], now: Instant) -> Result<(usize, Option<Event>), ProtocolError> {
        match self {
            Codec::Zmtp(z) => z.decode(input, now),
            Codec::Raw if input.is_empty() => Ok((0, None)),
            Codec::Raw => Ok((input.len(), Some(Event::Message(Msg::copy_from_slice(input))))),
        }
    }

    /// See [`Connection::decode_messages`]; a raw connection's input goes through `decode`.
    #[inline]
    pub fn decode_messages(
        &mut self,
        input: &[u8],
        deliver: impl FnMut(Msg) -> bool,
    ) -> Result<usize, ProtocolError> {
        match self {
            Codec::Zmtp(z) => z.decode_messages(input, deliver),
            Codec::Raw => Ok(0),
        }
    }

    /// See [`Connection::body_wanted`].
    pub fn body_wanted(&self) -> Option<usize> {
        match self {
            Codec::Zmtp(z) => z.body_wanted(),
            Codec::Raw => None,
        }
    }

    /// See [`Connection::lend_body`]; a raw connection has no frames.
    pub fn lend_body(&mut self, at_least: usize) -> Option<BodyLoan> {
        match self {
            Codec::Zmtp(z) => z.lend_body(at_least),
            Codec::Raw => None,
        }
    }

    /// See [`Connection::return_body`].
    pub fn return_body(&mut self, body: Vec<u8>) {
        if let Codec::Zmtp(z) = self {
            z.return_body(body);
        }
    }

    /// See [`Connection::watches_for_silence`].
    pub fn watches_for_silence(&self) -> bool {
        match self {
            Codec::Zmtp(z) => z.watches_for_silence(),
            Codec::Raw => false,
        }
    }

    /// See [`Connection::has_whole_frame`].
    pub fn has_whole_frame(&self) -> bool {
        match self {
            Codec::Zmtp(z) => z.has_whole_frame(),
            Codec::Raw => false,
        }
    }

    /// See [`Connection::authenticated`]; a raw connection has no handshake to go on.
    pub fn authenticated(&mut self, verdict: Verdict, now: Instant) -> Result<Option<Event>, ProtocolError> {
        match self {
            Codec::Zmtp(z) => z.authenticated(verdict, now),
            Codec::Raw => Ok(None),
        }
    }

    /// `true` if there are control bytes to send.
    pub fn has_control(&self) -> bool {
        match self {
            Codec::Zmtp(z) => z.has_control(),
            Codec::Raw => false,
        }
    }

    /// See [`Connection::owes_error`].
    pub fn owes_error(&self) -> bool {
        match self {
            Codec::Zmtp(z) => z.owes_error(),
            Codec::Raw => false,
        }
    }

    /// Octets the protocol state holds (see [`Connection::buffered_octets`]).
    pub fn buffered_octets(&self) -> usize {
        match self {
            Codec::Zmtp(z) => z.buffered_octets(),
            Codec::Raw => 0,
        }
    }

    /// Moves pending control bytes into `batch`.
    pub fn take_control(&mut self, batch: &mut WriteBatch) {
        if let Codec::Zmtp(z) = self {
            z.take_control(batch);
        }
    }

    /// Frames one message frame into `batch` (raw: its bytes only).
    #[inline]
    pub fn encode_message(&mut self, msg: &Msg, batch: &mut WriteBatch) {
        match self {
            Codec::Zmtp(z) => z.encode_message(msg, batch),
            Codec::Raw => match msg.shared_bytes() {
                Some(body) => batch.push_shared(body.clone()),
                None => batch.push_copy(msg),
            },
        }
    }

    /// See [`Connection::next_timeout`].
    pub fn next_timeout(&self) -> Option<Instant> {
        match self {
            Codec::Zmtp(z) => z.next_timeout(),
            Codec::Raw => None,
        }
    }

    /// See [`Connection::on_timeout`].
    pub fn on_timeout(&mut self, now: Instant) -> Result<(), ProtocolError> {
        match self {
            Codec::Zmtp(z) => z.on_timeout(now),
            Codec::Raw => Ok(()),
        }
    }
}
