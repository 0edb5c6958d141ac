"""A pyzmq peer for ringmq's interop tests.

usage: peer.py <role> <bind|connect> <endpoint> <count>

roles: push (sends), pull (receives and checks), req (asks and checks replies),
rep (answers), dealer (asks and checks replies, no envelope), router (answers each
peer by its routing id), sub (subscribes to "keep" and checks what arrives), xpub
(waits for a "keep" subscription, then publishes "keep" and "drop" messages).
When binding, the resolved endpoint is printed on the first line.
Exits non-zero with a message on stderr if anything is wrong.

Security, from the environment:
  PEER_CURVE_SECRET=<z85>      a CURVE server with this secret key (no ZAP handler: any
                               client key is accepted, as libzmq does)
  PEER_CURVE_SERVER_KEY=<z85>  a CURVE client of that server, with a fresh key pair
                               (or PEER_CURVE_CLIENT_SECRET's)
  PEER_PLAIN_SERVER=user:pw    a PLAIN server whose ZAP handler admits that user only
  PEER_PLAIN_CLIENT=user:pw    a PLAIN client
PEER_BIG=1 makes every 50th message (from the 8th) carry a 1 MiB payload.
"""
import os
import sys
import threading

import zmq

BIG = os.environ.get("PEER_BIG") == "1"
MIB = bytes(range(256)) * 4096


def message(i):
    """Message i: a sequence-number frame, an empty frame, and a payload of i % 300 bytes
    (1 MiB for every 50th message from the 8th with PEER_BIG)."""
    if BIG and i % 50 == 7:
        return [str(i).encode(), b"", MIB]
    return [str(i).encode(), b"", bytes((i * 7 + k) % 256 for k in range(i % 300))]


class ZapHandler(threading.Thread):
    """A ZAP handler (RFC 27) admitting one PLAIN user, written as a REP socket on
    inproc://zeromq.zap.01 (simpler to reason about than pyzmq's authenticator)."""

    def __init__(self, ctx, user, password):
        super().__init__(daemon=True)
        self.admitted = [user, password]
        self.zap = ctx.socket(zmq.REP)
        self.zap.linger = 0
        self.zap.bind("inproc://zeromq.zap.01")
        self.running = True
        self.start()

    def run(self):
        while self.running:
            if not self.zap.poll(100):
                continue
            version, request_id, _domain, _address, _identity, mechanism, *credentials = (
                self.zap.recv_multipart()
            )
            ok = mechanism == b"PLAIN" and credentials == self.admitted
            status = [b"200", b"OK", self.admitted[0]] if ok else [b"400", b"No access", b""]
            self.zap.send_multipart([version, request_id] + status + [b""])
        self.zap.close()

    def stop(self):
        self.running = False
        self.join()


def secure(ctx, s):
    """Applies the security the environment asks for; returns the authenticator, if any."""
    env = os.environ
    if "PEER_CURVE_SECRET" in env:
        s.curve_server = True
        s.curve_secretkey = env["PEER_CURVE_SECRET"].encode()
    if "PEER_CURVE_SERVER_KEY" in env:
        public, secret = zmq.curve_keypair()
        if "PEER_CURVE_CLIENT_SECRET" in env:
            secret = env["PEER_CURVE_CLIENT_SECRET"].encode()
            public = zmq.curve_public(secret)
        s.curve_publickey = public
        s.curve_secretkey = secret
        s.curve_serverkey = env["PEER_CURVE_SERVER_KEY"].encode()
    if "PEER_PLAIN_SERVER" in env:
        user, password = env["PEER_PLAIN_SERVER"].split(":", 1)
        s.plain_server = True
        return ZapHandler(ctx, user.encode(), password.encode())
    if "PEER_PLAIN_CLIENT" in env:
        user, password = env["PEER_PLAIN_CLIENT"].split(":", 1)
        s.plain_username = user.encode()
        s.plain_password = password.encode()
    return None


def main():
    role, mode, endpoint, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ctx = zmq.Context()
    kind = {
        "push": zmq.PUSH,
        "pull": zmq.PULL,
        "req": zmq.REQ,
        "rep": zmq.REP,
        "dealer": zmq.DEALER,
        "router": zmq.ROUTER,
        "sub": zmq.SUB,
        "xpub": zmq.XPUB,
    }[role]
    s = ctx.socket(kind)
    if role == "sub":
        s.setsockopt(zmq.RCVHWM, 0)
        s.setsockopt(zmq.SUBSCRIBE, b"keep")
    if role == "xpub":
        # Publishers drop at the high-water mark; these tests count every message.
        s.setsockopt(zmq.SNDHWM, 0)
    if role == "dealer":
        s.setsockopt(zmq.ROUTING_ID, b"py-dealer")
    auth = secure(ctx, s)
    s.setsockopt(zmq.RCVTIMEO, 10000)
    s.setsockopt(zmq.SNDTIMEO, 10000)
    s.setsockopt(zmq.LINGER, 5000)
    if mode == "bind":
        s.bind(endpoint)
        print(s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
    else:
        s.connect(endpoint)
    if role == "xpub":
        # Subscriptions are applied in order: once "keep" is in, the subscriber is ready.
        while True:
            if s.recv() == b"\x01keep":
                break
    for i in range(count):
        if role == "push":
            s.send_multipart(message(i))
        elif role == "pull":
            got = s.recv_multipart()
            if got != message(i):
                sys.exit(f"pull: message {i} differs: {got[:2]}")
        elif role == "req":
            s.send_multipart(message(i))
            reply = s.recv_multipart()
            if reply != list(reversed(message(i))):
                sys.exit(f"req: reply {i} differs: {reply[-1:]}")
        elif role == "rep":
            request = s.recv_multipart()
            if request != message(i):
                sys.exit(f"rep: request {i} differs: {request[:2]}")
            s.send_multipart(list(reversed(request)))
        elif role == "dealer":
            s.send_multipart(message(i))
            reply = s.recv_multipart()
            if reply != list(reversed(message(i))):
                sys.exit(f"dealer: reply {i} differs: {reply[-1:]}")
        elif role == "router":
            peer, *request = s.recv_multipart()
            if request != message(i):
                sys.exit(f"router: request {i} differs: {request[:2]}")
            s.send_multipart([peer] + list(reversed(request)))
        elif role == "sub":
            got = s.recv_multipart()
            if got != [b"keep", str(i).encode()]:
                sys.exit(f"sub: message {i} differs: {got}")
        elif role == "xpub":
            s.send_multipart([b"drop", str(i).encode()])
            s.send_multipart([b"keep", str(i).encode()])
    s.close()
    if auth is not None:
        auth.stop()
    ctx.term()
    print("done", flush=True)


if __name__ == "__main__":
    main()
