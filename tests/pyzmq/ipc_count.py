"""A pyzmq PULL that binds an ipc:// endpoint and counts numbered messages.

usage: ipc_count.py <ipc-endpoint> <count>

Prints "ready" once bound, then, when <count> messages arrived or none came for 3 s, one
line: "<received> <missing> <first missing or -1>". Each message starts with its number as
a 4-octet big-endian integer.
"""
import sys

import zmq


def main():
    endpoint, count = sys.argv[1], int(sys.argv[2])
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.rcvtimeo = 3000
    pull.bind(endpoint)
    print("ready", flush=True)
    seen = bytearray(count)
    received = 0
    try:
        while received < count:
            message = pull.recv(copy=True)
            seen[int.from_bytes(message[:4], "big")] = 1
            received += 1
    except zmq.Again:
        pass
    missing = count - sum(seen)
    first = seen.find(0) if missing else -1
    print(received, missing, first, flush=True)
    pull.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
