/* Unit tests of lib/shm: jetwire's side of the shared-memory rings (create/attach, peek,
 * validation of garbage, sent/released cursors, reports, slot reclamation). The test
 * process plays jetwire; producers are libjetwire handles (or raw writes for garbage). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/fixtures.h"
#include "jetwire.h"
#include "nats/nats_validate.h"
#include "producer/producer.h"
#include "shm/shm.h"
#include "test_shm.h"

static char inst[JW_SHM_INSTANCE_MAX];

static const char *
new_instance(void)
{
	return jwt_instance_name(inst, sizeof(inst), "tshm");
}

static jw_producer *
open_on(int tx)
{
	struct jw_open_opts o = { .instance = inst, .tx_lcore = tx };
	jw_producer *p = NULL;

	assert_int_equal(jw_open(&p, &o), 0);
	assert_non_null(p);
	return p;
}

static struct jw_shm_slot *
slot_of(struct jw_shm *shm, jw_producer *p)
{
	uint32_t tx, idx;

	jw_producer_slot(p, &tx, &idx);
	return jw_shm_slot(shm, tx, idx);
}

static void
create_attach_destroy(void **state)
{
	struct jw_shm *shm, *a;
	char name[64];
	struct stat st;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 2, 4, 8192, 32);
	assert_int_equal(shm->hdr->magic, JW_SHM_MAGIC);
	assert_int_equal(shm->hdr->n_tx, 2);
	assert_int_equal(shm->hdr->slots_per_tx, 4);
	assert_int_equal(shm->hdr->state, JW_SHM_STATE_RUNNING);
	assert_int_equal(shm->hdr->engine_pid, getpid());
	assert_int_equal(jw_shm_generation(shm), 1);
	assert_true(jw_shm_nonce(shm) != 0);
	assert_int_equal(shm->hdr->layout_hash, jw_shm_layout_hash(2, 4, 8192, 32));
	assert_int_equal(jw_shm_slot(shm, 1, 3)->tx, 1);
	assert_int_equal(jw_shm_slot(shm, 1, 3)->index, 3);
	assert_null(jw_shm_slot(shm, 2, 0));
	assert_null(jw_shm_slot(shm, 0, 4));
	snprintf(name, sizeof(name), "/dev/shm/jetwire.%s", inst);
	assert_int_equal(stat(name, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	a = jw_shm_attach(inst);
	assert_non_null(a);
	assert_int_equal(a->ring_bytes, 8192);
	jw_shm_unmap(a);
	jw_shm_destroy(shm);
	assert_null(jw_shm_attach(inst));
	assert_int_equal(errno, ENOENT);
}

static void
create_rejects_bad_params(void **state)
{
	struct jw_shm_params p = { .ring_bytes = 5000 };
	char err[256];

	(void)state;
	p.instance = new_instance();
	assert_null(jw_shm_create(&p, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	p.ring_bytes = 4096;
	p.n_tx = JW_SHM_MAX_TX + 1;
	assert_null(jw_shm_create(&p, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	p.n_tx = 1;
	p.report_entries = 100;
	assert_null(jw_shm_create(&p, err, sizeof(err)));
	p.report_entries = 0;
	p.instance = "bad/name";
	assert_null(jw_shm_create(&p, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	p.instance = "";
	assert_null(jw_shm_create(&p, err, sizeof(err)));
	p.instance = inst;
	p.group = "no-such-group-jetwire";
	assert_null(jw_shm_create(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "no-such-group-jetwire"));
	assert_int_equal(jw_shm_instance_check("a.b-c_9"), 0);
	assert_int_equal(jw_shm_instance_check(".hidden"), -EINVAL);
}

static void
publish_n(jw_producer *p, int n, const char *subj)
{
	char buf[64];

	for (int i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "%d payload", i);
		assert_int_equal(jw_publish(p, subj, buf, (size_t)len, NULL), 0);
	}
}

static void
peek_validates_and_wraps(void **state)
{
	struct jw_shm *shm;
	jw_producer *p;
	struct jw_shm_slot *s;
	struct jw_shm_view v[8];
	uint64_t expect = 1, seq;
	char buf[600];
	int laps_seen = 0;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 2, 4096, 16);
	p = open_on(0);
	s = slot_of(shm, p);
	/* Varying sizes so that wrap markers land at many offsets; ~30 laps of the ring. */
	for (int i = 0; i < 400; i++) {
		size_t len = (size_t)(i * 37) % 500;
		unsigned n;

		memset(buf, 'a' + i % 26, len);
		assert_int_equal(jw_publish(p, "w.x", buf, len, &seq), 0);
		assert_int_equal(seq, (uint64_t)i + 1);
		n = jw_shm_peek(shm, s, v, 8);
		assert_int_equal(n, 1);
		assert_int_equal(v[0].reason, 0);
		assert_int_equal(v[0].seq, expect++);
		assert_int_equal(v[0].subject_len, 3);
		assert_memory_equal(v[0].subject, "w.x", 3);
		assert_null(v[0].hdr);
		assert_int_equal(v[0].payload_len, len);
		for (size_t k = 0; k < len; k++)
			assert_int_equal(v[0].payload[k], 'a' + i % 26);
		if ((v[0].pos & 4095) + (v[0].end - v[0].pos) > 4096)
			fail_msg("record crosses the ring end");
		if ((v[0].pos & 4095) == 0 && i)
			laps_seen++;
		assert_int_equal(jw_shm_mark_sent(shm, s, v[0].end), 0);
		assert_int_equal(jw_shm_release(shm, s, v[0].end), 0);
	}
	assert_true(laps_seen > 10);
	assert_true(s->head > 10 * 4096);
	assert_int_equal(s->bad_records, 0);
	jw_close(p);
	jw_shm_destroy(shm);
}

