/* Unit tests of lib/port: EAL arguments from a config, the fault stage (deterministic for a
 * seed), and a real port (net_ring loopback: TX queue q feeds RX queue q) through the burst
 * wrappers with and without faults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "../common/fixtures.h"
#include "config/config.h"
#include "port/fault.h"
#include "port/port.h"

#define NPKT 2000

static struct jw_config cfg;
static struct rte_mempool *pool;

static void
set(struct jw_config *c, const char *s, const char *k, const char *v)
{
	char err[256];

	if (jw_config_set(c, s, k, v, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void
base_config(struct jw_config *c)
{
	char err[256], pfx[64];

	jw_config_defaults(c);
	snprintf(pfx, sizeof(pfx), "jwtest-port-%d", (int)getpid());
	set(c, "eal", "lcores", "(0-2)@0");
	set(c, "eal", "hugepages", "no");
	set(c, "eal", "memory_mb", "128");
	set(c, "eal", "file_prefix", pfx);
	set(c, "eal", "log_level", "error");
	set(c, "eal", "extra", "--no-shconf  --no-telemetry");
	set(c, "port", "vdev", "net_ring0");
	set(c, "port", "rx_queues", "2");
	set(c, "port", "tx_queues", "2");
	set(c, "port", "rx_desc", "256");
	set(c, "port", "tx_desc", "256");
	set(c, "port", "mbufs", "8191");
	set(c, "net", "addr", "198.18.0.2/24");
	if (jw_config_finish(c, "test", err, sizeof(err)) != 0)
		fail_msg("%s", err);
	snprintf(c->path, sizeof(c->path), "test.conf");
}

/* jw_port_close() closes the ethdev, which releases a vdev port: probe it again. */
static void
reprobe_ring(void)
{
	assert_int_equal(rte_eal_hotplug_remove("vdev", "net_ring0"), 0);
	assert_int_equal(rte_eal_hotplug_add("vdev", "net_ring0", ""), 0);
}

static int
has_arg(const struct jw_eal_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return 1;
	return 0;
}

