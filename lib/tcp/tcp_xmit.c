/* Packets of the TX lcore: SYN, pure ACK and RST, data segments, TSO packets, and the send
 * loop that decides which queued segments go in this poll.
 *
 * The first transmission of a segment prepends the headers into the headroom of the mbuf
 * the writer filled: no copy. The queue keeps a reference (refcount + 1 while the device
 * has it) until the segment is acknowledged. A retransmission rewrites the headers in place
 * only when the device has released its reference (refcount back to 1); otherwise it
 * chains a fresh header mbuf to an indirect clone of the payload (or copies, when the port
 * cannot chain), so a header the device may still be reading is never touched.
 *
 * TSO (tcp_io.tso_max, see tcp_tso_setup): a run of never-sent segments that both windows
 * admit leaves as one packet that the device cuts into MSS segments (xmit_tso). The queue
 * stays per segment, so ACK processing, cwnd and every retransmission are unchanged;
 * retransmissions are never coalesced (one queued segment, at most one MSS, per packet).
 */
#include <string.h>

#include <rte_byteorder.h>

#include "tcp/tcp_hdr.h"
#include "tcp/tcp_tx.h"

/* ---- headers-only packets: SYN, pure ACK, RST ---- */

/* A fresh mbuf of len bytes for headers (and a copied payload); NULL when out of mbufs
 * (counted in tx_nomem). */
static struct rte_mbuf *
alloc_hdr(struct tcp_conn *c, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->io->pool);

	if (m == NULL) {
		jw_ctr_add(&c->st_tx_nomem, 1);
		return NULL;
	}
	if (rte_pktmbuf_append(m, len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

void
tcp_send_syn(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint8_t opts[24], *o = opts, hdr[TCP_HDR_MAX];
	uint16_t mss = c->p.mss, len;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;

	*o++ = TCP_OPT_MSS;
	*o++ = 4;
	*o++ = (uint8_t)(mss >> 8);
	*o++ = (uint8_t)mss;
	if (c->p.offer_sack && !c->p.offer_ts) {
		*o++ = TCP_OPT_NOP;
		*o++ = TCP_OPT_NOP;
		*o++ = TCP_OPT_SACK_PERM;
		*o++ = 2;
	}
	if (c->p.offer_ts) {
		uint32_t v = rte_cpu_to_be_32(tcp_tsval(c, x->now)), e = 0;
		/* SACK-permitted takes the two NOPs' place in front of the timestamps (as
		 * Linux lays them out): 20 bytes of options in all. */
		if (c->p.offer_sack) {
			*o++ = TCP_OPT_SACK_PERM;
			*o++ = 2;
		} else {
			*o++ = TCP_OPT_NOP;
			*o++ = TCP_OPT_NOP;
		}
		*o++ = TCP_OPT_TS;
		*o++ = 10;
		memcpy(o, &v, 4);
		memcpy(o + 4, &e, 4);
		o += 8;
	}
	if (c->p.offer_wscale) {
		*o++ = TCP_OPT_NOP;
		*o++ = TCP_OPT_WS;
		*o++ = 3;
		*o++ = c->rcv_wscale_offer;
	}
	len = tcp_hdr_write(c, hdr, opts, (uint16_t)(o - opts));
	th = (struct rte_tcp_hdr *)(hdr + TCP_TCP_OFF);
	th->sent_seq = rte_cpu_to_be_32(c->iss);
	th->tcp_flags = TCP_F_SYN;
	th->rx_win = rte_cpu_to_be_16(tcp_adv_window(c, 0)); /* never scaled in a SYN */
	m = alloc_hdr(c, len);
	if (m == NULL)
		return;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), hdr, len);
	tcp_hdr_finish(c, m, (uint16_t)(len - TCP_TCP_OFF));
	emit(x, m);
}

/* Reads the SACK blocks control published for our ACKs (seqlock reader: load-acquire of
 * an even gen pairs with tcp_rsb_publish's store-release (tcp_ooo.c), acquire fence before
 * the recheck) and keeps those above rcv_nxt, at most max; a DSACK block first, once per
 * generation. Returns how many. */