static void
full_ring_and_cursor_rules(void **state)
{
	struct jw_shm *shm;
	jw_producer *p;
	struct jw_shm_slot *s;
	struct jw_shm_view v[256], rv;
	char buf[200] = { 0 };
	unsigned n, accepted = 0;
	int rc;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 4096, 16);
	p = open_on(-1);
	s = slot_of(shm, p);
	while ((rc = jw_publish(p, "f", buf, sizeof(buf), NULL)) == 0)
		accepted++;
	assert_int_equal(rc, JW_EAGAIN);
	assert_int_equal(accepted, 4096 / JW_REC_SIZE(1, 0, 200));
	assert_int_equal(s->eagain, 1);
	assert_int_equal(jw_producer_eagain(p), 1);
	n = jw_shm_peek(shm, s, v, 256);
	assert_int_equal(n, accepted);
	/* Releasing needs sending first; positions must be aligned and in range. */
	assert_int_equal(jw_shm_release(shm, s, v[0].end), -EINVAL);
	assert_int_equal(jw_shm_mark_sent(shm, s, v[0].end + 4), -EINVAL);
	assert_int_equal(jw_shm_mark_sent(shm, s, s->head + 8), -EINVAL);
	assert_int_equal(jw_shm_mark_sent(shm, s, v[1].end), 0);
	assert_int_equal(jw_shm_mark_sent(shm, s, v[0].end), -EINVAL); /* backwards */
	assert_int_equal(jw_shm_read_at(shm, s, v[1].pos, &rv), 0);
	assert_int_equal(rv.seq, 2);
	assert_int_equal(jw_shm_read_at(shm, s, v[2].pos, &rv), -EINVAL); /* not sent yet */
	assert_int_equal(jw_shm_is_held(s, v[0].pos), 1);
	/* Still full: the producer may not overwrite unreleased space. */
	assert_int_equal(jw_publish(p, "f", buf, sizeof(buf), NULL), JW_EAGAIN);
	assert_int_equal(jw_shm_release(shm, s, v[0].end), 0);
	assert_int_equal(jw_shm_is_held(s, v[0].pos), 0);
	assert_int_equal(jw_shm_read_at(shm, s, v[0].pos, &rv), -EINVAL); /* released */
	assert_int_equal(jw_publish(p, "f", buf, sizeof(buf), NULL), 0);
	/* Rewind: sent goes back to released, the records are peeked again. */
	jw_shm_rewind(s);
	assert_int_equal(s->sent, v[0].end);
	n = jw_shm_peek(shm, s, v, 256);
	assert_int_equal(n, accepted);
	assert_int_equal(v[0].seq, 2);
	assert_int_equal(v[n - 1].seq, accepted + 1);
	jw_close(p);
	jw_shm_destroy(shm);
}

