//! CURVE's traffic after the handshake (RFC 26's MESSAGE, as libzmq frames it): every
//! frame, message or command, travels boxed with the connection's shared key as
//! `\x07MESSAGE`, an 8-octet short nonce, the authenticator, and the box of one flags octet
//! (MORE 0x01, COMMAND 0x02) then the frame's body. libzmq sends it as a message frame
//! without MORE (the MORE that counts is inside the box); a command frame holding a
//! MESSAGE is read as well.
//!
//! Short nonces are strictly increasing on each side: ours count up from where the
//! handshake left them, and a peer's nonce not above the last one closes the connection
//! (a replayed or reordered MESSAGE).

use bytes::Bytes;

use super::super::super::ProtocolError;
use super::super::super::batch::WriteBatch;
use super::super::super::frame::{DecodedFrame, encode_frame_header};
use super::super::super::limits::MAX_COMMAND_SIZE;
use super::{message_nonce, short_nonce_after};
use crate::msg::{INLINE_CAPACITY, Msg};
use crate::security::nacl::{MAC_LEN, SharedKey};

/// The MESSAGE command's name with its size octet.
const MESSAGE: &[u8; 8] = b"\x07MESSAGE";
/// Name, short nonce and authenticator: what precedes the boxed flags.
const HEADER_LEN: usize = MESSAGE.len() + 8 + MAC_LEN;
/// Inside the box: another frame of the message follows.
const INNER_MORE: u8 = 0x01;
/// Inside the box: the frame is a command.
const INNER_COMMAND: u8 = 0x02;
/// Boxes up to this size are built in the write batch's own buffer; larger ones get a
/// buffer of their own, handed to the kernel by reference.
const BATCH_COPY_LIMIT: usize = 16 * 1024;

/// Which way a MESSAGE travels: its nonce prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::zmtp) enum Direction {
    /// `CurveZMQMESSAGEC`.
    FromClient,
    /// `CurveZMQMESSAGES`.
    FromServer,
}

impl Direction {
    fn prefix(self) -> &'static [u8; 16] {
        match self {
            Direction::FromClient => b"CurveZMQMESSAGEC",
            Direction::FromServer => b"CurveZMQMESSAGES",
        }
    }
}

/// What one MESSAGE held.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::zmtp) enum Opened {
    /// A message frame (MORE set on the `Msg` as the box said).
    Message(Msg),
    /// A command frame's body (its name size, name and data).
    Command(Bytes),
}

/// The boxing of one connection's traffic.
#[derive(Debug)]
pub(in crate::zmtp) struct MessageCipher {
    key: SharedKey,
    outgoing: Direction,
    /// The short nonce of our next MESSAGE.
    next_nonce: u64,
    /// The peer's last short nonce (its READY's or INITIATE's).
    peer_nonce: u64,
}

impl MessageCipher {
    pub(super) fn new(key: SharedKey, outgoing: Direction, next_nonce: u64, peer_nonce: u64) -> Self {
        Self {
            key,
            outgoing,
            next_nonce,
            peer_nonce,
        }
    }

    fn incoming(&self) -> Direction {
        match self.outgoing {
            Direction::FromClient => Direction::FromServer,
            Direction::FromServer => Direction::FromClient,
        }
    }

    /// Boxes a message frame into `batch`.
    pub(in crate::zmtp) fn seal_message(&mut self, msg: &Msg, batch: &mut WriteBatch) {
        let flags = if msg.more() { INNER_MORE } else { 0 };
        self.seal(flags, &[], msg.as_bytes(), batch);
    }

    /// Boxes a command (its name and data) into `batch`.
    pub(in crate::zmtp) fn seal_command(&mut self, name: &str, data: &[u8], batch: &mut WriteBatch) {
        self.seal(
            INNER_COMMAND,
            &[&[name.len() as u8][..], name.as_bytes()].concat(),
            data,
            batch,
        );
    }

