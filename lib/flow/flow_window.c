/* The pending window: sends (T), acks, timeouts and releases (C). Contract: flow-t.h. */
#include <stdlib.h>
#include <string.h>

#include "common/jw_atomic.h"
#include "flow/flow.h"
#include "flow/flow_priv.h"
#include "jetwire.h"

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release

/* Single-writer counter increment: a plain load+store is enough, readers are relaxed. */

static const char timeout_reason[] = "PubAck timeout";

int
flow_params_check(const struct flow_params *p)
{
	if (p == NULL)
		return -EINVAL;
	if (p->dedupe != FLOW_DEDUPE_MSGID && p->dedupe != FLOW_DEDUPE_OFF)
		return -EINVAL;
	if (p->ack_timeout_ns == 0)
		return -EINVAL;
	if (p->adaptive) {
		if (p->window_min == 0 || p->window_min > p->window_max ||
		    p->window_max > FLOW_WINDOW_LIMIT)
			return -EINVAL;
	} else if (p->window_fixed == 0 || p->window_fixed > FLOW_WINDOW_LIMIT) {
		return -EINVAL;
	}
	return 0;
}

static uint32_t
pow2_at_least(uint32_t v)
{
	uint32_t n = 1;

	while (n < v)
		n <<= 1;
	return n;
}

uint32_t
flow_window_start(const struct flow_params *p)
{
	if (!p->adaptive)
		return p->window_fixed;
	if (p->window_start == 0)
		return p->window_min;
	return JW_MIN(JW_MAX(p->window_start, p->window_min), p->window_max);
}

uint32_t
flow_capacity(const struct flow_params *p)
{
	if (flow_params_check(p) != 0)
		return 0;
	return pow2_at_least(p->adaptive ? p->window_max : p->window_fixed);
}

int
flow_init(struct flow *f, const struct flow_params *p)
{
	int rc = flow_params_check(p);

	if (rc != 0)
		return rc;
	memset(f, 0, sizeof(*f));
	f->p = *p;
	f->size = flow_capacity(p);
	f->mask = f->size - 1;
	f->entries = aligned_alloc(JW_CACHE_LINE, sizeof(*f->entries) * f->size);
	f->rq = calloc(f->size, sizeof(*f->rq));
	f->lq = calloc(f->size, sizeof(*f->lq));
	f->share = calloc(f->size, sizeof(*f->share));
	if (f->entries == NULL || f->rq == NULL || f->lq == NULL || f->share == NULL) {
		flow_fini(f);
		return -ENOMEM;
	}
	memset(f->entries, 0, sizeof(*f->entries) * f->size);
	atomic_store_explicit(&f->ctl.window, flow_window_start(p), RELAXED);
	flow_ctlr_init(f);
	flow_rto_init(f);
	flow_share_init(f);
	return 0;
}

void
flow_fini(struct flow *f)
{
	free(f->entries);
	free(f->rq);
	free(f->lq);
	free(f->share);
	f->share = NULL;
	f->entries = NULL;
	f->rq = NULL;
	f->lq = NULL;
}

/* --- T ----------------------------------------------------------------------------------- */

uint32_t
flow_tx_credit(const struct flow *f)
{
	uint64_t next = atomic_load_explicit(&f->tx.next_seq, RELAXED);
	/* acquire pairs with C's release of tail/finalized: entries below tail are ours [F2] */
	uint64_t tail = atomic_load_explicit(&f->ctl.tail, ACQUIRE);
	uint64_t finalized = atomic_load_explicit(&f->ctl.finalized, ACQUIRE); /* [F2] */
	uint64_t outstanding = next - finalized;
	uint64_t w = flow_window(f);
	uint64_t by_window = outstanding >= w ? 0 : w - outstanding;
	uint64_t by_entries = f->size - (next - tail);

	return (uint32_t)JW_MIN(by_window, by_entries);
}

