/* lib/telemetry: /jetwire/ telemetry commands. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "stats/stats.h"
#include "telemetry/telemetry_registry.h"
#include "telemetry/telemetry.h"
#include "tunables/tunables.h"

RTE_LOG_REGISTER(jw_stats_logtype, jetwire.stats, INFO);

#define STATS_LOG(level, ...) \
	rte_log(RTE_LOG_##level, jw_stats_logtype, "jetwire.stats: " __VA_ARGS__)

/* Largest tables one answer carries: DPDK's output buffer is 16 KiB, about 500 bytes per
 * connection entry; entries beyond what fits are dropped by DPDK (documented). */
#define MAX_CONNS_SHOWN     64
#define MAX_PRODUCERS_SHOWN 64

static _Atomic uint64_t telemetry_errors; /* every telemetry thread: RMW, relaxed */

uint64_t
jw_stats_telemetry_errors(void)
{
	return atomic_load_explicit(&telemetry_errors, memory_order_relaxed);
}

/* Answer {"error": msg} and count the bad request. Returns 0: a negative return would make
 * DPDK answer null, which tells the client nothing. */
static int
answer_error(struct rte_tel_data *d, const char *msg)
{
	atomic_fetch_add_explicit(&telemetry_errors, 1, memory_order_relaxed);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", msg);
	return 0;
}

static int
params_given(const char *params)
{
	return params != NULL && params[0] != '\0';
}

/* Copy s into out with everything outside printable ASCII, and '"' and '\\', replaced by
 * '?': view strings come from the network (server names) and must not break the JSON. */
static void
sanitize(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\') ? '?' : s[i];
	out[i] = '\0';
}

static void
add_str(struct rte_tel_data *d, const char *key, const char *val)
{
	char buf[RTE_TEL_MAX_STRING_LEN];

	sanitize(val, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, key, buf);
}

static void
add_tunables(struct rte_tel_data *d)
{
	struct jw_tunables t;

	if (jw_tunables_snapshot(&t) != 0)
		return;
	rte_tel_data_add_dict_u64(d, "window_min", t.window_min);
	rte_tel_data_add_dict_u64(d, "window_max", t.window_max);
	rte_tel_data_add_dict_u64(d, "ack_timeout_ms", t.ack_timeout_ms);
	rte_tel_data_add_dict_u64(d, "ack_target_us", t.ack_target_us);
	rte_tel_data_add_dict_u64(d, "tunables_generation", t.generation);
}

/* "servers": the known NATS servers, one string each ("198.18.0.1:4222 configured conns 1
 * connects 3 auth_refusals 0"); "failovers", "ldm_moves", "auth_failures": totals over the
 * connections. Nothing when no engine registered the views. */
#define MAX_SERVERS_SHOWN 16
static void
add_servers(struct rte_tel_data *d)
{
	struct jw_stats_server sv[MAX_SERVERS_SHOWN];
	struct jw_stats_conn *c;
	struct rte_tel_data *a;
	char line[120];
	uint64_t fo = 0, ldm = 0, af = 0;
	int n = jw_stats_read_servers(sv, MAX_SERVERS_SHOWN);

	if (n >= 0) {
		a = rte_tel_data_alloc();
		if (a != NULL) {
			rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
			for (int i = 0; i < n; i++) {
				sv[i].addr[sizeof(sv[i].addr) - 1] = '\0';
				snprintf(line, sizeof(line), "%.23s %s conns %u connects %lu "
					 "auth_refusals %lu", sv[i].addr,
					 sv[i].configured ? "configured" : "discovered", sv[i].conns,
					 (unsigned long)sv[i].connects,
					 (unsigned long)sv[i].auth_refusals);
				rte_tel_data_add_array_string(a, line);
			}
			if (rte_tel_data_add_dict_container(d, "servers", a, 0) != 0)
				rte_tel_data_free(a);
		}
	}
	c = calloc(MAX_CONNS_SHOWN, sizeof(*c));
	if (c == NULL)
		return;
	n = jw_stats_read_conns(c, MAX_CONNS_SHOWN);
	if (n >= 0) {
		for (int i = 0; i < n; i++) {
			fo += c[i].failovers;
			ldm += c[i].ldm_moves;
			af += c[i].auth_failures;
		}
		rte_tel_data_add_dict_u64(d, "failovers", fo);
		rte_tel_data_add_dict_u64(d, "ldm_moves", ldm);
		rte_tel_data_add_dict_u64(d, "auth_failures", af);
	}
	free(c);
}

