/* Unit tests of shared replies (lib/flow/flow_share.c): answers wait for their checkpoint,
 * every way a class can be out of step breaks it into resends and never into a wrong
 * report, generations, the class table, and a randomized server that answers each stream
 * in order, loses answers and fails some publishes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow/flow.h"
#include "flow/flow_ident.h"
#include "jetwire.h"
#include "test_flow.h"

#define MS 1000000ull

#define MAX_REPORTS 8192

struct rec {
	struct flow_outcome o[MAX_REPORTS];
	uint32_t n;
};

static void
rec_report(void *ctx, const struct flow_outcome *o)
{
	struct rec *r = ctx;

	assert_true(r->n < MAX_REPORTS);
	r->o[r->n++] = *o;
}

static void
rec_release(void *ctx, uint16_t slot, uint64_t end)
{
	(void)ctx;
	(void)slot;
	(void)end;
}

static struct rec *rc;
static struct flow_ops ops;

static int
setup(void **state)
{
	rc = calloc(1, sizeof(*rc));
	ops.report = rec_report;
	ops.release = rec_release;
	ops.ctx = rc;
	*state = rc;
	return rc == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

static void
init_flow(struct flow *f, uint32_t w, enum flow_dedupe d)
{
	struct flow_params p = {
		.dedupe = d, .adaptive = false, .window_fixed = w, .window_min = 1,
		.window_max = w, .ack_timeout_ns = 100 * MS, .max_retries = 50,
		.shared_replies = true,
	};

	assert_int_equal(flow_init(f, &p), 0);
}

/* Sends a first send of subject subj; shared says whether T would share its reply (a later
 * one of the class follows in the batch). Returns the sequence; *gen its generation. */
static uint64_t
send_subj(struct flow *f, const char *subj, bool shared, uint64_t now, uint32_t *gen)
{
	uint32_t cls = flow_tx_share_class(f, subj, (uint32_t)strlen(subj));
	struct flow_record r = { .slot = 0, .ring_pos = 0, .ring_end = 0, .producer_seq = 0 };
	uint64_t seq;

	assert_true(cls != 0);
	r.share_cls = (uint8_t)cls;
	r.share_gen = flow_tx_share_pick(f, cls, shared, now);
	r.producer_seq = flow_tx_next_seq(f);
	r.ring_pos = r.producer_seq * 10;
	r.ring_end = r.ring_pos + 10;
	assert_int_equal(flow_tx_begin(f, &r, now, &seq), 0);
	assert_int_equal(r.share_gen != 0, shared);
	if (gen != NULL)
		*gen = r.share_gen;
	return seq;
}

static struct flow_ack
ok(const char *stream, uint64_t sseq)
{
	struct flow_ack a = { .kind = FLOW_ACK_OK, .stream = stream,
			      .stream_len = (uint32_t)strlen(stream), .stream_seq = sseq };
	return a;
}

static struct flow_ack
shared_ok(const char *stream, uint64_t sseq, uint32_t cls0, uint32_t gen)
{
	struct flow_ack a = ok(stream, sseq);

	a.share_cls = cls0;
	a.share_gen = gen;
	return a;
}

static uint32_t
cls0_of(struct flow *f, const char *subj)
{
	return flow_tx_share_class(f, subj, (uint32_t)strlen(subj)) - 1;
}

/* The resends T would transmit now, in order, into out (at most max). */
static uint32_t
take_resends(struct flow *f, uint64_t *out, uint32_t max)
{
	struct flow_record r;
	uint64_t seq;
	uint32_t n = 0;

	while (n < max && flow_tx_next_resend(f, &seq, &r) == 1)
		out[n++] = seq;
	return n;
}

/* Three shared publishes of "orders.eu" and their checkpoint into s[0..4); `answered` of the
 * three get their answers (stream ORDERS, stream seqs 10, 11, ...). Returns the class. */
static uint32_t
run_of_three(struct flow *f, uint64_t *s, uint32_t *g, int answered)
{
	uint32_t k = cls0_of(f, "orders.eu");
	struct flow_ack a;

	for (int i = 0; i < 3; i++)
		s[i] = send_subj(f, "orders.eu", true, 1, g);
	s[3] = send_subj(f, "orders.eu", false, 1, NULL);
	for (int i = 0; i < answered; i++) {
		a = shared_ok("ORDERS", 10 + (uint64_t)i, k, *g);
		assert_int_equal(flow_ctl_ack(f, UINT64_MAX, &a, 2, &ops), 0);
	}
	return k;
}

