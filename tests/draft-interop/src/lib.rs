//! A minimal binding to libzmq's draft API, for ringmq's interop tests of the draft socket
//! types (the `zmq` crate and pyzmq have no drafts). Only what the tests use; every call
//! checks its result and panics with libzmq's error, as a test helper should.

use std::ffi::{CStr, CString, c_char, c_int, c_void};

/// libzmq's socket type numbers for the draft types.
pub mod kind {
    /// ZMQ_SERVER
    pub const SERVER: i32 = 12;
    /// ZMQ_CLIENT
    pub const CLIENT: i32 = 13;
    /// ZMQ_RADIO
    pub const RADIO: i32 = 14;
    /// ZMQ_DISH
    pub const DISH: i32 = 15;
    /// ZMQ_GATHER
    pub const GATHER: i32 = 16;
    /// ZMQ_SCATTER
    pub const SCATTER: i32 = 17;
    /// ZMQ_PEER
    pub const PEER: i32 = 19;
    /// ZMQ_CHANNEL
    pub const CHANNEL: i32 = 20;
}

const ZMQ_LINGER: c_int = 17;
const ZMQ_RCVTIMEO: c_int = 27;
const ZMQ_LAST_ENDPOINT: c_int = 32;
const ZMQ_DONTWAIT: c_int = 1;

/// libzmq's `zmq_msg_t`: 64 opaque octets.
#[repr(C, align(8))]
struct RawMsg([u8; 64]);

unsafe extern "C" {
    fn zmq_ctx_new() -> *mut c_void;
    fn zmq_ctx_term(ctx: *mut c_void) -> c_int;
    fn zmq_socket(ctx: *mut c_void, kind: c_int) -> *mut c_void;
    fn zmq_close(socket: *mut c_void) -> c_int;
    fn zmq_bind(socket: *mut c_void, endpoint: *const c_char) -> c_int;
    fn zmq_connect(socket: *mut c_void, endpoint: *const c_char) -> c_int;
    fn zmq_connect_peer(socket: *mut c_void, endpoint: *const c_char) -> u32;
    fn zmq_setsockopt(socket: *mut c_void, option: c_int, value: *const c_void, len: usize) -> c_int;
    fn zmq_getsockopt(socket: *mut c_void, option: c_int, value: *mut c_void, len: *mut usize) -> c_int;
    fn zmq_join(socket: *mut c_void, group: *const c_char) -> c_int;
    fn zmq_msg_init(msg: *mut RawMsg) -> c_int;
    fn zmq_msg_init_size(msg: *mut RawMsg, size: usize) -> c_int;
    fn zmq_msg_data(msg: *mut RawMsg) -> *mut c_void;
    fn zmq_msg_size(msg: *const RawMsg) -> usize;
    fn zmq_msg_send(msg: *mut RawMsg, socket: *mut c_void, flags: c_int) -> c_int;
    fn zmq_msg_recv(msg: *mut RawMsg, socket: *mut c_void, flags: c_int) -> c_int;
    fn zmq_msg_close(msg: *mut RawMsg) -> c_int;
    fn zmq_msg_set_routing_id(msg: *mut RawMsg, routing_id: u32) -> c_int;
    fn zmq_msg_routing_id(msg: *mut RawMsg) -> u32;
    fn zmq_msg_set_group(msg: *mut RawMsg, group: *const c_char) -> c_int;
    fn zmq_msg_group(msg: *mut RawMsg) -> *const c_char;
    fn zmq_errno() -> c_int;
    fn zmq_strerror(errnum: c_int) -> *const c_char;
}

fn check(rc: c_int, what: &str) {
    if rc < 0 {
        // SAFETY: zmq_errno and zmq_strerror have no preconditions; the string is static.
        let reason = unsafe { CStr::from_ptr(zmq_strerror(zmq_errno())) };
        panic!("libzmq {what}: {}", reason.to_string_lossy());
    }
}

/// A libzmq context.
#[derive(Debug)]
pub struct Context(*mut c_void);

// SAFETY: libzmq contexts are thread-safe.
unsafe impl Send for Context {}
// SAFETY: as above.
unsafe impl Sync for Context {}

impl Context {
    /// A new context.
    pub fn new() -> Self {
        // SAFETY: no preconditions.
        let ctx = unsafe { zmq_ctx_new() };
        assert!(!ctx.is_null(), "zmq_ctx_new");
        Self(ctx)
    }

    /// A socket of a draft `kind` with a 10 s receive timeout and no linger.
    pub fn socket(&self, kind: i32) -> Socket {
        // SAFETY: the context is live until dropped, after its sockets (tests drop them first).
        let s = unsafe { zmq_socket(self.0, kind) };
        assert!(!s.is_null(), "zmq_socket({kind})");
        let socket = Socket(s);
        socket.set_int(ZMQ_RCVTIMEO, 10_000);
        socket.set_int(ZMQ_LINGER, 0);
        socket
    }
}

impl Default for Context {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context is live; its sockets were closed (Socket's Drop).
        unsafe { zmq_ctx_term(self.0) };
    }
}

/// A libzmq socket (draft types are thread-safe, so it may move between threads).
#[derive(Debug)]
pub struct Socket(*mut c_void);

