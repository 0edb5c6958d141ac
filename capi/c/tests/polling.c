/* zmq_poll over sockets and a pipe's file descriptor, ZMQ_FD with ZMQ_EVENTS, the same
 * socket in two items, and a monitor reporting LISTENING, ACCEPTED and CONNECTED. */
#include "testutil.h"
#include <poll.h>
#include <stdint.h>

static uint16_t next_event (void *monitor, char *address, size_t size)
{
    zmq_msg_t frame;
    OK (zmq_msg_init (&frame));
    OK (zmq_msg_recv (&frame, monitor, 0));
    CHECK (zmq_msg_more (&frame) && zmq_msg_size (&frame) == 6);
    uint16_t event;
    memcpy (&event, zmq_msg_data (&frame), 2);
    OK (zmq_msg_recv (&frame, monitor, 0));
    size_t n = zmq_msg_size (&frame) < size - 1 ? zmq_msg_size (&frame) : size - 1;
    memcpy (address, zmq_msg_data (&frame), n);
    address[n] = 0;
    OK (zmq_msg_close (&frame));
    return event;
}

int main (void)
{
    watchdog (30);
    void *ctx = zmq_ctx_new ();
    void *a = zmq_socket (ctx, ZMQ_PAIR);
    OK (zmq_socket_monitor (a, "inproc://monitor-a", ZMQ_EVENT_LISTENING | ZMQ_EVENT_ACCEPTED));
    void *monitor = zmq_socket (ctx, ZMQ_PAIR);
    OK (zmq_connect (monitor, "inproc://monitor-a"));
    OK (zmq_bind (a, "tcp://127.0.0.1:*"));
    char endpoint[256], address[256];
    last_endpoint (a, endpoint, sizeof endpoint);
    CHECK (next_event (monitor, address, sizeof address) == ZMQ_EVENT_LISTENING);
    CHECK (strcmp (address, endpoint) == 0);

    void *b = zmq_socket (ctx, ZMQ_PAIR);
    OK (zmq_connect (b, endpoint));
    CHECK (next_event (monitor, address, sizeof address) == ZMQ_EVENT_ACCEPTED);

    int fds[2];
    CHECK (pipe (fds) == 0);
    zmq_pollitem_t items[] = {
      {a, 0, ZMQ_POLLIN, 0},
      {NULL, fds[0], ZMQ_POLLIN, 0},
      {a, 0, ZMQ_POLLOUT, 0},
    };
    /* Nothing to read yet; PAIR can send once connected. */
    CHECK (zmq_poll (items, 3, 1000) == 1);
    CHECK (items[0].revents == 0 && items[1].revents == 0 && items[2].revents == ZMQ_POLLOUT);
    CHECK (write (fds[1], "x", 1) == 1);
    send_str (b, "ping", 0);
    /* The pipe is readable at once; the socket when the message has come. */
    for (int i = 0; i < 5000 && !(items[0].revents & ZMQ_POLLIN); i++) {
        CHECK (zmq_poll (items, 2, 1000) >= 1);
        usleep (1000);
    }
    CHECK (items[0].revents == ZMQ_POLLIN && items[1].revents == ZMQ_POLLIN);
    expect_str (a, "ping");

    /* ZMQ_FD: readable when something may have changed; ZMQ_EVENTS says what. */
    int fd;
    size_t fd_len = sizeof fd;
    OK (zmq_getsockopt (b, ZMQ_FD, &fd, &fd_len));
    send_str (a, "pong", 0);
    int events = 0;
    for (int i = 0; i < 100 && !(events & ZMQ_POLLIN); i++) {
        struct pollfd pfd = {fd, POLLIN, 0};
        poll (&pfd, 1, 100);
        size_t events_len = sizeof events;
        OK (zmq_getsockopt (b, ZMQ_EVENTS, &events, &events_len));
    }
    CHECK (events & ZMQ_POLLIN);
    expect_str (b, "pong");
    CHECK (zmq_recv (b, address, sizeof address, ZMQ_DONTWAIT) == -1 && zmq_errno () == EAGAIN);

    /* A closed socket or a stray pointer is not a socket. */
    CHECK (zmq_poll (NULL, 1, 0) == -1 && zmq_errno () == EFAULT);

    close (fds[0]);
    close (fds[1]);
    int linger = 0;
    OK (zmq_setsockopt (a, ZMQ_LINGER, &linger, sizeof linger));
    OK (zmq_setsockopt (b, ZMQ_LINGER, &linger, sizeof linger));
    OK (zmq_close (a));
    OK (zmq_close (b));
    OK (zmq_close (monitor));
    OK (zmq_ctx_term (ctx));
    puts ("polling: ok");
    return 0;
}
