/* Producer call latency: jw_publish beside librdkafka's rd_kafka_producev and cnats's
 * js_PublishAsync, 128-byte messages, one run, one table.
 *
 *   jetwire    jw_publish into a ring (default 1 MiB, -r) of a private instance; a consumer thread plays
 *              the TX and control lcores (peek, mark sent, release) so the ring keeps moving.
 *   librdkafka rd_kafka_producev with no reachable broker (bootstrap.servers=127.0.0.1:1,
 *              loopback) and a queue large enough never to refuse: pure enqueue cost.
 *   cnats      js_PublishAsync (MaxPending 50,000) against a nats-server this benchmark starts
 *              on 127.0.0.1 with a free port, JetStream in a temp dir and a memory stream;
 *              5 subjects x 10,000 messages; stopped and removed at the end.
 *
 * The consumer thread polls the slot every 2 us (-g), as a TX lcore that serves other slots
 * and bursts between two visits; a consumer hammering the slot's head cache line nonstop
 * slows every publish down (that rate is printed too).
 * Every call is timed with lfence+rdtsc (about 20 ns of the reported values is the timer).
 * jetwire's and librdkafka's calls/s are also measured untimed, per CPU second of the
 * calling thread ("calls/s cpu": time the machine gives to other processes does not count;
 * "calls/s timed" is wall-clock with the timer in the loop). For jw_publish's own cost
 * the consumer thread releases whatever is committed (head) without reading it; a second
 * untimed jetwire run with the consumer validating every record (jw_shm_peek, the TX
 * lcore's path) shows the end-to-end ring rate. Numbers only: nothing is
 * asserted. Options: -n N (jetwire calls, default 10,000,000), -k N (librdkafka, default
 * 1,000,000), --no-nats, --nats-server PATH.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <nats/nats.h>

#include "common/jw_hist.h"
#include "common/jw_time.h"
#include "jetwire.h"
#include "shm/shm.h"

#define MSG_SIZE 128

struct result {
	const char *name;
	int ran;
	struct jw_hist_snap h;        /* accepted calls */
	uint64_t refused;         /* calls that did not queue (EAGAIN / queue full / stall) */
	double timed_rate;        /* accepted calls/s while timing each call */
	double untimed_rate;      /* accepted calls/s without timing; 0 = not measured */
	double clean_share;       /* jetwire: share of untimed batches that met no full ring */
	char note[700];
};

static double ns_tick;
static uint32_t ring_bytes = JW_SHM_DEF_RING_BYTES;
static int pin;
static double poll_gap_ns = 2000;

