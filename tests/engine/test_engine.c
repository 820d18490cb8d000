/* Unit tests of the engine's pure parts: delivery reports from outcomes, parameter checks,
 * the server table (connect_urls discovery, server choice, the start-up refusal rule), the
 * TX loop's idle back-off and its first-answer gate.
 * The loops themselves run against the real nats-server in tests/integration/engine_*.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "engine/engine.h"
#include "jetwire.h"
#include "shm/shm.h"

static void
acked_report(void **state)
{
	struct flow_outcome o = { .status = FLOW_ACKED, .producer_seq = 17, .stream = "ORDERS",
				  .stream_len = 6, .stream_seq = 99, .duplicate = true };
	struct jw_shm_report r;

	(void)state;
	engine_report_of(&o, &r);
	assert_int_equal(r.seq, 17);
	assert_int_equal(r.status, JW_ACKED);
	assert_int_equal(r.stream_seq, 99);
	assert_int_equal(r.duplicate, 1);
	assert_int_equal(r.reason, JW_R_NONE);
	assert_memory_equal(r.stream, "ORDERS\0", 7);
}

static void
dup_risk_and_long_stream(void **state)
{
	char name[64];
	struct flow_outcome o = { .status = FLOW_ACKED, .producer_seq = 1, .stream = name,
				  .stream_len = 40, .maybe_duplicate = true };
	struct jw_shm_report r;

	(void)state;
	memset(name, 'S', sizeof(name));
	engine_report_of(&o, &r);
	assert_int_equal(r.status, JW_DUP_RISK);
	assert_memory_equal(r.stream, name, JW_SHM_STREAM_MAX); /* cut at 32, no overflow */
}

static void
failed_reports(void **state)
{
	struct flow_outcome o = { .status = FLOW_FAILED, .producer_seq = 5, .why = JW_R_JS_ERROR,
				  .code = 400, .err_code = 10060 };
	struct jw_shm_report r;

	(void)state;
	engine_report_of(&o, &r);
	assert_int_equal(r.status, JW_FAILED);
	assert_int_equal(r.reason, JW_R_JS_ERROR);
	assert_int_equal(r.code, 400);
	assert_int_equal(r.err_code, 10060);
	assert_int_equal(r.stream_seq, 0);
	o.why = JW_R_NO_STREAM;
	o.code = 503;
	o.err_code = 0;
	engine_report_of(&o, &r);
	assert_int_equal(r.reason, JW_R_NO_STREAM);
	assert_int_equal(r.code, 503);
	o.why = 0; /* a failure always carries a reason */
	o.code = -1;
	o.err_code = -5;
	engine_report_of(&o, &r);
	assert_int_equal(r.reason, JW_R_JS_ERROR);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.err_code, 0);
	o.why = 999;
	engine_report_of(&o, &r);
	assert_int_equal(r.reason, JW_R_JS_ERROR);
	o.why = JW_R_TIMEOUT;
	o.code = 408;
	engine_report_of(&o, &r);
	assert_int_equal(r.reason, JW_R_TIMEOUT);
	assert_int_equal(r.code, 408);
}

static int fake_mac(void *ctx, uint32_t i, struct rte_ether_addr *m)
{ (void)ctx; (void)i; (void)m; return -EAGAIN; }
static void *fake_txq(void *ctx, uint16_t q) { (void)q; return ctx; }
static uint16_t fake_tx(void *ctx, struct rte_mbuf **p, uint16_t n)
{ (void)ctx; (void)p; (void)n; return 0; }

