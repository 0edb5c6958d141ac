//! Security outside the codec: the mechanism a socket uses, its secrets, and the Z85
//! encoding of keys (`zmq_z85_encode` / `zmq_z85_decode`). The handshakes themselves are in
//! `zmtp::mechanism`; ZAP, the asking of a socket's handler, in the stream sessions.
//! CURVE's keys are here ([`curve_key`]), and the NaCl primitives it uses ([`nacl`]), the
//! only foreign code on the security path.

pub mod curve_key;
pub mod nacl;
pub mod z85;

pub use curve_key::{CurveKeyPair, CurvePublicKey, CurveSecretKey, curve_keypair, curve_public};

use zeroize::Zeroizing;

/// The security mechanism of a socket (ZMQ_MECHANISM).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mechanism {
    /// No security (ZMQ_NULL, 0).
    #[default]
    Null,
    /// RFC 24's PLAIN (ZMQ_PLAIN, 1).
    Plain,
    /// RFC 25/26's CURVE (ZMQ_CURVE, 2).
    Curve,
}

impl Mechanism {
    /// libzmq's value for ZMQ_MECHANISM.
    pub fn zmq_value(self) -> i32 {
        match self {
            Mechanism::Null => 0,
            Mechanism::Plain => 1,
            Mechanism::Curve => 2,
        }
    }
}

/// Secret octets (a password): wiped from memory when dropped, never shown
/// by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Keeps `octets` as a secret.
    pub fn new(octets: &[u8]) -> Self {
        Self(Zeroizing::new(octets.to_vec()))
    }

    /// The octets.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}
