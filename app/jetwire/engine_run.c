/* jetwire's engine wiring: configuration -> shm, stats, engine, TX lcores, control hooks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_lcore.h>

#include "engine/engine.h"
#include "engine_run.h"
#include "flow/flow.h"
#include "lcore_sched.h"
#include "log.h"
#include "port/port.h"
#include "shm/shm.h"
#include "telemetry/telemetry_config.h"
#include "stats/stats.h"
#include "telemetry/telemetry_registry.h"
#include "telemetry/telemetry_shm.h"
#include "supervise.h"
#include "tcp/tcp.h"
#include "tls/tls.h"
#include "version.h"


#define BACKOFF_MIN_NS    (100ull * 1000000ull)
#define BACKOFF_MAX_NS    (5000ull * 1000000ull)
#define MAX_PINGS_OUT     2
#define ACK_PAYLOAD_CAP   (64u * 1024u)
#define IDLE_SLEEP_US     20
/* A TX lcore without work for 100 ms sleeps longer and longer, up to 500 us (as the control
 * lcore does): each wakeup costs some 7 us on a virtual machine (timer, switch), and 20 us
 * sleeps (70 with the kernel's timer slack) cost an idle instance ~10 % of a CPU. The first
 * publish after such a silence waits at most the current sleep; traffic with gaps below
 * 100 ms, and a full window waiting out a server's garbage collection, never see a longer
 * sleep. */
#define IDLE_SLEEP_MAX_US 500
#define IDLE_BACKOFF_NS   (100ull * 1000000ull)
#define JITTER_PERMILLE   500   /* reconnect delays drawn from [b/2, b] */

/* A TX lcore (arg: its struct jw_tx_launch): its scheduling policy (lcore_sched.h), then the
 * engine's TX loop. */
static int
tx_lcore_main(void *arg)
{
	const struct jw_tx_launch *l = arg;
	int rc = l->sched_batch == JW_ON ? jw_lcore_sched_set(true) : 0; /* auto: on_burst */

	if (rc != 0)
		JW_LOG(WARNING, "TX lcore %u: [cores] sched_batch: cannot use SCHED_BATCH (%s); "
		       "it keeps the default policy", rte_lcore_id(), strerror(-rc));
	return engine_tx_main(l->conn);
}

/* sched_batch = auto, on the TX lcore whose producers began or ended a burst. */
static void
tx_on_burst(bool burst)
{
	int rc = jw_lcore_sched_set(burst);

	JW_LOG(DEBUG, "TX lcore %u: producers %s: %s%s", rte_lcore_id(),
	       burst ? "burst" : "pause or flood", burst ? "SCHED_BATCH" : "SCHED_OTHER",
	       rc == 0 ? "" : " refused");
}

/* sched_batch = auto, on the control lcore: SCHED_BATCH while any TX lcore's producers
 * burst, so that it does not preempt them; SCHED_OTHER otherwise, so that it reads PubAcks
 * when they arrive. */
static void
ctl_follow_bursts(struct jw_engine_run *r)
{
	bool batch = engine_bursts(r->e) > 0;

	if (!r->ctl_sched_auto || batch == r->ctl_batch)
		return;
	r->ctl_batch = batch;
	if (jw_lcore_sched_set(batch) != 0)
		r->ctl_sched_auto = false; /* refused: keep what it has, stop trying */
}

static int
net_server_mac(void *ctx, uint32_t ip_be, struct rte_ether_addr *mac)
{
	return jw_ctl_server_mac(ctx, ip_be, mac);
}

static void *
net_txq_ctx(void *ctx, uint16_t q)
{
	struct jw_ctl *ctl = ctx;

	return jw_port_txq_ctx(ctl->port, q);
}

static void
hook_tcp_input(void *arg, struct rte_mbuf *m)
{
	engine_ctl_input(arg, m);
}

static unsigned int
hook_poll(void *arg, uint64_t now_ns)
{
	struct jw_engine_run *r = arg;
	unsigned int work = engine_ctl_poll(r->e, now_ns);

	ctl_follow_bursts(r);

	if (r->sup != NULL)
		jw_supervise_poll(r->sup, now_ns); /* offline reader now: a reload may sync RCU */
	if (engine_fatal(r->e) != NULL)
		/* main exits 2 with the message */
		atomic_store_explicit(r->ctl->stop, true, memory_order_seq_cst);
	return work;
}