static void
create_rejects_bad_parameters(void **state)
{
	struct engine_params p;
	struct engine_net_ops net = { fake_mac, fake_txq, fake_tx, NULL };
	struct jw_shm shm;
	char err[256];

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(&shm, 0, sizeof(shm));
	shm.n_tx = 2;
	shm.slots_per_tx = 4;
	shm.ring_bytes = 4096;
	p.n_conns = 2;
	p.n_servers = 1;
	p.burst = 32;
	p.flow.adaptive = true;
	p.flow.window_min = 1;
	p.flow.window_max = 16;
	p.flow.ack_target_ns = 1000;
	p.flow.ack_timeout_ns = 1000;
	/* no mbuf pool */
	assert_null(engine_create(&p, &net, &shm, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "pool"));
	p.n_conns = 1; /* shm has 2 ring sets */
	assert_null(engine_create(&p, &net, &shm, err, sizeof(err)));
	assert_non_null(strstr(err, "ring sets"));
	p.n_conns = 2;
	p.n_servers = 0;
	assert_null(engine_create(&p, &net, &shm, err, sizeof(err)));
	assert_non_null(strstr(err, "server"));
	p.n_servers = 1;
	p.flow.window_min = 0;
	assert_null(engine_create(&p, &net, &shm, err, sizeof(err)));
	assert_non_null(strstr(err, "[flow]"));
	net.server_mac = NULL;
	assert_null(engine_create(&p, &net, &shm, err, sizeof(err)));
	assert_null(engine_create(NULL, &net, &shm, err, sizeof(err)));
}

static uint32_t
ip(const char *s)
{
	uint32_t v;

	assert_int_equal(inet_pton(AF_INET, s, &v), 1);
	return v;
}

static struct engine *
table_engine(void)
{
	struct engine *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->p.discover = true;
	e->p.session.backoff_max_ns = 5000;
	atomic_store(&e->servers[0].ip_be, ip("198.18.0.1"));
	atomic_store(&e->servers[0].port, 4222);
	atomic_store(&e->servers[0].flags, ENGINE_SRV_ACTIVE | ENGINE_SRV_CONFIGURED);
	atomic_store(&e->n_server_slots, 1);
	return e;
}

static void
info_urls(struct nats_info *in, unsigned total, int n, ...)
{
	va_list ap;

	memset(in, 0, sizeof(*in));
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		snprintf(in->connect_urls[i], sizeof(in->connect_urls[i]), "%s", va_arg(ap, char *));
	va_end(ap);
	in->n_connect_urls = (unsigned)n;
	in->connect_urls_total = total;
}

/* index of ip:4222 among the active servers, -1 if absent */
static int
find(const struct engine *e, const char *addr)
{
	for (uint32_t k = 0; k < atomic_load(&e->n_server_slots); k++)
		if ((atomic_load(&e->servers[k].flags) & ENGINE_SRV_ACTIVE) &&
		    atomic_load(&e->servers[k].ip_be) == ip(addr))
			return (int)k;
	return -1;
}

static void
server_urls_parse(void **state)
{
	uint32_t a;
	uint16_t port;

	(void)state;
	assert_int_equal(engine_server_parse_url("198.18.0.3:4222", &a, &port), 0);
	assert_int_equal(a, ip("198.18.0.3"));
	assert_int_equal(port, 4222);
	assert_int_equal(engine_server_parse_url("nats://198.18.0.4:4333", &a, &port), 0);
	assert_int_equal(port, 4333);
	assert_int_equal(engine_server_parse_url("198.18.0.4", &a, &port), 0);
	assert_int_equal(port, 4222);
	assert_int_equal(engine_server_parse_url("nats.example.com:4222", &a, &port), -EINVAL);
	assert_int_equal(engine_server_parse_url("[::1]:4222", &a, &port), -EINVAL);
	assert_int_equal(engine_server_parse_url("198.18.0.4:0", &a, &port), -EINVAL);
	assert_int_equal(engine_server_parse_url("198.18.0.4:65536", &a, &port), -EINVAL);
	assert_int_equal(engine_server_parse_url("198.18.0.4:42x", &a, &port), -EINVAL);
	assert_int_equal(engine_server_parse_url(":4222", &a, &port), -EINVAL);
	assert_int_equal(engine_server_parse_url("", &a, &port), -EINVAL);
}

