/* The TX lcore loop: records from the producer rings become HPUB frames in TCP segments.
 *
 * Output order on the byte stream of one connection: protocol lines the session asked for
 * (greeting first on a new connection), then publish frames. A frame that does not fit the
 * TCP send queue stays active and is finished first in the next iteration; nothing else is
 * written meanwhile, so frames never interleave.
 *
 * Shared memory is not trusted: the subject and header block of every record are copied out
 * and checked again on the copy before they reach the wire (a producer could change the
 * ring bytes after jw_shm_peek validated them); a payload is length-delimited, so it is
 * framed straight from the ring. A resent record is copied whole and used only if the
 * record was still held after the copy (jw_shm_is_held), so a torn copy is never sent.
 */
#include <string.h>

#include <urcu-qsbr.h>

#include "common/jw_atomic.h"
#include "common/jw_time.h"
#include "engine/engine.h"
#include "engine/engine_out.h"
#include "flow/flow.h"
#include "flow/flow_ident.h"
#include "jetwire.h"
#include "nats/nats_enc.h"
#include "nats/nats_validate.h"
#include "session/session.h"
#include "shm/shm.h"
#include "stats/stats.h"
#include "tcp/tcp.h"
#include "tls/tls.h"

#define PEEK_MAX 32
/* TLS 1.3: a slot visit may take more than [flow] burst records, as many as fill one
 * 16 KiB record (see drain_slot), up to this many */
#define TLS_PEEK_MAX 128
/* Shared replies: how far a slot visit looks for later records of the same subjects */
#define SHARE_LOOK TLS_PEEK_MAX

/* A first send's choice of reply (flow-t.h, "Shared replies"): the last record of each
 * reply class among the records in sight, so that a publish shares its class's reply only
 * when a later one of the class (at the latest, its checkpoint) follows. */
struct share_plan {
	uint16_t last_of[FLOW_SHARE_CLASSES]; /* index in the batch, SHARE_NONE if none */
	uint8_t hint[TLS_PEEK_MAX];           /* class + 1 of each view (0: not looked up) */
	uint32_t k;                           /* the record being prepared */
	uint64_t now_ns;
	uint32_t cls, gen;                    /* out: flow_record's share_cls, share_gen */
};
#define SHARE_NONE UINT16_MAX

/* Copies a record's subject and header block into T's buffers, checks them again, and
 * fills the frame description for publish sequence seq. payload points at the bytes to
 * send. plan (first sends; NULL for resends, which always carry their unique reply) picks
 * the reply from the copied subject. Returns 0, or the JW_R_* reason to fail the record
 * with. */
