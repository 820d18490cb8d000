#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/jw_hist.h"
#include "stats_tests.h"

static struct jw_hist *
hist_new(void)
{
	struct jw_hist *h = malloc(sizeof(*h));

	assert_non_null(h);
	jw_hist_init(h);
	return h;
}

static struct jw_hist_snap *
snap_of(const struct jw_hist *h)
{
	struct jw_hist_snap *s = malloc(sizeof(*s));

	assert_non_null(s);
	jw_hist_read(h, s);
	return s;
}

static void
buckets_tile_the_range(void **state)
{
	unsigned i;

	(void)state;
	assert_int_equal(jw_hist_bucket_low(0), 0);
	for (i = 0; i + 1 < JW_HIST_BUCKETS; i++) {
		uint64_t lo = jw_hist_bucket_low(i), hi = jw_hist_bucket_high(i);

		assert_true(lo <= hi);
		assert_int_equal(hi + 1, jw_hist_bucket_low(i + 1)); /* contiguous, no overlap */
		assert_int_equal(jw_hist_index(lo), i);
		assert_int_equal(jw_hist_index(hi), i);
		/* width at most 1/64 of the bucket's lower bound above the exact range */
		if (lo >= 128)
			assert_true((hi - lo + 1) * 64 <= lo);
		else
			assert_int_equal(hi, lo);
	}
	assert_int_equal(jw_hist_index(UINT64_MAX), JW_HIST_BUCKETS - 1);
	assert_int_equal(jw_hist_index((uint64_t)1 << 48), JW_HIST_BUCKETS - 1);
	assert_int_equal(jw_hist_index(((uint64_t)1 << 48) - 1), JW_HIST_BUCKETS - 1);
	assert_int_equal(jw_hist_index(((uint64_t)1 << 48) - 1 - ((uint64_t)1 << 41)),
			 JW_HIST_BUCKETS - 2);
}

static void
percentiles_exact_small_values(void **state)
{
	struct jw_hist *h = hist_new();
	struct jw_hist_snap *s;
	uint64_t v;

	(void)state;
	for (v = 100; v >= 1; v--) /* order must not matter */
		jw_hist_record(h, v);
	s = snap_of(h);
	assert_int_equal(s->count, 100);
	assert_int_equal(s->min, 1);
	assert_int_equal(s->max, 100);
	assert_int_equal(jw_hist_mean(s), 50); /* 5050 / 100 */
	assert_int_equal(jw_hist_percentile(s, 0), 1);
	assert_int_equal(jw_hist_percentile(s, 1), 1);
	assert_int_equal(jw_hist_percentile(s, 50), 50);
	assert_int_equal(jw_hist_percentile(s, 50.5), 51);
	assert_int_equal(jw_hist_percentile(s, 90), 90);
	assert_int_equal(jw_hist_percentile(s, 99), 99);
	assert_int_equal(jw_hist_percentile(s, 99.9), 100);
	assert_int_equal(jw_hist_percentile(s, 100), 100);
	assert_int_equal(jw_hist_value_at(s, 2000000), 100);
	free(s);
	free(h);
}

static void
percentiles_bucket_high_above_128(void **state)
{
	struct jw_hist *h = hist_new();
	struct jw_hist_snap *s;
	uint64_t v;

	(void)state;
	for (v = 1; v <= 1000; v++)
		jw_hist_record(h, v);
	s = snap_of(h);
	/* rank 500 is 500, in [500, 503] (width 4 between 256 and 511) */
	assert_int_equal(jw_hist_percentile(s, 50), 503);
	/* rank 900 is 900, in [896, 903] (width 8 between 512 and 1023) */
	assert_int_equal(jw_hist_percentile(s, 90), 903);
	assert_int_equal(jw_hist_percentile(s, 99.9), 999);  /* [992, 999] */
	assert_int_equal(jw_hist_percentile(s, 100), 1000);  /* [1000, 1007] clamped to max */
	assert_int_equal(jw_hist_percentile(s, 0.1), 1);
	free(s);
	free(h);
}

static void
percentiles_two_modes(void **state)
{
	struct jw_hist *h = hist_new();
	struct jw_hist_snap *s;
	int i;

	(void)state;
	for (i = 0; i < 990; i++)
		jw_hist_record(h, 1000);       /* 1 us */
	for (i = 0; i < 10; i++)
		jw_hist_record(h, 1000000);    /* 1 ms */
	s = snap_of(h);
	assert_int_equal(jw_hist_percentile(s, 50), 1007);     /* bucket [1000, 1007] */
	assert_int_equal(jw_hist_percentile(s, 99), 1007);     /* rank 990 */
	assert_int_equal(jw_hist_percentile(s, 99.1), 1000000); /* rank 991: clamped to max */
	assert_int_equal(jw_hist_percentile(s, 0), 1000);
	assert_int_equal(s->sum, 990ull * 1000 + 10ull * 1000000);
	free(s);
	free(h);
}

static void
merge_equals_single_histogram(void **state)
{
	struct jw_hist *a = hist_new(), *b = hist_new(), *all = hist_new();
	struct jw_hist_snap *sa, *sb, *sall;
	uint64_t v;

	(void)state;
	for (v = 1; v <= 5000; v += 3) {
		jw_hist_record(v % 2 ? a : b, v * 37);
		jw_hist_record(all, v * 37);
	}
	sa = snap_of(a);
	sb = snap_of(b);
	sall = snap_of(all);
	jw_hist_merge(sa, sb);
	assert_memory_equal(sa, sall, sizeof(*sa));
	assert_int_equal(jw_hist_percentile(sa, 99), jw_hist_percentile(sall, 99));
	free(sa);
	free(sb);
	free(sall);
	free(a);
	free(b);
	free(all);
}

static void
empty_and_huge(void **state)
{
	struct jw_hist *h = hist_new();
	struct jw_hist_snap *s;

	(void)state;
	s = snap_of(h);
	assert_int_equal(s->count, 0);
	assert_int_equal(jw_hist_percentile(s, 50), 0);
	assert_int_equal(jw_hist_mean(s), 0);
	free(s);
	jw_hist_record(h, (uint64_t)1 << 60);
	jw_hist_record(h, 0);
	s = snap_of(h);
	assert_int_equal(jw_hist_percentile(s, 100), (uint64_t)1 << 60);
	assert_int_equal(jw_hist_percentile(s, 50), 0);
	free(s);
	free(h);
}

int
run_hist_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets_tile_the_range),
		cmocka_unit_test(percentiles_exact_small_values),
		cmocka_unit_test(percentiles_bucket_high_above_128),
		cmocka_unit_test(percentiles_two_modes),
		cmocka_unit_test(merge_equals_single_histogram),
		cmocka_unit_test(empty_and_huge),
	};
	return cmocka_run_group_tests_name("stats_hist", tests, NULL, NULL);
}
