"""A pyzmq peer for ringmq's interop tests.

usage: peer.py <role> <bind|connect> <endpoint> <count>

roles: push (sends), pull (receives and checks), req (asks and checks replies),
rep (answers). When binding, the resolved endpoint is printed on the first line.
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
    kind = {"push": zmq.PUSH, "pull": zmq.PULL, "req": zmq.REQ, "rep": zmq.REP}[role]
    s = ctx.socket(kind)
    s.setsockopt(zmq.RCVTIMEO, 10000)
    s.setsockopt(zmq.SNDTIMEO, 10000)
    s.setsockopt(zmq.LINGER, 5000)
    if mode == "bind":
        s.bind(endpoint)
        print(s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
    else:
        s.connect(endpoint)
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
    s.close()
    ctx.term()
    print("done", flush=True)


if __name__ == "__main__":
    main()
