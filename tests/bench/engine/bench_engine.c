/* bench_engine: one publishing client of the engine benchmark (tests/bench/engine/run.sh), measured
 * the same way whichever client it drives, so the rows of the table compare like with like.
 *
 *   bench_engine --client jetwire -i INSTANCE  [common options]
 *       jw_publish into a running jetwire instance; delivery reports drained in the same
 *       thread (every 32 calls while publishing, then polled every 10 us until all are in).
 *   bench_engine --client cnats --url URL --max-pending N [--msgid]  [common options]
 *       cnats js_PublishAsync (or, with --msgid, natsMsg_Create + natsMsgHeader_Set
 *       "Nats-Msg-Id" + js_PublishMsgAsync: what a caller does to get deduplication),
 *       jsOptions.PublishAsync.MaxPending = N, StallWait 200 ms (cnats's default); acks in
 *       jsOptions.PublishAsync.AckHandler (cnats's thread); js_PublishAsyncComplete at the end.
 *       --tls-ca FILE [--tls-name NAME]: TLS (natsOptions_SetSecure, the CA, the name).
 *   common: -s SUBJECT (message i goes to SUBJECT.<i mod K>), --subjects K, -n COUNT,
 *           -z SIZE (payload starts with the decimal i and a space), --timeout SEC, --tag T
 *           (cnats --msgid: message i's Nats-Msg-Id is "T-i"; give each run its own T),
 *           --rate R (paced: message i is due at i/R s after the first; the client sleeps
 *           until a batch of PACE_BATCH messages is due, then publishes it, so that pacing
 *           neither spins on the CPU the client side shares nor changes the per-call work),
 *           --timeline FILE (after the run: lines "MS SUBMITTED ACKED", how many calls
 *           returned and how many outcomes arrived in each millisecond after the first call).
 *
 * Measured (lfence+rdtsc around the timed calls, log-linear histogram under 1.6 % error):
 *   call latency   of every accepted call, or with --call-sample K of every K-th (the others
 *                  get one unfenced rdtsc after the call, for their ack latency: two fenced
 *                  timestamps cost ~35 ns here, most of a 40-60 ns jw_publish, and made the
 *                  harness a third of jetwire's submit time); for cnats --msgid the call is create + header +
 *                  publish (the caller's cost of one deduplicated publish). Calls that did
 *                  not queue (jetwire: JW_EAGAIN, ring full; cnats: the stall wait ran out)
 *                  are counted as "refused" with their own max, and the message is retried.
 *   submit_s       first call to the return of the last accepted call
 *   calls_s        the time spent inside the accepted calls (submit_s less the harness's
 *                  own work and whatever preempted the producer between calls; with
 *                  --call-sample, the timed calls' sum scaled to all accepted calls)
 *   all_acked_s    first call to the last positive or negative acknowledgement
 *   acked_rate     acked / all_acked_s
 *   minor_faults   page faults of the process while submitting (first touches of memory,
 *                  e.g. of a freshly mapped jetwire ring: each costs the call it hits ~1 us)
 *   ack latency    per message, from the return of its accepted call to the moment the
 *                  client saw its outcome (cnats: ack handler entry; jetwire: jw_reports).
 *   acked_at       per message, from the first call of the run to its outcome: when each
 *                  message of a burst that was ready at once is safe (a client whose calls
 *                  block shows a short ack latency for the messages it held back, not here).
 * Output: one JSON object on stdout; a one-line summary on stderr. Exit 0 when every message
 * was acked, 1 when some failed or are missing, 2 on usage or connection errors.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "common/jw_common.h"
#include "common/jw_hist.h"
#include "common/jw_time.h"
#include "jetwire.h"

#define DRAIN_EVERY 32u
#define REPORT_BATCH 256
#define PACE_BATCH 16u

struct opts {
	const char *client, *instance, *url, *subject, *tag;
	const char *tls_ca, *tls_name;   /* cnats: TLS (natsOptions_SetSecure) when tls_ca */
	const char *timeline;            /* --timeline FILE: outcomes per ms after the first call */
	uint64_t count, subjects, size, max_pending, rate;
	uint64_t call_sample;            /* time every K-th call (1: all) */
	int msgid;
	double timeout_s;
};

