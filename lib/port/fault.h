/* The fault-injection stage of the port layer: drop, duplicate and reorder packets with
 * configured probabilities ([fault] tx_drop rx_drop tx_dup rx_dup tx_reorder rx_reorder,
 * seed). Off unless configured: a queue whose probabilities are all 0 never enters it.
 *
 * Semantics, per packet, in this order:
 *   drop     with p_drop the packet is freed (counted `dropped`);
 *   dup      with p_dup a full copy (rte_pktmbuf_copy into the packet's own pool) follows
 *            it (counted `duplicated`; `dup_nomem` when no mbuf was free). A copy, not a
 *            reference: receivers adjust mbuf metadata and TX may chain headers;
 *   reorder  with p_reorder the packet is held back and emitted right after the next
 *            packet that passes this stage (counted `reordered`). At most one packet is
 *            held per queue; jw_fault_flush() releases it (the port does so when a queue
 *            is idle, so a held packet is late by at most one burst, never lost).
 * Decisions come from a per-queue xorshift64* generator seeded from (seed, direction,
 * queue), so a run is reproducible for a given seed and packet sequence.
 *
 * Threading: a struct jw_fault_q belongs to the one lcore that polls its queue; none of
 * these calls may run concurrently on the same jw_fault_q. Counters are written with
 * jw_stat_add() (relaxed) and may be read from any thread with jw_stat_read().
 */
#ifndef JW_PORT_FAULT_H
#define JW_PORT_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "common/jw_common.h"
#include "port/port-t.h"

/* Configure q with probabilities in [0, 1] and a stream id (seed mixed with direction and
 * queue by the caller). Returns 0, or -EINVAL for a probability outside [0, 1]. Any held
 * packet must have been flushed before. */
int jw_fault_init(struct jw_fault_q *q, double p_drop, double p_dup, double p_reorder,
		  uint64_t seed);

/* Run n packets through the stage. Takes ownership of in[0..n-1]; writes the surviving
 * packets, copies and released held packets to out[], which must have room for 2 * n + 1
 * entries; returns how many it wrote. */
uint16_t jw_fault_apply(struct jw_fault_q *q, struct rte_mbuf **in, uint16_t n,
			struct rte_mbuf **out);

/* Release the held packet, if any, into *out. Returns 1 if it wrote one, else 0. */
uint16_t jw_fault_flush(struct jw_fault_q *q, struct rte_mbuf **out);

/* Free a held packet (at shutdown). */
void jw_fault_discard(struct jw_fault_q *q);

/* The generator: exposed for tests. */
static inline uint64_t
jw_fault_rand(struct jw_fault_q *q)
{
	uint64_t x = q->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	q->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

#endif /* JW_PORT_FAULT_H */