static int
prepare(struct engine_conn *c, uint32_t slot_index, uint32_t gen, const struct jw_shm_view *v,
	const uint8_t *payload, uint64_t seq, struct share_plan *plan, struct nats_pub *m)
{
	uint32_t maxp = session_max_payload(&c->sess);
	struct flow_msgid_parts id = c->msgid_base;
	size_t msgid_len = 0;

	if (v->reason != 0)
		return (int)v->reason;
	if (v->subject_len == 0 || v->subject_len > sizeof(c->t.subject))
		return JW_R_BAD_SUBJECT;
	memcpy(c->t.subject, v->subject, v->subject_len);
	if (nats_subject_check(c->t.subject, v->subject_len) != 0)
		return JW_R_BAD_SUBJECT;
	if (v->hdr_len > sizeof(c->t.hdr))
		return JW_R_BAD_HEADER;
	if (v->hdr_len > 0) {
		memcpy(c->t.hdr, v->hdr, v->hdr_len);
		if (nats_hdr_check(c->t.hdr, v->hdr_len) != 0)
			return JW_R_BAD_HEADER;
	}
	if (flow_dedupe_msgid(&c->flow)) {
		id.slot = slot_index;
		id.gen = gen;
		id.producer_seq = v->seq;
		msgid_len = flow_msgid_format(&id, c->t.msgid);
	}
	if (maxp != 0 && nats_hdr_size(msgid_len, v->hdr_len) + v->payload_len > maxp)
		return JW_R_TOO_BIG;
	memset(m, 0, sizeof(*m));
	m->subject = c->t.subject;
	m->subject_len = v->subject_len;
	m->reply = c->t.reply;
	if (plan != NULL) {
		/* the view's class from the plan when the copy is still that class's subject
		 * (no second hash), else looked up on the copy */
		uint32_t cls = plan->hint[plan->k];
		bool later;

		if (cls == 0 || !flow_tx_share_is(&c->flow, cls, c->t.subject, v->subject_len))
			cls = flow_tx_share_class(&c->flow, c->t.subject, v->subject_len);
		later = cls != 0 && plan->last_of[cls - 1] != SHARE_NONE &&
			     plan->last_of[cls - 1] > plan->k;

		plan->cls = cls;
		plan->gen = flow_tx_share_pick(&c->flow, cls, later, plan->now_ns);
	}
	if (plan != NULL && plan->gen != 0)
		m->reply_len = flow_reply_format_shared(&c->sess.inbox, plan->cls - 1, plan->gen,
							c->t.reply);
	else
		m->reply_len = flow_reply_format(&c->sess.inbox, seq, c->t.reply_mark, c->t.reply);
	m->msg_id = msgid_len ? c->t.msgid : NULL;
	m->msg_id_len = msgid_len;
	m->hdr = v->hdr_len ? c->t.hdr : NULL;
	m->hdr_len = v->hdr_len;
	m->payload = payload;
	m->payload_len = v->payload_len;
	return 0;
}

static bool
tcp_has_room(struct tcp_conn *tcp)
{
	uint32_t room;

	return tcp_tx_buf(tcp, &room) != NULL;
}

/* Resends the live publish seq (already claimed): the record is read again from its ring,
 * copied, and framed when it was still held after the copy. */
static void
resend_one(struct engine_conn *c, struct tcp_conn *tcp, uint64_t seq, const struct flow_record *r)
{
	struct engine *e = c->eng;
	struct jw_shm_slot *s = jw_shm_slot(e->shm, c->index, r->slot);
	struct jw_shm_view v;
	struct nats_pub m;
	uint64_t before = c->t.wire_bytes;

	if (s == NULL || jw_shm_read_at(e->shm, s, r->ring_pos, &v) != 0)
		return; /* released (final) meanwhile, or no longer valid: it times out */
	if (v.payload_len > e->shm->ring_bytes)
		return;
	memcpy(c->t.resend_buf, v.payload, v.payload_len);
	if (prepare(c, r->slot, jw_shm_slot_gen(s), &v, c->t.resend_buf, seq, NULL, &m) != 0)
		return;
	if (!jw_shm_is_held(s, r->ring_pos)) {
		/* released meanwhile: the copy may be torn. One writer (this TX lcore). */
		JW_INC(c->t.resend_torn);
		return;
	}
	if (engine_out_frame(c, tcp, &m) > 0)
		jw_stats_count_resent(c->t.st, 1, c->t.wire_bytes - before);
}

/* After a (re)connect: every live publish goes out again, in sequence order; at most
 * limit of them (the first-answer gate passes 1). */
static bool
resend_live(struct engine_conn *c, struct tcp_conn *tcp, uint32_t limit)
{
	struct flow_record r;
	bool work = false;

	while (limit > 0 && c->t.resend_cursor < c->t.resend_hi && !c->t.frame_active &&
	       tcp_has_room(tcp)) {
		uint64_t seq = c->t.resend_cursor++;

		if (flow_tx_claim_resend(&c->flow, seq, &r) == 0) {
			resend_one(c, tcp, seq, &r);
			work = true;
			limit--;
		}
	}
	return work;
}

/* The first-answer gate's budget for this iteration (engine_gate_budget). While gated,
 * whatever this iteration frames (the gate's publish, a hold's probe, a resend at its
 * timeout) carries this connection's reply mark: only an answer with it opens the gate. */
