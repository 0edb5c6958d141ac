//! Security for the perf tools, from the environment, so every pair can run with it (and
//! against libzmq's twins, which read the same variables):
//!
//! - `RINGMQ_CURVE_SECRET=<z85 secret key>` on the binding side: a CURVE server with that key;
//! - `RINGMQ_CURVE_SERVER_KEY=<z85 public key>` on the connecting side: a CURVE client of that
//!   server, with a fresh key pair;
//! - `RINGMQ_PLAIN=user:password`: the connecting side a PLAIN client with those credentials,
//!   the binding side a PLAIN server whose ZAP handler admits that user only.

/// What the environment asks of one side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolSecurity {
    Null,
    CurveServer { secret_z85: String },
    CurveClient { server_key_z85: String },
    PlainServer { user: String, password: String },
    PlainClient { user: String, password: String },
}

impl ToolSecurity {
    /// The security of the binding (`bind`) or connecting side.
    pub fn from_env(bind: bool) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(plain) = var("RINGMQ_PLAIN") {
            let Some((user, password)) = plain.split_once(':') else {
                crate::die("RINGMQ_PLAIN", "expected user:password");
            };
            let (user, password) = (user.to_owned(), password.to_owned());
            return if bind {
                ToolSecurity::PlainServer { user, password }
            } else {
                ToolSecurity::PlainClient { user, password }
            };
        }
        match (bind, var("RINGMQ_CURVE_SECRET"), var("RINGMQ_CURVE_SERVER_KEY")) {
            (true, Some(secret_z85), _) => ToolSecurity::CurveServer { secret_z85 },
            (false, _, Some(server_key_z85)) => ToolSecurity::CurveClient { server_key_z85 },
            _ => ToolSecurity::Null,
        }
    }

    /// `true` if the environment asks either side for security.
    pub fn requested() -> bool {
        ["RINGMQ_PLAIN", "RINGMQ_CURVE_SECRET", "RINGMQ_CURVE_SERVER_KEY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
    }
}

/// The answer of a ZAP handler that admits `user`/`password` over PLAIN only, to a request's
/// frames (RFC 27): version, request id, status, text, User-Id, metadata. For the libzmq
/// twins' handler (ringmq's tools use `ringmq::Authenticator`).
pub fn zap_reply(request: &[Vec<u8>], user: &str, password: &str) -> Vec<Vec<u8>> {
    let admitted = request.len() == 8
        && request[5] == b"PLAIN"
        && request[6] == user.as_bytes()
        && request[7] == password.as_bytes();
    let (status, text, user_id): (&[u8], &[u8], &[u8]) = if admitted {
        (b"200", b"OK", user.as_bytes())
    } else {
        (b"400", b"No access", b"")
    };
    let version = request.first().cloned().unwrap_or_default();
    let id = request.get(1).cloned().unwrap_or_default();
    vec![
        version,
        id,
        status.to_vec(),
        text.to_vec(),
        user_id.to_vec(),
        Vec::new(),
    ]
}
