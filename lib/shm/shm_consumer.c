/* jetwire's side of a producer slot: reading, validating, sending and releasing records,
 * writing reports. Nothing read from the shared memory is trusted (see shm-t.h). */
#include <errno.h>
#include <string.h>

#include "jetwire.h"
#include "nats/nats_validate.h"
#include "shm/shm.h"

enum rec_kind { REC_RECORD, REC_WRAP };

/* Marks [pos, limit) as one corrupt region: nothing in it can be trusted. */
static void
view_corrupt(struct jw_shm_view *v, uint64_t pos, uint64_t limit)
{
	memset(v, 0, sizeof(*v));
	v->pos = pos;
	v->end = limit;
	v->reason = JW_R_CORRUPT;
}

/* Reads the record (or wrap marker) at pos, which must lie below limit (head or sent).
 * Fills *v (records, valid or not) or *wrap_len (wrap markers). Each value is loaded from
 * the shared memory once, then checked, then used. */
static enum rec_kind
rec_read(const struct jw_shm *shm, struct jw_shm_slot *s, uint64_t pos, uint64_t limit,
	 struct jw_shm_view *v, uint64_t *wrap_len)
{
	const uint8_t *ring = jw_shm_slot_ring(shm, s);
	const uint32_t size = shm->ring_bytes;
	const uint64_t off = pos & (size - 1);
	const uint64_t avail = limit - pos;
	const struct jw_shm_rec *r = (const struct jw_shm_rec *)(const void *)(ring + off);
	uint64_t c;
	uint32_t len, plen, slen, hlen, mp, ovh;

	if (avail < 8 || (pos & 7) != 0) {
		view_corrupt(v, pos, limit);
		return REC_RECORD;
	}
	/* [P1] acquire: pairs with the producer's store-release of this commit word. */
	c = __atomic_load_n(&r->commit, __ATOMIC_ACQUIRE);
	len = JW_REC_LEN(c);
	if (((c >> 32) & 0x7fffffffu) != JW_REC_TAG(pos)) {
		view_corrupt(v, pos, limit);
		return REC_RECORD;
	}
	if (c & JW_REC_WRAP) {
		/* A wrap marker runs exactly to the end of the ring and is followed by a record. */
		if (off == 0 || len != size - off || len >= size / 2 || len >= avail) {
			view_corrupt(v, pos, limit);
			return REC_RECORD;
		}
		*wrap_len = len;
		return REC_WRAP;
	}
	if (len < JW_REC_SIZE(1, 0, 0) || (len & 7) != 0 || len > avail ||
	    off + len > size || len > size / 2) {
		view_corrupt(v, pos, limit);
		return REC_RECORD;
	}
	/* The length is plausible: from here on the record keeps its own space. */
	memset(v, 0, sizeof(*v));
	v->pos = pos;
	v->end = pos + len;
	v->seq = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
	plen = __atomic_load_n(&r->payload_len, __ATOMIC_RELAXED);
	slen = __atomic_load_n(&r->subject_len, __ATOMIC_RELAXED);
	hlen = __atomic_load_n(&r->hdr_len, __ATOMIC_RELAXED);
	if (JW_REC_SIZE(slen, hlen, plen) != len) {
		v->reason = JW_R_CORRUPT;
		return REC_RECORD;
	}
	v->subject = (const char *)ring + off + JW_REC_HDR_BYTES;
	v->subject_len = slen;
	v->hdr = hlen ? v->subject + slen : NULL;
	v->hdr_len = hlen;
	v->payload = (const uint8_t *)v->subject + slen + hlen;
	v->payload_len = plen;
	if (nats_subject_check(v->subject, slen) != 0) {
		v->reason = JW_R_BAD_SUBJECT;
		return REC_RECORD;
	}
	if (nats_hdr_check(v->hdr, hlen) != 0) {
		v->reason = JW_R_BAD_HEADER;
		return REC_RECORD;
	}
	mp = __atomic_load_n(&shm->hdr->max_payload, __ATOMIC_RELAXED);
	ovh = __atomic_load_n(&shm->hdr->msg_overhead, __ATOMIC_RELAXED);
	if (mp != 0 && (uint64_t)hlen + plen + ovh > mp)
		v->reason = JW_R_TOO_BIG;
	return REC_RECORD;
}