static void
discovery_adds_and_drops(void **state)
{
	struct engine *e = table_engine();
	struct nats_info in;

	(void)state;
	/* an INFO without cluster view changes nothing */
	info_urls(&in, 0, 0);
	engine_servers_apply_info(e, &in);
	assert_int_equal(atomic_load(&e->n_server_slots), 1);
	/* the cluster: two more servers, discovered; junk counted, not added */
	info_urls(&in, 5, 5, "198.18.0.1:4222", "198.18.0.3:4222", "198.18.0.4:4222",
		  "host.example:4222", "[fe80::1]:4222");
	engine_servers_apply_info(e, &in);
	assert_int_equal(atomic_load(&e->n_server_slots), 3);
	assert_true(atomic_load(&e->servers[find(e, "198.18.0.3")].flags) & ENGINE_SRV_DISCOVERED);
	assert_int_equal(atomic_load(&e->discovered_total), 2);
	assert_int_equal(atomic_load(&e->discover_ignored), 2);
	/* the same again: no duplicates */
	engine_servers_apply_info(e, &in);
	assert_int_equal(atomic_load(&e->n_server_slots), 3);
	/* .4 leaves; .3 leaves too but carries a connection: kept */
	atomic_store(&e->servers[find(e, "198.18.0.3")].conns, 1);
	info_urls(&in, 1, 1, "198.18.0.1:4222");
	engine_servers_apply_info(e, &in);
	assert_int_equal(find(e, "198.18.0.4"), -1);
	assert_true(find(e, "198.18.0.3") >= 0);
	/* a configured seed is never dropped, even when the cluster forgets it */
	atomic_store(&e->servers[find(e, "198.18.0.3")].conns, 0);
	info_urls(&in, 1, 1, "198.18.0.3:4222");
	engine_servers_apply_info(e, &in);
	assert_int_equal(find(e, "198.18.0.1"), 0);
	assert_true(find(e, "198.18.0.3") >= 0);
	/* a partial list (more listed than stored) drops nothing */
	info_urls(&in, 20, 1, "198.18.0.1:4222");
	engine_servers_apply_info(e, &in);
	assert_true(find(e, "198.18.0.3") >= 0);
	/* a returning server reuses a free slot */
	info_urls(&in, 2, 2, "198.18.0.3:4222", "198.18.0.4:4222");
	engine_servers_apply_info(e, &in);
	assert_true(find(e, "198.18.0.4") >= 0);
	assert_int_equal(atomic_load(&e->n_server_slots), 3);
	/* discover = no: nothing is learnt */
	e->p.discover = false;
	info_urls(&in, 1, 1, "198.18.0.9:4222");
	engine_servers_apply_info(e, &in);
	assert_int_equal(find(e, "198.18.0.9"), -1);
	free(e);
}

static void
discovery_is_bounded(void **state)
{
	struct engine *e = table_engine();
	struct nats_info in;
	char urls[NATS_INFO_URLS_MAX][64];

	(void)state;
	for (int round = 0; round < 3; round++) {
		memset(&in, 0, sizeof(in));
		for (int i = 0; i < NATS_INFO_URLS_MAX; i++) {
			snprintf(urls[i], sizeof(urls[i]), "198.18.%d.%d:4222", 1 + round, 10 + i);
			snprintf(in.connect_urls[i], sizeof(in.connect_urls[i]), "%.63s", urls[i]);
		}
		in.n_connect_urls = in.connect_urls_total = NATS_INFO_URLS_MAX;
		for (uint32_t k = 0; k < atomic_load(&e->n_server_slots); k++)
			atomic_store(&e->servers[k].conns, 1); /* all in use: none dropped */
		engine_servers_apply_info(e, &in);
	}
	assert_int_equal(atomic_load(&e->n_server_slots), ENGINE_SERVERS_MAX);
	assert_true(atomic_load(&e->discover_ignored) > 0);
	free(e);
}

static void
server_pick_skips_refusing_and_lame(void **state)
{
	struct engine *e = table_engine();
	struct nats_info in;
	uint64_t at = 0;

	(void)state;
	info_urls(&in, 3, 3, "198.18.0.1:4222", "198.18.0.3:4222", "198.18.0.4:4222");
	engine_servers_apply_info(e, &in);
	/* connections start on different servers */
	assert_int_equal(engine_server_pick(e, 0, 100, &at), 0);
	assert_int_equal(engine_server_pick(e, 1, 100, &at), 1);
	assert_int_equal(engine_server_pick(e, 2, 100, &at), 2);
	assert_int_equal(engine_server_pick(e, 3, 100, &at), 0);
	e->servers[0].refused_until_ns = 300;
	e->servers[1].lame_until_ns = 200;
	assert_int_equal(engine_server_pick(e, 0, 100, &at), 2);
	e->servers[2].refused_until_ns = 400;
	assert_int_equal(engine_server_pick(e, 0, 100, &at), -1);
	assert_int_equal(at, 200);          /* the earliest back */
	assert_int_equal(engine_server_pick(e, 0, 250, &at), 1);
	assert_int_equal(engine_server_pick(e, 0, 300, &at), 0);
	/* refusal rule at start-up: every active server must have refused */
	assert_false(engine_servers_all_refused(e));
	atomic_store(&e->servers[0].auth_refusals, 1);
	atomic_store(&e->servers[1].auth_refusals, 1);
	assert_false(engine_servers_all_refused(e));
	atomic_store(&e->servers[2].auth_refusals, 2);
	assert_true(engine_servers_all_refused(e));
	/* nothing active at all */
	for (int k = 0; k < 3; k++)
		atomic_store(&e->servers[k].flags, 0);
	assert_int_equal(engine_server_pick(e, 0, 1000, &at), -1);
	assert_int_equal(at, 1000 + 5000);
	assert_false(engine_servers_all_refused(e));
	free(e);
}

