/* Shared replies: the class table (T) and the in-order matching of their answers (C).
 * The scheme, its checks and the threading contract: flow-t.h ("Shared replies").
 *
 * C's view of a class is a queue of its members (first sends that carried the class's
 * shared reply), in sequence order: the answered ones (provisional) first, then the ones
 * still due. An answer to the shared reply belongs to the oldest due member; a checkpoint
 * (a later first send of the class with its unique reply, answered OK) confirms and
 * reports every member before it, provided each of them was answered. Invariant: an
 * entry's share slot is not FLOW_SHARE_NONE exactly while the entry is a member of its
 * class's queue, and members are never final (whatever finalizes one takes it out of the
 * queue first), so the tail never passes a member and its entry is never reused under it.
 */
#include <string.h>

#include "common/jw_atomic.h"
#include "flow/flow.h"
#include "flow/flow_priv.h"

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire

/* --- T ----------------------------------------------------------------------------------- */

static uint32_t
subject_hash(const char *s, uint32_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h | 1u; /* 0 marks a free class */
}

static void
bind_class(struct flow_share_tx *t, uint32_t k, uint32_t h, const char *subj, uint32_t len)
{
	if (t->run[k] > 0)
		t->open--; /* (only a run whose checkpoint was planned but never sent) */
	t->hash[k] = h;
	t->len[k] = (uint16_t)len;
	t->run[k] = 0;
	t->last_seq[k] = 0;
	memcpy(t->subject[k], subj, len);
}

uint32_t
flow_tx_share_class(struct flow *f, const char *subj, uint32_t len)
{
	struct flow_share_tx *t = &f->tx.share;
	uint32_t h, k;
	uint64_t tail;

	if (!f->p.shared_replies || len == 0 || len > FLOW_SHARE_SUBJECT_MAX)
		return 0;
	h = subject_hash(subj, len);
	for (uint32_t j = 0; j < 4; j++) {
		k = (h + j) & (FLOW_SHARE_CLASSES - 1);
		if (t->hash[k] == h && t->len[k] == len && memcmp(t->subject[k], subj, len) == 0)
			return k + 1;
		if (t->hash[k] == 0) {
			bind_class(t, k, h, subj, len);
			return k + 1;
		}
	}
	/* Full around h: rebind a class whose publishes are all final. Its queue in C is then
	 * empty (members are never final), so no answer of the old subject can be taken for
	 * one of the new subject. acquire pairs with C's release of tail [F2]. */
	tail = atomic_load_explicit(&f->ctl.tail, ACQUIRE);
	for (uint32_t j = 0; j < 4; j++) {
		k = (h + ((t->victim + j) & 3u)) & (FLOW_SHARE_CLASSES - 1); /* in h's window */
		if (t->last_seq[k] <= tail) {
			t->victim++;
			bind_class(t, k, h, subj, len);
			return k + 1;
		}
	}
	return 0;
}

/* The rule of flow_tx_share_pick for class index k whose run so far is `run`. */
static bool
share_takes(const struct flow *f, uint32_t k, bool later, uint32_t run, uint64_t now_ns)
{
	return later && run < FLOW_SHARE_RUN_MAX &&
	       now_ns >= atomic_load_explicit(&f->ctl.share_off_until_ns[k], RELAXED);
}

uint32_t
flow_tx_share_pick(struct flow *f, uint32_t cls, bool later, uint64_t now_ns)
{
	struct flow_share_tx *t = &f->tx.share;
	uint32_t k;

	if (!flow_share_cls_valid(cls))
		return 0;
	k = cls - 1;
	if (share_takes(f, k, later, t->run[k], now_ns)) {
		if (t->run[k]++ == 0)
			t->open++;
		return atomic_load_explicit(&f->ctl.share_gen[k], RELAXED);
	}
	if (t->run[k] > 0)
		t->open--; /* a checkpoint closes the run */
	t->run[k] = 0;
	return 0;
}

void
flow_tx_share_sim_init(const struct flow *f, struct flow_share_sim *sim)
{
	memcpy(sim->run, f->tx.share.run, sizeof(sim->run));
}