static uint32_t
gate_budget(struct engine_conn *c)
{
	uint64_t lo = 0, hi = 0;
	/* after the acquire of READY [E6] */
	bool gated = atomic_load_explicit(&c->first_answer, memory_order_relaxed) != 0;

	c->t.reply_mark = gated ? session_reply_mark(c->t.epoch) : 0;
	if (gated && c->t.gate_sent)
		flow_tx_live_range(&c->flow, &lo, &hi);
	return engine_gate_budget(gated, &c->t.gate_sent, lo < hi);
}

/* A publish went out under budget: a gated one spends the gate. */
static void
gate_spent(struct engine_conn *c, uint32_t *budget)
{
	if (*budget != UINT32_MAX) {
		c->t.gate_sent = true;
		*budget = 0;
	}
}

/* Hold probe: resends the lowest live publish alone (stop-and-wait), when C asks. */
static bool
probe_one(struct engine_conn *c, struct tcp_conn *tcp)
{
	uint32_t req = atomic_load_explicit(&c->probe_req, memory_order_acquire); /* [E2] */
	uint64_t lo, hi;
	struct flow_record r;

	if (req == atomic_load_explicit(&c->probe_done, memory_order_relaxed) ||
	    c->t.frame_active || !tcp_has_room(tcp))
		return false;
	flow_tx_live_range(&c->flow, &lo, &hi);
	for (uint64_t seq = lo; seq < hi; seq++)
		if (flow_tx_claim_resend(&c->flow, seq, &r) == 0) {
			resend_one(c, tcp, seq, &r);
			atomic_store_explicit(&c->probe_seq, seq, memory_order_relaxed);
			break;
		}
	/* release: C sees probe_seq with probe_done [E3] */
	atomic_store_explicit(&c->probe_done, req, memory_order_release);
	return true;
}

/* Resends the control lcore asked for after PubAck timeouts. */
static bool
resend_requested(struct engine_conn *c, struct tcp_conn *tcp)
{
	bool work = false;

	while (!c->t.frame_active && tcp_has_room(tcp)) {
		uint64_t seq;
		struct flow_record r;

		if (flow_tx_next_resend(&c->flow, &seq, &r) != 1)
			break;
		resend_one(c, tcp, seq, &r);
		work = true;
	}
	return work;
}

/* The length of the reply view k will carry: the one prepare() picks with plan (NULL: no
 * plan, the unique reply), predicted without picking (sim follows the picks). */
static uint32_t
reply_len_of(struct engine_conn *c, const struct share_plan *plan, struct flow_share_sim *sim,
	     uint32_t k, uint64_t seq)
{
	if (plan != NULL) {
		uint32_t cls = plan->hint[k], g;
		bool later = cls != 0 && plan->last_of[cls - 1] != SHARE_NONE &&
			     plan->last_of[cls - 1] > k;

		g = flow_tx_share_sim_pick(&c->flow, sim, cls, later, plan->now_ns);
		if (g != 0)
			return flow_reply_shared_len(&c->sess.inbox, cls - 1, g);
	}
	return (uint32_t)flow_reply_len(&c->sess.inbox, seq, c->t.reply_mark);
}

/* The exact bytes the frames of views v[0..*n) will take (as prepare() and engine_out_frame() will
 * write them, with the sequences and, with a plan, the replies they will get), for sizing
 * spanning TLS records. Views that will fail count 0; a view that turns out different when
 * prepare() copies it (or a class that C broke meanwhile, whose generation then has another
 * length) only makes the last record carry some padding, or a frame end in the next record.
 * Past the first keep views, *n is cut where the total would pass budget (so that a visit
 * fills whole 16 KiB records). */