static void
answers_wait_for_their_checkpoint(void **state)
{
	struct flow f;
	struct flow_counters c;
	uint32_t g;
	uint64_t s[4];
	struct flow_ack a;

	(void)state;
	init_flow(&f, 64, FLOW_DEDUPE_MSGID);
	(void)run_of_three(&f, s, &g, 3);
	assert_int_equal(rc->n, 0); /* provisional: nothing reported yet */
	a = ok("ORDERS", 13);
	assert_int_equal(flow_ctl_ack(&f, s[3], &a, 3, &ops), 0);
	assert_int_equal(rc->n, 4);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(rc->o[i].seq, s[i]);
		assert_int_equal(rc->o[i].status, FLOW_ACKED);
		assert_int_equal(rc->o[i].stream_seq, 10 + i);
		assert_int_equal(rc->o[i].stream_len, 6);
		assert_memory_equal(rc->o[i].stream, "ORDERS", 6);
	}
	flow_counters_read(&f, &c);
	assert_int_equal(c.tx.shared_sent, 3);
	assert_int_equal(c.ctl.share_answers, 3);
	assert_int_equal(c.ctl.share_confirmed, 3);
	assert_int_equal(c.ctl.share_breaks, 0);
	assert_int_equal(c.outstanding, 0);
	flow_fini(&f);
}

static void
missing_answer_breaks_the_class(void **state)
{
	struct flow f;
	struct flow_counters c;
	uint32_t g, k;
	uint64_t s[4], rs[8];
	struct flow_ack a;

	(void)state;
	init_flow(&f, 64, FLOW_DEDUPE_MSGID);
	/* the server lost one answer: two come, then the checkpoint's */
	k = run_of_three(&f, s, &g, 2);
	a = ok("ORDERS", 13);
	assert_int_equal(flow_ctl_ack(&f, s[3], &a, 3, &ops), 0);
	/* only the checkpoint is reported: which of the three the two answers were for is
	 * not known, so all three go out again */
	assert_int_equal(rc->n, 1);
	assert_int_equal(rc->o[0].seq, s[3]);
	assert_int_equal(take_resends(&f, rs, 8), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rs[i], s[i]);
	flow_counters_read(&f, &c);
	assert_int_equal(c.ctl.share_breaks, 1);
	/* the lost answer turns up late, under the old generation: ignored */
	a = shared_ok("ORDERS", 12, k, g);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 4, &ops), -ESTALE);
	/* the resends' answers (unique replies) report them */
	for (int i = 0; i < 3; i++) {
		a = ok("ORDERS", 10 + (uint64_t)i);
		a.duplicate = i < 2;
		assert_int_equal(flow_ctl_ack(&f, s[i], &a, 5, &ops), 0);
	}
	assert_int_equal(rc->n, 4);
	flow_counters_read(&f, &c);
	assert_int_equal(c.ctl.share_stale, 1);
	assert_int_equal(c.ctl.share_confirmed, 0);
	assert_int_equal(c.outstanding, 0);
	/* the class shares again in the new generation */
	{
		uint32_t g2;

		(void)send_subj(&f, "orders.eu", true, 200 * MS, &g2);
		assert_true(g2 > g);
	}
	flow_fini(&f);
}

/* One shared publish and its checkpoint, the shared one answered by `bad`: nothing is
 * reported for the shared one, it is resent, the class is broken. */
static void
expect_break(struct flow_ack bad, int want_rc)
{
	struct flow f;
	struct flow_counters c;
	uint32_t g, k;
	uint64_t s0, s1, rs[4];
	struct flow_ack a;

	rc->n = 0;
	init_flow(&f, 64, FLOW_DEDUPE_MSGID);
	k = cls0_of(&f, "orders.eu");
	a = shared_ok("ORDERS", 5, k, 0);
	s0 = send_subj(&f, "orders.eu", true, 1, &g);
	a.share_gen = g;
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 2, &ops), 0); /* stream seq 5 */
	s1 = send_subj(&f, "orders.eu", true, 1, &g);
	(void)send_subj(&f, "orders.eu", false, 1, NULL);
	bad.share_cls = k;
	bad.share_gen = g;
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &bad, 3, &ops), want_rc);
	assert_int_equal(rc->n, 0);
	assert_int_equal(take_resends(&f, rs, 4), 2);
	assert_int_equal(rs[0], s0);
	assert_int_equal(rs[1], s1);
	flow_counters_read(&f, &c);
	assert_int_equal(c.ctl.share_breaks, 1);
	/* and the class cools down: unique replies for a while */
	assert_int_equal(flow_tx_share_pick(&f, k + 1, true, 4), 0);
	assert_true(flow_tx_share_pick(&f, k + 1, true, 4 + FLOW_SHARE_COOLDOWN_NS) != 0);
	flow_fini(&f);
}

