/* bench_stats: what counting costs the data path, and what a concurrent reader adds.
 *
 * One writer thread runs N iterations of a TX/control-like counting step (accepted, sent +
 * bytes, one loop iteration, one ack with its latency in the histogram: 9 counter updates).
 * Variants:
 *   plain      the same updates as plain non-atomic increments on a private struct
 *   stats      jw_stats_* calls, no reader
 *   stats+rd   jw_stats_* calls while another thread sums the lcore block continuously
 *              (the worst case: a reader pulling the writer's cache lines nonstop)
 *   stats+tel  jw_stats_* calls while another thread does what /jetwire/stats and
 *              /jetwire/latency do, 100 times per second (100x what jwstat asks for)
 * Prints ns per step (best of R runs; the machine is shared, so the minimum is the signal).
 * Usage: bench_stats [iterations (default 20000000)] [runs (default 5)]. No assertions.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jw_time.h"
#include "stats/stats.h"

struct plain {
	uint64_t accepted, sent, bytes, wire_bytes, acked, loops, busy, hsum, hb[JW_HIST_BUCKETS];
};

static int reader_mode; /* 0 none, 1 continuous, 2 telemetry-like */
static int stop_reader;
static uint64_t reader_passes;

static double
now_ns(void)
{
	return (double)jw_mono_ns();
}

static void *
reader(void *arg)
{
	struct jw_stats_totals t;
	struct jw_hist_snap *a = malloc(sizeof(*a)), *w = malloc(sizeof(*w));
	struct timespec ten_ms = { 0, 10000000 };
	uint64_t sink = 0;

	(void)arg;
	while (!__atomic_load_n(&stop_reader, __ATOMIC_ACQUIRE)) {
		if (reader_mode == 1) {
			jw_stats_lcore_sum(&t);
		} else {
			jw_stats_lcore_sum(&t);
			jw_stats_latency_read(a, w);
			sink += jw_hist_value_at(a, 990000);
			nanosleep(&ten_ms, NULL);
		}
		sink += t.msg.sent;
		reader_passes++;
	}
	free(a);
	free(w);
	return (void *)(uintptr_t)sink;
}

static double
run_stats(struct jw_stats_lcore *b, uint64_t n)
{
	double t0 = now_ns();
	uint64_t i;

	for (i = 0; i < n; i++) {
		jw_stats_count_accepted(b, 1);
		jw_stats_count_sent(b, 1, 128, 180);
		jw_stats_loop_iteration(b, 100, 1);
		jw_stats_count_acked(b, 0, 20000 + (i & 0xffff));
	}
	return (now_ns() - t0) / (double)n;
}

static double
run_plain(struct plain *p, uint64_t n)
{
	double t0 = now_ns();
	uint64_t i;

	for (i = 0; i < n; i++) {
		p->accepted++;
		p->sent++;
		p->bytes += 128;
		p->wire_bytes += 180;
		p->loops++;
		p->busy += 100;
		p->acked++;
		p->hb[jw_hist_index(20000 + (i & 0xffff))]++;
		p->hsum += 20000 + (i & 0xffff);
		__asm__ volatile("" ::: "memory"); /* keep the stores in the loop */
	}
	return (now_ns() - t0) / (double)n;
}

int
main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000ull;
	int runs = argc > 2 ? atoi(argv[2]) : 5, r, mode;
	struct jw_stats_lcore *b = jw_stats_lcore_register(1, JW_STATS_ROLE_TX);
	struct plain *p = calloc(1, sizeof(*p));
	double best[4] = { 1e18, 1e18, 1e18, 1e18 };
	const char *names[4] = { "plain", "stats", "stats+rd", "stats+tel" };
	uint64_t passes[4] = { 0 };

	if (b == NULL || p == NULL || n == 0 || runs < 1)
		return 1;
	for (r = 0; r < runs; r++) {
		double v;

		v = run_plain(p, n);
		best[0] = v < best[0] ? v : best[0];
		for (mode = 0; mode < 3; mode++) {
			pthread_t th;

			reader_mode = mode;
			reader_passes = 0;
			__atomic_store_n(&stop_reader, 0, __ATOMIC_RELEASE);
			if (mode > 0)
				pthread_create(&th, NULL, reader, NULL);
			v = run_stats(b, n);
			if (mode > 0) {
				__atomic_store_n(&stop_reader, 1, __ATOMIC_RELEASE);
				pthread_join(th, NULL);
				passes[mode + 1] += reader_passes;
			}
			best[mode + 1] = v < best[mode + 1] ? v : best[mode + 1];
		}
	}
	printf("bench_stats: %llu steps x %d runs, 9 counter updates per step (best run)\n",
	       (unsigned long long)n, runs);
	for (r = 0; r < 4; r++) {
		printf("  %-10s %6.2f ns/step  %+6.2f ns vs plain", names[r], best[r],
		       best[r] - best[0]);
		if (r >= 2)
			printf("  (reader passes: %llu)", (unsigned long long)passes[r]);
		printf("\n");
	}
	jw_stats_lcore_release_all();
	free(p);
	return 0;
}
