//! An authenticator over ZAP (RFC 27), as CZMQ's zauth and pyzmq's `ThreadAuthenticator`
//! give: a thread serving `inproc://zeromq.zap.01` in a context with a policy of allow and
//! deny lists by address, PLAIN users (from a map or a password file), and CURVE clients
//! (any key, a set of public keys, or a directory of certificates in CZMQ's zcert format,
//! [`zcert`]). Owns its handler socket and its policy; knows nothing of the sessions that
//! ask it.
//!
//! The decisions are pyzmq's: with an allow list, an address not on it is refused; with a
//! deny list, an address on it is; then NULL is admitted, PLAIN checks the password of the
//! domain's users, CURVE the key against the domain's policy. A domain's settings come from
//! that domain, or from `"*"` when it has none. Admitted peers get 200 with a User-Id (the
//! PLAIN username; for CURVE the Z85 of the key), refused ones 400 with the reason.

pub mod zcert;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use ringmq_transports::security::CurvePublicKey;
use ringmq_transports::{Error, Result, SocketType};

use crate::{Context, Flags};

/// How a domain admits CURVE clients.
#[derive(Clone, Debug, PartialEq, Eq)]
enum CurvePolicy {
    /// Every client that knows the server's key.
    Any,
    /// Clients with these public keys.
    Keys(HashSet<CurvePublicKey>),
}

/// What the authenticator admits.
#[derive(Debug, Default)]
struct Policy {
    allow: HashSet<String>,
    deny: HashSet<String>,
    passwords: HashMap<String, HashMap<String, String>>,
    curve: HashMap<String, CurvePolicy>,
}

/// A reply's status, text and User-Id.
type Decision = (&'static str, String, String);

impl Policy {
    fn for_domain<'a, T>(map: &'a HashMap<String, T>, domain: &str) -> Option<&'a T> {
        map.get(domain).or_else(|| map.get("*"))
    }

    /// The answer to a request's frames (after REP's envelope).
    fn decide(&self, request: &[Vec<u8>]) -> Decision {
        let refuse = |reason: &str| ("400", reason.to_owned(), String::new());
        if request.len() < 6 || request[0] != b"1.0" {
            return ("500", "Malformed request".into(), String::new());
        }
        let text = |i: usize| String::from_utf8_lossy(&request[i]).into_owned();
        let (domain, address, mechanism) = (text(2), text(3), &request[5][..]);
        let credentials = &request[6..];
        let mut allowed = false;
        if !self.allow.is_empty() {
            if !self.allow.contains(&address) {
                return refuse("Address not in allow list");
            }
            allowed = true;
        } else if self.deny.contains(&address) {
            return refuse("Address in deny list");
        }
        match mechanism {
            b"NULL" => ("200", "OK".into(), String::new()),
            b"PLAIN" => {
                let [user, password] = credentials else {
                    return refuse("Malformed PLAIN credentials");
                };
                let (user, password) = (String::from_utf8_lossy(user), String::from_utf8_lossy(password));
                match Self::for_domain(&self.passwords, &domain) {
                    None => refuse("No passwords defined"),
                    Some(users) if users.get(&*user).is_some_and(|p| *p == password) => {
                        ("200", "OK".into(), user.into_owned())
                    }
                    Some(_) => refuse("Invalid username or password"),
                }
            }
            b"CURVE" => {
                let [key] = credentials else {
                    return refuse("Malformed CURVE credentials");
                };
                let Ok(key) = CurvePublicKey::from_option(key) else {
                    return refuse("Malformed CURVE credentials");
                };
                let admitted = match Self::for_domain(&self.curve, &domain) {
                    None => return refuse("Unknown domain"),
                    Some(CurvePolicy::Any) => true,
                    Some(CurvePolicy::Keys(keys)) => keys.contains(&key),
                };
                if admitted {
                    ("200", "OK".into(), key.to_z85())
                } else {
                    refuse("Unknown key")
                }
            }
            _ if allowed => ("200", "OK".into(), String::new()),
            _ => refuse("Unsupported mechanism"),
        }
    }
}

