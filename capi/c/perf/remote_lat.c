/* Latency, measuring side: the twin of libzmq's perf/remote_lat.
 *   remote_lat <connect-to> <message-size> <roundtrip-count> */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: remote_lat <connect-to> <message-size> <roundtrip-count>\n");
        return 1;
    }
    size_t message_size = (size_t) atol (argv[2]);
    long roundtrip_count = atol (argv[3]);
    void *ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, ZMQ_REQ);
    if (zmq_connect (s, argv[1]) != 0) {
        fprintf (stderr, "connect: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, message_size);
    void *watch = zmq_stopwatch_start ();
    for (long i = 0; i != roundtrip_count; i++) {
        if (zmq_msg_send (&msg, s, 0) < 0 || zmq_msg_recv (&msg, s, 0) < 0
            || zmq_msg_size (&msg) != message_size) {
            fprintf (stderr, "roundtrip: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
    }
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    zmq_msg_close (&msg);
    double latency = (double) elapsed / (roundtrip_count * 2);
    printf ("message size: %d [B]\n", (int) message_size);
    printf ("roundtrip count: %d\n", (int) roundtrip_count);
    printf ("average latency: %.3f [us]\n", latency);
    zmq_close (s);
    zmq_ctx_term (ctx);
    return 0;
}