static int
cmd_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct jw_stats_identity *id;
	struct jw_stats_totals t;
	int i, n_lcores;

	(void)cmd;
	if (params_given(params))
		return answer_error(d, "/jetwire/info takes no parameters");
	id = malloc(sizeof(*id));
	if (id == NULL)
		return answer_error(d, "out of memory");
	jw_stats_read_identity(id);
	n_lcores = jw_stats_lcore_sum(&t);
	rte_tel_data_start_dict(d);
	add_str(d, "version", id->version);
	add_str(d, "instance", id->instance);
	add_str(d, "dpdk", rte_version());
	rte_tel_data_add_dict_u64(d, "uptime_s", id->uptime_ns / 1000000000ull);
	rte_tel_data_add_dict_u64(d, "uptime_ns", id->uptime_ns);
	rte_tel_data_add_dict_u64(d, "lcores", (uint64_t)n_lcores);
	add_tunables(d);
	for (i = 0; i < id->n_info; i++)
		add_str(d, id->info[i].key, id->info[i].value);
	add_servers(d);
	rte_tel_data_add_dict_u64(d, "telemetry_errors", jw_stats_telemetry_errors());
	free(id);
	return 0;
}

/* Rejection totals by code, summed over the producer slots. */
#define MAX_REJECT_CODES 32
struct reject_totals {
	int n;
	struct jw_stats_reject by_code[MAX_REJECT_CODES];
};

static void
reject_add(struct reject_totals *t, int32_t code, uint64_t count)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (t->by_code[i].code == code)
			break;
	if (i == t->n) {
		if (t->n == MAX_REJECT_CODES)
			return; /* more distinct codes than jetwire has: drop (never happens) */
		t->by_code[t->n++] = (struct jw_stats_reject){ .code = code };
	}
	t->by_code[i].count += count;
}

/* Sum the producer slots' rejection counters and known published counts
 * (*published stays JW_STATS_UNKNOWN when no slot knows its count). */
static int
producer_totals(struct reject_totals *rej, uint64_t *published)
{
	struct jw_stats_producer *p;
	uint32_t k;
	int n, i;

	memset(rej, 0, sizeof(*rej));
	*published = JW_STATS_UNKNOWN;
	p = calloc(MAX_PRODUCERS_SHOWN, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	n = jw_stats_read_producers(p, MAX_PRODUCERS_SHOWN);
	for (i = 0; i < n; i++) {
		if (p[i].published != JW_STATS_UNKNOWN)
			*published = (*published == JW_STATS_UNKNOWN ? 0 : *published) +
				     p[i].published;
		for (k = 0; k < p[i].n_rejected && k < JW_STATS_REJECT_KINDS; k++)
			reject_add(rej, p[i].rejected[k].code, p[i].rejected[k].count);
	}
	free(p);
	return n;
}

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t published, failed_total = 0, rejected_total = 0;
	struct reject_totals rejected;
	struct rte_tel_data *failed, *rej;
	struct jw_stats_totals t;
	char name[32];
	int n_prod, i;

	(void)cmd;
	if (params_given(params))
		return answer_error(d, "/jetwire/stats takes no parameters");
	jw_stats_lcore_sum(&t);
	n_prod = producer_totals(&rejected, &published);
	failed = rte_tel_data_alloc();
	rej = rte_tel_data_alloc();
	if (failed == NULL || rej == NULL) {
		rte_tel_data_free(failed);
		rte_tel_data_free(rej);
		return answer_error(d, "out of memory");
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "accepted", t.msg.accepted);
	rte_tel_data_add_dict_u64(d, "sent", t.msg.sent);
	rte_tel_data_add_dict_u64(d, "acked", t.msg.acked);
	rte_tel_data_add_dict_u64(d, "duplicate", t.msg.duplicate);
	rte_tel_data_start_dict(failed);
	for (i = 0; i < JW_STATS_FAIL__COUNT; i++) {
		rte_tel_data_add_dict_u64(failed, jw_stats_fail_reason_name((unsigned)i),
					  t.msg.failed[i]);
		failed_total += t.msg.failed[i];
	}
	rte_tel_data_add_dict_u64(d, "failed_total", failed_total);
	if (rte_tel_data_add_dict_container(d, "failed", failed, 0) != 0)
		rte_tel_data_free(failed);
	rte_tel_data_start_dict(rej);
	for (i = 0; i < rejected.n; i++) {
		rejected_total += rejected.by_code[i].count;
		jw_stats_reject_name(rejected.by_code[i].code, name, sizeof(name));
		rte_tel_data_add_dict_u64(rej, name, rejected.by_code[i].count);
	}
	rte_tel_data_add_dict_u64(d, "rejected_total", rejected_total);
	if (rte_tel_data_add_dict_container(d, "rejected", rej, 0) != 0)
		rte_tel_data_free(rej);
	if (published != JW_STATS_UNKNOWN)
		rte_tel_data_add_dict_u64(d, "published", published);
	rte_tel_data_add_dict_u64(d, "producers", n_prod < 0 ? 0 : (uint64_t)n_prod);
	rte_tel_data_add_dict_u64(d, "bytes", t.msg.bytes);
	rte_tel_data_add_dict_u64(d, "wire_bytes", t.msg.wire_bytes);
	rte_tel_data_add_dict_u64(d, "resends", t.msg.resends);
	rte_tel_data_add_dict_u64(d, "reconnects", t.msg.reconnects);
	rte_tel_data_add_dict_u64(d, "in_flight",
				  t.msg.sent >= t.msg.acked + failed_total ?
				  t.msg.sent - t.msg.acked - failed_total : 0);
	rte_tel_data_add_dict_u64(d, "telemetry_errors", jw_stats_telemetry_errors());
	rte_tel_data_add_dict_u64(d, "tunables_rejected", jw_tunables_updates_rejected());
	return 0;
}


