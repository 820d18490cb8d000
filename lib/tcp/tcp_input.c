/* The control lcore's half of a connection: segment arrival (RFC 9293 §3.10.7) with the
 * RFC 5961 defences, ACK and window bookkeeping, in-order delivery and the bounded
 * out-of-order queue. Everything learned here is published to the TX lcore through the
 * atomics documented in tcp-t.h; replies go out as commands (tcp_cmd_push) or ack_req. */
/* rte_ipv4_udptcp_cksum_mbuf(_verify) are static inline "experimental" helpers. */
#define ALLOW_EXPERIMENTAL_API
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp/tcp.h"
#include "tcp/tcp_priv.h"

struct seg_info {
	uint32_t seq, ack, wnd;    /* wnd as in the header (unscaled) */
	uint8_t flags;
	uint32_t off, len;         /* payload offset in the mbuf and length */
	bool has_mss, has_ws, has_ts, has_sack_perm;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t n_sack;            /* SACK blocks (RFC 2018 §3: at most 4 fit) */
	uint32_t sack_start[4], sack_end[4];
};

static void
parse_options(const uint8_t *o, uint32_t n, struct seg_info *si)
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

/* Hands len bytes of m from offset off to the owner, segment by segment. */
static void
deliver(struct tcp_conn *c, struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	tcp_stat_add(&c->st_bytes_received, len);
	/* The owner may abort from on_data: deliver nothing after that. */
	while (m != NULL && len > 0 && !c->c_reported_closed) {
		if (off >= m->data_len) {
			off -= m->data_len;
			m = m->next;
			continue;
		}
		uint32_t k = JW_MIN(len, (uint32_t)m->data_len - off);
		if (c->ops.on_data != NULL)
			c->ops.on_data(c->ops.owner, c, rte_pktmbuf_mtod_offset(m, uint8_t *, off), k);
		len -= k;
		off = 0;
		m = m->next;
	}
}

void
tcp_ooo_clear(struct tcp_conn *c)
{
	for (uint16_t i = 0; i < c->c_ooo_n; i++)
		rte_pktmbuf_free(c->c_ooo[i].m);
	c->c_ooo_n = 0;
}

/* Keeps an out-of-order segment (payload [seq, seq+len) of m at off). Returns true when m
 * was kept, false when the caller must free it (duplicate, or the queue is full). */
static bool
ooo_insert(struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq, uint32_t off, uint32_t len,
	   uint8_t fin)
{
	uint16_t i = 0;

	while (i < c->c_ooo_n && SEQ_LT(c->c_ooo[i].seq, seq))
		i++;
	if (i < c->c_ooo_n && c->c_ooo[i].seq == seq && c->c_ooo[i].len >= len) {
		tcp_stat_add(&c->st_dup_segs_in, 1);
		return false;
	}
	if (i > 0 && SEQ_GEQ(c->c_ooo[i - 1].seq + c->c_ooo[i - 1].len, seq + len)) {
		tcp_stat_add(&c->st_dup_segs_in, 1);
		return false; /* covered by the previous entry */
	}
	if (c->c_ooo_n >= c->p.ooo_segs) {
		tcp_stat_add(&c->st_ooo_drops, 1);
		return false;
	}
	memmove(&c->c_ooo[i + 1], &c->c_ooo[i], (size_t)(c->c_ooo_n - i) * sizeof(c->c_ooo[0]));
	c->c_ooo[i] = (struct tcp_ooo){ .m = m, .seq = seq, .len = len, .off = off, .fin = fin };
	c->c_ooo_n++;
	return true;
}

/* Publishes the SACK blocks our next ACKs carry (RFC 2018 §4): with ds, first a DSACK
 * block [ds_s, ds_e) for a duplicate that arrived (RFC 2883 §4, sent once); then the
 * out-of-order queue as merged ranges, the one holding recent (the latest arrival) first,
 * then the others from the highest down; none when the queue is empty. Seqlock writer as
 * sb_publish. */
