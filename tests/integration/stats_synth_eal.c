/* A minimal EAL process serving the /jetwire/ telemetry commands over a synthetic, known run
 * of counter updates, so tests can check jwstat end to end without the engine.
 * Built by tests/integration/stats_*.sh (not part of `make`).
 *
 *   stats_synth_eal <EAL args> -- [--seconds S] [--set section.key=value]...
 *
 * It starts the stats socket the way jetwire's main does: jw_config_defaults, the --set
 * overrides (jw_config_set), then jw_stats_start (identity, tunables from [flow], the
 * /jetwire/config view, the commands, [stats] socket_mode / socket_group).
 * Prints "READY <runtime dir>" once the socket is up, then serves until stdin closes or S
 * seconds (default 60) pass. A QSBR reader thread plays the engine: it reads the tunables in
 * every iteration and announces quiescent states, so /jetwire/set waits for a real grace
 * period. The known run (checked by the scripts):
 *   accepted 1000, sent 1000, bytes 128000, wire_bytes 181100, acked 990, duplicate 7,
 *   failed timeout 2 / no_stream 1, resends 11, reconnects 2, published 1000,
 *   rejected EAGAIN 7 / E2BIG 1; ack latency 50000 + i ns (i < 990); ring wait i ns.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <urcu-qsbr.h>

#include "../common/fixtures.h"
#include "config/config.h"
#include "telemetry/telemetry_config.h"
#include "stats/stats.h"
#include "telemetry/telemetry_registry.h"
#include "telemetry/telemetry.h"
#include "tunables/tunables.h"

static int stop;

static int
synth_conns(void *ctx, struct jw_stats_conn *out, int max)
{
	int i, n = 2;

	(void)ctx;
	for (i = 0; i < n && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].id = (uint32_t)i;
		out[i].lcore_id = 1 + (uint32_t)i;
		snprintf(out[i].state, sizeof(out[i].state), "established");
		snprintf(out[i].server, sizeof(out[i].server), "198.18.0.1:4222");
		out[i].snd_una = 1000;
		out[i].snd_nxt = 2000;
		out[i].rcv_nxt = 300;
		out[i].cwnd_bytes = 14600;
		out[i].peer_wnd_bytes = 65535;
		out[i].srtt_us = 120;
		out[i].rto_us = 200000;
		out[i].retransmits = 3 + (uint64_t)i;
		out[i].rtx_rto = 1;
		out[i].rtx_fast = 1 + (uint64_t)i;
		out[i].rtx_tlp = 1;
		out[i].sack = 1;
		out[i].sack_blocks_in = 40;
		out[i].dsacks_in = 2;
		out[i].spurious_undos = 1;
		out[i].pure_acks_out = 77;
		out[i].pacing_rate_bps = 125000000;
		out[i].js_window = 256;
		out[i].js_inflight = 10 + (uint32_t)i;
		out[i].acks = 495;
		out[i].reconnects = 1;
	}
	return n;
}

static int
synth_producers(void *ctx, struct jw_stats_producer *out, int max)
{
	(void)ctx;
	if (max < 2)
		return 0;
	memset(out, 0, 2 * sizeof(*out));
	out[0] = (struct jw_stats_producer){ .slot = 0, .pid = 4242, .state = "owned",
					     .published = 600, .ring_used_bytes = 640,
					     .ring_size_bytes = 65536, .unsent_bytes = 128,
					     .reports_pending = 2 };
	out[0].n_rejected = 2;
	out[0].rejected[0] = (struct jw_stats_reject){ .code = -11, .count = 5 }; /* EAGAIN */
	out[0].rejected[1] = (struct jw_stats_reject){ .code = -7, .count = 1 };  /* E2BIG */
	out[1] = (struct jw_stats_producer){ .slot = 3, .tx = 1, .pid = 4343, .state = "owned",
					     .published = 400, .ring_size_bytes = 65536,
					     .bad_records = 1 };
	out[1].n_rejected = 2;
	out[1].rejected[0] = (struct jw_stats_reject){ .code = -11, .count = 2 };
	out[1].rejected[1] = (struct jw_stats_reject){ .code = -4242, .count = 0 }; /* unnamed */
	return 2;
}

static void
known_run(void)
{
	struct jw_stats_lcore *tx0 = jw_stats_lcore_register(1, JW_STATS_ROLE_TX);
	struct jw_stats_lcore *tx1 = jw_stats_lcore_register(2, JW_STATS_ROLE_TX);
	struct jw_stats_lcore *ctl = jw_stats_lcore_register(3, JW_STATS_ROLE_CONTROL);

	jwt_stats_known_run(tx0, tx1, ctl);
}

/* Plays an engine loop: QSBR online reader of the tunables, backs off 1 ms per iteration. */
static void *
engine_like(void *arg)
{
	struct jw_stats_lcore *b = jw_stats_lcore_register(4, JW_STATS_ROLE_OTHER);
	struct timespec ts = { 0, 1000000 };
	uint64_t bad = 0;

	(void)arg;
	rcu_register_thread();
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		const struct jw_tunables *t = jw_tunables_current();

		if (t == NULL || t->window_min > t->window_max)
			bad++;
		jw_stats_loop_iteration(b, 1, 0);
		rcu_quiescent_state();
		rcu_thread_offline(); /* sleeping: do not hold up grace periods */
		nanosleep(&ts, NULL);
		rcu_thread_online();
	}
	rcu_unregister_thread();
	if (bad)
		fprintf(stderr, "synth: %llu invalid tunables seen\n", (unsigned long long)bad);
	return (void *)(uintptr_t)bad;
}

int
main(int argc, char **argv)
{
	static struct jw_config cfg; /* outlives the telemetry commands */
	int seconds = 60, n, i;
	char err[256];
	pthread_t th;
	void *thr_bad;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "synth: rte_eal_init failed\n");
		return 2;
	}
	argc -= n;
	argv += n;
	jw_config_defaults(&cfg);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			seconds = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
			char sect[64], *key, *val;

			snprintf(sect, sizeof(sect), "%s", argv[++i]);
			key = strchr(sect, '.');
			val = key ? strchr(key, '=') : NULL;
			if (val == NULL) {
				fprintf(stderr, "synth: --set wants section.key=value\n");
				return 2;
			}
			*key++ = '\0';
			*val++ = '\0';
			if (jw_config_set(&cfg, sect, key, val, err, sizeof(err)) != 0) {
				fprintf(stderr, "synth: %s\n", err);
				return 2;
			}
		} else {
			fprintf(stderr, "synth: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	known_run();
	jw_stats_register_conns(synth_conns, NULL);
	jw_stats_register_producers(synth_producers, NULL);
	if (jw_stats_start(&cfg, "0.1.0-test", 4096, err, sizeof(err)) != 0) {
		fprintf(stderr, "synth: jw_stats_start: %s\n", err);
		return 2;
	}
	jw_stats_set_info("note", "has \"quotes\" and a\ttab"); /* sanitised on output */
	pthread_create(&th, NULL, engine_like, NULL);
	printf("READY %s\n", rte_eal_get_runtime_dir());
	fflush(stdout);
	for (i = 0; i < seconds * 10; i++) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		char b[64];

		if (poll(&p, 1, 100) > 0 && read(0, b, sizeof(b)) <= 0)
			break;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, &thr_bad);
	jw_stats_stop();
	rte_eal_cleanup();
	return thr_bad ? 1 : 0;
}