/* Writes a raw record header at ring position pos. */
static void
raw_rec(struct jw_shm *shm, struct jw_shm_slot *s, uint64_t pos, uint64_t commit, uint64_t seq,
	uint32_t plen, uint16_t slen, uint16_t hlen, const char *body, size_t blen)
{
	uint8_t *ring = jw_shm_slot_ring(shm, s);
	struct jw_shm_rec *r = (struct jw_shm_rec *)(void *)(ring + (pos & (shm->ring_bytes - 1)));

	r->commit = commit;
	r->seq = seq;
	r->payload_len = plen;
	r->subject_len = slen;
	r->hdr_len = hlen;
	memcpy(r + 1, body, blen);
}

static void
garbage_is_rejected_counted_and_skipped(void **state)
{
	struct jw_shm *shm;
	jw_producer *p;
	struct jw_shm_slot *s;
	struct jw_shm_view v[16];
	uint64_t pos, len;
	unsigned n;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 8192, 16);
	p = open_on(0);
	s = slot_of(shm, p);
	publish_n(p, 1, "good");
	pos = s->head;
	/* 1: subject with a space (would inject into the control line). */
	len = JW_REC_SIZE(5, 0, 3);
	raw_rec(shm, s, pos, JW_REC_COMMIT(len, pos, 0), 2, 3, 5, 0, "a b.cxyz", 8);
	pos += len;
	/* 2: header block that is not NATS/1.0. */
	len = JW_REC_SIZE(1, 6, 0);
	raw_rec(shm, s, pos, JW_REC_COMMIT(len, pos, 0), 3, 0, 1, 6, "xHTTP\r\n", 7);
	pos += len;
	/* 3: parts that do not add up to the length. */
	len = JW_REC_SIZE(1, 0, 8);
	raw_rec(shm, s, pos, JW_REC_COMMIT(len, pos, 0), 4, 100, 1, 0, "x", 1);
	pos += len;
	/* 4: a wildcard subject. */
	len = JW_REC_SIZE(3, 0, 0);
	raw_rec(shm, s, pos, JW_REC_COMMIT(len, pos, 0), 5, 0, 3, 0, "a.*", 3);
	pos += len;
	s->head = pos;
	jw_close(p); /* its private head is behind the garbage: it is a broken producer */
	n = jw_shm_peek(shm, s, v, 16);
	assert_int_equal(n, 5);
	assert_int_equal(v[0].reason, 0);
	assert_int_equal(v[1].reason, JW_R_BAD_SUBJECT);
	assert_int_equal(v[1].seq, 2);
	assert_int_equal(v[2].reason, JW_R_BAD_HEADER);
	assert_int_equal(v[3].reason, JW_R_CORRUPT);
	assert_int_equal(v[3].seq, 4);
	assert_int_equal(v[4].reason, JW_R_BAD_SUBJECT);
	for (unsigned i = 1; i < n; i++)
		assert_int_equal(v[i].pos, v[i - 1].end);
	assert_int_equal(v[4].end, pos);
	assert_int_equal(s->bad_records, 4);
	assert_int_equal(jw_shm_mark_sent(shm, s, pos), 0);
	assert_int_equal(jw_shm_release(shm, s, pos), 0);
	assert_int_equal(jw_shm_reclaim(shm), 1); /* closed and final: free again */

	/* 5: a commit word with a stale tag: everything up to head is one corrupt region. */
	p = open_on(0);
	s = slot_of(shm, p);
	pos = s->head;
	len = JW_REC_SIZE(1, 0, 0);
	raw_rec(shm, s, pos, JW_REC_COMMIT(len, pos + 8192, 0), 9, 0, 1, 0, "z", 1);
	raw_rec(shm, s, pos + len, JW_REC_COMMIT(len, pos + len, 0), 10, 0, 1, 0, "z", 1);
	s->head = pos + 2 * len;
	n = jw_shm_peek(shm, s, v, 16);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].reason, JW_R_CORRUPT);
	assert_int_equal(v[0].seq, 0);
	assert_int_equal(v[0].pos, pos);
	assert_int_equal(v[0].end, pos + 2 * len);
	assert_int_equal(s->bad_records, 5);
	/* 6: a length running past head. */
	pos = v[0].end;
	jw_shm_mark_sent(shm, s, pos);
	jw_shm_release(shm, s, pos);
	raw_rec(shm, s, pos, JW_REC_COMMIT(4000, pos, 0), 11, 0, 1, 0, "z", 1);
	s->head = pos + 64;
	n = jw_shm_peek(shm, s, v, 16);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].reason, JW_R_CORRUPT);
	assert_int_equal(v[0].end, pos + 64);
	jw_shm_mark_sent(shm, s, v[0].end);
	jw_shm_release(shm, s, v[0].end);
	/* 7: impossible heads are refused without reading anything. */
	pos = s->head;
	s->head = pos + 3;
	assert_int_equal(jw_shm_peek(shm, s, v, 16), 0);
	s->head = pos + 8192 + 8;
	assert_int_equal(jw_shm_peek(shm, s, v, 16), 0);
	assert_int_equal(s->bad_cursor, 2);
	s->head = pos;
	/* 8: a wrap marker that does not reach the end of the ring. */
	raw_rec(shm, s, pos, JW_REC_COMMIT(16, pos, 1), 0, 0, 0, 0, "", 0);
	s->head = pos + 64;
	n = jw_shm_peek(shm, s, v, 16);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].reason, JW_R_CORRUPT);
	jw_shm_mark_sent(shm, s, v[0].end);
	jw_shm_release(shm, s, v[0].end);
	jw_close(p);
	/* And the ring still works for a well-behaved producer afterwards. */
	p = open_on(0);
	s = slot_of(shm, p);
	publish_n(p, 3, "fine.again");
	n = jw_shm_peek(shm, s, v, 16);
	assert_int_equal(n, 3);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(v[i].reason, 0);
		assert_int_equal(v[i].seq, i + 1);
	}
	jw_close(p);
	jw_shm_destroy(shm);
}