static void
pin_to(int cpu)
{
	cpu_set_t set;

	if (!pin || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* ---- jetwire ---- */

struct drain {
	struct jw_shm *shm;
	volatile int stop;
	volatile int validate;      /* 1: jw_shm_peek every record; 0: release up to head */
	volatile uint64_t gap_ticks; /* pause between two polls of the slot; 0: poll nonstop */
};

static void *
drain_main(void *arg)
{
	struct drain *d = arg;
	struct jw_shm_slot *s = jw_shm_slot(d->shm, 0, 0);
	struct jw_shm_view v[256];
	uint64_t idle = 0;

	pin_to(1);
	while (!d->stop) {
		uint64_t end = 0, t0 = jw_ticks();

		if (d->validate) {
			unsigned n = jw_shm_peek(d->shm, s, v, 256);
			if (n)
				end = v[n - 1].end;
		} else {
			end = jw_shm_head(s);
			if (end == jw_shm_sent(s))
				end = 0;
		}
		if (end) {
			jw_shm_mark_sent(d->shm, s, end);
			jw_shm_release(d->shm, s, end);
			idle = 0;
		} else if (++idle > 10000000) { /* long idle: the run is over or stuck */
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		/* A TX lcore visits a slot once per loop (other slots, bursts in between). */
		while (jw_ticks() - t0 < d->gap_ticks)
			__builtin_ia32_pause();
		__builtin_ia32_pause();
	}
	return NULL;
}

static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Publishes n messages untimed in batches of 1024, each measured in this thread's CPU time
 * (so time the machine gave to other processes does not count). A batch that met a full
 * ring (the consumer thread was descheduled: on a loaded machine it often is) does not
 * count either, so this is the producer's own call rate. *share: the counted fraction. */
static double
untimed_rate(jw_producer *p, const char *payload, uint64_t n, double *share)
{
	uint64_t clean_calls = 0, clean_ns = 0, accepted = 0;

	while (accepted < n) {
		uint64_t a = thread_cpu_ns(), b;
		unsigned ok = 0;

		for (int k = 0; k < 1024; k++)
			ok += jw_publish(p, "bench.jetwire", payload, MSG_SIZE, NULL) == 0;
		b = thread_cpu_ns();
		accepted += ok;
		if (ok == 1024) {
			clean_calls += ok;
			clean_ns += b - a;
		}
	}
	*share = (double)clean_calls / (double)n;
	return clean_ns ? (double)clean_calls / ((double)clean_ns / 1e9) : 0;
}

static void
bench_jetwire(struct result *r, uint64_t n)
{
	char inst[32], err[256];
	struct jw_shm_params prm = { .n_tx = 1, .slots_per_tx = 1, .ring_bytes = ring_bytes,
				     .report_entries = 1024 };
	struct jw_open_opts oo = { .tx_lcore = 0 };
	struct drain d = { 0 };
	pthread_t th;
	jw_producer *p;
	static char payload[MSG_SIZE];
	uint64_t t0, accepted = 0;
	double share, share_nonstop, nonstop_rate, e2e_rate;

	snprintf(inst, sizeof(inst), "bench%d", (int)getpid());
	prm.instance = inst;
	oo.instance = inst;
	memset(payload, 'x', sizeof(payload));
	d.shm = jw_shm_create(&prm, err, sizeof(err));
	if (d.shm == NULL) {
		snprintf(r->note, sizeof(r->note), "jw_shm_create: %s", err);
		return;
	}
	if (jw_open(&p, &oo) != 0) {
		snprintf(r->note, sizeof(r->note), "jw_open failed");
		jw_shm_destroy(d.shm);
		return;
	}
	d.gap_ticks = (uint64_t)(poll_gap_ns / ns_tick);
	pthread_create(&th, NULL, drain_main, &d);
	/* warm-up: page in the ring */
	for (uint64_t i = 0; i < 200000; i++)
		while (jw_publish(p, "bench.jetwire", payload, MSG_SIZE, NULL) == JW_EAGAIN)
			;
	t0 = jw_mono_ns();
	while (accepted < n) {
		uint64_t a = jw_ticks();
		int rc = jw_publish(p, "bench.jetwire", payload, MSG_SIZE, NULL);
		uint64_t b = jw_ticks();

		if (rc == 0) {
			jw_hist_snap_add(&r->h, (uint64_t)((double)(b - a) * ns_tick));
			accepted++;
		} else {
			r->refused++;
		}
	}
	r->timed_rate = (double)n / ((double)(jw_mono_ns() - t0) / 1e9);
	r->untimed_rate = untimed_rate(p, payload, n, &share);
	d.gap_ticks = 0;
	nonstop_rate = untimed_rate(p, payload, n, &share_nonstop);
	d.validate = 1;
	accepted = 0;
	t0 = jw_mono_ns();
	while (accepted < n)
		accepted += jw_publish(p, "bench.jetwire", payload, MSG_SIZE, NULL) == 0;
	e2e_rate = (double)n / ((double)(jw_mono_ns() - t0) / 1e9);
	d.stop = 1;
	pthread_join(th, NULL);
	snprintf(r->note, sizeof(r->note), "ring %u B; consumer thread releases at head, polling "
		 "every %.0f ns; EAGAIN %" PRIu64 " calls (not in the percentiles); untimed rate "
		 "per producer CPU second, from the %.0f %% of 1024-call batches that met no full ring. Consumer polling "
		 "nonstop: %.1f M calls/s (%.0f %%). Consumer validating every record "
		 "(jw_shm_peek) nonstop, end to end: %.1f M msgs/s", ring_bytes, poll_gap_ns,
		 r->refused, share * 100, nonstop_rate / 1e6, share_nonstop * 100, e2e_rate / 1e6);
	jw_close(p);
	jw_shm_destroy(d.shm);
	r->ran = 1;
}

/* ---- librdkafka ---- */

static void
bench_rdkafka(struct result *r, uint64_t n)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	static char payload[MSG_SIZE];
	uint64_t t0, accepted = 0;
	const char *kv[][2] = {
		{ "bootstrap.servers", "127.0.0.1:1" },   /* loopback, nothing listens */
		{ "queue.buffering.max.messages", "10000000" },
		{ "queue.buffering.max.kbytes", "2097151" },
		{ "message.timeout.ms", "300000" },
		{ "log_level", "0" },
	};

	memset(payload, 'x', sizeof(payload));
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], errstr, sizeof(errstr)) !=
		    RD_KAFKA_CONF_OK) {
			snprintf(r->note, sizeof(r->note), "%s: %s", kv[i][0], errstr);
			rd_kafka_conf_destroy(conf);
			return;
		}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		snprintf(r->note, sizeof(r->note), "rd_kafka_new: %s", errstr);
		return;
	}
	for (int i = 0; i < 10000; i++) /* warm-up */
		rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("bench"), RD_KAFKA_V_VALUE(payload, MSG_SIZE),
				  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	t0 = jw_mono_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t a = jw_ticks();
		rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("bench"),
			RD_KAFKA_V_VALUE(payload, MSG_SIZE), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_END);
		uint64_t b = jw_ticks();

		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			jw_hist_snap_add(&r->h, (uint64_t)((double)(b - a) * ns_tick));
			accepted++;
		} else {
			r->refused++;
		}
	}
	r->timed_rate = (double)accepted / ((double)(jw_mono_ns() - t0) / 1e9);
	rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	accepted = 0;
	t0 = thread_cpu_ns(); /* per CPU second of this thread, as for jetwire */
	for (uint64_t i = 0; i < n; i++)
		accepted += rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("bench"),
			RD_KAFKA_V_VALUE(payload, MSG_SIZE), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR;
	r->untimed_rate = (double)accepted / ((double)(thread_cpu_ns() - t0) / 1e9);
	rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(rk, 0);
	rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	snprintf(r->note, sizeof(r->note), "librdkafka %s, broker 127.0.0.1:1 unreachable, "
		 "%" PRIu64 " refused", rd_kafka_version_str(), r->refused);
	r->ran = 1;
}

