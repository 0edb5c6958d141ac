//! Endpoint strings: parsing `transport://address` and resolving TCP addresses the way libzmq
//! does.
//!
//! TCP forms:
//! - bind: `tcp://*:5555`, `tcp://127.0.0.1:5555`, `tcp://[::1]:5555`, `tcp://eth0:5555`
//!   (an interface name), `tcp://localhost:5555` (a host name, looked up when neither of
//!   the others matches, as libzmq does; its first address is bound), and `*` or `0` as the
//!   port for an ephemeral one (read it back with `last_endpoint`).
//! - connect: `tcp://host:port` (DNS allowed, looked up on every connection attempt as
//!   libzmq does, off the shard's thread), `tcp://[::1]:5555`, and an optional source
//!   address before a semicolon, `tcp://192.168.1.17:0;server:5555` or `tcp://eth0;server:5555`
//!   (a source is never looked up in DNS).

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, ToSocketAddrs};

use crate::error::{Error, Result};
use crate::ipc::IpcPath;
use crate::tcp::resolve::HostName;

/// A parsed endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `tcp://…`
    Tcp(TcpEndpoint),
    /// `udp://host:port` or `udp://iface;group:port` (RADIO and DISH only).
    Udp(TcpEndpoint),
    /// `ipc://path`, `ipc://@abstract-name` or `ipc://*`.
    Ipc(IpcPath),
    /// `inproc://name`: a name within the context.
    Inproc(String),
}

/// The address part of a `tcp://` (or `udp://`) endpoint, not yet resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpEndpoint {
    /// Optional source address (`host[:port]`) for connecting sockets.
    pub source: Option<HostPort>,
    /// The address to bind or connect to.
    pub target: HostPort,
}

/// A host (`*`, IP literal, interface name or DNS name) and a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    /// The host as written, without IPv6 brackets.
    pub host: String,
    /// The port; `None` for `*` (any/ephemeral).
    pub port: Option<u16>,
}

fn invalid(endpoint: &str, why: &str) -> Error {
    Error::InvalidArgument(format!("endpoint '{endpoint}': {why}"))
}

impl Endpoint {
    /// Parses an endpoint string. Transports not built yet are refused with
    /// `ProtocolNotSupported` naming them.
    pub fn parse(endpoint: &str) -> Result<Self> {
        let Some((scheme, rest)) = endpoint.split_once("://") else {
            return Err(invalid(endpoint, "expected transport://address"));
        };
        match scheme {
            "tcp" => Ok(Endpoint::Tcp(TcpEndpoint::parse(endpoint, rest)?)),
            "ipc" => Ok(Endpoint::Ipc(IpcPath::parse(endpoint, rest)?)),
            "inproc" => crate::inproc::name_of(endpoint).map(|name| Endpoint::Inproc(name.to_owned())),
            "udp" => {
                let parsed = TcpEndpoint::parse(endpoint, rest)?;
                let multicast = parse_ip_literal(&parsed.target.host).is_some_and(|ip| ip.is_multicast());
                if parsed
                    .target
                    .host
                    .parse::<Ipv6Addr>()
                    .is_ok_and(|ip| ip.is_multicast())
                {
                    return Err(Error::ProtocolNotSupported(format!(
                        "'{endpoint}': IPv6 multicast over udp:// is not built yet in this version of ringmq"
                    )));
                }
                if parsed.source.is_some() && !multicast {
                    return Err(invalid(
                        endpoint,
                        "udp:// takes an interface (iface;group:port) only for a multicast group",
                    ));
                }
                Ok(Endpoint::Udp(parsed))
            }
            "pgm" | "epgm" | "norm" | "vmci" | "tipc" | "ws" | "wss" => Err(Error::ProtocolNotSupported(
                format!("'{endpoint}': ringmq does not support the {scheme}:// transport"),
            )),
            _ => Err(Error::ProtocolNotSupported(format!(
                "'{endpoint}': unknown transport '{scheme}'"
            ))),
        }
    }
}

