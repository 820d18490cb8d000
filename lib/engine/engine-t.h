/* Types of the jetwire engine: one connection per TX lcore, one control lcore.
 *
 * Per connection k (struct engine_conn):
 *   TX lcore k (T): drains the producer slots of ring set k round-robin while the pending
 *     window (lib/flow) and TCP allow, frames HPUB straight into TCP segments, writes the
 *     protocol lines the session asks for, serves resends, bursts to its NIC queue.
 *   control lcore (C): RX on every queue, ARP/ICMP (net hook), TCP input, the NATS session
 *     (lib/session), PubAcks into the window, delivery reports and ring releases, timeouts,
 *     reconnects.
 *
 * Sharing between T and C for one connection:
 *
 *   | field                 | writer | reader | ordering                                   |
 *   |-----------------------|--------|--------|--------------------------------------------|
 *   | flow, sess            | T + C  | T + C  | both lcores change them, each field from   |
 *   |                       |        |        | one side: the tables of flow-t.h and       |
 *   |                       |        |        | session-t.h; engine code uses only the     |
 *   |                       |        |        | calls of flow.h and session.h              |
 *   | t (T private)         | T      | -      | except t.resend_torn (row below)           |
 *   | c (C private)         | C      | -      | except c.old_grace_done/drain_grace_done:  |
 *   |                       |        |        | the call_rcu thread release-stores 1       |
 *   |                       |        |        | (retire_done), C acquire-loads it before   |
 *   |                       |        |        | destroying the old TCP object              |
 *   | tcp, drain_tcp        | C      | T      | rcu_assign_pointer / rcu_dereference; C   |
 *   |                       |        |        | frees a replaced one after an RCU grace    |
 *   |                       |        |        | period (call_rcu flags it; C destroys)     |
 *   | deferred[slot].count  | C      | T      | relaxed: T stops draining a slot whose     |
 *   |                       |        |        | reports are backed up (producer not reading) |
 *   | stats blocks          | owner  | any    | stats-t.h                                  |
 *   | engine.draining       | any    | T      | relaxed: T stops taking new records some   |
 *   |                       |        |        | iterations later at worst; nothing else    |
 *   |                       |        |        | depends on when (engine_drain)             |
 *   | engine.bursts         | each T | any    | relaxed read-modify-write (+1 when its     |
 *   |                       |        |        | producers' burst begins, -1 when it ends): |
 *   |                       |        |        | a scheduling hint (engine_bursts), ordered |
 *   |                       |        |        | with nothing                               |
 *   | hold, probe_req,      | C      | T      | release/acquire: the stream-transition     |
 *   | resend_gen            |        |        | hold (engine_ctl.c "holds"); T reads gen   |
 *   |                       |        |        | and hold after C changed them together     |
 *   | probe_done, probe_seq | T      | C      | release/acquire: probe_seq before done     |
 *   | first_answer          | C      | T      | set before READY: ordered by the session's |
 *   |                       |        |        | state release [E6]; cleared relaxed (T     |
 *   |                       |        |        | sees it some iterations later at worst)    |
 *   | servers[] fields,     | C      | any    | relaxed: telemetry shows a snapshot that   |
 *   | conn server/counters  |        |        | may mix two moments, never a torn field     |
 *   | t.resend_torn         | T      | any    | relaxed; one writer per connection (the    |
 *   |                       |        |        | summary sums them: engine_resend_torn)     |
 *   | engine.cnt            | C      | app    | plain: the app reads them for its summary  |
 *   |                       |        |        | after the control loop has returned        |
 *
 * Acquire/release pairs (the tags mark each access in engine_tx.c / engine_ctl.c / engine.c):
 *   [E1] C: resend_gen (relaxed), then store-release hold (enter, leave, new connection)
 *        -> T: load-acquire resend_gen and hold: a T that sees hold == 0 sees the gen C set
 *        with it.
 *   [E2] C: store-release probe_req -> T: load-acquire probe_req (probe_one).
 *   [E3] T: probe_seq, then store-release probe_done -> C: load-acquire probe_done, then
 *        reads probe_seq (the publish that probe resent).
 *   [E4] call_rcu thread: store-release c.old_grace_done / c.drain_grace_done
 *        (retire_done) -> C: load-acquire before destroying the old TCP object.
 *   [E5] C: fatal_msg, then store-release fatal -> any thread: load-acquire fatal
 *        (engine_fatal), then reads fatal_msg.
 *   [E6] C: first_answer = 1 (relaxed, sess_on_info), then the session's store-release of
 *        READY -> T: session_state's load-acquire of READY, then reads first_answer: T
 *        never sends on a new clustered connection without seeing the gate.
 *   Everything else shared here is relaxed: flags and counters that order nothing.
 *
 * Both loops are liburcu QSBR readers: one rcu_quiescent_state() per iteration, offline
 * while sleeping when idle.
 */
