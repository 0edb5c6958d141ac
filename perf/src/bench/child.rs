//! The child side of `ringmq-bench`: one perf tool of one implementation, run in a process
//! of its own (`ringmq-bench --child <impl> <tool> [address] <size> <count>`).

use std::process::exit;

use crate::omq_peer::{self, OmqMode};
use crate::security::ToolSecurity;
use crate::{InprocArgs, PerfArgs, libzmq, libzmq_system, plain, ringmq_tools, rzmq_peer, zmqrs};

/// Runs the tool `args` name and exits.
pub fn run(args: &[String]) -> ! {
    let [imp, tool, rest @ ..] = args else {
        eprintln!("ringmq-bench: bad --child arguments");
        exit(2);
    };
    let mut tool_args = vec![tool.clone()];
    tool_args.extend(rest.iter().cloned());
    let unknown = || -> ! {
        eprintln!("ringmq-bench: unknown child {imp} {tool}");
        exit(2);
    };
    if tool.starts_with("inproc_") {
        let parsed = InprocArgs::parse(tool, "count", &tool_args);
        match (imp.as_str(), tool.as_str()) {
            ("ringmq", "inproc_thr") => ringmq_tools::inproc_thr(&parsed),
            ("ringmq", "inproc_lat") => ringmq_tools::inproc_lat(&parsed),
            ("libzmq", "inproc_thr") => libzmq::inproc_thr(&parsed),
            ("libzmq", "inproc_lat") => libzmq::inproc_lat(&parsed),
            ("omq", "inproc_thr") => omq_peer::inproc_thr(&parsed),
            ("omq", "inproc_lat") => omq_peer::inproc_lat(&parsed),
            ("rzmq", "inproc_thr") => rzmq_peer::inproc_thr(&parsed),
            ("rzmq", "inproc_lat") => rzmq_peer::inproc_lat(&parsed),
            _ => unknown(),
        }
        exit(0);
    }
    let parsed = PerfArgs::parse(tool, "address", "count", &tool_args);
    let omq_mode = match imp.as_str() {
        "omq" => Some(OmqMode::IoThread),
        "omq-1thread" => Some(OmqMode::CurrentThread),
        _ => None,
    };
    if let Some(mode) = omq_mode {
        match tool.as_str() {
            "local_thr" => omq_peer::local_thr(mode, &parsed),
            "remote_thr" => omq_peer::remote_thr(mode, &parsed),
            "local_lat" => omq_peer::local_lat(mode, &parsed),
            "remote_lat" => omq_peer::remote_lat(mode, &parsed),
            _ => unknown(),
        }
        exit(0);
    }
    if let Some(uring) = match imp.as_str() {
        "rzmq" => Some(false),
        "rzmq-uring" => Some(true),
        _ => None,
    } {
        match tool.as_str() {
            "local_thr" => rzmq_peer::local_thr(uring, &parsed),
            "remote_thr" => rzmq_peer::remote_thr(uring, &parsed),
            "local_lat" => rzmq_peer::local_lat(uring, &parsed),
            "remote_lat" => rzmq_peer::remote_lat(uring, &parsed),
            _ => unknown(),
        }
        exit(0);
    }
    // With security, libzmq is the system's (the `zmq` crate's build has no CURVE).
    let secured = ToolSecurity::requested();
    let run: fn(&PerfArgs) = match (imp.as_str(), tool.as_str()) {
        ("libzmq", "local_thr") if secured => libzmq_system::local_thr,
        ("libzmq", "remote_thr") if secured => libzmq_system::remote_thr,
        ("libzmq", "local_lat") if secured => libzmq_system::local_lat,
        ("libzmq", "remote_lat") if secured => libzmq_system::remote_lat,
        ("ringmq", "local_thr") => ringmq_tools::local_thr,
        ("ringmq", "remote_thr") => ringmq_tools::remote_thr,
        ("ringmq", "local_lat") => ringmq_tools::local_lat,
        ("ringmq", "remote_lat") => ringmq_tools::remote_lat,
        ("libzmq", "local_thr") => libzmq::local_thr,
        ("libzmq", "remote_thr") => libzmq::remote_thr,
        ("libzmq", "local_lat") => libzmq::local_lat,
        ("libzmq", "remote_lat") => libzmq::remote_lat,
        ("zmq.rs", "local_thr") => zmqrs::local_thr,
        ("zmq.rs", "remote_thr") => zmqrs::remote_thr,
        ("zmq.rs", "local_lat") => zmqrs::local_lat,
        ("zmq.rs", "remote_lat") => zmqrs::remote_lat,
        ("plain", "local_thr") => plain::local_thr,
        ("plain", "remote_thr") => plain::remote_thr,
        ("plain", "local_lat") => plain::local_lat,
        ("plain", "remote_lat") => plain::remote_lat,
        _ => unknown(),
    };
    run(&parsed);
    exit(0);
}
