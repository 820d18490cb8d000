/* Monotonic time for loops, timeouts and latency measurement. DPDK-free. */
#ifndef JW_TIME_H
#define JW_TIME_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds of CLOCK_MONOTONIC (vDSO, no syscall): comparable across processes on one
 * host, which producers and jetwire need for ring-wait and report latency. */
static inline uint64_t
jw_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* JW_TIME_H */
