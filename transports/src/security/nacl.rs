//! The NaCl primitives CURVE is built on, from libsodium (as libzmq uses it), behind a safe
//! interface sized in types: `crypto_box` (Curve25519, XSalsa20, Poly1305) with and
//! without a precomputed key, `crypto_secretbox` for cookies, `crypto_scalarmult_base`
//! and libsodium's random generator. Every foreign call is here, so the mechanisms and the
//! codec above stay free of `unsafe`.
//!
//! Owns no key material of its own: callers hold their keys in zeroizing types.

use std::sync::OnceLock;

use libsodium_sys as sodium;
use zeroize::Zeroizing;

/// Octets of a Curve25519 key, public or secret.
pub const KEY_LEN: usize = 32;
/// Octets of a crypto_box or crypto_secretbox nonce.
pub const NONCE_LEN: usize = 24;
/// Octets of the Poly1305 authenticator a box adds.
pub const MAC_LEN: usize = 16;

/// A box did not open: wrong key, wrong nonce, or altered octets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadBox;

/// libsodium's one-time set-up (it picks its fastest implementations and seeds its random
/// generator). Idempotent and thread-safe in libsodium; done once here so the hot path
/// does not ask again.
fn ready() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        // SAFETY: sodium_init takes no arguments and may be called from any thread.
        let rc = unsafe { sodium::sodium_init() };
        // 0: initialised now, 1: already; -1 only if libsodium cannot run at all.
        assert!(rc >= 0, "libsodium failed to initialise");
    });
}

/// Fills `out` with octets from libsodium's CSPRNG (the kernel's getrandom).
pub fn random_bytes(out: &mut [u8]) {
    ready();
    // SAFETY: `out` is a live, writable slice of exactly `out.len()` octets.
    unsafe { sodium::randombytes_buf(out.as_mut_ptr().cast(), out.len()) }
}

/// A fresh Curve25519 key pair: (public, secret).
pub fn keypair() -> ([u8; KEY_LEN], Zeroizing<[u8; KEY_LEN]>) {
    ready();
    let mut public = [0u8; KEY_LEN];
    let mut secret = Zeroizing::new([0u8; KEY_LEN]);
    // SAFETY: both pointers are to KEY_LEN-octet arrays, the sizes crypto_box_keypair writes.
    let rc = unsafe { sodium::crypto_box_keypair(public.as_mut_ptr(), secret.as_mut_ptr()) };
    assert_eq!(rc, 0, "crypto_box_keypair cannot fail");
    (public, secret)
}

/// The public key of `secret` (crypto_scalarmult_base).
pub fn public_key_of(secret: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    ready();
    let mut public = [0u8; KEY_LEN];
    // SAFETY: both pointers are to KEY_LEN-octet arrays (crypto_scalarmult_BYTES and
    // crypto_scalarmult_SCALARBYTES are both 32).
    let rc = unsafe { sodium::crypto_scalarmult_base(public.as_mut_ptr(), secret.as_ptr()) };
    assert_eq!(rc, 0, "crypto_scalarmult_base cannot fail");
    public
}

/// `Box[plaintext](secret -> public)`: the authenticator then the ciphertext
/// (crypto_box_easy), `MAC_LEN` octets longer than `plaintext`.
pub fn seal(
    plaintext: &[u8],
    nonce: &[u8; NONCE_LEN],
    public: &[u8; KEY_LEN],
    secret: &[u8; KEY_LEN],
) -> Result<Vec<u8>, BadBox> {
    ready();
    let mut boxed = vec![0u8; plaintext.len() + MAC_LEN];
    // SAFETY: `boxed` has room for the plaintext and its MAC, as crypto_box_easy writes;
    // the nonce and keys are arrays of the sizes it reads.
    let rc = unsafe {
        sodium::crypto_box_easy(
            boxed.as_mut_ptr(),
            plaintext.as_ptr(),
            plaintext.len() as u64,
            nonce.as_ptr(),
            public.as_ptr(),
            secret.as_ptr(),
        )
    };
    // crypto_box refuses a public key of small order (all-zero shared secret).
    if rc == 0 { Ok(boxed) } else { Err(BadBox) }
}

