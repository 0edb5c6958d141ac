//! The command line: every subcommand and its options (clap's builder API).

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};

/// The whole `ringmq` command.
pub fn command() -> Command {
    Command::new("ringmq")
        .about("Send, receive, proxy and monitor ZeroMQ sockets (ZMTP 3.1, any libzmq peer)")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            socket_args(Command::new("send"), "PUSH")
                .about("Send messages read from standard input (a REQ prints each reply)")
                .arg(input_arg())
                .arg(output_arg())
                .arg(count_arg("stop after sending N messages")),
        )
        .subcommand(
            socket_args(Command::new("recv"), "PULL")
                .about("Print the messages a socket receives (a REP echoes each request back)")
                .arg(output_arg())
                .arg(count_arg("exit 0 after N messages")),
        )
        .subcommand(
            Command::new("proxy")
                .about("Run zmq_proxy between a frontend and a backend socket until interrupted")
                .arg(type_arg("frontend-type", "ROUTER", "the frontend's socket type"))
                .arg(endpoints_arg("frontend-bind", "bind the frontend to ENDPOINT"))
                .arg(endpoints_arg(
                    "frontend-connect",
                    "connect the frontend to ENDPOINT",
                ))
                .arg(type_arg("backend-type", "DEALER", "the backend's socket type"))
                .arg(endpoints_arg("backend-bind", "bind the backend to ENDPOINT"))
                .arg(endpoints_arg(
                    "backend-connect",
                    "connect the backend to ENDPOINT",
                ))
                .arg(
                    Arg::new("capture")
                        .long("capture")
                        .value_name("ENDPOINT")
                        .help("a PUSH socket bound here gets a copy of every frame"),
                ),
        )
        .subcommand(
            socket_args(Command::new("monitor"), "SUB")
                .about("Print a socket's monitor events on standard output, one a line")
                .arg(count_arg("exit 0 after N events")),
        )
        .subcommand(
            Command::new("keygen")
                .about("Print a new CURVE key pair in Z85: the public key, then the secret key")
                .arg(
                    Arg::new("cert")
                        .long("cert")
                        .value_name("BASE")
                        .help("also write zcert files BASE.key and BASE.key_secret"),
                ),
        )
}

/// The options every socket-making subcommand takes.
fn socket_args(command: Command, default_type: &'static str) -> Command {
    command
        .arg(type_arg("type", default_type, "the socket type (any libzmq type: PUSH, SUB, REQ, ROUTER, ...)"))
        .arg(endpoints_arg("bind", "bind to ENDPOINT (repeatable)"))
        .arg(endpoints_arg("connect", "connect to ENDPOINT (repeatable)"))
        .arg(
            Arg::new("subscribe")
                .long("subscribe")
                .value_name("PREFIX")
                .action(ArgAction::Append)
                .help("SUB: subscribe to PREFIX (repeatable; '' for everything; a SUB without one subscribes to everything)"),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("MS")
                .value_parser(value_parser!(i32))
                .help("fail if a send or receive waits longer than MS milliseconds"),
        )
        .arg(flag("curve-server", "be a CURVE server (needs --curve-secret)"))
        .arg(
            Arg::new("curve-secret")
                .long("curve-secret")
                .value_name("Z85")
                .help("this side's CURVE secret key (its public key is derived)"),
        )
        .arg(
            Arg::new("curve-serverkey")
                .long("curve-serverkey")
                .value_name("Z85")
                .help("be a CURVE client of the server with this public key"),
        )
        .arg(Arg::new("plain-user").long("plain-user").value_name("NAME").help("be a PLAIN client with this user name"))
        .arg(
            Arg::new("plain-password")
                .long("plain-password")
                .value_name("PASSWORD")
                .help("the PLAIN client's password"),
        )
        .arg(flag(
            "monitor",
            "print every monitor event on stderr: event=NAME endpoint=ENDPOINT value=N",
        ))
}

fn type_arg(name: &'static str, default: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("TYPE")
        .default_value(default)
        .help(help)
}

fn endpoints_arg(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("ENDPOINT")
        .action(ArgAction::Append)
        .help(help)
}

fn count_arg(help: &'static str) -> Arg {
    Arg::new("count")
        .long("count")
        .value_name("N")
        .value_parser(value_parser!(u64))
        .help(help)
}

fn input_arg() -> Arg {
    Arg::new("input")
        .long("input")
        .value_name("FORMAT")
        .value_parser(["lines", "frames"])
        .default_value("lines")
        .help("lines: each line is a message; frames: each line is a frame, an empty line ends a message")
}

fn output_arg() -> Arg {
    Arg::new("output")
        .long("output")
        .value_name("FORMAT")
        .value_parser(["text", "hex", "json"])
        .default_value("text")
        .help("text: frames as text, tab-separated; hex: frames in hex; json: a JSON array of frames a line")
}

fn flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name).long(name).action(ArgAction::SetTrue).help(help)
}

/// The values of a repeatable option, in order.
pub fn all<'a>(m: &'a ArgMatches, name: &str) -> Vec<&'a str> {
    m.get_many::<String>(name)
        .map(|v| v.map(String::as_str).collect())
        .unwrap_or_default()
}
