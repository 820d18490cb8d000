/* Unit tests of lib/config: defaults, the shipped profiles, every key's round trip,
 * overrides, and the error cases a user meets (each message names file, key and problem). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/jw_common.h"
#include "config/config.h"
#include "config/config_schema.h"

static char tmp_path[64];

/* A minimal valid file; tests append or replace sections. */
#define BASE "[port]\nvdev = net_null0\n[net]\naddr = 198.18.0.2/24\n"

static int
load_text(const char *text, const char *const *ov, int n, struct jw_config *c, char *err,
	  size_t errlen)
{
	int fd, r;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/jw-test-config.XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	err[0] = '\0';
	r = jw_config_load(tmp_path, ov, n, c, err, errlen);
	unlink(tmp_path);
	return r;
}

/* Expect a failure whose message contains every one of the given fragments. */
static void
expect_error(const char *text, const char *const *ov, int n, int rc, ...)
{
	struct jw_config c;
	char err[512];
	va_list ap;
	const char *frag;

	assert_int_equal(load_text(text, ov, n, &c, err, sizeof(err)), rc);
	va_start(ap, rc);
	while ((frag = va_arg(ap, const char *)) != NULL) {
		if (!strstr(err, frag))
			fail_msg("error \"%s\" lacks \"%s\"", err, frag);
	}
	va_end(ap);
}

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void
defaults_are_sane(void **state)
{
	struct jw_config c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(BASE, NULL, 0, &c, err, sizeof(err)), 0);
	assert_string_equal(c.eal.lcores, "(0-2)@(0-1)");
	assert_int_equal(c.eal.hugepages, JW_AUTO);
	assert_int_equal(c.eal.memory_mb, 256);
	assert_string_equal(c.eal.file_prefix, "jetwire-default");
	assert_int_equal(c.eal.main_lcore, 0);
	assert_int_equal(c.port.mtu, 1500);
	assert_int_equal(c.tcp.mss, 1460);
	assert_int_equal(c.tcp.rcv_buf, 1024 * 1024);
	assert_int_equal(c.tcp.rto_min_ms, 200);
	assert_int_equal(c.flow.dedupe, JW_DEDUPE_MSGID);
	assert_int_equal(c.flow.window, 0);
	assert_int_equal(c.flow.window_min, 1024);
	assert_int_equal(c.flow.window_max, 16384);
	assert_int_equal(c.flow.window_start, 0); /* the startup begins at window_min */
	assert_int_equal(c.flow.coalesce_us, 300); /* a few records wait for the next */
	assert_int_equal(c.shm.mode, 0660);
	assert_int_equal(c.shm.ring_bytes, 32u << 20); /* 100,000+ records of 128 bytes */
	assert_int_equal(c.nats.liveness_timeout_ms, 10000);
	assert_int_equal(c.flow.ack_target_us, 0);
	assert_int_equal(c.shm.report_entries, 65536);
	assert_true(c.fault.tx_drop == 0.0 && c.fault.rx_reorder == 0.0);
	assert_int_equal(c.fault.seed, 1);
	assert_true(c.stats.enabled);
	assert_int_equal(c.cores.control, 1);
	assert_int_equal(c.cores.sched_batch, JW_AUTO);
	assert_int_equal(c.cores.tx.n, 1);
	assert_int_equal(c.cores.tx.ids[0], 2);
	assert_int_equal(c.nats.n_servers, 0);
	assert_int_equal(c.net.gateway_be, 0);
}

static void
default_conf_loads(void **state)
{
	struct jw_config c;
	char err[512];

	(void)state;
	assert_int_equal(jw_config_load("dpdk-config/default.conf", NULL, 0, &c, err,
					sizeof(err)), 0);
	assert_string_equal(c.port.vdev, "net_af_packet0,iface=jwv0,qpairs=2");
	assert_int_equal(c.port.rx_queues, 2);
	assert_int_equal(c.net.addr.addr_be, ip("198.18.0.2"));
	assert_int_equal(c.net.addr.len, 24);
	assert_int_equal(c.nats.n_servers, 1);
	assert_int_equal(c.nats.servers[0].ip_be, ip("198.18.0.1"));
	assert_int_equal(c.nats.servers[0].port, 4222);
	assert_string_equal(c.path, "dpdk-config/default.conf");
}

