/* Unit tests of the NATS session (lib/session): greeting, READY, PINGs both ways, inbox
 * replies to acks, -ERR, timeouts, staleness, backoff. Byte streams are fed split at every
 * point; times are virtual. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "auth/auth.h"
#include "session/session.h"

#define MS 1000000ull

struct rec {
	uint64_t seq[16];
	struct flow_ack ack[16];
	char text[16][128];
	int nacks;
	int ready;
	uint32_t max_payload;
	int errs, fatal_errs;
	int pongs;
	uint64_t pong_asked[8];
};

static void
r_ack(void *ctx, uint64_t seq, const struct flow_ack *a)
{
	struct rec *r = ctx;

	assert_true(r->nacks < 16);
	r->seq[r->nacks] = seq;
	r->ack[r->nacks] = *a;
	memset(r->text[r->nacks], 0, 128);
	if (a->kind == FLOW_ACK_OK)
		memcpy(r->text[r->nacks], a->stream, JW_MIN(a->stream_len, 127u));
	else if (a->reason_len)
		memcpy(r->text[r->nacks], a->reason, JW_MIN(a->reason_len, 127u));
	r->ack[r->nacks].stream = NULL;
	r->ack[r->nacks].reason = NULL;
	r->nacks++;
}

static void r_ready(void *ctx) { ((struct rec *)ctx)->ready++; }
static void r_maxp(void *ctx, uint32_t m) { ((struct rec *)ctx)->max_payload = m; }
static void
r_err(void *ctx, const char *t, size_t l, bool fatal)
{
	struct rec *r = ctx;

	(void)t;
	(void)l;
	r->errs++;
	r->fatal_errs += fatal;
}

static void
r_pong(void *ctx, uint64_t asked)
{
	struct rec *r = ctx;

	if (r->pongs < 8)
		r->pong_asked[r->pongs] = asked;
	r->pongs++;
}

static struct session_params
params(void)
{
	struct session_params p = {
		.run_id = 0xabcdef, .conn_index = 2, .name = "jetwire", .token = "s3cret",
		.connect_timeout_ns = 1000 * MS, .ping_interval_ns = 100 * MS, .max_pings_out = 2,
		.backoff_min_ns = 10 * MS, .backoff_max_ns = 40 * MS, .payload_cap = 4096,
	};
	return p;
}

static const char info_line[] =
	"INFO {\"server_id\":\"X\",\"version\":\"2.9.0\",\"proto\":1,\"headers\":true,"
	"\"max_payload\":1048576,\"jetstream\":true}\r\n";

/* Feeds bytes one at a time, then whole. */
static int
feed(struct session *s, const char *b, size_t n, uint64_t now, const struct session_cb *cb)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = session_ctl_bytes(s, b + i, 1, now, cb);
	return rc;
}

static void
bring_up(struct session *s, struct rec *r, const struct session_cb *cb)
{
	char out[4096];
	size_t n;

	assert_int_equal(session_ctl_poll(s, 0), SESSION_ACT_CONNECT);
	session_ctl_connecting(s, 0);
	assert_int_equal(session_tx_control(s, out, sizeof(out)), 0);
	session_ctl_established(s, 1);
	assert_int_equal(session_state(s), SESSION_WAIT_INFO);
	assert_int_equal(feed(s, info_line, strlen(info_line), 2, cb), 0);
	assert_int_equal(session_state(s), SESSION_HANDSHAKE);
	assert_int_equal(r->max_payload, 1048576);
	n = session_tx_control(s, out, sizeof(out));
	assert_true(n > 0);
	out[n] = 0;
	assert_int_equal(session_tx_control(s, out + n, sizeof(out) - n), 0); /* once */
	assert_int_equal(feed(s, "PONG\r\n", 6, 3, cb), 0);
	assert_int_equal(session_state(s), SESSION_READY);
}

