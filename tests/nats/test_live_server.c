/* The codec against a real nats-server 2.9 with JetStream: a private server on 127.0.0.1
 * (random port, temporary store directory) started and stopped by this test.
 *
 * jetwire's CONNECT, SUB, PING and HPUB/PUB frames go out on a plain socket; everything the
 * server sends comes back through nats_parser_next() cut into small pieces, and PubAcks
 * through nats_puback_parse(). It checks that the server accepts the frames, that INFO is
 * read (headers, jetstream, max_payload), that a Nats-Msg-Id made with the composer
 * deduplicates (duplicate:true with the first sequence), that a publish to a subject no
 * stream listens on comes back as a 503 status HMSG, and that an unknown operation gets the
 * fatal -ERR 'Unknown Protocol Operation'. Timeouts only bound a failure; nothing is timed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "nats/nats_enc.h"
#include "nats/nats_parser.h"
#include "nats/nats_puback.h"
#include "nats_tests.h"

struct live {
	pid_t server;
	char store[64];
	int port;
	int fd;
	struct nats_parser parser;
	char payload[65536];
	char in[512];
	size_t in_len, in_at;
};

static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
send_all(struct live *l, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(l->fd, p, n);

		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

/* Returns the next server operation (parsed from reads cut into 7-byte pieces), failing the
 * test after 10 s without one. */
static void
next_op(struct live *l, struct nats_event *ev)
{
	for (;;) {
		if (l->in_at < l->in_len) {
			size_t piece = l->in_len - l->in_at < 7 ? l->in_len - l->in_at : 7;
			size_t used;
			int rc = nats_parser_next(&l->parser, l->in + l->in_at, piece, &used, ev);

			assert_true(rc >= 0);
			l->in_at += used;
			if (rc == 1)
				return;
			continue;
		}
		{
			struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
			ssize_t r;

			assert_int_equal(poll(&pfd, 1, 10000), 1);
			r = read(l->fd, l->in, sizeof(l->in));
			assert_true(r > 0);
			l->in_len = (size_t)r;
			l->in_at = 0;
		}
	}
}

/* Skips PINGs (answering them) and returns the next other operation. */
static void
next_non_ping(struct live *l, struct nats_event *ev)
{
	for (;;) {
		next_op(l, ev);
		if (ev->op != NATS_OP_PING)
			return;
		send_all(l, NATS_PONG_LINE, 6);
	}
}

static int
live_setup(void **state)
{
	struct live *l = calloc(1, sizeof(*l));
	struct sockaddr_in a = { .sin_family = AF_INET };
	char port[16];

	if (l == NULL)
		return -1;
	strcpy(l->store, "/tmp/jw-codec-live-XXXXXX");
	if (mkdtemp(l->store) == NULL)
		return -1;
	l->port = free_port();
	snprintf(port, sizeof(port), "%d", l->port);
	l->server = fork();
	if (l->server == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0) {
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", port, "-js", "-sd",
		       l->store, (char *)NULL);
		_exit(127);
	}
	if (l->server < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)l->port);
	for (int i = 0; i < 200; i++) { /* up to 10 s for the server to listen */
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		l->fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(l->fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		close(l->fd);
		l->fd = -1;
		nanosleep(&ts, NULL);
	}
	nats_parser_init(&l->parser, l->payload, sizeof(l->payload));
	*state = l;
	return l->fd >= 0 ? 0 : -1;
}

