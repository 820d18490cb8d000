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

#include <openssl/crypto.h>
#include <urcu-qsbr.h>

#include "common/jw_atomic.h"
#include "common/jw_time.h"
#include "engine/engine.h"
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
#define TLS_MIN_PLAIN 64   /* open a record only where this much plaintext fits */
/* Shared replies: how far a slot visit looks for later records of the same subjects */
#define SHARE_LOOK TLS_PEEK_MAX

static void
out_reset(struct engine_conn *c)
{
	c->t.ctl_len = 0;
	c->t.ctl_off = 0;
	c->t.frame_active = false;
	c->t.push_owed = false;
	c->t.hold_until_ns = 0;
	if (c->t.tls_on)
		tls_dir_fini(&c->t.tls_tx);
	c->t.tls_on = false;
	c->t.rec = NULL;
	c->t.tls_hint = 0;
	c->t.span = false;
	c->t.fin = false;
	c->t.seg = NULL;
}

/* --- the writer: TCP's writer API, or TLS records inside the TCP segments ------------------
 *
 * Plain: wr_buf/wr_commit are tcp_tx_buf/tcp_tx_commit. TLS, two kinds of record:
 *   - a segment record: opened at the write position of the current segment (header room
 *     before, tag room after); wr_buf returns where its plaintext continues, wr_commit only
 *     counts, and when the segment's room is used up or at the end of the iteration the
 *     record is sealed in place (tls_seal) and committed to TCP. Its length is decided when
 *     it is sealed. TLS 1.2 always, and TLS 1.3 for small writes;
 *   - a spanning record (TLS 1.3, when T knows it is about to write more than a segment:
 *     c->t.tls_hint, the exact size of the frames drain_slot is writing): its length
 *     (up to 16 KiB) is declared when it is opened (tls_seal_begin); each segment's share is
 *     encrypted in place (tls_seal_update) before the segment is committed, the inner type
 *     and the tag follow the last byte, across a segment boundary if need be. Should fewer
 *     bytes come than declared (a frame refused at the last moment), the rest is TLS 1.3
 *     padding (counted in tls_pad_bytes). Fewer, larger records: the server reads and
 *     decrypts 16 KiB at a time instead of one segment.
 * Either way TCP's send queue only ever holds ciphertext (a retransmission resends the same
 * bytes): a segment is committed only once its bytes are sealed, and nothing else writes
 * the segment meanwhile (T is its only writer). A spanning record may stay open across
 * tcp_tx_poll only when TCP had no room to finish it; its uncommitted bytes then sit after
 * the fill segment's committed data, where tcp_tx_buf points again next time (checked:
 * span_seg). tcp_tx_push is never called while a spanning record is open. */

/* A KeyUpdate the server asked for, or ours when the key has sealed its share of records
 * ([nats] tls_key_update_records), as a record of its own before the next one. */
static void
wr_key_update(struct engine_conn *c, struct tcp_conn *tcp)
{
	struct tls_dir *d = &c->t.tls_tx;
	bool asked = session_tx_tls_ku_due(&c->sess) > 0;
	uint64_t limit = c->eng->p.tls_key_update_records ? c->eng->p.tls_key_update_records :
			 TLS_KEY_UPDATE_RECORDS;
	uint32_t room;
	uint8_t *p;
	ssize_t n;

	if (d->version != TLS_V13 || (!asked && d->seq < limit))
		return;
	p = tcp_tx_buf(tcp, &room);
	if (p == NULL || room < (uint32_t)(d->prefix + 5 + d->suffix)) {
		if (p != NULL)
			tcp_tx_push(tcp); /* next time, in a fresh segment */
		return;
	}
	n = tls_seal_key_update(d, false, p, room);
	if (n < 0) {
		c->t.tls_seal_errors++;
		return;
	}
	tcp_tx_commit(tcp, (uint32_t)n);
	session_tx_tls_ku_sent(&c->sess, asked);
}

/* --- spanning records --- */

static void
span_drop(struct engine_conn *c)
{
	c->t.span = false;
	c->t.fin = false;
	c->t.seg = NULL;
}