#ifndef JW_ENGINE_T_H
#define JW_ENGINE_T_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "common/jw_common.h"
#include "flow/flow-t.h"
#include "nats/nats-t.h"
#include "session/session-t.h"
#include "shm/shm-t.h"
#include "tcp/tcp-t.h"
#include "tls/tls-t.h"

struct engine;
struct jw_stats_lcore;

/* How the engine reaches the link layer (the app wires lib/net, lib/port and its control
 * loop in). RX, ARP and ICMP belong to the app's control loop, which hands TCP frames to
 * engine_ctl_input and calls engine_ctl_poll once per iteration. */
struct engine_net_ops {
	/* The MAC of the next hop of server ip_be (a configured or a discovered one): 0 when
	 * known; -EAGAIN while resolving (the callee starts resolving an address it has not
	 * seen); -EHOSTUNREACH for an address it cannot route. Control lcore. */
	int (*server_mac)(void *ctx, uint32_t ip_be, struct rte_ether_addr *mac);
	/* The device context of TX queue q (asked once per connection at engine_create). */
	void *(*txq_ctx)(void *ctx, uint16_t q);
	/* Send a burst on a TX queue context (struct tcp_io.tx_burst semantics): TX lcore. */
	uint16_t (*tx_burst)(void *qctx, struct rte_mbuf **pkts, uint16_t n);
	void *ctx;
};

/* Everything the engine needs, resolved from the configuration by the app. */
struct engine_params {
	uint32_t n_conns;                 /* = TX lcores = shm ring sets */
	struct rte_ether_addr src_mac;
	uint32_t src_ip_be;
	struct { uint32_t ip_be; uint16_t port; bool tls; } servers[8]; /* tls: tls:// URL */
	uint32_t n_servers;               /* configured servers (seeds), never dropped */
	bool discover;                    /* add the servers of INFO connect_urls */
	const char *cred_kind;            /* "token", "user/password", "NKey", "JWT (.creds)",
	                                   * "no credentials": named in refusal messages */
	uint32_t jitter_permille;         /* reconnect delays drawn from [b - b*j/1000, b] */
	const char *tls_server_name;      /* name the certificate must carry; NULL/"": the
	                                   * server's address (session.tls_* say when TLS) */
	uint64_t tls_key_update_records;  /* TLS 1.3: T changes its key after this many records
	                                   * (0: TLS_KEY_UPDATE_RECORDS) */
	struct flow_params flow;
	struct session_params session;    /* run_id/conn_index filled per connection */
	uint32_t burst;                   /* records framed per slot visit */
	uint64_t coalesce_ns;             /* [flow] coalesce_us: how long records may wait in
	                                   * the rings for more to fill segments with
	                                   * (engine_coalesce_wait; 0: framed at once) */
	struct tcp_params tcp;
	struct rte_mempool *pool;
	bool tx_cksum_offload;
	uint32_t tx_tso_max;              /* struct tcp_io tso_max (0 = no TSO) */
	uint16_t tx_seg_max;              /* struct tcp_io tso_segs_max */
	bool tx_no_chain;                 /* struct tcp_io tx_no_chain: port lacks multi-segment TX */
	uint32_t idle_sleep_us;           /* sleep of an idle loop iteration */
	uint32_t idle_sleep_max_us;       /* after idle_backoff_ns without work, the sleep
	                                   * doubles up to this (0: never longer) */
	uint64_t idle_backoff_ns;
	uint64_t flood_ns;                /* [cores] sched_batch = auto: a burst of writes
	                                   * that lasts this long is a flood, not a burst (0: the
	                                   * TX loops do not watch) */
	void (*on_burst)(bool burst);     /* called on a TX lcore's own thread when its
	                                   * producers' burst begins or ends (may be NULL) */
};

/* Whether the producers of one TX loop are in a burst (engine_burst_next, engine.h). */
struct engine_burst {
	bool burst;          /* writing, for less than flood_ns so far */
	bool writing;        /* a look within ENGINE_BURST_QUIET_NS of the last write */
	uint64_t heads;      /* their activity (heads and refusals) at the last look */
	uint64_t next_look_ns;
	uint64_t last_write_ns; /* the last look that saw new records */
	uint64_t since_ns;   /* start of the current writing spell */
	uint64_t flood_end_ns; /* when the last flood (a spell that lasted flood_ns) ended */
	bool carried;        /* this spell began within ENGINE_FLOOD_MEMORY_NS of a flood's end */
};

/* The idle back-off state of one TX loop (engine_idle_next, engine.h). */
struct engine_idle {
	bool idle;           /* the last iteration did no work */
	uint64_t since_ns;   /* start of the current idle spell */
	uint32_t sleep_us;
};