/* Shared with cnats's ack-handler thread: t_ack[i] is written once by that thread (or by the
 * publishing thread for jetwire); everything is read after the run has ended (after
 * js_PublishAsyncComplete returned, which orders it), so plain stores suffice for t_ack and
 * the counters are atomics only because the main thread polls them while waiting. */
struct run {
	struct opts o;
	uint64_t *t_ret;           /* ticks at the return of message i's accepted call */
	uint64_t *t_ack;           /* ticks when message i's outcome was seen (0 = never) */
	struct jw_hist_snap call;      /* accepted calls, ns */
	uint64_t published, refused, refused_max_ns, bad_index;
	uint64_t acked, failed, duplicates, reports; /* atomics (see above) */
	uint64_t t_first, t_submitted;
	uint64_t minflt_submit;    /* minor page faults of this process while submitting */
	char first_error[160];
};

static double ns_tick;

static uint64_t
minor_faults(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

static uint64_t
ticks_to_ns(uint64_t t)
{
	return (uint64_t)((double)t * ns_tick);
}

static void
sleep_us(unsigned us)
{
	struct timespec ts = { 0, (long)us * 1000L };

	nanosleep(&ts, NULL);
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: bench_engine --client jetwire|cnats -s SUBJECT [-n COUNT] [--subjects K]\n"
		"                    [-z SIZE] [-i INSTANCE] [--url URL] [--max-pending N] [--msgid]\n"
		"                    [--timeout SEC] [--tag TEXT] [--rate MSGS_PER_S]\n"
		"                    [--tls-ca FILE [--tls-name NAME]] [--timeline FILE]\n"
		"                    [--call-sample K]\n");
	exit(2);
}

