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

#include "engine/engine.h"
#include "flow/flow.h"
#include "jetwire.h"
#include "nats/nats_validate.h"
#include "session/session.h"
#include "shm/shm.h"
#include "stats/stats_lcore.h"
#include "tcp/tcp.h"

#define PEEK_MAX 32

static void
out_reset(struct engine_conn *c)
{
	c->t.ctl_len = 0;
	c->t.ctl_off = 0;
	c->t.frame_active = false;
	c->t.resend_held = false;
}

/* Writes pending protocol bytes, then the rest of the active frame. Returns true when
 * nothing is pending any more. */
static bool
out_flush(struct engine_conn *c, struct tcp_conn *tcp)
{
	uint32_t room;
	uint8_t *p;

	while (c->t.ctl_off < c->t.ctl_len) {
		uint32_t n;

		p = tcp_tx_buf(tcp, &room);
		if (p == NULL)
			return false;
		n = JW_MIN(room, c->t.ctl_len - c->t.ctl_off);
		memcpy(p, c->t.ctl + c->t.ctl_off, n);
		tcp_tx_commit(tcp, n);
		c->t.ctl_off += n;
		c->t.wire_bytes += n;
	}
	c->t.ctl_len = 0;
	c->t.ctl_off = 0;
	while (c->t.frame_active) {
		size_t w;

		p = tcp_tx_buf(tcp, &room);
		if (p == NULL)
			return false;
		w = nats_frame_write(&c->t.frame, (char *)p, room);
		tcp_tx_commit(tcp, (uint32_t)w);
		c->t.wire_bytes += w;
		if (nats_frame_done(&c->t.frame))
			c->t.frame_active = false;
	}
	return true;
}

/* Writes one frame: whole into the current segment when it fits, else across segments
 * (the frame stays active when TCP runs out of room). m's strings must be T-owned copies
 * or ring bytes that stay held until the frame is done. Returns the frame size, or a
 * negative errno from the encoder (nothing written). */
static ssize_t
out_frame(struct engine_conn *c, struct tcp_conn *tcp, const struct nats_pub *m)
{
	ssize_t size = nats_pub_size(m);
	uint32_t room;
	uint8_t *p;

	if (size < 0)
		return size;
	p = tcp_tx_buf(tcp, &room);
	if (p != NULL && (size_t)size <= room) {
		nats_pub_encode((char *)p, room, m);
		tcp_tx_commit(tcp, (uint32_t)size);
		c->t.wire_bytes += (uint64_t)size;
		return size;
	}
	if (nats_frame_init(&c->t.frame, m) != 0)
		return -EINVAL;
	c->t.frame_active = true;
	out_flush(c, tcp);
	return size;
}

/* Copies a record's subject and header block into T's buffers, checks them again, and
 * fills the frame description for publish sequence seq. payload points at the bytes to
 * send. Returns 0, or the JW_R_* reason to fail the record with. */
static int
prepare(struct engine_conn *c, uint32_t slot_index, uint32_t gen, const struct jw_shm_view *v,
	const uint8_t *payload, uint64_t seq, struct nats_pub *m)
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
	if (c->flow.p.dedupe == FLOW_DEDUPE_MSGID) {
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
	m->reply_len = flow_reply_format(&c->sess.inbox, seq, c->t.reply);
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
	if (prepare(c, r->slot, jw_shm_slot_gen(s), &v, c->t.resend_buf, seq, &m) != 0)
		return;
	if (!jw_shm_is_held(s, r->ring_pos)) {
		e->cnt.resend_torn++; /* released meanwhile: the copy may be torn */
		return;
	}
	if (out_frame(c, tcp, &m) > 0)
		jw_stats_count_resent(c->t.st, 1, c->t.wire_bytes - before);
}

