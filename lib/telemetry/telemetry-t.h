/* lib/telemetry: types of the snapshots the telemetry thread serves (/jetwire/conns,
 * /jetwire/servers, /jetwire/producers) and of the identity and views behind them.
 *
 * The engine and the shm module keep their own state; a view they register
 * (telemetry_registry.h) fills these plain structs on request, inside an RCU read-side
 * section. Plain copies: the thread that fills one owns it. DPDK-free and liburcu-free, so
 * unit tests use it directly.
 */
#ifndef JW_TELEMETRY_T_H
#define JW_TELEMETRY_T_H

#include <stdbool.h>
#include <stdint.h>

/* Rejections at publish are counted by the producer library per slot and per code. A
 * producer snapshot carries up to JW_STATS_REJECT_KINDS (code, count) pairs. */
#define JW_STATS_REJECT_KINDS 8

struct jw_stats_reject {
	int32_t code;   /* a JW_E* value of jetwire.h, e.g. JW_EAGAIN (-11) */
	uint64_t count;
};

/* Snapshot of one connection, filled by the engine's conns view. Strings NUL-terminated. */
#define JW_STATS_TLS_FAILS 16 /* per-reason TLS failure counters a connection row carries */

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
	/* failed TLS attempts per reason (lib/tls's tls_fail_str names), tls_fail_n used */
	struct {
		char name[28];
		uint64_t n;
	} tls_fail[JW_STATS_TLS_FAILS];
	uint32_t tls_fail_n;
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
	uint64_t js_shared_sent;    /* first sends with their subject's shared reply */
	uint64_t js_share_confirmed;/* ... reported after a checkpoint confirmed them */
	uint64_t js_share_breaks;   /* classes found out of step: unconfirmed ones resent */
	uint64_t js_share_stale;    /* answers to an older generation's shared reply */
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

/* Snapshot of one producer slot, filled by a producers view (telemetry_shm.h has the one over
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

/* What /jetwire/info says about the process (jw_stats_read_identity). */
struct jw_stats_identity {
	char instance[64];
	char version[64];
	uint64_t uptime_ns;
	int n_info;
	struct {
		char key[32];
		char value[96];
	} info[16];
};

/* Views (telemetry_registry.h): called on a telemetry thread inside an RCU read-side
 * section; they must only read. */
/* Fill out[0..max) with one snapshot per connection; return how many were filled (0..max;
 * a larger or negative return is clamped). */
typedef int (*jw_stats_conns_fn)(void *ctx, struct jw_stats_conn *out, int max);
/* Fill out[0..max) with one snapshot per known NATS server; return how many. */
typedef int (*jw_stats_servers_fn)(void *ctx, struct jw_stats_server *out, int max);
/* Fill out[0..max) with one snapshot per producer slot in use; return how many. */
typedef int (*jw_stats_producers_fn)(void *ctx, struct jw_stats_producer *out, int max);
/* Called once per configuration entry by a config view. */
typedef void (*jw_stats_kv_emit_fn)(void *ectx, const char *section, const char *key,
				    const char *value);
/* Emit every configuration entry (the effective configuration, overrides applied). */
typedef int (*jw_stats_config_fn)(void *ctx, jw_stats_kv_emit_fn emit, void *ectx);

#endif /* JW_TELEMETRY_T_H */
