//! CURVE's long-term keys as the options take them: 32 raw octets or 40 Z85 characters
//! (libzmq's CURVE_PUBLICKEY, CURVE_SECRETKEY and CURVE_SERVERKEY), and key pairs
//! (`zmq_curve_keypair`, `zmq_curve_public`). A secret key is wiped when dropped and never
//! shown by `Debug`; a public key shows as its Z85 text.

use zeroize::Zeroizing;

use super::nacl::{self, KEY_LEN};
use super::z85;
use crate::error::{Error, Result};

/// Octets of a CURVE key.
pub const CURVE_KEY_LEN: usize = KEY_LEN;
/// Characters of a CURVE key in Z85.
pub const CURVE_KEY_Z85_LEN: usize = 40;

/// 32 raw octets, or 40 Z85 characters (with or without the C string's NUL, as libzmq
/// takes a 41-octet option value).
fn key_octets(value: &[u8], what: &str) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let text = value.strip_suffix(b"\0").unwrap_or(value);
    if value.len() == KEY_LEN {
        key.copy_from_slice(value);
    } else if text.len() == CURVE_KEY_Z85_LEN {
        let text = std::str::from_utf8(text)
            .map_err(|_| Error::InvalidArgument(format!("{what}: Z85 text is ASCII")))?;
        let decoded =
            Zeroizing::new(z85::decode(text).map_err(|e| Error::InvalidArgument(format!("{what}: {e}")))?);
        key.copy_from_slice(&decoded);
    } else {
        return Err(Error::InvalidArgument(format!(
            "{what} is 32 octets or 40 Z85 characters, not {} octets",
            value.len()
        )));
    }
    Ok(key)
}

/// A CURVE public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurvePublicKey([u8; KEY_LEN]);

impl CurvePublicKey {
    /// From 32 raw octets or 40 Z85 characters.
    pub fn from_option(value: &[u8]) -> Result<Self> {
        Ok(Self(*key_octets(value, "a CURVE public key")?))
    }

    /// From its 32 octets.
    pub const fn from_bytes(octets: [u8; KEY_LEN]) -> Self {
        Self(octets)
    }

    /// The 32 octets.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The 40-character Z85 text.
    pub fn to_z85(&self) -> String {
        z85::encode(&self.0).expect("32 octets are a multiple of 4")
    }
}

impl std::fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CurvePublicKey({})", self.to_z85())
    }
}

/// A CURVE secret key: wiped when dropped, never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct CurveSecretKey(Zeroizing<[u8; KEY_LEN]>);

impl CurveSecretKey {
    /// From 32 raw octets or 40 Z85 characters.
    pub fn from_option(value: &[u8]) -> Result<Self> {
        Ok(Self(key_octets(value, "a CURVE secret key")?))
    }

    /// The 32 octets.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The 40-character Z85 text, wiped when dropped.
    pub fn to_z85(&self) -> Zeroizing<String> {
        Zeroizing::new(z85::encode(&self.0[..]).expect("32 octets are a multiple of 4"))
    }

    /// The public key that goes with this secret key (`zmq_curve_public`).
    pub fn public_key(&self) -> CurvePublicKey {
        CurvePublicKey(nacl::public_key_of(&self.0))
    }
}

impl std::fmt::Debug for CurveSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CurveSecretKey(<hidden>)")
    }
}

/// A CURVE key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurveKeyPair {
    /// The public key, for peers to know.
    pub public: CurvePublicKey,
    /// The secret key, for this side only.
    pub secret: CurveSecretKey,
}

impl CurveKeyPair {
    /// A fresh key pair from libsodium's random generator (`zmq_curve_keypair`).
    pub fn generate() -> Self {
        let (public, secret) = nacl::keypair();
        Self {
            public: CurvePublicKey(public),
            secret: CurveSecretKey(secret),
        }
    }
}

/// `zmq_curve_keypair`: a fresh key pair as Z85 text, (public, secret).
///
/// ```
/// let (public, secret) = ringmq_transports::security::curve_keypair();
/// assert_eq!(public.len(), 40);
/// assert_eq!(ringmq_transports::security::curve_public(&secret)?, public);
/// # Ok::<(), ringmq_transports::Error>(())
/// ```
pub fn curve_keypair() -> (String, Zeroizing<String>) {
    let pair = CurveKeyPair::generate();
    (pair.public.to_z85(), pair.secret.to_z85())
}

/// `zmq_curve_public`: the Z85 public key of a Z85 secret key.
pub fn curve_public(secret_z85: &str) -> Result<String> {
    if secret_z85.len() != CURVE_KEY_Z85_LEN {
        return Err(Error::InvalidArgument(format!(
            "a Z85 CURVE secret key is 40 characters, not {}",
            secret_z85.len()
        )));
    }
    Ok(CurveSecretKey::from_option(secret_z85.as_bytes())?
        .public_key()
        .to_z85())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_as_32_octets_or_40_z85_characters() {
        let pair = CurveKeyPair::generate();
        let z85 = pair.public.to_z85();
        assert_eq!(CurvePublicKey::from_option(z85.as_bytes()).unwrap(), pair.public);
        let mut with_nul = z85.clone().into_bytes();
        with_nul.push(0);
        assert_eq!(CurvePublicKey::from_option(&with_nul).unwrap(), pair.public);
        assert_eq!(
            CurvePublicKey::from_option(pair.public.as_bytes()).unwrap(),
            pair.public
        );
        let secret = CurveSecretKey::from_option(pair.secret.to_z85().as_bytes()).unwrap();
        assert_eq!(secret.public_key(), pair.public);
        for bad in [
            &b""[..],
            &[0; 31],
            &[0; 33],
            b"not z85 text, but forty characters long!",
        ] {
            assert!(CurvePublicKey::from_option(bad).is_err(), "{bad:?}");
        }
        assert!(!format!("{pair:?}").contains(&*pair.secret.to_z85()));
        assert!(format!("{pair:?}").contains(&z85));
        assert!(curve_public("short").is_err());
    }
}