/* "sched_batch": 1 while the lcore's thread runs SCHED_BATCH, 0 under another policy
 * ([cores] sched_batch = auto switches it); left out when the kernel does not say (the
 * thread is gone). */
static void
add_sched(struct rte_tel_data *e, int32_t tid)
{
	int policy = tid > 0 ? sched_getscheduler(tid) : -1;

	if (policy >= 0)
		rte_tel_data_add_dict_u64(e, "sched_batch", policy == SCHED_BATCH);
}
static int
cmd_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct jw_stats_lcore *b;
	struct jw_stats_totals t;
	struct rte_tel_data *e;
	char key[16];
	unsigned id;

	(void)cmd;
	if (params_given(params))
		return answer_error(d, "/jetwire/lcores takes no parameters");
	rte_tel_data_start_dict(d);
	for (id = 0; id < JW_STATS_MAX_LCORES; id++) {
		uint64_t all;

		b = jw_stats_lcore_get(id);
		if (b == NULL)
			continue;
		e = rte_tel_data_alloc();
		if (e == NULL)
			break;
		jw_stats_lcore_read(b, &t);
		all = t.loop.busy_cycles + t.loop.idle_cycles;
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_string(e, "role",
			jw_stats_role_name(__atomic_load_n(&b->role, __ATOMIC_RELAXED)));
		rte_tel_data_add_dict_u64(e, "loops", t.loop.loops);
		rte_tel_data_add_dict_u64(e, "busy_cycles", t.loop.busy_cycles);
		rte_tel_data_add_dict_u64(e, "idle_cycles", t.loop.idle_cycles);
		rte_tel_data_add_dict_u64(e, "busy_permille",
					  all ? t.loop.busy_cycles * 1000 / all : 0);
		rte_tel_data_add_dict_u64(e, "bursts", t.loop.bursts);
		rte_tel_data_add_dict_u64(e, "mbufs_in_flight", t.loop.mbufs_in_flight);
		rte_tel_data_add_dict_u64(e, "accepted", t.msg.accepted);
		rte_tel_data_add_dict_u64(e, "sent", t.msg.sent);
		rte_tel_data_add_dict_u64(e, "acked", t.msg.acked);
		rte_tel_data_add_dict_u64(e, "resends", t.msg.resends);
		add_sched(e, __atomic_load_n(&b->tid, __ATOMIC_RELAXED));
		snprintf(key, sizeof(key), "%u", id);
		if (rte_tel_data_add_dict_container(d, key, e, 0) != 0)
			rte_tel_data_free(e);
	}
	return 0;
}

