/* libjetwire: the public producer API of lib/include/jetwire.h on top of lib/shm.
 *
 * The producer owns its slot's head and rep_tail; the hot path (jw_publish) touches only
 * producer-private state, its ring bytes and its own cursor line, and reads the shared
 * `released` cursor only when its cached copy says the ring is full. No lock, no syscall.
 * Memory-ordering pairs [P1]..[P5] are described in lib/shm/shm-t.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/jw_time.h"
#include "jetwire.h"
#include "nats/nats_validate.h"
#include "producer/producer-t.h"
#include "producer/producer.h"
#include "shm/shm.h"

/* ---- the hot path ---- */

/* Cache lines of the next record's place that a call prefetches for the next call: the
 * record of a 128-byte message with its header and subject spans 3 (JW_REC_SIZE). */
#define PREFETCH_LINES 4u

static int
append(jw_producer *p, const char *subject, const void *hdr, size_t hlen, const void *data,
       size_t dlen, uint64_t *seq_out)
{
	uint32_t size, state, mp;
	size_t slen;
	uint64_t len, head, off, pad = 0;
	struct jw_shm_rec *r;
	uint8_t *dst;

	if (jw_unlikely(p == NULL || subject == NULL || (data == NULL && dlen != 0) ||
			(hdr == NULL && hlen != 0)))
		return JW_EINVAL;
	state = __atomic_load_n(&p->hdr->state, __ATOMIC_RELAXED);
	if (jw_unlikely(state != JW_SHM_STATE_RUNNING))
		return state == JW_SHM_STATE_DESTROYED ? JW_ECLOSED : JW_ENOTRUNNING;
	if (jw_unlikely(__atomic_load_n(&p->slot->owner, __ATOMIC_RELAXED) != p->owner))
		return JW_ECLOSED;
	if (jw_unlikely(nats_subject_scan(subject, &slen) != 0))
		return JW_EINVAL;
	if (hlen != 0 && jw_unlikely(nats_hdr_check(hdr, hlen) != 0))
		return JW_EINVAL;
	mp = __atomic_load_n(&p->hdr->max_payload, __ATOMIC_RELAXED);
	if (mp != 0 &&
	    jw_unlikely((uint64_t)hlen + dlen + __atomic_load_n(&p->hdr->msg_overhead,
								__ATOMIC_RELAXED) > mp))
		return JW_E2BIG;
	if (jw_unlikely(dlen > UINT32_MAX))
		return JW_E2BIG;
	len = JW_REC_SIZE(slen, hlen, dlen);
	if (jw_unlikely(len > p->max_rec))
		return JW_E2BIG;

	size = p->ring_bytes;
	head = p->head;
	off = head & (size - 1);
	if (off + len > size)
		pad = size - off; /* wrap marker up to the end, record at offset 0 */
	if (jw_unlikely(head + pad + len - p->released > size)) {
		/* [P2] acquire: jetwire finished reading what lies below released. */
		p->released = __atomic_load_n(&p->slot->released, __ATOMIC_ACQUIRE);
		if (head + pad + len - p->released > size) {
			p->eagain++;
			__atomic_store_n(&p->slot->eagain, p->eagain, __ATOMIC_RELAXED);
			return JW_EAGAIN;
		}
	}
	if (pad) {
		__atomic_store_n((uint64_t *)(void *)(p->ring + off), JW_REC_COMMIT(pad, head, 1),
				 __ATOMIC_RELEASE);
		head += pad;
		off = 0;
	}
	r = (struct jw_shm_rec *)(void *)(p->ring + off);
	r->seq = p->seq + 1;
	r->payload_len = (uint32_t)dlen;
	r->subject_len = (uint16_t)slen;
	r->hdr_len = (uint16_t)hlen;
	dst = p->ring + off + JW_REC_HDR_BYTES;
	memcpy(dst, subject, slen);
	if (hlen)
		memcpy(dst + slen, hdr, hlen);
	if (dlen)
		memcpy(dst + slen + hlen, data, dlen);
	/* [P1] release: the record's bytes before its commit word, the commit word before head.
	 * A producer that dies before these two stores exposes nothing. */
	__atomic_store_n(&r->commit, JW_REC_COMMIT(len, head, 0), __ATOMIC_RELEASE);
	p->head = head + len;
	__atomic_store_n(&p->slot->head, p->head, __ATOMIC_RELEASE);
	p->seq++;
	if (seq_out)
		*seq_out = p->seq;
	/* The next record's first lines, last written a lap of the ring ago: fetched now (the
	 * write hint compiles to PREFETCHT0 on the x86-64 baseline, which also walks the page
	 * tables), so that a producer which pauses between calls (a paced one) does not wait
	 * for memory or a page walk in its next call. A hint only: past the ring's end it wraps. */
	off = p->head & (size - 1);
	for (unsigned i = 0; i < PREFETCH_LINES; i++)
		__builtin_prefetch(p->ring + ((off + i * JW_CACHE_LINE) & (size - 1)), 1, 3);
	return 0;
}

