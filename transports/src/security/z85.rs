//! Z85 (ZeroMQ RFC 32): binary data as printable text, four octets to five characters, the
//! form ZeroMQ gives CURVE keys (32 octets ↔ 40 characters). Exactly libzmq's
//! `zmq_z85_encode` and `zmq_z85_decode`, errors included: the input to encode must be a
//! multiple of 4 octets, the text to decode a non-empty multiple of 5 characters, of the
//! alphabet, and no group may stand for more than 2^32 − 1.

use crate::error::{Error, Result};

const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// The value of each character from `!` (33) to `}` (125); 0xFF: not in the alphabet.
const DECODER: [u8; 96] = {
    let mut table = [0xFF; 96];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[(ALPHABET[i] - 32) as usize] = i as u8;
        i += 1;
    }
    table
};

/// Encodes `data` (a multiple of 4 octets) as Z85 text.
///
/// ```
/// use ringmq_transports::security::z85;
/// let text = z85::encode(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])?;
/// assert_eq!(text, "HelloWorld");
/// # Ok::<(), ringmq_transports::Error>(())
/// ```
pub fn encode(data: &[u8]) -> Result<String> {
    if data.len() % 4 != 0 {
        return Err(Error::InvalidArgument(format!(
            "Z85 encodes a multiple of 4 octets, not {}",
            data.len()
        )));
    }
    let mut text = String::with_capacity(data.len() / 4 * 5);
    for group in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([group[0], group[1], group[2], group[3]]);
        let mut digits = [0u8; 5];
        for digit in digits.iter_mut().rev() {
            *digit = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        text.extend(digits.iter().map(|&d| char::from(d)));
    }
    Ok(text)
}

/// Decodes Z85 `text` (a non-empty multiple of 5 characters) into octets.
///
/// ```
/// use ringmq_transports::security::z85;
/// assert_eq!(z85::decode("HelloWorld")?, [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
/// assert!(z85::decode("Hello").is_ok() && z85::decode("Hell").is_err());
/// # Ok::<(), ringmq_transports::Error>(())
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() % 5 != 0 {
        return Err(Error::InvalidArgument(format!(
            "Z85 text is a non-empty multiple of 5 characters, not {}",
            bytes.len()
        )));
    }
    let mut data = Vec::with_capacity(bytes.len() / 5 * 4);
    for group in bytes.chunks_exact(5) {
        let mut value: u64 = 0;
        for &c in group {
            let digit = c
                .checked_sub(32)
                .and_then(|i| DECODER.get(usize::from(i)))
                .copied()
                .filter(|&d| d != 0xFF)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!("'{}' is not a Z85 character", char::from(c)))
                })?;
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value)
            .map_err(|_| Error::InvalidArgument("a Z85 group stands for more than 2^32 - 1".into()))?;
        data.extend_from_slice(&value.to_be_bytes());
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_vector_round_trips() {
        let data = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        assert_eq!(encode(&data).unwrap(), "HelloWorld");
        assert_eq!(decode("HelloWorld").unwrap(), data);
    }

    #[test]
    fn curve_keys_round_trip() {
        // The example key pair of libzmq's zmq_curve(7).
        for key in [
            "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
            "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
        ] {
            let raw = decode(key).unwrap();
            assert_eq!(raw.len(), 32);
            assert_eq!(encode(&raw).unwrap(), key);
        }
    }

    #[test]
    fn bad_input_is_refused_as_libzmq_refuses_it() {
        assert!(encode(&[1, 2, 3]).is_err());
        assert_eq!(encode(&[]).unwrap(), "");
        for bad in ["", "Hell", "Hello!", "Hell\u{7f}", "Hell ", "#####"] {
            assert_eq!(decode(bad).unwrap_err().errno(), libc::EINVAL, "{bad:?}");
        }
        // The largest group that fits: 0xFFFFFFFF.
        assert_eq!(decode(&encode(&[0xFF; 4]).unwrap()).unwrap(), [0xFF; 4]);
    }

    #[test]
    fn every_value_of_a_group_round_trips_at_the_edges() {
        for value in [0u32, 1, 84, 85, 7225, u32::MAX - 1, u32::MAX] {
            let data = value.to_be_bytes();
            assert_eq!(decode(&encode(&data).unwrap()).unwrap(), data);
        }
    }
}