unsigned
jw_shm_peek(const struct jw_shm *shm, struct jw_shm_slot *s, struct jw_shm_view *v,
	    unsigned max)
{
	/* [P1] acquire head: every record below it is fully written. */
	uint64_t head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
	uint64_t sent = __atomic_load_n(&s->sent, __ATOMIC_RELAXED); /* own cursor */
	uint64_t released = __atomic_load_n(&s->released, __ATOMIC_ACQUIRE);
	uint64_t pos = sent;
	unsigned n = 0, bad = 0;

	if (head == sent)
		return 0;
	if ((head & 7) != 0 || head < sent || head - released > shm->ring_bytes) {
		__atomic_store_n(&s->bad_cursor, s->bad_cursor + 1, __ATOMIC_RELAXED);
		return 0;
	}
	while (n < max && pos < head) {
		uint64_t wrap_len = 0;

		if (rec_read(shm, s, pos, head, &v[n], &wrap_len) == REC_WRAP) {
			pos += wrap_len;
			continue;
		}
		if (v[n].reason != 0)
			bad++;
		pos = v[n].end;
		n++;
	}
	if (bad)
		__atomic_store_n(&s->bad_records, s->bad_records + bad, __ATOMIC_RELAXED);
	return n;
}

int
jw_shm_mark_sent(const struct jw_shm *shm, struct jw_shm_slot *s, uint64_t pos)
{
	uint64_t sent = __atomic_load_n(&s->sent, __ATOMIC_RELAXED);
	uint64_t head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);

	(void)shm;
	if (pos < sent || pos > head || (pos & 7) != 0)
		return -EINVAL;
	/* [P2] release: our reads of the records below pos happen before the control lcore
	 * (acquiring sent in jw_shm_release) lets the producer reuse their space. */
	__atomic_store_n(&s->sent, pos, __ATOMIC_RELEASE);
	return 0;
}

int
jw_shm_read_at(const struct jw_shm *shm, struct jw_shm_slot *s, uint64_t pos,
	       struct jw_shm_view *v)
{
	uint64_t sent = __atomic_load_n(&s->sent, __ATOMIC_RELAXED);
	uint64_t released = __atomic_load_n(&s->released, __ATOMIC_ACQUIRE);
	uint64_t wrap_len = 0;

	if (pos < released || pos >= sent || (pos & 7) != 0)
		return -EINVAL;
	if (rec_read(shm, s, pos, sent, v, &wrap_len) == REC_WRAP) {
		view_corrupt(v, pos, pos + wrap_len);
		return -EPROTO;
	}
	if (v->reason != 0) {
		__atomic_store_n(&s->bad_records, s->bad_records + 1, __ATOMIC_RELAXED);
		return -EPROTO;
	}
	return 0;
}

int
jw_shm_is_held(const struct jw_shm_slot *s, uint64_t pos)
{
	/* [P3] the copy's loads may not move below this fence; the producer overwrites the
	 * record only after acquiring a released beyond pos. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->released, __ATOMIC_ACQUIRE) <= pos;
}

void
jw_shm_rewind(struct jw_shm_slot *s)
{
	__atomic_store_n(&s->sent, __atomic_load_n(&s->released, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
}

int
jw_shm_release(const struct jw_shm *shm, struct jw_shm_slot *s, uint64_t pos)
{
	uint64_t released = __atomic_load_n(&s->released, __ATOMIC_RELAXED); /* own cursor */
	/* [P2] acquire sent: pairs with the TX lcore's store-release in jw_shm_mark_sent. */
	uint64_t sent = __atomic_load_n(&s->sent, __ATOMIC_ACQUIRE);

	(void)shm;
	if (pos < released || pos > sent || (pos & 7) != 0)
		return -EINVAL;
	/* [P2] release: pairs with the producer's load-acquire of released before reuse. */
	__atomic_store_n(&s->released, pos, __ATOMIC_RELEASE);
	return 0;
}

int
jw_shm_report(const struct jw_shm *shm, struct jw_shm_slot *s, const struct jw_shm_report *r)
{
	const uint32_t n = shm->report_entries;
	uint64_t owner = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
	uint64_t h, t;

	if (JW_OWNER_STATE(owner) != JW_OWNER_OWNED) {
		__atomic_store_n(&s->reports_dropped, s->reports_dropped + 1, __ATOMIC_RELAXED);
		return 0;
	}
	h = __atomic_load_n(&s->rep_head, __ATOMIC_RELAXED); /* own cursor */
	/* [P4] acquire rep_tail: the producer has finished reading entries below it. */
	t = __atomic_load_n(&s->rep_tail, __ATOMIC_ACQUIRE);
	if (h - t >= n) /* also catches a tail beyond head (corrupt producer) */
		return -EAGAIN;
	memcpy(&jw_shm_slot_reports(shm, s)[h & (n - 1)], r, sizeof(*r));
	/* [P4] release: the entry is written before the producer can see it. */
	__atomic_store_n(&s->rep_head, h + 1, __ATOMIC_RELEASE);
	return 0;
}