static void
too_big_after_limits_known(void **state)
{
	struct jw_shm *shm;
	jw_producer *p;
	struct jw_shm_slot *s;
	struct jw_shm_view v[4];
	char buf[1000] = { 0 };

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 8192, 16);
	p = open_on(0);
	s = slot_of(shm, p);
	/* max_payload unknown: accepted up to the ring limit. */
	assert_int_equal(jw_publish(p, "big", buf, 900, NULL), 0);
	jw_shm_set_limits(shm, 512, 100);
	assert_int_equal(jw_shm_peek(shm, s, v, 4), 1);
	assert_int_equal(v[0].reason, JW_R_TOO_BIG);
	assert_int_equal(jw_publish(p, "big", buf, 413, NULL), JW_E2BIG);
	assert_int_equal(jw_publish(p, "big", buf, 412, NULL), 0);
	jw_close(p);
	jw_shm_destroy(shm);
}

static void
reports_flow_and_full_ring(void **state)
{
	struct jw_shm *shm;
	jw_producer *p;
	struct jw_shm_slot *s;
	struct jw_shm_report r;
	struct jw_report out[40];
	int n;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 8192, 16);
	p = open_on(0);
	s = slot_of(shm, p);
	memset(&r, 0, sizeof(r));
	r.status = JW_ACKED;
	memcpy(r.stream, "ORDERS_WITH_A_VERY_LONG_NAME_32B", 32);
	for (int i = 0; i < 16; i++) {
		r.seq = (uint64_t)i + 1;
		r.stream_seq = 1000 + (uint64_t)i;
		assert_int_equal(jw_shm_report(shm, s, &r), 0);
	}
	assert_int_equal(jw_shm_report(shm, s, &r), -EAGAIN);
	n = jw_reports(p, out, 10);
	assert_int_equal(n, 10);
	assert_int_equal(out[0].seq, 1);
	assert_int_equal(out[9].stream_seq, 1009);
	assert_int_equal(out[0].status, JW_ACKED);
	assert_string_equal(out[0].stream, "ORDERS_WITH_A_VERY_LONG_NAME_32B");
	r.seq = 17;
	r.status = JW_FAILED;
	r.reason = JW_R_NO_STREAM;
	r.code = 503;
	memset(r.stream, 0, sizeof(r.stream));
	assert_int_equal(jw_shm_report(shm, s, &r), 0);
	n = jw_reports(p, out, 40);
	assert_int_equal(n, 7);
	assert_int_equal(out[6].seq, 17);
	assert_int_equal(out[6].status, JW_FAILED);
	assert_int_equal(out[6].reason, JW_R_NO_STREAM);
	assert_int_equal(out[6].code, 503);
	assert_string_equal(out[6].stream, "");
	assert_int_equal(jw_reports(p, out, 40), 0);
	/* After close, reports to the slot are dropped and counted, never block. */
	publish_n(p, 1, "x");
	jw_close(p);
	assert_int_equal(jw_shm_report(shm, s, &r), 0);
	assert_int_equal(s->reports_dropped, 1);
	jw_shm_destroy(shm);
}