static int
cmd_conns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct jw_stats_conn *c;
	struct rte_tel_data *e;
	char key[16];
	int n, i;

	(void)cmd;
	if (params_given(params))
		return answer_error(d, "/jetwire/conns takes no parameters");
	c = calloc(MAX_CONNS_SHOWN, sizeof(*c));
	if (c == NULL)
		return answer_error(d, "out of memory");
	n = jw_stats_read_conns(c, MAX_CONNS_SHOWN);
	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		e = rte_tel_data_alloc();
		if (e == NULL)
			break;
		c[i].state[sizeof(c[i].state) - 1] = '\0';
		c[i].server[sizeof(c[i].server) - 1] = '\0';
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_u64(e, "lcore", c[i].lcore_id);
		add_str(e, "state", c[i].state);
		add_str(e, "server", c[i].server);
		rte_tel_data_add_dict_u64(e, "snd_una", c[i].snd_una);
		rte_tel_data_add_dict_u64(e, "snd_nxt", c[i].snd_nxt);
		rte_tel_data_add_dict_u64(e, "rcv_nxt", c[i].rcv_nxt);
		rte_tel_data_add_dict_u64(e, "cwnd_bytes", c[i].cwnd_bytes);
		rte_tel_data_add_dict_u64(e, "peer_wnd_bytes", c[i].peer_wnd_bytes);
		rte_tel_data_add_dict_u64(e, "srtt_us", c[i].srtt_us);
		rte_tel_data_add_dict_u64(e, "rto_us", c[i].rto_us);
		rte_tel_data_add_dict_u64(e, "retransmits", c[i].retransmits);
		rte_tel_data_add_dict_u64(e, "retransmits_rto", c[i].rtx_rto);
		rte_tel_data_add_dict_u64(e, "retransmits_fast", c[i].rtx_fast);
		rte_tel_data_add_dict_u64(e, "retransmits_tlp", c[i].rtx_tlp);
		rte_tel_data_add_dict_u64(e, "retransmits_other", c[i].rtx_other);
		rte_tel_data_add_dict_u64(e, "rto_expiries", c[i].rto_expiries);
		rte_tel_data_add_dict_u64(e, "fast_recoveries", c[i].fast_recoveries);
		rte_tel_data_add_dict_u64(e, "tail_loss_probes", c[i].loss_probes);
		rte_tel_data_add_dict_u64(e, "spurious_undos", c[i].spurious_undos);
		rte_tel_data_add_dict_u64(e, "sack", c[i].sack);
		rte_tel_data_add_dict_u64(e, "sack_blocks_in", c[i].sack_blocks_in);
		rte_tel_data_add_dict_u64(e, "sack_blocks_out", c[i].sack_blocks_out);
		rte_tel_data_add_dict_u64(e, "dsacks_in", c[i].dsacks_in);
		rte_tel_data_add_dict_u64(e, "segs_in", c[i].segs_in);
		rte_tel_data_add_dict_u64(e, "segs_out", c[i].segs_out);
		rte_tel_data_add_dict_u64(e, "pure_acks_out", c[i].pure_acks_out);
		rte_tel_data_add_dict_u64(e, "delayed_acks", c[i].delayed_acks);
		rte_tel_data_add_dict_u64(e, "pacing_rate_bps", c[i].pacing_rate_bps);
		rte_tel_data_add_dict_u64(e, "js_window", c[i].js_window);
		rte_tel_data_add_dict_u64(e, "js_inflight", c[i].js_inflight);
		rte_tel_data_add_dict_u64(e, "acks", c[i].acks);
		rte_tel_data_add_dict_u64(e, "reconnects", c[i].reconnects);
		rte_tel_data_add_dict_u64(e, "failovers", c[i].failovers);
		rte_tel_data_add_dict_u64(e, "ldm_moves", c[i].ldm_moves);
		rte_tel_data_add_dict_u64(e, "auth_failures", c[i].auth_failures);
		c[i].tls_version[sizeof(c[i].tls_version) - 1] = '\0';
		c[i].tls_cipher[sizeof(c[i].tls_cipher) - 1] = '\0';
		add_str(e, "tls_version", c[i].tls_version);
		add_str(e, "tls_cipher", c[i].tls_cipher);
		rte_tel_data_add_dict_u64(e, "tls_handshake_us", c[i].tls_handshake_us);
		rte_tel_data_add_dict_u64(e, "tls_handshakes", c[i].tls_handshakes);
		rte_tel_data_add_dict_u64(e, "tls_failures", c[i].tls_failures);
		for (uint32_t f = 0; f < c[i].tls_fail_n && f < JW_STATS_TLS_FAILS; f++) {
			/* tls_fail_<reason>, '-' as '_' (e.g. tls_fail_name_mismatch), present
			 * when not 0: the output of a command is bounded (16 KiB) */
			char fkey[48];
			int kl;

			if (c[i].tls_fail[f].n == 0)
				continue;
			kl = snprintf(fkey, sizeof(fkey), "tls_fail_%.*s",
				      (int)sizeof(c[i].tls_fail[f].name) - 1, c[i].tls_fail[f].name);
			for (int k = 9; k < kl && k < (int)sizeof(fkey); k++)
				if (fkey[k] == '-')
					fkey[k] = '_';
			rte_tel_data_add_dict_u64(e, fkey, c[i].tls_fail[f].n);
		}
		rte_tel_data_add_dict_u64(e, "tls_records_sealed", c[i].tls_records_sealed);
		rte_tel_data_add_dict_u64(e, "tls_records_opened", c[i].tls_records_opened);
		rte_tel_data_add_dict_u64(e, "tls_key_updates", c[i].tls_key_updates);
		rte_tel_data_add_dict_u64(e, "tls_bytes_sealed", c[i].tls_bytes_sealed);
		rte_tel_data_add_dict_u64(e, "tls_pad_bytes", c[i].tls_pad_bytes);
		rte_tel_data_add_dict_u64(e, "backoff_waits", c[i].backoff_waits);
		c[i].js_phase[sizeof(c[i].js_phase) - 1] = '\0';
		add_str(e, "js_phase", c[i].js_phase);
		rte_tel_data_add_dict_u64(e, "js_target", c[i].js_target);
		rte_tel_data_add_dict_u64(e, "js_max_rate", c[i].js_max_rate);
		rte_tel_data_add_dict_u64(e, "js_min_latency_us", c[i].js_min_latency_us);
		rte_tel_data_add_dict_u64(e, "ack_srtt_us", c[i].ack_srtt_us);
		rte_tel_data_add_dict_u64(e, "ack_rttvar_us", c[i].ack_rttvar_us);
		rte_tel_data_add_dict_u64(e, "ack_rto_us", c[i].ack_rto_us);
		rte_tel_data_add_dict_u64(e, "ack_timeouts", c[i].ack_timeouts);
		rte_tel_data_add_dict_u64(e, "resent_loss", c[i].resent_loss);
		rte_tel_data_add_dict_u64(e, "resent_reconnect", c[i].resent_reconnect);
		rte_tel_data_add_dict_u64(e, "stalled_suppressed", c[i].stalled_suppressed);
		rte_tel_data_add_dict_u64(e, "js_shared_sent", c[i].js_shared_sent);
		rte_tel_data_add_dict_u64(e, "js_share_confirmed", c[i].js_share_confirmed);
		rte_tel_data_add_dict_u64(e, "js_share_breaks", c[i].js_share_breaks);
		rte_tel_data_add_dict_u64(e, "js_share_stale", c[i].js_share_stale);
		rte_tel_data_add_dict_u64(e, "liveness_probes", c[i].liveness_probes);
		snprintf(key, sizeof(key), "%u", c[i].id);
		if (rte_tel_data_add_dict_container(d, key, e, 0) != 0)
			rte_tel_data_free(e);
	}
	free(c);
	return 0;
}

