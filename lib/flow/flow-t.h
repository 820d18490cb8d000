/* Types of the JetStream pending window of one NATS connection.
 *
 * A publish gets a connection-wide 64-bit sequence number `seq` when it is first sent. Its
 * pending entry is entries[seq & mask]; the reply subject's last token carries the full seq
 * (see flow_ident.h), so a PubAck finds its entry without hashing, and a seq outside the
 * live range [tail, next_seq) is an ack for an earlier use of the entry (rejected, counted).
 *
 * Two threads share a window (DESIGN.md, "one writer per datum"):
 *   T = the connection's TX lcore: sends and resends (flow_tx_*).
 *   C = the control lcore: PubAcks, timeouts, window size, reports (flow_ctl_*).
 * Which call may run concurrently with which:
 *
 *   | call                     | thread | concurrent with                    |
 *   |--------------------------|--------|------------------------------------|
 *   | flow_init / flow_fini    | any    | nothing                            |
 *   | flow_tx_credit           | T      | every flow_ctl_* call              |
 *   | flow_tx_begin            | T      | every flow_ctl_* call              |
 *   | flow_tx_next_resend      | T      | every flow_ctl_* call              |
 *   | flow_tx_claim_resend     | T      | every flow_ctl_* call              |
 *   | flow_tx_begin_failed     | T      | every flow_ctl_* call              |
 *   | flow_ctl_poll_local      | C      | every flow_tx_* call               |
 *   | flow_ctl_ack             | C      | every flow_tx_* call               |
 *   | flow_ctl_scan_timeouts   | C      | every flow_tx_* call               |
 *   | flow_ctl_rearm           | C      | every flow_tx_* call               |
 *   | flow_ctl_fail_all        | C      | every flow_tx_* call               |
 *   | flow_counters_read       | any    | everything (relaxed snapshot)      |
 *
 * Who writes what:
 *   - next_seq, sent, tx counters: T only. T publishes a filled entry by the release-store
 *     of next_seq; C reads next_seq with acquire before touching entries below it.
 *   - tail, finalized, window, ctl counters: C only. C release-stores tail and finalized
 *     after its last access to the entries below the new tail; T reads them with acquire
 *     before refilling those entries.
 *   - An entry's fields: T fills all of them (including C's fields, reset) while the entry
 *     is outside [tail, next_seq), i.e. C does not look at it. Inside the live range T only
 *     reads the T-filled fields and C owns retries and rearmed_ns.
 *   - entry.state: both, by compare-and-swap only. T adds one per resend it claims; C sets
 *     FLOW_FINAL once. Whoever CASes first decides: a resend claimed before the final CAS
 *     is visible to C (so dedupe=off can report a possible duplicate), and a final entry is
 *     never resent.
 *   - resend queue (C -> T): SPSC, C writes rq_head (release) after the slot, T writes
 *     rq_tail (release) after reading the slot.
 *   - local-failure queue (T -> C): SPSC, T writes lq_head (release) after the slot, C
 *     writes lq_tail after reading it; T never reads lq_tail (the queue has room for every
 *     live sequence, flow_tx_begin_failed). It carries records that T refused to send
 *     (invalid in the ring, too big): C reports them like acks, in their place in order.
 *
 * Acquire/release pairs (tagged at each access in flow_window.c):
 *   [F1] T: fills entries[next], then store-release next_seq (begin) -> C: load-acquire
 *        next_seq before touching entries below it (flow_ctl_*).
 *   [F2] C: done with entries below the new tail, then store-release tail (advance_tail) and
 *        finalized (finalize) -> T: load-acquire tail/finalized (credit, claim, live range)
 *        before refilling those entries.
 *   [F3] resend queue: C writes rq[h], store-release rq_head -> T load-acquire rq_head,
 *        reads rq[t], store-release rq_tail -> C load-acquire rq_tail before rewriting it.
 *   [F4] local-failure queue: T writes lq[h] and the entry, store-release lq_head -> C
 *        load-acquire lq_head. (C's store of lq_tail is a release no reader pairs with.)
 *   [F5] entry.state: seq_cst compare-and-swap on both sides (T's resend claim, C's final
 *        mark), so exactly one of them wins and each sees the other's earlier CAS.
 */
