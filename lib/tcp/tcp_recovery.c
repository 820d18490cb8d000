/* Loss recovery of the TX lcore.
 *
 * SACK (negotiated: c->sack_ok): the control lcore keeps the SACKed ranges and the DSACK
 * blocks it parsed (tcp_sack.c) in a seqlocked scoreboard; this side copies it when its
 * generation moves (sb_read) and marks its own queue: sacked segments leave the pipe, RACK
 * (RFC 8985) marks as lost every unSACKed segment sent sufficiently before one that was
 * delivered (a reordering window once reordering was seen), the send loop (tcp_xmit.c)
 * resends lost segments first and then new data while pipe (RFC 6675: bytes in flight,
 * neither SACKed nor lost) stays under cwnd; in recovery cwnd follows PRR (RFC 6937). A
 * tail loss probe (TLP, RFC 8985 §7) replaces the loss probe and early retransmit of the
 * non-SACK path. Retransmissions of a loss episode are remembered (tcp_cc.c) so that
 * DSACKs proving all of them needless restore cwnd and ssthresh.
 *
 * Without SACK: NewReno fast retransmit and recovery (RFC 5681/6582), limited transmit
 * (RFC 3042), early retransmit (RFC 5827) and a loss probe of the first unacked segment.
 *
 * Timers that declare loss (TLP, RACK's reordering timer; the RTO in tcp_timer.c) wait
 * until the control lcore has polled past their deadline (ctl_caught_up): an ACK it has
 * not read yet is not a loss.
 */
#include <string.h>

#include "tcp/tcp_tx.h"

/* ---- SACK scoreboard, RACK, PRR (SACK connections) ---- */

/* Copies the control lcore's scoreboard when its generation moved (seqlock reader: the
 * load-acquire of an even gen pairs with sb_publish's store-release (tcp_sack.c); the acquire fence
 * orders the relaxed data loads before the recheck). New DSACK blocks go to ds_*; returns
 * how many (0..TCP_SB_DSACKS), or -1 when the copy did not change. */
static int
sb_read(struct tcp_conn *c, uint32_t *ds_s, uint32_t *ds_e)
{
	struct tcp_sack_board *b = &c->sb;

	for (int tries = 0; tries < 4; tries++) {
		/* [T6] */
		uint32_t g1 = atomic_load_explicit(&b->gen, memory_order_acquire), n, dn, g2, k;
		uint32_t st[TCP_SB_RANGES], en[TCP_SB_RANGES], dst[TCP_SB_DSACKS], den[TCP_SB_DSACKS];

		if (g1 == c->t_sb_gen)
			return -1;
		if (g1 & 1u)
			continue;
		n = atomic_load_explicit(&b->n, memory_order_relaxed);
		if (n > TCP_SB_RANGES)
			n = TCP_SB_RANGES;
		for (uint32_t i = 0; i < n; i++) {
			st[i] = atomic_load_explicit(&b->start[i], memory_order_relaxed);
			en[i] = atomic_load_explicit(&b->end[i], memory_order_relaxed);
		}
		dn = atomic_load_explicit(&b->dsack_n, memory_order_relaxed);
		for (uint32_t i = 0; i < TCP_SB_DSACKS; i++) {
			dst[i] = atomic_load_explicit(&b->ds_start[i], memory_order_relaxed);
			den[i] = atomic_load_explicit(&b->ds_end[i], memory_order_relaxed);
		}
		atomic_thread_fence(memory_order_acquire); /* [T6] */
		g2 = atomic_load_explicit(&b->gen, memory_order_relaxed);
		if (g1 != g2)
			continue;
		c->t_sb_gen = g1;
		c->t_sb_n = n;
		memcpy(c->t_sb_start, st, n * sizeof(st[0]));
		memcpy(c->t_sb_end, en, n * sizeof(en[0]));
		k = dn - c->t_dsack_seen;
		if (k > TCP_SB_DSACKS)
			k = TCP_SB_DSACKS; /* older ones were overwritten: not seen */
		for (uint32_t i = 0; i < k; i++) {
			uint32_t j = (dn - k + i) % TCP_SB_DSACKS;
			ds_s[i] = dst[j];
			ds_e[i] = den[j];
		}
		c->t_dsack_seen = dn;
		return (int)k;
	}
	return -1; /* the writer kept us out: next poll */
}

