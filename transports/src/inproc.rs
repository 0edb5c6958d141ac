//! The `inproc://` transport: sockets of one context joined directly by a pair of SPSC
//! queues ([`inproc_pipe`]), with no shard, no kernel and no codec between them.
//!
//! This module owns the context's table of bound names and of connections waiting for a
//! bind (connect may come first, as in libzmq). It decides what each new pipe carries
//! first (the routing id a ROUTER-like peer expects, which a ZMTP handshake would have
//! carried) and how deep each direction is; it does not touch socket-type logic.
//!
//! Depth follows libzmq: a direction holds the writer's SNDHWM plus the reader's RCVHWM
//! messages (unlimited if either is 0). Until the bind, the connecting socket's own
//! RCVHWM stands in for the binder's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{InprocSide, SocketEvent, SocketInbox, SocketPipe, inproc_pipe};
use crate::socket_type::SocketType;
use crate::tcp::SocketId;

/// What a socket brings to an inproc pipe: taken from its options at bind or connect time.
#[derive(Clone, Debug)]
pub struct InprocPeer {
    /// The socket's inbox.
    pub inbox: Arc<SocketInbox>,
    /// The socket's id (who owns a binding).
    pub socket: SocketId,
    /// The socket's type.
    pub socket_type: SocketType,
    /// ZMQ_ROUTING_ID, announced to peers that want one (as the ZMTP `Identity`).
    pub routing_id: Bytes,
    /// SNDHWM (0 = none).
    pub sndhwm: usize,
    /// RCVHWM (0 = none).
    pub rcvhwm: usize,
    /// CONFLATE on the (outgoing, incoming) direction.
    pub conflate: (bool, bool),
    /// ZMQ_IMMEDIATE: a connecting socket gets its pipe only once the name is bound.
    pub immediate: bool,
}

impl InprocPeer {
    /// The frame naming this socket that a peer of type `reader` reads first, if it wants
    /// one: the routing id, announced only by the types that announce one over ZMTP.
    fn routing_id_for(&self, reader: SocketType) -> Option<Msg> {
        reader.receives_routing_id().then(|| self.routing_id_frame())
    }

    /// The routing-id frame naming this socket (empty for types that announce none).
    fn routing_id_frame(&self) -> Msg {
        let id = if self.socket_type.announces_identity() {
            self.routing_id.clone()
        } else {
            Bytes::new()
        };
        Msg::from(id).with_routing_id_flag()
    }
}

/// libzmq's inproc depth: the writer's SNDHWM plus the reader's RCVHWM, 0 if either is 0.
fn depth(sndhwm: usize, rcvhwm: usize) -> usize {
    if sndhwm == 0 || rcvhwm == 0 {
        0
    } else {
        sndhwm + rcvhwm
    }
}

/// A connection made before its name was bound: the binder's end, waiting.
#[derive(Debug)]
pub struct PendingConnect {
    /// The end the binding socket will own.
    end: SocketPipe,
    connector: InprocPeer,
    /// An IMMEDIATE connector's own end, handed to it only at the bind.
    connector_end: Option<SocketPipe>,
    /// The connector's routing id is the first frame in `end`.
    id_first: bool,
}

impl PendingConnect {
    /// Completes the connection for `binder`, which takes the returned end.
    pub fn complete(self, binder: &InprocPeer) -> SocketPipe {
        let PendingConnect {
            mut end,
            connector,
            connector_end,
            id_first,
        } = self;
        end.adopt(binder.inbox.clone());
        if id_first && !binder.socket_type.receives_routing_id() {
            let id = end.read();
            debug_assert!(id.is_some_and(|id| id.is_routing_id()));
            end.release();
        }
        end.set_sndhwm(depth(binder.sndhwm, connector.rcvhwm));
        if let Some(id) = binder.routing_id_for(connector.socket_type) {
            end.write(id);
            end.flush();
        }
        if let Some(pipe) = connector_end {
            connector.inbox.post(SocketEvent::Attached(Box::new(pipe)));
        }
        end
    }
}

#[derive(Debug, Default)]
struct Names {
    bound: HashMap<String, InprocPeer>,
    pending: HashMap<String, Vec<PendingConnect>>,
}

impl Names {
    /// Takes out the connections `owner` left waiting for the names `which` accepts.
    fn take_waiting(&mut self, owner: SocketId, which: impl Fn(&str) -> bool) -> Vec<PendingConnect> {
        let mut taken = Vec::new();
        for (_, waiting) in self.pending.iter_mut().filter(|(name, _)| which(name)) {
            let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(waiting)
                .into_iter()
                .partition(|p| p.connector.socket == owner);
            *waiting = kept;
            taken.extend(gone);
        }
        self.pending.retain(|_, waiting| !waiting.is_empty());
        taken
    }
}

/// A context's inproc names.
#[derive(Debug, Default)]
pub struct InprocRegistry {
    names: Mutex<Names>,
}