static uint32_t
rsb_read(struct tcp_conn *c, uint32_t rcv_nxt, uint32_t *st, uint32_t *en, uint32_t max)
{
	for (int tries = 0; tries < 4; tries++) {
		/* [T7] */
		uint32_t g1 = atomic_load_explicit(&c->rsb.gen, memory_order_acquire), n, k = 0, i0 = 0;
		uint32_t s[TCP_RSB_MAX], e[TCP_RSB_MAX], ds;

		if (g1 & 1u)
			continue;
		n = atomic_load_explicit(&c->rsb.n, memory_order_relaxed);
		ds = atomic_load_explicit(&c->rsb.dsack, memory_order_relaxed);
		if (n > TCP_RSB_MAX)
			n = TCP_RSB_MAX;
		for (uint32_t i = 0; i < n; i++) {
			s[i] = atomic_load_explicit(&c->rsb.start[i], memory_order_relaxed);
			e[i] = atomic_load_explicit(&c->rsb.end[i], memory_order_relaxed);
		}
		atomic_thread_fence(memory_order_acquire); /* [T7] */
		if (atomic_load_explicit(&c->rsb.gen, memory_order_relaxed) != g1)
			continue;
		if (ds && n > 0) {
			i0 = 1;
			if (c->t_rsb_ds_gen != g1 && SEQ_LT(s[0], e[0])) {
				c->t_rsb_ds_gen = g1;
				st[k] = s[0];
				en[k] = e[0];
				k++;
			}
		}
		for (uint32_t i = i0; i < n && k < max; i++)
			if (SEQ_GT(s[i], rcv_nxt) && SEQ_LT(s[i], e[i])) {
				st[k] = s[i];
				en[k] = e[i];
				k++;
			}
		return k;
	}
	return 0;
}

/* The SACK blocks a packet with len payload bytes may carry (RFC 2018 §4: every ACK
 * while we hold out-of-order data): as many as fit in the MSS beside the payload, at most
 * three beside the timestamps (four without). Fills bs/be; returns the option bytes (0:
 * none, nothing held, or no room: a full segment has none). */
static uint16_t
sack_opts_for(struct tcp_conn *c, uint32_t len, uint32_t *bs, uint32_t *be, uint32_t *nb)
{
	uint32_t max = c->ts_ok ? 3u : 4u, room;

	*nb = 0;
	if (!c->sack_ok || atomic_load_explicit(&c->rsb.n, memory_order_relaxed) == 0)
		return 0; /* a hint only: rsb_read below is the seqlock's checked read */
	room = c->t_mss > len ? c->t_mss - len : 0;
	if (room < 12u)
		return 0;
	if ((room - 4u) / 8u < max)
		max = (room - 4u) / 8u;
	/* Acquire pairs with publish_rcv's store-release (tcp_input.c). [T4] */
	*nb = rsb_read(c, atomic_load_explicit(&c->rcv_nxt, memory_order_acquire), bs, be, max);
	return *nb > 0 ? (uint16_t)(4u + 8u * *nb) : 0;
}

/* Writes nb SACK blocks (olen bytes) right after the template's options of header h and
 * sets the TCP data offset and the IP length for payload_len bytes after them. */
static void
sack_opts_write(struct tcp_conn *c, uint8_t *h, const uint32_t *bs, const uint32_t *be,
		uint32_t nb, uint16_t olen, uint32_t payload_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + TCP_IP_OFF);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(h + TCP_TCP_OFF);
	uint8_t *o = h + c->t_hdr_len;

	*o++ = TCP_OPT_NOP;
	*o++ = TCP_OPT_NOP;
	*o++ = TCP_OPT_SACK;
	*o++ = (uint8_t)(2 + 8 * nb);
	for (uint32_t i = 0; i < nb; i++) {
		uint32_t v = rte_cpu_to_be_32(bs[i]), e = rte_cpu_to_be_32(be[i]);
		memcpy(o, &v, 4);
		memcpy(o + 4, &e, 4);
		o += 8;
	}
	th->data_off = (uint8_t)(((c->t_tcp_hdr_len + olen) / 4) << 4);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + c->t_tcp_hdr_len + olen +
							payload_len));
	jw_ctr_add(&c->st_sack_blocks_out, nb);
}

/* A pure ACK or RST. Before the template exists (SYN_SENT) an option-less header is used.
 * With SACK, a pure ACK carries the blocks of the out-of-order data we hold (RFC 2018 §4;
 * three fit beside the timestamps, four without): the peer's SACK recovery needs them. */
