/* The TX lcore's half of a connection: the writer API, the send/retransmit queue,
 * RTT/RTO (RFC 6298), NewReno (RFC 5681/6582), persist probes and pure ACKs.
 *
 * Segments are MSS-sized mbufs that the writer fills in place. The payload sits at a fixed
 * offset (headroom + t_hdr_len), so the first transmission prepends the headers into the
 * same buffer: no copy. The queue keeps a reference (refcount + 1 while the device has it)
 * until the segment is acknowledged. A retransmission rewrites the headers in place only
 * when the device has released its reference (refcount back to 1); otherwise it chains a
 * fresh header mbuf to an indirect clone of the payload, so a header the device may still
 * be reading is never touched.
 *
 * SACK (negotiated: c->sack_ok): the control lcore keeps the SACKed ranges and the DSACK
 * blocks it parsed (tcp_input.c) in a seqlocked scoreboard; this side copies it when its
 * generation moves (sb_read) and marks its own queue: sacked segments leave the pipe, RACK
 * (RFC 8985) marks as lost every unSACKed segment sent sufficiently before one that was
 * delivered (a reordering window once reordering was seen), the send loop resends lost
 * segments first and then new data while pipe (RFC 6675: bytes in flight, neither SACKed
 * nor lost) stays under cwnd; in recovery cwnd follows PRR (RFC 6937). A tail loss probe
 * (TLP, RFC 8985 §7) replaces the loss probe and early retransmit of the non-SACK path.
 * Retransmissions of a loss episode are remembered so that DSACKs (RFC 2883) proving all
 * of them needless restore cwnd and ssthresh; after an RTO the first ACK's TSecr decides
 * (Eifel, RFC 3522) on either path. Without SACK the path is NewReno as before.
 * Timers that declare loss (RTO, TLP, RACK) wait until the control lcore has polled past
 * their deadline (ctl_poll_ns): an ACK it has not read yet is not a loss.
 *
 * TSO (tcp_io.tso_max, see tso_setup): a run of never-sent segments that both windows
 * admit leaves as one packet that the device cuts into MSS segments (xmit_tso). The queue
 * stays per segment, so ACK processing, cwnd and every retransmission are unchanged;
 * retransmissions are never coalesced (one queued segment, at most one MSS, per packet).
 */
#include <string.h>

#include <rte_byteorder.h>

#include "tcp/tcp.h"
#include "tcp/tcp_hdr.h"
#include "tcp/tcp_priv.h"

#define TCP_POLL_OUT_MAX  (TCP_TX_BURST * 2)
#define TCP_POLL_DATA_MAX (TCP_POLL_OUT_MAX - 8)
#define TCP_CMDS_PER_POLL 16
#define TCP_PTO_MIN_NS    (10ull * 1000000ull) /* TLP's lowest floor */
#define TCP_PTO_INIT_NS   (40ull * 1000000ull) /* its first floor: Linux's delayed-ACK min */

struct txctx {
	struct tcp_conn *c;
	uint64_t now;
	uint16_t n;
	uint16_t data_sent;
	bool paced;        /* pacing held data back in this poll */
	struct rte_mbuf *out[TCP_POLL_OUT_MAX];
};

/* Why a segment is sent again (counters by cause). */
enum rtx_cause {
	RTX_AUTO = 0, /* decided by the state: after an RTO or in loss recovery */
	RTX_RTO,
	RTX_FAST,
	RTX_TLP,
	RTX_OTHER,
};

static inline struct tcp_seg *
qseg(const struct tcp_conn *c, uint32_t idx)
{
	return &c->t_q[idx & c->t_qmask];
}

/* The sequence number the next new transmission starts at (RFC SND.NXT). */
static uint32_t
cur_snd_nxt(const struct tcp_conn *c)
{
	return c->t_nxt != c->t_tail ? qseg(c, c->t_nxt)->seq : c->t_next_seq;
}

static uint32_t
flight_size(struct tcp_conn *c)
{
	int32_t f = SEQ_DIFF(cur_snd_nxt(c), c->t_snd_una);

	return f > 0 ? (uint32_t)f : 0;
}

static void
publish_cc(struct tcp_conn *c)
{
	atomic_store_explicit(&c->st_cwnd, c->t_cwnd, memory_order_relaxed);
	atomic_store_explicit(&c->st_ssthresh, c->t_ssthresh, memory_order_relaxed);
}

static void
publish_snd(struct tcp_conn *c)
{
	/* Release pairs with the control lcore's acquire in ACK validation (tcp_input.c). */
	atomic_store_explicit(&c->snd_nxt, cur_snd_nxt(c), memory_order_release);
	atomic_store_explicit(&c->snd_max, c->t_snd_max, memory_order_release);
}

static void
tx_fail(struct tcp_conn *c, enum tcp_reason why)
{
	c->t_stopped = true;
	/* Release pairs with tcp_ctl_poll's acquire: the control lcore reports the end. */
	atomic_store_explicit(&c->tx_fail, (uint8_t)why, memory_order_release);
}

static void
emit(struct txctx *x, struct rte_mbuf *m)
{
	x->out[x->n++] = m;
	tcp_stat_add(&x->c->st_segs_out, 1);
}

static bool
room_for(const struct txctx *x, uint16_t n)
{
	return x->n + n <= TCP_POLL_OUT_MAX;
}

/* ---- headers-only packets: SYN, pure ACK, RST ---- */

