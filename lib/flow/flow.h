/* The JetStream pending window of one NATS connection: at most W unacknowledged publishes,
 * PubAck matching without hashing, timeouts with bounded resends, delivery outcomes in
 * ring order, W adapted to the server's ack rate (flow_ctlr.c), and timeouts that resend
 * only on evidence of loss (flow_rto.c). Types and the threading contract (T = TX
 * lcore, C = control lcore): flow-t.h. Times are nanoseconds of one monotonic clock the
 * caller passes in; the module never reads a clock itself (tests drive a virtual one).
 */
#ifndef JW_FLOW_H
#define JW_FLOW_H

#include <string.h>

#include "flow/flow-t.h"

/* Checks [flow] settings. Rejects with -EINVAL: window_min 0 or above window_max,
 * window_max above FLOW_WINDOW_LIMIT, a fixed window 0 or above FLOW_WINDOW_LIMIT,
 * ack_timeout_ns 0, an unknown dedupe mode. ack_target_ns 0 means no latency ceiling. */
int flow_params_check(const struct flow_params *p);

/* The first window for valid p: the fixed window, or the adaptive startup's first round
 * (window_start clamped to [window_min, window_max]; window_min when window_start is 0). */
uint32_t flow_window_start(const struct flow_params *p);

/* The pending array's size for p: the largest window it can ever hold (runtime tunables
 * cannot go beyond it). 0 when p is invalid. */
uint32_t flow_capacity(const struct flow_params *p);

/* Sets up an empty window (allocates the pending array, power of two >= the largest
 * window the settings allow). An adaptive window starts in slow start at window_start
 * (clamped to the bounds; window_min when 0).
 * Returns 0, -EINVAL (flow_params_check) or -ENOMEM. */
int flow_init(struct flow *f, const struct flow_params *p);

/* Frees what flow_init allocated. Outstanding publishes are forgotten: their records stay
 * unreleased in the rings, so a restarted jetwire sends them again. */
void flow_fini(struct flow *f);

/* --- T: the connection's TX lcore ----------------------------------------------------- */

/* How many publishes may be begun now: W minus the unacknowledged ones, and no more than
 * the free entries (an entry is reused only after every older publish is final). */
uint32_t flow_tx_credit(const struct flow *f);

/* The sequence the next flow_tx_begin / flow_tx_begin_failed will assign (T), so that the
 * reply subject can be rendered before the entry is taken. */
static inline uint64_t
flow_tx_next_seq(const struct flow *f)
{
	return atomic_load_explicit(&f->tx.next_seq, memory_order_relaxed);
}

/* Records the first send of a publish and returns its connection sequence in *seq (the
 * number the reply subject carries). Refuses with -ENOSPC, and counts window_refused,
 * when there is no credit: the caller must ask flow_tx_credit first, so the window is
 * never exceeded. */
int flow_tx_begin(struct flow *f, const struct flow_record *r, uint64_t now_ns, uint64_t *seq);

/* Records a publish that T refuses to send (the record is invalid in the ring, or too big
 * for the server): it takes a sequence and window credit like a send, and C reports it as
 * failed with reason `why` (JW_R_*) through flow_ctl_poll_local, in its place in ring
 * order. Refuses with -ENOSPC without credit, like flow_tx_begin. */
int flow_tx_begin_failed(struct flow *f, const struct flow_record *r, uint16_t why,
			 uint64_t now_ns, uint64_t *seq);

/* Shared replies (flow-t.h). The reply class (1..FLOW_SHARE_CLASSES) of a first send to
 * subject subj[0..len), binding a class to a subject T has not seen; 0 (unique reply) when
 * shared replies are off, the subject is longer than FLOW_SHARE_SUBJECT_MAX, or the classes
 * around its hash are bound to subjects with publishes still live. */
uint32_t flow_tx_share_class(struct flow *f, const char *subj, uint32_t len);

/* Whether cls names a reply class (1..FLOW_SHARE_CLASSES; 0 is "none": a unique reply).
 * Entries and records carry it in a byte, so every reader checks it before indexing. */
static inline bool
flow_share_cls_valid(uint32_t cls)
{
	return cls != 0 && cls <= FLOW_SHARE_CLASSES;
}

/* Whether class cls (1..FLOW_SHARE_CLASSES, from flow_tx_share_class) is bound to subject
 * subj[0..len) now: a class found earlier for the same bytes still holds (T). */
static inline bool
flow_tx_share_is(const struct flow *f, uint32_t cls, const char *subj, uint32_t len)
{
	const struct flow_share_tx *t = &f->tx.share;

	return flow_share_cls_valid(cls) && t->len[cls - 1] == len &&
	       t->hash[cls - 1] != 0 && memcmp(t->subject[cls - 1], subj, len) == 0;
}

