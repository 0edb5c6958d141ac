//! Frame headers and the incremental frame decoder.

use bytes::Bytes;

use super::body_pool::{BodyPool, POOLED_MIN};

use super::{FLAG_COMMAND, FLAG_LONG, FLAG_MORE};
use crate::msg::{INLINE_CAPACITY, Msg};

/// Writes the flags and size of a frame carrying `len` body octets; returns the header
/// length (2 for a short frame, 9 for a long one). `flags` must not contain `FLAG_LONG`.
#[inline]
pub fn encode_frame_header(flags: u8, len: usize, out: &mut [u8; 9]) -> usize {
    if len <= 255 {
        out[0] = flags;
        out[1] = len as u8;
        2
    } else {
        out[0] = flags | FLAG_LONG;
        out[1..9].copy_from_slice(&(len as u64).to_be_bytes());
        9
    }
}

/// A decoded frame.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodedFrame {
    /// A message frame (the MORE flag is on the `Msg`).
    Message(Msg),
    /// A command frame's body.
    Command(Bytes),
}

/// A frame found whole in the input by [`FrameDecoder::whole_frame`].
#[derive(Debug, PartialEq, Eq)]
pub struct WholeFrame<'a> {
    /// The flags octet.
    pub flags: u8,
    /// The body, where it lies in the input.
    pub body: &'a [u8],
    /// The octets of input it spans, header included.
    pub len: usize,
}

/// Why a frame was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Reserved flag bits (7-3) are set.
    ReservedFlags(u8),
    /// A command frame has the MORE flag.
    CommandWithMore,
    /// A long size with its top bit set (beyond 2^63-1).
    SizeOverflow,
    /// A message frame larger than MAXMSGSIZE.
    MessageTooLarge {
        /// The frame's size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A command frame larger than the command limit.
    CommandTooLarge {
        /// The frame's size.
        size: u64,
        /// The limit.
        max: u64,
    },
}

enum State {
    /// Collecting flags (+ size) octets.
    Header { buf: [u8; 9], have: usize },
    /// Collecting `remaining` body octets into `body`. With `remaining` at 0 the frame is
    /// whole and the next `decode` returns it (a body received in place, see
    /// [`FrameDecoder::lend_body`]).
    Body {
        flags: u8,
        remaining: usize,
        body: Vec<u8>,
    },
    /// A message body lent to the driver, which receives its next octets straight into it.
    Lent {
        flags: u8,
        remaining: usize,
        /// The body's length when it was lent.
        held: usize,
        capacity: usize,
    },
}

/// The body of a large message frame, lent to the driver to receive its next octets
/// straight into (no copy out of a receive buffer), then given back with
/// [`FrameDecoder::return_body`].
#[derive(Debug)]
pub struct BodyLoan {
    /// The frame's octets so far; the driver appends at most [`want`](Self::want) more,
    /// within its spare capacity (at least one octet of it is free).
    pub body: Vec<u8>,
    /// Octets the frame still has: the most the driver may append.
    pub want: usize,
}

/// Smallest growth of a lent body that is full (a size above the up-front reserve): the
/// buffer grows as octets arrive, never by what the peer only announced.
const LENT_GROWTH_MIN: usize = 64 << 10;

/// Turns a byte stream into frames, a frame at a time, across arbitrary splits.
///
/// Frames that arrive whole in one input slice are decoded without intermediate buffering
/// (small bodies go inline into the `Msg`); a frame split across inputs is assembled in its
/// own buffer, which for large frames becomes the message body without another copy.
pub struct FrameDecoder {
    state: State,
    max_msg_size: Option<u64>,
    max_command_size: u64,
    bodies: BodyPool,
}

impl std::fmt::Debug for FrameDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameDecoder")
            .field("max_msg_size", &self.max_msg_size)
            .finish_non_exhaustive()
    }
}

/// Upper bound on the buffer reserved up front for a frame announced but not yet received;
/// the rest grows as data actually arrives, so a lying size field cannot make us allocate.
const MAX_UPFRONT_RESERVE: usize = 8 << 20;

