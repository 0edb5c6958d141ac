//! `ipc://` endpoints: Unix domain sockets, served by the same listeners and sessions as
//! tcp:// (only the address differs). Three forms, as libzmq has them:
//!
//! - `ipc:///path/to/socket` (or a relative path): a socket file. Binding over a file left by
//!   a process that died works: a file nobody listens on is replaced. *Departure from
//!   libzmq*, which removes any existing file and so silently steals the path from a live
//!   socket: here a path with a live listener is EADDRINUSE.
//! - `ipc://@name`: a Linux abstract name, no file at all.
//! - `ipc://*`: a fresh socket file in a new private directory under the temp dir, read back
//!   with `last_endpoint`.
//!
//! The file (and the directory made for `*`) is removed when the endpoint is unbound or its
//! socket closes, as libzmq does.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::tcp::sys::{self, StreamAddr, UnixAddr};

/// The address part of an `ipc://` endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpcPath {
    /// `ipc://*`: a fresh path, made at bind.
    Wildcard,
    /// `ipc://@name`
    Abstract(Vec<u8>),
    /// A filesystem path.
    File(PathBuf),
}

impl IpcPath {
    /// Parses what follows `ipc://`.
    pub fn parse(endpoint: &str, rest: &str) -> Result<Self> {
        if rest.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "endpoint '{endpoint}': missing path"
            )));
        }
        let path = if rest == "*" {
            IpcPath::Wildcard
        } else if let Some(name) = rest.strip_prefix('@') {
            IpcPath::Abstract(name.as_bytes().to_vec())
        } else {
            IpcPath::File(PathBuf::from(rest))
        };
        // Refuse an address that cannot fit now, rather than at bind or connect.
        if let Some(addr) = path.unix_addr() {
            check_length(endpoint, &addr)?;
        }
        Ok(path)
    }

    fn unix_addr(&self) -> Option<UnixAddr> {
        match self {
            IpcPath::Wildcard => None,
            IpcPath::Abstract(name) => Some(UnixAddr {
                name: name.clone(),
                is_abstract: true,
            }),
            IpcPath::File(path) => Some(UnixAddr {
                name: path.as_os_str().as_bytes().to_vec(),
                is_abstract: false,
            }),
        }
    }

    /// The address to connect to (`*` cannot be connected to).
    pub fn connect_addr(&self, endpoint: &str) -> Result<StreamAddr> {
        self.unix_addr()
            .map(StreamAddr::Unix)
            .ok_or_else(|| Error::InvalidArgument(format!("endpoint '{endpoint}': cannot connect to '*'")))
    }
}

fn check_length(endpoint: &str, addr: &UnixAddr) -> Result<()> {
    if addr.name.len() > sys::max_unix_name() || addr.name.contains(&0) {
        return Err(Error::io(
            format!(
                "endpoint '{endpoint}': a Unix socket address holds at most {} octets, without NUL",
                sys::max_unix_name()
            ),
            io::Error::from_raw_os_error(libc::ENAMETOOLONG),
        ));
    }
    Ok(())
}

/// The socket file of a bound endpoint (and the directory made for `ipc://*`), removed on
/// drop.
#[derive(Debug)]
pub struct IpcFile {
    path: PathBuf,
    made_dir: Option<PathBuf>,
}