static int
cmd_producers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct jw_stats_producer *p;
	struct rte_tel_data *e;
	char key[48], name[32];
	uint32_t k;
	int n, i;

	(void)cmd;
	if (params_given(params))
		return answer_error(d, "/jetwire/producers takes no parameters");
	p = calloc(MAX_PRODUCERS_SHOWN, sizeof(*p));
	if (p == NULL)
		return answer_error(d, "out of memory");
	n = jw_stats_read_producers(p, MAX_PRODUCERS_SHOWN);
	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		uint64_t rej_total = 0;

		e = rte_tel_data_alloc();
		if (e == NULL)
			break;
		rte_tel_data_start_dict(e);
		p[i].state[sizeof(p[i].state) - 1] = '\0';
		rte_tel_data_add_dict_int(e, "pid", p[i].pid);
		add_str(e, "state", p[i].state);
		rte_tel_data_add_dict_u64(e, "tx", p[i].tx);
		if (p[i].published != JW_STATS_UNKNOWN)
			rte_tel_data_add_dict_u64(e, "published", p[i].published);
		rte_tel_data_add_dict_u64(e, "ring_used_bytes", p[i].ring_used_bytes);
		rte_tel_data_add_dict_u64(e, "ring_size_bytes", p[i].ring_size_bytes);
		rte_tel_data_add_dict_u64(e, "ring_fill_permille",
			p[i].ring_size_bytes ? p[i].ring_used_bytes * 1000 / p[i].ring_size_bytes
					     : 0);
		rte_tel_data_add_dict_u64(e, "unsent_bytes", p[i].unsent_bytes);
		rte_tel_data_add_dict_u64(e, "reports_pending", p[i].reports_pending);
		rte_tel_data_add_dict_u64(e, "bad_records", p[i].bad_records);
		rte_tel_data_add_dict_u64(e, "reports_dropped", p[i].reports_dropped);
		for (k = 0; k < p[i].n_rejected && k < JW_STATS_REJECT_KINDS; k++) {
			rej_total += p[i].rejected[k].count;
			jw_stats_reject_name(p[i].rejected[k].code, name, sizeof(name));
			snprintf(key, sizeof(key), "rejected_%s", name);
			rte_tel_data_add_dict_u64(e, key, p[i].rejected[k].count);
		}
		rte_tel_data_add_dict_u64(e, "rejected_total", rej_total);
		snprintf(key, sizeof(key), "%u", p[i].slot);
		if (rte_tel_data_add_dict_container(d, key, e, 0) != 0)
			rte_tel_data_free(e);
	}
	free(p);
	return 0;
}