int
jw_publish(jw_producer *p, const char *subject, const void *data, size_t len, uint64_t *seq)
{
	return append(p, subject, NULL, 0, data, len, seq);
}

int
jw_publish_msg(jw_producer *p, const struct jw_msg *m, uint64_t *seq)
{
	if (m == NULL)
		return JW_EINVAL;
	return append(p, m->subject, m->hdr, m->hdr_len, m->data, m->data_len, seq);
}

/* ---- reports ---- */

static void
report_from_shm(struct jw_report *out, const struct jw_shm_report *in)
{
	out->seq = in->seq;
	out->stream_seq = in->stream_seq;
	out->status = in->status;
	out->duplicate = in->duplicate != 0;
	out->reason = in->reason;
	out->code = in->code;
	out->err_code = (int)in->err_code;
	memcpy(out->stream, in->stream, JW_SHM_STREAM_MAX);
	out->stream[JW_SHM_STREAM_MAX] = '\0';
}

/* Reads up to max reports from the shared report ring into out. Returns the count. */
static int
take_reports(jw_producer *p, struct jw_report *out, size_t max)
{
	/* [P4] acquire rep_head: the entries below it are written. */
	uint64_t h = __atomic_load_n(&p->slot->rep_head, __ATOMIC_ACQUIRE);
	uint64_t t = p->rep_tail;
	uint64_t avail = h - t;
	size_t n = 0;

	if (avail > p->rep_n) /* impossible unless jetwire's cursor is corrupt */
		return 0;
	while (n < max && n < avail) {
		report_from_shm(&out[n], &p->reps[(t + n) & (p->rep_n - 1)]);
		n++;
	}
	if (n) {
		p->rep_tail = t + n;
		/* [P4] release: our reads of the entries happen before jetwire reuses them. */
		__atomic_store_n(&p->slot->rep_tail, p->rep_tail, __ATOMIC_RELEASE);
		p->reported += n;
	}
	return (int)n;
}

/* Moves every available report from the ring into the private FIFO. Returns 0 or
 * JW_ENOMEM. */
static int
buffer_reports(jw_producer *p)
{
	for (;;) {
		size_t room, tail;
		int n;

		if (p->buf_len == p->buf_cap) {
			size_t cap = p->buf_cap ? p->buf_cap * 2 : 256;
			struct jw_report *nb = malloc(cap * sizeof(*nb));

			if (nb == NULL)
				return JW_ENOMEM;
			for (size_t i = 0; i < p->buf_len; i++)
				nb[i] = p->buf[(p->buf_first + i) % p->buf_cap];
			free(p->buf);
			p->buf = nb;
			p->buf_cap = cap;
			p->buf_first = 0;
		}
		tail = (p->buf_first + p->buf_len) % p->buf_cap;
		room = JW_MIN(p->buf_cap - p->buf_len, p->buf_cap - tail);
		n = take_reports(p, &p->buf[tail], room);
		p->buf_len += (size_t)n;
		if ((size_t)n < room)
			return 0;
	}
}

int
jw_reports(jw_producer *p, struct jw_report *out, int max)
{
	int n = 0;

	if (p == NULL || out == NULL || max < 0)
		return JW_EINVAL;
	while (n < max && p->buf_len) {
		out[n++] = p->buf[p->buf_first];
		p->buf_first = (p->buf_first + 1) % p->buf_cap;
		p->buf_len--;
	}
	if (n < max)
		n += take_reports(p, out + n, (size_t)(max - n));
	return n;
}