static void
rsb_publish_ds(struct tcp_conn *c, uint32_t recent, bool ds, uint32_t ds_s, uint32_t ds_e)
{
	uint32_t st[TCP_RSB_MAX], en[TCP_RSB_MAX], n = 0, g;
	uint32_t rs[64], re[64], nr = 0;

	if (!c->sack_ok)
		return;
	if (ds) {
		st[0] = ds_s;
		en[0] = ds_e;
		n = 1;
	}
	for (uint16_t i = 0; i < c->c_ooo_n; i++) {
		uint32_t s = c->c_ooo[i].seq, e = s + c->c_ooo[i].len + c->c_ooo[i].fin;
		if (nr > 0 && SEQ_LEQ(s, re[nr - 1])) {
			if (SEQ_GT(e, re[nr - 1]))
				re[nr - 1] = e;
		} else if (nr < 64) {
			rs[nr] = s;
			re[nr] = e;
			nr++;
		}
	}
	for (uint32_t i = 0; i < nr && n < TCP_RSB_MAX; i++)
		if (SEQ_LEQ(rs[i], recent) && SEQ_LT(recent, re[i])) {
			st[n] = rs[i];
			en[n] = re[i];
			n++;
			rs[i] = re[i]; /* taken */
			break;
		}
	for (uint32_t i = nr; i-- > 0 && n < TCP_RSB_MAX;)
		if (rs[i] != re[i]) {
			st[n] = rs[i];
			en[n] = re[i];
			n++;
		}
	g = atomic_load_explicit(&c->rsb.gen, memory_order_relaxed);
	atomic_store_explicit(&c->rsb.gen, g + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&c->rsb.n, n, memory_order_relaxed);
	atomic_store_explicit(&c->rsb.dsack, ds ? 1u : 0u, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) {
		atomic_store_explicit(&c->rsb.start[i], st[i], memory_order_relaxed);
		atomic_store_explicit(&c->rsb.end[i], en[i], memory_order_relaxed);
	}
	/* Release pairs with the TX lcore's load-acquire in rsb_read (tcp_output.c). */
	atomic_store_explicit(&c->rsb.gen, g + 2, memory_order_release);
}

static void
rsb_publish(struct tcp_conn *c, uint32_t recent)
{
	rsb_publish_ds(c, recent, false, 0, 0);
}

static void
got_fin(struct tcp_conn *c)
{
	c->c_rcv_nxt++;
	/* Release pairs with acquires in tcp_conn_state and the TX side. */
	atomic_store_explicit(&c->peer_fin, 1, memory_order_release);
}

/* Delivers queued out-of-order data that has become in order. Returns true if a FIN
 * became in order. */
