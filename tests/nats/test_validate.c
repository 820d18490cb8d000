#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nats/nats_validate.h"
#include "nats_tests.h"

#define SUBJ(s) nats_subject_check((s), strlen(s))
#define HDR(s)  nats_hdr_check((s), strlen(s))

static void
subject_accepts_valid(void **state)
{
	(void)state;
	assert_int_equal(SUBJ("a"), 0);
	assert_int_equal(SUBJ("orders.eu.new"), 0);
	assert_int_equal(SUBJ("a*b.c>d"), 0); /* wildcards only as whole tokens */
	assert_int_equal(SUBJ("_INBOX.x-y_z.9"), 0);
}

static void
subject_rejects_invalid(void **state)
{
	char big[NATS_SUBJECT_MAX + 2];

	(void)state;
	assert_int_equal(SUBJ(""), -EINVAL);
	assert_int_equal(SUBJ(".a"), -EINVAL);
	assert_int_equal(SUBJ("a."), -EINVAL);
	assert_int_equal(SUBJ("a..b"), -EINVAL);
	assert_int_equal(SUBJ("a b"), -EINVAL);
	assert_int_equal(SUBJ("a\tb"), -EINVAL);
	assert_int_equal(SUBJ("a\r\nPUB x 1"), -EINVAL);
	assert_int_equal(SUBJ("a.*"), -EINVAL);
	assert_int_equal(SUBJ(">"), -EINVAL);
	assert_int_equal(SUBJ("a.>.b"), -EINVAL);
	assert_int_equal(nats_subject_check("a\0b", 3), -EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(nats_subject_check(big, NATS_SUBJECT_MAX), 0);
	assert_int_equal(nats_subject_check(big, NATS_SUBJECT_MAX + 1), -E2BIG);
}

static void
hdr_accepts_valid(void **state)
{
	(void)state;
	assert_int_equal(nats_hdr_check(NULL, 0), 0);
	assert_int_equal(HDR("NATS/1.0\r\n\r\n"), 0);
	assert_int_equal(HDR("NATS/1.0\r\nA: b\r\n\r\n"), 0);
	assert_int_equal(HDR("NATS/1.0\r\nNats-Msg-Id: 1\r\nX-Empty:\r\n\r\n"), 0);
}

static void
hdr_rejects_invalid(void **state)
{
	(void)state;
	assert_int_equal(HDR("NATS/1.0\r\n"), -EINVAL);
	assert_int_equal(HDR("NATS/1.1\r\n\r\n"), -EINVAL);
	assert_int_equal(HDR("NATS/1.0 503\r\n\r\n"), -EINVAL);
	assert_int_equal(HDR("NATS/1.0\r\nA b: c\r\n\r\n"), -EINVAL);
	assert_int_equal(HDR("NATS/1.0\r\n: c\r\n\r\n"), -EINVAL);
	assert_int_equal(HDR("NATS/1.0\r\nA: c\nB: d\r\n\r\n"), -EINVAL);
	assert_int_equal(HDR("NATS/1.0\r\nA: c\r\n"), -EINVAL);
	assert_int_equal(HDR("NATS/1.0\r\nA: c\r\n\r\nX"), -EINVAL);
	assert_int_equal(HDR("NATS/1.0\r\nA\r\n\r\n"), -EINVAL);
}

int
run_validate_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subject_accepts_valid),
		cmocka_unit_test(subject_rejects_invalid),
		cmocka_unit_test(hdr_accepts_valid),
		cmocka_unit_test(hdr_rejects_invalid),
	};
	return cmocka_run_group_tests_name("nats_validate", tests, NULL, NULL);
}