/* Fills the entry of the next sequence and publishes it to C. */
static int
begin(struct flow *f, const struct flow_record *r, uint16_t why, uint64_t now_ns,
      uint64_t *seq)
{
	uint64_t next = atomic_load_explicit(&f->tx.next_seq, RELAXED);
	uint64_t finalized;
	struct flow_entry *e;

	if (flow_tx_credit(f) == 0) {
		JW_INC(f->tx.window_refused);
		return -ENOSPC;
	}
	/* Outside [tail, next): C does not look at this entry until next_seq moves. */
	e = &f->entries[next & f->mask];
	atomic_store_explicit(&e->state, 0, RELAXED);
	e->slot = r->slot;
	e->local_why = why;
	e->retries = 0;
	e->stall_counted = 0;
	e->seq = next;
	e->ring_pos = r->ring_pos;
	e->ring_end = r->ring_end;
	e->producer_seq = r->producer_seq;
	e->sent_ns = now_ns;
	e->rearmed_ns = 0;
	e->share_cls = why == 0 ? r->share_cls : 0;
	e->share_gen = why == 0 ? r->share_gen : 0;
	if (flow_share_cls_valid(e->share_cls))
		f->tx.share.last_seq[e->share_cls - 1u] = next + 1; /* T private */
	if (e->share_gen != 0)
		JW_INC(f->tx.shared_sent);
	/* release: publishes the filled entry to C (acquire in flow_ctl_*) [F1] */
	atomic_store_explicit(&f->tx.next_seq, next + 1, RELEASE);
	finalized = atomic_load_explicit(&f->ctl.finalized, RELAXED);
	if (next + 1 - finalized > atomic_load_explicit(&f->tx.outstanding_hwm, RELAXED))
		atomic_store_explicit(&f->tx.outstanding_hwm, next + 1 - finalized, RELAXED);
	*seq = next;
	return 0;
}

int
flow_tx_begin(struct flow *f, const struct flow_record *r, uint64_t now_ns, uint64_t *seq)
{
	int rc = begin(f, r, 0, now_ns, seq);

	if (rc == 0)
		JW_INC(f->tx.sent);
	return rc;
}

int
flow_tx_begin_failed(struct flow *f, const struct flow_record *r, uint16_t why,
		     uint64_t now_ns, uint64_t *seq)
{
	uint64_t h;
	int rc;

	if (why == 0)
		return -EINVAL;
	rc = begin(f, r, why, now_ns, seq);
	if (rc != 0)
		return rc;
	/* Items are live sequences (at most `size` of them) and C consumes an item before the
	 * entry can be reused, so the queue (size slots) never overflows and T need not read
	 * lq_tail. */
	h = atomic_load_explicit(&f->tx.lq_head, RELAXED); /* T-owned */
	f->lq[h & f->mask] = *seq;
	/* release pairs with C's acquire of lq_head: the value is written [F4] */
	atomic_store_explicit(&f->tx.lq_head, h + 1, RELEASE);
	JW_INC(f->tx.local_failures);
	return 0;
}

static void
record_of(const struct flow_entry *e, struct flow_record *r)
{
	r->slot = e->slot;
	r->ring_pos = e->ring_pos;
	r->ring_end = e->ring_end;
	r->producer_seq = e->producer_seq;
}

/* Claims a resend of live publish seq for T; counts it under `cause`. */
static int
claim(struct flow *f, uint64_t seq, struct flow_record *r, _Atomic uint64_t *cause)
{
	uint64_t next = atomic_load_explicit(&f->tx.next_seq, RELAXED);
	uint64_t tail = atomic_load_explicit(&f->ctl.tail, ACQUIRE); /* [F2] */
	struct flow_entry *e;
	uint32_t st;

	if (seq < tail || seq >= next)
		return -ENOENT;
	e = &f->entries[seq & f->mask];
	if (e->local_why != 0)
		return -ENOENT; /* never sent: C fails it */
	st = atomic_load_explicit(&e->state, RELAXED);
	do {
		if (st & FLOW_FINAL)
			return -ENOENT;
		/* seq_cst CAS: ordered against C's final CAS [F5] */
	} while (!atomic_compare_exchange_weak_explicit(&e->state, &st, st + 1,
						       memory_order_seq_cst, memory_order_seq_cst));
	record_of(e, r); /* T-filled fields: stable while live */
	JW_INC(f->tx.resent);
	JW_INC(*cause);
	return 0;
}