static void
greeting_and_ready(void **state)
{
	struct session s;
	struct session_params p = params();
	struct rec r = { 0 };
	struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .ctx = &r };
	char out[4096];
	size_t n;

	(void)state;
	assert_int_equal(session_init(&s, &p), 0);
	assert_int_equal(session_state(&s), SESSION_DOWN);
	assert_int_equal(session_ctl_poll(&s, 0), SESSION_ACT_CONNECT);
	session_ctl_connecting(&s, 0);
	session_ctl_established(&s, 1);
	assert_int_equal(feed(&s, info_line, strlen(info_line), 2, &cb), 0);
	n = session_tx_control(&s, out, sizeof(out));
	out[n] = 0;
	assert_non_null(strstr(out, "CONNECT {"));
	assert_true(strncmp(out, "CONNECT {", 9) == 0);
	assert_non_null(strstr(out, "\"tls_required\":false,")); /* a plain connection */
	assert_non_null(strstr(out, "\"headers\":true"));
	assert_non_null(strstr(out, "\"no_responders\":true"));
	assert_non_null(strstr(out, "\"echo\":false"));
	assert_non_null(strstr(out, "\"auth_token\":\"s3cret\""));
	assert_non_null(strstr(out, "\r\nSUB _JW.0000000lF4p.2.* 1\r\nPING\r\n"));
	assert_int_equal(r.ready, 0);
	assert_int_equal(feed(&s, "+OK\r\nPONG\r\n", 11, 3, &cb), 0);
	assert_int_equal(session_state(&s), SESSION_READY);
	assert_int_equal(r.ready, 1);
	assert_int_equal(session_max_payload(&s), 1048576);
	session_fini(&s);
}

static void
user_password_and_bad_params(void **state)
{
	struct session s;
	struct session_params p = params();
	char out[4096];
	size_t n;

	(void)state;
	p.token = NULL;
	p.user = "alice";
	p.pass = "pw";
	assert_int_equal(session_init(&s, &p), 0);
	session_ctl_connecting(&s, 0);
	session_ctl_established(&s, 0);
	{
		struct rec r = { 0 };
		struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .ctx = &r };

		assert_int_equal(feed(&s, info_line, strlen(info_line), 0, &cb), 0);
	}
	n = session_tx_control(&s, out, sizeof(out));
	out[n] = 0;
	assert_non_null(strstr(out, "\"user\":\"alice\""));
	assert_non_null(strstr(out, "\"pass\":\"pw\""));
	assert_null(strstr(out, "auth_token"));
	session_fini(&s);
	p.token = "t";
	assert_int_equal(session_init(&s, &p), -EINVAL); /* token and user */
	p = params();
	p.name = "";
	assert_int_equal(session_init(&s, &p), -EINVAL);
	p = params();
	p.backoff_min_ns = 0;
	assert_int_equal(session_init(&s, &p), -EINVAL);
	p = params();
	p.payload_cap = 10;
	assert_int_equal(session_init(&s, &p), -EINVAL);
	assert_int_equal(session_init(&s, NULL), -EINVAL);
}

static void
server_ping_gets_pong_and_keepalive(void **state)
{
	struct session s;
	struct session_params p = params();
	struct rec r = { 0 };
	struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .ctx = &r };
	struct session_counters c;
	char out[256];
	size_t n;

	(void)state;
	assert_int_equal(session_init(&s, &p), 0);
	bring_up(&s, &r, &cb);
	assert_int_equal(feed(&s, "PING\r\nping\r\n", 12, 4, &cb), 0);
	n = session_tx_control(&s, out, sizeof(out));
	assert_int_equal(n, 12);
	assert_memory_equal(out, "PONG\r\nPONG\r\n", 12);
	/* our keepalive: a PING per interval; two unanswered make the server stale */
	assert_int_equal(session_ctl_poll(&s, 50 * MS), SESSION_ACT_NONE);
	assert_int_equal(session_tx_control(&s, out, sizeof(out)), 0);
	assert_int_equal(session_ctl_poll(&s, 103 * MS), SESSION_ACT_NONE);
	assert_int_equal(session_tx_control(&s, out, sizeof(out)), 6);
	assert_memory_equal(out, "PING\r\n", 6);
	assert_int_equal(feed(&s, "PONG\r\n", 6, 104 * MS, &cb), 0);
	assert_int_equal(session_ctl_poll(&s, 203 * MS), SESSION_ACT_NONE);
	assert_int_equal(session_ctl_poll(&s, 303 * MS), SESSION_ACT_NONE);
	assert_int_equal(session_ctl_poll(&s, 403 * MS), SESSION_ACT_ABORT);
	assert_int_equal(session_state(&s), SESSION_CLOSING);
	session_counters_read(&s, &c);
	assert_int_equal(c.closes[SESSION_CLOSE_STALE], 1);
	assert_int_equal(c.server_pings, 2);
	session_fini(&s);
}

