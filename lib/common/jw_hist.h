/* Log-linear histogram (see jw_hist-t.h for the bucket layout): the one implementation,
 * used live by the per-lcore stats blocks (struct jw_hist, single writer, any readers) and
 * single-threaded by jwpub and the benchmarks (struct jw_hist_snap with jw_hist_snap_add).
 *
 * Concurrency table:
 *   jw_hist_init, jw_hist_record   the single writer of that histogram only
 *   jw_hist_read                   any thread, concurrently with the writer (relaxed loads;
 *                                  the copy may mix a few records, never tear a counter)
 *   jw_hist_snap_* / merge / value_at / percentile   on the reader's own copy only
 * No acquire/release pairs: see common/jw_atomic.h for why relaxed accesses suffice.
 */
#ifndef JW_HIST_H
#define JW_HIST_H

#include <stdint.h>

#include "common/jw_atomic.h"
#include "common/jw_hist-t.h"

/* Bucket index of value v: exact below 64, log-linear above, clamped to the last bucket. */
static inline unsigned
jw_hist_index(uint64_t v)
{
	unsigned e, shift;

	if (v < JW_HIST_SUB)
		return (unsigned)v;
	if (v >> (JW_HIST_MAX_EXP + 1))
		return JW_HIST_BUCKETS - 1;
	e = 63u - (unsigned)__builtin_clzll(v); /* >= JW_HIST_SUB_BITS */
	shift = e - JW_HIST_SUB_BITS;
	return JW_HIST_SUB + shift * JW_HIST_SUB + (unsigned)((v >> shift) - JW_HIST_SUB);
}

/* Record one value. Writer only; no RMW instructions (common/jw_atomic.h). */
static inline void
jw_hist_record(struct jw_hist *h, uint64_t v)
{
	jw_stat_add(&h->buckets[jw_hist_index(v)], 1);
	jw_stat_add(&h->sum, v);
	if (v > jw_stat_read(&h->max))
		jw_stat_set(&h->max, v);
	if (v < jw_stat_read(&h->min))
		jw_stat_set(&h->min, v);
}

/* Empty the histogram. Writer only, before readers may see it. */
void jw_hist_init(struct jw_hist *h);

/* Smallest and largest value that fall into bucket i (i < JW_HIST_BUCKETS). */
uint64_t jw_hist_bucket_low(unsigned i);
uint64_t jw_hist_bucket_high(unsigned i);

/* Empty snapshot (count 0, min UINT64_MAX). */
void jw_hist_snap_init(struct jw_hist_snap *s);

/* Copy the live histogram h into s (overwrites s). Any thread. */
void jw_hist_read(const struct jw_hist *h, struct jw_hist_snap *s);

/* Record one value into a plain copy that one thread owns (no atomics; for tools that
 * measure on one thread, such as jwpub's call latencies). Accepts any v. */
static inline void
jw_hist_snap_add(struct jw_hist_snap *s, uint64_t v)
{
	s->buckets[jw_hist_index(v)]++;
	s->count++;
	s->sum += v;
	if (v > s->max)
		s->max = v;
	if (v < s->min)
		s->min = v;
}

/* Add src into dst: the result is what one histogram recording both would hold. */
void jw_hist_merge(struct jw_hist_snap *dst, const struct jw_hist_snap *src);

/* Value at rank ceil(ppm * count / 10^6) (nearest-rank; ppm 0 gives the minimum, ppm
 * 1000000 the maximum). Returns the highest value of that rank's bucket, clamped into
 * [min, max], so results are exact below 128 and within 1/64 above. Rejects nothing:
 * an empty snapshot gives 0, ppm above 10^6 is treated as 10^6. */
uint64_t jw_hist_value_at(const struct jw_hist_snap *s, uint32_t ppm);

/* Same with a percentage (e.g. 99.9), rounded to parts per million. */
uint64_t jw_hist_percentile(const struct jw_hist_snap *s, double pct);

/* Integer mean (sum / count), 0 when empty. */
uint64_t jw_hist_mean(const struct jw_hist_snap *s);

#endif /* JW_HIST_H */