// SAFETY: the draft socket types are thread-safe in libzmq.
unsafe impl Send for Socket {}

/// A received message: body, routing id (SERVER, PEER) and group (DISH).
#[derive(Debug, PartialEq, Eq)]
pub struct Received {
    /// The body.
    pub body: Vec<u8>,
    /// `zmq_msg_routing_id`.
    pub routing_id: u32,
    /// `zmq_msg_group`.
    pub group: String,
}

impl Socket {
    fn set_int(&self, option: c_int, value: c_int) {
        // SAFETY: `value` lives across the call and its size is passed.
        let rc = unsafe {
            zmq_setsockopt(
                self.0,
                option,
                (&value as *const c_int).cast(),
                size_of::<c_int>(),
            )
        };
        check(rc, "setsockopt");
    }

    /// zmq_bind; returns ZMQ_LAST_ENDPOINT.
    pub fn bind(&self, endpoint: &str) -> String {
        let c = CString::new(endpoint).unwrap();
        // SAFETY: `c` is a valid C string for the call.
        check(unsafe { zmq_bind(self.0, c.as_ptr()) }, "bind");
        let mut buf = [0u8; 256];
        let mut len = buf.len();
        // SAFETY: `buf` and `len` describe a writable buffer for the call.
        let rc = unsafe { zmq_getsockopt(self.0, ZMQ_LAST_ENDPOINT, buf.as_mut_ptr().cast(), &mut len) };
        check(rc, "getsockopt(LAST_ENDPOINT)");
        CStr::from_bytes_until_nul(&buf)
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// zmq_connect.
    pub fn connect(&self, endpoint: &str) {
        let c = CString::new(endpoint).unwrap();
        // SAFETY: `c` is a valid C string for the call.
        check(unsafe { zmq_connect(self.0, c.as_ptr()) }, "connect");
    }

    /// zmq_connect_peer (PEER).
    pub fn connect_peer(&self, endpoint: &str) -> u32 {
        let c = CString::new(endpoint).unwrap();
        // SAFETY: `c` is a valid C string for the call.
        let id = unsafe { zmq_connect_peer(self.0, c.as_ptr()) };
        assert_ne!(id, 0, "zmq_connect_peer");
        id
    }

    /// zmq_join (DISH).
    pub fn join(&self, group: &str) {
        let c = CString::new(group).unwrap();
        // SAFETY: `c` is a valid C string for the call.
        check(unsafe { zmq_join(self.0, c.as_ptr()) }, "join");
    }

    /// Sends `body`, with a routing id (SERVER, PEER; 0 = none) and a group (RADIO).
    pub fn send(&self, body: &[u8], routing_id: u32, group: Option<&str>) {
        let mut msg = RawMsg([0; 64]);
        // SAFETY: `msg` is a zmq_msg_t-sized, aligned buffer; it is initialised before use
        // and either sent (which takes ownership) or closed.
        unsafe {
            check(zmq_msg_init_size(&mut msg, body.len()), "msg_init_size");
            std::ptr::copy_nonoverlapping(body.as_ptr(), zmq_msg_data(&mut msg).cast(), body.len());
            if routing_id != 0 {
                check(zmq_msg_set_routing_id(&mut msg, routing_id), "msg_set_routing_id");
            }
            if let Some(g) = group {
                let c = CString::new(g).unwrap();
                check(zmq_msg_set_group(&mut msg, c.as_ptr()), "msg_set_group");
            }
            let rc = zmq_msg_send(&mut msg, self.0, 0);
            if rc < 0 {
                zmq_msg_close(&mut msg);
            }
            check(rc, "msg_send");
        }
    }

    /// Receives one message (10 s timeout).
    pub fn recv(&self) -> Received {
        self.recv_flags(0).expect("msg_recv timed out")
    }

    /// Receives one message if one is there now (ZMQ_DONTWAIT).
    pub fn try_recv(&self) -> Option<Received> {
        self.recv_flags(ZMQ_DONTWAIT)
    }

    fn recv_flags(&self, flags: c_int) -> Option<Received> {
        let mut msg = RawMsg([0; 64]);
        // SAFETY: as in `send`; the message is closed after its contents are copied out.
        unsafe {
            check(zmq_msg_init(&mut msg), "msg_init");
            let rc = zmq_msg_recv(&mut msg, self.0, flags);
            if rc < 0 {
                zmq_msg_close(&mut msg);
                if zmq_errno() == libc::EAGAIN {
                    return None;
                }
            }
            check(rc, "msg_recv");
            let data = zmq_msg_data(&mut msg) as *const u8;
            let body = std::slice::from_raw_parts(data, zmq_msg_size(&msg)).to_vec();
            let routing_id = zmq_msg_routing_id(&mut msg);
            let group_ptr = zmq_msg_group(&mut msg);
            let group = if group_ptr.is_null() {
                String::new()
            } else {
                CStr::from_ptr(group_ptr).to_string_lossy().into_owned()
            };
            zmq_msg_close(&mut msg);
            Some(Received {
                body,
                routing_id,
                group,
            })
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: the socket is live and closed once.
        unsafe { zmq_close(self.0) };
    }
}