int
flow_tx_claim_resend(struct flow *f, uint64_t seq, struct flow_record *r)
{
	return claim(f, seq, r, &f->tx.resent_reconnect);
}

int
flow_tx_next_resend(struct flow *f, uint64_t *seq, struct flow_record *r)
{
	uint64_t t = atomic_load_explicit(&f->tx.rq_tail, RELAXED);
	/* acquire pairs with C's release of rq_head: the queued value is visible [F3] */
	uint64_t h = atomic_load_explicit(&f->ctl.rq_head, ACQUIRE);

	while (t != h) {
		uint64_t s = f->rq[t & f->mask];

		t++;
		/* release pairs with C's acquire of rq_tail: the slot may be overwritten [F3] */
		atomic_store_explicit(&f->tx.rq_tail, t, RELEASE);
		if (claim(f, s, r, &f->tx.resent_loss) == 0) {
			*seq = s;
			return 1;
		}
	}
	return 0;
}

void
flow_tx_live_range(const struct flow *f, uint64_t *lo, uint64_t *hi)
{
	*lo = atomic_load_explicit(&f->ctl.tail, ACQUIRE); /* [F2] */
	*hi = atomic_load_explicit(&f->tx.next_seq, RELAXED);
}

/* --- C ----------------------------------------------------------------------------------- */

/* Up to this many producer slots' releases are batched while the tail advances. */
#define RELEASE_BATCH 8

struct release_batch {
	uint32_t n;
	uint16_t slot[RELEASE_BATCH];
	uint64_t end[RELEASE_BATCH];
};

static void
release_flush(struct release_batch *b, const struct flow_ops *ops)
{
	for (uint32_t i = 0; i < b->n; i++)
		ops->release(ops->ctx, b->slot[i], b->end[i]);
	b->n = 0;
}

static void
release_add(struct release_batch *b, uint16_t slot, uint64_t end, const struct flow_ops *ops)
{
	for (uint32_t i = 0; i < b->n; i++) {
		if (b->slot[i] == slot) {
			b->end[i] = end; /* ring order: ends only grow */
			return;
		}
	}
	if (b->n == RELEASE_BATCH)
		release_flush(b, ops);
	b->slot[b->n] = slot;
	b->end[b->n] = end;
	b->n++;
}

/* Moves the tail over the contiguous final publishes, releasing their ring space in ring
 * order (global send order restricted to one slot is that slot's ring order). */
static void
advance_tail(struct flow *f, const struct flow_ops *ops)
{
	uint64_t tail = atomic_load_explicit(&f->ctl.tail, RELAXED); /* C-owned */
	uint64_t next = atomic_load_explicit(&f->tx.next_seq, ACQUIRE); /* [F1] */
	uint64_t start = tail;
	struct release_batch b;

	b.n = 0;
	while (tail < next) {
		struct flow_entry *e = &f->entries[tail & f->mask];

		if (!(atomic_load_explicit(&e->state, RELAXED) & FLOW_FINAL))
			break;
		release_add(&b, e->slot, e->ring_end, ops);
		tail++;
	}
	if (tail == start)
		return;
	release_flush(&b, ops);
	/* release pairs with T's acquire of tail: we are done with the entries below it [F2] */
	atomic_store_explicit(&f->ctl.tail, tail, RELEASE);
}

