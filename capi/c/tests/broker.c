/* zguide's request-reply broker: ROUTER/DEALER joined by zmq_proxy_steerable in a thread,
 * REQ clients and REP workers on each side, then TERMINATE over the control socket. */
#include "testutil.h"

static void *ctx;

static void run_proxy (void *arg)
{
    (void) arg;
    void *frontend = zmq_socket (ctx, ZMQ_ROUTER);
    void *backend = zmq_socket (ctx, ZMQ_DEALER);
    void *control = zmq_socket (ctx, ZMQ_PAIR);
    OK (zmq_bind (frontend, "inproc://frontend"));
    OK (zmq_bind (backend, "inproc://backend"));
    OK (zmq_connect (control, "inproc://control"));
    OK (zmq_proxy_steerable (frontend, backend, NULL, control));
    zmq_close (frontend);
    zmq_close (backend);
    zmq_close (control);
}

static void run_worker (void *arg)
{
    (void) arg;
    void *worker = zmq_socket (ctx, ZMQ_REP);
    OK (zmq_connect (worker, "inproc://backend"));
    for (int i = 0; i < 10; i++) {
        char buf[32];
        int n = zmq_recv (worker, buf, sizeof buf, 0);
        CHECK (n > 0);
        OK (zmq_send (worker, buf, n, 0));
    }
    zmq_close (worker);
}

int main (void)
{
    watchdog (30);
    ctx = zmq_ctx_new ();
    void *control = zmq_socket (ctx, ZMQ_PAIR);
    OK (zmq_bind (control, "inproc://control"));
    void *proxy = zmq_threadstart (run_proxy, NULL);
    /* The proxy binds its ends from its thread: wait until connecting works. */
    zmq_sleep (0);
    void *client = zmq_socket (ctx, ZMQ_REQ);
    while (zmq_connect (client, "inproc://frontend") != 0)
        usleep (1000);
    void *worker = zmq_threadstart (run_worker, NULL);
    for (int i = 0; i < 10; i++) {
        char request[32];
        snprintf (request, sizeof request, "request %d", i);
        send_str (client, request, 0);
        expect_str (client, request);
    }
    zmq_threadclose (worker);
    send_str (control, "TERMINATE", 0);
    zmq_threadclose (proxy);
    OK (zmq_close (client));
    OK (zmq_close (control));
    OK (zmq_ctx_term (ctx));
    puts ("broker: ok");
    return 0;
}