static void
inbox_replies_become_acks(void **state)
{
	struct session s;
	struct session_params p = params();
	struct rec r = { 0 };
	struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .ctx = &r };
	struct session_counters c;
	char buf[1024];
	const char *ok = "{\"stream\":\"ORDERS\", \"seq\":42, \"duplicate\":true}";
	const char *err = "{\"error\":{\"code\":400,\"err_code\":10060,"
			  "\"description\":\"expected stream does not match\"}}";
	const char *hdr503 = "NATS/1.0 503\r\n\r\n";
	int n;

	(void)state;
	assert_int_equal(session_init(&s, &p), 0);
	bring_up(&s, &r, &cb);
	n = snprintf(buf, sizeof(buf), "MSG _JW.0000000lF4p.2.7 1 %zu\r\n%s\r\n",
		     strlen(ok), ok);
	assert_int_equal(feed(&s, buf, (size_t)n, 5, &cb), 0);
	n = snprintf(buf, sizeof(buf), "MSG _JW.0000000lF4p.2.8 1 %zu\r\n%s\r\n",
		     strlen(err), err);
	assert_int_equal(session_ctl_bytes(&s, buf, (size_t)n, 5, &cb), 0);
	n = snprintf(buf, sizeof(buf), "HMSG _JW.0000000lF4p.2.9 1 %zu %zu\r\n%s\r\n",
		     strlen(hdr503), strlen(hdr503), hdr503);
	assert_int_equal(session_ctl_bytes(&s, buf, (size_t)n, 5, &cb), 0);
	/* not ours: other connection, garbage sequence, other subject */
	n = snprintf(buf, sizeof(buf), "MSG _JW.0000000lF4p.3.7 1 2\r\n{}\r\n"
		     "MSG _JW.0000000lF4p.2.x 1 2\r\n{}\r\nMSG foo 1 2\r\n{}\r\n");
	assert_int_equal(session_ctl_bytes(&s, buf, (size_t)n, 5, &cb), 0);
	/* ours but not JSON */
	n = snprintf(buf, sizeof(buf), "MSG _JW.0000000lF4p.2.10 1 3\r\nxyz\r\n");
	assert_int_equal(session_ctl_bytes(&s, buf, (size_t)n, 5, &cb), 0);
	/* marked: the answer to a publish sent on this connection, and one that an earlier
	 * connection sent (the cluster delivers both to the inbox) */
	n = snprintf(buf, sizeof(buf), "MSG _JW.0000000lF4p.2.11g%llu 1 %zu\r\n%s\r\n"
		     "MSG _JW.0000000lF4p.2.12g%llu 1 %zu\r\n%s\r\n",
		     (unsigned long long)session_reply_mark(session_ctl_epoch(&s)), strlen(ok), ok,
		     (unsigned long long)session_reply_mark(session_ctl_epoch(&s) - 1), strlen(ok),
		     ok);
	assert_int_equal(session_ctl_bytes(&s, buf, (size_t)n, 5, &cb), 0);
	assert_int_equal(r.nacks, 6);
	assert_int_equal(r.seq[4], 11);
	assert_true(r.ack[4].mark == session_reply_mark(session_ctl_epoch(&s)));
	assert_int_equal(r.seq[5], 12);
	assert_true(r.ack[5].mark != 0 &&
		    r.ack[5].mark != session_reply_mark(session_ctl_epoch(&s)));
	assert_int_equal(r.ack[0].mark, 0);
	assert_int_equal(r.seq[0], 7);
	assert_int_equal(r.ack[0].kind, FLOW_ACK_OK);
	assert_int_equal(r.ack[0].stream_seq, 42);
	assert_true(r.ack[0].duplicate);
	assert_string_equal(r.text[0], "ORDERS");
	assert_int_equal(r.seq[1], 8);
	assert_int_equal(r.ack[1].kind, FLOW_ACK_ERROR);
	assert_int_equal(r.ack[1].err_code, 10060);
	assert_int_equal(r.ack[1].code, 400);
	assert_string_equal(r.text[1], "expected stream does not match");
	assert_int_equal(r.seq[2], 9);
	assert_int_equal(r.ack[2].kind, FLOW_ACK_NO_STREAM);
	assert_int_equal(r.ack[2].code, 503);
	assert_int_equal(r.seq[3], 10);
	assert_int_equal(r.ack[3].kind, FLOW_ACK_BAD);
	session_counters_read(&s, &c);
	assert_int_equal(c.foreign_msgs, 3);
	assert_int_equal(c.bad_acks, 1);
	assert_int_equal(c.acks, 6);
	session_fini(&s);
}

