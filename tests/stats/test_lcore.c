#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/fixtures.h"
#include "stats/stats.h"
#include "stats_tests.h"

static int
teardown(void **state)
{
	(void)state;
	jw_stats_lcore_release_all();
	return 0;
}

static void
register_rejects_and_aligns(void **state)
{
	struct jw_stats_lcore *a, *b;

	(void)state;
	errno = 0;
	assert_null(jw_stats_lcore_register(JW_STATS_MAX_LCORES, JW_STATS_ROLE_TX));
	assert_int_equal(errno, EINVAL);
	assert_null(jw_stats_lcore_register(1, (enum jw_stats_lcore_role)JW_STATS_ROLE__COUNT));
	a = jw_stats_lcore_register(1, JW_STATS_ROLE_TX);
	assert_non_null(a);
	assert_int_equal((uintptr_t)a % JW_CACHE_LINE, 0);
	assert_int_equal(sizeof(*a) % JW_CACHE_LINE, 0);
	jw_stats_count_accepted(a, 5);
	b = jw_stats_lcore_register(1, JW_STATS_ROLE_CONTROL);
	assert_ptr_equal(a, b); /* same block, counters kept */
	assert_int_equal(jw_stat_read(&b->msg.accepted), 5);
	assert_int_equal(b->role, JW_STATS_ROLE_CONTROL);
	assert_ptr_equal(jw_stats_lcore_get(1), a);
	assert_null(jw_stats_lcore_get(2));
	assert_null(jw_stats_lcore_get(100000));
	assert_string_equal(jw_stats_role_name(JW_STATS_ROLE_TX), "tx");
	assert_string_equal(jw_stats_role_name(77), "unknown");
	assert_string_equal(jw_stats_fail_reason_name(JW_R_TIMEOUT), "timeout");
	assert_string_equal(jw_stats_fail_reason_name(1000), "other");
	assert_string_equal(jw_stats_fail_reason_name(JW_R_NONE), "other");
	assert_string_equal(jw_stats_fail_reason_name(JW_R_SHUTDOWN), "shutdown");
	assert_string_equal(jw_stats_fail_reason_name(JW_R_MAX - 1), "shutdown");
}

/* A known run over two TX lcores and a control lcore; the sums must match exactly. */
static void
known_run_sums_exactly(void **state)
{
	struct jw_stats_lcore *tx0 = jw_stats_lcore_register(2, JW_STATS_ROLE_TX);
	struct jw_stats_lcore *tx1 = jw_stats_lcore_register(3, JW_STATS_ROLE_TX);
	struct jw_stats_lcore *ctl = jw_stats_lcore_register(4, JW_STATS_ROLE_CONTROL);
	struct jw_stats_totals t;
	struct jw_hist_snap *ack = malloc(sizeof(*ack)), *wait = malloc(sizeof(*wait));

	(void)state;
	assert_non_null(ack);
	assert_non_null(wait);
	jwt_stats_known_run(tx0, tx1, ctl);
	jw_stats_set_mbufs_in_flight(tx1, 12);
	jw_stats_count_failed(ctl, 999); /* out of range: counted as other */
	jw_stats_count_failed(ctl, JW_R_NONE);

	assert_int_equal(jw_stats_lcore_sum(&t), 3);
	assert_int_equal(t.msg.accepted, 1000);
	assert_int_equal(t.msg.sent, 1000);
	assert_int_equal(t.msg.bytes, 128000);
	assert_int_equal(t.msg.wire_bytes, 180000 + 1100);
	assert_int_equal(t.msg.resends, 11);
	assert_int_equal(t.msg.acked, 990);
	assert_int_equal(t.msg.duplicate, 7);
	assert_int_equal(t.msg.failed[JW_R_TIMEOUT], 2);
	assert_int_equal(t.msg.failed[JW_R_NO_STREAM], 1);
	assert_int_equal(t.msg.failed[JW_STATS_FAIL_OTHER], 2);
	assert_int_equal(t.msg.failed[JW_R_JS_ERROR], 0);
	assert_int_equal(t.msg.reconnects, 2);
	assert_int_equal(t.loop.loops, 1000);
	assert_int_equal(t.loop.busy_cycles, 7500);
	assert_int_equal(t.loop.idle_cycles, 2500);
	assert_int_equal(t.loop.bursts, 7);
	assert_int_equal(t.loop.mbufs_in_flight, 42);

	assert_int_equal(jw_stats_latency_read(ack, wait), 3);
	assert_int_equal(ack->count, 990);
	assert_int_equal(ack->min, 50000);
	assert_int_equal(ack->max, 50989);
	assert_int_equal(wait->count, 1000);
	assert_int_equal(jw_hist_percentile(wait, 50), 499);  /* rank 500 = 499, bucket [496, 499] */
	free(ack);
	free(wait);
}

struct race {
	struct jw_stats_lcore *b;
	uint64_t n;
	int done;
};

static void *
writer(void *arg)
{
	struct race *r = arg;
	uint64_t i;

	for (i = 0; i < r->n; i++)
		jw_stats_count_sent(r->b, 1, 1, 1);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A reader concurrent with the writer only ever sees counts that never go backwards, and the
 * final count is exact: no update is lost, none torn. */
static void
concurrent_reader_sees_monotonic_counts(void **state)
{
	struct race r = { .b = jw_stats_lcore_register(7, JW_STATS_ROLE_TX), .n = 2000000 };
	struct jw_stats_totals t;
	uint64_t last = 0;
	pthread_t th;

	(void)state;
	assert_non_null(r.b);
	assert_int_equal(pthread_create(&th, NULL, writer, &r), 0);
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
		jw_stats_lcore_read(r.b, &t);
		assert_true(t.msg.sent >= last);
		assert_true(t.msg.sent <= r.n);
		last = t.msg.sent;
	}
	pthread_join(th, NULL);
	jw_stats_lcore_read(r.b, &t);
	assert_int_equal(t.msg.sent, r.n);
	assert_int_equal(t.msg.bytes, r.n);
}

int
run_lcore_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(register_rejects_and_aligns, teardown),
		cmocka_unit_test_teardown(known_run_sums_exactly, teardown),
		cmocka_unit_test_teardown(concurrent_reader_sees_monotonic_counts, teardown),
	};
	return cmocka_run_group_tests_name("stats_lcore", tests, NULL, NULL);
}
