#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nats/nats_enc.h"
#include "nats/nats_validate.h"
#include "nats_tests.h"

#define S(x) (x), (sizeof(x) - 1)

static void
digits_match_printf(void **state)
{
	static const uint64_t vals[] = { 0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10000,
					 12345, 99999, 100000, 4294967295u, 4294967296u,
					 999999999999ull, 1000000000000ull, 18446744073709551615ull };
	char want[32], got[32];

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		size_t n;

		snprintf(want, sizeof(want), "%llu", (unsigned long long)vals[i]);
		n = nats_u64_render(got, vals[i]);
		got[n] = '\0';
		assert_string_equal(got, want);
		assert_int_equal(nats_u64_digits(vals[i]), strlen(want));
	}
	/* every value up to 1e5 and its neighbours of powers of ten */
	for (uint64_t v = 0; v < 100000; v++) {
		size_t n = nats_u64_render(got, v);

		got[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		assert_string_equal(got, want);
	}
}

static void
token_format_and_parse(void **state)
{
	char buf[32];
	uint64_t v;

	(void)state;
	assert_int_equal(nats_token_format(buf, sizeof(buf), S("_JW.a.0."), 42), 10);
	assert_string_equal(buf, "_JW.a.0.42");
	assert_int_equal(nats_token_format(buf, 11, S("_JW.a.0."), 42), 10);
	assert_int_equal(nats_token_format(buf, 10, S("_JW.a.0."), 42), -ENOSPC);
	assert_int_equal(nats_token_format(buf, sizeof(buf), NULL, 0, UINT64_MAX), 20);
	assert_string_equal(buf, "18446744073709551615");

	assert_int_equal(nats_u64_parse(S("0"), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(nats_u64_parse(S("18446744073709551615"), &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(nats_u64_parse(S("18446744073709551616"), &v), -ERANGE);
	assert_int_equal(nats_u64_parse(S("01"), &v), -EINVAL);
	assert_int_equal(nats_u64_parse(S("1a"), &v), -EINVAL);
	assert_int_equal(nats_u64_parse(S("-1"), &v), -EINVAL);
	assert_int_equal(nats_u64_parse("", 0, &v), -EINVAL);
}

/* Encodes m with the fast path and checks it equals want. */
static void
check_pub(const struct nats_pub *m, const char *want, size_t want_len)
{
	char buf[2048];
	ssize_t n;

	assert_int_equal(nats_pub_size(m), (ssize_t)want_len);
	n = nats_pub_encode(buf, sizeof(buf), m);
	assert_int_equal(n, (ssize_t)want_len);
	assert_memory_equal(buf, want, want_len);
	/* exactly enough room works, one byte less writes nothing */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(nats_pub_encode(buf, want_len, m), (ssize_t)want_len);
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(nats_pub_encode(buf, want_len - 1, m), -ENOSPC);
	assert_int_equal(buf[0], 'Z');
}

static void
pub_frames(void **state)
{
	struct nats_pub m = { 0 };

	(void)state;
	m.subject = "orders.new";
	m.subject_len = 10;
	m.payload = "hello";
	m.payload_len = 5;
	check_pub(&m, S("PUB orders.new 5\r\nhello\r\n"));

	m.reply = "_JW.x.17";
	m.reply_len = 8;
	check_pub(&m, S("PUB orders.new _JW.x.17 5\r\nhello\r\n"));

	m.payload = NULL;
	m.payload_len = 0;
	check_pub(&m, S("PUB orders.new _JW.x.17 0\r\n\r\n"));
}

static void
hpub_frames(void **state)
{
	struct nats_pub m = { 0 };
	static const char user[] = "NATS/1.0\r\nA: b\r\nX-Y: 1 2\r\n\r\n";

	(void)state;
	m.subject = "s";
	m.subject_len = 1;
	m.reply = "r.1";
	m.reply_len = 3;
	m.msg_id = "inst-0-42";
	m.msg_id_len = 9;
	m.payload = "data";
	m.payload_len = 4;
	/* header: 10 + 13 + 9 + 2 + 2 = 36 */
	check_pub(&m, S("HPUB s r.1 36 40\r\nNATS/1.0\r\nNats-Msg-Id: inst-0-42\r\n\r\ndata\r\n"));

	m.hdr = user;
	m.hdr_len = sizeof(user) - 1;
	check_pub(&m, S("HPUB s r.1 52 56\r\nNATS/1.0\r\nNats-Msg-Id: inst-0-42\r\nA: b\r\n"
			"X-Y: 1 2\r\n\r\ndata\r\n"));

	/* user headers only: the caller's block goes out unchanged */
	m.msg_id_len = 0;
	m.reply_len = 0;
	check_pub(&m, S("HPUB s 28 32\r\nNATS/1.0\r\nA: b\r\nX-Y: 1 2\r\n\r\ndata\r\n"));

	/* an empty caller block still makes an HPUB, as cnats does for an empty header map */
	m.hdr = "NATS/1.0\r\n\r\n";
	m.hdr_len = 12;
	check_pub(&m, S("HPUB s 12 16\r\nNATS/1.0\r\n\r\ndata\r\n"));
	m.msg_id_len = 1;
	m.msg_id = "7";
	check_pub(&m, S("HPUB s 28 32\r\nNATS/1.0\r\nNats-Msg-Id: 7\r\n\r\ndata\r\n"));
}

static void
pub_rejects(void **state)
{
	char big[NATS_SUBJECT_MAX + 1];
	char buf[4096];
	struct nats_pub m = { 0 };
	struct nats_frame f;

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_int_equal(nats_pub_size(&m), -EINVAL);
	assert_int_equal(nats_pub_size(NULL), -EINVAL);
	m.subject = big;
	m.subject_len = sizeof(big);
	assert_int_equal(nats_pub_size(&m), -E2BIG);
	assert_int_equal(nats_pub_encode(buf, sizeof(buf), &m), -E2BIG);
	assert_int_equal(nats_frame_init(&f, &m), -E2BIG);
	m.subject_len = NATS_SUBJECT_MAX;
	m.reply = big;
	m.reply_len = NATS_REPLY_MAX;
	m.msg_id = big;
	m.msg_id_len = NATS_MSGID_MAX;
	assert_true(nats_pub_size(&m) > 0);
	m.msg_id_len = NATS_MSGID_MAX + 1;
	assert_int_equal(nats_pub_size(&m), -E2BIG);
	m.msg_id_len = 0;
	m.hdr = "NATS/1.0\r\n";
	m.hdr_len = 10; /* shorter than any valid block */
	assert_int_equal(nats_pub_size(&m), -EINVAL);
	m.hdr_len = 0;
	m.payload_len = 3; /* payload NULL */
	assert_int_equal(nats_pub_size(&m), -EINVAL);
	/* the longest control line fits the frame's buffer */
	m.payload_len = 0;
	m.msg_id = big;
	m.msg_id_len = NATS_MSGID_MAX;
	assert_int_equal(nats_frame_init(&f, &m), 0);
	assert_true(f.pieces[0].len <= NATS_PUB_CTL_MAX);
}

/* A frame in progress may be copied (e.g. into a connection's state) and resumed there. */
static void
frame_is_copyable(void **state)
{
	struct nats_pub m = { .subject = "a.b", .subject_len = 3, .reply = "r", .reply_len = 1,
			      .msg_id = "id", .msg_id_len = 2, .payload = "xyz", .payload_len = 3 };
	struct nats_frame *f1 = malloc(sizeof(*f1)), *f2 = malloc(sizeof(*f2));
	char want[128], got[128];
	ssize_t size = nats_pub_encode(want, sizeof(want), &m);
	size_t at;

	(void)state;
	assert_true(size > 0);
	assert_non_null(f1);
	assert_non_null(f2);
	assert_int_equal(nats_frame_init(f1, &m), 0);
	at = nats_frame_write(f1, got, 5);
	*f2 = *f1;
	memset(f1, 0xAA, sizeof(*f1)); /* the original is gone */
	free(f1);
	while (!nats_frame_done(f2))
		at += nats_frame_write(f2, got + at, 4);
	assert_int_equal(at, (size_t)size);
	assert_memory_equal(got, want, (size_t)size);
	free(f2);
}

/* For each segment size 1..size+1, writing the frame piecewise gives the fast-path bytes. */
static void
check_straddle(const struct nats_pub *m)
{
	ssize_t size = nats_pub_size(m);
	char *want, *got;

	assert_true(size > 0);
	want = malloc((size_t)size);
	got = malloc((size_t)size + 64);
	assert_non_null(want);
	assert_non_null(got);
	assert_int_equal(nats_pub_encode(want, (size_t)size, m), size);
	for (size_t seg = 1; seg <= (size_t)size + 1; seg++) {
		struct nats_frame f;
		size_t at = 0, n;

		assert_int_equal(nats_frame_init(&f, m), 0);
		assert_int_equal(f.size, (size_t)size);
		while ((n = nats_frame_write(&f, got + at, seg)) > 0) {
			assert_true(n <= seg);
			at += n;
			assert_true(at <= (size_t)size);
			if (!nats_frame_done(&f))
				assert_int_equal(n, seg); /* only the last piece is short */
		}
		assert_true(nats_frame_done(&f));
		assert_int_equal(nats_frame_remaining(&f), 0);
		assert_int_equal(at, (size_t)size);
		assert_memory_equal(got, want, (size_t)size);
	}
	free(want);
	free(got);
}

static void
frame_straddles_segments(void **state)
{
	static const char user[] = "NATS/1.0\r\nA: b\r\nLong-Header: vvvvvvvvvvvvvvvvvvv\r\n\r\n";
	char payload[300];
	struct nats_pub m = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (char)i;
	m.subject = "a.b.c";
	m.subject_len = 5;
	m.payload = payload;
	m.payload_len = sizeof(payload);
	check_straddle(&m);
	m.reply = "_JW.i.1.123456";
	m.reply_len = 14;
	check_straddle(&m);
	m.msg_id = "i-1-123456";
	m.msg_id_len = 10;
	check_straddle(&m);
	m.hdr = user;
	m.hdr_len = sizeof(user) - 1;
	check_straddle(&m);
	m.msg_id_len = 0;
	check_straddle(&m);
	m.payload_len = 0;
	check_straddle(&m);
}

static void
hdr_build_and_compose(void **state)
{
	const struct nats_hdr_field f[] = {
		{ S("Nats-Msg-Id"), S("abc") },
		{ S("A"), S("1") },
		{ S("Empty"), "", 0 },
	};
	char built[256], user[256], composed[256];
	ssize_t n, un;
	size_t cn;

	(void)state;
	n = nats_hdr_build(built, sizeof(built), f, 3);
	assert_int_equal(n, 45);
	assert_memory_equal(built, "NATS/1.0\r\nNats-Msg-Id: abc\r\nA: 1\r\nEmpty: \r\n\r\n", 45);
	assert_int_equal(nats_hdr_check(built, (size_t)n), 0);
	assert_int_equal(nats_hdr_build(built, 44, f, 3), -ENOSPC);
	assert_int_equal(nats_hdr_build(composed, sizeof(composed), NULL, 0), 12);
	assert_memory_equal(composed, "NATS/1.0\r\n\r\n", 12);
	n = nats_hdr_build(built, sizeof(built), f, 3);

	/* compose(msg id, user block of the other fields) == build(all fields) */
	un = nats_hdr_build(user, sizeof(user), f + 1, 2);
	assert_true(un > 0);
	assert_int_equal(nats_hdr_size(3, (size_t)un), (size_t)n);
	cn = nats_hdr_compose(composed, "abc", 3, user, (size_t)un);
	assert_int_equal(cn, (size_t)n);
	assert_memory_equal(composed, built, cn);
	/* no msg id: the user block itself */
	assert_int_equal(nats_hdr_size(0, (size_t)un), (size_t)un);
	assert_int_equal(nats_hdr_compose(composed, NULL, 0, user, (size_t)un), (size_t)un);
	assert_memory_equal(composed, user, (size_t)un);
	assert_int_equal(nats_hdr_size(0, 0), 0);

	const struct nats_hdr_field bad_name[] = { { S("A b"), S("1") } };
	const struct nats_hdr_field bad_colon[] = { { S("A:"), S("1") } };
	const struct nats_hdr_field empty_name[] = { { "", 0, S("1") } };
	const struct nats_hdr_field bad_value[] = { { S("A"), S("1\r\nB: 2") } };
	assert_int_equal(nats_hdr_build(built, sizeof(built), bad_name, 1), -EINVAL);
	assert_int_equal(nats_hdr_build(built, sizeof(built), bad_colon, 1), -EINVAL);
	assert_int_equal(nats_hdr_build(built, sizeof(built), empty_name, 1), -EINVAL);
	assert_int_equal(nats_hdr_build(built, sizeof(built), bad_value, 1), -EINVAL);
}

static void
control_ops(void **state)
{
	char buf[1024];
	ssize_t n;
	struct nats_connect_opts o = { 0 };

	(void)state;
	n = nats_connect_encode(buf, sizeof(buf), NULL);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "CONNECT {\"verbose\":false,\"pedantic\":false,"
			    "\"tls_required\":false,\"lang\":\"C\",\"version\":\"jetwire-0.1\","
			    "\"protocol\":1,\"echo\":false,\"headers\":true,\"no_responders\":true}\r\n");
	o.name = "jw \"1\"";
	o.user = "u";
	o.pass = "p\\\x01";
	o.auth_token = "t";
	o.nkey = "NK";
	o.sig = "SIG";
	o.jwt = "J.W.T";
	o.lang = "c";
	o.version = "9";
	n = nats_connect_encode(buf, sizeof(buf), &o);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "CONNECT {\"verbose\":false,\"pedantic\":false,"
			    "\"tls_required\":false,\"auth_token\":\"t\",\"user\":\"u\","
			    "\"pass\":\"p\\\\\\u0001\",\"nkey\":\"NK\",\"sig\":\"SIG\",\"jwt\":\"J.W.T\","
			    "\"name\":\"jw \\\"1\\\"\",\"lang\":\"c\",\"version\":\"9\","
			    "\"protocol\":1,\"echo\":false,\"headers\":true,\"no_responders\":true}\r\n");
	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(nats_connect_encode(buf, cap, &o), -ENOSPC);

	n = nats_sub_encode(buf, sizeof(buf), S("_JW.i.0.*"), NULL, 0, 1);
	assert_int_equal(n, 17);
	assert_memory_equal(buf, "SUB _JW.i.0.* 1\r\n", 17);
	n = nats_sub_encode(buf, sizeof(buf), S("a.>"), S("q"), 18446744073709551615ull);
	assert_int_equal(n, 32);
	assert_memory_equal(buf, "SUB a.> q 18446744073709551615\r\n", 32);
	assert_int_equal(nats_sub_encode(buf, sizeof(buf), S("a b"), NULL, 0, 1), -EINVAL);
	assert_int_equal(nats_sub_encode(buf, sizeof(buf), "", 0, NULL, 0, 1), -EINVAL);
	assert_int_equal(nats_sub_encode(buf, sizeof(buf), S("a"), S("q\r"), 1), -EINVAL);
	assert_int_equal(nats_sub_encode(buf, 5, S("a"), NULL, 0, 1), -ENOSPC);

	n = nats_unsub_encode(buf, sizeof(buf), 7, 0);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "UNSUB 7\r\n", 9);
	n = nats_unsub_encode(buf, sizeof(buf), 7, 10);
	assert_int_equal(n, 12);
	assert_memory_equal(buf, "UNSUB 7 10\r\n", 12);
	assert_int_equal(nats_unsub_encode(buf, 8, 7, 0), -ENOSPC);

	assert_int_equal(nats_ping_encode(buf, 6), 6);
	assert_memory_equal(buf, "PING\r\n", 6);
	assert_int_equal(nats_pong_encode(buf, 6), 6);
	assert_memory_equal(buf, "PONG\r\n", 6);
	assert_int_equal(nats_ping_encode(buf, 5), -ENOSPC);
	assert_int_equal(nats_pong_encode(NULL, 6), -ENOSPC);
}

int
run_enc_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digits_match_printf),
		cmocka_unit_test(token_format_and_parse),
		cmocka_unit_test(pub_frames),
		cmocka_unit_test(hpub_frames),
		cmocka_unit_test(pub_rejects),
		cmocka_unit_test(frame_straddles_segments),
		cmocka_unit_test(frame_is_copyable),
		cmocka_unit_test(hdr_build_and_compose),
		cmocka_unit_test(control_ops),
	};
	return cmocka_run_group_tests_name("nats_enc", tests, NULL, NULL);
}