static int
servers_view(void *ctx, struct jw_stats_server *out, int max)
{
	return engine_servers_view(ctx, out, max);
}

const char *
jw_engine_fatal(const struct jw_engine_run *r)
{
	if (r->e != NULL)
		return engine_fatal(r->e);
	return r->fatal_msg[0] ? r->fatal_msg : NULL;
}

static const char *
cred_kind(const struct jw_config *cfg)
{
	if (cfg->nats.creds_file[0])
		return "JWT (.creds)";
	if (cfg->nats.nkey_seed_file[0])
		return "NKey";
	if (cfg->nats.token[0])
		return "token";
	if (cfg->nats.user[0])
		return "user/password";
	return "no";
}

static int
conns_view(void *ctx, struct jw_stats_conn *out, int max)
{
	struct engine *e = ctx;
	int n = 0;

	for (uint32_t k = 0; k < e->p.n_conns && n < max; k++)
		engine_conn_stats(&e->conns[k], &out[n++]);
	return n;
}

static void
flow_params_of(const struct jw_config *cfg, struct flow_params *f)
{
	memset(f, 0, sizeof(*f));
	f->dedupe = cfg->flow.dedupe == JW_DEDUPE_OFF ? FLOW_DEDUPE_OFF : FLOW_DEDUPE_MSGID;
	f->adaptive = cfg->flow.window == 0;
	f->window_fixed = cfg->flow.window;
	f->window_min = cfg->flow.window_min;
	f->window_max = cfg->flow.window_max;
	f->window_start = cfg->flow.window_start;
	if (!f->adaptive) {
		f->window_min = JW_MIN(f->window_min, f->window_fixed);
		f->window_max = JW_MAX(f->window_max, f->window_fixed);
	}
	f->ack_target_ns = (uint64_t)cfg->flow.ack_target_us * 1000ull;
	f->shared_replies = cfg->flow.shared_replies;
	f->ack_timeout_ns = (uint64_t)cfg->flow.ack_timeout_ms * 1000000ull;
	f->max_retries = cfg->flow.max_retries;
}