static uint64_t
frames_bytes(struct engine_conn *c, uint32_t slot_index, uint32_t gen,
	     const struct jw_shm_view *v, uint32_t *n, uint32_t keep, uint64_t budget,
	     const struct share_plan *plan)
{
	struct flow_msgid_parts id = c->msgid_base;
	uint64_t seq = flow_tx_next_seq(&c->flow), total = 0;
	uint32_t maxp = session_max_payload(&c->sess);
	static const char dummy[1]; /* nats_pub_size reads lengths, not the strings */
	struct flow_share_sim sim;

	if (plan != NULL)
		flow_tx_share_sim_init(&c->flow, &sim);
	for (uint32_t k = 0; k < *n; k++, seq++) {
		struct nats_pub m;
		ssize_t sz;

		if (v[k].reason != 0 || v[k].subject_len == 0)
			continue;
		memset(&m, 0, sizeof(m));
		m.subject = v[k].subject;
		m.subject_len = v[k].subject_len;
		m.reply = dummy;
		if (flow_dedupe_msgid(&c->flow)) {
			id.slot = slot_index;
			id.gen = gen;
			id.producer_seq = v[k].seq;
			m.msg_id = dummy;
			m.msg_id_len = flow_msgid_len(&id);
		}
		m.hdr = v[k].hdr_len ? v[k].hdr : NULL;
		m.hdr_len = v[k].hdr_len;
		m.payload = v[k].payload;
		m.payload_len = v[k].payload_len;
		if (maxp != 0 && nats_hdr_size(m.msg_id_len, m.hdr_len) + m.payload_len > maxp)
			continue; /* prepare() fails it: too big (before it picks a reply) */
		m.reply_len = reply_len_of(c, plan, &sim, k, seq);
		sz = nats_pub_size(&m);
		if (sz <= 0)
			continue;
		if (k >= keep && total + (uint64_t)sz > budget) {
			*n = k;
			break;
		}
		total += (uint64_t)sz;
	}
	return total;
}

/* New records of one slot: up to max ([flow] burst and the window's credit). TLS 1.3
 * takes more when they are small, up to credit: as many as fill 16 KiB records, so that
 * the server decrypts and parses one large record per read, as a kernel client's large
 * writes give it (a burst of 32 records of 128 bytes is ~7 KB). Returns how many were taken.
 */