impl Drop for IpcFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = &self.made_dir {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A bound `ipc://` endpoint.
#[derive(Debug)]
pub struct IpcBinding {
    /// The listening socket.
    pub fd: OwnedFd,
    /// The resolved endpoint (`ipc://` and the path or `@name`).
    pub endpoint: String,
    /// The file to remove when the endpoint closes (none for abstract names).
    pub file: Option<IpcFile>,
}

/// Binds and listens on `path`.
pub fn bind(endpoint: &str, path: &IpcPath, backlog: i32) -> Result<IpcBinding> {
    let (path, made_dir) = match path {
        IpcPath::Wildcard => {
            let dir = make_private_dir().map_err(|e| Error::io(format!("bind {endpoint}"), e))?;
            (IpcPath::File(dir.join("socket")), Some(dir))
        }
        other => (other.clone(), None),
    };
    let addr = path.unix_addr().expect("a concrete path");
    check_length(endpoint, &addr)?;
    if let IpcPath::File(file) = &path {
        remove_if_stale(file).map_err(|e| Error::io(format!("bind {endpoint}"), e))?;
    }
    let fd = sys::listen_unix(&addr, backlog).map_err(|e| {
        if let Some(dir) = &made_dir {
            let _ = std::fs::remove_dir(dir);
        }
        Error::io(format!("bind {endpoint}"), e)
    })?;
    let (resolved, file) = match path {
        IpcPath::Abstract(name) => (format!("ipc://@{}", String::from_utf8_lossy(&name)), None),
        IpcPath::File(file) => (
            format!("ipc://{}", file.display()),
            Some(IpcFile { path: file, made_dir }),
        ),
        IpcPath::Wildcard => unreachable!("resolved above"),
    };
    Ok(IpcBinding {
        fd,
        endpoint: resolved,
        file,
    })
}

/// Removes a socket file that no process listens on any more (left by a crash); leaves a
/// live one alone (the bind then fails with EADDRINUSE) and refuses to touch anything that
/// is not a socket.
fn remove_if_stale(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::from_raw_os_error(libc::EADDRINUSE));
    }
    let probe_addr = StreamAddr::Unix(UnixAddr {
        name: path.as_os_str().as_bytes().to_vec(),
        is_abstract: false,
    });
    let probe = sys::stream_socket(&probe_addr)?;
    match sys::connect_now(&probe, &probe_addr) {
        Ok(()) => Err(io::Error::from_raw_os_error(libc::EADDRINUSE)),
        Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    }
}

/// A new directory only this user can enter, under the temp dir.
fn make_private_dir() -> io::Result<PathBuf> {
    let template = std::env::temp_dir().join("ringmq-ipc-XXXXXX");
    let mut bytes = CString::new(template.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?
        .into_bytes_with_nul();
    // SAFETY: `bytes` is a writable NUL-terminated template ending in XXXXXX, as mkdtemp
    // requires; it fills in the X's in place.
    let made = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
    if made.is_null() {
        return Err(io::Error::last_os_error());
    }
    bytes.pop();
    Ok(PathBuf::from(OsStr::from_bytes(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_parse_and_long_paths_are_refused() {
        assert_eq!(IpcPath::parse("ipc://*", "*").unwrap(), IpcPath::Wildcard);
        assert_eq!(
            IpcPath::parse("ipc://@x", "@x").unwrap(),
            IpcPath::Abstract(b"x".to_vec())
        );
        assert_eq!(
            IpcPath::parse("ipc:///tmp/s", "/tmp/s").unwrap(),
            IpcPath::File(PathBuf::from("/tmp/s"))
        );
        let long = format!("/tmp/{}", "a".repeat(200));
        let err = IpcPath::parse("ipc://long", &long).unwrap_err();
        assert_eq!(err.errno(), libc::ENAMETOOLONG, "{err}");
        assert_eq!(IpcPath::parse("ipc://", "").unwrap_err().errno(), libc::EINVAL);
        assert!(IpcPath::Wildcard.connect_addr("ipc://*").is_err());
    }

    #[test]
    fn wildcard_binds_a_fresh_file_that_goes_with_the_binding() {
        let binding = bind("ipc://*", &IpcPath::Wildcard, 10).unwrap();
        let path = PathBuf::from(binding.endpoint.strip_prefix("ipc://").unwrap());
        assert!(path.exists());
        drop(binding);
        assert!(!path.exists(), "removed with its binding");
        assert!(!path.parent().unwrap().exists(), "and its private directory");
    }

    #[test]
    fn a_stale_file_is_replaced_and_a_live_one_is_not() {
        let live = bind("ipc://*", &IpcPath::Wildcard, 10).unwrap();
        let path = PathBuf::from(live.endpoint.strip_prefix("ipc://").unwrap());
        let again = bind("ipc://x", &IpcPath::File(path.clone()), 10).unwrap_err();
        assert_eq!(again.errno(), libc::EADDRINUSE, "{again}");
        // Close the listener but keep the file: what a crashed process leaves behind.
        let IpcBinding { fd, file, .. } = live;
        drop(fd);
        assert!(path.exists());
        let replaced = bind("ipc://x", &IpcPath::File(path.clone()), 10).unwrap();
        assert!(path.exists());
        drop((replaced, file));
    }
}