/* Whether the first send of a publish of class cls carries the class's shared reply: only
 * when `later` (another publish of the class follows in the same batch, so a checkpoint
 * comes soon), fewer than FLOW_SHARE_RUN_MAX did in a row, and the class is not cooling
 * down after a break. Returns the generation to render (>= 1), or 0 for the unique reply
 * (which makes the publish a checkpoint of its class). Record both in flow_record. */
uint32_t flow_tx_share_pick(struct flow *f, uint32_t cls, bool later, uint64_t now_ns);

/* What a run of flow_tx_share_pick calls would return, without changing T's state: for a
 * caller that sizes its frames before it sends them (TLS 1.3 records that span segments
 * declare their length first). flow_tx_share_sim_init copies the classes' runs into sim;
 * each flow_tx_share_sim_pick then answers as flow_tx_share_pick would after the picks
 * simulated before it, and advances only sim. Valid while nothing else runs on T between
 * the simulation and the picks it predicts (T private, like the class table); the
 * generation is C's current one, which C may move meanwhile (a break): a prediction is a
 * size, never a reply to render. */
void flow_tx_share_sim_init(const struct flow *f, struct flow_share_sim *sim);
uint32_t flow_tx_share_sim_pick(const struct flow *f, struct flow_share_sim *sim, uint32_t cls,
				bool later, uint64_t now_ns);

/* How many classes have shared publishes after their last checkpoint (T). While it is not
 * 0, T must go on sending records (the later record of each such class is in its rings),
 * also when it stops taking new ones for a drain: else their answers stay unconfirmed. */
static inline uint32_t
flow_tx_share_open(const struct flow *f)
{
	return f->tx.share.open;
}

/* Takes the next resend the control lcore requested after a PubAck timeout and claims it.
 * Returns 1 with *seq and *r (the record to frame again, with the same reply sequence and
 * Nats-Msg-Id), or 0 when none is pending. Requests for publishes that became final in
 * the meantime are dropped here. Once claimed, the caller must transmit it. */
int flow_tx_next_resend(struct flow *f, uint64_t *seq, struct flow_record *r);

/* The live range [*lo, *hi) of sequences that may still be unacknowledged: after a
 * reconnect, T claims each of them with flow_tx_claim_resend and sends it again. */
void flow_tx_live_range(const struct flow *f, uint64_t *lo, uint64_t *hi);

/* Claims a resend of the live publish `seq` (reconnect path). Returns 0 with *r, or
 * -ENOENT when seq is outside the live range or already final (nothing to send). */
int flow_tx_claim_resend(struct flow *f, uint64_t seq, struct flow_record *r);

/* --- C: the control lcore ---------------------------------------------------------------- */

/* Matches a PubAck (or a JetStream error, or a no-stream status) for sequence `seq` to its
 * publish: the outcome is reported through ops->report, the ack feeds the window controller and
 * the timeout estimator,
 * ring space of contiguous finals is released through ops->release, and window credit
 * returns to T. Returns 0 when matched. Rejects, counting each, with -ESTALE a sequence
 * below the live range (a late ack for an earlier use of the entry), -EALREADY a live
 * publish that is already final (the ack of a resend), -ENOENT a sequence never sent. */
int flow_ctl_ack(struct flow *f, uint64_t seq, const struct flow_ack *a, uint64_t now_ns,
		 const struct flow_ops *ops);

/* Reports the records T failed locally (flow_tx_begin_failed) as failed outcomes.
 * Returns how many. */
uint32_t flow_ctl_poll_local(struct flow *f, uint64_t now_ns, const struct flow_ops *ops);

/* Finds publishes without a PubAck for the timeout (flow_rto_ns, doubled per retry) since
 * their last (re)send. One with evidence of loss (flow_rto.c) gets a resend request for T
 * while it has had fewer than max_retries and the round trip's resend budget allows, else
 * a failed outcome (JW_R_TIMEOUT, code 408, reason "PubAck timeout"). One without evidence
 * (the server is stalled) is left alone and counted once in stalled_suppressed; see
 * flow_ctl_take_probe. Cheap to call often: it looks only at the publishes first sent more
 * than one timeout ago. Returns how many were found lost. */
uint32_t flow_ctl_scan_timeouts(struct flow *f, uint64_t now_ns, const struct flow_ops *ops);

/* Restarts every live publish's timeout from now (after a reconnect: T resends them all,
 * and the old connection's acks will never come). Does not count as a retry. Forgets the
 * old connection's liveness evidence (flow_rto_connection_replaced). */
void flow_ctl_rearm(struct flow *f, uint64_t now_ns);

/* Ends every live publish with a failed outcome (why = JW_R_*, code, reason text), e.g.
 * when jetwire shuts down or the server refused the connection's publishes. Returns how
 * many. */