static uint64_t
num_arg(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0') {
		fprintf(stderr, "bench_engine: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "client", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "subjects", required_argument, NULL, 'k' },
		{ "max-pending", required_argument, NULL, 'm' },
		{ "msgid", no_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "tag", required_argument, NULL, 'g' },
		{ "rate", required_argument, NULL, 'r' },
		{ "tls-ca", required_argument, NULL, 'a' },
		{ "tls-name", required_argument, NULL, 'e' },
		{ "timeline", required_argument, NULL, 'l' },
		{ "call-sample", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->url = "nats://198.18.0.1:4222";
	o->count = 50000;
	o->subjects = 5;
	o->size = 128;
	o->max_pending = 50000;
	o->timeout_s = 120;
	o->call_sample = 1;
	o->tag = "";
	while ((c = getopt_long(argc, argv, "s:n:z:i:", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->client = optarg; break;
		case 'u': o->url = optarg; break;
		case 'k': o->subjects = num_arg(optarg, "--subjects"); break;
		case 'm': o->max_pending = num_arg(optarg, "--max-pending"); break;
		case 'd': o->msgid = 1; break;
		case 't': o->timeout_s = strtod(optarg, NULL); break;
		case 'g': o->tag = optarg; break;
		case 'r': o->rate = num_arg(optarg, "--rate"); break;
		case 'a': o->tls_ca = optarg; break;
		case 'e': o->tls_name = optarg; break;
		case 'l': o->timeline = optarg; break;
		case 'p': o->call_sample = num_arg(optarg, "--call-sample"); break;
		case 's': o->subject = optarg; break;
		case 'n': o->count = num_arg(optarg, "-n"); break;
		case 'z': o->size = num_arg(optarg, "-z"); break;
		case 'i': o->instance = optarg; break;
		default: usage();
		}
	}
	if (o->client == NULL || o->subject == NULL || o->count == 0 || o->subjects == 0 ||
	    o->call_sample == 0 ||
	    o->size > (1u << 20) || o->timeout_s <= 0 ||
	    (strcmp(o->client, "jetwire") != 0 && strcmp(o->client, "cnats") != 0))
		usage();
}

/* Message i: subject and payload (decimal i, a space, filler up to size). Returns the
 * payload length. */
/* Writes v in decimal (no NUL) and returns its length: the harness's own per-message work
 * stays small beside the call it measures (snprintf cost more than a jetwire call). */
static size_t
put_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t k = 0; k < n; k++)
		buf[k] = tmp[n - 1 - k];
	return n;
}

static size_t
make_msg(const struct opts *o, uint64_t i, char *subj, size_t subj_len, char *payload)
{
	size_t n = put_u64(payload, i), base = strlen(o->subject);

	payload[n++] = ' ';
	payload[n] = (char)('a' + n % 26); /* as before: the byte after the index is filler */
	/* subject "<subject>.<i mod subjects>": the prefix never changes, only the suffix */
	if (base + 22 < subj_len) {
		if (memcmp(subj, o->subject, base) != 0 || subj[base] != '.') {
			memcpy(subj, o->subject, base);
			subj[base] = '.';
		}
		subj[base + 1 + put_u64(subj + base + 1, i % o->subjects)] = '\0';
	}
	return o->size > (uint64_t)n ? o->size : (uint64_t)n;
}

/* Keeps the first error text ("what: detail") for the JSON output. */
static void
note_error(struct run *r, const char *what, const char *detail)
{
	if (r->first_error[0] == '\0')
		snprintf(r->first_error, sizeof(r->first_error), "%s: %s", what, detail);
}

/* The timed-call bookkeeping both clients share. Every --call-sample-th call is timed with
 * a fenced stamp pair (~35 ns here, most of a jw_publish: timing all would hide the call);
 * every call's end gets an unfenced stamp, the start of its end-to-end latency. */
static inline uint64_t
call_begin(bool timed)
{
	return timed ? jw_ticks() : 0;
}

static inline uint64_t
call_end(bool timed)
{
	return timed ? jw_ticks() : jw_ticks_unordered();
}

/* Call i was accepted: its duration (if timed) and its return stamp. */
static void
call_accepted(struct run *r, uint64_t i, bool timed, uint64_t t0, uint64_t t1)
{
	if (timed)
		jw_hist_snap_add(&r->call, ticks_to_ns(t1 - t0));
	r->t_ret[i] = t1;
	r->published++;
}

/* A call was refused (ring full, stalled): counted, its duration (if timed) kept as max. */
static void
call_refused(struct run *r, bool timed, uint64_t t0, uint64_t t1)
{
	r->refused++;
	if (timed && ticks_to_ns(t1 - t0) > r->refused_max_ns)
		r->refused_max_ns = ticks_to_ns(t1 - t0);
}

/* With --rate: before message i (at the start of each batch), waits until the batch is due.
 * idle() runs while waiting (jetwire drains reports; cnats has nothing to do). */
static void
pace(const struct run *r, uint64_t i, void (*idle)(void *), void *arg)
{
	uint64_t due;

	if (r->o.rate == 0 || i % PACE_BATCH != 0)
		return;
	due = r->t_first + (uint64_t)((double)i * 1e9 / (double)r->o.rate / ns_tick);
	for (;;) {
		uint64_t now = jw_ticks();

		if (now >= due)
			return;
		if (idle)
			idle(arg);
		uint64_t left_us = ticks_to_ns(due - now) / 1000;
		sleep_us(left_us > 200 ? 200 : (left_us > 60 ? (unsigned)left_us - 50 : 5));
	}
}

/* ---- jetwire ------------------------------------------------------------------------- */

static uint64_t
jw_drain(jw_producer *p, struct run *r)
{
	struct jw_report rep[REPORT_BATCH];
	uint64_t got = 0;
	int n;

	while ((n = jw_reports(p, rep, REPORT_BATCH)) > 0) {
		uint64_t now = jw_ticks();

		for (int k = 0; k < n; k++) {
			uint64_t idx = rep[k].seq - 1; /* seq is 1, 2, ... per handle, in call order */

			if (idx >= r->o.count) {
				r->bad_index++;
				continue;
			}
			if (r->t_ack[idx] == 0)
				r->t_ack[idx] = now;
			if (rep[k].status == JW_FAILED) {
				r->failed++;
				note_error(r, "report", jw_reason_str(rep[k].reason));
			} else {
				r->acked++;
			}
			r->duplicates += rep[k].duplicate ? 1 : 0;
		}
		r->reports += (uint64_t)n;
		got += (uint64_t)n;
		if (n < REPORT_BATCH)
			break;
	}
	return got;
}

struct jw_idle {
	jw_producer *p;
	struct run *r;
};

static void
jw_idle_drain(void *arg)
{
	struct jw_idle *a = arg;

	jw_drain(a->p, a->r);
}

static int
run_jetwire(struct run *r, char *subj, size_t subj_len, char *payload)
{
	struct jw_idle idle;
	const struct opts *o = &r->o;
	struct jw_open_opts oo = { .instance = o->instance, .tx_lcore = -1 };
	jw_producer *p = NULL;
	uint64_t deadline;
	int rc;

	rc = jw_open(&p, &oo);
	if (rc != 0) {
		fprintf(stderr, "bench_engine: jw_open %s: %s\n",
			o->instance ? o->instance : "default", jw_strerror(rc));
		return 2;
	}
	idle.p = p;
	idle.r = r;
	r->minflt_submit = minor_faults();
	r->t_first = jw_ticks();
	for (uint64_t i = 0; i < o->count; i++) {
		size_t len;
		unsigned spins = 0;

		pace(r, i, jw_idle_drain, &idle);
		len = make_msg(o, i, subj, subj_len, payload);

		for (;;) {
			bool timed = i % o->call_sample == 0;
			uint64_t seq = 0, t0 = call_begin(timed);

			rc = jw_publish(p, subj, payload, len, &seq);
			uint64_t t1 = call_end(timed);

			if (rc == 0) {
				call_accepted(r, i, timed, t0, t1);
				if (seq != i + 1)
					r->bad_index++;
				break;
			}
			if (rc != JW_EAGAIN) {
				fprintf(stderr, "bench_engine: jw_publish #%" PRIu64 ": %s\n", i,
					jw_strerror(rc));
				jw_close(p);
				return 2;
			}
			call_refused(r, timed, t0, t1);
			if (jw_drain(p, r) == 0 && ++spins > 16)
				sleep_us(20);
		}
		if ((i % DRAIN_EVERY) == DRAIN_EVERY - 1)
			jw_drain(p, r);
	}
	r->t_submitted = jw_ticks();
	r->minflt_submit = minor_faults() - r->minflt_submit;
	deadline = r->t_submitted + (uint64_t)(o->timeout_s * 1e9 / ns_tick);
	while (r->reports < r->published && jw_ticks() < deadline)
		if (jw_drain(p, r) == 0)
			sleep_us(10);
	jw_close(p);
	return 0;
}

/* ---- cnats --------------------------------------------------------------------------- */

static void
on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct run *r = closure;
	uint64_t now = jw_ticks();
	const char *d = natsMsg_GetData(msg);
	char *end;
	uint64_t idx = d ? strtoull(d, &end, 10) : UINT64_MAX;

	(void)js;
	if (idx < r->o.count && r->t_ack[idx] == 0)
		r->t_ack[idx] = now;
	else
		__atomic_add_fetch(&r->bad_index, 1, __ATOMIC_RELAXED);
	if (pa != NULL) {
		__atomic_add_fetch(&r->acked, 1, __ATOMIC_RELAXED);
		if (pa->Duplicate)
			__atomic_add_fetch(&r->duplicates, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&r->failed, 1, __ATOMIC_RELAXED);
		if (pae != NULL)
			note_error(r, "ack error", natsStatus_GetText(pae->Err));
	}
	__atomic_add_fetch(&r->reports, 1, __ATOMIC_RELEASE);
	natsMsg_Destroy(msg);
}

