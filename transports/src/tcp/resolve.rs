//! Host names looked up off the shard threads.
//!
//! libzmq resolves a connect endpoint's host on every connection attempt (so a name that
//! moves is followed, and one that does not resolve yet is retried), blocking its I/O thread
//! in `getaddrinfo` while it does. Here the lookup runs on a small pool of resolver threads
//! and the answer is handed back to the asking session on its shard, which never blocks.
//!
//! Threads start on demand (none runs until a host name needs resolving), at most
//! [`MAX_THREADS`] at once, and leave after [`IDLE_EXIT`] without work. The queue holds at
//! most one lookup per connecting session (a session asks again only after its answer).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// Most resolver threads at once: a slow name server delays only lookups beyond these.
const MAX_THREADS: usize = 4;
/// A resolver thread with nothing to do for this long leaves.
const IDLE_EXIT: Duration = Duration::from_secs(10);

/// A name to look up, as a connect endpoint gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostName {
    /// The host, neither an IP literal nor `*`.
    pub host: String,
    /// The port to connect to.
    pub port: u16,
    /// ZMQ_IPV6: IPv6 answers are usable (IPv4 ones are preferred, as before).
    pub ipv6: bool,
}

/// Where a lookup's answer goes: the address to connect to, or why there is none.
pub type Reply = Box<dyn FnOnce(Result<SocketAddr, String>) + Send>;

/// Something that looks host names up without blocking its caller, which is a shard.
/// [`ResolverThreads`] is what sockets use; tests put a scripted one in its place.
pub trait Resolve: Send + Sync + std::fmt::Debug {
    /// Looks `name` up and calls `reply` with the answer, from any thread.
    fn lookup(&self, name: HostName, reply: Reply);
}

/// The system's resolver (`getaddrinfo`), called on the resolver threads.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResolverThreads;

impl Resolve for ResolverThreads {
    fn lookup(&self, name: HostName, reply: Reply) {
        lookup(name, reply);
    }
}

struct Job {
    name: HostName,
    reply: Reply,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

#[derive(Default)]
struct Pool {
    state: Mutex<State>,
    work: Condvar,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(Pool::default)
}

/// Looks `name` up on a resolver thread and calls `reply` there with the address to connect
/// to, or why there is none.
pub fn lookup(name: HostName, reply: impl FnOnce(Result<SocketAddr, String>) + Send + 'static) {
    let pool = pool();
    let mut state = pool.state.lock().unwrap_or_else(PoisonError::into_inner);
    state.queue.push_back(Job {
        name,
        reply: Box::new(reply),
    });
    if state.idle > 0 {
        pool.work.notify_one();
        return;
    }
    if state.threads < MAX_THREADS {
        let spawned = std::thread::Builder::new()
            .name("ringmq-resolver".into())
            .spawn(move || serve(pool));
        if spawned.is_ok() {
            state.threads += 1;
        }
        // Otherwise a thread that is running takes the job when it is done.
    }
}

fn serve(pool: &'static Pool) {
    let mut state = pool.state.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            let answer = crate::endpoint::resolve_host(&job.name.host, job.name.port, job.name.ipv6);
            (job.reply)(answer);
            state = pool.state.lock().unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        state.idle += 1;
        let (next, timeout) = pool
            .work
            .wait_timeout(state, IDLE_EXIT)
            .unwrap_or_else(PoisonError::into_inner);
        state = next;
        state.idle -= 1;
        if timeout.timed_out() && state.queue.is_empty() {
            state.threads -= 1;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn names_resolve_on_resolver_threads_and_failures_say_why() {
        let (tx, rx) = mpsc::channel();
        for host in ["localhost", "no-such-host.invalid"] {
            let tx = tx.clone();
            let caller = std::thread::current().id();
            lookup(
                HostName {
                    host: host.into(),
                    port: 5555,
                    ipv6: false,
                },
                move |answer| {
                    assert_ne!(std::thread::current().id(), caller);
                    tx.send((host, answer)).unwrap();
                },
            );
        }
        let mut answers: Vec<_> = (0..2)
            .map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap())
            .collect();
        answers.sort_by_key(|(host, _)| *host);
        let (_, local) = &answers[0];
        assert_eq!(
            local.as_ref().unwrap(),
            &"127.0.0.1:5555".parse::<SocketAddr>().unwrap()
        );
        let (_, missing) = &answers[1];
        assert!(
            missing.as_ref().unwrap_err().contains("no-such-host.invalid"),
            "{missing:?}"
        );
    }
}