#ifndef JW_FLOW_T_H
#define JW_FLOW_T_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/jw_common.h"

/* Names on the wire (flow_ident.h): the ack inbox, reply subjects and Nats-Msg-Ids. */
#define FLOW_INBOX_PREFIX_MAX 48   /* "_JW." + 16 + "." + 10 + "." */
#define FLOW_REPLY_MAX        (FLOW_INBOX_PREFIX_MAX + 20 + 1 + 20) /* seq 'g' mark */
#define FLOW_MSGID_MAX        80
#define FLOW_ID64_LEN         11  /* a 64-bit run-id or nonce in base 62 (flow_ident.c) */

struct flow_inbox {
	char prefix[FLOW_INBOX_PREFIX_MAX]; /* "_JW.<run-id>.<conn>." */
	uint32_t len;
};

/* The identity of a record, as the Nats-Msg-Id carries it. */
struct flow_msgid_parts {
	uint64_t nonce;         /* created with the shared memory */
	uint32_t lcore;         /* TX lcore (ring set) index */
	uint32_t slot;          /* producer slot */
	uint32_t gen;           /* slot generation: a new producer in the slot differs */
	uint64_t producer_seq;
};

/* Largest window the pending array supports ([flow] window_max's limit; 64-byte entries). */
#define FLOW_WINDOW_LIMIT (1u << 20)

enum flow_dedupe {
	FLOW_DEDUPE_MSGID = 0, /* every frame carries Nats-Msg-Id: resends are idempotent */
	FLOW_DEDUPE_OFF   = 1, /* no header: a resend may store a duplicate, reported as such */
};

/* The [flow] settings a window runs with. */
struct flow_params {
	enum flow_dedupe dedupe;
	bool adaptive;          /* rate-seeking controller between window_min and window_max;
	                         * else fixed */
	uint32_t window_fixed;  /* W when !adaptive */
	uint32_t window_min;    /* adaptive lower bound, >= 1 */
	uint32_t window_max;    /* adaptive upper bound, <= FLOW_WINDOW_LIMIT */
	uint32_t window_start;  /* adaptive: W of the startup's first round, clamped to
	                         * [window_min, window_max]; 0 = window_min */
	uint64_t ack_target_ns; /* optional ceiling of the adaptive window: at most this much
	                         * queueing delay in the server (W <= max rate x (min latency
	                         * + ack_target)); 0 = none */
	uint64_t ack_timeout_ns;/* floor of the PubAck timeout (the estimate is srtt + 4 rttvar) */
	uint32_t max_retries;   /* resends after timeouts before a failed report */
	bool shared_replies;    /* first sends may carry their subject's shared reply
	                         * (flow_share.c) */
};

/* What the TX lcore records about a publish when it first sends it: the record's identity
 * in its producer slot's ring, so that C can report it and release its ring space. */
struct flow_record {
	uint16_t slot;          /* producer slot of this TX lcore */
	uint64_t ring_pos;      /* position of the record in the slot's ring */
	uint64_t ring_end;      /* position just after it: released once final */
	uint64_t producer_seq;  /* the sequence jw_publish returned */
	uint8_t share_cls;      /* reply class + 1 of the subject, 0 = none (flow_tx_share_class) */
	uint32_t share_gen;     /* the shared reply's generation, 0 = the unique reply */
};

/* entry.state: resends claimed in the low bits, FLOW_FINAL once the outcome is decided. */
#define FLOW_FINAL 0x80000000u
#define FLOW_RESENDS_MASK 0x7fffffffu