/* ---- cnats against a private nats-server ---- */

struct nats_srv {
	pid_t pid;
	int port;
	char dir[64];
};

static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
srv_start(struct nats_srv *s, const char *bin)
{
	char port[16];

	snprintf(s->dir, sizeof(s->dir), "/tmp/jw-bench-nats-XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	s->port = free_port();
	if (s->port < 0)
		return -1;
	snprintf(port, sizeof(port), "%d", s->port);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execlp(bin, bin, "-a", "127.0.0.1", "-p", port, "-js", "-sd", s->dir, (char *)NULL);
		_exit(127);
	}
	return 0;
}

static void
srv_stop(struct nats_srv *s)
{
	char cmd[128];

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (int i = 0; i < 50 && waitpid(s->pid, NULL, WNOHANG) == 0; i++)
			usleep(100000);
		if (kill(s->pid, 0) == 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
	}
	if (s->dir[0] && strncmp(s->dir, "/tmp/jw-bench-nats-", 19) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: could not remove %s\n", s->dir);
	}
}

static volatile uint64_t nats_acked, nats_failed;

static void
ack_handler(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	(void)js; (void)pa; (void)closure;
	if (pae)
		__atomic_add_fetch(&nats_failed, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&nats_acked, 1, __ATOMIC_RELAXED);
	natsMsg_Destroy(msg);
}

