//! Every program in `examples/` runs to completion (cargo builds them for `cargo test`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Where cargo put the example binaries: `target/<profile>/examples`, beside this test's
/// `deps` directory.
fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join(name)
}

fn run(name: &str) -> String {
    let path = example_path(name);
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples unless it is limited to some targets \
         (then run `cargo build --examples` first)",
        path.display()
    );
    let mut child = Command::new(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("example {name} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn hello_world() {
    let out = run("hello_world");
    assert_eq!(out.matches("client: reply").count(), 10, "{out}");
}

#[test]
fn weather() {
    let out = run("weather");
    assert!(out.contains("average temperature for zip code 10001"), "{out}");
}

#[test]
fn pipeline() {
    let out = run("pipeline");
    assert!(out.contains("100 tasks"), "{out}");
}

#[test]
fn lazy_pirate() {
    let out = run("lazy_pirate");
    assert!(out.contains("client: server replied OK (10)"), "{out}");
    assert!(out.contains("retrying with a new socket"), "{out}");
}

#[test]
fn broker() {
    let out = run("broker");
    assert_eq!(out.matches(" request ").count(), 20, "{out}");
    assert!(out.contains("requests served per worker"), "{out}");
}

#[test]
fn thread_per_core() {
    let out = run("thread_per_core");
    assert!(out.contains("server answered 2000 requests"), "{out}");
    assert!(out.contains("client: 2000 round trips"), "{out}");
}

#[test]
fn async_pipeline() {
    let out = run("async_pipeline");
    assert!(
        out.contains("sink: 1000 results, sum of squares 332833500"),
        "{out}"
    );
}

#[test]
fn curve() {
    let out = run("curve");
    assert!(
        out.contains("server: request 2") && out.contains("zap: CURVE 400") && out.contains("done"),
        "{out}"
    );
}
