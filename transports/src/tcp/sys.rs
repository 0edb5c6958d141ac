//! Socket syscalls for the stream transports (tcp:// and ipc://, which share the session and
//! listener machinery): creating, tuning, binding and listening. Reads and writes never
//! happen here; they go through the shard's io_uring.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// A socket address in the form the kernel takes.
#[derive(Clone, Copy)]
pub struct RawAddr {
    /// The address.
    pub storage: libc::sockaddr_storage,
    /// Its length.
    pub len: libc::socklen_t,
}

impl RawAddr {
    /// An empty address buffer for the kernel to fill.
    fn empty() -> Self {
        Self {
            // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
            storage: unsafe { zeroed() },
            len: size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }
}

impl std::fmt::Debug for RawAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawAddr({:?})", to_socket_addr(self))
    }
}

/// Where a stream connection goes: an IP address (tcp://) or a Unix domain socket (ipc://).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamAddr {
    /// tcp://
    Ip(SocketAddr),
    /// ipc://
    Unix(UnixAddr),
}

/// A Unix domain socket address: a filesystem path, or a Linux abstract name (`ipc://@name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixAddr {
    /// The path, or the abstract name without its leading `@`.
    pub name: Vec<u8>,
    /// A Linux abstract name: no file, gone with the last socket.
    pub is_abstract: bool,
}

/// The longest path (or abstract name) a `sockaddr_un` holds.
pub fn max_unix_name() -> usize {
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let un: libc::sockaddr_un = unsafe { zeroed() };
    // A path needs its terminating NUL; an abstract name its leading one.
    un.sun_path.len() - 1
}

impl StreamAddr {
    /// The kernel form; fails for a Unix name too long for `sockaddr_un`.
    pub fn to_raw(&self) -> io::Result<RawAddr> {
        match self {
            StreamAddr::Ip(a) => Ok(to_raw(a)),
            StreamAddr::Unix(u) => unix_to_raw(u),
        }
    }

    /// `true` for ipc:// addresses.
    pub fn is_unix(&self) -> bool {
        matches!(self, StreamAddr::Unix(_))
    }
}

fn unix_to_raw(u: &UnixAddr) -> io::Result<RawAddr> {
    if u.name.len() > max_unix_name() || u.name.contains(&0) {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut un: libc::sockaddr_un = unsafe { zeroed() };
    un.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let start = usize::from(u.is_abstract);
    for (i, &b) in u.name.iter().enumerate() {
        un.sun_path[start + i] = b as libc::c_char;
    }
    let path_offset = std::mem::offset_of!(libc::sockaddr_un, sun_path);
    // An abstract name is exactly its bytes after the leading NUL; a path ends with a NUL.
    let len = path_offset + u.name.len() + 1;
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    // SAFETY: sockaddr_storage is large and aligned enough for any sockaddr.
    unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_un, un) };
    Ok(RawAddr {
        storage,
        len: len as libc::socklen_t,
    })
}

/// A new stream socket for `addr`'s family, close-on-exec, in blocking mode.
pub fn stream_socket(addr: &StreamAddr) -> io::Result<OwnedFd> {
    match addr {
        StreamAddr::Ip(a) => tcp_socket(a),
        StreamAddr::Unix(_) => {
            // SAFETY: socket() has no memory preconditions.
            let fd =
                check(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })?;
            // SAFETY: `fd` is a fresh descriptor we own.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        }
    }
}

/// Connects `fd` to `addr` synchronously (for probing whether an ipc:// path is live).
pub fn connect_now(fd: &OwnedFd, addr: &StreamAddr) -> io::Result<()> {
    let raw = addr.to_raw()?;
    // SAFETY: `raw` holds a valid sockaddr of `raw.len` bytes.
    check(unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&raw.storage as *const libc::sockaddr_storage).cast(),
            raw.len,
        )
    })
    .map(drop)
}

/// A listening Unix domain socket on `addr`.
pub fn listen_unix(addr: &UnixAddr, backlog: i32) -> io::Result<OwnedFd> {
    let stream = StreamAddr::Unix(addr.clone());
    let fd = stream_socket(&stream)?;
    let raw = stream.to_raw()?;
    // SAFETY: `raw` holds a valid sockaddr of `raw.len` bytes.
    check(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw.storage as *const libc::sockaddr_storage).cast(),
            raw.len,
        )
    })?;
    // SAFETY: listen() on a descriptor we own.
    check(unsafe { libc::listen(fd.as_raw_fd(), backlog) })?;
    Ok(fd)
}

/// `true` for a Unix-domain socket.
pub fn is_unix_socket(fd: RawFd) -> bool {
    int_option(fd, libc::SOL_SOCKET, libc::SO_DOMAIN).is_ok_and(|domain| domain == libc::AF_UNIX)
}

/// Reads an integer socket option.
pub fn int_option(fd: RawFd, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `value`.
    check(unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut libc::c_int).cast(), &mut len) })?;
    Ok(value)
}

/// Converts a std address to the kernel form.
pub fn to_raw(addr: &SocketAddr) -> RawAddr {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is large and aligned enough for any sockaddr.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    RawAddr {
        storage,
        len: len as libc::socklen_t,
    }
}

