/* The scheduling policy of jetwire's polling lcores ([cores] sched_batch).
 *
 * Where the lcores float over CPUs that producers also use (the reference configuration:
 * three lcores on two CPUs), an lcore that wakes from its idle sleep would preempt a running
 * producer in the middle of its jw_publish calls: the producer's submit time and its call
 * maxima would carry jetwire's work. SCHED_BATCH keeps the lcores' fair share of the CPU
 * but gives up wakeup preemption: a waking lcore runs when the producer blocks or its time
 * slice ends. On dedicated cores (the usual DPDK placement) it changes nothing. */
#ifndef JW_APP_LCORE_SCHED_H
#define JW_APP_LCORE_SCHED_H

#include <stdbool.h>

/* Puts the calling thread under SCHED_BATCH (batch) or back under SCHED_OTHER (nice
 * unchanged). Returns 0 or -errno (e.g. a seccomp or container policy refusing
 * sched_setscheduler); the caller logs and goes on. */
int jw_lcore_sched_set(bool batch);

/* [cores] sched_batch = auto: the lcores run SCHED_BATCH while their producers write a burst
 * (engine_burst_next), SCHED_OTHER otherwise; a burst that lasts this long is a flood, and
 * they go back to SCHED_OTHER. Longer than a burst of 50,000 calls (2.2-9 ms on the
 * development box), short against a flood. */
#define JW_LCORE_FLOOD_NS (20ull * 1000000ull)

#endif