static int
setup(void **state)
{
	struct jw_eal_args a;
	char err[256];

	(void)state;
	base_config(&cfg);
	if (jw_eal_args_build(&cfg, "test_port", &a, err, sizeof(err)) != 0)
		return -1;
	if (rte_eal_init(a.argc, a.argv) < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("porttest", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return pool ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return jwt_eal_teardown(pool);
}

static void
eal_args_from_config(void **state)
{
	struct jw_config c;
	struct jw_eal_args a;
	char err[256], pfx[80];

	(void)state;
	base_config(&c);
	assert_int_equal(jw_eal_args_build(&c, "prog", &a, err, sizeof(err)), 0);
	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", c.eal.file_prefix);
	assert_string_equal(a.argv[0], "prog");
	assert_true(has_arg(&a, "--lcores=(0-2)@0"));
	assert_true(has_arg(&a, pfx));
	assert_true(has_arg(&a, "--no-huge"));
	assert_false(has_arg(&a, "--huge-unlink"));
	assert_true(a.no_huge);
	assert_true(has_arg(&a, "128"));
	assert_true(has_arg(&a, "--vdev=net_ring0"));
	assert_true(has_arg(&a, "--no-pci"));
	assert_true(has_arg(&a, "--log-level=4"));
	assert_true(has_arg(&a, "--no-shconf"));
	assert_true(has_arg(&a, "--no-telemetry"));
	assert_null(a.argv[a.argc]);

	set(&c, "port", "vdev", "");
	set(&c, "port", "pci", "0000:3b:00.0");
	set(&c, "eal", "extra", "");
	assert_int_equal(jw_eal_args_build(&c, "prog", &a, err, sizeof(err)), 0);
	assert_true(has_arg(&a, "-a"));
	assert_true(has_arg(&a, "0000:3b:00.0"));
	assert_false(has_arg(&a, "--no-pci"));
	assert_false(has_arg(&a, "--no-telemetry"));

	set(&c, "stats", "enabled", "no");
	assert_int_equal(jw_eal_args_build(&c, "prog", &a, err, sizeof(err)), 0);
	assert_true(has_arg(&a, "--no-telemetry"));

	/* On hugepages EAL's page files must not outlive the process (they would hold the
	 * pages the next start under hugepages = auto counts on). */
	set(&c, "eal", "hugepages", "yes");
	assert_int_equal(jw_eal_args_build(&c, "prog", &a, err, sizeof(err)), 0);
	assert_false(a.no_huge);
	assert_false(has_arg(&a, "--no-huge"));
	assert_true(has_arg(&a, "--huge-unlink"));
}

static void
make_pkts(struct rte_mbuf **m, uint32_t n, uint32_t first)
{
	for (uint32_t i = 0; i < n; i++) {
		m[i] = rte_pktmbuf_alloc(pool);
		assert_non_null(m[i]);
		*(uint32_t *)rte_pktmbuf_append(m[i], 64) = first + i;
	}
}

static uint32_t
seq_of(struct rte_mbuf *m)
{
	return *rte_pktmbuf_mtod(m, uint32_t *);
}

/* Run NPKT packets through a stage in bursts of 16; record output sequence numbers. */
static uint32_t
run_stage(struct jw_fault_q *q, uint32_t *seqs, uint32_t cap)
{
	struct rte_mbuf *in[16], *out[33];
	uint32_t n_out = 0;

	for (uint32_t b = 0; b < NPKT / 16; b++) {
		uint16_t k;

		make_pkts(in, 16, b * 16);
		k = jw_fault_apply(q, in, 16, out);
		assert_true(k <= 33);
		for (uint16_t i = 0; i < k; i++) {
			assert_true(n_out < cap);
			seqs[n_out++] = seq_of(out[i]);
			rte_pktmbuf_free(out[i]);
		}
	}
	if (jw_fault_flush(q, out)) {
		seqs[n_out++] = seq_of(out[0]);
		rte_pktmbuf_free(out[0]);
	}
	return n_out;
}

static void
fault_off_passes_everything_in_order(void **state)
{
	static uint32_t seqs[2 * NPKT + 1];
	struct jw_fault_q q;
	uint32_t n;

	(void)state;
	assert_int_equal(jw_fault_init(&q, 0, 0, 0, 1), 0);
	assert_false(q.enabled);
	n = run_stage(&q, seqs, JW_ARRAY_SIZE(seqs));
	assert_int_equal(n, NPKT);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], i);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
fault_rejects_bad_probabilities(void **state)
{
	struct jw_fault_q q;

	(void)state;
	assert_int_equal(jw_fault_init(&q, -0.1, 0, 0, 1), -EINVAL);
	assert_int_equal(jw_fault_init(&q, 0, 1.5, 0, 1), -EINVAL);
	assert_int_equal(jw_fault_init(&q, 0, 0, 0.0 / 0.0, 1), -EINVAL);
}

static void
fault_certain_events(void **state)
{
	static uint32_t seqs[2 * NPKT + 1];
	struct jw_fault_q q;
	uint32_t n;

	(void)state;
	/* drop = 1: nothing survives */
	assert_int_equal(jw_fault_init(&q, 1, 0, 0, 1), 0);
	assert_int_equal(run_stage(&q, seqs, JW_ARRAY_SIZE(seqs)), 0);
	assert_int_equal(q.cnt.dropped, NPKT);
	/* dup = 1: each packet then its copy */
	assert_int_equal(jw_fault_init(&q, 0, 1, 0, 1), 0);
	n = run_stage(&q, seqs, JW_ARRAY_SIZE(seqs));
	assert_int_equal(n, 2 * NPKT);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], i / 2);
	assert_int_equal(q.cnt.duplicated, NPKT);
	/* reorder = 1: pairs swap (1 0 3 2 ...), across burst boundaries too */
	assert_int_equal(jw_fault_init(&q, 0, 0, 1, 1), 0);
	n = run_stage(&q, seqs, JW_ARRAY_SIZE(seqs));
	assert_int_equal(n, NPKT);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], i ^ 1);
	assert_int_equal(q.cnt.reordered, NPKT / 2);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
fault_is_deterministic_for_a_seed(void **state)
{
	static uint32_t a[2 * NPKT + 1], b[2 * NPKT + 1], c[2 * NPKT + 1];
	struct jw_fault_q q;
	uint32_t na, nb, nc, dropped, dups, reord;
	uint8_t seen[NPKT] = { 0 };

	(void)state;
	assert_int_equal(jw_fault_init(&q, 0.1, 0.1, 0.1, 42), 0);
	na = run_stage(&q, a, JW_ARRAY_SIZE(a));
	dropped = (uint32_t)q.cnt.dropped;
	dups = (uint32_t)q.cnt.duplicated;
	reord = (uint32_t)q.cnt.reordered;
	assert_int_equal(jw_fault_init(&q, 0.1, 0.1, 0.1, 42), 0);
	nb = run_stage(&q, b, JW_ARRAY_SIZE(b));
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(a[0]));
	assert_int_equal(q.cnt.dropped, dropped);
	/* conservation: out = in - dropped + duplicated; each packet at most twice */
	assert_int_equal(na, NPKT - dropped + dups);
	for (uint32_t i = 0; i < na; i++) {
		assert_true(a[i] < NPKT);
		assert_true(++seen[a[i]] <= 2);
	}
	/* all three happened, at plausible rates for p = 0.1 over 2000 packets */
	assert_true(dropped > 100 && dropped < 320);
	assert_true(dups > 80 && dups < 300);
	assert_true(reord > 80 && reord < 300);
	/* a different seed gives a different sequence */
	assert_int_equal(jw_fault_init(&q, 0.1, 0.1, 0.1, 43), 0);
	nc = run_stage(&q, c, JW_ARRAY_SIZE(c));
	assert_true(nc != na || memcmp(a, c, na * sizeof(a[0])) != 0);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* Receive everything a loopback queue has (bounded polls). */
