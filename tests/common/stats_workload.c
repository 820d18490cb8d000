/* The known synthetic stats run (fixtures.h). No cmocka: the synthetic telemetry instance
 * of tests/integration links it too. */
#include <stdint.h>

#include "../common/fixtures.h"
#include "stats/stats.h"

void
jwt_stats_known_run(struct jw_stats_lcore *tx0, struct jw_stats_lcore *tx1,
		    struct jw_stats_lcore *ctl)
{
	int i;

	for (i = 0; i < 1000; i++) {
		struct jw_stats_lcore *tx = i % 2 ? tx1 : tx0;

		jw_stats_count_accepted(tx, 1);
		jw_stats_count_sent(tx, 1, 128, 180);
		jw_stats_record_ring_wait(tx, (uint64_t)i);
		jw_stats_loop_iteration(tx, 10, i % 4 != 0);
	}
	jw_stats_count_bursts(tx0, 7);
	jw_stats_set_mbufs_in_flight(tx0, 30);
	jw_stats_count_resent(tx1, 11, 1100);
	for (i = 0; i < 990; i++)
		jw_stats_count_acked(ctl, i < 7, 50000 + (uint64_t)i);
	jw_stats_count_failed(ctl, JW_R_TIMEOUT);
	jw_stats_count_failed(ctl, JW_R_TIMEOUT);
	jw_stats_count_failed(ctl, JW_R_NO_STREAM);
	jw_stats_count_reconnect(ctl);
	jw_stats_count_reconnect(ctl);
}