/* Bursts and floods of the producers on a made-up clock (engine_burst_next): a burst is on
 * from its first write until 1 ms without one; writing that goes on for flood_ns is a
 * flood, no longer a burst, also when the looks come far apart (the lcore waited for the
 * CPU); writing that resumes soon after a flood is the flood again; looks closer than
 * ENGINE_BURST_LOOK_NS are skipped. */
static void
burst_watch(void **state)
{
	const uint64_t us = 1000ull, ms = 1000000ull, flood_ns = 20 * ms;
	struct engine_burst s = { 0 };
	uint64_t t = 1000 * ms, heads = 7;

	(void)state;
	/* the first look takes the heads as they are: a write seen, then 1 ms of nothing */
	assert_true(engine_burst_next(&s, heads, t, flood_ns));
	assert_false(engine_burst_next(&s, heads, t + 500 * us, flood_ns));
	assert_true(engine_burst_next(&s, heads, t + 1 * ms, flood_ns));
	assert_false(s.burst);
	/* idle: no burst, look after look */
	for (int i = 2; i < 100; i++)
		assert_false(engine_burst_next(&s, heads, t + (uint64_t)i * ms, flood_ns));
	/* a 5 ms burst, looks every 50 us: on at its first write, off 1 ms after its last */
	t += 200 * ms;
	assert_true(engine_burst_next(&s, heads += 100, t, flood_ns));
	assert_true(s.burst);
	for (uint64_t at = 50 * us; at < 5 * ms; at += 50 * us)
		assert_false(engine_burst_next(&s, heads += 100, t + at, flood_ns));
	for (uint64_t at = 5 * ms; at < 5 * ms + 950 * us; at += 50 * us)
		assert_false(engine_burst_next(&s, heads, t + at, flood_ns)); /* a short pause */
	assert_true(s.burst);
	assert_true(engine_burst_next(&s, heads, t + 5 * ms + 950 * us, flood_ns));
	assert_false(s.burst);
	/* a look too soon after the last is skipped, whatever the heads say */
	assert_false(engine_burst_next(&s, heads += 1, t + 5 * ms + 960 * us, flood_ns));
	assert_false(s.burst);
	/* a flood: writes at every look, the looks 4 ms apart (the producer keeps the CPU); on
	 * at the first, off once it has lasted flood_ns */
	t += 100 * ms;
	assert_true(engine_burst_next(&s, heads += 100, t, flood_ns));
	for (int i = 1; i < 5; i++)
		assert_false(engine_burst_next(&s, heads += 4000, t + (uint64_t)i * 4 * ms, flood_ns));
	assert_true(engine_burst_next(&s, heads += 4000, t + 20 * ms, flood_ns));
	assert_false(s.burst);
	/* the flood goes on, with pauses of 5 ms (its ring full, waiting for acks): still a
	 * flood; a pause of flood_ns ends it */
	for (int i = 21; i < 60; i++)
		assert_false(engine_burst_next(&s, heads += i % 6 == 0 ? 100 : 0,
					       t + (uint64_t)i * ms, flood_ns));
	assert_false(s.burst);
	heads += 100;
	for (int i = 60; i < 80; i++)
		assert_false(engine_burst_next(&s, heads, t + (uint64_t)i * ms, flood_ns));
	assert_true(s.writing); /* 19 ms without a write */
	assert_false(engine_burst_next(&s, heads, t + 80 * ms, flood_ns));
	assert_false(s.writing);
	/* writing again 1 ms after the flood ended (its producer had lost the CPU): the flood
	 * goes on, no burst; this short spell ends after 1 ms of quiet and does not renew the
	 * flood's memory, so a write ENGINE_FLOOD_MEMORY_NS after the flood's end begins a burst */
	assert_false(engine_burst_next(&s, heads += 100, t + 81 * ms, flood_ns));
	assert_true(s.writing);
	assert_false(s.burst);
	assert_false(engine_burst_next(&s, heads, t + 82 * ms, flood_ns));
	assert_false(s.writing);
	assert_false(engine_burst_next(&s, heads += 100, t + 80 * ms + ENGINE_FLOOD_MEMORY_NS - ms,
				       flood_ns));
	assert_false(s.burst);
	assert_false(engine_burst_next(&s, heads, t + 80 * ms + ENGINE_FLOOD_MEMORY_NS, flood_ns));
	assert_true(engine_burst_next(&s, heads += 100,
				      t + 81 * ms + ENGINE_FLOOD_MEMORY_NS, flood_ns));
	assert_true(s.burst);
}