static int
run_cnats(struct run *r, char *subj, size_t subj_len, char *payload)
{
	const struct opts *o = &r->o;
	natsOptions *no = NULL;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	jsPubOptions po;
	natsStatus s;
	char id[128];
	int ret = 2;

	s = natsOptions_Create(&no);
	if (s == NATS_OK)
		s = natsOptions_SetURL(no, o->url);
	if (s == NATS_OK && o->tls_ca != NULL) {
		s = natsOptions_SetSecure(no, true);
		if (s == NATS_OK)
			s = natsOptions_LoadCATrustedCertificates(no, o->tls_ca);
		if (s == NATS_OK && o->tls_name != NULL)
			s = natsOptions_SetExpectedHostname(no, o->tls_name);
	}
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, no);
	if (s != NATS_OK) {
		fprintf(stderr, "bench_engine: connect %s: %s\n", o->url, natsStatus_GetText(s));
		goto out;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = (int64_t)o->max_pending;
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.AckHandlerClosure = r;
	s = natsConnection_JetStream(&js, nc, &jo);
	if (s != NATS_OK) {
		fprintf(stderr, "bench_engine: JetStream context: %s\n", natsStatus_GetText(s));
		goto out;
	}
	r->minflt_submit = minor_faults();
	r->t_first = jw_ticks();
	for (uint64_t i = 0; i < o->count; i++) {
		size_t len;

		pace(r, i, NULL, NULL);
		len = make_msg(o, i, subj, subj_len, payload);
		if (o->msgid &&
		    (size_t)snprintf(id, sizeof(id), "%s-%" PRIu64, o->tag, i) >= sizeof(id)) {
			fprintf(stderr, "bench_engine: --tag too long for a Nats-Msg-Id\n");
			goto out;
		}
		for (;;) {
			bool timed = i % o->call_sample == 0;
			uint64_t t0 = call_begin(timed);

			if (o->msgid) {
				natsMsg *m = NULL;

				s = natsMsg_Create(&m, subj, NULL, payload, (int)len);
				if (s == NATS_OK)
					s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
				if (s == NATS_OK)
					s = js_PublishMsgAsync(js, &m, NULL);
				natsMsg_Destroy(m); /* no-op when the library took it */
			} else {
				s = js_PublishAsync(js, subj, payload, (int)len, NULL);
			}
			uint64_t t1 = call_end(timed);

			if (s == NATS_OK) {
				call_accepted(r, i, timed, t0, t1);
				break;
			}
			if (s != NATS_TIMEOUT) { /* anything but "stalled": give up */
				fprintf(stderr, "bench_engine: publish #%" PRIu64 ": %s\n", i,
					natsStatus_GetText(s));
				goto out;
			}
			call_refused(r, timed, t0, t1);
		}
	}
	r->t_submitted = jw_ticks();
	r->minflt_submit = minor_faults() - r->minflt_submit;
	jsPubOptions_Init(&po);
	po.MaxWait = (int64_t)(o->timeout_s * 1000);
	s = js_PublishAsyncComplete(js, &po);
	if (s != NATS_OK)
		note_error(r, "js_PublishAsyncComplete", natsStatus_GetText(s));
	ret = 0;
out:
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(no);
	return ret;
}