/* RACK_sent_after: was (t1, e1) sent after (t2, e2)? Same time: the higher sequence. */
static inline bool
sent_after(uint64_t t1, uint32_t e1, uint64_t t2, uint32_t e2)
{
	return t1 > t2 || (t1 == t2 && SEQ_GT(e1, e2));
}

/* A segment was delivered (SACKed or cumulatively acked for the first time): RACK keeps the
 * most recently sent delivered segment and its RTT (RFC 8985 §6.2 step 2; a retransmitted
 * segment acked faster than min RTT was acked for its original: ambiguous, ignored). */
void
tcp_rack_delivered(struct tcp_txctx *x, const struct tcp_seg *s)
{
	struct tcp_conn *c = x->c;
	uint64_t rtt = x->now - s->xmit_ns;

	if (s->xmit_ns == 0)
		return;
	if (s->rexmit && rtt < c->t_min_rtt_ns)
		return;
	if (!s->rexmit && (c->t_min_rtt_ns == 0 || rtt < c->t_min_rtt_ns))
		c->t_min_rtt_ns = rtt;
	if (sent_after(s->xmit_ns, seg_end(s), c->t_rack_xmit_ns, c->t_rack_end_seq)) {
		c->t_rack_xmit_ns = s->xmit_ns;
		c->t_rack_end_seq = seg_end(s);
		c->t_rack_rtt_ns = rtt;
	}
}

/* RFC 8985 §6.2 step 4: no window before reordering was seen once recovery started or
 * DupThresh segments are SACKed; else min_rtt/4 times the DSACK-raised multiplier, at most
 * SRTT. */
static uint64_t
rack_reo_wnd(const struct tcp_conn *c, uint32_t sacked_segs)
{
	uint64_t w;

	if (!c->t_rack_reord && (c->t_in_recovery || c->t_in_loss || sacked_segs >= 3))
		return 0;
	w = c->t_min_rtt_ns / 4 * c->t_rack_reo_mult;
	return w < (uint64_t)c->t_srtt_ns ? w : (uint64_t)c->t_srtt_ns;
}

/* One pass over the flight [head, t_nxt): marks what the scoreboard covers as SACKed (RACK
 * learns of each), detects reordering (a never-retransmitted segment delivered below the
 * highest SACKed one), then marks as lost every unSACKed segment sent before RACK's segment
 * whose time is up, arms the reordering timer for the others, and recounts pipe. Returns
 * the bytes newly SACKed; *losses gets the segments newly marked lost. */
static uint32_t
sb_scan(struct tcp_txctx *x, uint32_t *losses)
{
	struct tcp_conn *c = x->c;
	uint32_t una = c->t_snd_una, r = 0, n = c->t_sb_n, old_fack = c->t_fack, fack = una;
	uint32_t newly = 0, sacked = 0, sacked_segs = 0, pipe = 0, hint = c->t_nxt;
	uint64_t reo, deadline = 0;

	for (uint32_t i = c->t_head; i != c->t_nxt; i++) {
		struct tcp_seg *s = qseg(c, i);
		uint32_t from = SEQ_GT(una, s->seq) ? una : s->seq, end = seg_end(s);

		if (!s->sacked && r < n) {
			while (r < n && SEQ_LEQ(c->t_sb_end[r], from))
				r++;
			if (r < n && SEQ_LEQ(c->t_sb_start[r], from) && SEQ_GEQ(c->t_sb_end[r], end)) {
				s->sacked = 1;
				if (s->lost) {
					s->lost = 0;
					c->t_lost_cnt--;
				}
				newly += s->len;
				if (SEQ_LT(end, old_fack) && !s->rexmit)
					c->t_rack_reord = true;
				tcp_rack_delivered(x, s);
			}
		}
		if (s->sacked) {
			sacked += s->len;
			sacked_segs++;
			if (SEQ_GT(end, fack))
				fack = end;
		}
	}
	c->t_fack = fack;
	c->t_sacked_bytes = sacked;
	reo = rack_reo_wnd(c, sacked_segs);
	*losses = 0;
	for (uint32_t i = c->t_head; i != c->t_nxt; i++) {
		struct tcp_seg *s = qseg(c, i);

		if (s->sacked)
			continue;
		if (!s->lost && c->t_rack_xmit_ns != 0 &&
		    sent_after(c->t_rack_xmit_ns, c->t_rack_end_seq, s->xmit_ns, seg_end(s))) {
			uint64_t when = s->xmit_ns + c->t_rack_rtt_ns + reo;

			if (x->now >= when) {
				s->lost = 1;
				c->t_lost_cnt++;
				(*losses)++;
				jw_ctr_add(&c->st_rack_losses, 1);
			} else if (deadline == 0 || when < deadline) {
				deadline = when;
			}
		}
		if (s->lost) {
			if (hint == c->t_nxt)
				hint = i;
		} else {
			pipe += s->len;
		}
	}
	c->t_pipe = pipe;
	c->t_lost_hint = hint;
	c->t_rack_deadline = deadline;
	return newly;
}

