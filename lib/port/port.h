/* The DPDK port layer: EAL arguments from the configuration, port/queue/mempool setup,
 * and the RX/TX burst wrappers every lcore uses (with the fault-injection stage).
 *
 * Queue ownership (DESIGN.md): TX lcore k ([cores] tx, k-th entry) owns TX queue k; the
 * control lcore owns TX queue n_tx (jw_port_ctl_txq()) and polls every RX queue. A queue
 * is used by one lcore only, so the burst wrappers take no locks.
 *
 * Concurrency:
 *   jw_eal_args_build, jw_port_open, jw_port_close   main thread, not concurrently
 *   jw_port_rx_burst(q), jw_port_tx_burst(q),
 *   jw_port_tx_flush(q), jw_port_rx_flush(q)          only the lcore owning queue q
 *   jw_port_fault_totals, jw_port_queue_stats          any thread (relaxed reads)
 */
#ifndef JW_PORT_H
#define JW_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "config/config-t.h"
#include "port/port-t.h"
#include "common/jw_atomic.h"

/* Build the EAL argument vector for `prog` from c: --lcores, --file-prefix, -m, --no-huge
 * (hugepages = no, or auto on a host without enough free hugepages), --log-level, --vdev
 * and --no-pci (vdev) or -a (pci), then [eal] extra split on blanks. Returns 0, or -E2BIG
 * if the arguments do not fit (message in err). */
int jw_eal_args_build(const struct jw_config *c, const char *prog, struct jw_eal_args *out,
		      char *err, size_t errlen);

/* Free hugepage memory on this host in MiB (all page sizes, from /sys/kernel/mm/hugepages);
 * 0 when no hugetlbfs is mounted (EAL could not use them). */
uint64_t jw_eal_free_hugepages_mb(void);

/* After rte_eal_init(): find the port named by [port] vdev/pci, create the mbuf pool,
 * configure queues (RSS when several RX queues and the device has it), offloads
 * ([port] checksum_offload/tso: auto = when offered, on = required, off = never), MTU,
 * descriptors and the fault stage ([fault]), and start it. The queue counts must satisfy
 * the device; for net_af_packet rx_queues must equal its qpairs (every qpair receives a
 * share of the traffic, an unpolled one would lose it). Returns the port, or NULL with a
 * message in err naming the key at fault. */
struct jw_port *jw_port_open(const struct jw_config *c, char *err, size_t errlen);

/* Stop and close the port, free held/stashed packets and the pool. NULL is accepted. */
void jw_port_close(struct jw_port *p);

/* The TX queue of the control lcore. */
static inline uint16_t
jw_port_ctl_txq(const struct jw_config *c)
{
	return (uint16_t)c->cores.tx.n;
}

/* Payload bytes one TCP packet may carry for the device to segment (struct tcp_io's
 * tso_max): 65535 (lib/tcp caps it to the IPv4 length field) when TSO is enabled and the
 * device takes chained mbufs, else 0 = no TSO. */
static inline uint32_t
jw_port_tso_max(const struct jw_port *p)
{
	return p->tx_tso && p->tx_multi_seg ? 65535u : 0u;
}

/* The fault paths of the wrappers below (out of line: they are the rare case). */
uint16_t jw_port_rx_faulty(struct jw_port_queue *rq, struct rte_mbuf **pkts, uint16_t n);
uint16_t jw_port_tx_faulty(struct jw_port_queue *tq, struct rte_mbuf **pkts, uint16_t n);

/* Receive up to n packets from RX queue q (data at the Ethernet header). Through the fault
 * stage when configured. Returns the count (0..n). */
static inline uint16_t
jw_port_rx_burst(struct jw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct jw_port_queue *rq = &p->rxq[q];
	uint16_t k;

	if (jw_unlikely(rq->fault.enabled))
		return jw_port_rx_faulty(rq, pkts, n);
	k = rte_eth_rx_burst(p->port_id, q, pkts, n);
	if (k)
		jw_stat_add(&rq->st.pkts, k);
	return k;
}

/* Transmit n packets on TX queue q. Returns how many the device took: those pass to it;
 * pkts[k..n-1] stay with the caller (resend or free). With the fault stage on, every
 * packet is consumed (returns n): dropped ones are freed, and packets the device refuses
 * are freed and counted in `full` (the fault path models a lossy link anyway). */
static inline uint16_t
jw_port_tx_burst(struct jw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct jw_port_queue *tq = &p->txq[q];
	uint16_t k;

	if (jw_unlikely(tq->fault.enabled))
		return jw_port_tx_faulty(tq, pkts, n);
	k = rte_eth_tx_burst(p->port_id, q, pkts, n);
	jw_stat_add(&tq->st.pkts, k);
	if (jw_unlikely(k < n))
		jw_stat_add(&tq->st.full, (uint64_t)(n - k));
	return k;
}

/* Signature-compatible with struct tcp_io.tx_burst: ctx is a struct jw_port_queue * from
 * jw_port_txq_ctx(). Same semantics as jw_port_tx_burst. */
uint16_t jw_port_tx_burst_ctx(void *ctx, struct rte_mbuf **pkts, uint16_t n);

/* The ctx for jw_port_tx_burst_ctx() on TX queue q. */
void *jw_port_txq_ctx(struct jw_port *p, uint16_t q);

/* Release a packet the reorder fault holds on TX queue q (no-op without faults). Call it
 * when the queue's lcore is idle, so a held packet is never stranded. */
void jw_port_tx_flush(struct jw_port *p, uint16_t q);

/* Sum of the fault counters of all RX queues (rx) and all TX queues (tx). */
void jw_port_fault_totals(const struct jw_port *p, struct jw_fault_counters *rx,
			  struct jw_fault_counters *tx);

#endif /* JW_PORT_H */
