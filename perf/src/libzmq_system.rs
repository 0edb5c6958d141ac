//! libzmq's perf tools over the system's libzmq (Debian's libzmq5: 4.3.4 built with
//! libsodium), loaded at run time, for the runs with security: the `zmq` crate's own
//! libzmq build has no CURVE. Same command lines and output as [`crate::libzmq`]; messages
//! are received with `zmq_recv` into the tool's buffer (libzmq's tools use `zmq_msg_recv`,
//! which saves that copy: at 64 B and 1 KiB it is a few nanoseconds beside the crypto).
//!
//! `apt-get install libzmq5` provides `libzmq.so.5`; without it the tools say so and exit.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::time::Instant;

use crate::security::{ToolSecurity, zap_reply};
use crate::{
    PerfArgs, check_size, die, hold_while_asked, latency_histogram, print_latency, print_throughput,
};

const ZMQ_REQ: c_int = 3;
const ZMQ_REP: c_int = 4;
const ZMQ_PULL: c_int = 7;
const ZMQ_PUSH: c_int = 8;
const ZMQ_RCVMORE: c_int = 13;
const ZMQ_LINGER: c_int = 17;
const ZMQ_LAST_ENDPOINT: c_int = 32;
const ZMQ_PLAIN_SERVER: c_int = 44;
const ZMQ_PLAIN_USERNAME: c_int = 45;
const ZMQ_PLAIN_PASSWORD: c_int = 46;
const ZMQ_CURVE_SERVER: c_int = 47;
const ZMQ_CURVE_PUBLICKEY: c_int = 48;
const ZMQ_CURVE_SECRETKEY: c_int = 49;
const ZMQ_CURVE_SERVERKEY: c_int = 50;
const ZMQ_SNDMORE: c_int = 2;

type CtxNewFn = unsafe extern "C" fn() -> *mut c_void;
type SocketFn = unsafe extern "C" fn(*mut c_void, c_int) -> *mut c_void;
type SetsockoptFn = unsafe extern "C" fn(*mut c_void, c_int, *const c_void, usize) -> c_int;
type GetsockoptFn = unsafe extern "C" fn(*mut c_void, c_int, *mut c_void, *mut usize) -> c_int;
type BindFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;
type ConnectFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;
type SendFn = unsafe extern "C" fn(*mut c_void, *const c_void, usize, c_int) -> c_int;
type RecvFn = unsafe extern "C" fn(*mut c_void, *mut c_void, usize, c_int) -> c_int;
type ErrnoFn = unsafe extern "C" fn() -> c_int;
type StrerrorFn = unsafe extern "C" fn(c_int) -> *const c_char;
type CurveKeypairFn = unsafe extern "C" fn(*mut c_char, *mut c_char) -> c_int;
type CtxTermFn = unsafe extern "C" fn(*mut c_void) -> c_int;
type CloseFn = unsafe extern "C" fn(*mut c_void) -> c_int;
type HasFn = unsafe extern "C" fn(*const c_char) -> c_int;

/// The libzmq functions the tools call, from `libzmq.so.5`.
struct Api {
    ctx_new: CtxNewFn,
    socket: SocketFn,
    setsockopt: SetsockoptFn,
    getsockopt: GetsockoptFn,
    bind: BindFn,
    connect: ConnectFn,
    send: SendFn,
    recv: RecvFn,
    errno: ErrnoFn,
    strerror: StrerrorFn,
    curve_keypair: CurveKeypairFn,
    has: HasFn,
    close: CloseFn,
    ctx_term: CtxTermFn,
}

