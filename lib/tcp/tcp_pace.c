/* Pacing on the TX lcore (off unless [tcp] pacing_gain is set): the rate follows cwnd and
 * SRTT, and a clock advanced by each data packet's time at that rate lets a burst of at
 * most pacing_burst segments (or one TSO packet) go at a time.
 */
#include "tcp/tcp_tx.h"

/* Pacing rate (bytes/s) = gain x cwnd / SRTT, the gain doubled in slow start (as Linux's
 * 200 % / 120 %); 0 = not pacing (off, or no RTT sample yet). */
void
tcp_pace_update(struct tcp_conn *c)
{
	uint64_t rate = 0;

	if (c->p.pacing_gain_pct != 0 && c->t_srtt_ns > 0) {
		uint64_t gain = (uint64_t)c->p.pacing_gain_pct * (c->t_cwnd < c->t_ssthresh ? 2 : 1);
		rate = (uint64_t)c->t_cwnd * 1000000000ull / (uint64_t)c->t_srtt_ns * gain / 100;
		if (rate == 0)
			rate = 1;
	}
	c->t_pace_rate = rate;
	atomic_store_explicit(&c->st_pacing_rate, rate, memory_order_relaxed);
}

/* How far the pacer's clock may run ahead of now: the packet that starts a burst plus
 * pacing_burst - 1 more segments. */
static uint64_t
pace_ahead_ns(const struct tcp_conn *c)
{
	return (uint64_t)(c->p.pacing_burst - 1u) * c->t_mss * 1000000000ull / c->t_pace_rate;
}

/* May the next data packet go? The pacer's clock (t_pace_next_ns, advanced by each packet's
 * time at the rate) may run ahead of now by a burst (pacing_burst segments, or one TSO
 * packet) and lag behind by at most the time since the previous poll (credit a sleeping
 * poll loop earned, never more than 1 ms): a poll loop that cannot wake at each packet's
 * time still sends at the rate on average. */
bool
tcp_pace_ok(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;

	if (c->t_pace_rate == 0)
		return true;
	if (c->t_pace_next_ns <= x->now + pace_ahead_ns(c))
		return true;
	x->paced = true;
	return false;
}

void
tcp_pace_sent(struct tcp_txctx *x, uint32_t bytes)
{
	struct tcp_conn *c = x->c;

	if (c->t_pace_rate == 0)
		return;
	c->t_pace_next_ns += (uint64_t)bytes * 1000000000ull / c->t_pace_rate;
}

/* At the start of a poll: forget credit older than the previous poll (at most 1 ms). */
void
tcp_pace_begin(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint64_t gap = x->now - c->t_pace_poll_ns, floor;

	if (gap > 1000000ull)
		gap = 1000000ull;
	floor = x->now - gap;
	if (c->t_pace_next_ns < floor)
		c->t_pace_next_ns = floor;
	c->t_pace_poll_ns = x->now;
}

uint64_t
tcp_tx_pace_wait_ns(const struct tcp_conn *c, uint64_t now_ns)
{
	uint64_t ahead;

	if (c->t_pace_rate == 0 || !c->t_pace_held)
		return 0;
	ahead = pace_ahead_ns(c);
	return c->t_pace_next_ns > now_ns + ahead ? c->t_pace_next_ns - now_ns - ahead : 0;
}
