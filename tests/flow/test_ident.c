/* Unit tests of reply subjects and Msg-Ids (lib/flow/flow_ident). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flow/flow_ident.h"
#include "nats/nats_validate.h"
#include "test_flow.h"

static void
inbox_and_reply_round_trip(void **state)
{
	struct flow_inbox ib;
	char buf[FLOW_REPLY_MAX + 1];
	uint64_t seq = 0, mark = 7;
	uint32_t n;

	(void)state;
	flow_inbox_init(&ib, 0x0123456789abcdefull, 3);
	assert_int_equal(flow_inbox_sub(&ib, buf, sizeof(buf)), 19);
	assert_string_equal(buf, "_JW.063UfDVRKBz.3.*");
	assert_int_equal(flow_inbox_sub(&ib, buf, 10), -ENOSPC);
	n = flow_reply_format(&ib, 0, 0, buf);
	buf[n] = 0;
	assert_string_equal(buf, "_JW.063UfDVRKBz.3.0");
	assert_int_equal(nats_subject_check(buf, n), 0);
	assert_int_equal(flow_reply_parse(&ib, buf, n, &seq, &mark), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(mark, 0);
	n = flow_reply_format(&ib, UINT64_MAX, 0, buf);
	buf[n] = 0;
	assert_string_equal(buf, "_JW.063UfDVRKBz.3.18446744073709551615");
	assert_int_equal(flow_reply_parse(&ib, buf, n, &seq, &mark), 0);
	assert_true(seq == UINT64_MAX);
	assert_int_equal(flow_reply_len(&ib, UINT64_MAX, 0), n);
	/* a marked reply: still one token, so the inbox's SUB `<prefix>*` matches it */
	n = flow_reply_format(&ib, 42, 7, buf);
	buf[n] = 0;
	assert_string_equal(buf, "_JW.063UfDVRKBz.3.42g7");
	assert_int_equal(nats_subject_check(buf, n), 0);
	assert_int_equal(flow_reply_parse(&ib, buf, n, &seq, &mark), 0);
	assert_true(seq == 42 && mark == 7);
	n = flow_reply_format(&ib, UINT64_MAX, UINT64_MAX, buf);
	assert_true(n <= FLOW_REPLY_MAX);
	assert_int_equal(flow_reply_len(&ib, UINT64_MAX, UINT64_MAX), n);
	assert_int_equal(flow_reply_parse(&ib, buf, n, &seq, &mark), 0);
	assert_true(seq == UINT64_MAX && mark == UINT64_MAX);
	for (uint64_t v = 1; v < 1000000000000ull; v = v * 7 + 3) {
		for (uint64_t mk = 0; mk < v * 2; mk = mk * 13 + 1) {
			assert_int_equal(flow_reply_len(&ib, v - 1, mk),
					 flow_reply_format(&ib, v - 1, mk, buf));
			n = flow_reply_format(&ib, v, mk, buf);
			assert_int_equal(flow_reply_len(&ib, v, mk), n);
			assert_int_equal(flow_reply_parse(&ib, buf, n, &seq, &mark), 0);
			assert_true(seq == v && mark == mk);
		}
	}
}

#define PARSE(s) flow_reply_parse(&ib, (s), strlen(s), &seq, &mark)

