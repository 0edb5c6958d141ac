//! The CURVE server: WELCOME for a HELLO that opens with our secret key, then INITIATE's
//! cookie, box and vouch are checked, ZAP asked about the client's key, and READY sent.

use bytes::Bytes;
use zeroize::Zeroizing;

use super::super::super::command::Metadata;
use super::super::super::owed::Owed;
use super::super::{Accepted, AuthRequest, Progress, Verdict, ZapSettings, judge, malformed, unexpected};
use super::{
    COOKIE_LEN, Direction, HELLO_DATA_LEN, INITIATE_DATA_MIN, MessageCipher, cryptographic, long_nonce,
    message_nonce, short_nonce_after,
};
use crate::security::CurveKeyPair;
use crate::security::nacl::{self, KEY_LEN, SharedKey};
use crate::zmtp::ProtocolError;

/// Our short nonces: READY's, then the MESSAGEs'.
const READY_NONCE: u64 = 1;

/// What INITIATE established, kept while ZAP decides.
#[derive(Debug)]
struct Initiated {
    key: SharedKey,
    client_nonce: u64,
    metadata: Metadata,
}

#[derive(Debug)]
enum State {
    WaitingForHello,
    /// WELCOME is owed or sent; INITIATE is expected.
    WelcomeSent {
        client_short: [u8; KEY_LEN],
        hello_nonce: u64,
        cookie_key: Zeroizing<[u8; KEY_LEN]>,
    },
    WaitingForZap(Initiated),
    Done,
}

/// The server's side of one connection.
#[derive(Debug)]
pub(in crate::zmtp) struct Server {
    long_term: CurveKeyPair,
    zap: ZapSettings,
    short_public: [u8; KEY_LEN],
    short_secret: Zeroizing<[u8; KEY_LEN]>,
    state: State,
}

impl Server {
    pub(in crate::zmtp) fn new(long_term: CurveKeyPair, zap: &ZapSettings) -> Self {
        let (short_public, short_secret) = nacl::keypair();
        Self {
            long_term,
            zap: zap.clone(),
            short_public,
            short_secret,
            state: State::WaitingForHello,
        }
    }

    pub(in crate::zmtp) fn on_command(
        &mut self,
        name: &[u8],
        data: &[u8],
        owed: &mut Owed,
        ours: &Metadata,
    ) -> Result<Progress, ProtocolError> {
        match (&self.state, name) {
            (State::WaitingForHello, b"HELLO") => {
                self.on_hello(data, owed)?;
                Ok(Progress::Continue)
            }
            (State::WelcomeSent { .. }, b"INITIATE") => {
                let initiated = self.on_initiate(data)?;
                let client_key = initiated.1;
                self.state = State::WaitingForZap(initiated.0);
                // libzmq asks ZAP unless ZAP_ENFORCE_DOMAIN is set with no domain.
                if self.zap.domain.is_empty() && self.zap.enforce_domain {
                    let accepted = Accepted::default();
                    return self.accepted(owed, ours, accepted);
                }
                Ok(Progress::Authenticate(AuthRequest {
                    mechanism: "CURVE",
                    credentials: vec![Bytes::copy_from_slice(&client_key)],
                }))
            }
            _ => Err(unexpected(name, "the CURVE server")),
        }
    }

    fn on_hello(&mut self, data: &[u8], owed: &mut Owed) -> Result<(), ProtocolError> {
        if data.len() != HELLO_DATA_LEN {
            return Err(malformed("a CURVE HELLO is 200 octets"));
        }
        if data[..2] != [1, 0] {
            return Err(malformed("a CURVE HELLO of a version other than 1.0"));
        }
        let client_short: [u8; KEY_LEN] = data[74..106].try_into().expect("32 octets");
        let hello_nonce = short_nonce_after(&data[106..114], 0)?;
        // C' and s share one key for HELLO and WELCOME: agreed once.
        let long_key = SharedKey::new(&client_short, self.long_term.secret.expose())
            .map_err(|_| cryptographic("the client's short-term key is not usable"))?;
        // A box we can open proves the client knows our public key; its content (zeros) is
        // not checked, as libzmq does not.
        long_key
            .open(&message_nonce(b"CurveZMQHELLO---", hello_nonce), &data[114..])
            .map_err(|_| cryptographic("HELLO's box did not open (the client has another server key)"))?;

        // The cookie: C' and s' under a key of this connection's own.
        let mut cookie_key = Zeroizing::new([0u8; KEY_LEN]);
        nacl::random_bytes(&mut cookie_key[..]);
        let mut cookie_nonce = [0u8; 16];
        nacl::random_bytes(&mut cookie_nonce);
        let mut cookie_plaintext = Zeroizing::new([0u8; 64]);
        cookie_plaintext[..32].copy_from_slice(&client_short);
        cookie_plaintext[32..].copy_from_slice(&self.short_secret[..]);
        let cookie_box = nacl::secretbox_seal(
            &cookie_plaintext[..],
            &long_nonce(b"COOKIE--", &cookie_nonce),
            &cookie_key,
        );

        let mut welcome_plaintext = Zeroizing::new(Vec::with_capacity(32 + COOKIE_LEN));
        welcome_plaintext.extend_from_slice(&self.short_public);
        welcome_plaintext.extend_from_slice(&cookie_nonce);
        welcome_plaintext.extend_from_slice(&cookie_box);
        let mut welcome_nonce = [0u8; 16];
        nacl::random_bytes(&mut welcome_nonce);
        let welcome_box = long_key.seal(&long_nonce(b"WELCOME-", &welcome_nonce), &welcome_plaintext);
        let mut welcome = Vec::with_capacity(16 + welcome_box.len());
        welcome.extend_from_slice(&welcome_nonce);
        welcome.extend_from_slice(&welcome_box);
        owed.handshake_command("WELCOME", &welcome);
        self.state = State::WelcomeSent {
            client_short,
            hello_nonce,
            cookie_key,
        };
        Ok(())
    }

