//! A byte-prefix trie: the structure under both ends of PUB/SUB filtering. A publisher keeps
//! the set of subscriber pipes at each subscribed prefix ([`PipeSet`]); a subscriber keeps a
//! count per prefix (subscribing twice needs two unsubscribes). Matching a topic walks the
//! topic's bytes once, visiting every stored prefix of it, so its cost depends on the topic's
//! length, not on how many subscriptions there are.
//!
//! Nodes live in an arena (indices, not boxes) with a free list; children are kept sorted by
//! byte and found by binary search. Emptied branches are pruned, so memory follows the live
//! subscriptions.

/// A value stored at a prefix; empty values are as good as absent.
pub trait TrieValue: Default {
    /// `true` when the value holds nothing (the prefix counts as absent).
    fn is_empty(&self) -> bool;
}

impl TrieValue for u32 {
    fn is_empty(&self) -> bool {
        *self == 0
    }
}

type NodeId = u32;
const ROOT: NodeId = 0;

#[derive(Debug)]
struct Node<V> {
    /// Children by byte, sorted.
    children: Vec<(u8, NodeId)>,
    parent: NodeId,
    byte: u8,
    value: V,
}

impl<V: Default> Node<V> {
    fn new(parent: NodeId, byte: u8) -> Self {
        Self {
            children: Vec::new(),
            parent,
            byte,
            value: V::default(),
        }
    }
}

/// Prefix → value (see the module documentation).
#[derive(Debug)]
pub struct PrefixTrie<V> {
    nodes: Vec<Node<V>>,
    free: Vec<NodeId>,
}

impl<V: TrieValue> Default for PrefixTrie<V> {
    fn default() -> Self {
        Self {
            nodes: vec![Node::new(ROOT, 0)],
            free: Vec::new(),
        }
    }
}

impl<V: TrieValue> PrefixTrie<V> {
    fn child(&self, node: NodeId, byte: u8) -> Option<NodeId> {
        let children = &self.nodes[node as usize].children;
        children
            .binary_search_by_key(&byte, |&(b, _)| b)
            .ok()
            .map(|i| children[i].1)
    }

    fn find(&self, prefix: &[u8]) -> Option<NodeId> {
        prefix.iter().try_fold(ROOT, |node, &b| self.child(node, b))
    }

    /// The value at `prefix`, if the prefix is stored.
    #[cfg(test)]
    fn get(&self, prefix: &[u8]) -> Option<&V> {
        self.find(prefix)
            .map(|n| &self.nodes[n as usize].value)
            .filter(|v| !v.is_empty())
    }

    /// Changes the value at `prefix` (creating the path when needed) and prunes it again if
    /// the change left it empty. Returns what `change` returned.
    pub fn update<R>(&mut self, prefix: &[u8], change: impl FnOnce(&mut V) -> R) -> R {
        let mut node = ROOT;
        for &b in prefix {
            node = match self.child(node, b) {
                Some(next) => next,
                None => self.add_child(node, b),
            };
        }
        let result = change(&mut self.nodes[node as usize].value);
        self.prune(node);
        result
    }

    /// Changes the value at `prefix` only if the prefix is stored (`None` otherwise).
    pub fn update_existing<R>(&mut self, prefix: &[u8], change: impl FnOnce(&mut V) -> R) -> Option<R> {
        let node = self.find(prefix)?;
        let result = change(&mut self.nodes[node as usize].value);
        self.prune(node);
        Some(result)
    }

