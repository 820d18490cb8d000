#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "telemetry/telemetry_config.h"
#include "telemetry_tests.h"

static void
tunables_from_flow(void **state)
{
	struct jw_config c;
	struct jw_tunables t;
	char err[200];

	(void)state;
	jw_config_defaults(&c);
	jw_tunables_from_config(&c.flow, &t);
	assert_int_equal(t.window_min, c.flow.window_min);
	assert_int_equal(t.window_max, c.flow.window_max);
	assert_int_equal(t.ack_timeout_ms, c.flow.ack_timeout_ms);
	assert_int_equal(t.ack_target_us, c.flow.ack_target_us);
	/* every default is a valid tunables set, and so are the config's extreme bounds */
	assert_int_equal(jw_tunables_validate(&t, 1u << 20, err, sizeof(err)), 0);
	assert_int_equal(jw_config_set(&c, "flow", "window", "500", err, sizeof(err)), 0);
	assert_int_equal(jw_config_set(&c, "flow", "ack_timeout_ms", "10", err, sizeof(err)), 0);
	assert_int_equal(jw_config_set(&c, "flow", "ack_target_us", "10000000", err, sizeof(err)),
			 0);
	jw_tunables_from_config(&c.flow, &t);
	assert_int_equal(t.window_min, 500); /* a fixed window: min == max */
	assert_int_equal(t.window_max, 500);
	assert_int_equal(jw_tunables_validate(&t, 500, err, sizeof(err)), 0);
}

struct seen {
	int n;
	int window_max_seen;
	char instance[64];
};

static void
emit(void *ectx, const char *section, const char *key, const char *value)
{
	struct seen *s = ectx;

	s->n++;
	if (strcmp(section, "flow") == 0 && strcmp(key, "window_max") == 0)
		s->window_max_seen = strcmp(value, "2048") == 0;
	if (strcmp(section, "shm") == 0 && strcmp(key, "instance") == 0)
		snprintf(s->instance, sizeof(s->instance), "%s", value);
}

/* With [stats] enabled = no, jw_stats_start needs no EAL: identity, tunables, config view. */
static void
start_without_socket(void **state)
{
	struct jw_config c;
	struct jw_stats_identity *id = malloc(sizeof(*id));
	struct jw_tunables t;
	struct seen s = { 0 };
	char err[200] = "";
	int i, found_dedupe = 0;

	(void)state;
	assert_non_null(id);
	jw_config_defaults(&c);
	assert_int_equal(jw_config_set(&c, "stats", "enabled", "no", err, sizeof(err)), 0);
	assert_int_equal(jw_config_set(&c, "shm", "instance", "glue1", err, sizeof(err)), 0);
	assert_int_equal(jw_config_set(&c, "flow", "window_max", "2048", err, sizeof(err)), 0);

	/* a pending window smaller than window_max is refused with the reason */
	assert_int_equal(jw_stats_start(&c, "9.9", 1024, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "window_max (2048) exceeds the window capacity (1024)");
	assert_int_equal(jw_tunables_snapshot(&t), -ENOENT);
	jw_stats_stop();

	assert_int_equal(jw_stats_start(&c, "9.9", 4096, err, sizeof(err)), 0);
	assert_int_equal(jw_tunables_snapshot(&t), 0);
	assert_int_equal(t.window_max, 2048);
	assert_int_equal(t.window_min, c.flow.window_min);
	jw_stats_read_identity(id);
	assert_string_equal(id->instance, "glue1");
	assert_string_equal(id->version, "9.9");
	for (i = 0; i < id->n_info; i++)
		if (strcmp(id->info[i].key, "dedupe") == 0)
			found_dedupe = strcmp(id->info[i].value, "msgid") == 0;
	assert_true(found_dedupe);
	assert_int_equal(jw_stats_read_config(emit, &s), 0);
	assert_true(s.n > 30); /* every key of the schema */
	assert_true(s.window_max_seen);
	assert_string_equal(s.instance, "glue1");
	jw_stats_stop();
	assert_int_equal(jw_tunables_snapshot(&t), -ENOENT);
	assert_int_equal(jw_stats_read_config(emit, &s), -ENOENT);
	free(id);
}

int
run_config_glue_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tunables_from_flow),
		cmocka_unit_test(start_without_socket),
	};
	return cmocka_run_group_tests_name("stats_config_glue", tests, NULL, NULL);
}