struct flow_entry {
	_Atomic uint32_t state;     /* CAS only, see above */
	uint16_t slot;              /* T-filled */
	uint16_t local_why;         /* T-filled: JW_R_* of a record failed before sending */
	uint16_t retries;           /* C-owned: resends requested after timeouts (<= 1000) */
	uint8_t stall_counted;      /* C-owned: counted in stalled_suppressed since its last send */
	uint8_t share_cls;          /* T-filled: reply class + 1 of its subject, 0 = none */
	uint32_t share_gen;         /* T-filled: generation of its shared reply, 0 = unique */
	uint64_t seq;               /* T-filled: the full sequence (sanity check) */
	uint64_t ring_pos;          /* T-filled */
	uint64_t ring_end;          /* T-filled */
	uint64_t producer_seq;      /* T-filled */
	uint64_t sent_ns;           /* T-filled: first send */
	uint64_t rearmed_ns;        /* C-owned: last resend request or rearm, 0 if none */
} jw_cache_aligned;

/* A PubAck (or its absence) as the control lcore hands it to the window. */
enum flow_ack_kind {
	FLOW_ACK_OK = 0,        /* {"stream":..,"seq":..} */
	FLOW_ACK_ERROR,         /* {"error":{"code":..,"err_code":..,"description":..}} */
	FLOW_ACK_NO_STREAM,     /* HMSG with status 503: no stream captures the subject */
	FLOW_ACK_BAD,           /* reply arrived but could not be parsed */
};

struct flow_ack {
	enum flow_ack_kind kind;
	const char *stream;     /* OK: not NUL-terminated */
	uint32_t stream_len;
	uint64_t stream_seq;
	bool duplicate;         /* OK: the server had this Msg-Id already */
	uint64_t mark;          /* the reply subject's mark, 0 if none (flow_ident.h) */
	int32_t code;           /* ERROR: HTTP-like code (503 for NO_STREAM) */
	int32_t err_code;       /* ERROR: JetStream err_code, e.g. 10060 */
	const char *reason;     /* ERROR/NO_STREAM/BAD: text, not NUL-terminated */
	uint32_t reason_len;
	/* an answer to a shared reply (flow_share.c): its class and generation; seq is then
	 * meaningless. share_gen 0 = an answer to a unique reply. */
	uint32_t share_cls;
	uint32_t share_gen;
};

enum flow_status {
	FLOW_ACKED = 0,
	FLOW_FAILED = 1,
};

/* A final outcome: what becomes the producer's delivery report. */
struct flow_outcome {
	enum flow_status status;
	uint16_t slot;
	uint64_t producer_seq;
	uint64_t seq;            /* connection sequence */
	/* acked */
	const char *stream;
	uint32_t stream_len;
	uint64_t stream_seq;
	bool duplicate;          /* server: already stored (msgid dedupe) */
	bool maybe_duplicate;    /* dedupe=off and resent: may be stored more than once */
	/* failed */
	int32_t code;
	int32_t err_code;
	const char *reason;
	uint32_t reason_len;
	uint16_t why;            /* JW_R_* (jetwire.h): JS_ERROR, NO_STREAM, TIMEOUT, ... */
	/* both */
	uint64_t latency_ns;     /* first send to outcome */
	uint32_t resends;        /* resends actually transmitted */
};

/* What the control lcore does with outcomes: the engine's seam (tests use fakes). */
struct flow_ops {
	/* Deliver the report. Called once per publish, on C. */
	void (*report)(void *ctx, const struct flow_outcome *o);
	/* Every record of `slot` before ring_end is final: its space may be reused. Called on
	 * C, in ring order per slot, after the reports of those records. */
	void (*release)(void *ctx, uint16_t slot, uint64_t ring_end);
	void *ctx;
};

