//! Command frames: READY (with its metadata), ERROR, PING, PONG, SUBSCRIBE, CANCEL, JOIN,
//! LEAVE.
//!
//! A command body is `name-size name data`; READY's data is a list of properties, each
//! `name-size name value-size(4, network order) value`.

use bytes::Bytes;

use super::FLAG_COMMAND;
use super::frame::encode_frame_header;
use super::limits::{MAX_PING_CONTEXT, MAX_PROPERTIES};

/// A parsed command, borrowing from the frame body.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// READY with its metadata properties (NULL mechanism handshake).
    Ready(Metadata),
    /// ERROR with its reason.
    Error(String),
    /// PING: TTL in tenths of a second and an opaque context to echo.
    Ping {
        /// Time-to-live hint in deciseconds; 0 = none.
        ttl_deciseconds: u16,
        /// Up to 16 octets to echo in the PONG.
        context: &'a [u8],
    },
    /// PONG echoing a PING's context.
    Pong {
        /// The echoed context.
        context: &'a [u8],
    },
    /// SUBSCRIBE (ZMTP 3.1).
    Subscribe(&'a [u8]),
    /// CANCEL (ZMTP 3.1).
    Cancel(&'a [u8]),
    /// JOIN a group (ZMTP 3.1, RADIO/DISH).
    Join(&'a [u8]),
    /// LEAVE a group (ZMTP 3.1, RADIO/DISH).
    Leave(&'a [u8]),
    /// Any other command; ignored in traffic, as libzmq does.
    Unknown(&'a [u8]),
}

impl<'a> Command<'a> {
    /// Parses a command frame body.
    pub fn parse(body: &'a [u8]) -> Result<Self, &'static str> {
        let (name, data) = split_command(body)?;
        Ok(match name {
            b"READY" => Command::Ready(Metadata::parse(data)?),
            b"ERROR" => {
                let (&len, reason) = data.split_first().ok_or("ERROR without a reason length")?;
                let reason = reason
                    .get(..usize::from(len))
                    .ok_or("ERROR reason exceeds the frame")?;
                Command::Error(String::from_utf8_lossy(reason).into_owned())
            }
            b"PING" => {
                if data.len() < 2 {
                    return Err("PING without a TTL");
                }
                Command::Ping {
                    ttl_deciseconds: u16::from_be_bytes([data[0], data[1]]),
                    context: &data[2..data.len().min(2 + MAX_PING_CONTEXT)],
                }
            }
            b"PONG" => Command::Pong { context: data },
            b"SUBSCRIBE" => Command::Subscribe(data),
            b"CANCEL" => Command::Cancel(data),
            b"JOIN" | b"LEAVE" => {
                // RFC 37: a group is 0 to 255 octets, none of them zero.
                if data.len() > 255 || data.contains(&0) {
                    return Err("JOIN/LEAVE with an invalid group");
                }
                if name == b"JOIN" {
                    Command::Join(data)
                } else {
                    Command::Leave(data)
                }
            }
            other => Command::Unknown(other),
        })
    }
}

/// A command frame body's name and data.
pub fn split_command(body: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
    let (&name_len, rest) = body.split_first().ok_or("empty command frame")?;
    let name_len = usize::from(name_len);
    if name_len == 0 || rest.len() < name_len {
        return Err("command name length exceeds the frame");
    }
    Ok(rest.split_at(name_len))
}

/// Appends a whole command frame (`name` + `data`) to `out`.
pub fn encode_command(name: &str, data: &[u8], out: &mut Vec<u8>) {
    assert!(
        !name.is_empty() && name.len() <= 255,
        "command names have 1 to 255 octets"
    );
    let body_len = 1 + name.len() + data.len();
    let mut header = [0u8; 9];
    let n = encode_frame_header(FLAG_COMMAND, body_len, &mut header);
    out.extend_from_slice(&header[..n]);
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
}

/// Connection metadata: name/value properties in the order received. Names compare without
/// regard to case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    properties: Vec<(String, Bytes)>,
}

impl Metadata {
    /// An empty property list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a property.
    pub fn push(&mut self, name: &str, value: impl Into<Bytes>) {
        self.properties.push((name.to_owned(), value.into()));
    }

    /// The value of property `name`, compared case-insensitively.
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.properties
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All properties.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.properties.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Parses a property list (RFC 37's grammar: names of 1 to 255 `name-char`s, values of
    /// up to 2^31-1 octets). More than [`MAX_PROPERTIES`] properties are refused.
    pub fn parse(mut data: &[u8]) -> Result<Self, &'static str> {
        let mut properties = Vec::new();
        while !data.is_empty() {
            if properties.len() == MAX_PROPERTIES {
                return Err("more metadata properties than ringmq accepts (256)");
            }
            let name_len = usize::from(data[0]);
            data = &data[1..];
            if name_len == 0 {
                return Err("metadata property with an empty name");
            }
            if data.len() < name_len + 4 {
                return Err("metadata property exceeds the frame");
            }
            let name = &data[..name_len];
            if !name.iter().all(|&c| is_name_char(c)) {
                return Err("metadata property name outside RFC 37's name-char set");
            }
            // Every name-char is ASCII.
            let name = String::from_utf8_lossy(name).into_owned();
            data = &data[name_len..];
            let value_len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
            data = &data[4..];
            if value_len > i32::MAX as usize || data.len() < value_len {
                return Err("metadata value exceeds the frame");
            }
            properties.push((name, Bytes::copy_from_slice(&data[..value_len])));
            data = &data[value_len..];
        }
        Ok(Self { properties })
    }

    /// Appends the encoded property list to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for (name, value) in &self.properties {
            out.push(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(value.len() as u32).to_be_bytes());
            out.extend_from_slice(value);
        }
    }
}

/// RFC 37: `name-char = ALPHA | DIGIT | "-" | "_" | "." | "+"`.
fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'+')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 37's worked example: a DEALER's READY with an empty Identity, 43 octets in all.
    #[test]
    fn ready_matches_rfc_37_worked_example() {
        let mut md = Metadata::new();
        md.push("Socket-Type", &b"DEALER"[..]);
        md.push("Identity", &b""[..]);
        let mut data = Vec::new();
        md.encode(&mut data);
        let mut frame = Vec::new();
        encode_command("READY", &data, &mut frame);
        let mut expected = vec![0x04, 41, 5];
        expected.extend_from_slice(b"READY");
        expected.push(11);
        expected.extend_from_slice(b"Socket-Type");
        expected.extend_from_slice(&[0, 0, 0, 6]);
        expected.extend_from_slice(b"DEALER");
        expected.push(8);
        expected.extend_from_slice(b"Identity");
        expected.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(frame, expected);
        assert_eq!(frame.len(), 43);
        match Command::parse(&frame[2..]).unwrap() {
            Command::Ready(parsed) => {
                assert_eq!(parsed.get("socket-type").unwrap().as_ref(), b"DEALER");
                assert_eq!(parsed.get("IDENTITY").unwrap().as_ref(), b"");
            }
            other => panic!("{other:?}"),
        }
    }

    /// RFC 37's ROUTER reply: a READY with only Socket-Type, body of 28 octets.
    #[test]
    fn router_ready_reply_is_28_octets() {
        let mut md = Metadata::new();
        md.push("Socket-Type", &b"ROUTER"[..]);
        let mut data = Vec::new();
        md.encode(&mut data);
        let mut frame = Vec::new();
        encode_command("READY", &data, &mut frame);
        assert_eq!(&frame[..2], &[0x04, 28]);
    }

    #[test]
    fn ping_and_pong_vectors() {
        let mut ping = Vec::new();
        encode_command("PING", &[0x00, 0x0a, b'c', b't', b'x'], &mut ping);
        assert_eq!(
            ping,
            [0x04, 10, 4, b'P', b'I', b'N', b'G', 0, 10, b'c', b't', b'x']
        );
        assert_eq!(
            Command::parse(&ping[2..]),
            Ok(Command::Ping {
                ttl_deciseconds: 10,
                context: b"ctx"
            })
        );
        let mut pong = Vec::new();
        encode_command("PONG", b"ctx", &mut pong);
        assert_eq!(pong, [0x04, 8, 4, b'P', b'O', b'N', b'G', b'c', b't', b'x']);
        assert_eq!(Command::parse(&pong[2..]), Ok(Command::Pong { context: b"ctx" }));
    }

    #[test]
    fn malformed_commands_are_errors_not_panics() {
        for body in [
            &b""[..],
            &[0][..],
            &[9, b'R'][..],
            b"\x05READY\x00",
            b"\x05READY\x03abc\x00\x00\x00",
            b"\x05READY\x03abc\x00\x00\x00\x09x",
            b"\x04PING\x01",
            b"\x05ERROR\x09short",
        ] {
            assert!(Command::parse(body).is_err(), "{body:?}");
        }
        assert_eq!(Command::parse(b"\x03FOOx"), Ok(Command::Unknown(b"FOO")));
    }

    #[test]
    fn property_names_follow_rfc_37_and_their_count_is_capped() {
        let property = |name: &[u8]| {
            let mut p = vec![name.len() as u8];
            p.extend_from_slice(name);
            p.extend_from_slice(&[0, 0, 0, 1, b'v']);
            p
        };
        assert!(Metadata::parse(&property(b"X-Trace.id_2+")).is_ok());
        for bad in [&b"Socket Type"[..], b"caf\xc3\xa9", b"a\0b", b"x:y"] {
            assert!(Metadata::parse(&property(bad)).is_err(), "{bad:?}");
        }
        let many = |n: usize| -> Vec<u8> { (0..n).flat_map(|_| property(b"p")).collect() };
        assert_eq!(
            Metadata::parse(&many(MAX_PROPERTIES)).unwrap().iter().count(),
            MAX_PROPERTIES
        );
        assert!(Metadata::parse(&many(MAX_PROPERTIES + 1)).is_err());
    }
}