/* Encrypts the bytes of the current segment not yet encrypted. */
static void
span_encrypt(struct engine_conn *c)
{
	uint32_t k = c->t.seg_used - c->t.seg_enc;

	if (k > 0 && tls_seal_update(&c->t.tls_tx, c->t.seg + c->t.seg_enc, k) != 0)
		c->t.tls_seal_errors++;
	c->t.seg_enc = c->t.seg_used;
}

/* Hands the current segment's part of the record to TCP (encrypted first). */
static void
span_commit(struct engine_conn *c, struct tcp_conn *tcp)
{
	if (c->t.seg == NULL)
		return;
	span_encrypt(c);
	tcp_tx_commit(tcp, c->t.seg_hdr + c->t.seg_used);
	c->t.seg = NULL;
}

/* Room in the record's current segment, taking the next segment when this one is full:
 * 0 when TCP has none now. An open segment is checked to still be where TCP writes next
 * (it would not be after the connection was torn down: the record is then dropped). */
static uint32_t
span_room(struct engine_conn *c, struct tcp_conn *tcp)
{
	uint32_t r;
	uint8_t *p;

	if (c->t.seg != NULL && c->t.seg_used == c->t.seg_room)
		span_commit(c, tcp);
	p = tcp_tx_buf(tcp, &r);
	if (c->t.seg != NULL) {
		if (p != c->t.seg - c->t.seg_hdr) {
			c->t.tls_seal_errors++; /* not ours any more */
			span_drop(c);
			return 0;
		}
		return c->t.seg_room - c->t.seg_used;
	}
	if (p == NULL)
		return 0;
	c->t.seg = p;
	c->t.seg_room = r;
	c->t.seg_used = c->t.seg_enc = c->t.seg_hdr = 0;
	return r;
}

/* Ends the open spanning record: inner type, padding for what was declared and not
 * written, tag. Resumable: returns false when TCP has no room now (call again). */
static bool
span_finish(struct engine_conn *c, struct tcp_conn *tcp)
{
	if (!c->t.fin) {
		span_encrypt(c); /* the content so far, before the inner type */
		c->t.fin = true;
		c->t.fin_left = 1 + (c->t.span_cap - c->t.span_len);
		c->t.fin_type = true;
		c->t.tag_left = TLS_TAG_LEN;
		c->t.tag_ready = false;
		c->t.tls_pad_bytes += c->t.span_cap - c->t.span_len;
		if (c->t.span_cap > c->t.span_len)
			session_tx_tls_padded(&c->sess, c->t.span_cap - c->t.span_len);
	}
	while (c->t.fin_left > 0) {
		uint32_t k = span_room(c, tcp);
		uint8_t *b;

		if (k == 0)
			return !c->t.span; /* dropped counts as done */
		k = JW_MIN(k, c->t.fin_left);
		b = c->t.seg + c->t.seg_used;
		memset(b, 0, k);
		if (c->t.fin_type) {
			b[0] = TLS_CT_APPDATA;
			c->t.fin_type = false;
		}
		c->t.seg_used += k;
		c->t.fin_left -= k;
		span_encrypt(c);
	}
	if (!c->t.tag_ready) {
		if (tls_seal_final(&c->t.tls_tx, c->t.tag, c->t.span_len) != 0)
			c->t.tls_seal_errors++;
		c->t.tag_ready = true;
		session_tx_tls_sealed(&c->sess, 1, c->t.span_len);
	}
	while (c->t.tag_left > 0) {
		uint32_t k = span_room(c, tcp);

		if (k == 0)
			return !c->t.span;
		k = JW_MIN(k, c->t.tag_left);
		memcpy(c->t.seg + c->t.seg_used, c->t.tag + TLS_TAG_LEN - c->t.tag_left, k);
		c->t.seg_used += k;
		c->t.seg_enc = c->t.seg_used; /* the tag is not encrypted */
		c->t.tag_left -= k;
	}
	span_commit(c, tcp);
	span_drop(c);
	return true;
}