static void
errors_other_streams_and_old_seqs_break_the_class(void **state)
{
	struct flow_ack a;

	(void)state;
	a = ok("ORDERS", 6);
	a.kind = FLOW_ACK_ERROR;
	a.code = 503;
	expect_break(a, -EPROTO); /* an error may overtake earlier answers */
	a = ok("OTHER", 6);
	expect_break(a, -EPROTO); /* one subject, one stream */
	a = ok("ORDERS", 5);
	expect_break(a, -EPROTO); /* stream sequences grow */
	a = ok("ORDERS", 4);
	expect_break(a, -EPROTO);
	a = ok("ORDERS", 6);
	a.kind = FLOW_ACK_NO_STREAM;
	expect_break(a, -EPROTO);
}

static void
unasked_answers_break_the_class(void **state)
{
	struct flow f;
	struct flow_counters c;
	uint32_t g, k;
	uint64_t s[3], rs[4];
	struct flow_ack a;

	(void)state;
	init_flow(&f, 64, FLOW_DEDUPE_MSGID);
	k = cls0_of(&f, "orders.eu");
	s[0] = send_subj(&f, "orders.eu", true, 1, &g);
	s[1] = send_subj(&f, "orders.eu", false, 1, NULL); /* checkpoint */
	s[2] = send_subj(&f, "orders.eu", true, 1, &g);
	/* two shared answers before the checkpoint's: the second cannot be the answer to s2
	 * (sent after the checkpoint), so the queue is out of step */
	a = shared_ok("ORDERS", 1, k, g);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 2, &ops), 0);
	a = shared_ok("ORDERS", 2, k, g);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 2, &ops), 0);
	a = ok("ORDERS", 3);
	assert_int_equal(flow_ctl_ack(&f, s[1], &a, 3, &ops), 0);
	assert_int_equal(rc->n, 1); /* the checkpoint only */
	assert_int_equal(take_resends(&f, rs, 4), 2);
	assert_int_equal(rs[0], s[0]);
	assert_int_equal(rs[1], s[2]);
	/* an answer when none is due */
	s[0] = send_subj(&f, "orders.us", true, 1, &g);
	a = shared_ok("ORDERS", 9, cls0_of(&f, "orders.us"), g);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 4, &ops), 0);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 4, &ops), -EPROTO);
	flow_counters_read(&f, &c);
	assert_int_equal(c.ctl.share_breaks, 2);
	/* a class that is not one: rejected, counted */
	a.share_cls = FLOW_SHARE_CLASSES;
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 5, &ops), -ENOENT);
	flow_fini(&f);
}

/* A single server answers errors in order too: a subject without a stream gets its 503s
 * matched like acks, reported as failed once the checkpoint's 503 confirms them, nothing
 * resent; another error in the same span breaks the class. */
static void
ordered_errors_are_matched_too(void **state)
{
	struct flow f;
	struct flow_counters c;
	uint32_t g, k;
	uint64_t s[4], rs[8];
	struct flow_ack a;
	static const char why[] = "no responders";

	(void)state;
	init_flow(&f, 64, FLOW_DEDUPE_MSGID);
	flow_ctl_share_errors_ordered(&f, true);
	k = cls0_of(&f, "nowhere.x");
	for (int i = 0; i < 3; i++)
		s[i] = send_subj(&f, "nowhere.x", true, 1, &g);
	s[3] = send_subj(&f, "nowhere.x", false, 1, NULL);
	memset(&a, 0, sizeof(a));
	a.kind = FLOW_ACK_NO_STREAM;
	a.code = 503;
	a.reason = why;
	a.reason_len = sizeof(why) - 1;
	a.share_cls = k;
	a.share_gen = g;
	for (int i = 0; i < 3; i++)
		assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 2, &ops), 0);
	assert_int_equal(rc->n, 0);
	a.share_gen = 0;
	assert_int_equal(flow_ctl_ack(&f, s[3], &a, 3, &ops), 0);
	assert_int_equal(rc->n, 4);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(rc->o[i].seq, s[i]);
		assert_int_equal(rc->o[i].status, FLOW_FAILED);
		assert_int_equal(rc->o[i].why, JW_R_NO_STREAM);
		assert_int_equal(rc->o[i].reason_len, sizeof(why) - 1);
		assert_memory_equal(rc->o[i].reason, why, sizeof(why) - 1);
	}
	assert_int_equal(take_resends(&f, rs, 8), 0);
	/* two kinds of error in one span: the class breaks */
	s[0] = send_subj(&f, "nowhere.x", true, 4, &g);
	s[1] = send_subj(&f, "nowhere.x", true, 4, &g);
	(void)send_subj(&f, "nowhere.x", false, 4, NULL);
	a.share_gen = g;
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 5, &ops), 0);
	a.kind = FLOW_ACK_ERROR;
	a.code = 400;
	a.err_code = 10071;
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 5, &ops), -EPROTO);
	assert_int_equal(take_resends(&f, rs, 8), 2);
	flow_counters_read(&f, &c);
	assert_int_equal(c.ctl.share_breaks, 1);
	flow_fini(&f);
}