static int
live_teardown(void **state)
{
	struct live *l = *state;

	if (l == NULL)
		return 0;
	if (l->fd >= 0)
		close(l->fd);
	if (l->server > 0) {
		kill(l->server, SIGTERM);
		waitpid(l->server, NULL, 0);
	}
	nftw(l->store, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(l);
	return 0;
}

static void
publish(struct live *l, const char *subject, const char *reply, const char *msg_id,
	const char *hdr, const char *data)
{
	struct nats_pub m = {
		.subject = subject, .subject_len = strlen(subject),
		.reply = reply, .reply_len = reply ? strlen(reply) : 0,
		.msg_id = msg_id, .msg_id_len = msg_id ? strlen(msg_id) : 0,
		.hdr = hdr, .hdr_len = hdr ? strlen(hdr) : 0,
		.payload = data, .payload_len = strlen(data),
	};
	char frame[1024];
	ssize_t n = nats_pub_encode(frame, sizeof(frame), &m);

	assert_true(n > 0);
	send_all(l, frame, (size_t)n);
}

/* Reads the reply to the publish whose reply subject is want_subject and parses its ack. */
static void
read_ack(struct live *l, const char *want_subject, struct nats_puback *a)
{
	struct nats_event ev;

	next_non_ping(l, &ev);
	assert_true(ev.op == NATS_OP_MSG || ev.op == NATS_OP_HMSG);
	assert_int_equal(ev.msg.subject_len, strlen(want_subject));
	assert_memory_equal(ev.msg.subject, want_subject, ev.msg.subject_len);
	assert_int_equal(ev.msg.status, 0);
	assert_int_equal(nats_puback_parse(ev.msg.data, ev.msg.data_len, a), 0);
}

static void
live_server_roundtrip(void **state)
{
	struct live *l = *state;
	struct nats_event ev;
	struct nats_info info;
	struct nats_connect_opts co = { .name = "jetwire-codec-test" };
	struct nats_puback a;
	char buf[1024], tok[64];
	ssize_t n;
	uint64_t first_seq;
	static const char cfg[] = "{\"name\":\"CODEC\",\"subjects\":[\"codec.>\"],\"storage\":\"memory\"}";
	static const char user_hdr[] = "NATS/1.0\r\nX-Test: yes\r\n\r\n";

	/* INFO */
	next_op(l, &ev);
	assert_int_equal(ev.op, NATS_OP_INFO);
	assert_int_equal(nats_info_parse(ev.info.json, ev.info.len, &info), 0);
	assert_true(info.headers);
	assert_true(info.jetstream);
	assert_int_equal(info.proto, 1);
	assert_true(info.max_payload > 0);
	assert_true(info.server_id[0] != '\0');
	assert_memory_equal(info.version, "2.", 2);

	/* CONNECT, SUB to our reply prefix, PING -> PONG */
	n = nats_connect_encode(buf, sizeof(buf), &co);
	assert_true(n > 0);
	send_all(l, buf, (size_t)n);
	n = nats_sub_encode(buf, sizeof(buf), "_JW.t.>", 7, NULL, 0, 1);
	assert_true(n > 0);
	send_all(l, buf, (size_t)n);
	send_all(l, NATS_PING_LINE, 6);
	next_non_ping(l, &ev);
	assert_int_equal(ev.op, NATS_OP_PONG);

	/* create the stream */
	publish(l, "$JS.API.STREAM.CREATE.CODEC", "_JW.t.create", NULL, NULL, cfg);
	next_non_ping(l, &ev);
	assert_int_equal(ev.op, NATS_OP_MSG);
	assert_null(memmem(ev.msg.data, ev.msg.data_len, "\"error\"", 7));

	/* publishes with ids from nats_token_format, one with caller headers too */
	assert_true(nats_token_format(tok, sizeof(tok), "jw-0-", 5, 1) > 0);
	publish(l, "codec.a", "_JW.t.0.1", tok, NULL, "one");
	read_ack(l, "_JW.t.0.1", &a);
	assert_false(a.is_error);
	assert_string_equal(a.stream, "CODEC");
	assert_false(a.duplicate);
	first_seq = a.seq;
	publish(l, "codec.b", "_JW.t.0.2", "jw-0-2", user_hdr, "two");
	read_ack(l, "_JW.t.0.2", &a);
	assert_true(a.seq == first_seq + 1);
	assert_false(a.duplicate);
	/* the same Nats-Msg-Id again: stored once, acked as duplicate of the first */
	publish(l, "codec.a", "_JW.t.0.3", tok, NULL, "one again");
	read_ack(l, "_JW.t.0.3", &a);
	assert_true(a.duplicate);
	assert_true(a.seq == first_seq);
	/* no header at all: a PUB */
	publish(l, "codec.c", "_JW.t.0.4", NULL, NULL, "");
	read_ack(l, "_JW.t.0.4", &a);
	assert_true(a.seq == first_seq + 2);

	/* nobody listens on this subject: a 503 status message */
	publish(l, "nostream.x", "_JW.t.0.5", "jw-0-5", NULL, "lost");
	next_non_ping(l, &ev);
	assert_int_equal(ev.op, NATS_OP_HMSG);
	assert_int_equal(ev.msg.status, 503);
	assert_int_equal(ev.msg.data_len, 0);

	/* an unknown operation: fatal -ERR */
	send_all(l, "BOGUS\r\n", 7);
	next_non_ping(l, &ev);
	assert_int_equal(ev.op, NATS_OP_ERR);
	assert_int_equal(ev.err.kind, NATS_ERR_UNKNOWN_OP);
	assert_true(ev.err.fatal);
}

int
run_live_server_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(live_server_roundtrip, live_setup, live_teardown),
	};
	return cmocka_run_group_tests_name("nats_live_server", tests, NULL, NULL);
}