void
tcp_send_ctl(struct tcp_txctx *x, uint8_t flags, uint32_t seq)
{
	struct tcp_conn *c = x->c;
	struct rte_mbuf *m;

	if (c->t_ready) {
		uint32_t bs[TCP_RSB_MAX], be[TCP_RSB_MAX], nb = 0;
		uint16_t olen = 0;
		uint8_t *h;

		if (flags == TCP_F_ACK)
			olen = sack_opts_for(c, 0, bs, be, &nb);
		m = alloc_hdr(c, (uint16_t)(c->t_hdr_len + olen));
		if (m == NULL)
			return;
		h = rte_pktmbuf_mtod(m, uint8_t *);
		memcpy(h, c->t_tmpl, c->t_hdr_len);
		tcp_hdr_patch(c, h, flags, seq, 0, x->now);
		if (olen > 0)
			sack_opts_write(c, h, bs, be, nb, olen, 0);
		tcp_hdr_finish(c, m, (uint16_t)(c->t_tcp_hdr_len + olen));
	} else {
		uint8_t hdr[TCP_HDR_MAX];
		uint16_t len = tcp_hdr_write(c, hdr, NULL, 0);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(hdr + TCP_TCP_OFF);

		th->sent_seq = rte_cpu_to_be_32(seq);
		th->tcp_flags = flags;
		if (flags & TCP_F_ACK) /* acquire: pairs with publish_rcv (tcp_input.c) [T4] */
			th->recv_ack = rte_cpu_to_be_32(atomic_load_explicit(&c->rcv_nxt,
									     memory_order_acquire));
		m = alloc_hdr(c, len);
		if (m == NULL)
			return;
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), hdr, len);
		tcp_hdr_finish(c, m, (uint16_t)(len - TCP_TCP_OFF));
	}
	emit(x, m);
}


/* ---- data segments ---- */

/* Headers for a data packet at hdr (template copied there): sequence, ACK, timestamps,
 * with olen bytes of SACK blocks after the template's options when nb > 0; then the
 * offload fields and checksums of m. */
static void
seg_headers(struct tcp_txctx *x, struct rte_mbuf *m, uint8_t *hdr, uint8_t flags, uint32_t seq,
	    uint32_t len, const uint32_t *bs, const uint32_t *be, uint32_t nb, uint16_t olen)
{
	struct tcp_conn *c = x->c;

	tcp_hdr_patch(c, hdr, flags, seq, len, x->now);
	if (olen > 0)
		sack_opts_write(c, hdr, bs, be, nb, olen, len);
	tcp_hdr_finish(c, m, (uint16_t)(c->t_tcp_hdr_len + olen));
}

/* Builds the packet for queued segment s, from byte off of its payload, len bytes
 * (len < s->len only for a zero-window probe). While we hold out-of-order data the
 * segment carries SACK blocks when its payload leaves room for them in the MSS (RFC 2018
 * §4: an ACK piggybacked on data is an ACK too; a full segment has no room). Returns NULL
 * when out of mbufs. */
