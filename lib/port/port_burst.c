/* The fault paths of the RX/TX burst wrappers, and the TX ctx adapter. */
#include <rte_ethdev.h>

#include "port/fault.h"
#include "port/port.h"

uint16_t
jw_port_tx_faulty(struct jw_port_queue *tq, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *out[2 * JW_PORT_BURST_MAX + 1];
	uint16_t done = 0;

	while (done < n) {
		uint16_t chunk = JW_MIN((uint16_t)(n - done), (uint16_t)JW_PORT_BURST_MAX);
		uint16_t k = jw_fault_apply(&tq->fault, pkts + done, chunk, out);
		uint16_t sent = k ? rte_eth_tx_burst(tq->port_id, tq->qid, out, k) : 0;

		jw_stat_add(&tq->st.pkts, sent);
		if (sent < k) {
			jw_stat_add(&tq->st.full, (uint64_t)(k - sent));
			rte_pktmbuf_free_bulk(out + sent, (unsigned int)(k - sent));
		}
		done = (uint16_t)(done + chunk);
	}
	return n;
}

void
jw_port_tx_flush(struct jw_port *p, uint16_t q)
{
	struct jw_port_queue *tq = &p->txq[q];
	struct rte_mbuf *m;

	if (!tq->fault.enabled || !jw_fault_flush(&tq->fault, &m))
		return;
	if (rte_eth_tx_burst(tq->port_id, tq->qid, &m, 1) == 1) {
		jw_stat_add(&tq->st.pkts, 1);
	} else {
		jw_stat_add(&tq->st.full, 1);
		rte_pktmbuf_free(m);
	}
}

/* Deliver from the stash first; pull from the device only when the stash is empty, so
 * the stash (2 * JW_PORT_BURST_MAX + 1) never overflows. A packet held for reordering is
 * released when the device has nothing new, so it is late by one poll at most. */
uint16_t
jw_port_rx_faulty(struct jw_port_queue *rq, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *in[JW_PORT_BURST_MAX];
	uint16_t k = 0, got, out_n;

	while (k < n && rq->stash_n) {
		pkts[k++] = rq->stash[rq->stash_head++];
		rq->stash_n--;
	}
	if (rq->stash_n == 0)
		rq->stash_head = 0;
	if (k == n)
		return k;
	got = rte_eth_rx_burst(rq->port_id, rq->qid, in, JW_MIN((uint16_t)(n - k),
							       (uint16_t)JW_PORT_BURST_MAX));
	jw_stat_add(&rq->st.pkts, got);
	if (got)
		out_n = jw_fault_apply(&rq->fault, in, got, rq->stash);
	else
		out_n = jw_fault_flush(&rq->fault, rq->stash);
	rq->stash_head = 0;
	rq->stash_n = out_n;
	while (k < n && rq->stash_n) {
		pkts[k++] = rq->stash[rq->stash_head++];
		rq->stash_n--;
	}
	return k;
}

uint16_t
jw_port_tx_burst_ctx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct jw_port_queue *tq = ctx;
	uint16_t k;

	if (jw_unlikely(tq->fault.enabled))
		return jw_port_tx_faulty(tq, pkts, n);
	k = rte_eth_tx_burst(tq->port_id, tq->qid, pkts, n);
	jw_stat_add(&tq->st.pkts, k);
	if (jw_unlikely(k < n))
		jw_stat_add(&tq->st.full, (uint64_t)(n - k));
	return k;
}

void *
jw_port_txq_ctx(struct jw_port *p, uint16_t q)
{
	return q < p->n_txq ? &p->txq[q] : NULL;
}

void
jw_port_fault_totals(const struct jw_port *p, struct jw_fault_counters *rx,
		     struct jw_fault_counters *tx)
{
	const struct jw_port_queue *qs[2] = { p->rxq, p->txq };
	struct jw_fault_counters *outs[2] = { rx, tx };
	uint16_t ns[2] = { p->n_rxq, p->n_txq };

	for (int d = 0; d < 2; d++) {
		struct jw_fault_counters *o = outs[d];

		memset(o, 0, sizeof(*o));
		for (uint16_t i = 0; i < ns[d]; i++) {
			const struct jw_fault_counters *c = &qs[d][i].fault.cnt;

			o->dropped += jw_stat_read(&c->dropped);
			o->duplicated += jw_stat_read(&c->duplicated);
			o->dup_nomem += jw_stat_read(&c->dup_nomem);
			o->reordered += jw_stat_read(&c->reordered);
		}
	}
}
