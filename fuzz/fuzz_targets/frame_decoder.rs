//! The frame decoder on arbitrary bytes, cut into arbitrary pieces: it must never panic, must
//! decode the same frames however the stream is split, and the frames it accepts must survive
//! an encode/decode round trip unchanged.
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

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else {
        return;
    };
    let (whole, _, whole_failed) = decode_all(input, input.len());
    let (pieces, _, pieces_failed) = decode_all(input, usize::from(cut % 17) + 1);
    assert_eq!(whole_failed, pieces_failed);
    assert_eq!(whole, pieces);
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