/* A server jetwire knows: configured (a seed, kept for ever) or discovered (from INFO
 * connect_urls; dropped when a later INFO no longer lists it and no connection uses it). */
#define ENGINE_SERVERS_MAX 16
enum {
	ENGINE_SRV_ACTIVE = 1,            /* slot in use */
	ENGINE_SRV_CONFIGURED = 2,
	ENGINE_SRV_DISCOVERED = 4,
};

struct engine_server {
	_Atomic uint32_t ip_be;
	_Atomic uint32_t port;
	_Atomic uint32_t flags;           /* ENGINE_SRV_* */
	_Atomic uint32_t conns;           /* connections on it (connecting or up) */
	_Atomic uint64_t connects;        /* TCP connects started to it */
	_Atomic uint64_t auth_refusals;   /* -ERRs refusing our credentials */
	uint64_t refused_until_ns;        /* C: after a refusal, not before this */
	uint64_t lame_until_ns;           /* C: in lame-duck mode: not before this */
	bool listed;                      /* C: in the INFO being applied */
};

/* Delivery reports the producer's report ring had no room for, kept in order. */
struct engine_deferred {
	struct jw_shm_report *q;          /* lazily allocated, cap entries */
	uint32_t cap, head, tail;         /* tail - head = queued */
	_Atomic uint32_t count;           /* C-written, T reads (backpressure) */
	uint64_t release_end;             /* release owed once the queue drains, 0 = none */
};

struct engine_conn {
	/* set up before the lcores start, then read-only */
	struct engine *eng;
	uint32_t index;                   /* connection = ring set = TX queue index */
	struct tcp_io tx_io;              /* T's device: tx_burst on queue `index` */
	uint32_t lcore_id;                /* the TX lcore (for the stats), set by the app */
	struct flow_msgid_parts msgid_base;

	/* changed by both lcores, each field by one of them: the tables of flow-t.h and
	 * session-t.h say which (T writes flow.tx and sess.t; C writes flow.ctl, flow.ctlc,
	 * sess.c and sess.x). The engine reaches them only through flow.h and session.h. */
	struct flow flow;
	struct session sess;

	/* C publishes, T reads (RCU) */
	struct tcp_conn *tcp;
	struct tcp_conn *drain_tcp;       /* lame-duck connection still delivering acks: T only
	                                   * polls it (ACKs, retransmissions), sends nothing new */

	/* T private */
	struct {
		struct tcp_conn *cur;
		uint32_t epoch;           /* session epoch the output state belongs to */
		/* protocol lines not yet written into TCP */
		char ctl[SESSION_HS_MAX + 256];
		uint32_t ctl_len, ctl_off;
		/* a publish frame being written across segments */
		bool frame_active;
		/* plain TCP: the last iteration left its partly filled segment open because
		 * the rings held more for the window; it is pushed at the latest by the next
		 * iteration that adds nothing more to it */
		bool push_owed;
		/* [flow] coalesce_us: when the records waiting in the rings go out at the
		 * latest (engine_coalesce_wait; 0: none seen) */
		uint64_t hold_until_ns;
		struct nats_frame frame;
		char subject[NATS_SUBJECT_MAX];
		char hdr[NATS_HDR_MAX];
		char reply[FLOW_REPLY_MAX];
		char msgid[FLOW_MSGID_MAX];
		uint8_t *resend_buf;      /* a resent record's bytes (ring_bytes) */
		/* full resend of the live window after a (re)connect */
		uint32_t resend_epoch;
		uint32_t resend_gen;      /* the resend_gen the cursor belongs to */
		uint64_t resend_cursor, resend_hi;
		uint32_t rr;              /* round-robin slot cursor */
		bool gate_sent;           /* first_answer: the one publish is out */
		/* while first_answer is set: session_reply_mark(epoch), which every publish
		 * framed on this connection carries in its reply subject, so that C knows
		 * the answers to it from those to an earlier connection's; 0 when open */
		uint64_t reply_mark;
		struct jw_stats_lcore *st;
		uint64_t wire_bytes;      /* bytes committed in the current iteration */
		/* resends dropped because the record was released meanwhile (the copy may be
		 * torn): T-written, read relaxed by the summary (one writer per connection) */
		_Atomic uint64_t resend_torn;
		/* TLS: once on, every byte T writes is sealed into records, one open record at
		 * a time, inside the current TCP segment (engine_out.c) */
		bool tls_on;
		struct tls_dir tls_tx;
		uint8_t *rec;             /* the open segment record's start, or NULL */
		uint32_t rec_len, rec_cap; /* its plaintext so far and its plaintext room */
		uint64_t tls_hint;        /* bytes about to be written (drain_slot), 0 = unknown */
		uint32_t tls_frame_avg;   /* mean frame size of the last TLS 1.3 slot visit */
		bool span;                /* a spanning record (TLS 1.3) is open */
		bool fin, fin_type, tag_ready; /* ... and being finished */
		uint32_t span_cap, span_len;   /* its declared content and what came so far */
		uint8_t *seg;             /* where its bytes in the current segment start */
		uint32_t seg_room, seg_used, seg_enc, seg_hdr; /* room, written, encrypted,
		                                           * header bytes before seg */
		uint32_t fin_left, tag_left;
		uint8_t tag[16];
		uint64_t tls_seal_errors, tls_pad_bytes;
	} t jw_cache_aligned;

