//! The CURVE client: HELLO, then INITIATE once WELCOME opens with the server's key, then
//! READY completes the handshake.

use zeroize::Zeroizing;

use super::super::super::command::Metadata;
use super::super::super::owed::Owed;
use super::super::{Accepted, Progress, malformed, unexpected};
use super::{
    Direction, HELLO_DATA_LEN, MessageCipher, WELCOME_DATA_LEN, cryptographic, long_nonce, message_nonce,
    short_nonce_after,
};
use crate::security::nacl::{self, KEY_LEN, SharedKey};
use crate::security::{CurveKeyPair, CurvePublicKey};
use crate::zmtp::ProtocolError;

/// Our short nonces: HELLO's, then INITIATE's, then the MESSAGEs'.
const HELLO_NONCE: u64 = 1;
const INITIATE_NONCE: u64 = 2;

#[derive(Debug)]
enum State {
    /// The server's greeting is not in yet.
    Starting,
    /// HELLO is owed or sent; WELCOME is expected. The key C' and S share, agreed once
    /// for both HELLO and WELCOME.
    HelloSent(SharedKey),
    /// INITIATE is owed or sent; READY is expected.
    InitiateSent(SharedKey),
    /// The handshake is over.
    Done,
}

/// The client's side of one connection.
#[derive(Debug)]
pub(in crate::zmtp) struct Client {
    server_key: CurvePublicKey,
    long_term: CurveKeyPair,
    short_public: [u8; KEY_LEN],
    short_secret: Zeroizing<[u8; KEY_LEN]>,
    state: State,
}

impl Client {
    pub(in crate::zmtp) fn new(server_key: CurvePublicKey, long_term: CurveKeyPair) -> Self {
        let (short_public, short_secret) = nacl::keypair();
        Self {
            server_key,
            long_term,
            short_public,
            short_secret,
            state: State::Starting,
        }
    }

    pub(in crate::zmtp) fn start(&mut self, owed: &mut Owed) -> Result<Progress, ProtocolError> {
        let long_key = SharedKey::new(self.server_key.as_bytes(), &self.short_secret)
            .map_err(|_| cryptographic("the server key is not a usable Curve25519 key"))?;
        let signature = long_key.seal(&message_nonce(b"CurveZMQHELLO---", HELLO_NONCE), &[0; 64]);
        let mut hello = Vec::with_capacity(HELLO_DATA_LEN);
        hello.extend_from_slice(&[1, 0]);
        hello.extend_from_slice(&[0; 72]);
        hello.extend_from_slice(&self.short_public);
        hello.extend_from_slice(&HELLO_NONCE.to_be_bytes());
        hello.extend_from_slice(&signature);
        debug_assert_eq!(hello.len(), HELLO_DATA_LEN);
        owed.handshake_command("HELLO", &hello);
        self.state = State::HelloSent(long_key);
        Ok(Progress::Continue)
    }

    pub(in crate::zmtp) fn on_command(
        &mut self,
        name: &[u8],
        data: &[u8],
        owed: &mut Owed,
        ours: &Metadata,
    ) -> Result<Progress, ProtocolError> {
        match (&self.state, name) {
            (State::HelloSent(long_key), b"WELCOME") => {
                let key = self.on_welcome(long_key, data, owed, ours)?;
                self.state = State::InitiateSent(key);
                Ok(Progress::Continue)
            }
            (State::InitiateSent(key), b"READY") => {
                if data.len() < 8 + nacl::MAC_LEN {
                    return Err(malformed("a CURVE READY too short to hold a box"));
                }
                let nonce = short_nonce_after(&data[..8], 0)?;
                let metadata = key
                    .open(&message_nonce(b"CurveZMQREADY---", nonce), &data[8..])
                    .map_err(|_| cryptographic("READY's box did not open"))?;
                let metadata = Metadata::parse(&metadata).map_err(malformed)?;
                let cipher =
                    MessageCipher::new(key.clone(), Direction::FromClient, INITIATE_NONCE + 1, nonce);
                self.state = State::Done;
                Ok(Progress::Ready {
                    metadata,
                    zap: Accepted::default(),
                    cipher: Some(cipher),
                })
            }
            _ => Err(unexpected(name, "the CURVE client")),
        }
    }

    /// Opens WELCOME, queues INITIATE, and returns the key shared with S'.
    fn on_welcome(
        &self,
        long_key: &SharedKey,
        data: &[u8],
        owed: &mut Owed,
        ours: &Metadata,
    ) -> Result<SharedKey, ProtocolError> {
        if data.len() != WELCOME_DATA_LEN {
            return Err(malformed("a CURVE WELCOME is 168 octets"));
        }
        let welcome = long_key
            .open(&long_nonce(b"WELCOME-", &data[..16]), &data[16..])
            .map_err(|_| cryptographic("WELCOME's box did not open"))?;
        let server_short: [u8; KEY_LEN] = welcome[..32].try_into().expect("32 octets");
        let cookie = &welcome[32..128];
        let key = SharedKey::new(&server_short, &self.short_secret)
            .map_err(|_| cryptographic("the server's short-term key is not usable"))?;

        let mut vouch_nonce = [0u8; 16];
        nacl::random_bytes(&mut vouch_nonce);
        let vouch_plaintext = [&self.short_public[..], self.server_key.as_bytes()].concat();
        let vouch = nacl::seal(
            &vouch_plaintext,
            &long_nonce(b"VOUCH---", &vouch_nonce),
            &server_short,
            self.long_term.secret.expose(),
        )
        .map_err(|_| cryptographic("the vouch could not be boxed"))?;

        let mut plaintext = Zeroizing::new(Vec::with_capacity(128 + 64));
        plaintext.extend_from_slice(self.long_term.public.as_bytes());
        plaintext.extend_from_slice(&vouch_nonce);
        plaintext.extend_from_slice(&vouch);
        ours.encode(&mut plaintext);
        let boxed = key.seal(&message_nonce(b"CurveZMQINITIATE", INITIATE_NONCE), &plaintext);

        let mut initiate = Vec::with_capacity(cookie.len() + 8 + boxed.len());
        initiate.extend_from_slice(cookie);
        initiate.extend_from_slice(&INITIATE_NONCE.to_be_bytes());
        initiate.extend_from_slice(&boxed);
        owed.handshake_command("INITIATE", &initiate);
        Ok(key)
    }
}
