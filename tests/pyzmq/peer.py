"""A pyzmq peer for ringmq's interop tests.

usage: peer.py <role> <bind|connect> <endpoint> <count>

roles: push (sends), pull (receives and checks), req (asks and checks replies),
rep (answers), dealer (asks and checks replies, no envelope), router (answers each
peer by its routing id), sub (subscribes to "keep" and checks what arrives), xpub
(waits for a "keep" subscription, then publishes "keep" and "drop" messages).
When binding, the resolved endpoint is printed on the first line.
Exits non-zero with a message on stderr if anything is wrong.
"""
import sys

import zmq


def message(i):
    """Message i: a sequence-number frame, an empty frame, and a payload of i % 300 bytes."""
    return [str(i).encode(), b"", bytes((i * 7 + k) % 256 for k in range(i % 300))]


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
    ctx.term()
    print("done", flush=True)


if __name__ == "__main__":
    main()