static void
errors_close_and_reconnect_backs_off(void **state)
{
	struct session s;
	struct session_params p = params();
	struct rec r = { 0 };
	struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .ctx = &r };
	const char *perm = "-ERR 'Permissions Violation for Publish to \"x\"'\r\n";
	const char *fatal = "-ERR 'Maximum Payload Violation'\r\n";
	char out[4096];
	size_t n;

	(void)state;
	assert_int_equal(session_init(&s, &p), 0);
	bring_up(&s, &r, &cb);
	assert_int_equal(session_ctl_bytes(&s, perm, strlen(perm), 10, &cb), 0);
	assert_int_equal(session_state(&s), SESSION_READY);
	assert_int_equal(session_ctl_bytes(&s, fatal, strlen(fatal), 10, &cb), -ECONNABORTED);
	assert_int_equal(session_state(&s), SESSION_CLOSING);
	assert_int_equal(r.errs, 2);
	assert_int_equal(r.fatal_errs, 1);
	/* bytes after the close are ignored */
	assert_int_equal(session_ctl_bytes(&s, "PING\r\n", 6, 11, &cb), 0);
	session_ctl_tcp_closed(&s, 20 * MS);
	assert_int_equal(session_state(&s), SESSION_DOWN);
	assert_int_equal(session_ctl_poll(&s, 29 * MS), SESSION_ACT_NONE); /* 10 ms backoff */
	assert_int_equal(session_ctl_poll(&s, 30 * MS), SESSION_ACT_CONNECT);
	session_ctl_connecting(&s, 30 * MS);
	/* no INFO within the connect timeout */
	session_ctl_established(&s, 31 * MS);
	assert_int_equal(session_ctl_poll(&s, 1030 * MS), SESSION_ACT_ABORT);
	session_ctl_tcp_closed(&s, 1030 * MS);
	assert_int_equal(session_ctl_poll(&s, 1049 * MS), SESSION_ACT_NONE); /* 20 ms now */
	assert_int_equal(session_ctl_poll(&s, 1050 * MS), SESSION_ACT_CONNECT);
	session_ctl_connecting(&s, 1050 * MS);
	session_ctl_tcp_closed(&s, 1051 * MS); /* refused */
	session_ctl_connecting(&s, 2000 * MS);
	session_ctl_tcp_closed(&s, 2000 * MS);
	assert_int_equal(session_ctl_poll(&s, 2039 * MS), SESSION_ACT_NONE); /* capped 40 */
	assert_int_equal(session_ctl_poll(&s, 2040 * MS), SESSION_ACT_CONNECT);
	/* a new connection greets again, and the PONG owed to the old one is dropped */
	session_ctl_connecting(&s, 2040 * MS);
	session_ctl_established(&s, 2041 * MS);
	assert_int_equal(session_ctl_bytes(&s, info_line, strlen(info_line), 2042 * MS, &cb), 0);
	n = session_tx_control(&s, out, sizeof(out) - 1);
	out[n] = 0;
	assert_true(strncmp(out, "CONNECT {", 9) == 0);
	assert_null(strstr(out, "PONG"));
	assert_int_equal(session_ctl_bytes(&s, "PONG\r\n", 6, 2043 * MS, &cb), 0);
	assert_int_equal(session_state(&s), SESSION_READY);
	assert_int_equal(r.ready, 2);
	session_fini(&s);
}

