/* lib/stats: types of the per-lcore counter blocks (a leaf: it needs only lib/common).
 *
 * Counter blocks are per lcore and have exactly one writer: the lcore that registered the
 * block. The writer updates a counter with a relaxed atomic load of its own value followed
 * by a relaxed atomic store (no read-modify-write instruction, no lock prefix, no contention:
 * see common/jw_atomic.h). Readers (the telemetry threads) load each field with a relaxed
 * atomic load and sum over lcores. A reader may see a counter a few updates old, never a
 * torn value (64-bit aligned loads and stores are single-copy atomic).
 *
 * Blocks are never freed while the process runs, so readers need no RCU to reach them.
 * What the engine keeps elsewhere (connections, servers, producer slots) reaches the
 * telemetry thread as the snapshots of telemetry/telemetry-t.h.
 *
 * This header is DPDK-free and liburcu-free, so jwstat and unit tests use it directly.
 */
#ifndef JW_STATS_T_H
#define JW_STATS_T_H

#include <stdbool.h>
#include <stdint.h>

#include "common/jw_common.h"
#include "common/jw_hist-t.h"

/* Most lcores a process registers (same as DPDK's RTE_MAX_LCORE in Debian's build). */
#define JW_STATS_MAX_LCORES 128

/* Why a publish ended as failed: the delivery report's reason, JW_R_* of jetwire.h
 * (JW_R_NO_STREAM .. JW_R_SHUTDOWN). Index 0 (JW_R_NONE) counts reasons out of range. */
#define JW_STATS_FAIL_OTHER 0
#define JW_STATS_FAIL__COUNT 10 /* JW_R_MAX of jetwire.h (stats_lcore.c checks it) */

/* What a registered lcore does. */
enum jw_stats_lcore_role {
	JW_STATS_ROLE_TX = 0,
	JW_STATS_ROLE_CONTROL,
	JW_STATS_ROLE_OTHER,
	JW_STATS_ROLE__COUNT
};

/* Message counters of one lcore. Written by that lcore only (see common/jw_atomic.h). */
struct jw_stats_msg_counters {
	uint64_t accepted;   /* records taken from producer rings (TX lcore) */
	uint64_t sent;       /* HPUB frames sent for the first time */
	uint64_t acked;      /* final PubAcks, duplicates included */
	uint64_t duplicate;  /* of acked: PubAcks with "duplicate": true */
	uint64_t failed[JW_STATS_FAIL__COUNT];
	uint64_t bytes;      /* payload bytes of first sends */
	uint64_t wire_bytes; /* TCP payload bytes put on the wire, resends included */
	uint64_t resends;    /* HPUB frames sent again (timeout, reconnect, restart) */
	uint64_t reconnects; /* connections re-established */
};

/* Poll-loop counters of one lcore. Written by that lcore only. */
struct jw_stats_loop_counters {
	uint64_t loops;           /* iterations of the poll loop */
	uint64_t busy_cycles;     /* TSC cycles of iterations that did work */
	uint64_t idle_cycles;     /* TSC cycles of iterations that did none (sleep included) */
	uint64_t bursts;          /* non-empty rx/tx bursts */
	uint64_t mbufs_in_flight; /* gauge: mbufs this lcore holds (unacked TCP data, queues) */
};

/* One lcore's block. Cache-aligned and padded so two lcores never share a line. */
struct jw_stats_lcore {
	struct jw_stats_msg_counters msg;
	struct jw_stats_loop_counters loop;
	uint32_t lcore_id;
	uint32_t role;   /* enum jw_stats_lcore_role */
	int32_t tid;     /* the thread that registered the block (the lcore's own: the stats
	                  * read its scheduling policy from the kernel; relaxed) */
	struct jw_hist ack_latency_ns; /* PubAck arrival - first send, nanoseconds */
	struct jw_hist ring_wait_ns;   /* first send - producer enqueue, nanoseconds */
} jw_cache_aligned;

/* A plain (non-atomic) copy a reader builds by summing or copying blocks. */
struct jw_stats_totals {
	struct jw_stats_msg_counters msg;
	struct jw_stats_loop_counters loop;
};

#endif /* JW_STATS_T_H */
