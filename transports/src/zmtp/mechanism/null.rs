//! NULL (RFC 23/37): each side sends READY with its metadata. With a ZAP domain set, the
//! handler decides first and READY waits for its verdict (libzmq's order); the peer's READY
//! may arrive meanwhile and is kept until then.

use super::super::command::Metadata;
use super::super::owed::Owed;
use super::{Accepted, AuthRequest, Progress, Verdict, ZapSettings, judge, malformed};
use crate::zmtp::ProtocolError;

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// The peer's greeting is not in yet.
    Starting,
    /// Waiting for the ZAP handler before our READY.
    WaitingForZap,
    /// Our READY is owed or sent.
    ReadySent,
}

#[derive(Debug)]
pub(in crate::zmtp) struct Null {
    zap: ZapSettings,
    state: State,
    /// The peer's READY, when it came before the verdict.
    peer_ready: Option<Metadata>,
    accepted: Accepted,
}

impl Null {
    pub(super) fn new(zap: &ZapSettings) -> Self {
        Self {
            zap: zap.clone(),
            state: State::Starting,
            peer_ready: None,
            accepted: Accepted::default(),
        }
    }

    pub(super) fn start(&mut self, owed: &mut Owed, ours: &Metadata) -> Progress {
        if self.zap.domain.is_empty() {
            send_ready(owed, ours);
            self.state = State::ReadySent;
            return Progress::Continue;
        }
        self.state = State::WaitingForZap;
        Progress::Authenticate(AuthRequest {
            mechanism: "NULL",
            credentials: Vec::new(),
        })
    }

    pub(super) fn on_command(&mut self, name: &[u8], data: &[u8]) -> Result<Progress, ProtocolError> {
        if name != b"READY" {
            return Err(ProtocolError::Malformed(format!(
                "expected READY in the NULL handshake, got {}",
                String::from_utf8_lossy(name)
            )));
        }
        if self.peer_ready.is_some() {
            return Err(malformed("a second READY in the NULL handshake"));
        }
        let metadata = Metadata::parse(data).map_err(malformed)?;
        match self.state {
            State::ReadySent => Ok(self.ready(metadata)),
            _ => {
                self.peer_ready = Some(metadata);
                Ok(Progress::Continue)
            }
        }
    }

    pub(super) fn decided(&mut self, verdict: Verdict, owed: &mut Owed) -> Result<Accepted, ProtocolError> {
        if self.state != State::WaitingForZap {
            return Err(malformed("a ZAP verdict nobody asked for"));
        }
        judge(verdict, owed, self.zap.without_handler())
    }

    pub(super) fn accepted(&mut self, owed: &mut Owed, ours: &Metadata, accepted: Accepted) -> Progress {
        self.accepted = accepted;
        send_ready(owed, ours);
        self.state = State::ReadySent;
        match self.peer_ready.take() {
            Some(metadata) => self.ready(metadata),
            None => Progress::Continue,
        }
    }

    fn ready(&mut self, metadata: Metadata) -> Progress {
        Progress::Ready {
            metadata,
            zap: std::mem::take(&mut self.accepted),
            cipher: None,
        }
    }
}

fn send_ready(owed: &mut Owed, ours: &Metadata) {
    let mut data = Vec::new();
    ours.encode(&mut data);
    owed.handshake_command("READY", &data);
}