static struct rte_tel_data *
hist_dict(const struct jw_hist_snap *s)
{
	struct rte_tel_data *e = rte_tel_data_alloc();

	if (e == NULL)
		return NULL;
	rte_tel_data_start_dict(e);
	rte_tel_data_add_dict_u64(e, "count", s->count);
	rte_tel_data_add_dict_u64(e, "sum", s->sum);
	rte_tel_data_add_dict_u64(e, "min", s->count ? s->min : 0);
	rte_tel_data_add_dict_u64(e, "mean", jw_hist_mean(s));
	rte_tel_data_add_dict_u64(e, "p50", jw_hist_value_at(s, 500000));
	rte_tel_data_add_dict_u64(e, "p90", jw_hist_value_at(s, 900000));
	rte_tel_data_add_dict_u64(e, "p99", jw_hist_value_at(s, 990000));
	rte_tel_data_add_dict_u64(e, "p999", jw_hist_value_at(s, 999000));
	rte_tel_data_add_dict_u64(e, "p9999", jw_hist_value_at(s, 999900));
	rte_tel_data_add_dict_u64(e, "max", s->count ? s->max : 0);
	return e;
}

static int
cmd_latency(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct jw_hist_snap *ack, *wait;
	struct rte_tel_data *ea, *ew;

	(void)cmd;
	if (params_given(params))
		return answer_error(d, "/jetwire/latency takes no parameters");
	ack = malloc(sizeof(*ack));
	wait = malloc(sizeof(*wait));
	if (ack == NULL || wait == NULL || jw_stats_latency_read(ack, wait) < 0) {
		free(ack);
		free(wait);
		return answer_error(d, "out of memory");
	}
	rte_tel_data_start_dict(d);
	ea = hist_dict(ack);
	ew = hist_dict(wait);
	if (ea && rte_tel_data_add_dict_container(d, "ack_latency_ns", ea, 0) != 0)
		rte_tel_data_free(ea);
	if (ew && rte_tel_data_add_dict_container(d, "ring_wait_ns", ew, 0) != 0)
		rte_tel_data_free(ew);
	free(ack);
	free(wait);
	return 0;
}

struct config_out {
	struct rte_tel_data *d;
	struct jw_tunables t; /* current tunables, when have_t */
	int have_t;
};

