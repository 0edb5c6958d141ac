//! `Msg`: one frame of a message, on `bytes::Bytes`.
//!
//! Small bodies are stored inline (like libzmq's "very small messages"), so sending or
//! receiving a short frame allocates nothing; larger ones are a `Bytes`, shared without
//! copying. Either way the API is the same: a byte slice and a MORE flag.
//!
//! A frame received over a ZMTP connection also carries its connection's properties
//! ([`Msg::gets`], libzmq's `zmq_msg_gets`): one shared, reference-counted list per
//! connection, so a frame grows by a pointer and not by its properties.

use std::mem::ManuallyDrop;
use std::sync::Arc;

use bytes::Bytes;

use crate::zmtp::Metadata;

/// Bodies up to this many bytes are kept inline in the `Msg` itself (a 64-octet message
/// allocates nothing).
pub const INLINE_CAPACITY: usize = 64;

/// The length octet of a body held as `Bytes`.
const SHARED: u8 = u8::MAX;

/// A frame's storage: the body's bytes inline, or a `Bytes` (the length octet of the `Msg`'s
/// head says which).
///
/// Not an enum because of what the compiler makes of one: an enum puts its tag and the
/// inline length before the bytes, so every move of a `Msg` copies them at odd offsets in
/// pieces, and the next aligned 16-octet load of that `Msg` spans several of those stores,
/// which the CPU cannot forward from its store buffer. With the bytes at offset 0 and the
/// small fields together at 64, a move is whole aligned chunks; the enum cost a quarter
/// of the small-message receive rate (docs/benchmarks.md).
#[repr(C)]
union Storage {
    inline: [u8; INLINE_CAPACITY],
    shared: ManuallyDrop<Bytes>,
}

/// One frame of a (possibly multipart) message.
///
/// ```
/// use ringmq_transports::Msg;
/// let mut m = Msg::from("hello");
/// assert_eq!(&m[..], b"hello");
/// assert!(!m.more());
/// m.set_more(true);
/// assert!(m.more());
/// ```
#[repr(C)]
pub struct Msg {
    /// Invariant: `shared` is initialised and owned by this frame if the length octet of
    /// `head` is [`SHARED`]; otherwise all of `inline` is initialised and the length octet
    /// is at most `INLINE_CAPACITY`.
    storage: Storage,
    /// The small fields in one word, so that the compiler keeps and moves them as one
    /// 8-octet value (octet 0: the inline body's length, or [`SHARED`]; octet 1: the
    /// flags; bits 32..64: for SERVER / PEER, the peer a message came from or goes to,
    /// 0 = none).
    head: u64,
    /// The properties of the connection the frame came from (`None` for frames made here
    /// and those of inproc peers, as in libzmq).
    properties: Option<Arc<Metadata>>,
}

/// Another frame of the same message follows.
const FLAG_MORE: u8 = 1;
/// The frame is a peer's routing id, put first in its pipe by the connection (ROUTER).
const FLAG_ROUTING_ID: u8 = 2;
/// The frame is a subscription in the `\x01topic` / `\x00topic` form: a ZMTP 3.1 peer gets
/// it as a SUBSCRIBE / CANCEL command, an older one as this message.
const FLAG_SUBSCRIPTION: u8 = 4;

impl Msg {
    /// An empty frame.
    pub const fn new() -> Self {
        Self::inline([0; INLINE_CAPACITY], 0)
    }

    /// A frame whose body is the first `len` octets of `data`.
    #[inline]
    const fn inline(data: [u8; INLINE_CAPACITY], len: u8) -> Self {
        Self {
            storage: Storage { inline: data },
            head: len as u64,
            properties: None,
        }
    }

    /// A frame whose body is the first `len` octets of `window` (`len` at most
    /// `INLINE_CAPACITY`), copied whole: a fixed-size copy is a few full-width moves, where a
    /// copy of `len` octets ends in overlapping ones that the next whole-`Msg` move cannot
    /// forward from (a stall on every received small frame). The octets past `len` are kept
    /// but are never part of the body.
    #[inline]
    pub fn from_inline_window(window: &[u8; INLINE_CAPACITY], len: usize) -> Self {
        debug_assert!(len <= INLINE_CAPACITY);
        Self::inline(*window, len.min(INLINE_CAPACITY) as u8)
    }

