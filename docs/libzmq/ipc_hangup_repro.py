# libzmq drops the end of an ipc:// stream whose sender closes while the receiver's RCVHWM
# holds its input back. Both sides are libzmq (pyzmq). Run: python3 repro.py [ipc|tcp]
import os, sys, tempfile, threading, time, zmq

N = 20000
if sys.argv[1:] == ["tcp"]:
    endpoint = "tcp://127.0.0.1:5799"
else:
    endpoint = "ipc://" + os.path.join(tempfile.mkdtemp(), "s")
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.bind(endpoint)

def sender():
    c = zmq.Context()
    push = c.socket(zmq.PUSH)
    push.connect(endpoint)
    for i in range(N):
        push.send(i.to_bytes(4, "big") + bytes(60))
    push.close()  # LINGER -1: the context ends once everything is written to the socket
    c.term()

threading.Thread(target=sender).start()
pull.rcvtimeo = 1000
got = 0
try:
    while True:
        pull.recv()
        got += 1
        if got % 1000 == 0:
            time.sleep(0.05)  # a slow consumer: RCVHWM (1000) fills between bursts
except zmq.Again:
    pass
print(f"libzmq {zmq.zmq_version()} over {endpoint.split(':')[0]}: sent {N}, received {got}")