static void
unconfirmed_publishes_time_out_into_resends(void **state)
{
	struct flow f;
	struct flow_counters c;
	uint32_t g, k;
	uint64_t s0, s1, s2, rs[4];
	struct flow_ack a;

	(void)state;
	init_flow(&f, 64, FLOW_DEDUPE_OFF);
	k = cls0_of(&f, "orders.eu");
	s0 = send_subj(&f, "orders.eu", true, 1 * MS, &g);
	s1 = send_subj(&f, "orders.eu", false, 1 * MS, NULL); /* its answer never comes */
	a = shared_ok("ORDERS", 1, k, g);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 2 * MS, &ops), 0);
	/* evidence that the server works: a later publish of another subject, answered */
	s2 = send_subj(&f, "other", false, 3 * MS, NULL);
	a = ok("OTHERS", 1);
	assert_int_equal(flow_ctl_ack(&f, s2, &a, 4 * MS, &ops), 0);
	assert_int_equal(rc->n, 1);
	(void)flow_ctl_scan_timeouts(&f, 500 * MS, &ops);
	assert_int_equal(take_resends(&f, rs, 4), 2);
	assert_int_equal(rs[0], s0); /* broken class: its unconfirmed publish */
	assert_int_equal(rs[1], s1); /* the checkpoint: an ordinary timeout */
	flow_counters_read(&f, &c);
	assert_int_equal(c.ctl.share_breaks, 1);
	/* with dedupe off, the resent one's report says it may be stored twice */
	a = ok("ORDERS", 2);
	assert_int_equal(flow_ctl_ack(&f, s0, &a, 501 * MS, &ops), 0);
	assert_int_equal(rc->o[1].seq, s0);
	assert_true(rc->o[1].maybe_duplicate);
	flow_fini(&f);
}

/* A server that stops (SIGSTOP) after answering a shared publish but before its checkpoint:
 * nothing is resent while it is stalled, and the checkpoint's answer, when it comes,
 * reports both. */
static void
answered_publishes_wait_out_a_stall(void **state)
{
	struct flow f;
	struct flow_counters c;
	uint32_t g, k;
	uint64_t s0, s1, sb, rs[4];
	struct flow_ack a;

	(void)state;
	init_flow(&f, 64, FLOW_DEDUPE_OFF);
	k = cls0_of(&f, "orders.eu");
	s0 = send_subj(&f, "orders.eu", true, 1 * MS, &g);
	sb = send_subj(&f, "orders.us", false, 1 * MS + 100000, NULL); /* another class */
	s1 = send_subj(&f, "orders.eu", false, 1 * MS + 200000, NULL);
	/* answers in order: s0's (provisional), sb's (acked: sent after s0), then the stall
	 * (s1 is not answered). s0 is not overdue: it was answered, and nothing sent after its
	 * answer was acked */
	a = shared_ok("ORDERS", 1, k, g);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 2 * MS, &ops), 0);
	a = ok("ORDERS", 2);
	assert_int_equal(flow_ctl_ack(&f, sb, &a, 2 * MS + 100000, &ops), 0);
	for (uint64_t t = 100 * MS; t <= 5000 * MS; t += 100 * MS)
		(void)flow_ctl_scan_timeouts(&f, t, &ops);
	assert_int_equal(take_resends(&f, rs, 4), 0);
	flow_counters_read(&f, &c);
	assert_int_equal(c.ctl.share_breaks, 0);
	a = ok("ORDERS", 3);
	assert_int_equal(flow_ctl_ack(&f, s1, &a, 5001 * MS, &ops), 0);
	assert_int_equal(rc->n, 3);
	assert_int_equal(rc->o[0].seq, sb);
	assert_int_equal(rc->o[1].seq, s0);
	assert_false(rc->o[1].maybe_duplicate);
	assert_int_equal(rc->o[2].seq, s1);
	flow_fini(&f);
}