impl HostPort {
    fn parse(endpoint: &str, text: &str, port_required: bool) -> Result<Self> {
        let (host, port) = if let Some(after_bracket) = text.strip_prefix('[') {
            let Some((host, tail)) = after_bracket.split_once(']') else {
                return Err(invalid(endpoint, "unclosed '[' in IPv6 address"));
            };
            match tail.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if tail.is_empty() => (host, None),
                None => return Err(invalid(endpoint, "unexpected text after ']'")),
            }
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            }
        };
        if host.is_empty() {
            return Err(invalid(endpoint, "missing host"));
        }
        let port = match port {
            None if port_required => return Err(invalid(endpoint, "missing port")),
            None => Some(0),
            Some("*") => None,
            Some(p) => match p.parse::<u16>() {
                Ok(0) => None,
                Ok(n) => Some(n),
                Err(_) => return Err(invalid(endpoint, &format!("bad port '{p}'"))),
            },
        };
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }

    /// The port, or 0 for "any".
    pub fn port_or_zero(&self) -> u16 {
        self.port.unwrap_or(0)
    }
}

impl TcpEndpoint {
    fn parse(endpoint: &str, rest: &str) -> Result<Self> {
        if rest.contains('/') {
            return Err(invalid(endpoint, "resource paths are not supported"));
        }
        let (source, target) = match rest.split_once(';') {
            Some((source, target)) => (Some(HostPort::parse(endpoint, source, false)?), target),
            None => (None, rest),
        };
        Ok(Self {
            source,
            target: HostPort::parse(endpoint, target, true)?,
        })
    }

    /// Resolves the address to bind: `*`, an IP literal, an interface name, or else a host
    /// name looked up now (ENODEV if it has no address of a usable family).
    pub fn resolve_bind(&self, endpoint: &str, ipv6: bool) -> Result<SocketAddr> {
        if self.source.is_some() {
            return Err(invalid(
                endpoint,
                "a source address is only valid when connecting",
            ));
        }
        let host = &self.target.host;
        let ip = match resolve_local_host(endpoint, host, ipv6) {
            Ok(ip) => ip,
            Err(not_local) => bind_lookup(host, ipv6).ok_or(not_local)?,
        };
        Ok(SocketAddr::new(ip, self.target.port_or_zero()))
    }

    /// The multicast group the target names, if it is one (IPv4).
    pub fn multicast_group(&self) -> Option<Ipv4Addr> {
        match parse_ip_literal(&self.target.host) {
            Some(IpAddr::V4(ip)) if ip.is_multicast() => Some(ip),
            _ => None,
        }
    }

    /// The IPv4 address of the interface named before `;` (`*` or none: any).
    pub fn multicast_interface(&self, endpoint: &str) -> Result<Ipv4Addr> {
        let Some(source) = &self.source else {
            return Ok(Ipv4Addr::UNSPECIFIED);
        };
        match resolve_local_host(endpoint, &source.host, false)? {
            IpAddr::V4(ip) => Ok(ip),
            IpAddr::V6(_) => Err(invalid(endpoint, "a multicast interface needs an IPv4 address")),
        }
    }

    /// Where a connect endpoint leads: an address now for an IP literal, or the host name
    /// to look up at each connection attempt; and the optional source address (never
    /// looked up in DNS; its family follows an IP literal target, or ZMQ_IPV6 for a name).
    pub fn connect_target(&self, endpoint: &str, ipv6: bool) -> Result<(ConnectTarget, Option<SocketAddr>)> {
        let Some(port) = self.target.port else {
            return Err(invalid(
                endpoint,
                "a connect endpoint needs a port other than * or 0",
            ));
        };
        let host = &self.target.host;
        if host == "*" {
            return Err(invalid(endpoint, "cannot connect to '*'"));
        }
        let target = match parse_ip_literal(host) {
            Some(ip) => ConnectTarget::Addr(with_scope(SocketAddr::new(ip, port), host)),
            None if is_host_name(host) => ConnectTarget::Name(HostName {
                host: host.clone(),
                port,
                ipv6,
            }),
            None => return Err(invalid(endpoint, &format!("'{host}' is not a valid host name"))),
        };
        let source_ipv6 = match &target {
            ConnectTarget::Addr(a) => a.is_ipv6(),
            ConnectTarget::Name(_) => ipv6,
        };
        let source = match &self.source {
            None => None,
            Some(s) => {
                let ip = resolve_local_host(endpoint, &s.host, source_ipv6)?;
                Some(SocketAddr::new(ip, s.port_or_zero()))
            }
        };
        Ok((target, source))
    }

