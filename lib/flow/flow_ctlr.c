/* The adaptive JetStream window (C only): the smallest in-flight count that reaches the
 * server's full ack rate.
 *
 * Why not a latency target: a NATS server works in batches (it reads what the socket holds,
 * hands it to the stream, writes the acks back), so its ack latency at a light load says
 * little about how many publishes it needs in flight to run at full rate; a controller that
 * keeps the latency near a fixed target keeps too few in flight, and the messages then wait
 * in jetwire's ring instead of the server's queue, which is worse for the user. So the
 * controller measures what it wants to maximise, the ack rate, and climbs the curve
 * rate(W) until more in flight no longer buys rate (a hill climb in W, as BBR's startup
 * and ProbeBW do for a congestion window):
 *
 *   - intervals: an interval lasts at least one round (every publish in flight at its start
 *     acked) and FLOW_CTLR_IVL_MIN_NS; it yields an ack rate, and it counts only when the
 *     window limited it (at some ack, at least 3/4 of W were in flight); intervals the
 *     producers limited move nothing (as RFC 7661 does for an unused cwnd);
 *   - STARTUP: from window_start (window_min unless set), W grows by one per ack
 *     (doubling per round) in window-limited intervals while the rate rose by 6.25% or
 *     more within the last three window-limited intervals (a batching server gains rate
 *     slowly with W, some 15% per doubling on the development box: BBR's 25% would stop
 *     far too early); then W is set to 1.5 x the window of the interval that brought the
 *     last such rise, and the controller HOLDs (window_max only when a rise reached it:
 *     a bound met while the rate stood still says nothing about the knee);
 *   - HOLD / PROBE: after HOLD_IVLS window-limited intervals at the held W, W moves up
 *     (by 1/4, then 1/2, then 1 while up-probes are kept) or down (by 1/8: at window_max
 *     only down-probes remain, and each costs its intervals at the smaller W) for
 *     1 + PROBE_IVLS intervals (the first lets the server's queue settle). The decision
 *     weighs the difference of the mean rates against its noise (probe_wins): an
 *     up-probe is kept unless it surely fell short of a 1% gain, a down-probe only when
 *     it surely lost nothing, against the held intervals before it and again against as
 *     many at the held W after it (a down-probe that met a faster spell of the server
 *     would otherwise look like a knee far below). Means, not maxima: a maximum of noisy
 *     samples is biased high. Otherwise W returns and the next probe goes the other way.
 *     So W settles within a quarter above the knee of a steady server, follows the knee
 *     when the server's speed changes, and climbs to window_max where the rates are too
 *     noisy to show a knee (doubt goes to the larger window: see probe_wins).
 *
 * Windowed estimates for the stats and for the optional latency ceiling: the max rate of
 * the last FLOW_CTLR_HIST window-limited intervals, the min clean ack latency of the last
 * FLOW_CTLR_HIST intervals. With ack_target_ns set, W never exceeds max rate x (min latency
 * + ack_target): at most ack_target of queueing inside the server (a user who prefers a
 * short server queue to the last bit of rate says so).
 */
#include <string.h>

#include "common/jw_atomic.h"
#include "flow/flow.h"

#define RELAXED memory_order_relaxed

#define FLOW_CTLR_IVL_MIN_NS 2000000ull   /* 2 ms: long enough for a stable rate */
#define IDLE_RESTART_NS (20 * FLOW_CTLR_IVL_MIN_NS)
#define STARTUP_STALLS 3
#define HOLD_IVLS 4
#define PROBE_IVLS 3   /* measured intervals of a probe, after one to settle */
#define PROBE_GAIN_PCT 1 /* what an up-probe must gain (in a steady server) */
#define PROBE_Z 1.0    /* standard errors of doubt, which goes to the larger window */

