/* Delay-based AIMD of the pending window (C only).
 *
 * The signal is the ack latency: queueing inside the server is what makes it grow, and the
 * window exists to keep that queue short. A smoothed latency (EWMA, gain 1/8) above
 * ack_target_ns shrinks W by an eighth, at most once per round trip (no second decrease
 * before an ack of a publish sent after the first one); at or below the target W grows by
 * one per ack in slow start (doubling per round trip, until the first decrease) and by one
 * per W acks after that. W stays within [window_min, window_max].
 */
#include "flow/flow.h"

#define RELAXED memory_order_relaxed
#define INC(ctr) atomic_store_explicit(&(ctr), atomic_load_explicit(&(ctr), RELAXED) + 1, RELAXED)

static uint64_t
ewma_update(uint64_t avg, uint64_t sample)
{
	if (avg == 0)
		return sample;
	if (sample >= avg)
		return avg + (sample - avg) / 8;
	return avg - (avg - sample) / 8;
}

void
flow_aimd_sample(struct flow *f, uint64_t seq, uint64_t latency_ns)
{
	uint64_t avg = ewma_update(atomic_load_explicit(&f->ctl.latency_ewma_ns, RELAXED),
				   latency_ns);
	uint32_t w, nw;

	atomic_store_explicit(&f->ctl.latency_ewma_ns, avg, RELAXED);
	if (!f->p.adaptive)
		return;
	w = atomic_load_explicit(&f->ctl.window, RELAXED); /* C-owned */
	nw = w;
	if (avg > f->p.ack_target_ns) {
		if (seq < f->ctl.decrease_marker)
			return; /* already reacted this round trip */
		nw = w - w / 8;
		if (nw == w && w > 1)
			nw = w - 1;
		nw = JW_MAX(nw, f->p.window_min);
		f->ctl.slow_start = false;
		f->ctl.window_frac = 0;
		f->ctl.decrease_marker = atomic_load_explicit(&f->tx.next_seq, RELAXED);
		if (nw != w)
			INC(f->ctlc.window_decreases);
	} else if (w < f->p.window_max) {
		if (f->ctl.slow_start) {
			nw = w + 1;
		} else if (++f->ctl.window_frac >= w) {
			f->ctl.window_frac = 0;
			nw = w + 1;
		}
		if (nw != w)
			INC(f->ctlc.window_increases);
	}
	if (nw != w)
		atomic_store_explicit(&f->ctl.window, nw, RELAXED);
}

int
flow_ctl_retune(struct flow *f, uint32_t window_min, uint32_t window_max,
		uint64_t ack_timeout_ns, uint64_t ack_target_ns)
{
	uint32_t w;

	if (window_min == 0 || window_min > window_max || window_max > f->size ||
	    ack_timeout_ns == 0 || ack_target_ns == 0)
		return -EINVAL;
	f->p.ack_timeout_ns = ack_timeout_ns;
	f->p.ack_target_ns = ack_target_ns;
	f->p.adaptive = window_min != window_max;
	f->p.window_min = window_min;
	f->p.window_max = window_max;
	f->p.window_fixed = window_min;
	w = atomic_load_explicit(&f->ctl.window, RELAXED);
	w = f->p.adaptive ? JW_MIN(JW_MAX(w, window_min), window_max) : window_min;
	atomic_store_explicit(&f->ctl.window, w, RELAXED);
	return 0;
}
