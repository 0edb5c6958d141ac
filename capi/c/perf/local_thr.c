/* Throughput, receiving side: the twin of libzmq's perf/local_thr (same arguments and
 * report), so the same program can be timed on libzmq and on ringmq.
 *   local_thr <bind-to> <message-size> <message-count>
 * Binding to port * prints "endpoint <address>" first, for remote_thr. */
#include "perf_common.h"
#include <stdio.h>
#include <stdlib.h>

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: local_thr <bind-to> <message-size> <message-count>\n");
        return 1;
    }
    size_t message_size = (size_t) atol (argv[2]);
    long message_count = atol (argv[3]);
    void *ctx = zmq_ctx_new ();
    void *s = bind_and_announce (ctx, ZMQ_PULL, argv[1]);
    if (s == NULL)
        return 1;

    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, s, 0) < 0 || zmq_msg_size (&msg) != message_size)
        return 1;
    void *watch = zmq_stopwatch_start ();
    for (long i = 1; i != message_count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0 || zmq_msg_size (&msg) != message_size) {
            fprintf (stderr, "recv: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
    }
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    if (elapsed == 0)
        elapsed = 1;
    zmq_msg_close (&msg);
    double throughput = (double) message_count / (double) elapsed * 1000000;
    double megabits = throughput * (double) message_size * 8 / 1000000;
    printf ("message size: %d [B]\n", (int) message_size);
    printf ("message count: %d\n", (int) message_count);
    printf ("mean throughput: %d [msg/s]\n", (int) throughput);
    printf ("mean throughput: %.3f [Mb/s]\n", megabits);
    zmq_close (s);
    zmq_ctx_term (ctx);
    return 0;
}
