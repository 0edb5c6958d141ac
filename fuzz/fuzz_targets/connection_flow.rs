//! A whole connection without I/O: the codec under the session's flow rules
//! (`ringmq_transports::flow::Flow`), fed an arbitrary byte stream in arbitrary chunks,
//! against a model socket queue with a small RCVHWM drained a little at a time, a model
//! outgoing queue of multipart messages, and a wire that takes only a few octets per turn
//! (a peer that barely reads). Checked at every turn:
//! - what the connection holds besides messages stays within its bounds, however the
//!   peer floods it (MAX_OWED_OCTETS plus one frame being received);
//! - the socket's queue never publishes part of a message;
//! - the octets written parse as frames, and no command ever lands inside a multipart
//!   message;
//! - received octets are held back only while the queue is full, and a held-back backlog
//!   is only as large as the chunks received after it filled.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ringmq_transports::codec::Codec;
use ringmq_transports::flow::{Filled, Flow, Inbound, Input, Outbound, Stage};
use ringmq_transports::zmtp::limits::MAX_COMMAND_SIZE;
use ringmq_transports::zmtp::{
    BodyPool, DecodedFrame, FrameDecoder, MAX_OWED_OCTETS, WriteBatch, ZmtpConfig, encode_command,
    our_greeting,
};
use ringmq_transports::{Msg, SocketType};

const MAX_MSG_SIZE: u64 = 4096;

/// The socket's queue: whole messages up to `hwm`, drained by the "application".
struct Queue {
    hwm: usize,
    frames: Vec<Msg>,
    published: usize,
}

impl Queue {
    fn messages(&self) -> usize {
        self.frames.iter().filter(|m| !m.more()).count()
    }
}

impl Inbound for Queue {
    fn can_write(&mut self) -> bool {
        self.messages() < self.hwm
    }
    fn write(&mut self, msg: Msg) {
        self.frames.push(msg);
    }
    fn flush(&mut self) {
        // Publish whole messages only, as the SPSC queue does.
        let whole = self.frames.iter().rposition(|m| !m.more()).map_or(0, |i| i + 1);
        self.published = whole;
    }
    fn sleep_writer(&mut self) -> bool {
        true
    }
}

/// Messages the socket wants sent: multipart, from the fuzz input.
struct Outgoing {
    frames: Vec<Msg>,
}

impl Outbound for Outgoing {
    fn read(&mut self) -> Option<Msg> {
        (!self.frames.is_empty()).then(|| self.frames.remove(0))
    }
    fn release(&mut self) {}
    fn sleep_reader(&mut self) -> bool {
        true
    }
}

/// Checks the written stream: after the greeting, frames whose commands never fall inside
/// a multipart message.
struct WireCheck {
    greeting_left: usize,
    decoder: FrameDecoder,
    in_message: bool,
}