impl FrameDecoder {
    /// A decoder refusing message frames above `max_msg_size` and command frames above
    /// `max_command_size`.
    pub fn new(max_msg_size: Option<u64>, max_command_size: u64) -> Self {
        Self::with_pool(max_msg_size, max_command_size, BodyPool::default())
    }

    /// As [`new`](Self::new), taking large bodies from `bodies` (a shard's pool).
    pub fn with_pool(max_msg_size: Option<u64>, max_command_size: u64, bodies: BodyPool) -> Self {
        Self {
            state: State::Header { buf: [0; 9], have: 0 },
            max_msg_size,
            max_command_size,
            bodies,
        }
    }

    /// Changes MAXMSGSIZE for the frames after the one being received.
    pub fn set_max_msg_size(&mut self, max_msg_size: Option<u64>) {
        self.max_msg_size = max_msg_size;
    }

    /// Octets held for the frame being received (its buffer's capacity).
    pub fn buffered_octets(&self) -> usize {
        match &self.state {
            State::Header { .. } => 0,
            State::Body { body, .. } => body.capacity(),
            State::Lent { capacity, .. } => *capacity,
        }
    }

    /// Octets the message frame being received still wants, once its header is in (`None`
    /// between frames and for commands).
    pub fn body_wanted(&self) -> Option<usize> {
        match &self.state {
            State::Body { flags, remaining, .. } if *flags & FLAG_COMMAND == 0 => Some(*remaining),
            _ => None,
        }
    }

    /// Lends the body of the message frame being received when it still wants at least
    /// `at_least` octets, so the driver receives them in place. While it is lent, `decode`
    /// takes nothing (it returns `(0, None)`).
    pub fn lend_body(&mut self, at_least: usize) -> Option<BodyLoan> {
        let State::Body {
            flags,
            remaining,
            body,
        } = &mut self.state
        else {
            return None;
        };
        if *flags & FLAG_COMMAND != 0 || *remaining < at_least.max(1) {
            return None;
        }
        let mut body = std::mem::take(body);
        if body.capacity() == body.len() {
            // Doubling, as appending would: bounded by what arrived, not what was announced.
            body.reserve((*remaining).min(body.len().max(LENT_GROWTH_MIN)));
        }
        let loan = BodyLoan {
            want: *remaining,
            body,
        };
        self.state = State::Lent {
            flags: *flags,
            remaining: *remaining,
            held: loan.body.len(),
            capacity: loan.body.capacity(),
        };
        Some(loan)
    }

    /// Takes back a lent body with the octets the driver appended (none, if its receive
    /// failed). When that completes the frame, the next `decode` returns it, even on empty
    /// input ([`has_whole_frame`](Self::has_whole_frame)). Returns the octets appended.
    pub fn return_body(&mut self, body: Vec<u8>) -> usize {
        let State::Lent {
            flags,
            remaining,
            held,
            ..
        } = self.state
        else {
            debug_assert!(false, "a body returned that was not lent");
            return 0;
        };
        let appended = body.len().saturating_sub(held);
        debug_assert!(appended <= remaining, "more octets appended than the frame has");
        self.state = State::Body {
            flags,
            remaining: remaining.saturating_sub(appended),
            body,
        };
        appended
    }

    /// `true` when a frame whose body was received in place is whole and waits to be
    /// returned by `decode`.
    pub fn has_whole_frame(&self) -> bool {
        matches!(self.state, State::Body { remaining: 0, .. })
    }

    /// `true` when no frame is partially decoded.
    pub fn at_frame_boundary(&self) -> bool {
        matches!(self.state, State::Header { have: 0, .. })
    }

