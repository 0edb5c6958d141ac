/* The utility functions: version, capabilities, errors, Z85, CURVE keys (and a CURVE
 * connection with them), atomic counters, timers, stopwatch, context options. */
#include "testutil.h"

static int fired;
static void on_timer (int id, void *arg)
{
    (void) id;
    CHECK (arg == &fired);
    fired++;
}

int main (void)
{
    watchdog (30);
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    CHECK (major == 4 && minor == 3 && patch == 5);
    CHECK (zmq_has ("curve") && zmq_has ("ipc") && !zmq_has ("pgm"));
    CHECK (strcmp (zmq_strerror (ETERM), "Context was terminated") == 0);
    CHECK (strcmp (zmq_strerror (EINVAL), strerror (EINVAL)) == 0);

    /* RFC 32's test vector. */
    uint8_t data[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[11];
    CHECK (zmq_z85_encode (text, data, 8) && strcmp (text, "HelloWorld") == 0);
    uint8_t back[8];
    CHECK (zmq_z85_decode (back, "HelloWorld") && memcmp (back, data, 8) == 0);
    CHECK (zmq_z85_encode (text, data, 7) == NULL && zmq_errno () == EINVAL);

    char server_public[41], server_secret[41], client_public[41], client_secret[41], derived[41];
    OK (zmq_curve_keypair (server_public, server_secret));
    OK (zmq_curve_keypair (client_public, client_secret));
    OK (zmq_curve_public (derived, server_secret));
    CHECK (strcmp (derived, server_public) == 0);

    void *ctx = zmq_ctx_new ();
    CHECK (zmq_ctx_get (ctx, ZMQ_IO_THREADS) == 1);
    OK (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 2));
    CHECK (zmq_ctx_get (ctx, ZMQ_IO_THREADS) == 2);
    CHECK (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE) == (int) sizeof (zmq_msg_t));
    CHECK (zmq_ctx_set (ctx, 12345, 1) == -1 && zmq_errno () == EINVAL);

    void *server = zmq_socket (ctx, ZMQ_REP);
    int as_server = 1;
    OK (zmq_setsockopt (server, ZMQ_CURVE_SERVER, &as_server, sizeof as_server));
    OK (zmq_setsockopt (server, ZMQ_CURVE_SECRETKEY, server_secret, 40));
    OK (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[256];
    last_endpoint (server, endpoint, sizeof endpoint);
    void *client = zmq_socket (ctx, ZMQ_REQ);
    OK (zmq_setsockopt (client, ZMQ_CURVE_SERVERKEY, server_public, 40));
    OK (zmq_setsockopt (client, ZMQ_CURVE_PUBLICKEY, client_public, 40));
    OK (zmq_setsockopt (client, ZMQ_CURVE_SECRETKEY, client_secret, 40));
    OK (zmq_connect (client, endpoint));
    send_str (client, "secret hello", 0);
    expect_str (server, "secret hello");
    int mechanism;
    size_t mech_len = sizeof mechanism;
    OK (zmq_getsockopt (client, ZMQ_MECHANISM, &mechanism, &mech_len));
    CHECK (mechanism == ZMQ_CURVE);
    char key[41];
    size_t key_len = sizeof key;
    OK (zmq_getsockopt (client, ZMQ_CURVE_SERVERKEY, key, &key_len));
    CHECK (key_len == 41 && strcmp (key, server_public) == 0);
    OK (zmq_close (client));
    OK (zmq_close (server));
    OK (zmq_ctx_term (ctx));

    void *counter = zmq_atomic_counter_new ();
    zmq_atomic_counter_set (counter, 2);
    CHECK (zmq_atomic_counter_inc (counter) == 2);
    CHECK (zmq_atomic_counter_dec (counter) == 1);
    CHECK (zmq_atomic_counter_dec (counter) == 1);
    CHECK (zmq_atomic_counter_dec (counter) == 0);
    CHECK (zmq_atomic_counter_value (counter) == 0);
    zmq_atomic_counter_destroy (&counter);
    CHECK (counter == NULL);

    void *timers = zmq_timers_new ();
    int id = zmq_timers_add (timers, 10, on_timer, &fired);
    CHECK (id > 0);
    void *watch = zmq_stopwatch_start ();
    while (fired < 2) {
        long wait = zmq_timers_timeout (timers);
        CHECK (wait >= 0 && wait <= 10);
        usleep ((useconds_t) wait * 1000);
        OK (zmq_timers_execute (timers));
    }
    CHECK (zmq_stopwatch_stop (watch) >= 20000);
    OK (zmq_timers_cancel (timers, id));
    CHECK (zmq_timers_cancel (timers, id) == -1 && zmq_errno () == EINVAL);
    CHECK (zmq_timers_timeout (timers) == -1);
    OK (zmq_timers_destroy (&timers));
    puts ("utilities: ok");
    return 0;
}