struct rte_mbuf *
tcp_build_seg(struct tcp_txctx *x, struct tcp_seg *s, uint32_t off, uint32_t len)
{
	struct tcp_conn *c = x->c;
	struct rte_mbuf *m = s->m, *h, *clone;
	uint8_t flags = TCP_F_ACK | (s->fin ? TCP_F_FIN : 0);
	uint32_t seq = s->seq + off, bs[TCP_RSB_MAX], be[TCP_RSB_MAX], nb;
	uint32_t hdr_in_m = m->data_len - s->len; /* 0 before the first transmission */
	bool whole = off == 0 && len == s->len;
	uint16_t olen = sack_opts_for(c, len, bs, be, &nb), hlen;

	if (olen > 0 && rte_pktmbuf_headroom(m) + hdr_in_m < (uint32_t)c->t_hdr_len + olen)
		olen = 0; /* no room in front (a tiny headroom): the blocks wait for an ACK */
	hlen = (uint16_t)(c->t_hdr_len + olen);
	if (len > 0 && off + len == s->len && !s->fin)
		flags |= TCP_F_PSH;
	if (whole && hdr_in_m == 0) {
		/* First transmission: headers go into the headroom reserved in front. */
		uint8_t *hdr = (uint8_t *)rte_pktmbuf_prepend(m, hlen);
		memcpy(hdr, c->t_tmpl, c->t_hdr_len);
		seg_headers(x, m, hdr, flags, seq, len, bs, be, nb, olen);
		rte_mbuf_refcnt_update(m, 1);
		return m;
	}
	if (whole && rte_mbuf_refcnt_read(m) == 1) {
		/* The device dropped its reference (its rte_pktmbuf_free is an atomic
		 * acq_rel decrement of the refcount after it finished reading), so the headers
		 * are ours again; this acquire fence after our refcount read pairs with that
		 * decrement, so our writes cannot move before the device's reads. The header
		 * is laid out again: its SACK blocks (their count too) are this packet's. */
		uint8_t *hdr;

		atomic_thread_fence(memory_order_acquire); /* [T18] */
		if (hdr_in_m != hlen) {
			rte_pktmbuf_adj(m, (uint16_t)hdr_in_m);
			hdr = (uint8_t *)rte_pktmbuf_prepend(m, hlen);
			memcpy(hdr, c->t_tmpl, c->t_hdr_len);
		} else {
			hdr = rte_pktmbuf_mtod(m, uint8_t *);
		}
		seg_headers(x, m, hdr, flags, seq, len, bs, be, nb, olen);
		rte_mbuf_refcnt_update(m, 1);
		return m;
	}
	if (c->io->tx_no_chain) {
		/* One fresh mbuf with headers and a copy of the payload bytes. */
		h = alloc_hdr(c, (uint16_t)(hlen + len));
		if (h == NULL)
			return NULL;
		memcpy(rte_pktmbuf_mtod(h, uint8_t *), c->t_tmpl, c->t_hdr_len);
		if (len > 0)
			memcpy(rte_pktmbuf_mtod_offset(h, uint8_t *, hlen),
			       rte_pktmbuf_mtod_offset(m, uint8_t *, hdr_in_m + off), len);
		jw_ctr_add(&c->st_tx_copies, 1);
		seg_headers(x, h, rte_pktmbuf_mtod(h, uint8_t *), flags, seq, len, bs, be, nb, olen);
		return h;
	}
	/* The device may still own m's header (or only part of the payload goes): fresh
	 * header mbuf + indirect clone of the payload bytes. */
	h = alloc_hdr(c, hlen);
	if (h == NULL)
		return NULL;
	memcpy(rte_pktmbuf_mtod(h, uint8_t *), c->t_tmpl, c->t_hdr_len);
	if (len > 0) {
		clone = rte_pktmbuf_clone(m, c->io->pool);
		if (clone == NULL) {
			jw_ctr_add(&c->st_tx_nomem, 1);
			rte_pktmbuf_free(h);
			return NULL;
		}
		rte_pktmbuf_adj(clone, (uint16_t)(hdr_in_m + off));
		rte_pktmbuf_trim(clone, (uint16_t)(clone->data_len - len));
		if (rte_pktmbuf_chain(h, clone) != 0) {
			rte_pktmbuf_free(clone);
			rte_pktmbuf_free(h);
			return NULL;
		}
		jw_ctr_add(&c->st_tx_clones, 1);
	}
	seg_headers(x, h, rte_pktmbuf_mtod(h, uint8_t *), flags, seq, len, bs, be, nb, olen);
	return h;
}

void
tcp_rtx_count(struct tcp_conn *c, enum tcp_rtx_cause why)
{
	if (why == TCP_RTX_AUTO)
		why = c->t_in_loss ? TCP_RTX_RTO : TCP_RTX_FAST;
	jw_ctr_add(&c->st_retransmits, 1);
	switch (why) {
	case TCP_RTX_RTO: jw_ctr_add(&c->st_rtx_rto, 1); break;
	case TCP_RTX_FAST: jw_ctr_add(&c->st_rtx_fast, 1); break;
	case TCP_RTX_TLP: jw_ctr_add(&c->st_rtx_tlp, 1); break;
	default: jw_ctr_add(&c->st_rtx_other, 1); break;
	}
}