/* Opens a spanning record of cap content bytes at p (r bytes of room in the segment). */
static bool
span_open(struct engine_conn *c, uint8_t *p, uint32_t r, uint32_t cap)
{
	struct tls_dir *d = &c->t.tls_tx;

	if (tls_seal_begin(d, p, (size_t)cap + 1) != 0) {
		c->t.tls_seal_errors++;
		return false;
	}
	c->t.span = true;
	c->t.fin = false;
	c->t.span_cap = cap;
	c->t.span_len = 0;
	c->t.seg = p + d->prefix;
	c->t.seg_room = r - d->prefix;
	c->t.seg_used = c->t.seg_enc = 0;
	c->t.seg_hdr = d->prefix;
	return true;
}

/* --- the writer --- */

static uint8_t *
wr_buf(struct engine_conn *c, struct tcp_conn *tcp, uint32_t *room)
{
	const struct tls_dir *d = &c->t.tls_tx;
	uint32_t r, ovh;
	uint8_t *p;

	if (!c->t.tls_on)
		return tcp_tx_buf(tcp, room);
	if (c->t.span && c->t.fin && !span_finish(c, tcp))
		return NULL;
	if (c->t.span) {
		uint32_t k = span_room(c, tcp);

		if (k == 0)
			return NULL;
		*room = JW_MIN(k, c->t.span_cap - c->t.span_len);
		return c->t.seg + c->t.seg_used;
	}
	if (c->t.rec == NULL) {
		wr_key_update(c, tcp);
		ovh = (uint32_t)(d->prefix + d->suffix);
		p = tcp_tx_buf(tcp, &r);
		if (p != NULL && r < ovh + TLS_MIN_PLAIN) {
			tcp_tx_push(tcp); /* the segment's tail is too short for a record */
			p = tcp_tx_buf(tcp, &r);
		}
		if (p == NULL || r < ovh + 1)
			return NULL;
		if (d->version == TLS_V13 && c->t.tls_hint > r - ovh &&
		    span_open(c, p, r, (uint32_t)JW_MIN(c->t.tls_hint, (uint64_t)TLS_PLAIN_MAX))) {
			*room = JW_MIN(c->t.seg_room, c->t.span_cap);
			return c->t.seg;
		}
		c->t.rec = p;
		c->t.rec_cap = JW_MIN(r - ovh, (uint32_t)TLS_PLAIN_MAX);
		c->t.rec_len = 0;
	}
	*room = c->t.rec_cap - c->t.rec_len;
	return c->t.rec + d->prefix + c->t.rec_len;
}

/* Seals the open segment record and hands it to TCP. */
static void
wr_seal(struct engine_conn *c, struct tcp_conn *tcp)
{
	struct tls_dir *d = &c->t.tls_tx;
	ssize_t n;

	if (c->t.rec == NULL)
		return;
	if (c->t.rec_len > 0) {
		n = tls_seal(d, TLS_CT_APPDATA, c->t.rec, c->t.rec_len,
			     (size_t)d->prefix + c->t.rec_cap + d->suffix);
		if (n > 0) {
			tcp_tx_commit(tcp, (uint32_t)n);
			session_tx_tls_sealed(&c->sess, 1, c->t.rec_len);
		} else {
			/* cannot happen with a keyed direction; the frames in it are lost to
			 * the server, whose parser then fails: the reconnect resends them */
			c->t.tls_seal_errors++;
		}
	}
	c->t.rec = NULL;
}

static void
wr_commit(struct engine_conn *c, struct tcp_conn *tcp, uint32_t n)
{
	if (!c->t.tls_on) {
		tcp_tx_commit(tcp, n);
		return;
	}
	c->t.tls_hint -= JW_MIN((uint64_t)n, c->t.tls_hint);
	if (c->t.span) {
		n = JW_MIN(n, c->t.span_cap - c->t.span_len);
		c->t.span_len += n;
		c->t.seg_used += n;
		if (c->t.span_len == c->t.span_cap)
			(void)span_finish(c, tcp); /* resumed by the next wr_buf if TCP is full */
		else if (c->t.seg_used == c->t.seg_room)
			span_commit(c, tcp);
		return;
	}
	c->t.rec_len += JW_MIN(n, c->t.rec_cap - c->t.rec_len);
	if (c->t.rec_len == c->t.rec_cap)
		wr_seal(c, tcp);
}

/* End of an iteration's writing: every record sealed and committed, the segment pushed.
 * A spanning record stays open instead when a frame is still being written (TCP ran out of
 * room: its rest and the frames after it fill the record next time, rather than padding
 * now) or when TCP has no room to finish it. */
