//! The `ringmq` command against pyzmq peers (`tests/pyzmq/peer.py`): receive from a PUSH,
//! send to a PULL, REQ to a REP, SUB with a filter, CURVE with a key from `keygen`, and the
//! `--monitor` lines. pyzmq must be installed (the workspace's test script installs it).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Every wait in these tests is bounded by this.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A process whose stdout (and stderr) lines are read with a timeout.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

fn lines_of(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Running {
    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let stderr: ChildStderr = child.stderr.take().unwrap();
        Self {
            child,
            stdout: lines_of(stdout),
            stderr: lines_of(stderr),
        }
    }

    fn line(&self) -> String {
        self.stdout
            .recv_timeout(TIMEOUT)
            .expect("a line on stdout in time")
    }

    fn stderr_line(&self) -> String {
        self.stderr
            .recv_timeout(TIMEOUT)
            .expect("a line on stderr in time")
    }

    fn write_stdin(&mut self, text: &str) {
        self.child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }

    fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Waits for the exit (bounded) and returns its status code.
    fn exit_code(&mut self) -> i32 {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the process did not exit in time");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn ringmq(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ringmq"));
    command.args(args);
    command
}

fn pyzmq(args: &[&str]) -> Running {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyzmq/peer.py");
    let mut command = Command::new("python3");
    command.arg(script).args(args);
    Running::spawn(command)
}

/// The endpoint of a monitor line `event=LISTENING endpoint=ENDPOINT value=N`.
fn listening_endpoint(line: &str) -> String {
    line.strip_prefix("event=LISTENING endpoint=")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("not a LISTENING line: {line}"))
        .to_owned()
}

/// Collects `n` stdout lines.
fn lines(process: &Running, n: usize) -> Vec<String> {
    (0..n).map(|_| process.line()).collect()
}

#[test]
fn recv_from_a_pyzmq_push_exits_after_count_messages() {
    let mut peer = pyzmq(&["push", "5"]);
    let endpoint = peer.line();
    let mut recv = Running::spawn(ringmq(&["recv", "--connect", &endpoint, "--count", "5"]));
    assert_eq!(lines(&recv, 5), ["m0", "m1", "m2", "m3", "m4"]);
    assert_eq!(recv.exit_code(), 0);
    assert_eq!(peer.line(), "done");
    assert_eq!(peer.exit_code(), 0);
}

#[test]
fn send_lines_and_frames_to_a_pyzmq_pull() {
    let mut peer = pyzmq(&["pull", "3"]);
    let endpoint = peer.line();
    let mut send = Running::spawn(ringmq(&["send", "--connect", &endpoint, "--input", "frames"]));
    send.write_stdin("one\n\ntwo\nparts\n\nthree\n");
    send.close_stdin();
    assert_eq!(send.exit_code(), 0);
    assert_eq!(lines(&peer, 4), ["one", "two\tparts", "three", "done"]);
    assert_eq!(peer.exit_code(), 0);
}

