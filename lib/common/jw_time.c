/* Calibration of jw_ticks() (jw_time.h). */
#include <stdatomic.h>
#include <time.h>

#include "common/jw_time.h"

double
jw_ns_per_tick(void)
{
	static _Atomic double cached; /* relaxed: a value, not a guard for other memory */
	double v = atomic_load_explicit(&cached, memory_order_relaxed);
#if defined(__x86_64__)
	uint64_t n0, t0, n1, t1;
	struct timespec d = { 0, 20000000L };

	if (v > 0)
		return v;
	n0 = jw_mono_ns();
	t0 = jw_ticks();
	nanosleep(&d, NULL);
	n1 = jw_mono_ns();
	t1 = jw_ticks();
	v = (t1 > t0 && n1 > n0) ? (double)(n1 - n0) / (double)(t1 - t0) : 1.0;
#else
	v = 1.0;
#endif
	atomic_store_explicit(&cached, v, memory_order_relaxed);
	return v;
}