/* Counters of one window. T-written and C-written ones live on separate lines. */
struct flow_tx_counters {
	uint64_t sent;              /* publishes sent for the first time */
	uint64_t resent;            /* resends transmitted, all causes */
	uint64_t resent_loss;       /* ... on evidence of loss (flow_tx_next_resend) */
	uint64_t resent_reconnect;  /* ... after the connection was replaced */
	uint64_t window_refused;    /* begins refused for lack of credit (W shrank after
	                             * flow_tx_credit): the window held; 0 for a fixed W */
	uint64_t local_failures;    /* records failed by T without sending */
	uint64_t outstanding_hwm;   /* most unacknowledged publishes ever after a send */
	uint64_t shared_sent;       /* first sends that carried a shared reply */
};

struct flow_ctl_counters {
	uint64_t acked;
	uint64_t failed;
	uint64_t duplicates;        /* server said duplicate */
	uint64_t maybe_duplicates;  /* dedupe=off resends */
	uint64_t late_acks;         /* seq below tail: an earlier use of the entry */
	uint64_t repeat_acks;       /* seq live but already final (ack of a resend) */
	uint64_t bogus_acks;        /* seq never sent */
	uint64_t timeouts;          /* PubAcks overdue with evidence of loss (resent or failed) */
	uint64_t resend_requests;   /* resends asked of T on evidence of loss */
	uint64_t timeout_failures;  /* failed after max_retries */
	uint64_t stalled_suppressed;/* overdue publishes not resent: no ack nor PONG came back
	                             * (a stalled server), counted once per publish and stall */
	uint64_t budget_deferred;   /* resends postponed by the per-round-trip resend budget */
	uint64_t liveness_probes;   /* PINGs asked for because acks stopped */
	uint64_t window_increases;
	uint64_t window_decreases;
	uint64_t probes_up;         /* controller probes above the held window */
	uint64_t probes_down;       /* ... and below it */
	uint64_t probes_kept;       /* probes whose window became the held one */
	uint64_t share_answers;     /* answers to shared replies, matched in order */
	uint64_t share_confirmed;   /* ... confirmed by a later unique answer and reported */
	uint64_t share_breaks;      /* classes found out of step (a missing, extra or failed
	                             * answer): their unconfirmed publishes were resent */
	uint64_t share_stale;       /* answers to a shared reply of an older generation */
};

/* The adaptive window's estimates (flow_ctlr.c), for the stats. */
struct flow_ctlr_view {
	uint32_t phase;             /* enum flow_ctlr_phase */
	uint32_t held_window;       /* the window the controller holds between probes */
	uint64_t max_rate;          /* acks/s: windowed max of window-limited intervals */
	uint64_t min_latency_ns;    /* windowed min of clean ack latencies */
	uint64_t last_rate;         /* acks/s of the last interval */
};

/* The PubAck timeout estimator (flow_rto.c), for the stats. */
struct flow_rto_view {
	uint64_t srtt_ns;           /* smoothed clean ack latency */
	uint64_t rttvar_ns;         /* its mean deviation */
	uint64_t rto_ns;            /* max(ack_timeout floor, srtt + 4 rttvar) */
};

struct flow_counters {
	struct flow_tx_counters tx;
	struct flow_ctl_counters ctl;
	struct flow_ctlr_view ctlr;
	struct flow_rto_view rto;
	uint32_t window;            /* current W */
	uint64_t outstanding;       /* sent but not final */
	uint64_t ack_latency_ewma_ns; /* = rto.srtt_ns (kept for existing readers) */
};

enum flow_ctlr_phase {
	FLOW_CTLR_FIXED = 0,        /* window = N: no controller */
	FLOW_CTLR_STARTUP,          /* W doubles per round while the ack rate rises */
	FLOW_CTLR_HOLD,             /* W held at the knee found so far */
	FLOW_CTLR_PROBE,            /* W moved up or down for a measurement */
};

/* Adaptive window state (C private). A measurement interval lasts at least one round
 * (every publish in flight at its start acked) and FLOW_CTLR_IVL_MIN_NS. */