static void
publish_view(struct flow *f)
{
	struct flow_ctlr *k = &f->ctl.ctlr;
	uint64_t rmax = 0, lmin = 0;
	uint32_t n = JW_MIN(k->hist_n, (uint32_t)FLOW_CTLR_HIST);

	for (uint32_t i = 0; i < n; i++) {
		rmax = JW_MAX(rmax, k->rate_hist[i]);
		if (k->lat_hist[i] != 0 && (lmin == 0 || k->lat_hist[i] < lmin))
			lmin = k->lat_hist[i];
	}
	atomic_store_explicit(&f->ctl.max_rate, rmax, RELAXED);
	atomic_store_explicit(&f->ctl.min_latency_ns, lmin, RELAXED);
	atomic_store_explicit(&f->ctl.last_rate, k->last_rate, RELAXED);
	atomic_store_explicit(&f->ctl.phase, k->phase, RELAXED);
	atomic_store_explicit(&f->ctl.held, k->held, RELAXED);
}

/* The largest W the latency ceiling allows: max rate x (min latency + ack_target), i.e. at
 * most ack_target of queueing in the server (UINT32_MAX without a ceiling or a rate). */
static uint32_t
ceiling(const struct flow *f)
{
	uint64_t rate = atomic_load_explicit(&f->ctl.max_rate, RELAXED), cap;
	uint64_t lmin = atomic_load_explicit(&f->ctl.min_latency_ns, RELAXED);

	if (f->p.ack_target_ns == 0 || rate == 0)
		return UINT32_MAX;
	/* in flight = rate x latency (Little): the minimum latency plus the queueing allowed */
	cap = rate * (lmin + f->p.ack_target_ns) / 1000000000ull + 1;
	return (uint32_t)JW_MIN(cap, (uint64_t)UINT32_MAX);
}

static uint32_t
clamp_window(const struct flow *f, uint64_t w)
{
	w = JW_MIN(w, (uint64_t)ceiling(f));
	w = JW_MIN(JW_MAX(w, (uint64_t)f->p.window_min), (uint64_t)f->p.window_max);
	return (uint32_t)w;
}

static void
set_window(struct flow *f, uint64_t want)
{
	uint32_t w = atomic_load_explicit(&f->ctl.window, RELAXED); /* C-owned */
	uint32_t nw = clamp_window(f, want);

	if (nw == w)
		return;
	if (nw > w)
		JW_INC(f->ctlc.window_increases);
	else
		JW_INC(f->ctlc.window_decreases);
	atomic_store_explicit(&f->ctl.window, nw, RELAXED);
}

const char *
flow_ctlr_phase_str(uint32_t phase)
{
	static const char *const names[] = { "fixed", "startup", "hold", "probe" };

	return phase < sizeof(names) / sizeof(names[0]) ? names[phase] : "?";
}

void
flow_ctlr_init(struct flow *f)
{
	struct flow_ctlr *k = &f->ctl.ctlr;

	memset(k, 0, sizeof(*k));
	k->phase = f->p.adaptive ? FLOW_CTLR_STARTUP : FLOW_CTLR_FIXED;
	k->held = flow_window_start(&f->p);
	k->probe_up = true;
	k->up_step = 1;
	publish_view(f);
}

static void
rates_add(struct flow_ctlr_rates *r, uint64_t rate)
{
	r->n++;
	r->sum += (double)rate;
	r->sumsq += (double)rate * (double)rate;
}

static double
rates_mean(const struct flow_ctlr_rates *r)
{
	return r->n != 0 ? r->sum / r->n : 0.0;
}

/* The squared standard error of the mean (0 with fewer than two rates: no spread seen). */
static double
rates_se2(const struct flow_ctlr_rates *r)
{
	double m, var;

	if (r->n < 2)
		return 0.0;
	m = r->sum / r->n;
	var = (r->sumsq - r->n * m * m) / (r->n - 1);
	return var > 0.0 ? var / r->n : 0.0;
}

/* Holds W. seed (may be NULL): rates already measured at W (a kept probe's), which count
 * as held intervals. */
