/* The scheduling policy of jetwire's polling lcores (lcore_sched.h). */
#include <errno.h>
#include <sched.h>

#include "lcore_sched.h"

int
jw_lcore_sched_set(bool batch)
{
	struct sched_param p = { .sched_priority = 0 };

	/* pid 0: the calling thread (Linux schedules threads, not processes) */
	return sched_setscheduler(0, batch ? SCHED_BATCH : SCHED_OTHER, &p) == 0 ? 0 : -errno;
}
