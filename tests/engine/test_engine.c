/* Unit tests of the engine's pure parts: delivery reports from outcomes, parameter checks.
 * The loops themselves run against the real nats-server in tests/integration/engine_*.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acked_report),
		cmocka_unit_test(dup_risk_and_long_stream),
		cmocka_unit_test(failed_reports),
		cmocka_unit_test(create_rejects_bad_parameters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