/* The TX loop's idle back-off on a made-up clock: short sleeps through gaps shorter than
 * the back-off delay, then doubling up to the cap, and back to polling on work. */
static void
idle_backoff(void **state)
{
	struct engine_params p = { .idle_sleep_us = 20, .idle_sleep_max_us = 500,
				   .idle_backoff_ns = 10000000 };
	struct engine_idle s = { false, 0, 0 };
	uint64_t t = 1000000000ull;
	uint32_t want[] = { 40, 80, 160, 320, 500, 500 };

	(void)state;
	assert_int_equal(engine_idle_next(&s, &p, true, t), 0);
	/* 9 ms of idle iterations, 1 ms apart: the short sleep throughout */
	for (int i = 0; i < 10; i++)
		assert_int_equal(engine_idle_next(&s, &p, false, t + (uint64_t)i * 1000000), 20);
	/* from 10 ms on, each idle iteration doubles the sleep, capped */
	for (int i = 0; i < 6; i++)
		assert_int_equal(engine_idle_next(&s, &p, false, t + 10000000 + (uint64_t)i * 1000),
				 want[i]);
	/* work: poll at once, and the next idle spell starts short again */
	assert_int_equal(engine_idle_next(&s, &p, true, t + 20000000), 0);
	assert_int_equal(engine_idle_next(&s, &p, false, t + 20000001), 20);
	assert_int_equal(engine_idle_next(&s, &p, false, t + 29000000), 20);
	assert_int_equal(engine_idle_next(&s, &p, false, t + 30000001), 40);
	/* a gap shorter than the delay after each piece of work never lengthens the sleep */
	for (int i = 0; i < 100; i++) {
		uint64_t at = t + 40000000 + (uint64_t)i * 5000000;

		assert_int_equal(engine_idle_next(&s, &p, true, at), 0);
		assert_int_equal(engine_idle_next(&s, &p, false, at + 4000000), 20);
	}
	/* no cap above the base: the sleep never grows; no base: the loop never sleeps */
	p.idle_sleep_max_us = 0;
	assert_int_equal(engine_idle_next(&s, &p, false, t + 1000000000), 20);
	assert_int_equal(engine_idle_next(&s, &p, false, t + 2000000000), 20);
	p.idle_sleep_us = 0;
	assert_int_equal(engine_idle_next(&s, &p, false, t + 3000000000ull), 0);
}

/* [flow] coalesce_us on a made-up clock: a few records wait from the first iteration that
 * sees them until hold_ns later however many more come, then go, with those after them,
 * until the rings are empty; enough bytes for full segments, a gate or a drain never wait;
 * the idle sleep is cut to the deadline. */
