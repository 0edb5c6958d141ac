//! Security mechanisms (RFC 23/37's NULL, RFC 24's PLAIN, RFC 25's CURVE) behind one interface for the
//! connection: the greeting's mechanism name and as-server bit, the handshake commands each
//! side sends and expects, and where the handshake waits for the socket's ZAP handler
//! (RFC 27) to decide. Sans-IO like the rest of the codec: the connection hands each
//! handshake command in and writes what the mechanism owes into [`Owed`]; the verdict of
//! an authentication comes back through [`Mechanism::on_verdict`]. CURVE's handshake ends
//! with a [`MessageCipher`] that boxes and opens every frame after it.
//!
//! What each mechanism does without a ZAP handler follows libzmq: NULL and CURVE
//! accept unless ZAP_ENFORCE_DOMAIN is set; PLAIN refuses, since a PLAIN server that checks
//! nothing is no server at all.

pub(super) mod curve;
mod null;
mod plain;

use bytes::Bytes;

use super::ProtocolError;
use super::command::{Metadata, split_command};
use super::owed::Owed;
use crate::security::{CurveKeyPair, CurvePublicKey, Secret};
pub(super) use curve::MessageCipher;

/// A socket's security settings, as its options give them.
#[derive(Clone, Debug, Default)]
pub enum Security {
    /// No security (the default).
    #[default]
    Null,
    /// PLAIN, as the client: these credentials go to the server in HELLO.
    PlainClient {
        /// PLAIN_USERNAME.
        username: Bytes,
        /// PLAIN_PASSWORD.
        password: Secret,
    },
    /// PLAIN, as the server: clients' credentials go to the ZAP handler.
    PlainServer,
    /// CURVE, as the client of the server whose public key this is.
    CurveClient {
        /// CURVE_SERVERKEY.
        server_key: CurvePublicKey,
        /// CURVE_PUBLICKEY and CURVE_SECRETKEY: who we are to the server.
        keys: CurveKeyPair,
    },
    /// CURVE, as the server with this key pair (CURVE_SECRETKEY and its public key, which
    /// the vouch names; derived once, not per connection).
    CurveServer {
        /// Our long-term key pair.
        keys: CurveKeyPair,
    },
}

impl Security {
    /// The mechanism name in the greeting.
    pub fn mechanism_name(&self) -> &'static str {
        match self {
            Security::Null => "NULL",
            Security::PlainClient { .. } | Security::PlainServer => "PLAIN",
            Security::CurveClient { .. } | Security::CurveServer { .. } => "CURVE",
        }
    }

    /// The greeting's as-server bit.
    pub fn as_server(&self) -> bool {
        matches!(self, Security::PlainServer | Security::CurveServer { .. })
    }
}

/// Where a ZAP request goes and what it says about this side (RFC 27).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZapSettings {
    /// ZAP_DOMAIN (empty: none). NULL asks ZAP only when a domain is set.
    pub domain: Bytes,
    /// ZAP_ENFORCE_DOMAIN: without a ZAP handler, NULL fails instead of accepting.
    pub enforce_domain: bool,
}

impl ZapSettings {
    /// What a verdict of "no handler" means where ZAP_ENFORCE_DOMAIN decides (NULL with a
    /// domain, CURVE): accept, unless enforced.
    pub(super) fn without_handler(&self) -> Result<(), ProtocolError> {
        if self.enforce_domain {
            Err(ProtocolError::NoZapHandler)
        } else {
            Ok(())
        }
    }
}

/// What the mechanism wants the socket's ZAP handler asked (RFC 27's request, less what
/// the driver adds: the domain, the peer's address and our routing id).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// "NULL", "PLAIN" or "CURVE".
    pub mechanism: &'static str,
    /// The mechanism's credentials frames (PLAIN: username, password; CURVE: the client's
    /// 32-octet public key).
    pub credentials: Vec<Bytes>,
}

impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials are secrets: their count only.
        f.debug_struct("AuthRequest")
            .field("mechanism", &self.mechanism)
            .field("credentials", &self.credentials.len())
            .finish()
    }
}

/// What the ZAP handler said, or that there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No handler is bound at `inproc://zeromq.zap.01`.
    NoHandler,
    /// A reply with a valid status code.
    Reply {
        /// 200 (accepted), 300 (temporary failure), 400 (refused), 500 (internal error).
        status: u16,
        /// The User-Id the handler gave (200 only).
        user_id: Bytes,
        /// Properties the handler added for this peer.
        metadata: Metadata,
    },
}

/// What a handshake step leads to.
#[derive(Debug)]
pub(super) enum Progress {
    /// Nothing for the driver yet.
    Continue,
    /// The socket's ZAP handler must decide before the handshake goes on.
    Authenticate(AuthRequest),
    /// The handshake completed: the peer's metadata, what ZAP gave it (User-Id and
    /// properties), and (CURVE) the boxing of the traffic.
    Ready {
        metadata: Metadata,
        zap: Accepted,
        cipher: Option<MessageCipher>,
    },
}

/// The mechanism of one connection.
#[derive(Debug)]
pub(super) enum Mechanism {
    Null(null::Null),
    PlainClient(plain::Client),
    PlainServer(plain::Server),
    // Boxed: the key pairs would make every connection's mechanism as large as CURVE's.
    CurveClient(Box<curve::Client>),
    CurveServer(Box<curve::Server>),
}

impl Mechanism {
    pub(super) fn new(security: &Security, zap: &ZapSettings) -> Self {
        match security {
            Security::Null => Mechanism::Null(null::Null::new(zap)),
            Security::PlainClient { username, password } => {
                Mechanism::PlainClient(plain::Client::new(username.clone(), password.clone()))
            }
            Security::PlainServer => Mechanism::PlainServer(plain::Server::default()),
            Security::CurveClient { server_key, keys } => {
                Mechanism::CurveClient(Box::new(curve::Client::new(*server_key, keys.clone())))
            }
            Security::CurveServer { keys } => {
                Mechanism::CurveServer(Box::new(curve::Server::new(keys.clone(), zap)))
            }
        }
    }

    /// The peer's greeting is in: queues our first handshake command, or asks ZAP first.
    pub(super) fn start(&mut self, owed: &mut Owed, ours: &Metadata) -> Result<Progress, ProtocolError> {
        match self {
            Mechanism::Null(m) => Ok(m.start(owed, ours)),
            Mechanism::PlainClient(m) => Ok(m.start(owed)),
            Mechanism::CurveClient(m) => m.start(owed),
            Mechanism::PlainServer(_) | Mechanism::CurveServer(_) => Ok(Progress::Continue),
        }
    }

    /// A handshake command (its name and data) arrived.
    pub(super) fn on_command(
        &mut self,
        name: &[u8],
        data: &[u8],
        owed: &mut Owed,
        ours: &Metadata,
    ) -> Result<Progress, ProtocolError> {
        if name == b"ERROR" {
            return Err(ProtocolError::PeerError(error_reason(data)));
        }
        match self {
            Mechanism::Null(m) => m.on_command(name, data),
            Mechanism::PlainClient(m) => m.on_command(name, data, owed, ours),
            Mechanism::PlainServer(m) => m.on_command(name, data, owed, ours),
            Mechanism::CurveClient(m) => m.on_command(name, data, owed, ours),
            Mechanism::CurveServer(m) => m.on_command(name, data, owed, ours),
        }
    }