static void
unsupported_server_and_garbage(void **state)
{
	struct session s;
	struct session_params p = params();
	struct rec r = { 0 };
	struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .ctx = &r };
	const char *nojs = "INFO {\"headers\":true,\"max_payload\":1024}\r\n";
	const char *ldm = "INFO {\"headers\":true,\"jetstream\":true,\"ldm\":true}\r\n";
	struct session_counters c;

	(void)state;
	assert_int_equal(session_init(&s, &p), 0);
	session_ctl_connecting(&s, 0);
	session_ctl_established(&s, 0);
	assert_int_equal(session_ctl_bytes(&s, nojs, strlen(nojs), 0, &cb), -EPROTONOSUPPORT);
	session_ctl_tcp_closed(&s, 0);
	session_ctl_connecting(&s, 100 * MS);
	session_ctl_established(&s, 100 * MS);
	assert_int_equal(session_ctl_bytes(&s, "HELLO\r\n", 7, 0, &cb), -EPROTO);
	session_ctl_tcp_closed(&s, 100 * MS);
	session_ctl_connecting(&s, 200 * MS);
	session_ctl_established(&s, 200 * MS);
	assert_int_equal(session_ctl_bytes(&s, ldm, strlen(ldm), 0, &cb), -ESHUTDOWN);
	session_counters_read(&s, &c);
	assert_int_equal(c.closes[SESSION_CLOSE_UNSUPPORTED], 1);
	assert_int_equal(c.closes[SESSION_CLOSE_PROTOCOL], 1);
	assert_int_equal(c.closes[SESSION_CLOSE_LAME_DUCK], 1);
	assert_int_equal(c.connects, 3);
	session_fini(&s);
}

/* Go nkeys vector (tests/auth/test_auth.c) */
#define NK_SEED "SUAAABYOCUOCGKRRHA7UMTKULNRGS4DXP2CYZE42UGUK7NV5YTF5FWIXJQ"
#define NK_PUB "UBGQ5Q5A2A76774TVG6M4KREWQDNI32EV37R654H3LW3CPFK7JACYEW2"
#define NK_SIG "_1HGhFkxHRDThUItlojKRgExwYqWndLS794bVzskkH0LWP8s1C2WInvZ5MTq1tGOTg72mGsTkiFkEWkjP6HPAw"

static const char info_nonce1[] =
	"INFO {\"server_id\":\"X\",\"headers\":true,\"max_payload\":1048576,"
	"\"jetstream\":true,\"auth_required\":true,\"nonce\":\"nonce-XYZ_abc123\"}\r\n";
static const char info_nonce2[] =
	"INFO {\"server_id\":\"X\",\"headers\":true,\"max_payload\":1048576,"
	"\"jetstream\":true,\"auth_required\":true,\"nonce\":\"other-nonce\"}\r\n";

/* Connects, feeds info, returns the greeting T sends. */
static size_t
greet(struct session *s, const char *info, uint64_t t, const struct session_cb *cb, char *out,
      size_t cap)
{
	size_t n;

	assert_int_equal(session_ctl_poll(s, t), SESSION_ACT_CONNECT);
	session_ctl_connecting(s, t);
	session_ctl_established(s, t + 1);
	assert_int_equal(feed(s, info, strlen(info), t + 2, cb), 0);
	n = session_tx_control(s, out, cap - 1);
	out[n] = 0;
	return n;
}

