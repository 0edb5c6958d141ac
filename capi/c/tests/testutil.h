/* Shared helpers of ringmq's C ABI tests: checked calls and a watchdog. */
#ifndef RINGMQ_CAPI_TESTUTIL_H
#define RINGMQ_CAPI_TESTUTIL_H

#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fails the program with where and why when `cond` is false. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf (stderr, "%s:%d: check failed: %s (errno %d: %s)\n",       \
                     __FILE__, __LINE__, #cond, zmq_errno (),                  \
                     zmq_strerror (zmq_errno ()));                             \
            exit (1);                                                          \
        }                                                                      \
    } while (0)

/* A call that returns -1 on failure. */
#define OK(call) CHECK ((call) != -1)

/* Every test ends within `seconds`, whatever happens: SIGALRM kills it. */
static inline void watchdog (unsigned seconds)
{
    alarm (seconds);
}

/* The endpoint a socket bound to (after binding to port *). */
static inline void last_endpoint (void *socket, char *buf, size_t size)
{
    OK (zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, buf, &size));
}

/* Sends a string as one frame. */
static inline void send_str (void *socket, const char *s, int flags)
{
    CHECK (zmq_send (socket, s, strlen (s), flags) == (int) strlen (s));
}

/* Receives one frame and checks it is `expected`. */
static inline void expect_str (void *socket, const char *expected)
{
    char buf[256];
    int n = zmq_recv (socket, buf, sizeof buf - 1, 0);
    CHECK (n >= 0);
    buf[n < (int) sizeof buf - 1 ? n : (int) sizeof buf - 1] = 0;
    if (strcmp (buf, expected) != 0) {
        fprintf (stderr, "expected \"%s\", received \"%s\"\n", expected, buf);
        exit (1);
    }
}

#endif