/* ---- results ------------------------------------------------------------------------- */

/* --timeline: per millisecond after the first call, calls returned and outcomes seen. */
static void
write_timeline(const struct run *r)
{
	uint64_t last = 0, ms, *sub, *ack;
	FILE *f;

	for (uint64_t i = 0; i < r->o.count; i++)
		last = JW_MAX(last, JW_MAX(r->t_ack[i], r->t_ret[i]));
	if (last <= r->t_first)
		return;
	ms = ticks_to_ns(last - r->t_first) / 1000000 + 1;
	sub = calloc(2 * ms, sizeof(*sub));
	f = fopen(r->o.timeline, "w");
	if (sub == NULL || f == NULL) {
		fprintf(stderr, "bench_engine: --timeline %s: %s\n", r->o.timeline, strerror(errno));
		free(sub);
		if (f)
			fclose(f);
		return;
	}
	ack = sub + ms;
	for (uint64_t i = 0; i < r->o.count; i++) {
		if (r->t_ret[i] > r->t_first)
			sub[JW_MIN(ticks_to_ns(r->t_ret[i] - r->t_first) / 1000000, ms - 1)]++;
		if (r->t_ack[i] > r->t_first)
			ack[JW_MIN(ticks_to_ns(r->t_ack[i] - r->t_first) / 1000000, ms - 1)]++;
	}
	for (uint64_t m = 0; m < ms; m++)
		fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", m, sub[m], ack[m]);
	fclose(f);
	free(sub);
}

