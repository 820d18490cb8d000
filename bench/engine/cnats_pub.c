/* bench_engine: the cnats baseline of jetwire's engine benchmark (bench/engine/run.sh).
 *
 *   bench_engine [-s URL] -p SUBJECT -n COUNT [--subjects K] [-z SIZE] [--max-pending P]
 *                [--msgid] [--label TEXT]
 *
 * Publishes COUNT messages with cnats js_PublishAsync (or, with --msgid, js_PublishMsgAsync
 * carrying a Nats-Msg-Id header, like jetwire's dedupe = msgid), round robin over
 * SUBJECT.0 .. SUBJECT.K-1, payload "i " + filler up to SIZE bytes (jwpub's format), with
 * MaxPending P (default 50000) and cnats's default StallWait. Measures every call's latency,
 * the time to submit all, the time until all are acked (js_PublishAsyncComplete), and each
 * message's ack latency (ack handler time - call time). Prints one JSON object.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t *sent_at;      /* per message: call start */
static uint32_t *ack_lat_us;   /* per message: ack latency, microseconds */
static uint64_t n_msgs;
static _Atomic uint64_t acked, failed, acks_seen;

static void
ack_handler(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	const char *d = natsMsg_GetData(msg);
	int len = natsMsg_GetDataLength(msg);
	uint64_t i = 0, t = now_ns();
	int k;

	(void)js;
	(void)closure;
	for (k = 0; k < len && d[k] >= '0' && d[k] <= '9'; k++)
		i = i * 10 + (uint64_t)(d[k] - '0');
	if (pae != NULL || pa == NULL)
		atomic_fetch_add(&failed, 1);
	else
		atomic_fetch_add(&acked, 1);
	if (k > 0 && i < n_msgs) {
		uint64_t us = (t - sent_at[i]) / 1000;

		ack_lat_us[i] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	}
	atomic_fetch_add(&acks_seen, 1);
	natsMsg_Destroy(msg);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
pct(const uint32_t *sorted, uint64_t n, double p)
{
	uint64_t r;

	if (n == 0)
		return 0;
	r = (uint64_t)(p / 100.0 * (double)n + 0.999999);
	if (r == 0)
		r = 1;
	if (r > n)
		r = n;
	return sorted[r - 1];
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_engine [-s URL] -p SUBJECT -n COUNT [--subjects K] [-z SIZE]"
			" [--max-pending P] [--msgid] [--label TEXT]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *url = "nats://198.18.0.1:4222", *subject = NULL, *label = "cnats";
	uint64_t size = 128, subjects = 1, max_pending = 50000;
	bool msgid = false;
	natsConnection *nc = NULL;
	natsOptions *no = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	natsStatus s;
	uint32_t *call_ns;
	char *payload, subj[256], id[64];
	uint64_t t0, t_submit, t_all, call_errors = 0;
	jsPubOptions po;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc)
			url = argv[++i];
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			subject = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n_msgs = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-z") && i + 1 < argc)
			size = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--subjects") && i + 1 < argc)
			subjects = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--max-pending") && i + 1 < argc)
			max_pending = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--label") && i + 1 < argc)
			label = argv[++i];
		else if (!strcmp(argv[i], "--msgid"))
			msgid = true;
		else
			usage();
	}
	if (subject == NULL || n_msgs == 0 || subjects == 0 || size < 24 || size > 1 << 20)
		usage();
	sent_at = calloc(n_msgs, sizeof(*sent_at));
	ack_lat_us = calloc(n_msgs, sizeof(*ack_lat_us));
	call_ns = calloc(n_msgs, sizeof(*call_ns));
	payload = malloc(size);
	if (!sent_at || !ack_lat_us || !call_ns || !payload)
		return 2;
	for (uint64_t b = 0; b < size; b++)
		payload[b] = (char)('a' + b % 26);
	if (natsOptions_Create(&no) != NATS_OK || natsOptions_SetURL(no, url) != NATS_OK)
		return 2;
	s = natsConnection_Connect(&nc, no);
	if (s != NATS_OK) {
		fprintf(stderr, "bench_engine: connect %s: %s\n", url, natsStatus_GetText(s));
		return 2;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = (int64_t)max_pending;
	jo.PublishAsync.AckHandler = ack_handler;
	if (natsConnection_JetStream(&js, nc, &jo) != NATS_OK)
		return 2;
	jsPubOptions_Init(&po);
	t0 = now_ns();
	for (uint64_t i = 0; i < n_msgs; i++) {
		int n = snprintf(payload, 24, "%" PRIu64 " ", i);
		uint64_t a, b;

		payload[n] = (char)('a' + (unsigned)n % 26);
		snprintf(subj, sizeof(subj), "%s.%" PRIu64, subject, i % subjects);
		a = now_ns();
		sent_at[i] = a;
		if (msgid) {
			natsMsg *m = NULL;

			/* what a client has to do for a stable id: a message with a header */
			snprintf(id, sizeof(id), "bench-%" PRIu64, i);
			s = natsMsg_Create(&m, subj, NULL, payload, (int)size);
			if (s == NATS_OK)
				s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
			if (s == NATS_OK)
				s = js_PublishMsgAsync(js, &m, &po);
			if (m != NULL)
				natsMsg_Destroy(m);
		} else {
			s = js_PublishAsync(js, subj, payload, (int)size, &po);
		}
		b = now_ns();
		call_ns[i] = b - a > UINT32_MAX ? UINT32_MAX : (uint32_t)(b - a);
		if (s != NATS_OK) {
			call_errors++; /* stalled too long: the message is not published */
			atomic_fetch_add(&failed, 1);
		}
	}
	t_submit = now_ns();
	{
		jsPubOptions co;

		jsPubOptions_Init(&co);
		co.MaxWait = 120000;
		(void)js_PublishAsyncComplete(js, &co);
	}
	t_all = now_ns();
	qsort(call_ns, n_msgs, sizeof(*call_ns), cmp_u32);
	{
		uint64_t na = 0;

		for (uint64_t i = 0; i < n_msgs; i++)
			if (ack_lat_us[i] != 0)
				ack_lat_us[na++] = ack_lat_us[i];
		qsort(ack_lat_us, na, sizeof(*ack_lat_us), cmp_u32);
		double sub_s = (double)(t_submit - t0) / 1e9, all_s = (double)(t_all - t0) / 1e9;
		uint64_t a = atomic_load(&acked);

		printf("{\"client\":\"%s\",\"max_pending\":%" PRIu64 ",\"msgid\":%s,\"count\":%"
		       PRIu64 ",\"submit_s\":%.6f,\"all_acked_s\":%.6f,\"acked\":%" PRIu64
		       ",\"failed\":%" PRIu64 ",\"call_errors\":%" PRIu64 ",\"acked_rate\":%.1f,"
		       "\"call_ns\":{\"p50\":%u,\"p99\":%u,\"p999\":%u,\"max\":%u},"
		       "\"ack_us\":{\"p50\":%u,\"p99\":%u}}\n", label, max_pending,
		       msgid ? "true" : "false", n_msgs, sub_s, all_s, a, atomic_load(&failed),
		       call_errors, all_s > 0 ? (double)a / all_s : 0.0,
		       pct(call_ns, n_msgs, 50), pct(call_ns, n_msgs, 99), pct(call_ns, n_msgs, 99.9),
		       call_ns[n_msgs - 1], pct(ack_lat_us, na, 50), pct(ack_lat_us, na, 99));
	}
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(no);
	nats_Close();
	return 0;
}