static struct rte_mbuf *
alloc_hdr(struct tcp_conn *c, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->io->pool);

	if (m == NULL) {
		tcp_stat_add(&c->st_tx_nomem, 1);
		return NULL;
	}
	if (rte_pktmbuf_append(m, len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

static void
send_syn(struct txctx *x)
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
 * an even gen pairs with rsb_publish's store-release, acquire fence before the recheck)
 * and keeps those above rcv_nxt, at most max; a DSACK block first, once per generation.
 * Returns how many. */
static uint32_t
rsb_read(struct tcp_conn *c, uint32_t rcv_nxt, uint32_t *st, uint32_t *en, uint32_t max)
{
	for (int tries = 0; tries < 4; tries++) {
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
		atomic_thread_fence(memory_order_acquire);
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

/* A pure ACK or RST. Before the template exists (SYN_SENT) an option-less header is used.
 * With SACK, a pure ACK carries the blocks of the out-of-order data we hold (RFC 2018 §4;
 * three fit beside the timestamps, four without): the peer's SACK recovery needs them. */
static void
send_ctl(struct txctx *x, uint8_t flags, uint32_t seq)
{
	struct tcp_conn *c = x->c;
	struct rte_mbuf *m;

	if (c->t_ready) {
		uint32_t bs[TCP_RSB_MAX], be[TCP_RSB_MAX], nb = 0;
		uint16_t olen = 0;
		uint8_t *h;

		if (c->sack_ok && flags == TCP_F_ACK) {
			uint32_t rn = atomic_load_explicit(&c->rcv_nxt, memory_order_acquire);
			nb = rsb_read(c, rn, bs, be, c->ts_ok ? 3 : 4);
			olen = nb > 0 ? (uint16_t)(4 + 8 * nb) : 0;
		}
		m = alloc_hdr(c, (uint16_t)(c->t_hdr_len + olen));
		if (m == NULL)
			return;
		h = rte_pktmbuf_mtod(m, uint8_t *);
		memcpy(h, c->t_tmpl, c->t_hdr_len);
		tcp_hdr_patch(c, h, flags, seq, 0, x->now);
		if (olen > 0) {
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
			ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + c->t_tcp_hdr_len + olen));
			tcp_stat_add(&c->st_sack_blocks_out, nb);
		}
		tcp_hdr_finish(c, m, (uint16_t)(c->t_tcp_hdr_len + olen));
	} else {
		uint8_t hdr[TCP_HDR_MAX];
		uint16_t len = tcp_hdr_write(c, hdr, NULL, 0);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(hdr + TCP_TCP_OFF);

		th->sent_seq = rte_cpu_to_be_32(seq);
		th->tcp_flags = flags;
		if (flags & TCP_F_ACK)
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

/* Builds the packet for queued segment s, from byte off of its payload, len bytes
 * (len < s->len only for a zero-window probe). Returns NULL when out of mbufs. */
static struct rte_mbuf *
build_seg(struct txctx *x, struct tcp_seg *s, uint32_t off, uint32_t len)
{
	struct tcp_conn *c = x->c;
	struct rte_mbuf *m = s->m, *h, *clone;
	uint8_t flags = TCP_F_ACK | (s->fin ? TCP_F_FIN : 0);
	uint32_t seq = s->seq + off;
	bool whole = off == 0 && len == s->len;

	if (len > 0 && off + len == s->len && !s->fin)
		flags |= TCP_F_PSH;
	if (whole && m->data_len == s->len) {
		/* First transmission: headers go into the headroom reserved in front. */
		uint8_t *hdr = (uint8_t *)rte_pktmbuf_prepend(m, c->t_hdr_len);
		memcpy(hdr, c->t_tmpl, c->t_hdr_len);
		tcp_hdr_patch(c, hdr, flags, seq, len, x->now);
		tcp_hdr_finish(c, m, c->t_tcp_hdr_len);
		rte_mbuf_refcnt_update(m, 1);
		return m;
	}
	if (whole && rte_mbuf_refcnt_read(m) == 1) {
		/* The device dropped its reference (its free is an atomic decrement after it
		 * finished reading), so the headers are ours again; fence so our writes cannot
		 * move before that observation. */
		rte_atomic_thread_fence(__ATOMIC_ACQUIRE);
		tcp_hdr_patch(c, rte_pktmbuf_mtod(m, uint8_t *), flags, seq, len, x->now);
		tcp_hdr_finish(c, m, c->t_tcp_hdr_len);
		rte_mbuf_refcnt_update(m, 1);
		return m;
	}
	if (c->io->tx_no_chain) {
		/* One fresh mbuf with headers and a copy of the payload bytes. */
		uint32_t hdr_in_m = m->data_len - s->len;
		h = alloc_hdr(c, (uint16_t)(c->t_hdr_len + len));
		if (h == NULL)
			return NULL;
		memcpy(rte_pktmbuf_mtod(h, uint8_t *), c->t_tmpl, c->t_hdr_len);
		if (len > 0)
			memcpy(rte_pktmbuf_mtod_offset(h, uint8_t *, c->t_hdr_len),
			       rte_pktmbuf_mtod_offset(m, uint8_t *, hdr_in_m + off), len);
		tcp_stat_add(&c->st_tx_copies, 1);
		tcp_hdr_patch(c, rte_pktmbuf_mtod(h, uint8_t *), flags, seq, len, x->now);
		tcp_hdr_finish(c, h, c->t_tcp_hdr_len);
		return h;
	}
	/* The device may still own m's header (or only part of the payload goes): fresh
	 * header mbuf + indirect clone of the payload bytes. */
	h = alloc_hdr(c, c->t_hdr_len);
	if (h == NULL)
		return NULL;
	memcpy(rte_pktmbuf_mtod(h, uint8_t *), c->t_tmpl, c->t_hdr_len);
	if (len > 0) {
		uint32_t hdr_in_m = m->data_len - s->len; /* 0 before the first transmission */
		clone = rte_pktmbuf_clone(m, c->io->pool);
		if (clone == NULL) {
			tcp_stat_add(&c->st_tx_nomem, 1);
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
		tcp_stat_add(&c->st_tx_clones, 1);
	}
	tcp_hdr_patch(c, rte_pktmbuf_mtod(h, uint8_t *), flags, seq, len, x->now);
	tcp_hdr_finish(c, h, c->t_tcp_hdr_len);
	return h;
}

static void undo_record(struct tcp_conn *c, uint32_t seq, uint32_t end);

static void
rtx_count(struct tcp_conn *c, enum rtx_cause why)
{
	if (why == RTX_AUTO)
		why = c->t_in_loss ? RTX_RTO : RTX_FAST;
	tcp_stat_add(&c->st_retransmits, 1);
	switch (why) {
	case RTX_RTO: tcp_stat_add(&c->st_rtx_rto, 1); break;
	case RTX_FAST: tcp_stat_add(&c->st_rtx_fast, 1); break;
	case RTX_TLP: tcp_stat_add(&c->st_rtx_tlp, 1); break;
	default: tcp_stat_add(&c->st_rtx_other, 1); break;
	}
}

/* Transmits queued segment idx whole (from snd_una when part of it was acknowledged); why
 * names the cause when it is a retransmission. Keeps pipe, PRR's count, RACK's send time
 * and the undo record. Returns false when out of mbufs. */
static bool
xmit(struct txctx *x, uint32_t idx, enum rtx_cause why)
{
	struct tcp_conn *c = x->c;
	struct tcp_seg *s = qseg(c, idx);
	uint32_t end = s->seq + s->len + s->fin;
	/* Bytes the peer already has (a partial send or probe was acked) are not sent again. */
	uint32_t off = SEQ_GT(c->t_snd_una, s->seq) && SEQ_LT(c->t_snd_una, s->seq + s->len)
			       ? c->t_snd_una - s->seq : 0;
	struct rte_mbuf *m = build_seg(x, s, off, s->len - off);
	bool was_new;

	if (m == NULL)
		return false;
	emit(x, m);
	was_new = !SEQ_LT(s->seq + off, c->t_snd_max);
	if (!was_new) {
		s->rexmit = 1;
		rtx_count(c, why);
		if (c->t_undo_on && why != RTX_TLP)
			undo_record(c, s->seq + off, end);
		if (SEQ_GT(s->seq + s->len, c->t_snd_max)) /* part of it was never sent */
			tcp_stat_add(&c->st_bytes_sent, s->seq + s->len - c->t_snd_max);
	} else {
		tcp_stat_add(&c->st_bytes_sent, s->len);
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
		c->t_pipe += s->len;
	}
	if (c->t_in_recovery)
		c->t_prr_out += s->len - off;
	s->xmit_ns = x->now;
	c->t_last_xmit_ns = x->now;
	if (SEQ_GT(end, c->t_snd_max))
		c->t_snd_max = end;
	if (s->fin && !atomic_load_explicit(&c->fin_sent, memory_order_relaxed)) {
		atomic_store_explicit(&c->fin_seq, s->seq + s->len, memory_order_relaxed);
		/* Release: fin_seq is visible to the control lcore before fin_sent. */
		atomic_store_explicit(&c->fin_sent, 1, memory_order_release);
	}
	if (c->t_rto_deadline == 0)
		c->t_rto_deadline = x->now + c->t_rto_ns;
	return true;
}

/* ---- writer API ---- */

static bool
writable(struct tcp_conn *c)
{
	uint8_t s = atomic_load_explicit(&c->ctl_state, memory_order_acquire);

	if (s == TCP_CTL_CLOSED || c->t_stopped || c->t_fin_queued) {
		errno = EPIPE;
		return false;
	}
	if (s != TCP_CTL_ESTABLISHED || !c->t_ready) {
		errno = EAGAIN;
		return false;
	}
	return true;
}

static void
enqueue_fill(struct tcp_conn *c, uint8_t fin)
{
	struct rte_mbuf *m = c->t_fill;
	struct tcp_seg *s = qseg(c, c->t_tail);

	s->m = m;
	s->seq = c->t_next_seq;
	s->len = m->data_len;
	s->fin = fin;
	s->rexmit = 0;
	s->sacked = 0;
	s->lost = 0;
	s->xmit_ns = 0;
	c->t_next_seq += s->len + fin;
	c->t_tail++;
	c->t_fill = NULL;
}

static struct rte_mbuf *
new_fill(struct tcp_conn *c)
{
	struct rte_mbuf *m;

	if (c->t_tail - c->t_head >= c->p.snd_segs) {
		errno = EAGAIN;
		return NULL;
	}
	m = rte_pktmbuf_alloc(c->io->pool);
	if (m == NULL) {
		tcp_stat_add(&c->st_tx_nomem, 1);
		errno = ENOMEM;
		return NULL;
	}
	m->data_off = (uint16_t)(m->data_off + c->t_hdr_len);
	c->t_fill = m;
	return m;
}

uint8_t *
tcp_tx_buf(struct tcp_conn *c, uint32_t *room)
{
	struct rte_mbuf *m;

	if (!writable(c))
		return NULL;
	m = c->t_fill;
	if (m == NULL && (m = new_fill(c)) == NULL)
		return NULL;
	*room = c->t_mss - m->data_len;
	return rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len);
}

void
tcp_tx_commit(struct tcp_conn *c, uint32_t n)
{
	struct rte_mbuf *m = c->t_fill;

	if (m == NULL)
		return;
	if (n > (uint32_t)(c->t_mss - m->data_len))
		n = c->t_mss - m->data_len;
	m->data_len = (uint16_t)(m->data_len + n);
	m->pkt_len += n;
	if (m->data_len == c->t_mss)
		enqueue_fill(c, 0);
}

void
tcp_tx_push(struct tcp_conn *c)
{
	if (c->t_fill != NULL && c->t_fill->data_len > 0)
		enqueue_fill(c, 0);
}

int
tcp_tx_close(struct tcp_conn *c)
{
	if (c->t_fin_queued)
		return -EALREADY;
	if (!writable(c))
		return errno == EAGAIN ? -ENOTCONN : -EPIPE;
	if (c->t_fill != NULL && c->t_fill->data_len > 0) {
		enqueue_fill(c, 0);
	}
	if (c->t_fill == NULL && new_fill(c) == NULL)
		return -errno;
	enqueue_fill(c, 1);
	c->t_fin_queued = true;
	return 0;
}

uint64_t
tcp_tx_unacked(const struct tcp_conn *c)
{
	uint64_t n = (uint32_t)(c->t_next_seq - c->t_snd_una);

	if (c->t_fill != NULL)
		n += c->t_fill->data_len;
	return n;
}

/* ---- RTT, RTO, congestion control ---- */

static void
rto_publish(struct tcp_conn *c)
{
	atomic_store_explicit(&c->st_rto_ms, (uint32_t)(c->t_rto_ns / NS_PER_MS),
			      memory_order_relaxed);
}

static void
rto_from_srtt(struct tcp_conn *c)
{
	uint64_t min = (uint64_t)c->p.rto_min_ms * NS_PER_MS;
	uint64_t max = (uint64_t)c->p.rto_max_ms * NS_PER_MS;
	uint64_t var4 = (uint64_t)(4 * c->t_rttvar_ns);
	uint64_t rto = (uint64_t)c->t_srtt_ns + (var4 > NS_PER_MS ? var4 : NS_PER_MS);

	c->t_rto_ns = rto < min ? min : rto > max ? max : rto;
	rto_publish(c);
}

/* RFC 6298 §2: one RTT sample r (ns). */
static void
rtt_sample(struct tcp_conn *c, int64_t r)
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
	rto_from_srtt(c);
}

static uint32_t
half_flight(struct tcp_conn *c)
{
	uint32_t h = flight_size(c) / 2, two = 2u * c->t_mss;

	return h > two ? h : two;
}

/* ---- timers held for the control lcore ---- */

/* May a loss timer that expired at deadline act? Only when the control lcore has polled
 * since (its heartbeat, loaded at this poll's start before the ACKs were taken): whatever
 * arrived before the deadline has then been read. A control lcore that never polls
 * (heartbeat 0: tests, tools driving tcp_input only) holds nothing. */
static bool
ctl_caught_up(struct tcp_conn *c, uint64_t deadline)
{
	return c->t_ctl_seen_ns == 0 || c->t_ctl_seen_ns >= deadline;
}

/* ---- undo (DSACK RFC 2883 / Eifel RFC 3522) ---- */

/* A loss episode begins (recovery or RTO): remember cwnd and ssthresh before the reduction.
 * An RTO inside a recovery episode keeps that episode's values and record. */
static void
undo_begin(struct tcp_conn *c)
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

static void
undo_record(struct tcp_conn *c, uint32_t seq, uint32_t end)
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
static void
do_undo(struct tcp_conn *c, bool eifel)
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
	tcp_stat_add(eifel ? &c->st_undos_eifel : &c->st_undos_dsack, 1);
	publish_cc(c);
}

/* ---- SACK scoreboard, RACK, PRR (SACK connections) ---- */

/* Copies the control lcore's scoreboard when its generation moved (seqlock reader: the
 * load-acquire of an even gen pairs with sb_publish's store-release; the acquire fence
 * orders the relaxed data loads before the recheck). New DSACK blocks go to ds_*; returns
 * how many (0..TCP_SB_DSACKS), or -1 when the copy did not change. */
static int
sb_read(struct tcp_conn *c, uint32_t *ds_s, uint32_t *ds_e)
{
	struct tcp_sack_board *b = &c->sb;

	for (int tries = 0; tries < 4; tries++) {
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
		atomic_thread_fence(memory_order_acquire);
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

static inline uint32_t
seg_end(const struct tcp_seg *s)
{
	return s->seq + s->len + s->fin;
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
static void
rack_delivered(struct txctx *x, const struct tcp_seg *s)
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
sb_scan(struct txctx *x, uint32_t *losses)
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
				rack_delivered(x, s);
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
				tcp_stat_add(&c->st_rack_losses, 1);
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

/* A DSACKed range [s, e): a TLP or a recorded retransmission was a duplicate. When every
 * retransmission of the episode is proven needless, undo. A DSACK also widens RACK's
 * reordering window (RFC 8985 §6.2 step 4). */
static void
dsacks_take(struct tcp_conn *c, const uint32_t *ds, const uint32_t *de, int k)
{
	for (int i = 0; i < k; i++) {
		if (c->t_tlp_out && c->t_tlp_rtx && SEQ_LT(ds[i], c->t_tlp_end) &&
		    SEQ_GT(de[i], c->t_tlp_seq))
			c->t_tlp_dsacked = true;
		for (uint32_t j = 0; c->t_undo_on && j < c->t_undo_n; j++)
			if (SEQ_LT(ds[i], c->t_undo_end[j]) && SEQ_GT(de[i], c->t_undo_start[j]))
				c->t_undo_mask |= (uint16_t)(1u << j);
	}
	if (k > 0) {
		c->t_rack_reord = true;
		if (c->t_rack_reo_mult < 8)
			c->t_rack_reo_mult++;
	}
	if (c->t_undo_on && !c->t_undo_overflow && c->t_undo_n > 0 &&
	    c->t_undo_mask == (uint16_t)((1u << c->t_undo_n) - 1u))
		do_undo(c, false);
}

/* After the ACKs of this poll (una_moved, delivered = bytes newly cumulatively acked that
 * were not SACKed): scoreboard, DSACKs, RACK, recovery entry/exit, PRR. */
static void
sack_after_acks(struct txctx *x, bool una_moved, uint32_t delivered)
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
		undo_begin(c);
		c->t_ssthresh = half_flight(c);
		c->t_recover = c->t_snd_max;
		c->t_in_recovery = true;
		c->t_prr_delivered = 0;
		c->t_prr_out = 0;
		c->t_recover_fs = flight_size(c);
		c->t_rtt_timing = false;
		if (c->t_tlp_out) /* the probe revealed a real loss: probe sooner next time */
			c->t_pto_floor_ns = JW_MAX(c->t_pto_floor_ns / 2, TCP_PTO_MIN_NS);
		c->t_tlp_out = false; /* the recovery's reduction covers what the TLP found */
		tcp_stat_add(&c->st_fast_retransmits, 1);
		delivered = 0;
	}
	if (c->t_in_recovery) {
		if (SEQ_GEQ(c->t_snd_una, c->t_recover)) {
			c->t_in_recovery = false;
			c->t_cwnd = c->t_ssthresh > c->t_mss ? c->t_ssthresh : c->t_mss;
		} else {
			prr_update(c, delivered);
		}
	}
	if (c->t_in_loss && SEQ_GEQ(c->t_snd_una, c->t_recover))
		c->t_in_loss = false;
	publish_cc(c);
}

/* Takes in what the control lcore learned: cumulative ACK, duplicate ACKs and (SACK) the
 * scoreboard. */
static void
take_acks(struct txctx *x)
{
	struct tcp_conn *c = x->c;
	/* Acquire pairs with tcp_ctl_publish_ack's release. */
	uint64_t as = atomic_load_explicit(&c->ack_state, memory_order_acquire);
	uint32_t una = (uint32_t)(as >> 32), dup = (uint32_t)as;
	/* ACKs the control lcore accepted since the last poll (relaxed: a count only). */
	uint64_t acks = atomic_load_explicit(&c->acks_in, memory_order_relaxed);
	uint64_t n_acks = acks - c->t_acks_seen;
	uint32_t delivered = 0;
	bool una_moved = false;

	c->t_acks_seen = acks;

	if (SEQ_GT(una, c->t_snd_una) && SEQ_LEQ(una, c->t_snd_max)) {
		uint32_t acked = una - c->t_snd_una;

		una_moved = true;
		c->t_snd_una = una;
		while (c->t_head != c->t_tail) {
			struct tcp_seg *s = qseg(c, c->t_head);
			if (SEQ_GT(s->seq + s->len + s->fin, una))
				break;
			if (c->sack_ok) {
				if (!s->sacked) {
					delivered += s->len;
					if (SEQ_LT(seg_end(s), c->t_fack) && !s->rexmit)
						c->t_rack_reord = true; /* arrived after higher ones */
					rack_delivered(x, s);
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
		tcp_stat_add(&c->st_bytes_acked, acked);
		c->t_retries = 0;
		c->t_persist_backoff = 0;
		c->t_probes_unanswered = 0;
		if (c->t_rtt_timing && SEQ_GT(una, c->t_rtt_seq)) {
			c->t_rtt_timing = false;
			rtt_sample(c, (int64_t)(x->now - c->t_rtt_start_ns));
		} else if (c->t_srtt_ns != 0) {
			rto_from_srtt(c); /* new data acked: forget the backoff */
		}
		/* Eifel (RFC 3522): the first ACK past the RTO's retransmission echoes a
		 * timestamp older than that retransmission: the original arrived, the RTO
		 * was spurious. TSecr was stored before ack_state's release (acquired above). */
		if (c->t_eifel_on && SEQ_GT(una, c->t_eifel_seq)) {
			uint32_t tsecr = atomic_load_explicit(&c->ack_tsecr, memory_order_relaxed);
			c->t_eifel_on = false;
			if (c->ts_ok && SEQ_LT(tsecr, c->t_eifel_tsval) && c->t_undo_on)
				do_undo(c, true);
		}
		/* TLP episode (RFC 8985 §7.4): a retransmitted probe acked beyond without a
		 * DSACK repaired a real loss: reduce once. */
		if (c->t_tlp_out) {
			if (c->t_tlp_dsacked) {
				/* The probe was needless: the peer was only slow to ACK
				 * (its delayed-ACK timer, a busy server). Wait longer next
				 * time, up to rto_min. */
				c->t_tlp_out = false;
				c->t_pto_floor_ns = JW_MIN(2 * c->t_pto_floor_ns,
							   (uint64_t)c->p.rto_min_ms * NS_PER_MS);
			} else if (!c->t_tlp_rtx && SEQ_GEQ(una, c->t_tlp_high)) {
				c->t_tlp_out = false;
			} else if (c->t_tlp_rtx && SEQ_GT(una, c->t_tlp_high)) {
				c->t_tlp_out = false;
				/* It repaired a loss: probe sooner again (not below 10 ms). */
				c->t_pto_floor_ns = JW_MAX(c->t_pto_floor_ns / 2, TCP_PTO_MIN_NS);
				if (!c->t_in_recovery && !c->t_in_loss) {
					c->t_ssthresh = JW_MAX(c->t_cwnd / 2, 2u * c->t_mss);
					c->t_cwnd = c->t_ssthresh;
				}
			}
		}
		if (c->t_in_recovery && !c->sack_ok) {
			if (SEQ_GEQ(una, c->t_recover)) { /* full ACK: leave recovery (RFC 6582 3.2.3) */
				uint32_t f = flight_size(c) + c->t_mss;
				c->t_cwnd = f < c->t_ssthresh ? f : c->t_ssthresh;
				c->t_in_recovery = false;
			} else { /* partial ACK: retransmit the next hole, deflate (3.2.4) */
				if (c->t_head != c->t_tail && c->t_head != c->t_nxt && room_for(x, 1))
					(void)xmit(x, c->t_head, RTX_FAST);
				c->t_cwnd = c->t_cwnd > acked ? c->t_cwnd - acked : 0;
				if (acked >= c->t_mss)
					c->t_cwnd += c->t_mss;
				if (c->t_cwnd < c->t_mss)
					c->t_cwnd = c->t_mss;
			}
		} else if (c->t_in_recovery) {
			/* SACK: PRR sets cwnd in sack_after_acks */
		} else if (c->t_cwnd < c->t_ssthresh) {
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
		if (!c->sack_ok && c->t_in_loss && SEQ_GEQ(una, c->t_recover))
			c->t_in_loss = false;
		c->t_dup_seen = 0;
		c->t_lt_extra = 0;
		c->t_progress_ns = x->now;
		c->t_rto_deadline = c->t_nxt != c->t_head ? x->now + c->t_rto_ns : 0;
		publish_cc(c);
	}
	if (c->sack_ok) {
		sack_after_acks(x, una_moved, delivered);
		return;
	}
	if (dup > c->t_dup_seen) {
		uint32_t n = dup - c->t_dup_seen;

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
				undo_begin(c);
				c->t_ssthresh = half_flight(c);
				c->t_recover = c->t_snd_max;
				c->t_cwnd = c->t_ssthresh + dup * c->t_mss;
				c->t_lt_extra = 0;
				c->t_in_recovery = true;
				c->t_rtt_timing = false;
				if (room_for(x, 1) && xmit(x, c->t_head, RTX_FAST))
					tcp_stat_add(&c->st_fast_retransmits, 1);
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
}

/* Loss probe of the non-SACK path (after RFC 8985 §7, adapted to a sender without SACK):
 * when nothing has moved for PTO = max(2 SRTT, 10 ms) while two or more segments are in
 * flight, retransmit the first unacknowledged segment once per snd_una. Without SACK the
 * cumulative ACK is exactly the first byte the receiver lacks, so this repairs a lost tail
 * or a lost retransmission without waiting for the RTO (200 ms floor) and without
 * collapsing cwnd to one segment; it enters NewReno recovery (halving) like a fast
 * retransmit. With one segment in flight the peer may be delaying its ACK (up to 200 ms),
 * so the RTO handles it. SACK connections use tlp_timer instead.
 */
static void
loss_probe(struct txctx *x)
{
	struct tcp_conn *c = x->c;
	uint64_t pto;

	if (c->sack_ok || c->t_nxt == c->t_head || c->t_srtt_ns == 0 || c->t_nxt - c->t_head < 2 ||
	    (c->t_probed && c->t_probe_una == c->t_snd_una) || !room_for(x, 1))
		return;
	/* A closed window explains the silence: the RTO (as window probe) handles it. */
	if (SEQ_LEQ(atomic_load_explicit(&c->snd_wnd_edge, memory_order_acquire), c->t_snd_una))
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
		undo_begin(c);
		c->t_ssthresh = half_flight(c);
		c->t_cwnd = c->t_ssthresh;
		c->t_recover = c->t_snd_max;
		c->t_in_recovery = true;
		publish_cc(c);
	}
	c->t_rtt_timing = false;
	c->t_probed = true;
	c->t_probe_una = c->t_snd_una;
	if (xmit(x, c->t_head, RTX_TLP))
		tcp_stat_add(&c->st_loss_probes, 1);
}

/* Tail loss probe (RFC 8985 §7), SACK connections: when nothing moved for PTO =
 * max(2 SRTT, floor) with two or more segments in flight (and no RTO recovery), send one
 * new segment if the peer's window takes it, else resend the highest unSACKed one; cwnd is
 * not touched (the probe's SACK lets RACK find a lost tail; a resent probe acked without a
 * DSACK reduces once, take_acks). One probe per episode; the RTO is re-armed behind it.
 * Unlike RFC 8985 §7.2 a probe may also go during fast recovery: there a lost ACK or a
 * lost retransmission with nothing sent after it leaves PRR waiting for deliveries that
 * never come, and the probe's answer (SACK or DSACK) lets RACK go on instead of a 200 ms
 * RTO collapsing cwnd. The floor (10 ms at first) keeps scheduling jitter on a shared host
 * from firing probes; each probe a DSACK proves needless doubles it (up to rto_min), each
 * that repaired a loss halves it: it learns how long this peer may sit on an ACK (Linux
 * delays one up to 40 ms), so a loss-free path stops seeing probes. */
static void
tlp_timer(struct txctx *x)
{
	struct tcp_conn *c = x->c;
	uint32_t edge;
	uint64_t pto, when;

	if (!c->sack_ok || c->t_nxt == c->t_head || c->t_srtt_ns == 0 || c->t_nxt - c->t_head < 2 ||
	    c->t_in_loss || c->t_tlp_out || !room_for(x, 1))
		return;
	edge = atomic_load_explicit(&c->snd_wnd_edge, memory_order_acquire);
	if (SEQ_LEQ(edge, c->t_snd_una))
		return;
	pto = 2 * (uint64_t)c->t_srtt_ns;
	if (pto < c->t_pto_floor_ns)
		pto = c->t_pto_floor_ns;
	/* Re-armed by every transmission too: a retransmission in recovery is progress. */
	when = (c->t_last_xmit_ns > c->t_progress_ns ? c->t_last_xmit_ns : c->t_progress_ns) + pto;
	if (x->now < when || (c->t_rto_deadline != 0 && when >= c->t_rto_deadline))
		return;
	if (!ctl_caught_up(c, when))
		return;
	if (c->t_nxt != c->t_tail && qseg(c, c->t_nxt)->len > 0 &&
	    SEQ_LEQ(qseg(c, c->t_nxt)->seq + qseg(c, c->t_nxt)->len, edge)) {
		if (!xmit(x, c->t_nxt, RTX_TLP))
			return;
		c->t_nxt++;
		c->t_tlp_rtx = false;
	} else {
		uint32_t i = c->t_nxt - 1;
		while (i != c->t_head && qseg(c, i)->sacked)
			i--;
		if (qseg(c, i)->sacked || !xmit(x, i, RTX_TLP))
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
	tcp_stat_add(&c->st_loss_probes, 1);
}

/* RTO expiry (RFC 6298 §5.4-5.6, RFC 5681 eq. 4): back off and go back to the first
 * unacknowledged segment with a one-segment window. With SACK every unSACKed segment is
 * marked lost and resent in order as cwnd allows (SACKed ones are skipped). Held while the
 * control lcore has not polled past the deadline. Arms Eifel for the first expiry. */
static void
rto_timer(struct txctx *x)
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
		tcp_stat_add(&c->st_rto_held, 1);
		return;
	}
	/* The peer closed its window on data in flight and keeps answering: our
	 * retransmissions are window probes, and a live peer that is slow to read is not a
	 * dead path (as Linux's tcp_retransmit_timer). Only silence counts toward the limit. */
	acks_in = atomic_load_explicit(&c->acks_in, memory_order_relaxed);
	zero_wnd = SEQ_LEQ(atomic_load_explicit(&c->snd_wnd_edge, memory_order_acquire),
			   c->t_snd_una);
	if (!(zero_wnd && acks_in != c->t_rto_acks_in)) {
		if (c->t_retries >= c->p.max_retries) {
			tx_fail(c, TCP_R_TIMEOUT);
			return;
		}
		c->t_retries++;
	}
	c->t_rto_acks_in = acks_in;
	tcp_stat_add(&c->st_rto_expiries, 1);
	undo_begin(c);
	if (c->t_retries <= 1) {
		c->t_ssthresh = half_flight(c);
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
	rto_publish(c);
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
xmit_tso(struct txctx *x, uint32_t k)
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
			tcp_stat_add(&c->st_tx_nomem, 1);
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
	tcp_stat_add(&c->st_segs_out, wire_segs - 1);
	tcp_stat_add(&c->st_tso_pkts, 1);
	tcp_stat_add(&c->st_bytes_sent, len);
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

/* ---- pacing ---- */

/* Pacing rate (bytes/s) = gain x cwnd / SRTT, the gain doubled in slow start (as Linux's
 * 200 % / 120 %); 0 = not pacing (off, or no RTT sample yet). */
static void
pace_update(struct tcp_conn *c)
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
static bool
pace_ok(struct txctx *x)
{
	struct tcp_conn *c = x->c;

	if (c->t_pace_rate == 0)
		return true;
	if (c->t_pace_next_ns <= x->now + pace_ahead_ns(c))
		return true;
	x->paced = true;
	return false;
}

static void
pace_sent(struct txctx *x, uint32_t bytes)
{
	struct tcp_conn *c = x->c;

	if (c->t_pace_rate == 0)
		return;
	c->t_pace_next_ns += (uint64_t)bytes * 1000000000ull / c->t_pace_rate;
}

/* At the start of a poll: forget credit older than the previous poll (at most 1 ms). */
static void
pace_begin(struct txctx *x)
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

/* SACK: resends the segments marked lost, lowest first, while pipe stays under cwnd
 * (they were inside the peer's window when first sent). */
static void
send_lost(struct txctx *x)
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
		    !room_for(x, 2) || !pace_ok(x) || !xmit(x, i, RTX_AUTO))
			break;
		pace_sent(x, s->len);
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
static void
send_new(struct txctx *x)
{
	struct tcp_conn *c = x->c;
	/* Acquire pairs with the control lcore's release of the window edge. */
	uint32_t edge = atomic_load_explicit(&c->snd_wnd_edge, memory_order_acquire);

	if (c->sack_ok && c->t_lost_cnt > 0) {
		send_lost(x);
		if (c->t_lost_cnt > 0)
			return; /* holes first */
	}
	while (c->t_nxt != c->t_tail && x->data_sent < TCP_POLL_DATA_MAX && room_for(x, 2)) {
		uint32_t k;

		if (!seg_fits(c, qseg(c, c->t_nxt), edge) || !pace_ok(x))
			break;
		k = tso_span(c, edge);
		if (k >= 2) {
			uint32_t first = qseg(c, c->t_nxt)->seq;
			if (!xmit_tso(x, k))
				break;
			pace_sent(x, c->t_snd_max - first);
			c->t_nxt += k;
			x->data_sent++;
			continue;
		}
		if (!xmit(x, c->t_nxt, RTX_AUTO))
			break;
		pace_sent(x, qseg(c, c->t_nxt)->len);
		c->t_nxt++;
		x->data_sent++;
	}
}

/* The head segment waits, nothing is in flight and the peer's window does not take all of
 * it (RFC 9293 §3.8.6.1). If part of the window is open and those bytes were never sent,
 * they go at once as a partial segment (header mbuf + clone of that part: the queued
 * segment stays whole for later); the receiver's SWS avoidance chose that window. With a
 * zero window the persist timer probes with one byte, backing off like the RTO; the same
 * timer resends a lost partial. Probes that get no ACK at all count against max_retries. */
static void
window_limited(struct txctx *x)
{
	struct tcp_conn *c = x->c;
	uint32_t edge = atomic_load_explicit(&c->snd_wnd_edge, memory_order_acquire);
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
		m = build_seg(x, s, off, n);
		if (m == NULL)
			return;
		emit(x, m);
		tcp_stat_add(&c->st_bytes_sent, n);
		c->t_snd_max = pseq + n;
		c->t_persist_deadline = x->now + ival;
		c->t_probe_acks_in = acks_in;
		return;
	}
	if (c->t_persist_deadline == 0) {
		c->t_persist_deadline = x->now + ival;
		c->t_probe_acks_in = acks_in;
		return;
	}
	if (x->now < c->t_persist_deadline)
		return;
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
	m = build_seg(x, s, off, n);
	if (m == NULL)
		return;
	emit(x, m);
	if (avail == 0)
		tcp_stat_add(&c->st_zwp, 1);
	else
		rtx_count(c, RTX_OTHER);
	if (SEQ_GT(pseq + n, c->t_snd_max))
		c->t_snd_max = pseq + n;
	if (c->t_persist_backoff < 16)
		c->t_persist_backoff++;
	ival = c->t_rto_ns << c->t_persist_backoff;
	c->t_persist_deadline = x->now + (ival > max ? max : ival);
}

/* TSO limits for this connection: the port's bound, capped by the 16-bit IPv4 total
 * length; no TSO unless the device also does checksums and takes chains, and unless a
 * packet can hold at least two segments. */
static void
tso_setup(struct tcp_conn *c)
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

/* First poll after ESTABLISHED: template, MSS, initial window (IW10, RFC 6928). */
static void
tx_setup(struct txctx *x)
{
	struct tcp_conn *c = x->c;
	uint8_t opts[12];
	uint16_t optlen = 0, mss = c->p.mss < c->peer_mss ? c->p.mss : c->peer_mss;
	uint32_t room = rte_pktmbuf_data_room_size(c->io->pool);

	if (c->ts_ok) {
		opts[0] = TCP_OPT_NOP;
		opts[1] = TCP_OPT_NOP;
		opts[2] = TCP_OPT_TS;
		opts[3] = 10;
		memset(opts + 4, 0, 8);
		optlen = 12;
	}
	c->t_hdr_len = tcp_hdr_write(c, c->t_tmpl, opts, optlen);
	c->t_tcp_hdr_len = (uint16_t)(c->t_hdr_len - TCP_TCP_OFF);
	mss = (uint16_t)(mss - optlen);
	if (room < RTE_PKTMBUF_HEADROOM + c->t_hdr_len + 64u)
		mss = 64; /* absurdly small pool: still correct, just slow */
	else if (mss > room - RTE_PKTMBUF_HEADROOM - c->t_hdr_len)
		mss = (uint16_t)(room - RTE_PKTMBUF_HEADROOM - c->t_hdr_len);
	c->t_mss = mss;
	atomic_store_explicit(&c->st_mss, mss, memory_order_relaxed);
	tso_setup(c);
	c->t_snd_una = c->iss + 1;
	c->t_cwnd = 10u * mss;
	c->t_ssthresh = UINT32_MAX / 2;
	c->t_recover = c->iss;
	c->t_acks_seen = atomic_load_explicit(&c->acks_in, memory_order_relaxed);
	c->t_fack = c->t_snd_una;
	c->t_rack_reo_mult = 1;
	c->t_lost_hint = c->t_head;
	c->t_last_ack = c->irs; /* != rcv_nxt: the handshake's ACK goes */
	c->t_pace_poll_ns = x->now;
	c->t_pace_next_ns = x->now;
	c->t_pto_floor_ns = JW_MIN(TCP_PTO_INIT_NS, (uint64_t)c->p.rto_min_ms * NS_PER_MS);
	if (c->t_syn_tries == 0) {
		rtt_sample(c, (int64_t)(x->now - c->t_rtt_start_ns));
		c->t_min_rtt_ns = (uint64_t)c->t_srtt_ns;
	} else {
		c->t_rto_ns = (uint64_t)c->p.rto_init_ms * NS_PER_MS;
	}
	rto_publish(c);
	publish_cc(c);
	c->t_ready = true;
}

static void
syn_timer(struct txctx *x)
{
	struct tcp_conn *c = x->c;
	uint64_t max = (uint64_t)c->p.rto_max_ms * NS_PER_MS;

	if (!c->t_syn_sent) {
		c->t_syn_sent = true;
		c->t_rtt_start_ns = x->now;
		c->t_syn_deadline = x->now + c->t_rto_ns;
		c->t_snd_max = c->iss + 1;
		publish_snd(c);
		send_syn(x);
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
	rto_publish(c);
	c->t_syn_deadline = x->now + c->t_rto_ns;
	rtx_count(c, RTX_OTHER);
	send_syn(x);
}

void
tcp_tx_release(struct tcp_conn *c)
{
	while (c->t_head != c->t_tail) {
		struct tcp_seg *s = qseg(c, c->t_head);
		rte_pktmbuf_free(s->m);
		s->m = NULL;
		c->t_head++;
	}
	c->t_nxt = c->t_head;
	if (c->t_fill != NULL) {
		rte_pktmbuf_free(c->t_fill);
		c->t_fill = NULL;
	}
	for (uint16_t i = 0; i < c->t_pend_n; i++)
		rte_pktmbuf_free(c->t_pend[i]);
	c->t_pend_n = 0;
}

/* Hands out[] to the device; what it does not take waits in t_pend for the next poll. */
static uint16_t
flush(struct tcp_conn *c, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	while (sent < n) {
		uint16_t k = c->io->tx_burst(c->io->ctx, pkts + sent,
					     (uint16_t)JW_MIN(n - sent, TCP_TX_BURST));
		if (k == 0)
			break;
		sent = (uint16_t)(sent + k);
	}
	for (uint16_t i = sent; i < n; i++) {
		if (c->t_pend_n < JW_ARRAY_SIZE(c->t_pend))
			c->t_pend[c->t_pend_n++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]); /* a drop like any other: TCP recovers */
	}
	return sent;
}

uint16_t
tcp_tx_poll(struct tcp_conn *c)
{
	/* Acquire pairs with the control lcore's release stores of ctl_state (connect,
	 * ESTABLISHED, CLOSED): what it wrote before, we see. */
	uint8_t s = atomic_load_explicit(&c->ctl_state, memory_order_acquire);
	struct txctx x;
	uint16_t sent = 0, pure_acks = 0;
	bool want_ack, timer_ack = false;
	uint64_t delack;
	void *cmds[TCP_CMDS_PER_POLL];
	unsigned int ncmd;

	if (s == TCP_CTL_IDLE)
		return 0;
	/* Acquire pairs with tcp_ctl_poll's release: loaded before the ACKs are taken, so
	 * what the control lcore had read by then is in ack_state and the scoreboard. */
	c->t_ctl_seen_ns = atomic_load_explicit(&c->ctl_poll_ns, memory_order_acquire);
	x.c = c;
	x.now = tcp_now(c->io);
	x.n = 0;
	x.data_sent = 0;
	x.paced = false;

	if (c->t_pend_n > 0) {
		uint16_t n = c->t_pend_n;
		struct rte_mbuf *p[JW_ARRAY_SIZE(c->t_pend)];
		memcpy(p, c->t_pend, n * sizeof(p[0]));
		c->t_pend_n = 0;
		sent = flush(c, p, n);
		if (c->t_pend_n > 0)
			return sent;
	}

	ncmd = rte_ring_sc_dequeue_burst(c->cmd, cmds, TCP_CMDS_PER_POLL, NULL);
	for (unsigned int i = 0; i < ncmd; i++) {
		uintptr_t v = (uintptr_t)cmds[i];
		uint32_t arg = (uint32_t)(v >> 8);
		switch ((enum tcp_cmd)(v & 0xff)) {
		case TCP_CMD_ACK:
			pure_acks++;
			break;
		case TCP_CMD_RST:
			if (room_for(&x, 1))
				send_ctl(&x, TCP_F_RST, arg);
			break;
		case TCP_CMD_ABORT:
			if (!c->t_stopped && c->t_syn_sent && room_for(&x, 1))
				send_ctl(&x, c->t_ready ? TCP_F_RST | TCP_F_ACK : TCP_F_RST,
					 c->t_snd_max);
			c->t_stopped = true;
			break;
		}
	}

	if (s == TCP_CTL_CLOSED || c->t_stopped) {
		if (c->t_ready) { /* account for what the last ACKs covered before letting go */
			uint32_t una = (uint32_t)(atomic_load_explicit(&c->ack_state,
								       memory_order_acquire) >> 32);
			if (SEQ_GT(una, c->t_snd_una) && SEQ_LEQ(una, c->t_snd_max)) {
				tcp_stat_add(&c->st_bytes_acked, una - c->t_snd_una);
				c->t_snd_una = una;
			}
		}
		/* Late ACKs (a retransmitted peer FIN in TIME_WAIT) are still answered. */
		if (!c->t_stopped && pure_acks > 0 && c->t_ready && room_for(&x, 1))
			send_ctl(&x, TCP_F_ACK, cur_snd_nxt(c));
		tcp_tx_release(c);
		if (!atomic_load_explicit(&c->tx_released, memory_order_relaxed) &&
		    rte_ring_empty(c->cmd) && s == TCP_CTL_CLOSED)
			atomic_store_explicit(&c->tx_released, 1, memory_order_release);
		return (uint16_t)(sent + flush(c, x.out, x.n));
	}

	if (s == TCP_CTL_SYN_SENT) {
		syn_timer(&x);
		return (uint16_t)(sent + flush(c, x.out, x.n));
	}

	/* ESTABLISHED (and its closing sub-states) */
	if (!c->t_ready)
		tx_setup(&x);
	/* Acquire pairs with the control lcore's release of delack_at (rcv_nxt before it);
	 * loaded before anything is built, so every header of this poll ACKs at least that. */
	delack = atomic_load_explicit(&c->delack_at, memory_order_acquire);
	take_acks(&x);
	loss_probe(&x);
	tlp_timer(&x);
	rto_timer(&x);
	pace_update(c);
	pace_begin(&x);
	x.paced = false;
	if (!c->t_stopped) {
		send_new(&x);
		window_limited(&x);
	}
	c->t_pace_held = x.paced;
	if (x.paced)
		tcp_stat_add(&c->st_pacing_waits, 1);
	/* ACKs for the peer's bytes: control asks at once (every second segment, FIN, a
	 * filled hole: ack_req) or leaves a delayed-ACK deadline. Any segment of this poll
	 * carries the ACK; a pure ACK goes only when nothing else did and rcv_nxt moved since
	 * the last ACK sent. Acquire-exchange pairs with the control lcore's release of
	 * ack_req. Commands (dupacks, challenge ACKs) always go. */
	want_ack = atomic_exchange_explicit(&c->ack_req, 0, memory_order_acquire) != 0;
	if (delack != 0 && delack != c->t_delack_served) {
		if (x.n > 0 || want_ack || pure_acks > 0) {
			c->t_delack_served = delack;
		} else if (x.now >= delack) {
			c->t_delack_served = delack;
			want_ack = true;
			timer_ack = true;
		}
	}
	if (want_ack && x.n == 0 && pure_acks == 0 &&
	    atomic_load_explicit(&c->rcv_nxt, memory_order_acquire) != c->t_last_ack) {
		pure_acks = 1;
		if (timer_ack)
			tcp_stat_add(&c->st_delayed_acks, 1);
	}
	if (!c->t_stopped)
		for (uint16_t i = 0; i < pure_acks && room_for(&x, 1); i++) {
			send_ctl(&x, TCP_F_ACK, cur_snd_nxt(c));
			tcp_stat_add(&c->st_pure_acks, 1);
		}
	publish_snd(c);
	return (uint16_t)(sent + flush(c, x.out, x.n));
}