static void
coalesce_wait(void **state)
{
	const uint64_t hold = 500000, t = 1000000000ull; /* 500 us */
	const uint64_t full = ENGINE_COALESCE_BYTES;
	uint64_t until = 0;

	(void)state;
	/* off, or nothing pending: frame at once, nothing remembered */
	assert_false(engine_coalesce_wait(&until, 0, 3000, true, t));
	assert_int_equal(until, 0);
	assert_false(engine_coalesce_wait(&until, hold, 0, true, t));
	assert_int_equal(until, 0);
	/* a batch: waits, the deadline counted from its first sight; the next batch does not
	 * move it */
	assert_true(engine_coalesce_wait(&until, hold, 2900, true, t));
	assert_int_equal(until, t + hold);
	assert_true(engine_coalesce_wait(&until, hold, 5800, true, t + 320000));
	assert_true(engine_coalesce_wait(&until, hold, 5800, true, t + hold - 1));
	/* the deadline: they go, and keep going while records remain (a drain of several
	 * iterations, records written meanwhile) */
	assert_false(engine_coalesce_wait(&until, hold, 5800, true, t + hold));
	assert_false(engine_coalesce_wait(&until, hold, 200, true, t + hold + 20000));
	assert_false(engine_coalesce_wait(&until, hold, 3000, true, t + hold + 40000));
	/* empty rings end the spell: the next records wait for a deadline of their own */
	assert_false(engine_coalesce_wait(&until, hold, 0, true, t + hold + 60000));
	assert_int_equal(until, 0);
	assert_true(engine_coalesce_wait(&until, hold, 100, true, t + 2 * hold));
	assert_int_equal(until, t + 3 * hold);
	/* enough for full segments, or waiting not allowed (gate, hold, drain): at once */
	assert_false(engine_coalesce_wait(&until, hold, full, true, t + 2 * hold + 1));
	assert_false(engine_coalesce_wait(&until, hold, 100, false, t + 2 * hold + 2));
	assert_true(engine_coalesce_wait(&until, hold, full - 1, true, t + 2 * hold + 3));
	assert_int_equal(until, t + 3 * hold);

	/* the idle sleep: unchanged without a deadline or when not sleeping, else cut to the
	 * deadline (rounded up to whole microseconds); unchanged once it has passed (the
	 * records went at it: an idle loop then waits for the window, and must not spin) */
	assert_int_equal(engine_hold_sleep_us(20, 0, t), 20);
	assert_int_equal(engine_hold_sleep_us(0, t + hold, t), 0);
	assert_int_equal(engine_hold_sleep_us(20, t + hold, t), 20);
	assert_int_equal(engine_hold_sleep_us(500, t + 300000, t), 300);
	assert_int_equal(engine_hold_sleep_us(500, t + 1500, t), 2);
	assert_int_equal(engine_hold_sleep_us(500, t, t), 500);
	assert_int_equal(engine_hold_sleep_us(20, t, t + 1), 20);
}

/* The first-answer gate: one publish while the stream has not answered, none while it is
 * out, the next one when it ended unanswered, no limit once answered. */
static void
first_answer_gate(void **state)
{
	bool sent = false;

	(void)state;
	assert_int_equal(engine_gate_budget(false, &sent, false), UINT32_MAX);
	assert_int_equal(engine_gate_budget(false, &sent, true), UINT32_MAX);
	assert_int_equal(engine_gate_budget(true, &sent, false), 1); /* new connection */
	assert_int_equal(engine_gate_budget(true, &sent, true), 1);  /* resends after a reconnect */
	sent = true;                                                 /* the one went out */
	assert_int_equal(engine_gate_budget(true, &sent, true), 0);  /* no answer yet */
	assert_true(sent);
	assert_int_equal(engine_gate_budget(true, &sent, false), 1); /* it failed unanswered */
	assert_false(sent);
	sent = true;
	assert_int_equal(engine_gate_budget(false, &sent, true), UINT32_MAX); /* answered */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acked_report),
		cmocka_unit_test(dup_risk_and_long_stream),
		cmocka_unit_test(failed_reports),
		cmocka_unit_test(create_rejects_bad_parameters),
		cmocka_unit_test(server_urls_parse),
		cmocka_unit_test(discovery_adds_and_drops),
		cmocka_unit_test(discovery_is_bounded),
		cmocka_unit_test(server_pick_skips_refusing_and_lame),
		cmocka_unit_test(idle_backoff),
		cmocka_unit_test(coalesce_wait),
		cmocka_unit_test(burst_watch),
		cmocka_unit_test(first_answer_gate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