static void
nkey_and_jwt_greetings_sign_each_nonce(void **state)
{
	static struct session s;
	struct session_params p = params();
	struct rec r = { 0 };
	struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .ctx = &r };
	struct jw_nkey k;
	struct session_counters sc;
	char out[SESSION_HS_MAX + 64], sig[128];
	const char *auth = "-ERR 'Authorization Violation'\r\n";
	char *q;

	(void)state;
	assert_int_equal(jw_nkey_from_seed(NK_SEED, strlen(NK_SEED), &k, NULL, 0), 0);
	p.token = NULL;
	p.nkey = &k;
	assert_int_equal(session_init(&s, &p), 0);
	assert_true(greet(&s, info_nonce1, 0, &cb, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "\"nkey\":\"" NK_PUB "\""));
	/* the signature of this nonce, exactly as the Go nkeys package makes it */
	assert_non_null(strstr(out, "\"sig\":\"" NK_SIG "\""));
	assert_null(strstr(out, "\"jwt\""));
	assert_null(strstr(out, NK_SEED));
	/* refused: auth close, counted */
	assert_int_equal(session_ctl_bytes(&s, auth, strlen(auth), 5, &cb), -EACCES);
	assert_int_equal(session_state(&s), SESSION_CLOSING);
	assert_int_equal(s.x.last_close, SESSION_CLOSE_AUTH);
	session_ctl_tcp_closed(&s, 6);
	/* the next connection signs its own nonce */
	assert_true(greet(&s, info_nonce2, 100 * MS, &cb, out, sizeof(out)) > 0);
	q = strstr(out, "\"sig\":\"");
	assert_non_null(q);
	q += 7;
	memcpy(sig, q, JW_NKEY_SIG_LEN);
	sig[JW_NKEY_SIG_LEN] = 0;
	assert_int_equal(q[JW_NKEY_SIG_LEN], '"');
	assert_string_not_equal(sig, NK_SIG);
	assert_int_equal(jw_nkey_verify(&k, "other-nonce", 11, sig), 0);
	/* Authentication Timeout closes the same way, with its kind */
	assert_int_equal(session_ctl_bytes(&s, "-ERR 'Authentication Timeout'\r\n", 31, 200 * MS,
					   &cb), -EACCES);
	assert_int_equal(s.x.last_err, NATS_ERR_AUTH_TIMEOUT);
	session_ctl_tcp_closed(&s, 201 * MS);
	session_counters_read(&s, &sc);
	assert_int_equal(sc.auth_failures, 2);
	assert_int_equal(sc.signatures, 2);
	assert_int_equal(sc.closes[SESSION_CLOSE_AUTH], 2);
	session_fini(&s);

	/* a .creds user: jwt + sig, no nkey */
	p.jwt = "aaa.bbb.ccc";
	assert_int_equal(session_init(&s, &p), 0);
	assert_true(greet(&s, info_nonce1, 0, &cb, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "\"jwt\":\"aaa.bbb.ccc\""));
	assert_non_null(strstr(out, "\"sig\":\"" NK_SIG "\""));
	assert_null(strstr(out, "\"nkey\""));
	session_fini(&s);

	/* a server without a nonce asks for no proof: no sig */
	assert_int_equal(session_init(&s, &p), 0);
	assert_true(greet(&s, info_line, 0, &cb, out, sizeof(out)) > 0);
	assert_null(strstr(out, "\"sig\""));
	session_fini(&s);

	/* NKey with a token or user, or a JWT without a key: refused */
	p.token = "t";
	assert_int_equal(session_init(&s, &p), -EINVAL);
	p.token = NULL;
	p.nkey = NULL;
	assert_int_equal(session_init(&s, &p), -EINVAL);
	jw_nkey_wipe(&k);
}

int session_tls_tests(void);

static const char info_ldm[] =
	"INFO {\"server_id\":\"X\",\"headers\":true,\"max_payload\":1048576,\"jetstream\":true,"
	"\"ldm\":true}\r\n";

/* Lame duck: the READY session is closed by INFO ldm; the handoff gives the old
 * connection's parser to the drain, with the bytes that followed the INFO in the same input
 * (an ack cut in the middle), and the drain delivers that ack from the rest of the old
 * stream, while the session reconnects at once on a fresh parser. */
