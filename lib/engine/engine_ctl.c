/* The control lcore's engine work, called from the app's control loop (which does RX, ARP
 * and ICMP): TCP input, the NATS session of each connection, PubAcks into the pending
 * windows, delivery reports and ring releases, PubAck timeouts, reconnects, shared-memory
 * housekeeping, tunables. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <urcu-qsbr.h>

#include "common/jw_time.h"
#include "engine/engine.h"
#include "engine/engine_log.h"
#include "flow/flow.h"
#include "jetwire.h"
#include "nats/nats_enc.h"
#include "session/session.h"
#include "shm/shm.h"
#include "stats/stats.h"
#include "tunables/tunables.h"
#include "tcp/tcp.h"
#include "tls/tls.h"

#define SCAN_PERIOD_NS 1000000ull        /* PubAck timeout scan: every millisecond */
#define HOUSEKEEPING_NS 100000000ull     /* reclaim, heartbeat, tunables: every 100 ms */

/* The iteration's clock, for callbacks (control lcore only). */
static __thread uint64_t ctl_now;

/* RCU callbacks may run on liburcu's call_rcu thread; nothing else here is shared. */

/* --- delivery reports ------------------------------------------------------------------- */

static bool
deferred_push(struct engine_conn *c, struct engine_deferred *d, const struct jw_shm_report *r)
{
	uint32_t n = d->tail - d->head;

	if (d->q == NULL) {
		d->cap = flow_size(&c->flow) * 2;
		d->q = malloc(sizeof(*d->q) * d->cap);
		if (d->q == NULL)
			return false;
	}
	if (n == d->cap)
		return false;
	d->q[d->tail % d->cap] = *r;
	d->tail++;
	atomic_store_explicit(&d->count, n + 1, memory_order_relaxed);
	return true;
}

/* Writes deferred reports while the producer's ring has room; then the release they held. */
static void
deferred_flush(struct engine_conn *c, uint32_t idx)
{
	struct engine *e = c->eng;
	struct engine_deferred *d = &c->c.deferred[idx];
	struct jw_shm_slot *s = jw_shm_slot(e->shm, c->index, idx);

	while (d->head != d->tail) {
		if (jw_shm_report(e->shm, s, &d->q[d->head % d->cap]) == -EAGAIN)
			break;
		d->head++;
	}
	atomic_store_explicit(&d->count, d->tail - d->head, memory_order_relaxed);
	if (d->head == d->tail && d->release_end != 0) {
		jw_shm_release(e->shm, s, d->release_end);
		d->release_end = 0;
	}
}

static void
flow_report(void *ctx, const struct flow_outcome *o)
{
	struct engine_conn *c = ctx;
	struct engine *e = c->eng;
	struct engine_deferred *d;
	struct jw_shm_slot *s = jw_shm_slot(e->shm, c->index, o->slot);
	struct jw_shm_report r;

	if (s == NULL)
		return;
	engine_report_of(o, &r);
	if (r.status == JW_FAILED)
		jw_stats_count_failed(e->ctl_st, r.reason);
	else
		jw_stats_count_acked(e->ctl_st, o->duplicate, o->latency_ns);
	d = &c->c.deferred[o->slot];
	if (d->head == d->tail && jw_shm_report(e->shm, s, &r) != -EAGAIN)
		return;
	e->cnt.reports_deferred++;
	if (!deferred_push(c, d, &r))
		e->cnt.reports_late++; /* cannot happen with T's backpressure; counted */
}

static void
flow_release(void *ctx, uint16_t slot, uint64_t ring_end)
{
	struct engine_conn *c = ctx;
	struct engine *e = c->eng;
	struct engine_deferred *d = &c->c.deferred[slot];

	if (d->head != d->tail) {
		d->release_end = ring_end; /* after those reports are written */
		return;
	}
	jw_shm_release(e->shm, jw_shm_slot(e->shm, c->index, slot), ring_end);
}

static const struct flow_ops *
ops_of(struct engine_conn *c, struct flow_ops *ops)
{
	ops->report = flow_report;
	ops->release = flow_release;
	ops->ctx = c;
	return ops;
}

/* --- servers ------------------------------------------------------------------------------ */

#define RLX memory_order_relaxed
#define LD(x) atomic_load_explicit(&(x), RLX)
#define ST(x, v) atomic_store_explicit(&(x), (v), RLX)
#define ADD(x, v) ST(x, LD(x) + (v))

/* "nats://a.b.c.d:port" of servers[k]. */
static const char *
srv_str(const struct engine *e, uint32_t k, char *buf, size_t len)
{
	uint32_t ip = ntohl(LD(e->servers[k].ip_be));

	snprintf(buf, len, "nats://%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff, (unsigned)LD(e->servers[k].port));
	return buf;
}

int32_t
engine_server_pick(const struct engine *e, uint32_t start, uint64_t now_ns, uint64_t *retry_at)
{
	uint32_t n = LD(e->n_server_slots);
	uint64_t soonest = UINT64_MAX;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = (start + i) % n;
		const struct engine_server *sv = &e->servers[k];

		if (!(LD(sv->flags) & ENGINE_SRV_ACTIVE))
			continue;
		if (sv->refused_until_ns > now_ns || sv->lame_until_ns > now_ns) {
			soonest = JW_MIN(soonest, JW_MAX(sv->refused_until_ns, sv->lame_until_ns));
			continue;
		}
		return (int32_t)k;
	}
	*retry_at = soonest == UINT64_MAX ? now_ns + e->p.session.backoff_max_ns : soonest;
	return -1;
}

