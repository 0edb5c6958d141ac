/* zguide's weather update server and client: PUB/SUB with a prefix filter, over ipc. */
#include "testutil.h"

int main (void)
{
    watchdog (30);
    void *ctx = zmq_ctx_new ();
    void *publisher = zmq_socket (ctx, ZMQ_PUB);
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, "ipc:///tmp/ringmq-capi-pubsub-%d", (int) getpid ());
    OK (zmq_bind (publisher, endpoint));

    void *subscriber = zmq_socket (ctx, ZMQ_SUB);
    OK (zmq_connect (subscriber, endpoint));
    OK (zmq_setsockopt (subscriber, ZMQ_SUBSCRIBE, "10001 ", 6));
    /* A subscription travels asynchronously: publish until the first update arrives. */
    int received = 0;
    for (int zipcode = 10000; received < 5; zipcode = zipcode == 10000 ? 10001 : 10000) {
        char update[64];
        snprintf (update, sizeof update, "%05d %d %d", zipcode, 20, 50);
        send_str (publisher, update, 0);
        zmq_pollitem_t item = {subscriber, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 5) == 1) {
            char buf[64];
            int n = zmq_recv (subscriber, buf, sizeof buf - 1, 0);
            CHECK (n > 0);
            buf[n] = 0;
            CHECK (strncmp (buf, "10001 ", 6) == 0);
            received++;
        }
    }
    OK (zmq_setsockopt (subscriber, ZMQ_UNSUBSCRIBE, "10001 ", 6));
    /* Subscribing to an option a PUB does not take is EINVAL. */
    CHECK (zmq_setsockopt (publisher, ZMQ_SUBSCRIBE, "", 0) == -1 && zmq_errno () == EINVAL);

    int linger = 0;
    OK (zmq_setsockopt (publisher, ZMQ_LINGER, &linger, sizeof linger));
    OK (zmq_close (subscriber));
    OK (zmq_close (publisher));
    OK (zmq_ctx_term (ctx));
    puts ("pubsub: ok");
    return 0;
}
