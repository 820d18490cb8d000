/* Delay-based AIMD of the pending window (C only).
 *
 * The signal is the ack latency: queueing inside the server is what makes it grow, and the
 * window exists to keep that queue short. Decisions are taken once per round trip (a round
 * ends with the ack of the first publish sent after the round began) on the round's
 * SMALLEST clean ack latency: with W publishes queued at the server every ack waits about
 * W / throughput, so the minimum tracks the standing queue, while scheduling hiccups of a
 * shared CPU (which hit some acks, not all) do not move it.
 *   - min above ack_target_ns: W shrinks by an eighth (and slow start ends);
 *   - else in slow start: W grew by one per ack during the round (doubling per round);
 *   - else: W grows by W/8 scaled by how far below the target the minimum is (at least 1).
 * W only grows while it is used: when fewer than W/2 publishes were outstanding throughout
 * the round (the producers, not the window, limited the rate), it stays (as RFC 7661 does
 * for TCP's cwnd), so an idle spell cannot inflate it far beyond what the server absorbs.
 * W stays within [window_min, window_max]. A smoothed latency (EWMA, gain 1/8) is kept for
 * the stats only.
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

static void
set_window(struct flow *f, uint32_t w, uint32_t nw)
{
	nw = JW_MIN(JW_MAX(nw, f->p.window_min), f->p.window_max);
	if (nw == w)
		return;
	if (nw > w)
		INC(f->ctlc.window_increases);
	else
		INC(f->ctlc.window_decreases);
	atomic_store_explicit(&f->ctl.window, nw, RELAXED);
}

void
flow_aimd_sample(struct flow *f, uint64_t seq, uint64_t latency_ns)
{
	uint64_t target = f->p.ack_target_ns, min, next, out;
	uint32_t w;
	bool used;

	atomic_store_explicit(&f->ctl.latency_ewma_ns,
			      ewma_update(atomic_load_explicit(&f->ctl.latency_ewma_ns, RELAXED),
					  latency_ns), RELAXED);
	if (!f->p.adaptive)
		return;
	if (f->ctl.round_min_ns == 0 || latency_ns < f->ctl.round_min_ns)
		f->ctl.round_min_ns = latency_ns;
	w = atomic_load_explicit(&f->ctl.window, RELAXED); /* C-owned */
	next = atomic_load_explicit(&f->tx.next_seq, RELAXED);
	out = next - atomic_load_explicit(&f->ctl.finalized, RELAXED);
	used = out >= w / 2;
	f->ctl.round_max_out = JW_MAX(f->ctl.round_max_out, out);
	if (f->ctl.slow_start && latency_ns <= target && used)
		set_window(f, w, w + 1);
	if (seq < f->ctl.round_end)
		return;
	/* round over: decide on its minimum, start the next one */
	min = f->ctl.round_min_ns;
	used = f->ctl.round_max_out >= w / 2;
	f->ctl.round_min_ns = 0;
	f->ctl.round_max_out = 0;
	f->ctl.round_end = next;
	w = atomic_load_explicit(&f->ctl.window, RELAXED);
	if (min > target) {
		f->ctl.slow_start = false;
		set_window(f, w, w - JW_MAX(w / 8, 1u));
	} else if (!f->ctl.slow_start && used) {
		uint64_t step = (uint64_t)w * (target - min) / (target * 8);

		set_window(f, w, w + (uint32_t)JW_MAX(step, (uint64_t)1));
	}
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
