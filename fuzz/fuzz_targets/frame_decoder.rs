//! The frame decoder on arbitrary bytes, cut into arbitrary pieces: it must never panic, must
//! decode the same frames however the stream is split, whether message bodies are decoded
//! or lent and received in place (as a driver does for large ones), and whether whole
//! message frames go through `decode_messages` or `decode`, and the frames
//! it accepts must survive an encode/decode round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmq_transports::zmtp::{DecodedFrame, FrameDecoder, WriteBatch, encode_frame_header};

fn decode_all(input: &[u8], cut: usize) -> (Vec<DecodedFrame>, usize, bool) {
    let mut decoder = FrameDecoder::new(Some(1 << 20), 1 << 16);
    let mut frames = Vec::new();
    let mut used_total = 0;
    for piece in input.chunks(cut.max(1)) {
        let mut rest = piece;
        while !rest.is_empty() {
            match decoder.decode(rest) {
                Ok((used, frame)) => {
                    assert!(used <= rest.len());
                    assert!(used > 0 || frame.is_some(), "no progress");
                    rest = &rest[used..];
                    used_total += used;
                    frames.extend(frame);
                }
                Err(_) => return (frames, used_total, true),
            }
        }
    }
    (frames, used_total, false)
}

/// As `decode_all`, lending every message body under way and appending up to `cut` octets
/// of input to it at a time, as a driver's receive into the body would.
fn decode_lending(input: &[u8], cut: usize) -> (Vec<DecodedFrame>, bool) {
    let mut decoder = FrameDecoder::new(Some(1 << 20), 1 << 16);
    let mut frames = Vec::new();
    let mut rest = input;
    loop {
        if decoder.body_wanted().is_some_and(|n| n > 0) {
            let mut loan = decoder.lend_body(1).expect("a wanted message body is lent");
            let room = loan.body.capacity() - loan.body.len();
            assert!(room > 0 && loan.want > 0);
            let n = rest.len().min(loan.want).min(room).min(cut.max(1));
            loan.body.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            assert_eq!(decoder.return_body(loan.body), n);
            if n == 0 {
                return (frames, false);
            }
            continue;
        }
        if decoder.has_whole_frame() {
            match decoder.decode(&[]) {
                Ok((0, Some(frame))) => frames.push(frame),
                other => panic!("a whole frame was not returned: {other:?}"),
            }
            continue;
        }
        if rest.is_empty() {
            return (frames, false);
        }
        let piece = &rest[..rest.len().min(cut.max(1))];
        match decoder.decode(piece) {
            Ok((used, frame)) => {
                rest = &rest[used..];
                frames.extend(frame);
            }
            Err(_) => return (frames, true),
        }
    }
}

/// As `decode_all` in pieces of `cut`, taking whole message frames through
/// `decode_messages` first (the receive path's common case) and the rest through `decode`.
fn decode_fast(input: &[u8], cut: usize) -> (Vec<DecodedFrame>, bool) {
    let mut decoder = FrameDecoder::new(Some(1 << 20), 1 << 16);
    let mut frames = Vec::new();
    for piece in input.chunks(cut.max(1)) {
        let mut rest = piece;
        while !rest.is_empty() {
            match decoder.decode_messages(rest, |m| {
                frames.push(DecodedFrame::Message(m));
                true
            }) {
                Ok(used) => rest = &rest[used..],
                Err(_) => return (frames, true),
            }
            if rest.is_empty() {
                break;
            }
            match decoder.decode(rest) {
                Ok((used, frame)) => {
                    rest = &rest[used..];
                    frames.extend(frame);
                }
                Err(_) => return (frames, true),
            }
        }
    }
    (frames, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else {
        return;
    };
    let (whole, _, whole_failed) = decode_all(input, input.len());
    let (pieces, _, pieces_failed) = decode_all(input, usize::from(cut % 17) + 1);
    assert_eq!(whole_failed, pieces_failed);
    assert_eq!(whole, pieces);
    let (lent, lent_failed) = decode_lending(input, usize::from(cut) * 97 + 1);
    assert_eq!(whole_failed, lent_failed);
    assert_eq!(whole, lent);
    let (fast, fast_failed) = decode_fast(input, usize::from(cut % 23) + 1);
    assert_eq!(whole_failed, fast_failed);
    assert_eq!(whole, fast);
    // Re-encode what was decoded: it must be a prefix of the input.
    let mut encoded = Vec::new();
    for frame in &whole {
        match frame {
            DecodedFrame::Message(msg) => {
                let mut batch = WriteBatch::new();
                batch.push_message_frame(msg, usize::MAX);
                encoded.extend(batch.to_vec());
            }
            DecodedFrame::Command(body) => {
                let mut h = [0u8; 9];
                let n = encode_frame_header(0x04, body.len(), &mut h);
                encoded.extend_from_slice(&h[..n]);
                encoded.extend_from_slice(body);
            }
        }
    }
    let (reparsed, used, failed) = decode_all(&encoded, encoded.len().max(1));
    assert!(!failed);
    assert_eq!(used, encoded.len());
    assert_eq!(reparsed, whole);
});
