/* Timers of the TX lcore that are not loss detection by ACKs: the retransmission timer
 * (RFC 6298), the persist timer for a window too small for the head segment (RFC 9293
 * §3.8.6.1) and the SYN retransmission timer. The RTO is held while the control lcore has
 * not polled past its deadline (ctl_caught_up, tcp_tx.h).
 */
#include "tcp/tcp_hdr.h"
#include "tcp/tcp_tx.h"

/* RTO expiry (RFC 6298 §5.4-5.6, RFC 5681 eq. 4): back off and go back to the first
 * unacknowledged segment with a one-segment window. With SACK every unSACKed segment is
 * marked lost and resent in order as cwnd allows (SACKed ones are skipped). Held while the
 * control lcore has not polled past the deadline. Arms Eifel for the first expiry. */
void
tcp_rto_timer(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint64_t max = (uint64_t)c->p.rto_max_ms * NS_PER_MS, acks_in;
	bool zero_wnd;

	if (c->t_rto_deadline == 0 || x->now < c->t_rto_deadline)
		return;
	if (c->t_nxt == c->t_head) {
		c->t_rto_deadline = 0;
		return;
	}
	if (!ctl_caught_up(c, c->t_rto_deadline)) {
		jw_ctr_add(&c->st_rto_held, 1);
		return;
	}
	/* The peer closed its window on data in flight and keeps answering: our
	 * retransmissions are window probes, and a live peer that is slow to read is not a
	 * dead path (as Linux's tcp_retransmit_timer). Only silence counts toward the limit. */
	acks_in = atomic_load_explicit(&c->acks_in, memory_order_relaxed);
	zero_wnd = SEQ_LEQ(wnd_edge(c), c->t_snd_una);
	if (!(zero_wnd && acks_in != c->t_rto_acks_in)) {
		if (c->t_retries >= c->p.max_retries) {
			tx_fail(c, TCP_R_TIMEOUT);
			return;
		}
		c->t_retries++;
	}
	c->t_rto_acks_in = acks_in;
	jw_ctr_add(&c->st_rto_expiries, 1);
	tcp_undo_begin(c);
	if (c->t_retries <= 1) {
		c->t_ssthresh = tcp_loss_ssthresh(c);
		if (c->ts_ok && !c->t_eifel_on) {
			c->t_eifel_on = true;
			c->t_eifel_tsval = tcp_tsval(c, x->now);
			c->t_eifel_seq = qseg(c, c->t_head)->seq;
			c->t_eifel_nxt = c->t_nxt;
		}
	}
	c->t_cwnd = c->t_mss;
	c->t_bytes_acked_ca = 0;
	c->t_in_recovery = false;
	c->t_in_loss = true;
	c->t_recover = c->t_snd_max;
	c->t_rtt_timing = false;
	c->t_tlp_out = false;
	c->t_rto_ns = c->t_rto_ns * 2 > max ? max : c->t_rto_ns * 2;
	tcp_rto_publish(c);
	if (c->sack_ok) {
		c->t_pipe = 0;
		for (uint32_t i = c->t_head; i != c->t_nxt; i++) {
			struct tcp_seg *s = qseg(c, i);
			if (!s->sacked && !s->lost) {
				s->lost = 1;
				c->t_lost_cnt++;
			}
		}
		c->t_lost_hint = c->t_head;
		c->t_rack_deadline = 0;
	} else {
		c->t_nxt = c->t_head;
	}
	c->t_rto_deadline = x->now + c->t_rto_ns;
	publish_cc(c);
}

/* The persist timer expired (see tcp_persist_timer): a probe with one byte when the window
 * is zero, else the part that fits again (it was lost); an unanswered probe counts against
 * max_retries; the timer backs off like the RTO. s is the head segment, pseq its first
 * unacknowledged byte (off into s), avail the window's room from pseq. */
