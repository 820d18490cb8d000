/* The fault-injection stage (see fault.h for the semantics). */
#include <errno.h>
#include <string.h>

#include "port/fault.h"
#include "common/jw_atomic.h"

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static uint64_t
threshold(double p)
{
	if (p <= 0.0)
		return 0;
	if (p >= 1.0)
		return UINT64_MAX;
	return (uint64_t)(p * 18446744073709551616.0);
}

static inline bool
hit(struct jw_fault_q *q, uint64_t thr)
{
	if (thr == 0)
		return false;
	if (thr == UINT64_MAX)
		return true;
	return jw_fault_rand(q) < thr;
}

int
jw_fault_init(struct jw_fault_q *q, double p_drop, double p_dup, double p_reorder,
	      uint64_t seed)
{
	if (!(p_drop >= 0.0 && p_drop <= 1.0) || !(p_dup >= 0.0 && p_dup <= 1.0) ||
	    !(p_reorder >= 0.0 && p_reorder <= 1.0))
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->drop_thr = threshold(p_drop);
	q->dup_thr = threshold(p_dup);
	q->reorder_thr = threshold(p_reorder);
	q->enabled = q->drop_thr || q->dup_thr || q->reorder_thr;
	q->rng = splitmix64(seed);
	if (q->rng == 0)
		q->rng = 0x9E3779B97F4A7C15ull;
	return 0;
}

/* Emit one packet through the reorder decision. */
static inline uint16_t
emit(struct jw_fault_q *q, struct rte_mbuf *m, struct rte_mbuf **out, uint16_t k)
{
	if (q->held) {
		out[k++] = m;          /* m overtakes the held packet */
		out[k++] = q->held;
		q->held = NULL;
	} else if (hit(q, q->reorder_thr)) {
		q->held = m;
		jw_stat_add(&q->cnt.reordered, 1);
	} else {
		out[k++] = m;
	}
	return k;
}

uint16_t
jw_fault_apply(struct jw_fault_q *q, struct rte_mbuf **in, uint16_t n, struct rte_mbuf **out)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i], *copy = NULL;

		if (hit(q, q->drop_thr)) {
			rte_pktmbuf_free(m);
			jw_stat_add(&q->cnt.dropped, 1);
			continue;
		}
		if (hit(q, q->dup_thr)) {
			copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
			if (copy)
				jw_stat_add(&q->cnt.duplicated, 1);
			else
				jw_stat_add(&q->cnt.dup_nomem, 1);
		}
		k = emit(q, m, out, k);
		if (copy)
			k = emit(q, copy, out, k);
	}
	return k;
}

uint16_t
jw_fault_flush(struct jw_fault_q *q, struct rte_mbuf **out)
{
	if (!q->held)
		return 0;
	out[0] = q->held;
	q->held = NULL;
	return 1;
}

void
jw_fault_discard(struct jw_fault_q *q)
{
	if (q->held) {
		rte_pktmbuf_free(q->held);
		q->held = NULL;
	}
}
