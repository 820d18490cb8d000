/* The control lcore's segment arrival (RFC 9293 §3.10.7) with the RFC 5961 defences: frame
 * checks, option parsing, the handshake's SYN-ACK, ACK and window bookkeeping, and the
 * steps of a synchronized state. Data goes to the receive queue (tcp_ooo.c), SACK blocks
 * to the scoreboard (tcp_sack.c). Everything learned here is published to the TX lcore
 * through the atomics documented in tcp-t.h; replies go out as commands (tcp_cmd_push) or
 * ack_req.
 */
/* rte_ipv4_udptcp_cksum_mbuf(_verify) are static inline "experimental" helpers. */
#define ALLOW_EXPERIMENTAL_API
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp/tcp.h"
#include "tcp/tcp_priv.h"

/* Fills si from the n option bytes at o (RFC 9293 §3.1): MSS, window scale, timestamps,
 * SACK-permitted and up to 4 SACK blocks. Unknown kinds are skipped; a malformed length
 * ends parsing (what was read so far stays). */
static void
parse_options(const uint8_t *o, uint32_t n, struct tcp_seg_info *si)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t kind = o[i], len;
		if (kind == TCP_OPT_EOL)
			return;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return;
		len = o[i + 1];
		if (len < 2 || i + len > n)
			return; /* malformed: ignore the rest */
		if (kind == TCP_OPT_MSS && len == 4) {
			si->has_mss = true;
			si->mss = (uint16_t)(o[i + 2] << 8 | o[i + 3]);
		} else if (kind == TCP_OPT_WS && len == 3) {
			si->has_ws = true;
			si->ws = o[i + 2];
		} else if (kind == TCP_OPT_TS && len == 10) {
			uint32_t v, e;
			memcpy(&v, o + i + 2, 4);
			memcpy(&e, o + i + 6, 4);
			si->has_ts = true;
			si->tsval = rte_be_to_cpu_32(v);
			si->tsecr = rte_be_to_cpu_32(e);
		} else if (kind == TCP_OPT_SACK_PERM && len == 2) {
			si->has_sack_perm = true;
		} else if (kind == TCP_OPT_SACK && len >= 10 && (len - 2) % 8 == 0) {
			/* A malformed length (not 2 + 8n) is ignored like any bad option. */
			for (uint32_t b = 0; b < (len - 2u) / 8u && si->n_sack < 4; b++) {
				uint32_t v, e;
				memcpy(&v, o + i + 2 + 8 * b, 4);
				memcpy(&e, o + i + 6 + 8 * b, 4);
				si->sack_start[si->n_sack] = rte_be_to_cpu_32(v);
				si->sack_end[si->n_sack] = rte_be_to_cpu_32(e);
				si->n_sack++;
			}
		}
		i += len;
	}
}

