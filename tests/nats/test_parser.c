#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nats/nats_parser.h"
#include "nats_tests.h"

#define S(x) (x), (sizeof(x) - 1)

/* Text log of the events a parse produced, for comparing splits. */
struct log {
	char *s;
	size_t len, cap;
	int rc; /* final: 0 or the error */
};

static void
log_add(struct log *l, const char *p, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->s = realloc(l->s, l->cap);
		assert_non_null(l->s);
	}
	memcpy(l->s + l->len, p, n);
	l->len += n;
	l->s[l->len] = '\0';
}

static void log_fmt(struct log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
log_fmt(struct log *l, const char *fmt, ...)
{
	char b[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	log_add(l, b, (size_t)n);
}

static void
log_event(struct log *l, const struct nats_event *ev)
{
	switch (ev->op) {
	case NATS_OP_INFO:
		log_add(l, "INFO<", 5);
		log_add(l, ev->info.json, ev->info.len);
		log_add(l, ">\n", 2);
		break;
	case NATS_OP_MSG:
	case NATS_OP_HMSG:
		log_add(l, ev->op == NATS_OP_MSG ? "MSG " : "HMSG ", ev->op == NATS_OP_MSG ? 4 : 5);
		log_add(l, ev->msg.subject, ev->msg.subject_len);
		log_fmt(l, " sid=%llu reply=", (unsigned long long)ev->msg.sid);
		if (ev->msg.reply_len)
			log_add(l, ev->msg.reply, ev->msg.reply_len);
		log_fmt(l, " status=%d desc=", ev->msg.status);
		if (ev->msg.status_desc_len)
			log_add(l, ev->msg.status_desc, ev->msg.status_desc_len);
		log_add(l, " hdr=<", 6);
		if (ev->msg.hdr_len)
			log_add(l, ev->msg.hdr, ev->msg.hdr_len);
		log_add(l, "> data=<", 8);
		if (ev->msg.data_len)
			log_add(l, ev->msg.data, ev->msg.data_len);
		log_add(l, ">\n", 2);
		break;
	case NATS_OP_PING: log_add(l, S("PING\n")); break;
	case NATS_OP_PONG: log_add(l, S("PONG\n")); break;
	case NATS_OP_OK: log_add(l, S("OK\n")); break;
	case NATS_OP_ERR:
		log_add(l, "ERR<", 4);
		log_add(l, ev->err.text, ev->err.len);
		log_fmt(l, "> kind=%d fatal=%d\n", (int)ev->err.kind, (int)ev->err.fatal);
		break;
	default:
		fail_msg("event with op %d", (int)ev->op);
	}
}

/* Feeds in[0..n) to p as chunks ending at the given cut points (sorted, < n), each chunk in
 * its own exactly-sized heap copy so that ASan sees any read outside it. */
static void
feed(struct nats_parser *p, const char *in, size_t n, const size_t *cuts, size_t ncuts,
     struct log *l)
{
	size_t start = 0;

	l->rc = 0;
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		size_t clen = end - start, at = 0;
		char *chunk = malloc(clen ? clen : 1);

		assert_non_null(chunk);
		memcpy(chunk, in + start, clen);
		for (;;) {
			struct nats_event ev;
			size_t used = 0;
			int rc = nats_parser_next(p, chunk + at, clen - at, &used, &ev);

			if (rc < 0) {
				l->rc = rc;
				assert_int_equal(used, 0);
				free(chunk);
				return;
			}
			assert_true(used <= clen - at);
			at += used;
			if (rc == 0) {
				assert_int_equal(at, clen);
				break;
			}
			log_event(l, &ev);
		}
		free(chunk);
		start = end;
	}
}

/* Parses in[0..n) whole, split at every point, and one byte at a time; all must give the
 * same log, which is returned (caller frees). payload_cap bounds message payloads. */
static struct log
parse_all_splits(const char *in, size_t n, size_t payload_cap)
{
	struct nats_parser *p = malloc(sizeof(*p));
	char *payload = malloc(payload_cap ? payload_cap : 1);
	struct log whole = { 0 };
	size_t *cuts = malloc((n + 1) * sizeof(size_t));

	assert_non_null(p);
	assert_non_null(payload);
	assert_non_null(cuts);
	nats_parser_init(p, payload, payload_cap);
	feed(p, in, n, NULL, 0, &whole);

	for (size_t k = 0; k <= n; k++) {
		struct log l = { 0 };

		nats_parser_init(p, payload, payload_cap);
		cuts[0] = k;
		feed(p, in, n, cuts, 1, &l);
		assert_int_equal(l.rc, whole.rc);
		assert_int_equal(l.len, whole.len);
		if (l.len)
			assert_memory_equal(l.s, whole.s, l.len);
		free(l.s);
	}
	{
		struct log l = { 0 };

		for (size_t k = 0; k < n; k++)
			cuts[k] = k + 1;
		nats_parser_init(p, payload, payload_cap);
		feed(p, in, n, cuts, n ? n - 1 : 0, &l);
		assert_int_equal(l.rc, whole.rc);
		assert_int_equal(l.len, whole.len);
		if (l.len)
			assert_memory_equal(l.s, whole.s, l.len);
		free(l.s);
	}
	free(cuts);
	free(payload);
	free(p);
	return whole;
}

static void
expect_stream(const char *in, size_t n, size_t payload_cap, int rc, const char *want)
{
	struct log l = parse_all_splits(in, n, payload_cap);

	assert_int_equal(l.rc, rc);
	if (strcmp(l.s ? l.s : "", want) != 0)
		fail_msg("events differ:\n--- got\n%s--- want\n%s", l.s ? l.s : "", want);
	free(l.s);
}

static void
parser_all_ops(void **state)
{
	static const char in[] =
		"INFO {\"server_id\":\"S1\",\"headers\":true}\r\n"
		"PING\r\n"
		"pong\r\n"
		"+OK\r\n"
		"-ERR 'Stale Connection'\r\n"
		"MSG a.b 1 5\r\nhello\r\n"
		"MSG a.b\t22  reply.x 0\r\n\r\n"
		"HMSG _JW.i.0.5 3 28 32\r\nNATS/1.0\r\nA: b\r\nX-Y: 1 2\r\n\r\ndata\r\n"
		"HMSG _JW.i.0.6 3 _INBOX.r 30 30\r\nNATS/1.0 503 No Responders\r\n\r\n\r\n"
		"hmsg s 9 16 16\n" "NATS/1.0 408\r\n\r\n\r\n"
		"-ERR 'Permissions Violation for Publish to \"x\"'\r\n"
		"PING\n";
	static const char want[] =
		"INFO<{\"server_id\":\"S1\",\"headers\":true}>\n"
		"PING\n"
		"PONG\n"
		"OK\n"
		"ERR<Stale Connection> kind=6 fatal=1\n"
		"MSG a.b sid=1 reply= status=0 desc= hdr=<> data=<hello>\n"
		"MSG a.b sid=22 reply=reply.x status=0 desc= hdr=<> data=<>\n"
		"HMSG _JW.i.0.5 sid=3 reply= status=0 desc= hdr=<NATS/1.0\r\nA: b\r\nX-Y: 1 2\r\n\r\n>"
		" data=<data>\n"
		"HMSG _JW.i.0.6 sid=3 reply=_INBOX.r status=503 desc=No Responders"
		" hdr=<NATS/1.0 503 No Responders\r\n\r\n> data=<>\n"
		"HMSG s sid=9 reply= status=408 desc= hdr=<NATS/1.0 408\r\n\r\n> data=<>\n"
		"ERR<Permissions Violation for Publish to \"x\"> kind=14 fatal=0\n"
		"PING\n";

	(void)state;
	assert_int_equal(NATS_ERR_STALE_CONNECTION, 6);
	assert_int_equal(NATS_ERR_PERMISSIONS, 14);
	expect_stream(in, sizeof(in) - 1, 64, 0, want);
}

static void
parser_puback_stream(void **state)
{
	char in[4096];
	size_t n = 0;
	char want[8192];
	size_t wn = 0;

	(void)state;
	for (int i = 0; i < 20; i++) {
		char ack[128];
		int al = snprintf(ack, sizeof(ack), "{\"stream\":\"ORDERS\",\"seq\":%d%s}", 1000 + i,
				  i % 3 == 0 ? ",\"duplicate\":true" : "");

		n += (size_t)snprintf(in + n, sizeof(in) - n, "MSG _JW.a.0.%d 1 %d\r\n%s\r\n", i, al,
				      ack);
		wn += (size_t)snprintf(want + wn, sizeof(want) - wn,
				       "MSG _JW.a.0.%d sid=1 reply= status=0 desc= hdr=<> data=<%s>\n",
				       i, ack);
	}
	expect_stream(in, n, 128, 0, want);
}

/* Bytes exactly as nats-server 2.9 sent them (tests/bench/codec/puback_recording.c): an empty
 * reply field leaves two spaces between the sid and the size. */
static void
parser_recorded_acks(void **state)
{
	static const char in[] =
		"MSG _JW.rec.0.8 1  28\r\n{\"stream\":\"ORDERS\", \"seq\":9}\r\n"
		"MSG _JW.rec.0.9 1  46\r\n{\"stream\":\"ORDERS\", \"seq\":5,\"duplicate\": true}\r\n";
	static const char want[] =
		"MSG _JW.rec.0.8 sid=1 reply= status=0 desc= hdr=<> "
		"data=<{\"stream\":\"ORDERS\", \"seq\":9}>\n"
		"MSG _JW.rec.0.9 sid=1 reply= status=0 desc= hdr=<> "
		"data=<{\"stream\":\"ORDERS\", \"seq\":5,\"duplicate\": true}>\n";

	(void)state;
	expect_stream(in, sizeof(in) - 1, 64, 0, want);
}

static void
parser_errors(void **state)
{
	(void)state;
	/* unknown operations and bad arguments */
	expect_stream(S("PING\r\nFOO bar\r\nPING\r\n"), 16, -EPROTO, "PING\n");
	expect_stream(S("\r\n"), 16, -EPROTO, "");
	expect_stream(S("PINGX\r\n"), 16, -EPROTO, "");
	expect_stream(S("PING x\r\n"), 16, -EPROTO, "");
	expect_stream(S("INFO\r\n"), 16, -EPROTO, "");
	expect_stream(S("INFO{}\r\n"), 16, -EPROTO, "");
	expect_stream(S("MSG a 1\r\n"), 16, -EPROTO, "");
	expect_stream(S("MSG a 1 b c 5\r\n"), 16, -EPROTO, "");
	expect_stream(S("MSG a x 5\r\n"), 16, -EPROTO, "");
	expect_stream(S("MSG a 1 -5\r\n"), 16, -EPROTO, "");
	expect_stream(S("MSG a 1 99999999999999999999\r\n"), 16, -EPROTO, "");
	expect_stream(S("HMSG a 1 5\r\n"), 16, -EPROTO, "");
	expect_stream(S("HMSG a 1 13 12\r\n"), 64, -EPROTO, ""); /* hdr > total */
	expect_stream(S("HMSG a 1 4 4\r\nab\r\n\r\n"), 64, -EPROTO, ""); /* hdr too short */
	/* a header block that is not one */
	expect_stream(S("HMSG a 1 12 12\r\nNATS/2.0\r\n\r\n\r\n"), 64, -EPROTO, "");
	expect_stream(S("HMSG a 1 12 12\r\nNATS/1.0\r\nXY\r\n"), 64, -EPROTO, "");
	expect_stream(S("HMSG a 1 14 14\r\nNATS/1.0x\r\n\r\n\r\n"), 64, -EPROTO, "");
	expect_stream(S("HMSG a 1 15 15\r\nNATS/1.0 50\r\n\r\n\r\n"), 64, -EPROTO, "");
	expect_stream(S("HMSG a 1 17 17\r\nNATS/1.0 5031\r\n\r\n\r\n"), 64, -EPROTO, "");
	/* payload not followed by CRLF */
	expect_stream(S("MSG a 1 2\r\nabc\r\n"), 16, -EPROTO, "");
	expect_stream(S("MSG a 1 2\r\nab\rX"), 16, -EPROTO, "");
	/* payload over the caller's bound: refused before any byte of it is read */
	expect_stream(S("MSG a 1 17\r\n"), 16, -EMSGSIZE, "");
	expect_stream(S("MSG a 1 16\r\n0123456789abcdef\r\n"), 16, 0,
		      "MSG a sid=1 reply= status=0 desc= hdr=<> data=<0123456789abcdef>\n");
	expect_stream(S("MSG a 1 1\r\nx\r\n"), 0, -EMSGSIZE, "");
	expect_stream(S("MSG a 1 0\r\n\r\n"), 0, 0,
		      "MSG a sid=1 reply= status=0 desc= hdr=<> data=<>\n");
}

static void
parser_control_line_limit(void **state)
{
	char *in = malloc(NATS_CTL_MAX + 64);
	char *payload = malloc(16);
	struct nats_parser *p = malloc(sizeof(*p));
	struct nats_event ev;
	size_t used, n;

	(void)state;
	assert_non_null(in);
	assert_non_null(p);
	/* a line of exactly NATS_CTL_MAX bytes with its CRLF is accepted, one more is not */
	memcpy(in, "-ERR '", 6);
	memset(in + 6, 'x', NATS_CTL_MAX - 9);
	memcpy(in + NATS_CTL_MAX - 3, "'\r\n", 3);
	for (int split = 0; split < 2; split++) {
		nats_parser_init(p, payload, 16);
		if (split) {
			assert_int_equal(nats_parser_next(p, in, 1000, &used, &ev), 0);
			assert_int_equal(nats_parser_next(p, in + 1000, NATS_CTL_MAX - 1000, &used, &ev),
					 1);
		} else {
			assert_int_equal(nats_parser_next(p, in, NATS_CTL_MAX, &used, &ev), 1);
		}
		assert_int_equal(ev.op, NATS_OP_ERR);
		assert_int_equal(ev.err.len, NATS_CTL_MAX - 9);
	}
	memcpy(in, "-ERR '", 6);
	memset(in + 6, 'x', NATS_CTL_MAX - 8);
	memcpy(in + NATS_CTL_MAX - 2, "'\r\n", 3);
	n = NATS_CTL_MAX + 1;
	nats_parser_init(p, payload, 16);
	assert_int_equal(nats_parser_next(p, in, n, &used, &ev), -E2BIG);
	nats_parser_init(p, payload, 16);
	assert_int_equal(nats_parser_next(p, in, 2000, &used, &ev), 0);
	assert_int_equal(nats_parser_next(p, in + 2000, n - 2000, &used, &ev), -E2BIG);
	/* without any LF: refused as soon as more than the limit is buffered */
	memset(in, 'x', NATS_CTL_MAX + 1);
	nats_parser_init(p, payload, 16);
	assert_int_equal(nats_parser_next(p, in, NATS_CTL_MAX, &used, &ev), 0);
	assert_int_equal(nats_parser_next(p, in, 1, &used, &ev), -E2BIG);
	assert_int_equal(p->state, NATS_PARSER_FAILED);
	/* sticky until reset */
	assert_int_equal(nats_parser_next(p, S("PING\r\n"), &used, &ev), -E2BIG);
	assert_int_equal(used, 0);
	nats_parser_reset(p);
	assert_int_equal(nats_parser_next(p, S("PING\r\n"), &used, &ev), 1);
	assert_int_equal(ev.op, NATS_OP_PING);
	assert_int_equal(used, 6);
	/* no input at all */
	assert_int_equal(nats_parser_next(p, NULL, 0, &used, &ev), 0);
	assert_int_equal(used, 0);
	free(in);
	free(payload);
	free(p);
}

static void
err_classification(void **state)
{
	static const struct {
		const char *text;
		enum nats_err_kind kind;
		bool fatal;
	} cases[] = {
		{ "Unknown Protocol Operation", NATS_ERR_UNKNOWN_OP, true },
		{ "Authorization Violation", NATS_ERR_AUTH_VIOLATION, true },
		{ "authentication timeout", NATS_ERR_AUTH_TIMEOUT, true },
		{ "User Authentication Expired", NATS_ERR_AUTH_EXPIRED, true },
		{ "User Authentication Revoked", NATS_ERR_AUTH_REVOKED, true },
		{ "Stale Connection", NATS_ERR_STALE_CONNECTION, true },
		{ "Maximum Payload Violation", NATS_ERR_MAX_PAYLOAD, true },
		{ "Maximum Connections Exceeded", NATS_ERR_MAX_CONNECTIONS, true },
		{ "Maximum Control Line Exceeded", NATS_ERR_MAX_CONTROL_LINE, true },
		{ "Slow Consumer", NATS_ERR_SLOW_CONSUMER, true },
		{ "Secure Connection - TLS Required", NATS_ERR_TLS_REQUIRED, true },
		{ "Invalid Client Protocol", NATS_ERR_INVALID_PROTOCOL, true },
		{ "Permissions Violation for Publish to \"a.b\"", NATS_ERR_PERMISSIONS, false },
		{ "Invalid Subject", NATS_ERR_INVALID_SUBJECT, false },
		{ "Invalid Publish Subject", NATS_ERR_INVALID_SUBJECT, false },
		{ "Maximum Subscriptions Exceeded", NATS_ERR_MAX_SUBSCRIPTIONS, false },
		{ "Something New", NATS_ERR_OTHER, true },
		{ "", NATS_ERR_OTHER, true },
		{ "Stale", NATS_ERR_OTHER, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool fatal = !cases[i].fatal;

		assert_int_equal(nats_err_classify(cases[i].text, strlen(cases[i].text), &fatal),
				 cases[i].kind);
		assert_int_equal(fatal, cases[i].fatal);
	}
}

static void
hdr_lookup(void **state)
{
	static const char h[] = "NATS/1.0 503\r\nNats-Msg-Id:  abc\r\nA: \r\nAB: 2\r\n\r\n";
	const char *v;
	size_t vl;

	(void)state;
	assert_int_equal(nats_hdr_get(S(h), S("Nats-Msg-Id"), &v, &vl), 0);
	assert_int_equal(vl, 3);
	assert_memory_equal(v, "abc", 3);
	assert_int_equal(nats_hdr_get(S(h), S("A"), &v, &vl), 0);
	assert_int_equal(vl, 0);
	assert_int_equal(nats_hdr_get(S(h), S("AB"), &v, &vl), 0);
	assert_memory_equal(v, "2", 1);
	assert_int_equal(nats_hdr_get(S(h), S("nats-msg-id"), &v, &vl), -ENOENT);
	assert_int_equal(nats_hdr_get(S(h), S("B"), &v, &vl), -ENOENT);
	assert_int_equal(nats_hdr_get(S("NATS/1.0"), S("A"), &v, &vl), -ENOENT);
	assert_int_equal(nats_hdr_get(S("NATS/1.0\r\nA: x"), S("A"), &v, &vl), 0);
	assert_int_equal(vl, 1);
}

static void
info_parse(void **state)
{
	/* as nats-server 2.9 sends it, plus fields of a cluster member */
	static const char info[] =
		"{\"server_id\":\"NBD2X4CPCZ6GFPJJ4NVNJ6PE6GIMXPNWFK5QIXSGVJRB3OVWZAHDZLLE\","
		"\"server_name\":\"srv\",\"version\":\"2.9.10\",\"proto\":1,\"git_commit\":\"\","
		"\"go\":\"go1.19\",\"host\":\"0.0.0.0\",\"port\":4222,\"headers\":true,"
		"\"max_payload\":1048576,\"jetstream\":true,\"client_id\":5,\"client_ip\":\"198.18.0.2\","
		"\"nonce\":\"abc\\u002Fdef\",\"auth_required\":true,\"tls_required\":false,\"tls_available\":true,"
		"\"connect_urls\":[\"198.18.0.1:4222\",\"[::1]:4222\"],\"ldm\":true,\"domain\":\"hub\","
		"\"cluster\":\"c\",\"xkey\":{\"a\":[1,{\"b\":null}]}}";
	struct nats_info in;

	(void)state;
	assert_int_equal(nats_info_parse(S(info), &in), 0);
	assert_string_equal(in.server_id, "NBD2X4CPCZ6GFPJJ4NVNJ6PE6GIMXPNWFK5QIXSGVJRB3OVWZAHDZLLE");
	assert_string_equal(in.version, "2.9.10");
	assert_int_equal(in.proto, 1);
	assert_int_equal(in.max_payload, 1048576);
	assert_true(in.headers);
	assert_true(in.jetstream);
	assert_string_equal(in.nonce, "abc/def");
	assert_true(in.auth_required);
	assert_false(in.tls_required);
	assert_true(in.tls_available);
	assert_int_equal(in.n_connect_urls, 2);
	assert_int_equal(in.connect_urls_total, 2);
	assert_string_equal(in.connect_urls[1], "[::1]:4222");
	assert_true(in.ldm);
	assert_string_equal(in.domain, "hub");

	assert_int_equal(nats_info_parse(S("{}"), &in), 0);
	assert_false(in.headers);
	assert_int_equal(in.max_payload, 0);
	assert_int_equal(nats_info_parse(S("{\"connect_urls\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\","
					   "\"g\",\"h\",\"i\",\"j\"]}"), &in), 0);
	assert_int_equal(in.n_connect_urls, NATS_INFO_URLS_MAX);
	assert_int_equal(in.connect_urls_total, 10);
	assert_string_equal(in.connect_urls[7], "h");

	assert_int_equal(nats_info_parse(S("{\"headers\":\"yes\"}"), &in), -EPROTO);
	assert_int_equal(nats_info_parse(S("{\"max_payload\":1.5}"), &in), -EPROTO);
	assert_int_equal(nats_info_parse(S("{\"connect_urls\":[1]}"), &in), -EPROTO);
	assert_int_equal(nats_info_parse(S("{\"connect_urls\":[\"a\" \"b\"]}"), &in), -EPROTO);
	assert_int_equal(nats_info_parse(S("{\"proto\":1"), &in), -EPROTO);
	assert_int_equal(nats_info_parse(S("{\"proto\":99999999999}"), &in), -ERANGE);

	char big[400];
	strcpy(big, "{\"server_id\":\"");
	memset(big + 14, 'a', NATS_INFO_STR_MAX);
	strcpy(big + 14 + NATS_INFO_STR_MAX, "\"}");
	assert_int_equal(nats_info_parse(big, strlen(big), &in), -E2BIG);
	big[14 + NATS_INFO_STR_MAX - 1] = '"';
	big[14 + NATS_INFO_STR_MAX] = '}';
	big[14 + NATS_INFO_STR_MAX + 1] = '\0';
	assert_int_equal(nats_info_parse(big, strlen(big), &in), 0);
	assert_int_equal(strlen(in.server_id), NATS_INFO_STR_MAX - 1);
}

int
run_parser_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parser_all_ops),
		cmocka_unit_test(parser_puback_stream),
		cmocka_unit_test(parser_recorded_acks),
		cmocka_unit_test(parser_errors),
		cmocka_unit_test(parser_control_line_limit),
		cmocka_unit_test(err_classification),
		cmocka_unit_test(hdr_lookup),
		cmocka_unit_test(info_parse),
	};
	return cmocka_run_group_tests_name("nats_parser", tests, NULL, NULL);
}
