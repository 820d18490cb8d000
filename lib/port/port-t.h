/* Types of the DPDK port layer (see port.h for the calls). */
#ifndef JW_PORT_T_H
#define JW_PORT_T_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "common/jw_common.h"

#define JW_PORT_MAX_QUEUES 64
#define JW_PORT_BURST_MAX  64   /* largest burst the fault path handles in one step */
#define JW_EAL_MAX_ARGS    64

struct rte_mbuf;

/* The fault-injection stage of one queue (fault.h for semantics and calls). Counters have
 * one writer, the queue's lcore (jw_stat_add), and are read with jw_stat_read(). */
struct jw_fault_counters {
	uint64_t dropped;
	uint64_t duplicated;
	uint64_t dup_nomem;
	uint64_t reordered;
};

struct jw_fault_q {
	bool enabled;              /* any probability > 0 */
	uint64_t rng;              /* xorshift64* state, never 0 */
	uint64_t drop_thr, dup_thr, reorder_thr; /* p * 2^64; UINT64_MAX = always */
	struct rte_mbuf *held;     /* packet held back for reordering */
	struct jw_fault_counters cnt;
};

/* Per-queue counters; single writer (the queue's lcore), read with jw_stat_read(). */
struct jw_port_q_stats {
	uint64_t pkts;          /* packets handed to / received from the device */
	uint64_t full;          /* TX: packets the device refused (returned to the caller, or
				 * freed on the fault path) */
};

/* One RX or TX queue. Used by exactly one lcore at a time (cache-aligned). */
struct jw_port_queue {
	uint16_t port_id;
	uint16_t qid;
	struct jw_fault_q fault;
	struct jw_port_q_stats st;
	/* RX fault path only: packets that came out of the stage beyond the caller's burst. */
	uint16_t stash_n, stash_head;
	struct rte_mbuf *stash[2 * JW_PORT_BURST_MAX + 1];
} jw_cache_aligned;

/* An opened, started port. Fields above the queues are read-only after jw_port_open(). */
struct jw_port {
	uint16_t port_id;
	char name[64];                 /* ethdev name, e.g. net_af_packet0 */
	char driver[64];               /* driver name, e.g. net_af_packet */
	struct rte_ether_addr mac;     /* our MAC */
	uint32_t mtu;
	uint16_t n_rxq, n_txq;
	struct rte_mempool *pool;      /* mbufs for RX and for everything we send */
	uint32_t mbuf_data_room;       /* bytes of data room per mbuf (after headroom) */
	bool tx_cksum_offload;         /* IPv4 + TCP checksums computed by the device */
	bool tx_tso;                   /* TCP segmentation offload enabled */
	bool tx_multi_seg;             /* chained mbufs accepted on TX */
	uint16_t tx_seg_max;           /* most mbufs in one TX packet (tx_desc_lim.nb_seg_max) */
	bool rx_cksum_offload;         /* RX marks good/bad IPv4/TCP checksums in ol_flags */
	bool fault_enabled;            /* some [fault] probability is > 0 */
	uint64_t tx_offloads;          /* RTE_ETH_TX_OFFLOAD_* enabled on every TX queue */
	struct jw_port_queue rxq[JW_PORT_MAX_QUEUES];
	struct jw_port_queue txq[JW_PORT_MAX_QUEUES];
};

/* EAL argument vector built from [eal] and [port] (storage owned by the struct). */
struct jw_eal_args {
	int argc;
	char *argv[JW_EAL_MAX_ARGS + 1];
	char buf[4096];
	size_t used;
	bool no_huge;                  /* the decision taken for hugepages = auto */
};

#endif /* JW_PORT_T_H */
