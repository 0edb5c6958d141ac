//! What `ringmq-bench` measures: implementations, transports, kinds of run and message
//! sizes, and which implementation takes part in which case.

use std::fmt;

/// An implementation the report compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    /// ringmq in its default (detached) mode: shard threads own the I/O.
    Ringmq,
    /// ringmq with each side's socket in attached mode (its own thread drives its ring).
    RingmqAttached,
    /// ringmq (detached) with the sender handing one application-owned `Bytes` body to
    /// every send, the zero-copy API: no copy into a fresh message, the body written out by
    /// iovec from where it lies. Large messages over tcp and ipc only.
    RingmqShared,
    /// libzmq 4.3.4 through the `zmq` crate.
    Libzmq,
    /// omq.rs (`omq-tokio`) through its blocking API, with its own I/O thread.
    Omq,
    /// omq.rs on one `current_thread` runtime: I/O and application on one thread.
    OmqCurrentThread,
    /// rzmq on tokio's multi-threaded runtime.
    Rzmq,
    /// rzmq with its io_uring backend (tcp only).
    RzmqUring,
    /// zmq.rs (the `zeromq` crate, on tokio); it has no inproc.
    Zmqrs,
    /// Plain blocking stream sockets: the floor for tcp and ipc.
    Plain,
}

impl Impl {
    /// Every implementation, in the report's order.
    pub const ALL: [Impl; 10] = [
        Impl::Ringmq,
        Impl::RingmqAttached,
        Impl::RingmqShared,
        Impl::Libzmq,
        Impl::Omq,
        Impl::OmqCurrentThread,
        Impl::Rzmq,
        Impl::RzmqUring,
        Impl::Zmqrs,
        Impl::Plain,
    ];

    /// The name on the command line and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Impl::Ringmq => "ringmq",
            Impl::RingmqAttached => "ringmq-attached",
            Impl::RingmqShared => "ringmq-shared",
            Impl::Libzmq => "libzmq",
            Impl::Omq => "omq",
            Impl::OmqCurrentThread => "omq-1thread",
            Impl::Rzmq => "rzmq",
            Impl::RzmqUring => "rzmq-uring",
            Impl::Zmqrs => "zmq.rs",
            Impl::Plain => "plain",
        }
    }

    /// The implementation name the child runs as (attached mode and the shared body are
    /// environment switches).
    pub fn child(self) -> &'static str {
        match self {
            Impl::RingmqAttached | Impl::RingmqShared => "ringmq",
            other => other.name(),
        }
    }

    /// Whether this is ringmq itself (the rows the report measures against the others).
    pub fn is_ringmq(self) -> bool {
        matches!(self, Impl::Ringmq | Impl::RingmqAttached | Impl::RingmqShared)
    }

    /// Whether this is another ZeroMQ implementation ("a peer": not ringmq, not plain
    /// sockets), a candidate for the report's "vs best peer" column.
    pub fn is_peer(self) -> bool {
        !self.is_ringmq() && self != Impl::Plain
    }
}

/// A transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ipc,
    Inproc,
}

impl Transport {
    /// Every transport, in the report's order.
    pub const ALL: [Transport; 3] = [Transport::Tcp, Transport::Ipc, Transport::Inproc];

    /// The endpoint scheme, which is also its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ipc => "ipc",
            Transport::Inproc => "inproc",
        }
    }
}

/// The security mechanism of a run (the perf tools take it from the environment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    Null,
    Curve,
    Plain,
}

impl Security {
    /// Every mechanism, in the report's order.
    pub const ALL: [Security; 3] = [Security::Null, Security::Curve, Security::Plain];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Security::Null => "null",
            Security::Curve => "curve",
            Security::Plain => "plain",
        }
    }
}

/// Streaming messages one way (PUSH to PULL) or round trips (REQ to REP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Throughput,
    Latency,
}

impl Kind {
    /// Every kind, in the report's order.
    pub const ALL: [Kind; 2] = [Kind::Throughput, Kind::Latency];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Throughput => "throughput",
            Kind::Latency => "latency",
        }
    }
}

/// One row group of the report: a kind of run over a transport at a message size, with a
/// security mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    pub kind: Kind,
    pub transport: Transport,
    pub size: usize,
    pub security: Security,
}

impl Case {
    /// The perf tools that run this case: (binding side, connecting side); inproc runs both
    /// ends in one process, with no second tool.
    pub fn tools(&self) -> (&'static str, Option<&'static str>) {
        match (self.kind, self.transport) {
            (Kind::Throughput, Transport::Inproc) => ("inproc_thr", None),
            (Kind::Latency, Transport::Inproc) => ("inproc_lat", None),
            (Kind::Throughput, _) => ("local_thr", Some("remote_thr")),
            (Kind::Latency, _) => ("local_lat", Some("remote_lat")),
        }
    }