static void
wr_push(struct engine_conn *c, struct tcp_conn *tcp)
{
	if (c->t.tls_on) {
		c->t.tls_hint = 0;
		if (c->t.span && (c->t.frame_active || !span_finish(c, tcp)))
			return;
		wr_seal(c, tcp);
	}
	tcp_tx_push(tcp);
}

/* TLS handshake: the bytes the control lcore's OpenSSL wrote go out raw, then T takes the
 * send keys and seals from here on. Returns true when it wrote something. */
static bool
tls_handshake_out(struct engine_conn *c, struct tcp_conn *tcp)
{
	const uint8_t *hp;
	struct tls_keys k;
	bool work = false;
	size_t n;

	while ((n = session_tx_tls_pending(&c->sess, &hp)) > 0) {
		uint32_t room, w;
		uint8_t *p = tcp_tx_buf(tcp, &room);

		if (p == NULL)
			return work;
		w = (uint32_t)JW_MIN((size_t)room, n);
		memcpy(p, hp, w);
		tcp_tx_commit(tcp, w);
		session_tx_tls_sent(&c->sess, w);
		c->t.wire_bytes += w;
		work = true;
	}
	if (session_tx_tls_keys(&c->sess, &k) == 1) {
		if (tls_dir_from_keys(&c->t.tls_tx, &k) == 0)
			c->t.tls_on = true;
		else
			c->t.tls_seal_errors++; /* no CONNECT follows: the connect timeout */
		OPENSSL_cleanse(&k, sizeof(k));
	}
	return work;
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

		p = wr_buf(c, tcp, &room);
		if (p == NULL)
			return false;
		n = JW_MIN(room, c->t.ctl_len - c->t.ctl_off);
		memcpy(p, c->t.ctl + c->t.ctl_off, n);
		wr_commit(c, tcp, n);
		c->t.ctl_off += n;
		c->t.wire_bytes += n;
	}
	c->t.ctl_len = 0;
	c->t.ctl_off = 0;
	while (c->t.frame_active) {
		size_t w;

		p = wr_buf(c, tcp, &room);
		if (p == NULL)
			return false;
		w = nats_frame_write(&c->t.frame, (char *)p, room);
		wr_commit(c, tcp, (uint32_t)w);
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
	p = wr_buf(c, tcp, &room);
	if (p != NULL && (size_t)size <= room) {
		nats_pub_encode((char *)p, room, m);
		wr_commit(c, tcp, (uint32_t)size);
		c->t.wire_bytes += (uint64_t)size;
		return size;
	}
	if (nats_frame_init(&c->t.frame, m) != 0)
		return -EINVAL;
	c->t.frame_active = true;
	out_flush(c, tcp);
	return size;
}

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
	if (out_frame(c, tcp, &m) > 0)
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

/* The exact bytes the frames of views v[0..*n) will take (as prepare() and out_frame() will
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
			out_frame(c, tcp, &m);
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
		out_reset(c);
	}
	if (tcp == NULL)
		return work;
	epoch = session_tx_epoch(&c->sess);
	if (epoch != c->t.epoch) {
		c->t.epoch = epoch;
		c->t.gate_sent = false;
		out_reset(c);
	}
	c->t.wire_bytes = 0;
	if (!c->t.tls_on)
		work |= tls_handshake_out(c, tcp);
	if (out_flush(c, tcp)) {
		size_t n = session_tx_control(&c->sess, c->t.ctl, sizeof(c->t.ctl));

		if (n > 0) {
			c->t.ctl_len = (uint32_t)n;
			out_flush(c, tcp);
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
		wr_push(c, tcp);
		work = true;
	} else if (c->t.tls_on) {
		c->t.tls_hint = 0;
		if (!c->t.span || (!c->t.frame_active && span_finish(c, tcp))) {
			wr_seal(c, tcp); /* a record opened for a frame that did not fit */
			if (session_tx_tls_ku_due(&c->sess) > 0) {
				wr_key_update(c, tcp); /* asked for while we have nothing to send */
				tcp_tx_push(tcp);
			}
		}
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
