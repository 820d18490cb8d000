/* lib/telemetry: the producers view over the shared-memory producer slots (lib/shm).
 *
 * The engine registers it once the shm instance exists:
 *     jw_stats_register_producers(jw_stats_shm_producers, shm);
 * and unregisters (jw_stats_register_producers(NULL, NULL)) before jw_shm_destroy(shm); the
 * registry waits for a grace period, so no telemetry thread still reads the mapping.
 *
 * Every slot that is not free, or that has counted something (rejections, bad records,
 * dropped reports), is one entry, so totals do not drop when a producer leaves. The slots
 * count no published records (the producer keeps its sequence private), so `published` is
 * JW_STATS_UNKNOWN; rejections are the slot's EAGAIN count (the producer library counts
 * no other code in shared memory). Reads are relaxed snapshots (jw_shm_slot_stats).
 */
#ifndef JW_TELEMETRY_SHM_H
#define JW_TELEMETRY_SHM_H

#include "telemetry/telemetry-t.h"

/* A jw_stats_producers_fn; ctx is the jetwire-side `struct jw_shm *`. */
int jw_stats_shm_producers(void *ctx, struct jw_stats_producer *out, int max);

#endif /* JW_TELEMETRY_SHM_H */
