/* lib/stats: per-lcore counter blocks and the calls the data path makes.
 *
 * An lcore calls jw_stats_lcore_register() once before its poll loop and keeps the returned
 * block; from then on it is the only writer of that block and counts with the inline calls
 * below (each is a few plain loads and stores, see common/jw_atomic.h). Blocks live until
 * jw_stats_lcore_release_all() at process exit, so readers reach them without RCU.
 *
 * Concurrency table:
 *   jw_stats_lcore_register        any thread (mutex); the owner lcore before its loop
 *   jw_stats_count_* / loop_*      only the thread that owns the block
 *   jw_stats_lcore_get / _sum / _read / jw_stats_latency_read
 *                                  any thread, concurrently with writers and registration
 *   jw_stats_lcore_release_all     only when no writer and no reader runs (exit, tests)
 * Ordering: the block pointer is published with a release store in register and read with
 * an acquire load in readers, so a reader that sees the pointer sees the initialised block.
 */
#ifndef JW_STATS_H
#define JW_STATS_H

#include <stdint.h>

#include "jetwire.h"
#include "stats/stats-t.h"
#include "common/jw_atomic.h"
#include "common/jw_hist.h"

/* Get the block of lcore_id, creating it zeroed on first call. A second call for the same
 * lcore returns the same block (counters keep counting) and updates the role.
 * Rejects lcore_id >= JW_STATS_MAX_LCORES and an unknown role (NULL, errno EINVAL);
 * NULL with errno ENOMEM when allocation fails. */
struct jw_stats_lcore *jw_stats_lcore_register(unsigned lcore_id, enum jw_stats_lcore_role role);

/* The block of lcore_id, or NULL when none is registered. */
const struct jw_stats_lcore *jw_stats_lcore_get(unsigned lcore_id);

/* Copy one block's counters into *out (relaxed loads). */
void jw_stats_lcore_read(const struct jw_stats_lcore *b, struct jw_stats_totals *out);

/* Sum the counters of every registered lcore into *out; returns the number of lcores. */
int jw_stats_lcore_sum(struct jw_stats_totals *out);

/* Merge the ack-latency and ring-wait histograms of every lcore into the two snapshots
 * (either may be NULL). Returns the number of lcores merged, or -ENOMEM. */
int jw_stats_latency_read(struct jw_hist_snap *ack_latency, struct jw_hist_snap *ring_wait);

/* Free every block. Only when nothing writes or reads them any more. */
void jw_stats_lcore_release_all(void);

/* Names for enum values, stable identifiers (telemetry keys, Prometheus labels).
 * Out-of-range values give "other"/"unknown". */
const char *jw_stats_fail_reason_name(unsigned reason);
const char *jw_stats_role_name(unsigned role);

/* ---- data-path calls: owner lcore only ---- */

/* n records taken from producer rings. */
static inline void
jw_stats_count_accepted(struct jw_stats_lcore *b, uint64_t n)
{
	jw_stat_add(&b->msg.accepted, n);
}

/* n first sends carrying payload_bytes of message payload in wire_bytes of TCP payload. */
static inline void
jw_stats_count_sent(struct jw_stats_lcore *b, uint64_t n, uint64_t payload_bytes,
		    uint64_t wire_bytes)
{
	jw_stat_add(&b->msg.sent, n);
	jw_stat_add(&b->msg.bytes, payload_bytes);
	jw_stat_add(&b->msg.wire_bytes, wire_bytes);
}

/* n resends in wire_bytes of TCP payload. */
static inline void
jw_stats_count_resent(struct jw_stats_lcore *b, uint64_t n, uint64_t wire_bytes)
{
	jw_stat_add(&b->msg.resends, n);
	jw_stat_add(&b->msg.wire_bytes, wire_bytes);
}

/* One final PubAck; ack_latency_ns = ack arrival - first send. */
static inline void
jw_stats_count_acked(struct jw_stats_lcore *b, int duplicate, uint64_t ack_latency_ns)
{
	jw_stat_add(&b->msg.acked, 1);
	if (duplicate)
		jw_stat_add(&b->msg.duplicate, 1);
	jw_hist_record(&b->ack_latency_ns, ack_latency_ns);
}

/* One final failure; reason is the report's JW_R_* value. JW_R_NONE and out-of-range
 * values are counted as "other". */
static inline void
jw_stats_count_failed(struct jw_stats_lcore *b, int reason)
{
	if (reason <= 0 || reason >= JW_STATS_FAIL__COUNT)
		reason = JW_STATS_FAIL_OTHER;
	jw_stat_add(&b->msg.failed[reason], 1);
}

static inline void
jw_stats_count_reconnect(struct jw_stats_lcore *b)
{
	jw_stat_add(&b->msg.reconnects, 1);
}

/* Time a record waited in its producer ring: first send - enqueue, nanoseconds. */
static inline void
jw_stats_record_ring_wait(struct jw_stats_lcore *b, uint64_t ns)
{
	jw_hist_record(&b->ring_wait_ns, ns);
}

/* One poll-loop iteration that took `cycles` TSC cycles; busy when it did any work. */
static inline void
jw_stats_loop_iteration(struct jw_stats_lcore *b, uint64_t cycles, int busy)
{
	jw_stat_add(&b->loop.loops, 1);
	jw_stat_add(busy ? &b->loop.busy_cycles : &b->loop.idle_cycles, cycles);
}

/* n non-empty bursts (rx or tx). */
static inline void
jw_stats_count_bursts(struct jw_stats_lcore *b, uint64_t n)
{
	jw_stat_add(&b->loop.bursts, n);
}

/* Gauge: mbufs this lcore currently holds. */
static inline void
jw_stats_set_mbufs_in_flight(struct jw_stats_lcore *b, uint64_t n)
{
	jw_stat_set(&b->loop.mbufs_in_flight, n);
}

#endif /* JW_STATS_H */
