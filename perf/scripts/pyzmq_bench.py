"""pyzmq throughput and round-trip latency, 64-octet messages over tcp loopback.

Runs on whatever libzmq the interpreter's pyzmq loads, so the same script measures pyzmq on
its bundled libzmq and pyzmq on ringmq's libzmq.so (perf/scripts/capi-bench.sh runs both).

    python pyzmq_bench.py [thr|lat] [count] [size]

Prints one line: `thr <msg/s>` or `lat <us one way>`. The peer is a second process running
this script, so the two ends do not share a GIL.
"""

import subprocess
import sys
import time

import zmq


def peer(mode: str, endpoint: str, count: int, size: int) -> None:
    ctx = zmq.Context()
    if mode == "push":
        s = ctx.socket(zmq.PUSH)
        s.connect(endpoint)
        body = b"x" * size
        for _ in range(count):
            s.send(body)
    else:
        s = ctx.socket(zmq.REP)
        s.connect(endpoint)
        for _ in range(count):
            s.send(s.recv())
    s.close(linger=-1)
    ctx.term()


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "thr"
    if mode in ("push", "echo"):
        peer(mode, sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    count = int(sys.argv[2]) if len(sys.argv) > 2 else (500_000 if mode == "thr" else 20_000)
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    ctx = zmq.Context()
    s = ctx.socket(zmq.PULL if mode == "thr" else zmq.REQ)
    s.bind("tcp://127.0.0.1:*")
    endpoint = s.getsockopt(zmq.LAST_ENDPOINT).decode()
    child = subprocess.Popen(
        [sys.executable, __file__, "push" if mode == "thr" else "echo", endpoint, str(count), str(size)]
    )
    if mode == "thr":
        s.recv()
        start = time.perf_counter()
        for _ in range(count - 1):
            s.recv()
        elapsed = time.perf_counter() - start
        print(f"thr {(count - 1) / elapsed:.0f}")
    else:
        body = b"x" * size
        s.send(body)
        s.recv()
        start = time.perf_counter()
        for _ in range(count - 1):
            s.send(body)
            s.recv()
        elapsed = time.perf_counter() - start
        print(f"lat {elapsed / (count - 1) / 2 * 1e6:.2f}")
    child.wait()
    s.close()
    ctx.term()


if __name__ == "__main__":
    main()
