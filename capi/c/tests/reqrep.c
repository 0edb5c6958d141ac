/* zguide's hello-world server and client (REQ/REP over tcp), with REQ's state machine
 * (EFSM) and the old identity option. */
#include "testutil.h"

int main (void)
{
    watchdog (30);
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *server = zmq_socket (ctx, ZMQ_REP);
    OK (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[256];
    last_endpoint (server, endpoint, sizeof endpoint);

    void *client = zmq_socket (ctx, ZMQ_REQ);
    OK (zmq_setsockopt (client, ZMQ_IDENTITY, "client-1", 8));
    OK (zmq_connect (client, endpoint));
    for (int i = 0; i < 10; i++) {
        send_str (client, "Hello", 0);
        /* A REQ must wait for the reply before sending again. */
        CHECK (zmq_send (client, "again", 5, 0) == -1 && zmq_errno () == EFSM);
        expect_str (server, "Hello");
        send_str (server, "World", 0);
        expect_str (client, "World");
    }
    char id[256];
    size_t id_len = sizeof id;
    OK (zmq_getsockopt (client, ZMQ_ROUTING_ID, id, &id_len));
    CHECK (id_len == 8 && memcmp (id, "client-1", 8) == 0);

    OK (zmq_close (client));
    OK (zmq_close (server));
    OK (zmq_ctx_term (ctx));
    puts ("reqrep: ok");
    return 0;
}