static void
lame_duck_handoff_keeps_reading_acks(void **state)
{
	static struct session s;
	struct session_params p = params();
	struct rec r = { 0 };
	struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .ctx = &r };
	struct session_counters sc;
	struct session_rest rest;
	const char *ack = "{\"stream\":\"S\",\"seq\":5}";
	char in[512], out[4096];
	int idx, n;

	(void)state;
	assert_int_equal(session_init(&s, &p), 0);
	bring_up(&s, &r, &cb);
	assert_int_equal(session_ctl_handoff(&s, 11, &rest), -EBUSY); /* not closed for ldm */
	/* one input: INFO ldm, then an ack cut after 9 payload bytes */
	n = snprintf(in, sizeof(in), "%sMSG _JW.0000000lF4p.2.7 1 %zu\r\n%.9s", info_ldm,
		     strlen(ack), ack);
	assert_int_equal(session_ctl_bytes(&s, in, (size_t)n, 11, &cb), -ESHUTDOWN);
	assert_int_equal(session_state(&s), SESSION_CLOSING);
	idx = session_ctl_handoff(&s, 12, &rest);
	assert_true(idx == 0 || idx == 1);
	assert_ptr_equal(rest.data, in + strlen(info_ldm));
	assert_int_equal(rest.len, (size_t)n - strlen(info_ldm));
	assert_int_equal(session_state(&s), SESSION_DOWN);
	assert_int_equal(session_ctl_poll(&s, 12), SESSION_ACT_CONNECT); /* no backoff */
	assert_int_equal(session_ctl_handoff(&s, 12, NULL), -EBUSY);
	/* the drain: the trailing bytes, then the rest of the old stream in two pieces */
	assert_int_equal(session_ctl_drain_bytes(&s, idx, rest.data, rest.len, &cb), 0);
	assert_int_equal(session_ctl_drain_bytes(&s, idx, ack + 9, 5, &cb), 0);
	assert_int_equal(r.nacks, 0);
	assert_int_equal(session_ctl_drain_bytes(&s, idx, ack + 14, strlen(ack) - 14, &cb), 0);
	assert_int_equal(session_ctl_drain_bytes(&s, idx, "\r\nPING\r\n", 8, &cb), 0);
	assert_int_equal(r.nacks, 1);
	assert_int_equal(r.seq[0], 7);
	assert_int_equal(r.ack[0].stream_seq, 5);
	assert_string_equal(r.text[0], "S");
	assert_int_equal(session_ctl_drain_bytes(&s, idx ^ 1, "x", 1, &cb), -EINVAL);
	assert_int_equal(session_ctl_drain_bytes(&s, idx, "garbage\r\n", 9, &cb), -EPROTO);
	/* the new connection parses from a clean state */
	session_ctl_connecting(&s, 13);
	session_ctl_established(&s, 14);
	assert_int_equal(session_ctl_bytes(&s, info_line, strlen(info_line), 15, &cb), 0);
	assert_true(session_tx_control(&s, out, sizeof(out)) > 0);
	assert_int_equal(session_ctl_bytes(&s, "PONG\r\n", 6, 16, &cb), 0);
	assert_int_equal(session_state(&s), SESSION_READY);
	session_ctl_drain_done(&s);
	assert_int_equal(session_ctl_drain_bytes(&s, idx, "x", 1, &cb), -EINVAL);
	session_counters_read(&s, &sc);
	assert_int_equal(sc.drained_acks, 1);
	assert_int_equal(sc.backoff_waits, 0);
	assert_int_equal(sc.closes[SESSION_CLOSE_LAME_DUCK], 1);
	session_fini(&s);
}

/* Reconnect delays: jittered inside [b - b*j/1000, b], differently per seed; retry_at
 * pushes the next connect later, never earlier. */
static void
jittered_backoff_and_retry_at(void **state)
{
	static struct session s;
	struct session_params p = params();
	uint64_t first[4];

	(void)state;
	p.backoff_min_ns = 100 * MS;
	p.backoff_max_ns = 400 * MS;
	p.jitter_permille = 500;
	for (int k = 0; k < 4; k++) {
		uint64_t t;

		p.jitter_seed = 1000 + (uint64_t)k * 7919;
		assert_int_equal(session_init(&s, &p), 0);
		session_ctl_connecting(&s, 0);
		session_ctl_tcp_closed(&s, 0);
		for (t = 0; t <= 100 * MS; t += MS / 10)
			if (session_ctl_poll(&s, t) == SESSION_ACT_CONNECT)
				break;
		assert_true(t >= 50 * MS && t <= 100 * MS);
		first[k] = t;
		session_ctl_retry_at(&s, 300 * MS);
		assert_int_equal(session_ctl_poll(&s, 299 * MS), SESSION_ACT_NONE);
		assert_int_equal(session_ctl_poll(&s, 300 * MS), SESSION_ACT_CONNECT);
		session_ctl_retry_at(&s, 10 * MS); /* earlier: ignored */
		assert_int_equal(session_ctl_poll(&s, 299 * MS), SESSION_ACT_NONE);
		session_fini(&s);
	}
	assert_true(first[0] != first[1] || first[1] != first[2] || first[2] != first[3]);
	p.jitter_permille = 1001;
	assert_int_equal(session_init(&s, &p), -EINVAL);
}