uint64_t
jw_outstanding(const jw_producer *p)
{
	return p ? p->seq - p->reported : 0;
}

/* ---- waiting ---- */

/* One step of a polite wait: short sleeps growing to 1 ms. */
static void
backoff(unsigned *step)
{
	struct timespec ts = { 0, 0 };
	unsigned s = *step < 6 ? *step : 6;

	ts.tv_nsec = (long)(16000L << s); /* 16 us .. 1 ms */
	nanosleep(&ts, NULL);
	(*step)++;
}

static int
deadline_passed(uint64_t start, int timeout_ms)
{
	return timeout_ms >= 0 && jw_mono_ns() - start >= (uint64_t)timeout_ms * 1000000ULL;
}

/* The handle's slot still belongs to it and the instance still exists. */
static int
still_usable(const jw_producer *p)
{
	if (__atomic_load_n(&p->hdr->state, __ATOMIC_RELAXED) == JW_SHM_STATE_DESTROYED)
		return JW_ECLOSED;
	if (__atomic_load_n(&p->slot->owner, __ATOMIC_RELAXED) != p->owner)
		return JW_ECLOSED;
	return 0;
}

int
jw_flush(jw_producer *p, int timeout_ms)
{
	uint64_t start = jw_mono_ns();
	unsigned step = 0;
	int rc;

	if (p == NULL)
		return JW_EINVAL;
	for (;;) {
		if ((rc = buffer_reports(p)) != 0)
			return rc;
		if (p->reported >= p->seq)
			return 0;
		if ((rc = still_usable(p)) != 0)
			return rc;
		if (deadline_passed(start, timeout_ms))
			return JW_ETIMEDOUT;
		backoff(&step);
	}
}

int
jw_publish_msg_wait(jw_producer *p, const struct jw_msg *m, uint64_t *seq, int timeout_ms)
{
	uint64_t start = 0;
	unsigned step = 0;

	for (;;) {
		int rc = jw_publish_msg(p, m, seq);

		if (rc != JW_EAGAIN)
			return rc;
		if (start == 0)
			start = jw_mono_ns();
		/* Free the report ring so that jetwire can release records. */
		if ((rc = buffer_reports(p)) != 0)
			return rc;
		if (deadline_passed(start, timeout_ms))
			return JW_ETIMEDOUT;
		backoff(&step);
	}
}

int
jw_publish_wait(jw_producer *p, const char *subject, const void *data, size_t len,
		uint64_t *seq, int timeout_ms)
{
	struct jw_msg m = { .subject = subject, .data = data, .data_len = len };

	return jw_publish_msg_wait(p, &m, seq, timeout_ms);
}

/* ---- open / close ---- */

static int
errno_to_jw(int e)
{
	switch (e) {
	case ENOENT: return JW_ENOTRUNNING;
	case EACCES: case EPERM: return JW_EPERM;
	case EPROTO: return JW_EVERSION;
	case EINVAL: return JW_EINVAL;
	case ENOMEM: return JW_ENOMEM;
	case EBUSY: return JW_EBUSY;
	default: return JW_ENOTRUNNING;
	}
}

/* Maps every page of the claimed ring writable now, so that no jw_publish pays a page
 * fault on its first lap over the ring (they showed up as the burst's p99). Best effort:
 * kernels before 5.14 lack MADV_POPULATE_WRITE and then the first lap faults as before. */
static void
prefault(void *ring, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)ring & ~(page - 1);

	(void)madvise((void *)start, bytes + ((uintptr_t)ring - start), MADV_POPULATE_WRITE);
#else
	(void)ring;
	(void)bytes;
#endif
}

