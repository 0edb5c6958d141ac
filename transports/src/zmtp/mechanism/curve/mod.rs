//! CURVE (RFC 25 over RFC 26's CurveZMQ), exactly as libzmq runs it. The client knows the
//! server's long-term public key S; each side makes a short-term key pair per connection.
//!
//! ```text
//! C → S  HELLO     version 1.0, 72 octets of padding, C', short nonce, Box[64 × 0](C'→S)
//! S → C  WELCOME   long nonce, Box[S' + cookie](S→C')
//!                  cookie = long nonce + SecretBox[C' + s'](cookie key)
//! C → S  INITIATE  cookie, short nonce, Box[C + vouch + metadata](C'→S')
//!                  vouch = long nonce + Box[C' + S](C→S')
//! S → C  READY     short nonce, Box[metadata](S'→C')
//! then   MESSAGE   short nonce, Box[flags + body](C'↔S'), both ways (see `cipher`)
//! ```
//!
//! The cookie key is fresh for each connection and forgotten once INITIATE has shown the
//! cookie back, so the server holds no state for a client that stops after HELLO beyond
//! its own short-term key pair, and no INITIATE can be replayed, on this connection or
//! another. Short nonces count up from 1 on each side and must strictly increase (HELLO <
//! INITIATE < MESSAGEs from the client; READY < MESSAGEs from the server).
//!
//! The server asks its ZAP handler about the client's long-term key C, as libzmq does:
//! whenever a handler is bound (unless ZAP_ENFORCE_DOMAIN is set without a domain); with
//! none, it accepts (the "Stonehouse" pattern: encryption without authentication) unless
//! ZAP_ENFORCE_DOMAIN. ERROR goes out only for a ZAP refusal; a HELLO the server cannot
//! open (the client has the wrong server key) closes without a word, and libzmq's client
//! then retries.

mod cipher;
mod client;
mod server;

pub(in crate::zmtp) use cipher::{Direction, MessageCipher};
pub(in crate::zmtp) use client::Client;
pub(in crate::zmtp) use server::Server;

use super::super::ProtocolError;
use crate::security::nacl::NONCE_LEN;

/// HELLO's data: version, padding, C', short nonce, the 80-octet signature box.
pub(in crate::zmtp) const HELLO_DATA_LEN: usize = 2 + 72 + 32 + 8 + 80;
/// WELCOME's data: long nonce and the 144-octet box of S' and the cookie.
pub(in crate::zmtp) const WELCOME_DATA_LEN: usize = 16 + 144;
/// The cookie: its long nonce and the 80-octet secret box of C' and s'.
const COOKIE_LEN: usize = 16 + 80;
/// INITIATE's data without the metadata: cookie, short nonce, and the box of C (32), the
/// vouch (16 + 80) and its authenticator (16).
pub(in crate::zmtp) const INITIATE_DATA_MIN: usize = COOKIE_LEN + 8 + 16 + 32 + 16 + 80;

/// A 24-octet nonce: a 16-octet prefix and a short nonce.
fn message_nonce(prefix: &[u8; 16], short: u64) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..16].copy_from_slice(prefix);
    nonce[16..].copy_from_slice(&short.to_be_bytes());
    nonce
}

/// A 24-octet nonce: an 8-octet prefix and a 16-octet long nonce.
fn long_nonce(prefix: &[u8; 8], long: &[u8]) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..8].copy_from_slice(prefix);
    nonce[8..].copy_from_slice(long);
    nonce
}

/// The peer's short nonce, which must be above its last one.
fn short_nonce_after(octets: &[u8], last: u64) -> Result<u64, ProtocolError> {
    let nonce = u64::from_be_bytes(octets.try_into().expect("8 octets"));
    if nonce <= last {
        return Err(ProtocolError::Cryptographic(
            "a short nonce not above the last one (replayed or reordered)",
        ));
    }
    Ok(nonce)
}

fn cryptographic(what: &'static str) -> ProtocolError {
    ProtocolError::Cryptographic(what)
}