    fn check(&self, flags: u8, size: u64) -> Result<(), FrameError> {
        if flags & !(FLAG_MORE | FLAG_LONG | FLAG_COMMAND) != 0 {
            return Err(FrameError::ReservedFlags(flags));
        }
        if size >> 63 != 0 || usize::try_from(size).is_err() {
            return Err(FrameError::SizeOverflow);
        }
        if flags & FLAG_COMMAND != 0 {
            if flags & FLAG_MORE != 0 {
                return Err(FrameError::CommandWithMore);
            }
            if size > self.max_command_size {
                return Err(FrameError::CommandTooLarge {
                    size,
                    max: self.max_command_size,
                });
            }
        } else if let Some(max) = self.max_msg_size {
            if size > max {
                return Err(FrameError::MessageTooLarge { size, max });
            }
        }
        Ok(())
    }

    fn finish(flags: u8, body: Bytes) -> DecodedFrame {
        if flags & FLAG_COMMAND != 0 {
            DecodedFrame::Command(body)
        } else {
            DecodedFrame::Message(Msg::from(body).with_more(flags & FLAG_MORE != 0))
        }
    }

    fn finish_slice(&self, flags: u8, body: &[u8]) -> DecodedFrame {
        if flags & FLAG_COMMAND != 0 {
            DecodedFrame::Command(Bytes::copy_from_slice(body))
        } else {
            DecodedFrame::Message(self.message_from_slice(body).with_more(flags & FLAG_MORE != 0))
        }
    }

    /// A message body copied out of the input: into a pooled buffer when large.
    #[inline]
    fn message_from_slice(&self, body: &[u8]) -> Msg {
        if body.len() >= POOLED_MIN {
            let mut pooled = self.bodies.take(body.len());
            pooled.extend_from_slice(body);
            Msg::from(self.bodies.freeze(pooled))
        } else {
            Msg::copy_from_slice(body)
        }
    }

    /// The message frame whose `size`-octet body lies whole in `input` from `at`: a small
    /// body copied as its 64-octet window when the input holds one (see
    /// [`Msg::from_inline_window`]), a large one into a pooled buffer.
    #[inline]
    fn message_in(&self, flags: u8, input: &[u8], at: usize, size: usize) -> Msg {
        let msg = match input.get(at..at + INLINE_CAPACITY) {
            Some(window) if size <= INLINE_CAPACITY => {
                Msg::from_inline_window(window.try_into().expect("a window of INLINE_CAPACITY"), size)
            }
            _ => self.message_from_slice(&input[at..at + size]),
        };
        msg.with_more(flags & FLAG_MORE != 0)
    }

