"""A pyzmq peer for the `ringmq` command's tests.

Usage: peer.py ROLE [ARGS...]. A binding role prints its endpoint first; every role prints
what it received, one message a line (frames joined by a tab), then "done".
  push COUNT            bind PUSH, send COUNT messages "m0".."m{COUNT-1}"
  pull COUNT            bind PULL, receive COUNT messages
  rep COUNT             bind REP, answer COUNT requests with their text upper-cased
  pub                   bind PUB, publish "a<i>" and "b<i>" until stdin closes
  curve-push ENDPOINT SERVERKEY COUNT   connect a CURVE client PUSH, send COUNT messages
  connect-push ENDPOINT COUNT           connect a PUSH, send COUNT messages
"""
import sys
import zmq

ctx = zmq.Context()


def bound(kind):
    s = ctx.socket(kind)
    s.linger = 5000
    s.rcvtimeo = 10000
    s.sndtimeo = 10000
    port = s.bind_to_random_port("tcp://127.0.0.1")
    print(f"tcp://127.0.0.1:{port}", flush=True)
    return s


role = sys.argv[1]
if role == "push":
    s = bound(zmq.PUSH)
    for i in range(int(sys.argv[2])):
        s.send_string(f"m{i}")
elif role == "pull":
    s = bound(zmq.PULL)
    for _ in range(int(sys.argv[2])):
        print("\t".join(f.decode() for f in s.recv_multipart()), flush=True)
elif role == "rep":
    s = bound(zmq.REP)
    for _ in range(int(sys.argv[2])):
        request = s.recv_string()
        print(request, flush=True)
        s.send_string(request.upper())
elif role == "pub":
    import threading

    s = bound(zmq.PUB)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    i = 0
    while not stop.wait(0.005):
        s.send_string(f"a{i}")
        s.send_string(f"b{i}")
        i += 1
elif role == "curve-push":
    endpoint, server_key, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = ctx.socket(zmq.PUSH)
    s.linger = 5000
    public, secret = zmq.curve_keypair()
    s.curve_serverkey = server_key.encode()
    s.curve_publickey = public
    s.curve_secretkey = secret
    s.connect(endpoint)
    for i in range(count):
        s.send_string(f"secret{i}")
elif role == "connect-push":
    s = ctx.socket(zmq.PUSH)
    s.linger = 0
    s.connect(sys.argv[2])
    for i in range(int(sys.argv[3])):
        s.send_string(f"m{i}")
    import time

    time.sleep(0.5)
else:
    sys.exit(f"unknown role {role}")
s.close()
ctx.term()
print("done", flush=True)