/* Makes the publish of entry e final; returns the resends that were transmitted. */
static uint32_t
finalize(struct flow *f, struct flow_entry *e, bool *was_final)
{
	uint32_t st = atomic_load_explicit(&e->state, RELAXED);

	do {
		if (st & FLOW_FINAL) {
			*was_final = true;
			return st & FLOW_RESENDS_MASK;
		}
		/* seq_cst CAS: ordered against T's resend claim [F5] */
	} while (!atomic_compare_exchange_weak_explicit(&e->state, &st, st | FLOW_FINAL,
						       memory_order_seq_cst, memory_order_seq_cst));
	*was_final = false;
	/* release: T's credit may count this publish as done [F2] */
	atomic_store_explicit(&f->ctl.finalized,
			      atomic_load_explicit(&f->ctl.finalized, RELAXED) + 1, RELEASE);
	return st & FLOW_RESENDS_MASK;
}

static void
outcome_init(const struct flow *f, const struct flow_entry *e, uint32_t resends,
	     uint64_t now_ns, struct flow_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->slot = e->slot;
	o->producer_seq = e->producer_seq;
	o->seq = e->seq;
	o->latency_ns = now_ns > e->sent_ns ? now_ns - e->sent_ns : 0;
	o->resends = resends;
	o->maybe_duplicate = f->p.dedupe == FLOW_DEDUPE_OFF && resends > 0;
}

static void
fail_outcome(struct flow_outcome *o, uint16_t why, int32_t code, int32_t err_code,
	     const char *reason, uint32_t reason_len)
{
	o->status = FLOW_FAILED;
	o->why = why;
	o->code = code;
	o->err_code = err_code;
	o->reason = reason;
	o->reason_len = reason_len;
}

static const char no_stream_reason[] = "no stream captures the subject (503 no responders)";
static const char bad_ack_reason[] = "unparseable PubAck";

int
flow_entry_answer(struct flow *f, struct flow_entry *e, const struct flow_ack *a,
		  uint64_t answered_ns, uint64_t now_ns, const struct flow_ops *ops)
{
	struct flow_outcome o;
	uint32_t resends;
	bool was_final;

	resends = finalize(f, e, &was_final);
	if (was_final) {
		JW_INC(f->ctlc.repeat_acks);
		return -EALREADY;
	}
	outcome_init(f, e, resends, now_ns, &o);
	switch (a->kind) {
	case FLOW_ACK_OK:
		o.status = FLOW_ACKED;
		o.stream = a->stream;
		o.stream_len = a->stream_len;
		o.stream_seq = a->stream_seq;
		o.duplicate = a->duplicate;
		JW_INC(f->ctlc.acked);
		if (a->duplicate)
			JW_INC(f->ctlc.duplicates);
		break;
	case FLOW_ACK_ERROR:
		fail_outcome(&o, JW_R_JS_ERROR, a->code, a->err_code, a->reason, a->reason_len);
		break;
	case FLOW_ACK_NO_STREAM:
		if (a->reason_len > 0)
			fail_outcome(&o, JW_R_NO_STREAM, 503, 0, a->reason, a->reason_len);
		else
			fail_outcome(&o, JW_R_NO_STREAM, 503, 0, no_stream_reason,
				     sizeof(no_stream_reason) - 1);
		break;
	case FLOW_ACK_BAD:
	default:
		fail_outcome(&o, JW_R_JS_ERROR, 0, 0, bad_ack_reason, sizeof(bad_ack_reason) - 1);
		break;
	}
	if (o.status == FLOW_FAILED)
		JW_INC(f->ctlc.failed);
	if (o.maybe_duplicate)
		JW_INC(f->ctlc.maybe_duplicates);
	/* Karn: a resent publish's latency is ambiguous (and so is one rearmed by a
	 * reconnect); its ack still counts for the rate and as evidence of progress */
	{
		bool clean = resends == 0 && e->rearmed_ns == 0;
		uint64_t lat = answered_ns > e->sent_ns ? answered_ns - e->sent_ns : 0;

		flow_rto_on_ack(f, e->sent_ns, lat, clean, answered_ns);
		flow_ctlr_sample(f, e->seq, e->sent_ns, lat, clean && a->kind == FLOW_ACK_OK,
				 now_ns);
	}
	ops->report(ops->ctx, &o);
	return 0;
}