/* PRR (RFC 6937, with slow-start reduction bound): cwnd = pipe + what may go for the data
 * just delivered, so the flight shrinks smoothly to ssthresh instead of stalling for half
 * an RTT; the first retransmission of an episode always goes. */
static void
prr_update(struct tcp_conn *c, uint32_t delivered)
{
	uint32_t pipe = c->t_pipe, ss = c->t_ssthresh;
	int64_t snd;

	c->t_prr_delivered += delivered;
	if (pipe > ss) {
		uint64_t fs = c->t_recover_fs != 0 ? c->t_recover_fs : 1;
		snd = (int64_t)(((uint64_t)c->t_prr_delivered * ss + fs - 1) / fs) -
		      (int64_t)c->t_prr_out;
	} else {
		int64_t lim = (int64_t)c->t_prr_delivered - (int64_t)c->t_prr_out;
		if (lim < (int64_t)delivered)
			lim = delivered;
		lim += c->t_mss;
		snd = (int64_t)(ss - pipe) < lim ? (int64_t)(ss - pipe) : lim;
	}
	if (snd < 0)
		snd = 0;
	if (c->t_prr_out == 0 && snd < c->t_mss)
		snd = c->t_mss;
	c->t_cwnd = pipe + (uint32_t)snd;
}

/* Did a DSACK block [s, e) report a duplicate of one of our recent retransmissions? */
static bool
dsack_of_rtx(const struct tcp_conn *c, uint32_t s, uint32_t e)
{
	for (uint32_t j = 0; j < TCP_RTX_HIST; j++)
		if (c->t_rtx_hist_s[j] != c->t_rtx_hist_e[j] && SEQ_LT(s, c->t_rtx_hist_e[j]) &&
		    SEQ_GT(e, c->t_rtx_hist_s[j]))
			return true;
	return false;
}

/* A DSACKed range [s, e): a TLP or a recorded retransmission was a duplicate. When every
 * retransmission of the episode is proven needless, undo. A DSACK of a retransmission
 * (the original arrived after all: reordering or delay) widens RACK's reordering window
 * (RFC 8985 §6.2 step 4): reo_wnd_mult + 1 at most once per round trip, and 16 recovery
 * episodes later it is back to 1 (reo_wnd_persist). A DSACK of a segment sent only once
 * is a copy the network made: it says nothing about reordering and widens nothing (with
 * 1 % duplication every run kept the window at its SRTT ceiling, so each real loss was
 * found a round trip later). */
static void
dsacks_take(struct tcp_conn *c, const uint32_t *ds, const uint32_t *de, int k)
{
	bool spurious = false;

	for (int i = 0; i < k; i++) {
		if (dsack_of_rtx(c, ds[i], de[i]))
			spurious = true;
		if (c->t_tlp_out && c->t_tlp_rtx && SEQ_LT(ds[i], c->t_tlp_end) &&
		    SEQ_GT(de[i], c->t_tlp_seq))
			c->t_tlp_dsacked = true;
		for (uint32_t j = 0; c->t_undo_on && j < c->t_undo_n; j++)
			if (SEQ_LT(ds[i], c->t_undo_end[j]) && SEQ_GT(de[i], c->t_undo_start[j]))
				c->t_undo_mask |= (uint16_t)(1u << j);
	}
	if (spurious && SEQ_GEQ(c->t_snd_una, c->t_rack_dsack_round)) {
		c->t_rack_reord = true;
		c->t_rack_dsack_round = c->t_snd_max;
		if (c->t_rack_reo_mult < 8)
			c->t_rack_reo_mult++;
		c->t_rack_reo_persist = 16;
	}
	if (c->t_undo_on && !c->t_undo_overflow && c->t_undo_n > 0 &&
	    c->t_undo_mask == (uint16_t)((1u << c->t_undo_n) - 1u))
		tcp_undo(c, false);
}

/* After the ACKs of this poll (una_moved, delivered = bytes newly cumulatively acked that
 * were not SACKed): scoreboard, DSACKs, RACK, recovery entry/exit, PRR. */
