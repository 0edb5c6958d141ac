//! ZAP (RFC 27) for a connection whose mechanism asks it, as libzmq runs it: the request
//! goes to the socket bound at `inproc://zeromq.zap.01` in the socket's context (a REP or
//! ROUTER written for libzmq works unchanged) over a pipe of its own, as a REQ would send
//! it: an empty delimiter, then version "1.0", request id "1", ZAP_DOMAIN, the peer's
//! address, our routing id, the mechanism and its credentials. The reply must be exactly
//! libzmq's seven frames; anything else fails the handshake. Without a handler the
//! mechanism decides (see `zmtp::mechanism`).

use std::time::Instant;

use ringmq_engine::ShardCx;

use super::{Failure, Session};
use crate::msg::Msg;
use crate::pipe::{PipeLimits, ShardPipe, SocketEvent, pipe};
use crate::zmtp::{AuthRequest, Event, Metadata, ProtocolError, Verdict, ZapFault};

/// Where ZAP handlers bind.
const ZAP_NAME: &str = "zeromq.zap.01";

/// A ZAP request in flight: the pipe to the handler and the reply frames read so far.
#[derive(Debug)]
pub(super) struct ZapExchange {
    pipe: ShardPipe,
    reply: Vec<Msg>,
}

impl Session {
    /// Asks the socket's ZAP handler about the peer; answers at once when there is none.
    pub(super) fn ask_zap(&mut self, request: AuthRequest, now: Instant) -> Result<(), Failure> {
        let handler = self
            .options
            .zap_handlers
            .as_ref()
            .and_then(|names| names.bound_peer(ZAP_NAME));
        let Some(handler) = handler else {
            return self.apply_verdict(Verdict::NoHandler, now);
        };
        let address = self
            .link
            .open_conn()
            .map(|c| c.io.peer_address())
            .unwrap_or_default();
        let unlimited = PipeLimits {
            sndhwm: 0,
            rcvhwm: 0,
            conflate_out: false,
            conflate_in: false,
        };
        let (socket_end, mut ours) = pipe(
            handler.inbox.clone(),
            self.shard.clone(),
            unlimited,
            Some(format!("inproc://{ZAP_NAME}")),
            false,
        );
        ours.bind_session(self.me);
        if handler.socket_type.receives_routing_id() {
            // A ROUTER handler learns of its peer from a routing id, as from any peer.
            ours.write(Msg::new().with_routing_id_flag());
        }
        let zmtp = &self.options.zmtp;
        let mut frames: Vec<Msg> = vec![
            Msg::new(),
            Msg::from("1.0"),
            Msg::from("1"),
            Msg::from(zmtp.zap.domain.clone()),
            Msg::from(address),
            Msg::from(zmtp.routing_id.clone()),
            Msg::from(request.mechanism),
        ];
        frames.extend(request.credentials.into_iter().map(Msg::from));
        let last = frames.len() - 1;
        for (i, frame) in frames.into_iter().enumerate() {
            ours.write(frame.with_more(i < last));
        }
        ours.flush();
        // Asleep on the reply before the handler can see the request, so its reply wakes
        // this session (nothing can be there yet: the handler does not have the pipe).
        let asleep = ours.sleep_reader();
        debug_assert!(asleep);
        handler.inbox.post(SocketEvent::Attached(Box::new(socket_end)));
        self.zap = Some(ZapExchange {
            pipe: ours,
            reply: Vec::new(),
        });
        Ok(())
    }

    /// Reads the handler's reply if it came (the session was woken), and goes on with the
    /// handshake once it is whole.
    pub(super) fn poll_zap(&mut self, cx: &mut ShardCx<'_>) {
        let Some(exchange) = self.zap.as_mut() else {
            return;
        };
        loop {
            let mut whole = false;
            while let Some(frame) = exchange.pipe.read() {
                let more = frame.more();
                exchange.reply.push(frame);
                if !more {
                    whole = true;
                    break;
                }
            }
            exchange.pipe.release();
            if whole {
                break;
            }
            // Not all of it yet: sleep on the pipe, unless a frame came meanwhile.
            if exchange.pipe.sleep_reader() {
                return;
            }
        }
        let reply = std::mem::take(&mut exchange.reply);
        // The pipe goes: the handler sees its peer leave, as libzmq's sees a session go.
        self.zap = None;
        let outcome = parse_reply(reply)
            .map_err(Failure::Protocol)
            .and_then(|verdict| self.apply_verdict(verdict, cx.now()));
        match outcome {
            Err(why) => self.fail(cx, why),
            Ok(()) => {
                self.request_flush(cx);
                self.rearm_timer(cx);
            }
        }
    }

    /// Hands the verdict to the codec and acts on where the handshake is then.
    fn apply_verdict(&mut self, verdict: Verdict, now: Instant) -> Result<(), Failure> {
        let Some(conn) = self.link.open_conn() else {
            return Ok(());
        };
        match conn.flow.codec_mut().authenticated(verdict, now) {
            Err(e) => Err(Failure::Protocol(e)),
            Ok(Some(Event::Ready(peer))) => self.on_handshake_done(peer).map_err(Failure::Abandoned),
            Ok(_) => Ok(()),
        }
    }
}

/// libzmq's checks of a ZAP reply: seven frames, an empty delimiter, version "1.0", request
/// id "1", a status code 200, 300, 400 or 500, then status text, User-Id and metadata.
fn parse_reply(frames: Vec<Msg>) -> Result<Verdict, ProtocolError> {
    let bad = ProtocolError::BadZapReply;
    let [delimiter, version, request_id, status, _text, user_id, metadata]: [Msg; 7] = frames
        .try_into()
        .map_err(|_: Vec<Msg>| bad(ZapFault::MalformedReply))?;
    if !delimiter.is_empty() {
        return Err(bad(ZapFault::MalformedReply));
    }
    if &version[..] != b"1.0" {
        return Err(bad(ZapFault::BadVersion));
    }
    if &request_id[..] != b"1" {
        return Err(bad(ZapFault::BadRequestId));
    }
    let status = match &status[..] {
        b"200" => 200,
        b"300" => 300,
        b"400" => 400,
        b"500" => 500,
        _ => return Err(bad(ZapFault::InvalidStatusCode)),
    };
    Ok(Verdict::Reply {
        status,
        user_id: user_id.into_bytes(),
        metadata: Metadata::parse(&metadata).map_err(|_| bad(ZapFault::InvalidMetadata))?,
    })
}