static int32_t
pick_server(struct engine_conn *c, uint64_t now_ns, uint64_t *retry_at)
{
	return engine_server_pick(c->eng, c->c.server_next, now_ns, retry_at);
}

static void
conn_leave_server(struct engine_conn *c)
{
	if (c->c.server >= 0) {
		struct engine_server *sv = &c->eng->servers[c->c.server];

		if (LD(sv->conns) > 0)
			ST(sv->conns, LD(sv->conns) - 1);
	}
	c->c.server = -1;
	ST(c->srv_ip_be, 0);
	ST(c->srv_port, 0);
}

/* Our credentials were refused by the server of c: counted, named in the log, not tried
 * again before the maximum backoff; at start-up (no connection was ever READY) a refusal by
 * every server is fatal (the app exits 2 with the message). */
static void
server_refused(struct engine_conn *c, uint64_t now_ns)
{
	struct engine *e = c->eng;
	struct engine_server *sv;
	const char *why;
	char name[40];
	uint32_t n, refusing = 0, active = 0;

	if (c->c.server < 0)
		return;
	sv = &e->servers[c->c.server];
	ADD(sv->auth_refusals, 1);
	ADD(c->auth_failures, 1);
	sv->refused_until_ns = now_ns + e->p.session.backoff_max_ns;
	switch (session_last_err(&c->sess)) {
	case NATS_ERR_AUTH_TIMEOUT: why = "Authentication Timeout"; break;
	case NATS_ERR_AUTH_EXPIRED: why = "Authentication Expired"; break;
	case NATS_ERR_AUTH_REVOKED: why = "Authentication Revoked"; break;
	default: why = "Authorization Violation"; break;
	}
	srv_str(e, (uint32_t)c->c.server, name, sizeof(name));
	ENGINE_LOG(ERR, "connection %u: %s refused the %s credentials (%s); not tried again for "
		   "%lu ms", c->index, name, e->p.cred_kind ? e->p.cred_kind : "no", why,
		   (unsigned long)(e->p.session.backoff_max_ns / 1000000ull));
	if (e->ever_ready || atomic_load_explicit(&e->fatal, memory_order_relaxed)) /* C wrote it */
		return;
	n = LD(e->n_server_slots);
	for (uint32_t k = 0; k < n; k++) {
		if (!(LD(e->servers[k].flags) & ENGINE_SRV_ACTIVE))
			continue;
		active++;
		refusing += LD(e->servers[k].auth_refusals) > 0;
	}
	if (engine_servers_all_refused(e)) {
		char list[160] = "", one[40];
		size_t off = 0;

		/* name them all when they fit (4 or so), else the count */
		for (uint32_t k = 0; k < n && active > 1; k++) {
			if (!(LD(e->servers[k].flags) & ENGINE_SRV_ACTIVE))
				continue;
			srv_str(e, k, one, sizeof(one));
			if (off + strlen(one) + 3 >= sizeof(list)) {
				snprintf(list, sizeof(list), "all %u known servers", active);
				break;
			}
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						off ? ", " : "", one);
		}
		snprintf(e->fatal_msg, sizeof(e->fatal_msg), "%s refused the %s credentials (%s)",
			 active > 1 ? list : name, e->p.cred_kind ? e->p.cred_kind : "no", why);
		/* Release: fatal_msg before the flag; pairs with the acquire in engine_fatal
		 * [E5]. */
		atomic_store_explicit(&e->fatal, 1, memory_order_release);
	}
}

bool
engine_servers_all_refused(const struct engine *e)
{
	uint32_t n = LD(e->n_server_slots), refusing = 0, active = 0;

	for (uint32_t k = 0; k < n; k++) {
		if (!(LD(e->servers[k].flags) & ENGINE_SRV_ACTIVE))
			continue;
		active++;
		refusing += LD(e->servers[k].auth_refusals) > 0;
	}
	return active > 0 && refusing == active;
}

int
engine_server_parse_url(const char *u, uint32_t *ip_be, uint16_t *port)
{
	char host[64];
	const char *colon;
	size_t hl;
	unsigned long pv = 4222;

	if (strncmp(u, "nats://", 7) == 0)
		u += 7;
	colon = strrchr(u, ':');
	hl = colon ? (size_t)(colon - u) : strlen(u);
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, u, hl);
	host[hl] = '\0';
	if (colon != NULL) {
		char *end;

		pv = strtoul(colon + 1, &end, 10);
		if (end == colon + 1 || *end != '\0' || pv == 0 || pv > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, host, ip_be) != 1)
		return -EINVAL;
	*port = (uint16_t)pv;
	return 0;
}

static int32_t
server_find(const struct engine *e, uint32_t ip_be, uint16_t port)
{
	uint32_t n = LD(e->n_server_slots);

	for (uint32_t k = 0; k < n; k++)
		if ((LD(e->servers[k].flags) & ENGINE_SRV_ACTIVE) && LD(e->servers[k].ip_be) == ip_be &&
		    LD(e->servers[k].port) == port)
			return (int32_t)k;
	return -1;
}