static uint32_t
drain_slot(struct engine_conn *c, struct tcp_conn *tcp, uint32_t idx, uint32_t max,
	   uint32_t credit, uint64_t now_ns, bool closing)
{
	struct engine *e = c->eng;
	struct jw_shm_slot *s = jw_shm_slot(e->shm, c->index, idx);
	struct jw_shm_view v[TLS_PEEK_MAX];
	uint64_t payload_bytes = 0, before = c->t.wire_bytes, sent_end = 0;
	uint32_t n, n_look, look, k, sent = 0, gen, want = JW_MIN(max, (uint32_t)PEEK_MAX);
	bool span = c->t.tls_on && c->t.tls_tx.version == TLS_V13, use_plan, can_share, planned;
	struct share_plan plan;

	if (jw_shm_head(s) == jw_shm_sent(s))
		return 0;
	if (span && c->t.tls_frame_avg > 0) /* the frames of the last visit's size */
		want = JW_MAX(want, JW_MIN(JW_MIN(credit, (uint32_t)TLS_PEEK_MAX),
					   (uint32_t)TLS_PLAIN_MAX / c->t.tls_frame_avg + 1));
	/* Shared replies look further than this visit takes (up to SHARE_LOOK records, which
	 * later visits take: they are within the window's credit), so that fewer publishes
	 * are the last of their subject in sight and need their unique reply. */
	look = want;
	can_share = !closing && c->t.reply_mark == 0 && flow_shared_replies(&c->flow);
	if (can_share)
		look = JW_MAX(want, JW_MIN((uint32_t)SHARE_LOOK, credit / 2));
	n_look = jw_shm_peek(e->shm, s, v, look);
	if (n_look == 0)
		return 0;
	n = JW_MIN(n_look, want);
	gen = jw_shm_slot_gen(s);
	/* Every first send records its class (one with its unique reply is a checkpoint of its
	 * class), but only a planned visit lets one share: not while the first-answer gate
	 * wants this connection's mark, nor in a drain, nor when the credit could not cover
	 * the records in sight (a checkpoint must follow). The views' classes are only a plan,
	 * from the ring's bytes: prepare() looks the copied subject up again. */
	use_plan = flow_shared_replies(&c->flow);
	planned = can_share && credit >= 2 * n_look;
	memset(plan.last_of, 0xff, sizeof(plan.last_of));
	memset(plan.hint, 0, n_look);
	plan.now_ns = now_ns;
	if (planned) {
		for (k = 0; k < n_look; k++) {
			uint32_t cls;

			if (v[k].reason != 0)
				continue;
			cls = flow_tx_share_class(&c->flow, v[k].subject, v[k].subject_len);
			plan.hint[k] = (uint8_t)cls;
			if (cls != 0)
				plan.last_of[cls - 1] = (uint16_t)k;
		}
	}
	/* TLS 1.3 sizes its records by the frames, replies included: the plan's picks are
	 * predicted (frames_bytes), then made (prepare). */
	if (span) {
		uint32_t keep = JW_MIN(n, JW_MIN(max, (uint32_t)PEEK_MAX));

		c->t.tls_hint = frames_bytes(c, idx, gen, v, &n, keep, TLS_PLAIN_MAX,
					     planned ? &plan : NULL);
		if (c->t.tls_hint > 0)
			c->t.tls_frame_avg = (uint32_t)JW_MAX(c->t.tls_hint / n, 1);
	}
	for (k = 0; k < n; k++) {
		struct flow_record r = { .slot = (uint16_t)idx, .ring_pos = v[k].pos,
					 .ring_end = v[k].end, .producer_seq = v[k].seq };
		uint64_t seq = flow_tx_next_seq(&c->flow);
		struct nats_pub m;
		int why;

		if (c->t.frame_active || !tcp_has_room(tcp))
			break;
		if (closing && flow_tx_share_open(&c->flow) == 0)
			break; /* a drain: every run has its checkpoint */
		plan.k = k;
		plan.cls = 0;
		plan.gen = 0;
		why = prepare(c, idx, gen, &v[k], v[k].payload, seq, use_plan ? &plan : NULL, &m);
		if (why == 0 && nats_pub_size(&m) < 0)
			why = JW_R_CORRUPT;
		if (why != 0) {
			if (flow_tx_begin_failed(&c->flow, &r, (uint16_t)why, now_ns, &seq) != 0)
				break;
		} else {
			r.share_cls = (uint8_t)plan.cls;
			r.share_gen = plan.gen;
			if (flow_tx_begin(&c->flow, &r, now_ns, &seq) != 0)
				break;
			engine_out_frame(c, tcp, &m);
			payload_bytes += v[k].payload_len;
			sent++;
		}
		sent_end = v[k].end;
	}
	c->t.tls_hint = 0;
	if (sent_end != 0)
		jw_shm_mark_sent(e->shm, s, sent_end);
	if (k > 0) {
		jw_stats_count_accepted(c->t.st, k);
		jw_stats_count_sent(c->t.st, sent, payload_bytes, c->t.wire_bytes - before);
	}
	return k;
}

/* [flow] coalesce_us: the bytes of the records this connection's rings hold, not yet
 * framed, counted up to ENGINE_COALESCE_BYTES (enough to go at once: a flood stops at its
 * first slot); 0 without the option (not looked at). A hint for engine_coalesce_wait only:
 * drain_slot reads the records themselves (jw_shm_peek) after its own acquire of head. */
static uint64_t
pending_bytes(const struct engine_conn *c)
{
	const struct engine *e = c->eng;
	uint64_t sum = 0;

	if (e->p.coalesce_ns == 0)
		return 0;
	for (uint32_t i = 0; i < e->shm->slots_per_tx && sum < ENGINE_COALESCE_BYTES; i++) {
		const struct jw_shm_slot *s = jw_shm_slot(e->shm, c->index, i);

		if (s != NULL)
			sum += jw_shm_head(s) - jw_shm_sent(s);
	}
	return sum;
}