    /// A whole frame at the front of `input`, checked as [`decode`](Self::decode) checks it,
    /// without copying it. `None` when part of a frame is held already or `input` does not
    /// hold a whole one (use `decode` then).
    pub fn whole_frame<'a>(&self, input: &'a [u8]) -> Result<Option<WholeFrame<'a>>, FrameError> {
        if !self.at_frame_boundary() {
            return Ok(None);
        }
        let Some((flags, size, header_len)) = parse_header(input) else {
            return Ok(None);
        };
        self.check(flags, size)?;
        let size = size as usize;
        if input.len() - header_len < size {
            return Ok(None);
        }
        Ok(Some(WholeFrame {
            flags,
            body: &input[header_len..header_len + size],
            len: header_len + size,
        }))
    }

    /// Decodes the whole message frames at the front of `input` into `deliver` for as long
    /// as it returns `true` (room for another), and returns the octets they span. Stops
    /// before a command, a frame `input` does not hold whole, or when part of a frame is
    /// held already: `decode` goes on from there. The receive path's common case: each
    /// `Msg` goes straight to `deliver`, without the `DecodedFrame` and event around it,
    /// whose moves of mixed widths stall on the store buffer.
    #[inline]
    pub fn decode_messages(
        &self,
        input: &[u8],
        mut deliver: impl FnMut(Msg) -> bool,
    ) -> Result<usize, FrameError> {
        let mut used = 0;
        if !self.at_frame_boundary() {
            return Ok(0);
        }
        loop {
            let rest = &input[used..];
            let Some((flags, size, header_len)) = parse_header(rest) else {
                return Ok(used);
            };
            if flags & FLAG_COMMAND != 0 {
                return Ok(used);
            }
            self.check(flags, size)?;
            let size = size as usize;
            if rest.len() - header_len < size {
                return Ok(used);
            }
            let msg = self.message_in(flags, rest, header_len, size);
            used += header_len + size;
            if !deliver(msg) {
                return Ok(used);
            }
        }
    }

    /// Decodes at most one frame from `input`. Returns the octets consumed and the frame if
    /// one was completed; when it returns no frame, all of `input` was consumed.
    pub fn decode(&mut self, input: &[u8]) -> Result<(usize, Option<DecodedFrame>), FrameError> {
        match &mut self.state {
            State::Header { have: 0, .. } => {
                // Fast path: a whole frame in the input, decoded in place.
                if let Some((flags, size, header_len)) = parse_header(input) {
                    self.check(flags, size)?;
                    let size = size as usize;
                    if input.len() - header_len >= size {
                        if flags & FLAG_COMMAND == 0 {
                            let msg = self.message_in(flags, input, header_len, size);
                            return Ok((header_len + size, Some(DecodedFrame::Message(msg))));
                        }
                        let body = &input[header_len..header_len + size];
                        return Ok((header_len + size, Some(self.finish_slice(flags, body))));
                    }
                }
                self.decode_slow(input)
            }
            State::Lent { .. } => Ok((0, None)),
            _ => self.decode_slow(input),
        }
    }

    fn decode_slow(&mut self, input: &[u8]) -> Result<(usize, Option<DecodedFrame>), FrameError> {
        let mut used = 0;
        loop {
            match &mut self.state {
                State::Header { buf, have } => {
                    if *have == 0 {
                        if used == input.len() {
                            return Ok((used, None));
                        }
                        buf[0] = input[used];
                        used += 1;
                        *have = 1;
                    }
                    let needed = if buf[0] & FLAG_LONG != 0 { 9 } else { 2 };
                    let take = (needed - *have).min(input.len() - used);
                    buf[*have..*have + take].copy_from_slice(&input[used..used + take]);
                    *have += take;
                    used += take;
                    if *have < needed {
                        return Ok((used, None));
                    }
                    let (flags, size, _) = parse_header(&buf[..needed]).expect("complete header");
                    self.check(flags, size)?;
                    let size = size as usize;
                    if size == 0 {
                        self.state = State::Header { buf: [0; 9], have: 0 };
                        return Ok((used, Some(self.finish_slice(flags, &[]))));
                    }
                    self.state = State::Body {
                        flags,
                        remaining: size,
                        body: self.bodies.take(size.min(MAX_UPFRONT_RESERVE)),
                    };
                }
                State::Body {
                    flags,
                    remaining,
                    body,
                } => {
                    let take = (*remaining).min(input.len() - used);
                    body.extend_from_slice(&input[used..used + take]);
                    *remaining -= take;
                    used += take;
                    if *remaining > 0 {
                        return Ok((used, None));
                    }
                    let flags = *flags;
                    let body = std::mem::take(body);
                    let body = if flags & FLAG_COMMAND == 0 {
                        self.bodies.freeze(body)
                    } else {
                        Bytes::from(body)
                    };
                    self.state = State::Header { buf: [0; 9], have: 0 };
                    return Ok((used, Some(Self::finish(flags, body))));
                }
                State::Lent { .. } => return Ok((used, None)),
            }
        }
    }
}