/* A liveness probe: asked for when acks stop, it sends a PING at once; its PONG reports
 * the request time (so the window knows the server has read what came before); left
 * unanswered for liveness_timeout it makes the server stale. PONGs of keepalive PINGs
 * report their own request times, in order. */
static void
liveness_probe_pings_and_times_out(void **state)
{
	struct session s;
	struct session_params p = params();
	struct rec r = { 0 };
	struct session_cb cb = { .on_ack = r_ack, .on_ready = r_ready, .on_max_payload = r_maxp,
				 .on_server_err = r_err, .on_pong = r_pong, .ctx = &r };
	struct session_counters c;
	char out[4096];
	size_t n;

	(void)state;
	p.ping_interval_ns = 1000 * MS;
	p.liveness_timeout_ns = 50 * MS;
	assert_int_equal(session_init(&s, &p), 0);
	session_ctl_probe(&s, 0); /* not READY: ignored */
	bring_up(&s, &r, &cb);
	session_ctl_probe(&s, 10 * MS);
	session_ctl_probe(&s, 11 * MS); /* one at a time */
	n = session_tx_control(&s, out, sizeof(out));
	assert_int_equal(n, 6);
	assert_memory_equal(out, "PING\r\n", 6);
	assert_int_equal(session_ctl_poll(&s, 59 * MS), SESSION_ACT_NONE);
	assert_int_equal(feed(&s, "PONG\r\n", 6, 20 * MS, &cb), 0);
	assert_int_equal(r.pongs, 1);
	assert_int_equal(r.pong_asked[0], 10 * MS);
	assert_int_equal(session_ctl_poll(&s, 100 * MS), SESSION_ACT_NONE); /* answered */
	/* a second probe, never answered: stale after 50 ms */
	session_ctl_probe(&s, 200 * MS);
	assert_int_equal(session_tx_control(&s, out, sizeof(out)), 6);
	assert_int_equal(session_ctl_poll(&s, 249 * MS), SESSION_ACT_NONE);
	assert_int_equal(session_ctl_poll(&s, 250 * MS), SESSION_ACT_ABORT);
	assert_int_equal(session_state(&s), SESSION_CLOSING);
	session_counters_read(&s, &c);
	assert_int_equal(c.closes[SESSION_CLOSE_STALE], 1);
	assert_int_equal(c.probes, 2);
	/* next connection: the old probe is forgotten */
	session_ctl_tcp_closed(&s, 251 * MS);
	assert_int_equal(session_ctl_poll(&s, 300 * MS), SESSION_ACT_CONNECT);
	session_ctl_connecting(&s, 300 * MS);
	assert_int_equal(session_ctl_poll(&s, 301 * MS), SESSION_ACT_NONE);
	session_fini(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(liveness_probe_pings_and_times_out),
		cmocka_unit_test(greeting_and_ready),
		cmocka_unit_test(user_password_and_bad_params),
		cmocka_unit_test(server_ping_gets_pong_and_keepalive),
		cmocka_unit_test(inbox_replies_become_acks),
		cmocka_unit_test(errors_close_and_reconnect_backs_off),
		cmocka_unit_test(unsupported_server_and_garbage),
		cmocka_unit_test(nkey_and_jwt_greetings_sign_each_nonce),
		cmocka_unit_test(lame_duck_handoff_keeps_reading_acks),
		cmocka_unit_test(jittered_backoff_and_retry_at),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed + session_tls_tests(); /* test_session_tls.c */
}
