#include <string.h>
#include <time.h>

#include "common/jw_time.h"
#include "producer/lat_hist.h"

void
jw_lhist_init(struct jw_lhist *h)
{
	memset(h, 0, sizeof(*h));
}

static uint64_t
bucket_mid(unsigned b)
{
	unsigned e, sub;

	if (b < JW_LHIST_LINEAR)
		return b;
	e = (b - JW_LHIST_LINEAR) / JW_LHIST_SUB + 7u;
	sub = (b - JW_LHIST_LINEAR) % JW_LHIST_SUB;
	return ((uint64_t)(64u + sub) << (e - 6u)) + ((1ULL << (e - 6u)) >> 1);
}

uint64_t
jw_lhist_quantile(const struct jw_lhist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count || rank == 0)
		rank++;
	for (unsigned b = 0; b < JW_LHIST_BUCKETS; b++) {
		seen += h->b[b];
		if (seen >= rank) {
			uint64_t v = bucket_mid(b);
			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}

void
jw_lhist_merge(struct jw_lhist *dst, const struct jw_lhist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (unsigned b = 0; b < JW_LHIST_BUCKETS; b++)
		dst->b[b] += src->b[b];
}

double
jw_lhist_ns_per_tick(void)
{
	static double cached;
	uint64_t n0, t0, n1, t1;
	struct timespec d = { 0, 20000000L };

	if (cached > 0)
		return cached;
#if defined(__x86_64__)
	n0 = jw_mono_ns();
	t0 = jw_lhist_ticks();
	nanosleep(&d, NULL);
	n1 = jw_mono_ns();
	t1 = jw_lhist_ticks();
	cached = (t1 > t0 && n1 > n0) ? (double)(n1 - n0) / (double)(t1 - t0) : 1.0;
#else
	(void)n0; (void)t0; (void)n1; (void)t1; (void)d;
	cached = 1.0;
#endif
	return cached;
}