impl WireCheck {
    fn take(&mut self, mut octets: &[u8]) {
        let skip = self.greeting_left.min(octets.len());
        self.greeting_left -= skip;
        octets = &octets[skip..];
        while !octets.is_empty() {
            let (used, frame) = self.decoder.decode(octets).expect("we write well-formed frames");
            octets = &octets[used..];
            match frame {
                Some(DecodedFrame::Command(_)) => {
                    assert!(!self.in_message, "a command inside a multipart message")
                }
                Some(DecodedFrame::Message(m)) => self.in_message = m.more(),
                None => {}
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, hwm, window, cut, drain, ref input @ ..] = *data else {
        return;
    };
    let socket_type = [
        SocketType::Pull,
        SocketType::Sub,
        SocketType::Pub,
        SocketType::Dealer,
    ][usize::from(mode & 3)];
    let peer_type = match socket_type {
        SocketType::Pull => "PUSH",
        SocketType::Sub => "PUB",
        SocketType::Pub => "SUB",
        _ => "ROUTER",
    };
    let now = Instant::now();
    let mut config = ZmtpConfig::new(socket_type);
    config.max_msg_size = Some(MAX_MSG_SIZE);
    config.heartbeat_interval = Some(Duration::from_millis(10));
    let mut flow = Flow::new(Codec::new(Arc::new(config), now, &BodyPool::default()));
    // Half of the runs start with a valid handshake, so the fuzzer reaches traffic at once.
    let mut stream = Vec::new();
    if mode & 4 != 0 {
        stream.extend_from_slice(&our_greeting("NULL", false));
        let mut ready = vec![11u8];
        ready.extend_from_slice(b"Socket-Type");
        ready.extend_from_slice(&(peer_type.len() as u32).to_be_bytes());
        ready.extend_from_slice(peer_type.as_bytes());
        encode_command("READY", &ready, &mut stream);
    }
    stream.extend_from_slice(input);
    // The socket's own messages, cut from the input: multipart ones of up to three frames,
    // and for a SUB subscriptions, which are messages of their own.
    let mut outgoing = Outgoing { frames: Vec::new() };
    for (i, piece) in input.chunks(23).take(12).enumerate() {
        if socket_type == SocketType::Sub && i % 3 == 0 {
            outgoing.frames.push(Msg::subscription(
                piece.first().is_some_and(|b| b & 1 == 1),
                piece,
            ));
            continue;
        }
        let frames = piece.len() % 3 + 1;
        for k in 0..frames {
            outgoing
                .frames
                .push(Msg::copy_from_slice(&piece[k * piece.len() / frames..]).with_more(k + 1 < frames));
        }
    }
    let mut queue = Queue {
        hwm: usize::from(hwm % 8) + 1,
        frames: Vec::new(),
        published: 0,
    };
    let window = usize::from(window % 64) + 1;
    let cut = usize::from(cut % 61) + 1;
    let drain = usize::from(drain % 4);
    let mut out = WriteBatch::new();
    let mut wire = WireCheck {
        greeting_left: 64,
        decoder: FrameDecoder::new(None, u64::MAX >> 1),
        in_message: false,
    };
    let mut up = false;
    let mut t = now;
    let mut chunks = stream.chunks(cut);
    // A stopped receive may still deliver the chunk already on its way, then nothing.
    let mut late_chunk = false;
    for _turn in 0..10_000 {
        let flowing = flow.input() == &Input::Flowing;
        if flowing || late_chunk {
            let Some(chunk) = chunks.next() else { break };
            if !flowing {
                flow.hold(chunk);
                late_chunk = false;
            } else {
                let mut used = 0;
                loop {
                    let pipe = up.then_some(&mut queue as &mut dyn Inbound);
                    let fed = match flow.feed(&chunk[used..], t, Stage { up, lingering: false }, pipe) {
                        Ok(fed) => fed,
                        Err(_) => return close_with_owed(&mut flow, &mut out, &mut wire),
                    };
                    assert!(fed.used <= chunk.len() - used);
                    used += fed.used;
                    if fed.ready.is_none() {
                        break;
                    }
                    up = true;
                }
                if used < chunk.len() {
                    assert_eq!(
                        flow.input(),
                        &Input::HeldBack,
                        "octets left undecoded only for a full queue"
                    );
                    flow.hold(&chunk[used..]);
                    late_chunk = true;
                }
            }
        }
        let published = &queue.frames[..queue.published];
        assert!(
            published.last().is_none_or(|m| !m.more()),
            "a torn message was published"
        );
        // The application reads a little.
        for _ in 0..drain {
            if let Some(end) = queue.frames[..queue.published].iter().position(|m| !m.more()) {
                queue.frames.drain(..=end);
                queue.published -= end + 1;
            }
        }
        if flow.input() != &Input::Flowing && queue.messages() < queue.hwm {
            match flow.resume(t, Stage { up, lingering: false }, Some(&mut queue)) {
                Ok(Some(_ended)) => return,
                Err(_) => return close_with_owed(&mut flow, &mut out, &mut wire),
                Ok(None) => {}
            }
        }
        // Write: a new batch only once the last is out, as the session does; the wire takes
        // a few octets per turn.
        if out.is_empty() {
            let filled = flow.fill(&mut out, Stage { up, lingering: false }, Some(&mut outgoing), 256);
            assert_eq!(filled, Filled::Batch, "only STREAM closes by an empty message");
        }
        let taken = out.len().min(window);
        wire.take(&out.to_vec()[..taken]);
        out.consume(taken);
        // Bounds: what the peer can make us hold, whatever it sends.
        let codec = flow.codec().buffered_octets();
        assert!(
            codec <= MAX_OWED_OCTETS + MAX_COMMAND_SIZE as usize,
            "the codec holds {codec} octets"
        );
        let backlog = flow.buffered_octets() - codec;
        // Two chunks at most (the rest of one, and one late), in a Vec that may double.
        assert!(
            backlog <= 4 * cut + 8,
            "a backlog of {backlog} octets from chunks of {cut}"
        );
        t += Duration::from_millis(3);
        if flow.codec_mut().on_timeout(t).is_err() {
            return close_with_owed(&mut flow, &mut out, &mut wire);
        }
    }
});

/// A failed connection writes what it owes (an ERROR) after the batch in progress, which
/// ends at a message boundary: the wire must still parse, with no command inside a message.
fn close_with_owed(flow: &mut Flow, out: &mut WriteBatch, wire: &mut WireCheck) {
    flow.fill_owed(out);
    wire.take(&out.to_vec());
}