/* Transmits queued segment idx whole (from snd_una when part of it was acknowledged); why
 * names the cause when it is a retransmission. The next new segment (idx == t_nxt, not
 * marked lost, no RTO recovery) of which the persist timer already sent a first part
 * inside a window smaller than the segment (t_part_end; not a zero-window probe, whose
 * byte the peer drops) goes on from there: those bytes are in flight, and
 * sending them again would be a retransmission on a loss-free path. A zero-window probe's
 * byte sent again as data once the window opens is not counted as a retransmission either
 * (the peer dropped it; seen once in 1,000,000 clean engine publishes). Keeps pipe, PRR's
 * count, RACK's send time and the undo record. Returns false when out of mbufs. */
bool
tcp_xmit(struct tcp_txctx *x, uint32_t idx, enum tcp_rtx_cause why)
{
	struct tcp_conn *c = x->c;
	struct tcp_seg *s = qseg(c, idx);
	uint32_t end = s->seq + s->len + s->fin;
	/* Bytes the peer already has (a partial send or probe was acked) are not sent again. */
	uint32_t from = c->t_part_on && idx == c->t_nxt && !s->lost && !c->t_in_loss &&
				SEQ_GT(c->t_part_end, c->t_snd_una) ? c->t_part_end : c->t_snd_una;
	uint32_t off = SEQ_GT(from, s->seq) && SEQ_LT(from, s->seq + s->len) ? from - s->seq : 0;
	struct rte_mbuf *m = tcp_build_seg(x, s, off, s->len - off);
	/* All that went before from here was a zero-window probe's byte, which the peer
	 * dropped (outside its window): this is the data's first transmission it can take. */
	bool probed = c->t_zwp_on && SEQ_GEQ(s->seq + off, c->t_zwp_seq) &&
		      SEQ_LEQ(c->t_snd_max, c->t_zwp_seq + 1);
	bool was_new;

	if (m == NULL)
		return false;
	emit(x, m);
	if (idx == c->t_nxt) /* the head segment went on: the partial or probe is history */
		c->t_part_on = c->t_zwp_on = false;
	was_new = !SEQ_LT(s->seq + off, c->t_snd_max) || probed;
	if (!was_new) {
		s->rexmit = 1;
		tcp_rtx_count(c, why);
		c->t_rtx_hist_s[c->t_rtx_hist_i % TCP_RTX_HIST] = s->seq + off;
		c->t_rtx_hist_e[c->t_rtx_hist_i % TCP_RTX_HIST] = end;
		c->t_rtx_hist_i = (uint8_t)((c->t_rtx_hist_i + 1u) % TCP_RTX_HIST);
		if (c->t_undo_on && why != TCP_RTX_TLP)
			tcp_undo_record(c, s->seq + off, end);
		if (SEQ_GT(s->seq + s->len, c->t_snd_max)) /* part of it was never sent */
			jw_ctr_add(&c->st_bytes_sent, s->seq + s->len - c->t_snd_max);
	} else {
		jw_ctr_add(&c->st_bytes_sent, s->len - off);
		c->t_progress_ns = x->now;
		if (!c->t_rtt_timing) { /* Karn: time only first transmissions */
			c->t_rtt_timing = true;
			c->t_rtt_seq = s->seq;
			c->t_rtt_start_ns = x->now;
		}
	}
	if (s->lost) {
		s->lost = 0;
		c->t_lost_cnt--;
		c->t_pipe += s->len - off;
	} else if (was_new) {
		c->t_pipe += s->len - off;
	}
	if (c->t_in_recovery)
		c->t_prr_out += s->len - off;
	s->xmit_ns = x->now;
	c->t_last_xmit_ns = x->now;
	if (SEQ_GT(end, c->t_snd_max))
		c->t_snd_max = end;
	if (s->fin && !atomic_load_explicit(&c->fin_sent, memory_order_relaxed)) {
		atomic_store_explicit(&c->fin_seq, s->seq + s->len, memory_order_relaxed);
		/* Release pairs with the load-acquires of fin_sent in process_ack
		 * (tcp_input.c) and tcp_conn_state (tcp_conn.c): fin_seq is visible first. */
		atomic_store_explicit(&c->fin_sent, 1, memory_order_release); /* [T13] */
	}
	if (c->t_rto_deadline == 0)
		c->t_rto_deadline = x->now + c->t_rto_ns;
	return true;
}