    /// The case's name in file names.
    pub fn slug(&self) -> String {
        format!(
            "{}-{}{}-{}",
            self.kind.name(),
            self.transport.name(),
            self.security_suffix(),
            size_label(self.size).replace(' ', "")
        )
        .to_lowercase()
    }

    /// Who runs this case. zmq.rs has no inproc; attached mode changes nothing on the
    /// inproc path (no shard is involved), nor does omq's single-thread mode (both ends of
    /// an inproc pair cannot block on one thread), and plain sockets have no inproc either;
    /// rzmq's io_uring backend serves tcp only; plain streams are the floor for large
    /// messages only (one `write` per 8-byte message says nothing about a floor); the
    /// shared body is for large messages over tcp and ipc (over inproc nothing would move,
    /// and a small body is copied into the write batch anyway).
    ///
    /// With security, only the libraries that have it take part, over tcp and ipc (inproc has
    /// no mechanism, in libzmq either); a PLAIN server's ZAP handler needs a shard thread,
    /// so attached mode runs CURVE only.
    pub fn runs(&self, imp: Impl) -> bool {
        let stream = self.transport != Transport::Inproc;
        if self.security != Security::Null {
            return stream
                && match imp {
                    Impl::Ringmq | Impl::Libzmq => true,
                    Impl::RingmqAttached => self.security == Security::Curve,
                    _ => false,
                };
        }
        match imp {
            Impl::Ringmq | Impl::Libzmq | Impl::Omq | Impl::Rzmq => true,
            Impl::Zmqrs | Impl::RingmqAttached | Impl::OmqCurrentThread => stream,
            Impl::RzmqUring => self.transport == Transport::Tcp,
            Impl::Plain => stream && (self.kind == Kind::Latency || self.size >= 1024),
            Impl::RingmqShared => stream && self.kind == Kind::Throughput && self.size >= 64 << 10,
        }
    }
}

impl Case {
    /// `+curve` or `+plain` after the transport; nothing for NULL.
    fn security_suffix(&self) -> String {
        match self.security {
            Security::Null => String::new(),
            other => format!("+{}", other.name()),
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{} {}",
            self.transport.name(),
            self.security_suffix(),
            size_label(self.size)
        )
    }
}

/// `8 B`, `1 KiB`, `64 KiB`, `1 MiB`, …
pub fn size_label(size: usize) -> String {
    if size >= 1 << 20 && size % (1 << 20) == 0 {
        format!("{} MiB", size >> 20)
    } else if size >= 1024 && size % 1024 == 0 {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_participants() {
        let case = Case {
            kind: Kind::Throughput,
            transport: Transport::Ipc,
            size: 65536,
            security: Security::Null,
        };
        assert_eq!(case.to_string(), "ipc 64 KiB");
        assert_eq!(case.slug(), "throughput-ipc-64kib");
        assert!(case.runs(Impl::Plain) && case.runs(Impl::Zmqrs) && case.runs(Impl::RingmqShared));
        let small_inproc = Case {
            kind: Kind::Throughput,
            transport: Transport::Inproc,
            size: 8,
            security: Security::Null,
        };
        assert_eq!(small_inproc.tools(), ("inproc_thr", None));
        assert!(!small_inproc.runs(Impl::Zmqrs) && !small_inproc.runs(Impl::Plain));
        assert!(!small_inproc.runs(Impl::RingmqAttached));
        assert!(small_inproc.runs(Impl::Omq) && small_inproc.runs(Impl::Rzmq));
        assert!(!small_inproc.runs(Impl::OmqCurrentThread) && !small_inproc.runs(Impl::RzmqUring));
        assert!(!case.runs(Impl::RzmqUring) && case.runs(Impl::OmqCurrentThread));
        let mib = Case {
            size: 1 << 20,
            ..case
        };
        assert_eq!(
            (mib.to_string(), mib.slug()),
            ("ipc 1 MiB".into(), "throughput-ipc-1mib".into())
        );
        let small_tcp = Case {
            transport: Transport::Tcp,
            ..small_inproc
        };
        assert!(!small_tcp.runs(Impl::Plain) && small_tcp.runs(Impl::RingmqAttached));
        assert!(!small_tcp.runs(Impl::RingmqShared) && !small_inproc.runs(Impl::RingmqShared));
        let curve = Case {
            security: Security::Curve,
            ..small_tcp
        };
        assert_eq!(
            (curve.to_string(), curve.slug()),
            ("tcp+curve 8 B".into(), "throughput-tcp+curve-8b".into())
        );
        assert!(curve.runs(Impl::Libzmq) && curve.runs(Impl::RingmqAttached) && !curve.runs(Impl::Zmqrs));
        let plain = Case {
            security: Security::Plain,
            ..small_tcp
        };
        assert!(plain.runs(Impl::Ringmq) && !plain.runs(Impl::RingmqAttached) && !plain.runs(Impl::Plain));
    }
}
