/* Engine setup and teardown, delivery-report mapping, connection snapshots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <urcu-qsbr.h>

#include "common/jw_time.h"
#include "engine/engine.h"
#include "engine/engine_log.h"
#include "flow/flow.h"
#include "jetwire.h"
#include "session/session.h"
#include "tls/tls.h"
#include "shm/shm.h"
#include "telemetry/telemetry-t.h"
#include "tcp/tcp.h"

RTE_LOG_REGISTER(engine_logtype, jetwire.engine, INFO);

static uint64_t
io_now(void *ctx)
{
	(void)ctx;
	return jw_mono_ns();
}

static uint16_t
io_no_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	(void)pkts;
	(void)n;
	return 0; /* the stack's io is a clock only: segments leave from the TX lcores */
}

void
engine_report_of(const struct flow_outcome *o, struct jw_shm_report *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = o->producer_seq;
	if (o->status == FLOW_ACKED) {
		r->status = o->maybe_duplicate ? JW_DUP_RISK : JW_ACKED;
		r->stream_seq = o->stream_seq;
		r->duplicate = o->duplicate ? 1 : 0;
		memcpy(r->stream, o->stream, JW_MIN(o->stream_len, (uint32_t)JW_SHM_STREAM_MAX));
		r->reason = JW_R_NONE;
		return;
	}
	r->status = JW_FAILED;
	r->reason = o->why != 0 && o->why < JW_R_MAX ? o->why : JW_R_JS_ERROR;
	r->code = o->code > 0 && o->code <= UINT16_MAX ? (uint16_t)o->code : 0;
	r->err_code = o->err_code > 0 ? (uint32_t)o->err_code : 0;
}

static int
fail(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	errno = EINVAL;
	return -EINVAL;
}

static void engine_free(struct engine *e);

struct engine *
engine_create(const struct engine_params *p, const struct engine_net_ops *net,
	      struct jw_shm *shm, char *err, size_t errlen)
{
	struct engine *e;
	int rc;