int
jw_open(jw_producer **pp, const struct jw_open_opts *o)
{
	const char *instance = (o && o->instance) ? o->instance : "default";
	int tx = o ? o->tx_lcore : -1;
	struct jw_shm *shm;
	struct jw_shm_slot *s;
	jw_producer *p;
	uint64_t head, released;

	if (pp == NULL)
		return JW_EINVAL;
	*pp = NULL;
	if (tx < -1 || jw_shm_instance_check(instance) != 0)
		return JW_EINVAL;
	shm = jw_shm_attach(instance);
	if (shm == NULL)
		return errno_to_jw(errno);
	if (!jw_shm_engine_alive(shm)) {
		jw_shm_unmap(shm);
		return JW_ENOTRUNNING;
	}
	if (tx >= (int)shm->n_tx) {
		jw_shm_unmap(shm);
		return JW_EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		jw_shm_unmap(shm);
		return JW_ENOMEM;
	}
	s = jw_shm_claim(shm, tx, (int32_t)getpid());
	if (s == NULL) {
		int e = errno;
		free(p);
		jw_shm_unmap(shm);
		return errno_to_jw(e);
	}
	p->shm = shm;
	p->hdr = shm->hdr;
	p->slot = s;
	p->ring = jw_shm_slot_ring(shm, s);
	p->ring_bytes = shm->ring_bytes;
	p->max_rec = shm->ring_bytes / 2;
	p->reps = jw_shm_slot_reports(shm, s);
	p->rep_n = shm->report_entries;
	prefault(p->ring, p->ring_bytes);
	p->owner = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
	p->rep_tail = __atomic_load_n(&s->rep_tail, __ATOMIC_RELAXED);
	/* A free slot has every record final: head == released. Anything else is a corrupt
	 * cursor left by an earlier owner; start clean at released. */
	head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
	released = __atomic_load_n(&s->released, __ATOMIC_ACQUIRE);
	if (head != released) {
		head = released;
		__atomic_store_n(&s->head, head, __ATOMIC_RELEASE);
	}
	p->head = head;
	p->released = released;
	*pp = p;
	return 0;
}

int
jw_close(jw_producer *p)
{
	if (p == NULL)
		return JW_EINVAL;
	(void)jw_shm_unclaim(p->slot, p->owner); /* -ESTALE: taken back already, nothing to do */
	jw_shm_unmap(p->shm);
	free(p->buf);
	free(p);
	return 0;
}

/* ---- for tools and tests (producer/producer.h) ---- */

uint32_t
jw_producer_slot(const jw_producer *p, uint32_t *tx, uint32_t *index)
{
	if (tx)
		*tx = p->slot->tx;
	if (index)
		*index = p->slot->index;
	return JW_OWNER_GEN(p->owner);
}

uint64_t
jw_producer_eagain(const jw_producer *p)
{
	return p->eagain;
}

/* ---- text ---- */

const char *
jw_strerror(int code)
{
	switch (code) {
	case JW_OK: return "success";
	case JW_EAGAIN: return "ring full, retry later";
	case JW_EINVAL: return "invalid argument (subject, header block, handle or option)";
	case JW_E2BIG: return "message larger than the server's max_payload or the ring";
	case JW_ENOTRUNNING: return "jetwire instance is not running";
	case JW_ECLOSED: return "producer handle is closed (instance destroyed or slot taken back)";
	case JW_ETIMEDOUT: return "timed out";
	case JW_ENOMEM: return "out of memory";
	case JW_EBUSY: return "every producer slot of the instance is taken";
	case JW_EVERSION: return "jetwire instance uses an incompatible shared-memory layout";
	case JW_EPERM: return "permission denied on the instance's shared memory";
	default: return "unknown error";
	}
}

const char *
jw_reason_str(int reason)
{
	static const char *const names[JW_R_MAX] = {
		[JW_R_NONE] = "none",
		[JW_R_NO_STREAM] = "no stream for subject",
		[JW_R_JS_ERROR] = "JetStream error",
		[JW_R_TIMEOUT] = "no PubAck in time",
		[JW_R_BAD_SUBJECT] = "invalid subject in ring",
		[JW_R_BAD_HEADER] = "invalid header block in ring",
		[JW_R_TOO_BIG] = "over server max_payload",
		[JW_R_CORRUPT] = "corrupt record in ring",
		[JW_R_SERVER_ERR] = "server error",
		[JW_R_SHUTDOWN] = "jetwire shut down",
	};

	if (reason < 0 || reason >= JW_R_MAX || names[reason] == NULL)
		return "unknown reason";
	return names[reason];
}