static void
restart_keeps_rings(void **state)
{
	struct jw_shm *shm;
	jw_producer *p;
	struct jw_shm_slot *s;
	struct jw_shm_view v[8];
	uint64_t nonce;
	unsigned n;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 2, 8192, 16);
	nonce = jw_shm_nonce(shm);
	p = open_on(0);
	publish_n(p, 3, "keep");
	s = slot_of(shm, p);
	assert_int_equal(jw_shm_peek(shm, s, v, 8), 3);
	jw_shm_mark_sent(shm, s, v[1].end);
	jw_shm_release(shm, s, v[0].end);
	jw_shm_detach(shm);
	/* Stopped: the producer is told, nothing is appended. */
	assert_int_equal(jw_publish(p, "keep", "x", 1, NULL), JW_ENOTRUNNING);
	{
		jw_producer *q = NULL;
		struct jw_open_opts o = { .instance = inst, .tx_lcore = -1 };
		assert_int_equal(jw_open(&q, &o), JW_ENOTRUNNING);
		assert_null(q);
	}
	shm = jwt_shm_mk(inst, 1, 2, 8192, 16);
	assert_int_equal(jw_shm_generation(shm), 2);
	assert_int_equal(jw_shm_nonce(shm), nonce);
	s = slot_of(shm, p);
	/* Unreleased records come back, from released on (sent was rewound). */
	n = jw_shm_peek(shm, s, v, 8);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].seq, 2);
	assert_int_equal(v[1].seq, 3);
	/* The producer carries on in the same ring. */
	assert_int_equal(jw_publish(p, "keep", "x", 1, NULL), 0);
	assert_int_equal(jw_shm_peek(shm, s, v, 8), 3);
	assert_int_equal(v[2].seq, 4);
	jw_close(p);
	jw_shm_destroy(shm);
	assert_int_equal(jw_shm_attach(inst) == NULL, 1);
}

static void
layout_change_refused_with_records(void **state)
{
	struct jw_shm *shm;
	struct jw_shm_params prm = { .n_tx = 1, .slots_per_tx = 4, .ring_bytes = 16384,
				     .report_entries = 16 };
	jw_producer *p;
	char err[512] = "";

	(void)state;
	prm.instance = new_instance();
	shm = jwt_shm_mk(inst, 1, 2, 8192, 16);
	p = open_on(0);
	publish_n(p, 2, "pending");
	jw_shm_detach(shm);
	assert_null(jw_shm_create(&prm, err, sizeof(err)));
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(err, "unreleased"));
	assert_non_null(strstr(err, "ring_bytes 8192"));
	/* Same layout: accepted and kept. */
	shm = jwt_shm_mk(inst, 1, 2, 8192, 16);
	{
		struct jw_shm_slot *s = slot_of(shm, p);
		struct jw_shm_view v[4];
		unsigned n = jw_shm_peek(shm, s, v, 4);
		assert_int_equal(n, 2);
		jw_shm_mark_sent(shm, s, v[1].end);
		jw_shm_release(shm, s, v[1].end);
	}
	jw_close(p);
	jw_shm_detach(shm);
	/* No records left: another layout replaces the object. */
	shm = jw_shm_create(&prm, err, sizeof(err));
	assert_non_null(shm);
	assert_int_equal(shm->ring_bytes, 16384);
	assert_int_equal(jw_shm_generation(shm), 1);
	jw_shm_destroy(shm);
}