#define FLOW_CTLR_HIST 8
/* The ack rates of a run of intervals at one window: their count, sum and sum of squares,
 * for a mean and its standard error. */
struct flow_ctlr_rates {
	uint32_t n;
	double sum, sumsq;
};

struct flow_ctlr {
	uint32_t phase;
	uint32_t held;              /* W to return to after a probe */
	uint32_t ivl_window;        /* W when the interval began */
	uint32_t stalls;            /* STARTUP: window-limited intervals without +6.25% rate */
	uint32_t probe_ivls;        /* PROBE: intervals seen so far (the first settles) */
	uint32_t up_step;           /* the next up-probe adds up_step quarters (1, 2, 4) */
	bool probe_up;              /* direction of the current / next probe */
	bool confirming;            /* PROBE: back at the held W after a down-probe that won */
	uint32_t probe_w;           /* PROBE: the window probed */
	struct flow_ctlr_rates hold_rates;  /* HOLD: window-limited intervals at the held W */
	struct flow_ctlr_rates back_rates;  /* PROBE, confirming: the held W again */
	struct flow_ctlr_rates probe_rates; /* PROBE: the measured intervals at the probe's W */
	uint64_t ivl_start_ns;
	uint64_t ivl_end_seq;       /* the interval's round ends with an ack of seq >= this */
	uint64_t ivl_acks;
	uint64_t ivl_max_out;
	uint64_t ivl_min_lat;
	uint64_t ivl_sent_lo, ivl_sent_hi; /* send times of the publishes acked in it */
	uint64_t startup_best;      /* best rate seen in STARTUP */
	uint32_t startup_best_w;
	uint32_t hist_n;            /* intervals recorded in the histories below */
	uint64_t rate_hist[FLOW_CTLR_HIST];  /* delivery rates, recent window-limited intervals */
	uint64_t lat_hist[FLOW_CTLR_HIST];   /* min latencies of recent intervals */
	uint64_t last_rate;         /* the last interval's delivery rate (interval_end) */
};

/* What a scan makes of a publish without a PubAck (flow_rto_judge). */
enum flow_overdue {
	FLOW_NOT_DUE = 0,           /* within its timeout */
	FLOW_STALLED,               /* overdue, but nothing at all comes back: do not resend */
	FLOW_LOST,                  /* overdue with evidence of loss: resend */
};

/* PubAck timeout estimator and loss evidence (C private, flow_rto.c). */
struct flow_rto {
	uint64_t srtt_ns;
	uint64_t rttvar_ns;
	uint64_t last_ack_ns;        /* when the last ack (of any kind) arrived */
	uint64_t acked_sent_ns;      /* latest first-send time among acked publishes */
	uint64_t alive_ns;           /* the server answered a PING asked for at this time */
	uint64_t alive_rx_ns;        /* the first PONG since the last ack arrived at this time */
	uint64_t last_probe_ns;      /* the last liveness probe was asked for at this time */
	uint64_t probe_ns;           /* a liveness PING asked for at this time, 0 = none */
	uint64_t stall_since_ns;     /* first scan that found overdue publishes without
	                              * evidence, 0 = not stalled */
	uint64_t budget_start_ns;    /* resend budget: round start and resends in it */
	uint32_t budget_used;
};