static void
enter_hold(struct flow *f, uint64_t w, const struct flow_ctlr_rates *seed)
{
	struct flow_ctlr *k = &f->ctl.ctlr;

	k->phase = FLOW_CTLR_HOLD;
	k->confirming = false;
	k->held = clamp_window(f, w);
	k->hold_rates = seed != NULL ? *seed : (struct flow_ctlr_rates){ 0 };
	set_window(f, k->held);
}

static void
startup_decide(struct flow *f, uint64_t rate, uint32_t w_end)
{
	struct flow_ctlr *k = &f->ctl.ctlr;

	if (rate * 16 >= k->startup_best * 17) {
		k->startup_best = rate;
		k->startup_best_w = w_end;
		k->stalls = 0;
	} else {
		k->stalls++;
	}
	if (k->stalls >= STARTUP_STALLS)
		enter_hold(f, (uint64_t)k->startup_best_w * 3 / 2, NULL);
	else if (k->stalls == 0 && w_end >= clamp_window(f, UINT32_MAX))
		enter_hold(f, w_end, NULL); /* rose all the way to the bound: nothing above */
}

static void
hold_decide(struct flow *f, uint64_t rate)
{
	struct flow_ctlr *k = &f->ctl.ctlr;
	uint64_t probe;
	uint32_t pw;

	rates_add(&k->hold_rates, rate);
	if (k->hold_rates.n < HOLD_IVLS)
		return;
	for (int tries = 0; tries < 2; tries++) {
		probe = k->probe_up ? (uint64_t)k->held * (4 + k->up_step) / 4 + 1
				    : (uint64_t)k->held * 7 / 8;
		pw = clamp_window(f, probe);
		if (pw != k->held)
			break;
		k->probe_up = !k->probe_up; /* at a bound: probe the other way */
		k->up_step = 1;
	}
	if (pw == k->held) {
		k->hold_rates = (struct flow_ctlr_rates){ 0 };
		return; /* min == max: nothing to probe */
	}
	if (k->probe_up)
		JW_INC(f->ctlc.probes_up);
	else
		JW_INC(f->ctlc.probes_down);
	k->phase = FLOW_CTLR_PROBE;
	k->probe_ivls = 0;
	k->probe_w = pw;
	k->probe_rates = (struct flow_ctlr_rates){ 0 };
	set_window(f, pw);
}

/* Whether a probe's rates beat a reference's: the two means are compared with the noise of
 * both (PROBE_Z standard errors of their difference). An up-probe wins unless it surely
 * failed to gain PROBE_GAIN_PCT, a down-probe only when it surely lost nothing. Being above
 * the knee costs no rate (the publishes wait in the server's queue instead of jetwire's
 * ring) and a smaller window costs the server CPU per message (it reads less per wakeup),
 * so doubt goes to the larger window: where interval rates swing 0.3-3x, as on the
 * development box, W climbs to its bound; where they are steady the comparison is exact
 * and W settles within a quarter above the knee. */
static bool
probe_wins(bool up, const struct flow_ctlr_rates *ref, const struct flow_ctlr_rates *probe)
{
	double held = rates_mean(ref), p = rates_mean(probe);
	double z2se2 = PROBE_Z * PROBE_Z * (rates_se2(ref) + rates_se2(probe));
	double d;

	if (up) {
		d = held * (100 + PROBE_GAIN_PCT) / 100.0 - p; /* short of the gain */
		return d <= 0.0 || d * d <= z2se2;
	}
	d = p - held; /* what the smaller window gained */
	return d >= 0.0 && d * d >= z2se2;
}

static void
probe_lost(struct flow *f, const struct flow_ctlr_rates *seed)
{
	struct flow_ctlr *k = &f->ctl.ctlr;

	k->probe_up = !k->probe_up;
	k->up_step = 1;
	enter_hold(f, k->held, seed);
}

/* One interval of a probe: the first at the probe's W lets the server's queue settle, the
 * next PROBE_IVLS are measured. An up-probe is decided then. A down-probe that won goes
 * back to the held W for as many intervals again and is kept only when it also beats
 * those: the server's speed drifts over hundreds of ms here, and a down-probe that met a
 * faster spell would otherwise look like a knee far below. */