static void
nic_profiles_load(void **state)
{
	static const char *const files[] = { "dpdk-config/intel-e810.conf",
					     "dpdk-config/mlx5-cx6.conf" };
	struct jw_config c;
	char err[512];
	/* Real-NIC profiles name lcores on many CPUs; judge them as on a big host. */
	const char *ov[] = { "eal.lcores=(0-2)@0", "cores.tx=2", "cores.control=1",
			     "port.tx_queues=2" };

	(void)state;
	for (size_t i = 0; i < JW_ARRAY_SIZE(files); i++) {
		if (access(files[i], R_OK) != 0)
			fail_msg("%s missing", files[i]);
		if (jw_config_load(files[i], ov, 4, &c, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(c.eal.hugepages, JW_ON);
		assert_true(c.port.pci[0] != '\0');
	}
}

/* Every key's default survives format -> parse -> format unchanged. */
static void
every_key_round_trips(void **state)
{
	struct jw_config a, b;
	char v1[600], v2[600], why[200];

	(void)state;
	jw_config_defaults(&a);
	assert_int_equal(jw_config_set(&a, "net", "addr", "10.1.2.3/8", why, sizeof(why)), 0);
	assert_int_equal(jw_config_set(&a, "net", "gateway", "10.0.0.1", why, sizeof(why)), 0);
	assert_int_equal(jw_config_set(&a, "nats", "servers",
				       "nats://10.0.0.9:4223, nats://10.0.0.8", why,
				       sizeof(why)), 0);
	assert_int_equal(jw_config_set(&a, "nats", "password", "s3cret", why, sizeof(why)), 0);
	jw_config_defaults(&b);
	for (size_t i = 0; i < jw_cfg_nkeys; i++) {
		const struct jw_cfg_key *k = &jw_cfg_keys[i];

		assert_int_equal(jw_config_get(&a, k->section, k->key, v1, sizeof(v1), 1), 0);
		if (jw_config_set(&b, k->section, k->key, v1, why, sizeof(why)) != 0)
			fail_msg("[%s] %s = \"%s\": %s", k->section, k->key, v1, why);
		assert_int_equal(jw_config_get(&b, k->section, k->key, v2, sizeof(v2), 1), 0);
		assert_string_equal(v1, v2);
	}
	assert_int_equal(jw_config_get(&b, "nats", "servers", v1, sizeof(v1), 0), 0);
	assert_string_equal(v1, "nats://10.0.0.9:4223,nats://10.0.0.8:4222");
}

struct visit { size_t n; int saw_redacted; int saw_secret; };

static int
visit(const char *section, const char *key, const char *value, void *arg)
{
	struct visit *v = arg;

	v->n++;
	if (strcmp(section, "nats") == 0 &&
	    (strcmp(key, "password") == 0 || strcmp(key, "token") == 0) &&
	    strcmp(value, "<redacted>") == 0)
		v->saw_redacted = 1;
	if (strstr(value, "hunter2"))
		v->saw_secret = 1;
	return 0;
}

static int
stop_at_third(const char *section, const char *key, const char *value, void *arg)
{
	return ++*(int *)arg == 3 ? 42 : 0;
}

static void
foreach_visits_all_and_redacts(void **state)
{
	struct jw_config c;
	char err[512];
	struct visit v = { 0, 0, 0 };
	int count = 0;

	(void)state;
	assert_int_equal(load_text(BASE "[nats]\nuser = u\npassword = hunter2\n", NULL, 0,
				   &c, err, sizeof(err)), 0);
	assert_string_equal(c.nats.password, "hunter2");
	assert_int_equal(jw_config_foreach(&c, visit, &v), 0);
	assert_int_equal(v.n, jw_cfg_nkeys);
	assert_true(v.saw_redacted);
	assert_false(v.saw_secret);
	memset(&v, 0, sizeof(v));
	assert_int_equal(load_text(BASE "[nats]\ntoken = hunter2\n", NULL, 0, &c, err,
				   sizeof(err)), 0);
	assert_int_equal(jw_config_foreach(&c, visit, &v), 0);
	assert_true(v.saw_redacted);
	assert_false(v.saw_secret);
	/* credentials: one kind at most, a password needs a user; discover defaults to yes */
	assert_true(c.nats.discover);
	assert_int_equal(load_text(BASE "[nats]\ntoken = a\nnkey_seed_file = /x\n", NULL, 0, &c,
				   err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at most one kind of credentials"));
	assert_int_equal(load_text(BASE "[nats]\ncreds_file = /a\nnkey_seed_file = /x\n", NULL, 0,
				   &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(load_text(BASE "[nats]\npassword = p\n", NULL, 0, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "password is set but user is not"));
	assert_int_equal(load_text(BASE "[nats]\ncreds_file = /etc/u.creds\ndiscover = no\n", NULL,
				   0, &c, err, sizeof(err)), 0);
	assert_string_equal(c.nats.creds_file, "/etc/u.creds");
	assert_false(c.nats.discover);
	assert_int_equal(jw_config_foreach(&c, stop_at_third, &count), 42);
	assert_int_equal(count, 3);
}

static void
overrides_apply_in_order(void **state)
{
	struct jw_config c;
	char err[512];
	const char *ov[] = { "flow.window=128", "net.addr = 198.18.0.7/24", "flow.window=256",
			     "fault.tx_drop=0.02", "tcp.mss=1000", "shm.ring_bytes=1M" };

	(void)state;
	assert_int_equal(load_text(BASE, ov, 6, &c, err, sizeof(err)), 0);
	assert_int_equal(c.flow.window, 256);
	assert_int_equal(c.net.addr.addr_be, ip("198.18.0.7"));
	assert_true(c.fault.tx_drop == 0.02);
	assert_int_equal(c.tcp.mss, 1000);
	assert_int_equal(c.shm.ring_bytes, 1u << 20);
}

static void
comments_and_blanks(void **state)
{
	struct jw_config c;
	char err[512];

	(void)state;
	assert_int_equal(load_text("# top\n\n[port]   # the port\n  vdev=net_null0  # inline\n"
				   "[net]\naddr = 198.18.0.9/24\ngateway =\n", NULL, 0, &c, err,
				   sizeof(err)), 0);
	assert_string_equal(c.port.vdev, "net_null0");
	assert_int_equal(c.net.gateway_be, 0);
}

static void
missing_file(void **state)
{
	struct jw_config c;
	char err[512];

	(void)state;
	assert_int_equal(jw_config_load("/nonexistent/jw.conf", NULL, 0, &c, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/jw.conf"));
	assert_non_null(strstr(err, "No such file"));
}

static void
unknown_section_and_key(void **state)
{
	(void)state;
	expect_error(BASE "[bogus]\nx = 1\n", NULL, 0, -EINVAL, "/tmp/jw-test-config",
		     "line 5", "unknown section [bogus]", NULL);
	expect_error(BASE "adr = 1.2.3.4/24\n", NULL, 0, -EINVAL, "line 5", "[net]",
		     "unknown key \"adr\"", NULL);
	const char *ov[] = { "net.adr=1.2.3.4/24" };
	expect_error(BASE, ov, 1, -EINVAL, "--set net.adr=1.2.3.4/24", "unknown key", NULL);
	const char *ov2[] = { "nosuch.key=1" };
	expect_error(BASE, ov2, 1, -EINVAL, "unknown section [nosuch]", NULL);
	const char *ov3[] = { "flow.window" };
	expect_error(BASE, ov3, 1, -EINVAL, "expected section.key=value", NULL);
	const char *ov4[] = { "cores.sched_batch=sometimes" };
	expect_error(BASE, ov4, 1, -EINVAL, "[cores] sched_batch", "auto, on or off", NULL);
}

/* [cores] sched_batch: no/off, yes/on, auto (SCHED_BATCH except while producers flood). */
static void
sched_batch_takes_three_values(void **state)
{
	static const struct { const char *v; enum jw_tristate want; } cases[] = {
		{ "cores.sched_batch=no", JW_OFF }, { "cores.sched_batch=off", JW_OFF },
		{ "cores.sched_batch=yes", JW_ON }, { "cores.sched_batch=on", JW_ON },
		{ "cores.sched_batch=auto", JW_AUTO }, { "cores.sched_batch=AUTO", JW_AUTO },
	};
	struct jw_config c;
	char err[512];

	(void)state;
	for (size_t i = 0; i < JW_ARRAY_SIZE(cases); i++) {
		const char *ov[] = { cases[i].v };

		if (load_text(BASE, ov, 1, &c, err, sizeof(err)) != 0)
			fail_msg("%s: %s", cases[i].v, err);
		assert_int_equal(c.cores.sched_batch, cases[i].want);
	}
}

/* [flow] shared_replies: on by default; a boolean. */
static void
shared_replies_default_on(void **state)
{
	const char *off[] = { "flow.shared_replies=no" };
	const char *bad[] = { "flow.shared_replies=maybe" };
	struct jw_config c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(BASE, NULL, 0, &c, err, sizeof(err)), 0);
	assert_true(c.flow.shared_replies);
	assert_int_equal(load_text(BASE, off, 1, &c, err, sizeof(err)), 0);
	assert_false(c.flow.shared_replies);
	expect_error(BASE, bad, 1, -EINVAL, "[flow] shared_replies", NULL);
}

static void
syntax_errors(void **state)
{
	(void)state;
	expect_error("vdev = x\n", NULL, 0, -EINVAL, "line 1", "before any [section]", NULL);
	expect_error(BASE "[port\n", NULL, 0, -EINVAL, "line 5", "malformed section", NULL);
	expect_error(BASE "just words\n", NULL, 0, -EINVAL, "line 5", "key = value", NULL);
	expect_error(BASE "[port]\nmtu = 1400\n", NULL, 0, -EINVAL, "[port] appears twice",
		     NULL);
	expect_error(BASE "addr = 198.18.0.3/24\n", NULL, 0, -EINVAL, "[net] addr is set twice",
		     NULL);
}

static void
malformed_addresses(void **state)
{
	(void)state;
	expect_error("[port]\nvdev = net_null0\n[net]\naddr = 198.18.0.300/24\n", NULL, 0,
		     -EINVAL, "/tmp/jw-test-config", "[net] addr", "198.18.0.300/24",
		     "not an IPv4 address/prefix", NULL);
	expect_error("[port]\nvdev = net_null0\n[net]\naddr = 198.18.0.2\n", NULL, 0, -EINVAL,
		     "[net] addr", NULL);
	expect_error("[port]\nvdev = net_null0\n[net]\naddr = 198.18.0.2/33\n", NULL, 0,
		     -EINVAL, "[net] addr", NULL);
	expect_error("[port]\nvdev = net_null0\n[net]\naddr = 198.18.00.2/24\n", NULL, 0,
		     -EINVAL, "[net] addr", NULL);
	expect_error("[port]\nvdev = net_null0\n[net]\naddr = 198.18.0.0/24\n", NULL, 0,
		     -EINVAL, "network or broadcast", NULL);
	expect_error("[port]\nvdev = net_null0\n[net]\naddr = 127.0.0.2/8\n", NULL, 0,
		     -EINVAL, "not a unicast host", NULL);
	expect_error(BASE "gateway = 198.19.0.1\n", NULL, 0, -EINVAL, "[net] gateway",
		     "not inside", NULL);
	expect_error(BASE "gateway = 1.2.3\n", NULL, 0, -EINVAL, "[net] gateway",
		     "not an IPv4 address", NULL);
	expect_error(BASE "[nats]\nservers = nats://nats.example:4222\n", NULL, 0, -EINVAL,
		     "[nats] servers", "not an IPv4 literal", NULL);
	expect_error(BASE "[nats]\nservers = tlss://198.18.0.1:4222\n", NULL, 0, -EINVAL,
		     "[nats] servers", "tls://", NULL);
	expect_error(BASE "[nats]\nservers = nats://198.18.0.1:70000\n", NULL, 0, -EINVAL,
		     "bad port", NULL);
	expect_error(BASE "[nats]\nservers = nats://198.19.0.1:4222\n", NULL, 0, -EINVAL,
		     "[nats] servers", "gateway is not set", NULL);
}

/* [nats] tls keys: defaults, values, tls:// URLs, and the refusals. */
static void
tls_keys(void **state)
{
	struct jw_config c;
	char err[512], v[512];

	(void)state;
	assert_int_equal(load_text(BASE, NULL, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nats.tls, JW_TLS_AUTO);
	assert_int_equal(c.nats.tls_min_version, 0x0303);
	assert_string_equal(c.nats.tls_ca_file, "");
	assert_int_equal(load_text(BASE "[nats]\nservers = tls://198.18.0.5, nats://198.18.0.1:4223\n"
				   "tls = required\ntls_ca_file = /etc/jw/ca.pem\n"
				   "tls_server_name = nats.test\ntls_min_version = 1.3\n"
				   "tls_cert_file = /etc/jw/c.pem\ntls_key_file = /etc/jw/c.key\n",
				   NULL, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nats.n_servers, 2);
	assert_true(c.nats.servers[0].tls);
	assert_int_equal(c.nats.servers[0].port, 4222);
	assert_false(c.nats.servers[1].tls);
	assert_int_equal(c.nats.tls, JW_TLS_REQUIRED);
	assert_int_equal(c.nats.tls_min_version, 0x0304);
	assert_string_equal(c.nats.tls_server_name, "nats.test");
	assert_int_equal(jw_config_get(&c, "nats", "servers", v, sizeof(v), 0), 0);
	assert_string_equal(v, "tls://198.18.0.5:4222,nats://198.18.0.1:4223");
	assert_int_equal(jw_config_get(&c, "nats", "tls", v, sizeof(v), 0), 0);
	assert_string_equal(v, "required");
	assert_int_equal(jw_config_get(&c, "nats", "tls_min_version", v, sizeof(v), 0), 0);
	assert_string_equal(v, "1.3");
	expect_error(BASE "[nats]\ntls = maybe\n", NULL, 0, -EINVAL, "[nats] tls",
		     "off, required or auto", NULL);
	expect_error(BASE "[nats]\ntls_min_version = 1.1\n", NULL, 0, -EINVAL,
		     "[nats] tls_min_version", "1.2 or 1.3", NULL);
	expect_error(BASE "[nats]\nservers = tls://198.18.0.5\ntls = off\n", NULL, 0, -EINVAL,
		     "tls://198.18.0.5", "tls = off", NULL);
	expect_error(BASE "[nats]\ntls_cert_file = /x.pem\n", NULL, 0, -EINVAL,
		     "tls_cert_file and tls_key_file", NULL);
}

static void
impossible_core_lists(void **state)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	char text[256];

	(void)state;
	expect_error(BASE "[cores]\ncontrol = 7\n", NULL, 0, -EINVAL, "[cores] control = 7",
		     "not an lcore of [eal] lcores", NULL);
	expect_error(BASE "[cores]\ntx = 2,9\n", NULL, 0, -EINVAL, "[cores] tx",
		     "lcore 9", NULL);
	expect_error(BASE "[cores]\ntx = 1\n", NULL, 0, -EINVAL, "also [cores] control", NULL);
	expect_error(BASE "[cores]\ntx = 2,2\n", NULL, 0, -EINVAL, "listed twice", NULL);
	expect_error(BASE "[eal]\nlcores=(0-3)@(0-1)\n[cores]\ntx = 2,3\n", NULL, 0, -EINVAL,
		     "[cores] tx", "[port] tx_queues = 2", NULL);
	expect_error(BASE "[cores]\ntx = x\n", NULL, 0, -EINVAL, "[cores] tx", NULL);
	snprintf(text, sizeof(text), BASE "[eal]\nlcores = (0-2)@(0-%ld)\n", ncpus);
	expect_error(text, NULL, 0, -EINVAL, "[eal] lcores", "CPU", "does not exist", NULL);
	snprintf(text, sizeof(text), BASE "[eal]\nlcores = 0,1,%ld\n", ncpus);
	expect_error(text, NULL, 0, -EINVAL, "[eal] lcores", "does not exist", NULL);
	expect_error(BASE "[eal]\nlcores = (0-2@(0-1)\n", NULL, 0, -EINVAL, "[eal] lcores",
		     NULL);
	expect_error(BASE "[eal]\nlcores = (0-2)@(0-1),2@0\n", NULL, 0, -EINVAL, "twice",
		     NULL);
}

static void
value_errors(void **state)
{
	(void)state;
	expect_error(BASE "[port]\n", NULL, 0, -EINVAL, "appears twice", NULL);
	expect_error("[port]\nmtu = 100\n[net]\naddr = 198.18.0.2/24\n", NULL, 0, -EINVAL,
		     "[port] mtu", "outside 576..9000", NULL);
	expect_error("[port]\nmtu = -1\n", NULL, 0, -EINVAL, "[port] mtu", NULL);
	expect_error("[port]\nrx_queues = 2x\n", NULL, 0, -EINVAL, "[port] rx_queues", NULL);
	expect_error("[net]\naddr = 198.18.0.2/24\n", NULL, 0, -EINVAL, "needs vdev or pci",
		     NULL);
	expect_error(BASE "pci = 0000:3b:00.0\n", NULL, 0, -EINVAL, "[net] unknown key \"pci\"",
		     NULL); /* pci under [net]: wrong section */
	expect_error("[port]\nvdev = net_null0\npci = 0000:3b:00.0\n[net]\naddr = "
		     "198.18.0.2/24\n", NULL, 0, -EINVAL, "both set", NULL);
	expect_error("[port]\npci = zz:00.0\n[net]\naddr = 198.18.0.2/24\n", NULL, 0, -EINVAL,
		     "[port] pci", NULL);
	expect_error(BASE "[shm]\nring_bytes = 3M\n", NULL, 0, -EINVAL, "[shm] ring_bytes",
		     "power of two", NULL);
	expect_error(BASE "[shm]\nmode = 0999\n", NULL, 0, -EINVAL, "[shm] mode", NULL);
	expect_error(BASE "[shm]\ninstance = a/b\n", NULL, 0, -EINVAL, "[shm] instance", NULL);
	expect_error(BASE "[fault]\ntx_drop = 1.5\n", NULL, 0, -EINVAL, "[fault] tx_drop",
		     "probability", NULL);
	expect_error(BASE "[fault]\nrx_dup = nan\n", NULL, 0, -EINVAL, "[fault] rx_dup", NULL);
	expect_error(BASE "[flow]\ndedupe = maybe\n", NULL, 0, -EINVAL, "[flow] dedupe", NULL);
	expect_error(BASE "[flow]\nwindow = 0\n", NULL, 0, -EINVAL, "[flow] window", NULL);
	expect_error(BASE "[flow]\nwindow_min = 100\nwindow_max = 50\n", NULL, 0, -EINVAL,
		     "window_min = 100", NULL);
	expect_error(BASE "[flow]\nwindow_start = 2000000\n", NULL, 0, -EINVAL,
		     "[flow] window_start", NULL);
	expect_error(BASE "[flow]\ncoalesce_us = 20000\n", NULL, 0, -EINVAL,
		     "[flow] coalesce_us", NULL);
	expect_error(BASE "[stats]\nenabled = perhaps\n", NULL, 0, -EINVAL, "[stats] enabled",
		     NULL);
	expect_error(BASE "[tcp]\nmss = 1461\n", NULL, 0, -EINVAL, "[tcp] mss", NULL);
	expect_error(BASE "[eal]\nhugepages = sometimes\n", NULL, 0, -EINVAL,
		     "[eal] hugepages", NULL);
	expect_error(BASE "[eal]\nlog_level = loud\n", NULL, 0, -EINVAL, "[eal] log_level",
		     NULL);
}

static void
lcores_parser(void **state)
{
	uint64_t m[JW_CONFIG_MAX_LCORES / 64];
	char err[128];

	(void)state;
	assert_int_equal(jw_config_parse_lcores("(0-2)@(0-1)", 2, m, err, sizeof(err)), 0);
	assert_int_equal(m[0], 0x7);
	assert_int_equal(jw_config_parse_lcores("1,2@(5-7),(3-5)@(0,2),(8,9),10-11", 16, m,
						err, sizeof(err)), 0);
	assert_int_equal(m[0], 0xf3e); /* 1-5, 8-11 */
	assert_int_equal(jw_config_parse_lcores("70@1", 2, m, err, sizeof(err)), 0);
	assert_int_equal(m[1], 1ull << 6);
	assert_int_equal(jw_config_parse_lcores("", 2, m, err, sizeof(err)), -EINVAL);
	assert_int_equal(jw_config_parse_lcores("128@0", 2, m, err, sizeof(err)), -EINVAL);
	assert_int_equal(jw_config_parse_lcores("2-1@0", 2, m, err, sizeof(err)), -EINVAL);
	assert_int_equal(jw_config_parse_lcores("0@", 2, m, err, sizeof(err)), -EINVAL);
	assert_int_equal(jw_config_parse_lcores("0@0;1", 2, m, err, sizeof(err)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_sane),
		cmocka_unit_test(default_conf_loads),
		cmocka_unit_test(nic_profiles_load),
		cmocka_unit_test(every_key_round_trips),
		cmocka_unit_test(foreach_visits_all_and_redacts),
		cmocka_unit_test(overrides_apply_in_order),
		cmocka_unit_test(comments_and_blanks),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(unknown_section_and_key),
		cmocka_unit_test(syntax_errors),
		cmocka_unit_test(sched_batch_takes_three_values),
		cmocka_unit_test(shared_replies_default_on),
		cmocka_unit_test(malformed_addresses),
		cmocka_unit_test(impossible_core_lists),
		cmocka_unit_test(tls_keys),
		cmocka_unit_test(value_errors),
		cmocka_unit_test(lcores_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