/// A running authenticator (see the module documentation). Stops when dropped.
///
/// ```
/// use ringmq_sockets::{Authenticator, Context, CurveKeyPair, Flags, SocketType};
/// let ctx = Context::new()?;
/// let auth = Authenticator::start(&ctx)?;
/// let client = CurveKeyPair::generate();
/// auth.configure_curve_keys("*", [client.public]);
///
/// let server_keys = CurveKeyPair::generate();
/// let mut server = ctx.socket(SocketType::Pull)?;
/// server.set_curve_server(true)?;
/// server.set_curve_secretkey(server_keys.secret.expose())?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let mut push = ctx.socket(SocketType::Push)?;
/// push.set_curve_serverkey(server_keys.public.as_bytes())?;
/// push.set_curve_secretkey(client.secret.expose())?;
/// push.connect(&server.last_endpoint())?;
/// push.send("admitted", Flags::NONE)?;
/// assert_eq!(&server.recv(Flags::NONE)?[..], b"admitted");
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
#[derive(Debug)]
pub struct Authenticator {
    policy: Arc<Mutex<Policy>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Authenticator {
    /// Binds `inproc://zeromq.zap.01` in `ctx` and serves it from a thread of its own; it
    /// admits NULL peers and nothing else until configured. EADDRINUSE if the context has
    /// a ZAP handler already.
    pub fn start(ctx: &Context) -> Result<Self> {
        let mut zap = ctx.socket(SocketType::Rep)?;
        zap.bind("inproc://zeromq.zap.01")?;
        // Wakes up this often to see whether it was stopped.
        zap.set_rcvtimeo(100)?;
        let policy = Arc::new(Mutex::new(Policy::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (policy, stop) = (policy.clone(), stop.clone());
            std::thread::Builder::new()
                .name("ringmq-zap".into())
                .spawn(move || {
                    while !stop.load(Ordering::Acquire) {
                        let request = match zap.recv_multipart(Flags::NONE) {
                            Ok(request) => request,
                            Err(Error::Again) => continue,
                            Err(_) => break,
                        };
                        let request: Vec<Vec<u8>> = request.iter().map(|m| m.to_vec()).collect();
                        let (status, text, user) = lock(&policy).decide(&request);
                        let version = request.first().cloned().unwrap_or_default();
                        let id = request.get(1).cloned().unwrap_or_default();
                        let reply = [version, id, status.into(), text.into(), user.into(), Vec::new()];
                        if zap.send_multipart(reply, Flags::NONE).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::InvalidArgument(format!("cannot start the ZAP thread: {e}")))?
        };
        Ok(Self {
            policy,
            stop,
            thread: Some(thread),
        })
    }

    /// Admits only peers from these addresses (the IP address as ZAP gives it).
    pub fn allow<'a>(&self, addresses: impl IntoIterator<Item = &'a str>) {
        lock(&self.policy)
            .allow
            .extend(addresses.into_iter().map(str::to_owned));
    }

    /// Refuses peers from these addresses (ignored while an allow list is set, as in pyzmq).
    pub fn deny<'a>(&self, addresses: impl IntoIterator<Item = &'a str>) {
        lock(&self.policy)
            .deny
            .extend(addresses.into_iter().map(str::to_owned));
    }

    /// PLAIN: these users and passwords for `domain` (`"*"`: every domain without its own).
    pub fn configure_plain(&self, domain: &str, passwords: HashMap<String, String>) {
        lock(&self.policy).passwords.insert(domain.to_owned(), passwords);
    }

    /// PLAIN: users from a password file, one `user=password` a line (`#` starts a comment),
    /// as CZMQ's zauth reads it.
    pub fn configure_plain_file(&self, domain: &str, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::InvalidArgument(format!("{}: {e}", path.display())))?;
        let passwords = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(u, p)| (u.trim().to_owned(), p.trim().to_owned()))
            .collect();
        self.configure_plain(domain, passwords);
        Ok(())
    }

    /// CURVE: every client that knows the server's key, for `domain`.
    pub fn configure_curve_any(&self, domain: &str) {
        lock(&self.policy)
            .curve
            .insert(domain.to_owned(), CurvePolicy::Any);
    }

    /// CURVE: clients with these public keys, for `domain`.
    pub fn configure_curve_keys(&self, domain: &str, keys: impl IntoIterator<Item = CurvePublicKey>) {
        let keys = keys.into_iter().collect();
        lock(&self.policy)
            .curve
            .insert(domain.to_owned(), CurvePolicy::Keys(keys));
    }

    /// CURVE: clients whose certificates (`*.key`, zcert format) are in `dir`, for `domain`.
    /// The directory is read now; call again after it changes.
    pub fn configure_curve_certificates(&self, domain: &str, dir: &Path) -> Result<()> {
        let keys = zcert::load_public_keys(dir)?;
        self.configure_curve_keys(domain, keys);
        Ok(())
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(policy: &Mutex<Policy>) -> MutexGuard<'_, Policy> {
    // A panic while the lock was held left a consistent policy (each change is one insert).
    policy.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(address: &str, mechanism: &str, credentials: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut r = vec![
            b"1.0".to_vec(),
            b"7".to_vec(),
            b"global".to_vec(),
            address.as_bytes().to_vec(),
            Vec::new(),
            mechanism.as_bytes().to_vec(),
        ];
        r.extend(credentials.iter().map(|c| c.to_vec()));
        r
    }

    #[test]
    fn decisions_follow_pyzmqs_authenticator() {
        let mut policy = Policy::default();
        assert_eq!(policy.decide(&request("1.2.3.4", "NULL", &[])).0, "200");
        assert_eq!(
            policy.decide(&request("1.2.3.4", "PLAIN", &[b"u", b"p"])).1,
            "No passwords defined"
        );
        policy
            .passwords
            .insert("*".into(), HashMap::from([("u".to_owned(), "p".to_owned())]));
        assert_eq!(
            policy.decide(&request("1.2.3.4", "PLAIN", &[b"u", b"p"])),
            ("200", "OK".into(), "u".into())
        );
        assert_eq!(
            policy.decide(&request("1.2.3.4", "PLAIN", &[b"u", b"x"])).0,
            "400"
        );
        let key = ringmq_transports::security::CurveKeyPair::generate().public;
        assert_eq!(
            policy.decide(&request("1.2.3.4", "CURVE", &[key.as_bytes()])).1,
            "Unknown domain"
        );
        policy
            .curve
            .insert("global".into(), CurvePolicy::Keys(HashSet::from([key])));
        assert_eq!(
            policy.decide(&request("1.2.3.4", "CURVE", &[key.as_bytes()])),
            ("200", "OK".into(), key.to_z85())
        );
        let other = ringmq_transports::security::CurveKeyPair::generate().public;
        assert_eq!(
            policy.decide(&request("1.2.3.4", "CURVE", &[other.as_bytes()])).1,
            "Unknown key"
        );
        policy.deny.insert("6.6.6.6".into());
        assert_eq!(
            policy.decide(&request("6.6.6.6", "NULL", &[])).1,
            "Address in deny list"
        );
        policy.allow.insert("1.2.3.4".into());
        assert_eq!(
            policy.decide(&request("5.5.5.5", "NULL", &[])).1,
            "Address not in allow list"
        );
        assert_eq!(policy.decide(&request("1.2.3.4", "NULL", &[])).0, "200");
        assert_eq!(policy.decide(&[b"2.0".to_vec()]).0, "500");
    }
}