/* RFC 5961 §7: at most challenge_acks_per_s challenge ACKs per second. */
static void
challenge_ack(struct tcp_conn *c, uint64_t now)
{
	if (now - c->c_chal_window_ns >= 1000000000ull) {
		c->c_chal_window_ns = now;
		c->c_chal_count = 0;
	}
	if (c->c_chal_count >= c->p.challenge_acks_per_s)
		return;
	c->c_chal_count++;
	jw_ctr_add(&c->st_challenge_acks, 1);
	(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
}

/* Asks the TX lcore for an ACK of rcv_nxt soon (coalesced: one flag, not a command). */
static void
request_ack(struct tcp_conn *c)
{
	/* Release pairs with the acquire exchange of ack_req in acks_due (tcp_txpoll.c):
	 * rcv_nxt, published before, is seen there. */
	atomic_store_explicit(&c->ack_req, 1, memory_order_release); /* [T10] */
}

/* Publishes c_rcv_nxt, the ACK number of every segment the TX lcore builds. */
static void
publish_rcv(struct tcp_conn *c)
{
	/* Release pairs with the TX lcore's load-acquires of rcv_nxt in tcp_hdr_patch
	 * (tcp_hdr.c), acks_due (tcp_txpoll.c) and tcp_send_ctl (tcp_xmit.c). */
	atomic_store_explicit(&c->rcv_nxt, c->c_rcv_nxt, memory_order_release); /* [T4] */
}

/* Both FINs exchanged and ours acknowledged: the connection ends normally. */
static void
maybe_closed_normally(struct tcp_conn *c)
{
	if (atomic_load_explicit(&c->peer_fin, memory_order_relaxed) &&
	    atomic_load_explicit(&c->fin_acked, memory_order_relaxed))
		tcp_ctl_close(c, TCP_R_NORMAL);
}

/* SYN_SENT (RFC 9293 3.10.7.3): takes the SYN-ACK (options, windows, irs) and reports
 * ESTABLISHED; RST+ACK for our SYN refuses; anything else is counted bad and dropped. */
static void
syn_sent(struct tcp_conn *c, struct tcp_seg_info *si)
{
	bool ack_ok = si->ack == c->iss + 1;

	if (si->flags & TCP_F_ACK) {
		if (!ack_ok) {
			/* RFC 9293 3.10.7.3: an old connection's segment (e.g. a challenge ACK
			 * from a peer that still has the tuple): <SEQ=SEG.ACK><CTL=RST>; our SYN
			 * retransmission then finds the tuple free. */
			if (!(si->flags & TCP_F_RST))
				(void)tcp_cmd_push(c, TCP_CMD_RST, si->ack);
			jw_ctr_add(&c->st_bad_segs_in, 1);
			return;
		}
	}
	if (si->flags & TCP_F_RST) {
		if (ack_ok && (si->flags & TCP_F_ACK))
			tcp_ctl_close(c, TCP_R_REFUSED);
		else
			jw_ctr_add(&c->st_bad_segs_in, 1);
		return;
	}
	if (!(si->flags & TCP_F_SYN) || !(si->flags & TCP_F_ACK)) {
		/* Simultaneous open is not supported by a client that never listens. */
		jw_ctr_add(&c->st_bad_segs_in, 1);
		return;
	}
	c->irs = si->seq;
	c->c_rcv_nxt = si->seq + 1;
	c->peer_mss = si->has_mss && si->mss >= 64 ? si->mss : 536;
	if (c->p.offer_wscale && si->has_ws) {
		c->snd_wscale = si->ws > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : si->ws;
		c->rcv_wscale = c->rcv_wscale_offer;
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	c->ts_ok = c->p.offer_ts && si->has_ts;
	c->sack_ok = c->p.offer_sack && si->has_sack_perm;
	if (c->ts_ok)
		atomic_store_explicit(&c->ts_recent, si->tsval, memory_order_relaxed);
	c->c_snd_una = si->ack;
	c->c_dupacks = 0;
	c->c_snd_wnd = si->wnd; /* never scaled in a SYN */
	c->c_max_snd_wnd = c->c_snd_wnd;
	c->c_wl1 = si->seq;
	c->c_wl2 = si->ack;
	atomic_store_explicit(&c->snd_wnd_edge, c->c_snd_una + c->c_snd_wnd, memory_order_relaxed);
	tcp_ctl_publish_ack(c);
	publish_rcv(c);
	/* Release pairs with the load-acquire of ctl_state in tcp_tx_poll (tcp_txpoll.c):
	 * peer options, irs, rcv_nxt, ts_recent and the window, written above, are visible to
	 * the TX lcore once it sees ESTABLISHED. */
	atomic_store_explicit(&c->ctl_state, TCP_CTL_ESTABLISHED, memory_order_release); /* [T1] */
	request_ack(c);
	c->ops.on_event(c->ops.owner, c, TCP_EV_ESTABLISHED, TCP_R_NONE);
}

/* ACK field processing in a synchronized state. Returns false if the segment must be
 * dropped (RFC 5961 §5.2). */
static bool
process_ack(struct tcp_conn *c, struct tcp_seg_info *si, uint64_t now)
{
	/* Acquire pairs with the TX lcore's store-release of snd_max in publish_snd
	 * (tcp_tx.h, end of every tcp_tx_poll). */
	uint32_t snd_max = atomic_load_explicit(&c->snd_max, memory_order_acquire); /* [T12] */
	uint32_t wnd = si->wnd << c->snd_wscale;
	bool changed = false;

	if (SEQ_GT(si->ack, snd_max)) {
		(void)tcp_cmd_push(c, TCP_CMD_ACK, 0); /* acks what we never sent */
		jw_ctr_add(&c->st_bad_segs_in, 1);
		return false;
	}
	if (SEQ_LT(si->ack, c->c_snd_una - c->c_max_snd_wnd)) {
		challenge_ack(c, now);
		jw_ctr_add(&c->st_bad_segs_in, 1);
		return false;
	}
	atomic_store_explicit(&c->acks_in, atomic_load_explicit(&c->acks_in, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (si->wnd == 0)
		jw_ctr_add(&c->st_zero_wnd_in, 1);
	if (SEQ_GT(si->ack, c->c_snd_una)) {
		c->c_snd_una = si->ack;
		c->c_dupacks = 0;
		changed = true;
		/* Relaxed: published by the store-release of ack_state below
		 * (tcp_ctl_publish_ack); ack_eifel (tcp_txack.c) reads it after its acquire. */
		if (si->has_ts)
			atomic_store_explicit(&c->ack_tsecr, si->tsecr, memory_order_relaxed);
	} else if (si->ack == c->c_snd_una && si->len == 0 && !(si->flags & TCP_F_FIN) &&
		   wnd == c->c_snd_wnd && snd_max != c->c_snd_una) {
		c->c_dupacks++;
		jw_ctr_add(&c->st_dupacks_in, 1);
		changed = true;
	}
	if (SEQ_LT(c->c_wl1, si->seq) || (c->c_wl1 == si->seq && SEQ_LEQ(c->c_wl2, si->ack))) {
		c->c_snd_wnd = wnd;
		if (wnd > c->c_max_snd_wnd)
			c->c_max_snd_wnd = wnd;
		c->c_wl1 = si->seq;
		c->c_wl2 = si->ack;
	}
	/* Release pairs with the TX lcore's load-acquire in wnd_edge (tcp_tx.h; used by
	 * tcp_send_data, tcp_persist_timer, the loss probes and tcp_rto_timer). [T3] */
	atomic_store_explicit(&c->snd_wnd_edge, c->c_snd_una + c->c_snd_wnd, memory_order_release);
	if (changed)
		tcp_ctl_publish_ack(c);
	if (c->sack_ok && (si->n_sack > 0 || c->c_sb_n > 0))
		tcp_sb_update(c, si, snd_max);
	/* Acquire of fin_sent pairs with its store-release in tcp_xmit (tcp_xmit.c): fin_seq,
	 * stored before it, is then valid. The release of fin_acked pairs with the
	 * load-acquire in tcp_conn_state (tcp_conn.c). */
	if (!atomic_load_explicit(&c->fin_acked, memory_order_relaxed) &&
	    atomic_load_explicit(&c->fin_sent, memory_order_acquire) && /* [T13] */
	    SEQ_GT(si->ack, atomic_load_explicit(&c->fin_seq, memory_order_relaxed))) {
		atomic_store_explicit(&c->fin_acked, 1, memory_order_release); /* [T14] */
		c->c_fin_acked_ns = now ? now : 1;
	}
	return true;
}

/* The connection of a segment from saddr:sport to daddr:dport, or NULL. */
static struct tcp_conn *
lookup(struct tcp_stack *st, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	for (unsigned int i = 0; i < TCP_MAX_CONNS; i++) {
		struct tcp_conn *c = st->conns[i];
		if (c != NULL && c->src_port == dport && c->ep.dst_port == sport &&
		    c->ep.src_ip == daddr && c->ep.dst_ip == saddr)
			return c;
	}
	return NULL;
}

/* Counts and frees a malformed frame; returns -EBADMSG for tcp_input. */
static int
malformed(struct tcp_stack *st, struct rte_mbuf *m)
{
	jw_ctr_add(&st->st_malformed, 1);
	rte_pktmbuf_free(m);
	return -EBADMSG;
}
/* PAWS (RFC 7323 §5.3 R1): a timestamp older than the last one in order marks an old
 * duplicate (e.g. from before a sequence wrap): ACK and drop (returns true). Like Linux
 * (tcp_disordered_ack), segments without data or FIN are spared: a reordered pure ACK is
 * harmless and may carry a dupack or a window update. */
static bool
paws_reject(struct tcp_conn *c, const struct tcp_seg_info *si, uint32_t seg_len)
{
	if (c->ts_ok && si->has_ts && seg_len > 0 && !(si->flags & TCP_F_RST) &&
	    SEQ_LT(si->tsval, atomic_load_explicit(&c->ts_recent, memory_order_relaxed))) {
		jw_ctr_add(&c->st_bad_segs_in, 1);
		(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
		return true;
	}
	return false;
}

/* Sequence acceptability (RFC 9293 3.10.7.4, RCV.WND > 0). An unacceptable segment other
 * than RST gets an ACK; wholly old data also a DSACK block, so a SACK peer can undo a
 * needless retransmission (RFC 2883). Returns true when the segment goes on. */
static bool
seq_acceptable(struct tcp_conn *c, const struct tcp_seg_info *si, uint32_t seg_len)
{
	uint32_t rn = c->c_rcv_nxt, wnd = c->p.rcv_buf, seq = si->seq;
	bool ok;

	if (seg_len == 0)
		ok = SEQ_IN(seq, rn, rn + wnd);
	else
		ok = SEQ_IN(seq, rn, rn + wnd) || SEQ_IN(seq + seg_len - 1, rn, rn + wnd);
	if (ok)
		return true;
	if (!(si->flags & TCP_F_RST)) {
		if (seg_len > 0) {
			jw_ctr_add(&c->st_dup_segs_in, 1);
			if (si->len > 0 && SEQ_LEQ(seq + si->len, rn))
				tcp_rsb_publish(c, rn, true, seq, seq + si->len);
		}
		(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
	}
	return false;
}

/* In-order data [seq, seq+len) of m at off (and FIN when fin): deliver it, drain what the
 * out-of-order queue holds behind it, publish rcv_nxt, and ask for the ACK: at once after
 * a filled hole or a FIN, with every second segment, else by the delayed-ACK deadline. */
static void
data_in_order(struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq, uint32_t off,
	      uint32_t len, bool fin, uint64_t now)
{
	bool had_ooo = c->c_ooo_n > 0, fin_now = false;

	if (len > 0) {
		tcp_deliver(c, m, off, len);
		if (c->c_reported_closed)
			return; /* the owner aborted from on_data */
		c->c_rcv_nxt += len;
	}
	if (fin) {
		tcp_got_fin(c);
		fin_now = true;
		tcp_ooo_clear(c);
	} else if (had_ooo) {
		fin_now = tcp_ooo_drain(c);
	}
	if (c->c_reported_closed)
		return;
	publish_rcv(c);
	if (had_ooo || fin_now) {
		/* what is still out of order, published before the ACK command */
		tcp_rsb_publish(c, seq, false, 0, 0);
		(void)tcp_cmd_push(c, TCP_CMD_ACK, 0); /* filled a hole / FIN: ACK at once */
		c->c_unacked_segs = 0;
	} else if (c->p.delack_ms == 0 || ++c->c_unacked_segs >= 2) {
		c->c_unacked_segs = 0;
		request_ack(c); /* every second segment (RFC 1122 4.2.3.2, RFC 5681 4.2) */
	} else {
		/* First segment since the last ACK request: the TX lcore ACKs it at this
		 * deadline unless data (carrying the ACK) or a second segment comes first.
		 * Release pairs with the load-acquire of delack_at in tx_established
		 * (tcp_txpoll.c): rcv_nxt is published before the deadline. */
		atomic_store_explicit(&c->delack_at, now + (uint64_t)c->p.delack_ms * NS_PER_MS,
				      memory_order_release); /* [T9] */
	}
	if (fin_now && !c->c_reported_peer_fin) {
		c->c_reported_peer_fin = true;
		c->ops.on_event(c->ops.owner, c, TCP_EV_PEER_CLOSED, TCP_R_NONE);
	}
	maybe_closed_normally(c);
}

/* Step 5 of segment arrival, data and FIN, after the ACK was taken: trims the segment to
 * the window, then delivers it in order or keeps it out of order (bounded; *kept when m
 * was kept) and sends a duplicate ACK at once (RFC 5681 §4.2). */
static void
data_arrived(struct tcp_conn *c, struct rte_mbuf *m, const struct tcp_seg_info *si,
	     uint64_t now, bool *kept)
{
	uint32_t wnd = c->p.rcv_buf, rn = c->c_rcv_nxt;
	uint32_t seq = si->seq, off = si->off, len = si->len;
	bool fin = (si->flags & TCP_F_FIN) != 0;

	if (atomic_load_explicit(&c->peer_fin, memory_order_relaxed)) {
		if (len > 0 || fin)
			(void)tcp_cmd_push(c, TCP_CMD_ACK, 0); /* retransmitted FIN: ACK again */
		maybe_closed_normally(c);
		return;
	}
	if (len == 0 && !fin) {
		maybe_closed_normally(c);
		return;
	}
	if (SEQ_LT(seq, rn)) { /* left trim: bytes we already have */
		uint32_t skip = rn - seq;
		if (skip > len)
			skip = len;
		seq += skip;
		off += skip;
		len -= skip;
	}
	if (SEQ_GT(seq + len, rn + wnd)) { /* right trim: beyond the window */
		len = rn + wnd - seq;
		fin = false;
	}
	if (seq == rn) {
		data_in_order(c, m, seq, off, len, fin, now);
		return;
	}
	jw_ctr_add(&c->st_ooo_segs_in, 1);
	if (tcp_ooo_insert(c, m, seq, off, len, fin ? 1 : 0))
		*kept = true;
	tcp_rsb_publish(c, seq, false, 0, 0); /* before the command: the dupack carries them */
	(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
}

/* Segment arrival in a synchronized state (RFC 9293 3.10.7.4): PAWS, sequence check, RST
 * and SYN (RFC 5961), ACK, timestamps, data. */
static void
synchronized(struct tcp_conn *c, struct rte_mbuf *m, struct tcp_seg_info *si, uint64_t now,
	     bool *kept)
{
	uint32_t seg_len = si->len + ((si->flags & TCP_F_FIN) ? 1u : 0u);

	if (paws_reject(c, si, seg_len) || !seq_acceptable(c, si, seg_len))
		return;
	/* RST (RFC 5961 §3.2): exact match resets, anything else in window is challenged. */
	if (si->flags & TCP_F_RST) {
		if (si->seq == c->c_rcv_nxt)
			tcp_ctl_close(c, TCP_R_RESET);
		else
			challenge_ack(c, now);
		return;
	}
	/* SYN in a synchronized state (RFC 5961 §4.2): challenge ACK, never reset. */
	if (si->flags & TCP_F_SYN) {
		challenge_ack(c, now);
		return;
	}
	if (!(si->flags & TCP_F_ACK) || !process_ack(c, si, now))
		return;
	/* Timestamps: remember the peer's TSval for our TSecr (RFC 7323 §4.3). Release pairs
	 * with the TX lcore's load-acquire of ts_recent in tcp_hdr_patch (tcp_hdr.c). */
	if (c->ts_ok && si->has_ts && SEQ_LEQ(si->seq, c->c_rcv_nxt) &&
	    SEQ_GEQ(si->tsval, atomic_load_explicit(&c->ts_recent, memory_order_relaxed)))
		atomic_store_explicit(&c->ts_recent, si->tsval, memory_order_release); /* [T5] */
	data_arrived(c, m, si, now, kept);
}

/* Checks the IPv4 and TCP headers of frame m (Ethernet padding trimmed, checksums by the
 * device's flags or in software). 0 with *ipp, *thp, *ihl, *doff set; -EPROTONOSUPPORT
 * for a frame that is not IPv4/TCP; -EBADMSG for a malformed one. m is not freed. */
static int
frame_check(struct rte_mbuf *m, struct rte_ipv4_hdr **ipp, struct rte_tcp_hdr **thp,
	    uint32_t *ihlp, uint32_t *doffp)
{
	const struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint32_t ihl, tot, doff;
	uint64_t rxck;

	if (m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip))
		return -EBADMSG;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->next_proto_id != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < 20 || tot < ihl + 20u ||
	    RTE_ETHER_HDR_LEN + tot > m->pkt_len ||
	    (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return -EBADMSG;
	if (m->data_len < RTE_ETHER_HDR_LEN + ihl + 20u)
		return -EBADMSG;
	th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, RTE_ETHER_HDR_LEN + ihl);
	doff = (uint32_t)(th->data_off >> 4) * 4u;
	if (doff < 20 || ihl + doff > tot || m->data_len < RTE_ETHER_HDR_LEN + ihl + doff)
		return -EBADMSG;
	if (m->pkt_len > RTE_ETHER_HDR_LEN + tot) /* Ethernet padding */
		if (rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - RTE_ETHER_HDR_LEN - tot)) != 0)
			return -EBADMSG;
	rxck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (rxck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    (rxck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_ipv4_cksum(ip) != 0))
		return -EBADMSG;
	rxck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (rxck == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
	    (rxck != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	     rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, (uint16_t)(RTE_ETHER_HDR_LEN + ihl)) != 0))
		return -EBADMSG;
	*ipp = ip;
	*thp = th;
	*ihlp = ihl;
	*doffp = doff;
	return 0;
}

int
tcp_input(struct tcp_stack *st, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = NULL;
	struct rte_tcp_hdr *th = NULL;
	struct tcp_seg_info si;
	struct tcp_conn *c;
	uint32_t ihl = 0, doff = 0;
	bool kept = false;
	int rc = frame_check(m, &ip, &th, &ihl, &doff);

	if (rc == -EBADMSG)
		return malformed(st, m);
	if (rc != 0) {
		rte_pktmbuf_free(m);
		return rc;
	}
	c = lookup(st, ip->src_addr, ip->dst_addr, rte_be_to_cpu_16(th->src_port),
		   rte_be_to_cpu_16(th->dst_port));
	if (c == NULL) {
		jw_ctr_add(&st->st_no_conn, 1);
		rte_pktmbuf_free(m);
		return -ENOENT;
	}
	memset(&si, 0, sizeof(si));
	si.seq = rte_be_to_cpu_32(th->sent_seq);
	si.ack = rte_be_to_cpu_32(th->recv_ack);
	si.wnd = rte_be_to_cpu_16(th->rx_win);
	si.flags = th->tcp_flags;
	si.off = RTE_ETHER_HDR_LEN + ihl + doff;
	si.len = rte_be_to_cpu_16(ip->total_length) - ihl - doff;
	parse_options((const uint8_t *)(th + 1), doff - 20, &si);
	jw_ctr_add(&c->st_segs_in, 1);

	switch (atomic_load_explicit(&c->ctl_state, memory_order_relaxed)) {
	case TCP_CTL_SYN_SENT:
		syn_sent(c, &si);
		break;
	case TCP_CTL_ESTABLISHED:
		synchronized(c, m, &si, tcp_now(st->io), &kept);
		break;
	case TCP_CTL_CLOSED:
		/* TIME_WAIT-like: a retransmitted FIN or data gets an ACK, RST is ignored. */
		if (!(si.flags & TCP_F_RST) && (si.len > 0 || (si.flags & TCP_F_FIN)))
			(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
		break;
	default:
		break;
	}
	if (!kept)
		rte_pktmbuf_free(m);
	return 0;
}