/* After a (re)connect: every live publish goes out again, in sequence order. */
static bool
resend_live(struct engine_conn *c, struct tcp_conn *tcp)
{
	struct flow_record r;
	bool work = false;

	while (c->t.resend_cursor < c->t.resend_hi && !c->t.frame_active && tcp_has_room(tcp)) {
		uint64_t seq = c->t.resend_cursor++;

		if (flow_tx_claim_resend(&c->flow, seq, &r) == 0) {
			resend_one(c, tcp, seq, &r);
			work = true;
		}
	}
	return work;
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

/* New records of one slot: up to max. Returns how many were taken. */
static uint32_t
drain_slot(struct engine_conn *c, struct tcp_conn *tcp, uint32_t idx, uint32_t max,
	   uint64_t now_ns)
{
	struct engine *e = c->eng;
	struct jw_shm_slot *s = jw_shm_slot(e->shm, c->index, idx);
	struct jw_shm_view v[PEEK_MAX];
	uint64_t payload_bytes = 0, before = c->t.wire_bytes, sent_end = 0;
	uint32_t n, k, sent = 0, gen;

	if (jw_shm_head(s) == jw_shm_sent(s))
		return 0;
	n = jw_shm_peek(e->shm, s, v, JW_MIN(max, (uint32_t)PEEK_MAX));
	if (n == 0)
		return 0;
	gen = jw_shm_slot_gen(s);
	for (k = 0; k < n; k++) {
		struct flow_record r = { .slot = (uint16_t)idx, .ring_pos = v[k].pos,
					 .ring_end = v[k].end, .producer_seq = v[k].seq };
		uint64_t seq = flow_tx_next_seq(&c->flow);
		struct nats_pub m;
		int why;

		if (c->t.frame_active || !tcp_has_room(tcp))
			break;
		why = prepare(c, idx, gen, &v[k], v[k].payload, seq, &m);
		if (why == 0 && nats_pub_size(&m) < 0)
			why = JW_R_CORRUPT;
		if (why != 0) {
			if (flow_tx_begin_failed(&c->flow, &r, (uint16_t)why, now_ns, &seq) != 0)
				break;
		} else {
			if (flow_tx_begin(&c->flow, &r, now_ns, &seq) != 0)
				break;
			out_frame(c, tcp, &m);
			payload_bytes += v[k].payload_len;
			sent++;
		}
		sent_end = v[k].end;
	}
	if (sent_end != 0)
		jw_shm_mark_sent(e->shm, s, sent_end);
	if (k > 0) {
		jw_stats_count_accepted(c->t.st, k);
		jw_stats_count_sent(c->t.st, sent, payload_bytes, c->t.wire_bytes - before);
	}
	return k;
}

static bool
drain_rings(struct engine_conn *c, struct tcp_conn *tcp, uint64_t now_ns)
{
	struct engine *e = c->eng;
	uint32_t slots = e->shm->slots_per_tx;
	uint32_t credit = flow_tx_credit(&c->flow);
	uint32_t backlog_limit = c->flow.size / 2;
	bool work = false;

	for (uint32_t i = 0; i < slots && credit > 0 && !c->t.frame_active; i++) {
		uint32_t idx = (c->t.rr + i) % slots;
		uint32_t took;

		if (atomic_load_explicit(&c->c.deferred[idx].count, memory_order_relaxed) >
		    backlog_limit)
			continue; /* that producer does not read its reports: let it catch up */
		took = drain_slot(c, tcp, idx, JW_MIN(credit, e->p.burst), now_ns);
		credit -= JW_MIN(took, credit);
		work |= took > 0;
	}
	c->t.rr = (c->t.rr + 1) % slots;
	return work;
}

bool
engine_tx_iteration(struct engine_conn *c, uint64_t now_ns)
{
	struct tcp_conn *tcp = rcu_dereference(c->tcp);
	uint32_t epoch;
	bool work = false;

	if (tcp != c->t.cur) {
		c->t.cur = tcp;
		out_reset(c);
	}
	if (tcp == NULL)
		return false;
	epoch = session_tx_epoch(&c->sess);
	if (epoch != c->t.epoch) {
		c->t.epoch = epoch;
		out_reset(c);
	}
	c->t.wire_bytes = 0;
	if (out_flush(c, tcp)) {
		size_t n = session_tx_control(&c->sess, c->t.ctl, sizeof(c->t.ctl));

		if (n > 0) {
			c->t.ctl_len = (uint32_t)n;
			out_flush(c, tcp);
		}
		if (c->t.ctl_len == 0 && !c->t.frame_active &&
		    session_state(&c->sess) == SESSION_READY) {
			if (c->t.resend_epoch != epoch) {
				c->t.resend_epoch = epoch;
				flow_tx_live_range(&c->flow, &c->t.resend_cursor,
						   &c->t.resend_hi);
			}
			work |= resend_live(c, tcp);
			if (c->t.resend_cursor >= c->t.resend_hi) {
				work |= resend_requested(c, tcp);
				if (!atomic_load_explicit(&c->eng->draining,
							  memory_order_relaxed))
					work |= drain_rings(c, tcp, now_ns);
			}
		}
	}
	if (c->t.wire_bytes > 0) {
		tcp_tx_push(tcp);
		work = true;
	}
	if (tcp_tx_poll(tcp) > 0)
		work = true;
	return work;
}

int
engine_tx_main(void *arg)
{
	struct engine_conn *c = arg;
	struct engine *e = c->eng;
	unsigned lcore = rte_lcore_id();

	c->t.st = jw_stats_lcore_register(lcore == LCORE_ID_ANY ? 0 : lcore, JW_STATS_ROLE_TX);
	if (c->t.st == NULL)
		return -ENOMEM;
	rcu_register_thread();
	while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc();
		bool busy = engine_tx_iteration(c, engine_now_ns());

		rcu_quiescent_state();
		if (!busy && e->p.idle_sleep_us > 0) {
			rcu_thread_offline();
			rte_delay_us_sleep(e->p.idle_sleep_us);
			rcu_thread_online();
		}
		jw_stats_loop_iteration(c->t.st, rte_rdtsc() - t0, busy);
	}
	rcu_unregister_thread();
	return 0;
}
