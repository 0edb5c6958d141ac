//! PLAIN (RFC 24): the client sends HELLO with a username and password, the server has its
//! ZAP handler check them and answers WELCOME (or ERROR), the client sends INITIATE with
//! its metadata, the server answers READY with its own. PLAIN hides nothing from anyone on
//! the path; it only tells a server who claims to connect.

use bytes::Bytes;
use zeroize::Zeroizing;

use super::super::command::Metadata;
use super::super::owed::Owed;
use super::{Accepted, AuthRequest, Progress, Verdict, judge, malformed, unexpected};
use crate::security::Secret;
use crate::zmtp::ProtocolError;

#[derive(Debug, PartialEq, Eq)]
enum ClientState {
    /// HELLO is owed or sent; WELCOME is expected.
    HelloSent,
    /// INITIATE is owed or sent; READY is expected.
    InitiateSent,
}

/// The client's side.
#[derive(Debug)]
pub(in crate::zmtp) struct Client {
    username: Bytes,
    password: Secret,
    state: ClientState,
}

impl Client {
    pub(super) fn new(username: Bytes, password: Secret) -> Self {
        Self {
            username,
            password,
            state: ClientState::HelloSent,
        }
    }

    pub(super) fn start(&mut self, owed: &mut Owed) -> Progress {
        // Both are at most 255 octets (the options refuse longer ones).
        let password = self.password.expose();
        let mut hello = Zeroizing::new(Vec::with_capacity(2 + self.username.len() + password.len()));
        hello.push(self.username.len() as u8);
        hello.extend_from_slice(&self.username);
        hello.push(password.len() as u8);
        hello.extend_from_slice(password);
        owed.handshake_command("HELLO", &hello);
        Progress::Continue
    }

    pub(super) fn on_command(
        &mut self,
        name: &[u8],
        data: &[u8],
        owed: &mut Owed,
        ours: &Metadata,
    ) -> Result<Progress, ProtocolError> {
        match (&self.state, name) {
            (ClientState::HelloSent, b"WELCOME") if data.is_empty() => {
                let mut metadata = Vec::new();
                ours.encode(&mut metadata);
                owed.handshake_command("INITIATE", &metadata);
                self.state = ClientState::InitiateSent;
                Ok(Progress::Continue)
            }
            (ClientState::InitiateSent, b"READY") => Ok(Progress::Ready {
                metadata: Metadata::parse(data).map_err(malformed)?,
                zap: Accepted::default(),
                cipher: None,
            }),
            _ => Err(unexpected(name, "the PLAIN client")),
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
enum ServerState {
    #[default]
    WaitingForHello,
    WaitingForZap,
    /// WELCOME is owed or sent; INITIATE is expected.
    WelcomeSent,
}

/// The server's side.
#[derive(Debug, Default)]
pub(in crate::zmtp) struct Server {
    state: ServerState,
    accepted: Accepted,
}

impl Server {
    pub(super) fn on_command(
        &mut self,
        name: &[u8],
        data: &[u8],
        owed: &mut Owed,
        ours: &Metadata,
    ) -> Result<Progress, ProtocolError> {
        match (&self.state, name) {
            (ServerState::WaitingForHello, b"HELLO") => {
                let (username, password) = parse_hello(data)?;
                self.state = ServerState::WaitingForZap;
                Ok(Progress::Authenticate(AuthRequest {
                    mechanism: "PLAIN",
                    credentials: vec![username, password],
                }))
            }
            (ServerState::WelcomeSent, b"INITIATE") => {
                let metadata = Metadata::parse(data).map_err(malformed)?;
                let mut ready = Vec::new();
                ours.encode(&mut ready);
                owed.handshake_command("READY", &ready);
                Ok(Progress::Ready {
                    metadata,
                    zap: std::mem::take(&mut self.accepted),
                    cipher: None,
                })
            }
            _ => Err(unexpected(name, "the PLAIN server")),
        }
    }

    pub(super) fn decided(&mut self, verdict: Verdict, owed: &mut Owed) -> Result<Accepted, ProtocolError> {
        if self.state != ServerState::WaitingForZap {
            return Err(malformed("a ZAP verdict nobody asked for"));
        }
        // libzmq's PLAIN server refuses every client when no ZAP handler checks them.
        judge(verdict, owed, Err(ProtocolError::NoZapHandler))
    }

    pub(super) fn accepted(&mut self, owed: &mut Owed, accepted: Accepted) -> Progress {
        self.accepted = accepted;
        owed.handshake_command("WELCOME", b"");
        self.state = ServerState::WelcomeSent;
        Progress::Continue
    }
}

/// HELLO's data: a username and a password, each an octet of length then its octets, and
/// nothing after them.
fn parse_hello(data: &[u8]) -> Result<(Bytes, Bytes), ProtocolError> {
    let field = |at: usize| -> Result<(&[u8], usize), ProtocolError> {
        let len = usize::from(*data.get(at).ok_or_else(|| malformed("HELLO cut short"))?);
        let value = data
            .get(at + 1..at + 1 + len)
            .ok_or_else(|| malformed("HELLO cut short"))?;
        Ok((value, at + 1 + len))
    };
    let (username, next) = field(0)?;
    let (password, end) = field(next)?;
    if end != data.len() {
        return Err(malformed("octets after HELLO's password"));
    }
    Ok((Bytes::copy_from_slice(username), Bytes::copy_from_slice(password)))
}