fn api() -> &'static Api {
    static API: std::sync::OnceLock<Api> = std::sync::OnceLock::new();
    API.get_or_init(|| {
        // SAFETY: a NUL-terminated literal; dlopen has no other precondition.
        let lib = unsafe { libc::dlopen(c"libzmq.so.5".as_ptr(), libc::RTLD_NOW) };
        if lib.is_null() {
            die(
                "libzmq.so.5",
                "not found (apt-get install libzmq5): the secured libzmq rows need it",
            );
        }
        let sym = |name: &CStr| {
            // SAFETY: `lib` is a live handle (never closed) and `name` is NUL-terminated.
            let p = unsafe { libc::dlsym(lib, name.as_ptr()) };
            if p.is_null() {
                die("libzmq.so.5", format!("has no {}", name.to_string_lossy()));
            }
            p
        };
        // SAFETY: each symbol is the libzmq 4.x function of that name, whose C signature
        // (zmq.h) is the one it is cast to.
        unsafe {
            Api {
                ctx_new: std::mem::transmute::<*mut c_void, CtxNewFn>(sym(c"zmq_ctx_new")),
                socket: std::mem::transmute::<*mut c_void, SocketFn>(sym(c"zmq_socket")),
                setsockopt: std::mem::transmute::<*mut c_void, SetsockoptFn>(sym(c"zmq_setsockopt")),
                getsockopt: std::mem::transmute::<*mut c_void, GetsockoptFn>(sym(c"zmq_getsockopt")),
                bind: std::mem::transmute::<*mut c_void, BindFn>(sym(c"zmq_bind")),
                connect: std::mem::transmute::<*mut c_void, ConnectFn>(sym(c"zmq_connect")),
                send: std::mem::transmute::<*mut c_void, SendFn>(sym(c"zmq_send")),
                recv: std::mem::transmute::<*mut c_void, RecvFn>(sym(c"zmq_recv")),
                errno: std::mem::transmute::<*mut c_void, ErrnoFn>(sym(c"zmq_errno")),
                strerror: std::mem::transmute::<*mut c_void, StrerrorFn>(sym(c"zmq_strerror")),
                curve_keypair: std::mem::transmute::<*mut c_void, CurveKeypairFn>(sym(c"zmq_curve_keypair")),
                has: std::mem::transmute::<*mut c_void, HasFn>(sym(c"zmq_has")),
                close: std::mem::transmute::<*mut c_void, CloseFn>(sym(c"zmq_close")),
                ctx_term: std::mem::transmute::<*mut c_void, CtxTermFn>(sym(c"zmq_ctx_term")),
            }
        }
    })
}

fn check(rc: c_int, what: &str) -> c_int {
    if rc < 0 {
        let api = api();
        // SAFETY: zmq_errno takes nothing; zmq_strerror returns a static NUL-terminated string.
        let text = unsafe { CStr::from_ptr((api.strerror)((api.errno)())) };
        die(what, text.to_string_lossy());
    }
    rc
}

/// One socket of the system libzmq.
struct Socket(*mut c_void);

// SAFETY: a libzmq socket may move between threads (it is used by one at a time); the ZAP
// handler's socket is moved once into its thread and used only there.
unsafe impl Send for Socket {}

impl Socket {
    fn new(ctx: *mut c_void, kind: c_int) -> Self {
        // SAFETY: `ctx` is a live context from zmq_ctx_new.
        let s = unsafe { (api().socket)(ctx, kind) };
        if s.is_null() {
            check(-1, "zmq_socket");
        }
        Socket(s)
    }

    fn set(&self, option: c_int, value: &[u8]) {
        // SAFETY: the socket is live; libzmq reads `value.len()` octets from the pointer.
        check(
            unsafe { (api().setsockopt)(self.0, option, value.as_ptr().cast(), value.len()) },
            "zmq_setsockopt",
        );
    }

    fn set_int(&self, option: c_int, value: c_int) {
        self.set(option, &value.to_ne_bytes());
    }

    fn endpoint(&self, address: &str, bind: bool) {
        let c = std::ffi::CString::new(address).unwrap_or_else(|e| die("address", e));
        let api = api();
        // SAFETY: the socket is live and `c` a NUL-terminated string.
        let rc = unsafe {
            if bind {
                (api.bind)(self.0, c.as_ptr())
            } else {
                (api.connect)(self.0, c.as_ptr())
            }
        };
        check(rc, if bind { "zmq_bind" } else { "zmq_connect" });
    }

    fn send(&self, data: &[u8], flags: c_int) {
        // SAFETY: the socket is live; libzmq copies `data.len()` octets from the pointer.
        check(
            unsafe { (api().send)(self.0, data.as_ptr().cast(), data.len(), flags) },
            "zmq_send",
        );
    }