uint32_t
flow_tx_share_sim_pick(const struct flow *f, struct flow_share_sim *sim, uint32_t cls,
		       bool later, uint64_t now_ns)
{
	uint32_t k;

	if (!flow_share_cls_valid(cls))
		return 0;
	k = cls - 1;
	if (share_takes(f, k, later, sim->run[k], now_ns)) {
		sim->run[k]++;
		return atomic_load_explicit(&f->ctl.share_gen[k], RELAXED);
	}
	sim->run[k] = 0;
	return 0;
}

/* --- C ----------------------------------------------------------------------------------- */

void
flow_share_init(struct flow *f)
{
	memset(&f->tx.share, 0, sizeof(f->tx.share));
	memset(&f->ctl.share, 0, sizeof(f->ctl.share));
	for (uint32_t k = 0; k < FLOW_SHARE_CLASSES; k++) {
		atomic_store_explicit(&f->ctl.share_gen[k], 1, RELAXED);
		atomic_store_explicit(&f->ctl.share_off_until_ns[k], 0, RELAXED);
	}
}

static struct flow_share_slot *
slot_of(const struct flow *f, uint64_t seq)
{
	return &f->share[seq & f->mask];
}

static void
class_clear(struct flow_share_class *q)
{
	q->n = 0;
	q->n_due = 0;
	q->stream_len = 0;
	q->stream_seq = 0;
	q->err_kind = 0;
}

void
flow_ctl_share_errors_ordered(struct flow *f, bool ordered)
{
	f->ctl.share.errors_ordered = ordered;
}

/* Whether error answer a may stand in class q's queue: errors come in order (a single
 * server: the stream's errors come from where its acks come, a 503 from where the
 * publish was read), and it is the class's one kind of error (its text is kept once). */
static bool
error_fits(const struct flow *f, const struct flow_share_class *q, const struct flow_ack *a)
{
	if (!f->ctl.share.errors_ordered ||
	    (a->kind != FLOW_ACK_ERROR && a->kind != FLOW_ACK_NO_STREAM) ||
	    a->reason_len > FLOW_SHARE_REASON_MAX)
		return false;
	if (q->err_kind == 0)
		return true;
	return q->err_kind == (uint32_t)a->kind && q->err_code == a->code &&
	       q->err_js_code == a->err_code && q->err_reason_len == a->reason_len &&
	       memcmp(q->err_reason, a->reason, a->reason_len) == 0;
}

static void
error_keep(struct flow_share_class *q, const struct flow_ack *a)
{
	if (q->err_kind != 0)
		return;
	q->err_kind = (uint32_t)a->kind;
	q->err_code = a->code;
	q->err_js_code = a->err_code;
	q->err_reason_len = a->reason_len;
	if (a->reason_len > 0)
		memcpy(q->err_reason, a->reason, a->reason_len);
}

/* Takes every member out of class k's queue; resend asks T to send the ones not final again
 * (with unique replies). The generation moves on, so answers to what was sent under the old
 * one are ignored; `cooldown` also keeps T on unique replies for a while. */
static void
class_drop(struct flow *f, uint32_t k, uint64_t now_ns, bool resend, bool cooldown)
{
	struct flow_share_class *q = &f->ctl.share.cls[k];
	uint64_t s = q->head;

	for (uint32_t i = 0; i < q->n; i++) {
		struct flow_share_slot *sl = slot_of(f, s);
		struct flow_entry *e = &f->entries[s & f->mask];
		uint64_t next = sl->next;

		sl->state = FLOW_SHARE_NONE;
		if (resend && !(atomic_load_explicit(&e->state, RELAXED) & FLOW_FINAL) &&
		    flow_request_resend(f, s)) {
			e->rearmed_ns = now_ns; /* its answer is ambiguous now (Karn) */
			e->stall_counted = 0;
			JW_INC(f->ctlc.resend_requests);
		}
		s = next;
	}
	class_clear(q);
	atomic_store_explicit(&f->ctl.share_gen[k],
			      atomic_load_explicit(&f->ctl.share_gen[k], RELAXED) + 1, RELAXED);
	if (cooldown)
		atomic_store_explicit(&f->ctl.share_off_until_ns[k],
				      now_ns + FLOW_SHARE_COOLDOWN_NS, RELAXED);
}

