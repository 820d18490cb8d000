/* Log-linear histogram: bucket bounds, snapshots, quantiles (jw_hist.h). */
#include <math.h>
#include <string.h>

#include "common/jw_hist.h"

void
jw_hist_init(struct jw_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t
jw_hist_bucket_low(unsigned i)
{
	unsigned k;

	if (i < JW_HIST_SUB)
		return i;
	k = (i - JW_HIST_SUB) / JW_HIST_SUB;
	return (uint64_t)(JW_HIST_SUB + (i - JW_HIST_SUB) % JW_HIST_SUB) << k;
}

uint64_t
jw_hist_bucket_high(unsigned i)
{
	unsigned k;

	if (i < JW_HIST_SUB)
		return i;
	if (i >= JW_HIST_BUCKETS - 1)
		return UINT64_MAX; /* the last bucket also holds everything clamped into it */
	k = (i - JW_HIST_SUB) / JW_HIST_SUB;
	return jw_hist_bucket_low(i) + ((uint64_t)1 << k) - 1;
}

void
jw_hist_snap_init(struct jw_hist_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->min = UINT64_MAX;
}

void
jw_hist_read(const struct jw_hist *h, struct jw_hist_snap *s)
{
	unsigned i;

	s->count = 0;
	for (i = 0; i < JW_HIST_BUCKETS; i++) {
		s->buckets[i] = jw_stat_read(&h->buckets[i]);
		s->count += s->buckets[i];
	}
	s->sum = jw_stat_read(&h->sum);
	s->min = jw_stat_read(&h->min);
	s->max = jw_stat_read(&h->max);
}

void
jw_hist_merge(struct jw_hist_snap *dst, const struct jw_hist_snap *src)
{
	unsigned i;

	for (i = 0; i < JW_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
jw_hist_value_at(const struct jw_hist_snap *s, uint32_t ppm)
{
	unsigned __int128 rank128;
	uint64_t rank, seen = 0, v;
	unsigned i;

	if (s->count == 0)
		return 0;
	if (ppm > 1000000)
		ppm = 1000000;
	rank128 = ((unsigned __int128)s->count * ppm + 999999) / 1000000;
	rank = rank128 == 0 ? 1 : (uint64_t)rank128;
	for (i = 0; i < JW_HIST_BUCKETS; i++) {
		seen += s->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i == JW_HIST_BUCKETS)
		i = JW_HIST_BUCKETS - 1; /* count and buckets disagree: cannot happen on a snap */
	v = jw_hist_bucket_high(i);
	/* max is exact; a reader's copy may lag the buckets by a record, so clamp only when
	 * max is consistent with the bucket. */
	if (s->max >= jw_hist_bucket_low(i) && v > s->max)
		v = s->max;
	/* The lowest rank is the minimum, which is exact. */
	if (rank == 1 && s->min >= jw_hist_bucket_low(i) && s->min <= v)
		v = s->min;
	return v;
}

uint64_t
jw_hist_percentile(const struct jw_hist_snap *s, double pct)
{
	double ppm;

	if (!(pct > 0)) /* also NaN */
		return jw_hist_value_at(s, 0);
	ppm = pct * 10000.0;
	if (ppm >= 1000000.0)
		return jw_hist_value_at(s, 1000000);
	return jw_hist_value_at(s, (uint32_t)llround(ppm));
}

uint64_t
jw_hist_mean(const struct jw_hist_snap *s)
{
	return s->count ? s->sum / s->count : 0;
}