static void
reconnect_and_old_generations(void **state)
{
	struct flow f;
	uint32_t g, g_old, k;
	uint64_t s0, s1, s2, rs[4];
	struct flow_ack a;

	(void)state;
	init_flow(&f, 64, FLOW_DEDUPE_MSGID);
	k = cls0_of(&f, "orders.eu");
	s0 = send_subj(&f, "orders.eu", true, 1, &g);
	a = shared_ok("ORDERS", 1, k, g);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 2, &ops), 0);
	/* the connection is replaced: T sends the live range again (unique replies); answers
	 * to the old shared replies no longer count */
	flow_ctl_rearm(&f, 3);
	a = shared_ok("ORDERS", 1, k, g);
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 4, &ops), -ESTALE);
	a = ok("ORDERS", 1);
	a.duplicate = true;
	assert_int_equal(flow_ctl_ack(&f, s0, &a, 5, &ops), 0);
	assert_int_equal(rc->n, 1);
	assert_true(rc->o[0].duplicate);
	/* T rendered a generation C had already left (it read it just before a break): the
	 * publish is resent at once, since its answer will be ignored */
	s1 = send_subj(&f, "orders.eu", true, 6, &g_old);
	s2 = send_subj(&f, "orders.eu", false, 6, NULL);
	a = shared_ok("ORDERS", 3, k, g_old);
	a.kind = FLOW_ACK_ERROR;
	assert_int_equal(flow_ctl_ack(&f, UINT64_MAX, &a, 7, &ops), -EPROTO); /* break */
	assert_int_equal(take_resends(&f, rs, 4), 1);
	assert_int_equal(rs[0], s1);
	{
		struct flow_record r = { .share_cls = (uint8_t)(k + 1), .share_gen = g_old };
		uint64_t s3;

		assert_int_equal(flow_tx_begin(&f, &r, 8, &s3), 0);
		a = ok("ORDERS", 4);
		assert_int_equal(flow_ctl_ack(&f, s2, &a, 9, &ops), 0); /* scans s3 */
		assert_int_equal(take_resends(&f, rs, 4), 1);
		assert_int_equal(rs[0], s3);
	}
	flow_fini(&f);
}

static void
class_table_binds_subjects(void **state)
{
	struct flow f;
	struct flow_params p;
	char subj[32], bound[FLOW_SHARE_CLASSES][32];
	char longsubj[FLOW_SHARE_SUBJECT_MAX + 2];
	uint32_t have = 0, extra = 0;
	bool seen[FLOW_SHARE_CLASSES] = { false };
	uint64_t seq[FLOW_SHARE_CLASSES];

	(void)state;
	init_flow(&f, 256, FLOW_DEDUPE_MSGID);
	assert_int_equal(flow_tx_share_class(&f, "a.b", 3), flow_tx_share_class(&f, "a.b", 3));
	assert_true(flow_tx_share_class(&f, "a.b", 3) != flow_tx_share_class(&f, "a.c", 3));
	memset(longsubj, 'x', sizeof(longsubj));
	assert_int_equal(flow_tx_share_class(&f, longsubj, FLOW_SHARE_SUBJECT_MAX + 1), 0);
	assert_true(flow_tx_share_class(&f, longsubj, FLOW_SHARE_SUBJECT_MAX) != 0);
	/* a run of shared publishes ends in a checkpoint */
	for (uint32_t i = 0; i < FLOW_SHARE_RUN_MAX; i++)
		assert_true(flow_tx_share_pick(&f, 1, true, 1) != 0);
	assert_int_equal(flow_tx_share_open(&f), 1); /* a drain must send its checkpoint */
	assert_int_equal(flow_tx_share_pick(&f, 1, true, 1), 0);
	assert_int_equal(flow_tx_share_open(&f), 0);
	assert_true(flow_tx_share_pick(&f, 1, true, 1) != 0);
	assert_true(flow_tx_share_pick(&f, 2, true, 1) != 0);
	assert_int_equal(flow_tx_share_open(&f), 2);
	assert_int_equal(flow_tx_share_pick(&f, 1, false, 1), 0);
	assert_int_equal(flow_tx_share_pick(&f, 2, false, 1), 0);
	assert_int_equal(flow_tx_share_open(&f), 0);
	assert_int_equal(flow_tx_share_pick(&f, 0, true, 1), 0);
	/* subjects without live publishes give their class up to new ones */
	for (uint32_t i = 0; have < FLOW_SHARE_CLASSES && i < 100000; i++) {
		uint32_t c;

		snprintf(subj, sizeof(subj), "s.%u", i);
		c = flow_tx_share_class(&f, subj, (uint32_t)strlen(subj));
		assert_true(c != 0);
		if (!seen[c - 1]) {
			seen[c - 1] = true;
			have++;
		}
		memcpy(bound[c - 1], subj, sizeof(subj));
	}
	assert_int_equal(have, FLOW_SHARE_CLASSES);
	/* every class with a live publish: a new subject finds none */
	for (uint32_t k = 0; k < FLOW_SHARE_CLASSES; k++) {
		struct flow_record r = { .share_cls = (uint8_t)(k + 1) };

		assert_int_equal(flow_tx_share_class(&f, bound[k], (uint32_t)strlen(bound[k])),
				 k + 1);
		assert_int_equal(flow_tx_begin(&f, &r, 1, &seq[k]), 0);
	}
	for (uint32_t i = 0; i < 50; i++) {
		snprintf(subj, sizeof(subj), "new.%u", i);
		extra += flow_tx_share_class(&f, subj, (uint32_t)strlen(subj)) != 0;
	}
	assert_int_equal(extra, 0);
	for (uint32_t k = 0; k < FLOW_SHARE_CLASSES; k++) {
		struct flow_ack a = ok("S", k + 1);

		assert_int_equal(flow_ctl_ack(&f, seq[k], &a, 2, &ops), 0);
	}
	assert_true(flow_tx_share_class(&f, "new.0", 5) != 0);
	flow_fini(&f);
	/* off: never a class */
	p = (struct flow_params){ .dedupe = FLOW_DEDUPE_MSGID, .window_fixed = 8,
				  .window_min = 1, .window_max = 8, .ack_timeout_ns = MS };
	assert_int_equal(flow_init(&f, &p), 0);
	assert_int_equal(flow_tx_share_class(&f, "a.b", 3), 0);
	flow_fini(&f);
}