void
engine_servers_apply_info(struct engine *e, const struct nats_info *info)
{
	uint32_t n = LD(e->n_server_slots);
	char name[40];

	if (!e->p.discover || info->connect_urls_total == 0)
		return;  /* no cluster view in this INFO: nothing changes */
	for (uint32_t k = 0; k < n; k++)
		e->servers[k].listed = false;
	for (unsigned i = 0; i < info->n_connect_urls; i++) {
		uint32_t ip;
		uint16_t port;
		int32_t k;

		if (engine_server_parse_url(info->connect_urls[i], &ip, &port) != 0) {
			ADD(e->discover_ignored, 1);
			continue;
		}
		k = server_find(e, ip, port);
		if (k < 0) {
			uint32_t slot = n;

			for (uint32_t j = 0; j < n; j++)
				if (!(LD(e->servers[j].flags) & ENGINE_SRV_ACTIVE)) {
					slot = j;
					break;
				}
			if (slot == ENGINE_SERVERS_MAX) {
				ADD(e->discover_ignored, 1);
				continue;
			}
			memset(&e->servers[slot], 0, sizeof(e->servers[slot]));
			ST(e->servers[slot].ip_be, ip);
			ST(e->servers[slot].port, port);
			ST(e->servers[slot].flags, ENGINE_SRV_ACTIVE | ENGINE_SRV_DISCOVERED);
			if (slot == n)
				ST(e->n_server_slots, ++n);
			ADD(e->discovered_total, 1);
			k = (int32_t)slot;
			ENGINE_LOG(INFO, "discovered server %s", srv_str(e, slot, name, sizeof(name)));
		}
		e->servers[k].listed = true;
	}
	if (info->connect_urls_total > info->n_connect_urls)
		return;  /* a partial list: drop nothing */
	for (uint32_t k = 0; k < n; k++) {
		struct engine_server *sv = &e->servers[k];
		uint32_t f = LD(sv->flags);

		if ((f & ENGINE_SRV_ACTIVE) && !(f & ENGINE_SRV_CONFIGURED) && !sv->listed &&
		    LD(sv->conns) == 0) {
			ENGINE_LOG(INFO, "server %s left the cluster: dropped",
				   srv_str(e, k, name, sizeof(name)));
			ST(sv->flags, 0);
		}
	}
}

/* --- session callbacks -------------------------------------------------------------------- */

/* --- stream-transition holds ----------------------------------------------------------------
 *
 * In a cluster, an R3 stream is leaderless for a few seconds after its leader dies: its
 * publishes get no-responders (503) replies, or none, although the stream exists. Taking a
 * 503 as final would fail messages that a second later store fine; resending each at its
 * PubAck timeout would store them after later publishes (out of order). So on the first
 * 503 of a clustered connection C puts it on hold: T sends no new records and no timeout
 * resends (C does not scan timeouts meanwhile); every PROBE_NS T resends only the lowest
 * live publish (stop-and-wait, same Msg-Id). Its first PubAck ends the hold: the timeouts
 * restart, and T resends the whole live range in order (JetStream drops the ones it has as
 * duplicates) before any new record. 503s that last TRANSIENT_503_NS end the hold too and
 * then count as "no stream". Publishes in flight when the first 503 arrives can still
 * straddle the new leader's start; that window is one round trip against seconds of
 * election.
 *
 * First answer: a new clustered connection sends one publish and waits for the stream's
 * answer before it opens the window. A node that has not yet learnt a new stream's interest
 * (a stream created a moment ago, or a node that just joined) answers 503 while a publish
 * right behind it may already be routed and stored: pipelined, the 503'd one would be
 * stored after it (out of order; seen in the lame-duck test). Stop-and-wait for one round
 * trip per connection closes that: a 503 puts the connection on hold as above, an answer
 * opens the window. */
#define TRANSIENT_503_NS (30ull * 1000000000ull)
#define PROBE_NS (250ull * 1000000ull)

/* now - then, 0 when then is later (frame clocks run ahead of the poll's clock). */
static uint64_t
since(uint64_t now_ns, uint64_t then_ns)
{
	return now_ns > then_ns ? now_ns - then_ns : 0;
}

/* The stream answered a gated connection's first publish (or its 503s ended): the window
 * opens. Relaxed: T sees it some iterations later at worst. */
static void
first_answer_open(struct engine_conn *c, uint64_t now_ns)
{
	if (atomic_load_explicit(&c->first_answer, memory_order_relaxed) == 0)
		return;
	atomic_store_explicit(&c->first_answer, 0, memory_order_relaxed);
	c->eng->cnt.first_answers++;
	/* next_seq is T's (relaxed): it shows how many new publishes T took meanwhile */
	ENGINE_LOG(INFO, "connection %u: first answer from the stream after %lu us (%lu new "
		   "publishes taken meanwhile): window open", c->index,
		   (unsigned long)(since(now_ns, c->c.ready_ns) / 1000ull),
		   (unsigned long)(flow_tx_next_seq(&c->flow) - c->c.ready_next_seq));
}