static void
print_json(struct run *r, int rc)
{
	const struct opts *o = &r->o;
	struct jw_hist_snap *ack = calloc(2, sizeof(*ack));
	struct jw_hist_snap *at = ack + 1;
	uint64_t last = 0, seen = 0;
	double submit_s, acked_s;
	char cpus[256] = "";
	cpu_set_t set;

	if (ack == NULL)
		return;
	jw_hist_snap_init(ack);
	jw_hist_snap_init(at);
	for (uint64_t i = 0; i < o->count; i++) {
		if (r->t_ack[i] == 0 || r->t_ret[i] == 0)
			continue;
		seen++;
		if (r->t_ack[i] > last)
			last = r->t_ack[i];
		jw_hist_snap_add(ack, r->t_ack[i] > r->t_ret[i] ? ticks_to_ns(r->t_ack[i] - r->t_ret[i]) : 0);
		jw_hist_snap_add(at, r->t_ack[i] > r->t_first ? ticks_to_ns(r->t_ack[i] - r->t_first) : 0);
	}
	submit_s = r->t_submitted > r->t_first ? (double)ticks_to_ns(r->t_submitted - r->t_first) / 1e9 : 0;
	acked_s = last > r->t_first ? (double)ticks_to_ns(last - r->t_first) / 1e9 : 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		size_t n = 0;

		for (int c = 0; c < CPU_SETSIZE && n + 8 < sizeof(cpus); c++)
			if (CPU_ISSET(c, &set))
				n += (size_t)snprintf(cpus + n, sizeof(cpus) - n, "%s%d", n ? "," : "", c);
	}
	printf("{\"client\":\"%s\",\"tag\":\"%s\",\"msgid\":%s,\"rate\":%" PRIu64 ",\"max_pending\":%" PRIu64
	       ",\"count\":%" PRIu64 ",\"subjects\":%" PRIu64 ",\"size\":%" PRIu64
	       ",\"call_sample\":%" PRIu64 ",\"cpus\":\"%s\",\"published\":%" PRIu64 ",\"refused\":%" PRIu64
	       ",\"refused_max_ns\":%" PRIu64 ",\"call_ns\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64
	       ",\"p999\":%" PRIu64 ",\"max\":%" PRIu64 ",\"mean\":%.1f},\"submit_s\":%.6f,\"calls_s\":%.6f"
	       ",\"all_acked_s\":%.6f,\"acked\":%" PRIu64 ",\"failed\":%" PRIu64
	       ",\"duplicates\":%" PRIu64 ",\"missing\":%" PRIu64 ",\"acked_rate\":%.1f"
	       ",\"ack_us\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}"
	       ",\"acked_at_us\":{\"p50\":%.1f,\"p99\":%.1f},\"bad_index\":%" PRIu64
	       ",\"minor_faults\":%" PRIu64 ",\"error\":\"%s\",\"status\":%d}\n",
	       o->client, o->tag, o->msgid ? "true" : "false", o->rate,
	       strcmp(o->client, "cnats") == 0 ? o->max_pending : 0, o->count, o->subjects,
	       o->size, o->call_sample, cpus, r->published, r->refused, r->refused_max_ns,
	       jw_hist_percentile(&r->call, 50), jw_hist_percentile(&r->call, 99),
	       jw_hist_percentile(&r->call, 99.9), r->call.max,
	       r->call.count ? (double)r->call.sum / (double)r->call.count : 0.0, submit_s,
	       r->call.count ? (double)r->call.sum / (double)r->call.count *
				       (double)r->published / 1e9 : 0.0,
	       acked_s, r->acked, r->failed, r->duplicates,
	       r->published > seen ? r->published - seen : 0,
	       acked_s > 0 ? (double)r->acked / acked_s : 0.0,
	       (double)jw_hist_percentile(ack, 50) / 1e3, (double)jw_hist_percentile(ack, 99) / 1e3,
	       (double)ack->max / 1e3, (double)jw_hist_percentile(at, 50) / 1e3,
	       (double)jw_hist_percentile(at, 99) / 1e3, r->bad_index, r->minflt_submit, r->first_error, rc);
	fprintf(stderr, "bench_engine %s%s: %" PRIu64 " published (%" PRIu64 " refused), %" PRIu64
		" acked, %" PRIu64 " failed in %.3f s (submit %.3f s): %.0f acked/s; call p99 %" PRIu64
		" ns max %" PRIu64 " ns; ack p50 %.1f us p99 %.1f us\n", o->client,
		o->msgid ? " (msgid)" : "", r->published, r->refused, r->acked, r->failed, acked_s,
		submit_s, acked_s > 0 ? (double)r->acked / acked_s : 0.0,
		jw_hist_percentile(&r->call, 99), r->call.max,
		(double)jw_hist_percentile(ack, 50) / 1e3, (double)jw_hist_percentile(ack, 99) / 1e3);
	free(ack);
}