/// Parses a complete header at the start of `input`: (flags, size, header length).
#[inline]
fn parse_header(input: &[u8]) -> Option<(u8, u64, usize)> {
    let flags = *input.first()?;
    if flags & FLAG_LONG == 0 {
        let size = *input.get(1)?;
        Some((flags, u64::from(size), 2))
    } else {
        let bytes: [u8; 8] = input.get(1..9)?.try_into().ok()?;
        Some((flags, u64::from_be_bytes(bytes), 9))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(decoder: &mut FrameDecoder, mut input: &[u8]) -> Result<Vec<DecodedFrame>, FrameError> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (n, f) = decoder.decode(input)?;
            input = &input[n..];
            out.extend(f);
        }
        Ok(out)
    }

    #[test]
    fn short_and_long_frame_vectors() {
        // RFC 37: %x00 short-size body (last), %x01 (more), %x02/%x03 long-size.
        let mut wire = vec![0x01, 3, b'a', b'b', b'c', 0x00, 0];
        wire.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 0, 1, 0]);
        wire.extend(std::iter::repeat_n(b'x', 256));
        let mut d = FrameDecoder::new(None, 1 << 20);
        let got = frames(&mut d, &wire).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], DecodedFrame::Message(Msg::from("abc").with_more(true)));
        assert_eq!(got[1], DecodedFrame::Message(Msg::new()));
        match &got[2] {
            DecodedFrame::Message(m) => assert!(m.len() == 256 && !m.more()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn header_encoding_picks_short_or_long() {
        let mut h = [0u8; 9];
        assert_eq!(encode_frame_header(0x01, 255, &mut h), 2);
        assert_eq!(&h[..2], &[0x01, 255]);
        assert_eq!(encode_frame_header(0x00, 256, &mut h), 9);
        assert_eq!(h, [0x02, 0, 0, 0, 0, 0, 0, 1, 0]);
    }

    #[test]
    fn every_split_of_the_stream_decodes_the_same() {
        let mut wire = Vec::new();
        for (i, len) in [0usize, 1, 70, 71, 255, 256, 3000].into_iter().enumerate() {
            let mut h = [0u8; 9];
            let flags = if i % 2 == 0 { FLAG_MORE } else { 0 };
            let n = encode_frame_header(flags, len, &mut h);
            wire.extend_from_slice(&h[..n]);
            wire.extend(std::iter::repeat_n(i as u8, len));
        }
        let whole = frames(&mut FrameDecoder::new(None, 1024), &wire).unwrap();
        assert_eq!(whole.len(), 7);
        for chunk in [1, 2, 3, 7, 64, 1000] {
            let mut d = FrameDecoder::new(None, 1024);
            let mut got = Vec::new();
            for piece in wire.chunks(chunk) {
                got.extend(frames(&mut d, piece).unwrap());
            }
            assert_eq!(got, whole, "chunk size {chunk}");
            assert!(d.at_frame_boundary());
        }
    }

    #[test]
    fn whole_messages_go_straight_to_the_sink_until_it_is_full_or_a_command_comes() {
        let mut wire = Vec::new();
        for len in [0usize, 8, 63, 64, 65, 300, 9000] {
            let mut h = [0u8; 9];
            let n = encode_frame_header(FLAG_MORE, len, &mut h);
            wire.extend_from_slice(&h[..n]);
            wire.extend(std::iter::repeat_n(len as u8, len));
        }
        let commands_at = wire.len();
        wire.extend_from_slice(&[FLAG_COMMAND, 4, 4, b'P', b'I', b'N']);
        wire.extend_from_slice(&[0x00, 2, b'o', b'k']);
        let expected = frames(&mut FrameDecoder::new(None, 1024), &wire).unwrap();
        let d = FrameDecoder::new(None, 1024);
        let mut got = Vec::new();
        // A sink with room for three.
        let used = d
            .decode_messages(&wire, |m| {
                got.push(DecodedFrame::Message(m));
                got.len() < 3
            })
            .unwrap();
        assert_eq!(got, expected[..3]);
        let used_all = d
            .decode_messages(&wire[used..], |m| {
                got.push(DecodedFrame::Message(m));
                true
            })
            .unwrap();
        assert_eq!(used + used_all, commands_at, "stops before the command");
        assert_eq!(got, expected[..7]);
        // A frame not whole in the input is left to `decode`.
        assert_eq!(
            d.decode_messages(&wire[..commands_at - 1], |_| true).unwrap(),
            commands_at - 9009
        );
    }

    #[test]
    fn large_bodies_from_recycled_buffers_keep_their_own_contents() {
        let frame = |i: usize| {
            let len = POOLED_MIN + i * 997;
            let mut wire = vec![0u8; 9];
            let n = encode_frame_header(0, len, (&mut wire[..9]).try_into().unwrap());
            wire.truncate(n);
            wire.extend((0..len).map(|k| (k * 31 + i) as u8));
            wire
        };
        let check = |i: usize, got: &DecodedFrame| match got {
            DecodedFrame::Message(m) => {
                assert_eq!(m.len(), POOLED_MIN + i * 997, "frame {i}");
                assert!(
                    m.iter().enumerate().all(|(k, &b)| b == (k * 31 + i) as u8),
                    "frame {i}"
                );
            }
            other => panic!("{other:?}"),
        };
        // Whole frames in one input and frames split across inputs, while earlier bodies
        // are still held (their buffers must not be reused) and after some were dropped
        // (theirs are).
        let mut d = FrameDecoder::new(None, 1024);
        let mut held = Vec::new();
        for round in 0..3 {
            let wire: Vec<u8> = (0..12).flat_map(frame).collect();
            let chunk = [wire.len(), 4096, 20_000][round];
            let mut got = Vec::new();
            for piece in wire.chunks(chunk) {
                got.extend(frames(&mut d, piece).unwrap());
            }
            assert_eq!(got.len(), 12);
            for (i, f) in got.iter().enumerate() {
                check(i, f);
            }
            held.extend(got);
            held.drain(..held.len() / 2);
            for f in &held {
                let DecodedFrame::Message(m) = f else {
                    unreachable!()
                };
                let i = (m.len() - POOLED_MIN) / 997;
                check(i, f);
            }
        }
    }

    #[test]
    fn limits_and_malformed_headers_are_refused() {
        let mut d = FrameDecoder::new(Some(10), 1024);
        assert_eq!(
            d.decode(&[0x00, 11]).unwrap_err(),
            FrameError::MessageTooLarge { size: 11, max: 10 }
        );
        let mut d = FrameDecoder::new(None, 1024);
        assert_eq!(d.decode(&[0x08, 0]).unwrap_err(), FrameError::ReservedFlags(0x08));
        assert_eq!(
            FrameDecoder::new(None, 1024).decode(&[0x05, 0]).unwrap_err(),
            FrameError::CommandWithMore
        );
        let mut huge = vec![0x02];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(
            FrameDecoder::new(None, 1024).decode(&huge).unwrap_err(),
            FrameError::SizeOverflow
        );
        // Split header: the limit applies once the size is known.
        let mut d = FrameDecoder::new(Some(100), 1024);
        assert_eq!(d.decode(&[0x02, 0, 0]).unwrap(), (3, None));
        assert!(d.decode(&[0, 0, 0, 0, 1, 0]).is_err());
    }

    /// A long message frame with body octets `0, 1, 2, ...` (mod 251).
    fn long_frame(flags: u8, len: usize) -> Vec<u8> {
        let mut wire = vec![0u8; 9];
        let n = encode_frame_header(flags, len, (&mut wire[..9]).try_into().unwrap());
        wire.truncate(n);
        wire.extend((0..len).map(|k| (k % 251) as u8));
        wire
    }

    /// What a driver does with a loan: appends at most `want` octets, within capacity.
    fn receive_into(loan: &mut BodyLoan, from: &[u8]) -> usize {
        let room = loan.body.capacity() - loan.body.len();
        let n = from.len().min(loan.want).min(room);
        loan.body.extend_from_slice(&from[..n]);
        n
    }

    #[test]
    fn a_lent_body_received_in_pieces_completes_its_frame_then_decoding_goes_on() {
        let len = 300_000;
        let mut wire = long_frame(FLAG_MORE, len);
        wire.extend_from_slice(&[0x00, 2, b'h', b'i']);
        let mut d = FrameDecoder::new(None, 1024);
        assert!(d.lend_body(1).is_none(), "no frame under way");
        // The header and a first chunk come through the decoder, as from provided buffers.
        assert_eq!(d.decode(&wire[..4096]).unwrap(), (4096, None));
        assert_eq!(d.body_wanted(), Some(len + 9 - 4096));
        assert!(d.lend_body(len).is_none(), "fewer octets wanted than asked for");
        let mut at = 4096;
        let mut pieces = 0;
        while d.body_wanted().is_some_and(|n| n > 0) {
            let mut loan = d.lend_body(1).expect("a message body is lent");
            assert_eq!(loan.want, len + 9 - at);
            // While lent, the decoder takes nothing.
            assert_eq!(d.decode(b"xyz").unwrap(), (0, None));
            assert_eq!(d.buffered_octets(), loan.body.capacity());
            at += receive_into(&mut loan, &wire[at..(at + 70_000).min(len + 9)]);
            d.return_body(loan.body);
            pieces += 1;
        }
        assert!(pieces >= 4);
        assert!(d.has_whole_frame());
        let (used, frame) = d.decode(&[]).unwrap();
        assert_eq!(used, 0);
        match frame {
            Some(DecodedFrame::Message(m)) => {
                assert!(m.more());
                assert_eq!(m.len(), len);
                assert!(m.iter().enumerate().all(|(k, &b)| b == (k % 251) as u8));
            }
            other => panic!("{other:?}"),
        }
        assert!(!d.has_whole_frame() && d.at_frame_boundary());
        let rest = frames(&mut d, &wire[at..]).unwrap();
        assert_eq!(rest, vec![DecodedFrame::Message(Msg::from("hi"))]);
    }

    #[test]
    fn a_failed_receive_returns_the_body_unchanged_and_commands_are_never_lent() {
        let wire = long_frame(0, 100_000);
        let mut d = FrameDecoder::new(None, 1 << 20);
        d.decode(&wire[..1000]).unwrap();
        let loan = d.lend_body(1).unwrap();
        assert_eq!(d.return_body(loan.body), 0);
        assert_eq!(d.body_wanted(), Some(100_009 - 1000));
        assert!(!d.has_whole_frame());
        // The rest through the decoder, as if the multishot receive had brought it.
        let got = frames(&mut d, &wire[1000..]).unwrap();
        assert!(matches!(&got[..], [DecodedFrame::Message(m)] if m.len() == 100_000));

        let mut command = vec![FLAG_COMMAND | FLAG_LONG];
        command.extend_from_slice(&(600_000u64).to_be_bytes());
        command.extend_from_slice(&[0; 100]);
        d.decode(&command).unwrap();
        assert_eq!(d.body_wanted(), None);
        assert!(d.lend_body(1).is_none());
    }

    #[test]
    fn a_lent_body_of_a_lying_size_grows_only_with_what_arrives() {
        let mut header = vec![FLAG_LONG];
        header.extend_from_slice(&(1u64 << 40).to_be_bytes());
        let mut d = FrameDecoder::new(None, 1024);
        assert_eq!(d.decode(&header).unwrap(), (9, None));
        let mut received = 0usize;
        for _ in 0..4 {
            let mut loan = d.lend_body(1).unwrap();
            assert!(loan.body.capacity() > loan.body.len());
            assert!(
                loan.body.capacity() <= MAX_UPFRONT_RESERVE.max(2 * received + LENT_GROWTH_MIN),
                "capacity {} after {received} octets",
                loan.body.capacity()
            );
            let room = loan.body.capacity() - loan.body.len();
            loan.body.resize(loan.body.len() + room, 7);
            received += room;
            d.return_body(loan.body);
        }
    }

    #[test]
    fn a_lying_size_reserves_only_a_bounded_buffer() {
        let mut header = vec![0x02];
        header.extend_from_slice(&(1u64 << 62).to_be_bytes());
        let mut d = FrameDecoder::new(None, 1024);
        assert_eq!(d.decode(&header).unwrap(), (9, None));
        assert_eq!(d.decode(b"some").unwrap(), (4, None));
    }
}
