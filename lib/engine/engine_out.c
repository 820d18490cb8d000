/* The TX lcore's writer: TCP's writer API, or TLS records inside the TCP segments.
 * Contract: engine_out.h. */
#include <string.h>

#include <openssl/crypto.h>

#include "common/jw_atomic.h"
#include "engine/engine.h"
#include "engine/engine_out.h"
#include "nats/nats_enc.h"
#include "session/session.h"
#include "stats/stats.h"
#include "tcp/tcp.h"
#include "tls/tls.h"

#define TLS_MIN_PLAIN 64   /* open a record only where this much plaintext fits */

void
engine_out_reset(struct engine_conn *c)
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
void
engine_out_push(struct engine_conn *c, struct tcp_conn *tcp)
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
bool
engine_out_tls_handshake(struct engine_conn *c, struct tcp_conn *tcp)
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
bool
engine_out_flush(struct engine_conn *c, struct tcp_conn *tcp)
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
ssize_t
engine_out_frame(struct engine_conn *c, struct tcp_conn *tcp, const struct nats_pub *m)
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
	engine_out_flush(c, tcp);
	return size;
}


void
engine_out_idle(struct engine_conn *c, struct tcp_conn *tcp)
{
	if (!c->t.tls_on)
		return;
	c->t.tls_hint = 0;
	if (!c->t.span || (!c->t.frame_active && span_finish(c, tcp))) {
		wr_seal(c, tcp); /* a record opened for a frame that did not fit */
		if (session_tx_tls_ku_due(&c->sess) > 0) {
			wr_key_update(c, tcp); /* asked for while we have nothing to send */
			tcp_tx_push(tcp);
		}
	}
}