/* ---- the send loop, TSO ---- */

/* May queued segment s (the next new one or one after it) go now under the peer's window
 * (edge) and the congestion window? Without SACK the flight (snd_una..end) is measured;
 * with SACK, pipe plus the new bytes up to s's end. */
static bool
seg_fits(const struct tcp_conn *c, const struct tcp_seg *s, uint32_t edge)
{
	uint32_t end = s->seq + s->len;

	if (s->len == 0)
		return true;
	if (SEQ_GT(end, edge))
		return false;
	if (c->sack_ok) {
		int32_t add = SEQ_DIFF(end, cur_snd_nxt(c));
		return (uint64_t)c->t_pipe + (uint64_t)(add > 0 ? add : 0) <= c->t_cwnd;
	}
	return !(SEQ_GT(end, c->t_snd_una) && end - c->t_snd_una > c->t_cwnd + c->t_lt_extra);
}

/* How many queued segments from t_nxt one TSO packet may carry: consecutive segments with
 * payload and no FIN, never sent before (retransmissions always go one queued segment per
 * packet, as without TSO), each inside both windows, at most t_tso_max bytes and
 * t_tso_segs segments. 0 or 1 = send without TSO. */
static uint32_t
tso_span(const struct tcp_conn *c, uint32_t edge)
{
	uint32_t k = 0, bytes = 0;

	if (c->t_tso_max == 0)
		return 0;
	for (uint32_t i = c->t_nxt; i != c->t_tail && k < c->t_tso_segs; i++, k++) {
		const struct tcp_seg *s = &c->t_q[i & c->t_qmask];

		if (s->len == 0 || s->fin || SEQ_LT(s->seq, c->t_snd_max) ||
		    bytes + s->len > c->t_tso_max || !seg_fits(c, s, edge))
			break;
		bytes += s->len;
	}
	return k;
}

/* Transmits the k (>= 2) queued segments from t_nxt as one TSO packet: a fresh header mbuf
 * chained to an indirect clone of each segment's payload (the segments stay whole in the
 * queue, so acknowledgement and retransmission work per queued segment as without TSO,
 * and no header the device may own is ever rewritten). The device cuts it into segments
 * of t_mss payload bytes. Returns false when out of mbufs (nothing is sent then). */
static bool
xmit_tso(struct tcp_txctx *x, uint32_t k)
{
	struct tcp_conn *c = x->c;
	struct tcp_seg *first = qseg(c, c->t_nxt), *last = qseg(c, c->t_nxt + k - 1);
	uint32_t len = last->seq + last->len - first->seq, wire_segs;
	struct rte_mbuf *h = alloc_hdr(c, c->t_hdr_len);

	if (h == NULL)
		return false;
	for (uint32_t i = 0; i < k; i++) {
		/* Never sent, so the mbuf holds exactly the payload (no headers in front). */
		struct rte_mbuf *clone = rte_pktmbuf_clone(qseg(c, c->t_nxt + i)->m, c->io->pool);

		if (clone == NULL) {
			jw_ctr_add(&c->st_tx_nomem, 1);
			rte_pktmbuf_free(h);
			return false;
		}
		if (rte_pktmbuf_chain(h, clone) != 0) {
			rte_pktmbuf_free(clone);
			rte_pktmbuf_free(h);
			return false;
		}
	}
	memcpy(rte_pktmbuf_mtod(h, uint8_t *), c->t_tmpl, c->t_hdr_len);
	tcp_hdr_patch(c, rte_pktmbuf_mtod(h, uint8_t *), TCP_F_ACK | TCP_F_PSH, first->seq, len,
		      x->now);
	tcp_hdr_finish_tso(h, c->t_tcp_hdr_len, c->t_mss);
	emit(x, h);
	wire_segs = (len + c->t_mss - 1) / c->t_mss;
	/* segs_out counts wire segments (the device gives each its own IPv4 id). */
	jw_ctr_add(&c->st_segs_out, wire_segs - 1);
	jw_ctr_add(&c->st_tso_pkts, 1);
	jw_ctr_add(&c->st_bytes_sent, len);
	for (uint32_t i = 0; i < k; i++)
		qseg(c, c->t_nxt + i)->xmit_ns = x->now;
	c->t_last_xmit_ns = x->now;
	c->t_pipe += len;
	if (c->t_in_recovery)
		c->t_prr_out += len;
	c->t_progress_ns = x->now;
	if (!c->t_rtt_timing) { /* all first transmissions: time the first byte */
		c->t_rtt_timing = true;
		c->t_rtt_seq = first->seq;
		c->t_rtt_start_ns = x->now;
	}
	c->t_snd_max = first->seq + len;
	if (c->t_rto_deadline == 0)
		c->t_rto_deadline = x->now + c->t_rto_ns;
	return true;
}