#[test]
fn a_req_prints_the_replies_of_a_pyzmq_rep_as_json() {
    let peer = pyzmq(&["rep", "2"]);
    let endpoint = peer.line();
    let mut send = Running::spawn(ringmq(&[
        "send",
        "--type",
        "req",
        "--connect",
        &endpoint,
        "--output",
        "json",
        "--timeout",
        "10000",
    ]));
    send.write_stdin("hello\nworld\n");
    send.close_stdin();
    assert_eq!(lines(&send, 2), [r#"["HELLO"]"#, r#"["WORLD"]"#]);
    assert_eq!(send.exit_code(), 0);
    assert_eq!(lines(&peer, 3), ["hello", "world", "done"]);
}

#[test]
fn a_sub_with_a_filter_prints_only_matching_messages() {
    let mut peer = pyzmq(&["pub"]);
    let endpoint = peer.line();
    let mut recv = Running::spawn(ringmq(&[
        "recv",
        "--type",
        "SUB",
        "--subscribe",
        "a",
        "--connect",
        &endpoint,
        "--count",
        "20",
        "--output",
        "hex",
    ]));
    let got = lines(&recv, 20);
    assert_eq!(recv.exit_code(), 0);
    peer.close_stdin();
    assert_eq!(peer.line(), "done");
    for line in got {
        // "a" is 0x61; every message is "a<n>".
        assert!(line.starts_with("61"), "{line}");
    }
}

#[test]
fn curve_with_a_keygen_key_and_the_monitor_lines() {
    let keygen = ringmq(&["keygen"]).output().unwrap();
    assert!(keygen.status.success());
    let keys = String::from_utf8(keygen.stdout).unwrap();
    let [public, secret]: [&str; 2] = keys.lines().collect::<Vec<_>>().try_into().unwrap();
    assert_eq!((public.len(), secret.len()), (40, 40));

    let mut recv = Running::spawn(ringmq(&[
        "recv",
        "--bind",
        "tcp://127.0.0.1:*",
        "--curve-server",
        "--curve-secret",
        secret,
        "--count",
        "2",
        "--monitor",
    ]));
    let listening = recv.stderr_line();
    let endpoint = listening_endpoint(&listening);
    let descriptor = listening.rsplit_once(" value=").map(|(_, v)| v.parse::<u32>());
    assert!(matches!(descriptor, Some(Ok(_))), "{listening}");
    let peer = pyzmq(&["curve-push", &endpoint, public, "2"]);
    assert_eq!(lines(&recv, 2), ["secret0", "secret1"]);
    assert_eq!(peer.line(), "done");
    assert_eq!(recv.stderr_line().split(' ').next(), Some("event=ACCEPTED"));
    assert_eq!(
        recv.stderr_line(),
        format!("event=HANDSHAKE_SUCCEEDED endpoint={endpoint} value=0")
    );
    assert_eq!(recv.exit_code(), 0);
    let rest: Vec<String> = recv_rest(&recv);
    assert_eq!(
        rest.last().map(String::as_str),
        Some("event=MONITOR_STOPPED endpoint= value=0")
    );
}

/// The stderr lines left once the process exited.
fn recv_rest(process: &Running) -> Vec<String> {
    let mut rest = Vec::new();
    while let Ok(line) = process.stderr.recv_timeout(Duration::from_secs(2)) {
        rest.push(line);
    }
    rest
}

#[test]
fn bad_arguments_are_named() {
    let out = ringmq(&["recv", "--type", "NOPE", "--bind", "tcp://127.0.0.1:*"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'NOPE' is not a socket type"));
    let out = ringmq(&["recv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bind or --connect"));
    let out = ringmq(&["recv", "--connect", "tcp://127.0.0.1:1", "--timeout", "100"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out after 100 ms"));
    let out = ringmq(&["recv", "--count", "many"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "clap's own errors");
    let out = ringmq(&["recv", "--bind", "nope://x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a ringmq error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope://x"));
    for command in ["send", "recv", "proxy", "monitor", "keygen"] {
        let out = ringmq(&[command, "--help"]).output().unwrap();
        assert!(out.status.success(), "{command} --help");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: ringmq"));
    }
}

#[test]
fn monitor_prints_a_sockets_events_until_count() {
    let mut monitor = Running::spawn(ringmq(&[
        "monitor",
        "--type",
        "PULL",
        "--bind",
        "tcp://127.0.0.1:*",
        "--count",
        "3",
    ]));
    let listening = monitor.line();
    let endpoint = listening_endpoint(&listening);
    let mut peer = pyzmq(&["connect-push", &endpoint, "1"]);
    assert_eq!(monitor.line().split(' ').next(), Some("event=ACCEPTED"));
    assert_eq!(
        monitor.line(),
        format!("event=HANDSHAKE_SUCCEEDED endpoint={endpoint} value=0")
    );
    assert_eq!(monitor.exit_code(), 0);
    assert_eq!(peer.line(), "done");
    assert_eq!(peer.exit_code(), 0);
}

#[test]
fn keygen_writes_zcert_files_with_the_keys_it_prints() {
    let dir = std::env::temp_dir().join(format!("ringmq-cli-keygen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = dir.join("server");
    let out = ringmq(&["keygen", "--cert", base.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let [public, secret]: [&str; 2] = printed.lines().collect::<Vec<_>>().try_into().unwrap();
    let public_file = std::fs::read_to_string(base.with_extension("key")).unwrap();
    let secret_file = std::fs::read_to_string(base.with_extension("key_secret")).unwrap();
    assert!(
        public_file.contains(&format!("public-key = \"{public}\"")),
        "{public_file}"
    );
    assert!(!public_file.contains(secret));
    assert!(
        secret_file.contains(&format!("secret-key = \"{secret}\"")),
        "{secret_file}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn proxy_moves_messages_from_a_pyzmq_push_to_a_ringmq_recv() {
    let dir = std::env::temp_dir();
    let id = std::process::id();
    let front = format!("ipc://{}/ringmq-cli-proxy-{id}-front.ipc", dir.display());
    let back = format!("ipc://{}/ringmq-cli-proxy-{id}-back.ipc", dir.display());
    let mut proxy = Running::spawn(ringmq(&[
        "proxy",
        "--frontend-type",
        "PULL",
        "--frontend-bind",
        &front,
        "--backend-type",
        "PUSH",
        "--backend-bind",
        &back,
    ]));
    let mut recv = Running::spawn(ringmq(&["recv", "--connect", &back, "--count", "3"]));
    let mut peer = pyzmq(&["connect-push", &front, "3"]);
    assert_eq!(lines(&recv, 3), ["m0", "m1", "m2"]);
    assert_eq!(recv.exit_code(), 0);
    assert_eq!(peer.line(), "done");
    assert_eq!(peer.exit_code(), 0);
    let _ = proxy.child.kill();
    assert_ne!(proxy.exit_code(), 0, "killed, not finished");
    // Killed, it could not remove its socket files.
    for endpoint in [&front, &back] {
        let _ = std::fs::remove_file(endpoint.trim_start_matches("ipc://"));
    }
}