static void
class_break(struct flow *f, uint32_t k, uint64_t now_ns)
{
	JW_INC(f->ctlc.share_breaks);
	class_drop(f, k, now_ns, true, true);
}

void
flow_share_scan(struct flow *f, uint64_t next, uint64_t now_ns)
{
	struct flow_share_ctl *sc = &f->ctl.share;
	/* below the tail everything is final, so no shared first send that was not scanned
	 * (they are not final before their scan); those entries may be T's again */
	uint64_t tail = atomic_load_explicit(&f->ctl.tail, RELAXED); /* C-owned */

	for (uint64_t s = JW_MAX(sc->scanned, tail); s < next; s++) {
		struct flow_entry *e = &f->entries[s & f->mask];
		struct flow_share_class *q;
		uint32_t k;

		if (e->share_gen == 0 || !flow_share_cls_valid(e->share_cls))
			continue;
		k = e->share_cls - 1u;
		if (e->share_gen != atomic_load_explicit(&f->ctl.share_gen[k], RELAXED)) {
			/* T used a generation C had left: its answer will be ignored */
			if (flow_request_resend(f, s)) {
				e->rearmed_ns = now_ns;
				JW_INC(f->ctlc.resend_requests);
			}
			continue;
		}
		q = &sc->cls[k];
		slot_of(f, s)->state = FLOW_SHARE_DUE;
		if (q->n == 0)
			q->head = s;
		else
			slot_of(f, q->last)->next = s;
		q->last = s;
		if (q->n_due == 0)
			q->due = s;
		q->n++;
		q->n_due++;
	}
	if (next > sc->scanned)
		sc->scanned = next;
}

uint64_t
flow_share_answered_ns(const struct flow *f, uint64_t seq)
{
	const struct flow_share_slot *sl = slot_of(f, seq);

	return sl->state == FLOW_SHARE_ANSWERED ? sl->answered_ns : 0;
}

bool
flow_share_member(const struct flow *f, uint64_t seq)
{
	return slot_of(f, seq)->state != FLOW_SHARE_NONE;
}

/* The oldest due member of q (n_due > 0) takes answer a, provisionally. */
static void
take_answer(struct flow *f, struct flow_share_class *q, const struct flow_ack *a,
	    uint64_t now_ns)
{
	struct flow_share_slot *sl = slot_of(f, q->due);

	sl->state = FLOW_SHARE_ANSWERED;
	sl->kind = (uint8_t)a->kind;
	sl->stream_seq = a->kind == FLOW_ACK_OK ? a->stream_seq : 0;
	sl->duplicate = a->kind == FLOW_ACK_OK && a->duplicate;
	sl->answered_ns = now_ns;
	q->n_due--;
	if (q->n_due > 0)
		q->due = sl->next;
	JW_INC(f->ctlc.share_answers);
}

int
flow_share_answer(struct flow *f, const struct flow_ack *a, uint64_t now_ns)
{
	struct flow_share_class *q;
	uint32_t k = a->share_cls;

	if (k >= FLOW_SHARE_CLASSES) {
		JW_INC(f->ctlc.bogus_acks);
		return -ENOENT;
	}
	if (a->share_gen != atomic_load_explicit(&f->ctl.share_gen[k], RELAXED)) {
		JW_INC(f->ctlc.share_stale);
		return -ESTALE;
	}
	/* acquire pairs with T's release of next_seq: the entries are filled [F1] */
	flow_share_scan(f, atomic_load_explicit(&f->tx.next_seq, ACQUIRE), now_ns);
	q = &f->ctl.share.cls[k];
	if (q->n_due > 0 && a->kind != FLOW_ACK_OK && error_fits(f, q, a)) {
		error_keep(q, a);
		take_answer(f, q, a, now_ns);
		return 0;
	}
	if (q->n_due == 0 || a->kind != FLOW_ACK_OK || a->stream_len == 0 ||
	    a->stream_len > FLOW_SHARE_STREAM_MAX ||
	    (q->stream_len != 0 && (a->stream_len != q->stream_len ||
				    memcmp(a->stream, q->stream, q->stream_len) != 0)) ||
	    a->stream_seq <= q->stream_seq) {
		/* an answer nobody waits for, an error (which may overtake the answers to
		 * earlier publishes in a cluster), another stream, a stream sequence that
		 * does not grow (also for duplicates: the records of one subject were first
		 * stored in this order too; an answer delivered twice, as to two connections
		 * of one inbox in a lame-duck move, shows here): the queue cannot be trusted */
		class_break(f, k, now_ns);
		return -EPROTO;
	}
	if (q->stream_len == 0) {
		memcpy(q->stream, a->stream, a->stream_len);
		q->stream_len = a->stream_len;
	}
	q->stream_seq = a->stream_seq;
	take_answer(f, q, a, now_ns);
	return 0;
}