void
tcp_sack_after_acks(struct tcp_txctx *x, bool una_moved, uint32_t delivered)
{
	struct tcp_conn *c = x->c;
	uint32_t ds[TCP_SB_DSACKS], de[TCP_SB_DSACKS], losses = 0;
	int k = sb_read(c, ds, de);
	bool timer = c->t_rack_deadline != 0 && x->now >= c->t_rack_deadline;

	if (k > 0)
		dsacks_take(c, ds, de, k);
	if (timer && !ctl_caught_up(c, c->t_rack_deadline))
		timer = false;
	if (k < 0 && !una_moved && !timer && !c->t_sb_dirty)
		return;
	c->t_sb_dirty = false;
	if (c->t_sb_n == 0 && c->t_sacked_bytes == 0 && c->t_lost_cnt == 0 && !timer &&
	    c->t_rack_deadline == 0) {
		c->t_pipe = flight_size(c); /* nothing SACKed or lost: pipe is the flight */
	} else {
		delivered += sb_scan(x, &losses);
	}
	if (losses > 0 && !c->t_in_recovery && !c->t_in_loss) {
		/* Loss recovery (RFC 6675 §5 entry, RACK-detected): one reduction per episode. */
		tcp_undo_begin(c);
		c->t_ssthresh = tcp_loss_ssthresh(c);
		c->t_recover = c->t_snd_max;
		c->t_in_recovery = true;
		c->t_prr_delivered = 0;
		c->t_prr_out = 0;
		c->t_recover_fs = flight_size(c);
		c->t_rtt_timing = false;
		/* A real loss (the probe revealed it, or RACK found it): this path loses
		 * segments, so resent probes may go sooner (the floor starts at rto_min: on a
		 * path that never lost anything a resent probe would only race a busy peer's
		 * delayed ACK). */
		c->t_pto_floor_ns = JW_MAX(c->t_pto_floor_ns / 2, TCP_PTO_MIN_NS);
		c->t_tlp_out = false; /* the recovery's reduction covers what the TLP found */
		jw_ctr_add(&c->st_fast_retransmits, 1);
		delivered = 0;
	}
	if (c->t_in_recovery) {
		if (SEQ_GEQ(c->t_snd_una, c->t_recover)) {
			c->t_in_recovery = false;
			c->t_cwnd = c->t_ssthresh > c->t_mss ? c->t_ssthresh : c->t_mss;
			if (c->t_rack_reo_persist > 0 && --c->t_rack_reo_persist == 0)
				c->t_rack_reo_mult = 1; /* RFC 8985 §6.2 step 4 */
		} else {
			prr_update(c, delivered);
		}
	}
	if (c->t_in_loss && SEQ_GEQ(c->t_snd_una, c->t_recover))
		c->t_in_loss = false;
	publish_cc(c);
}


/* ---- without SACK: NewReno ---- */

void
tcp_newreno_ack(struct tcp_txctx *x, uint32_t una, uint32_t acked)
{
	struct tcp_conn *c = x->c;

	if (SEQ_GEQ(una, c->t_recover)) { /* full ACK: leave recovery (RFC 6582 3.2.3) */
		uint32_t f = flight_size(c) + c->t_mss;
		c->t_cwnd = f < c->t_ssthresh ? f : c->t_ssthresh;
		c->t_in_recovery = false;
		return;
	}
	/* partial ACK: retransmit the next hole, deflate (3.2.4) */
	if (c->t_head != c->t_tail && c->t_head != c->t_nxt && room_for(x, 1))
		(void)tcp_xmit(x, c->t_head, TCP_RTX_FAST);
	c->t_cwnd = c->t_cwnd > acked ? c->t_cwnd - acked : 0;
	if (acked >= c->t_mss)
		c->t_cwnd += c->t_mss;
	if (c->t_cwnd < c->t_mss)
		c->t_cwnd = c->t_mss;
}

/* Outside recovery: fast retransmit at the threshold (three dupacks, fewer when early
 * retransmit applies), else limited transmit; inside: inflation per further dupack. */
