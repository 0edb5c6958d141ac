/* A plain libzmq program, built against the system's libzmq (Debian's libzmq5) and never
 * rebuilt: `peer server` answers requests, `peer client ENDPOINT` makes them. It prints
 * which library it runs on, so the test can show the client on ringmq (through
 * LD_LIBRARY_PATH) talking to a server on libzmq. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <zmq.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say_library (const char *role)
{
    Dl_info info;
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    if (!dladdr ((void *) zmq_version, &info) || !info.dli_fname) {
        fprintf (stderr, "%s: cannot tell which libzmq is loaded\n", role);
        exit (1);
    }
    printf ("%s: libzmq %d.%d.%d from %s\n", role, major, minor, patch, info.dli_fname);
    fflush (stdout);
}

#define FAIL(what)                                                              \
    do {                                                                        \
        fprintf (stderr, "%s failed: %s\n", what, zmq_strerror (zmq_errno ())); \
        exit (1);                                                               \
    } while (0)

int main (int argc, char **argv)
{
    alarm (30);
    if (argc < 2)
        return 2;
    void *ctx = zmq_ctx_new ();
    if (strcmp (argv[1], "server") == 0) {
        say_library ("server");
        void *rep = zmq_socket (ctx, ZMQ_REP);
        if (zmq_bind (rep, "tcp://127.0.0.1:*") != 0)
            FAIL ("bind");
        char endpoint[256];
        size_t len = sizeof endpoint;
        zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &len);
        printf ("endpoint %s\n", endpoint);
        fflush (stdout);
        for (int i = 0; i < 100; i++) {
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, rep, 0) < 0)
                FAIL ("recv");
            if (zmq_msg_send (&msg, rep, 0) < 0)
                FAIL ("send");
        }
        zmq_close (rep);
    } else if (strcmp (argv[1], "client") == 0 && argc == 3) {
        say_library ("client");
        void *req = zmq_socket (ctx, ZMQ_REQ);
        if (zmq_connect (req, argv[2]) != 0)
            FAIL ("connect");
        for (int i = 0; i < 100; i++) {
            char body[64], back[64];
            int n = snprintf (body, sizeof body, "request %d", i);
            if (zmq_send (req, body, n, 0) != n)
                FAIL ("send");
            if (zmq_recv (req, back, sizeof back, 0) != n || memcmp (body, back, n) != 0)
                FAIL ("recv");
        }
        zmq_close (req);
        puts ("client: 100 round trips");
    } else {
        return 2;
    }
    zmq_ctx_term (ctx);
    return 0;
}