void
flow_share_checkpoint(struct flow *f, uint64_t seq, const struct flow_entry *e,
		      const struct flow_ack *a, uint64_t now_ns, const struct flow_ops *ops)
{
	uint32_t k = e->share_cls - 1u, st = atomic_load_explicit(&e->state, RELAXED);
	struct flow_share_class *q = &f->ctl.share.cls[k];

	if (q->n == 0 || q->head >= seq)
		return; /* nothing of the class before it */
	if ((st & (FLOW_FINAL | FLOW_RESENDS_MASK)) != 0 || e->rearmed_ns != 0 ||
	    (a->kind != FLOW_ACK_OK && !(f->ctl.share.errors_ordered &&
					 (a->kind == FLOW_ACK_ERROR ||
					  a->kind == FLOW_ACK_NO_STREAM))))
		return; /* maybe not the answer to its first send, or one that may overtake */
	if (a->kind == FLOW_ACK_OK && q->stream_len != 0 &&
	    (a->stream_len != q->stream_len || memcmp(a->stream, q->stream, q->stream_len) != 0 ||
	     a->stream_seq <= q->stream_seq)) {
		class_break(f, k, now_ns);
		return;
	}
	/* Every member before it must have been answered, and no member after it: answers
	 * come in order, so anything else means an answer went missing or came unasked. */
	{
		uint64_t s = q->head;
		uint32_t before = 0;

		for (uint32_t i = 0; i < q->n && s < seq; i++) {
			if (slot_of(f, s)->state != FLOW_SHARE_ANSWERED) {
				class_break(f, k, now_ns);
				return;
			}
			before++;
			s = slot_of(f, s)->next;
		}
		if (q->n - q->n_due != before) {
			class_break(f, k, now_ns);
			return;
		}
	}
	while (q->n > 0 && q->head < seq) {
		uint64_t s = q->head;
		struct flow_share_slot *sl = slot_of(f, s);
		struct flow_ack pa;

		sl->state = FLOW_SHARE_NONE;
		q->head = sl->next;
		q->n--;
		memset(&pa, 0, sizeof(pa));
		pa.kind = (enum flow_ack_kind)sl->kind;
		if (sl->kind == FLOW_ACK_OK) {
			pa.stream = q->stream;
			pa.stream_len = q->stream_len;
			pa.stream_seq = sl->stream_seq;
			pa.duplicate = sl->duplicate;
		} else {
			pa.code = q->err_code;
			pa.err_code = q->err_js_code;
			pa.reason = q->err_reason;
			pa.reason_len = q->err_reason_len;
		}
		(void)flow_entry_answer(f, &f->entries[s & f->mask], &pa, sl->answered_ns, now_ns,
					ops);
		JW_INC(f->ctlc.share_confirmed);
	}
	if (q->n == 0)
		class_clear(q);
}

void
flow_share_break_of(struct flow *f, uint64_t seq, uint64_t now_ns)
{
	const struct flow_entry *e = &f->entries[seq & f->mask];

	if (flow_share_member(f, seq) && flow_share_cls_valid(e->share_cls))
		class_break(f, e->share_cls - 1u, now_ns);
}

void
flow_share_reset(struct flow *f, uint64_t now_ns)
{
	/* acquire pairs with T's release of next_seq [F1] */
	flow_share_scan(f, atomic_load_explicit(&f->tx.next_seq, ACQUIRE), now_ns);
	for (uint32_t k = 0; k < FLOW_SHARE_CLASSES; k++)
		class_drop(f, k, now_ns, false, false);
}