void
tcp_newreno_dupacks(struct tcp_txctx *x, uint32_t dup)
{
	struct tcp_conn *c = x->c;
	uint32_t n;

	if (dup <= c->t_dup_seen)
		return;
	n = dup - c->t_dup_seen;
	c->t_dup_seen = dup;
	if (c->t_nxt == c->t_head)
		return; /* nothing outstanding: not a loss signal */
	if (!c->t_in_recovery) {
		uint32_t in_flight = c->t_nxt - c->t_head, thresh = 3;
		/* Early retransmit (RFC 5827): too few segments in flight to ever see
		 * three dupacks, and nothing new to send: lower the threshold. */
		if (in_flight < 4 && c->t_nxt == c->t_tail)
			thresh = in_flight > 1 ? in_flight - 1 : 1;
		if (dup >= thresh && SEQ_GT(c->t_snd_una, c->t_recover)) {
			/* Fast retransmit (RFC 5681 3.2, RFC 6582 3.2.2). */
			tcp_undo_begin(c);
			c->t_ssthresh = tcp_loss_ssthresh(c);
			c->t_recover = c->t_snd_max;
			c->t_cwnd = c->t_ssthresh + dup * c->t_mss;
			c->t_lt_extra = 0;
			c->t_in_recovery = true;
			c->t_rtt_timing = false;
			if (room_for(x, 1) && tcp_xmit(x, c->t_head, TCP_RTX_FAST))
				jw_ctr_add(&c->st_fast_retransmits, 1);
		} else if (dup <= 2) {
			/* Limited transmit (RFC 3042): each of the first two dupacks lets
			 * one new segment out, so a small window still gets its dupacks. */
			c->t_lt_extra = dup * c->t_mss;
		}
	} else {
		c->t_cwnd += n * c->t_mss; /* inflation per further dupack */
	}
	publish_cc(c);
}


/* ---- loss probes ---- */

/* Loss probe of the non-SACK path (after RFC 8985 §7, adapted to a sender without SACK):
 * when nothing has moved for PTO = max(2 SRTT, 10 ms) while two or more segments are in
 * flight, retransmit the first unacknowledged segment once per snd_una. Without SACK the
 * cumulative ACK is exactly the first byte the receiver lacks, so this repairs a lost tail
 * or a lost retransmission without waiting for the RTO (200 ms floor) and without
 * collapsing cwnd to one segment; it enters NewReno recovery (halving) like a fast
 * retransmit. With one segment in flight the peer may be delaying its ACK (up to 200 ms),
 * so the RTO handles it. SACK connections use tcp_tlp_timer instead.
 */
void
tcp_loss_probe(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint64_t pto;

	if (c->sack_ok || c->t_nxt == c->t_head || c->t_srtt_ns == 0 || c->t_nxt - c->t_head < 2 ||
	    (c->t_probed && c->t_probe_una == c->t_snd_una) || !room_for(x, 1))
		return;
	/* A closed window explains the silence: the RTO (as window probe) handles it. */
	if (SEQ_LEQ(wnd_edge(c), c->t_snd_una))
		return;
	pto = 2 * (uint64_t)c->t_srtt_ns;
	if (pto < 10 * NS_PER_MS)
		pto = 10 * NS_PER_MS;
	if (x->now < c->t_progress_ns + pto ||
	    (c->t_rto_deadline != 0 && c->t_progress_ns + pto >= c->t_rto_deadline))
		return;
	if (!ctl_caught_up(c, c->t_progress_ns + pto))
		return;
	if (!c->t_in_recovery) {
		tcp_undo_begin(c);
		c->t_ssthresh = tcp_loss_ssthresh(c);
		c->t_cwnd = c->t_ssthresh;
		c->t_recover = c->t_snd_max;
		c->t_in_recovery = true;
		publish_cc(c);
	}
	c->t_rtt_timing = false;
	c->t_probed = true;
	c->t_probe_una = c->t_snd_una;
	if (tcp_xmit(x, c->t_head, TCP_RTX_TLP))
		jw_ctr_add(&c->st_loss_probes, 1);
}