    /// Receives one frame into `buf`; its full size, or `None` once the context ends.
    fn try_recv(&self, buf: &mut [u8]) -> Option<usize> {
        // SAFETY: the socket is live; libzmq writes at most `buf.len()` octets.
        let rc = unsafe { (api().recv)(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
        usize::try_from(rc).ok()
    }

    /// Receives one frame into `buf`; returns its full size.
    fn recv(&self, buf: &mut [u8]) -> usize {
        // SAFETY: the socket is live; libzmq writes at most `buf.len()` octets.
        check(
            unsafe { (api().recv)(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) },
            "zmq_recv",
        ) as usize
    }

    fn last_endpoint(&self) -> String {
        let mut buf = [0u8; 256];
        let mut len = buf.len();
        // SAFETY: the socket is live; libzmq writes at most `len` octets (a C string).
        check(
            unsafe { (api().getsockopt)(self.0, ZMQ_LAST_ENDPOINT, buf.as_mut_ptr().cast(), &mut len) },
            "zmq_getsockopt",
        );
        String::from_utf8_lossy(&buf[..len.saturating_sub(1)]).into_owned()
    }

    fn more(&self) -> bool {
        let mut value: c_int = 0;
        let mut len = std::mem::size_of::<c_int>();
        // SAFETY: the socket is live; `value` has room for the int RCVMORE is.
        check(
            unsafe { (api().getsockopt)(self.0, ZMQ_RCVMORE, (&mut value as *mut c_int).cast(), &mut len) },
            "zmq_getsockopt",
        );
        value != 0
    }
}

/// A tool's socket and its context: closed and terminated when dropped, which is when
/// libzmq sends what it still holds (a REP's last reply) within the linger.
struct Tool {
    ctx: *mut c_void,
    socket: Socket,
}

impl std::ops::Deref for Tool {
    type Target = Socket;
    fn deref(&self) -> &Socket {
        &self.socket
    }
}

impl Drop for Tool {
    fn drop(&mut self) {
        let api = api();
        // SAFETY: the socket and context are live, and neither is used after this.
        unsafe {
            (api.close)(self.socket.0);
            (api.ctx_term)(self.ctx);
        }
    }
}

/// A socket of `kind` on a new context, secured as the environment asks, bound or
/// connected to `address`.
fn open(kind: c_int, bind: bool, address: &str) -> Tool {
    let api = api();
    // SAFETY: zmq_has takes a NUL-terminated string.
    if unsafe { (api.has)(c"curve".as_ptr()) } == 0 {
        die("libzmq.so.5", "was built without CURVE");
    }
    // SAFETY: zmq_ctx_new has no preconditions.
    let ctx = unsafe { (api.ctx_new)() };
    let s = Socket::new(ctx, kind);
    s.set_int(ZMQ_LINGER, 1000);
    match ToolSecurity::from_env(bind) {
        ToolSecurity::Null => {}
        ToolSecurity::CurveServer { secret_z85 } => {
            s.set_int(ZMQ_CURVE_SERVER, 1);
            s.set(ZMQ_CURVE_SECRETKEY, secret_z85.as_bytes());
        }
        ToolSecurity::CurveClient { server_key_z85 } => {
            let (mut public, mut secret) = ([0 as c_char; 41], [0 as c_char; 41]);
            // SAFETY: both buffers have the 41 octets zmq_curve_keypair writes.
            check(
                unsafe { (api.curve_keypair)(public.as_mut_ptr(), secret.as_mut_ptr()) },
                "zmq_curve_keypair",
            );
            let z85 = |b: &[c_char; 41]| b[..40].iter().map(|&c| c as u8).collect::<Vec<u8>>();
            s.set(ZMQ_CURVE_PUBLICKEY, &z85(&public));
            s.set(ZMQ_CURVE_SECRETKEY, &z85(&secret));
            s.set(ZMQ_CURVE_SERVERKEY, server_key_z85.as_bytes());
        }
        ToolSecurity::PlainClient { user, password } => {
            s.set(ZMQ_PLAIN_USERNAME, user.as_bytes());
            s.set(ZMQ_PLAIN_PASSWORD, password.as_bytes());
        }
        ToolSecurity::PlainServer { user, password } => {
            s.set_int(ZMQ_PLAIN_SERVER, 1);
            let zap = Socket::new(ctx, ZMQ_REP);
            zap.endpoint("inproc://zeromq.zap.01", true);
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 512];
                // Until zmq_ctx_term makes the receive fail; then the socket closes, which
                // the termination waits for.
                'serve: loop {
                    let mut request = Vec::new();
                    loop {
                        let Some(n) = zap.try_recv(&mut buf) else {
                            break 'serve;
                        };
                        request.push(buf[..n.min(buf.len())].to_vec());
                        if !zap.more() {
                            break;
                        }
                    }
                    let reply = zap_reply(&request, &user, &password);
                    for (i, frame) in reply.iter().enumerate() {
                        zap.send(frame, if i + 1 < reply.len() { ZMQ_SNDMORE } else { 0 });
                    }
                }
                // SAFETY: the socket is live and not used after this.
                unsafe { (self::api().close)(zap.0) };
            });
        }
    }
    s.endpoint(address, bind);
    Tool { ctx, socket: s }
}