static void
probe_decide(struct flow *f, uint64_t rate, bool limited)
{
	struct flow_ctlr *k = &f->ctl.ctlr;

	if (++k->probe_ivls < 2)
		return; /* settling */
	if (!limited) {
		probe_lost(f, NULL);
		return;
	}
	if (k->confirming) {
		rates_add(&k->back_rates, rate);
		if (k->back_rates.n < PROBE_IVLS)
			return;
		if (!probe_wins(false, &k->back_rates, &k->probe_rates)) {
			probe_lost(f, &k->back_rates);
			return;
		}
		JW_INC(f->ctlc.probes_kept);
		k->up_step = 1;
		enter_hold(f, k->probe_w, NULL); /* the probe's rates are old now */
		return;
	}
	rates_add(&k->probe_rates, rate);
	if (k->probe_rates.n < PROBE_IVLS)
		return;
	if (!probe_wins(k->probe_up, &k->hold_rates, &k->probe_rates)) {
		probe_lost(f, NULL);
	} else if (!k->probe_up) {
		k->confirming = true;
		k->probe_ivls = 0;
		k->back_rates = (struct flow_ctlr_rates){ 0 };
		set_window(f, k->held);
	} else {
		/* a kept up-probe is followed by a larger one (up to double): the knee may be
		 * far above, after the server sped up or in a noisy climb */
		JW_INC(f->ctlc.probes_kept);
		k->up_step = JW_MIN(k->up_step * 2, 4u);
		enter_hold(f, k->probe_w, &k->probe_rates);
	}
}

/* A new interval at now_ns: its round ends with the ack of publish `next`; max_out and
 * min_lat are what the ack that begins it saw (0 when it ends the last one). */
static void
interval_begin(struct flow *f, uint64_t now_ns, uint64_t next, uint64_t max_out,
	       uint64_t min_lat)
{
	struct flow_ctlr *k = &f->ctl.ctlr;

	k->ivl_start_ns = now_ns;
	k->ivl_end_seq = next;
	k->ivl_acks = 0;
	k->ivl_max_out = max_out;
	k->ivl_min_lat = min_lat;
	k->ivl_sent_lo = UINT64_MAX;
	k->ivl_sent_hi = 0;
	k->ivl_window = atomic_load_explicit(&f->ctl.window, RELAXED);
}

static void
interval_end(struct flow *f, uint64_t now_ns, uint64_t next)
{
	struct flow_ctlr *k = &f->ctl.ctlr;
	uint64_t elapsed = now_ns - k->ivl_start_ns;
	uint64_t rate = k->ivl_acks * 1000000000ull / elapsed;
	/* For the estimates (stats, latency ceiling): acks over the longer of the time they
	 * came in and the time their publishes went out (BBR's delivery rate), since the
	 * server cannot answer faster than it was sent to: acks read in a clump (after the
	 * control lcore was preempted, or confirmed together at a checkpoint of shared
	 * replies) made a short interval's rate up to 5x the server's on the development box.
	 * The decisions keep acks / elapsed: fed the delivery rate, they grew confident enough
	 * on that box to end the startup at 6,000-9,000 in 3 of 6 traced runs (16,384 in 6 of
	 * 6 otherwise), for no rate in the window benchmark. */
	uint64_t span = JW_MAX(elapsed, k->ivl_sent_hi - k->ivl_sent_lo);
	uint64_t delivery = k->ivl_acks * 1000000000ull / span;
	uint32_t w = atomic_load_explicit(&f->ctl.window, RELAXED);
	bool limited = k->ivl_max_out * 4 >= (uint64_t)k->ivl_window * 3;

	k->last_rate = delivery;
	if (limited || k->ivl_min_lat != 0) {
		uint32_t i = k->hist_n % FLOW_CTLR_HIST;

		k->rate_hist[i] = limited ? delivery : 0;
		k->lat_hist[i] = k->ivl_min_lat;
		k->hist_n++;
	}
	publish_view(f);
	switch (k->phase) {
	case FLOW_CTLR_STARTUP:
		if (limited)
			startup_decide(f, rate, w);
		break;
	case FLOW_CTLR_HOLD:
		if (limited)
			hold_decide(f, rate);
		break;
	case FLOW_CTLR_PROBE:
		probe_decide(f, rate, limited);
		break;
	default:
		break;
	}
	publish_view(f);
	/* the ceiling moves with the rate estimate */
	set_window(f, atomic_load_explicit(&f->ctl.window, RELAXED));
	interval_begin(f, now_ns, next, 0, 0);
}