/* New records from every slot, each visit up to [flow] burst, round robin. *more tells
 * whether, after the visits, some slot still holds records the window has credit for and
 * TCP has room to take: then the next iteration goes on at once. closing (a drain): only
 * as many, with unique replies, as close the open runs of shared replies. */
static bool
drain_rings(struct engine_conn *c, struct tcp_conn *tcp, uint64_t now_ns, uint32_t limit,
	    bool *more, bool closing)
{
	struct engine *e = c->eng;
	uint32_t slots = e->shm->slots_per_tx;
	uint32_t credit = JW_MIN(flow_tx_credit(&c->flow), limit);
	uint32_t backlog_limit = flow_size(&c->flow) / 2;
	bool work = false;

	for (uint32_t i = 0; i < slots && credit > 0 && !c->t.frame_active; i++) {
		uint32_t idx = (c->t.rr + i) % slots;
		uint32_t took;

		if (atomic_load_explicit(&c->c.deferred[idx].count, memory_order_relaxed) >
		    backlog_limit)
			continue; /* that producer does not read its reports: let it catch up */
		took = drain_slot(c, tcp, idx, JW_MIN(credit, e->p.burst), credit, now_ns, closing);
		credit -= JW_MIN(took, credit);
		work |= took > 0;
		if (took > 0 && credit > 0) {
			struct jw_shm_slot *s = jw_shm_slot(e->shm, c->index, idx);

			*more |= s != NULL && jw_shm_head(s) != jw_shm_sent(s);
		}
	}
	c->t.rr = (c->t.rr + 1) % slots;
	*more = *more && credit > 0 && !c->t.frame_active && tcp_has_room(tcp);
	return work;
}

bool
engine_tx_iteration(struct engine_conn *c, uint64_t now_ns)
{
	struct tcp_conn *tcp = rcu_dereference(c->tcp);
	struct tcp_conn *drain = rcu_dereference(c->drain_tcp);
	uint32_t epoch;
	bool work = false, more = false;

	/* a lame-duck connection: nothing new, but its ACKs and retransmissions */
	if (drain != NULL && tcp_tx_poll(drain) > 0)
		work = true;

	if (tcp != c->t.cur) {
		c->t.cur = tcp;
		engine_out_reset(c);
	}
	if (tcp == NULL)
		return work;
	epoch = session_tx_epoch(&c->sess);
	if (epoch != c->t.epoch) {
		c->t.epoch = epoch;
		c->t.gate_sent = false;
		engine_out_reset(c);
	}
	c->t.wire_bytes = 0;
	if (!c->t.tls_on)
		work |= engine_out_tls_handshake(c, tcp);
	if (engine_out_flush(c, tcp)) {
		size_t n = session_tx_control(&c->sess, c->t.ctl, sizeof(c->t.ctl));

		if (n > 0) {
			c->t.ctl_len = (uint32_t)n;
			engine_out_flush(c, tcp);
		}
		if (c->t.ctl_len == 0 && !c->t.frame_active &&
		    session_state(&c->sess) == SESSION_READY) {
			/* acquire: pairs with C's release of resend_gen and hold [E1] */
			uint32_t gen = atomic_load_explicit(&c->resend_gen, memory_order_acquire);
			bool held = atomic_load_explicit(&c->hold, memory_order_acquire) != 0;

			if (c->t.resend_epoch != epoch || c->t.resend_gen != gen) {
				/* a hold lifted (new gen) by an answer that did not open the
				 * gate (unmarked: to an earlier connection's publish): the
				 * gated one, 503'd, goes out again, first of the round */
				if (c->t.resend_gen != gen)
					c->t.gate_sent = false;
				c->t.resend_epoch = epoch;
				c->t.resend_gen = gen;
				flow_tx_live_range(&c->flow, &c->t.resend_cursor,
						   &c->t.resend_hi);
			}
			uint32_t budget = gate_budget(c);

			if (held) {
				work |= probe_one(c, tcp); /* nothing else until C lifts it */
			} else if (resend_live(c, tcp, budget)) {
				work = true;
				gate_spent(c, &budget);
			}
			if (!held && c->t.resend_cursor >= c->t.resend_hi) {
				work |= resend_requested(c, tcp);
				bool closing = atomic_load_explicit(&c->eng->draining,
								    memory_order_relaxed);

				if (budget > 0 && (!closing || flow_tx_share_open(&c->flow) > 0) &&
				    !engine_coalesce_wait(&c->t.hold_until_ns, c->eng->p.coalesce_ns,
							  pending_bytes(c), budget == UINT32_MAX &&
							  !closing, now_ns) &&
				    drain_rings(c, tcp, now_ns, budget, &more, closing)) {
					work = true;
					gate_spent(c, &budget);
				}
			}
		}
	}
	if (c->t.wire_bytes > 0 && more && !c->t.tls_on) {
		/* more records wait for this window: fill the open segment on next time, so
		 * that a flood goes out in full segments (a visit of 32 small publishes ends
		 * in a partly filled one: 12 % more packets for the server), and push it at
		 * the latest when an iteration adds nothing (push_owed) */
		c->t.push_owed = true;
		work = true;
	} else if (c->t.wire_bytes > 0 || c->t.push_owed) {
		c->t.push_owed = false;
		engine_out_push(c, tcp);
		work = true;
	} else {
		engine_out_idle(c, tcp);
	}
	if (tcp_tx_poll(tcp) > 0)
		work = true;
	return work;
}

