/* The TX lcore's writer API and send queue.
 *
 * Segments are MSS-sized mbufs that the writer fills in place (tcp_tx_buf/tcp_tx_commit).
 * The payload sits at a fixed offset (headroom + t_hdr_len), so the first transmission
 * prepends the headers into the same buffer without a copy (tcp_xmit.c). The queue is a
 * ring of struct tcp_seg indexed by free-running counters: [t_head, t_nxt) sent and not
 * yet acknowledged, [t_nxt, t_tail) queued and never sent (or to be sent again after an
 * RTO without SACK), t_fill the segment being written.
 */
#include "tcp/tcp_tx.h"

/* May the writer add bytes? false with errno EPIPE once closed, stopped or FIN queued,
 * EAGAIN before the connection is established and set up. */
static bool
writable(struct tcp_conn *c)
{
	/* Acquire pairs with the store-releases of ctl_state in syn_sent (tcp_input.c) and
	 * tcp_ctl_close (tcp_conn.c). */
	uint8_t s = atomic_load_explicit(&c->ctl_state, memory_order_acquire); /* [T1] */

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

/* Queues the segment being filled (fin: with our FIN after its bytes). */
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

/* Starts a new segment to fill, its payload after room for the headers; NULL with errno
 * EAGAIN when the queue is full, ENOMEM when the pool is empty. */
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
		jw_ctr_add(&c->st_tx_nomem, 1);
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
