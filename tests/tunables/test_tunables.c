#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <urcu-qsbr.h>

#include "tunables/tunables.h"
#include "tunables_tests.h"

static const struct jw_tunables base = {
	.window_min = 16, .window_max = 1024, .ack_timeout_ms = 2000, .ack_target_us = 500,
};

static int
teardown(void **state)
{
	(void)state;
	jw_tunables_fini();
	return 0;
}

static void
parse_accepts_pairs(void **state)
{
	struct jw_tunables t = base;
	char err[160] = "";

	(void)state;
	assert_int_equal(jw_tunables_parse("window_max=4096", &t, err, sizeof(err)), 0);
	assert_int_equal(t.window_max, 4096);
	assert_int_equal(t.window_min, 16);
	assert_int_equal(jw_tunables_parse(" window_min=1 ,ack_timeout_ms=250 ack_target_us=7,",
					   &t, err, sizeof(err)), 0);
	assert_int_equal(t.window_min, 1);
	assert_int_equal(t.ack_timeout_ms, 250);
	assert_int_equal(t.ack_target_us, 7);
	assert_int_equal(jw_tunables_parse("window_max=4294967295", &t, err, sizeof(err)), 0);
	assert_int_equal(t.window_max, UINT32_MAX);
}

static void
expect_parse_error(const char *params, const char *needle)
{
	struct jw_tunables t = base;
	char err[160] = "";

	assert_int_equal(jw_tunables_parse(params, &t, err, sizeof(err)), -EINVAL);
	assert_memory_equal(&t, &base, sizeof(t)); /* unchanged on error */
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s' for input '%s'", err, needle, params);
	assert_null(strchr(err, '"'));
	assert_null(strchr(err, '\n'));
}

static void
parse_rejects_garbage(void **state)
{
	char big[400];

	(void)state;
	expect_parse_error("", "no tunables");
	expect_parse_error(" , ,", "no tunables");
	expect_parse_error("window_max", "expected key=value");
	expect_parse_error("window_maxi=5", "unknown tunable 'window_maxi'");
	expect_parse_error("\"x\\\"=1", "unknown tunable '?x?" "?'");
	expect_parse_error("window_max=", "not a decimal");
	expect_parse_error("window_max=-1", "not a decimal");
	expect_parse_error("window_max=12a", "not a decimal");
	expect_parse_error("window_max=4294967296", "not a decimal");
	expect_parse_error("window_max=99999999999999999999", "not a decimal");
	expect_parse_error("window_max=0x10", "not a decimal");
	expect_parse_error("window_max=5,window_max=6", "given twice");
	expect_parse_error("window_min=1,bogus", "expected key=value");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_parse_error(big, "longer than");
	assert_int_equal(jw_tunables_parse(NULL, (struct jw_tunables *)(uintptr_t)&base, NULL, 0),
			 -EINVAL);
}

static void
validate_bounds(void **state)
{
	struct jw_tunables t;
	char err[160];

	(void)state;
	t = base;
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), 0);
	t.window_min = 0;
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "window_min"));
	t = base;
	t.window_max = 8;
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "window_max (8) is below window_min (16)");
	t = base;
	assert_int_equal(jw_tunables_validate(&t, 1023, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "window_max (1024) exceeds the window capacity (1023)");
	t = base;
	t.window_min = t.window_max; /* fixed window */
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), 0);
	t = base;
	t.ack_timeout_ms = JW_TUNABLES_ACK_TIMEOUT_MIN_MS - 1;
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "ack_timeout_ms (9) must be 10..600000");
	t.ack_timeout_ms = JW_TUNABLES_ACK_TIMEOUT_MIN_MS;
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), 0);
	t.ack_timeout_ms = JW_TUNABLES_ACK_TIMEOUT_MAX_MS + 1;
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), -EINVAL);
	t = base;
	t.ack_target_us = 0; /* no latency ceiling */
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), 0);
	t.ack_target_us = JW_TUNABLES_ACK_TARGET_MAX_US + 1;
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), -EINVAL);
	t.ack_target_us = JW_TUNABLES_ACK_TARGET_MAX_US;
	assert_int_equal(jw_tunables_validate(&t, 1024, err, sizeof(err)), 0);
}

