/* Throughput, sending side: the twin of libzmq's perf/remote_thr.
 *   remote_thr <connect-to> <message-size> <message-count> */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: remote_thr <connect-to> <message-size> <message-count>\n");
        return 1;
    }
    size_t message_size = (size_t) atol (argv[2]);
    long message_count = atol (argv[3]);
    void *ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, ZMQ_PUSH);
    if (zmq_connect (s, argv[1]) != 0) {
        fprintf (stderr, "connect: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    for (long i = 0; i != message_count; i++) {
        zmq_msg_t msg;
        zmq_msg_init_size (&msg, message_size);
        if (zmq_msg_send (&msg, s, 0) < 0) {
            fprintf (stderr, "send: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
        zmq_msg_close (&msg);
    }
    zmq_close (s);
    zmq_ctx_term (ctx);
    return 0;
}
