/* Congestion state of the TX lcore: the RTT/RTO estimate (RFC 6298), the congestion window
 * (slow start with byte counting, RFC 3465; Reno congestion avoidance, RFC 5681), the
 * multiplicative decrease after a loss (ssthresh = [tcp] beta of the flight: 70 % by
 * default, CUBIC's beta of RFC 9438 and Linux's; 50 % = Reno), and the undo of a loss episode's
 * reduction once it proves spurious (DSACK, RFC 2883; Eifel, RFC 3522). Who reduces cwnd
 * and when is loss recovery's business (tcp_recovery.c, tcp_timer.c); this file keeps the
 * numbers.
 *
 * Why a beta and not CUBIC's window function: at datacenter RTTs (100 us to 1 ms) CUBIC's
 * cubic curve takes seconds to move (K = cbrt(W_max (1 - beta) / C) = 2.5 s for W_max =
 * 20), so CUBIC runs in its Reno-friendly region there, whose increase (3 (1 - beta) /
 * (1 + beta) = 0.53 MSS per RTT) is chosen to give exactly Reno's rate; under random loss
 * p both settle near Mathis's W = 1.22 / sqrt(p) (12 segments at 1 %). What keeps a rate
 * under loss that is not congestion is the smaller decrease: 70 % with Reno's +1 MSS per
 * RTT settles near sqrt(1.7 / (0.6 p)) (17 at 1 %), 1.4 times Reno's share of a shared
 * bottleneck. For a publisher inside a datacenter (short RTTs, losses mostly from bursts
 * and noisy neighbours, RACK and DSACK undo taking back what reordering costs) that is
 * the trade Linux makes too (CUBIC's beta, reductions on cwnd), and measured: jwtcpsend at
 * 1 % loss +14 % (medians of 5), the engine no worse (README, "TCP under loss"). Reno's
 * 50 % stays a setting.
 */
#include "tcp/tcp_tx.h"

void
tcp_rto_publish(struct tcp_conn *c)
{
	atomic_store_explicit(&c->st_rto_ms, (uint32_t)(c->t_rto_ns / NS_PER_MS),
			      memory_order_relaxed);
}

void
tcp_rto_from_srtt(struct tcp_conn *c)
{
	uint64_t min = (uint64_t)c->p.rto_min_ms * NS_PER_MS;
	uint64_t max = (uint64_t)c->p.rto_max_ms * NS_PER_MS;
	uint64_t var4 = (uint64_t)(4 * c->t_rttvar_ns);
	uint64_t rto = (uint64_t)c->t_srtt_ns + (var4 > NS_PER_MS ? var4 : NS_PER_MS);

	c->t_rto_ns = rto < min ? min : rto > max ? max : rto;
	tcp_rto_publish(c);
}

/* RFC 6298 §2: one RTT sample r (ns). */
void
tcp_rtt_sample(struct tcp_conn *c, int64_t r)
{
	if (r <= 0)
		r = 1;
	if (c->t_srtt_ns == 0) {
		c->t_srtt_ns = r;
		c->t_rttvar_ns = r / 2;
	} else {
		int64_t d = c->t_srtt_ns - r;
		c->t_rttvar_ns = (3 * c->t_rttvar_ns + (d < 0 ? -d : d)) / 4;
		c->t_srtt_ns = (7 * c->t_srtt_ns + r) / 8;
	}
	atomic_store_explicit(&c->st_srtt_us, (uint32_t)(c->t_srtt_ns / 1000), memory_order_relaxed);
	atomic_store_explicit(&c->st_rttvar_us, (uint32_t)(c->t_rttvar_ns / 1000),
			      memory_order_relaxed);
	tcp_rto_from_srtt(c);
}

uint32_t
tcp_loss_ssthresh(const struct tcp_conn *c)
{
	uint32_t h = (uint32_t)((uint64_t)flight_size(c) * c->p.beta_pct / 100u), two = 2u * c->t_mss;

	return h > two ? h : two;
}


void
tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked, uint64_t n_acks)
{
	if (c->t_cwnd < c->t_ssthresh) {
		/* Slow start with byte counting (RFC 3465), at most L = 2 SMSS per ACK:
		 * the control lcore counts the ACKs (acks_in) that this poll takes in. */
		uint64_t lim = (n_acks > 0 ? n_acks : 1) * 2u * c->t_mss;
		c->t_cwnd += (uint32_t)(acked < lim ? acked : lim);
	} else {
		c->t_bytes_acked_ca += acked; /* congestion avoidance: +1 MSS per cwnd */
		if (c->t_bytes_acked_ca >= c->t_cwnd) {
			c->t_bytes_acked_ca -= c->t_cwnd;
			c->t_cwnd += c->t_mss;
		}
	}
}

/* ---- undo (DSACK RFC 2883 / Eifel RFC 3522) ---- */

/* A loss episode begins (recovery or RTO): remember cwnd and ssthresh before the reduction.
 * An RTO inside a recovery episode keeps that episode's values and record. */
void
tcp_undo_begin(struct tcp_conn *c)
{
	if (c->t_undo_on && (c->t_in_recovery || c->t_in_loss))
		return;
	c->t_undo_on = true;
	c->t_undo_overflow = false;
	c->t_undo_n = 0;
	c->t_undo_mask = 0;
	c->t_undo_cwnd = c->t_cwnd;
	c->t_undo_ssthresh = c->t_ssthresh;
}

void
tcp_undo_record(struct tcp_conn *c, uint32_t seq, uint32_t end)
{
	if (c->t_undo_n == TCP_UNDO_RANGES) {
		c->t_undo_overflow = true;
		return;
	}
	c->t_undo_start[c->t_undo_n] = seq;
	c->t_undo_end[c->t_undo_n] = end;
	c->t_undo_n++;
}

/* The reduction was for nothing: restore cwnd and ssthresh, leave recovery, forget the
 * loss marks (those segments were not lost either: RACK judges them again). Without SACK
 * (Eifel after an RTO) sending resumes where it was before the go-back-N. */
void
tcp_undo(struct tcp_conn *c, bool eifel)
{
	if (c->t_cwnd < c->t_undo_cwnd)
		c->t_cwnd = c->t_undo_cwnd;
	if (c->t_ssthresh < c->t_undo_ssthresh)
		c->t_ssthresh = c->t_undo_ssthresh;
	c->t_in_recovery = false;
	c->t_in_loss = false;
	c->t_bytes_acked_ca = 0;
	c->t_undo_on = false;
	c->t_eifel_on = false;
	if (c->t_lost_cnt > 0) {
		for (uint32_t i = c->t_head; i != c->t_nxt; i++) {
			struct tcp_seg *s = qseg(c, i);
			if (s->lost) {
				s->lost = 0;
				c->t_pipe += s->len;
			}
		}
		c->t_lost_cnt = 0;
	}
	c->t_lost_hint = c->t_nxt;
	if (eifel && !c->sack_ok && (int32_t)(c->t_eifel_nxt - c->t_nxt) > 0 &&
	    (int32_t)(c->t_tail - c->t_eifel_nxt) >= 0)
		c->t_nxt = c->t_eifel_nxt;
	jw_ctr_add(eifel ? &c->st_undos_eifel : &c->st_undos_dsack, 1);
	publish_cc(c);
}