    /// The ZAP handler decided (or there is none).
    pub(super) fn on_verdict(
        &mut self,
        verdict: Verdict,
        owed: &mut Owed,
        ours: &Metadata,
    ) -> Result<Progress, ProtocolError> {
        let decided = match self {
            Mechanism::Null(m) => m.decided(verdict, owed),
            Mechanism::PlainServer(m) => m.decided(verdict, owed),
            Mechanism::CurveServer(m) => m.decided(verdict, owed),
            Mechanism::PlainClient(_) | Mechanism::CurveClient(_) => {
                return Err(malformed("a ZAP verdict for a client"));
            }
        }?;
        // Accepted: the mechanism goes on from where it waited.
        match self {
            Mechanism::Null(m) => Ok(m.accepted(owed, ours, decided)),
            Mechanism::PlainServer(m) => Ok(m.accepted(owed, decided)),
            Mechanism::CurveServer(m) => m.accepted(owed, ours, decided),
            Mechanism::PlainClient(_) | Mechanism::CurveClient(_) => unreachable!("refused above"),
        }
    }
}

/// libzmq's PLAIN server (every release through 4.3.5) writes its ERROR prefix as the C
/// string "\x05ERROR", whose hex escape swallows the `E`: the frame it sends starts 0x5E
/// "RROR", then the reason. It is read as the ERROR it means, so a refused client stops as
/// libzmq's own client does, instead of taking it for a malformed frame and retrying.
const LIBZMQ_PLAIN_ERROR: &[u8] = b"\x5eRROR";

/// A handshake command frame body's name and data.
pub(super) fn split_handshake_command(body: &[u8]) -> Result<(&[u8], &[u8]), ProtocolError> {
    if let Some(reason) = body.strip_prefix(LIBZMQ_PLAIN_ERROR) {
        return Ok((b"ERROR", reason));
    }
    split_command(body).map_err(|e| ProtocolError::Malformed(e.into()))
}

/// The User-Id and properties an accepting verdict gave (nothing without a ZAP handler).
#[derive(Debug, Default)]
pub(super) struct Accepted {
    pub(super) user_id: Option<Bytes>,
    pub(super) metadata: Metadata,
}

/// Applies libzmq's rules to a verdict: 200 accepts; 300 closes without a word (a
/// temporary failure, CurveZMQ's rule); 400 and 500 answer ERROR with the status code as
/// the reason, then close. Without a handler, `without_handler` decides.
fn judge(
    verdict: Verdict,
    owed: &mut Owed,
    without_handler: Result<(), ProtocolError>,
) -> Result<Accepted, ProtocolError> {
    match verdict {
        Verdict::NoHandler => without_handler.map(|()| Accepted::default()),
        Verdict::Reply {
            status: 200,
            user_id,
            metadata,
        } => Ok(Accepted {
            user_id: Some(user_id),
            metadata,
        }),
        Verdict::Reply { status, .. } => {
            if status != 300 {
                owed.error(status.to_string().as_bytes());
            }
            Err(ProtocolError::AuthenticationFailed(status))
        }
    }
}

fn error_reason(data: &[u8]) -> String {
    let len = data.first().map_or(0, |&n| usize::from(n));
    String::from_utf8_lossy(data.get(1..1 + len).unwrap_or(&data[data.len().min(1)..])).into_owned()
}

/// A handshake command that `whom` does not expect at this step.
fn unexpected(name: &[u8], whom: &str) -> ProtocolError {
    ProtocolError::Malformed(format!(
        "{} is not what {whom} expects now",
        String::from_utf8_lossy(name)
    ))
}

fn malformed(what: &str) -> ProtocolError {
    ProtocolError::Malformed(what.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libzmqs_misspelt_plain_error_reads_as_error() {
        // What libzmq 4.3's PLAIN server sends for a 400 refusal.
        let libzmq = b"\x5eRROR\x03400";
        assert_eq!(
            split_handshake_command(libzmq).unwrap(),
            (&b"ERROR"[..], &b"\x03400"[..])
        );
        let proper = b"\x05ERROR\x03400";
        assert_eq!(
            split_handshake_command(proper).unwrap(),
            (&b"ERROR"[..], &b"\x03400"[..])
        );
        assert!(split_handshake_command(b"\x5eRRO").is_err());
    }
}