static void
reply_parse_rejects_foreign_and_garbage(void **state)
{
	struct flow_inbox ib;
	uint64_t seq = 99, mark = 99;

	(void)state;
	flow_inbox_init(&ib, 0xabcull, 1);
	assert_int_equal(PARSE("_JW.000000000iK.1.5"), 0);
	assert_int_equal(seq, 5);
	assert_int_equal(mark, 0);
	assert_int_equal(PARSE("_JW.000000000iK.1.5g3"), 0);
	assert_true(seq == 5 && mark == 3);
	assert_int_equal(PARSE("_JW.000000000iK.1.6g0"), -EINVAL);  /* mark 0 is "none" */
	assert_int_equal(PARSE("_JW.000000000iK.1.6g"), -EINVAL);   /* no mark digits */
	assert_int_equal(PARSE("_JW.000000000iK.1.6g03"), -EINVAL); /* leading zero */
	assert_int_equal(PARSE("_JW.000000000iK.1.6g3g4"), -EINVAL);
	assert_int_equal(PARSE("_JW.000000000iK.1.g3"), -EINVAL);   /* no seq */
	assert_int_equal(PARSE("_JW.000000000iK.1.6g18446744073709551616"), -EINVAL);
	assert_int_equal(PARSE("_JW.000000000iK.1.6G3"), -EINVAL);
	assert_true(seq == 5 && mark == 3); /* untouched by every rejection */
	assert_int_equal(PARSE("_JW.000000000iK.2.5"), -EINVAL);  /* other conn */
	assert_int_equal(PARSE("_JW.000000000iL.1.5"), -EINVAL);  /* other run */
	assert_int_equal(PARSE("_JW.000000000iK.1."), -EINVAL);   /* no digits */
	assert_int_equal(PARSE("_JW.000000000iK.1.05"), -EINVAL); /* leading zero */
	assert_int_equal(PARSE("_JW.000000000iK.1.5x"), -EINVAL);
	assert_int_equal(PARSE("_JW.000000000iK.1.5.6"), -EINVAL);
	assert_int_equal(PARSE("_JW.000000000iK.1.18446744073709551616"), -EINVAL);
	assert_int_equal(PARSE("_JW.000000000iK.1.111111111111111111111"), -EINVAL);
	assert_int_equal(PARSE("_JW.000000000iK"), -EINVAL);
	assert_int_equal(PARSE(""), -EINVAL);
	assert_int_equal(seq, 5);
}

static void
msgid_is_stable_and_distinct(void **state)
{
	struct flow_msgid_parts m = { .nonce = 0xfeedull, .lcore = 1, .slot = 17, .gen = 2,
				      .producer_seq = 123456789 };
	char a[FLOW_MSGID_MAX + 1], b[FLOW_MSGID_MAX + 1];
	char hdr[256];
	uint32_t n;
	int hn;

	(void)state;
	n = flow_msgid_format(&m, a);
	a[n] = 0;
	assert_string_equal(a, "00000000Gyb-1-17-2-123456789");
	n = flow_msgid_format(&m, b);
	b[n] = 0;
	assert_string_equal(a, b); /* stable: resends carry the same id */
	m.gen = 3;                 /* a new producer in the same slot */
	n = flow_msgid_format(&m, b);
	b[n] = 0;
	assert_string_not_equal(a, b);
	m.nonce = UINT64_MAX;
	m.lcore = m.slot = m.gen = UINT32_MAX;
	m.producer_seq = UINT64_MAX;
	n = flow_msgid_format(&m, b);
	assert_true(n <= FLOW_MSGID_MAX);
	assert_int_equal(flow_msgid_len(&m), n);
	for (uint64_t v = 0; v < UINT64_MAX / 11; v = v * 11 + 9) { /* every digit count */
		m.lcore = (uint32_t)v;
		m.slot = (uint32_t)(v >> 3);
		m.gen = (uint32_t)(v >> 7);
		m.producer_seq = v;
		assert_int_equal(flow_msgid_len(&m), flow_msgid_format(&m, b));
	}
	hn = snprintf(hdr, sizeof(hdr), "NATS/1.0\r\nNats-Msg-Id: %.*s\r\n\r\n", (int)n, b);
	assert_int_equal(nats_hdr_check(hdr, (size_t)hn), 0);
}

int
run_ident_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inbox_and_reply_round_trip),
		cmocka_unit_test(reply_parse_rejects_foreign_and_garbage),
		cmocka_unit_test(msgid_is_stable_and_distinct),
	};
	return cmocka_run_group_tests_name("flow_ident", tests, NULL, NULL);
}