/// libzmq's `local_thr`.
pub fn local_thr(args: &PerfArgs) {
    let s = open(ZMQ_PULL, true, &args.address);
    let mut buf = vec![0u8; args.message_size.max(1)];
    check_size(args.message_size, s.recv(&mut buf));
    let start = Instant::now();
    for _ in 1..args.count {
        check_size(args.message_size, s.recv(&mut buf));
    }
    print_throughput(args.message_size, args.count, start.elapsed());
}

/// libzmq's `remote_thr`.
pub fn remote_thr(args: &PerfArgs) {
    let s = open(ZMQ_PUSH, false, &args.address);
    let payload = vec![0u8; args.message_size];
    for _ in 0..args.count {
        s.send(&payload, 0);
    }
    hold_while_asked();
}

/// libzmq's `local_lat`.
pub fn local_lat(args: &PerfArgs) {
    let s = open(ZMQ_REP, true, &args.address);
    let mut buf = vec![0u8; args.message_size.max(1)];
    for _ in 0..args.count {
        let n = s.recv(&mut buf);
        check_size(args.message_size, n);
        s.send(&buf[..n], 0);
    }
}

/// libzmq's `remote_lat`.
pub fn remote_lat(args: &PerfArgs) {
    let s = open(ZMQ_REQ, false, &args.address);
    let payload = vec![0u8; args.message_size];
    let mut buf = vec![0u8; args.message_size.max(1)];
    let mut histogram = latency_histogram();
    let start = Instant::now();
    for _ in 0..args.count {
        let t0 = Instant::now();
        s.send(&payload, 0);
        check_size(args.message_size, s.recv(&mut buf));
        let _ = histogram.record(t0.elapsed().as_nanos() as u64);
    }
    print_latency(args.message_size, args.count, start.elapsed(), &histogram);
}

/// `count` connections to a REP server of `ctx`-less libzmq, each a new REQ socket that
/// connects, does one round trip and closes (linger 0); the server runs in a thread. With
/// `curve`, each is a CURVE handshake (one client key pair for all, as options give it).
/// Returns the time the `count` took.
pub fn handshake_round_trips(count: usize, curve: bool) -> std::time::Duration {
    let api = api();
    // SAFETY: zmq_ctx_new has no preconditions.
    let ctx = unsafe { (api.ctx_new)() };
    let server_keys = curve.then(ringmq::CurveKeyPair::generate);
    let client_keys = ringmq::CurveKeyPair::generate();
    let server = Socket::new(ctx, ZMQ_REP);
    if let Some(keys) = &server_keys {
        server.set_int(ZMQ_CURVE_SERVER, 1);
        server.set(ZMQ_CURVE_SECRETKEY, keys.secret.expose());
    }
    server.endpoint("tcp://127.0.0.1:*", true);
    let endpoint = server.last_endpoint();
    let serving = std::thread::spawn(move || {
        let mut buf = [0u8; 16];
        for _ in 0..count {
            server.recv(&mut buf);
            server.send(b"y", 0);
        }
        server
    });
    let ctx_addr = ctx as usize;
    let start = Instant::now();
    for _ in 0..count {
        let client = Socket::new(ctx_addr as *mut c_void, ZMQ_REQ);
        client.set_int(ZMQ_LINGER, 0);
        if let Some(keys) = &server_keys {
            client.set(ZMQ_CURVE_SERVERKEY, keys.public.as_bytes());
            client.set(ZMQ_CURVE_PUBLICKEY, client_keys.public.as_bytes());
            client.set(ZMQ_CURVE_SECRETKEY, client_keys.secret.expose());
        }
        client.endpoint(&endpoint, false);
        client.send(b"x", 0);
        let mut buf = [0u8; 16];
        client.recv(&mut buf);
        // SAFETY: the socket is live and not used after this.
        unsafe { (api.close)(client.0) };
    }
    let elapsed = start.elapsed();
    let server = serving.join().unwrap_or_else(|_| die("server", "panicked"));
    // SAFETY: the socket is live and not used after this.
    unsafe { (api.close)(server.0) };
    elapsed
}