    /// Checks INITIATE: what it established, and the client's long-term key.
    fn on_initiate(&mut self, data: &[u8]) -> Result<(Initiated, [u8; KEY_LEN]), ProtocolError> {
        // The cookie key is used once: whatever INITIATE holds, it is forgotten now.
        let State::WelcomeSent {
            client_short,
            hello_nonce,
            cookie_key,
        } = std::mem::replace(&mut self.state, State::Done)
        else {
            unreachable!("matched by the caller");
        };
        if data.len() < INITIATE_DATA_MIN {
            return Err(malformed("a CURVE INITIATE too short"));
        }
        let (cookie, rest) = data.split_at(COOKIE_LEN);
        let cookie_plaintext = nacl::secretbox_open(
            &cookie[16..],
            &long_nonce(b"COOKIE--", &cookie[..16]),
            &cookie_key,
        )
        .map_err(|_| cryptographic("INITIATE's cookie did not open"))?;
        if cookie_plaintext[..32] != client_short || cookie_plaintext[32..] != self.short_secret[..] {
            return Err(cryptographic("INITIATE's cookie is not this connection's"));
        }
        let client_nonce = short_nonce_after(&rest[..8], hello_nonce)?;
        let key = SharedKey::new(&client_short, &self.short_secret)
            .map_err(|_| cryptographic("the client's short-term key is not usable"))?;
        let plaintext = key
            .open(&message_nonce(b"CurveZMQINITIATE", client_nonce), &rest[8..])
            .map_err(|_| cryptographic("INITIATE's box did not open"))?;
        let client_key: [u8; KEY_LEN] = plaintext[..32].try_into().expect("32 octets");
        let vouch = nacl::open(
            &plaintext[48..128],
            &long_nonce(b"VOUCH---", &plaintext[32..48]),
            &client_key,
            &self.short_secret,
        )
        .map_err(|_| cryptographic("INITIATE's vouch did not open"))?;
        if vouch[..32] != client_short || vouch[32..] != self.long_term.public.as_bytes()[..] {
            return Err(cryptographic("the vouch is for another connection"));
        }
        let metadata = Metadata::parse(&plaintext[128..]).map_err(malformed)?;
        Ok((
            Initiated {
                key,
                client_nonce,
                metadata,
            },
            client_key,
        ))
    }

    pub(in crate::zmtp) fn decided(
        &mut self,
        verdict: Verdict,
        owed: &mut Owed,
    ) -> Result<Accepted, ProtocolError> {
        if !matches!(self.state, State::WaitingForZap(_)) {
            return Err(malformed("a ZAP verdict nobody asked for"));
        }
        judge(verdict, owed, self.zap.without_handler())
    }

    /// Queues READY and completes the handshake.
    pub(in crate::zmtp) fn accepted(
        &mut self,
        owed: &mut Owed,
        ours: &Metadata,
        accepted: Accepted,
    ) -> Result<Progress, ProtocolError> {
        let State::WaitingForZap(initiated) = std::mem::replace(&mut self.state, State::Done) else {
            return Err(malformed("READY before INITIATE"));
        };
        let mut metadata = Zeroizing::new(Vec::new());
        ours.encode(&mut metadata);
        let boxed = initiated
            .key
            .seal(&message_nonce(b"CurveZMQREADY---", READY_NONCE), &metadata);
        let mut ready = Vec::with_capacity(8 + boxed.len());
        ready.extend_from_slice(&READY_NONCE.to_be_bytes());
        ready.extend_from_slice(&boxed);
        owed.handshake_command("READY", &ready);
        let cipher = MessageCipher::new(
            initiated.key,
            Direction::FromServer,
            READY_NONCE + 1,
            initiated.client_nonce,
        );
        Ok(Progress::Ready {
            metadata: initiated.metadata,
            zap: accepted,
            cipher: Some(cipher),
        })
    }
}