static void
hold_release(struct engine_conn *c, uint64_t now_ns, const char *why)
{
	uint32_t gen = atomic_load_explicit(&c->resend_gen, memory_order_relaxed);

	flow_ctl_rearm(&c->flow, now_ns);
	atomic_store_explicit(&c->resend_gen, gen + 1, memory_order_relaxed);
	/* release: T sees the new resend_gen no later than hold == 0 [E1] */
	atomic_store_explicit(&c->hold, 0, memory_order_release);
	ENGINE_LOG(INFO, "connection %u: hold lifted (%s) after %lu ms; resending the live "
		   "publishes in order", c->index, why,
		   (unsigned long)(since(now_ns, c->c.since_503_ns) / 1000000ull));
}

static void
hold_enter(struct engine_conn *c, uint64_t now_ns)
{
	c->c.next_probe_ns = now_ns + PROBE_NS;
	c->eng->cnt.holds++;
	atomic_store_explicit(&c->hold, 1, memory_order_release); /* [E1] */
	ENGINE_LOG(INFO, "connection %u: no responders for a stream in the cluster (between "
		   "leaders?): holding new publishes, probing every %llu ms", c->index,
		   PROBE_NS / 1000000ull);
}

/* Control loop: while on hold, the next probe when it is due; the end of a long hold. */
static void
hold_poll(struct engine_conn *c, uint64_t now_ns)
{
	if (since(now_ns, c->c.since_503_ns) >= TRANSIENT_503_NS) {
		hold_release(c, now_ns, "503s lasted too long: the stream is missing");
		first_answer_open(c, now_ns); /* its 503s are its answer */
		return;
	}
	if (now_ns >= c->c.next_probe_ns &&
	    atomic_load_explicit(&c->probe_done, memory_order_acquire) == /* [E3] */
	    atomic_load_explicit(&c->probe_req, memory_order_relaxed)) {
		c->c.next_probe_ns = now_ns + PROBE_NS;
		c->eng->cnt.probes++;
		atomic_store_explicit(&c->probe_req,
				      atomic_load_explicit(&c->probe_req, memory_order_relaxed) + 1,
				      memory_order_release); /* [E2] */
	}
}

/* An ack for publish seq, read from the current connection or from a lame-duck one. Only
 * the answer to a publish sent on the current connection opens its first-answer gate: it
 * carries the connection's reply mark. The cluster delivers the PubAcks of the old
 * connection's publishes to the new connection's subscription too (same inbox), from its
 * SUB on, handshake included; those say nothing of whether the new node has learnt the
 * stream yet. Acks drained from a lame-duck connection carry its own (older) mark, if any. */
static void
ack_in(struct engine_conn *c, uint64_t seq, const struct flow_ack *a)
{
	struct flow_ops ops;
	bool held = atomic_load_explicit(&c->hold, memory_order_relaxed) != 0;

	/* (an answer to a shared reply goes to the window whatever it says: a 503 there
	 * breaks its class, whose publishes are resent with unique replies) */
	if (a->kind == FLOW_ACK_NO_STREAM && c->c.clustered && a->share_gen == 0 &&
	    (c->c.since_503_ns == 0 || since(ctl_now, c->c.since_503_ns) < TRANSIENT_503_NS)) {
		if (c->c.since_503_ns == 0)
			c->c.since_503_ns = ctl_now;
		c->c.last_503_ns = ctl_now;
		c->eng->cnt.transient_503++;
		if (!held)
			hold_enter(c, ctl_now);
		return; /* resent later, in order */
	}
	if (a->mark == session_reply_mark(session_ctl_epoch(&c->sess)))
		first_answer_open(c, ctl_now);
	(void)flow_ctl_ack(&c->flow, seq, a, ctl_now, ops_of(c, &ops)); /* rejects are counted */
	if (a->kind == FLOW_ACK_OK) {
		bool probe = false;

		if (held) {
			/* acquire: pairs with T's release of probe_done, so probe_seq is the
			 * one that probe wrote [E3] */
			(void)atomic_load_explicit(&c->probe_done, memory_order_acquire);
			probe = seq == atomic_load_explicit(&c->probe_seq, memory_order_relaxed);
		}

		/* While the first-answer gate is still closed, only the answer that opens it
		 * (it carries this connection's mark, first_answer_open above) lifts the hold:
		 * an answer to what the old connection sent (the cluster delivers it here too)
		 * would lift it with no publish of this connection in flight to open the gate,
		 * and the gate would then hold the live range forever. */
		if (held && atomic_load_explicit(&c->first_answer, memory_order_relaxed) == 0)
			hold_release(c, ctl_now, "the stream answers again");
		/* the 503 episode ends when the probed publish is stored, or when no 503 came
		 * for TRANSIENT_503_NS (a missing stream beside healthy ones keeps it open, so
		 * its 503s end as "no stream", not in a loop) */
		if (probe || since(ctl_now, c->c.last_503_ns) >= TRANSIENT_503_NS)
			c->c.since_503_ns = 0;
	}
}

static void
sess_on_ack(void *ctx, uint64_t seq, const struct flow_ack *a)
{
	ack_in(ctx, seq, a);
}