/* --- a randomized server ------------------------------------------------------------------
 * Subjects map to two streams; the server stores and answers each stream in the order it
 * read the publishes, interleaving the streams at random; it loses some answers (stored,
 * but no answer), fails some publishes with an error (not stored), and dedupes by publish
 * (msgid). T batches records and picks replies as the engine does. Whatever happens, every
 * publish is reported once, and every OK report names the stream sequence the server
 * stored that very publish under. */

#define SIM_N 3000
#define SIM_SUBJECTS 5

struct sim_msg {
	uint64_t seq;       /* connection sequence */
	uint32_t cls0;      /* shared reply's class, or UINT32_MAX for a unique reply */
	uint32_t gen;
};

struct sim {
	struct sim_msg q[2][4 * SIM_N]; /* per stream: read, not yet processed */
	uint32_t qh[2], qt[2];
	uint64_t stream_seq[2];
	uint64_t stored_as[SIM_N];      /* by producer seq: 0 = not stored */
	uint32_t subject_of[SIM_N];
	uint32_t reported[SIM_N];
	uint64_t pseq_of_seq[SIM_N * 4];
};

static uint32_t sim_rng = 12345;

static uint32_t
rnd(uint32_t n)
{
	sim_rng = sim_rng * 1103515245u + 12345u;
	return (sim_rng >> 8) % n;
}

static void
sim_read(struct sim *sm, uint32_t stream, uint64_t seq, uint32_t cls0, uint32_t gen)
{
	struct sim_msg *m = &sm->q[stream][sm->qt[stream]++];

	assert_true(sm->qt[stream] <= 4 * SIM_N);
	m->seq = seq;
	m->cls0 = cls0;
	m->gen = gen;
}

static void
sim_answer(struct sim *sm, struct flow *f, uint32_t stream, uint64_t now)
{
	static const char *const names[2] = { "EVEN", "ODD" };
	struct sim_msg *m = &sm->q[stream][sm->qh[stream]++];
	uint64_t pseq = sm->pseq_of_seq[m->seq];
	struct flow_ack a;
	uint32_t dice = rnd(100);

	memset(&a, 0, sizeof(a));
	if (dice < 2) {
		a.kind = FLOW_ACK_ERROR; /* not stored */
		a.code = 500;
		a.reason = "boom";
		a.reason_len = 4;
	} else {
		a.kind = FLOW_ACK_OK;
		a.stream = names[stream];
		a.stream_len = (uint32_t)strlen(names[stream]);
		if (sm->stored_as[pseq] == 0) {
			sm->stored_as[pseq] = ++sm->stream_seq[stream];
		} else {
			a.duplicate = true;
		}
		a.stream_seq = sm->stored_as[pseq];
		if (dice < 5)
			return; /* stored, answer lost */
	}
	if (m->cls0 != UINT32_MAX) {
		a.share_cls = m->cls0;
		a.share_gen = m->gen;
	}
	(void)flow_ctl_ack(f, m->cls0 != UINT32_MAX ? UINT64_MAX : m->seq, &a, now, &ops);
}