static void
persist_probe(struct tcp_txctx *x, struct tcp_seg *s, uint32_t off, uint32_t pseq,
	      uint32_t avail, uint64_t acks_in)
{
	struct tcp_conn *c = x->c;
	uint64_t max = (uint64_t)c->p.rto_max_ms * NS_PER_MS, ival;
	struct rte_mbuf *m;
	uint32_t n;

	if (acks_in == c->t_probe_acks_in) {
		if (++c->t_probes_unanswered > c->p.max_retries) {
			tx_fail(c, TCP_R_TIMEOUT);
			return;
		}
	} else {
		c->t_probes_unanswered = 0;
	}
	c->t_probe_acks_in = acks_in;
	n = avail > 0 ? JW_MIN(avail, (uint32_t)s->len - off) : 1;
	m = tcp_build_seg(x, s, off, n);
	if (m == NULL)
		return;
	emit(x, m);
	if (avail == 0) {
		jw_ctr_add(&c->st_zwp, 1);
		c->t_zwp_on = true; /* its byte goes again as data: no retransmission */
		c->t_zwp_seq = pseq;
	} else {
		tcp_rtx_count(c, TCP_RTX_OTHER);
	}
	if (SEQ_GT(pseq + n, c->t_snd_max))
		c->t_snd_max = pseq + n;
	if (avail > 0 && (!c->t_part_on || SEQ_GT(pseq + n, c->t_part_end))) {
		c->t_part_on = true;
		c->t_part_end = pseq + n;
	}
	if (c->t_persist_backoff < 16)
		c->t_persist_backoff++;
	ival = c->t_rto_ns << c->t_persist_backoff;
	c->t_persist_deadline = x->now + (ival > max ? max : ival);
}

/* The head segment waits, nothing is in flight and the peer's window does not take all of
 * it (RFC 9293 §3.8.6.1). If part of the window is open and those bytes were never sent,
 * they go at once as a partial segment (header mbuf + clone of that part: the queued
 * segment stays whole for later); the receiver's SWS avoidance chose that window. With a
 * zero window the persist timer probes with one byte, backing off like the RTO; the same
 * timer resends a lost partial (persist_probe). */
void
tcp_persist_timer(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint32_t edge = wnd_edge(c);
	uint64_t max = (uint64_t)c->p.rto_max_ms * NS_PER_MS, ival;
	uint64_t acks_in;
	struct tcp_seg *s;
	struct rte_mbuf *m;
	uint32_t off, pseq, avail, n;

	if (c->t_nxt == c->t_tail || c->t_nxt != c->t_head) {
		c->t_persist_deadline = 0;
		return;
	}
	s = qseg(c, c->t_nxt);
	if (s->len == 0 || SEQ_LEQ(s->seq + s->len, edge)) {
		c->t_persist_deadline = 0;
		return;
	}
	pseq = SEQ_GT(c->t_snd_una, s->seq) ? c->t_snd_una : s->seq;
	off = pseq - s->seq;
	if (off >= s->len || !room_for(x, 1))
		return;
	avail = SEQ_GT(edge, pseq) ? edge - pseq : 0;
	acks_in = atomic_load_explicit(&c->acks_in, memory_order_relaxed);
	ival = c->t_rto_ns << c->t_persist_backoff;
	if (ival > max)
		ival = max;
	if (avail > 0 && SEQ_GEQ(pseq, c->t_snd_max)) {
		n = JW_MIN(avail, (uint32_t)s->len - off);
		m = tcp_build_seg(x, s, off, n);
		if (m == NULL)
			return;
		emit(x, m);
		jw_ctr_add(&c->st_bytes_sent, n);
		c->t_snd_max = pseq + n;
		c->t_part_on = true; /* in the window: tcp_xmit sends the rest from here */
		c->t_part_end = pseq + n;
		c->t_persist_deadline = x->now + ival;
		c->t_probe_acks_in = acks_in;
		return;
	}
	if (c->t_persist_deadline == 0) {
		c->t_persist_deadline = x->now + ival;
		c->t_probe_acks_in = acks_in;
		return;
	}
	if (x->now >= c->t_persist_deadline)
		persist_probe(x, s, off, pseq, avail, acks_in);
}

void
tcp_syn_timer(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint64_t max = (uint64_t)c->p.rto_max_ms * NS_PER_MS;

	if (!c->t_syn_sent) {
		c->t_syn_sent = true;
		c->t_rtt_start_ns = x->now;
		c->t_syn_deadline = x->now + c->t_rto_ns;
		c->t_snd_max = c->iss + 1;
		publish_snd(c);
		tcp_send_syn(x);
		return;
	}
	if (x->now < c->t_syn_deadline)
		return;
	if (c->t_syn_tries >= c->p.syn_retries) {
		tx_fail(c, TCP_R_CONNECT_TIMEOUT);
		return;
	}
	c->t_syn_tries++;
	c->t_rto_ns = c->t_rto_ns * 2 > max ? max : c->t_rto_ns * 2;
	tcp_rto_publish(c);
	c->t_syn_deadline = x->now + c->t_rto_ns;
	tcp_rtx_count(c, TCP_RTX_OTHER);
	tcp_send_syn(x);
}