uint32_t flow_ctl_fail_all(struct flow *f, uint16_t why, int32_t code, const char *reason,
			   const struct flow_ops *ops);

/* Whether error answers (JetStream errors, 503) to shared replies come in the order of the
 * publishes, as from a single server; in a cluster one can overtake the answers to earlier
 * publishes, so there an error breaks its class. C; set from the server's INFO. */
void flow_ctl_share_errors_ordered(struct flow *f, bool ordered);

/* Applies runtime tunables (C): window bounds (window_min == window_max fixes W),
 * ack_timeout_ns (the timeout's floor), ack_target_ns (latency ceiling, 0 = none). W is
 * clamped into the new bounds at once. Rejects with -EINVAL bounds that are 0, inverted or
 * above the pending array, and a zero timeout; nothing changes then. */
int flow_ctl_retune(struct flow *f, uint32_t window_min, uint32_t window_max,
		    uint64_t ack_timeout_ns, uint64_t ack_target_ns);

/* Whether first sends may carry shared replies ([flow] shared_replies). Read-only after
 * flow_init: any thread. */
static inline bool
flow_shared_replies(const struct flow *f)
{
	return f->p.shared_replies;
}

/* Whether publishes carry a Nats-Msg-Id ([flow] dedupe = msgid). Read-only after
 * flow_init: any thread. */
static inline bool
flow_dedupe_msgid(const struct flow *f)
{
	return f->p.dedupe == FLOW_DEDUPE_MSGID;
}

/* Entries of the pending array (a power of two >= window_max). Read-only after flow_init:
 * any thread. */
static inline uint32_t
flow_size(const struct flow *f)
{
	return f->size;
}

/* The window's size now (T reads it for credit; C adapts it). */
static inline uint32_t
flow_window(const struct flow *f)
{
	return atomic_load_explicit(&f->ctl.window, memory_order_relaxed);
}

/* --- C: the adaptive window (flow_ctlr.c) ------------------------------------------------ */

/* "fixed", "startup", "hold", "probe" (enum flow_ctlr_phase), "?" for anything else. */
const char *flow_ctlr_phase_str(uint32_t phase);

/* Resets the controller for the window's parameters (STARTUP, or FIXED). The window
 * itself is left as it is: flow_init sets the first one (flow_window_start). */
void flow_ctlr_init(struct flow *f);

/* Feeds one matched ack of sequence `seq` (an outcome decided by the server) to the
 * controller; sent_ns is when the publish was (last) sent, latency_ns first send to ack,
 * and `clean` says it is a latency sample at all (never resent: Karn). No-op for a fixed
 * window. Called by flow_ctl_ack; exposed for tests. */
void flow_ctlr_sample(struct flow *f, uint64_t seq, uint64_t sent_ns, uint64_t latency_ns,
		      bool clean, uint64_t now_ns);

/* After flow_ctl_retune changed p: the held window follows the new bounds. */
void flow_ctlr_retuned(struct flow *f);

/* --- C: PubAck timeouts from evidence (flow_rto.c) ---------------------------------------- */

void flow_rto_init(struct flow *f);

/* The PubAck timeout now: max(ack_timeout floor, srtt + 4 rttvar). */
uint64_t flow_rto_ns(const struct flow *f);

/* An ack (or server error) for a publish first sent at sent_ns. clean: a latency sample
 * (never resent). */
void flow_rto_on_ack(struct flow *f, uint64_t sent_ns, uint64_t latency_ns, bool clean,
		     uint64_t now_ns);

/* Whether a publish last (re)sent at last_send_ns, resent `retries` times, is due, and
 * whether there is evidence that it was lost (see flow_rto.c). */
enum flow_overdue flow_rto_judge(const struct flow *f, uint64_t last_send_ns, uint32_t retries,
				 uint64_t now_ns);

/* Takes one resend from the per-round-trip budget; false (counted) when it is spent. */
bool flow_rto_budget_take(struct flow *f, uint64_t now_ns);

/* A scan found overdue publishes without evidence: the server looks stalled. */
void flow_rto_stalled(struct flow *f, uint64_t now_ns);

/* True once per stall: the owner should send a PING now (a liveness probe) and report its
 * PONG with flow_ctl_server_alive. */
bool flow_ctl_take_probe(struct flow *f, uint64_t now_ns);

/* The server answered a PING that was asked for at asked_ns (so it has read every byte
 * sent before it); now_ns is when the PONG arrived. */
void flow_ctl_server_alive(struct flow *f, uint64_t asked_ns, uint64_t now_ns);

/* The connection was replaced: forget what the old one's PINGs and stalls said. Called by
 * flow_ctl_rearm. */
void flow_rto_connection_replaced(struct flow *f);

/* A relaxed snapshot of the counters, safe from any thread. */
void flow_counters_read(const struct flow *f, struct flow_counters *out);

#endif /* JW_FLOW_H */