/// Opens what [`seal`] made (crypto_box_open_easy): the plaintext, zeroized when dropped.
pub fn open(
    boxed: &[u8],
    nonce: &[u8; NONCE_LEN],
    public: &[u8; KEY_LEN],
    secret: &[u8; KEY_LEN],
) -> Result<Zeroizing<Vec<u8>>, BadBox> {
    open_easy(boxed, |m, c, clen| {
        // SAFETY: as `open_easy` promises: `m` has room for the plaintext of the `clen`
        // octets at `c`; nonce and keys are arrays of the sizes crypto_box_open_easy reads.
        unsafe { sodium::crypto_box_open_easy(m, c, clen, nonce.as_ptr(), public.as_ptr(), secret.as_ptr()) }
    })
}

/// Runs one of libsodium's `*_open_easy` functions, given as `open(m, c, clen)`, on `boxed`:
/// `m` has room for `boxed.len() - MAC_LEN` octets and `c`/`clen` are `boxed`, which holds
/// at least its MAC.
fn open_easy(
    boxed: &[u8],
    open: impl FnOnce(*mut u8, *const u8, u64) -> std::ffi::c_int,
) -> Result<Zeroizing<Vec<u8>>, BadBox> {
    ready();
    let Some(len) = boxed.len().checked_sub(MAC_LEN) else {
        return Err(BadBox);
    };
    let mut plaintext = Zeroizing::new(vec![0u8; len]);
    let rc = open(plaintext.as_mut_ptr(), boxed.as_ptr(), boxed.len() as u64);
    if rc == 0 { Ok(plaintext) } else { Err(BadBox) }
}

/// The key two parties share (crypto_box_beforenm), for the many boxes of one connection.
#[derive(Clone)]
pub struct SharedKey(Zeroizing<[u8; KEY_LEN]>);

impl SharedKey {
    /// The key shared by the owner of `secret` and the owner of `public`.
    pub fn new(public: &[u8; KEY_LEN], secret: &[u8; KEY_LEN]) -> Result<Self, BadBox> {
        ready();
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        // SAFETY: three KEY_LEN-octet arrays (crypto_box_BEFORENMBYTES is 32).
        let rc = unsafe { sodium::crypto_box_beforenm(key.as_mut_ptr(), public.as_ptr(), secret.as_ptr()) };
        if rc == 0 { Ok(Self(key)) } else { Err(BadBox) }
    }

    /// Encrypts `buf` in place and returns its authenticator
    /// (crypto_box_detached_afternm).
    pub fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], buf: &mut [u8]) -> [u8; MAC_LEN] {
        let mut mac = [0u8; MAC_LEN];
        let p = buf.as_mut_ptr();
        // SAFETY: ciphertext and plaintext are the same live buffer of `buf.len()` octets,
        // which libsodium's detached functions allow; the MAC, nonce and key are arrays of
        // the sizes they use.
        let rc = unsafe {
            sodium::crypto_box_detached_afternm(
                p,
                mac.as_mut_ptr(),
                p,
                buf.len() as u64,
                nonce.as_ptr(),
                self.0.as_ptr(),
            )
        };
        assert_eq!(rc, 0, "crypto_box_detached_afternm cannot fail");
        mac
    }

    /// Decrypts `ciphertext` into `out` (of the same length) if `mac` authenticates it
    /// (crypto_box_open_detached_afternm).
    pub fn open_into(
        &self,
        nonce: &[u8; NONCE_LEN],
        ciphertext: &[u8],
        mac: &[u8; MAC_LEN],
        out: &mut [u8],
    ) -> Result<(), BadBox> {
        assert_eq!(ciphertext.len(), out.len());
        // SAFETY: `out` has room for exactly `ciphertext.len()` octets, what is written;
        // MAC, nonce and key are arrays of the sizes read. The two slices cannot overlap
        // (one is borrowed mutably).
        let rc = unsafe {
            sodium::crypto_box_open_detached_afternm(
                out.as_mut_ptr(),
                ciphertext.as_ptr(),
                mac.as_ptr(),
                ciphertext.len() as u64,
                nonce.as_ptr(),
                self.0.as_ptr(),
            )
        };
        if rc == 0 { Ok(()) } else { Err(BadBox) }
    }

    /// [`seal`] with this key: the authenticator then the ciphertext.
    pub fn seal(&self, nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> Vec<u8> {
        let mut boxed = vec![0u8; MAC_LEN + plaintext.len()];
        boxed[MAC_LEN..].copy_from_slice(plaintext);
        let mac = self.seal_in_place(nonce, &mut boxed[MAC_LEN..]);
        boxed[..MAC_LEN].copy_from_slice(&mac);
        boxed
    }

    /// [`open`] with this key.
    pub fn open(&self, nonce: &[u8; NONCE_LEN], boxed: &[u8]) -> Result<Zeroizing<Vec<u8>>, BadBox> {
        if boxed.len() < MAC_LEN {
            return Err(BadBox);
        }
        let (mac, ciphertext) = boxed.split_at(MAC_LEN);
        let mut plaintext = Zeroizing::new(vec![0u8; ciphertext.len()]);
        self.open_into(
            nonce,
            ciphertext,
            mac.try_into().expect("16 octets"),
            &mut plaintext,
        )?;
        Ok(plaintext)
    }
}