/// Converts a kernel address back, if it is IPv4 or IPv6.
pub fn to_socket_addr(raw: &RawAddr) -> Option<SocketAddr> {
    match i32::from(raw.storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin = unsafe { &*(&raw.storage as *const _ as *const libc::sockaddr_in) };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 = unsafe { &*(&raw.storage as *const _ as *const libc::sockaddr_in6) };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// A new TCP socket for `addr`'s family, close-on-exec, in blocking mode (io_uring polls it).
pub fn tcp_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let family = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: socket() has no memory preconditions.
    let fd = check(unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` is a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Sets an integer socket option.
pub fn set_int_option(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: passing a pointer to a live c_int and its size.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Per-connection TCP tuning, as libzmq applies it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpTuning {
    /// SO_SNDBUF, if set.
    pub sndbuf: Option<i32>,
    /// SO_RCVBUF, if set.
    pub rcvbuf: Option<i32>,
    /// SO_KEEPALIVE: `None` leaves the OS default.
    pub keepalive: Option<bool>,
    /// TCP_KEEPCNT.
    pub keepalive_cnt: Option<i32>,
    /// TCP_KEEPIDLE (seconds).
    pub keepalive_idle: Option<i32>,
    /// TCP_KEEPINTVL (seconds).
    pub keepalive_intvl: Option<i32>,
}

/// Applies TCP_NODELAY (always, like libzmq) and the tuning options; a Unix domain socket
/// takes only the buffer sizes.
pub fn tune(fd: RawFd, tuning: &TcpTuning) -> io::Result<()> {
    if let Some(n) = tuning.sndbuf {
        set_int_option(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, n)?;
    }
    if let Some(n) = tuning.rcvbuf {
        set_int_option(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, n)?;
    }
    if is_unix_socket(fd) {
        return Ok(());
    }
    set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)?;
    if let Some(on) = tuning.keepalive {
        set_int_option(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, i32::from(on))?;
        if on {
            if let Some(n) = tuning.keepalive_cnt {
                set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, n)?;
            }
            if let Some(n) = tuning.keepalive_idle {
                set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, n)?;
            }
            if let Some(n) = tuning.keepalive_intvl {
                set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, n)?;
            }
        }
    }
    Ok(())
}

/// Binds `fd` to `addr`.
pub fn bind(fd: &OwnedFd, addr: &SocketAddr) -> io::Result<()> {
    let raw = to_raw(addr);
    // SAFETY: `raw` holds a valid sockaddr of `raw.len` bytes.
    check(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw.storage as *const libc::sockaddr_storage).cast(),
            raw.len,
        )
    })
    .map(drop)
}

/// The address a socket is bound to.
pub fn local_addr(fd: &OwnedFd) -> io::Result<SocketAddr> {
    let mut raw = RawAddr::empty();
    // SAFETY: getsockname writes at most `raw.len` bytes into the storage.
    check(unsafe {
        libc::getsockname(
            fd.as_raw_fd(),
            (&mut raw.storage as *mut libc::sockaddr_storage).cast(),
            &mut raw.len,
        )
    })?;
    to_socket_addr(&raw).ok_or_else(|| io::Error::other("not an IP socket"))
}

/// The address of a connected socket's peer (`None` for a Unix-domain socket).
pub fn peer_addr(fd: RawFd) -> Option<SocketAddr> {
    let mut raw = RawAddr::empty();
    // SAFETY: getpeername writes at most `raw.len` bytes into the storage.
    let rc = unsafe {
        libc::getpeername(
            fd,
            (&mut raw.storage as *mut libc::sockaddr_storage).cast(),
            &mut raw.len,
        )
    };
    if rc == 0 { to_socket_addr(&raw) } else { None }
}

/// The uid, gid and pid of the process at the other end of a connected Unix-domain socket
/// (SO_PEERCRED: what it was when it connected).
pub fn peer_credentials(fd: RawFd) -> Option<(u32, u32, i32)> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cred`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some((cred.uid, cred.gid, cred.pid))
}

/// A listening socket on `addr` (SO_REUSEADDR like libzmq; dual-stack when binding the IPv6
/// wildcard), and the address it actually got (with the ephemeral port filled in).
pub fn listen(addr: &SocketAddr, backlog: i32) -> io::Result<(OwnedFd, SocketAddr)> {
    let fd = tcp_socket(addr)?;
    set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    if let SocketAddr::V6(v6) = addr {
        if v6.ip().is_unspecified() {
            set_int_option(fd.as_raw_fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 0)?;
        }
    }
    bind(&fd, addr)?;
    // SAFETY: listen() on a descriptor we own.
    check(unsafe { libc::listen(fd.as_raw_fd(), backlog) })?;
    let local = local_addr(&fd)?;
    Ok((fd, local))
}

/// Shuts down both directions of a socket, so pending operations on it complete.
pub fn shutdown(fd: RawFd) {
    // SAFETY: shutdown() on a descriptor we own; errors (already closed by the peer) are moot.
    unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_through_the_kernel_form() {
        for a in ["127.0.0.1:5555", "[::1]:80", "[fe80::1%2]:9"] {
            let addr: SocketAddr = a.parse().unwrap();
            assert_eq!(to_socket_addr(&to_raw(&addr)), Some(addr));
        }
    }

    #[test]
    fn unix_names_fit_sockaddr_un_or_are_refused() {
        let path = UnixAddr {
            name: b"/tmp/x".to_vec(),
            is_abstract: false,
        };
        let raw = StreamAddr::Unix(path).to_raw().unwrap();
        let offset = std::mem::offset_of!(libc::sockaddr_un, sun_path);
        assert_eq!(raw.len as usize, offset + 7, "path and NUL");
        let long = UnixAddr {
            name: vec![b'a'; max_unix_name() + 1],
            is_abstract: false,
        };
        let err = StreamAddr::Unix(long).to_raw().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENAMETOOLONG));
    }

    #[test]
    fn listening_on_an_ephemeral_port_reports_it() {
        let (_fd, local) = listen(&"127.0.0.1:0".parse().unwrap(), 10).unwrap();
        assert!(local.port() != 0);
        let err = listen(&local, 10).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE));
    }
}
