/* What the perf twins' bound sides share: binding, and announcing the endpoint actually
 * bound (port * picks one) on stdout for the connecting side to read. */
#ifndef RINGMQ_PERF_COMMON_H
#define RINGMQ_PERF_COMMON_H

#include <zmq.h>
#include <stdio.h>

/* A socket of `type` bound to `endpoint`, its "endpoint <address>" line printed;
 * NULL (with the reason on stderr) if the bind fails. */
static void *bind_and_announce (void *ctx, int type, const char *endpoint)
{
    void *s = zmq_socket (ctx, type);
    if (s == NULL || zmq_bind (s, endpoint) != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    char bound[256];
    size_t len = sizeof bound;
    zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, bound, &len);
    printf ("endpoint %s\n", bound);
    fflush (stdout);
    return s;
}

#endif