/* The sum of the heads and refusal counts of this connection's slots: it moves whenever a
 * producer writes a record, or calls and is refused for lack of ring space (a producer
 * that waits for space has not paused: its records wait for the window). */
static uint64_t
producer_activity(const struct engine_conn *c)
{
	const struct engine *e = c->eng;
	uint64_t sum = 0;

	for (uint32_t i = 0; i < e->shm->slots_per_tx; i++) {
		const struct jw_shm_slot *s = jw_shm_slot(e->shm, c->index, i);

		if (s != NULL)
			sum += jw_shm_head(s) + jw_shm_eagain(s);
	}
	return sum;
}

/* sched_batch = auto: one look at the producers (engine_burst_next); a burst that begins or
 * ends moves the engine's count and calls on_burst on this thread. */
static void
watch_burst(struct engine_conn *c, struct engine_burst *b, uint64_t now_ns)
{
	struct engine *e = c->eng;

	if (e->p.flood_ns == 0 || now_ns < b->next_look_ns ||
	    !engine_burst_next(b, producer_activity(c), now_ns, e->p.flood_ns))
		return;
	atomic_fetch_add_explicit(&e->bursts, b->burst ? 1 : -1, memory_order_relaxed);
	if (e->p.on_burst != NULL)
		e->p.on_burst(b->burst);
}

int
engine_tx_main(void *arg)
{
	struct engine_conn *c = arg;
	struct engine *e = c->eng;
	unsigned lcore = rte_lcore_id();
	struct engine_idle idle = { false, 0, 0 };
	struct engine_burst burst = { 0 };
	uint32_t sleep_us;

	c->t.st = jw_stats_lcore_register(lcore == LCORE_ID_ANY ? 0 : lcore, JW_STATS_ROLE_TX);
	if (c->t.st == NULL)
		return -ENOMEM;
	rcu_register_thread();
	burst.heads = producer_activity(c); /* what the rings held before is no burst */
	while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc(), now = jw_mono_ns();
		bool busy = engine_tx_iteration(c, now);

		watch_burst(c, &burst, now);
		rcu_quiescent_state();
		sleep_us = engine_hold_sleep_us(engine_idle_next(&idle, &e->p, busy, now),
						c->t.hold_until_ns, now);
		if (sleep_us > 0) {
			rcu_thread_offline();
			rte_delay_us_sleep(sleep_us);
			rcu_thread_online();
		}
		jw_stats_loop_iteration(c->t.st, rte_rdtsc() - t0, busy);
	}
	if (burst.burst)
		atomic_fetch_sub_explicit(&e->bursts, 1, memory_order_relaxed);
	rcu_unregister_thread();
	return 0;
}