/* Shared replies (flow_share.c). A reply subject the server has not seen before costs it a
 * cache miss and a cache insertion in its subscription index on the way back (some 20-30%
 * of its work per message on the development box); so first sends of a subject that T sees
 * often carry that subject's *shared* reply `<prefix>c<class>e<gen>` instead of the unique
 * `<prefix><seq>`, and C matches their answers in order. This is sound because a server
 * answers the publishes of one subject from one connection in the order it read them (a
 * subject belongs to at most one stream, and a stream stores in order); and it is checked:
 *   - a shared publish stays *provisional* after its answer, until the answer to a later
 *     publish of the same class that carried its unique reply (a checkpoint: T makes the
 *     last of each class in a batch, and every FLOW_SHARE_RUN_MAX-th, one) shows that
 *     every shared publish before it was answered: then they are reported, in order;
 *   - errors are matched in order too where they come in order (a single server:
 *     flow_ctl_share_errors_ordered), one kind of error per unconfirmed span;
 *   - an answer missing at a checkpoint, an extra one, an error out of order, another
 *     stream, a stream sequence that does not grow, an answered one unconfirmed for a
 *     timeout from its answer with evidence that the server moved on, or a shared publish
 *     resent: the class is out of step. Its unconfirmed publishes are resent with unique
 *     replies, the generation moves on (older answers are ignored), and T sends unique
 *     replies for FLOW_SHARE_COOLDOWN_NS;
 *   - every first send records its class (a unique one is a checkpoint), and T keeps
 *     sending while a run is open (flow_tx_share_open), a drain included.
 * So an answer is never reported for a publish it does not belong to; the price of a
 * broken class is resends (duplicates are then possible with dedupe = off, and reported
 * as such), never a wrong report.
 *
 *   | call                   | thread | concurrent with                       |
 *   |------------------------|--------|---------------------------------------|
 *   | flow_tx_share_class    | T      | every flow_ctl_* call                 |
 *   | flow_tx_share_pick     | T      | every flow_ctl_* call                 |
 *   | flow_share_* (C side)  | C      | every flow_tx_* call (flow_share.c)   |
 *
 *   T owns the class table (subject -> class); C owns the class queues and the per-entry
 *   state. C publishes the generation and the cooldown end (relaxed: T reads a value at
 *   most one anomaly old, and an entry records the generation T used, which C checks).
 */
#define FLOW_SHARE_CLASSES    64    /* subjects with a shared reply per connection */
#define FLOW_SHARE_SUBJECT_MAX 128  /* longer subjects always take unique replies */
#define FLOW_SHARE_STREAM_MAX 64    /* longer stream names: the class breaks */
#define FLOW_SHARE_REASON_MAX 128   /* longer error descriptions: the class breaks */
#define FLOW_SHARE_RUN_MAX    64    /* shared publishes of a class between checkpoints */
#define FLOW_SHARE_COOLDOWN_NS 100000000ull /* unique replies only, after a broken class */

/* T's class table (T private). */
struct flow_share_tx {
	uint32_t hash[FLOW_SHARE_CLASSES];   /* of the bound subject; 0 = free */
	uint16_t len[FLOW_SHARE_CLASSES];
	uint32_t run[FLOW_SHARE_CLASSES];    /* shared publishes since the last checkpoint */
	uint64_t last_seq[FLOW_SHARE_CLASSES]; /* + 1 of the class's latest publish, 0 none */
	uint32_t victim;                     /* next class to rebind when the table is full */
	uint32_t open;                       /* classes with shared publishes after their last
	                                      * checkpoint (a run still open) */
	char subject[FLOW_SHARE_CLASSES][FLOW_SHARE_SUBJECT_MAX];
};

/* A copy of the classes' runs, for predicting picks (flow_tx_share_sim_pick; T private). */
struct flow_share_sim {
	uint32_t run[FLOW_SHARE_CLASSES];
};

/* C's state of a publish that carried a shared reply (C private, one per entry). */
enum { FLOW_SHARE_NONE = 0, FLOW_SHARE_DUE, FLOW_SHARE_ANSWERED };
struct flow_share_slot {
	uint64_t next;          /* the class's next member (seq), valid below the class's last */
	uint64_t stream_seq;    /* ANSWERED: the stream sequence the answer gave */
	uint64_t answered_ns;   /* ANSWERED: when */
	uint8_t state;          /* FLOW_SHARE_* */
	uint8_t kind;           /* ANSWERED: FLOW_ACK_OK, or the class's error (err_*) */
	bool duplicate;         /* ANSWERED: the server had the Msg-Id already */
};