    /// Resolves the address to connect to now (DNS allowed) and the optional source address
    /// (udp://, whose RADIO resolves once, as libzmq's does).
    pub fn resolve_connect(&self, endpoint: &str, ipv6: bool) -> Result<(SocketAddr, Option<SocketAddr>)> {
        let Some(port) = self.target.port else {
            return Err(invalid(
                endpoint,
                "a connect endpoint needs a port other than * or 0",
            ));
        };
        if self.target.host == "*" {
            return Err(invalid(endpoint, "cannot connect to '*'"));
        }
        let target = resolve_remote(endpoint, &self.target.host, port, ipv6)?;
        let source = match &self.source {
            None => None,
            Some(s) => {
                let ip = resolve_local_host(endpoint, &s.host, target.is_ipv6())?;
                Some(SocketAddr::new(ip, s.port_or_zero()))
            }
        };
        Ok((target, source))
    }
}

fn parse_ip_literal(host: &str) -> Option<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(ip);
    }
    // IPv6 with a zone id: fe80::1%eth0 (the scope is applied by `with_scope`).
    let (addr, _zone) = host.split_once('%')?;
    addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// The interface index named by a `%zone` suffix, if any.
fn zone_index(host: &str) -> u32 {
    let Some((_, zone)) = host.split_once('%') else {
        return 0;
    };
    if let Ok(n) = zone.parse::<u32>() {
        return n;
    }
    let Ok(name) = CString::new(zone) else {
        return 0;
    };
    // SAFETY: `name` is a valid NUL-terminated string.
    unsafe { libc::if_nametoindex(name.as_ptr()) }
}

/// Applies an IPv6 zone (`%eth0`) from `host` to `addr`.
pub fn with_scope(addr: SocketAddr, host: &str) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) if host.contains('%') => {
            SocketAddr::V6(SocketAddrV6::new(*v6.ip(), v6.port(), 0, zone_index(host)))
        }
        other => other,
    }
}

fn resolve_local_host(endpoint: &str, host: &str, ipv6: bool) -> Result<IpAddr> {
    if host == "*" {
        return Ok(if ipv6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        });
    }
    if let Some(ip) = parse_ip_literal(host) {
        return Ok(ip);
    }
    interface_address(host, ipv6).ok_or_else(|| {
        Error::NoDevice(format!(
            "endpoint '{endpoint}': '{host}' is neither an IP address nor a network interface"
        ))
    })
}

/// Where a connect endpoint's connections go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectTarget {
    /// An IP address, known now.
    Addr(SocketAddr),
    /// A host name, looked up at each connection attempt.
    Name(HostName),
}

/// libzmq's quick check of a host name: letters, digits, `-`, `_` and `.`, starting with a
/// letter or digit (so a typo is EINVAL at `connect`, not an endless retry).
fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.starts_with(|c: char| c.is_ascii_alphanumeric())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn resolve_remote(endpoint: &str, host: &str, port: u16, ipv6: bool) -> Result<SocketAddr> {
    if let Some(ip) = parse_ip_literal(host) {
        return Ok(with_scope(SocketAddr::new(ip, port), host));
    }
    resolve_host(host, port, ipv6).map_err(|why| invalid(endpoint, &why))
}

/// Looks a host name up in DNS (blocking): its first IPv4 address, or with `ipv6` its first
/// address of either family.
pub(crate) fn resolve_host(host: &str, port: u16, ipv6: bool) -> std::result::Result<SocketAddr, String> {
    let candidates: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve '{host}': {e}"))?
        .collect();
    let pick = candidates
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| candidates.iter().find(|_| ipv6))
        .copied();
    pick.ok_or_else(|| format!("'{host}' has no usable address"))
}