static uint32_t
drain(struct jw_port *p, uint16_t q, uint32_t *seqs, uint32_t cap)
{
	struct rte_mbuf *m[32];
	uint32_t n = 0;

	for (int idle = 0; idle < 4;) {
		uint16_t k = jw_port_rx_burst(p, q, m, 32);

		idle = k ? 0 : idle + 1;
		for (uint16_t i = 0; i < k; i++) {
			if (n < cap)
				seqs[n++] = seq_of(m[i]);
			rte_pktmbuf_free(m[i]);
		}
	}
	return n;
}

static struct jw_port *
open_port(const char *const *sets, int n)
{
	struct jw_config c = cfg;
	char err[256];
	struct jw_port *p;

	for (int i = 0; i < n; i += 3)
		set(&c, sets[i], sets[i + 1], sets[i + 2]);
	assert_int_equal(jw_config_finish(&c, "test", err, sizeof(err)), 0);
	p = jw_port_open(&c, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	return p;
}

static void
port_loopback_without_faults(void **state)
{
	struct rte_mbuf *m[32];
	uint32_t seqs[64];
	struct jw_port *p = open_port(NULL, 0);

	(void)state;
	assert_int_equal(p->n_rxq, 2);
	assert_int_equal(p->n_txq, 2);
	assert_false(p->fault_enabled);
	assert_non_null(p->pool);
	assert_true(p->mbuf_data_room >= 1500 + 18);
	make_pkts(m, 32, 0);
	assert_int_equal(jw_port_tx_burst(p, 1, m, 32), 32);
	assert_int_equal(drain(p, 1, seqs, 64), 32);
	for (uint32_t i = 0; i < 32; i++)
		assert_int_equal(seqs[i], i);
	assert_int_equal(jw_stat_read(&p->txq[1].st.pkts), 32);
	assert_int_equal(jw_stat_read(&p->rxq[1].st.pkts), 32);
	/* the ctx adapter (struct tcp_io.tx_burst) goes to the same queue */
	make_pkts(m, 4, 100);
	assert_null(jw_port_txq_ctx(p, 2));
	assert_int_equal(jw_port_tx_burst_ctx(jw_port_txq_ctx(p, 0), m, 4), 4);
	assert_int_equal(drain(p, 0, seqs, 64), 4);
	assert_int_equal(seqs[3], 103);
	jw_port_close(p);
	reprobe_ring();
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
port_fault_stage_on_both_directions(void **state)
{
	static const char *const sets[] = { "fault", "tx_dup", "1", "fault", "rx_reorder", "1",
					    "fault", "seed", "5" };
	struct rte_mbuf *m[32];
	uint32_t seqs[128], n;
	struct jw_fault_counters rx, tx;
	struct jw_port *p = open_port(sets, 9);

	(void)state;
	assert_true(p->fault_enabled);
	make_pkts(m, 32, 0);
	/* TX duplicates every packet: 64 leave; RX swaps neighbours: order 0 0 1 1 -> 0 0 1 1
	 * pairs swap: out[i] = in[i ^ 1], and in = 0 0 1 1 2 2 ... so each pair is (k, k). */
	assert_int_equal(jw_port_tx_burst(p, 0, m, 32), 32);
	n = drain(p, 0, seqs, 128);
	assert_int_equal(n, 64);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], i / 2);
	jw_port_fault_totals(p, &rx, &tx);
	assert_int_equal(tx.duplicated, 32);
	assert_int_equal(tx.dropped, 0);
	assert_int_equal(rx.reordered, 32);
	/* odd count: the last packet is held, then released by an idle poll */
	make_pkts(m, 3, 500);
	jw_port_tx_burst(p, 1, m, 3);
	n = drain(p, 1, seqs, 128);
	assert_int_equal(n, 6);
	jw_port_close(p);
	reprobe_ring();
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
port_open_reports_bad_settings(void **state)
{
	static const char *const too_many[] = { "port", "rx_queues", "64" };
	static const char *const no_dev[] = { "port", "vdev", "net_nothing7" };
	static const char *const csum_on[] = { "port", "checksum_offload", "on" };
	const char *const *cases[] = { too_many, no_dev, csum_on };
	const char *frag[] = { "[port] rx_queues = 64", "no such DPDK port", "[port] checksum_offload = on" };

	(void)state;
	for (size_t i = 0; i < JW_ARRAY_SIZE(cases); i++) {
		struct jw_config c = cfg;
		char err[256];

		set(&c, cases[i][0], cases[i][1], cases[i][2]);
		assert_int_equal(jw_config_finish(&c, "test", err, sizeof(err)), 0);
		assert_null(jw_port_open(&c, err, sizeof(err)));
		if (!strstr(err, frag[i]))
			fail_msg("\"%s\" lacks \"%s\"", err, frag[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eal_args_from_config),
		cmocka_unit_test(fault_off_passes_everything_in_order),
		cmocka_unit_test(fault_rejects_bad_probabilities),
		cmocka_unit_test(fault_certain_events),
		cmocka_unit_test(fault_is_deterministic_for_a_seed),
		cmocka_unit_test(port_loopback_without_faults),
		cmocka_unit_test(port_fault_stage_on_both_directions),
		cmocka_unit_test(port_open_reports_bad_settings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