	/* The stream-transition hold: C-written, T reads (see the table) */
	_Atomic uint32_t hold;            /* 1: no new records, no timeout resends */
	_Atomic uint32_t probe_req;       /* +1: resend the lowest live publish alone */
	_Atomic uint32_t resend_gen;      /* +1: resend the whole live range, in order */
	/* 1: a new clustered connection, no answer from the stream yet: one publish at a
	 * time (engine_ctl.c "first answer") */
	_Atomic uint32_t first_answer;
	/* T-written, C reads */
	_Atomic uint32_t probe_done;      /* the probe_req served */
	_Atomic uint64_t probe_seq;       /* the publish the last probe resent */

	/* C-written, read by the stats (relaxed) */
	_Atomic uint32_t srv_ip_be;       /* server of the current connection (0 = none) */
	_Atomic uint32_t srv_port;
	_Atomic uint64_t failovers;       /* READY again on another server than before */
	_Atomic uint64_t ldm_moves;       /* lame-duck moves */
	_Atomic uint64_t auth_failures;   /* servers that refused our credentials */

	/* C private */
	struct {
		struct tcp_conn *old;     /* replaced, waiting for its grace period */
		_Atomic int old_grace_done;
		uint32_t server_next;     /* round robin over servers[] */
		int32_t server;           /* servers[] index of the current connection, -1 */
		int32_t ready_server;     /* where the connection was last READY, -1 */
		bool clustered;           /* the server's INFO lists other servers */
		uint64_t since_503_ns;    /* first no-responders reply since the last PubAck */
		uint64_t last_503_ns;     /* the latest of them */
		uint64_t next_probe_ns;   /* hold: when the next probe goes out */
		uint64_t ready_ns;        /* when the current session became READY */
		uint64_t ready_next_seq;  /* T's next sequence then (first-answer log) */
		uint64_t next_scan_ns;    /* next timeout scan */
		bool tcp_closed;          /* TCP_EV_CLOSED seen for the current tcp */
		/* lame duck (make before break): the old connection, draining */
		struct tcp_conn *drain_old;   /* unpublished, waiting for its grace period */
		_Atomic int drain_grace_done;
		int drain_parser;         /* session parser index it reads with */
		uint64_t drain_since_ns;
		bool drain_closed;        /* TCP_EV_CLOSED seen for drain_tcp */
		struct engine_deferred *deferred; /* per slot */
	} c jw_cache_aligned;
};

/* Engine counters kept by the control lcore beyond the stats blocks: plain, C is their only
 * thread; the app reads them once the control loop has returned (rte_eal_wait_lcore). */
struct engine_counters {
	uint64_t rx_tcp, rx_not_ours, reports_deferred, reports_late;
	uint64_t transient_503;    /* 503s in a cluster taken for a stream between leaders */
	uint64_t holds, probes;    /* stream-transition holds entered, probes sent */
	uint64_t first_answers;    /* clustered connections that waited for a first answer */
};

struct engine {
	struct engine_params p;
	struct engine_net_ops net;
	struct jw_shm *shm;
	struct tcp_stack *stack;
	struct tcp_io ctl_io;             /* control lcore's clock */
	struct engine_conn *conns;
	uint64_t run_id;
	_Atomic int stop;                 /* set by any thread: loops return */
	_Atomic int draining;             /* set by any thread: T takes no new records */
	_Atomic int bursts;               /* TX loops whose producers burst (engine_bursts) */
	uint64_t next_housekeeping_ns;
	bool ctl_registered;              /* control thread registered (RCU, stats) */
	struct jw_stats_lcore *ctl_st;
	struct engine_counters cnt;
	/* servers (C writes, any reads relaxed; see the table above) */
	struct engine_server servers[ENGINE_SERVERS_MAX];
	_Atomic uint32_t n_server_slots;  /* slots ever used: servers[0..n) */
	_Atomic uint64_t discovered_total, discover_ignored;
	bool ever_ready;                  /* C: some connection reached READY once */
	/* a start-up failure the app must exit on (exit status 2): set once by C */
	_Atomic int fatal;
	char fatal_msg[256];
};

#endif /* JW_ENGINE_T_H */
