/* Latency, echoing side: the twin of libzmq's perf/local_lat.
 *   local_lat <bind-to> <message-size> <roundtrip-count>
 * Binding to port * prints "endpoint <address>" first, for remote_lat. */
#include "perf_common.h"
#include <stdio.h>
#include <stdlib.h>

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: local_lat <bind-to> <message-size> <roundtrip-count>\n");
        return 1;
    }
    size_t message_size = (size_t) atol (argv[2]);
    long roundtrip_count = atol (argv[3]);
    void *ctx = zmq_ctx_new ();
    void *s = bind_and_announce (ctx, ZMQ_REP, argv[1]);
    if (s == NULL)
        return 1;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    for (long i = 0; i != roundtrip_count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0 || zmq_msg_size (&msg) != message_size
            || zmq_msg_send (&msg, s, 0) < 0) {
            fprintf (stderr, "echo: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
    }
    zmq_msg_close (&msg);
    zmq_close (s);
    zmq_ctx_term (ctx);
    return 0;
}