/* The loaded value, or for [flow] keys that are runtime tunables, the current one. */
static const char *
effective_value(const struct config_out *o, const char *section, const char *key,
		const char *value, char *buf, size_t len)
{
	uint32_t v;

	if (!o->have_t || strcmp(section, "flow") != 0)
		return value;
	if (strcmp(key, "window_min") == 0)
		v = o->t.window_min;
	else if (strcmp(key, "window_max") == 0)
		v = o->t.window_max;
	else if (strcmp(key, "ack_timeout_ms") == 0)
		v = o->t.ack_timeout_ms;
	else if (strcmp(key, "ack_target_us") == 0)
		v = o->t.ack_target_us;
	else
		return value;
	snprintf(buf, len, "%u", v);
	return buf;
}

/* Telemetry keys allow [A-Za-z0-9_/]: "section/key", other bytes become '_'. */
static void
config_emit(void *ectx, const char *section, const char *key, const char *value)
{
	struct config_out *o = ectx;
	char name[RTE_TEL_MAX_STRING_LEN], vbuf[16];
	size_t i;

	if (section == NULL || key == NULL || value == NULL)
		return;
	value = effective_value(o, section, key, value, vbuf, sizeof(vbuf));
	snprintf(name, sizeof(name), "%s/%s", section, key);
	for (i = 0; name[i]; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '/'))
			name[i] = '_';
	}
	add_str(o->d, name, value);
}

static int
cmd_config(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct config_out o = { .d = d };

	(void)cmd;
	if (params_given(params))
		return answer_error(d, "/jetwire/config takes no parameters");
	o.have_t = jw_tunables_snapshot(&o.t) == 0;
	rte_tel_data_start_dict(d);
	if (jw_stats_read_config(config_emit, &o) == -ENOENT)
		rte_tel_data_add_dict_string(d, "error", "no configuration registered");
	return 0;
}

static int
cmd_tunables(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	if (params_given(params))
		return answer_error(d, "/jetwire/tunables takes no parameters; "
				       "use /jetwire/set,key=value to change");
	rte_tel_data_start_dict(d);
	add_tunables(d);
	rte_tel_data_add_dict_u64(d, "window_cap", jw_tunables_window_cap());
	rte_tel_data_add_dict_u64(d, "updates_applied", jw_tunables_updates_applied());
	rte_tel_data_add_dict_u64(d, "updates_rejected", jw_tunables_updates_rejected());
	return 0;
}

static int
cmd_set(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct jw_tunables t;
	char err[RTE_TEL_MAX_STRING_LEN] = "";
	int rc;

	(void)cmd;
	rc = jw_tunables_update(params ? params : "", &t, err, sizeof(err));
	if (rc != 0) {
		STATS_LOG(DEBUG, "rejected /jetwire/set: %s\n", err);
		return answer_error(d, err[0] ? err : "update failed");
	}
	STATS_LOG(NOTICE, "tunables generation %" PRIu64 ": window %u..%u, ack_timeout_ms %u, "
		  "ack_target_us %u\n", t.generation, t.window_min, t.window_max,
		  t.ack_timeout_ms, t.ack_target_us);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "result", "applied");
	add_tunables(d);
	return 0;
}

int
jw_stats_telemetry_register(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/jetwire/info", cmd_info, "jetwire version, instance, uptime, config summary" },
		{ "/jetwire/stats", cmd_stats, "jetwire totals: accepted, sent, acked, failed..." },
		{ "/jetwire/lcores", cmd_lcores, "jetwire per-lcore loop statistics" },
		{ "/jetwire/conns", cmd_conns, "jetwire per-connection TCP and JetStream state" },
		{ "/jetwire/producers", cmd_producers, "jetwire per-producer-slot statistics" },
		{ "/jetwire/latency", cmd_latency, "jetwire ack-latency and ring-wait percentiles" },
		{ "/jetwire/config", cmd_config,
		  "jetwire effective configuration ([flow] tunables at their current values)" },
		{ "/jetwire/tunables", cmd_tunables, "jetwire runtime tunables" },
		{ "/jetwire/set", cmd_set,
		  "Change tunables. Parameters: key=value[,key=value] with keys window_min, "
		  "window_max, ack_timeout_ms, ack_target_us" },
	};
	unsigned i;
	int rc;

	for (i = 0; i < JW_ARRAY_SIZE(cmds); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);
		if (rc != 0) {
			STATS_LOG(ERR, "cannot register %s: %s\n", cmds[i].cmd, strerror(-rc));
			return rc;
		}
	}
	STATS_LOG(INFO, "telemetry commands registered under /jetwire/\n");
	return 0;
}