static void
init_update_and_reject(void **state)
{
	struct jw_tunables t, applied;
	char err[160] = "";
	uint64_t rejected0 = jw_tunables_updates_rejected();
	uint64_t applied0 = jw_tunables_updates_applied();

	(void)state;
	assert_int_equal(jw_tunables_update("window_max=5", NULL, err, sizeof(err)), -ENOENT);
	assert_int_equal(jw_tunables_snapshot(&t), -ENOENT);
	assert_int_equal(jw_tunables_init(&base, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(jw_tunables_init(&base, 4096, err, sizeof(err)), 0);
	assert_int_equal(jw_tunables_init(&base, 4096, err, sizeof(err)), -EALREADY);
	assert_int_equal(jw_tunables_window_cap(), 4096);
	assert_int_equal(jw_tunables_snapshot(&t), 0);
	assert_int_equal(t.generation, 1);
	assert_int_equal(t.window_max, 1024);

	assert_int_equal(jw_tunables_update("window_max=2048,ack_timeout_ms=300", &applied, err,
					    sizeof(err)), 0);
	assert_int_equal(applied.window_max, 2048);
	assert_int_equal(applied.ack_timeout_ms, 300);
	assert_int_equal(applied.generation, 2);
	assert_int_equal(jw_tunables_updates_applied(), applied0 + 1);

	/* each rejected update leaves the set as it was and counts */
	assert_int_equal(jw_tunables_update("window_max=8192", NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "window_max (8192) exceeds the window capacity (4096)");
	assert_int_equal(jw_tunables_update("window_min=3000,window_max=2000", NULL, err,
					    sizeof(err)), -EINVAL);
	assert_int_equal(jw_tunables_update("nonsense", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(jw_tunables_updates_rejected(), rejected0 + 3);
	assert_int_equal(jw_tunables_snapshot(&t), 0);
	assert_memory_equal(&t, &applied, sizeof(t));
}

struct reader_arg {
	int stop;
	uint64_t reads;
	uint64_t bad;
	uint64_t max_gen;
};

static void *
qsbr_reader(void *p)
{
	struct reader_arg *a = p;

	rcu_register_thread();
	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		const struct jw_tunables *t;

		rcu_read_lock();
		t = jw_tunables_current();
		/* every published set is valid: a torn or freed one would show here (or ASan) */
		if (t == NULL || t->window_min > t->window_max || t->ack_timeout_ms == 0)
			a->bad++;
		else if (t->generation > a->max_gen)
			a->max_gen = t->generation;
		rcu_read_unlock();
		__atomic_store_n(&a->reads, a->reads + 1, __ATOMIC_RELEASE);
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

/* Updates while QSBR readers run: readers always see a complete, valid set; the old sets are
 * freed only after the readers passed a quiescent state (ASan reports a use after free). */
static void
updates_under_concurrent_readers(void **state)
{
	struct reader_arg a[2];
	pthread_t th[2];
	char err[160], params[80];
	int i;

	(void)state;
	memset(a, 0, sizeof(a));
	assert_int_equal(jw_tunables_init(&base, 1 << 20, err, sizeof(err)), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, qsbr_reader, &a[i]), 0);
	for (i = 0; i < 2; i++) /* both readers are inside their loop before the updates */
		while (__atomic_load_n(&a[i].reads, __ATOMIC_ACQUIRE) == 0)
			sched_yield();
	for (i = 0; i < 300; i++) {
		snprintf(params, sizeof(params), "window_min=%d,window_max=%d,ack_timeout_ms=%d",
			 1 + i, 1 + 2 * i, 10 + i % 7);
		assert_int_equal(jw_tunables_update(params, NULL, err, sizeof(err)), 0);
	}
	for (i = 0; i < 2; i++) {
		__atomic_store_n(&a[i].stop, 1, __ATOMIC_RELEASE);
		pthread_join(th[i], NULL);
		assert_int_equal(a[i].bad, 0);
		assert_true(a[i].reads > 0);
		assert_true(a[i].max_gen <= 301);
	}
}

int
run_tunables_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_accepts_pairs),
		cmocka_unit_test(parse_rejects_garbage),
		cmocka_unit_test(validate_bounds),
		cmocka_unit_test_teardown(init_update_and_reject, teardown),
		cmocka_unit_test_teardown(updates_under_concurrent_readers, teardown),
	};
	return cmocka_run_group_tests_name("stats_tunables", tests, NULL, NULL);
}
