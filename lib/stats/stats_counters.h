/* jetwire stats: single-writer counter primitives.
 *
 * Every counter has exactly one writer thread. The writer adds with a relaxed atomic load of
 * its own value and a relaxed atomic store of the sum: on x86-64 that is a plain load, add
 * and store (no lock prefix), so the data path pays what a non-atomic increment costs, and
 * the compiler may not tear or invent the stores. Readers on other threads use
 * jw_stat_read(): a relaxed atomic load that sees some recent value, never a torn one.
 *
 * Memory ordering: no acquire/release pairs are needed, because readers only report
 * counters and never use one counter to reason about another memory location. Totals summed
 * over counters are therefore "a recent value of each", not an atomic snapshot; e.g. acked
 * may briefly exceed sent by a few in a reading. The one ordered access is the publication
 * of a new lcore block (release in registration, acquire in readers; stats_lcore.h).
 *
 * Concurrency table:
 *   jw_stat_add / jw_stat_set  only the owning thread of the counter
 *   jw_stat_read               any thread, any time, concurrently with the writer
 */
#ifndef JW_STATS_COUNTERS_H
#define JW_STATS_COUNTERS_H

#include <stdint.h>

/* Add n to a counter this thread owns. Accepts any n; wraps modulo 2^64. */
static inline void
jw_stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Set a gauge this thread owns. */
static inline void
jw_stat_set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

/* Read a counter from any thread. */
static inline uint64_t
jw_stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif /* JW_STATS_COUNTERS_H */