int
flow_ctl_ack(struct flow *f, uint64_t seq, const struct flow_ack *a, uint64_t now_ns,
	     const struct flow_ops *ops)
{
	uint64_t tail = atomic_load_explicit(&f->ctl.tail, RELAXED); /* C-owned */
	/* acquire pairs with T's release of next_seq: entries below it are filled [F1] */
	uint64_t next = atomic_load_explicit(&f->tx.next_seq, ACQUIRE);
	struct flow_entry *e;
	int rc;

	if (a->share_gen != 0)
		return flow_share_answer(f, a, now_ns); /* provisional until a checkpoint */
	if (seq < tail) {
		JW_INC(f->ctlc.late_acks);
		return -ESTALE;
	}
	if (seq >= next) {
		JW_INC(f->ctlc.bogus_acks);
		return -ENOENT;
	}
	e = &f->entries[seq & f->mask];
	flow_share_scan(f, next, now_ns);
	if (flow_share_member(f, seq))
		flow_share_break_of(f, seq, now_ns); /* a resend's answer to a shared publish */
	else if (flow_share_cls_valid(e->share_cls))
		flow_share_checkpoint(f, seq, e, a, now_ns, ops);
	rc = flow_entry_answer(f, e, a, now_ns, now_ns, ops);
	advance_tail(f, ops);
	return rc;
}

bool
flow_request_resend(struct flow *f, uint64_t seq)
{
	uint64_t h = atomic_load_explicit(&f->ctl.rq_head, RELAXED); /* C-owned */
	/* acquire pairs with T's release of rq_tail: that slot has been read [F3] */
	uint64_t t = atomic_load_explicit(&f->tx.rq_tail, ACQUIRE);

	if (h - t >= f->size)
		return false;
	f->rq[h & f->mask] = seq;
	/* release pairs with T's acquire of rq_head: the value is written [F3] */
	atomic_store_explicit(&f->ctl.rq_head, h + 1, RELEASE);
	return true;
}

static void
fail_entry(struct flow *f, struct flow_entry *e, uint64_t now_ns, uint16_t why, int32_t code,
	   const char *reason, uint32_t reason_len, const struct flow_ops *ops)
{
	struct flow_outcome o;
	uint32_t resends;
	bool was_final;

	resends = finalize(f, e, &was_final);
	if (was_final)
		return;
	outcome_init(f, e, resends, now_ns, &o);
	fail_outcome(&o, why, code, 0, reason, reason_len);
	JW_INC(f->ctlc.failed);
	if (o.maybe_duplicate)
		JW_INC(f->ctlc.maybe_duplicates);
	ops->report(ops->ctx, &o);
}

uint32_t
flow_ctl_poll_local(struct flow *f, uint64_t now_ns, const struct flow_ops *ops)
{
	uint64_t t = atomic_load_explicit(&f->ctl.lq_tail, RELAXED); /* C-owned */
	/* acquire pairs with T's release of lq_head: the value and its entry are written [F4] */
	uint64_t h = atomic_load_explicit(&f->tx.lq_head, ACQUIRE);
	uint32_t n = 0;

	for (; t != h; t++, n++) {
		uint64_t seq = f->lq[t & f->mask];
		struct flow_entry *e = &f->entries[seq & f->mask];

		fail_entry(f, e, now_ns, e->local_why, 0, NULL, 0, ops);
	}
	/* release: no reader pairs with it (T never reads lq_tail, flow-t.h) [F4] */
	atomic_store_explicit(&f->ctl.lq_tail, t, RELEASE);
	if (n > 0)
		advance_tail(f, ops);
	return n;
}

