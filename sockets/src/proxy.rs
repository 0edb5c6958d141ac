//! `proxy`: the built-in device (`zmq_proxy`): moves whole messages between a frontend and a
//! backend socket in both directions, optionally copying every frame to a capture socket,
//! until the context terminates. ROUTER/DEALER makes a request-reply broker, XSUB/XPUB a
//! publish-subscribe forwarder (subscriptions flow upstream through it), PULL/PUSH a
//! pipeline streamer.

use ringmq_transports::Result;

use crate::flags::Flags;
use crate::poll::{PollEvents, PollItem, poll};
use crate::socket::Socket;

/// Moves one whole message from `from` to `to`, copying its frames to `capture`.
fn forward(from: &mut Socket, to: &mut Socket, capture: &mut Option<&mut Socket>) -> Result<()> {
    loop {
        let frame = from.recv(Flags::NONE)?;
        let more = frame.more();
        if let Some(c) = capture.as_deref_mut() {
            // Like libzmq, a capture socket that cannot take the copy does not stop the proxy.
            let flags = if more {
                Flags::SNDMORE | Flags::DONTWAIT
            } else {
                Flags::DONTWAIT
            };
            let _ = c.send(frame.clone(), flags);
        }
        to.send(frame, if more { Flags::SNDMORE } else { Flags::NONE })?;
        if !more {
            return Ok(());
        }
    }
}

/// Runs the proxy until the context is terminated, which ends it with ETERM (as
/// `zmq_proxy` returns -1 with ETERM); any other error ends it too and is returned.
///
/// ```no_run
/// use ringmq_sockets::{Context, SocketType, proxy};
/// let ctx = Context::new()?;
/// let mut frontend = ctx.socket(SocketType::Router)?;
/// frontend.bind("tcp://*:5559")?;
/// let mut backend = ctx.socket(SocketType::Dealer)?;
/// backend.bind("tcp://*:5560")?;
/// let stopped = proxy(&mut frontend, &mut backend, None); // runs until ctx.term()
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
pub fn proxy(frontend: &mut Socket, backend: &mut Socket, mut capture: Option<&mut Socket>) -> Result<()> {
    loop {
        let (front_ready, back_ready) = {
            let mut items = [
                PollItem::new(frontend, PollEvents::POLLIN),
                PollItem::new(backend, PollEvents::POLLIN),
            ];
            poll(&mut items, -1)?;
            (items[0].is_readable(), items[1].is_readable())
        };
        if front_ready {
            forward(frontend, backend, &mut capture)?;
        }
        if back_ready {
            forward(backend, frontend, &mut capture)?;
        }
    }
}