static void
sim_run(uint32_t seed, bool errors_ordered)
{
	struct sim *sm = calloc(1, sizeof(*sm));
	struct flow f;
	struct flow_counters c;
	uint64_t now = 1 * MS, produced = 0;
	uint32_t rounds = 0;

	sim_rng = seed;
	rc->n = 0;
	assert_non_null(sm);
	init_flow(&f, 256, FLOW_DEDUPE_MSGID);
	flow_ctl_share_errors_ordered(&f, errors_ordered);
	for (uint32_t i = 0; i < SIM_N; i++)
		sm->subject_of[i] = rnd(SIM_SUBJECTS);
	while (rounds++ < 200000) {
		uint32_t credit = flow_tx_credit(&f), want = 1 + rnd(32), n = JW_MIN(credit, want);
		uint32_t cls[32];
		uint16_t last_of[FLOW_SHARE_CLASSES];
		struct flow_record r;
		uint64_t seq;

		now += 100000; /* 0.1 ms per round */
		/* T: a batch of new records, then the resends C asked for */
		n = (uint32_t)JW_MIN((uint64_t)n, SIM_N - produced);
		memset(last_of, 0xff, sizeof(last_of));
		for (uint32_t k = 0; k < n; k++) {
			char subj[16];

			snprintf(subj, sizeof(subj), "sub.%u", sm->subject_of[produced + k]);
			cls[k] = flow_tx_share_class(&f, subj, (uint32_t)strlen(subj));
			last_of[cls[k] - 1] = (uint16_t)k;
		}
		for (uint32_t k = 0; k < n; k++) {
			uint64_t pseq = produced++;
			uint32_t subject = sm->subject_of[pseq];
			bool later = last_of[cls[k] - 1] > k;

			memset(&r, 0, sizeof(r));
			r.producer_seq = pseq;
			r.ring_pos = pseq * 10;
			r.ring_end = pseq * 10 + 10;
			r.share_cls = (uint8_t)cls[k];
			r.share_gen = credit >= 2 * n ? flow_tx_share_pick(&f, cls[k], later, now) : 0;
			if (flow_tx_begin(&f, &r, now, &seq) != 0)
				fail_msg("begin: k %u n %u credit %u now-credit %u", k, n, credit,
					 flow_tx_credit(&f));
			sm->pseq_of_seq[seq] = pseq;
			sim_read(sm, subject % 2, seq, r.share_gen ? cls[k] - 1 : UINT32_MAX,
				 r.share_gen);
		}
		while (flow_tx_next_resend(&f, &seq, &r) == 1)
			sim_read(sm, sm->subject_of[r.producer_seq] % 2, seq, UINT32_MAX, 0);
		/* the server: a few answers from either stream */
		for (uint32_t j = rnd(40); j > 0; j--) {
			uint32_t st = rnd(2);

			if (sm->qh[st] == sm->qt[st])
				st ^= 1;
			if (sm->qh[st] < sm->qt[st])
				sim_answer(sm, &f, st, now);
		}
		if (rounds % 50 == 0) {
			flow_ctl_server_alive(&f, now, now);
			(void)flow_ctl_scan_timeouts(&f, now, &ops);
		}
		if (produced == SIM_N && rc->n == SIM_N)
			break;
	}
	assert_int_equal(rc->n, SIM_N);
	for (uint32_t i = 0; i < rc->n; i++) {
		const struct flow_outcome *o = &rc->o[i];

		assert_true(o->producer_seq < SIM_N);
		sm->reported[o->producer_seq]++;
		if (o->status == FLOW_FAILED && o->why == JW_R_JS_ERROR) {
			assert_int_equal(o->code, 500);
			assert_int_equal(o->reason_len, 4);
			assert_memory_equal(o->reason, "boom", 4);
		}
		if (o->status == FLOW_ACKED) {
			const char *want = sm->subject_of[o->producer_seq] % 2 ? "ODD" : "EVEN";

			assert_int_equal(o->stream_seq, sm->stored_as[o->producer_seq]);
			assert_int_equal(o->stream_len, strlen(want));
			assert_memory_equal(o->stream, want, o->stream_len);
		}
	}
	for (uint32_t i = 0; i < SIM_N; i++)
		assert_int_equal(sm->reported[i], 1);
	flow_counters_read(&f, &c);
	/* the scheme was exercised both ways */
	print_message("seed %u%s: %lu shared, %lu confirmed, %lu breaks, %lu stale, %lu resends\n",
		      seed, errors_ordered ? " (errors in order)" : "", (unsigned long)c.tx.shared_sent, (unsigned long)c.ctl.share_confirmed,
		      (unsigned long)c.ctl.share_breaks, (unsigned long)c.ctl.share_stale,
		      (unsigned long)c.tx.resent);
	assert_true(c.ctl.share_confirmed > SIM_N / 10);
	assert_true(c.ctl.share_breaks > 0);
	flow_fini(&f);
	free(sm);
}

static void
random_server_never_misreports(void **state)
{
	static const uint32_t seeds[] = { 12345, 777, 4242, 99, 31337 };

	(void)state;
	for (uint32_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		sim_run(seeds[i], false);
		sim_run(seeds[i], true); /* the server's errors in order, as a single server's */
	}
}

/* flow_tx_share_sim_pick predicts flow_tx_share_pick exactly and changes nothing: batches
 * of random classes and `later` flags (runs that reach FLOW_SHARE_RUN_MAX, invalid classes,
 * a class cooling down after a break) are first simulated, then picked, as TLS 1.3 sizes
 * its records before it frames them. */
