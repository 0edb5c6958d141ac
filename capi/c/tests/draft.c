/* The draft API ringmq serves: CLIENT/SERVER with routing ids, RADIO/DISH with groups and
 * join/leave, and the poller. */
#define ZMQ_BUILD_DRAFT_API
#include "testutil.h"

int main (void)
{
    watchdog (30);
    void *ctx = zmq_ctx_new ();

    void *server = zmq_socket (ctx, ZMQ_SERVER);
    OK (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[256];
    last_endpoint (server, endpoint, sizeof endpoint);
    void *client = zmq_socket (ctx, ZMQ_CLIENT);
    OK (zmq_connect (client, endpoint));
    int thread_safe;
    size_t ts_len = sizeof thread_safe;
    OK (zmq_getsockopt (client, ZMQ_THREAD_SAFE, &thread_safe, &ts_len));
    CHECK (thread_safe == 1);
    /* Thread-safe sockets carry single frames only. */
    CHECK (zmq_send (client, "x", 1, ZMQ_SNDMORE) == -1 && zmq_errno () == EINVAL);

    void *poller = zmq_poller_new ();
    OK (zmq_poller_add (poller, server, (void *) 7, ZMQ_POLLIN));
    CHECK (zmq_poller_add (poller, server, NULL, ZMQ_POLLIN) == -1 && zmq_errno () == EINVAL);
    CHECK (zmq_poller_size (poller) == 1);
    zmq_poller_event_t event;
    CHECK (zmq_poller_wait (poller, &event, 0) == -1 && zmq_errno () == EAGAIN);
    send_str (client, "request", 0);
    OK (zmq_poller_wait (poller, &event, 5000));
    CHECK (event.socket == server && event.user_data == (void *) 7 && event.events == ZMQ_POLLIN);

    zmq_msg_t msg;
    OK (zmq_msg_init (&msg));
    CHECK (zmq_msg_recv (&msg, server, 0) == 7);
    uint32_t routing_id = zmq_msg_routing_id (&msg);
    CHECK (routing_id != 0);
    OK (zmq_msg_close (&msg));
    OK (zmq_msg_init_buffer (&msg, "reply", 5));
    OK (zmq_msg_set_routing_id (&msg, routing_id));
    CHECK (zmq_msg_send (&msg, server, 0) == 5);
    expect_str (client, "reply");
    OK (zmq_poller_remove (poller, server));
    OK (zmq_poller_destroy (&poller));
    CHECK (poller == NULL);

    void *radio = zmq_socket (ctx, ZMQ_RADIO);
    OK (zmq_bind (radio, "tcp://127.0.0.1:*"));
    last_endpoint (radio, endpoint, sizeof endpoint);
    void *dish = zmq_socket (ctx, ZMQ_DISH);
    OK (zmq_join (dish, "weather"));
    CHECK (zmq_join (dish, "weather") == -1 && zmq_errno () == EINVAL);
    OK (zmq_connect (dish, endpoint));
    /* The JOIN travels asynchronously: send until the first message gets through. */
    for (;;) {
        OK (zmq_msg_init_buffer (&msg, "sunny", 5));
        OK (zmq_msg_set_group (&msg, "weather"));
        CHECK (zmq_msg_send (&msg, radio, 0) == 5);
        usleep (2000);
        OK (zmq_msg_init (&msg));
        if (zmq_msg_recv (&msg, dish, ZMQ_DONTWAIT) == 5)
            break;
        CHECK (zmq_errno () == EAGAIN);
        OK (zmq_msg_close (&msg));
    }
    CHECK (strcmp (zmq_msg_group (&msg), "weather") == 0);
    CHECK (memcmp (zmq_msg_data (&msg), "sunny", 5) == 0);
    OK (zmq_msg_close (&msg));
    OK (zmq_leave (dish, "weather"));

    int linger = 0;
    void *all[] = {client, server, radio, dish};
    for (int i = 0; i < 4; i++) {
        OK (zmq_setsockopt (all[i], ZMQ_LINGER, &linger, sizeof linger));
        OK (zmq_close (all[i]));
    }
    OK (zmq_ctx_term (ctx));
    puts ("draft: ok");
    return 0;
}