static void
sess_on_ready(void *ctx)
{
	struct engine_conn *c = ctx;
	struct session_counters sc;

	/* T resends every live publish on this connection: their clocks restart now */
	flow_ctl_rearm(&c->flow, ctl_now);
	/* a new connection resends the live range in order anyway: no hold on it [E1] */
	atomic_store_explicit(&c->hold, 0, memory_order_release);
	c->c.since_503_ns = 0;
	c->c.ready_ns = ctl_now;
	c->c.ready_next_seq = flow_tx_next_seq(&c->flow);
	session_counters_read(&c->sess, &sc);
	if (sc.ready > 1)
		jw_stats_count_reconnect(c->eng->ctl_st);
	c->eng->ever_ready = true;
	if (c->c.ready_server >= 0 && c->c.server >= 0 && c->c.ready_server != c->c.server)
		ADD(c->failovers, 1);
	c->c.ready_server = c->c.server;
	{
		char name[40];

		ENGINE_LOG(INFO, "connection %u ready (NATS session up) on %s", c->index,
			   c->c.server >= 0 ? srv_str(c->eng, (uint32_t)c->c.server, name,
						     sizeof(name)) : "?");
	}
	if (session_tls_on(&c->sess)) {
		struct session_tls_stats t;

		session_tls_read(&c->sess, &t);
		ENGINE_LOG(INFO, "connection %u: %s %s, handshake %.2f ms", c->index,
			   tls_version_str(t.info.version), t.info.cipher,
			   (double)t.info.handshake_ns / 1e6);
	}
}

static void
sess_on_max_payload(void *ctx, uint32_t max_payload)
{
	struct engine_conn *c = ctx;
	uint32_t overhead = flow_dedupe_msgid(&c->flow) ?
			    (uint32_t)nats_hdr_size(FLOW_MSGID_MAX, 0) : 0;

	jw_shm_set_limits(c->eng->shm, max_payload, overhead);
}

static void
sess_on_server_err(void *ctx, const char *text, size_t len, bool fatal)
{
	struct engine_conn *c = ctx;

	ENGINE_LOG(WARNING, "connection %u: server -ERR '%.*s'%s", c->index,
		(int)JW_MIN(len, (size_t)200), text, fatal ? " (closing)" : "");
}

static void
sess_on_pong(void *ctx, uint64_t asked_ns)
{
	struct engine_conn *c = ctx;

	if (asked_ns != 0)
		flow_ctl_server_alive(&c->flow, asked_ns, ctl_now);
}

static void
sess_on_info(void *ctx, const struct nats_info *info)
{
	struct engine_conn *c = ctx;

	/* a server that lists other servers is part of a cluster */
	c->c.clustered = info->connect_urls_total > 1;
	flow_ctl_share_errors_ordered(&c->flow, !c->c.clustered);
	/* before READY only: an INFO of a ready session (cluster changes) closes no window.
	 * Relaxed: the session's release of READY orders it for T [E6] */
	if (session_state(&c->sess) != SESSION_READY)
		atomic_store_explicit(&c->first_answer, c->c.clustered ? 1u : 0u,
				      memory_order_relaxed);
	engine_servers_apply_info(c->eng, info);
}

static const struct session_cb *
cb_of(struct engine_conn *c, struct session_cb *cb)
{
	cb->on_info = sess_on_info;
	cb->on_ack = sess_on_ack;
	cb->on_ready = sess_on_ready;
	cb->on_max_payload = sess_on_max_payload;
	cb->on_server_err = sess_on_server_err;
	cb->on_pong = sess_on_pong;
	cb->ctx = c;
	return cb;
}

/* --- TCP callbacks and connection lifetime ------------------------------------------------ */

struct retire {
	struct rcu_head head;
	_Atomic int *done;
};

static void
retire_done(struct rcu_head *h)
{
	struct retire *r = caa_container_of(h, struct retire, head);

	/* on the call_rcu thread: only flag it, the control lcore destroys (it owns the stack).
	 * Release: pairs with the acquire loads in reap_old_tcp. [E4] */
	atomic_store_explicit(r->done, 1, memory_order_release);
	free(r);
}

/* Unpublishes *slot (T reads it under RCU) into *old; *done is set after a grace period,
 * then the control lcore destroys it. */
static void
retire_slot(struct tcp_conn **slot, struct tcp_conn **old, _Atomic int *done)
{
	struct tcp_conn *tcp = *slot;
	struct retire *r;

	if (tcp == NULL)
		return;
	rcu_assign_pointer(*slot, NULL);
	*old = tcp;
	atomic_store_explicit(done, 0, memory_order_relaxed);
	r = malloc(sizeof(*r));
	if (r == NULL) {
		/* no memory for the callback: wait here (rare, and only on a reconnect) */
		rcu_thread_offline();
		synchronize_rcu();
		rcu_thread_online();
		atomic_store_explicit(done, 1, memory_order_relaxed);
		return;
	}
	r->done = done;
	call_rcu(&r->head, retire_done);
}

/* Unpublishes the connection's TCP object; destroyed after a grace period. */
static void
retire_tcp(struct engine_conn *c)
{
	retire_slot(&c->tcp, &c->c.old, &c->c.old_grace_done);
}