static int
params_of(const struct jw_config *cfg, struct jw_port *port, const struct jw_creds *creds,
	  struct engine_params *p)
{
	memset(p, 0, sizeof(*p));
	p->n_conns = cfg->cores.tx.n;
	p->src_mac = port->mac;
	p->src_ip_be = cfg->net.addr.addr_be;
	p->n_servers = JW_MIN(cfg->nats.n_servers, (uint32_t)JW_ARRAY_SIZE(p->servers));
	for (uint32_t i = 0; i < p->n_servers; i++) {
		p->servers[i].ip_be = cfg->nats.servers[i].ip_be;
		p->servers[i].port = cfg->nats.servers[i].port;
		p->servers[i].tls = cfg->nats.servers[i].tls;
	}
	p->tls_server_name = cfg->nats.tls_server_name;
	p->tls_key_update_records = cfg->nats.tls_key_update_records;
	p->session.tls_mode = cfg->nats.tls == JW_TLS_OFF ? SESSION_TLS_OFF :
			      cfg->nats.tls == JW_TLS_REQUIRED ? SESSION_TLS_REQUIRED :
			      SESSION_TLS_AUTO;
	flow_params_of(cfg, &p->flow);
	p->session.name = cfg->nats.name;
	p->session.token = cfg->nats.token;
	p->session.user = cfg->nats.user;
	p->session.pass = cfg->nats.password;
	if (creds != NULL) {
		p->session.nkey = &creds->key;
		p->session.jwt = creds->jwt_len > 0 ? creds->jwt : NULL;
	}
	p->discover = cfg->nats.discover;
	p->cred_kind = cred_kind(cfg);
	p->jitter_permille = JITTER_PERMILLE;
	p->session.connect_timeout_ns = (uint64_t)cfg->nats.connect_timeout_ms * 1000000ull;
	p->session.ping_interval_ns = (uint64_t)cfg->nats.ping_interval_s * 1000000000ull;
	p->session.max_pings_out = MAX_PINGS_OUT;
	p->session.liveness_timeout_ns = (uint64_t)cfg->nats.liveness_timeout_ms * 1000000ull;
	p->session.backoff_min_ns = BACKOFF_MIN_NS;
	p->session.backoff_max_ns = BACKOFF_MAX_NS;
	p->session.payload_cap = ACK_PAYLOAD_CAP;
	p->burst = cfg->flow.burst;
	tcp_params_default(&p->tcp);
	p->tcp.mss = (uint16_t)cfg->tcp.mss;
	p->tcp.rcv_buf = cfg->tcp.rcv_buf;
	p->tcp.rto_min_ms = cfg->tcp.rto_min_ms;
	if (p->tcp.rto_init_ms < p->tcp.rto_min_ms)
		p->tcp.rto_init_ms = p->tcp.rto_min_ms;
	p->tcp.max_retries = (uint8_t)JW_MIN(cfg->tcp.max_retries, 255u);
	p->tcp.syn_retries = (uint8_t)JW_MIN(cfg->tcp.syn_retries, 255u);
	p->tcp.offer_sack = cfg->tcp.sack;
	p->tcp.delack_ms = (uint16_t)cfg->tcp.delack_ms;
	p->tcp.pacing_gain_pct = (uint16_t)cfg->tcp.pacing_gain;
	p->tcp.pacing_burst = (uint16_t)cfg->tcp.pacing_burst;
	p->tcp.beta_pct = (uint8_t)cfg->tcp.beta;
	p->pool = port->pool;
	p->tx_cksum_offload = port->tx_cksum_offload;
	p->tx_tso_max = jw_port_tso_max(port);
	p->tx_seg_max = port->tx_seg_max;
	p->tx_no_chain = !port->tx_multi_seg;
	p->coalesce_ns = (uint64_t)cfg->flow.coalesce_us * 1000ull;
	p->idle_sleep_us = IDLE_SLEEP_US;
	p->idle_sleep_max_us = IDLE_SLEEP_MAX_US;
	p->idle_backoff_ns = IDLE_BACKOFF_NS;
	p->flood_ns = cfg->cores.sched_batch == JW_AUTO ? JW_LCORE_FLOOD_NS : 0;
	p->on_burst = cfg->cores.sched_batch == JW_AUTO ? tx_on_burst : NULL;
	return 0;
}

/* What jw_engine_start set up, in the reverse order: the engine (NULL before it was
 * created), the stats socket if it was started, the shared memory and the TLS context. The
 * lcores must be stopped (or never launched). */
static void
release(struct jw_engine_run *r)
{
	if (r->e != NULL)
		engine_destroy(r->e);
	r->e = NULL;
	if (r->stats_started)
		jw_stats_stop();
	jw_shm_detach(r->shm);
	r->shm = NULL;
	tls_ctx_destroy(r->tls);
	r->tls = NULL;
}

