//! What a connection owes its peer besides messages, kept as state rather than as bytes.
//!
//! A peer decides how many PINGs it sends, not how many PONGs we hold: a PING flood from a
//! peer that never reads would otherwise queue a PONG per PING until memory runs out (it
//! did: 2.9 GB in 10 s). So the connection owes at most one PONG, carrying the latest
//! PING's context, as libzmq does; at most one PING of its own; and at most one ERROR,
//! after which it owes nothing else. The handshake's own commands (greeting, READY) are
//! written once each. What [`Owed`] can hold is therefore bounded by the greeting, one
//! handshake command, and three short commands ([`Owed::MAX_OCTETS`] beyond the handshake).
//!
//! Owns only these pending commands; knows nothing of when they are due (the connection
//! decides) or how they are written (the driver takes them between messages).

use super::batch::WriteBatch;
use super::command::encode_command;
use super::greeting::GREETING_LEN;
use super::limits::{MAX_ERROR_REASON, MAX_IDENTITY_LEN, MAX_PING_CONTEXT};
use super::mechanism::MessageCipher;
use super::mechanism::curve::INITIATE_DATA_MIN;

/// The most a connection ever owes its peer at once: the greeting, our largest handshake
/// command (CURVE's INITIATE, whose box holds our metadata: the longest socket type names,
/// SCATTER and CHANNEL, and the longest Identity), and one PING, PONG and ERROR. A CURVE
/// server's WELCOME and READY together are smaller than that INITIATE.
pub const MAX_OWED_OCTETS: usize =
    GREETING_LEN + command_octets("INITIATE", INITIATE_DATA_MIN + MAX_OUR_METADATA) + Owed::MAX_OCTETS;

/// Our metadata at its longest.
const MAX_OUR_METADATA: usize =
    (1 + "Socket-Type".len() + 4 + "SCATTER".len()) + (1 + "Identity".len() + 4 + MAX_IDENTITY_LEN);

/// A PING's context, echoed in the PONG.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PingContext {
    octets: [u8; MAX_PING_CONTEXT],
    len: u8,
}

/// The last command of a connection.
#[derive(Debug, Default)]
enum Last {
    #[default]
    Open,
    /// An ERROR with this reason is due.
    ErrorDue(Vec<u8>),
    /// The ERROR went out: nothing more is owed, ever.
    ErrorWritten,
}

/// Commands owed to the peer (see the module documentation).
#[derive(Debug, Default)]
pub(super) struct Owed {
    /// Greeting and handshake commands, in order; each is written once.
    handshake: Vec<u8>,
    /// Our PING is due, with this TTL in deciseconds.
    ping: Option<u16>,
    /// A PONG is due, echoing this context.
    pong: Option<PingContext>,
    last: Last,
}

impl Owed {
    /// The most the PING, PONG and ERROR owed at once occupy on the wire.
    pub(super) const MAX_OCTETS: usize = command_octets("PING", 2)
        + command_octets("PONG", MAX_PING_CONTEXT)
        + command_octets("ERROR", 1 + MAX_ERROR_REASON);

    /// Queues handshake bytes (the greeting).
    pub(super) fn handshake(&mut self, bytes: &[u8]) {
        self.handshake.extend_from_slice(bytes);
    }

    /// Queues a handshake command.
    pub(super) fn handshake_command(&mut self, name: &str, data: &[u8]) {
        encode_command(name, data, &mut self.handshake);
    }

    /// Our PING is due; a PING not yet written is replaced.
    pub(super) fn ping(&mut self, ttl_deciseconds: u16) {
        if matches!(self.last, Last::Open) {
            self.ping = Some(ttl_deciseconds);
        }
    }

    /// A PONG for this context is due; a PONG not yet written is replaced (the latest PING
    /// is the one the peer waits for).
    pub(super) fn pong(&mut self, context: &[u8]) {
        if !matches!(self.last, Last::Open) {
            return;
        }
        let len = context.len().min(MAX_PING_CONTEXT);
        let mut octets = [0; MAX_PING_CONTEXT];
        octets[..len].copy_from_slice(&context[..len]);
        self.pong = Some(PingContext {
            octets,
            len: len as u8,
        });
    }

    /// An ERROR with `reason` is due. It is the last command the peer gets, so a PING or
    /// PONG not yet written is dropped; a second ERROR is not sent.
    pub(super) fn error(&mut self, reason: &[u8]) {
        if matches!(self.last, Last::Open) {
            self.last = Last::ErrorDue(reason[..reason.len().min(MAX_ERROR_REASON)].to_vec());
            self.ping = None;
            self.pong = None;
        }
    }

    /// `true` while an ERROR is owed and not yet written.
    pub(super) fn error_due(&self) -> bool {
        matches!(self.last, Last::ErrorDue(_))
    }

    /// `true` if anything is owed.
    pub(super) fn is_empty(&self) -> bool {
        self.handshake.is_empty()
            && self.ping.is_none()
            && self.pong.is_none()
            && !matches!(self.last, Last::ErrorDue(_))
    }

