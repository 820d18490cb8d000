/* Monotonic time for loops, timeouts and latency measurement: the one clock of jetwire's
 * programs, libraries, tests and benchmarks. DPDK-free (the producer library uses it). */
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

/* Cheap timestamps for measuring short calls: the TSC on x86-64 (ordered by lfence), else
 * jw_mono_ns(). Convert differences with jw_ns_per_tick(). Not comparable across hosts. */
#if defined(__x86_64__)
static inline uint64_t
jw_ticks(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* The TSC without the fence: it may be read a few ns before earlier instructions have
 * finished. For timestamps compared at microsecond scale (a publish's return against its
 * delivery report), where the fence would be a large part of a 40 ns call's cost. */
static inline uint64_t
jw_ticks_unordered(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
#else
static inline uint64_t
jw_ticks(void)
{
	return jw_mono_ns();
}

static inline uint64_t
jw_ticks_unordered(void)
{
	return jw_mono_ns();
}
#endif

/* Nanoseconds per jw_ticks() tick, measured once against jw_mono_ns() (about 20 ms of sleep
 * on the first call) and cached; 1.0 where jw_ticks() already counts nanoseconds. Any
 * thread (a race on the first call only measures twice). */
double jw_ns_per_tick(void);

#endif /* JW_TIME_H */
