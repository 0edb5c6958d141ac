//! The report end to end, tiny: `ringmq-bench` runs every kind over every transport for
//! ringmq (both modes), libzmq and plain sockets and leaves its tables, `.hgrm` files and plots.

use std::process::Command;

#[test]
fn ringmq_bench_prints_both_tables_and_writes_distributions_and_plots() {
    let out_dir = std::env::temp_dir().join(format!("ringmq-bench-test-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_ringmq-bench"))
        .args([
            "--impl",
            "ringmq,ringmq-attached,libzmq,plain",
            "--sizes",
            "64,1k",
            "--rounds",
            "1",
            "--duration",
            "0.02",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .expect("run ringmq-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for row in [
        "| tcp 64 B | ringmq |",
        // Attached senders hold their connection while driving their ring.
        "| tcp 64 B | ringmq-attached |",
        "| ipc 1 KiB | plain |",
        "| inproc 1 KiB | libzmq |",
    ] {
        assert!(stdout.contains(row), "no row '{row}' in:\n{stdout}");
    }
    // Plain sockets are no floor for 64-byte streams and have no inproc.
    let throughput_table = stdout.split("Round trip").next().unwrap_or_default();
    assert!(!throughput_table.contains("| tcp 64 B | plain |"), "{stdout}");
    assert!(!stdout.contains("| inproc 64 B | plain |"), "{stdout}");
    for transport in ["tcp", "ipc", "inproc"] {
        let svg = out_dir.join(format!("latency-{transport}-64b.svg"));
        let plot = std::fs::read_to_string(&svg).unwrap_or_else(|e| panic!("{}: {e}", svg.display()));
        assert!(
            plot.contains("<svg") && plot.contains("ringmq"),
            "{}",
            svg.display()
        );
        let hgrm = out_dir.join(format!("latency-{transport}-64b-libzmq.hgrm"));
        let text = std::fs::read_to_string(&hgrm).unwrap_or_else(|e| panic!("{}: {e}", hgrm.display()));
        assert!(
            text.contains("Percentile") && text.contains("#[Max"),
            "{}",
            hgrm.display()
        );
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn ringmq_bench_rejects_unknown_options_with_its_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_ringmq-bench"))
        .args(["--transport", "udp"])
        .output()
        .expect("run ringmq-bench");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown transport 'udp'") && stderr.contains("usage:"),
        "{stderr}"
    );
}