static void
second_engine_refused(void **state)
{
	struct jw_shm *shm;
	pid_t pid;
	int st;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 4096, 16);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct jw_shm_params prm = { .instance = inst, .n_tx = 1, .slots_per_tx = 1,
					     .ring_bytes = 4096, .report_entries = 16 };
		char err[256];
		struct jw_shm *x = jw_shm_create(&prm, err, sizeof(err));
		_exit(x == NULL && errno == EBUSY && strstr(err, "running") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	jw_shm_destroy(shm);
}

static void
dead_producer_slot_reclaimed(void **state)
{
	struct jw_shm *shm;
	struct jw_shm_slot *s;
	struct jw_shm_view v[8];
	jw_producer *p;
	uint32_t gen;
	pid_t pid;
	int st;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 4096, 16);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		jw_producer *c = NULL;
		struct jw_open_opts o = { .instance = inst, .tx_lcore = 0 };
		if (jw_open(&c, &o) != 0)
			_exit(2);
		for (int i = 0; i < 5; i++)
			if (jw_publish(c, "dead.man", "x", 1, NULL) != 0)
				_exit(3);
		_exit(0); /* no jw_close: the slot stays owned by a dead pid */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	s = jw_shm_slot(shm, 0, 0);
	assert_int_equal(JW_OWNER_STATE(s->owner), JW_OWNER_OWNED);
	{
		jw_producer *q = NULL;
		struct jw_open_opts o = { .instance = inst, .tx_lcore = -1 };
		assert_int_equal(jw_open(&q, &o), JW_EBUSY);
	}
	/* Dead, but records pending: orphaned, not freed; reports to it are dropped. */
	assert_int_equal(jw_shm_reclaim(shm), 0);
	assert_int_equal(JW_OWNER_STATE(s->owner), JW_OWNER_ORPHAN);
	assert_int_equal(jw_shm_peek(shm, s, v, 8), 5);
	jw_shm_mark_sent(shm, s, v[4].end);
	{
		struct jw_shm_report r = { .seq = 1, .status = JW_ACKED };
		assert_int_equal(jw_shm_report(shm, s, &r), 0);
		assert_int_equal(s->reports_dropped, 1);
	}
	jw_shm_release(shm, s, v[2].end);
	assert_int_equal(jw_shm_reclaim(shm), 0);
	jw_shm_release(shm, s, v[4].end);
	assert_int_equal(jw_shm_reclaim(shm), 1);
	assert_int_equal(JW_OWNER_STATE(s->owner), JW_OWNER_FREE);
	assert_int_equal(s->reclaims, 1);
	gen = JW_OWNER_GEN(s->owner);
	p = open_on(-1);
	assert_int_equal(jw_producer_slot(p, NULL, NULL), gen + 1);
	assert_int_equal(jw_shm_slot_gen(s), gen + 1);
	publish_n(p, 1, "new.owner");
	assert_int_equal(jw_shm_peek(shm, s, v, 8), 1);
	assert_int_equal(v[0].seq, 1);
	/* Closing with records pending leaves CLOSED; freed once released. */
	jw_close(p);
	assert_int_equal(JW_OWNER_STATE(s->owner), JW_OWNER_CLOSED);
	jw_shm_mark_sent(shm, s, v[0].end);
	jw_shm_release(shm, s, v[0].end);
	assert_int_equal(jw_shm_reclaim(shm), 1);
	assert_int_equal(JW_OWNER_STATE(s->owner), JW_OWNER_FREE);
	jw_shm_destroy(shm);
}

static void
open_spreads_over_tx(void **state)
{
	struct jw_shm *shm;
	jw_producer *p[6];
	unsigned per_tx[3] = { 0 };
	struct jw_shm_slot_stats st;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 3, 2, 4096, 16);
	for (int i = 0; i < 6; i++) {
		uint32_t tx;
		p[i] = open_on(-1);
		jw_producer_slot(p[i], &tx, NULL);
		per_tx[tx]++;
		if (i == 2)
			assert_true(per_tx[0] == 1 && per_tx[1] == 1 && per_tx[2] == 1);
	}
	assert_true(per_tx[0] == 2 && per_tx[1] == 2 && per_tx[2] == 2);
	assert_int_equal(jw_shm_slot_stats(shm, 1, 1, &st), 0);
	assert_int_equal(st.state, JW_OWNER_OWNED);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(jw_shm_slot_stats(shm, 3, 0, &st), -EINVAL);
	for (int i = 0; i < 6; i++)
		jw_close(p[i]);
	/* preferred index honoured when free */
	p[0] = open_on(2);
	{
		uint32_t tx;
		jw_producer_slot(p[0], &tx, NULL);
		assert_int_equal(tx, 2);
	}
	jw_close(p[0]);
	jw_shm_destroy(shm);
}

