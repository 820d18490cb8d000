/* Log-linear latency histogram for jwpub and the producer benchmark: values below 128 are
 * exact, larger ones fall into 64 sub-buckets per power of two (under 1.6 % error). Adding a
 * value is a few instructions and never allocates. Single-threaded. */
#ifndef JW_LAT_HIST_H
#define JW_LAT_HIST_H

#include <stdint.h>

#define JW_LHIST_LINEAR 128u
#define JW_LHIST_SUB    64u
#define JW_LHIST_BUCKETS (JW_LHIST_LINEAR + (64u - 7u) * JW_LHIST_SUB)

struct jw_lhist {
	uint64_t count, sum, min, max;
	uint64_t b[JW_LHIST_BUCKETS];
};

static inline unsigned
jw_lhist_bucket(uint64_t v)
{
	unsigned e;

	if (v < JW_LHIST_LINEAR)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);                 /* 7..63 */
	return JW_LHIST_LINEAR + (e - 7u) * JW_LHIST_SUB + (unsigned)((v >> (e - 6u)) & 63u);
}

static inline void
jw_lhist_add(struct jw_lhist *h, uint64_t v)
{
	h->b[jw_lhist_bucket(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	if (v < h->min || h->count == 1)
		h->min = v;
}

/* Cheap timestamps for measuring calls: the TSC on x86-64 (ordered by lfence), else
 * CLOCK_MONOTONIC nanoseconds. Convert differences with jw_lhist_ns_per_tick(). */
#if defined(__x86_64__)
static inline uint64_t
jw_lhist_ticks(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}
#else
#include <time.h>
static inline uint64_t
jw_lhist_ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
#endif

/* Nanoseconds per jw_lhist_ticks() tick, measured once (about 20 ms) and cached. */
double jw_lhist_ns_per_tick(void);

/* Zeroes h. */
void jw_lhist_init(struct jw_lhist *h);

/* Value at quantile q (0..1): the middle of the bucket holding the ceil(q*count)-th value,
 * clamped to [min, max]. 0 when empty. */
uint64_t jw_lhist_quantile(const struct jw_lhist *h, double q);

/* Adds every count of src into dst. */
void jw_lhist_merge(struct jw_lhist *dst, const struct jw_lhist *src);

#endif /* JW_LAT_HIST_H */