static void
bench_cnats(struct result *r, const char *bin)
{
	struct nats_srv srv = { 0 };
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	jsPubOptions po;
	const char *subjects[] = { "bench.>" };
	static char payload[MSG_SIZE];
	char url[64], subj[5][16];
	natsStatus st = NATS_ERR;
	uint64_t t0, t_pub, t_done, accepted = 0;
	const int per_subject = 10000, n_subj = 5;

	memset(payload, 'x', sizeof(payload));
	if (srv_start(&srv, bin) != 0) {
		snprintf(r->note, sizeof(r->note), "cannot start %s", bin);
		srv_stop(&srv);
		return;
	}
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", srv.port);
	for (int i = 0; i < 100 && st != NATS_OK; i++) {
		st = natsConnection_ConnectTo(&nc, url);
		if (st != NATS_OK)
			usleep(50000);
	}
	if (st != NATS_OK) {
		snprintf(r->note, sizeof(r->note), "cannot connect to %s: %s", url,
			 natsStatus_GetText(st));
		goto out;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = 50000;
	jo.PublishAsync.AckHandler = ack_handler;
	if ((st = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
		goto fail;
	jsStreamConfig_Init(&sc);
	sc.Name = "BENCH";
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Storage = js_MemoryStorage;
	if ((st = js_AddStream(&si, js, &sc, NULL, &jerr)) != NATS_OK)
		goto fail;
	jsStreamInfo_Destroy(si);
	for (int k = 0; k < n_subj; k++)
		snprintf(subj[k], sizeof(subj[k]), "bench.s%d", k);
	t0 = jw_mono_ns();
	for (int k = 0; k < n_subj; k++)
		for (int i = 0; i < per_subject; i++) {
			uint64_t a = jw_ticks();
			natsStatus s = js_PublishAsync(js, subj[k], payload, MSG_SIZE, NULL);
			uint64_t b = jw_ticks();

			if (s == NATS_OK) {
				jw_hist_snap_add(&r->h, (uint64_t)((double)(b - a) * ns_tick));
				accepted++;
			} else {
				r->refused++;
			}
		}
	t_pub = jw_mono_ns();
	jsPubOptions_Init(&po);
	po.MaxWait = 30000;
	js_PublishAsyncComplete(js, &po);
	t_done = jw_mono_ns();
	r->timed_rate = (double)accepted / ((double)(t_pub - t0) / 1e9);
	snprintf(r->note, sizeof(r->note), "nats-server on 127.0.0.1:%d, %" PRIu64 " acked, %"
		 PRIu64 " failed, %" PRIu64 " refused (stalled); all done %.0f ms after the first",
		 srv.port, nats_acked, nats_failed, r->refused, (double)(t_done - t0) / 1e6);
	r->ran = 1;
	goto out;
fail:
	snprintf(r->note, sizeof(r->note), "cnats: %s (jerr %d)", natsStatus_GetText(st), (int)jerr);
out:
	if (js)
		jsCtx_Destroy(js);
	if (nc)
		natsConnection_Destroy(nc);
	srv_stop(&srv);
}

/* ---- table ---- */

static void
print_table(struct result *res, int n)
{
	const char *rows[] = { "p50 ns", "p99 ns", "p99.9 ns", "max ns", "mean ns",
			       "calls/s timed", "calls/s cpu", "calls measured" };
	const struct result *jw = &res[0];

	printf("\n%-18s", "");
	for (int i = 0; i < n; i++)
		printf("%18s", res[i].name);
	for (int i = 1; i < n; i++)
		printf("%14s/jw", res[i].name[0] == 'l' ? "rdkafka" : "cnats");
	printf("\n");
	for (size_t row = 0; row < sizeof(rows) / sizeof(rows[0]); row++) {
		double v[8];
		printf("%-18s", rows[row]);
		for (int i = 0; i < n; i++) {
			const struct jw_hist_snap *h = &res[i].h;
			switch (row) {
			case 0: v[i] = (double)jw_hist_percentile(h, 50); break;
			case 1: v[i] = (double)jw_hist_percentile(h, 99); break;
			case 2: v[i] = (double)jw_hist_percentile(h, 99.9); break;
			case 3: v[i] = (double)h->max; break;
			case 4: v[i] = h->count ? (double)h->sum / (double)h->count : 0; break;
			case 5: v[i] = res[i].timed_rate; break;
			case 6: v[i] = res[i].untimed_rate; break;
			default: v[i] = (double)h->count; break;
			}
			if (!res[i].ran || (row == 6 && v[i] == 0))
				printf("%18s", "-");
			else
				printf("%18.0f", v[i]);
		}
		for (int i = 1; i < n; i++) {
			if (!res[i].ran || !jw->ran || v[0] == 0 || v[i] == 0 || row == 7)
				printf("%17s", "-");
			else if (row == 5 || row == 6) /* throughput: how many times more jetwire does */
				printf("%16.2fx", v[0] / v[i]);
			else
				printf("%16.1fx", v[i] / v[0]);
		}
		printf("\n");
	}
	printf("(ratios: latency rows = other / jetwire; calls/s rows = jetwire / other)\n\n");
	for (int i = 0; i < n; i++)
		printf("%-12s %s\n", res[i].name, res[i].note);
	if (jw->ran) {
		uint64_t p99 = jw_hist_percentile(&jw->h, 99);
		printf("\ntargets: p99 < 200 ns: %s (%" PRIu64 ")", p99 < 200 ? "yes" : "NO", p99);
		if (res[1].ran)
			printf("; p99 <= rdkafka p99 / 10: %s",
			       p99 * 10 <= jw_hist_percentile(&res[1].h, 99) ? "yes" : "NO");
		if (n > 2 && res[2].ran)
			printf("; max < cnats max / 100: %s",
			       jw->h.max * 100 < res[2].h.max ? "yes" : "NO");
		printf("; > 20 M calls/s (untimed, per CPU s): %s (%.1f M)\n",
		       jw->untimed_rate > 20e6 ? "yes" : "NO", jw->untimed_rate / 1e6);
	}
}

int
main(int argc, char **argv)
{
	static struct result res[3];
	uint64_t n = 10000000, kn = 1000000;
	const char *nats_bin = "nats-server";
	int with_nats = 1;

	for (int i = 0; i < 3; i++)
		jw_hist_snap_init(&res[i].h);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			kn = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			ring_bytes = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-g") && i + 1 < argc)
			poll_gap_ns = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--pin"))
			pin = 1;
		else if (!strcmp(argv[i], "--no-nats"))
			with_nats = 0;
		else if (!strcmp(argv[i], "--nats-server") && i + 1 < argc)
			nats_bin = argv[++i];
		else {
			fprintf(stderr, "usage: bench_producer [-n N] [-k N] [-r RING_BYTES] [-g POLL_GAP_NS] [--pin] "
				"[--no-nats] [--nats-server PATH]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	ns_tick = jw_ns_per_tick();
	pin_to(0);
	res[0].name = "jetwire";
	res[1].name = "librdkafka";
	res[2].name = "cnats";
	printf("bench_producer: %d-byte messages; jetwire %" PRIu64 " calls, librdkafka %" PRIu64
	       ", cnats 5 x 10000 (%.3f ns/tick)\n", MSG_SIZE, n, kn, ns_tick);
	fflush(stdout);
	bench_jetwire(&res[0], n);
	bench_rdkafka(&res[1], kn);
	if (with_nats)
		bench_cnats(&res[2], nats_bin);
	print_table(res, with_nats ? 3 : 2);
	return 0;
}