	if (p == NULL || net == NULL || shm == NULL || net->server_mac == NULL ||
	    net->tx_burst == NULL || net->txq_ctx == NULL) {
		fail(err, errlen, "engine: missing parameters or network hooks");
		return NULL;
	}
	if (p->n_conns == 0 || p->n_conns != shm->n_tx) {
		fail(err, errlen, "engine: connections must equal the shm's TX ring sets");
		return NULL;
	}
	if (p->n_servers == 0) {
		fail(err, errlen, "engine: [nats] servers names no server");
		return NULL;
	}
	if (flow_params_check(&p->flow) != 0) {
		fail(err, errlen, "engine: bad [flow] window or timeout settings");
		return NULL;
	}
	if (p->burst == 0 || p->pool == NULL) {
		fail(err, errlen, "engine: burst and mbuf pool are required");
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->p = *p;
	e->net = *net;
	e->shm = shm;
	for (uint32_t i = 0; i < p->n_servers && i < ENGINE_SERVERS_MAX; i++) {
		atomic_store_explicit(&e->servers[i].ip_be, p->servers[i].ip_be, memory_order_relaxed);
		atomic_store_explicit(&e->servers[i].port, p->servers[i].port, memory_order_relaxed);
		atomic_store_explicit(&e->servers[i].flags, ENGINE_SRV_ACTIVE | ENGINE_SRV_CONFIGURED,
				      memory_order_relaxed);
	}
	atomic_store_explicit(&e->n_server_slots, JW_MIN(p->n_servers, ENGINE_SERVERS_MAX),
			      memory_order_relaxed);
	if (getrandom(&e->run_id, sizeof(e->run_id), 0) != sizeof(e->run_id))
		e->run_id = jw_mono_ns() ^ (uint64_t)getpid() << 32;
	e->ctl_io.tx_burst = io_no_tx;
	e->ctl_io.now_ns = io_now;
	e->ctl_io.pool = p->pool;
	e->ctl_io.tx_cksum_offload = p->tx_cksum_offload;
	e->stack = tcp_stack_create(&e->ctl_io, &p->tcp, NULL);
	if (e->stack == NULL) {
		fail(err, errlen, "engine: bad [tcp] settings or no memory for the TCP stack");
		engine_free(e);
		return NULL;
	}
	e->conns = aligned_alloc(JW_CACHE_LINE, sizeof(*e->conns) * p->n_conns);
	if (e->conns == NULL) {
		engine_free(e);
		errno = ENOMEM;
		return NULL;
	}
	memset(e->conns, 0, sizeof(*e->conns) * p->n_conns);
	for (uint32_t k = 0; k < p->n_conns; k++) {
		struct engine_conn *c = &e->conns[k];
		struct session_params sp = p->session;

		c->eng = e;
		c->index = k;
		c->tx_io.tx_burst = net->tx_burst;
		c->tx_io.now_ns = io_now;
		c->tx_io.ctx = net->txq_ctx(net->ctx, (uint16_t)k);
		c->tx_io.pool = p->pool;
		c->tx_io.tx_cksum_offload = p->tx_cksum_offload;
		c->tx_io.tso_max = p->tx_tso_max;
		c->tx_io.tso_segs_max = p->tx_seg_max;
		c->tx_io.tx_no_chain = p->tx_no_chain;
		rc = flow_init(&c->flow, &p->flow);
		if (rc != 0) {
			fail(err, errlen, "engine: cannot set up the pending window");
			engine_free(e);
			return NULL;
		}
		sp.run_id = e->run_id;
		sp.conn_index = k;
		sp.jitter_permille = p->jitter_permille;
		sp.jitter_seed = e->run_id ^ ((uint64_t)(k + 1) * 0x9e3779b97f4a7c15ull);
		/* connections start on different servers: one node's death takes its share only */
		c->c.server_next = k;
		c->c.server = -1;
		c->c.ready_server = -1;
		rc = session_init(&c->sess, &sp);
		if (rc != 0) {
			fail(err, errlen, rc == -E2BIG ? "engine: [nats] credentials too long" :
				      "engine: bad [nats] settings (name, token or user/password)");
			engine_free(e);
			return NULL;
		}
		c->msgid_base.nonce = jw_shm_nonce(shm);
		c->msgid_base.lcore = k;
		c->t.resend_buf = malloc(shm->ring_bytes);
		c->c.deferred = calloc(shm->slots_per_tx, sizeof(*c->c.deferred));
		if (c->t.resend_buf == NULL || c->c.deferred == NULL) {
			engine_free(e);
			errno = ENOMEM;
			return NULL;
		}
		c->t.epoch = UINT32_MAX;
		c->t.resend_epoch = UINT32_MAX;
	}
	return e;
}

static void
engine_free(struct engine *e)
{
	if (e->conns != NULL) {
		for (uint32_t k = 0; k < e->p.n_conns; k++) {
			struct engine_conn *c = &e->conns[k];

			if (c->tcp != NULL)
				tcp_conn_destroy(c->tcp);
			if (c->c.old != NULL)
				tcp_conn_destroy(c->c.old);
			if (c->drain_tcp != NULL)
				tcp_conn_destroy(c->drain_tcp);
			if (c->c.drain_old != NULL)
				tcp_conn_destroy(c->c.drain_old);
			flow_fini(&c->flow);
			session_fini(&c->sess);
			free(c->t.resend_buf);
			if (c->c.deferred != NULL)
				for (uint32_t i = 0; i < e->shm->slots_per_tx; i++)
					free(c->c.deferred[i].q);
			free(c->c.deferred);
		}
		free(e->conns);
	}
	if (e->stack != NULL)
		tcp_stack_destroy(e->stack);
	free(e);
}

void
engine_destroy(struct engine *e)
{
	if (e == NULL)
		return;
	/* every loop returned: no grace period is pending on our objects any more */
	rcu_barrier_qsbr();
	engine_free(e);
}

void
engine_stop(struct engine *e)
{
	atomic_store_explicit(&e->stop, 1, memory_order_relaxed); /* a flag: orders nothing */
}

void
engine_drain(struct engine *e)
{
	atomic_store_explicit(&e->draining, 1, memory_order_relaxed);
}

uint64_t
engine_unfinished(const struct engine *e)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < e->p.n_conns; k++) {
		const struct engine_conn *c = &e->conns[k];
		struct flow_counters fc;

		flow_counters_read(&c->flow, &fc);
		n += fc.outstanding;
		for (uint32_t i = 0; i < e->shm->slots_per_tx; i++)
			n += atomic_load_explicit(&c->c.deferred[i].count, memory_order_relaxed);
	}
	return n;
}

uint64_t
engine_resend_torn(const struct engine *e)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < e->p.n_conns; k++)
		n += atomic_load_explicit(&e->conns[k].t.resend_torn, memory_order_relaxed);
	return n;
}