/// A bind address from DNS, as libzmq takes one: the first IPv4 address, or with `ipv6` the
/// first IPv6 one (else IPv4).
fn bind_lookup(host: &str, ipv6: bool) -> Option<IpAddr> {
    if !is_host_name(host) {
        return None;
    }
    let candidates: Vec<SocketAddr> = (host, 0).to_socket_addrs().ok()?.collect();
    let first = |v6: bool| candidates.iter().find(|a| a.is_ipv6() == v6).map(|a| a.ip());
    if ipv6 {
        first(true).or_else(|| first(false))
    } else {
        first(false)
    }
}

/// The first address of the interface `name` (IPv6 first when `ipv6`, else IPv4).
fn interface_address(name: &str, ipv6: bool) -> Option<IpAddr> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return None;
    }
    let mut v4 = None;
    let mut v6 = None;
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: `cursor` walks the list getifaddrs returned; every node is valid until
        // freeifaddrs.
        let ifa = unsafe { &*cursor };
        cursor = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: `ifa_name` is a NUL-terminated string owned by the list.
        let ifname = unsafe { CStr::from_ptr(ifa.ifa_name) };
        if ifname.to_bytes() != name.as_bytes() {
            continue;
        }
        // SAFETY: `ifa_addr` is non-null and its family tells which sockaddr it is.
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family == libc::AF_INET && v4.is_none() {
            // SAFETY: family AF_INET means the address is a sockaddr_in.
            let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
            v4 = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))));
        } else if family == libc::AF_INET6 && v6.is_none() {
            // SAFETY: family AF_INET6 means the address is a sockaddr_in6.
            let sin6 = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
            v6 = Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
        }
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    if ipv6 { v6.or(v4) } else { v4.or(v6) }
}

/// The canonical `tcp://` string for a bound or connected address (what `last_endpoint`
/// returns).
pub fn tcp_endpoint_string(addr: &SocketAddr) -> String {
    endpoint_string("tcp", addr)
}