void
flow_ctlr_sample(struct flow *f, uint64_t seq, uint64_t sent_ns, uint64_t latency_ns,
		 bool clean, uint64_t now_ns)
{
	struct flow_ctlr *k = &f->ctl.ctlr;
	uint64_t next, out;
	uint32_t w;

	if (k->phase == FLOW_CTLR_FIXED)
		return;
	next = atomic_load_explicit(&f->tx.next_seq, RELAXED);
	/* in flight before this ack was final: what the window allowed at this point */
	out = next - atomic_load_explicit(&f->ctl.finalized, RELAXED) + 1;
	if (k->ivl_start_ns == 0 ||
	    (k->ivl_acks == 0 && now_ns - k->ivl_start_ns > IDLE_RESTART_NS)) {
		/* first ack, or the first after an idle spell: begin measuring here */
		interval_begin(f, now_ns, next, out, clean ? latency_ns : 0);
		return;
	}
	k->ivl_acks++;
	k->ivl_max_out = JW_MAX(k->ivl_max_out, out);
	k->ivl_sent_lo = JW_MIN(k->ivl_sent_lo, sent_ns);
	k->ivl_sent_hi = JW_MAX(k->ivl_sent_hi, sent_ns);
	if (clean && latency_ns != 0 && (k->ivl_min_lat == 0 || latency_ns < k->ivl_min_lat))
		k->ivl_min_lat = latency_ns;
	w = atomic_load_explicit(&f->ctl.window, RELAXED);
	/* the interval so far, not this ack: after a clump of acks the window is briefly
	 * emptier than the producers keep it, which halved the growth per round here */
	if (k->phase == FLOW_CTLR_STARTUP && k->ivl_max_out * 4 >= (uint64_t)w * 3)
		set_window(f, (uint64_t)w + 1);
	if (seq >= k->ivl_end_seq && now_ns - k->ivl_start_ns >= FLOW_CTLR_IVL_MIN_NS)
		interval_end(f, now_ns, next);
}

void
flow_ctlr_retuned(struct flow *f)
{
	struct flow_ctlr *k = &f->ctl.ctlr;
	uint32_t w = atomic_load_explicit(&f->ctl.window, RELAXED);

	if (!f->p.adaptive) {
		k->phase = FLOW_CTLR_FIXED;
		k->held = f->p.window_fixed;
	} else if (k->phase == FLOW_CTLR_FIXED) {
		flow_ctlr_init(f); /* fixed -> adaptive: find the knee again */
	} else {
		k->held = clamp_window(f, k->held);
		if (k->phase == FLOW_CTLR_PROBE)
			enter_hold(f, k->held, NULL);
		else if (k->phase == FLOW_CTLR_HOLD)
			set_window(f, k->held);
		else
			set_window(f, w);
	}
	publish_view(f);
}

int
flow_ctl_retune(struct flow *f, uint32_t window_min, uint32_t window_max,
		uint64_t ack_timeout_ns, uint64_t ack_target_ns)
{
	uint32_t w;

	if (window_min == 0 || window_min > window_max || window_max > f->size ||
	    ack_timeout_ns == 0)
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
	flow_ctlr_retuned(f);
	return 0;
}
