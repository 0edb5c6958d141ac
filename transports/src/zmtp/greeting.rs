//! The 64-octet greeting: signature, version, mechanism, as-server, filler.

/// Length of a ZMTP 3.x greeting.
pub const GREETING_LEN: usize = 64;

/// Our greeting: ZMTP 3.1, mechanism `mechanism` (e.g. "NULL"), as-server flag.
///
/// The padding is zero, as RFC 37 asks of a peer that sends its whole greeting at once.
pub fn our_greeting(mechanism: &str, as_server: bool) -> [u8; GREETING_LEN] {
    let mut g = [0u8; GREETING_LEN];
    g[0] = 0xff;
    g[9] = 0x7f;
    g[10] = 3;
    g[11] = 1;
    let m = mechanism.as_bytes();
    assert!(m.len() <= 20, "mechanism names have at most 20 octets");
    g[12..12 + m.len()].copy_from_slice(m);
    g[32] = u8::from(as_server);
    g
}

/// A peer's greeting, checked octet by octet as it arrives.
#[derive(Clone, Debug)]
pub struct Greeting {
    bytes: [u8; GREETING_LEN],
    len: usize,
}

/// Why a greeting was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GreetingError {
    /// The first octet is not 0xFF, or the tenth lacks its low bit: not ZMTP 2.0 or later.
    BadSignature,
    /// Major version below 3 (ZMTP 1.0/2.0), which ringmq does not speak.
    OldVersion(u8),
}

impl Default for Greeting {
    fn default() -> Self {
        Self {
            bytes: [0; GREETING_LEN],
            len: 0,
        }
    }
}

impl Greeting {
    /// Takes octets from `input` until the greeting is complete; returns how many it took.
    /// Fails as soon as an octet shows the peer is not a ZMTP 3.x peer.
    pub fn feed(&mut self, input: &[u8]) -> Result<usize, GreetingError> {
        let take = input.len().min(GREETING_LEN - self.len);
        for &b in &input[..take] {
            let at = self.len;
            self.bytes[at] = b;
            self.len += 1;
            match at {
                0 if b != 0xff => return Err(GreetingError::BadSignature),
                9 if b & 0x01 == 0 => return Err(GreetingError::BadSignature),
                10 if b < 3 => return Err(GreetingError::OldVersion(b)),
                _ => {}
            }
        }
        Ok(take)
    }

    /// `true` once all 64 octets are in.
    pub fn is_complete(&self) -> bool {
        self.len == GREETING_LEN
    }

    /// (major, minor) version.
    pub fn version(&self) -> (u8, u8) {
        (self.bytes[10], self.bytes[11])
    }

    /// The mechanism field with its NUL padding.
    pub fn mechanism_field(&self) -> &[u8; 20] {
        self.bytes[12..32].try_into().expect("20 octets")
    }

    /// The mechanism name without padding.
    pub fn mechanism(&self) -> &[u8] {
        let field = &self.bytes[12..32];
        let end = field.iter().position(|&b| b == 0).unwrap_or(20);
        &field[..end]
    }

    /// The as-server flag.
    pub fn as_server(&self) -> bool {
        self.bytes[32] == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 37's worked example: signature, major, minor, "NULL", as-server 0, filler.
    #[test]
    fn our_greeting_matches_rfc_37_byte_for_byte() {
        let g = our_greeting("NULL", false);
        let mut expected = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1];
        expected.extend_from_slice(b"NULL");
        expected.extend_from_slice(&[0; 16]);
        expected.push(0);
        expected.extend_from_slice(&[0; 31]);
        assert_eq!(g.to_vec(), expected);
        assert_eq!(g.len(), 64);
    }

    #[test]
    fn a_greeting_split_anywhere_is_accepted() {
        let g = our_greeting("NULL", false);
        for split in 0..=64 {
            let mut peer = Greeting::default();
            assert_eq!(peer.feed(&g[..split]), Ok(split));
            assert_eq!(peer.feed(&g[split..]), Ok(64 - split));
            assert!(peer.is_complete());
            assert_eq!(peer.version(), (3, 1));
            assert_eq!(peer.mechanism(), b"NULL");
            assert!(!peer.as_server());
        }
    }

    #[test]
    fn libzmq_style_padding_is_not_significant() {
        // libzmq puts its identity length in the padding for ZMTP 1.0 detection.
        let mut g = our_greeting("NULL", false);
        g[1..9].copy_from_slice(&1u64.to_be_bytes());
        let mut peer = Greeting::default();
        assert_eq!(peer.feed(&g), Ok(64));
    }

    #[test]
    fn bad_signature_and_old_versions_fail_early() {
        let mut peer = Greeting::default();
        assert_eq!(peer.feed(b"GET / HTTP/1.1\r\n"), Err(GreetingError::BadSignature));
        let mut g = our_greeting("NULL", false);
        g[9] = 0x7e;
        assert_eq!(Greeting::default().feed(&g), Err(GreetingError::BadSignature));
        let mut g = our_greeting("NULL", false);
        g[10] = 2;
        assert_eq!(Greeting::default().feed(&g), Err(GreetingError::OldVersion(2)));
        // Later versions are accepted (RFC 37: a peer MUST accept higher versions).
        let mut g = our_greeting("NULL", false);
        g[10] = 4;
        assert_eq!(Greeting::default().feed(&g), Ok(64));
    }
}
