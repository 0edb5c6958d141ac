//! Routing ids: the two-way table between peers' routing ids and pipe slots that ROUTER and
//! STREAM keep, and libzmq-style generated ids (`0x00` and a 32-bit counter starting at a
//! random value, so ids differ between runs).

use std::collections::HashMap;

use bytes::Bytes;
use ringmq_transports::Error;

#[derive(Debug)]
pub(crate) struct RoutingIds {
    by_id: HashMap<Bytes, usize>,
    /// Every identified pipe's id, kept after it stops being routable (its last messages
    /// still name their sender).
    ids: HashMap<usize, Bytes>,
    next_generated: u32,
}

impl RoutingIds {
    pub(crate) fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
            .unwrap_or(0);
        Self {
            by_id: HashMap::new(),
            ids: HashMap::new(),
            next_generated: seed,
        }
    }

    /// A new 5-byte id.
    pub(crate) fn generate(&mut self) -> Bytes {
        let n = self.next_generated;
        self.next_generated = n.wrapping_add(1);
        let mut id = vec![0u8];
        id.extend_from_slice(&n.to_be_bytes());
        Bytes::from(id)
    }

    /// Names the pipe `id` (replacing a name it had) and makes it routable.
    pub(crate) fn assign(&mut self, idx: usize, id: Bytes) {
        if let Some(old) = self.ids.insert(idx, id.clone()) {
            self.by_id.remove(&old);
        }
        self.by_id.insert(id, idx);
    }

    /// The pipe routed to by `id`.
    pub(crate) fn route(&self, id: &[u8]) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The pipe's id (empty if it has none).
    pub(crate) fn id_of(&self, idx: usize) -> Bytes {
        self.ids.get(&idx).cloned().unwrap_or_default()
    }

    /// Nothing can be sent to the pipe any more; its id still names what it sent.
    pub(crate) fn unroute(&mut self, idx: usize) {
        if let Some(id) = self.ids.get(&idx) {
            if self.by_id.get(id) == Some(&idx) {
                self.by_id.remove(id);
            }
        }
    }

    /// Forgets the pipe entirely.
    pub(crate) fn remove(&mut self, idx: usize) {
        self.unroute(idx);
        self.ids.remove(&idx);
    }

    /// Checks a CONNECT_ROUTING_ID value: 1 to 255 octets, not a current peer's id.
    pub(crate) fn check_connect_id(&self, id: &Bytes) -> Result<(), Error> {
        if id.is_empty() || id.len() > 255 || self.by_id.contains_key(id) {
            return Err(Error::InvalidArgument(format!(
                "ZMQ_CONNECT_ROUTING_ID must be 1 to 255 octets and not a peer's id in use, got {id:?}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_route_both_ways_and_outlive_their_route() {
        let mut ids = RoutingIds::new();
        let a = ids.generate();
        let b = ids.generate();
        assert_eq!((a.len(), a[0]), (5, 0));
        assert_ne!(a, b);
        ids.assign(3, a.clone());
        assert_eq!(ids.route(&a), Some(3));
        ids.unroute(3);
        assert_eq!(ids.route(&a), None);
        assert_eq!(ids.id_of(3), a, "still names what the pipe sent");
        ids.assign(3, b.clone());
        ids.remove(3);
        assert_eq!(ids.id_of(3), Bytes::new());
        assert!(ids.check_connect_id(&Bytes::new()).is_err());
        assert!(ids.check_connect_id(&Bytes::from_static(b"ok")).is_ok());
    }
}