/* SACK: resends the segments marked lost, lowest first, while pipe stays under cwnd
 * (they were inside the peer's window when first sent). */
static void
send_lost(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint32_t i = c->t_lost_hint;

	if ((int32_t)(i - c->t_head) < 0)
		i = c->t_head;
	for (; i != c->t_nxt && c->t_lost_cnt > 0; i++) {
		struct tcp_seg *s = qseg(c, i);

		if (!s->lost)
			continue;
		if ((uint64_t)c->t_pipe + s->len > c->t_cwnd || x->data_sent >= TCP_POLL_DATA_MAX ||
		    !room_for(x, 2) || !tcp_pace_ok(x) || !tcp_xmit(x, i, TCP_RTX_AUTO))
			break;
		tcp_pace_sent(x, s->len);
		x->data_sent++;
	}
	c->t_lost_hint = i;
	if (i == c->t_nxt && c->t_lost_cnt > 0) {
		/* Nothing marked lost from the hint on, yet the count says some are: recount
		 * rather than hold new data back behind holes that are not there. */
		uint32_t n = 0;
		c->t_lost_hint = c->t_nxt;
		for (uint32_t j = c->t_head; j != c->t_nxt; j++)
			if (qseg(c, j)->lost && n++ == 0)
				c->t_lost_hint = j;
		c->t_lost_cnt = n;
	}
}

/* Sends queued segments while the congestion window and the peer's window allow; with TSO,
 * runs of new segments go as one packet each (tso_span). With SACK, lost segments first. */
void
tcp_send_data(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint32_t edge = wnd_edge(c);

	if (c->sack_ok && c->t_lost_cnt > 0) {
		send_lost(x);
		if (c->t_lost_cnt > 0)
			return; /* holes first */
	}
	while (c->t_nxt != c->t_tail && x->data_sent < TCP_POLL_DATA_MAX && room_for(x, 2)) {
		uint32_t k;

		if (!seg_fits(c, qseg(c, c->t_nxt), edge) || !tcp_pace_ok(x))
			break;
		k = tso_span(c, edge);
		if (k >= 2) {
			uint32_t first = qseg(c, c->t_nxt)->seq;
			if (!xmit_tso(x, k))
				break;
			tcp_pace_sent(x, c->t_snd_max - first);
			c->t_nxt += k;
			x->data_sent++;
			continue;
		}
		if (!tcp_xmit(x, c->t_nxt, TCP_RTX_AUTO))
			break;
		tcp_pace_sent(x, qseg(c, c->t_nxt)->len);
		c->t_nxt++;
		x->data_sent++;
	}
}

/* TSO limits for this connection: the port's bound, capped by the 16-bit IPv4 total
 * length; no TSO unless the device also does checksums and takes chains, and unless a
 * packet can hold at least two segments. */
void
tcp_tso_setup(struct tcp_conn *c)
{
	const struct tcp_io *io = c->io;
	uint32_t max = io->tso_max, ip_max = 65535u - 20u - c->t_tcp_hdr_len;
	uint32_t segs = io->tso_segs_max == 0 ? UINT16_MAX : io->tso_segs_max;

	c->t_tso_max = 0;
	c->t_tso_segs = 0;
	if (max == 0 || !io->tx_cksum_offload || io->tx_no_chain)
		return;
	if (max > ip_max)
		max = ip_max;
	segs = segs > 1 ? segs - 1 : 0; /* the header mbuf is one of them */
	if (segs > RTE_MBUF_MAX_NB_SEGS - 1u)
		segs = RTE_MBUF_MAX_NB_SEGS - 1u;
	if (max < 2u * c->t_mss || segs < 2)
		return;
	c->t_tso_max = max;
	c->t_tso_segs = (uint16_t)segs;
}