/// The name of an `inproc://name` endpoint; EINVAL for an empty one.
pub fn name_of(endpoint: &str) -> Result<&str> {
    match endpoint.strip_prefix("inproc://") {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(Error::InvalidArgument(format!(
            "'{endpoint}': an inproc endpoint is inproc://name with a non-empty name"
        ))),
    }
}

impl InprocRegistry {
    fn names(&self) -> std::sync::MutexGuard<'_, Names> {
        self.names.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds `name` for `binder`; returns the connections that waited for it, for the
    /// binder to [`complete`](PendingConnect::complete). EADDRINUSE if already bound.
    pub fn bind(&self, name: &str, binder: InprocPeer) -> Result<Vec<PendingConnect>> {
        let mut names = self.names();
        if names.bound.contains_key(name) {
            return Err(Error::AddrInUse(format!("inproc://{name} is already bound")));
        }
        names.bound.insert(name.to_owned(), binder);
        Ok(names.pending.remove(name).unwrap_or_default())
    }

    /// The socket bound at `name`, if any (as it was at its bind).
    pub fn bound_peer(&self, name: &str) -> Option<InprocPeer> {
        self.names().bound.get(name).cloned()
    }

    /// Unbinds `name` if `owner` bound it; `false` otherwise.
    pub fn unbind(&self, name: &str, owner: SocketId) -> bool {
        let mut names = self.names();
        let owned = names.bound.get(name).is_some_and(|b| b.socket == owner);
        if owned {
            names.bound.remove(name);
        }
        owned
    }

    /// `owner` closed: unbinds every name it bound. The connections it left waiting stay
    /// for a later bind to read what they hold (as libzmq's do), unless `discard_waiting`
    /// (LINGER 0).
    pub fn socket_closed(&self, owner: SocketId, discard_waiting: bool) {
        let dropped = {
            let mut names = self.names();
            names.bound.retain(|_, b| b.socket != owner);
            if discard_waiting {
                names.take_waiting(owner, |_| true)
            } else {
                Vec::new()
            }
        };
        // Dropped outside the lock: a dropped end wakes its peer.
        drop(dropped);
    }

    /// Drops the connections `owner` left waiting for `name` (disconnect).
    pub fn cancel_pending(&self, name: &str, owner: SocketId) {
        let dropped = self
            .names()
            .take_waiting(owner, |waiting_for| waiting_for == name);
        drop(dropped);
    }

    /// Connects `connector` to `name` (given as `endpoint`). If the name is bound the
    /// binder is handed its end through its inbox; otherwise the connection waits for the
    /// bind. Returns the connector's end, unless IMMEDIATE holds it back until the bind.
    pub fn connect(&self, name: &str, endpoint: &str, connector: InprocPeer) -> Option<SocketPipe> {
        let mut names = self.names();
        let binder = names.bound.get(name);
        let (to_binder, binder_inbox) = match binder {
            Some(b) => (depth(connector.sndhwm, b.rcvhwm), Some(b.inbox.clone())),
            None => (depth(connector.sndhwm, connector.rcvhwm), None),
        };
        let (mut mine, mut theirs) = inproc_pipe(
            InprocSide {
                inbox: Some(connector.inbox.clone()),
                origin: endpoint.to_owned(),
                hwm: to_binder,
                conflate: connector.conflate.0 || binder.is_some_and(|b| b.conflate.1),
            },
            InprocSide {
                inbox: binder_inbox,
                origin: endpoint.to_owned(),
                hwm: binder.map_or(0, |b| depth(b.sndhwm, connector.rcvhwm)),
                conflate: connector.conflate.1 || binder.is_some_and(|b| b.conflate.0),
            },
        );
        match binder {
            Some(binder) => {
                if let Some(id) = connector.routing_id_for(binder.socket_type) {
                    mine.write(id);
                    mine.flush();
                }
                if let Some(id) = binder.routing_id_for(connector.socket_type) {
                    theirs.write(id);
                    theirs.flush();
                }
                // A binder that closed meanwhile drops the end, which tells us.
                binder.inbox.post(SocketEvent::Attached(Box::new(theirs)));
                Some(mine)
            }
            None => {
                // Whether the binder wants the connector's routing id is known only at the
                // bind; it must come first, so it is written now and the binder skips it if
                // it has no use for it. (A conflating queue would let messages replace it.)
                let id_first = !connector.conflate.0;
                if id_first {
                    mine.write(connector.routing_id_frame());
                    mine.flush();
                }
                let immediate = connector.immediate;
                let (own, held) = if immediate {
                    (None, Some(mine))
                } else {
                    (Some(mine), None)
                };
                names
                    .pending
                    .entry(name.to_owned())
                    .or_default()
                    .push(PendingConnect {
                        end: theirs,
                        connector,
                        connector_end: held,
                        id_first,
                    });
                own
            }
        }
    }
}
