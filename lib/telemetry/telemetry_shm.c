/* lib/telemetry: producers view over the shared-memory slots. */
#include <stdio.h>
#include <string.h>

#include "jetwire.h"
#include "shm/shm.h"
#include "telemetry/telemetry_shm.h"

static const char *
state_name(unsigned st)
{
	switch (st) {
	case JW_OWNER_FREE: return "free";
	case JW_OWNER_OWNED: return "owned";
	case JW_OWNER_CLOSED: return "closed";
	case JW_OWNER_ORPHAN: return "orphan";
	default: return "unknown";
	}
}

int
jw_stats_shm_producers(void *ctx, struct jw_stats_producer *out, int max)
{
	const struct jw_shm *shm = ctx;
	struct jw_shm_slot_stats st;
	uint32_t tx, idx;
	int n = 0;

	if (shm == NULL || out == NULL)
		return 0;
	for (tx = 0; tx < shm->n_tx; tx++) {
		for (idx = 0; idx < shm->slots_per_tx && n < max; idx++) {
			struct jw_stats_producer *p = &out[n];

			if (jw_shm_slot_stats(shm, tx, idx, &st) != 0)
				continue;
			if (st.state == JW_OWNER_FREE && st.eagain == 0 && st.bad_records == 0 &&
			    st.reports_dropped == 0)
				continue;
			memset(p, 0, sizeof(*p));
			p->slot = tx * shm->slots_per_tx + idx;
			p->tx = tx;
			p->pid = st.state == JW_OWNER_FREE ? 0 : st.pid;
			snprintf(p->state, sizeof(p->state), "%s", state_name(st.state));
			p->published = JW_STATS_UNKNOWN;
			/* positions only grow; a reader's relaxed copies may be a record apart, so
			 * never let a difference go negative */
			p->ring_used_bytes = st.head >= st.released ? st.head - st.released : 0;
			p->ring_size_bytes = shm->ring_bytes;
			p->unsent_bytes = st.head >= st.sent ? st.head - st.sent : 0;
			p->reports_pending = st.rep_head >= st.rep_tail ? st.rep_head - st.rep_tail : 0;
			p->bad_records = st.bad_records;
			p->reports_dropped = st.reports_dropped;
			if (st.eagain) {
				p->rejected[0].code = JW_EAGAIN;
				p->rejected[0].count = st.eagain;
				p->n_rejected = 1;
			}
			n++;
		}
	}
	return n;
}
