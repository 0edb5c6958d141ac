//! Helpers for the codec's unit tests: feeding a connection, taking what it owes, and
//! running two connections against each other with a ZAP handler played by a closure.

use std::time::Instant;

use bytes::Bytes;

use super::batch::WriteBatch;
use super::command::Metadata;
use super::connection::{Connection, Event, ProtocolError};
use super::mechanism::{AuthRequest, Verdict};

/// Feeds `input` fully, collecting events.
pub(super) fn feed(c: &mut Connection, mut input: &[u8], now: Instant) -> Result<Vec<Event>, ProtocolError> {
    let mut events = Vec::new();
    while !input.is_empty() {
        let (n, e) = c.decode(input, now)?;
        input = &input[n..];
        events.extend(e);
    }
    Ok(events)
}

pub(super) fn control(c: &mut Connection) -> Vec<u8> {
    let mut b = WriteBatch::new();
    c.take_control(&mut b);
    b.to_vec()
}

/// Runs `a` and `b` against each other, answering each ZAP request with `zap`; returns
/// what each side reported and how each ended.
pub(super) fn pump(
    a: &mut Connection,
    b: &mut Connection,
    now: Instant,
    mut zap: impl FnMut(&AuthRequest) -> Verdict,
) -> [(Vec<Event>, Option<ProtocolError>); 2] {
    let mut out = [(Vec::new(), None), (Vec::new(), None)];
    for _ in 0..6 {
        let to_b = control(a);
        let to_a = control(b);
        for (side, conn, input) in [(1, &mut *b, to_b), (0, &mut *a, to_a)] {
            if out[side].1.is_some() {
                continue;
            }
            let mut rest = &input[..];
            while !rest.is_empty() {
                match conn.decode(rest, now) {
                    Err(e) => {
                        out[side].1 = Some(e);
                        break;
                    }
                    Ok((n, event)) => {
                        rest = &rest[n..];
                        match event {
                            Some(Event::Authenticate(request)) => {
                                match conn.authenticated(zap(&request), now) {
                                    Err(e) => {
                                        out[side].1 = Some(e);
                                        break;
                                    }
                                    Ok(e) => out[side].0.extend(e),
                                }
                            }
                            Some(e) => out[side].0.push(e),
                            None => {}
                        }
                    }
                }
            }
        }
    }
    out
}

pub(super) fn accept(user: &str) -> impl FnMut(&AuthRequest) -> Verdict {
    let user = user.to_owned();
    move |_| {
        let mut metadata = Metadata::new();
        metadata.push("X-Role", Bytes::from_static(b"ops"));
        Verdict::Reply {
            status: 200,
            user_id: Bytes::from(user.clone()),
            metadata,
        }
    }
}
