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

/* nats_subject_scan accepts exactly what strlen + nats_subject_check accept, with the
 * same length, on every string of up to 6 bytes over an alphabet of the bytes that matter
 * (token chars, dot, the wildcards, space, a control byte, DEL), and on long subjects
 * around NATS_SUBJECT_MAX. */
static void
subject_scan_matches_check(void **state)
{
	static const char alpha[] = { 'a', '.', '*', '>', ' ', '\x01', '\x7f', 'Z' };
	char s[NATS_SUBJECT_MAX + 8];
	uint32_t accepted = 0;

	(void)state;
	assert_int_equal(nats_subject_scan(NULL, &(size_t){ 0 }), -EINVAL);
	for (size_t n = 0; n <= 6; n++) {
		size_t combos = 1;

		for (size_t k = 0; k < n; k++)
			combos *= sizeof(alpha);
		for (size_t x = 0; x < combos; x++) {
			size_t v = x, len = 99;
			int want, got;

			for (size_t k = 0; k < n; k++, v /= sizeof(alpha))
				s[k] = alpha[v % sizeof(alpha)];
			s[n] = '\0';
			want = nats_subject_check(s, n);
			got = nats_subject_scan(s, &len);
			assert_int_equal(got, want);
			if (got == 0) {
				assert_int_equal(len, n);
				accepted++;
			}
		}
	}
	assert_true(accepted > 1000);
	for (size_t n = NATS_SUBJECT_MAX - 2; n <= NATS_SUBJECT_MAX + 3; n++) {
		size_t len = 0;

		memset(s, 'a', n);
		s[n] = '\0';
		s[n / 2] = '.';
		assert_int_equal(nats_subject_scan(s, &len), n <= NATS_SUBJECT_MAX ? 0 : -E2BIG);
		assert_int_equal(nats_subject_check(s, n), n <= NATS_SUBJECT_MAX ? 0 : -E2BIG);
		if (n <= NATS_SUBJECT_MAX)
			assert_int_equal(len, n);
	}
	/* unterminated: reads NATS_SUBJECT_MAX + 1 bytes, no more */
	memset(s, 'a', NATS_SUBJECT_MAX + 1);
	assert_int_equal(nats_subject_scan(s, &(size_t){ 0 }), -E2BIG);
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
		cmocka_unit_test(subject_scan_matches_check),
		cmocka_unit_test(hdr_accepts_valid),
		cmocka_unit_test(hdr_rejects_invalid),
	};
	return cmocka_run_group_tests_name("nats_validate", tests, NULL, NULL);
}
