/* jetwire stats: types.
 *
 * Counter blocks are per lcore and have exactly one writer: the lcore that registered the
 * block. The writer updates a counter with a relaxed atomic load of its own value followed
 * by a relaxed atomic store (no read-modify-write instruction, no lock prefix, no contention:
 * see common/jw_atomic.h). Readers (the telemetry threads) load each field with a relaxed
 * atomic load and sum over lcores. A reader may see a counter a few updates old, never a
 * torn value (64-bit aligned loads and stores are single-copy atomic).
 *
 * Blocks are never freed while the process runs, so readers need no RCU to reach them.
 * Everything the engine keeps elsewhere (connections, producer slots) is read through the
 * view callbacks of stats_registry.h, inside an RCU read-side section.
 *
 * This header is DPDK-free and liburcu-free, so jwstat and unit tests use it directly.
 */
#ifndef JW_STATS_T_H
#define JW_STATS_T_H

#include <stdbool.h>
#include <stdint.h>

#include "common/jw_common.h"
#include "jetwire.h"
#include "common/jw_hist-t.h"

/* Most lcores a process registers (same as DPDK's RTE_MAX_LCORE in Debian's build). */
#define JW_STATS_MAX_LCORES 128

/* Why a publish ended as failed: the delivery report's reason, JW_R_* of jetwire.h
 * (JW_R_NO_STREAM .. JW_R_SHUTDOWN). Index 0 (JW_R_NONE) counts reasons out of range. */
#define JW_STATS_FAIL_OTHER 0
#define JW_STATS_FAIL__COUNT JW_R_MAX

/* What a registered lcore does. */
enum jw_stats_lcore_role {
	JW_STATS_ROLE_TX = 0,
	JW_STATS_ROLE_CONTROL,
	JW_STATS_ROLE_OTHER,
	JW_STATS_ROLE__COUNT
};

/* Rejections at publish are counted by the producer library per slot and per code. A
 * producer snapshot carries up to JW_STATS_REJECT_KINDS (code, count) pairs. */
#define JW_STATS_REJECT_KINDS 8

struct jw_stats_reject {
	int32_t code;   /* a JW_E* value of jetwire.h, e.g. JW_EAGAIN (-11) */
	uint64_t count;
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
	struct jw_hist ack_latency_ns; /* PubAck arrival - first send, nanoseconds */
	struct jw_hist ring_wait_ns;   /* first send - producer enqueue, nanoseconds */
} jw_cache_aligned;

/* A plain (non-atomic) copy a reader builds by summing or copying blocks. */
struct jw_stats_totals {
	struct jw_stats_msg_counters msg;
	struct jw_stats_loop_counters loop;
};

/* Snapshot of one connection, filled by the engine's conns view. Strings NUL-terminated. */
struct jw_stats_conn {
	uint32_t id;
	uint32_t lcore_id;      /* TX lcore that owns the connection */
	char state[24];         /* e.g. "established", "connecting", "closed" */
	char server[64];        /* "198.18.0.1:4222" */
	uint32_t snd_una, snd_nxt, rcv_nxt; /* TCP sequence space (raw 32-bit) */
	uint32_t cwnd_bytes;    /* congestion window */
	uint32_t peer_wnd_bytes;/* peer's scaled receive window */
	uint32_t srtt_us, rto_us;
	uint64_t retransmits;   /* TCP segments retransmitted */
	/* TCP counters (lib/tcp struct tcp_stats) */
	uint32_t sack;          /* 1 = SACK negotiated */
	uint64_t segs_in, segs_out;
	uint64_t rtx_rto, rtx_fast, rtx_tlp, rtx_other; /* retransmissions by cause */
	uint64_t rto_expiries, fast_recoveries, loss_probes, spurious_undos;
	uint64_t sack_blocks_in, sack_blocks_out, dsacks_in;
	uint64_t pure_acks_out, delayed_acks;
	uint64_t pacing_rate_bps; /* bytes per second, 0 = not pacing */
	uint32_t js_window;     /* current JetStream window W */
	uint32_t js_inflight;   /* publishes sent and not yet acked */
	uint64_t acks;          /* PubAcks matched on this connection */
	uint64_t reconnects;
	uint64_t failovers;     /* READY again on another server than before */
	uint64_t ldm_moves;     /* moves away from a server in lame-duck mode */
	uint64_t auth_failures; /* servers that refused our credentials */
	/* TLS of the current (or last) connection, "" / 0 when plain */
	char tls_version[12];   /* "TLSv1.3", "TLSv1.2" */
	char tls_cipher[64];    /* IANA name, e.g. TLS_AES_128_GCM_SHA256 */
	uint64_t tls_handshake_us;
	uint64_t tls_handshakes, tls_failures;   /* completed / failed, all connections */
	uint64_t tls_records_sealed, tls_records_opened, tls_key_updates;
	uint64_t tls_bytes_sealed, tls_pad_bytes; /* plaintext sealed; TLS 1.3 padding sealed */
	uint64_t backoff_waits; /* reconnects that waited a backoff (a lame-duck move waits none) */
	/* the adaptive window's estimates (lib/flow/flow_ctlr.c) */
	char js_phase[12];      /* "startup", "hold", "probe", "fixed" */
	uint32_t js_target;     /* the in-flight count the controller holds between probes */
	uint64_t js_max_rate;   /* acks/s, windowed max */
	uint64_t js_min_latency_us;
	/* PubAck timeouts (lib/flow/flow_rto.c) */
	uint64_t ack_srtt_us, ack_rttvar_us, ack_rto_us;
	uint64_t resent_loss;       /* resends on evidence of loss */
	uint64_t resent_reconnect;  /* resends after the connection was replaced */
	uint64_t stalled_suppressed;/* overdue publishes not resent: the server was stalled */
	uint64_t liveness_probes;
	uint64_t ack_timeouts;      /* overdue with evidence (resent or failed) */
};

/* One known NATS server (configured or discovered), filled by the engine's servers view. */
struct jw_stats_server {
	char addr[24];          /* "198.18.0.1:4222" */
	bool configured;        /* from [nats] servers (else discovered) */
	uint32_t conns;         /* connections on it now */
	uint64_t connects;      /* TCP connects started to it */
	uint64_t auth_refusals; /* times it refused our credentials */
};

/* A count the source of a snapshot does not have. Telemetry omits such fields. */
#define JW_STATS_UNKNOWN UINT64_MAX

/* Snapshot of one producer slot, filled by a producers view (stats_shm.h has the one over
 * the shared-memory slots). */
struct jw_stats_producer {
	uint32_t slot;             /* unique id: tx * slots_per_tx + index */
	uint32_t tx;               /* TX lcore index that drains the slot */
	int32_t pid;               /* owner pid, 0 when free */
	char state[12];            /* "owned", "closed", "orphan", "free" */
	uint64_t published;        /* records accepted by jw_publish, or JW_STATS_UNKNOWN */
	uint64_t ring_used_bytes;  /* appended and not yet released (outcome not final) */
	uint64_t ring_size_bytes;  /* ring capacity */
	uint64_t unsent_bytes;     /* appended and not yet sent */
	uint64_t reports_pending;  /* delivery reports written but not yet read by the producer */
	uint64_t bad_records;      /* records that failed validation on the TX lcore */
	uint64_t reports_dropped;  /* reports for closed or dead producers */
	uint32_t n_rejected;       /* entries used in rejected[] */
	struct jw_stats_reject rejected[JW_STATS_REJECT_KINDS];
};

#endif /* JW_STATS_T_H */