/* C's queue of one class: its members in sequence order, answered ones first. */
struct flow_share_class {
	uint64_t head;          /* oldest member (seq) when n > 0 */
	uint64_t last;          /* newest member */
	uint64_t due;           /* oldest member without an answer when n_due > 0 */
	uint32_t n;             /* members */
	uint32_t n_due;         /* ... of which without an answer (the newest ones) */
	uint64_t stream_seq;    /* the latest answer's stream sequence (they must grow) */
	uint32_t stream_len;    /* 0 = not learnt yet */
	char stream[FLOW_SHARE_STREAM_MAX];
	/* the error its unconfirmed members were answered with (one kind of error at a time;
	 * only where errors come in order, flow_ctl_share_errors_ordered) */
	uint32_t err_kind;      /* 0 = none; else FLOW_ACK_ERROR or FLOW_ACK_NO_STREAM */
	int32_t err_code, err_js_code;
	uint32_t err_reason_len;
	char err_reason[FLOW_SHARE_REASON_MAX];
};

struct flow_share_ctl {
	uint64_t scanned;       /* entries below this sequence are in their class queues */
	bool errors_ordered;    /* error answers come in order too (a single server) */
	struct flow_share_class cls[FLOW_SHARE_CLASSES];
};

struct flow {
	/* read-mostly */
	struct flow_params p;
	uint32_t size;              /* entries: power of two >= window_max */
	uint32_t mask;
	struct flow_entry *entries;
	uint64_t *rq;               /* resend queue, `size` slots */
	uint64_t *lq;               /* local-failure queue, `size` slots */
	struct flow_share_slot *share; /* C's shared-reply state, `size` slots */

	/* T-written line */
	struct {
		_Atomic uint64_t next_seq;
		_Atomic uint64_t rq_tail;
		_Atomic uint64_t lq_head;
		_Atomic uint64_t sent;
		_Atomic uint64_t resent, resent_loss, resent_reconnect;
		_Atomic uint64_t window_refused;
		_Atomic uint64_t local_failures;
		_Atomic uint64_t outstanding_hwm;
		_Atomic uint64_t shared_sent;
		struct flow_share_tx share; /* T private */
	} tx jw_cache_aligned;

	/* C-written line */
	struct {
		_Atomic uint64_t tail;
		_Atomic uint64_t finalized;
		_Atomic uint32_t window;
		_Atomic uint64_t rq_head;
		_Atomic uint64_t lq_tail;
		/* for the stats: relaxed single-writer copies of C's estimates */
		_Atomic uint64_t srtt_ns, rttvar_ns, rto_ns;
		_Atomic uint64_t max_rate, min_latency_ns, last_rate;
		_Atomic uint32_t phase, held;
		struct flow_ctlr ctlr;      /* C private */
		struct flow_rto rto;        /* C private */
		/* per class: the shared reply's generation (>= 1); unique replies until */
		_Atomic uint32_t share_gen[FLOW_SHARE_CLASSES];
		_Atomic uint64_t share_off_until_ns[FLOW_SHARE_CLASSES];
		struct flow_share_ctl share; /* C private */
	} ctl jw_cache_aligned;

	/* C-written counters (relaxed: single writer, readers take snapshots) */
	struct {
		_Atomic uint64_t acked, failed, duplicates, maybe_duplicates;
		_Atomic uint64_t late_acks, repeat_acks, bogus_acks;
		_Atomic uint64_t timeouts, resend_requests, timeout_failures;
		_Atomic uint64_t stalled_suppressed, budget_deferred, liveness_probes;
		_Atomic uint64_t window_increases, window_decreases;
		_Atomic uint64_t probes_up, probes_down, probes_kept;
		_Atomic uint64_t share_answers, share_confirmed, share_breaks, share_stale;
	} ctlc jw_cache_aligned;
};

#endif /* JW_FLOW_T_H */