static void
reap_old_tcp(struct engine_conn *c)
{
	/* Acquire: pairs with the release in retire_done (the grace period has ended). [E4] */
	if (c->c.old != NULL &&
	    atomic_load_explicit(&c->c.old_grace_done, memory_order_acquire)) {
		tcp_conn_destroy(c->c.old);
		c->c.old = NULL;
	}
	if (c->c.drain_old != NULL &&
	    atomic_load_explicit(&c->c.drain_grace_done, memory_order_acquire)) {
		tcp_conn_destroy(c->c.drain_old);
		c->c.drain_old = NULL;
	}
}

/* --- lame duck: make before break ----------------------------------------------------------
 *
 * INFO with ldm on a READY connection: the server is going away. Instead of dropping the
 * connection (and every ack in flight with it), the engine keeps it as the drain — T only
 * polls it (TCP ACKs, retransmissions of what it sent), C reads its remaining acks with the
 * session's old parser — and connects to another server at once, without backoff; the
 * lame server is not picked again for LDM_AVOID_NS. On READY the new connection resends the
 * live publishes (their Msg-Ids make any that the old server stored duplicates). The drain
 * ends when the server closes it, or after LDM_DRAIN_MAX_NS. Without another server to go
 * to, or while a drain is still open, the connection is dropped as before. */
#define LDM_AVOID_NS (60ull * 1000000000ull)
#define LDM_DRAIN_MAX_NS (120ull * 1000000000ull)

static bool
ldm_move(struct engine_conn *c, uint64_t now_ns)
{
	struct engine *e = c->eng;
	struct session_rest rest;
	struct session_cb cb;
	uint64_t retry_at;
	char from[40];
	int idx;

	if (c->c.server < 0 || c->drain_tcp != NULL || c->c.drain_old != NULL)
		return false;
	e->servers[c->c.server].lame_until_ns = now_ns + LDM_AVOID_NS;
	if (pick_server(c, now_ns, &retry_at) < 0) {
		/* nowhere else to go (one server): dropped, and the same server is tried again
		 * as after any loss, so its restart is found without waiting LDM_AVOID_NS */
		e->servers[c->c.server].lame_until_ns = 0;
		return false;
	}
	idx = session_ctl_handoff(&c->sess, now_ns, &rest);
	if (idx < 0)
		return false;
	srv_str(e, (uint32_t)c->c.server, from, sizeof(from));
	c->c.drain_parser = idx;
	c->c.drain_since_ns = now_ns;
	c->c.drain_closed = false;
	rcu_assign_pointer(c->drain_tcp, c->tcp);
	rcu_assign_pointer(c->tcp, NULL);
	conn_leave_server(c);
	ADD(c->ldm_moves, 1);
	ENGINE_LOG(INFO, "connection %u: %s entered lame-duck mode: connecting elsewhere now, "
		   "the old connection keeps delivering its acks", c->index, from);
	/* acks that came in the same segment after the ldm INFO */
	if (rest.len > 0 &&
	    session_ctl_drain_bytes(&c->sess, idx, rest.data, rest.len, cb_of(c, &cb)) != 0)
		tcp_conn_abort(c->drain_tcp);
	return true;
}

static void
drain_poll(struct engine_conn *c, uint64_t now_ns)
{
	if (c->drain_tcp == NULL)
		return;
	tcp_ctl_poll(c->drain_tcp);
	if (!c->c.drain_closed && since(now_ns, c->c.drain_since_ns) >= LDM_DRAIN_MAX_NS)
		tcp_conn_abort(c->drain_tcp); /* reports CLOSED */
	if (c->c.drain_closed) {
		struct session_counters sc;

		retire_slot(&c->drain_tcp, &c->c.drain_old, &c->c.drain_grace_done);
		session_ctl_drain_done(&c->sess);
		session_counters_read(&c->sess, &sc);
		ENGINE_LOG(INFO, "connection %u: the lame-duck connection ended after %lu ms "
			   "(acks read from lame-duck connections: %lu)", c->index,
			   (unsigned long)(since(now_ns, c->c.drain_since_ns) / 1000000ull),
			   (unsigned long)sc.drained_acks);
	}
}

/* A TLS failure, clearly: which check failed and OpenSSL's or the verifier's words. */
static void
log_tls_close(struct engine_conn *c)
{
	const char *detail = "";
	enum tls_fail f = session_tls_failure(&c->sess, &detail);

	if (f != TLS_FAIL_NONE)
		ENGINE_LOG(WARNING, "connection %u: TLS handshake failed: %s (%s); next attempt "
			   "after the reconnect backoff", c->index, tls_fail_str(f), detail);
	else
		ENGINE_LOG(WARNING, "connection %u: closing: TLS record layer: %s", c->index,
			   detail);
}