void
engine_flow_totals(const struct engine *e, struct flow_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t k = 0; k < e->p.n_conns; k++) {
		struct flow_counters c;

		flow_counters_read(&e->conns[k].flow, &c);
		out->tx.sent += c.tx.sent;
		out->tx.resent += c.tx.resent;
		out->tx.resent_loss += c.tx.resent_loss;
		out->tx.resent_reconnect += c.tx.resent_reconnect;
		out->ctl.stalled_suppressed += c.ctl.stalled_suppressed;
		out->ctl.budget_deferred += c.ctl.budget_deferred;
		out->ctl.liveness_probes += c.ctl.liveness_probes;
		out->tx.window_refused += c.tx.window_refused;
		out->tx.local_failures += c.tx.local_failures;
		out->tx.shared_sent += c.tx.shared_sent;
		out->ctl.share_answers += c.ctl.share_answers;
		out->ctl.share_confirmed += c.ctl.share_confirmed;
		out->ctl.share_breaks += c.ctl.share_breaks;
		out->ctl.share_stale += c.ctl.share_stale;
		out->tx.outstanding_hwm = JW_MAX(out->tx.outstanding_hwm, c.tx.outstanding_hwm);
		out->ctl.acked += c.ctl.acked;
		out->ctl.failed += c.ctl.failed;
		out->ctl.duplicates += c.ctl.duplicates;
		out->ctl.maybe_duplicates += c.ctl.maybe_duplicates;
		out->ctl.late_acks += c.ctl.late_acks;
		out->ctl.repeat_acks += c.ctl.repeat_acks;
		out->ctl.bogus_acks += c.ctl.bogus_acks;
		out->ctl.timeouts += c.ctl.timeouts;
		out->ctl.resend_requests += c.ctl.resend_requests;
		out->ctl.timeout_failures += c.ctl.timeout_failures;
		out->ctl.window_increases += c.ctl.window_increases;
		out->ctl.window_decreases += c.ctl.window_decreases;
		out->window = JW_MAX(out->window, c.window);
		out->outstanding += c.outstanding;
	}
}

