/* The zmq_msg_* API: sizes, zero-copy bodies and their free callback, copy and move (a
 * zmq_msg_t moved by memcpy keeps working), properties of received messages, multipart
 * and RCVMORE, and EAGAIN leaving an unsent message intact. */
#include "testutil.h"

static int freed;
static void free_body (void *data, void *hint)
{
    CHECK (hint == (void *) 0x1234);
    free (data);
    freed++;
}

int main (void)
{
    watchdog (30);
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    OK (zmq_bind (pull, "tcp://127.0.0.1:*"));
    char endpoint[256];
    last_endpoint (pull, endpoint, sizeof endpoint);
    void *push = zmq_socket (ctx, ZMQ_PUSH);

    /* Unconnected PUSH: EAGAIN, and the message is still the caller's. */
    zmq_msg_t kept;
    OK (zmq_msg_init_size (&kept, 3));
    memcpy (zmq_msg_data (&kept), "abc", 3);
    CHECK (zmq_msg_send (&kept, push, ZMQ_DONTWAIT) == -1 && zmq_errno () == EAGAIN);
    CHECK (zmq_msg_size (&kept) == 3 && memcmp (zmq_msg_data (&kept), "abc", 3) == 0);
    OK (zmq_connect (push, endpoint));

    /* Small, large, zero-copy, copied and moved frames of one multipart message. */
    zmq_msg_t small, large, zero_copy, copy, moved;
    OK (zmq_msg_init_size (&small, 5));
    memcpy (zmq_msg_data (&small), "small", 5);
    OK (zmq_msg_init_size (&large, 100000));
    memset (zmq_msg_data (&large), 'L', 100000);
    char *body = malloc (70000);
    memset (body, 'Z', 70000);
    OK (zmq_msg_init_data (&zero_copy, body, 70000, free_body, (void *) 0x1234));
    OK (zmq_msg_init (&copy));
    OK (zmq_msg_copy (&copy, &large));
    CHECK (zmq_msg_get (&copy, ZMQ_SHARED) == 1);
    /* A zmq_msg_t is plain data: memcpy moves it. */
    zmq_msg_t tmp;
    memcpy (&tmp, &small, sizeof tmp);
    OK (zmq_msg_init (&moved));
    OK (zmq_msg_move (&moved, &tmp));
    CHECK (zmq_msg_size (&tmp) == 0);

    CHECK (zmq_msg_send (&moved, push, ZMQ_SNDMORE) == 5);
    CHECK (zmq_msg_send (&large, push, ZMQ_SNDMORE) == 100000);
    CHECK (zmq_msg_send (&zero_copy, push, ZMQ_SNDMORE) == 70000);
    CHECK (zmq_msg_send (&copy, push, ZMQ_SNDMORE) == 100000);
    CHECK (zmq_msg_send (&kept, push, 0) == 3);
    CHECK (zmq_msg_size (&kept) == 0);

    size_t expected[] = {5, 100000, 70000, 100000, 3};
    char first[] = {'s', 'L', 'Z', 'L', 'a'};
    for (int i = 0; i < 5; i++) {
        zmq_msg_t part;
        OK (zmq_msg_init (&part));
        CHECK (zmq_msg_recv (&part, pull, 0) == (int) expected[i]);
        CHECK (((char *) zmq_msg_data (&part))[0] == first[i]);
        CHECK (zmq_msg_more (&part) == (i < 4));
        int more;
        size_t more_len = sizeof more;
        OK (zmq_getsockopt (pull, ZMQ_RCVMORE, &more, &more_len));
        CHECK (more == (i < 4));
        const char *type = zmq_msg_gets (&part, "Socket-Type");
        CHECK (type && strcmp (type, "PUSH") == 0);
        CHECK (zmq_msg_gets (&part, "Peer-Address") != NULL);
        CHECK (zmq_msg_gets (&part, "No-Such-Property") == NULL && zmq_errno () == EINVAL);
        OK (zmq_msg_close (&part));
    }
    /* The zero-copy body was freed once ringmq was done with it. */
    for (int i = 0; i < 1000 && freed == 0; i++)
        usleep (1000);
    CHECK (freed == 1);

    /* A closed message is not a message. */
    CHECK (zmq_msg_close (&kept) == 0);
    CHECK (zmq_msg_close (&kept) == -1 && zmq_errno () == EFAULT);
    OK (zmq_msg_close (&small));
    OK (zmq_msg_close (&tmp));

    OK (zmq_close (push));
    OK (zmq_close (pull));
    OK (zmq_ctx_term (ctx));
    puts ("messages: ok");
    return 0;
}