    fn add_child(&mut self, parent: NodeId, byte: u8) -> NodeId {
        let node = Node::new(parent, byte);
        let id = match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as NodeId
            }
        };
        let children = &mut self.nodes[parent as usize].children;
        let at = children.partition_point(|&(b, _)| b < byte);
        children.insert(at, (byte, id));
        id
    }

    /// Removes `node` and its emptied ancestors while they hold nothing.
    fn prune(&mut self, mut node: NodeId) {
        while node != ROOT {
            let n = &self.nodes[node as usize];
            if !n.children.is_empty() || !n.value.is_empty() {
                return;
            }
            let (parent, byte) = (n.parent, n.byte);
            let siblings = &mut self.nodes[parent as usize].children;
            if let Ok(i) = siblings.binary_search_by_key(&byte, |&(b, _)| b) {
                siblings.remove(i);
            }
            self.nodes[node as usize].value = V::default();
            self.free.push(node);
            node = parent;
        }
    }

    /// Calls `visit` with the value of every stored prefix of `topic` (the empty prefix first).
    #[inline]
    pub fn for_each_prefix_of(&self, topic: &[u8], mut visit: impl FnMut(&V)) {
        let mut node = ROOT;
        let mut rest = topic.iter();
        loop {
            let value = &self.nodes[node as usize].value;
            if !value.is_empty() {
                visit(value);
            }
            let Some(&b) = rest.next() else {
                return;
            };
            match self.child(node, b) {
                Some(next) => node = next,
                None => return,
            }
        }
    }

    /// `true` if some stored prefix is a prefix of `topic`.
    pub fn matches(&self, topic: &[u8]) -> bool {
        let mut found = false;
        self.for_each_prefix_of(topic, |_| found = true);
        found
    }

    /// Calls `visit` with every stored prefix and its value, in byte order.
    pub fn for_each(&self, mut visit: impl FnMut(&[u8], &V)) {
        let mut prefix = Vec::new();
        self.walk(ROOT, &mut prefix, &mut |p, v| visit(p, v));
    }

    fn walk(&self, node: NodeId, prefix: &mut Vec<u8>, visit: &mut dyn FnMut(&[u8], &V)) {
        let n = &self.nodes[node as usize];
        if !n.value.is_empty() {
            visit(prefix, &n.value);
        }
        for &(b, child) in &n.children {
            prefix.push(b);
            self.walk(child, prefix, visit);
            prefix.pop();
        }
    }

    /// Changes every stored value with `change(prefix, value)`, then prunes what was emptied.
    pub fn update_all(&mut self, mut change: impl FnMut(&[u8], &mut V)) {
        let mut stored = Vec::new();
        let mut prefix = Vec::new();
        self.collect(ROOT, &mut prefix, &mut stored);
        for (node, prefix) in stored {
            change(&prefix, &mut self.nodes[node as usize].value);
            self.prune(node);
        }
    }

    fn collect(&self, node: NodeId, prefix: &mut Vec<u8>, out: &mut Vec<(NodeId, Vec<u8>)>) {
        let n = &self.nodes[node as usize];
        if !n.value.is_empty() {
            out.push((node, prefix.clone()));
        }
        for &(b, child) in &n.children {
            prefix.push(b);
            self.collect(child, prefix, out);
            prefix.pop();
        }
    }

    /// Nodes allocated, the root included (for tests of pruning).
    #[cfg(test)]
    fn live_nodes(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

/// The subscriber pipes at one prefix (few per prefix in practice, so a small vector).
#[derive(Debug, Default)]
pub struct PipeSet(Vec<usize>);

impl TrieValue for PipeSet {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PipeSet {
    /// Adds a pipe; `false` if it was there already.
    pub fn insert(&mut self, pipe: usize) -> bool {
        if self.0.contains(&pipe) {
            return false;
        }
        self.0.push(pipe);
        true
    }

    /// Removes a pipe; `false` if it was not there.
    pub fn remove(&mut self, pipe: usize) -> bool {
        match self.0.iter().position(|&p| p == pipe) {
            Some(i) => {
                self.0.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// The pipes, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().copied()
    }

    /// How many pipes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` without pipes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_prefixes_and_matches_every_stored_prefix_of_a_topic() {
        let mut t = PrefixTrie::<u32>::default();
        t.update(b"ab", |c| *c += 1);
        t.update(b"ab", |c| *c += 1);
        t.update(b"abcd", |c| *c += 1);
        t.update(b"x", |c| *c += 1);
        assert_eq!(t.get(b"ab"), Some(&2));
        assert_eq!(t.get(b"a"), None, "an inner node is not a stored prefix");
        let mut seen = Vec::new();
        t.for_each_prefix_of(b"abcdef", |c| seen.push(*c));
        assert_eq!(seen, [2, 1]);
        assert!(t.matches(b"abz"));
        assert!(!t.matches(b"a"));
        assert!(!t.matches(b""));
        t.update(b"", |c| *c += 1);
        assert!(t.matches(b""), "the empty prefix matches everything");
        let mut all = Vec::new();
        t.for_each(|p, c| all.push((p.to_vec(), *c)));
        assert_eq!(
            all,
            [
                (b"".to_vec(), 1),
                (b"ab".to_vec(), 2),
                (b"abcd".to_vec(), 1),
                (b"x".to_vec(), 1)
            ]
        );
    }

    #[test]
    fn emptied_branches_are_pruned() {
        let mut t = PrefixTrie::<u32>::default();
        t.update(b"abc", |c| *c += 1);
        t.update(b"abd", |c| *c += 1);
        assert_eq!(t.live_nodes(), 5);
        assert_eq!(t.update_existing(b"abc", |c| *c -= 1), Some(()));
        assert_eq!(t.live_nodes(), 4);
        assert_eq!(t.update_existing(b"abz", |c| *c -= 1), None);
        t.update_all(|_, c| *c = 0);
        assert_eq!(t.live_nodes(), 1, "only the root is left");
        // Freed nodes are reused.
        t.update(b"q", |c| *c += 1);
        assert_eq!(t.nodes.len(), 5);
    }

    #[test]
    fn pipe_sets_track_subscribers_per_prefix() {
        let mut t = PrefixTrie::<PipeSet>::default();
        assert!(t.update(b"a", |s| s.insert(1)));
        assert!(!t.update(b"a", |s| s.insert(1)), "a pipe is in a set once");
        assert!(t.update(b"a", |s| s.insert(2)));
        let mut hits = Vec::new();
        t.for_each_prefix_of(b"abc", |s| hits.extend(s.iter()));
        hits.sort();
        assert_eq!(hits, [1, 2]);
        t.update_all(|_, s| {
            s.remove(1);
        });
        assert_eq!(t.get(b"a").map(PipeSet::len), Some(1));
    }

    #[test]
    fn thousands_of_subscriptions_match_by_walking_the_topic_once() {
        let mut t = PrefixTrie::<PipeSet>::default();
        for i in 0..5000usize {
            let topic = format!("sym.{i:05}");
            t.update(topic.as_bytes(), |s| s.insert(i % 7));
        }
        let mut hits = Vec::new();
        t.for_each_prefix_of(b"sym.04321.trade", |s| hits.extend(s.iter()));
        assert_eq!(hits, [4321 % 7]);
        t.for_each_prefix_of(b"sym.9", |s| hits.extend(s.iter()));
        assert_eq!(hits.len(), 1);
    }
}