int
jw_engine_start(struct jw_engine_run *r, const struct jw_config *cfg, struct jw_port *port,
		struct jw_ctl *ctl, const struct jw_creds *creds, char *err, size_t errlen)
{
	struct jw_shm_params sp;
	struct engine_params ep;
	struct engine_net_ops net = {
		.server_mac = net_server_mac, .txq_ctx = net_txq_ctx,
		.tx_burst = jw_port_tx_burst_ctx, .ctx = NULL,
	};
	int rc;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->ctl = ctl;
	r->port = port;
	memset(&sp, 0, sizeof(sp));
	sp.instance = cfg->shm.instance;
	sp.n_tx = cfg->cores.tx.n;
	sp.slots_per_tx = cfg->shm.slots;
	sp.ring_bytes = cfg->shm.ring_bytes;
	sp.report_entries = cfg->shm.report_entries;
	sp.mode = cfg->shm.mode;
	sp.group = cfg->shm.group[0] ? cfg->shm.group : NULL;
	sp.hugepages = cfg->shm.hugepages == JW_ON ? JW_SHM_HUGE_ON :
		       cfg->shm.hugepages == JW_OFF ? JW_SHM_HUGE_OFF : JW_SHM_HUGE_AUTO;
	sp.hugepage_dir = cfg->shm.hugepage_dir;
	r->shm = jw_shm_create(&sp, err, errlen);
	if (r->shm == NULL)
		return -errno;
	params_of(cfg, port, creds, &ep);
	r->creds = creds;
	if (cfg->nats.tls != JW_TLS_OFF) {
		struct tls_client_cfg tc = {
			.ca_file = cfg->nats.tls_ca_file,
			.cert_file = cfg->nats.tls_cert_file,
			.key_file = cfg->nats.tls_key_file,
			.min_version = (uint16_t)cfg->nats.tls_min_version,
		};
		char why[256];

		r->tls = tls_ctx_create(&tc, why, sizeof(why));
		if (r->tls == NULL) {
			snprintf(err, errlen, "[nats] tls: %s", why);
			rc = -EINVAL;
			goto fail;
		}
	}
	ep.session.tls_ctx = r->tls;
	rc = jw_stats_start(cfg, JETWIRE_VERSION, flow_capacity(&ep.flow), err, errlen);
	if (rc != 0)
		goto fail;
	r->stats_started = 1;
	net.ctx = ctl; /* the server MACs from the control state, the queues from its port */
	r->e = engine_create(&ep, &net, r->shm, err, errlen);
	if (r->e == NULL) {
		rc = -errno;
		goto fail;
	}
	jw_stats_register_producers(jw_stats_shm_producers, r->shm);
	jw_stats_register_conns(conns_view, r->e);
	jw_stats_register_servers(servers_view, r->e);
	jw_ctl_set_tcp_input(ctl, hook_tcp_input, r->e);
	r->ctl_sched_auto = cfg->cores.sched_batch == JW_AUTO;
	r->ctl_batch = false; /* auto: SCHED_OTHER until the producers burst */
	jw_ctl_set_poll(ctl, hook_poll, r);
	for (uint32_t k = 0; k < cfg->cores.tx.n; k++) {
		unsigned lc = cfg->cores.tx.ids[k];

		r->e->conns[k].lcore_id = lc;
		r->tx_launch[k].conn = &r->e->conns[k];
		r->tx_launch[k].sched_batch = cfg->cores.sched_batch;
		rc = rte_eal_remote_launch(tx_lcore_main, &r->tx_launch[k], lc);
		if (rc != 0) {
			snprintf(err, errlen, "[cores] tx: cannot launch TX lcore %u: %s", lc,
				 strerror(-rc));
			engine_stop(r->e);
			for (uint32_t j = 0; j < k; j++)
				rte_eal_wait_lcore(cfg->cores.tx.ids[j]);
			goto fail;
		}
		r->launched++;
	}
	JW_LOG(INFO, "engine: %u connection(s), shm instance %s (%u slots x %u bytes per TX "
	       "lcore, %.1f MiB shared memory in all on %s; %s), "
	       "dedupe %s, window %s, coalesce %u us", ep.n_conns, cfg->shm.instance,
	       r->shm->slots_per_tx, r->shm->ring_bytes,
	       (double)r->shm->map_bytes / (1024.0 * 1024.0), r->shm->note,
	       r->shm->huge ? "reserved at start" : "touched only where producers write",
	       ep.flow.dedupe == FLOW_DEDUPE_MSGID ? "msgid" : "off",
	       ep.flow.adaptive ? "adaptive" : "fixed", cfg->flow.coalesce_us);
	{
		char mem[96], backing[96];

		snprintf(mem, sizeof(mem), "%llu bytes: %u x %u slots, %u-byte rings",
			 (unsigned long long)r->shm->map_bytes, r->shm->n_tx, r->shm->slots_per_tx,
			 r->shm->ring_bytes);
		if (r->shm->huge)
			snprintf(backing, sizeof(backing), "hugetlbfs, %u kB pages, reserved at start",
				 r->shm->page_bytes / 1024);
		else
			snprintf(backing, sizeof(backing), "tmpfs, %u kB pages, touched on use",
				 r->shm->page_bytes / 1024);
		jw_stats_set_info("shm_backing", backing);
		snprintf(backing, sizeof(backing), "%.95s", r->shm->path);
		jw_stats_set_info("shm_file", backing);
		jw_stats_set_info("shm_memory", mem);
	}
	return 0;
fail:
	jw_ctl_set_tcp_input(ctl, NULL, NULL);
	jw_ctl_set_poll(ctl, NULL, NULL);
	release(r);
	return rc < 0 ? rc : -EINVAL;
}