/* Tail loss probe (RFC 8985 §7), SACK connections: when nothing moved for PTO with two or
 * more segments in flight (and no RTO recovery), send one new segment if the peer's window
 * takes it, else resend the highest unSACKed one; cwnd is not touched (the probe's SACK
 * lets RACK find a lost tail; a resent probe acked without a DSACK reduces once,
 * ack_tlp_episode in tcp_txack.c). One resent probe per episode (new data may probe
 * again, see below); the RTO is re-armed behind each probe.
 * Unlike RFC 8985 §7.2 a probe may also go during fast recovery: there a lost ACK or a
 * lost retransmission with nothing sent after it leaves PRR waiting for deliveries that
 * never come, and the probe's answer (SACK or DSACK) lets RACK go on instead of a 200 ms
 * RTO collapsing cwnd.
 * PTO = 2 SRTT, at least a floor that depends on what the probe would send:
 *  - new data: TCP_PTO_FRESH_NS (500 us). Such a probe retransmits nothing and costs one
 *    segment beyond cwnd that had to go anyway, so it may go early. It matters: a Linux
 *    receiver answers a burst with one stretch ACK, and when that ACK is lost the whole
 *    flight waits for the probe (at 1 % ACK loss jwtcpsend spent half of its time in such
 *    waits when their floor was 40 ms, and 10-20 waits of 2 ms each still took ~5 % of a
 *    run at 100-200 us RTTs). RFC 8985 §7.2 sets no floor for a flight of two or more
 *    segments (a receiver ACKs every second segment at once); Linux adds 2 ms for its
 *    jiffy timers. Ours are polled, at most a sleep of the poll loop late, so 500 us
 *    (several RTTs and poll sleeps of this path) is the margin;
 *    When neither the flight's ACK nor the probe's comes back (2 % of the probes at 1 %
 *    loss each way), up to TCP_TLP_FRESH_MAX probes with new data go, each after twice
 *    the previous wait, before the RTO (200 ms) takes over;
 *  - a retransmission: the adaptive floor t_pto_floor_ns. It starts at rto_min, so on a
 *    path that has lost nothing yet the RTO comes first and no resent probe races a busy
 *    peer's delayed ACK (Linux delays one 40 ms and more: with a 40 ms floor 1,000,000
 *    engine publishes on the clean path still saw one needless probe, and one per run
 *    with both CPUs busy). Each recovery episode (a real loss) and each probe that
 *    repaired one halves it (down to 10 ms); each probe a DSACK proves needless doubles
 *    it (up to rto_min): it learns how long this peer may sit on an ACK. */
void
tcp_tlp_timer(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	const struct tcp_seg *nx;
	uint32_t edge;
	uint64_t pto, when;
	bool fresh;

	if (!c->sack_ok || c->t_nxt == c->t_head || c->t_srtt_ns == 0 || c->t_nxt - c->t_head < 2 ||
	    c->t_in_loss || !room_for(x, 1) ||
	    (c->t_tlp_out && (c->t_tlp_rtx || c->t_tlp_n >= TCP_TLP_FRESH_MAX)))
		return;
	edge = wnd_edge(c);
	if (SEQ_LEQ(edge, c->t_snd_una))
		return;
	nx = qseg(c, c->t_nxt);
	fresh = c->t_nxt != c->t_tail && nx->len > 0 && SEQ_LEQ(nx->seq + nx->len, edge);
	if (c->t_tlp_out && !fresh)
		return; /* only a probe with new data goes again */
	pto = JW_MAX(2 * (uint64_t)c->t_srtt_ns, fresh ? TCP_PTO_FRESH_NS : c->t_pto_floor_ns);
	if (c->t_tlp_out)
		pto <<= c->t_tlp_n; /* the episode's next probe: backed off */
	/* Re-armed by every transmission too: a retransmission in recovery is progress. */
	when = (c->t_last_xmit_ns > c->t_progress_ns ? c->t_last_xmit_ns : c->t_progress_ns) + pto;
	if (x->now < when || (c->t_rto_deadline != 0 && when >= c->t_rto_deadline))
		return;
	if (!ctl_caught_up(c, when))
		return;
	if (fresh) {
		if (!tcp_xmit(x, c->t_nxt, TCP_RTX_TLP))
			return;
		c->t_nxt++;
		c->t_tlp_rtx = false;
		c->t_tlp_n = c->t_tlp_out ? (uint8_t)(c->t_tlp_n + 1) : 1;
	} else {
		uint32_t i = c->t_nxt - 1;
		while (i != c->t_head && qseg(c, i)->sacked)
			i--;
		if (qseg(c, i)->sacked || !tcp_xmit(x, i, TCP_RTX_TLP))
			return;
		c->t_tlp_rtx = true;
		c->t_tlp_seq = qseg(c, i)->seq;
		c->t_tlp_end = seg_end(qseg(c, i));
	}
	c->t_tlp_out = true;
	c->t_tlp_dsacked = false;
	c->t_tlp_high = c->t_snd_max;
	c->t_rtt_timing = false;
	c->t_rto_deadline = x->now + c->t_rto_ns;
	jw_ctr_add(&c->st_loss_probes, 1);
}
