/* The control lcore's receive queue: bytes handed to the owner in order and once, the
 * bounded out-of-order queue (sorted by sequence, duplicates dropped), the peer's FIN, and
 * the SACK blocks our ACKs carry to describe that queue (RFC 2018 §4, DSACK RFC 2883).
 */
#include <string.h>

#include "tcp/tcp_priv.h"
#include "tcp/tcp_seq.h"

/* Hands len bytes of m from offset off to the owner, segment by segment. */
void
tcp_deliver(struct tcp_conn *c, struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	jw_ctr_add(&c->st_bytes_received, len);
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

/* Why the window and not a fixed count: a peer may fill all of the window we advertise
 * while one segment is missing (a server answering a burst of publishes sends hundreds of
 * segments in one flight). Segments beyond a smaller queue were dropped although the window
 * invited them: the peer had to send them again, their SACK blocks never came, and a Linux
 * peer fell back to its RTO (200 ms, then backed off), measured: up to 28 server RTOs and
 * a tenth of the acked rate in an engine run at 2 % loss with 64 entries and a 1 MiB
 * window. Twice the full-segment count leaves room for smaller segments; the mbufs held
 * are bounded by the window's bytes either way, except for tiny segments, which the
 * 4096 cap bounds. */
uint16_t
tcp_ooo_capacity(const struct tcp_params *p)
{
	uint32_t n;

	if (p->ooo_segs != 0)
		return p->ooo_segs;
	n = 2u * (p->rcv_buf / (p->mss > 0 ? p->mss : 536u) + 1u);
	return (uint16_t)JW_MIN(JW_MAX(n, 64u), 4096u);
}

void
tcp_ooo_clear(struct tcp_conn *c)
{
	for (uint16_t i = 0; i < c->c_ooo_n; i++)
		rte_pktmbuf_free(c->c_ooo[i].m);
	c->c_ooo_n = 0;
}

/* Keeps an out-of-order segment (payload [seq, seq+len) of m at off). Returns true when m
 * was kept, false when the caller must free it (duplicate, or the queue is full). The
 * place is searched from the highest entry down: segments mostly arrive in order behind a
 * hole, so that is one step. */
bool
tcp_ooo_insert(struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq, uint32_t off, uint32_t len,
	   uint8_t fin)
{
	uint16_t i = c->c_ooo_n;

	while (i > 0 && SEQ_GEQ(c->c_ooo[i - 1].seq, seq))
		i--;
	if (i < c->c_ooo_n && c->c_ooo[i].seq == seq && c->c_ooo[i].len >= len) {
		jw_ctr_add(&c->st_dup_segs_in, 1);
		return false;
	}
	if (i > 0 && SEQ_GEQ(c->c_ooo[i - 1].seq + c->c_ooo[i - 1].len, seq + len)) {
		jw_ctr_add(&c->st_dup_segs_in, 1);
		return false; /* covered by the previous entry */
	}
	if (c->c_ooo_n >= c->p.ooo_segs) {
		jw_ctr_add(&c->st_ooo_drops, 1);
		return false;
	}
	memmove(&c->c_ooo[i + 1], &c->c_ooo[i], (size_t)(c->c_ooo_n - i) * sizeof(c->c_ooo[0]));
	c->c_ooo[i] = (struct tcp_ooo){ .m = m, .seq = seq, .len = len, .off = off, .fin = fin };
	c->c_ooo_n++;
	return true;
}

void
tcp_got_fin(struct tcp_conn *c)
{
	c->c_rcv_nxt++;
	/* Release pairs with the load-acquire of peer_fin in tcp_conn_state (tcp_conn.c). */
	atomic_store_explicit(&c->peer_fin, 1, memory_order_release); /* [T15] */
}

/* Delivers queued out-of-order data that has become in order. Returns true if a FIN
 * became in order. The delivered entries leave the array in one move at the end (a hole
 * filled under a full window frees thousands); until then each one delivered has its mbuf
 * freed and cleared, so an abort from on_data (tcp_ooo_clear) frees each mbuf once. */
bool
tcp_ooo_drain(struct tcp_conn *c)
{
	bool fin = false;
	uint16_t k = 0;

	while (k < c->c_ooo_n && SEQ_LEQ(c->c_ooo[k].seq, c->c_rcv_nxt)) {
		struct tcp_ooo *o = &c->c_ooo[k];
		uint32_t end = o->seq + o->len;

		if (SEQ_GT(end, c->c_rcv_nxt)) {
			uint32_t skip = c->c_rcv_nxt - o->seq;
			tcp_deliver(c, o->m, o->off + skip, o->len - skip);
			if (c->c_reported_closed)
				return false; /* aborted from on_data: the queue (o->m too) is freed */
			c->c_rcv_nxt = end;
		}
		if (o->fin && end == c->c_rcv_nxt && !fin) {
			tcp_got_fin(c);
			fin = true;
		}
		rte_pktmbuf_free(o->m);
		o->m = NULL;
		k++;
		if (fin)
			break;
	}
	c->c_ooo_n = (uint16_t)(c->c_ooo_n - k);
	memmove(&c->c_ooo[0], &c->c_ooo[k], (size_t)c->c_ooo_n * sizeof(c->c_ooo[0]));
	if (fin)
		tcp_ooo_clear(c); /* nothing after a FIN counts */
	return fin;
}

/* Publishes the SACK blocks our next ACKs carry (RFC 2018 §4): with ds, first a DSACK
 * block [ds_s, ds_e) for a duplicate that arrived (RFC 2883 §4, sent once); then the
 * out-of-order queue as merged ranges, the one holding recent (the latest arrival) first,
 * then the others from the highest down; none when the queue is empty. Seqlock writer as
 * sb_publish (tcp_sack.c): gen goes odd, a release fence orders it before the data stores,
 * the final store-release of the even gen pairs with rsb_read (tcp_xmit.c). */
/* Merges the out-of-order queue into ranges, in one pass: the range holding recent goes to
 * *rec (rec_s == rec_e when none does), the TCP_RSB_MAX highest others to hs/he, highest
 * first; returns how many of those. Any number of holes (the queue holds a window). */
static uint32_t
rsb_ranges(const struct tcp_conn *c, uint32_t recent, uint32_t *rec_s, uint32_t *rec_e,
	   uint32_t *hs, uint32_t *he)
{
	uint32_t ring_s[TCP_RSB_MAX], ring_e[TCP_RSB_MAX], nring = 0, cs = 0, ce = 0, nh = 0;
	bool open = false;

	*rec_s = *rec_e = 0;
	for (uint16_t i = 0; i <= c->c_ooo_n; i++) {
		uint32_t s = 0, e = 0;
		if (i < c->c_ooo_n) {
			s = c->c_ooo[i].seq;
			e = s + c->c_ooo[i].len + c->c_ooo[i].fin;
			if (open && SEQ_LEQ(s, ce)) {
				if (SEQ_GT(e, ce))
					ce = e;
				continue;
			}
		}
		if (open) { /* the range [cs, ce) is complete */
			if (SEQ_LEQ(cs, recent) && SEQ_LT(recent, ce)) {
				*rec_s = cs;
				*rec_e = ce;
			} else {
				ring_s[nring % TCP_RSB_MAX] = cs;
				ring_e[nring % TCP_RSB_MAX] = ce;
				nring++;
			}
		}
		cs = s;
		ce = e;
		open = true;
	}
	while (nh < TCP_RSB_MAX && nh < nring) {
		uint32_t j = (nring - 1u - nh) % TCP_RSB_MAX;
		hs[nh] = ring_s[j];
		he[nh] = ring_e[j];
		nh++;
	}
	return nh;
}

void
tcp_rsb_publish(struct tcp_conn *c, uint32_t recent, bool ds, uint32_t ds_s, uint32_t ds_e)
{
	uint32_t st[TCP_RSB_MAX], en[TCP_RSB_MAX], n = 0, g, rs, re, nh;
	uint32_t hs[TCP_RSB_MAX], he[TCP_RSB_MAX];

	if (!c->sack_ok)
		return;
	if (ds) {
		st[0] = ds_s;
		en[0] = ds_e;
		n = 1;
	}
	nh = rsb_ranges(c, recent, &rs, &re, hs, he);
	if (rs != re && n < TCP_RSB_MAX) {
		st[n] = rs;
		en[n] = re;
		n++;
	}
	for (uint32_t i = 0; i < nh && n < TCP_RSB_MAX; i++) {
		st[n] = hs[i];
		en[n] = he[i];
		n++;
	}
	g = atomic_load_explicit(&c->rsb.gen, memory_order_relaxed);
	atomic_store_explicit(&c->rsb.gen, g + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release); /* [T7] */
	atomic_store_explicit(&c->rsb.n, n, memory_order_relaxed);
	atomic_store_explicit(&c->rsb.dsack, ds ? 1u : 0u, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) {
		atomic_store_explicit(&c->rsb.start[i], st[i], memory_order_relaxed);
		atomic_store_explicit(&c->rsb.end[i], en[i], memory_order_relaxed);
	}
	/* Release pairs with the TX lcore's load-acquire of gen in rsb_read (tcp_xmit.c). */
	atomic_store_explicit(&c->rsb.gen, g + 2, memory_order_release); /* [T7] */
}