impl std::fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedKey(<hidden>)")
    }
}

/// `Box[plaintext](key)` with a symmetric key (crypto_secretbox_easy): MAC then ciphertext.
pub fn secretbox_seal(plaintext: &[u8], nonce: &[u8; NONCE_LEN], key: &[u8; KEY_LEN]) -> Vec<u8> {
    ready();
    let mut boxed = vec![0u8; plaintext.len() + MAC_LEN];
    // SAFETY: `boxed` has room for the plaintext and its MAC; nonce and key are arrays of
    // the sizes crypto_secretbox reads (24 and 32).
    let rc = unsafe {
        sodium::crypto_secretbox_easy(
            boxed.as_mut_ptr(),
            plaintext.as_ptr(),
            plaintext.len() as u64,
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    assert_eq!(rc, 0, "crypto_secretbox_easy cannot fail");
    boxed
}

/// Opens what [`secretbox_seal`] made.
pub fn secretbox_open(
    boxed: &[u8],
    nonce: &[u8; NONCE_LEN],
    key: &[u8; KEY_LEN],
) -> Result<Zeroizing<Vec<u8>>, BadBox> {
    open_easy(boxed, |m, c, clen| {
        // SAFETY: as `open_easy` promises: `m` has room for the plaintext of the `clen`
        // octets at `c`; nonce and key are arrays of the sizes crypto_secretbox reads.
        unsafe { sodium::crypto_secretbox_open_easy(m, c, clen, nonce.as_ptr(), key.as_ptr()) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_open_with_the_other_sides_keys_and_not_when_altered() {
        let (a_pub, a_sec) = keypair();
        let (b_pub, b_sec) = keypair();
        assert_eq!(public_key_of(&a_sec), a_pub);
        let nonce = [9u8; NONCE_LEN];
        let boxed = seal(b"attack at dawn", &nonce, &b_pub, &a_sec).unwrap();
        assert_eq!(boxed.len(), 14 + MAC_LEN);
        assert_eq!(
            &open(&boxed, &nonce, &a_pub, &b_sec).unwrap()[..],
            b"attack at dawn"
        );
        let mut altered = boxed.clone();
        altered[20] ^= 1;
        assert_eq!(open(&altered, &nonce, &a_pub, &b_sec), Err(BadBox));
        assert_eq!(open(&boxed, &[8; NONCE_LEN], &a_pub, &b_sec), Err(BadBox));
        assert_eq!(open(&boxed[..10], &nonce, &a_pub, &b_sec), Err(BadBox));
        // The precomputed key agrees with the one-shot box, both ways.
        let ab = SharedKey::new(&b_pub, &a_sec).unwrap();
        let ba = SharedKey::new(&a_pub, &b_sec).unwrap();
        assert_eq!(ab.seal(&nonce, b"attack at dawn"), boxed);
        assert_eq!(&ba.open(&nonce, &boxed).unwrap()[..], b"attack at dawn");
        assert!(!format!("{ab:?}").contains(|c: char| c.is_ascii_digit()));
    }

    #[test]
    fn secretboxes_open_with_their_key_only() {
        let mut key = [0u8; KEY_LEN];
        random_bytes(&mut key);
        let nonce = [1u8; NONCE_LEN];
        let boxed = secretbox_seal(&[5; 64], &nonce, &key);
        assert_eq!(&secretbox_open(&boxed, &nonce, &key).unwrap()[..], &[5; 64]);
        key[0] ^= 1;
        assert_eq!(secretbox_open(&boxed, &nonce, &key), Err(BadBox));
    }
}