    fn seal(&mut self, flags: u8, head: &[u8], body: &[u8], batch: &mut WriteBatch) {
        let nonce = self.next_nonce;
        // 2^64 frames at ten million a second is 58 000 years; a nonce must never repeat.
        self.next_nonce = nonce.checked_add(1).expect("CURVE short nonces exhausted");
        let plaintext_len = 1 + head.len() + body.len();
        let frame_len = HEADER_LEN + plaintext_len;
        let mut header = [0u8; 9];
        let header_len = encode_frame_header(0, frame_len, &mut header);
        let fill = |frame: &mut [u8]| {
            let (fixed, plaintext) = frame.split_at_mut(HEADER_LEN);
            plaintext[0] = flags;
            plaintext[1..1 + head.len()].copy_from_slice(head);
            plaintext[1 + head.len()..].copy_from_slice(body);
            let mac = self
                .key
                .seal_in_place(&message_nonce(self.outgoing.prefix(), nonce), plaintext);
            fixed[..8].copy_from_slice(MESSAGE);
            fixed[8..16].copy_from_slice(&nonce.to_be_bytes());
            fixed[16..].copy_from_slice(&mac);
        };
        if frame_len <= BATCH_COPY_LIMIT {
            batch.push_with(header_len + frame_len, |out| {
                out[..header_len].copy_from_slice(&header[..header_len]);
                fill(&mut out[header_len..]);
            });
        } else {
            let mut frame = vec![0u8; frame_len];
            fill(&mut frame);
            batch.push_copy(&header[..header_len]);
            batch.push_shared(Bytes::from(frame));
        }
    }

    /// Opens one MESSAGE frame's body.
    pub(in crate::zmtp) fn open(&mut self, frame: &[u8]) -> Result<Opened, ProtocolError> {
        if !frame.starts_with(MESSAGE) {
            return Err(ProtocolError::Malformed(
                "an unboxed frame after the CURVE handshake".into(),
            ));
        }
        if frame.len() < HEADER_LEN + 1 {
            return Err(ProtocolError::Malformed(
                "a MESSAGE too short to hold a box".into(),
            ));
        }
        let nonce = short_nonce_after(&frame[8..16], self.peer_nonce)?;
        let mac: &[u8; MAC_LEN] = frame[16..HEADER_LEN].try_into().expect("16 octets");
        let ciphertext = &frame[HEADER_LEN..];
        let nonce_bytes = message_nonce(self.incoming().prefix(), nonce);
        let opened = if ciphertext.len() <= 1 + INLINE_CAPACITY {
            let mut plaintext = [0u8; 1 + INLINE_CAPACITY];
            let plaintext = &mut plaintext[..ciphertext.len()];
            self.key
                .open_into(&nonce_bytes, ciphertext, mac, plaintext)
                .map_err(|_| cryptographic())?;
            let (flags, body) = (plaintext[0], &plaintext[1..]);
            if flags & INNER_COMMAND != 0 {
                Opened::Command(Bytes::copy_from_slice(body))
            } else {
                Opened::Message(Msg::copy_from_slice(body).with_more(flags & INNER_MORE != 0))
            }
        } else {
            let mut plaintext = vec![0u8; ciphertext.len()];
            self.key
                .open_into(&nonce_bytes, ciphertext, mac, &mut plaintext)
                .map_err(|_| cryptographic())?;
            let flags = plaintext[0];
            inner(flags, Bytes::from(plaintext).slice(1..))?
        };
        // Only an authentic MESSAGE moves the peer's nonce on.
        self.peer_nonce = nonce;
        Ok(opened)
    }
}

impl From<Opened> for DecodedFrame {
    fn from(opened: Opened) -> Self {
        match opened {
            Opened::Message(msg) => DecodedFrame::Message(msg),
            Opened::Command(body) => DecodedFrame::Command(body),
        }
    }
}

fn inner(flags: u8, body: Bytes) -> Result<Opened, ProtocolError> {
    if flags & INNER_COMMAND != 0 {
        if body.len() as u64 > MAX_COMMAND_SIZE {
            return Err(ProtocolError::Malformed(format!(
                "a boxed command of {} octets (at most {MAX_COMMAND_SIZE})",
                body.len()
            )));
        }
        return Ok(Opened::Command(body));
    }
    Ok(Opened::Message(
        Msg::from(body).with_more(flags & INNER_MORE != 0),
    ))
}

fn cryptographic() -> ProtocolError {
    ProtocolError::Cryptographic("a MESSAGE box did not open")
}
