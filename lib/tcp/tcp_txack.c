/* The TX lcore takes in what the control lcore learned from the wire: the cumulative ACK
 * and dupack count (ack_state), the count of accepted ACKs (acks_in), the TSecr of the
 * last ACK that moved snd_una (Eifel) and, with SACK, the scoreboard (tcp_recovery.c).
 * A cumulative ACK frees the acknowledged segments, gives RTT samples (Karn), ends TLP
 * episodes and grows cwnd (tcp_cc.c) unless loss recovery sets it.
 */
#include "tcp/tcp_tx.h"

/* Frees the queued segments that una covers. With SACK, each one not SACKed before is a
 * delivery for RACK and counts in *delivered (PRR); a delivered segment below the highest
 * SACKed one that was never retransmitted arrived after higher ones: reordering. */
static void
ack_release(struct tcp_txctx *x, uint32_t una, uint32_t *delivered)
{
	struct tcp_conn *c = x->c;

	while (c->t_head != c->t_tail) {
		struct tcp_seg *s = qseg(c, c->t_head);
		if (SEQ_GT(s->seq + s->len + s->fin, una))
			break;
		if (c->sack_ok) {
			if (!s->sacked) {
				*delivered += s->len;
				if (SEQ_LT(seg_end(s), c->t_fack) && !s->rexmit)
					c->t_rack_reord = true; /* arrived after higher ones */
				tcp_rack_delivered(x, s);
			}
			if (s->lost)
				c->t_lost_cnt--;
		}
		rte_pktmbuf_free(s->m);
		s->m = NULL;
		c->t_head++;
	}
	if ((int32_t)(c->t_nxt - c->t_head) < 0)
		c->t_nxt = c->t_head;
	if ((int32_t)(c->t_lost_hint - c->t_head) < 0)
		c->t_lost_hint = c->t_head;
}

/* RTT sample of the timed segment (Karn: only first transmissions are timed), or, for an
 * ACK of new data without a sample, the RTO recomputed without the backoff. */
static void
ack_rtt(struct tcp_txctx *x, uint32_t una)
{
	struct tcp_conn *c = x->c;

	if (c->t_rtt_timing && SEQ_GT(una, c->t_rtt_seq)) {
		c->t_rtt_timing = false;
		tcp_rtt_sample(c, (int64_t)(x->now - c->t_rtt_start_ns));
	} else if (c->t_srtt_ns != 0) {
		tcp_rto_from_srtt(c); /* new data acked: forget the backoff */
	}
}

/* Eifel (RFC 3522): the first ACK past the RTO's retransmission echoes a timestamp older
 * than that retransmission: the original arrived, the RTO was spurious. */
static void
ack_eifel(struct tcp_conn *c, uint32_t una)
{
	uint32_t tsecr;

	if (!c->t_eifel_on || !SEQ_GT(una, c->t_eifel_seq))
		return;
	/* Relaxed: process_ack stored ack_tsecr before its store-release of ack_state
	 * (tcp_ctl_publish_ack), which tcp_take_acks load-acquired. */
	tsecr = atomic_load_explicit(&c->ack_tsecr, memory_order_relaxed);
	c->t_eifel_on = false;
	if (c->ts_ok && SEQ_LT(tsecr, c->t_eifel_tsval) && c->t_undo_on)
		tcp_undo(c, true);
}

/* TLP episode (RFC 8985 §7.4): a probe DSACKed was needless (the peer was only slow to
 * ACK: its delayed-ACK timer, a busy server): wait longer next time, up to rto_min. A new
 * data probe is done once snd_una reaches what was sent before it. A retransmitted probe
 * acked beyond without a DSACK repaired a real loss: probe sooner again (not below 10 ms)
 * and reduce once. */
static void
ack_tlp_episode(struct tcp_conn *c, uint32_t una)
{
	if (!c->t_tlp_out)
		return;
	if (c->t_tlp_dsacked) {
		c->t_tlp_out = false;
		c->t_pto_floor_ns = JW_MIN(2 * c->t_pto_floor_ns,
					   (uint64_t)c->p.rto_min_ms * NS_PER_MS);
	} else if (!c->t_tlp_rtx && SEQ_GEQ(una, c->t_tlp_high)) {
		c->t_tlp_out = false;
	} else if (c->t_tlp_rtx && SEQ_GT(una, c->t_tlp_high)) {
		c->t_tlp_out = false;
		c->t_pto_floor_ns = JW_MAX(c->t_pto_floor_ns / 2, TCP_PTO_MIN_NS);
		if (!c->t_in_recovery && !c->t_in_loss) {
			c->t_ssthresh = JW_MAX((uint32_t)((uint64_t)c->t_cwnd * c->p.beta_pct / 100u),
					       2u * c->t_mss);
			c->t_cwnd = c->t_ssthresh;
		}
	}
}

/* snd_una moved to una (inside what was sent), n_acks ACKs arrived since the last poll:
 * free, time, judge the episode, set cwnd, re-arm the RTO. Returns the bytes delivered
 * that were not SACKed before (SACK connections, for PRR). */
static uint32_t
ack_advance(struct tcp_txctx *x, uint32_t una, uint64_t n_acks)
{
	struct tcp_conn *c = x->c;
	uint32_t acked = una - c->t_snd_una, delivered = 0;

	c->t_snd_una = una;
	ack_release(x, una, &delivered);
	jw_ctr_add(&c->st_bytes_acked, acked);
	c->t_retries = 0;
	c->t_persist_backoff = 0;
	c->t_probes_unanswered = 0;
	ack_rtt(x, una);
	ack_eifel(c, una);
	ack_tlp_episode(c, una);
	if (c->t_in_recovery) {
		if (!c->sack_ok)
			tcp_newreno_ack(x, una, acked);
		/* SACK: PRR sets cwnd in tcp_sack_after_acks */
	} else {
		tcp_cc_on_ack(c, acked, n_acks);
	}
	if (!c->sack_ok && c->t_in_loss && SEQ_GEQ(una, c->t_recover))
		c->t_in_loss = false;
	c->t_dup_seen = 0;
	c->t_lt_extra = 0;
	c->t_progress_ns = x->now;
	c->t_rto_deadline = c->t_nxt != c->t_head ? x->now + c->t_rto_ns : 0;
	publish_cc(c);
	return delivered;
}

void
tcp_take_acks(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	/* Acquire pairs with the store-release of ack_state in tcp_ctl_publish_ack
	 * (tcp_priv.h, called by process_ack): ack_tsecr stored before it is visible too. */
	uint64_t as = atomic_load_explicit(&c->ack_state, memory_order_acquire); /* [T2] */
	uint32_t una = (uint32_t)(as >> 32), dup = (uint32_t)as;
	/* ACKs the control lcore accepted since the last poll (relaxed: a count only). */
	uint64_t acks = atomic_load_explicit(&c->acks_in, memory_order_relaxed);
	uint64_t n_acks = acks - c->t_acks_seen;
	uint32_t delivered = 0;
	bool una_moved = false;

	c->t_acks_seen = acks;
	if (SEQ_GT(una, c->t_snd_una) && SEQ_LEQ(una, c->t_snd_max)) {
		una_moved = true;
		delivered = ack_advance(x, una, n_acks);
	}
	if (c->sack_ok)
		tcp_sack_after_acks(x, una_moved, delivered);
	else
		tcp_newreno_dupacks(x, dup);
}