    /// A frame holding a copy of `data` (inline when it is small).
    #[inline]
    pub fn copy_from_slice(data: &[u8]) -> Self {
        if data.len() > INLINE_CAPACITY {
            return Self::shared(Bytes::copy_from_slice(data));
        }
        let mut inline = [0u8; INLINE_CAPACITY];
        inline[..data.len()].copy_from_slice(data);
        Self::inline(inline, data.len() as u8)
    }

    /// A frame whose body is `bytes`, whatever its size.
    fn shared(bytes: Bytes) -> Self {
        Self {
            storage: Storage {
                shared: ManuallyDrop::new(bytes),
            },
            head: SHARED as u64,
            properties: None,
        }
    }

    /// The frame's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self.shared_bytes() {
            Some(bytes) => bytes,
            // SAFETY: not shared, so `inline` is initialised (the invariant on `storage`).
            None => unsafe { &self.storage.inline[..usize::from(self.len_octet())] },
        }
    }

    /// Length of the body in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        match self.shared_bytes() {
            Some(bytes) => bytes.len(),
            None => usize::from(self.len_octet()),
        }
    }

    /// `true` for an empty frame.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` if another frame of the same message follows (libzmq's `zmq_msg_more`).
    #[inline]
    pub fn more(&self) -> bool {
        self.flags() & FLAG_MORE != 0
    }

    /// Sets the MORE flag.
    #[inline]
    pub fn set_more(&mut self, more: bool) {
        self.set_flag(FLAG_MORE, more);
    }

    /// Returns the frame with the MORE flag set to `more`.
    #[inline]
    pub fn with_more(mut self, more: bool) -> Self {
        self.set_more(more);
        self
    }

    #[inline]
    fn flags(&self) -> u8 {
        (self.head >> 8) as u8
    }

    /// The inline body's length, or [`SHARED`].
    #[inline]
    fn len_octet(&self) -> u8 {
        self.head as u8
    }

    #[inline]
    fn set_flag(&mut self, flag: u8, on: bool) {
        if on {
            self.head |= u64::from(flag) << 8;
        } else {
            self.head &= !(u64::from(flag) << 8);
        }
    }

    /// `true` for a peer's routing id that a connection put first in its pipe (only sockets
    /// that ask for it, ROUTER among them, get such frames; applications never see them).
    #[inline]
    pub fn is_routing_id(&self) -> bool {
        self.flags() & FLAG_ROUTING_ID != 0
    }

    /// Marks the frame as a peer's routing id (see [`is_routing_id`](Self::is_routing_id)).
    pub fn with_routing_id_flag(mut self) -> Self {
        self.set_flag(FLAG_ROUTING_ID, true);
        self
    }

    /// The routing id of the peer a message came from (SERVER sockets set it on what they
    /// receive) or goes to (set it before sending on a SERVER); 0 = none, as in libzmq's
    /// `zmq_msg_routing_id`.
    #[inline]
    pub fn routing_id(&self) -> u32 {
        (self.head >> 32) as u32
    }

    /// Sets the routing id (see [`routing_id`](Self::routing_id)).
    pub fn set_routing_id(&mut self, id: u32) {
        self.head = (self.head & 0xffff_ffff) | (u64::from(id) << 32);
    }

    /// Returns the frame with the routing id set (see [`routing_id`](Self::routing_id)).
    pub fn with_routing_id(mut self, routing_id: u32) -> Self {
        self.set_routing_id(routing_id);
        self
    }

    /// `true` for a subscription (`\x01topic`) or cancellation (`\x00topic`) sent by a
    /// subscriber socket: the connection sends it as a SUBSCRIBE or CANCEL command to ZMTP 3.1
    /// peers and as this very message to ZMTP 3.0 peers.
    #[inline]
    pub fn is_subscription(&self) -> bool {
        self.flags() & FLAG_SUBSCRIPTION != 0
    }

    /// A subscription (`subscribe = true`) or cancellation of `topic`, flagged as such.
    pub fn subscription(subscribe: bool, topic: &[u8]) -> Self {
        let mut body = Vec::with_capacity(topic.len() + 1);
        body.push(u8::from(subscribe));
        body.extend_from_slice(topic);
        let mut msg = Self::from(body);
        msg.set_flag(FLAG_SUBSCRIPTION, true);
        msg
    }

    /// The value of the property `name` of the connection this frame came from, as text
    /// (libzmq's `zmq_msg_gets`): `Socket-Type`, `Identity` (also asked as `Routing-Id`),
    /// `User-Id` (set by the ZAP handler that admitted the peer), `Peer-Address` (the peer's
    /// IP address; `localhost:UID:GID:PID` for ipc), and every property the peer sent in its
    /// READY or INITIATE. Names compare without regard to case (RFC 23). `None` if the frame
    /// has no such property, if its value is not UTF-8 (see [`property`](Self::property)),
    /// or if the frame came from no connection (made here, or from an inproc peer).
    ///
    /// ```
    /// use ringmq_transports::Msg;
    /// assert_eq!(Msg::from("made here").gets("Socket-Type"), None);
    /// ```
    pub fn gets(&self, name: &str) -> Option<&str> {
        self.property(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The value of the property `name` as octets (see [`gets`](Self::gets)).
    pub fn property(&self, name: &str) -> Option<&[u8]> {
        let properties = self.properties.as_deref()?;
        let alias = if name.eq_ignore_ascii_case("Routing-Id") {
            "Identity"
        } else {
            name
        };
        properties.get(alias).map(|v| &v[..])
    }

    /// All properties of the connection this frame came from (see [`gets`](Self::gets)).
    pub fn properties(&self) -> Option<&Metadata> {
        self.properties.as_deref()
    }

    /// Gives this frame the connection properties `other` carries (a socket that makes a
    /// frame for what it received, such as ROUTER's routing-id frame, uses it).
    pub fn copy_properties_from(&mut self, other: &Msg) {
        self.properties.clone_from(&other.properties);
    }

    /// Puts the connection's properties on a received frame.
    #[inline]
    pub(crate) fn set_properties(&mut self, properties: &Arc<Metadata>) {
        self.properties = Some(Arc::clone(properties));
    }

    /// Gives a received frame the connection's properties, taking the reference.
    pub(crate) fn put_properties(&mut self, properties: Arc<Metadata>) {
        self.properties = Some(properties);
    }

    /// The shared properties this frame carries, if any.
    #[inline]
    pub(crate) fn shared_properties(&self) -> Option<&Arc<Metadata>> {
        self.properties.as_ref()
    }

    /// The body as `Bytes` (a copy for inline bodies, which are small; free otherwise).
    pub fn into_bytes(self) -> Bytes {
        if self.len_octet() != SHARED {
            return Bytes::copy_from_slice(self.as_bytes());
        }
        let mut this = ManuallyDrop::new(self);
        drop(this.properties.take());
        // SAFETY: the length octet is SHARED, so `shared` is initialised and owned; `this` is never
        // dropped, so the `Bytes` taken here has no other owner.
        unsafe { ManuallyDrop::take(&mut this.storage.shared) }
    }

    /// The body as `Bytes` if it is stored as such (large bodies), without copying.
    pub fn shared_bytes(&self) -> Option<&Bytes> {
        // SAFETY: a SHARED length octet means `shared` is initialised (the invariant on `storage`).
        (self.len_octet() == SHARED).then(|| unsafe { &*self.storage.shared })
    }
}

impl Clone for Msg {
    fn clone(&self) -> Self {
        let storage = match self.shared_bytes() {
            Some(bytes) => Storage {
                shared: ManuallyDrop::new(bytes.clone()),
            },
            None => Storage {
                // SAFETY: not shared, so `inline` is initialised (the invariant on `storage`).
                inline: unsafe { self.storage.inline },
            },
        };
        Self {
            storage,
            head: self.head,
            properties: self.properties.clone(),
        }
    }
}

impl Drop for Msg {
    #[inline]
    fn drop(&mut self) {
        if self.len_octet() == SHARED {
            // SAFETY: the length octet is SHARED, so `shared` is initialised and owned by this frame,
            // which is being dropped and never reads it again.
            unsafe { ManuallyDrop::drop(&mut self.storage.shared) }
        }
    }
}

impl Default for Msg {
    fn default() -> Self {
        Self::new()
    }
}

impl std::ops::Deref for Msg {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Msg {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = self.as_bytes();
        let shown = &data[..data.len().min(32)];
        write!(
            f,
            "Msg({} B{}, {:?}",
            data.len(),
            if self.more() { ", more" } else { "" },
            Bytes::copy_from_slice(shown)
        )?;
        if data.len() > shown.len() {
            f.write_str("…")?;
        }
        f.write_str(")")
    }
}

impl PartialEq for Msg {
    fn eq(&self, other: &Self) -> bool {
        self.more() == other.more() && self.as_bytes() == other.as_bytes()
    }
}
impl Eq for Msg {}

impl PartialEq<[u8]> for Msg {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Msg {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialEq<&str> for Msg {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl From<Bytes> for Msg {
    /// Small bodies are copied inline; larger ones are kept as the given `Bytes` (no copy).
    fn from(b: Bytes) -> Self {
        if b.len() <= INLINE_CAPACITY {
            Self::copy_from_slice(&b)
        } else {
            Self::shared(b)
        }
    }
}

impl From<Vec<u8>> for Msg {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= INLINE_CAPACITY {
            Self::copy_from_slice(&v)
        } else {
            Self::from(Bytes::from(v))
        }
    }
}

impl From<&[u8]> for Msg {
    fn from(s: &[u8]) -> Self {
        Self::copy_from_slice(s)
    }
}

impl<const N: usize> From<&[u8; N]> for Msg {
    fn from(s: &[u8; N]) -> Self {
        Self::copy_from_slice(s)
    }
}

impl From<&str> for Msg {
    fn from(s: &str) -> Self {
        Self::copy_from_slice(s.as_bytes())
    }
}

impl From<String> for Msg {
    fn from(s: String) -> Self {
        Self::from(s.into_bytes())
    }
}

impl From<&Msg> for Msg {
    fn from(m: &Msg) -> Self {
        m.clone()
    }
}

impl ringmq_engine::spsc::Frame for Msg {
    #[inline]
    fn has_more(&self) -> bool {
        self.more()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_from_a_window_is_only_its_first_octets() {
        let window: [u8; INLINE_CAPACITY] = std::array::from_fn(|i| i as u8);
        for len in [0, 1, 8, 33, INLINE_CAPACITY] {
            let m = Msg::from_inline_window(&window, len).with_more(true);
            assert_eq!(m.len(), len);
            assert_eq!(m.as_bytes(), &window[..len]);
            assert_eq!(m, Msg::copy_from_slice(&window[..len]).with_more(true));
            assert_eq!(m.clone().into_bytes(), Bytes::copy_from_slice(&window[..len]));
        }
    }

    #[test]
    fn small_bodies_are_inline_and_large_ones_shared() {
        let small = Msg::from(vec![7u8; INLINE_CAPACITY]);
        assert!(small.shared_bytes().is_none());
        assert_eq!(small.len(), INLINE_CAPACITY);
        let big = Bytes::from(vec![9u8; INLINE_CAPACITY + 1]);
        let m = Msg::from(big.clone());
        assert_eq!(
            m.shared_bytes().map(|b| b.as_ptr()),
            Some(big.as_ptr()),
            "no copy"
        );
        assert_eq!(m.into_bytes(), big);
    }

    #[test]
    fn msg_stays_compact() {
        assert!(std::mem::size_of::<Msg>() <= 80, "{}", std::mem::size_of::<Msg>());
        assert!(
            Msg::from(vec![1u8; 64]).shared_bytes().is_none(),
            "a 64-octet frame must not allocate"
        );
    }

    /// Every path that reads the storage union, for miri: clones, drops and `into_bytes` of
    /// inline and shared bodies, with and without properties.
    #[test]
    fn inline_and_shared_bodies_clone_drop_and_convert() {
        let properties = Arc::new(Metadata::new());
        for len in [0, 1, INLINE_CAPACITY, INLINE_CAPACITY + 1, 4096] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut m = Msg::from(data.clone()).with_more(true).with_routing_id(7);
            m.set_properties(&properties);
            let copy = m.clone();
            assert_eq!(copy.as_bytes(), &data[..]);
            assert_eq!((copy.len(), copy.more(), copy.routing_id()), (len, true, 7));
            assert!(copy.properties().is_some());
            assert_eq!(m.shared_bytes().is_some(), len > INLINE_CAPACITY);
            drop(copy);
            assert_eq!(m.into_bytes(), Bytes::from(data));
        }
        assert_eq!(
            Arc::strong_count(&properties),
            1,
            "every frame let go of its properties"
        );
    }

    #[test]
    fn equality_compares_bytes_and_more_flag() {
        assert_eq!(Msg::from("a"), Msg::from(&b"a"[..]));
        assert_ne!(Msg::from("a"), Msg::from("a").with_more(true));
        let abc = Msg::from("abc");
        assert!(abc == "abc");
        assert!(Msg::new().is_empty());
    }
}