static bool
ooo_drain(struct tcp_conn *c)
{
	bool fin = false;

	while (c->c_ooo_n > 0 && SEQ_LEQ(c->c_ooo[0].seq, c->c_rcv_nxt)) {
		struct tcp_ooo o = c->c_ooo[0];
		uint32_t end = o.seq + o.len;

		if (SEQ_GT(end, c->c_rcv_nxt)) {
			uint32_t skip = c->c_rcv_nxt - o.seq;
			deliver(c, o.m, o.off + skip, o.len - skip);
			if (c->c_reported_closed)
				return false; /* aborted from on_data: the queue (o.m too) is freed */
			c->c_rcv_nxt = end;
		}
		if (o.fin && end == c->c_rcv_nxt && !fin) {
			got_fin(c);
			fin = true;
		}
		rte_pktmbuf_free(o.m);
		c->c_ooo_n--;
		memmove(&c->c_ooo[0], &c->c_ooo[1], (size_t)c->c_ooo_n * sizeof(c->c_ooo[0]));
		if (fin) {
			tcp_ooo_clear(c); /* nothing after a FIN counts */
			break;
		}
	}
	return fin;
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
	tcp_stat_add(&c->st_challenge_acks, 1);
	(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
}

static void
request_ack(struct tcp_conn *c)
{
	/* Release pairs with the TX lcore's acquire exchange: rcv_nxt published before. */
	atomic_store_explicit(&c->ack_req, 1, memory_order_release);
}

static void
publish_rcv(struct tcp_conn *c)
{
	atomic_store_explicit(&c->rcv_nxt, c->c_rcv_nxt, memory_order_release);
}

static void
maybe_closed_normally(struct tcp_conn *c)
{
	if (atomic_load_explicit(&c->peer_fin, memory_order_relaxed) &&
	    atomic_load_explicit(&c->fin_acked, memory_order_relaxed))
		tcp_ctl_close(c, TCP_R_NORMAL);
}

static void
syn_sent(struct tcp_conn *c, struct seg_info *si)
{
	bool ack_ok = si->ack == c->iss + 1;

	if (si->flags & TCP_F_ACK) {
		if (!ack_ok) {
			/* RFC 9293 3.10.7.3: an old connection's segment (e.g. a challenge ACK
			 * from a peer that still has the tuple): <SEQ=SEG.ACK><CTL=RST>; our SYN
			 * retransmission then finds the tuple free. */
			if (!(si->flags & TCP_F_RST))
				(void)tcp_cmd_push(c, TCP_CMD_RST, si->ack);
			tcp_stat_add(&c->st_bad_segs_in, 1);
			return;
		}
	}
	if (si->flags & TCP_F_RST) {
		if (ack_ok && (si->flags & TCP_F_ACK))
			tcp_ctl_close(c, TCP_R_REFUSED);
		else
			tcp_stat_add(&c->st_bad_segs_in, 1);
		return;
	}
	if (!(si->flags & TCP_F_SYN) || !(si->flags & TCP_F_ACK)) {
		/* Simultaneous open is not supported by a client that never listens. */
		tcp_stat_add(&c->st_bad_segs_in, 1);
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
	/* Release: peer options, irs, rcv_nxt, ts_recent and the window are visible to the TX
	 * lcore once it load-acquires ESTABLISHED. */
	atomic_store_explicit(&c->ctl_state, TCP_CTL_ESTABLISHED, memory_order_release);
	request_ack(c);
	c->ops.on_event(c->ops.owner, c, TCP_EV_ESTABLISHED, TCP_R_NONE);
}

/* ---- SACK scoreboard (RFC 2018, DSACK RFC 2883), control side ---- */

/* Publishes control's ranges and DSACK ring under the seqlock (see struct tcp_sack_board):
 * gen goes odd (relaxed) and a release fence orders it before the data stores; the final
 * store-release of the even gen pairs with the TX lcore's load-acquire in sb_read. */
static void
sb_publish(struct tcp_conn *c)
{
	struct tcp_sack_board *b = &c->sb;
	uint32_t g = atomic_load_explicit(&b->gen, memory_order_relaxed);

	atomic_store_explicit(&b->gen, g + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&b->n, c->c_sb_n, memory_order_relaxed);
	for (uint32_t i = 0; i < c->c_sb_n; i++) {
		atomic_store_explicit(&b->start[i], c->c_sb_start[i], memory_order_relaxed);
		atomic_store_explicit(&b->end[i], c->c_sb_end[i], memory_order_relaxed);
	}
	for (uint32_t i = 0; i < TCP_SB_DSACKS; i++) {
		atomic_store_explicit(&b->ds_start[i], c->c_ds_start[i], memory_order_relaxed);
		atomic_store_explicit(&b->ds_end[i], c->c_ds_end[i], memory_order_relaxed);
	}
	atomic_store_explicit(&b->dsack_n, c->c_dsack_n, memory_order_relaxed);
	atomic_store_explicit(&b->gen, g + 2, memory_order_release);
}

/* Adds the SACKed range [s, e) to control's sorted, merged list. When the list is full the
 * highest range is dropped (the TX lcore already marked what it saw). */
static void
sb_insert(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	uint32_t ns[TCP_SB_RANGES + 1], ne[TCP_SB_RANGES + 1], n = 0, i = 0;
	bool placed = false;

	while (i < c->c_sb_n || !placed) {
		uint32_t rs, re;
		if (!placed && (i == c->c_sb_n || SEQ_LT(s, c->c_sb_start[i]))) {
			rs = s;
			re = e;
			placed = true;
		} else {
			rs = c->c_sb_start[i];
			re = c->c_sb_end[i];
			i++;
		}
		if (n > 0 && SEQ_LEQ(rs, ne[n - 1])) { /* overlaps or touches the previous */
			if (SEQ_GT(re, ne[n - 1]))
				ne[n - 1] = re;
			continue;
		}
		if (n == TCP_SB_RANGES + 1)
			break;
		ns[n] = rs;
		ne[n] = re;
		n++;
	}
	if (n > TCP_SB_RANGES)
		n = TCP_SB_RANGES;
	memcpy(c->c_sb_start, ns, n * sizeof(ns[0]));
	memcpy(c->c_sb_end, ne, n * sizeof(ne[0]));
	c->c_sb_n = n;
}

/* Drops what snd_una covers. Returns true when the list changed. */
static bool
sb_trim(struct tcp_conn *c)
{
	uint32_t una = c->c_snd_una, k = 0;
	bool changed = false;

	for (uint32_t i = 0; i < c->c_sb_n; i++) {
		if (SEQ_LEQ(c->c_sb_end[i], una)) {
			changed = true;
			continue;
		}
		c->c_sb_start[k] = SEQ_LT(c->c_sb_start[i], una) ? una : c->c_sb_start[i];
		c->c_sb_end[k] = c->c_sb_end[i];
		changed |= c->c_sb_start[k] != c->c_sb_start[i] || k != i;
		k++;
	}
	c->c_sb_n = k;
	return changed;
}

/* Takes the SACK blocks of an acceptable ACK (snd_una already advanced to its ack):
 * a first block below the cumulative ACK, or inside the second block, is a DSACK (RFC
 * 2883 §4) and goes to the DSACK ring; other blocks must lie in (snd_una, snd_max]
 * (anything else is ignored: a forged or stale block never marks unsent data). */
static void
sb_update(struct tcp_conn *c, const struct seg_info *si, uint32_t snd_max)
{
	bool changed = sb_trim(c);

	for (uint32_t i = 0; i < si->n_sack; i++) {
		uint32_t s = si->sack_start[i], e = si->sack_end[i];

		tcp_stat_add(&c->st_sack_blocks_in, 1);
		if (!SEQ_LT(s, e) || SEQ_DIFF(e, s) > (int32_t)(1u << 30))
			continue;
		if (i == 0 && (SEQ_LEQ(e, si->ack) ||
			       (si->n_sack > 1 && SEQ_LEQ(si->sack_start[1], s) &&
				SEQ_GEQ(si->sack_end[1], e)))) {
			uint32_t k = c->c_dsack_n % TCP_SB_DSACKS;
			c->c_ds_start[k] = s;
			c->c_ds_end[k] = e;
			c->c_dsack_n++;
			tcp_stat_add(&c->st_dsacks_in, 1);
			changed = true;
			continue;
		}
		if (SEQ_GT(e, snd_max) || SEQ_LEQ(e, c->c_snd_una))
			continue;
		if (SEQ_LT(s, c->c_snd_una))
			s = c->c_snd_una;
		sb_insert(c, s, e);
		changed = true;
	}
	if (changed)
		sb_publish(c);
}

/* ACK field processing in a synchronized state. Returns false if the segment must be
 * dropped (RFC 5961 §5.2). */
static bool
process_ack(struct tcp_conn *c, struct seg_info *si, uint64_t now)
{
	/* Acquire pairs with the TX lcore's release in publish_snd/xmit. */
	uint32_t snd_max = atomic_load_explicit(&c->snd_max, memory_order_acquire);
	uint32_t wnd = si->wnd << c->snd_wscale;
	bool changed = false;

	if (SEQ_GT(si->ack, snd_max)) {
		(void)tcp_cmd_push(c, TCP_CMD_ACK, 0); /* acks what we never sent */
		tcp_stat_add(&c->st_bad_segs_in, 1);
		return false;
	}
	if (SEQ_LT(si->ack, c->c_snd_una - c->c_max_snd_wnd)) {
		challenge_ack(c, now);
		tcp_stat_add(&c->st_bad_segs_in, 1);
		return false;
	}
	atomic_store_explicit(&c->acks_in, atomic_load_explicit(&c->acks_in, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (si->wnd == 0)
		tcp_stat_add(&c->st_zero_wnd_in, 1);
	if (SEQ_GT(si->ack, c->c_snd_una)) {
		c->c_snd_una = si->ack;
		c->c_dupacks = 0;
		changed = true;
		if (si->has_ts) /* read by the TX lcore after its acquire of ack_state (Eifel) */
			atomic_store_explicit(&c->ack_tsecr, si->tsecr, memory_order_relaxed);
	} else if (si->ack == c->c_snd_una && si->len == 0 && !(si->flags & TCP_F_FIN) &&
		   wnd == c->c_snd_wnd && snd_max != c->c_snd_una) {
		c->c_dupacks++;
		tcp_stat_add(&c->st_dupacks_in, 1);
		changed = true;
	}
	if (SEQ_LT(c->c_wl1, si->seq) || (c->c_wl1 == si->seq && SEQ_LEQ(c->c_wl2, si->ack))) {
		c->c_snd_wnd = wnd;
		if (wnd > c->c_max_snd_wnd)
			c->c_max_snd_wnd = wnd;
		c->c_wl1 = si->seq;
		c->c_wl2 = si->ack;
	}
	/* Release pairs with the TX lcore's acquire in send_new/persist_timer. */
	atomic_store_explicit(&c->snd_wnd_edge, c->c_snd_una + c->c_snd_wnd, memory_order_release);
	if (changed)
		tcp_ctl_publish_ack(c);
	if (c->sack_ok && (si->n_sack > 0 || c->c_sb_n > 0))
		sb_update(c, si, snd_max);
	if (!atomic_load_explicit(&c->fin_acked, memory_order_relaxed) &&
	    atomic_load_explicit(&c->fin_sent, memory_order_acquire) &&
	    SEQ_GT(si->ack, atomic_load_explicit(&c->fin_seq, memory_order_relaxed))) {
		atomic_store_explicit(&c->fin_acked, 1, memory_order_release);
		c->c_fin_acked_ns = now ? now : 1;
	}
	return true;
}

static void
synchronized(struct tcp_conn *c, struct rte_mbuf *m, struct seg_info *si, uint64_t now,
	     bool *kept)
{
	uint32_t wnd = c->p.rcv_buf, rn = c->c_rcv_nxt;
	uint32_t seg_len = si->len + ((si->flags & TCP_F_FIN) ? 1u : 0u);
	bool acceptable, fin = (si->flags & TCP_F_FIN) != 0;
	uint32_t seq = si->seq, off = si->off, len = si->len;

	/* 0. PAWS (RFC 7323 §5.3 R1): a timestamp older than the last one in order marks an
	 * old duplicate (e.g. from before a sequence wrap): ACK and drop. Like Linux
	 * (tcp_disordered_ack), segments without data or FIN are spared: a reordered pure
	 * ACK is harmless and may carry a dupack or a window update. */
	if (c->ts_ok && si->has_ts && seg_len > 0 && !(si->flags & TCP_F_RST) &&
	    SEQ_LT(si->tsval, atomic_load_explicit(&c->ts_recent, memory_order_relaxed))) {
		tcp_stat_add(&c->st_bad_segs_in, 1);
		(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
		return;
	}
	/* 1. Sequence acceptability (RFC 9293 3.10.7.4, RCV.WND > 0). */
	if (seg_len == 0)
		acceptable = SEQ_IN(seq, rn, rn + wnd);
	else
		acceptable = SEQ_IN(seq, rn, rn + wnd) || SEQ_IN(seq + seg_len - 1, rn, rn + wnd);
	if (!acceptable) {
		if (!(si->flags & TCP_F_RST)) {
			if (seg_len > 0) {
				tcp_stat_add(&c->st_dup_segs_in, 1);
				/* Data we already have: tell a SACK peer it was a duplicate,
				 * so it can undo a needless retransmission (RFC 2883). */
				if (si->len > 0 && SEQ_LEQ(seq + si->len, rn))
					rsb_publish_ds(c, rn, true, seq, seq + si->len);
			}
			(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
		}
		return;
	}
	/* 2. RST (RFC 5961 §3.2): exact match resets, anything else in window is challenged. */
	if (si->flags & TCP_F_RST) {
		if (seq == rn)
			tcp_ctl_close(c, TCP_R_RESET);
		else
			challenge_ack(c, now);
		return;
	}
	/* 3. SYN in a synchronized state (RFC 5961 §4.2): challenge ACK, never reset. */
	if (si->flags & TCP_F_SYN) {
		challenge_ack(c, now);
		return;
	}
	/* 4. ACK. */
	if (!(si->flags & TCP_F_ACK) || !process_ack(c, si, now))
		return;
	/* Timestamps: remember the peer's TSval for our TSecr (RFC 7323 §4.3). */
	if (c->ts_ok && si->has_ts && SEQ_LEQ(seq, rn) &&
	    SEQ_GEQ(si->tsval, atomic_load_explicit(&c->ts_recent, memory_order_relaxed)))
		atomic_store_explicit(&c->ts_recent, si->tsval, memory_order_release);

	/* 5. Data and FIN. */
	if (atomic_load_explicit(&c->peer_fin, memory_order_relaxed)) {
		if (seg_len > 0)
			(void)tcp_cmd_push(c, TCP_CMD_ACK, 0); /* retransmitted FIN: ACK again */
		maybe_closed_normally(c);
		return;
	}
	if (seg_len == 0) {
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
		bool had_ooo = c->c_ooo_n > 0;
		bool fin_now = false;

		if (len > 0) {
			deliver(c, m, off, len);
			if (c->c_reported_closed)
				return; /* the owner aborted from on_data */
			c->c_rcv_nxt += len;
		}
		if (fin) {
			got_fin(c);
			fin_now = true;
			tcp_ooo_clear(c);
		} else if (had_ooo) {
			fin_now = ooo_drain(c);
		}
		if (c->c_reported_closed)
			return;
		publish_rcv(c);
		if (had_ooo || fin_now) {
			rsb_publish(c, seq); /* what is still out of order (before the ACK command) */
			(void)tcp_cmd_push(c, TCP_CMD_ACK, 0); /* filled a hole / FIN: ACK at once */
			c->c_unacked_segs = 0;
		} else if (c->p.delack_ms == 0 || ++c->c_unacked_segs >= 2) {
			c->c_unacked_segs = 0;
			request_ack(c); /* every second segment (RFC 1122 4.2.3.2, RFC 5681 4.2) */
		} else {
			/* First segment since the last ACK request: the TX lcore ACKs it at
			 * this deadline unless data (carrying the ACK) or a second segment
			 * comes first. Release: rcv_nxt is published before the deadline. */
			atomic_store_explicit(&c->delack_at,
					      now + (uint64_t)c->p.delack_ms * NS_PER_MS,
					      memory_order_release);
		}
		if (fin_now && !c->c_reported_peer_fin) {
			c->c_reported_peer_fin = true;
			c->ops.on_event(c->ops.owner, c, TCP_EV_PEER_CLOSED, TCP_R_NONE);
		}
		maybe_closed_normally(c);
		return;
	}
	/* Out of order: keep it (bounded) and send a duplicate ACK at once (RFC 5681 §4.2). */
	tcp_stat_add(&c->st_ooo_segs_in, 1);
	if (ooo_insert(c, m, seq, off, len, fin ? 1 : 0))
		*kept = true;
	rsb_publish(c, seq); /* before the command: the dupack carries the blocks */
	(void)tcp_cmd_push(c, TCP_CMD_ACK, 0);
}

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

static int
malformed(struct tcp_stack *st, struct rte_mbuf *m)
{
	tcp_stat_add(&st->st_malformed, 1);
	rte_pktmbuf_free(m);
	return -EBADMSG;
}

int
tcp_input(struct tcp_stack *st, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct seg_info si;
	struct tcp_conn *c;
	uint32_t ihl, tot, doff;
	uint64_t rxck;
	bool kept = false;
	uint8_t s;

	if (m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip))
		return malformed(st, m);
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->next_proto_id != IPPROTO_TCP) {
		rte_pktmbuf_free(m);
		return -EPROTONOSUPPORT;
	}
	ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < 20 || tot < ihl + 20u ||
	    RTE_ETHER_HDR_LEN + tot > m->pkt_len ||
	    (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return malformed(st, m);
	if (m->data_len < RTE_ETHER_HDR_LEN + ihl + 20u)
		return malformed(st, m);
	th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, RTE_ETHER_HDR_LEN + ihl);
	doff = (uint32_t)(th->data_off >> 4) * 4u;
	if (doff < 20 || ihl + doff > tot || m->data_len < RTE_ETHER_HDR_LEN + ihl + doff)
		return malformed(st, m);
	if (m->pkt_len > RTE_ETHER_HDR_LEN + tot) /* Ethernet padding */
		if (rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - RTE_ETHER_HDR_LEN - tot)) != 0)
			return malformed(st, m);
	rxck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (rxck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    (rxck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_ipv4_cksum(ip) != 0))
		return malformed(st, m);
	rxck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (rxck == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
	    (rxck != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	     rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, (uint16_t)(RTE_ETHER_HDR_LEN + ihl)) != 0))
		return malformed(st, m);

	c = lookup(st, ip->src_addr, ip->dst_addr, rte_be_to_cpu_16(th->src_port),
		   rte_be_to_cpu_16(th->dst_port));
	if (c == NULL) {
		tcp_stat_add(&st->st_no_conn, 1);
		rte_pktmbuf_free(m);
		return -ENOENT;
	}
	memset(&si, 0, sizeof(si));
	si.seq = rte_be_to_cpu_32(th->sent_seq);
	si.ack = rte_be_to_cpu_32(th->recv_ack);
	si.wnd = rte_be_to_cpu_16(th->rx_win);
	si.flags = th->tcp_flags;
	si.off = RTE_ETHER_HDR_LEN + ihl + doff;
	si.len = tot - ihl - doff;
	parse_options((const uint8_t *)(th + 1), doff - 20, &si);
	tcp_stat_add(&c->st_segs_in, 1);

	s = atomic_load_explicit(&c->ctl_state, memory_order_relaxed);
	switch (s) {
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
