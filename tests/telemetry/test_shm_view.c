#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "jetwire.h"
#include "shm/shm.h"
#include "telemetry/telemetry_registry.h"
#include "telemetry/telemetry_shm.h"
#include "telemetry_tests.h"

/* The producers view over real shm slots: owner, ring fill, unsent bytes and EAGAIN count
 * follow what a producer and the consumer calls did, exactly. */
static void
shm_view_follows_slots(void **state)
{
	char inst[JW_SHM_INSTANCE_MAX], err[256] = "", buf[200] = { 0 };
	struct jw_shm_params sp = { .instance = inst, .n_tx = 2, .slots_per_tx = 2,
				    .ring_bytes = 4096, .report_entries = 16 };
	struct jw_open_opts o = { .instance = inst, .tx_lcore = 1 };
	struct jw_stats_producer out[8];
	struct jw_shm_view v[64];
	struct jw_shm_slot *s;
	struct jw_shm *shm;
	jw_producer *p = NULL;
	unsigned accepted = 0, n;
	int rc, eagain = 0;

	(void)state;
	snprintf(inst, sizeof(inst), "tstats%d", (int)getpid());
	shm = jw_shm_create(&sp, err, sizeof(err));
	if (shm == NULL)
		fail_msg("jw_shm_create: %s", err);
	assert_int_equal(jw_stats_shm_producers(shm, out, 8), 0); /* all free, nothing counted */

	assert_int_equal(jw_open(&p, &o), 0);
	while ((rc = jw_publish(p, "f", buf, sizeof(buf), NULL)) == 0)
		accepted++;
	assert_int_equal(rc, JW_EAGAIN);
	eagain++;
	assert_int_equal(jw_publish(p, "f", buf, sizeof(buf), NULL), JW_EAGAIN);
	eagain++;

	assert_int_equal(jw_stats_shm_producers(shm, out, 8), 1);
	assert_int_equal(out[0].tx, 1);
	assert_int_equal(out[0].slot, 2 + out[0].slot % 2); /* tx 1's slots are 2 and 3 */
	assert_int_equal(out[0].pid, getpid());
	assert_string_equal(out[0].state, "owned");
	assert_true(out[0].published == JW_STATS_UNKNOWN);
	assert_int_equal(out[0].ring_size_bytes, 4096);
	assert_int_equal(out[0].ring_used_bytes, accepted * JW_REC_SIZE(1, 0, 200));
	assert_int_equal(out[0].unsent_bytes, out[0].ring_used_bytes);
	assert_int_equal(out[0].n_rejected, 1);
	assert_int_equal(out[0].rejected[0].code, JW_EAGAIN);
	assert_int_equal(out[0].rejected[0].count, eagain);

	/* the consumer sends two records and releases one */
	s = jw_shm_slot(shm, 1, out[0].slot - 2);
	n = jw_shm_peek(shm, s, v, 64);
	assert_int_equal(n, accepted);
	assert_int_equal(jw_shm_mark_sent(shm, s, v[1].end), 0);
	assert_int_equal(jw_shm_release(shm, s, v[0].end), 0);
	assert_int_equal(jw_stats_shm_producers(shm, out, 8), 1);
	assert_int_equal(out[0].unsent_bytes, (accepted - 2) * JW_REC_SIZE(1, 0, 200));
	assert_int_equal(out[0].ring_used_bytes, (accepted - 1) * JW_REC_SIZE(1, 0, 200));
	assert_int_equal(jw_stats_shm_producers(shm, out, 0), 0); /* max respected */

	/* through the registry, as the telemetry thread reads it */
	assert_int_equal(jw_stats_register_producers(jw_stats_shm_producers, shm), 0);
	assert_int_equal(jw_stats_read_producers(out, 8), 1);
	assert_int_equal(jw_stats_register_producers(NULL, NULL), 0);

	jw_close(p);
	jw_shm_destroy(shm);
}

int
run_shm_view_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shm_view_follows_slots),
	};
	return cmocka_run_group_tests_name("stats_shm_view", tests, NULL, NULL);
}
