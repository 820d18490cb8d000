#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "telemetry/telemetry_registry.h"
#include "telemetry_tests.h"

static int conns_calls;

static int
fake_conns(void *ctx, struct jw_stats_conn *out, int max)
{
	int i, n = *(int *)ctx;

	conns_calls++;
	for (i = 0; i < n && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].id = (uint32_t)i;
		snprintf(out[i].state, sizeof(out[i].state), "established");
		out[i].js_window = 100 + (uint32_t)i;
	}
	return n; /* may exceed max on purpose: the registry clamps */
}

static int
fake_producers(void *ctx, struct jw_stats_producer *out, int max)
{
	(void)ctx;
	(void)out;
	(void)max;
	return -5; /* a broken view: clamped to 0 */
}

struct kv_seen {
	int n;
	char last[128];
};

static void
kv_emit(void *ectx, const char *section, const char *key, const char *value)
{
	struct kv_seen *s = ectx;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s.%s=%s", section, key, value);
}

static int
fake_config(void *ctx, jw_stats_kv_emit_fn emit, void *ectx)
{
	(void)ctx;
	emit(ectx, "flow", "window_max", "1024");
	emit(ectx, "stats", "enabled", "true");
	return 0;
}

static void
views_register_read_unregister(void **state)
{
	struct jw_stats_conn c[4];
	struct jw_stats_producer p[2];
	struct kv_seen seen = { 0 };
	int three = 3, nine = 9;

	(void)state;
	assert_int_equal(jw_stats_read_conns(c, 4), -ENOENT);
	assert_int_equal(jw_stats_read_conns(NULL, 4), -EINVAL);
	assert_int_equal(jw_stats_read_config(kv_emit, &seen), -ENOENT);
	assert_int_equal(jw_stats_register_conns(fake_conns, &three), 0);
	assert_int_equal(jw_stats_read_conns(c, 4), 3);
	assert_int_equal(c[2].js_window, 102);
	assert_string_equal(c[1].state, "established");
	assert_int_equal(jw_stats_register_conns(fake_conns, &nine), 0); /* replace */
	assert_int_equal(jw_stats_read_conns(c, 4), 4);
	assert_int_equal(jw_stats_read_conns(c, 0), 0);
	assert_int_equal(jw_stats_register_producers(fake_producers, NULL), 0);
	assert_int_equal(jw_stats_read_producers(p, 2), 0);
	assert_int_equal(jw_stats_register_config(fake_config, NULL), 0);
	assert_int_equal(jw_stats_read_config(kv_emit, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.last, "stats.enabled=true");
	assert_int_equal(jw_stats_register_conns(NULL, NULL), 0);
	conns_calls = 0;
	assert_int_equal(jw_stats_read_conns(c, 4), -ENOENT);
	assert_int_equal(conns_calls, 0);
	jw_stats_registry_fini();
	assert_int_equal(jw_stats_read_producers(p, 2), -ENOENT);
}

static void
identity_info_and_names(void **state)
{
	struct jw_stats_identity id;
	char name[32], longv[200];

	(void)state;
	assert_int_equal(jw_stats_set_identity("eu1", "0.1.0"), 0);
	assert_int_equal(jw_stats_set_identity(NULL, "x"), -EINVAL);
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	assert_int_equal(jw_stats_set_identity(longv, "x"), -EINVAL);
	assert_int_equal(jw_stats_set_info("server", "198.18.0.1:4222"), 0);
	assert_int_equal(jw_stats_set_info("server", "198.18.0.1:4223"), 0); /* replaces */
	assert_int_equal(jw_stats_set_info("bad key", "v"), -EINVAL);
	assert_int_equal(jw_stats_set_info("", "v"), -EINVAL);
	assert_int_equal(jw_stats_set_info("k\"", "v"), -EINVAL);
	assert_int_equal(jw_stats_set_info("k", longv), -EINVAL);
	jw_stats_read_identity(&id);
	assert_string_equal(id.instance, "eu1");
	assert_string_equal(id.version, "0.1.0");
	assert_int_equal(id.n_info, 1);
	assert_string_equal(id.info[0].value, "198.18.0.1:4223");

	jw_stats_reject_name(-11, name, sizeof(name)); /* JW_EAGAIN, named by default */
	assert_string_equal(name, "EAGAIN");
	jw_stats_reject_name(-1002, name, sizeof(name));
	assert_string_equal(name, "ECLOSED");
	jw_stats_reject_name(-4, name, sizeof(name));
	assert_string_equal(name, "code_4");
	assert_int_equal(jw_stats_set_reject_name(-4, "EINTR"), 0);
	jw_stats_reject_name(-4, name, sizeof(name));
	assert_string_equal(name, "EINTR");
	assert_int_equal(jw_stats_set_reject_name(-5, "has space"), -EINVAL);
	assert_int_equal(jw_stats_set_reject_name(-5, ""), -EINVAL);
}

int
run_registry_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(views_register_read_unregister),
		cmocka_unit_test(identity_info_and_names),
	};
	return cmocka_run_group_tests_name("stats_registry", tests, NULL, NULL);
}