int
main(int argc, char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	char subj[256], *payload;
	int rc;

	if (r == NULL)
		return 2;
	parse_args(argc, argv, &r->o);
	if (strlen(r->o.subject) > 200)
		usage();
	payload = malloc(r->o.size + 32);
	r->t_ret = calloc(r->o.count, sizeof(uint64_t));
	r->t_ack = calloc(r->o.count, sizeof(uint64_t));
	if (payload == NULL || r->t_ret == NULL || r->t_ack == NULL) {
		fprintf(stderr, "bench_engine: out of memory\n");
		return 2;
	}
	for (uint64_t b = 0; b < r->o.size + 32; b++)
		payload[b] = (char)('a' + b % 26);
	ns_tick = jw_ns_per_tick();
	jw_hist_snap_init(&r->call);
	/* Touch the timestamp arrays now, so page faults do not land inside timed calls. */
	memset(r->t_ret, 0, r->o.count * sizeof(uint64_t));
	memset(r->t_ack, 0, r->o.count * sizeof(uint64_t));
	if (strcmp(r->o.client, "jetwire") == 0)
		rc = run_jetwire(r, subj, sizeof(subj), payload);
	else
		rc = run_cnats(r, subj, sizeof(subj), payload);
	if (rc == 2 && r->published == 0)
		return 2;
	print_json(r, rc);
	if (r->o.timeline != NULL)
		write_timeline(r);
	if (rc == 0 && (r->failed || r->reports < r->published))
		rc = 1;
	free(payload);
	free(r->t_ret);
	free(r->t_ack);
	free(r);
	nats_Close();
	return rc;
}