/* xorshift64*: deterministic pseudo-random numbers for the hostile-producer test. */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

/* A hostile producer writes mostly-valid records with random damage (lengths, tags, wrap
 * flags, subjects, header blocks, raw noise) and random heads, sane or not. The consumer
 * must never read outside the ring, must always make progress over a sane head, must keep
 * views contiguous and cursors monotonic, and must only pass records that validate. */
static void
hostile_producer_never_desyncs_consumer(void **state)
{
	const uint32_t size = 4096;
	struct jw_shm *shm;
	jw_producer *p;
	struct jw_shm_slot *s;
	struct jw_shm_view v[16];
	uint8_t *ring;
	uint64_t x = 0x9e3779b97f4a7c15ULL, good = 0, bad = 0;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, size, 16);
	p = open_on(0);
	s = slot_of(shm, p);
	ring = jw_shm_slot_ring(shm, s);
	for (int iter = 0; iter < 1000000; iter++) {
		uint64_t sent = s->sent, released = s->released, pos = s->head;
		uint64_t limit = released + size, r = rnd(&x);
		unsigned n;

		/* producer side: append 0..3 records, some damaged, then pick a head */
		for (unsigned k = 0; k < (r & 3); k++) {
			static const char *const subj[] = { "a", "orders.eu", "a b", "x.*", "..", "ok.>" };
			const char *sj = subj[rnd(&x) % 6];
			uint32_t sl = (uint32_t)strlen(sj), hl = 0, pl = (uint32_t)(rnd(&x) % 300);
			const char *hdr = (rnd(&x) & 1) ? "NATS/1.0\r\nA: b\r\n\r\n" : "NATS/1.0 503\r\n\r\n";
			uint64_t len, off, d = rnd(&x);
			struct jw_shm_rec *rec;

			if (rnd(&x) & 1)
				hl = (uint32_t)strlen(hdr);
			len = JW_REC_SIZE(sl, hl, pl);
			off = pos & (size - 1);
			if (off + len > size) {
				if (pos + (size - off) + len > limit)
					break;
				*(uint64_t *)(void *)(ring + off) = JW_REC_COMMIT(size - off, pos, 1);
				pos += size - off;
				off = 0;
			}
			if (pos + len > limit)
				break;
			rec = (struct jw_shm_rec *)(void *)(ring + off);
			rec->seq = (uint64_t)iter;
			rec->payload_len = pl;
			rec->subject_len = (uint16_t)sl;
			rec->hdr_len = (uint16_t)hl;
			memcpy(ring + off + JW_REC_HDR_BYTES, sj, sl);
			memcpy(ring + off + JW_REC_HDR_BYTES + sl, hdr, hl);
			rec->commit = JW_REC_COMMIT(len, pos, 0);
			switch (d % 12) { /* damage */
			case 0: rec->commit ^= 1ULL << (rnd(&x) % 64); break;
			case 1: rec->payload_len ^= (uint32_t)rnd(&x); break;
			case 2: rec->subject_len = (uint16_t)rnd(&x); break;
			case 3: rec->hdr_len = (uint16_t)(rnd(&x) % 64); break;
			case 4: ring[(off + rnd(&x) % len) & (size - 1)] = (uint8_t)rnd(&x); break;
			case 5: rec->commit = rnd(&x); break;
			default: break;
			}
			pos += len;
		}
		switch (rnd(&x) % 16) { /* head: mostly what was written, sometimes nonsense */
		case 0: s->head = sent - 8; break;
		case 1: s->head = pos + 3; break;
		case 2: s->head = released + size + 8 * (1 + rnd(&x) % 100); break;
		case 3: s->head = sent + 8 * (rnd(&x) % 64); break;
		default: s->head = pos; break;
		}
		if (s->head < sent || s->head > released + size || (s->head & 7))
			s->head = (rnd(&x) & 1) ? s->head : pos; /* leave some insane heads */
		/* consumer side */
		n = jw_shm_peek(shm, s, v, 16);
		{
			uint64_t head = s->head;
			int sane = (head & 7) == 0 && head >= sent && head - released <= size;

			if (sane && head > sent)
				assert_true(n >= 1);
			if (!sane)
				assert_int_equal(n, 0);
			for (unsigned i = 0; i < n; i++) {
				assert_true(v[i].pos >= (i ? v[i - 1].end : sent));
				assert_true(v[i].end > v[i].pos && v[i].end <= head);
				if (v[i].reason) {
					bad++;
					continue;
				}
				good++;
				assert_true((const uint8_t *)v[i].subject >= ring);
				assert_true(v[i].payload + v[i].payload_len <= ring + size);
				assert_int_equal(nats_subject_check(v[i].subject, v[i].subject_len), 0);
				assert_int_equal(nats_hdr_check(v[i].hdr, v[i].hdr_len), 0);
			}
			if (n) {
				assert_int_equal(jw_shm_mark_sent(shm, s, v[n - 1].end), 0);
				if (rnd(&x) & 1)
					assert_int_equal(jw_shm_release(shm, s, v[n - 1].end), 0);
			} else if (!sane) {
				s->head = sent; /* the hostile producer "repairs" before going on */
			}
			if (s->released < s->sent && (rnd(&x) % 4) == 0)
				assert_int_equal(jw_shm_release(shm, s, s->sent), 0);
		}
		assert_true(s->sent >= sent && s->released >= released);
	}
	assert_true(good > 10000);
	assert_true(bad > 10000);
	assert_true(s->bad_records == bad);
	jw_close(p);
	jw_shm_destroy(shm);
}