/// The canonical `scheme://ip:port` string for an address.
pub fn endpoint_string(scheme: &str, addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("{scheme}://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("{scheme}://[{}]:{}", a.ip(), a.port()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(s: &str) -> TcpEndpoint {
        match Endpoint::parse(s).unwrap() {
            Endpoint::Tcp(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn udp_parses_without_interface_or_multicast() {
        assert!(matches!(
            Endpoint::parse("udp://127.0.0.1:5555").unwrap(),
            Endpoint::Udp(TcpEndpoint { source: None, .. })
        ));
        let Endpoint::Udp(m) = Endpoint::parse("udp://lo;239.0.0.1:5555").unwrap() else {
            panic!("udp");
        };
        assert_eq!(m.multicast_group(), Some(Ipv4Addr::new(239, 0, 0, 1)));
        let e = Endpoint::parse("udp://lo;127.0.0.1:5555").unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL, "an interface only for multicast");
        let e = Endpoint::parse("udp://[ff02::1]:5555").unwrap_err();
        assert_eq!(e.errno(), libc::EPROTONOSUPPORT);
        assert!(e.to_string().contains("not built yet"), "{e}");
    }

    #[test]
    fn tcp_forms_parse() {
        let e = tcp("tcp://127.0.0.1:5555");
        assert_eq!(e.target.host, "127.0.0.1");
        assert_eq!(e.target.port, Some(5555));
        assert_eq!(tcp("tcp://*:*").target.port, None);
        assert_eq!(tcp("tcp://127.0.0.1:0").target.port, None);
        let v6 = tcp("tcp://[::1]:7");
        assert_eq!(v6.target.host, "::1");
        let with_source = tcp("tcp://10.0.0.1:0;example.org:80");
        assert_eq!(with_source.source.unwrap().host, "10.0.0.1");
        assert_eq!(with_source.target.host, "example.org");
    }

    #[test]
    fn bad_endpoints_are_refused_with_clear_errors() {
        for (s, errno) in [
            ("tcp:/x", libc::EINVAL),
            ("tcp://127.0.0.1", libc::EINVAL),
            ("tcp://:5555", libc::EINVAL),
            ("tcp://127.0.0.1:99999", libc::EINVAL),
            ("tcp://127.0.0.1:port", libc::EINVAL),
            ("tcp://[::1:5", libc::EINVAL),
            ("foo://bar", libc::EPROTONOSUPPORT),
            ("inproc://", libc::EINVAL),
        ] {
            let err = Endpoint::parse(s).expect_err(s);
            assert_eq!(err.errno(), errno, "{s}: {err}");
            assert!(err.to_string().contains(s.split("://").next().unwrap()), "{err}");
        }
        assert_eq!(
            Endpoint::parse("inproc://feed").unwrap(),
            Endpoint::Inproc("feed".into())
        );
    }

    #[test]
    fn bind_resolution_follows_libzmq() {
        let any = tcp("tcp://*:5000").resolve_bind("e", false).unwrap();
        assert_eq!(any, "0.0.0.0:5000".parse().unwrap());
        let any6 = tcp("tcp://*:*").resolve_bind("e", true).unwrap();
        assert_eq!(any6, "[::]:0".parse().unwrap());
        let lo = tcp("tcp://lo:*").resolve_bind("e", false).unwrap();
        assert_eq!(lo.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        let err = tcp("tcp://no-such-nic0:1")
            .resolve_bind("tcp://no-such-nic0:1", false)
            .unwrap_err();
        assert_eq!(err.errno(), libc::ENODEV, "{err}");
        // A host name is looked up, as libzmq does (pyzmq binds tcp://localhost:* to
        // 127.0.0.1).
        let named = tcp("tcp://localhost:*").resolve_bind("e", false).unwrap();
        assert_eq!(named, "127.0.0.1:0".parse().unwrap());
    }

    #[test]
    fn connect_resolution_uses_dns_and_refuses_wildcards() {
        let (a, src) = tcp("tcp://localhost:80").resolve_connect("e", false).unwrap();
        assert!(a.ip().is_loopback() && a.port() == 80 && src.is_none());
        assert_eq!(
            tcp("tcp://127.0.0.1:*")
                .resolve_connect("e", false)
                .unwrap_err()
                .errno(),
            libc::EINVAL
        );
        assert_eq!(
            tcp("tcp://*:5").resolve_connect("e", false).unwrap_err().errno(),
            libc::EINVAL
        );
        let (_, src) = tcp("tcp://lo;127.0.0.1:5").resolve_connect("e", false).unwrap();
        assert_eq!(src.unwrap().ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn connect_targets_keep_host_names_for_each_attempt() {
        let (target, _) = tcp("tcp://127.0.0.1:80").connect_target("e", false).unwrap();
        assert_eq!(target, ConnectTarget::Addr("127.0.0.1:80".parse().unwrap()));
        // A name is not looked up now: one that does not resolve yet is not an error.
        let (target, src) = tcp("tcp://lo;not-yet-there.invalid:7")
            .connect_target("e", false)
            .unwrap();
        assert_eq!(
            target,
            ConnectTarget::Name(HostName {
                host: "not-yet-there.invalid".into(),
                port: 7,
                ipv6: false
            })
        );
        assert_eq!(src.unwrap().ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        for bad in [
            "tcp://*:5",
            "tcp://127.0.0.1:*",
            "tcp://-dash:5",
            "tcp://sp ace:5",
        ] {
            assert_eq!(
                tcp(bad).connect_target(bad, false).unwrap_err().errno(),
                libc::EINVAL,
                "{bad}"
            );
        }
    }

    #[test]
    fn endpoint_strings_bracket_ipv6() {
        assert_eq!(
            tcp_endpoint_string(&"127.0.0.1:9".parse().unwrap()),
            "tcp://127.0.0.1:9"
        );
        assert_eq!(tcp_endpoint_string(&"[::1]:9".parse().unwrap()), "tcp://[::1]:9");
    }
}