static void
share_sim_predicts_picks(void **state)
{
	struct flow f;
	struct flow_share_sim sim;
	uint32_t cls[128], want[128], open_before, seed = 12345, shared = 0, declined = 0;
	bool later[128];
	uint64_t now = 1;

	(void)state;
	init_flow(&f, 256, FLOW_DEDUPE_MSGID);
	for (uint32_t batch = 0; batch < 2000; batch++) {
		uint32_t n = 1 + batch % 128;

		for (uint32_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			cls[k] = (seed >> 16) % 5; /* 0 (none) and classes 1..4 */
			later[k] = ((seed >> 8) & 127u) != 0; /* runs reach FLOW_SHARE_RUN_MAX */
		}
		if (batch == 700) /* class 3 cools down: unique replies until the cooldown ends */
			atomic_store(&f.ctl.share_off_until_ns[2], now + 50 * MS);
		open_before = flow_tx_share_open(&f);
		flow_tx_share_sim_init(&f, &sim);
		for (uint32_t k = 0; k < n; k++)
			want[k] = flow_tx_share_sim_pick(&f, &sim, cls[k], later[k], now);
		assert_int_equal(flow_tx_share_open(&f), open_before); /* nothing picked */
		for (uint32_t k = 0; k < n; k++) {
			assert_int_equal(flow_tx_share_pick(&f, cls[k], later[k], now), want[k]);
			shared += want[k] != 0;
			declined += want[k] == 0 && cls[k] != 0 && later[k];
		}
		now += MS;
	}
	/* both kinds of answer were predicted: shares, and checkpoints that `later` alone did
	 * not force (a full run, the cooldown) */
	assert_true(shared > 1000);
	assert_true(declined > 100);
	flow_fini(&f);
}

static void
shared_reply_subjects_round_trip(void **state)
{
	struct flow_inbox ib;
	char buf[FLOW_REPLY_MAX], s[FLOW_REPLY_MAX + 8];
	uint32_t n, k, g;
	uint64_t seq, mark;

	(void)state;
	flow_inbox_init(&ib, 0x1234567890abcdefull, 3);
	n = flow_reply_format_shared(&ib, 63, 4000000000u, buf);
	assert_int_equal(flow_reply_parse_shared(&ib, buf, n, &k, &g), 0);
	assert_int_equal(k, 63);
	assert_int_equal(g, 4000000000u);
	assert_int_equal(flow_reply_parse(&ib, buf, n, &seq, &mark), -EINVAL);
	assert_int_equal(n, flow_reply_shared_len(&ib, 63, 4000000000u));
	for (k = 0; k < FLOW_SHARE_CLASSES; k += 9)
		for (g = 1; g < 2000000; g = g * 7 + 3)
			assert_int_equal(flow_reply_format_shared(&ib, k, g, buf),
					 flow_reply_shared_len(&ib, k, g));
	n = flow_reply_format(&ib, 77, 0, buf);
	assert_int_equal(flow_reply_parse_shared(&ib, buf, n, &k, &g), -EINVAL);
#define BAD(t) do { \
		n = (uint32_t)snprintf(s, sizeof(s), "%.*s%s", (int)ib.len, ib.prefix, (t)); \
		assert_int_equal(flow_reply_parse_shared(&ib, s, n, &k, &g), -EINVAL); \
	} while (0)
	BAD("c64e1");   /* no such class */
	BAD("c1e0");    /* generations start at 1 */
	BAD("c1e4294967296");
	BAD("c01e1");
	BAD("c1e");
	BAD("ce1");
	BAD("c1");
	BAD("c1e1x");
	BAD("c");
	BAD("");
#undef BAD
}

int
run_share_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(answers_wait_for_their_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_answer_breaks_the_class, setup, teardown),
		cmocka_unit_test_setup_teardown(errors_other_streams_and_old_seqs_break_the_class,
						setup, teardown),
		cmocka_unit_test_setup_teardown(unasked_answers_break_the_class, setup, teardown),
		cmocka_unit_test_setup_teardown(ordered_errors_are_matched_too, setup, teardown),
		cmocka_unit_test_setup_teardown(unconfirmed_publishes_time_out_into_resends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(answered_publishes_wait_out_a_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(reconnect_and_old_generations, setup, teardown),
		cmocka_unit_test_setup_teardown(class_table_binds_subjects, setup, teardown),
		cmocka_unit_test_setup_teardown(random_server_never_misreports, setup, teardown),
		cmocka_unit_test(share_sim_predicts_picks),
		cmocka_unit_test(shared_reply_subjects_round_trip),
	};

	return cmocka_run_group_tests_name("flow_share", tests, NULL, NULL);
}