static void
engine_liveness_by_pid_or_heartbeat(void **state)
{
	struct jw_shm *shm;
	uint64_t ns = 0;
	pid_t dead;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 4096, 16);
	assert_int_equal(jw_shm_engine_alive(shm), 1);
	dead = fork();
	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	shm->hdr->engine_pid = dead; /* same pid namespace: the pid decides */
	jw_shm_heartbeat(shm);
	assert_int_equal(jw_shm_engine_alive(shm), 0);
	ns = shm->hdr->engine_pidns;
	shm->hdr->engine_pidns = ns + 1; /* another namespace: the heartbeat decides */
	assert_int_equal(jw_shm_engine_alive(shm), 1);
	shm->hdr->heartbeat_ns -= JW_SHM_HEARTBEAT_FRESH_NS + 1;
	assert_int_equal(jw_shm_engine_alive(shm), 0);
	jw_shm_heartbeat(shm);
	shm->hdr->state = JW_SHM_STATE_STOPPED;
	assert_int_equal(jw_shm_engine_alive(shm), 0);
	shm->hdr->state = JW_SHM_STATE_RUNNING;
	shm->hdr->engine_pid = getpid();
	shm->hdr->engine_pidns = ns;
	assert_int_equal(jw_shm_engine_alive(shm), 1);
	jw_shm_destroy(shm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_attach_destroy),
		cmocka_unit_test(create_rejects_bad_params),
		cmocka_unit_test(peek_validates_and_wraps),
		cmocka_unit_test(full_ring_and_cursor_rules),
		cmocka_unit_test(garbage_is_rejected_counted_and_skipped),
		cmocka_unit_test(too_big_after_limits_known),
		cmocka_unit_test(reports_flow_and_full_ring),
		cmocka_unit_test(restart_keeps_rings),
		cmocka_unit_test(layout_change_refused_with_records),
		cmocka_unit_test(second_engine_refused),
		cmocka_unit_test(dead_producer_slot_reclaimed),
		cmocka_unit_test(open_spreads_over_tx),
		cmocka_unit_test(hostile_producer_never_desyncs_consumer),
		cmocka_unit_test(engine_liveness_by_pid_or_heartbeat),
	};

	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed + run_store_tests();
}