static void
on_tcp_data(void *owner, struct tcp_conn *tcp, const uint8_t *data, uint32_t len)
{
	struct engine_conn *c = owner;
	struct session_cb cb;
	int rc;

	if (tcp != c->tcp) {
		if (tcp == c->drain_tcp && !c->c.drain_closed &&
		    session_ctl_drain_bytes(&c->sess, c->c.drain_parser, (const char *)data, len,
					    cb_of(c, &cb)) != 0)
			tcp_conn_abort(tcp);
		return;
	}
	rc = session_ctl_bytes(&c->sess, (const char *)data, len, ctl_now, cb_of(c, &cb));
	if (rc == -EACCES)
		server_refused(c, ctl_now);
	if (rc == -ESHUTDOWN && ldm_move(c, ctl_now))
		return;
	if (rc < 0) {
		if (session_last_close(&c->sess) == SESSION_CLOSE_TLS)
			log_tls_close(c);
		else
			ENGINE_LOG(WARNING, "connection %u: closing (%s)", c->index,
				session_close_str(session_last_close(&c->sess)));
		tcp_conn_abort(tcp);
	}
}

static void
on_tcp_event(void *owner, struct tcp_conn *tcp, enum tcp_event ev, enum tcp_reason why)
{
	struct engine_conn *c = owner;

	if (tcp != c->tcp) {
		if (tcp == c->drain_tcp) {
			if (ev == TCP_EV_PEER_CLOSED)
				tcp_conn_abort(tcp); /* the server closed it: we are done too */
			else if (ev == TCP_EV_CLOSED)
				c->c.drain_closed = true;
		}
		return;
	}
	switch (ev) {
	case TCP_EV_ESTABLISHED:
		session_ctl_established(&c->sess, ctl_now);
		break;
	case TCP_EV_PEER_CLOSED:
		session_ctl_close(&c->sess, SESSION_CLOSE_TCP, ctl_now);
		tcp_conn_abort(tcp);
		break;
	case TCP_EV_CLOSED:
		ENGINE_LOG(INFO, "connection %u: TCP closed (%s)", c->index,
			tcp_reason_str(why));
		session_ctl_tcp_closed(&c->sess, ctl_now);
		conn_leave_server(c);
		c->c.tcp_closed = true;
		break;
	default:
		break;
	}
}

/* The TLS target of a connection to servers[k]: required for a configured tls:// server
 * (a discovered one follows [nats] tls and its INFO); the name its certificate must carry
 * is [nats] tls_server_name, else the server's address. */
static void
tls_target(struct engine_conn *c, uint32_t k)
{
	struct engine *e = c->eng;
	uint32_t ip_be = LD(e->servers[k].ip_be), port = LD(e->servers[k].port);
	char ip[INET_ADDRSTRLEN];
	const char *name = e->p.tls_server_name;
	bool required = false;

	for (uint32_t i = 0; i < e->p.n_servers; i++)
		if (e->p.servers[i].ip_be == ip_be && e->p.servers[i].port == port &&
		    e->p.servers[i].tls)
			required = true;
	if (name == NULL || name[0] == '\0')
		name = inet_ntop(AF_INET, &ip_be, ip, sizeof(ip));
	session_ctl_tls_target(&c->sess, required, name);
}

static void
try_connect(struct engine_conn *c, uint64_t now_ns)
{
	struct engine *e = c->eng;
	struct tcp_owner_ops ops = { on_tcp_data, on_tcp_event, c };
	struct tcp_endpoint ep;
	struct tcp_conn *tcp;
	uint64_t retry_at = 0;
	int32_t k;
	uint32_t dst;
	int rc;

	if (c->tcp != NULL || c->c.old != NULL)
		return; /* the previous connection is still being retired */
	k = pick_server(c, now_ns, &retry_at);
	if (k < 0) {
		session_ctl_retry_at(&c->sess, retry_at); /* every server refuses us for now */
		return;
	}
	dst = LD(e->servers[k].ip_be);
	memset(&ep, 0, sizeof(ep));
	rc = e->net.server_mac(e->net.ctx, dst, &ep.dst_mac);
	if (rc == -EHOSTUNREACH) {
		c->c.server_next = (uint32_t)k + 1; /* not routable from here: the next one */
		return;
	}
	if (rc != 0)
		return; /* ARP in progress: asked again next iteration */
	ep.src_mac = e->p.src_mac;
	ep.src_ip = e->p.src_ip_be;
	ep.dst_ip = dst;
	ep.dst_port = (uint16_t)LD(e->servers[k].port);
	tcp = tcp_conn_create(e->stack, &c->tx_io, &ops);
	rc = tcp == NULL ? -ENOMEM : tcp_conn_connect(tcp, &ep);
	if (rc != 0) {
		/* no port or memory now: count it as a failed attempt, so the backoff applies */
		ENGINE_LOG(WARNING, "connection %u: cannot start TCP: %s", c->index, strerror(-rc));
		tcp_conn_destroy(tcp);
		session_ctl_connecting(&c->sess, now_ns);
		session_ctl_tcp_closed(&c->sess, now_ns);
		return;
	}
	c->c.server_next = (uint32_t)k + 1; /* a later attempt goes to the next server */
	c->c.server = k;
	ADD(e->servers[k].conns, 1);
	ADD(e->servers[k].connects, 1);
	ST(c->srv_ip_be, dst);
	ST(c->srv_port, (uint32_t)ep.dst_port);
	c->c.tcp_closed = false;
	tls_target(c, k);
	session_ctl_connecting(&c->sess, now_ns);
	/* release: T sees an initialised connection */
	rcu_assign_pointer(c->tcp, tcp);
}