    /// Octets owed now.
    pub(super) fn len(&self) -> usize {
        let ping = self.ping.map_or(0, |_| command_octets("PING", 2));
        let pong = self
            .pong
            .map_or(0, |p| command_octets("PONG", usize::from(p.len)));
        let error = match &self.last {
            Last::ErrorDue(reason) => command_octets("ERROR", 1 + reason.len()),
            _ => 0,
        };
        self.handshake.len() + ping + pong + error
    }

    /// Writes everything owed into `batch`, in protocol order. After a CURVE handshake
    /// the commands go boxed through `cipher` (the handshake's own are never boxed).
    pub(super) fn write_into(&mut self, batch: &mut WriteBatch, mut cipher: Option<&mut MessageCipher>) {
        if !self.handshake.is_empty() {
            batch.push_copy(&self.handshake);
            self.handshake = Vec::new();
        }
        let mut out = Vec::new();
        let mut command = |name: &str, data: &[u8], batch: &mut WriteBatch| match cipher.as_deref_mut() {
            Some(cipher) => cipher.seal_command(name, data, batch),
            None => encode_command(name, data, &mut out),
        };
        if let Some(pong) = self.pong.take() {
            command("PONG", &pong.octets[..usize::from(pong.len)], batch);
        }
        if let Some(ttl) = self.ping.take() {
            command("PING", &ttl.to_be_bytes(), batch);
        }
        if let Last::ErrorDue(reason) = &self.last {
            let mut data = Vec::with_capacity(1 + reason.len());
            data.push(reason.len() as u8);
            data.extend_from_slice(reason);
            command("ERROR", &data, batch);
            self.last = Last::ErrorWritten;
        }
        batch.push_copy(&out);
    }
}

/// Wire octets of a command frame: header (short or long), name size, name, data.
const fn command_octets(name: &str, data_len: usize) -> usize {
    let body = 1 + name.len() + data_len;
    body + if body <= 255 { 2 } else { 9 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(owed: &mut Owed) -> Vec<u8> {
        let mut batch = WriteBatch::new();
        owed.write_into(&mut batch, None);
        batch.to_vec()
    }

    #[test]
    fn a_flood_of_pings_is_owed_one_pong_with_the_latest_context() {
        let mut owed = Owed::default();
        owed.handshake(&[0xff; GREETING_LEN]);
        owed.handshake_command("READY", &[0; 300]);
        assert!(owed.len() <= MAX_OWED_OCTETS);
        written(&mut owed);
        for i in 0..100_000u32 {
            owed.pong(&i.to_be_bytes());
            assert!(owed.len() <= Owed::MAX_OCTETS);
        }
        let mut expected = Vec::new();
        encode_command("PONG", &99_999u32.to_be_bytes(), &mut expected);
        assert_eq!(written(&mut owed), expected);
        assert!(owed.is_empty());
        assert_eq!(owed.len(), 0);
    }

    #[test]
    fn everything_owed_at_once_fits_the_stated_bound_and_error_comes_last() {
        let mut owed = Owed::default();
        owed.pong(&[7; 40]);
        owed.ping(25);
        // A PONG of 2 + 5 + 16 octets and a PING of 2 + 5 + 2.
        assert_eq!(owed.len(), 23 + 9);
        let pong_and_ping = written(&mut owed);
        assert_eq!(pong_and_ping.len(), 23 + 9);
        assert_eq!(&pong_and_ping[3..7], b"PONG");
        assert_eq!(
            &pong_and_ping[pong_and_ping.len() - 6..pong_and_ping.len() - 2],
            b"PING"
        );

        owed.pong(b"ctx");
        owed.ping(1);
        owed.error(&[b'e'; 300]);
        // The ERROR is final: what was owed before it is dropped, and nothing is owed after.
        owed.pong(b"later");
        owed.ping(2);
        owed.error(b"second");
        // A long frame: 9 + 1 + 5 + 1 + 255 octets.
        assert_eq!(owed.len(), 271);
        assert!(owed.len() <= Owed::MAX_OCTETS);
        let error = written(&mut owed);
        assert_eq!(error.len(), 271);
        assert_eq!(&error[10..15], b"ERROR");
        assert_eq!(usize::from(error[15]), MAX_ERROR_REASON);
        owed.pong(b"after");
        assert!(owed.is_empty());
        assert!(written(&mut owed).is_empty());
    }

    #[test]
    fn handshake_bytes_go_out_first_and_once() {
        let mut owed = Owed::default();
        owed.handshake(b"greeting");
        owed.pong(b"p");
        owed.handshake_command("READY", b"");
        let out = written(&mut owed);
        assert!(out.starts_with(b"greeting\x04\x06\x05READY"));
        assert_eq!(&out[out.len() - 5..], b"PONGp");
        assert!(written(&mut owed).is_empty());
    }
}