uint32_t
flow_ctl_scan_timeouts(struct flow *f, uint64_t now_ns, const struct flow_ops *ops)
{
	uint64_t tail = atomic_load_explicit(&f->ctl.tail, RELAXED);
	uint64_t next = atomic_load_explicit(&f->tx.next_seq, ACQUIRE); /* [F1] */
	uint64_t timeout = flow_rto_ns(f);
	uint32_t n = 0, stalled = 0;
	bool budget_left = true;

	flow_share_scan(f, next, now_ns);

	for (uint64_t s = tail; s < next; s++) {
		struct flow_entry *e = &f->entries[s & f->mask];
		uint64_t last;

		/* First sends are in sequence order: nothing later has timed out yet. */
		if (now_ns < e->sent_ns + timeout)
			break;
		if ((atomic_load_explicit(&e->state, RELAXED) & FLOW_FINAL) || e->local_why != 0)
			continue; /* local failures are C's to report via the queue */
		last = e->rearmed_ns != 0 ? e->rearmed_ns : e->sent_ns;
		/* a shared publish already answered waits for its checkpoint: overdue only
		 * counting from its answer, and only on evidence that the server moved on
		 * since (not while it is stalled) */
		last = JW_MAX(last, flow_share_answered_ns(f, s));
		switch (flow_rto_judge(f, last, e->retries, now_ns)) {
		case FLOW_NOT_DUE:
			continue;
		case FLOW_STALLED:
			stalled++;
			if (!e->stall_counted) {
				e->stall_counted = 1;
				JW_INC(f->ctlc.stalled_suppressed);
			}
			continue;
		case FLOW_LOST:
		default:
			break;
		}
		if (flow_share_member(f, s)) {
			/* a shared publish without its answer, or one never confirmed: its class
			 * is out of step; it resends its unconfirmed publishes itself */
			JW_INC(f->ctlc.timeouts);
			flow_share_break_of(f, s, now_ns);
			n++;
			continue;
		}
		if (e->retries < f->p.max_retries) {
			if (!budget_left || !flow_rto_budget_take(f, now_ns)) {
				budget_left = false;
				continue; /* the next round trip's budget will take it */
			}
			if (!flow_request_resend(f, s))
				break; /* queue full: T is behind, look again next scan */
			n++;
			JW_INC(f->ctlc.timeouts);
			e->retries++;
			e->rearmed_ns = now_ns;
			e->stall_counted = 0;
			JW_INC(f->ctlc.resend_requests);
		} else {
			n++;
			JW_INC(f->ctlc.timeouts);
			JW_INC(f->ctlc.timeout_failures);
			fail_entry(f, e, now_ns, JW_R_TIMEOUT, 408, timeout_reason,
				   sizeof(timeout_reason) - 1, ops);
		}
	}
	if (stalled > 0)
		flow_rto_stalled(f, now_ns);
	advance_tail(f, ops);
	return n;
}

void
flow_ctl_rearm(struct flow *f, uint64_t now_ns)
{
	uint64_t tail = atomic_load_explicit(&f->ctl.tail, RELAXED);
	uint64_t next = atomic_load_explicit(&f->tx.next_seq, ACQUIRE); /* [F1] */

	for (uint64_t s = tail; s < next; s++) {
		struct flow_entry *e = &f->entries[s & f->mask];

		if (!(atomic_load_explicit(&e->state, RELAXED) & FLOW_FINAL)) {
			e->rearmed_ns = now_ns;
			e->stall_counted = 0;
		}
	}
	flow_share_reset(f, now_ns); /* T sends the live range again, with unique replies */
	flow_rto_connection_replaced(f);
}