void
engine_conn_stats(const struct engine_conn *c, struct jw_stats_conn *out)
{
	struct tcp_conn *tcp;
	struct flow_counters fc;
	struct session_counters sc;

	memset(out, 0, sizeof(*out));
	out->id = c->index;
	out->lcore_id = c->lcore_id;
	snprintf(out->state, sizeof(out->state), "%s", session_state_str(session_state(&c->sess)));
	{
		uint32_t ip = rte_be_to_cpu_32(atomic_load_explicit(&c->srv_ip_be,
								  memory_order_relaxed));
		uint32_t port = atomic_load_explicit(&c->srv_port, memory_order_relaxed);

		if (ip != 0)
			snprintf(out->server, sizeof(out->server), "%u.%u.%u.%u:%u", ip >> 24,
				 (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff, port);
		else
			snprintf(out->server, sizeof(out->server), "-");
	}
	out->failovers = atomic_load_explicit(&c->failovers, memory_order_relaxed);
	out->ldm_moves = atomic_load_explicit(&c->ldm_moves, memory_order_relaxed);
	out->auth_failures = atomic_load_explicit(&c->auth_failures, memory_order_relaxed);
	rcu_read_lock();
	tcp = rcu_dereference(((struct engine_conn *)(uintptr_t)c)->tcp);
	if (tcp != NULL) {
		struct tcp_stats ts;

		tcp_conn_stats(tcp, &ts);
		out->snd_una = ts.snd_una;
		out->snd_nxt = ts.snd_nxt;
		out->rcv_nxt = ts.rcv_nxt;
		out->cwnd_bytes = ts.cwnd;
		out->peer_wnd_bytes = ts.snd_wnd;
		out->srtt_us = ts.srtt_us;
		out->rto_us = ts.rto_ms * 1000;
		out->retransmits = ts.retransmits;
		out->sack = ts.sack_ok;
		out->segs_in = ts.segs_in;
		out->segs_out = ts.segs_out;
		out->rtx_rto = ts.rtx_rto;
		out->rtx_fast = ts.rtx_fast;
		out->rtx_tlp = ts.rtx_tlp;
		out->rtx_other = ts.rtx_other;
		out->rto_expiries = ts.rto_expiries;
		out->fast_recoveries = ts.fast_retransmits;
		out->loss_probes = ts.loss_probes;
		out->spurious_undos = ts.spurious_undos;
		out->sack_blocks_in = ts.sack_blocks_in;
		out->sack_blocks_out = ts.sack_blocks_out;
		out->dsacks_in = ts.dsacks_in;
		out->pure_acks_out = ts.pure_acks_out;
		out->delayed_acks = ts.delayed_acks;
		out->pacing_rate_bps = ts.pacing_rate_bps;
	}
	rcu_read_unlock();
	flow_counters_read(&c->flow, &fc);
	session_counters_read(&c->sess, &sc);
	out->js_window = fc.window;
	out->js_inflight = (uint32_t)fc.outstanding;
	out->acks = sc.acks;
	out->reconnects = sc.ready > 0 ? sc.ready - 1 : 0;
	{
		struct session_tls_stats t;

		session_tls_read(&c->sess, &t);
		if (t.info.version != 0) {
			snprintf(out->tls_version, sizeof(out->tls_version), "%s",
				 tls_version_str(t.info.version));
			snprintf(out->tls_cipher, sizeof(out->tls_cipher), "%s", t.info.cipher);
			out->tls_handshake_us = t.info.handshake_ns / 1000;
		}
		out->tls_handshakes = t.handshakes;
		for (int i = 0; i < TLS_FAIL_REASONS; i++)
			out->tls_failures += t.fails[i];
		for (int i = 1; i < TLS_FAIL_REASONS && out->tls_fail_n < JW_STATS_TLS_FAILS; i++) {
			snprintf(out->tls_fail[out->tls_fail_n].name,
				 sizeof(out->tls_fail[0].name), "%s", tls_fail_str((enum tls_fail)i));
			out->tls_fail[out->tls_fail_n++].n = t.fails[i];
		}
		out->tls_records_sealed = t.records_sealed;
		out->tls_records_opened = t.records_opened;
		out->tls_key_updates = t.key_updates_sent + t.key_updates_received;
		out->tls_bytes_sealed = t.bytes_sealed;
		out->tls_pad_bytes = t.pad_bytes;
	}
	snprintf(out->js_phase, sizeof(out->js_phase), "%s", flow_ctlr_phase_str(fc.ctlr.phase));
	out->js_target = fc.ctlr.held_window;
	out->js_max_rate = fc.ctlr.max_rate;
	out->js_min_latency_us = fc.ctlr.min_latency_ns / 1000;
	out->ack_srtt_us = fc.rto.srtt_ns / 1000;
	out->ack_rttvar_us = fc.rto.rttvar_ns / 1000;
	out->ack_rto_us = fc.rto.rto_ns / 1000;
	out->ack_timeouts = fc.ctl.timeouts;
	out->resent_loss = fc.tx.resent_loss;
	out->resent_reconnect = fc.tx.resent_reconnect;
	out->stalled_suppressed = fc.ctl.stalled_suppressed;
	out->js_shared_sent = fc.tx.shared_sent;
	out->js_share_confirmed = fc.ctl.share_confirmed;
	out->js_share_breaks = fc.ctl.share_breaks;
	out->js_share_stale = fc.ctl.share_stale;
	out->liveness_probes = fc.ctl.liveness_probes;
	out->backoff_waits = sc.backoff_waits;
}

const char *
engine_fatal(const struct engine *e)
{
	/* Acquire: pairs with the release in the control lcore that set fatal after fatal_msg.
	 * [E5] */
	return atomic_load_explicit(&e->fatal, memory_order_acquire) ? e->fatal_msg : NULL;
}

int
engine_servers_view(const struct engine *e, struct jw_stats_server *out, int max)
{
	uint32_t n = atomic_load_explicit(&e->n_server_slots, memory_order_relaxed);
	int m = 0;

	for (uint32_t k = 0; k < n && m < max; k++) {
		const struct engine_server *sv = &e->servers[k];
		uint32_t f = atomic_load_explicit(&sv->flags, memory_order_relaxed);
		uint32_t ip = rte_be_to_cpu_32(atomic_load_explicit(&sv->ip_be,
								  memory_order_relaxed));

		if (!(f & ENGINE_SRV_ACTIVE))
			continue;
		memset(&out[m], 0, sizeof(out[m]));
		snprintf(out[m].addr, sizeof(out[m].addr), "%u.%u.%u.%u:%u", ip >> 24,
			 (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff,
			 (unsigned)atomic_load_explicit(&sv->port, memory_order_relaxed));
		out[m].configured = (f & ENGINE_SRV_CONFIGURED) != 0;
		out[m].conns = atomic_load_explicit(&sv->conns, memory_order_relaxed);
		out[m].connects = atomic_load_explicit(&sv->connects, memory_order_relaxed);
		out[m].auth_refusals = atomic_load_explicit(&sv->auth_refusals, memory_order_relaxed);
		m++;
	}
	return m;
}