/* --- the loop ----------------------------------------------------------------------------- */

static void
apply_tunables(struct engine *e)
{
	const struct jw_tunables *t = jw_tunables_current();

	if (t == NULL)
		return;
	for (uint32_t k = 0; k < e->p.n_conns; k++) {
		struct flow *f = &e->conns[k].flow;
		uint64_t to = (uint64_t)t->ack_timeout_ms * 1000000ull;
		uint64_t tg = (uint64_t)t->ack_target_us * 1000ull;
		bool adaptive = t->window_min != t->window_max;

		if (f->p.window_min == t->window_min && f->p.window_max == t->window_max &&
		    f->p.ack_timeout_ns == to && f->p.ack_target_ns == tg &&
		    f->p.adaptive == adaptive)
			continue;
		(void)flow_ctl_retune(f, t->window_min, JW_MIN(t->window_max, f->size), to, tg);
	}
}

static bool
conn_poll(struct engine_conn *c, uint64_t now_ns)
{
	struct flow_ops ops;
	bool work = false;

	if (c->tcp != NULL)
		tcp_ctl_poll(c->tcp);
	drain_poll(c, now_ns);
	if (c->c.tcp_closed) {
		retire_tcp(c);
		c->c.tcp_closed = false;
		work = true;
	}
	reap_old_tcp(c);
	switch (session_ctl_poll(&c->sess, now_ns)) {
	case SESSION_ACT_CONNECT:
		try_connect(c, now_ns);
		work = true;
		break;
	case SESSION_ACT_ABORT:
		/* a timeout (connect, TLS or NATS handshake, liveness): said once, as the
		 * other closes are */
		if (c->tcp != NULL) {
			ENGINE_LOG(WARNING, "connection %u: closing (%s)", c->index,
				   session_close_str(session_last_close(&c->sess)));
			tcp_conn_abort(c->tcp);
		}
		work = true;
		break;
	default:
		break;
	}
	if (flow_ctl_poll_local(&c->flow, now_ns, ops_of(c, &ops)) > 0)
		work = true;
	if (atomic_load_explicit(&c->hold, memory_order_relaxed)) {
		hold_poll(c, now_ns); /* no timeouts while held: T resends nothing but probes */
	} else if (now_ns >= c->c.next_scan_ns) {
		c->c.next_scan_ns = now_ns + SCAN_PERIOD_NS;
		if (flow_ctl_scan_timeouts(&c->flow, now_ns, ops_of(c, &ops)) > 0)
			work = true;
		/* acks stopped with publishes overdue: is the server there at all? */
		if (session_state(&c->sess) == SESSION_READY &&
		    flow_ctl_take_probe(&c->flow, now_ns))
			session_ctl_probe(&c->sess, now_ns);
	}
	for (uint32_t i = 0; i < c->eng->shm->slots_per_tx; i++)
		if (atomic_load_explicit(&c->c.deferred[i].count, memory_order_relaxed) > 0)
			deferred_flush(c, i);
	return work;
}

void
engine_ctl_input(struct engine *e, struct rte_mbuf *m)
{
	/* A fresh clock per frame: the app's loop may have slept since the last poll, and a
	 * stale one would make acks look faster than they are (the AIMD's signal). */
	ctl_now = jw_mono_ns();
	if (tcp_input(e->stack, m) == 0)
		e->cnt.rx_tcp++;
	else
		e->cnt.rx_not_ours++;
}

unsigned
engine_ctl_poll(struct engine *e, uint64_t now_ns)
{
	unsigned work = 0;

	if (!e->ctl_registered) {
		unsigned lcore = rte_lcore_id();

		e->ctl_st = jw_stats_lcore_register(lcore == LCORE_ID_ANY ? 0 : lcore,
						    JW_STATS_ROLE_CONTROL);
		if (e->ctl_st == NULL)
			return 0;
		rcu_register_thread(); /* online from here */
		e->ctl_registered = true;
	} else {
		rcu_thread_online();
	}
	ctl_now = now_ns;
	for (uint32_t k = 0; k < e->p.n_conns; k++)
		work += conn_poll(&e->conns[k], now_ns) ? 1 : 0;
	if (now_ns >= e->next_housekeeping_ns) {
		e->next_housekeeping_ns = now_ns + HOUSEKEEPING_NS;
		jw_shm_reclaim(e->shm);
		jw_shm_heartbeat(e->shm);
		apply_tunables(e);
	}
	/* Offline between calls: the app's loop sleeps and may end without calling us again,
	 * and an offline thread never holds up a grace period. */
	rcu_thread_offline();
	return work;
}

void
engine_ctl_shutdown(struct engine *e)
{
	if (e->ctl_registered)
		rcu_thread_online();
	/* leave the server cleanly: reset every connection (records stay in the rings) */
	for (uint32_t k = 0; k < e->p.n_conns; k++) {
		if (e->conns[k].tcp != NULL)
			tcp_conn_abort(e->conns[k].tcp);
		if (e->conns[k].drain_tcp != NULL)
			tcp_conn_abort(e->conns[k].drain_tcp);
	}
	if (e->ctl_registered) {
		rcu_unregister_thread();
		e->ctl_registered = false;
	}
}
