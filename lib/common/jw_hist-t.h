/* Log-linear histogram types (HDR-like), shared by the stats counters, jwpub and the
 * benchmarks. DPDK-free.
 *
 * Values are unsigned 64-bit (nanoseconds for latencies). Buckets: the values 0..63 each
 * have their own bucket; above that every power of two [2^e, 2^(e+1)) is split into 64
 * equal sub-buckets of width 2^(e-6). So values below 128 are exact and every recorded
 * value is known to within 1/64 (1.6 %) of itself. Values of 2^48 ns (78 hours) and more
 * fall into the last bucket; the exact maximum is kept separately.
 */
#ifndef JW_HIST_T_H
#define JW_HIST_T_H

#include <stdint.h>

#define JW_HIST_SUB_BITS 6
#define JW_HIST_SUB      (1u << JW_HIST_SUB_BITS)          /* 64 sub-buckets */
#define JW_HIST_MAX_EXP  47                                 /* last full power of two */
#define JW_HIST_BUCKETS  (JW_HIST_SUB + (JW_HIST_MAX_EXP - JW_HIST_SUB_BITS + 1) * JW_HIST_SUB)

/* The live histogram: one writer (jw_hist_record), any number of readers (jw_hist_read). */
struct jw_hist {
	uint64_t min; /* UINT64_MAX while empty */
	uint64_t max;
	uint64_t sum; /* wraps after 2^64 ns (584 years) of summed latency */
	uint64_t buckets[JW_HIST_BUCKETS];
};

/* A reader's plain copy; mergeable across lcores with jw_hist_merge. */
struct jw_hist_snap {
	uint64_t count; /* sum of buckets */
	uint64_t min;   /* UINT64_MAX while empty */
	uint64_t max;
	uint64_t sum;
	uint64_t buckets[JW_HIST_BUCKETS];
};

#endif /* JW_HIST_T_H */