uint32_t
flow_ctl_fail_all(struct flow *f, uint16_t why, int32_t code, const char *reason,
		  const struct flow_ops *ops)
{
	uint64_t tail = atomic_load_explicit(&f->ctl.tail, RELAXED);
	uint64_t next = atomic_load_explicit(&f->tx.next_seq, ACQUIRE); /* [F1] */
	uint32_t len = reason != NULL ? (uint32_t)strlen(reason) : 0;
	uint32_t n = 0;

	flow_share_reset(f, 0);

	for (uint64_t s = tail; s < next; s++) {
		struct flow_entry *e = &f->entries[s & f->mask];

		if (atomic_load_explicit(&e->state, RELAXED) & FLOW_FINAL)
			continue;
		fail_entry(f, e, e->sent_ns, why, code, reason, len, ops);
		n++;
	}
	advance_tail(f, ops);
	return n;
}

void
flow_counters_read(const struct flow *f, struct flow_counters *out)
{
#define RD(x) atomic_load_explicit(&(x), RELAXED)
	uint64_t next = RD(f->tx.next_seq);
	uint64_t fin = RD(f->ctl.finalized);

	memset(out, 0, sizeof(*out));
	out->tx.sent = RD(f->tx.sent);
	out->tx.resent = RD(f->tx.resent);
	out->tx.resent_loss = RD(f->tx.resent_loss);
	out->tx.resent_reconnect = RD(f->tx.resent_reconnect);
	out->tx.window_refused = RD(f->tx.window_refused);
	out->tx.outstanding_hwm = RD(f->tx.outstanding_hwm);
	out->tx.local_failures = RD(f->tx.local_failures);
	out->tx.shared_sent = RD(f->tx.shared_sent);
	out->ctl.share_answers = RD(f->ctlc.share_answers);
	out->ctl.share_confirmed = RD(f->ctlc.share_confirmed);
	out->ctl.share_breaks = RD(f->ctlc.share_breaks);
	out->ctl.share_stale = RD(f->ctlc.share_stale);
	out->ctl.acked = RD(f->ctlc.acked);
	out->ctl.failed = RD(f->ctlc.failed);
	out->ctl.duplicates = RD(f->ctlc.duplicates);
	out->ctl.maybe_duplicates = RD(f->ctlc.maybe_duplicates);
	out->ctl.late_acks = RD(f->ctlc.late_acks);
	out->ctl.repeat_acks = RD(f->ctlc.repeat_acks);
	out->ctl.bogus_acks = RD(f->ctlc.bogus_acks);
	out->ctl.timeouts = RD(f->ctlc.timeouts);
	out->ctl.resend_requests = RD(f->ctlc.resend_requests);
	out->ctl.timeout_failures = RD(f->ctlc.timeout_failures);
	out->ctl.stalled_suppressed = RD(f->ctlc.stalled_suppressed);
	out->ctl.budget_deferred = RD(f->ctlc.budget_deferred);
	out->ctl.liveness_probes = RD(f->ctlc.liveness_probes);
	out->ctl.window_increases = RD(f->ctlc.window_increases);
	out->ctl.window_decreases = RD(f->ctlc.window_decreases);
	out->ctl.probes_up = RD(f->ctlc.probes_up);
	out->ctl.probes_down = RD(f->ctlc.probes_down);
	out->ctl.probes_kept = RD(f->ctlc.probes_kept);
	out->ctlr.phase = RD(f->ctl.phase);
	out->ctlr.held_window = RD(f->ctl.held);
	out->ctlr.max_rate = RD(f->ctl.max_rate);
	out->ctlr.min_latency_ns = RD(f->ctl.min_latency_ns);
	out->ctlr.last_rate = RD(f->ctl.last_rate);
	out->rto.srtt_ns = RD(f->ctl.srtt_ns);
	out->rto.rttvar_ns = RD(f->ctl.rttvar_ns);
	out->rto.rto_ns = RD(f->ctl.rto_ns);
	out->window = RD(f->ctl.window);
	out->outstanding = next >= fin ? next - fin : 0;
	out->ack_latency_ewma_ns = out->rto.srtt_ns;
#undef RD
}