static int
shutdown_on_ctl(void *arg)
{
	engine_ctl_shutdown(arg);
	return 0;
}

static void
log_summary(struct engine *e)
{
	struct flow_counters fc;
	struct jw_hist_snap lat;

	engine_flow_totals(e, &fc);
	JW_LOG(INFO, "engine: sent %lu, resent %lu, acked %lu (%lu duplicate), failed %lu, "
	       "late acks %lu, timeouts %lu; window now %u, most in flight %lu, refused sends %lu",
	       (unsigned long)fc.tx.sent, (unsigned long)fc.tx.resent, (unsigned long)fc.ctl.acked,
	       (unsigned long)fc.ctl.duplicates, (unsigned long)fc.ctl.failed,
	       (unsigned long)fc.ctl.late_acks, (unsigned long)fc.ctl.timeouts, fc.window,
	       (unsigned long)fc.tx.outstanding_hwm, (unsigned long)fc.tx.window_refused);
	JW_LOG(INFO, "engine: 503s taken for a stream between leaders %lu, holds %lu, probes %lu, "
	       "connections that waited for the stream's first answer %lu",
	       (unsigned long)e->cnt.transient_503, (unsigned long)e->cnt.holds,
	       (unsigned long)e->cnt.probes, (unsigned long)e->cnt.first_answers);
	JW_LOG(INFO, "engine: shared replies: sent %lu, answers %lu, confirmed %lu, classes "
	       "broken %lu, stale answers %lu", (unsigned long)fc.tx.shared_sent,
	       (unsigned long)fc.ctl.share_answers, (unsigned long)fc.ctl.share_confirmed,
	       (unsigned long)fc.ctl.share_breaks, (unsigned long)fc.ctl.share_stale);
	JW_LOG(INFO, "engine: resends on evidence of loss %lu, after reconnects %lu; overdue "
	       "but not resent (server stalled) %lu, liveness probes %lu, resends held by the "
	       "budget %lu", (unsigned long)fc.tx.resent_loss, (unsigned long)fc.tx.resent_reconnect,
	       (unsigned long)fc.ctl.stalled_suppressed, (unsigned long)fc.ctl.liveness_probes,
	       (unsigned long)fc.ctl.budget_deferred);
	JW_LOG(INFO, "engine: reports deferred %lu (report ring full), lost %lu; resends dropped "
	       "as torn %lu; TCP frames %lu, not ours %lu",
	       (unsigned long)e->cnt.reports_deferred, (unsigned long)e->cnt.reports_late,
	       (unsigned long)engine_resend_torn(e), (unsigned long)e->cnt.rx_tcp,
	       (unsigned long)e->cnt.rx_not_ours);
	if (jw_stats_latency_read(&lat, NULL) > 0 && lat.count > 0)
		JW_LOG(INFO, "engine: ack latency us: p50 %.1f p99 %.1f max %.1f",
		       (double)jw_hist_percentile(&lat, 50.0) / 1e3,
		       (double)jw_hist_percentile(&lat, 99.0) / 1e3, (double)lat.max / 1e3);
}

void
jw_engine_finish(struct jw_engine_run *r)
{
	unsigned ctl_lcore;

	if (r->e == NULL)
		return;
	ctl_lcore = r->cfg->cores.control;
	if (ctl_lcore == rte_get_main_lcore()) {
		engine_ctl_shutdown(r->e);
	} else {
		rte_eal_wait_lcore(ctl_lcore);
		if (rte_eal_remote_launch(shutdown_on_ctl, r->e, ctl_lcore) == 0)
			rte_eal_wait_lcore(ctl_lcore);
	}
	usleep(20 * 1000); /* the TX lcores send the resets */
	engine_stop(r->e);
	for (uint32_t k = 0; k < r->launched; k++)
		rte_eal_wait_lcore(r->cfg->cores.tx.ids[k]);
	log_summary(r->e);
	if (engine_fatal(r->e) != NULL)
		snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%s", engine_fatal(r->e));
	jw_stats_register_conns(NULL, NULL);
	jw_stats_register_servers(NULL, NULL);
	jw_stats_register_producers(NULL, NULL);
	release(r);
}
